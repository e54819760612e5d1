"""Schema of the state database (ST-1) as forward-only migrations.

Money columns are TEXT holding a Decimal's string; times are REAL UTC epoch seconds.
A migration is never edited once released: add a new one to MIGRATIONS instead.
"""

from __future__ import annotations

import sqlite3

V1 = """
CREATE TABLE risk_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    trading_state TEXT NOT NULL CHECK (trading_state IN ('ACTIVE', 'REDUCING', 'HALTED')),
    halt_reason TEXT,
    halt_detail TEXT,
    halted_at REAL,
    high_water_mark TEXT,
    day_start_equity TEXT,
    day TEXT,
    consecutive_losses INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);
INSERT INTO risk_state (id, trading_state, updated_at) VALUES (1, 'ACTIVE', 0);

CREATE TABLE cooldowns (
    product_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    until REAL NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (product_id, reason)
);

CREATE TABLE cycles (
    cycle_id TEXT PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL CHECK (status IN ('RUNNING', 'OK', 'FAILED', 'ABORTED')),
    config_hash TEXT NOT NULL,
    mode TEXT NOT NULL,
    stage_seconds TEXT,
    error TEXT
);
CREATE INDEX cycles_started ON cycles (started_at);

CREATE TABLE proposals (
    proposal_id TEXT PRIMARY KEY,
    cycle_id TEXT NOT NULL REFERENCES cycles (cycle_id),
    strategy TEXT NOT NULL,
    product_id TEXT NOT NULL,
    side TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL
);

CREATE TABLE verdicts (
    proposal_id TEXT PRIMARY KEY REFERENCES proposals (proposal_id),
    decision TEXT NOT NULL CHECK (decision IN ('APPROVE', 'RESIZE', 'REJECT')),
    reasons TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL
);

CREATE TABLE intents (
    intent_id TEXT PRIMARY KEY,
    client_order_id TEXT NOT NULL UNIQUE,
    proposal_id TEXT REFERENCES proposals (proposal_id),
    cycle_id TEXT,
    mode TEXT NOT NULL,
    purpose TEXT NOT NULL,
    product_id TEXT NOT NULL,
    side TEXT NOT NULL,
    order_configuration TEXT NOT NULL,
    base_size TEXT,
    quote_size TEXT,
    limit_price TEXT,
    state TEXT NOT NULL,
    exchange_order_id TEXT,
    filled_size TEXT NOT NULL DEFAULT '0',
    filled_value TEXT NOT NULL DEFAULT '0',
    fees TEXT NOT NULL DEFAULT '0',
    reject_reason TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX intents_state ON intents (state);
CREATE INDEX intents_order ON intents (exchange_order_id);

CREATE TABLE orders (
    order_id TEXT PRIMARY KEY,
    client_order_id TEXT NOT NULL,
    intent_id TEXT REFERENCES intents (intent_id),
    product_id TEXT NOT NULL,
    side TEXT NOT NULL,
    status TEXT NOT NULL,
    filled_size TEXT NOT NULL DEFAULT '0',
    average_filled_price TEXT NOT NULL DEFAULT '0',
    total_fees TEXT NOT NULL DEFAULT '0',
    foreign_order INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL
);

CREATE TABLE fills (
    trade_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    intent_id TEXT,
    product_id TEXT NOT NULL,
    side TEXT NOT NULL,
    price TEXT NOT NULL,
    size TEXT NOT NULL,
    commission TEXT NOT NULL,
    liquidity TEXT NOT NULL,
    trade_time REAL NOT NULL,
    source TEXT NOT NULL,
    recorded_at REAL NOT NULL
);
CREATE INDEX fills_order ON fills (order_id);

CREATE TABLE positions (
    product_id TEXT PRIMARY KEY,
    base_size TEXT NOT NULL,
    average_cost TEXT NOT NULL,
    realized_pnl TEXT NOT NULL DEFAULT '0',
    fees_paid TEXT NOT NULL DEFAULT '0',
    opened_at REAL,
    exit_plan TEXT,
    updated_at REAL NOT NULL
);

CREATE TABLE balances (
    currency TEXT PRIMARY KEY,
    available TEXT NOT NULL,
    hold TEXT NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE audit_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    cycle_id TEXT,
    ref_id TEXT,
    payload TEXT NOT NULL
);
CREATE INDEX audit_kind ON audit_events (kind, at);
"""

V2 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
ALTER TABLE intents ADD COLUMN request_body TEXT;
ALTER TABLE intents ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE intents ADD COLUMN last_error TEXT;
ALTER TABLE intents ADD COLUMN submitted_at REAL;
ALTER TABLE intents ADD COLUMN parent_intent_id TEXT;
ALTER TABLE intents ADD COLUMN expires_at REAL;
CREATE INDEX intents_product ON intents (product_id, state);
"""

V3 = """
ALTER TABLE intents ADD COLUMN reason TEXT;
ALTER TABLE positions ADD COLUMN realized_at_open TEXT NOT NULL DEFAULT '0';
ALTER TABLE positions ADD COLUMN last_close_pnl TEXT;
ALTER TABLE positions ADD COLUMN last_closed_at REAL;
ALTER TABLE positions ADD COLUMN results_seen_at REAL;
"""

V4 = """
ALTER TABLE intents ADD COLUMN fills_verified INTEGER NOT NULL DEFAULT 0;
CREATE INDEX intents_unverified ON intents (fills_verified, state);
"""

V5 = """
CREATE TABLE candles (
    product_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    open TEXT NOT NULL,
    high TEXT NOT NULL,
    low TEXT NOT NULL,
    close TEXT NOT NULL,
    volume TEXT NOT NULL,
    bid TEXT,
    bid_size TEXT,
    ask TEXT,
    ask_size TEXT,
    PRIMARY KEY (product_id, start)
);
"""

# STR-5: the strategy an intent acts for (entries: the proposal's; exits: the position's)
V6 = """
ALTER TABLE intents ADD COLUMN strategy TEXT;
UPDATE intents SET strategy = (
    SELECT p.strategy FROM proposals p WHERE p.proposal_id = intents.proposal_id
) WHERE proposal_id IS NOT NULL;
"""

# PERF: every cycle counts the entries of the last 24 h; without an index on the time that
# read scans every intent ever written
V7 = """
CREATE INDEX intents_created ON intents (created_at);
"""

# PERF: each position's exit plan is the latest filled buy of its product; without an
# index in that order the read sorts every intent the product ever had
V8 = """
CREATE INDEX intents_entry ON intents (product_id, side, created_at);
"""

# PERF: a position row keeps the key of the last fill folded into it, so new fills are
# folded onto it instead of every fill of the product again (state/positions.py); the
# product's fills in their folding order come from an index
V9 = """
ALTER TABLE positions ADD COLUMN fills_through_time REAL;
ALTER TABLE positions ADD COLUMN fills_through_id TEXT;
CREATE INDEX fills_product ON fills (product_id, trade_time, trade_id);
"""

MIGRATIONS: list[tuple[int, str]] = [
    (1, V1),
    (2, V2),
    (3, V3),
    (4, V4),
    (5, V5),
    (6, V6),
    (7, V7),
    (8, V8),
    (9, V9),
]

LATEST_VERSION = MIGRATIONS[-1][0]


class SchemaTooNew(Exception):
    """The database was written by a newer release; refuse rather than corrupt it."""


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply every pending migration, each in its own transaction; return those applied."""
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise SchemaTooNew(
            f"database schema version {version} is newer than this release ({LATEST_VERSION})"
        )
    applied: list[int] = []
    for target, script in MIGRATIONS:
        if target <= version:
            continue
        with conn:
            conn.execute("BEGIN")
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (target,))
        applied.append(target)
    return applied


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]

"""BT-1, BT-2: the daemon's record of the candles it saw (`trader.state.candle_log`).

A real SQLite state file: candles are written at each cycle's flush; only the newest candle
of each product that has just closed carries the quote the cycle decided on (a backfilled
candle carries none); rules and listing times are kept in `meta` and read back exactly;
old candles are pruned to the configured days; 0 days records nothing.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from trader.core.clock import wall_clock
from trader.core.types import Candle, ProductRules, Quote
from trader.state.candle_log import CandleRecorder, rules_from_json, rules_json
from trader.state.db import Database

RULES = ProductRules(
    "BTC-USD", "BTC", "USD", Decimal("0.00000001"), Decimal("0.01"), Decimal("0.00000001"),
    Decimal("3400"), Decimal("1"), Decimal("150000000"),
)  # fmt: skip


def _candle(start: int) -> Candle:
    price = Decimal("100.01")
    return Candle("BTC-USD", start, price, price, price, price, Decimal("2.5"))


def test_bt2_flush_writes_candles_and_the_cycle_quote_on_the_just_closed_one(tmp_path):
    async def scenario() -> list[tuple[object, ...]]:
        db = await Database.open(tmp_path / "trader.db", wall_clock)
        try:
            recorder = CandleRecorder(db, keep_days=7)
            await recorder.save_products([RULES], {"BTC-USD": 1_400_000_000.0})
            for start in (1_000_020, 1_000_080, 1_000_140):  # two backfilled, one just closed
                recorder.add(_candle(start))
            quote = Quote("BTC-USD", Decimal("100"), Decimal("1"), Decimal("100.02"),
                          Decimal("2"), 1_000_203.0)  # fmt: skip
            assert await recorder.flush(1_000_203.0, {"BTC-USD": quote}) == 3
            assert await recorder.flush(1_000_263.0, {"BTC-USD": quote}) == 0
            return await db.run(
                lambda conn: [
                    tuple(r)
                    for r in conn.execute(
                        "SELECT start, close, volume, bid, ask_size FROM candles ORDER BY start"
                    )
                ]
            )
        finally:
            await db.close()

    rows = asyncio.run(scenario())
    assert rows == [
        (1_000_020, "100.01", "2.5", None, None),
        (1_000_080, "100.01", "2.5", None, None),
        (1_000_140, "100.01", "2.5", "100", "2"),
    ]


def test_bt1_rules_round_trip_exactly_and_zero_days_records_nothing(tmp_path):
    assert rules_from_json(rules_json([RULES])) == {"BTC-USD": RULES}

    async def scenario() -> int:
        db = await Database.open(tmp_path / "trader.db", wall_clock)
        try:
            recorder = CandleRecorder(db, keep_days=0)
            await recorder.save_products([RULES], {})
            recorder.add(_candle(60))
            await recorder.flush(200.0, {})
            return await db.run(
                lambda conn: conn.execute("SELECT COUNT(*) FROM candles").fetchone()[0]
            )
        finally:
            await db.close()

    assert asyncio.run(scenario()) == 0


def test_bt1_candles_older_than_the_kept_days_are_pruned(tmp_path):
    async def scenario() -> list[int]:
        db = await Database.open(tmp_path / "trader.db", wall_clock)
        try:
            recorder = CandleRecorder(db, keep_days=1)
            recorder.add(_candle(0))
            recorder.add(_candle(150_000))
            await recorder.flush(200_000.0, {})
            return await db.run(
                lambda conn: [r[0] for r in conn.execute("SELECT start FROM candles")]
            )
        finally:
            await db.close()

    assert asyncio.run(scenario()) == [150_000]  # 0 is more than a day before 200 000


SAVED_LISTINGS = {
    "valid": ('{"BTC-USD": 1400000000.5, "ETH-USD": 1500000000}', {"BTC-USD": 1400000000.5,
                                                                   "ETH-USD": 1500000000.0}),
    "not json": ("{", {}),
    "a list": ("[1, 2]", {}),
    "odd values": ('{"A-USD": "soon", "B-USD": true, "C-USD": null, "D-USD": 7}', {"D-USD": 7.0}),
}  # fmt: skip


def test_perf7_listing_times_saved_at_a_start_read_back_and_damage_reads_as_unknown(tmp_path):
    """A restart takes the listing times an earlier start saved; whatever in the saved
    value is not a time is unknown (and asked of the venue again), never a crash."""

    async def scenario() -> dict[str, dict[str, float]]:
        db = await Database.open(tmp_path / "trader.db", wall_clock)
        try:
            recorder = CandleRecorder(db, keep_days=7)
            await recorder.save_products([RULES], {"BTC-USD": 1_400_000_000.0})
            read = {"saved": await recorder.listing_times()}
            for name, (text, _) in SAVED_LISTINGS.items():
                await db.run(
                    lambda conn, t=text: conn.execute(
                        "UPDATE meta SET value = ? WHERE key = 'listed_at'", (t,)
                    )
                )
                read[name] = await recorder.listing_times()
            read["not recording"] = await CandleRecorder(db, keep_days=0).listing_times()
            return read
        finally:
            await db.close()

    read = asyncio.run(scenario())
    assert read["saved"] == {"BTC-USD": 1_400_000_000.0}
    for name, (_, expected) in SAVED_LISTINGS.items():
        assert read[name] == expected, name
    assert read["not recording"] == {}


BROKEN_RECORDS = {"zero low": ("low", "0"), "high below close": ("high", "100"),
                  "not a number": ("close", "NaN"), "beyond 1e20": ("open", "1e400"),
                  "negative volume": ("volume", "-1")}  # fmt: skip


def test_perf7_a_recorded_candle_that_cannot_be_true_is_not_read_back(tmp_path):
    """A restart backfills from its own record only what can be true: a broken row (written
    by an older daemon, or edited) makes the read fail, so the venue is asked instead."""

    async def scenario() -> dict[str, str]:
        db = await Database.open(tmp_path / "trader.db", wall_clock)
        try:
            recorder = CandleRecorder(db, keep_days=7)
            for start in (1_000_020, 1_000_080):
                recorder.add(_candle(start))
            await recorder.flush(1_000_200.0, {})
            assert len(await recorder.recorded_between("BTC-USD", 0, 2_000_000)) == 2
            problems = {}
            for name, (column, text) in BROKEN_RECORDS.items():
                await db.run(
                    lambda conn, c=column, t=text: conn.execute(
                        f"UPDATE candles SET {c} = ? WHERE start = 1000080", (t,)
                    )
                )
                try:
                    await recorder.recorded_between("BTC-USD", 0, 2_000_000)
                except ValueError as exc:
                    problems[name] = str(exc)
                await db.run(lambda conn: conn.execute("DELETE FROM candles WHERE start = 1000080"))
                recorder.add(_candle(1_000_080))
                await recorder.flush(1_000_200.0, {})
            return problems
        finally:
            await db.close()

    problems = asyncio.run(scenario())
    assert set(problems) == set(BROKEN_RECORDS)
    assert all(p.startswith("recorded candle BTC-USD 1000080: ") for p in problems.values())

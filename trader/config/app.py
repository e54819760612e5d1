"""`app.yaml`: how the daemon runs (CFG-1). Policy (risk, universe, signals, strategies)
lives in the files of `config/`, loaded by `trader.config.loader`.

Relative paths are resolved against the directory of the `app.yaml` file, so a copied
working directory (or a systemd `WorkingDirectory=`) is self-contained.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from trader.config.base import DAY_S, MAX_MONEY, Strict
from trader.config.hosts import host_problem, is_loopback
from trader.core.types import Mode

# Every number has the bounds its meaning requires (CFG-1); upper caps are generous and
# only refuse what is surely a typo (each says why). `tests/config/test_bounds.py` fails
# for a numeric field added without bounds.

# 0 is not "off": the OS picks a free port (logged in `daemon_started`, shown by /status);
# it lets several daemons, or the test suite, run on one host
Port = Annotated[int, Field(ge=0, le=65535)]
# no NUL anywhere (`\S` alone would let one through) and not blank
FileName = Annotated[
    str, Field(min_length=1, max_length=4096, pattern=r"^[^\x00]*[^\x00\s][^\x00]*$")
]
HTTP_SCHEMES = ("https", "http")
WS_SCHEMES = ("wss", "ws")


def _url(value: str, schemes: tuple[str, ...]) -> str:
    """A URL a client can open: one of `schemes`, a host, no spaces."""
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError(f"must be a {' or '.join(s + '://' for s in schemes)} URL with a host")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise ValueError(f"has a malformed port: {exc}") from None
    return value


class PathsConfig(Strict):
    """Runtime files. Everything the daemon writes lives under `data_dir` and `log_dir`."""

    data_dir: FileName = "data"
    log_dir: FileName = "logs"
    db_file: FileName = "trader.db"
    paper_db_file: FileName = "trader-paper.db"
    pid_file: FileName = "trader.pid"
    kill_switch_file: FileName = "KILL_SWITCH"
    config_dir: FileName = "config"


class RateLimitConfig(Strict):
    """Requests per second sent to the venue. Coinbase allows 30 (private) and 10 (public);
    the cap of 1000/s is beyond any venue's limit, so a larger value is a typo."""

    private_per_s: float = Field(30.0, gt=0, le=1000)
    public_per_s: float = Field(10.0, gt=0, le=1000)


class ExchangeConfig(Strict):
    """Where orders and market data come from. `venue: coinbase` is the one switch to go real."""

    venue: Literal["sim", "coinbase", "none"] = "sim"
    read_only: bool = True
    rest_url: str = "https://api.coinbase.com/api/v3/brokerage"
    ws_market_url: str = "wss://advanced-trade-ws.coinbase.com"
    ws_user_url: str = "wss://advanced-trade-ws-user.coinbase.com"
    products: list[str] = Field(default_factory=list)
    max_products: Annotated[int, Field(ge=1, le=1000)] = 30
    rate_limits: RateLimitConfig = RateLimitConfig()
    # a request that has not answered in 5 minutes is not coming back
    request_timeout_s: float = Field(10.0, gt=0, le=300)
    # a tolerance of more than a day no longer guards the clock at all
    max_clock_offset_ms: int = Field(1000, gt=0, le=86_400_000)
    clock_check_interval_s: Annotated[float, Field(ge=1, le=3600)] = 300.0
    # the traded products' rules (increments, size limits, status flags) are read again
    # this often, and at once when the venue refuses an order by them (EX-4)
    product_rules_interval_s: float = Field(300.0, ge=10, le=DAY_S)
    ca_file: FileName | None = None

    @field_validator("rest_url")
    @classmethod
    def _rest_url(cls, value: str) -> str:
        return _url(value, HTTP_SCHEMES)

    @field_validator("ws_market_url", "ws_user_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        return _url(value, WS_SCHEMES)


class SimConfig(Strict):
    """The embedded simulated venue (SIM-1), used when `exchange.venue: sim`."""

    market: Literal["synthetic", "coinbase-minute", "binance-5m", "ws-capture"] = "synthetic"
    products: Annotated[int, Field(ge=1, le=2000)] = 8
    # unbounded on purpose (allow-listed in tests/config/test_bounds.py): every integer is
    # a valid seed, and a bound would only refuse to reproduce a run seeded elsewhere
    seed: int = 7
    replay_dir: str | None = None
    # replay speed factor (recorded seconds per wall second); beyond a day per second even
    # a 1-second cycle would skip a day of minutes between two decisions: surely a typo
    speed: float = Field(1.0, gt=0, le=DAY_S)
    # money (quote units) is Decimal; capped far above any currency's scale (MAX_MONEY)
    quote_balance: Decimal = Field(Decimal("100000"), gt=0, le=MAX_MONEY)
    # what the embedded venue answers with 429 beyond (Coinbase's own limits by default)
    rate_limits: RateLimitConfig = RateLimitConfig()

    @model_validator(mode="after")
    def _replay_needs_dir(self) -> SimConfig:
        if self.market != "synthetic" and not self.replay_dir:
            raise ValueError(f"market '{self.market}' needs replay_dir (the recorded data folder)")
        return self


class PaperConfig(Strict):
    """X-6: the local fill model used in PAPER mode (state in `paths.paper_db_file`)."""

    # money (quote units) is Decimal; capped far above any currency's scale (MAX_MONEY)
    quote_balance: Decimal = Field(Decimal("10000"), gt=0, le=MAX_MONEY)
    latency_ms: float = Field(50.0, ge=0, le=10000, description="0: fills without delay")
    depth_levels: int = Field(
        5, ge=0, le=50, description="book levels modelled beyond the touch; 0: the touch only"
    )
    level_step_bps: float = Field(10.0, gt=0, le=1000)


class BacktestConfig(Strict):
    """BT-1: the bar fill model of `trader backtest` (README "Backtests: how orders fill").
    Money-free fractions and basis points; the book sizes they give are exact Decimals."""

    # at most this share of a bar's volume fills own orders in that bar (resting limits
    # through the trades, takers through the book): larger orders fill over several bars
    participation: Decimal = Field(Decimal("0.1"), gt=0, le=1)
    # per product, the spread in basis points; a product not named here gets a spread
    # estimated from the value it traded over the day before each bar: spread_factor_bps
    # at one million quote units a day, falling with the square root of the day's value
    # (10 M a day: a third of it), kept within the two bounds below: 40 bps at 1 M gives
    # the 24-pair 2021 set 2 bps (BTC, ETH: the floor) to 7 bps (SNX), wider than those
    # books quoted on the day. A set with recorded bid/ask uses those instead.
    spread_bps: dict[str, Annotated[float, Field(gt=0, le=1000)]] = Field(default_factory=dict)
    spread_factor_bps: float = Field(40.0, gt=0, le=1000)
    min_spread_bps: float = Field(2.0, gt=0, le=1000)
    max_spread_bps: float = Field(50.0, gt=0, le=1000)

    @model_validator(mode="after")
    def _bounds(self) -> BacktestConfig:
        if self.max_spread_bps < self.min_spread_bps:
            raise ValueError(
                f"max_spread_bps ({self.max_spread_bps}) must be >= min_spread_bps "
                f"({self.min_spread_bps})"
            )
        return self


class ExecutionConfig(Strict):
    """X-2, X-5: how orders are worked and how often the venue is reconciled."""

    entry_ttl_s: Annotated[float, Field(ge=2, le=3600)] = 30.0
    max_reprices: int = Field(2, ge=0, le=20, description="0: an entry is never repriced")
    taker_fallback: bool = False
    taker_slippage_bps: Annotated[float, Field(gt=0, le=500)] = 20.0
    exit_slippage_bps: Annotated[float, Field(gt=0, le=1000)] = 50.0
    # at least once a day: a longer gap leaves a venue-side change unnoticed for days
    reconcile_interval_s: float = Field(300.0, ge=10, le=DAY_S)
    # balance difference still counted as equal, in the currency's units; 0: exact.
    # No upper cap: what is negligible differs by currency (1 BTC vs 1 SHIB)
    reconcile_tolerance: Decimal = Field(Decimal("0.00000001"), ge=0, le=MAX_MONEY)
    exit_check_interval_s: Annotated[float, Field(gt=0, le=60)] = 1.0
    # an order the venue made is in its order list within this long; a lookup this
    # long after the last send that does not show a client id proves the order absent
    absence_proof_s: Annotated[float, Field(ge=1, le=3600)] = 15.0
    # when the balances cannot be read, the last ones read are used for this long;
    # then entries wait (`balances_unknown`) and no loss limit is judged; exits go on.
    # 0: off — balances that cannot be read are never stood in for
    balance_max_age_s: Annotated[float, Field(ge=0, le=3600)] = 120.0
    # EX-2: an own working order with no user-channel event this long is read over REST
    # (a connected channel that delivers no order events leaves the state stale otherwise)
    user_channel_silence_s: Annotated[float, Field(ge=2, le=300)] = 12.0
    # an own order that finished with its reported fills still not all in the fills
    # endpoint this long after a reconcile first found them short is an operator's problem
    fills_missing_after_s: Annotated[float, Field(ge=1, le=DAY_S)] = 600.0


class MetricsConfig(Strict):
    """OPS-5: one HTTP listener for /metrics, /healthz, /readyz, /status (loopback default)."""

    host: str = "127.0.0.1"
    port: Port = 9464
    # /healthz turns unhealthy after this much loop lag; 10 minutes of lag is a hung daemon
    loop_lag_unhealthy_s: float = Field(5.0, gt=0, le=600)
    # SEC: /status and /metrics are served on loopback only, unless this says otherwise
    allow_remote: bool = False

    @model_validator(mode="after")
    def _host_is_loopback(self) -> MetricsConfig:
        problem = host_problem(self.host)
        if problem is not None:
            raise ValueError(f"host {self.host!r} {problem}")
        if not self.allow_remote and not is_loopback(self.host):
            raise ValueError(
                f"host {self.host!r} is not a loopback address: the listener serves "
                "/status to anyone who can reach it; set metrics.allow_remote: true to mean it"
            )
        return self


class CycleConfig(Strict):
    # at least one cycle a day: a longer interval (a year of seconds, say) is a typo
    interval_s: float = Field(60.0, gt=0, le=DAY_S)
    jitter_pct: float = Field(10.0, ge=0, le=50, description="0: no jitter")
    align_to_interval: bool = True
    # after the boundary: a minute closes 2 s after it ends (market data's grace), so a
    # cycle 3 s in decides on the minute that just ended — as a backtest does (BT-2)
    offset_s: Annotated[float, Field(ge=0, le=30)] = 3.0


class KillSwitchConfig(Strict):
    """OPS-4: the file is polled on its own task; removing it does not resume by itself."""

    poll_interval_s: Annotated[float, Field(gt=0, le=1.0)] = 0.2
    auto_resume: bool = False
    flatten: bool = False
    flatten_max_slippage_bps: Annotated[float, Field(gt=0, le=1000)] = 50.0


class ShutdownConfig(Strict):
    cancel_open_orders: bool = True
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 8.0


class LoggingConfig(Strict):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    stdout: bool = True
    # OPS-9: what stdout shows — `auto`: a human console on a terminal, JSON lines otherwise
    # (systemd, pipes); the log file is always JSON lines
    format: Literal["auto", "json", "console"] = "auto"
    file: FileName = "trader.log"
    # rotate at 1 KiB .. 1 TiB: a larger single log file is a typo (or a full disk)
    max_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=1 << 40)
    backups: Annotated[int, Field(ge=1, le=100)] = 5


class RecordingConfig(Strict):
    """Closed candles (with the bid/ask seen at their close) kept in the state file for
    backtests over what the daemon itself saw (BT-1) and for a restart's backfill, which
    then asks the venue only for what came after (PERF-7); 0 days records none."""

    candles_keep_days: Annotated[int, Field(ge=0, le=365)] = 7


class AppConfig(Strict):
    """The whole of `app.yaml`."""

    mode: Mode = Mode.DRY_RUN
    exchange: ExchangeConfig = ExchangeConfig()
    sim: SimConfig = SimConfig()
    paths: PathsConfig = PathsConfig()
    paper: PaperConfig = PaperConfig()
    backtest: BacktestConfig = BacktestConfig()
    execution: ExecutionConfig = ExecutionConfig()
    metrics: MetricsConfig = MetricsConfig()
    cycle: CycleConfig = CycleConfig()
    kill_switch: KillSwitchConfig = KillSwitchConfig()
    shutdown: ShutdownConfig = ShutdownConfig()
    logging: LoggingConfig = LoggingConfig()
    recording: RecordingConfig = RecordingConfig()

    @model_validator(mode="after")
    def _live_is_consistent(self) -> AppConfig:
        """A LIVE config that cannot trade is a contradiction, refused as bad config (CFG-1).
        The operator's confirmation is checked at start (OPS-2, exit 4), not here."""
        if self.mode is Mode.LIVE:
            if self.exchange.read_only:
                raise ValueError("mode LIVE needs exchange.read_only: false")
            if self.exchange.venue != "coinbase":
                raise ValueError(
                    f"mode LIVE needs exchange.venue: coinbase (got {self.exchange.venue})"
                )
        return self

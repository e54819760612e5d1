"""Does a strategy read the future? (STR-6, `trader check-strategy NAME`)

Method: replays of the strategy alone over recorded bars, the portfolio held constant
(`backtest/replay.py`), compared decision by decision.
- Look-ahead: the full run over [start, end); then, for K cut points spread over the
  window, a run over the same data truncated to the bars starting before the cut. Every
  decision at t < cut must equal the full run's, exactly (the same feed gives the same
  floats). A strategy that reads data from after t (the run's own data, values a module
  kept from an earlier run) decides differently once that data is gone. What the cut does
  not remove (a file of the strategy's own, a network source) it cannot show.
- Warm-up: the strategy declares the bars it reads (`timeframes`); its warm-up is the
  longest declaration plus 24 h (the universe's volume window and the triggers' longest).
  A second run starts later (a day, or half a short window), fed from that start less the
  warm-up; its decisions must equal the full run's. A difference is state the declared
  warm-up does not settle (an indicator carried across calls, a count of calls). Floats
  are compared to 1e-9 relative here: the triggers' running sums are re-summed on a
  schedule that depends on when feeding began, so a later start may differ in the last
  bits.
Feeds start at a multiple of the longest declared timeframe, so a run's first bar of each
timeframe is whole. Each finding names the first differing decision: time, portfolio,
product, and the decision in both runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from trader.backtest.data import Dataset
from trader.backtest.replay import Decisions, Key, Replay, Run, Warm, constant_portfolios
from trader.config.loader import LoadedConfig
from trader.core.decision import Proposal
from trader.core.timeframes import timeframe_seconds
from trader.strategies.base import BaseStrategy

DAY_S = 86_400
WARMUP_MARGIN_S = DAY_S  # the universe's 24 h volume window, the triggers' longest window
DEFAULT_CUTS = 8
DEFAULT_DAYS = 7
FLOAT_TOLERANCE = 1e-9  # relative, warm-up check only


def declared_warmup(cls: type[BaseStrategy[Any]]) -> int:
    """Seconds of data the strategy needs before its decisions settle."""
    history = [bars * timeframe_seconds(tf) for tf, bars in cls.timeframes.items()]
    return max(history, default=0) + WARMUP_MARGIN_S


# -- comparing runs ---------------------------------------------------------------------
def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(seconds: int) -> str:
    """`524 h`, `24 h 5 min`."""
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def describe(proposal: Proposal | None) -> str:
    """A proposal in one line with every field that is set; `nothing` for none."""
    if proposal is None:
        return "nothing"
    skip = {"product_id", "side", "strategy_id", "reason"}
    parts = [proposal.side.value]
    for item in fields(proposal):
        value = getattr(proposal, item.name)
        if item.name not in skip and value is not None and value != ():
            parts.append(
                f"{item.name}={value!r}" if isinstance(value, float) else f"{item.name}={value}"
            )
    parts.append(f"reason={proposal.reason!r}")
    return " ".join(parts)


def same(a: Proposal | None, b: Proposal | None, tolerant: bool) -> bool:
    if a is None or b is None or not tolerant:
        return a == b
    for item in fields(a):
        x, y = getattr(a, item.name), getattr(b, item.name)
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE):
                return False
        elif x != y:
            return False
    return True


def first_difference(
    reference: Decisions, other: Decisions, since: int, until: int, *, tolerant: bool = False
) -> Key | None:
    """The earliest (time, portfolio, product) in [since, until) where the runs differ."""
    keys = sorted({k for k in (*reference, *other) if since <= k[0] < until})
    for key in keys:
        if not same(reference.get(key), other.get(key), tolerant):
            return key
    return None


@dataclass(frozen=True)
class Finding:
    """One difference: the decision at `key` in the reference run and in the other."""

    problem: str  # "look-ahead" | "unsettled state"
    key: Key
    reference: str  # what the reference run was fed, e.g. "with the data to ..."
    reference_decision: Proposal | None
    other: str
    other_decision: Proposal | None

    @property
    def line(self) -> str:
        t, portfolio, product = self.key
        return (
            f"{self.problem} at {iso(t)} {product} ({portfolio} portfolio): "
            f"{self.reference}: {describe(self.reference_decision)}; "
            f"{self.other}: {describe(self.other_decision)}"
        )


def finding(problem: str, key: Key, reference: tuple[str, Run], other: tuple[str, Run]) -> Finding:
    return Finding(
        problem,
        key,
        reference[0],
        reference[1].decisions.get(key),
        other[0],
        other[1].decisions.get(key),
    )


# -- the check ----------------------------------------------------------------------------
@dataclass
class CheckReport:
    strategy: str
    start: int
    end: int
    warmup_s: int
    products: int
    decision_times: int = 0
    proposals: int = 0
    cuts: tuple[int, ...] = ()
    settled_from: int | None = None  # the warm-up run's start; None: window too short
    findings: list[Finding] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary, then `no look-ahead found` or one line per finding."""
        warmup = f"warm-up {duration(self.warmup_s)}"
        rechecked = "not re-checked (window too short)"
        if self.settled_from is not None:
            rechecked = f"re-checked from {iso(self.settled_from)}"
        summary = (
            f"check-strategy {self.strategy}: {iso(self.start)} to {iso(self.end)}, "
            f"{self.products} products, {self.decision_times:,} decision times x 2 portfolios "
            f"(flat; holding every product), {self.proposals:,} proposals; "
            f"{len(self.cuts)} cuts; {warmup}, {rechecked}"
        )
        if self.findings:
            count = len(self.findings)
            return [summary, *(f.line for f in self.findings), f"{count} finding(s)"]
        verdict = ["no look-ahead found; decisions settle within the declared warm-up"]
        if not self.proposals:
            verdict.append("note: the strategy proposed nothing here, so nothing was compared")
        return [summary, *verdict]


def check_window(
    dataset: Dataset, warmup_s: int, start: int | None, end: int | None
) -> tuple[int, int]:
    """[start, end) of the check: from the first time after the warm-up (or later), by
    default 7 days, within the data. ValueError when nothing is left."""
    first, last = dataset.span()
    warmed = first + warmup_s
    start = warmed if start is None else max(start, warmed)
    end = min(start + DEFAULT_DAYS * DAY_S if end is None else end, last)
    if end <= start:
        raise ValueError(
            f"no data to check: the data spans {iso(first)} to {iso(last)} and the strategy "
            f"needs {duration(warmup_s)} of warm-up before the first decision"
        )
    return start, end


def cut_points(start: int, end: int, count: int, bar_s: int) -> tuple[int, ...]:
    """`count` bar times spread evenly inside (start, end)."""
    span = end - start
    points = {start + span * i // (count + 1) // bar_s * bar_s for i in range(1, count + 1)}
    return tuple(sorted(p for p in points if start < p < end))


def check_strategy(
    loaded: LoadedConfig,
    name: str,
    dataset: Dataset,
    start: int,
    end: int,
    cuts: int = DEFAULT_CUTS,
) -> CheckReport:
    """The look-ahead and warm-up checks of strategy `name` over [start, end)."""
    check = StrategyCheck(loaded, name, dataset, start)
    report = CheckReport(name, start, end, check.warmup_s, len(dataset.series))
    warm = check.replay.warm(dataset, check.feed_from(start), start)
    full = check.replay.run(warm, dataset, end)
    report.decision_times, report.proposals = full.times, len(full.decisions)
    report.cuts = cut_points(start, end, cuts, dataset.bar_seconds)
    report.findings += check.look_ahead(warm, full, end, report.cuts)
    bar_s = dataset.bar_seconds
    later = start + min(DAY_S, (end - start) // 2 // bar_s * bar_s)
    if later > start:
        report.settled_from = later
        report.findings += check.warm_up(full, start, later, end)
    return report


class StrategyCheck:
    """The runs of one check: the strategy's replay with its portfolios (the `held` one
    priced before `start`), and where each run starts feeding."""

    def __init__(self, loaded: LoadedConfig, name: str, dataset: Dataset, start: int) -> None:
        cls = loaded.plugins[name].cls
        self.dataset = dataset
        self.warmup_s = declared_warmup(cls)
        self.align_s = max(
            (timeframe_seconds(tf) for tf in cls.timeframes), default=dataset.bar_seconds
        )
        quote = loaded.universe.quote_currency
        portfolios = constant_portfolios(dataset, quote, name, start)
        self.replay = Replay(loaded, name, portfolios)

    def feed_from(self, first_decision: int) -> int:
        """Where a run deciding from `first_decision` starts feeding: its warm-up before,
        down to a multiple of the longest timeframe."""
        return (first_decision - self.warmup_s) // self.align_s * self.align_s

    def look_ahead(self, warm: Warm, full: Run, end: int, cuts: tuple[int, ...]) -> list[Finding]:
        """One finding per cut whose run decided differently before it."""
        found = []
        with_all = (f"with the data to {iso(end)}", full)
        for cut in cuts:
            truncated = self.replay.run(warm, self.dataset.before(cut), cut)
            key = first_difference(full.decisions, truncated.decisions, warm.start, cut)
            if key is not None:
                cut_off = (f"with the data cut at {iso(cut)}", truncated)
                found.append(finding("look-ahead", key, with_all, cut_off))
        return found

    def warm_up(self, full: Run, start: int, later: int, end: int) -> list[Finding]:
        """A finding when a run deciding from `later` differs from the full run."""
        warm = self.replay.warm(self.dataset, self.feed_from(later), later)
        late = self.replay.run(warm, self.dataset, end)
        key = first_difference(full.decisions, late.decisions, later, end, tolerant=True)
        if key is None:
            return []
        early_feed = (f"fed from {iso(self.feed_from(start))}", full)
        since = f"fed from {iso(self.feed_from(later))}, the declared warm-up before {iso(later)}"
        return [finding("unsettled state", key, early_feed, (since, late))]

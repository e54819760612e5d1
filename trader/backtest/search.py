"""Walk-forward parameter search (BT-5): the search file, its candidates, its windows, and
the ranking — everything but running the backtests (`search_run.py`).

A search file (YAML):

    params:                        # dotted keys into the configuration files
      strategies.rules.min_conviction: [0.3, 0.4, 0.5]
      strategies.rules.default_exits.stop_loss_pct: [2, 3]
    method: grid                   # grid: every combination; random: `samples` of them
    samples: 20                    # random only
    seed: 7                        # random only: the same seed draws the same candidates
    windows: {train_days: 14, test_days: 7}   # rolled by test_days across the span
    rank_by: return_pct            # or sharpe

Each candidate (one value per parameter) is backtested once over the whole span; its
windows are slices of that one run's equity: `train` the window a choice is made on,
`test` the unseen window after it. Candidates are ranked by their out-of-sample result
only (the test windows, compounded); the walk-forward line takes, for each window, the
candidate best on its train slice and books what that candidate did in the next test
slice — the honest estimate of choosing parameters this way. Statistics are Decimal.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import Field, ValidationError, field_validator, model_validator

from trader.backtest.stats import EquityPoint, periods_per_year, sharpe
from trader.config.base import Strict
from trader.config.files import FileProblem, parse_yaml, read_text
from trader.config.loader import OVERRIDABLE

DAY_S = 86400
HUNDRED = Decimal(100)
ParamValue = bool | int | float | str


class Windows(Strict):
    train_days: float = Field(gt=0, le=3650)
    test_days: float = Field(gt=0, le=3650)


class SearchSpec(Strict):
    """A search file, checked (unknown keys refused, every parameter named by file)."""

    params: dict[str, list[ParamValue]] = Field(min_length=1)
    method: Literal["grid", "random"] = "grid"
    samples: int = Field(20, ge=1, le=100000)
    seed: int = Field(7, ge=0, le=2**63)
    windows: Windows
    rank_by: Literal["return_pct", "sharpe"] = "return_pct"

    @field_validator("params")
    @classmethod
    def _named_by_file(cls, value: dict[str, list[ParamValue]]) -> dict[str, list[ParamValue]]:
        for key, values in value.items():
            head, _, rest = key.partition(".")
            if head not in OVERRIDABLE or not rest:
                raise ValueError(
                    f"{key!r}: name a key of one file, e.g. strategies.rules.min_conviction "
                    f"(files: {', '.join(OVERRIDABLE)})"
                )
            if not values:
                raise ValueError(f"{key!r}: give at least one value")
        return value

    @model_validator(mode="after")
    def _not_too_many(self) -> SearchSpec:
        if self.method == "grid" and self.grid_size() > 100000:
            raise ValueError(f"the grid has {self.grid_size()} candidates; use method: random")
        return self

    def grid_size(self) -> int:
        size = 1
        for values in self.params.values():
            size *= len(values)
        return size


class SearchFileError(ValueError):
    """The search file cannot be used; the message names the file and the key."""


def load_spec(path: Path) -> SearchSpec:
    """The search file read as a configuration file is (`config.files`: a regular file
    only, never waited on, UTF-8, duplicate keys refused)."""
    text = read_text(path)
    if isinstance(text, FileProblem):
        raise SearchFileError(f"{path}: {text.reason}")
    raw = parse_yaml(text)
    if isinstance(raw, FileProblem):
        raise SearchFileError(f"{path}: {raw.where}: {raw.reason}")
    if not isinstance(raw, dict):
        raise SearchFileError(f"{path}: expected a mapping with params and windows")
    try:
        return SearchSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(file)"
        raise SearchFileError(f"{path}: {where}: {first['msg']}") from None


def candidates(spec: SearchSpec) -> list[dict[str, ParamValue]]:
    """The parameter sets to try, in a fixed order (a seed's draw for `random`)."""
    keys = sorted(spec.params)
    grid = itertools.product(*(spec.params[k] for k in keys))
    if spec.method == "grid":
        return [dict(zip(keys, combo, strict=True)) for combo in grid]
    rng = random.Random(spec.seed)
    total = spec.grid_size()
    picks = rng.sample(range(total), min(spec.samples, total))
    return [_nth(spec, keys, index) for index in picks]


def _nth(spec: SearchSpec, keys: Sequence[str], index: int) -> dict[str, ParamValue]:
    """The `index`-th combination of the grid (last key fastest), without building it."""
    chosen: dict[str, ParamValue] = {}
    for key in reversed(keys):
        values = spec.params[key]
        index, position = divmod(index, len(values))
        chosen[key] = values[position]
    return {k: chosen[k] for k in keys}


def candidate_id(params: Mapping[str, ParamValue], context: str) -> str:
    """A short stable id of one candidate in one search (its params and the run's data,
    window and configuration, `context`)."""
    blob = orjson.dumps({"params": dict(params), "context": context}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Window:
    train: tuple[int, int]
    test: tuple[int, int]


def walk_windows(start: int, end: int, windows: Windows) -> list[Window]:
    """Train then test, rolled by the test length until the test would pass `end`."""
    train, test = int(windows.train_days * DAY_S), int(windows.test_days * DAY_S)
    out: list[Window] = []
    at = start
    while at + train + test <= end:
        out.append(Window((at, at + train), (at + train, at + train + test)))
        at += test
    return out


def slice_metric(
    equity: Sequence[tuple[int, Decimal]], span: tuple[int, int], by: str
) -> Decimal | None:
    """`return_pct` (last over first equity of the slice) or `sharpe` (of its points)."""
    points = [EquityPoint(t, e) for t, e in equity if span[0] <= t <= span[1]]
    if len(points) < 2 or points[0].equity <= 0:
        return None
    if by == "return_pct":
        return ((points[-1].equity / points[0].equity - 1) * HUNDRED).quantize(Decimal("0.0001"))
    if len(points) < 3:
        return None
    found = sharpe(points, periods_per_year(points))
    return None if found is None else found.quantize(Decimal("0.0001"))


def compounded_pct(returns: Sequence[Decimal | None]) -> Decimal | None:
    if not returns or any(r is None for r in returns):
        return None
    growth = Decimal(1)
    for r in returns:
        assert r is not None
        growth *= 1 + r / HUNDRED
    return ((growth - 1) * HUNDRED).quantize(Decimal("0.0001"))


def rank(
    results: Mapping[str, dict[str, Any]], windows: Sequence[Window], by: str
) -> dict[str, Any]:
    """`results`: candidate id → {"params", "equity": [(t, equity)], ...}. Per candidate the
    in-sample (mean over train slices) and out-of-sample (the test slices compounded for
    return_pct, their mean for sharpe) figures, ranked by out-of-sample only; and the
    walk-forward choice window by window."""
    table = []
    for cid, result in sorted(results.items()):
        equity = result["equity"]
        train = [slice_metric(equity, w.train, by) for w in windows]
        test = [slice_metric(equity, w.test, "return_pct") for w in windows]
        gross = [slice_metric(result["gross_equity"], w.test, "return_pct") for w in windows]
        table.append(
            {
                "id": cid,
                "params": result["params"],
                "in_sample": _mean(train),
                "out_of_sample_pct": compounded_pct(test),
                "out_of_sample_before_fees_pct": compounded_pct(gross),
                "trades": result.get("trades"),
                "halted_at": halted_at(result),
            }
        )
    table.sort(key=_by_out_of_sample)
    walk = [_choose(results, window, by) for window in windows]
    return {
        "rank_by": by,
        "candidates": table,
        "walk_forward": walk,
        "walk_forward_pct": compounded_pct([step["test_pct"] for step in walk]),
        "walk_forward_before_fees_pct": compounded_pct(
            [step["test_before_fees_pct"] for step in walk]
        ),
    }


def halted_at(result: Mapping[str, Any]) -> float | None:
    """When the candidate's run was first halted (its equity is flat from then on: a
    halted run trades no more), or None."""
    halts = result.get("halts") or []
    return min((float(h["time"]) for h in halts), default=None)


def _by_out_of_sample(row: dict[str, Any]) -> tuple[bool, Decimal, str]:
    """Best out-of-sample first; unknown last; ties by id."""
    found = row["out_of_sample_pct"]
    return found is None, -(found or Decimal(0)), row["id"]


def _choose(results: Mapping[str, dict[str, Any]], window: Window, by: str) -> dict[str, Any]:
    scored = [
        (score, cid)
        for cid, result in sorted(results.items())
        if (score := slice_metric(result["equity"], window.train, by)) is not None
    ]
    if not scored:
        return {"train": window.train, "test": window.test, "chosen": None, "halted": False,
                "train_score": None, "test_pct": None, "test_before_fees_pct": None}  # fmt: skip
    best_score = max(score for score, _ in scored)
    best = min(cid for score, cid in scored if score == best_score)  # ties: the smallest id
    halted = halted_at(results[best])
    return {
        "train": window.train,
        "test": window.test,
        "chosen": best,
        "halted": halted is not None and halted < window.test[1],
        "train_score": best_score,
        "test_pct": slice_metric(results[best]["equity"], window.test, "return_pct"),
        "test_before_fees_pct": slice_metric(
            results[best]["gross_equity"], window.test, "return_pct"
        ),
    }


def _mean(values: Sequence[Decimal | None]) -> Decimal | None:
    known = [v for v in values if v is not None]
    if not known:
        return None
    return (sum(known, Decimal(0)) / len(known)).quantize(Decimal("0.0001"))

"""The traded products' rules, kept current (EX-4).

Increments, size limits and status flags are read at start and then again every
`exchange.product_rules_interval_s`, and at once (no sooner than `MIN_GAP_S` after the last
read) when the venue refuses an order by them. A change is applied in place to the rules
every part of the daemon reads (the decision core, the order manager's quantizer, the
paper exchange's engine), so the next order is sized and priced by the new rules; each
change is one `product_rules_changed` line with the fields that moved.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Final, Protocol

import structlog

from trader.core.types import ProductRules
from trader.exchange.errors import ExchangeError

log = structlog.get_logger("trader.trading")

MIN_GAP_S: Final = 5.0  # refusals in a burst are one read


class ProductSource(Protocol):
    async def products(self, product_ids: Sequence[str] = ()) -> list[ProductRules]: ...


class RulesWatch:
    def __init__(
        self,
        source: ProductSource,
        rules: dict[str, ProductRules],
        interval_s: float,
    ) -> None:
        """`rules`: the traded products' rules, shared with everything that reads them."""
        self._source = source
        self.rules = rules
        self._interval_s = interval_s
        self._asked = asyncio.Event()
        self.changed: list[Callable[[ProductRules], None]] = []  # told of each new rule set

    def refused(self, product_id: str) -> None:
        """The venue refused an order of `product_id` by its rules: read them again soon."""
        if product_id in self.rules and not self._asked.is_set():
            log.warning("product_rules_read_again", product_id=product_id, why="order refused")
            self._asked.set()

    async def keep_current(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s):
                    await self._asked.wait()
            self._asked.clear()
            try:
                await self.refresh()
            except ExchangeError as exc:  # the rules in force stay; read again next time
                log.warning("product_rules_unavailable", error=str(exc)[:300])
            await asyncio.sleep(MIN_GAP_S)

    async def refresh(self) -> list[str]:
        """Read the traded products' rules; apply and return the ids of those that changed.
        A traded product the venue no longer lists keeps its last rules (its orders are
        refused, which the exit backoff reports)."""
        fresh = {p.product_id: p for p in await self._source.products(list(self.rules))}
        missing = sorted(set(self.rules) - set(fresh))
        if missing:
            log.warning("product_rules_missing", product_ids=missing)
        changed = []
        for product_id, new in fresh.items():
            old = self.rules.get(product_id)
            if old is None or old == new:
                continue
            self.rules[product_id] = new
            changed.append(product_id)
            log.warning("product_rules_changed", product_id=product_id, **_moved(old, new))
            for listener in self.changed:
                listener(new)
        return changed


def _moved(old: ProductRules, new: ProductRules) -> dict[str, str]:
    """Each field that differs, as `old -> new`."""
    moved = {}
    for field in fields(ProductRules):
        before, after = getattr(old, field.name), getattr(new, field.name)
        if before != after:
            moved[field.name] = f"{before} -> {after}"
    return moved

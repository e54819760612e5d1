"""The traded products' rules, kept current (EX-4).

Increments, size limits and status flags are read at start and then again every
`exchange.product_rules_interval_s`, and at once (no sooner than `MIN_GAP_S` after the last
read) when the venue refuses an order by them. A change is applied in place to the rules
every part of the daemon reads (the decision core, the order manager's quantizer, the
paper exchange's engine), so the next order is sized and priced by the new rules; each
change is one `product_rules_changed` line with the fields that moved.

Each read is the venue's whole listing. A traded product missing from it is asked for on
its own route: a 404 there means the venue lists it no more, and its rules are kept with
status `delisted` (`product_delisted`, ERROR, once per episode) — nothing takes an order
for it from then on (see `listing.py`); listed again, its rules are the venue's again
(`product_relisted`). A product the daemon would trade that was not listed at its start
(`choose_products`) is named once (`product_listed`): the traded set is fixed at start, so
trading it takes a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from typing import Final, Protocol

import structlog

from trader.core.types import ProductRules
from trader.exchange.errors import ExchangeError, ExchangeHttpError

log = structlog.get_logger("trader.trading")

MIN_GAP_S: Final = 5.0  # refusals in a burst are one read
DELISTED: Final = "delisted"  # the status of a traded product the venue lists no more


class ProductSource(Protocol):
    async def products(self, product_ids: Sequence[str] = ()) -> list[ProductRules]: ...

    async def product(self, product_id: str) -> ProductRules: ...


Chooser = Callable[[Sequence[ProductRules]], Sequence[ProductRules]]


class RulesWatch:
    def __init__(
        self,
        source: ProductSource,
        rules: dict[str, ProductRules],
        interval_s: float,
        chooser: Chooser = lambda listed: (),
    ) -> None:
        """`rules`: the traded products' rules, shared with everything that reads them;
        `chooser`: the products the daemon would trade out of a listing."""
        self._source = source
        self.rules = rules
        self._interval_s = interval_s
        self._chooser = chooser
        self._named_new: set[str] = set()  # new listings named already
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
        """Read the listing; apply and return the ids of the traded products whose rules
        changed (a delisting is a change of status)."""
        listed = await self._source.products()
        fresh = {p.product_id: p for p in listed if p.product_id in self.rules}
        for product_id in sorted(set(self.rules) - set(fresh)):
            unlisted = await self._unlisted(product_id)
            if unlisted is not None:
                fresh[product_id] = unlisted
        self._name_new(listed)
        changed = []
        for product_id, new in fresh.items():
            old = self.rules[product_id]
            if old == new:
                continue
            self.rules[product_id] = new
            changed.append(product_id)
            log.warning("product_rules_changed", product_id=product_id, **_moved(old, new))
            _log_listing(old, new)
            for listener in self.changed:
                listener(new)
        return changed

    async def _unlisted(self, product_id: str) -> ProductRules | None:
        """A traded product missing from the listing: its own route's rules; not found
        there either (404): its last rules, status `delisted`; no answer: None (the rules
        in force stay until a read tells)."""
        try:
            return await self._source.product(product_id)
        except ExchangeHttpError as exc:
            if exc.status == 404:
                return replace(self.rules[product_id], status=DELISTED)
            error = str(exc)
        except ExchangeError as exc:
            error = str(exc)
        log.warning("product_listing_unknown", product_id=product_id, error=error[:300])
        return None

    def _name_new(self, listed: Sequence[ProductRules]) -> None:
        """Name once each product the daemon would trade now that it does not."""
        for rules in self._chooser(listed):
            product_id = rules.product_id
            if product_id not in self.rules and product_id not in self._named_new:
                self._named_new.add(product_id)
                log.warning(
                    "product_listed",
                    product_id=product_id,
                    action="the traded products are chosen at start: restart to trade it",
                )


def _log_listing(old: ProductRules, new: ProductRules) -> None:
    if new.status == DELISTED and old.status != DELISTED:
        log.error(
            "product_delisted",
            product_id=new.product_id,
            problem="the venue lists it no more: no entries, no exits; a position in it is"
            " the operator's",
        )
    elif old.status == DELISTED and new.status != DELISTED:
        log.warning("product_relisted", product_id=new.product_id, status=new.status)


def _moved(old: ProductRules, new: ProductRules) -> dict[str, str]:
    """Each field that differs, as `old -> new`."""
    moved = {}
    for field in fields(ProductRules):
        before, after = getattr(old, field.name), getattr(new, field.name)
        if before != after:
            moved[field.name] = f"{before} -> {after}"
    return moved

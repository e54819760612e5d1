"""Traded products the venue lists no more, and the positions left in them (EX-4).

`RulesWatch` (`product_rules.py`) finds a delisting (gone from the listing, 404 on its own
route) and gives the product's rules status `delisted`; from there every mode acts alike,
on that one status: the universe excludes the product and risk refuses entries in it (its
status is not `online`), the order manager sends nothing for it, and no exit is tried —
the venue takes no order for a product it does not list, and a refused exit at every
check would only back off into `exit_rejected` and stop the other products' entries. The
market-data service stops following it (not subscribed, polled nor repaired; the other
products' data stays fresh).

A position held in a delisted product is the operator's: one ERROR line
`delisted_position_left` names product and size (again if the size moves),
`trader_delisted_position{product}` holds the size (0: delisted, nothing held), and
`/readyz` names it while it is held. Listed again, the product is traded again and its
gauge removed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

import structlog

from trader.core.types import ProductRules
from trader.desk.product_rules import DELISTED
from trader.ops.metrics import Metrics

log = structlog.get_logger("trader.trading")

ZERO: Final = Decimal(0)


def delisted(rules: ProductRules | None) -> bool:
    return rules is not None and rules.status == DELISTED


class DelistedProducts:
    def __init__(self, metrics: Metrics) -> None:
        self._gauge = metrics.gauge(
            "trader_delisted_position",
            "base size held in a traded product the venue lists no more (0: none held)",
            ["product"],
        )
        self.held: dict[str, Decimal] = {}  # delisted product -> the size last reported

    def changed(self, rules: ProductRules) -> None:
        """A `RulesWatch` listener: the product's rules moved (delisted, or back)."""
        product_id = rules.product_id
        if delisted(rules):
            self.held.setdefault(product_id, ZERO)
            self._gauge.labels(product=product_id).set(0)
        elif self.held.pop(product_id, None) is not None:
            with contextlib.suppress(KeyError):
                self._gauge.remove(product_id)

    def observe(self, positions: Mapping[str, Decimal]) -> None:
        """The sizes held now (each cycle): a delisted product's position is reported when
        first seen and when its size moves."""
        for product_id, reported in self.held.items():
            size = positions.get(product_id, ZERO)
            if size == reported:
                continue
            self.held[product_id] = size
            self._gauge.labels(product=product_id).set(float(size))
            if size > 0:
                log.error(
                    "delisted_position_left",
                    product_id=product_id,
                    size=str(size),
                    problem="the venue lists the product no more and takes no order for it:"
                    " no exit is tried; the position is the operator's",
                )

    def problems(self) -> list[str]:
        return [
            f"{product_id} delisted by the venue with {size} held: no exit is possible,"
            " the position is the operator's"
            for product_id, size in sorted(self.held.items())
            if size > 0
        ]

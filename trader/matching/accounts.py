"""Balances and holds per currency, moved exactly in Decimal (SIM-1).

`total` is what the account owns; `hold` is reserved by resting orders; available is the
difference. Fills move totals; holds follow each order's outstanding requirement.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from trader.core.types import Side
from trader.matching.types import Balance

ZERO: Final = Decimal(0)


class Accounts:
    def __init__(self, opening: dict[str, Decimal], currencies: set[str]) -> None:
        self.total: dict[str, Decimal] = {c: ZERO for c in currencies}
        self.total.update(opening)
        self.hold: dict[str, Decimal] = {c: ZERO for c in self.total}
        self.moves = 0  # holds changed or fills settled so far (readers cache against it)

    def available(self, currency: str) -> Decimal:
        return self.total.get(currency, ZERO) - self.hold.get(currency, ZERO)

    def change_hold(self, currency: str, delta: Decimal) -> None:
        self.moves += 1
        self.hold[currency] = self.hold.get(currency, ZERO) + delta
        self.total.setdefault(currency, ZERO)

    def settle(
        self, side: Side, base: str, quote: str, size: Decimal, value: Decimal, fee: Decimal
    ) -> None:
        """Move one fill: a BUY pays value + fee in quote; a SELL receives value − fee."""
        self.moves += 1
        if side is Side.BUY:
            self.total[quote] = self.total.get(quote, ZERO) - value - fee
            self.total[base] = self.total.get(base, ZERO) + size
        else:
            self.total[base] = self.total.get(base, ZERO) - size
            self.total[quote] = self.total.get(quote, ZERO) + value - fee

    def balances(self) -> list[Balance]:
        return [
            Balance(c, self.total[c] - self.hold.get(c, ZERO), self.hold.get(c, ZERO))
            for c in sorted(self.total)
        ]

"""Price exits read off an outlier wait for a second reading (R-2).

A stop-loss, trailing stop or take-profit whose firing price (the bid) is an outlier against
the product's last closed candle — the band the entry guard uses (`risk/checks.py`):
|ln(bid / last close)| > `outlier_sigma_k` * max(sigma, 1e-4) — may be one glitched quote
of the venue's data, which on a quiet product stays the latest quote until the next trade.
Such an exit is not sent on that reading alone. It waits, per product, until:

- a fresh quote (its own time later than the quote that first fired it) fires an exit on the
  same side again (stop or trailing stop below, take-profit above): sent;
- a closed candle newer than the one known when it first fired agrees: its low at or below
  the threshold (stop, trailing stop), its high at or above it (take-profit): sent;
- a reading inside the band fires it (a candle that closed at the new level moved the band):
  sent;
- `policy.exit_confirm_max_s` has passed since it first fired: sent unconfirmed;
- a reading fires no price exit (the glitch is gone) or the position is gone: dismissed.

A product without a last close or a sigma cannot be checked against the band: its price
exits wait the same way (the entry guard refuses such a product for the same reason).
Max hold never waits, and an exit inside the band is sent at once. `exit_confirm_max_s` 0
sends every exit at once. The band test uses floats as the entry guard does (near the band
the exact Decimal logarithm decides); the prices compared with the thresholds are Decimal.

The memory lives in the decision core (`pipeline/decide.py`): DRY_RUN, PAPER, LIVE and the
backtest hold and confirm alike. Each start and end of a wait is handed to `listeners`
(the daemon logs and counts them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from trader.config.policy import PolicyConfig
from trader.core.decision import ExitReason
from trader.core.market import ProductMarket
from trader.risk.checks import beyond_band, outlier_band


class Outcome(StrEnum):
    WAITING = "waiting"
    CONFIRMED_BY_QUOTE = "confirmed_by_quote"
    CONFIRMED_BY_CANDLE = "confirmed_by_candle"
    WITHIN_BAND = "within_band"
    SENT_UNCONFIRMED = "sent_unconfirmed"
    DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class HeldExit:
    """A price exit waiting for confirmation: what fired it, against which band, since when.
    `band` and `last_close` are None when the product has no last close or sigma."""

    product_id: str
    reason: ExitReason
    price: Decimal
    threshold: Decimal
    last_close: Decimal | None
    band: float | None
    quote_time: float
    since: float
    candle_start: int | None


@dataclass(frozen=True, slots=True)
class ExitWait:
    """One event of a wait: it began (`WAITING`) or ended with `outcome` at `at`."""

    held: HeldExit
    outcome: Outcome
    at: float


def waiting_fields(held: HeldExit, policy: PolicyConfig) -> dict[str, str]:
    """What the `exit_unconfirmed` line says: the product, the exit, the price that fired
    it, the last close and the band around it (prices, rounded for reading), the wait."""
    if held.last_close is None or held.band is None:
        band = "none: no last close or sigma to check the price by"
    else:
        close = float(held.last_close)
        band = f"{close * math.exp(-held.band):.6g}..{close * math.exp(held.band):.6g}"
    return {
        "product_id": held.product_id,
        "reason": held.reason.value,
        "price": str(held.price),
        "threshold": str(held.threshold),
        "last_close": str(held.last_close),
        "band": band,
        "waits_up_to_s": f"{policy.exit_confirm_max_s:g}",
    }


def _upward(reason: ExitReason) -> bool:
    return reason is ExitReason.TAKE_PROFIT


def _outlier(
    price: Decimal, product: ProductMarket | None, policy: PolicyConfig
) -> tuple[Decimal | None, float | None] | None:
    """(last close, band) when `price` cannot be believed on its own: beyond the band of
    the last close, or no last close or sigma to check it by (both None then); None when
    it is inside the band."""
    if product is None or product.last_close is None or product.sigma is None:
        return None, None
    close = product.last_close
    if close <= 0:
        return None, None
    band = outlier_band(product.sigma, policy)
    return None if beyond_band(price, close, band) is None else (close, band)


def _candle_agrees(held: HeldExit, threshold: Decimal, product: ProductMarket | None) -> bool:
    """A candle closed since the wait began traded at or through `threshold`."""
    candle = None if product is None else product.last_candle
    if candle is None or (held.candle_start is not None and candle.start <= held.candle_start):
        return False
    if _upward(held.reason):
        return candle.high >= threshold
    return candle.low <= threshold


class ExitConfirmation:
    """The products whose price exit waits for confirmation, by product id."""

    def __init__(self) -> None:
        self.pending: dict[str, HeldExit] = {}
        self.listeners: list[Callable[[ExitWait], None]] = []

    def dismiss(self, product_id: str, now: float) -> None:
        """The product's reading fires no price exit (or it is not held): its wait ends."""
        held = self.pending.pop(product_id, None)
        if held is not None:
            self._tell(held, Outcome.DISMISSED, now)

    def keep_only(self, held_products: Collection[str], now: float) -> None:
        """Dismiss the waits of products no longer held."""
        for product_id in [p for p in self.pending if p not in held_products]:
            self.dismiss(product_id, now)

    def send(
        self,
        product_id: str,
        found: tuple[ExitReason, Decimal],
        price: Decimal,
        product: ProductMarket | None,
        now: float,
        policy: PolicyConfig,
    ) -> bool:
        """Whether the price exit `found` (reason, threshold), fired by `price` from the
        product's quote, is sent now; False: it waits (see the module text)."""
        reason, threshold = found
        held = self.pending.get(product_id)
        if held is not None and _upward(held.reason) != _upward(reason):
            self.dismiss(product_id, now)
            held = None
        outside = None if policy.exit_confirm_max_s <= 0 else _outlier(price, product, policy)
        quote = None if product is None else product.quote
        quote_time = now if quote is None else quote.time
        if outside is None:
            if held is not None:
                newer = quote_time > held.quote_time
                outcome = Outcome.CONFIRMED_BY_QUOTE if newer else Outcome.WITHIN_BAND
                self._end(product_id, outcome, now)
            return True
        if held is None:
            candle = None if product is None else product.last_candle
            held = HeldExit(
                product_id, reason, price, threshold, outside[0], outside[1], quote_time, now,
                None if candle is None else candle.start,
            )  # fmt: skip
            self.pending[product_id] = held
            self._tell(held, Outcome.WAITING, now)
            return False
        confirmed = self._confirmation(held, threshold, quote_time, product, now, policy)
        if confirmed is None:
            return False
        self._end(product_id, confirmed, now)
        return True

    @staticmethod
    def _confirmation(
        held: HeldExit,
        threshold: Decimal,
        quote_time: float,
        product: ProductMarket | None,
        now: float,
        policy: PolicyConfig,
    ) -> Outcome | None:
        if quote_time > held.quote_time:
            return Outcome.CONFIRMED_BY_QUOTE
        if _candle_agrees(held, threshold, product):
            return Outcome.CONFIRMED_BY_CANDLE
        if now - held.since >= policy.exit_confirm_max_s:
            return Outcome.SENT_UNCONFIRMED
        return None

    def _end(self, product_id: str, outcome: Outcome, now: float) -> None:
        held = self.pending.pop(product_id)
        self._tell(held, outcome, now)

    def _tell(self, held: HeldExit, outcome: Outcome, now: float) -> None:
        event = ExitWait(held, outcome, now)
        for listener in self.listeners:
            listener(event)


@dataclass(frozen=True, slots=True)
class ExitScreen:
    """The confirmation memory bound to one step's products and policy (`exits_due`)."""

    confirmation: ExitConfirmation
    products: Mapping[str, ProductMarket]
    policy: PolicyConfig

    @property
    def waiting(self) -> bool:
        return bool(self.confirmation.pending)

    def send(
        self, product_id: str, found: tuple[ExitReason, Decimal], price: Decimal, now: float
    ) -> bool:
        product = self.products.get(product_id)
        return self.confirmation.send(product_id, found, price, product, now, self.policy)

    def dismiss(self, product_id: str, now: float) -> None:
        self.confirmation.dismiss(product_id, now)

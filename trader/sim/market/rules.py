"""Realistic product rules for generated and replayed products (SIM-1).

Increments follow the price level the way Coinbase lists them: the quote increment gives
about 5 significant digits (never coarser than 0.01), the base increment is about 1e-4 of
quote value per step (never finer than 1e-8, never coarser than 1). Replays prefer the real
rules from a recorded `GET /products` response when one is available.
"""

from __future__ import annotations

from decimal import Decimal

from trader.core.types import ProductRules

MAX_QUOTE_INCREMENT = Decimal("0.01")


def _power_of_ten(exponent: int) -> Decimal:
    return Decimal(1).scaleb(exponent)


def magnitude(price: Decimal) -> int:
    """floor(log10(price)) for a positive price."""
    if price <= 0:
        raise ValueError(f"price must be positive, got {price}")
    return price.adjusted()


def rules_for_price(product_id: str, price: Decimal) -> ProductRules:
    """Generated rules for a product trading around `price`."""
    base, _, quote = product_id.partition("-")
    exp = magnitude(price)
    quote_increment = min(MAX_QUOTE_INCREMENT, _power_of_ten(exp - 4))
    base_increment = _power_of_ten(max(-8, min(0, -exp - 4)))
    max_base = (Decimal(200_000_000) / price).quantize(Decimal(1))
    return ProductRules(
        product_id=product_id,
        base_currency=base,
        quote_currency=quote,
        base_increment=base_increment,
        quote_increment=quote_increment,
        base_min_size=base_increment,
        base_max_size=max(max_base, Decimal(1)),
        quote_min_size=Decimal(1),
        quote_max_size=Decimal(150_000_000),
    )


def pick_rules(
    product_id: str, price: Decimal, recorded: dict[str, ProductRules] | None
) -> ProductRules:
    """Recorded rules for `product_id` when known and fine enough for `price`, else generated.

    Recorded (2026) increments can be too coarse for old prices; they are used only when the
    price sits on their quote grid.
    """
    real = (recorded or {}).get(product_id)
    if real is not None and price % real.quote_increment == 0:
        return real
    return rules_for_price(product_id, price)

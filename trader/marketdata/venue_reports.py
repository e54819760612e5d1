"""Stream data the market-data service refused, counted and named (EX-2): messages for a
product not subscribed (each product named once) and crossed or locked touches (each
product named once per episode, until a sound ticker of it arrives)."""

from __future__ import annotations

import structlog
from prometheus_client import Counter

from trader.marketdata.live import LiveMarket

log = structlog.get_logger("trader.exchange")


class VenueDataReports:
    def __init__(self, live: LiveMarket, errors: Counter, subscribed: int) -> None:
        """`errors`: `trader_venue_data_errors_total{kind}`; `subscribed`: how many products
        the stream follows (for the log line)."""
        self._live = live
        self._errors = errors
        self._subscribed = subscribed
        self._unknown_counted = 0
        self._unknown_named: set[str] = set()
        self._crossed_named: set[str] = set()  # products in an episode of crossed touches

    def report(self) -> None:
        self._report_unknown()
        self._report_crossed()

    def _report_unknown(self) -> None:
        """Count stream messages for products not subscribed; name each product once."""
        live = self._live
        if live.unknown_products == self._unknown_counted:
            return
        self._errors.labels(kind="unsubscribed_product").inc(
            live.unknown_products - self._unknown_counted
        )
        self._unknown_counted = live.unknown_products
        for product_id in sorted(live.unknown_ids - self._unknown_named):
            self._unknown_named.add(product_id)
            log.warning(
                "market_data_unsubscribed_product",
                product=product_id[:64],
                subscribed=self._subscribed,
                problem="the stream sent data for a product not subscribed; not applied",
            )

    def _report_crossed(self) -> None:
        """Count crossed touches refused; name each product once per episode."""
        live = self._live
        for product_id, count in live.crossed.items():
            self._errors.labels(kind="crossed_touch").inc(count)
            if product_id not in self._crossed_named:
                self._crossed_named.add(product_id)
                log.warning(
                    "market_data_crossed_touch",
                    product=product_id,
                    refused=count,
                    problem="best bid at or above best ask; not applied, no quote until sound",
                )
        live.crossed.clear()
        self._crossed_named &= live.crossed_now  # a sound ticker since: that episode ended

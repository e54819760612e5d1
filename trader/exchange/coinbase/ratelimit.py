"""Client-side token buckets and full-jitter backoff (EX-1).

Buckets are per class of endpoint (private 30/s, public 10/s by default, configurable as a
share of the account's budget) and export their headroom (free fraction) as a gauge read at
scrape time: an idle bucket refills while nobody calls, and the gauge shows it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import Gauge


class TokenBucket:
    """`rate` tokens per second, burst of half a second's worth: requests released in a
    burst reach the venue bunched closer than they left, and the venue's own bucket (one
    second's worth) must still have room for them — else every start meets a 429."""

    def __init__(
        self, name: str, rate: float, headroom: Gauge, clock: Callable[[], float] | None = None
    ) -> None:
        if rate <= 0:
            raise ValueError(f"bucket {name}: rate must be positive")
        self.name = name
        self.rate = rate
        self.capacity = max(1.0, rate / 2)
        self._tokens = self.capacity
        self._clock = clock
        self._stamp: float | None = None
        headroom.labels(bucket=name).set_function(lambda: self.headroom)

    def _now(self) -> float:
        return self._clock() if self._clock else time.monotonic()

    def _refill(self) -> None:
        now = self._now()
        if self._stamp is not None:
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    @property
    def headroom(self) -> float:
        """The free fraction now (what the gauge shows at each scrape)."""
        self._refill()
        return max(0.0, self._tokens) / self.capacity

    async def acquire(self) -> None:
        """Take one token, sleeping until one is available (never blocks the loop)."""
        while True:
            self._refill()
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return
            await asyncio.sleep((1.0 - self._tokens) / self.rate)

    def penalize(self) -> None:
        """The venue said 429: spend the whole burst so the next calls slow down."""
        self._refill()
        self._tokens = min(self._tokens, 0.0)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Full-jitter exponential backoff for reads: sleep U(0, min(cap, base·2^n))."""

    attempts: int = 5
    base_s: float = 0.25
    cap_s: float = 8.0
    budget_s: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0.0, min(self.cap_s, self.base_s * (2**attempt)))

"""Token-bucket rate limits like Coinbase's (SIM-1, coinbase-protocol.md §4).

Private endpoints: per API key (30/s by default); public endpoints: per client IP (10/s).
A refused request gets 429 with `x-ratelimit-*` headers; private answers always carry them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class Bucket:
    tokens: float
    updated: float


@dataclass(slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
        }


@dataclass(slots=True)
class RateLimiter:
    """One bucket per identity; capacity = one second of `rate`."""

    rate: float
    clock: Callable[[], float]
    buckets: dict[str, Bucket] = field(default_factory=dict)

    def take(self, identity: str) -> Verdict:
        now = self.clock()
        bucket = self.buckets.get(identity)
        if bucket is None:
            bucket = self.buckets[identity] = Bucket(tokens=self.rate, updated=now)
        bucket.tokens = min(self.rate, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        reset = math.ceil(now + (self.rate - bucket.tokens) / self.rate)
        return Verdict(allowed, int(self.rate), max(0, int(bucket.tokens)), reset)

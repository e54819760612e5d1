"""What is worked out once from an unchanging object and looked up by that very object
afterwards (PERF-4): whether a product's increment is a power of ten, the universe's tier
plan of a settings object, the triggers a signals setting enables.

Keyed by identity, not equality: "0.01" and "0.010" are equal Decimals but different grids.
Each entry keeps its object alive, so the object's id cannot be taken by another object
while the entry exists. Only for objects that do not change (Decimals, frozen settings).
Bounded: when full, the entries are dropped and worked out again as they are asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Derived(Generic[K, V]):
    """`get(key)` is `make(key)`, made once per key object (at most `limit` kept)."""

    def __init__(self, make: Callable[[K], V], limit: int = 4096) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._make = make
        self._limit = limit
        self._entries: dict[int, tuple[K, V]] = {}

    def get(self, key: K) -> V:
        known = self._entries.get(id(key))
        if known is not None and known[0] is key:
            return known[1]
        value = self._make(key)
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[id(key)] = (key, value)
        return value

    def __len__(self) -> int:
        return len(self._entries)

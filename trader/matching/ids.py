"""Deterministic identifiers (order ids, trade ids, entry ids) from one seeded RNG."""

from __future__ import annotations

import random
import uuid


class IdFactory:
    """uuid4-shaped strings drawn from `random.Random(seed)`: same seed, same id sequence."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def next_uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

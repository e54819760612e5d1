"""Deterministic identifiers (order ids, trade ids, entry ids) from one seeded RNG."""

from __future__ import annotations

import random
from typing import Final

# RFC 4122 version 4: the version nibble (bits 76-79) and the variant's two bits (62-63)
_VERSION_AND_VARIANT: Final = (0xF000 << 64) | (0xC000 << 48)
_VERSION_4: Final = (4 << 76) | (0x8000 << 48)


def uuid4_text(value: int) -> str:
    """`str(uuid.UUID(int=value, version=4))` for a 128-bit `value`, without the `UUID`
    object (three ids per simulated order)."""
    hexed = f"{(value & ~_VERSION_AND_VARIANT) | _VERSION_4:032x}"
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


class IdFactory:
    """uuid4-shaped strings drawn from `random.Random(seed)`: same seed, same id sequence."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def next_uuid(self) -> str:
        return uuid4_text(self._rng.getrandbits(128))

"""SIM-1: the simulated venue's ids are uuid4 text drawn from its seeded RNG — the same
text `uuid.UUID(int=..., version=4)` gives, so a seed's id sequence never changes."""

from __future__ import annotations

import random
import uuid

from hypothesis import given
from hypothesis import strategies as st

from trader.matching.ids import IdFactory, uuid4_text


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_sim1_uuid4_text_is_the_uuid_modules_text(value):
    assert uuid4_text(value) == str(uuid.UUID(int=value, version=4))


def test_sim1_the_edges_of_the_128_bits():
    for value in (0, 1, 2**128 - 1, 0xF000 << 64, 0xC000 << 48, 2**127):
        assert uuid4_text(value) == str(uuid.UUID(int=value, version=4)), hex(value)


def test_sim1_a_seed_draws_the_same_ids_as_the_uuid_module_would():
    rng = random.Random(7)
    want = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(500)]
    ids = IdFactory(7)
    assert [ids.next_uuid() for _ in range(500)] == want

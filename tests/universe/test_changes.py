"""U-1: the exclusion changes between two refreshes are the same whichever way they are
found — the shortcut for an unchanged set of reasons gives what comparing every product
gives, for any two sets (property test)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trader.universe import exclusion_changes
from trader.universe.changes import ExclusionChanges
from trader.universe.filters import Exclusion, ExclusionReason

PRODUCTS = ["A-USD", "B-USD", "C-USD", "D-USD"]
REASONS = [*ExclusionReason, "my_filter", "other_filter"]


def _compared_one_by_one(previous, current) -> ExclusionChanges:
    added = tuple(current[p] for p in sorted(current) if p not in previous)
    changed = tuple(
        current[p]
        for p in sorted(current)
        if p in previous and previous[p].reason != current[p].reason
    )
    readmitted = tuple(p for p in sorted(previous) if p not in current)
    return ExclusionChanges(added=added, changed=changed, readmitted=readmitted)


exclusions = st.dictionaries(
    st.sampled_from(PRODUCTS),
    st.tuples(st.sampled_from(REASONS), st.sampled_from(["", "age 400s", "x"])),
).map(lambda d: {pid: Exclusion(pid, reason, detail) for pid, (reason, detail) in d.items()})


@given(exclusions, exclusions)
def test_u1_changes_are_those_of_comparing_every_product(previous, current):
    assert exclusion_changes(previous, current) == _compared_one_by_one(previous, current)


@given(exclusions)
def test_u1_the_same_reasons_again_are_no_change_whatever_the_detail(previous):
    again = {pid: Exclusion(pid, e.reason, e.detail + " later") for pid, e in previous.items()}
    assert exclusion_changes(previous, again).empty
    assert exclusion_changes(previous, previous).empty

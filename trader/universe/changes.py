"""Exclusion changes between two universe refreshes (U-1: log once per change)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from trader.universe.filters import Exclusion


@dataclass(frozen=True, slots=True)
class ExclusionChanges:
    """`added`: newly excluded; `changed`: excluded for a different reason than before;
    `readmitted`: product ids excluded before and not any more."""

    added: tuple[Exclusion, ...]
    changed: tuple[Exclusion, ...]
    readmitted: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.readmitted)


NO_CHANGES: Final = ExclusionChanges(added=(), changed=(), readmitted=())


def _same_reasons(previous: Mapping[str, Exclusion], current: Mapping[str, Exclusion]) -> bool:
    """The same products excluded for the same reasons (most refreshes)."""
    if len(previous) != len(current):
        return False
    for pid, exclusion in current.items():
        before = previous.get(pid)
        if before is None or before.reason != exclusion.reason:
            return False
    return True


def exclusion_changes(
    previous: Mapping[str, Exclusion], current: Mapping[str, Exclusion]
) -> ExclusionChanges:
    """What to log after a refresh. A change of reason code counts; a change of detail
    (the numbers) alone does not, so a stale product is logged once, not every refresh."""
    if _same_reasons(previous, current):
        return NO_CHANGES
    added = tuple(current[pid] for pid in sorted(current) if pid not in previous)
    changed = tuple(
        current[pid]
        for pid in sorted(current)
        if pid in previous and previous[pid].reason != current[pid].reason
    )
    readmitted = tuple(pid for pid in sorted(previous) if pid not in current)
    return ExclusionChanges(added=added, changed=changed, readmitted=readmitted)

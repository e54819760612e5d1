"""What a SIGHUP reload may adopt (CFG-2): the policy files and the per-cycle settings.

Sections that shape what is built at start — the mode, the venue and its adapter, paths,
the listener, logging, PAPER, execution, recording — and the signal definitions (the
trigger state is built from them) need a restart; a reload that changes one is refused.
"""

from __future__ import annotations

from trader.config.loader import LoadedConfig

RESTART_ONLY_SECTIONS = (
    "mode",
    "exchange",
    "sim",
    "paths",
    "metrics",
    "logging",
    "paper",
    "execution",
    "recording",
)


def needs_restart(running: LoadedConfig, fresh: LoadedConfig) -> list[str]:
    """The sections (and files) `fresh` changes that only a restart can apply."""
    changed = [s for s in RESTART_ONLY_SECTIONS if getattr(fresh.app, s) != getattr(running.app, s)]
    if fresh.signals != running.signals:
        changed.append("signals.yaml")
    return changed

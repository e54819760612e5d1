"""Helpers shared by the subcommands."""

from __future__ import annotations

import sys
from pathlib import Path

from trader.config.loader import ConfigError, LoadedConfig, load_config


def load_or_report(config_file: Path) -> LoadedConfig | None:
    """The validated config, or None after printing every problem to stderr (CFG-1)."""
    try:
        return load_config(config_file)
    except ConfigError as exc:
        for issue in exc.issues:
            print(f"config error: {issue}", file=sys.stderr)
        count = len(exc.issues)
        print(
            f"{count} problem{'s' if count != 1 else ''} found; nothing was started",
            file=sys.stderr,
        )
        return None

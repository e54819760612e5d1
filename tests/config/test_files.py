"""CFG-1: whatever sits where a configuration file should be, `check-config` and `run`
answer with exit 2 and one line naming the file — no traceback, no hang, nothing created.
The class: bytes that are not UTF-8 text, things that are not regular files, YAML that is
hostile (deep, aliased, unhashable or duplicate keys)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.daemon import DaemonDir
from trader.cli import main

Writer = Callable[[Path], None]


def _bytes(data: bytes) -> Writer:
    return lambda path: path.write_bytes(data)


def _text(data: str) -> Writer:
    return lambda path: path.write_text(data, encoding="utf-8")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


def _directory(path: Path) -> None:
    path.mkdir()


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)
HOSTILE: dict[str, tuple[Writer, str]] = {
    "invalid_utf8": (_bytes(b"mode: DRY_RUN\nname: caf\xe9\xff\n"), "not UTF-8"),
    "utf16": (_bytes("mode: DRY_RUN\n".encode("utf-16")), "UTF-16"),
    "latin1_bom_less": (_bytes("cycle:\n  note: \xe9t\xe9\n".encode("latin-1")), "not UTF-8"),
    "unhashable_key": (_text("? [a, b]\n: 1\n"), "a key cannot be a list"),
    "unhashable_map_key": (_text("? {a: 1}\n: 1\n"), "a key cannot be a dict"),
    "deep_list": (_text("a: " + "[" * 10_000 + "]" * 10_000 + "\n"), "nested deeper"),
    "deep_map": (
        _text("".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v\n"),
        "nested deeper",
    ),
    "alias_bomb": (_text(BOMB), "aliases"),
    "duplicate_key": (_text("mode: DRY_RUN\nmode: LIVE\n"), "duplicate key"),
    "fifo": (_fifo, "not a regular file"),
    "symlink_loop": (_loop, "symlink loop"),
    "directory": (_directory, "not a regular file"),
    "huge": (_text("# " + "x" * (2 << 20) + "\n"), "larger than"),
    "binary": (_bytes(bytes(range(256)) * 8), "not UTF-8"),
    "tab_indent": (_text("cycle:\n\tinterval_s: 5\n"), "invalid YAML"),
    "not_a_mapping": (_text("- a\n- b\n"), "must be a mapping"),
}
TARGETS = ("app.yaml", "config/policy.yaml", "config/signals.yaml")


def _hostile_home(tmp_path: Path, kind: str, target: str) -> tuple[DaemonDir, Path, str]:
    home = DaemonDir(tmp_path / "work")
    path = home.root / target
    path.unlink()
    writer, expected = HOSTILE[kind]
    writer(path)
    return home, path, expected


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_cfg1_a_hostile_config_file_is_exit_2_naming_it(tmp_path, capsys, kind, target):
    home, path, expected = _hostile_home(tmp_path, kind, target)
    for command in ("check-config", "run"):
        code = main([command, "--config", str(home.config)])
        captured = capsys.readouterr()
        assert code == 2, (command, captured.err[-1500:])
        named = [line for line in captured.err.splitlines() if path.name in line]
        assert named and any(expected in line for line in named), captured.err
        assert not (home.root / "data").exists() and not (home.root / "logs").exists()


@pytest.mark.parametrize("kind", ["fifo", "alias_bomb", "invalid_utf8", "deep_list"])
def test_cfg1_the_real_command_answers_a_hostile_file_at_once(tmp_path, kind):
    home, path, expected = _hostile_home(tmp_path, kind, "app.yaml")
    for command in ("check-config", "run"):
        result = subprocess.run(
            [sys.executable, "-m", "trader", command, "--config", str(home.config)],
            cwd=home.root,
            env=home.env(),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert expected in result.stderr and path.name in result.stderr
        assert not (home.root / "data").exists()

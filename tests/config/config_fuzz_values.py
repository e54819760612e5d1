"""The hostile values the CFG-1 config fuzz (`test_config_fuzz.py`) writes into the
shipped files: bad numbers, strings, paths and booleans, strange keys, YAML tags and
1.1 surprises, control characters, and an alias bomb. The order of every list is part of
the seeded mutants: changing it changes them.
"""

from __future__ import annotations

from typing import Any

BAD_NUMBERS: list[Any] = [
    -1,
    0,
    -0.0,
    0.5,
    1e-320,
    1e308,
    10**30,
    2**63,
    -(2**63),
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    False,
    None,
    "5",
    "abc",
    "1e3",
    "0x10",
    "",
    [],
    {},
    [1],
]
BAD_STRINGS: list[Any] = [
    "",
    " ",
    "x" * 5000,
    "x" * 200_000,
    "\x00",
    "data\x00x",
    "é",
    "\u202e\u2028",
    "~no-such-user-fuzz/x",
    "~",
    "../..",
    "/proc/self",
    "line1\nline2",
    "NaN",
    "None",
    123,
    -1.5,
    None,
    True,
    [],
    {},
    ["a"],
]
PATH_KEYS = {"data_dir", "log_dir", "db_file", "paper_db_file", "pid_file", "kill_switch_file"}
PATH_KEYS |= {"config_dir", "file", "ca_file", "replay_dir"}
BAD_PATHS: list[Any] = [
    "\x00",
    "data\x00x",
    "~no-such-user-fuzz/x",
    "~",
    "a" * 300,
    "data/" + "b" * 300,
    "x" * 5000,
    "/proc/self/x",
    "/sys/x",
    "/dev/null",
    "line1\nline2",
    "..",
    ".",
    "",
    " ",
    "app.yaml",
    "config",
    "config/policy.yaml",
]
BAD_BOOLS: list[Any] = ["yes", "true", "TRUE", 1, 0, "", None, [], {}, "on"]
WEIRD_KEYS: list[Any] = [
    "",
    " ",
    "mode\n",
    "a\u2028b",
    "ключ",
    "k" * 3000,
    123,
    None,
    True,
    1.5,
    "__class__",
    "api_key",
    "private-key",
    "a.b",
    "[0]",
]
TAG_VALUES = [
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!timestamp 2026-01-01",
    "!!float nan",
    "!!int '12'",
    "!!str 5",
    "!custom x",
    ".nan",
    ".inf",
    "-.inf",
    "0x1F",
    "0o17",
    "1_000",
    "yes",
    "off",
    "~",
    "2026-08-09",
    "12:30:00",
    "[1, 2",
    "{a: 1",
    '"unterminated',
    "*undefined_alias",
    "&anchor_only",
    "|",
    ">-",
]
CONTROL = ["\t", "\x00", "\x07", "\x1b", "\r", "\u2028", "\ufeff", "\x85", "\x7f", "\ud800"]
BOMB = "lol: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"lol{i}: &a{i} [{', '.join(['*a' if i == 0 else f'*a{i - 1}'] * 9)}]\n" for i in range(8)
)

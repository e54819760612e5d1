"""CFG-1 fuzz: the class of bad configuration, not examples.

Starting from what ships (`app.yaml.example` and `config/*.yaml`), a seeded
`random.Random` builds `PER_FILE` mutants of each of the five files, cycling through every
kind of damage: a key deleted, a misspelled or strange key added, a value's type swapped,
numbers set to negative/zero/huge/NaN/inf/bool/strings, strings set to "", very long, NUL,
`~user` or non-ASCII, lists where maps belong and maps where lists belong, deep nesting,
YAML aliases, merge keys, tags and YAML 1.1 surprises, duplicate keys, control characters,
non-UTF-8 bytes, UTF-16, truncation, an empty file, binary garbage, a huge file, a file
that is missing or a directory.

Properties: `load_config` returns a config (with no NaN or infinite number in it) or
raises `ConfigError` — never another exception, never a traceback; each issue is one line
that starts with the file it is about (a policy file's damage is reported against that
file alone); nothing is created (no `data/`, no `logs/`, the working directory is
unchanged). A sample of `CLI_SAMPLE` mutants
goes through the real `python -m trader check-config` in a subprocess: exit 0, or exit 2
with one `config error:` line per issue (the same lines as in-process), the summary line,
and nothing else — no traceback.

The undamaged files are parsed once (`parse_shipped_once`), and the CLI sample starts
before the in-process loads and runs beside them: the file takes ~24 CPU-s, most of it the
CLI's start-up (~1.4 CPU-s each: `python -m trader` imports the backtest stack).

Measured (seed 20260809; print with -s): 500 mutants (100 a file), 137 accepted and 363
refused — app.yaml 25/75, policy 21/79, universe 29/71, signals 31/69, strategies 31/69;
354 refusals are one issue, 9 are several (a section swapped for another: each of its
keys is an unknown key). The CLI sample of 12 (distinct kinds): 5 exit 0, 7 exit 2.
"""

from __future__ import annotations

import copy
import math
import os
import random
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.daemon import REPO_ROOT, SECRET_ENV
from trader.config import loader
from trader.config.loader import ConfigError, LoadedConfig, load_config

SEED = 20260809
PER_FILE = 100
CLI_SAMPLE = 12  # ~1 CPU-s each: `python -m trader` imports the backtest stack
CLI_WORKERS = 2
FILES = ("app.yaml", "config/policy.yaml", "config/universe.yaml", "config/signals.yaml")
FILES += ("config/strategies.yaml",)
LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
KEY_LINE = re.compile(r"^( *)([A-Za-z_][A-Za-z0-9_]*):(?: +([^#\n]*?))?( *#.*)?$", re.M)

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
PATH_SLOTS = 6  # with the 24 kinds: 18 of app.yaml's 100 mutants, each BAD_PATHS value once
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


@dataclass(frozen=True)
class Mutant:
    name: str
    target: str
    content: bytes | None  # None: the file is missing; DIRECTORY: a directory is there


DIRECTORY = b"\x00<directory>\x00"

# --- tree mutations ------------------------------------------------------------------------

Where = tuple[Any, ...]


def _walk(node: Any, prefix: Where = ()) -> Iterator[tuple[Where, Any]]:
    if isinstance(node, dict):
        items: Any = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return
    for key, value in items:
        yield (*prefix, key), value
        yield from _walk(value, (*prefix, key))


def _pick(rng: random.Random, tree: Any, want: Callable[[Where, Any], bool]) -> Where | None:
    found = [path for path, value in _walk(tree) if want(path, value)]
    return rng.choice(found) if found else None


def _parent(tree: Any, path: Where) -> Any:
    for step in path[:-1]:
        tree = tree[step]
    return tree


def _is_number(path: Where, value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dump(tree: Any) -> bytes:
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=1 << 30).encode()


def _typo(rng: random.Random, key: str) -> str:
    i = rng.randrange(len(key))
    edits = [
        key[:i] + key[i + 1 :],  # a letter dropped
        key[:i] + key[i] + key[i:],  # a letter doubled
        key[:i] + key[i + 1 : i + 2] + key[i : i + 1] + key[i + 2 :],  # two swapped
        key.replace("_", "-"),
        key.upper(),
        key + "s",
        key + " ",
    ]
    typo = rng.choice(edits)
    return typo if typo != key else key + "x"


def _set_leaf(kind: str, values: list[Any], want: Callable[[Where, Any], bool]) -> Any:
    def mutate(rng: random.Random, tree: Any) -> Any:
        path = _pick(rng, tree, want) or _pick(rng, tree, lambda p, v: True)
        if path is None:
            return [rng.choice(values)]
        _parent(tree, path)[path[-1]] = copy.deepcopy(rng.choice(values))
        return tree

    mutate.__name__ = kind
    return mutate


def path_setting(rng: random.Random, tree: Any, value: Any) -> Any:
    """A path setting of app.yaml (`paths.*`, `logging.file`) set to `value`."""
    path = _pick(rng, tree, lambda p, v: p[-1] in PATH_KEYS)
    assert path is not None
    _parent(tree, path)[path[-1]] = value
    return tree


def delete_key(rng: random.Random, tree: Any) -> Any:
    path = _pick(rng, tree, lambda p, v: isinstance(p[-1], str))
    if path is not None:
        del _parent(tree, path)[path[-1]]
    return tree


def misspelled_key(rng: random.Random, tree: Any) -> Any:
    path = _pick(rng, tree, lambda p, v: isinstance(p[-1], str) and bool(p[-1]))
    if path is not None:
        parent = _parent(tree, path)
        parent[_typo(rng, path[-1])] = copy.deepcopy(parent[path[-1]])
    return tree


def strange_key(rng: random.Random, tree: Any) -> Any:
    maps = [tree] + [v for _, v in _walk(tree) if isinstance(v, dict)]
    target = rng.choice(maps) if isinstance(tree, dict) else {}
    target[rng.choice(WEIRD_KEYS)] = rng.choice([1, "x", None, {"a": 1}])
    return tree


def swap_type(rng: random.Random, tree: Any) -> Any:
    path = _pick(rng, tree, lambda p, v: True)
    if path is None:
        return "a string"
    parent = _parent(tree, path)
    value = parent[path[-1]]
    choices = [[value], {"value": value}, str(value), 1, None]
    if isinstance(value, dict):
        choices += [list(value.items()), list(value), "mapping"]
    if isinstance(value, list):
        choices += [dict(enumerate(value)), {"0": value}, ",".join(map(str, value))]
    parent[path[-1]] = copy.deepcopy(rng.choice(choices))
    return tree


def list_for_map(rng: random.Random, tree: Any) -> Any:
    path = _pick(rng, tree, lambda p, v: isinstance(v, dict))
    if path is None:
        return list(tree.items()) if isinstance(tree, dict) else tree
    parent = _parent(tree, path)
    value = parent[path[-1]]
    parent[path[-1]] = rng.choice([list(value.items()), list(value), [value]])
    return tree


def map_for_list(rng: random.Random, tree: Any) -> Any:
    path = _pick(rng, tree, lambda p, v: isinstance(v, list))
    if path is None:
        return swap_type(rng, tree)
    parent = _parent(tree, path)
    parent[path[-1]] = {str(i): item for i, item in enumerate(parent[path[-1]])} or {"a": 1}
    return tree


def deep_nesting(rng: random.Random, tree: Any) -> Any:
    depth = rng.choice([20, 50, 63, 70, 200])
    nested: Any = rng.choice([1, "x", None])
    for i in range(depth):
        nested = {f"k{i}": nested} if rng.random() < 0.5 else [nested]
    path = _pick(rng, tree, lambda p, v: True)
    if path is None:
        return nested
    _parent(tree, path)[path[-1]] = nested
    return tree


def shared_nodes(rng: random.Random, tree: Any) -> Any:
    """Two places holding one object: `safe_dump` writes an anchor and an alias."""
    containers = [(p, v) for p, v in _walk(tree) if isinstance(v, dict | list)]
    if len(containers) < 1:
        return tree
    (source_path, source), (target_path, _) = rng.choice(containers), rng.choice(containers)
    if source_path[: len(target_path)] == target_path:  # no cycle: alias a sibling instead
        _parent(tree, source_path)[f"{source_path[-1]}_copy"] = source
        return tree
    _parent(tree, target_path)[target_path[-1]] = source
    return tree


def top_level(rng: random.Random, tree: Any) -> Any:
    return rng.choice([[tree], "just a string", 42, None, [], {}, True])


TREE_KINDS: list[Callable[[random.Random, Any], Any]] = [
    delete_key,
    misspelled_key,
    strange_key,
    swap_type,
    _set_leaf("number", BAD_NUMBERS, _is_number),
    _set_leaf("string", BAD_STRINGS, lambda p, v: isinstance(v, str)),
    _set_leaf("bool", BAD_BOOLS, lambda p, v: isinstance(v, bool)),
    list_for_map,
    map_for_list,
    deep_nesting,
    shared_nodes,
    top_level,
]

# --- text mutations ------------------------------------------------------------------------


def _lines_with_keys(text: str) -> list[re.Match[str]]:
    return list(KEY_LINE.finditer(text))


def non_utf8(rng: random.Random, text: str) -> bytes:
    raw = text.encode()
    at = rng.randrange(len(raw) + 1)
    junk = rng.choice([b"\xff", b"\xfe", b"\xc3(", b"\xe9", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"])
    return raw[:at] + junk + raw[at:]


def other_encoding(rng: random.Random, text: str) -> bytes:
    codec = rng.choice(["utf-16", "utf-16-le", "utf-32", "latin-1", "utf-8-sig", "cp1252"])
    return (text + "# café\n").encode(codec, errors="replace")


def truncated(rng: random.Random, text: str) -> bytes:
    raw = text.encode()
    return raw[: rng.randrange(len(raw))]


def empty(rng: random.Random, text: str) -> bytes:
    choices = [b"", b"\n", b"   \n\n", b"# only a comment\n", b"---\n", b"...\n", b"--- a\n--- b\n"]
    return rng.choice(choices)


def garbage(rng: random.Random, text: str) -> bytes:
    return rng.randbytes(rng.choice([1, 16, 512, 4096]))


def duplicate_key(rng: random.Random, text: str) -> bytes:
    lines = _lines_with_keys(text)
    line = rng.choice(lines)
    copy_of = line.group(0) if line.group(3) else line.group(0) + " 1"
    return (text[: line.end()] + "\n" + copy_of + text[line.end() :]).encode()


def yaml_tag(rng: random.Random, text: str) -> bytes:
    scalars = [m for m in _lines_with_keys(text) if m.group(3)]
    line = rng.choice(scalars)
    value = rng.choice(TAG_VALUES)
    return (text[: line.start(3)] + value + text[line.end(3) :]).encode()


def yaml_alias(rng: random.Random, text: str) -> bytes:
    """Text-level YAML aliasing: an anchored scalar reused elsewhere, a merge key, an
    undefined alias, an alias bomb."""
    scalars = [m for m in _lines_with_keys(text) if m.group(3)]
    first, second = rng.choice(scalars), rng.choice(scalars)
    choice = rng.randrange(4)
    if choice == 0 and first.start() != second.start():
        a, b = sorted((first, second), key=lambda m: m.start())
        return (
            text[: a.start(3)] + "&v " + text[a.start(3) : b.start(3)] + "*v" + text[b.end(3) :]
        ).encode()
    if choice == 1:
        block = rng.choice([m for m in _lines_with_keys(text) if not m.group(3)] or scalars)
        head = text[: block.end(2) + 1] + " &blk" + text[block.end(2) + 1 :]
        return (head + f"\n{block.group(2)}_merged:\n  <<: *blk\n").encode()
    if choice == 2:
        return (text + f"\n{rng.choice(scalars).group(2)}_x: *nowhere\n").encode()
    return (text + "\n" + BOMB).encode()


def control_character(rng: random.Random, text: str) -> bytes:
    at = rng.randrange(len(text) + 1)
    junk = rng.choice(CONTROL)
    return (text[:at] + junk + text[at:]).encode("utf-8", errors="surrogatepass")


def line_endings(rng: random.Random, text: str) -> bytes:
    ending = rng.choice(["\r\n", "\r", "\u2028", "\n\n\n", "\n\t"])
    return text.replace("\n", ending).encode()


def long_line(rng: random.Random, text: str) -> bytes:
    size = rng.choice([10_000, 100_000, (1 << 20) + 10])
    return (text + "# " + "x" * size + "\n").encode()


def not_a_file(rng: random.Random, text: str) -> bytes | None:
    return rng.choice([None, DIRECTORY])


TEXT_KINDS: list[Callable[[random.Random, str], bytes | None]] = [
    non_utf8,
    other_encoding,
    truncated,
    empty,
    garbage,
    duplicate_key,
    yaml_tag,
    yaml_alias,
    control_character,
    line_endings,
    long_line,
    not_a_file,
]


def shipped() -> dict[str, str]:
    texts = {"app.yaml": (REPO_ROOT / "app.yaml.example").read_text(encoding="utf-8")}
    for name in FILES[1:]:
        texts[name] = (REPO_ROOT / name).read_text(encoding="utf-8")
    return texts


def build_mutants() -> list[Mutant]:
    """PER_FILE mutants of each shipped file, every kind in turn (deterministic); app.yaml
    also gets PATH_SLOTS turns of `path_setting`, each with the next of BAD_PATHS (paths
    reach the file system: where a hostile string does harm)."""
    rng = random.Random(SEED)
    texts = shipped()
    kinds: list[Any] = [*TREE_KINDS, *TEXT_KINDS]
    mutants: list[Mutant] = []
    for target, text in texts.items():
        tree = yaml.safe_load(text)
        rotation = kinds + [path_setting] * PATH_SLOTS if target == "app.yaml" else kinds
        paths_done = 0
        for i in range(PER_FILE):
            kind = rotation[i % len(rotation)]
            if kind is path_setting:
                value = BAD_PATHS[paths_done % len(BAD_PATHS)]
                paths_done += 1
                content: bytes | None = _dump(path_setting(rng, copy.deepcopy(tree), value))
            elif kind in TREE_KINDS:
                content = _dump(kind(rng, copy.deepcopy(tree)))
            else:
                content = kind(rng, text)
            mutants.append(Mutant(f"{target}#{i}:{kind.__name__}", target, content))
    return mutants


# --- running -------------------------------------------------------------------------------


def make_home(root: Path) -> Path:
    """A working directory as an operator has it: app.yaml and config/ (from what ships)."""
    (root / "config").mkdir(parents=True)
    for name, text in shipped().items():
        (root / name).write_text(text, encoding="utf-8")
    return root / "app.yaml"


def place(root: Path, mutant: Mutant) -> None:
    path = root / mutant.target
    path.unlink()
    if mutant.content == DIRECTORY:
        path.mkdir()
    elif mutant.content is not None:
        path.write_bytes(mutant.content)


def restore(root: Path, mutant: Mutant, original: str) -> None:
    path = root / mutant.target
    if path.is_dir():
        path.rmdir()
    path.write_text(original, encoding="utf-8")


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _escaped(text: str) -> str:
    """How an issue shows an unprintable character (a NUL or a line break in a path)."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def check_outcome(mutant: Mutant, root: Path, outcome: LoadedConfig | ConfigError) -> None:
    """The properties of one load (module docstring)."""
    if isinstance(outcome, LoadedConfig):  # what was accepted holds no NaN or infinity
        models = (outcome.app, outcome.policy, outcome.universe, outcome.signals)
        for model in (*models, outcome.strategies):
            numbers = [v for _, v in _walk(model.model_dump()) if isinstance(v, float)]
            assert all(math.isfinite(v) for v in numbers), (mutant.name, numbers)
        return
    assert outcome.issues, mutant.name
    for issue in outcome.issues:
        line = str(issue)
        assert not LINE_BREAKS.search(line), f"{mutant.name}: not one line: {line!r}"
        assert line.startswith(f"{_escaped(str(issue.file))}: "), (mutant.name, line)
        assert issue.file.is_absolute(), (mutant.name, line)
        if mutant.target != "app.yaml":  # a policy file's damage is reported against it
            assert issue.file == root / mutant.target, (mutant.name, line)
    if mutant.target == "app.yaml":
        assert any(issue.file.name.endswith(".yaml") for issue in outcome.issues), mutant.name


def load(config: Path) -> LoadedConfig | ConfigError:
    try:
        return load_config(config)
    except ConfigError as exc:
        return exc


@pytest.fixture(scope="module")
def mutants() -> list[Mutant]:
    return build_mutants()


@contextmanager
def parse_shipped_once(originals: dict[str, str]) -> Iterator[None]:
    """Parse each undamaged shipped file once (PyYAML is pure Python: ~5 ms a file, five
    files a load); `parse_yaml` is a pure function of the text, and the damaged file
    still goes through the real one. Only speed changes, not what is checked."""
    real = loader.parse_yaml
    parsed = {text: real(text) for text in originals.values()}

    def parse(text: str) -> Any:
        return copy.deepcopy(parsed[text]) if text in parsed else real(text)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "parse_yaml", parse)
        yield


@dataclass
class Run:
    root: Path
    outcomes: dict[str, LoadedConfig | ConfigError]
    failures: list[str]


@pytest.fixture(scope="module")
def run(mutants, cli_runs, tmp_path_factory) -> Run:
    """Every mutant loaded in-process in one working directory (restored after each);
    an exception other than ConfigError, or anything created, is a failure. (`cli_runs`
    first: the CLI sample runs meanwhile.)"""
    root = tmp_path_factory.mktemp("fuzz").resolve() / "work"
    config = make_home(root)
    originals = shipped()
    before = _tree(root)
    done = Run(root, {}, [])
    with parse_shipped_once(originals):
        for mutant in mutants:
            place(root, mutant)
            try:
                done.outcomes[mutant.name] = load(config)
            except Exception as exc:
                done.failures.append(f"{mutant.name}: {type(exc).__name__}: {str(exc)[:200]}")
            finally:
                restore(root, mutant, originals[mutant.target])
            created = _tree(root) - before
            if created:
                done.failures.append(f"{mutant.name}: created {sorted(created)}")
    return done


def test_cfg1_every_mutant_is_loaded_or_refused_named(mutants, run):
    assert not run.failures, "\n".join(run.failures)
    tally: Counter[str] = Counter()
    for mutant in mutants:
        outcome = run.outcomes[mutant.name]
        check_outcome(mutant, run.root, outcome)
        verdict = "accepted" if isinstance(outcome, LoadedConfig) else "refused"
        tally[verdict] += 1
        tally[f"{mutant.target} {verdict}"] += 1
        if isinstance(outcome, ConfigError):
            tally[f"issues={min(len(outcome.issues), 3)}"] += 1
    print(f"config mutants: {len(mutants)} {dict(sorted(tally.items()))}")
    assert len(mutants) == PER_FILE * len(FILES)
    assert tally["accepted"] and tally["refused"]


def _cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _check_config(root: Path, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trader", "check-config", "--config", str(config)],
        cwd=root,
        env=_cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


CliRun = tuple[Mutant, Path, "Future[subprocess.CompletedProcess[str]]"]


@pytest.fixture(scope="module")
def cli_runs(mutants, tmp_path_factory) -> Iterator[list[CliRun]]:
    """CLI_SAMPLE mutants of distinct kinds, each in its own working directory, started
    through the real CLI at once: they run while the in-process loads do."""
    rng = random.Random(SEED)
    by_kind: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_kind.setdefault(mutant.name.rsplit(":", 1)[1], []).append(mutant)
    sample = [rng.choice(by_kind[kind]) for kind in rng.sample(sorted(by_kind), CLI_SAMPLE)]
    base = tmp_path_factory.mktemp("cli").resolve()
    with ThreadPoolExecutor(CLI_WORKERS) as pool:
        runs: list[CliRun] = []
        for i, mutant in enumerate(sample):
            root = base / f"cli{i}"
            config = make_home(root)
            place(root, mutant)
            runs.append((mutant, root, pool.submit(_check_config, root, config)))
        yield runs


def test_cfg1_a_sample_through_the_real_cli(cli_runs):
    """`python -m trader check-config`: exit 0, or exit 2 with the in-process issues as
    `config error:` lines (one line each), the summary line, and nothing else."""
    verdicts = []
    for mutant, root, future in cli_runs:
        result = future.result()
        verdicts.append((mutant.name, result.returncode))
        assert "Traceback" not in result.stderr, (mutant.name, result.stderr[-2000:])
        assert not (root / "data").exists() and not (root / "logs").exists(), mutant.name
        outcome = load(root / "app.yaml")
        if isinstance(outcome, LoadedConfig):
            assert result.returncode == 0 and not result.stderr, (mutant.name, result.stderr)
            assert result.stdout.startswith("config OK: "), mutant.name
            continue
        assert result.returncode == 2, (mutant.name, result.returncode, result.stderr[-2000:])
        lines = result.stderr.splitlines()
        assert lines[:-1] == [f"config error: {issue}" for issue in outcome.issues], lines
        assert re.fullmatch(r"\d+ problems? found; nothing was started", lines[-1]), lines
    print(f"cli sample: {verdicts}")
    assert {code for _, code in verdicts} == {0, 2}

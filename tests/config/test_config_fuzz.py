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

The shipped files' mutants are built in `config_mutations.py`, from the values in
`config_fuzz_values.py`; this module loads them and holds the properties and the tests.
"""

from __future__ import annotations

import copy
import math
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.config.config_mutations import (
    DIRECTORY,
    FILES,
    PER_FILE,
    SEED,
    Mutant,
    build_mutants,
    shipped,
    walk_tree,
)
from tests.support.daemon import REPO_ROOT, SECRET_ENV
from trader.config import loader
from trader.config.issues import ConfigError
from trader.config.loader import LoadedConfig, load_config

CLI_SAMPLE = 12  # ~1 CPU-s each: `python -m trader` imports the backtest stack
CLI_WORKERS = 2
LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


# --- running -------------------------------------------------------------------------------


def make_home(root: Path) -> Path:
    """A working directory as an operator has it: app.yaml and config/ (from what ships)."""
    (root / "config").mkdir(parents=True)
    for name, text in shipped().items():
        (root / name).write_text(text, encoding="utf-8")
    shutil.copytree(REPO_ROOT / "config" / "strategies", root / "config" / "strategies")
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
            numbers = [v for _, v in walk_tree(model.model_dump()) if isinstance(v, float)]
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

"""PERF-4: the hot modules compiled with mypyc (setup.py) give the results their sources
give, and a build that no longer matches its sources is never run (trader/native.py).

Each case runs a real interpreter on a copy of the package (or the package itself), as a
user's `python -m trader` would import it.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import trader.native as native

REPO_ROOT = Path(__file__).resolve().parents[1]
LISTED = native.listed_sources()
PROBE = (
    "import importlib, trader.native as n; "
    "mods = [importlib.import_module(n.module_name(p)) for p in n.listed_sources()]; "
    "print(n.COMPILED, sum(m.__file__.endswith('.py') for m in mods))"
)

needs_build = pytest.mark.skipif(
    not native.COMPILED, reason=f"the compiled modules are not in use here: {native.REASON}"
)


def _probe(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=root, capture_output=True, text=True, timeout=60,
        env={**environment, "PYTHONPATH": str(root), **env},
    )  # fmt: skip


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """The package with its compiled modules and manifest, as the build left them."""
    shutil.copytree(
        REPO_ROOT / "trader", tmp_path / "trader", ignore=shutil.ignore_patterns("__pycache__")
    )
    return tmp_path


@needs_build
def test_perf4_a_current_build_runs_every_listed_module_compiled(package_copy):
    probe = _probe(package_copy)
    assert (probe.stdout.split(), probe.stderr) == (["True", "0"], "")


@needs_build
def test_perf4_the_pure_switch_runs_every_listed_module_from_source(package_copy):
    probe = _probe(package_copy, TRADER_PURE_PYTHON="1")
    assert (probe.stdout.split(), probe.stderr) == (["False", str(len(LISTED))], "")


@needs_build
@pytest.mark.parametrize(("value", "compiled"), [("0", True), ("false", True), ("yes", False)])
def test_perf4_the_pure_switch_is_off_for_0_and_on_for_yes(package_copy, value, compiled):
    probe = _probe(package_copy, TRADER_PURE_PYTHON=value)
    expected = ["True", "0"] if compiled else ["False", str(len(LISTED))]
    assert (probe.stdout.split(), probe.stderr) == (expected, "")


@pytest.mark.parametrize(
    ("value", "on"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        (" on ", True),
        ("", False),
        ("0", False),
        ("False", False),
        ("no", False),
        ("off\n", False),
    ],
)
def test_perf4_the_pure_switch_reads_on_and_off_words_silently(capsys, value, on):
    assert native.pure_requested({native.PURE_ENV: value}) is on
    assert native.pure_requested({}) is False
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("value", ["2", "maybe", "-1", "1 0", "\x1b[31m", "on\noff", "y" * 500])
def test_perf4_an_unknown_pure_switch_value_is_off_and_said_on_one_line(capsys, value):
    assert native.pure_requested({native.PURE_ENV: value}) is False
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.endswith(
        "is not understood (1, true, yes, on; or 0, false, no, off); taken as off\n"
    )
    assert "\x1b" not in err and len(err) < 200


def test_perf4_an_unknown_pure_switch_value_is_said_at_import_and_the_package_runs(tmp_path):
    shutil.copytree(
        REPO_ROOT / "trader",
        tmp_path / "trader",
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "native.json"),
    )
    probe = _probe(tmp_path, TRADER_PURE_PYTHON="maybe")
    assert probe.returncode == 0 and probe.stdout.split() == ["False", str(len(LISTED))]
    assert probe.stderr == (
        "trader: TRADER_PURE_PYTHON='maybe' is not understood (1, true, yes, on; or 0, false, "
        "no, off); taken as off\n"
    )


def _edit_a_source(root: Path) -> str:
    with (root / "trader/triggers/series.py").open("a") as handle:
        handle.write("# edited after the build\n")
    return "older than their sources (trader/triggers/series.py)"


def _drop_the_manifest(root: Path) -> str:
    (root / "trader/native.json").unlink()
    return "without their manifest trader/native.json"


def _damage_the_manifest(root: Path) -> str:
    (root / "trader/native.json").write_bytes(b"\x00{not json")
    return "without their manifest trader/native.json"


def _list_one_more_module(root: Path) -> str:
    with (root / "trader/native_modules.txt").open("a") as handle:
        handle.write("trader/cli.py\n")
    return f"only {len(LISTED)} of the {len(LISTED) + 1} listed modules are compiled"


def _delete_one_compiled_module(root: Path) -> str:
    for compiled in (root / "trader/triggers").glob("rolling.*.so"):
        compiled.unlink()
    return f"only {len(LISTED) - 1} of the {len(LISTED)} listed modules are compiled"


@needs_build
@pytest.mark.parametrize(
    "damage",
    [
        _edit_a_source,
        _drop_the_manifest,
        _damage_the_manifest,
        _list_one_more_module,
        _delete_one_compiled_module,
    ],
)
def test_perf4_a_build_that_does_not_match_its_sources_is_never_run(package_copy, damage):
    """All or none: every listed module from its source, and one line saying why."""
    expected = damage(package_copy)
    probe = _probe(package_copy)
    listed = len(LISTED) + (damage is _list_one_more_module)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["False", str(listed)]
    lines = probe.stderr.splitlines()
    assert len(lines) == 1 and expected in lines[0] and "pure-Python" in lines[0]


@needs_build
def test_perf4_a_compiled_file_beside_an_unlisted_module_is_never_imported(package_copy):
    """A module taken off the list, the tree updated without a rebuild: its compiled file
    was built against another shared library (here: another module's file under its
    name). Its source runs; the compiled listed modules are unaffected."""
    for compiled in (package_copy / "trader/core").glob("clock.*.so"):
        stray = compiled.with_name(compiled.name.replace("clock", "decision", 1))
        shutil.copyfile(compiled, stray)
    probe = subprocess.run(
        [sys.executable, "-c", "import trader.core.decision as d, trader.native as n; "
         "print(d.__file__.endswith('.py'), n.COMPILED, list(n.unlisted_builds()))"],
        cwd=package_copy, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(package_copy)},
    )  # fmt: skip
    assert (probe.stdout.split(), probe.stderr) == (
        ["True", "True", "['trader.core.decision']"],
        "",
    )


def test_perf4_only_compiled_files_of_unlisted_modules_are_strays(tmp_path):
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    listed = Path(LISTED[0]).with_suffix(suffix)
    for name in (
        str(listed),
        f"trader/native__mypyc{suffix}",
        f"trader/x/stray{suffix}",
        "trader/x/other.abi3.so",
        "trader/x/plain.so",
        "trader/x/notes.txt",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")  # fmt: skip
    assert native.unlisted_builds(tmp_path) == {
        "trader.x.stray": tmp_path / f"trader/x/stray{suffix}",
        "trader.x.other": tmp_path / "trader/x/other.abi3.so",
        "trader.x.plain": tmp_path / "trader/x/plain.so",
    }


def test_perf4_without_a_build_the_sources_run_silently(tmp_path):
    shutil.copytree(
        REPO_ROOT / "trader",
        tmp_path / "trader",
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "native.json"),
    )
    probe = _probe(tmp_path)
    assert (probe.stdout.split(), probe.stderr) == (["False", str(len(LISTED))], "")


@needs_build
@pytest.mark.slow
def test_perf4_a_backtest_writes_the_same_report_compiled_and_from_source(shared_data, tmp_path):
    """The whole pipeline (triggers, universe, risk, fills, order desk) over three days of
    24 pairs: report.json byte for byte, trades included."""
    reports = []
    for label, extra in (("compiled", {}), ("pure", {native.PURE_ENV: "1"})):
        out = tmp_path / label
        run = subprocess.run(
            [sys.executable, "-m", "trader", "backtest", "--config",
             str(REPO_ROOT / "app.yaml.example"), "--data",
             str(shared_data / "binance-5m-24pairs-2021"), "--from", "2021-02-01",
             "--to", "2021-02-04", "--out", str(out)],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **extra},
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        reports.append((out / "report.json").read_bytes())
    assert json.loads(reports[0])["trades"], "no trade: nothing compared"
    assert reports[0] == reports[1]


@pytest.mark.slow
def test_perf4_a_machine_without_a_compiler_gets_the_pure_package_and_one_line(tmp_path):
    """`setup.py build_ext` with a compiler that always fails: exit 0, no compiled module,
    no manifest, and one line saying the pure-Python modules run."""
    for name in ("setup.py", "pyproject.toml"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    shutil.copytree(
        REPO_ROOT / "trader",
        tmp_path / "trader",
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "native.json"),
    )
    build = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**os.environ, "CC": "false", "LDSHARED": "false"},
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    said = [line for line in build.stderr.splitlines() if line.startswith("trader:")]
    assert len(said) == 1 and "native modules not built" in said[0], build.stderr
    assert not list((tmp_path / "trader").rglob("*.so"))
    assert not (tmp_path / "trader/native.json").exists()

"""Which copy of the hot modules runs: the compiled one or the source (PERF-4).

The build (`setup.py`) compiles the modules listed in `native_modules.txt` with mypyc when
it can, next to their sources, and writes `native.json`: the SHA-256 of every source it
compiled. Python imports a compiled module before its `.py`, so a source edited after the
build (or updated without a rebuild) would be shadowed by stale machine code. `choose()`,
run once when the package is imported, prevents that: the compiled modules are used only
when the manifest names exactly the listed sources with their current digests; otherwise —
or with `TRADER_PURE_PYTHON` on in the environment — every listed module is imported from
its source. All or none: compiled modules call each other directly, so mixing a fresh
source with its stale compiled neighbours would still run stale code. Both copies give the
same results (tests/backtest/test_native_parity.py compares whole backtests).

`TRADER_PURE_PYTHON` is on for `1`, `true`, `yes` or `on` and off for `0`, `false`, `no`,
`off`, empty or unset (any case, spaces around ignored); any other value leaves it off and
says so in one line on stderr. Reading it costs nothing and never raises: this module runs
when the package is imported.

Compiled classes cannot be copied with `copy.deepcopy` or pickled (their instances are
made only by their `__init__`): code that needs a second state builds it again, as
`backtest/replay.py` does; what crosses processes is plain data (`backtest/search_run.py`).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = PACKAGE_DIR.parent
LIST = PACKAGE_DIR / "native_modules.txt"
MANIFEST = PACKAGE_DIR / "native.json"
PURE_ENV = "TRADER_PURE_PYTHON"
NO_BUILD = "no native build"
PURE_ON = frozenset({"1", "true", "yes", "on"})
PURE_OFF = frozenset({"", "0", "false", "no", "off"})

COMPILED = False  # set by choose(): True when the compiled modules are the ones imported
REASON = "not chosen yet"  # one line: why the compiled or the pure modules run


class SourceFirst(importlib.abc.MetaPathFinder):
    """Imports the listed modules from their `.py`, whatever else sits beside them."""

    def __init__(self, sources: dict[str, Path]) -> None:
        self.sources = sources

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        source = self.sources.get(fullname)
        if source is None:
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def listed_sources() -> list[str]:
    """The module paths of `native_modules.txt`, relative to the repository root."""
    lines = (line.split("#", 1)[0].strip() for line in LIST.read_text().splitlines())
    return [line for line in lines if line]


def module_name(source: str) -> str:
    return source.removesuffix(".py").replace("/", ".")


def source_digests(sources: list[str]) -> dict[str, str]:
    """SHA-256 of each listed source, as the build records them in `native.json`."""
    return {path: hashlib.sha256((ROOT / path).read_bytes()).hexdigest() for path in sources}


def _built_digests() -> dict[str, str] | None:
    try:
        loaded = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def unlisted_builds(root: Path = ROOT) -> dict[str, Path]:
    """Compiled modules under `root/trader` whose source is not listed (a module taken off
    the list, then the tree updated without a rebuild): module name → compiled file. They
    were built against another shared library; imported, they fail or run old code."""
    listed = {module_name(path) for path in listed_sources()}
    suffixes = sorted(importlib.machinery.EXTENSION_SUFFIXES, key=len, reverse=True)
    found: dict[str, Path] = {}
    for folder, _dirs, files in os.walk(root / "trader"):
        for name in files:
            suffix = next((s for s in suffixes if name.endswith(s)), None)  # the longest
            if suffix is None or name.startswith("native__"):
                continue
            parts = Path(folder).relative_to(root).parts
            module = ".".join((*parts, name[: -len(suffix)]))
            if module not in listed:
                found[module] = Path(folder) / name
    return found


def _stale(sources: list[str], built: dict[str, str]) -> list[str]:
    if sorted(built) != sorted(sources):
        return sorted(set(built) ^ set(sources)) or sources
    current = source_digests(sources)
    return [path for path in sources if current[path] != built[path]]


def _compiled_count(sources: list[str]) -> int:
    """How many listed sources have a compiled module beside them."""
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return sum(
        any((ROOT / path).with_suffix(suffix).exists() for suffix in suffixes) for path in sources
    )


def pure_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether `TRADER_PURE_PYTHON` asks for the sources (see the module docstring)."""
    value = environ.get(PURE_ENV)
    if value is None:
        return False
    word = value.strip().lower()
    if word in PURE_ON:
        return True
    if word not in PURE_OFF:
        _say(
            f"trader: {PURE_ENV}={value[:40]!r} is not understood (1, true, yes, on; or 0, "
            "false, no, off); taken as off"
        )
    return False


def _pure_reason(sources: list[str]) -> str | None:
    """Why the listed modules must run from their sources, or None: all compiled, current."""
    if pure_requested():
        return f"{PURE_ENV} is on"
    compiled = _compiled_count(sources)
    if compiled == 0:
        return NO_BUILD
    if compiled < len(sources):
        return f"only {compiled} of the {len(sources)} listed modules are compiled"
    built = _built_digests()
    if built is None:
        return "compiled modules without their manifest trader/native.json"
    if stale := _stale(sources, built):
        return f"compiled modules older than their sources ({', '.join(stale[:3])})"
    return None


def choose() -> None:
    """Decide once, before any listed module is imported; see the module docstring."""
    global COMPILED, REASON
    strays = {m: ROOT / f"{m.replace('.', '/')}.py" for m in unlisted_builds()}
    if strays:  # their sources run, whatever the listed modules do
        sys.meta_path.insert(0, SourceFirst({m: s for m, s in strays.items() if s.exists()}))
    sources = listed_sources()
    reason = _pure_reason(sources)
    if reason is None:
        COMPILED, REASON = True, f"{len(sources)} modules compiled with mypyc"
        return
    REASON = reason
    if reason == NO_BUILD:
        return  # nothing compiled to step around: the normal import finds the sources
    if not reason.startswith(PURE_ENV):
        _warn(reason)
    finder = SourceFirst({module_name(path): ROOT / path for path in sources})
    sys.meta_path.insert(0, finder)


def _warn(reason: str) -> None:
    _say(
        f"trader: {reason}; running the pure-Python modules (same results, slower); "
        "scripts/run and scripts/test rebuild them"
    )


def _say(line: str) -> None:
    """One line on stderr; a stderr that cannot be written to is no reason to fail."""
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError):
        return

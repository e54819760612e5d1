"""Build of trader: the package is pure Python; the modules named in
`trader/native_modules.txt` are also compiled with mypyc when the build can (PERF-4).

`pip install -e .` (what `scripts/_venv.sh` runs) compiles them next to their sources;
Python then imports the compiled module before the `.py`. Without mypyc or a C compiler the
build says so in one line and installs the pure-Python package, which gives the same
results, only slower. `TRADER_PURE_PYTHON=1` (on as `trader/native.py` reads it) at build
time skips the compilation.

After a successful compilation the build writes `trader/native.json` — the SHA-256 of each
compiled source — so that `trader/native.py` can tell at import whether the compiled
modules still match their sources (see there).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import BaseError, CCompilerError

ROOT = Path(__file__).resolve().parent
GROUP = "trader.native"  # the shared library becomes trader/native__mypyc.*.so


def _native_module():  # type: ignore[no-untyped-def]
    """`trader/native.py` alone (standard library only), without importing the package."""
    spec = importlib.util.spec_from_file_location("trader_native_build", ROOT / "trader/native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


native = _native_module()


class OptionalNativeBuild(build_ext):
    """Compiles the listed modules with mypyc; a failure leaves the pure-Python package."""

    def finalize_options(self) -> None:
        self.distribution.ext_modules = self._native_extensions()
        super().finalize_options()

    def _native_extensions(self) -> list[Extension]:
        if native.pure_requested():
            _say("TRADER_PURE_PYTHON is on: no native modules built")
            return []
        try:
            from mypyc.build import mypycify

            return list(mypycify(native.listed_sources(), opt_level="3", group_name=GROUP))
        except (ImportError, SystemExit) as exc:  # no mypyc here, or it refused a module
            _not_built(exc)
            return []

    def run(self) -> None:
        if not self.extensions:
            return
        try:
            super().run()
        except (BaseError, CCompilerError, OSError) as exc:  # no compiler or Python headers
            _not_built(exc)
            return
        base = ROOT if self.inplace else Path(self.build_lib)
        _remove_unlisted(base)
        digests = native.source_digests(native.listed_sources())
        (base / "trader" / "native.json").write_text(json.dumps(digests, indent=1, sort_keys=True))


def _remove_unlisted(base: Path) -> None:
    """Compiled modules whose source is no longer listed are removed (`native.py` steps
    around them at import until then)."""
    for module, built in native.unlisted_builds(base).items():
        built.unlink()
        _say(f"removed {built.relative_to(base)}: {module} is no longer compiled")


def _not_built(exc: BaseException) -> None:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, SystemExit):
        reason = "mypyc refused a module; its errors are printed above"
    _say(f"native modules not built ({reason}); the pure-Python modules run (same results)")


def _say(line: str) -> None:
    print(f"trader: {line}", file=sys.stderr)


# A placeholder extension makes setuptools run build_ext (and tag the wheel for this
# platform); OptionalNativeBuild replaces it with mypyc's extensions when it runs.
setup(
    ext_modules=[Extension("trader.native__placeholder", sources=[])],
    cmdclass={"build_ext": OptionalNativeBuild},
)

# Sourced by scripts/run, scripts/test and friends: makes sure .venv exists and matches
# requirements-lock.txt, then puts it first on PATH. Needs only Python 3.11+ on the machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      PY="$candidate"; break
    fi
  done
fi
[ -n "$PY" ] || { echo "trader: Python 3.11 or newer is required" >&2; exit 2; }
STAMP="$VENV/.lock-stamp"
LOCK_SUM="$(sha256sum "$ROOT/requirements-lock.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$LOCK_SUM" ]; then
  echo "trader: preparing $VENV from requirements-lock.txt" >&2
  "$PY" -m venv "$VENV"
  log="$VENV/install.log"
  if ! { "$VENV/bin/python" -m pip install --disable-pip-version-check setuptools==84.2.1 \
         && "$VENV/bin/python" -m pip install --disable-pip-version-check -r "$ROOT/requirements-lock.txt"; \
       } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "trader: could not prepare $VENV (full log: $log)" >&2
    exit 2
  fi
  echo "$LOCK_SUM" > "$STAMP"
  rm -f "$VENV/.native-stamp"
fi
# The package itself, editable, with its hot modules compiled by mypyc (setup.py,
# trader/native.py): installed again when one of those modules changed; without a C
# compiler the build says so in one line and the pure-Python modules run.
NATIVE_STAMP="$VENV/.native-stamp"
NATIVE_SUM="$(cd "$ROOT" && sed -e 's/#.*//' trader/native_modules.txt | xargs sha256sum setup.py trader/native.py trader/native_modules.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$NATIVE_STAMP" 2>/dev/null)" != "$NATIVE_SUM" ]; then
  echo "trader: installing the package, its hot modules compiled (about four minutes on two cores)" >&2
  log="$VENV/native.log"
  if ! "$VENV/bin/python" -m pip install -v --disable-pip-version-check --no-deps --no-build-isolation -e "$ROOT" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "trader: could not install the package into $VENV (full log: $log)" >&2
    exit 2
  fi
  grep -o "trader: native modules not built.*" "$log" >&2 || true
  echo "$NATIVE_SUM" > "$NATIVE_STAMP"
fi
# The package's bytecode, written here for the modules whose source changed (≈ 0.05 s when
# nothing did): an editable install leaves it to the first import, and where
# PYTHONDONTWRITEBYTECODE is set (many containers) no import writes it, so every start of
# the daemon, a backtest or a CLI command would compile ≈ 100 modules from source (≈ 0.15 s).
if ! "$VENV/bin/python" -m compileall -q "$ROOT/trader" >"$VENV/compile.log" 2>&1; then
  tail -n 20 "$VENV/compile.log" >&2
  echo "trader: a module of the package does not compile (full log: $VENV/compile.log)" >&2
  exit 2
fi
export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV="$VENV"
cd "$ROOT"

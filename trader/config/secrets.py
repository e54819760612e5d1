"""API credentials (CFG-2): from the environment or a key file, never from YAML.

Accepted sources, first match wins:
- `CB_API_KEY_FILE`: Coinbase's downloadable key file, JSON `{"name": ..., "privateKey": ...}`;
- `CB_API_KEY_NAME` with `CB_API_PRIVATE_KEY_FILE` (a PEM or base64 key in a file);
- `CB_API_KEY_NAME` with `CB_API_PRIVATE_KEY` (the key itself; a literal `\\n` is a newline).

A key name is one line of printable text (no line break, tab, ESC, DEL or C1 control: it
is shown by `doctor` and sent in every request's token); a key file that gives a key twice
(`name`, `privateKey`, any other) is refused rather than one of them chosen. Each refusal is
a CredentialsError of one line naming the variable or file and what is wrong.

The private key never appears in a repr, a log line or the database.
"""

from __future__ import annotations

import json
import os
import select
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trader.config.issues import printable


class CredentialsError(Exception):
    """Credentials are configured but unusable; the message names the variable or file."""


@dataclass(frozen=True)
class Credentials:
    key_name: str
    private_key: str = field(repr=False)
    source: str
    key_file: Path | None = None

    def describe(self) -> str:
        """The key's name and where it came from (never the key itself)."""
        where = f"{self.source}={self.key_file}" if self.key_file is not None else self.source
        return f"{self.key_name} ({where})"

    def secret_values(self) -> list[str]:
        """Strings the log redactor must never let through."""
        lines = [line for line in self.private_key.splitlines() if len(line) >= 16]
        return [self.private_key, *lines]


MAX_KEY_FILE_BYTES = 64 * 1024  # a key file is a few hundred bytes; never read an endless one
KEY_PIPE_WAIT_S = 5.0  # a key given through a pipe: its writer has this long to finish


def _where(variable: str, path: Path) -> str:
    return f"{variable}={printable(str(path))}"


def _read_key_file(path: Path, variable: str) -> str:
    where = _where(variable, path)
    try:
        raw = _read_bounded(path)
    except TimeoutError as exc:
        raise CredentialsError(
            f"{where}: no end of data within {KEY_PIPE_WAIT_S:g} s (a pipe nothing writes to?)"
        ) from exc
    except OSError as exc:
        raise CredentialsError(f"{where}: cannot read ({exc.strerror})") from exc
    if len(raw) > MAX_KEY_FILE_BYTES:
        raise CredentialsError(f"{where}: larger than {MAX_KEY_FILE_BYTES} bytes, not a key file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CredentialsError(
            f"{where}: not UTF-8 text (byte {exc.start}), not a key file"
        ) from exc


def _read_bounded(path: Path) -> bytes:
    """At most MAX_KEY_FILE_BYTES + 1 bytes of `path`. A pipe (`<(pass show key)`, a named
    pipe) is read until its writer closes it, for at most KEY_PIPE_WAIT_S: opened without
    waiting for a writer, so a named pipe nothing writes to never holds up a start."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.set_blocking(fd, True)
        deadline = time.monotonic() + KEY_PIPE_WAIT_S
        raw = b""
        while len(raw) <= MAX_KEY_FILE_BYTES:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if not select.select([fd], [], [], left)[0]:
                continue
            try:
                chunk = os.read(fd, MAX_KEY_FILE_BYTES + 1 - len(raw))
            except BlockingIOError:  # woken without data: wait again
                continue
            if not chunk:
                return raw
            raw += chunk
        return raw
    finally:
        os.close(fd)


class _DuplicateKey(ValueError):
    pass


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object_pairs_hook: an object that gives a key twice is refused."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(f"the key {printable(key)!r} is given twice (give it once)")
        found[key] = value
    return found


def _from_json_key_file(path: Path) -> Credentials:
    where = _where("CB_API_KEY_FILE", path)
    text = _read_key_file(path, "CB_API_KEY_FILE")
    try:
        data = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except _DuplicateKey as exc:
        raise CredentialsError(f"{where}: {exc}") from None
    except (ValueError, RecursionError) as exc:  # not JSON, or nested beyond reading
        raise CredentialsError(f"{where}: not valid JSON ({printable(str(exc))})") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{where}: expected a JSON object")
    name = data.get("name") or data.get("id")
    key = data.get("privateKey")
    if not isinstance(name, str) or not isinstance(key, str) or not name or not key:
        raise CredentialsError(f"{where}: needs string fields 'name' and 'privateKey'")
    return Credentials(_key_name(name, where), _unescape(key), "CB_API_KEY_FILE", path)


def _key_name(name: str, where: str) -> str:
    """`name`, when it is one line of printable text; `where` names its source."""
    for position, char in enumerate(name):
        if not char.isprintable():
            raise CredentialsError(
                f"{where}: the key name holds an unprintable character ({printable(char)} "
                f"at position {position}); a key name is one line of printable text"
            )
    return name


def _unescape(key: str) -> str:
    """Environments often carry a PEM with literal backslash-n; make them real newlines."""
    return key.replace("\\n", "\n").strip() + ("\n" if "-----BEGIN" in key else "")


def load_credentials(env: Mapping[str, str] | None = None) -> Credentials | None:
    """Credentials from the environment, None when none are configured; a key that does
    not parse (garbage, encrypted, a wrong curve) is a CredentialsError now, not a start
    that retries forever."""
    credentials = _configured(os.environ if env is None else env)
    if credentials is not None:
        from trader.exchange.coinbase.auth import load_private_key
        from trader.exchange.errors import AuthKeyError

        try:
            load_private_key(credentials.key_name, credentials.private_key)
        except AuthKeyError as exc:
            raise CredentialsError(f"{credentials.source}: {exc}") from None
    return credentials


def _configured(env: Mapping[str, str]) -> Credentials | None:
    if env.get("CB_API_KEY_FILE"):
        return _from_json_key_file(Path(env["CB_API_KEY_FILE"]).expanduser())
    name = env.get("CB_API_KEY_NAME", "")
    key_file = env.get("CB_API_PRIVATE_KEY_FILE", "")
    inline = env.get("CB_API_PRIVATE_KEY", "")
    if not (name or key_file or inline):
        return None
    if not name:
        raise CredentialsError("CB_API_KEY_NAME is not set but a private key is")
    name = _key_name(name, "CB_API_KEY_NAME")
    if key_file:
        path = Path(key_file).expanduser()
        text = _read_key_file(path, "CB_API_PRIVATE_KEY_FILE")
        return Credentials(name, _unescape(text), "CB_API_PRIVATE_KEY_FILE", path)
    if inline:
        return Credentials(name, _unescape(inline), "CB_API_PRIVATE_KEY")
    raise CredentialsError(
        "CB_API_KEY_NAME is set but neither CB_API_PRIVATE_KEY_FILE nor CB_API_PRIVATE_KEY"
    )


def key_file_too_open(path: Path) -> bool:
    """True when group or others may read the key file (refused in LIVE, CFG-2)."""
    mode = path.stat().st_mode
    return bool(mode & (stat.S_IRWXG | stat.S_IRWXO))

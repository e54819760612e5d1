"""Reading one configuration file safely (CFG-1): whatever is at the path, the answer is a
mapping or an issue naming the file — never a traceback, never a hang.

- only a regular file is read (a FIFO would block, a device or directory is not a
  config), at most `MAX_BYTES`, and a symlink loop is named as such;
- the text must be UTF-8 (a UTF-16 file, or one with invalid bytes, is named with the
  offset);
- YAML: duplicate keys and unhashable keys are refused, nesting deeper than `MAX_DEPTH`
  and more than `MAX_ALIASES` aliases (the "billion laughs" expansion) are refused.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1 << 20
MAX_DEPTH = 64
MAX_ALIASES = 50
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class FileProblem:
    where: str
    reason: str


class _Refused(yaml.YAMLError):
    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate and unhashable keys, deep nesting and alias
    bombs instead of keeping the last value, raising TypeError, or running out of time."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        mark = self._mark()
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES} aliases", mark)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels", mark)
        try:
            node: yaml.Node | None = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        return node

    def _mark(self) -> yaml.Mark | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark: yaml.Mark | None = getattr(event, "start_mark", None)
        return mark


def _construct_mapping(loader: BoundedLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in mapping
        except TypeError:
            raise _Refused(f"a key cannot be a {type(key).__name__}", key_node.start_mark) from None
        if duplicate:
            raise _Refused(f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


BoundedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class NotRegular(Exception):
    """What is at the path is not a regular file (a directory, a FIFO, a device)."""


def read_regular(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file at `path` (at most `limit` + 1 of them), opened without
    blocking: a FIFO or a device is never waited on. IsADirectoryError for a directory,
    NotRegular for another kind that is not a regular file, OSError when it cannot be
    opened or read."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        raise NotRegular(path)
    with os.fdopen(fd, "rb") as handle:
        return handle.read() if limit is None else handle.read(limit + 1)


def read_text(path: Path) -> str | FileProblem:
    """The UTF-8 text of a regular file of at most MAX_BYTES, or why not."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return FileProblem("(file)", "file not found")
    except RuntimeError:  # a symlink loop (pathlib names it so)
        return FileProblem("(file)", "is a symlink loop")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return FileProblem("(file)", "is a symlink loop")
        return FileProblem("(file)", f"cannot read: {exc.strerror or exc}")
    except ValueError as exc:  # a NUL in the path ("embedded null byte")
        return FileProblem("(file)", f"cannot read: {exc}")
    if not stat.S_ISREG(info.st_mode):
        return FileProblem("(file)", "is not a regular file")
    if info.st_size > MAX_BYTES:
        return FileProblem("(file)", f"is larger than {MAX_BYTES} bytes")
    try:
        raw = read_regular(path, MAX_BYTES)
    except NotRegular:  # replaced since the look above
        return FileProblem("(file)", "is not a regular file")
    except OSError as exc:
        return FileProblem("(file)", f"cannot read: {exc.strerror or exc}")
    if raw.startswith(UTF16_BOMS):
        return FileProblem("(file)", "is UTF-16 text; save it as UTF-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FileProblem("(file)", f"is not UTF-8 text (invalid byte at offset {exc.start})")


def parse_yaml(text: str) -> Any | FileProblem:
    """The YAML document, or where and why it cannot be read."""
    try:
        return yaml.load(text, Loader=BoundedLoader)
    except yaml.reader.ReaderError as exc:  # a character YAML refuses: a position, no mark
        return FileProblem(_where(text, exc.position), f"invalid YAML: {_reader_problem(exc)}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(yaml)"
        problem = getattr(exc, "problem", None) or str(exc)
        return FileProblem(where, f"invalid YAML: {' '.join(str(problem).split())}")
    except (RecursionError, MemoryError):
        return FileProblem("(yaml)", "invalid YAML: too deeply nested or too large")


def _where(text: str, position: int) -> str:
    """`line L, column C` of a character offset, lines counted as YAML does (CR LF, CR,
    LF, NEL, LS and PS end a line)."""
    breaks = list(_LINE_BREAK.finditer(text, 0, position))
    start = breaks[-1].end() if breaks else 0
    return f"line {len(breaks) + 1}, column {position - start + 1}"


def _reader_problem(exc: yaml.reader.ReaderError) -> str:
    """PyYAML's ReaderError text is two lines (the second one names "<unicode string>")."""
    character = exc.character
    shown = f"#x{character:04x}" if isinstance(character, int) else repr(character)
    return f"character {shown} is not allowed: {exc.reason}"

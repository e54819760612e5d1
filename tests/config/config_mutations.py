"""The seeded mutants of the shipped configuration for the CFG-1 fuzz (`test_config_fuzz.py`).

`build_mutants` makes `PER_FILE` mutants of each of `FILES` with one `random.Random(SEED)`,
every kind of damage in turn: tree mutations (the YAML parsed, damaged, dumped) and text
mutations (the bytes damaged). The order of the kinds and of every draw is part of the
mutants (and so of the counts measured in the test module's docstring).
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from tests.config.config_fuzz_values import (
    BAD_BOOLS,
    BAD_NUMBERS,
    BAD_PATHS,
    BAD_STRINGS,
    BOMB,
    CONTROL,
    PATH_KEYS,
    TAG_VALUES,
    WEIRD_KEYS,
)
from tests.support.daemon import REPO_ROOT

SEED = 20260809
PER_FILE = 100
FILES = (
    "app.yaml",
    "config/policy.yaml",
    "config/universe.yaml",
    "config/signals.yaml",
    "config/strategies.yaml",
)
KEY_LINE = re.compile(r"^( *)([A-Za-z_][A-Za-z0-9_]*):(?: +([^#\n]*?))?( *#.*)?$", re.M)
PATH_SLOTS = 6  # with the 24 kinds: 18 of app.yaml's 100 mutants, each BAD_PATHS value once


@dataclass(frozen=True)
class Mutant:
    name: str
    target: str
    content: bytes | None  # None: the file is missing; DIRECTORY: a directory is there


DIRECTORY = b"\x00<directory>\x00"

# --- tree mutations ------------------------------------------------------------------------

Where = tuple[Any, ...]


def walk_tree(node: Any, prefix: Where = ()) -> Iterator[tuple[Where, Any]]:
    """Every (path, value) below `node` (the root itself excluded)."""
    if isinstance(node, dict):
        items: Any = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return
    for key, value in items:
        yield (*prefix, key), value
        yield from walk_tree(value, (*prefix, key))


def _pick(rng: random.Random, tree: Any, want: Callable[[Where, Any], bool]) -> Where | None:
    found = [path for path, value in walk_tree(tree) if want(path, value)]
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
    maps = [tree] + [v for _, v in walk_tree(tree) if isinstance(v, dict)]
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
    containers = [(p, v) for p, v in walk_tree(tree) if isinstance(v, dict | list)]
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

"""ST-1: one owner of persistence. SQL statements live in `trader/state/` (one module per
aggregate) and in `trader/execution/store.py` (intents and orders); every other module
reaches the state file through their functions."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "trader"
OWNERS = ("state/", "execution/store.py")
STATEMENT = re.compile(
    r"""^\s*(
        SELECT\s.*\bFROM\b
      | INSERT\s+(OR\s+\w+\s+)?INTO\s
      | REPLACE\s+INTO\s
      | UPDATE\s+\w+\s+SET\s
      | DELETE\s+FROM\s
      | WITH\s+(RECURSIVE\s+)?\w+(\s*\([^)]*\))?\s+AS\s*\(
    )""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)


def is_sql(text: str) -> bool:
    return STATEMENT.match(text) is not None


def _docstrings(tree: ast.Module) -> set[int]:
    """Ids of the docstring constants (documentation, never a statement)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _inner_pieces(tree: ast.Module) -> set[int]:
    """Ids of f-string pieces after the first: they continue a text, they never start one."""
    return {
        id(piece)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for piece in node.values[1:]
    }


def sql_in(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string constant in `source` that starts an SQL statement."""
    tree = ast.parse(source)
    skipped = _docstrings(tree) | _inner_pieces(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and is_sql(node.value)
    ]


def _module(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_st1_sql_lives_only_in_the_state_modules_and_the_execution_store():
    stray = [
        f"trader/{_module(path)}:{line}: {text.strip()[:60]}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if not _module(path).startswith(OWNERS)
        for line, text in sql_in(path.read_text())
    ]
    assert stray == [], "SQL outside trader/state and trader/execution/store.py:\n" + "\n".join(
        stray
    )


def test_st1_the_owners_hold_sql_so_the_scan_sees_it():
    found = sql_in((PACKAGE / "execution" / "store.py").read_text())
    assert any(text.startswith("UPDATE intents SET attempts") for _, text in found)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT value FROM meta WHERE key = ?",
        "  select 1 from intents where state in (",
        "\nSELECT COUNT(*)\nFROM intents",
        "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
        "insert into fills (trade_id) values (?)",
        "REPLACE INTO meta VALUES (?, ?)",
        "UPDATE intents SET state = ?",
        "DELETE FROM cooldowns WHERE until <= ?",
        "WITH last AS (SELECT 1) SELECT * FROM last",
        "with recursive t(n) as (select 1) select n from t",
    ],
)
def test_st1_statements_are_recognized(text):
    assert is_sql(text)


@pytest.mark.parametrize(
    "text",
    ["update", "replace", "DELETE", "with order ", "Select a product", "update the book"],
)
def test_st1_words_that_only_look_like_sql_are_not_statements(text):
    assert not is_sql(text)


def test_st1_docstrings_and_inner_fstring_pieces_are_not_statements():
    docstring = "Select what is wanted from the store."
    assert is_sql(docstring)  # as a statement would be; as a docstring, it is skipped
    source = (
        f'def f(x):\n    """{docstring}"""\n    return f"venue answered {{x}} with order {{x}}"\n'
    )
    assert sql_in(source) == []
    assert [line for line, _ in sql_in('Q = f"SELECT a FROM t WHERE b IN ({1})"\n')] == [1]

"""The risk package imports none of its modules: they import one another, and an
`__init__` that re-exported them would run in the middle of those imports (a cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

import trader.risk


def test_the_risk_package_imports_nothing():
    source = Path(trader.risk.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert imports == []

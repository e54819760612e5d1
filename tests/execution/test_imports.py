"""Package boundaries: execution, the core model and the matching engine stay venue-neutral.

Every module of `trader.execution`, `trader.core` and `trader.matching` is read with `ast`;
none may import the simulated venue (`trader.sim`) or the HTTP stack (`aiohttp`), and the
matching engine may not import the Coinbase adapter either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import trader

PACKAGE_ROOT = Path(trader.__file__).parent
NO_VENUE = ("trader.sim", "aiohttp")
FORBIDDEN_BY_PACKAGE = {
    "execution": NO_VENUE,
    "core": NO_VENUE,
    "matching": (*NO_VENUE, "trader.exchange.coinbase"),
}


def imported_modules(source: str) -> list[str]:
    """Every module an `import` or `from … import` names (relative imports resolve to
    nothing here: the packages use absolute imports)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def is_under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for path in sorted((PACKAGE_ROOT / package).rglob("*.py")):
        for module in imported_modules(path.read_text()):
            if any(is_under(module, prefix) for prefix in forbidden):
                found.append(f"{path.relative_to(PACKAGE_ROOT.parent)} imports {module}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN_BY_PACKAGE))
def test_package_imports_stay_inside_its_boundary(package: str) -> None:
    assert (PACKAGE_ROOT / package).is_dir()
    assert violations(package, FORBIDDEN_BY_PACKAGE[package]) == []


def test_the_check_sees_a_forbidden_import() -> None:
    source = "from trader.sim.server.order_parse import parse_new_order\nimport aiohttp.web\n"
    modules = imported_modules(source)
    assert any(is_under(m, "trader.sim") for m in modules)
    assert any(is_under(m, "aiohttp") for m in modules)
    assert not is_under("trader.simulation", "trader.sim")

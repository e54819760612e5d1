"""STR-2, STR-3: strategies from the user's own folder, typed parameters, every problem on
the way one line at `check-config` (exit 2, nothing created).

The user's files are real files beside a real configuration; `check-config` runs as the
user runs it (in process for the many kinds of bad input, once as a real process)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.risk.factories import NOW, market_for, portfolio, snapshot
from tests.support.daemon import DaemonDir
from trader.cli import main
from trader.config.loader import load_config
from trader.core.types import Side
from trader.pipeline.decide import DecisionCore
from trader.strategies import StrategyContext

MY_RSI = '''
    """A user's strategy: buys every product in the universe below a price."""
    from decimal import Decimal

    from pydantic import Field

    from trader.strategies import Proposal, Side, Strategy, StrategyContext, StrategyParams


    class MyRsiParams(StrategyParams):
        period: int = Field(14, ge=2, le=500)
        size_pct: Decimal = Field(Decimal("1"), gt=0, le=100)


    class MyRsi(Strategy[MyRsiParams]):
        Params = MyRsiParams

        def propose(self, ctx: StrategyContext) -> list[Proposal]:
            return [
                Proposal(
                    product_id=pid,
                    side=Side.BUY,
                    strategy_id=self.strategy_id,
                    conviction=0.5,
                    reason=f"period {self.params.period}",
                    size_pct=self.params.size_pct,
                )
                for pid in sorted(ctx.market.products)
            ]
'''


def _home(tmp_path: Path, registry: dict[str, Any], files: dict[str, str]) -> DaemonDir:
    home = DaemonDir(tmp_path / "work")
    config_dir = home.root / "config"
    for name, source in files.items():
        target = config_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source))
    strategies = yaml.safe_load((config_dir / "strategies.yaml").read_text())
    strategies["registry"].update(registry)
    (config_dir / "strategies.yaml").write_text(yaml.safe_dump(strategies, sort_keys=False))
    return home


ENTRY = {"class": "strategies/my_rsi.py:MyRsi", "enabled": True, "params": {"period": 7}}


def test_str2_a_strategy_from_the_users_folder_runs_in_the_decision_core(tmp_path):
    home = _home(tmp_path, {"my_rsi": ENTRY}, {"strategies/my_rsi.py": MY_RSI})
    loaded = load_config(home.config)
    plugin = loaded.plugins["my_rsi"]
    assert plugin.params.model_dump() == {"period": 7, "size_pct": 1}
    core = DecisionCore(
        loaded.policy, loaded.universe, loaded.signals, loaded.strategies, plugins=loaded.plugins
    )
    ctx = StrategyContext(NOW, (), snapshot(market_for("BTC-USD")), portfolio())
    (proposal,) = core.registry.strategies["my_rsi"].propose(ctx)
    assert (proposal.strategy_id, proposal.side, proposal.reason) == (
        "my_rsi",
        Side.BUY,
        "period 7",
    )


def test_str2_one_class_runs_under_two_ids_with_their_own_parameters(tmp_path):
    fast = {**ENTRY, "params": {"period": 3}}
    slow = {**ENTRY, "params": {"period": 50, "size_pct": 2}}
    home = _home(tmp_path, {"fast": fast, "slow": slow}, {"strategies/my_rsi.py": MY_RSI})
    plugins = load_config(home.config).plugins
    assert plugins["fast"].params.model_dump()["period"] == 3
    assert plugins["slow"].params.model_dump()["period"] == 50
    assert plugins["fast"].cls is plugins["slow"].cls  # the file ran once per load


def test_str2_check_config_as_a_process_accepts_it_and_names_nothing(tmp_path):
    home = _home(tmp_path, {"my_rsi": ENTRY}, {"strategies/my_rsi.py": MY_RSI})
    done = home.cli("check-config")
    assert done.returncode == 0, done.stderr


def test_str3_parameters_and_the_strategy_file_are_part_of_the_config_hash(tmp_path):
    home = _home(tmp_path, {"my_rsi": ENTRY}, {"strategies/my_rsi.py": MY_RSI})
    first = load_config(home.config).config_hash
    assert load_config(home.config).config_hash == first
    source = home.root / "config/strategies/my_rsi.py"
    source.write_text(source.read_text() + "\n# a changed rule\n")
    second = load_config(home.config).config_hash
    assert second != first
    home2 = _home(tmp_path / "b", {"my_rsi": {**ENTRY, "params": {"period": 8}}}, {})
    (home2.root / "config/strategies").mkdir(exist_ok=True)
    (home2.root / "config/strategies/my_rsi.py").write_text(source.read_text())
    assert load_config(home2.config).config_hash not in (first, second)


ABSTRACT = """
    from trader.strategies import Strategy

    class Half(Strategy):
        pass
"""
OPEN_PARAMS = """
    from pydantic import BaseModel
    from trader.strategies import Strategy

    class Loose(BaseModel):
        period: int = 3

    class Lax(Strategy):
        Params = Loose

        def propose(self, ctx):
            return []
"""
ODD_TIMEFRAME = """
    from trader.strategies import Strategy

    class Odd(Strategy):
        timeframes = {"2h": 10}

        def propose(self, ctx):
            return []
"""


def _strategy(body: str) -> str:
    """A file with strategy `S` whose class body is `body` (indented 4 in the file)."""
    head = "from trader.strategies import Strategy\n\nclass S(Strategy):\n"
    return head + textwrap.indent(textwrap.dedent(body), "    ")


UNUSABLE = {  # kind: (class body, text in the line) -- found at load, before it runs
    "constructor_raises": (
        "def __init__(self, *args):\n    raise RuntimeError('no')\ndef propose(self, ctx):\n"
        "    return []\n",
        "building it failed: RuntimeError: no",
    ),
    "constructor_exits": (
        "def __init__(self, *args):\n    raise SystemExit(1)\ndef propose(self, ctx):\n"
        "    return []\n",
        "building it failed: SystemExit: 1",
    ),
    "constructor_signature": (
        "def __init__(self):\n    pass\ndef propose(self, ctx):\n    return []\n",
        "building it failed: TypeError: S.__init__() takes 1 positional argument",
    ),
    "propose_without_ctx": (
        "def propose(self):\n    return []\n",
        "propose must take (self, ctx), not propose(self)",
    ),
    "propose_with_two_arguments": (
        "def propose(self, ctx, more):\n    return []\n",
        "propose must take (self, ctx), not propose(self, ctx, more)",
    ),
    "propose_not_callable": ("propose = 5\n", "propose must take (self, ctx), not int 5"),
    "propose_async": (
        "async def propose(self, ctx):\n    return []\n",
        "propose must be a plain method returning a list (not async, no yield)",
    ),
    "propose_yields": (
        "def propose(self, ctx):\n    yield from ()\n",
        "propose must be a plain method returning a list (not async, no yield)",
    ),
}
BAD: dict[str, tuple[dict[str, Any], dict[str, str], str, str]] = {
    **{
        kind: (
            {"class": "strategies/x.py:S"},
            {"strategies/x.py": _strategy(body)},
            "registry.x.class",
            text,
        )
        for kind, (body, text) in UNUSABLE.items()
    },
    "unknown_timeframe": (
        {"class": "strategies/x.py:Odd"},
        {"strategies/x.py": ODD_TIMEFRAME},
        "registry.x.class",
        "unknown timeframe '2h'",
    ),
    # kind: (registry entry of `x`, files under config/, key named, text in the line)
    "missing_file": (
        {"class": "strategies/nowhere.py:X"},
        {},
        "registry.x.class",
        "no such file",
    ),
    "syntax_error": (
        {"class": "strategies/x.py:X"},
        {"strategies/x.py": "class X(\n    pass\n"},
        "registry.x.class",
        "SyntaxError",
    ),
    "raises_at_import": (
        {"class": "strategies/x.py:X"},
        {"strategies/x.py": "import math\n\nVALUE = undefined_name + 1\n"},
        "registry.x.class",
        "line 3: NameError",
    ),
    "exits_at_import": (
        {"class": "strategies/x.py:X"},
        {"strategies/x.py": "import sys\nsys.exit(3)\n"},
        "registry.x.class",
        "SystemExit",
    ),
    "missing_dependency": (
        {"class": "strategies/x.py:X"},
        {"strategies/x.py": "import no_such_package_here\n"},
        "registry.x.class",
        "ModuleNotFoundError",
    ),
    "no_such_class": (
        {"class": "strategies/my_rsi.py:Nope"},
        {"strategies/my_rsi.py": MY_RSI},
        "registry.x.class",
        "defines no 'Nope'",
    ),
    "not_a_strategy": (
        {"class": "strategies/my_rsi.py:MyRsiParams"},
        {"strategies/my_rsi.py": MY_RSI},
        "registry.x.class",
        "is not a strategy",
    ),
    "not_a_class": (
        {"class": "strategies/my_rsi.py:Decimal"},
        {"strategies/my_rsi.py": MY_RSI},
        "registry.x.class",
        "is not a strategy",
    ),
    "abstract": (
        {"class": "strategies/x.py:Half"},
        {"strategies/x.py": ABSTRACT},
        "registry.x.class",
        "does not implement propose",
    ),
    "params_model_takes_anything": (
        {"class": "strategies/x.py:Lax"},
        {"strategies/x.py": OPEN_PARAMS},
        "registry.x.class",
        "must refuse unknown keys",
    ),
    "module_not_importable": (
        {"class": "no_such_module.sub:X"},
        {},
        "registry.x.class",
        "cannot import no_such_module.sub",
    ),
    "reference_without_class": (
        {"class": "strategies/my_rsi.py"},
        {"strategies/my_rsi.py": MY_RSI},
        "registry.x.class",
        "expected package.module:Class",
    ),
    "unknown_id_without_class": ({"enabled": True}, {}, "registry.x", "no shipped strategy"),
    "parameter_of_the_wrong_type": (
        {**ENTRY, "params": {"period": "seven"}},
        {"strategies/my_rsi.py": MY_RSI},
        "registry.x.params.period",
        "not text",
    ),
    "parameter_out_of_bounds": (
        {**ENTRY, "params": {"period": 1}},
        {"strategies/my_rsi.py": MY_RSI},
        "registry.x.params.period",
        "greater than or equal to 2",
    ),
    "unknown_parameter": (
        {**ENTRY, "params": {"perod": 7}},
        {"strategies/my_rsi.py": MY_RSI},
        "registry.x.params.perod",
        "unknown key (did you mean period?)",
    ),
    "parameter_a_boolean_number": (
        {**ENTRY, "params": {"period": True}},
        {"strategies/my_rsi.py": MY_RSI},
        "registry.x.params.period",
        "not true or false",
    ),
    "params_not_a_mapping": (
        {**ENTRY, "params": [1, 2]},
        {"strategies/my_rsi.py": MY_RSI},
        "registry.x.params",
        "valid dictionary",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_str2_every_problem_is_one_line_naming_file_and_key(tmp_path, capsys, kind):
    entry, files, key, text = BAD[kind]
    home = _home(tmp_path, {"x": entry}, files)
    for command in ("check-config", "run"):
        code = main([command, "--config", str(home.config)])
        err = capsys.readouterr().err
        assert code == 2, (command, err)
        assert "Traceback" not in err, err
        lines = [line for line in err.splitlines() if f"strategies.yaml: {key}:" in line]
        assert lines and text in lines[0], err
    assert not (home.root / "data").exists() and not (home.root / "logs").exists()


def test_str2_the_process_shows_a_failing_strategy_file_in_one_line(tmp_path):
    files = {"strategies/x.py": "def broken():\n    return 1 / 0\n\nbroken()\n"}
    home = _home(tmp_path, {"x": {"class": "strategies/x.py:X"}}, files)
    done = home.cli("check-config")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    (line,) = [ln for ln in done.stderr.splitlines() if "registry.x.class" in ln]
    assert "x.py: line 2: ZeroDivisionError: division by zero" in line


def test_str3_the_rules_parameters_in_both_places_are_refused(tmp_path, capsys):
    home = _home(tmp_path, {"rules": {"enabled": True, "params": {"min_conviction": 0.5}}}, {})
    assert main(["check-config", "--config", str(home.config)]) == 2
    assert "strategies.yaml: rules: the rules strategy's parameters are given twice" in (
        capsys.readouterr().err
    )


def test_str3_the_rules_parameters_under_params_are_validated_by_its_model(tmp_path, capsys):
    home = _home(tmp_path, {"rules": {"enabled": True, "params": {"min_conviction": 2}}}, {})
    strategies = home.root / "config/strategies.yaml"
    raw = yaml.safe_load(strategies.read_text())
    del raw["rules"]
    strategies.write_text(yaml.safe_dump(raw))
    assert main(["check-config", "--config", str(home.config)]) == 2
    err = capsys.readouterr().err
    assert "strategies.yaml: registry.rules.params.min_conviction:" in err
    raw["registry"]["rules"]["params"] = {"min_conviction": 0.5}
    strategies.write_text(yaml.safe_dump(raw))
    plugin = load_config(home.config).plugins["rules"]
    assert plugin.params.model_dump()["min_conviction"] == 0.5

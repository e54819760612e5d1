"""CFG-1: a count, duration, port, fraction or percentage written as text (`max_products:
"10"`) is refused, one line naming the file and key — a quoted number is usually a
template's placeholder left unfilled or a value meant for another key, and pydantic read
it as the number (was: accepted). Money and other Decimal fields keep taking quoted
decimals (`"0.01"` is exact where `0.01` is a float), as the shipped files may write them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import edit_policy
from tests.support.daemon import DaemonDir
from trader.cli import main
from trader.commands.exit_codes import EXIT_CONFIG
from trader.config.loader import load_config


def _set(path: tuple[str, ...], value: Any):
    def change(data: dict[str, Any]) -> None:
        for key in path[:-1]:
            data = data.setdefault(key, {})
        data[path[-1]] = value

    return change


def _write(home: DaemonDir, file: str, path: tuple[str, ...], value: Any) -> None:
    if file == "app.yaml":
        app: dict[str, Any] = {}
        _set(path, value)(app)
        home.write_app(app)
    else:
        edit_policy(home, file, _set(path, value))


AS_TEXT = [  # file, key path, a number written as text
    ("app.yaml", ("exchange", "max_products"), "10"),
    ("app.yaml", ("metrics", "port"), "9464"),
    ("app.yaml", ("cycle", "interval_s"), "60"),
    ("app.yaml", ("cycle", "jitter_pct"), " 5"),
    ("app.yaml", ("kill_switch", "poll_interval_s"), "1e-1"),
    ("universe.yaml", ("refresh_interval_s",), "300"),
    ("universe.yaml", ("load_limit_s",), "10"),
    ("signals.yaml", ("min_score",), "0.3"),
    ("policy.yaml", ("max_open_positions",), "5"),
]


@pytest.mark.parametrize(("file", "path", "text"), AS_TEXT, ids=lambda v: str(v))
def test_cfg1_a_number_written_as_text_is_refused_naming_file_and_key(
    tmp_path, capsys, file, path, text
):
    home = DaemonDir(tmp_path / "work")
    _write(home, file, path, text)
    assert main(["check-config", "--config", str(home.config)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    key = ".".join(path)
    (line,) = [line for line in err.splitlines() if f"{file}: {key}: " in line]
    assert f"must be a number, not text ({text!r})" in line and "Traceback" not in err, err
    assert not home.data.exists()


MONEY_AS_TEXT = [  # Decimal fields: a quoted decimal is the exact way to write one
    ("policy.yaml", ("min_notional",), "2.5"),
    ("policy.yaml", ("max_position_pct",), "4"),
    ("policy.yaml", ("max_spread_bps",), "25.5"),
]


@pytest.mark.parametrize(("file", "path", "text"), MONEY_AS_TEXT, ids=lambda v: str(v))
def test_cfg1_money_written_as_a_quoted_decimal_is_read_exactly(tmp_path, file, path, text):
    home = DaemonDir(tmp_path / "work")
    _write(home, file, path, text)
    loaded = load_config(home.config)
    assert str(getattr(loaded.policy, path[-1])) == text

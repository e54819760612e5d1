"""CFG-1: `check-config` finds everything `run` would fail on — before anything is
created — and `run` refuses the same way: exit 2, one line naming the key. The classes:
directories that cannot hold the daemon's files, files that collide, listeners that are
not loopback or not addresses at all, numbers that are booleans, switches that are not
true or false (`"no"`, `0`, `"on"`: pydantic alone would read them), URLs a client cannot
open, replay data that is not there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.daemon import DaemonDir
from trader.cli import main


def _file(home: DaemonDir) -> str:
    (home.root / "plain-file").write_text("not a directory\n")
    return str(home.root / "plain-file")


def _loop(home: DaemonDir) -> str:
    (home.root / "loop").symlink_to("loop")
    return str(home.root / "loop" / "data")


BAD: dict[str, tuple[Any, str, str]] = {
    # name: (override of app.yaml (or a function of the home giving a data_dir), key, text)
    "data_dir_is_a_file": (
        lambda h: {"paths": {"data_dir": _file(h)}},
        "paths.data_dir",
        "not a directory",
    ),
    "data_dir_under_proc": (
        {"paths": {"data_dir": "/proc/trader-data"}},
        "paths.data_dir",
        "under /proc",
    ),
    "data_dir_dev_null": ({"paths": {"data_dir": "/dev/null"}}, "paths.data_dir", "under /dev"),
    "log_dir_under_sys": ({"paths": {"log_dir": "/sys/trader"}}, "paths.log_dir", "under /sys"),
    "data_dir_loop": (
        lambda h: {"paths": {"data_dir": _loop(h)}},
        "paths.data_dir",
        "symlink loop",
    ),
    "empty_db_file": ({"paths": {"db_file": ""}}, "paths.db_file", "at least 1 character"),
    "blank_pid_file": ({"paths": {"pid_file": "   "}}, "paths.pid_file", "should match pattern"),
    "pid_is_db": (
        {"paths": {"pid_file": "trader.db"}},
        "paths.pid_file",
        "same file as paths.db_file",
    ),
    "kill_is_db": (
        {"paths": {"kill_switch_file": "trader.db"}},
        "paths.kill_switch_file",
        "same file",
    ),
    "db_is_paper": ({"paths": {"paper_db_file": "trader.db"}}, "paths.paper_db_file", "same file"),
    "log_is_config": (
        lambda h: {"logging": {"file": str(h.config)}},
        "logging.file",
        "same file as config file",
    ),
    "port_true": ({"metrics": {"port": True}}, "metrics.port", "not true or false"),
    "interval_false": ({"cycle": {"interval_s": False}}, "cycle.interval_s", "not true or false"),
    "read_only_no": ({"exchange": {"read_only": "no"}}, "exchange.read_only", "true or false"),
    "read_only_zero": ({"exchange": {"read_only": 0}}, "exchange.read_only", "true or false"),
    "auto_resume_on": (
        {"kill_switch": {"auto_resume": "on"}},
        "kill_switch.auto_resume",
        "true or false",
    ),
    "cancel_one": (
        {"shutdown": {"cancel_open_orders": 1}},
        "shutdown.cancel_open_orders",
        "true or false",
    ),
    "taker_true_text": (
        {"execution": {"taker_fallback": "true"}},
        "execution.taker_fallback",
        "true or false",
    ),
    "host_empty": ({"metrics": {"host": ""}}, "metrics", "every interface"),
    "host_any": ({"metrics": {"host": "0.0.0.0"}}, "metrics", "allow_remote"),
    "host_public": ({"metrics": {"host": "example.com"}}, "metrics", "allow_remote"),
    "host_garbage": ({"metrics": {"host": "not a host!"}}, "metrics", "neither an IP"),
    "rest_url_scheme": ({"exchange": {"rest_url": "ftp://x/api"}}, "exchange.rest_url", "URL"),
    "rest_url_no_host": ({"exchange": {"rest_url": "https:///api"}}, "exchange.rest_url", "URL"),
    "rest_url_bad_port": (
        {"exchange": {"rest_url": "https://h:99999/api"}},
        "exchange.rest_url",
        "port",
    ),
    "ws_url_http": (
        {"exchange": {"ws_market_url": "https://h/ws"}},
        "exchange.ws_market_url",
        "URL",
    ),
    "ws_url_space": ({"exchange": {"ws_user_url": "wss://h /ws"}}, "exchange.ws_user_url", "URL"),
    "ca_file_missing": (
        {"exchange": {"ca_file": "no-such-ca.pem"}},
        "exchange.ca_file",
        "not a readable file",
    ),
    "replay_missing": (
        {"sim": {"market": "coinbase-minute", "replay_dir": "nowhere"}},
        "sim.replay_dir",
        "not a directory",
    ),
    "replay_wrong": (
        {"sim": {"market": "binance-5m", "replay_dir": "."}},
        "sim.replay_dir",
        "holds no",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_cfg1_check_config_refuses_what_run_would_fail_on(tmp_path, capsys, kind):
    home = DaemonDir(tmp_path / "work")
    override, key, text = BAD[kind]
    home.write_app(override(home) if callable(override) else override)
    for command in ("check-config", "run"):
        code = main([command, "--config", str(home.config)])
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if f": {key}" in line]
        assert code == 2, (command, err)
        assert lines and any(text in line for line in lines), err
    assert not (home.root / "data").exists() and not (home.root / "logs").exists()


@pytest.mark.parametrize(
    ("file", "line", "key"),
    [
        ("signals.yaml", "  enabled: true\n", "price_move.enabled"),
        ("universe.yaml", "    open_membership: false", "tiers.core.open_membership"),
    ],
)
@pytest.mark.parametrize("text", ['"no"', '"yes"', "0", "1", '"false"', '""'])
def test_cfg1_a_switch_in_a_policy_file_is_true_or_false_only(
    tmp_path, capsys, file, line, key, text
):
    home = DaemonDir(tmp_path / "work")
    path = home.root / "config" / file
    original = path.read_text()
    assert line in original, f"{file} no longer holds {line!r}"
    switched = line.replace(line.split(": ")[1].strip(), text)
    path.write_text(original.replace(line, switched, 1))
    assert main(["check-config", "--config", str(home.config)]) == 2
    err = capsys.readouterr().err
    assert f"{file}: {key}: must be true or false" in err, err


def test_cfg1_a_remote_listener_is_allowed_when_meant(tmp_path, capsys):
    home = DaemonDir(tmp_path / "work")
    home.write_app({"metrics": {"host": "0.0.0.0", "allow_remote": True}})
    assert main(["check-config", "--config", str(home.config)]) == 0, capsys.readouterr().err


def test_cfg1_the_recorded_data_passes_the_replay_check(tmp_path, capsys, shared_data: Path):
    home = DaemonDir(tmp_path / "work")
    for market in ("coinbase-minute", "binance-5m", "ws-capture"):
        home.write_app({"sim": {"market": market, "replay_dir": str(shared_data)}})
        assert main(["check-config", "--config", str(home.config)]) == 0, capsys.readouterr().err

"""CFG-1, CFG-2, OPS-2: bad configurations are refused whole, named, and leave no trace."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path

import pytest
import yaml

from trader.config.issues import ConfigError
from trader.config.loader import load_config
from trader.config.secrets import KEY_PIPE_WAIT_S, CredentialsError, load_credentials

FAKE_PEM = "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIFakeFakeFake\\n-----END EC PRIVATE KEY-----"


def _set_app(home, text: str) -> None:
    home.config.write_text(text)


def _edit_policy(home, name: str, text: str) -> None:
    (home.root / "config" / name).write_text(text)


def _app_with(home, **sections) -> str:
    data = dict(home.app)
    data.update(sections)
    return yaml.safe_dump(data)


BAD_CONFIGS = {
    "unknown_key": (lambda h: _set_app(h, _app_with(h, colour="blue")), "colour"),
    "unknown_nested_key": (
        lambda h: _set_app(h, _app_with(h, metrics={"host": "127.0.0.1", "prot": 1})),
        "metrics.prot",
    ),
    "wrong_type": (lambda h: _set_app(h, _app_with(h, metrics={"port": "ninety"})), "metrics.port"),
    "bad_mode": (lambda h: _set_app(h, _app_with(h, mode="YOLO")), "mode"),
    "port_out_of_range": (
        lambda h: _set_app(h, _app_with(h, metrics={"port": 70000})),
        "metrics.port",
    ),
    "negative_interval": (
        lambda h: _set_app(h, _app_with(h, cycle={"interval_s": -5})),
        "cycle.interval_s",
    ),
    "live_read_only": (
        lambda h: _set_app(
            h, _app_with(h, mode="LIVE", exchange={"venue": "coinbase", "read_only": True})
        ),
        "exchange.read_only",
    ),
    "live_on_sim": (
        lambda h: _set_app(
            h, _app_with(h, mode="LIVE", exchange={"venue": "sim", "read_only": False})
        ),
        "exchange.venue",
    ),
    "secret_key_in_app": (
        lambda h: _set_app(h, _app_with(h, exchange={"venue": "coinbase", "api_secret": "abc"})),
        "exchange.api_secret",
    ),
    "pem_value_in_app": (
        lambda h: _set_app(h, _app_with(h, sim={"market": "synthetic", "replay_dir": FAKE_PEM})),
        "sim.replay_dir",
    ),
    "invalid_yaml": (lambda h: _set_app(h, "mode: DRY_RUN\nexchange: [unclosed\n"), "line"),
    "duplicate_key": (lambda h: _set_app(h, "mode: DRY_RUN\nmode: LIVE\n"), "duplicate key 'mode'"),
    "top_level_list": (lambda h: _set_app(h, "- mode\n- DRY_RUN\n"), "(top level)"),
    "missing_policy_file": (lambda h: (h.root / "config" / "policy.yaml").unlink(), "policy.yaml"),
    "negative_limit_in_policy": (
        lambda h: _edit_policy(h, "policy.yaml", "max_open_positions: -1\n"),
        "max_open_positions",
    ),
    "unknown_key_in_signals": (
        lambda h: _edit_policy(h, "signals.yaml", "no_such_trigger: 1\n"),
        "no_such_trigger",
    ),
    "secret_in_policy": (
        lambda h: _edit_policy(h, "strategies.yaml", "password: hunter2\n"),
        "password",
    ),
    "replay_without_dir": (
        lambda h: _set_app(h, _app_with(h, sim={"market": "binance-5m"})),
        "replay_dir",
    ),
}


def _assert_no_trace(home) -> None:
    assert not home.data.exists(), f"data dir created: {list(home.data.iterdir())}"
    assert not home.logs.exists(), "log dir created by a rejected config"


@pytest.mark.parametrize("kind", sorted(BAD_CONFIGS))
def test_cfg1_bad_config_exit_2_names_key_and_leaves_no_trace(daemon_dir, kind):
    breaker, expected = BAD_CONFIGS[kind]
    breaker(daemon_dir)
    checked = daemon_dir.cli("check-config")
    assert checked.returncode == 2, checked.stdout + checked.stderr
    assert expected in checked.stderr, checked.stderr
    started = daemon_dir.cli("run")
    assert started.returncode == 2, started.stdout + started.stderr
    assert expected in started.stderr
    _assert_no_trace(daemon_dir)


def test_cfg1_missing_config_file_exit_2(daemon_dir):
    daemon_dir.config.unlink()
    result = daemon_dir.cli("run")
    assert result.returncode == 2
    assert "file not found" in result.stderr
    _assert_no_trace(daemon_dir)


def test_cfg1_every_error_reported_at_once(daemon_dir):
    _set_app(daemon_dir, _app_with(daemon_dir, colour="blue", metrics={"port": "x"}))
    _edit_policy(daemon_dir, "signals.yaml", "no_such_trigger: 1\n")
    result = daemon_dir.cli("check-config")
    assert result.returncode == 2
    for needle in ("app.yaml: colour", "app.yaml: metrics.port", "signals.yaml: no_such_trigger"):
        assert needle in result.stderr, result.stderr
    assert "3 problems found" in result.stderr


def test_cfg1_check_config_prints_hash_and_it_is_stable(daemon_dir, tmp_path):
    first = daemon_dir.cli("check-config")
    assert first.returncode == 0, first.stderr
    hash_line = next(line for line in first.stdout.splitlines() if line.startswith("config_hash:"))
    assert len(hash_line.split()[1]) == 64
    assert load_config(daemon_dir.config).config_hash == hash_line.split()[1]
    _set_app(daemon_dir, _app_with(daemon_dir, cycle={"interval_s": 30}))
    assert load_config(daemon_dir.config).config_hash != hash_line.split()[1]


def test_cfg3_example_config_is_dry_run_on_embedded_venue(repo_root: Path):
    loaded = load_config(repo_root / "app.yaml.example")
    assert loaded.app.mode.value == "DRY_RUN"
    assert loaded.app.exchange.venue == "sim"
    assert loaded.app.exchange.read_only is True
    assert loaded.app.metrics.host == "127.0.0.1"


def test_cfg1_relative_paths_resolve_against_config_dir(daemon_dir):
    loaded = load_config(daemon_dir.config)
    assert loaded.db_path == daemon_dir.root.resolve() / "data" / "trader.db"
    assert loaded.kill_switch_path == daemon_dir.root.resolve() / "data" / "KILL_SWITCH"


def test_cfg2_loader_error_lists_issue_objects(daemon_dir):
    _set_app(daemon_dir, _app_with(daemon_dir, exchange={"token": "x"}))
    with pytest.raises(ConfigError) as caught:
        load_config(daemon_dir.config)
    assert [issue.key for issue in caught.value.issues] == ["exchange.token"]


def _test_pem() -> str:
    """A throw-away P-256 key made for this test run, written with literal backslash-n."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        .decode()
    )
    return pem.strip().replace("\n", "\\n")


def test_cfg2_credentials_from_env_and_key_file(tmp_path):
    pem = _test_pem()
    key_file = tmp_path / "cdp_api_key.json"
    key_file.write_text(f'{{"name": "organizations/o/apiKeys/k", "privateKey": "{pem}"}}')
    creds = load_credentials({"CB_API_KEY_FILE": str(key_file)})
    assert creds is not None and creds.key_name == "organizations/o/apiKeys/k"
    assert "\n" in creds.private_key and "\\n" not in creds.private_key
    assert "PRIVATE KEY" not in repr(creds)
    inline = load_credentials({"CB_API_KEY_NAME": "n", "CB_API_PRIVATE_KEY": pem})
    assert inline is not None and inline.private_key.startswith("-----BEGIN EC PRIVATE KEY-----\n")
    assert load_credentials({}) is None
    with pytest.raises(CredentialsError, match="CB_API_KEY_NAME"):
        load_credentials({"CB_API_PRIVATE_KEY": pem})
    with pytest.raises(CredentialsError, match="not valid JSON"):
        key_file.write_text("{nope")
        load_credentials({"CB_API_KEY_FILE": str(key_file)})


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"name": "\xff", "privateKey": "x"}', "not UTF-8 text"),
        (b"\xfe\xff\x00{", "not UTF-8 text"),
        (b"{" + b" " * (70 * 1024) + b"}", "larger than"),
    ],
)
def test_cfg2_a_key_file_that_is_not_a_key_file_is_one_line_exit_2(
    daemon_dir, tmp_path, content, expected
):
    """Bytes that are not UTF-8, or more than a key file ever holds (a device that never
    ends is read no further): the credentials error, one line, exit 2, for every variable
    that names a file."""
    key_file = tmp_path / "key.json"
    key_file.write_bytes(content)
    for env in (
        {"CB_API_KEY_FILE": str(key_file)},
        {"CB_API_KEY_NAME": "n", "CB_API_PRIVATE_KEY_FILE": str(key_file)},
    ):
        with pytest.raises(CredentialsError, match=expected):
            load_credentials(env)
    daemon_dir.write_app({"exchange": {"venue": "coinbase"}})
    result = daemon_dir.cli("run", env={"CB_API_KEY_FILE": str(key_file)})
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1 and expected in result.stderr


def test_cfg2_a_named_pipe_nothing_writes_to_is_refused_within_its_wait(daemon_dir, tmp_path):
    """A key file that is a named pipe with no writer (a secret helper that never ran):
    `run` used to wait on it for ever. It waits KEY_PIPE_WAIT_S, then one line, exit 2."""
    key_file = tmp_path / "key.json"
    os.mkfifo(key_file)
    daemon_dir.write_app({"exchange": {"venue": "coinbase"}})
    for env in (
        {"CB_API_KEY_FILE": str(key_file)},
        {"CB_API_KEY_NAME": "n", "CB_API_PRIVATE_KEY_FILE": str(key_file)},
    ):
        result = daemon_dir.cli("run", env=env, timeout=KEY_PIPE_WAIT_S + 20)
        assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
        assert f"{key_file}: no end of data within {KEY_PIPE_WAIT_S:g} s" in result.stderr
        assert not (daemon_dir.root / "data").exists()


@pytest.mark.parametrize("late_s", [0, 0.5])
def test_cfg2_a_key_given_through_a_pipe_is_read_to_its_end(tmp_path, late_s):
    """`CB_API_KEY_FILE=<(pass show coinbase)`: the key arrives through a pipe, written
    whole or in parts, at once or a moment later."""
    key_file = tmp_path / "key.json"
    os.mkfifo(key_file)
    content = json.dumps({"name": "organizations/o/apiKeys/k", "privateKey": _test_pem()})

    def write() -> None:
        time.sleep(late_s)
        with key_file.open("w") as pipe:
            for at in range(0, len(content), 64):
                pipe.write(content[at : at + 64])
                pipe.flush()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        credentials = load_credentials({"CB_API_KEY_FILE": str(key_file)})
    finally:
        writer.join()
    assert credentials is not None and credentials.key_name == "organizations/o/apiKeys/k"


def test_cfg2_an_endless_key_file_is_read_no_further():
    with pytest.raises(CredentialsError, match="larger than"):
        load_credentials({"CB_API_KEY_NAME": "n", "CB_API_PRIVATE_KEY_FILE": "/dev/zero"})


@pytest.mark.parametrize(
    "key",
    [
        FAKE_PEM,
        "not a key at all",
        "AAAA",
        "-----BEGIN PRIVATE KEY-----\\nZm9v\\n-----END PRIVATE KEY-----",
    ],
)
def test_cfg2_a_key_that_does_not_parse_is_refused_at_start(daemon_dir, key):
    with pytest.raises(CredentialsError, match="CB_API_PRIVATE_KEY"):
        load_credentials({"CB_API_KEY_NAME": "n", "CB_API_PRIVATE_KEY": key})
    env = {"CB_API_KEY_NAME": "organizations/o/apiKeys/k", "CB_API_PRIVATE_KEY": key}
    daemon_dir.write_app({"exchange": {"venue": "coinbase"}})
    result = daemon_dir.cli("run", env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("credentials error: CB_API_PRIVATE_KEY")
    assert not (daemon_dir.root / "data").exists()


@pytest.mark.parametrize(
    ("file", "section", "typo", "meant"),
    [
        ("app.yaml", None, "mdoe", "mode"),
        ("app.yaml", "metrics", "prot", "port"),
        ("app.yaml", "execution", "entry_tll_s", "entry_ttl_s"),
        ("config/policy.yaml", None, "max_postion_pct", "max_position_pct"),
        ("config/signals.yaml", "momentum", "min_retrun_pct", "min_return_pct"),
    ],
)
def test_cfg1_a_mistyped_key_is_named_with_the_nearest_valid_one(
    daemon_dir, file, section, typo, meant
):
    path = daemon_dir.root / file
    data = yaml.safe_load(path.read_text()) or {}
    (data.setdefault(section, {}) if section else data)[typo] = 1
    path.write_text(yaml.safe_dump(data))
    result = daemon_dir.cli("check-config")
    assert result.returncode == 2
    key = f"{section}.{typo}" if section else typo
    assert f"{key}: unknown key (did you mean {meant}?)" in result.stderr, result.stderr


UNPRINTABLE = ["\n", "\r", "\t", "\x00", "\x1b[31m", "\x7f", "\x85", "\x9b", "\u2028", "\xa0"]


@pytest.mark.parametrize("char", UNPRINTABLE, ids=ascii)
def test_cfg2_a_key_name_with_an_unprintable_character_is_refused(tmp_path, char):
    """A key name is shown (doctor) and sent in every token: a line break, tab, ESC, DEL,
    C1 control, line separator or no-break space in it is named, one line, from the key
    file and from CB_API_KEY_NAME alike."""
    key_file = tmp_path / "cdp_api_key.json"
    name = f"organizations/o/apiKeys/k{char}x"
    key_file.write_text(json.dumps({"name": name, "privateKey": _test_pem()}))
    sources = [({"CB_API_KEY_FILE": str(key_file)}, f"CB_API_KEY_FILE={key_file}: ")]
    if char != "\x00":  # no environment holds a NUL
        sources.append(({"CB_API_KEY_NAME": name, "CB_API_PRIVATE_KEY": _test_pem()}, ""))
    for env, where in sources:
        with pytest.raises(CredentialsError) as refused:
            load_credentials(env)
        message = str(refused.value)
        assert message.startswith(where or "CB_API_KEY_NAME: ") and "\n" not in message
        assert f"unprintable character ({ascii(char[0])[1:-1]} at position 25)" in message


def test_cfg2_a_key_name_made_of_printable_text_is_kept_as_written(tmp_path):
    key_file = tmp_path / "cdp_api_key.json"
    name = "organizations/Ö ü/apiKeys/k-1_ü"
    key_file.write_text(json.dumps({"name": name, "privateKey": _test_pem()}))
    credentials = load_credentials({"CB_API_KEY_FILE": str(key_file)})
    assert credentials is not None and credentials.key_name == name


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"name": "a", "name": "b", "privateKey": "%s"}', "name"),
        ('{"name": "a", "privateKey": "%s", "privateKey": "%s"}', "privateKey"),
        ('{"id": "a", "id": "b", "privateKey": "%s"}', "id"),
        ('{"name": "a", "privateKey": "%s", "meta": {"x": 1, "x": 2}}', "x"),
        ('{"name": "a", "privateKey": "%s", "n\\u0061me": "b"}', "name"),
    ],
)
def test_cfg2_a_key_file_giving_a_key_twice_is_refused_one_line_exit_2(
    daemon_dir, tmp_path, text, key
):
    """Which of two `name`s (or `privateKey`s) is meant cannot be guessed: the file is
    refused as the credentials error, one line naming file and key, exit 2 at `run`."""
    key_file = tmp_path / "cdp_api_key.json"
    key_file.write_text(text.replace("%s", _test_pem()))
    expected = f"CB_API_KEY_FILE={key_file}: the key '{key}' is given twice"
    with pytest.raises(CredentialsError, match=re.escape(expected)):
        load_credentials({"CB_API_KEY_FILE": str(key_file)})
    daemon_dir.write_app({"exchange": {"venue": "coinbase"}})
    result = daemon_dir.cli("run", env={"CB_API_KEY_FILE": str(key_file)})
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines() == [f"credentials error: {expected} (give it once)"]
    assert not daemon_dir.data.exists()


def test_cfg2_a_key_name_with_a_line_break_is_one_line_exit_2_at_run(daemon_dir, tmp_path):
    key_file = tmp_path / "key\nfile.json"  # the path too is shown on one line
    key_file.write_text(json.dumps({"name": "org/k\x1b[2J\nX", "privateKey": _test_pem()}))
    daemon_dir.write_app({"exchange": {"venue": "coinbase"}})
    result = daemon_dir.cli("run", env={"CB_API_KEY_FILE": str(key_file)})
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "key\\nfile.json: the key name holds" in lines[0], lines
    assert "\x1b" not in result.stderr and not daemon_dir.data.exists()

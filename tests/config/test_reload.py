"""CFG-2: a SIGHUP reload adopts policy changes and refuses what only a restart applies."""

from __future__ import annotations

import yaml

from trader.config.loader import load_config
from trader.config.reload import RESTART_ONLY_SECTIONS, needs_restart


def test_cfg2_a_policy_change_needs_no_restart(daemon_dir):
    running = load_config(daemon_dir.config)
    policy = daemon_dir.root / "config" / "policy.yaml"
    data = yaml.safe_load(policy.read_text())
    data["max_open_positions"] = int(data["max_open_positions"]) + 1
    policy.write_text(yaml.safe_dump(data))
    fresh = load_config(daemon_dir.config)
    assert fresh.policy != running.policy
    assert needs_restart(running, fresh) == []


def test_cfg2_each_start_time_section_needs_a_restart(daemon_dir):
    running = load_config(daemon_dir.config)
    daemon_dir.write_app({"execution": {"entry_ttl_s": 45}, "mode": "PAPER"})
    fresh = load_config(daemon_dir.config)
    assert needs_restart(running, fresh) == ["mode", "execution"]
    assert set(RESTART_ONLY_SECTIONS) >= {"exchange", "paths", "metrics", "logging"}


def test_cfg2_changed_signal_definitions_need_a_restart(daemon_dir):
    running = load_config(daemon_dir.config)
    signals = daemon_dir.root / "config" / "signals.yaml"
    signals.write_text(signals.read_text() + "\n# a comment changes nothing\n")
    assert needs_restart(running, load_config(daemon_dir.config)) == []
    data = yaml.safe_load(signals.read_text())
    data["price_move"]["threshold_60m_pct"] = 0.3
    signals.write_text(yaml.safe_dump(data))
    assert needs_restart(running, load_config(daemon_dir.config)) == ["signals.yaml"]

"""EX-3: a LIVE daemon halts with `clock_skew` when the venue clock drifts while it runs."""

from __future__ import annotations

from tests.support.daemon import wait_for
from tests.support.venue import start_venue


def test_ex3_live_daemon_halts_when_the_clock_drifts_beyond_the_bound(daemon_dir, tmp_path):
    venue = start_venue(tmp_path, seed=8, products=2)
    try:
        daemon_dir.write_app(
            {
                "mode": "LIVE",
                "exchange": venue.exchange_section(
                    read_only=False, max_clock_offset_ms=1000, clock_check_interval_s=1
                ),
            }
        )
        env = {"CB_API_KEY_FILE": str(venue.key_file), "TRADER_CONFIRM_LIVE": "1"}
        daemon = daemon_dir.start(env=env)
        daemon.wait_started(timeout=60)
        wait_for(lambda: "trading" in daemon.status(), timeout=60)
        assert daemon.status()["state"] == "ACTIVE"
        venue.call("POST", "/clock", {"offset_s": 2.5})
        wait_for(lambda: daemon.status()["halt_reason"] == "clock_skew", timeout=20)
        status = daemon.status()
        assert status["state"] == "HALTED"
        assert 2.3 < status["trading"]["clock_offset_s"] < 2.7
        assert daemon.stop() == 0
    finally:
        venue.stop()

"""OPS-9: a human console format on a terminal (or when asked), JSON lines otherwise; the
log file is JSON lines either way, so tools can read it."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time

import orjson

from tests.support.daemon import wait_for


def test_ops9_console_format_on_stdout_json_in_the_file(daemon_dir):
    daemon_dir.write_app({"logging": {"format": "console"}})
    daemon = daemon_dir.start()
    wait_for(lambda: "daemon_started" in daemon.output(), timeout=30)
    time.sleep(1)
    stdout = [line for line in daemon.output().splitlines() if "daemon_started" in line]
    assert stdout and not stdout[0].lstrip().startswith("{")  # human, not JSON
    assert "[info" in stdout[0] and "mode=DRY_RUN" in stdout[0]
    file_lines = (daemon_dir.logs / "trader.log").read_text().splitlines()
    events = [orjson.loads(line)["event"] for line in file_lines]
    assert "daemon_started" in events
    daemon.signal(__import__("signal").SIGTERM)
    assert daemon.wait() == 0


def test_ops9_auto_format_is_human_on_a_terminal(daemon_dir):
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "trader", "run", "--config", str(daemon_dir.config)],
        cwd=daemon_dir.root,
        env=daemon_dir.env(),
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    seen = b""
    deadline = time.monotonic() + 30
    try:
        while b"daemon_started" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                seen += os.read(main, 65536)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        os.close(main)
    text = re.sub(r"\x1b\[[0-9;]*m", "", seen.decode(errors="replace"))  # colours off
    line = next(x for x in text.splitlines() if "daemon_started" in x)
    assert not line.lstrip().startswith("{") and "mode=DRY_RUN" in line

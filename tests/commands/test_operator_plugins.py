"""OPS-4, STR-2: the operator's commands (`kill`, `resume`, `status`; also
`reset-high-water-mark`, `reconcile`, `adopt`) run none of the user's strategy or filter
code. A strategy or filter file that is broken or never finishes loading (edited on disk
while the daemon runs) cannot stop an operator from halting the daemon, reading its state
or resuming it: each command answers at once, as with a sound file. The configuration hash
they report is the daemon's (the files are read, not run)."""

from __future__ import annotations

import os
import time

import pytest

from tests.config.test_filter_load_limit import NEVER_BUILDS, filter_source, with_slow
from tests.config.test_load_limit import NEVER_LOADS, never_loading, with_mine
from tests.support.daemon import DaemonDir, wait_for
from trader.config.loader import load_config

SOUND = never_loading("spins_at_import").replace("while True", "while False")
BROKEN = {  # kind: the source of strategies/mine.py
    "spins_at_import": never_loading("spins_at_import"),
    "waits_in_constructor": never_loading("waits_in_constructor"),
    "raises_at_import": "raise RuntimeError('half-edited')\n",
    "syntax_error": "def broken(:\n",
    "names_no_class": "VALUE = 1\n",
}
ANSWER_S = 8.0  # well under the 10 s load limit: nothing waited for a strategy


def _timed_cli(home: DaemonDir, *args: str):
    began = time.monotonic()
    done = home.cli(*args, timeout=60)
    took = time.monotonic() - began
    assert "Traceback" not in done.stderr, done.stderr
    assert took < ANSWER_S, f"`trader {' '.join(args)}` took {took:.1f} s"
    return done


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_ops4_operator_commands_answer_whatever_the_strategy_file_holds(tmp_path, kind):
    home = DaemonDir(tmp_path / "work")
    mine = with_mine(home, SOUND, limit_s=None)
    assert home.cli("check-config").returncode == 0
    mine.write_text(BROKEN[kind])
    if kind not in NEVER_LOADS:  # those wait out the load limit: tests/config/test_load_limit
        assert home.cli("check-config").returncode == 2  # the file is refused there
    killed = _timed_cli(home, "kill", "--reason", "broken strategy")
    assert killed.returncode == 0, killed.stderr
    assert home.kill_switch.exists()
    status = _timed_cli(home, "status", "--json")
    assert status.returncode in (0, 1), status.stderr  # 1: no state file yet, said in one line
    home.kill_switch.unlink()
    resumed = _timed_cli(home, "resume", "--note", "file mended")
    assert resumed.returncode in (0, 1), resumed.stderr


def test_ops4_kill_halts_a_running_daemon_whose_strategy_file_now_spins(tmp_path):
    home = DaemonDir(tmp_path / "work")
    mine = with_mine(home, SOUND, limit_s=None)
    daemon = home.start()
    try:
        daemon.wait_started()
        mine.write_text(BROKEN["spins_at_import"])
        killed = _timed_cli(home, "kill", "--reason", "drill")
        assert killed.returncode == 0, killed.stderr
        wait_for(lambda: daemon.status()["state"] == "HALTED", timeout=5, interval=0.05)
        shown = _timed_cli(home, "status")
        assert shown.returncode == 0 and "HALTED" in shown.stdout, shown.stdout
        assert daemon.stop() == 0
    finally:
        home.cleanup()


def test_st1_the_operators_hash_is_the_daemons(tmp_path):
    home = DaemonDir(tmp_path / "work")
    with_mine(home, SOUND, limit_s=None)
    run = load_config(home.config)
    read = load_config(home.config, run_plugins=False)
    assert read.config_hash == run.config_hash
    assert not read.plugins and "mine" in run.plugins


RAN = "filter_ran"  # in the command's working directory: the filter file was run


@pytest.mark.parametrize("kind", sorted(NEVER_BUILDS))
def test_ops4_operator_commands_run_no_filter_code(tmp_path, kind):
    home = DaemonDir(tmp_path / "work")
    source = f"open({RAN!r}, 'w').close()\n" + filter_source(NEVER_BUILDS[kind])
    with_slow(home, source, limit_s=1)
    assert home.cli("check-config").returncode == 2  # run there, refused after 1 s
    assert (home.root / RAN).exists()
    (home.root / RAN).unlink()
    killed = _timed_cli(home, "kill", "--reason", "drill")
    assert killed.returncode == 0 and home.kill_switch.exists(), killed.stderr
    status = _timed_cli(home, "status", "--json")
    assert status.returncode in (0, 1), status.stderr  # 1: no state file yet, said in one line
    assert not (home.root / RAN).exists(), "an operator's command ran the filter file"


def _loop(path):
    path.symlink_to(path.name)


def _long_name(path):
    path.symlink_to("x" * 300)  # ENAMETOOLONG


NOT_A_FILE = {  # kind: what is put at strategies/mine.py's name, the words of the line
    "fifo": (os.mkfifo, "is not a regular file"),
    "directory": (lambda path: path.mkdir(), "is not a regular file"),
    "symlink_loop": (_loop, "is a symlink loop"),
    "link_to_nowhere": (lambda path: path.symlink_to("gone.py"), "no such file"),
    "name_too_long": (_long_name, "File name too long"),
    "under_a_file": (lambda path: path.symlink_to("../../app.yaml/mine.py"), "Not a directory"),
}


@pytest.mark.parametrize("kind", sorted(NOT_A_FILE))
def test_str2_what_is_not_a_strategy_file_at_its_name_is_one_line_and_never_waited_on(
    tmp_path, kind
):
    """A FIFO there was waited on (check-config until the load limit; `kill` and `status`,
    which read the file for the hash, forever); a symlink loop or a folder was a traceback
    of every command, `kill` included."""
    home = DaemonDir(tmp_path / "work")
    mine = with_mine(home, SOUND, limit_s=None)
    mine.unlink()
    make, words = NOT_A_FILE[kind]
    make(mine)
    checked = _timed_cli(home, "check-config")
    assert checked.returncode == 2 and checked.stdout == "", checked.stderr
    line = checked.stderr.splitlines()[0]
    assert "registry.mine.class: " in line and "mine.py" in line and words in line, line
    killed = _timed_cli(home, "kill", "--reason", "drill")
    assert killed.returncode == 0 and home.kill_switch.exists(), killed.stderr
    status = _timed_cli(home, "status", "--json")
    assert status.returncode == 1 and "no state yet" in status.stderr, status.stderr

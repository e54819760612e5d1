"""The order in which `pytest -n N --dist loadfile` (scripts/test) hands out the suite's
files: the ones that take minutes first, so that no worker starts one of them while the
others are running out of work, and the longest file's tests spread over the workers.

xdist's own order (most tests first) would start the one-test files that wait on real
minutes last; then the run's end is one worker alone in such a file. The list below is
kept by hand from a full run's `--durations`, longest first; a file missing from it only
starts later than it could. The files in `SPREAD_FILES` have no module fixture, so each
of their tests is its own unit of work and may run on another worker than its neighbours.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadFileScheduling
from xdist.workermanage import WorkerController

# the files taking ~15 s or more, longest first (their tests' seconds added up)
LONG_FILES = (
    "tests/e2e/test_e2e_backtest_parity.py",
    "tests/chaos/test_chaos.py",
    "tests/execution/test_order_watch.py",
    "tests/desk/test_product_rules.py",
    "tests/daemon/test_market_data_faults.py",
    "tests/desk/test_missing_fills.py",
    "tests/daemon/test_halts_under_faults.py",
    "tests/config/test_app_config.py",
    "tests/daemon/test_key_watch.py",
    "tests/daemon/test_state_file.py",
    "tests/daemon/test_strategy_thread.py",
    "tests/backtest/test_search.py",
    "tests/daemon/test_strategy_reload.py",
    "tests/commands/test_operator_plugins.py",
    "tests/daemon/test_lifecycle.py",
    "tests/backtest/test_lookahead.py",
    "tests/e2e/test_e2e_live_clock.py",
    "tests/e2e/test_e2e_listing.py",
    "tests/commands/test_download.py",
    "tests/daemon/test_graceful_stop.py",
    "tests/commands/test_status.py",
    "tests/config/test_load_limit.py",
    "tests/daemon/test_kill_switch.py",
    "tests/daemon/test_venue_data.py",
    "tests/marketdata/test_service.py",
    "tests/e2e/test_e2e_paper.py",
    "tests/daemon/test_outside_holdings.py",
    "tests/ops/test_metrics_http.py",
    "tests/commands/test_backtest_strategy_failures.py",
    "tests/daemon/test_plugin_builds.py",
    "tests/config/test_bounds.py",
    "tests/e2e/test_e2e_faults.py",
    "tests/backtest/test_data_checks.py",
    "tests/daemon/test_start_signals.py",
    "tests/e2e/test_user_strategy_failures.py",
    "tests/config/test_files.py",
    "tests/test_native.py",
)
# each test of these a unit of its own: together they are longer than any other file
SPREAD_FILES = frozenset({"tests/e2e/test_e2e_backtest_parity.py"})


class LongestFirstScheduling(LoadFileScheduling):
    """`--dist loadfile`, with the files of `LONG_FILES` handed out first, in that order,
    and the tests of `SPREAD_FILES` handed out one by one."""

    def __init__(self, config: pytest.Config, log: Producer | None = None) -> None:
        super().__init__(config, log)
        self.ordered = False

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::", 1)[0]
        return nodeid if path in SPREAD_FILES else path

    def _assign_work_unit(self, node: WorkerController) -> None:
        if not self.ordered:  # the queue is complete before its first unit is handed out
            self.workqueue = OrderedDict(sorted(self.workqueue.items(), key=_rank))
            self.ordered = True
        super()._assign_work_unit(node)


def _rank(unit: tuple[str, dict[str, bool]]) -> int:
    """A long file's place in `LONG_FILES`; every other file after them, in xdist's order
    (sorting is stable)."""
    path = unit[0].split("::", 1)[0]
    return LONG_FILES.index(path) if path in LONG_FILES else len(LONG_FILES)

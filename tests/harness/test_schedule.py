"""The suite's file order under `--dist loadfile` (tests/support/schedule.py) names files
that exist, and spreads only files whose tests share no module fixture."""

from __future__ import annotations

import re

from tests.support.schedule import LONG_FILES, SPREAD_FILES


def test_the_long_files_named_exist_once_each(repo_root):
    assert [path for path in LONG_FILES if not (repo_root / path).is_file()] == []
    assert len(set(LONG_FILES)) == len(LONG_FILES)
    assert SPREAD_FILES.issubset(LONG_FILES)


def test_a_spread_file_has_no_fixture_its_tests_would_share(repo_root):
    shared = re.compile(r"scope\s*=\s*[\"'](module|package|session|class)")
    for path in SPREAD_FILES:
        assert not shared.search((repo_root / path).read_text()), path

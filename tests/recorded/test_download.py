"""BT-1: a damaged download manifest (`OUT/.download.json`) is named, with its line, never
a bare JSON error: `trader download` says which file to remove or repair."""

from __future__ import annotations

from pathlib import Path

import pytest

from trader.recorded.download import MANIFEST, read_manifest
from trader.recorded.errors import RecordedDataError


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"BTC-USD-1m.csv": [1, 2],\n', 2),  # cut short
        ("", 1),
        ("[1, 2]", 1),  # not a mapping
        ('{"BTC-USD-1m.csv": 5}', 1),
        ('{"BTC-USD-1m.csv": ["a", 2]}', 1),
        ('{"BTC-USD-1m.csv": [1]}', 1),
        ("[" * 100_000, 1),
        ("\u00e9t\u00e9", 1),
    ],
)
def test_bt1_a_damaged_manifest_names_the_file_and_line(tmp_path: Path, text: str, line: int):
    (tmp_path / MANIFEST).write_text(text, encoding="latin-1" if "\u00e9" in text else "utf-8")
    with pytest.raises(RecordedDataError) as caught:
        read_manifest(tmp_path)
    assert (caught.value.path, caught.value.line) == (str(tmp_path / MANIFEST), line)


def test_bt1_a_manifest_reads_back_its_spans(tmp_path: Path):
    (tmp_path / MANIFEST).write_text('{"BTC-USD-1m.csv": [60, 120]}\n')
    assert read_manifest(tmp_path) == {"BTC-USD-1m.csv": [60, 120]}
    assert read_manifest(tmp_path / "absent") == {}

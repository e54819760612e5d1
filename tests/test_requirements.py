"""docs/requirements.md is the truth for requirement IDs: every ID that code, tests,
scripts, deploy files or docs cite is defined there (a `- **ID` entry), and its table of
test counts per ID matches the test functions as they are named today."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

CITED = re.compile(r"\b(OPS|CFG|U|S|STR|X|EX|R|BT|ST|SIM|PERF|SEC)-[0-9]+\b")
DEFINED = re.compile(r"^- \*\*((?:OPS|CFG|U|S|STR|X|EX|R|BT|ST|SIM|PERF|SEC)-[0-9]+)\b", re.M)
TEST_ID = re.compile(r"(ops|cfg|u|s|str|x|ex|r|bt|st|sim|perf|sec)(\d+)")
SOURCES = ("trader", "tests", "scripts", "deploy", "docs")


def _text_files(root: Path) -> list[Path]:
    found = [root / "README.md"]
    for folder in SOURCES:
        found += [
            p
            for p in (root / folder).rglob("*")
            if p.is_file() and p.suffix in {".py", ".md", ".yml", ".yaml", ".json", ".service"}
        ]
    return found


def test_every_cited_requirement_id_is_defined(repo_root: Path):
    defined = set(DEFINED.findall((repo_root / "docs/requirements.md").read_text()))
    undefined = {
        f"{match.group(0)} in {path.relative_to(repo_root)}"
        for path in _text_files(repo_root)
        for match in CITED.finditer(path.read_text(errors="replace"))
        if match.group(0) not in defined
    }
    assert not undefined, sorted(undefined)


def test_the_tests_per_id_table_is_current(repo_root: Path):
    counts: Counter[str] = Counter()
    for path in (repo_root / "tests").rglob("test_*.py"):
        for name in re.findall(r"def (test_\w+)", path.read_text()):
            first = TEST_ID.fullmatch(name.split("_")[1])
            if first:
                counts[f"{first.group(1).upper()}-{first.group(2)}"] += 1
    text = (repo_root / "docs/requirements.md").read_text()
    table = dict(re.findall(r"\| ([A-Z]+-\d+) \| (\d+) ", text))
    assert {k: int(v) for k, v in table.items()} == dict(counts)

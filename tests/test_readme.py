"""The README's promise to a new user: two commands at the top, and CI runs the second."""

from __future__ import annotations

import os
import re
from pathlib import Path


def test_readme_starts_with_exactly_the_two_commands(repo_root: Path):
    text = (repo_root / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block and text.index("```sh") < 200, "the commands must open the README"
    commands = [
        line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()
    ]
    assert commands == ["scripts/run", "scripts/test"]
    for script in ("scripts/run", "scripts/test", ".ci/run"):
        assert os.access(repo_root / script, os.X_OK), f"{script} must be executable"
    assert "scripts/test" in (repo_root / ".ci" / "run").read_text()


def test_scripts_run_defaults_to_the_example_config(repo_root: Path):
    text = (repo_root / "scripts" / "run").read_text()
    assert "run --config app.yaml.example" in text

"""The README says what the code does: its command table and .ci/run cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from amplify_conformance import CHECKS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_table_lists_every_check_with_its_level_and_question():
    table = re.findall(r"^\| `([\w.-]+)` \| (\w+) \| (.+) \|$", README, re.M)
    rows = {check: (level, question) for check, level, question in table}
    assert rows == {cid: (info.level, info.question) for cid, info in CHECKS.items()}


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.findall(r"```sh\n(python3 -m venv .*)\n```", README)
    assert len(commands) == 2
    test_command = commands[1].split(" && ", 2)[2]
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.rstrip().splitlines()[-1] == test_command

"""docs/CONTRACT.md, the rules as the project ships them, stays in step with the code: every check
id, fault and quirk the code registers is named there, and everything it names exists."""

from __future__ import annotations

import re
from pathlib import Path

from amplify_conformance import CHECKS
from amplify_emulator import FAULTS
from amplify_emulator._quirks import quirks

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = (ROOT / "docs" / "CONTRACT.md").read_text()
README = (ROOT / "README.md").read_text()
SENTENCE_HEADER = ("sentence", "check", "fault that proves it is caught", "quirk that proves a variant passes")


def _tables(text: str) -> list[list[dict[str, str]]]:
    """Every markdown table of ``text``, as rows keyed by the header's cells."""
    tables, block = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if len(block) > 2:
            header, body = block[0], block[2:]  # block[1] is the |---| line
            tables.append([dict(zip(header, row, strict=True)) for row in body])
        block = []
    return tables


def _rows(first_column: str) -> list[dict[str, str]]:
    return [row for table in _tables(CONTRACT) for row in table if first_column in row]


def _named(cell: str) -> list[str]:
    """The names a cell gives in backticks (options such as `--settle` are no names)."""
    return [name for name in re.findall(r"`([\w.-]+)`", cell) if not name.startswith("-")]


SENTENCES = _rows("sentence")
OPEN = _rows("left open")


def test_every_sentence_table_has_the_same_columns_and_names_its_rule():
    tables = [t for t in _tables(CONTRACT) if t and "sentence" in t[0]]
    assert len(tables) >= 4
    assert all(tuple(row) == SENTENCE_HEADER for table in tables for row in table)
    assert all(re.match(r"(R\d|aws|Asynchrony)\b", row["sentence"]) for row in SENTENCES)
    assert len(SENTENCES) >= 30


def test_every_check_id_the_code_registers_stands_beside_a_sentence():
    beside = {check for row in SENTENCES for check in _named(row["check"])}
    assert set(CHECKS) - beside == set()
    assert beside - set(CHECKS) == set()


def test_the_faults_named_are_real_and_prove_the_check_of_their_sentence():
    proven = set()
    for row in SENTENCES:
        checks = _named(row["check"])
        for fault in _named(row["fault that proves it is caught"]):
            assert fault in FAULTS, fault
            assert FAULTS[fault].check in checks or not checks or fault == "r6_malformed", (fault, checks)
            proven.add(fault)
    assert proven == set(FAULTS)


def test_every_quirk_is_named_and_every_quirk_named_in_a_column_is_real():
    in_columns = {q for row in SENTENCES for q in _named(row["quirk that proves a variant passes"])}
    in_columns |= {q for row in OPEN for q in _named(row["quirk"])}
    assert in_columns - set(quirks()) == set()
    assert set(quirks()) - set(re.findall(r"`([\w.-]+)`", CONTRACT)) == set()
    assert len(OPEN) >= 15


def test_every_quirk_cites_a_rule_or_section_the_document_has():
    headings = set(re.findall(r"^#+ (.+)$", CONTRACT, re.M))
    for quirk in quirks().values():
        cited = re.match(r"CONTRACT (?:'([^']+)'|(R\d))", quirk.allows)
        assert cited, quirk.allows
        section, rule = cited.groups()
        cites = (section in headings) if section else any(row["sentence"].startswith(rule) for row in SENTENCES)
        assert cites, (quirk.name, quirk.allows)


def test_the_document_says_its_version_and_the_readme_links_it_and_nothing_outside_the_project():
    assert re.search(r"^# .*\(version 3\)$", CONTRACT, re.M)
    assert "(docs/CONTRACT.md)" in README and "contract version 3" in README
    assert "(docs/ci.md)" in README
    assert "../shared" not in README and "shared/CONTRACT" not in README

"""One set of counts: the summary line, report.md's and report.html's level tables, report.json's
summary, junit.xml and the console say the same numbers, in runs that pass, fail, err, skip,
accept and stop short."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import pytest
from amplify_conformance import RunOptions, run
from amplify_conformance._deviations import apply_deviations, load_deviations
from amplify_conformance._reporting import VERDICTS, check_counts, summary_line, write_reports
from amplify_conformance._results import verdict_summary

from ._report_fixtures import incomplete_result, mixed_result, passing_result, stateless_result

_COUNT = re.compile(r"(\d+) (pass|fail|error|skipped|accepted)")


def _line_counts(text: str, what: str) -> dict[str, int]:
    part = re.search(rf"\d+ {what}: ([^;]*)", text).group(1)
    return {verdict: int(n) for n, verdict in _COUNT.findall(part)}


def _accepted(tmp_path, result):
    path = tmp_path / "deviations.yaml"
    path.write_text("deviations:\n  - operation: '*'\n    check: R4.required\n    reason: a partial implementation\n")
    return apply_deviations(result, load_deviations(path), dt.date(2026, 1, 1))


def _every_format(result, tmp_path) -> dict[str, tuple[dict, dict]]:
    """(operations per verdict, checks per verdict) as each format states them."""
    paths = write_reports(result, tmp_path / "reports")
    shown = [v for v in VERDICTS if v != "accepted" or result.get("deviations")]
    formats = {}
    line = summary_line(result)
    formats["summary line"] = (_line_counts(line, "operations"), _line_counts(line, "checks"))
    markdown = paths["markdown"].read_text()
    header = next(row for row in markdown.splitlines() if row.startswith("| Level |"))
    row = next(row for row in markdown.splitlines() if row.startswith("| all levels |"))
    names = [cell.strip() for cell in header.strip("|").split("|")][1:]
    values = [int(cell) for cell in row.strip("|").split("|")[1:]]
    formats["report.md table"] = (dict(zip(names, values, strict=True)), _line_counts(markdown, "checks"))
    html = paths["html"].read_text()
    cells = re.search(r"<tr><td>all levels</td>(.*?)</tr>", html).group(1)
    html_values = [int(v) for v in re.findall(r"<td>(\d+)</td>", cells)]
    formats["report.html table"] = (dict(zip(shown, html_values, strict=True)), _line_counts(html, "checks"))
    summary = json.loads(paths["json"].read_text())["summary"]
    formats["report.json"] = ({v: summary.get(v, 0) for v in shown}, {v: summary["checks"][v] for v in shown})
    junit = ET.parse(paths["junit"]).getroot()
    cases = [
        case
        for suite in junit.iter("testsuite")
        if suite.get("name") != "run"
        for case in suite.iter("testcase")
        if case.get("name") != "operation"
    ]
    accepted = sum(1 for c in cases if c.find("skipped") is not None and c.find("skipped").get("type") == "accepted")
    junit_checks = {
        "pass": sum(1 for c in cases if len(c) == 0),
        "fail": sum(1 for c in cases if c.find("failure") is not None),
        "error": sum(1 for c in cases if c.find("error") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None) - accepted,
        "accepted": accepted,
    }
    formats["junit.xml"] = (formats["report.json"][0], {v: junit_checks[v] for v in shown})
    formats["summary.md"] = (
        _line_counts(paths["summary"].read_text(), "operations"),
        _line_counts(paths["summary"].read_text(), "checks"),
    )
    return formats


def _graded(result):
    """A hand-built result with its summary counted as every producer counts it."""
    levels = result["levels"]
    result["summary"] = {**result["summary"], **verdict_summary(result["operations"], levels)}
    return result


@pytest.mark.parametrize(
    "make",
    [passing_result, mixed_result, incomplete_result, stateless_result],
    ids=["pass", "fail-error-skipped", "incomplete", "stateless"],
)
def test_every_format_states_the_same_counts(tmp_path, make):
    result = _graded(make())
    formats = _every_format(result, tmp_path)
    assert len({json.dumps(counts, sort_keys=True) for counts in formats.values()}) == 1, formats
    operations, checks = formats["report.json"]
    assert sum(operations.values()) == len(result["operations"])
    assert checks == {v: n for v, n in check_counts(result).items() if v in checks}


def test_the_counts_agree_with_accepted_failures(tmp_path):
    result = _accepted(tmp_path, mixed_result())
    formats = _every_format(result, tmp_path)
    assert len({json.dumps(counts, sort_keys=True) for counts in formats.values()}) == 1, formats
    assert formats["junit.xml"][1]["accepted"] == 1 and formats["junit.xml"][1]["fail"] == 0


def test_an_all_pass_run_has_no_skipped_test_case_and_a_real_runs_counts_agree(tmp_path):
    """A real run against the emulator: one operation failing (a fault), one passing; then its
    failure accepted. JUnit skips nothing that did not apply."""
    options = dict(operations=("CreateBackendStorage", "GetBackend"), max_examples=1, model=0)
    result = run(RunOptions(emulator_faults=frozenset({"r4_required"}), **options)).to_dict()
    formats = _every_format(result, tmp_path / "fail")
    assert len({json.dumps(counts, sort_keys=True) for counts in formats.values()}) == 1, formats
    assert formats["report.json"][0] == {"pass": 1, "fail": 1, "error": 0, "skipped": 0}
    accepted = _accepted(tmp_path, result)
    formats = _every_format(accepted, tmp_path / "accepted")
    assert len({json.dumps(counts, sort_keys=True) for counts in formats.values()}) == 1, formats
    assert formats["report.json"][0] == {"pass": 1, "fail": 0, "error": 0, "skipped": 0, "accepted": 1}
    junit = ET.parse(tmp_path / "accepted" / "reports" / "junit.xml").getroot()
    skipped = [c for c in junit.iter("testcase") if c.find("skipped") is not None]
    assert [(c.get("classname"), c.get("name")) for c in skipped] == [("CreateBackendStorage", "R4.required")]
    assert skipped[0].find("skipped").get("message") == "accepted: a partial implementation"

"""Deviations files: each problem is one error naming the file and line; applying one is a pure
function over a finished result that only ever turns a matched failure into `accepted`."""

from __future__ import annotations

import copy
import datetime as dt
import xml.etree.ElementTree as ET

import pytest
import yaml
from amplify_conformance import DeviationsError, RunResult, apply_deviations, load_deviations
from amplify_conformance._deviations import accept_operation, merge_sections, starting_file
from amplify_conformance._reporting import render_html, render_junit, render_markdown, summary_line, validate_report

from ._report_fixtures import mixed_result

TODAY = dt.date(2026, 11, 27)
STORAGE = "CreateBackendStorage"  # mixed_result(): its R4.required fails once, with one failure kept


def deviations(tmp_path, text: str, **kw):
    path = tmp_path / "deviations.yaml"
    path.write_text(text)
    return load_deviations(path, **kw)


def entry(operation=STORAGE, check="R4.required", reason="partial implementation", **more) -> str:
    lines = [f"  - operation: {operation!r}", f"    check: {check!r}", f"    reason: {reason!r}"]
    return "\n".join(lines + [f"    {k}: {v!r}" for k, v in more.items()]) + "\n"


def applied(tmp_path, *entries: str, result=None) -> dict:
    return apply_deviations(result or mixed_result(), deviations(tmp_path, "deviations:\n" + "".join(entries)), TODAY)


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("deviations:\n  - operation: GetBackend\n    check: R3.cors\n", 2, "'reason' is a required property"),
        ("deviations:\n  - operation: GetBackend\n    check: R3.cors\n    reasn: x\n", 4, "did you mean `reason`"),
        ("deviations:\n  - operation: GetBackend\n    check: R3.cors\n    reason: ' '\n", 4, "reason is blank"),
        (
            "deviations:\n  - operation: GetBackend\n    check: R3.cors\n    reason: x\n    until: 2026-02-30\n",
            5,
            "'2026-02-30' is not a 'date'",
        ),
        ("deviations:\n  - operation: GetBakend\n    check: R3.cors\n    reason: x\n", 2, "did you mean GetBackend"),
        ("deviations:\n  - operation: '*'\n    check: R33.*\n    reason: x\n", 3, "'R33.*' matches no check"),
        (
            "deviations:\n  - operation: '*'\n    check: R3.cors\n    level: behaviour\n    reason: x\n",
            3,
            "matches no check of the suite at level behaviour",
        ),
        ("deviations:\n  - operation: GetBackend\n    operation: GetToken\n", 3, "`operation` is given twice"),
        ("deviations:\n  - operation: [GetBackend\n", 3, "not YAML"),
        ("deviations:\n  - {operation: GetBackend, check: R3.cors, reason: 3}\n", 2, "3 is not of type 'string'"),
        ("- operation: GetBackend\n", 1, "expected a mapping with a `deviations:` list"),
        ("", 1, "empty"),
        ("deviation:\n  - operation: GetBackend\n", 1, "did you mean `deviations`"),
    ],
)
def test_a_bad_file_is_one_error_naming_file_line_and_problem(tmp_path, text, line, says):
    with pytest.raises(DeviationsError) as error:
        deviations(tmp_path, text)
    message = str(error.value)
    assert message.startswith(f"{tmp_path / 'deviations.yaml'}:{line}: "), message
    assert says in message and "\n" not in message


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(DeviationsError, match="nope.yaml: cannot read"):
        load_deviations(tmp_path / "nope.yaml")


def test_todo_reasons_are_refused_by_line_unless_allowed(tmp_path):
    text = "deviations:\n" + entry() + entry("GetBackend", "R3.*", "TODO") + entry("*", "aws.*", "TODO")
    with pytest.raises(DeviationsError) as error:
        deviations(tmp_path, text)
    assert "2 entries still have reason TODO: line 5 (GetBackend R3.*), line 8 (* aws.*)" in str(error.value)
    assert [e.todo for e in deviations(tmp_path, text, allow_todo=True).entries] == [False, True, True]


def test_a_matching_entry_accepts_the_failure_and_the_verdicts_are_graded_again(tmp_path):
    before = mixed_result()
    after = applied(tmp_path, entry(), result=before)
    assert before == mixed_result()  # pure: the given result is left alone
    op = RunResult(after).operation(STORAGE)
    check = RunResult(after).check(STORAGE, "R4.required")
    assert (check["verdict"], check["accepted_by"]) == ("accepted", [{"line": 2, "reason": "partial implementation"}])
    assert (op["verdict"], op["levels"]["behaviour"], op["levels"]["schema"]) == ("accepted", "accepted", "pass")
    assert (after["summary"]["fail"], after["summary"]["accepted"]) == (0, 1)
    assert after["summary"]["levels"]["behaviour"]["accepted"] == 1
    assert after["summary"]["requests"] == 420  # what the run measured stays
    assert after["deviations"]["entries"][0]["status"] == "applied"
    assert after["deviations"]["entries"][0]["matched"] == [{"operationId": STORAGE, "check": "R4.required"}]
    validate_report(after)


@pytest.mark.parametrize(
    ("extra", "accepted"),
    [
        ({"operation": "*", "check": "R4.*"}, True),
        ({"level": "behaviour"}, True),
        ({"case": "*permissions*"}, True),  # the case label
        ({"case": "*expected 400, got 200"}, True),  # the failure message
        ({"case": "*serviceName*"}, False),
        ({"operation": "CreateBackend"}, False),
        ({"check": "R4.requi*", "level": "behaviour", "expires": "2026-11-27"}, True),  # expires is inclusive
        ({"expires": "2026-11-26"}, False),
        ({"until": "2026-11-26"}, False),  # the older name of expires
    ],
)
def test_what_an_entry_matches(tmp_path, extra, accepted):
    fields = {"operation": STORAGE, "check": "R4.required", "reason": "known", **extra}
    verdict = RunResult(applied(tmp_path, entry(**fields))).check(STORAGE, "R4.required")["verdict"]
    assert verdict == ("accepted" if accepted else "fail")


def test_an_error_is_never_accepted_and_a_passing_check_is_left_alone(tmp_path):
    after = applied(tmp_path, entry("*", "*", "we accept anything"))
    assert RunResult(after).operation("GetBackendJob")["verdict"] == "error"
    assert RunResult(after).check("CreateBackend", "R4.required")["verdict"] == "pass"
    assert not RunResult(after).failing()


def test_a_case_pattern_cannot_accept_failures_the_report_did_not_keep(tmp_path):
    result = mixed_result()
    RunResult(result).check(STORAGE, "R4.required")["failed"] = 7  # one kept of seven
    after = applied(tmp_path, entry(case="*permissions*"), result=result)
    check = RunResult(after).check(STORAGE, "R4.required")
    assert check["verdict"] == "fail" and "6 failures are not kept in the report" in check["detail"]
    assert after["deviations"]["entries"][0]["status"] == "applied"  # it matched: not stale
    whole = RunResult(applied(tmp_path, entry(), result=result)).check(STORAGE, "R4.required")
    assert whole["verdict"] == "accepted"


def test_entries_are_stale_expired_or_not_run_and_none_of_those_accepts(tmp_path):
    after = applied(
        tmp_path,
        entry("CreateBackend", "R1.status-code", "fixed"),  # ran, passed: stale
        entry(expires="2026-01-01"),  # expired: the failure counts again
        entry("GetToken", "R8.*", "not selected"),  # GetToken was not in the run
        entry("*", "R3.cors", "no CORS"),  # no R3.cors in this result at all
    )
    assert [e["status"] for e in after["deviations"]["entries"]] == ["stale", "expired", "not-run", "not-run"]
    assert (after["deviations"]["stale"], after["deviations"]["expired"]) == (1, 1)
    assert RunResult(after).operation(STORAGE)["verdict"] == "fail"
    validate_report(after)


def test_progress_lines_see_the_same_verdict_as_the_report(tmp_path):
    devs = deviations(tmp_path, "deviations:\n" + entry())
    op = copy.deepcopy(mixed_result()["operations"][1])
    assert accept_operation(op, devs, ["schema", "behaviour", "aws"], TODAY) == RunResult(
        apply_deviations(mixed_result(), devs, TODAY)
    ).operation(STORAGE)


def test_every_format_shows_the_accepted_failure_with_its_reason(tmp_path):
    after = applied(tmp_path, entry(reason="storage permissions come in v2"))
    junit = ET.fromstring(render_junit(after))
    case = next(c for c in junit.iter("testcase") if (c.get("classname"), c.get("name")) == (STORAGE, "R4.required"))
    assert case.find("skipped").get("message") == "accepted: storage permissions come in v2"
    assert case.find("failure") is None
    assert "| R4.required | behaviour | **accepted** |" in render_markdown(after)
    assert "accepted: storage permissions come in v2" in render_markdown(after)
    assert "accepted: storage permissions come in v2</strong>" in render_html(after)
    assert "0 fail, 1 error, 1 skipped, 1 accepted" in summary_line(after)
    assert "accepted" not in summary_line(mixed_result())  # runs without a file read as before


def test_the_starting_file_has_one_todo_entry_per_failure_and_keeps_accepted_reasons(tmp_path):
    text = starting_file(mixed_result())
    seen = {"first-seen": "2026-11-27", "last-seen": "2026-11-27"}
    assert yaml.safe_load(text) == {
        "deviations": [{"operation": STORAGE, "check": "R4.required", "reason": "TODO", **seen}]
    }
    again = starting_file(applied(tmp_path, entry(reason="v2")))
    assert yaml.safe_load(again)["deviations"][0]["reason"] == "v2"
    (tmp_path / "written.yaml").write_text(again)
    assert load_deviations(tmp_path / "written.yaml").entries[0].line == 10  # after the header comment


def test_merged_sections_of_several_runs_judge_staleness_over_all_of_them(tmp_path):
    devs = deviations(tmp_path, "deviations:\n" + entry() + entry("CreateBackend", "R1.status-code", "fixed"))
    one = mixed_result()
    one["operations"] = one["operations"][1:2]  # the failing operation only
    two = mixed_result()
    two["operations"] = two["operations"][:1]  # the passing one only
    sections = [apply_deviations(r, devs, TODAY)["deviations"] for r in (one, two)]
    assert [e["status"] for e in sections[0]["entries"]] == ["applied", "not-run"]
    merged = merge_sections(sections)
    assert [e["status"] for e in merged["entries"]] == ["applied", "stale"]
    assert (merged["accepted"], merged["stale"]) == (1, 1)


def test_an_entrys_link_is_shown_beside_its_reason_in_every_format(tmp_path):
    after = applied(tmp_path, entry(reason="permissions come in v2", link="https://tracker.example/PROJ-7"))
    check = RunResult(after).check(STORAGE, "R4.required")
    assert check["accepted_by"] == [
        {"line": 2, "reason": "permissions come in v2", "link": "https://tracker.example/PROJ-7"}
    ]
    assert after["deviations"]["entries"][0]["link"] == "https://tracker.example/PROJ-7"
    shown = "permissions come in v2 (https://tracker.example/PROJ-7)"
    assert shown in render_markdown(after) and shown in render_html(after)
    validate_report(after)


def test_accept_writes_first_and_last_seen_and_keeps_first_seen_link_and_expiry_when_written_again(tmp_path):
    first = mixed_result()  # started 2026-11-27
    written = yaml.safe_load(starting_file(first))["deviations"][0]
    assert (written["first-seen"], written["last-seen"]) == ("2026-11-27", "2026-11-27")
    text = (
        "deviations:\n"
        f"  - operation: {STORAGE}\n    check: R4.required\n    reason: v2\n"
        "    link: PROJ-7\n    expires: 2027-06-30\n    first-seen: 2026-11-27\n    last-seen: 2026-11-27\n"
    )
    later = mixed_result()
    later["started_at"] = "2027-01-15T09:00:00+00:00"
    again = apply_deviations(later, deviations(tmp_path, text), dt.date(2027, 1, 15))
    rewritten = yaml.safe_load(starting_file(again))["deviations"][0]
    assert rewritten == {
        "operation": STORAGE,
        "check": "R4.required",
        "reason": "v2",
        "link": "PROJ-7",
        "expires": "2027-06-30",
        "first-seen": "2026-11-27",
        "last-seen": "2027-01-15",
    }
    (tmp_path / "rewritten.yaml").write_text(starting_file(again))
    assert load_deviations(tmp_path / "rewritten.yaml").entries[0].first_seen == "2026-11-27"

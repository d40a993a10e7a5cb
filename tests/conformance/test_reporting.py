"""The reporters render a finished result faithfully, safely and in every format."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import pytest
from amplify_conformance import _reporting
from amplify_conformance._reporting import (
    ReportError,
    diff_reports,
    load_report,
    redact,
    render_diff,
    render_html,
    render_junit,
    render_markdown,
    validate_report,
    write_reports,
)

from ._report_fixtures import (
    ACCESS_KEY_ID,
    SESSION_TOKEN,
    incomplete_result,
    mixed_result,
    passing_result,
    stateless_result,
    with_verdicts,
)

FIXTURES = {
    "mixed": mixed_result,
    "passing": passing_result,
    "incomplete": incomplete_result,
    "stateless": stateless_result,
}
NEVER_SHOWN = "GetBackend listing an environment that CreateBackend made (0 of 8)"
CHROMIUM = Path("/usr/bin/chromium")


# --- report.json and its schema ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_written_report_json_validates_against_the_shipped_schema(tmp_path, name):
    paths = write_reports(FIXTURES[name](), tmp_path)
    assert load_report(paths["json"])["operations"]


def test_schema_and_templates_ship_as_package_data():
    root = resources.files("amplify_reports")
    assert root.joinpath("report.schema.json").is_file()
    assert root.joinpath("templates", "report.html.j2").is_file()
    assert root.joinpath("templates", "report.md.j2").is_file()


def _broken(mutate):
    report = mixed_result()
    mutate(report)
    return report


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda r: r.pop("operations"), "operations"),
        (lambda r: r["operations"][0].update(verdict="passed"), "operations/0/verdict"),
        (lambda r: r["operations"][1]["checks"][1].update(level="security"), "operations/1/checks/1/level"),
        (lambda r: r["operations"][0]["coverage"].pop("status_codes"), "status_codes"),
        (lambda r: r["target"].update(kind="ftp"), "target/kind"),
        (lambda r: r.update(complete=False, incomplete_reason=None), "incomplete_reason"),
        (lambda r: r["phases"]["stateful"].update(status="exploded"), "phases/stateful/status"),
        (lambda r: r["phases"]["cleanup"].pop("detail"), "phases/cleanup"),
        (lambda r: r["operations"][1]["checks"][1].update(planned="yes"), "operations/1/checks/1/planned"),
        (lambda r: r["operations"][1]["checks"][1].update(reasons=[{"reason": "x"}]), "reasons/0"),
    ],
)
def test_schema_rejects_a_broken_report_and_says_where(mutate, where):
    with pytest.raises(ReportError, match=where):
        validate_report(_broken(mutate))


def test_schema_tolerates_extra_keys():
    report = mixed_result()
    report["extra"] = {"anything": 1}
    report["operations"][0]["checks"][0]["duration_ms"] = 12
    validate_report(report)


def test_schema_accepts_a_failure_without_an_exchange():
    """A check that failed before any request (a connection refused, say) has no request or response."""
    report = mixed_result()
    failure = report["operations"][1]["checks"][1]["failures"][0]
    failure.update(request=None, response=None, curl=None, seed=None)
    validate_report(report)
    assert "curl" not in render_markdown(report).split("### 1. R4.required")[1].split("## Summary")[0]


def test_load_report_names_the_file_for_unreadable_input(tmp_path):
    missing, garbage = tmp_path / "missing.json", tmp_path / "garbage.json"
    garbage.write_text("{not json")
    with pytest.raises(ReportError, match="missing.json: cannot read"):
        load_report(missing)
    with pytest.raises(ReportError, match="garbage.json: not JSON"):
        load_report(garbage)


# --- JUnit -----------------------------------------------------------------------------


def test_junit_has_a_suite_per_operation_and_a_case_per_check():
    root = ET.fromstring(render_junit(mixed_result()))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["CreateBackend", "CreateBackendStorage", "GetBackendJob", "ListS3Buckets", "run"]
    assert [c.get("name") for c in suites["CreateBackend"].iter("testcase")] == [
        "R1.status-code",
        "R4.required",
        "aws.request-id",
    ]
    failure = suites["CreateBackendStorage"].find("testcase[@name='R4.required']/failure")
    assert "expected 400, got 200" in failure.get("message")
    assert "curl -X POST" in failure.text
    assert suites["GetBackendJob"].find("testcase/error") is not None
    assert list(suites["ListS3Buckets"].iter("testcase")) == []  # no check applies to it: nothing ran
    # the one skipped case is the crashed stateful phase (see the test below)
    assert (root.get("failures"), root.get("errors"), root.get("skipped")) == ("1", "1", "1")


def test_junit_reports_each_phase_in_the_run_suite_a_crash_as_skipped_not_as_an_error():
    root = ET.fromstring(render_junit(mixed_result()))
    run = root.find("testsuite[@name='run']")
    assert [c.get("name") for c in run.iter("testcase")] == [
        "complete",
        "phase operations",
        "phase stateful",
        "phase cleanup",
    ]
    stateful = run.find("testcase[@name='phase stateful']")
    assert stateful.find("skipped").get("message") == "error: crashed: StopIteration: <links ran dry>"
    assert run.find("testcase[@name='phase operations']/skipped") is None
    assert (run.get("errors"), run.get("failures"), run.get("skipped")) == ("0", "0", "1")


def test_junit_says_in_the_run_suite_how_the_target_showed_its_writes():
    run = ET.fromstring(render_junit(stateless_result())).find("testsuite[@name='run']")
    out = run.find("testcase[@name='state visibility']/system-out").text
    assert out == f"the target never showed what setup made: {NEVER_SHOWN}"
    assert ET.fromstring(render_junit(mixed_result())).find(".//testcase[@name='state visibility']") is None


def test_junit_marks_an_incomplete_run_as_an_error():
    root = ET.fromstring(render_junit(incomplete_result()))
    error = root.find("testsuite[@name='run']/testcase[@name='complete']/error")
    assert "interrupted (SIGINT)" in error.get("message")


def test_junit_stays_valid_xml_with_control_characters_in_bodies():
    result = mixed_result()
    failure = result["operations"][1]["checks"][1]["failures"][0]
    failure["message"] = "bad \x00\x01\x1b[31m\ud800 \ufffe"
    root = ET.fromstring(render_junit(result))
    assert "\\x00" in root.find(".//failure").get("message")


# --- Markdown --------------------------------------------------------------------------


def test_markdown_opens_with_the_summary_table_of_operations_by_level():
    text = render_markdown(mixed_result())
    summary = text.index("## Summary")
    assert summary < text.index("## Operations")
    assert "| Operation | Verdict | schema | behaviour | aws |" in text
    assert "| [CreateBackendStorage](#op-CreateBackendStorage) | **fail** | pass | fail | pass |" in text


def test_markdown_shows_each_failing_case_with_its_curl_reproducer():
    text = render_markdown(mixed_result())
    assert "### 1. R4.required: resourceConfig.permissions removed: expected 400, got 200" in text
    assert "```sh\ncurl -X POST" in text
    # the hostile body contains ``` so its fence must be longer
    assert "````\n<script>" in text


def test_markdown_gives_each_phase_its_status_and_why():
    text = render_markdown(mixed_result())
    phases = next(line for line in text.splitlines() if line.startswith("- Phases:"))
    assert "operations **ran** (4 operations)" in phases
    assert r"stateful **error** (crashed: StopIteration: \<links ran dry\>)" in phases


def test_markdown_says_when_the_run_is_incomplete():
    assert "INCOMPLETE RUN" in render_markdown(incomplete_result())
    assert "INCOMPLETE" not in render_markdown(passing_result())


def test_markdown_names_in_one_line_what_the_target_never_showed():
    text = render_markdown(stateless_result())
    banner = next(line for line in text.splitlines() if "STATE NEVER SHOWN" in line)
    assert NEVER_SHOWN in banner and text.index(banner) < text.index("## Summary")
    assert "NEVER SHOWN" not in render_markdown(mixed_result())


# --- HTML ------------------------------------------------------------------------------


def test_html_escapes_hostile_bodies():
    html = render_html(mixed_result())
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;&lt;/pre&gt;" in html
    assert "\x00" not in html


def test_html_is_self_contained():
    html = render_html(mixed_result())
    for external in ("src=", "<link", "@import", "url(", 'http-equiv="refresh"'):
        assert external not in html
    assert "<style>" in html


def test_html_shows_provoked_and_injected_status_codes_and_curl():
    html = render_html(mixed_result())
    assert 'class="how-provoked">provoked' in html
    assert 'class="how-injected">injected' in html
    assert '<pre class="curl">curl -X POST' in html


def test_html_lists_the_phases_with_their_status():
    html = render_html(mixed_result())
    table = html[html.index('<table class="phases"') : html.index("</table>", html.index('<table class="phases"'))]
    assert '<td>stateful</td><td class="v v-phase-error">error</td>' in table
    assert "crashed: StopIteration: &lt;links ran dry&gt;" in table


def test_html_flags_an_incomplete_run():
    assert 'id="incomplete"' in render_html(incomplete_result())
    assert 'id="incomplete"' not in render_html(passing_result())


def test_html_names_what_the_target_never_showed():
    html = render_html(stateless_result())
    banner = html[html.index('id="never-shown"') : html.index("</p>", html.index('id="never-shown"'))]
    assert NEVER_SHOWN in banner
    assert 'id="never-shown"' not in render_html(mixed_result())


# --- writing and redaction -------------------------------------------------------------


def test_write_reports_writes_every_file(tmp_path):
    paths = write_reports(mixed_result(), tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == [
        "badge.json",
        "junit.xml",
        "report.html",
        "report.json",
        "report.md",
        "summary.md",
    ]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths.values())


def test_reports_are_ordinary_files_not_private_temporaries(tmp_path):
    previous = os.umask(0o022)
    try:
        paths = write_reports(passing_result(), tmp_path)
    finally:
        os.umask(previous)
    assert {oct(p.stat().st_mode & 0o777) for p in paths.values()} == {oct(0o644)}


def test_no_report_contains_credentials(tmp_path):
    paths = write_reports(mixed_result(), tmp_path)
    for path in paths.values():
        text = path.read_text()
        for secret in (ACCESS_KEY_ID, SESSION_TOKEN, "s3cr3t", "AWS4-HMAC-SHA256"):
            assert secret not in text, f"{secret} leaked into {path.name}"
    assert "20261127T100000Z" in paths["json"].read_text()  # X-Amz-Date is not a secret


def test_redaction_does_not_touch_the_callers_result():
    result = mixed_result()
    before = copy.deepcopy(result)
    redacted = redact(result)
    assert result == before
    headers = redacted["operations"][1]["checks"][1]["failures"][0]["request"]["headers"]
    assert headers["Authorization"] == headers["X-Amz-Security-Token"] == _reporting.REDACTED
    assert headers["Content-Type"] == "application/json"


def test_an_interrupted_write_leaves_the_previous_report_whole(tmp_path, monkeypatch):
    write_reports(passing_result(), tmp_path)
    before = (tmp_path / "report.json").read_text()

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(_reporting._files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_reports(mixed_result(), tmp_path)
    assert (tmp_path / "report.json").read_text() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# --- diff ------------------------------------------------------------------------------


def test_diff_lists_new_failures_then_newly_unjudged_then_fixes_each_with_why():
    a = mixed_result()
    b = with_verdicts(a, "CreateBackend", "fail", check="R4.required")
    b["operations"][0]["checks"][1]["failures"] = [{"message": "appName removed: expected 400, got 200"}]
    b = with_verdicts(b, "CreateBackend", "error", check="aws.request-id")
    b = with_verdicts(b, "CreateBackendStorage", "pass", check="R4.required")
    diff = diff_reports(a, b)
    assert [(c.subject, c.kind, c.reason) for c in diff.changes] == [
        ("CreateBackend R4.required", "new failure", "appName removed: expected 400, got 200"),
        ("CreateBackend aws.request-id", "newly unjudged", "3 cases judged"),
        ("CreateBackendStorage R4.required", "fixed", "resourceConfig.permissions removed: expected 400, got 200"),
    ]
    assert [c.subject for c in diff.regressions] == ["CreateBackend R4.required", "CreateBackend aws.request-id"]
    text = render_diff(diff)
    assert text.index("New failures (1)") < text.index("Newly not judged (1)") < text.index("Fixed (1)")
    assert "  CreateBackend R4.required (pass -> fail): appName removed: expected 400, got 200" in text
    markdown = _reporting.render_diff_markdown(diff, "last/report.json", "reports/report.json")
    assert markdown.startswith("### Conformance: 2 regressions, 1 fixed\n")
    assert "| CreateBackend | R4.required | pass | **fail** | appName removed: expected 400, got 200 |" in markdown


@pytest.mark.parametrize(
    ("before", "after"),
    [("skipped", "pass"), ("pass", "skipped"), (None, "pass"), ("pass", None), ("fail", "accepted"), ("error", "pass")],
)
def test_diff_leaves_out_verdicts_that_come_and_go_without_anything_changing(before, after):
    """A check the random sequences happened to exercise, an operation one run left out, a failure
    a deviations file now accepts: nothing a reader must act on."""
    a, b = mixed_result(), mixed_result()
    for result, verdict in ((a, before), (b, after)):
        checks = result["operations"][0]["checks"]
        if verdict is None:
            checks.pop(1)
        else:
            checks[1]["verdict"] = verdict
    diff = diff_reports(a, b)
    assert diff.changes == () and not diff.regressions


def test_diff_of_identical_runs_is_empty():
    diff = diff_reports(mixed_result(), mixed_result())
    assert diff.changes == () and not diff.regressions
    assert render_diff(diff) == "Nothing newly fails, is newly not judged or was fixed.\n"


def test_diff_counts_a_newly_erring_operation_as_a_regression_and_notes_incomplete_runs():
    diff = diff_reports(incomplete_result(), mixed_result())
    assert [(c.subject, c.kind) for c in diff.regressions] == [("GetBackendJob R1.status-code", "newly unjudged")]
    assert any("A is incomplete" in note for note in diff.notes)


# --- a real browser --------------------------------------------------------------------


def _browser_dom(page: Path, tmp_path: Path) -> str:
    """The DOM headless chromium built from ``page``: what a reader's browser shows."""
    profile = tmp_path / "profile"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    shutil.rmtree(profile, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


NEEDS_CHROMIUM = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install -y chromium"
)


@NEEDS_CHROMIUM
def test_html_report_renders_its_summary_in_a_headless_browser(tmp_path):
    html = write_reports(mixed_result(), tmp_path / "reports")["html"]
    dom = _browser_dom(html, tmp_path)
    # what failed comes first: above the summary, with the failing check, its reason and its replay
    assert dom.index('<p id="result"><strong>4 operations: 1 pass, 1 fail') < dom.index('<section id="what-failed">')
    assert dom.index('<section id="what-failed">') < dom.index('<section id="summary">')
    what_failed = dom[dom.index('<section id="what-failed">') : dom.index('<section id="summary">')]
    assert "<code>R4.required</code>: resourceConfig.permissions removed: expected 400, got 200" in what_failed
    assert '<pre class="curl">curl -X POST' in what_failed
    assert "<h2>Summary</h2>" in dom
    assert 'id="summary-op-CreateBackendStorage"' in dom
    assert '<td class="v v-fail">fail</td>' in dom
    # the hostile body arrived as text: the browser parsed no script element from it
    assert "<script>" not in dom


def test_undocumented_status_codes_and_operation_errors_are_shown():
    result = mixed_result()
    op = result["operations"][2]
    op["coverage"]["status_codes"]["undocumented_seen"] = ["502"]
    op["errors"] = ["connection reset by peer"]
    del op["detail"]
    text = render_markdown(result)
    assert "502 undocumented" in text
    assert "connection reset by peer" in render_html(result)


def test_curl_reproducers_lose_secret_headers_however_they_are_quoted():
    curl = (
        "curl -sS -X POST 'http://x/backend' -H 'X-Secret: it'\"'\"'s' -H Cookie:a=1 "
        "-H \"x-amz-security-token: ZZZ\" -H 'X-Amz-Date: 20261127T100000Z' "
        '--data-binary \'{"nextToken": "t"}\''
    )
    redacted = redact({"curl": curl})["curl"]
    assert redacted == (
        "curl -sS -X POST 'http://x/backend' -H 'X-Secret: <redacted>' -H Cookie:<redacted> "
        "-H \"x-amz-security-token: <redacted>\" -H 'X-Amz-Date: 20261127T100000Z' "
        '--data-binary \'{"nextToken": "t"}\''
    )


# --- what failed, first ----------------------------------------------------------------


def _repeated_result():
    """Two operations failing aws.request-id for the same reason many times, one of them also R4."""
    result = mixed_result()
    for op in result["operations"][:2]:
        check = op["checks"][2]
        failure = copy.deepcopy(mixed_result()["operations"][1]["checks"][1]["failures"][0])
        failure.update(message="x-amzn-RequestId None", reason="x-amzn-RequestId None")
        check.update(verdict="fail", detail="40 judged, 40 failed", cases=40, failed=40, failures=[failure] * 5)
        check["reasons"] = [{"reason": "x-amzn-RequestId None", "count": 40}]
        op["verdict"], op["levels"]["aws"] = "fail", "fail"
    return result


def test_what_failed_comes_first_in_markdown_and_html_each_failure_once_with_its_count():
    result = _repeated_result()
    text = render_markdown(result)
    assert text.index("## What failed") < text.index("## Summary") < text.index("## Operations")
    entries = [line for line in text.splitlines() if line.startswith("### ") and ". " in line[:8]]
    assert entries == [
        "### 1. aws.request-id: x-amzn-RequestId None",
        "### 2. R4.required: resourceConfig.permissions removed: expected 400, got 200",
        "### 3. R1.status-code: target closed the connection mid-answer",
    ]
    request_id = text[text.index("### 1. aws.request-id") : text.index("### 2. R4.required")]
    assert "**fail**, 80 times, level aws" in request_id
    assert (
        "[CreateBackend](#op-CreateBackend) (40), [CreateBackendStorage](#op-CreateBackendStorage) (40)" in request_id
    )
    assert request_id.count("curl -X POST") == 1  # the first example's replay, once
    html = render_html(result)
    assert html.index('id="what-failed"') < html.index('id="summary"')
    assert html.count('class="failure group') == 3


def test_a_check_erring_without_failures_and_an_operations_own_error_are_listed_too():
    groups = _reporting.failure_groups(mixed_result())
    assert [(g["check"], g["verdict"], g["reason"]) for g in groups] == [
        ("R4.required", "fail", "resourceConfig.permissions removed: expected 400, got 200"),
        ("R1.status-code", "error", "target closed the connection mid-answer"),
    ]
    passing = render_markdown(passing_result())
    assert "## What failed\n\nNothing failed." in passing


def test_summary_md_stays_short_however_much_failed(tmp_path):
    result = _repeated_result()
    template = result["operations"][1]["checks"][1]
    for n in range(120):
        extra = copy.deepcopy(template)
        extra["name"] = f"R6.wrong-type#{n}"
        extra["reasons"] = [{"reason": f"reason number {n}", "count": 3}]
        extra["failures"][0]["reason"] = f"reason number {n}"
        result["operations"][1]["checks"].append(extra)
    paths = write_reports(result, tmp_path)
    summary = paths["summary"].read_text()
    assert len(summary.splitlines()) <= 60
    assert "does not conform" in summary.splitlines()[0]
    assert "1. `aws.request-id` **fail** ×80: x-amzn-RequestId None (in CreateBackend, CreateBackendStorage)" in summary
    assert "... and 93 more in report.md." in summary


def test_the_console_lines_name_each_failure_its_operations_and_how_to_send_it_again():
    lines = _reporting.failure_lines(_repeated_result())
    assert lines[0] == "what failed (3 distinct failures; all of them in report.md):"
    assert (
        lines[1] == "  FAIL aws.request-id (aws): x-amzn-RequestId None [CreateBackend x40, CreateBackendStorage x40]"
    )
    assert lines[2].startswith("    replay: curl -X POST")
    assert _reporting.failure_lines(passing_result()) == []


# --- the badge -------------------------------------------------------------------------


def test_the_badge_is_a_shields_endpoint_counting_conforming_operations_overall_and_per_level(tmp_path):
    badge = json.loads(write_reports(mixed_result(), tmp_path)["badge"].read_text())
    assert badge == {
        "schemaVersion": 1,
        "label": "AmplifyBackend conformance",
        "message": "1/4 operations (schema 2, behaviour 1, aws 2)",
        "color": "red",
    }
    assert _reporting.badge(passing_result())["color"] == "brightgreen"
    assert _reporting.badge(passing_result())["message"] == "1/1 operations (schema 1, behaviour 1, aws 1)"
    incomplete = _reporting.badge(incomplete_result())
    assert incomplete["color"] == "lightgrey" and incomplete["message"].endswith(", incomplete run")


# --- the matrix ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """report.json of three implementations: the clean emulator, one with a fault, one with a quirk."""
    from amplify_conformance import RunOptions, run

    folder = tmp_path_factory.mktemp("runs")
    options = dict(operations=("CreateBackendStorage", "GetBackend"), max_examples=1, model=0)
    paths = []
    for name, more in (
        ("clean", {}),
        ("r4-fault", {"emulator_faults": frozenset({"r4_required"})}),
        ("gzip-quirk", {"emulator_quirks": frozenset({"gzip"})}),
    ):
        paths.append(write_reports(run(RunOptions(**options, **more)).to_dict(), folder / name)["json"])
    return paths


def test_the_matrix_sets_runs_side_by_side_with_a_markdown_table(three_runs, tmp_path, capsys):
    from amplify_conformance import cli

    out = tmp_path / "site" / "matrix.html"
    out.parent.mkdir()
    assert cli.main(["report", "matrix", *map(str, three_runs), "--out", str(out)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "| Operation | clean | r4-fault | gzip-quirk |"
    storage = next(line for line in table if line.startswith("| CreateBackendStorage |"))
    links = [f"{_rel(out, path)}/report.html#op-CreateBackendStorage" for path in three_runs]
    assert storage == f"| CreateBackendStorage | [pass]({links[0]}) | [fail]({links[1]}) | [pass]({links[2]}) |"
    assert "| **conforming** | **2/2** | **1/2** | **2/2** |" in table
    assert "| behaviour | 2/2 | 1/2 | 2/2 |" in table
    assert cli.main(["report", "matrix", str(three_runs[0]), str(tmp_path / "missing.json")]) == 2
    assert cli.main(["report", "matrix", str(three_runs[0]), "--out", str(tmp_path / "no" / "m.html")]) == 2
    assert "cannot write" in capsys.readouterr().err


def _rel(out: Path, report: Path) -> Path:
    return Path(os.path.relpath(report.parent, out.parent))


@NEEDS_CHROMIUM
def test_the_matrix_page_renders_the_right_cells_in_a_headless_browser(three_runs, tmp_path):
    from amplify_conformance._reporting import render_matrix_html

    page = tmp_path / "matrix.html"
    page.write_text(render_matrix_html([(p, load_report(p)) for p in three_runs], tmp_path))
    dom = _browser_dom(page, tmp_path)
    rows = dict(re.findall(r'<tr id="row-(\w+)">(.*?)</tr>', dom))
    assert set(rows) == {"CreateBackendStorage", "GetBackend"}
    cells = re.findall(r'<td class="v v-(\w+)"><a href="([^"]+)">(\w+)</a>', rows["CreateBackendStorage"])
    assert [(verdict, text) for verdict, _, text in cells] == [("pass", "pass"), ("fail", "fail"), ("pass", "pass")]
    assert cells[1][1].endswith("r4-fault/report.html#op-CreateBackendStorage")
    assert (tmp_path / cells[1][1].split("#")[0]).resolve() == three_runs[1].with_name("report.html").resolve()
    assert "R4.required fail: expected 400, got 200" in rows["CreateBackendStorage"]
    assert [v for v, _, _ in re.findall(r'<td class="v v-(\w+)"><a href="([^"]+)">(\w+)</a>', rows["GetBackend"])] == [
        "pass",
        "pass",
        "pass",
    ]
    totals = re.search(r'<tr class="total">(.*?)</tr>', dom).group(1)
    assert re.findall(r"<td>(\d+/\d+)</td>", totals) == ["2/2", "1/2", "2/2"]


def test_the_ledger_counts_every_reason_exactly_and_keeps_the_first_failure_of_each():
    import amplify_openapi as spec
    from amplify_conformance._checks import Seen
    from amplify_conformance._merge import merge_results
    from amplify_conformance._results import Ledger

    ledger = Ledger()
    for n in range(40):
        ledger.record("GetBackend", Seen("R7.not-found", False, f"probe {n}: expected 404, got 200"))
    ledger.record("GetBackend", Seen("R7.not-found", False, "an app never created: expected 404, got 500"))
    ledger.record("GetBackend", Seen("R7.not-found", True, "an app never created: expected 404, got 404"))
    op = next(o for o in spec.operations() if o.operation_id == "GetBackend")
    result = ledger.operation_result(op, ("behaviour",), {"enum_values": 0, "required_members": 0})
    check = next(c for c in result["checks"] if c["name"] == "R7.not-found")
    assert check["reasons"] == [
        {"reason": "expected 404, got 200", "count": 40},
        {"reason": "expected 404, got 500", "count": 1},
    ]
    assert (check["cases"], check["failed"]) == (42, 41)
    assert [f["reason"] for f in check["failures"]] == ["expected 404, got 200"] * 5 + ["expected 404, got 500"]
    assert not next(c for c in result["checks"] if c["name"] == "R5.enum-accepted")["planned"]
    groups = _reporting.failure_groups({"operations": [result]})
    assert [(g["reason"], g["count"]) for g in groups] == [("expected 404, got 200", 40), ("expected 404, got 500", 1)]
    report = {**mixed_result(), "operations": [result]}
    merged = merge_results([report, report])["operations"][0]
    merged_check = next(c for c in merged["checks"] if c["name"] == "R7.not-found")
    assert merged_check["reasons"][0] == {"reason": "expected 404, got 200", "count": 80}
    assert [f["reason"] for f in merged_check["failures"]][-1] == "expected 404, got 500"


def test_diff_names_an_operation_that_newly_errs_on_its_own_with_its_error():
    a, b = mixed_result(), mixed_result()
    b["operations"][0]["errors"] = ["setup: CreateBackend answered 500"]
    diff = diff_reports(a, b)
    assert [(c.subject, c.kind, c.reason) for c in diff.changes] == [
        ("CreateBackend", "newly unjudged", "setup: CreateBackend answered 500")
    ]
    assert "| CreateBackend | its own errors | absent | **error** |" in _reporting.render_diff_markdown(diff)
    assert diff_reports(b, a).changes == ()  # no longer erring is no fix of a failure

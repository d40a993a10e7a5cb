"""junit.xml: a testsuite per operation, a testcase per check that applies to it, for CI systems
that read JUnit. A skipped test case is a check (or phase) that was planned and did not run, with
why; a check that does not apply to its operation is no test case at all."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

from ._redaction import cut, displayable, redact
from ._views import throttling_line

# How a phase's detail says it was not asked for (RunOptions.stateful False, model 0, a level left out)
_NOT_ASKED = "not asked for"


def _failure_text(check: Mapping[str, Any]) -> str:
    lines = [check.get("detail") or ""]
    for failure in check.get("failures") or ():
        lines.append("")
        lines.append(f"- {failure.get('message', '')}")
        if failure.get("case"):
            lines.append(f"  case: {failure['case']}")
        if failure.get("seed") is not None:
            lines.append(f"  seed: {failure['seed']}")
        response = failure.get("response") or {}
        if response.get("status") is not None:
            lines.append(f"  response: {response['status']} {cut(response.get('body'), 2000)}")
        if failure.get("listing"):
            lines.append("  the shortest failing sequence found:")
            lines += [f"    {line}" for line in failure["listing"].splitlines()]
            lines.append("  replay it (bash):")
            lines += [f"    {line}" for line in failure.get("script", "").splitlines()]
        elif failure.get("curl"):
            lines.append(f"  reproduce: {failure['curl']}")
    for unjudged in check.get("unjudged_cases") or ():
        lines.append("")
        lines.append(f"- {unjudged.get('message', '')}")
        if unjudged.get("case"):
            lines.append(f"  case: {unjudged['case']}")
    return "\n".join(lines).strip()


def _junit_outcome(case: ET.Element, verdict: str, message: str, text: str, kind: str) -> None:
    if verdict == "fail":
        ET.SubElement(case, "failure", message=message, type=kind).text = text
    elif verdict == "error":
        ET.SubElement(case, "error", message=message, type=kind).text = text
    elif verdict == "skipped":
        ET.SubElement(case, "skipped", message=message)
    elif verdict == "accepted":  # a known deviation: JUnit has no such outcome, and it must not fail CI
        ET.SubElement(case, "skipped", message=f"accepted: {message}", type="accepted").text = text
    elif verdict != "pass":
        ET.SubElement(case, "error", message=f"unknown verdict {verdict!r}", type=kind).text = text


def _junit_tally(suite: ET.Element, verdicts: Iterable[str]) -> dict[str, int]:
    verdicts = list(verdicts)
    tally = {
        "tests": len(verdicts),
        "failures": verdicts.count("fail"),
        "errors": sum(v not in ("pass", "fail", "skipped", "accepted") for v in verdicts),
        "skipped": verdicts.count("skipped") + verdicts.count("accepted"),
    }
    for name, count in tally.items():
        suite.set(name, str(count))
    return tally


def render_junit(result: Mapping[str, Any]) -> str:
    """junit.xml: a testsuite per operation, a testcase per check that applies to it (plus one for
    the operation's own failure or error when no check explains it), and a ``run`` suite that fails
    if the run was cut short and holds a testcase per phase that was asked for (one that did not
    run or crashed is skipped with its reason: a phase's problem is the tool's, not a failure of the
    target). The counts are report.json's ``summary.checks``."""
    result = displayable(redact(result))
    root = ET.Element("testsuites", name="amplify-conformance")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for op in result.get("operations", ()):
        op_id = op.get("operationId", "?")
        suite = ET.SubElement(root, "testsuite", name=op_id, timestamp=result.get("started_at") or "")
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("method", op.get("method")),
            ("path", op.get("path")),
            ("verdict", op.get("verdict")),
            *((f"level.{lv}", v) for lv, v in (op.get("levels") or {}).items()),
        ):
            ET.SubElement(props, "property", name=name, value=str(value))
        verdicts = []
        for check in op.get("checks", ()):
            if not check.get("planned", True):  # does not apply to this operation: no test case
                continue
            verdict = check.get("verdict", "error")
            case = ET.SubElement(suite, "testcase", classname=op_id, name=check.get("name", "?"))
            failures = check.get("failures") or ()
            message = failures[0].get("message", "") if failures else (check.get("detail") or verdict)
            if verdict == "accepted":
                message = "; ".join(a.get("reason", "") for a in check.get("accepted_by") or ()) or message
            _junit_outcome(case, verdict, message, _failure_text(check), check.get("name", "check"))
            verdicts.append(verdict)
        op_verdict = op.get("verdict", "error")
        if op_verdict in ("fail", "error") and op_verdict not in verdicts:  # its own errors, say
            case = ET.SubElement(suite, "testcase", classname=op_id, name="operation")
            detail = op.get("detail") or f"operation verdict: {op_verdict}"
            _junit_outcome(case, op_verdict, detail, detail, "operation")
            verdicts.append(op_verdict)
        for name, count in _junit_tally(suite, verdicts).items():
            totals[name] += count
    suite = ET.SubElement(root, "testsuite", name="run", timestamp=result.get("started_at") or "")
    case = ET.SubElement(suite, "testcase", classname="run", name="complete")
    complete = result.get("complete", True)
    if not complete:
        reason = result.get("incomplete_reason") or "run cut short"
        _junit_outcome(case, "error", f"incomplete: {reason}", reason, "incomplete")
    run_verdicts = ["pass" if complete else "error"]
    for name, phase in (result.get("phases") or {}).items():
        status, detail = phase.get("status", "?"), phase.get("detail") or ""
        if status == "skipped" and _NOT_ASKED in detail:  # never planned: no test case
            continue
        case = ET.SubElement(suite, "testcase", classname="run", name=f"phase {name}")
        if status == "ran":
            run_verdicts.append("pass")
        else:
            ET.SubElement(case, "skipped", message=f"{status}: {detail}")
            run_verdicts.append("skipped")
        ET.SubElement(case, "system-out").text = f"{status}: {detail}"
    if result.get("throttling"):
        case = ET.SubElement(suite, "testcase", classname="run", name="throttling")
        ET.SubElement(case, "system-out").text = throttling_line(result)
        run_verdicts.append("pass")
    settling = result.get("settling") or {}
    if settling.get("summary"):
        case = ET.SubElement(suite, "testcase", classname="run", name="state visibility")
        ET.SubElement(case, "system-out").text = settling["summary"]
        run_verdicts.append("pass")
    for name, count in _junit_tally(suite, run_verdicts).items():
        totals[name] += count
    for name, count in totals.items():
        root.set(name, str(count))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

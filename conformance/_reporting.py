"""Reports of a finished run: report.json (the one source), junit.xml, report.md, report.html.

Reporters only render the result dict (``RunResult.to_dict()``); they never re-run logic, so
the four files cannot disagree. The writer is also the last line of defence for credentials:
whatever the runner hands over is redacted again before anything reaches the disk.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jsonschema

VERDICTS = ("pass", "fail", "error", "skipped", "accepted")
LEVELS = ("schema", "behaviour", "aws")
REPORT_FILES = {"json": "report.json", "junit": "junit.xml", "markdown": "report.md", "html": "report.html"}

#: Bodies longer than this are cut in the human-readable reports (report.json keeps them whole).
DISPLAY_BODY_LIMIT = 8192

REDACTED = "<redacted>"
_SECRET_HEADER_NAME = re.compile(r"token|secret|authorization|cookie", re.IGNORECASE)
_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
# "Name: value" inside a curl command line: quoted -H 'Authorization: ...' (the value runs to the
# closing quote, across shell-escaped quotes) or unquoted -H Cookie:abc (the value runs to a space).
_SECRET_NAME = r"[A-Za-z0-9-]*(?:token|secret|authorization|cookie)[A-Za-z0-9-]*"
_SECRET_HEADER_LINE = re.compile(
    rf"(?i)(?P<quote>['\"])(?P<name>{_SECRET_NAME}\s*:\s*)(?P<value>(?:'\"'\"'|'\\''|(?!(?P=quote))[^\r\n])*)"
    rf"|(?<![^\s])(?P<bare>{_SECRET_NAME}:)(?P<bare_value>\S*)"
)
# Presigned-URL style credentials in a query string.
_SECRET_QUERY = re.compile(
    r"(?i)(?P<name>[?&](?:x-amz-(?:security-token|signature|credential)|[^=&\s]*secret[^=&\s]*)=)"
    r"(?P<value>[^&\s'\"#]*)"
)
# Characters XML 1.0 cannot carry at all, and that browsers and terminals show badly.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


class ReportError(ValueError):
    """A report file that cannot be read, or does not match report.schema.json."""


# ---------------------------------------------------------------------------------------
# Redaction and display hygiene


def redact(value: Any) -> Any:
    """A copy of ``value`` with credentials removed: secret-looking headers, AWS access key ids,
    presigned query credentials, and the same inside curl reproducers."""
    return _redact(value, key=None)


def _redact(value: Any, key: str | None) -> Any:
    if isinstance(value, Mapping):
        if key == "headers":
            return {k: (REDACTED if _SECRET_HEADER_NAME.search(str(k)) else _redact(v, None)) for k, v in value.items()}
        return {k: _redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if key == "headers" and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
            return [[n, REDACTED if _SECRET_HEADER_NAME.search(str(n)) else _redact(v, None)] for n, v in value]
        return [_redact(v, None) for v in value]
    if isinstance(value, str):
        text = _ACCESS_KEY_ID.sub(REDACTED, value)
        text = _SECRET_QUERY.sub(lambda m: m["name"] + REDACTED, text)
        if key == "curl":
            text = _SECRET_HEADER_LINE.sub(_redact_header_line, text)
        return text
    return value


def _redact_header_line(match: re.Match[str]) -> str:
    if match["bare"]:
        return match["bare"] + REDACTED
    return match["quote"] + match["name"] + REDACTED


def _visible(text: str) -> str:
    """Control characters and lone surrogates as visible escapes (XML cannot carry them at all)."""
    return _INVISIBLE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def _displayable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _displayable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_displayable(v) for v in value]
    if isinstance(value, str):
        return _visible(value)
    return value


def _cut(text: str | None, limit: int = DISPLAY_BODY_LIMIT) -> str:
    if not text:
        return ""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n... ({len(text) - limit} more characters in report.json)"


# ---------------------------------------------------------------------------------------
# Summary: one place that reads counts, so the CLI line and every format agree


def operation_counts(result: Mapping[str, Any]) -> dict[str, int]:
    """Operations per verdict, counted from the operations themselves (the summary may be partial)."""
    counts = dict.fromkeys(VERDICTS, 0)
    for op in result.get("operations", ()):
        counts[op.get("verdict", "error")] = counts.get(op.get("verdict", "error"), 0) + 1
    return counts


def summary_line(result: Mapping[str, Any]) -> str:
    """The one line a CI log needs: verdict counts, requests, and whether the run was cut short."""
    counts = operation_counts(result)
    total = sum(counts.values())
    summary = result.get("summary") or {}
    shown = [v for v in VERDICTS if v != "accepted" or counts[v] or result.get("deviations")]
    parts = [f"{total} operations: " + ", ".join(f"{counts[v]} {v}" for v in shown)]
    if "requests" in summary:
        parts.append(f"{summary['requests']} requests")
    if summary.get("retries"):
        parts.append(f"{summary['retries']} retries")
    codes = (summary.get("coverage") or {}).get("status_codes")
    if codes:
        parts.append(f"status codes {codes.get('exercised', 0)}/{codes.get('documented', 0)}")
    line = "; ".join(parts)
    if not result.get("complete", True):
        line += f" -- INCOMPLETE: {result.get('incomplete_reason') or 'run cut short'}"
    return line


# ---------------------------------------------------------------------------------------
# View model shared by the Markdown and HTML templates


def _ratio(pair: Mapping[str, Any] | None) -> dict[str, Any]:
    pair = pair or {}
    exercised, documented = pair.get("exercised", 0), pair.get("documented", 0)
    complete = documented == 0 or exercised >= documented
    return {
        "exercised": exercised,
        "documented": documented,
        "text": f"{exercised}/{documented}",
        "complete": complete,
    }


def _status_code_rows(codes: Mapping[str, Any]) -> list[dict[str, str]]:
    # The runner lists undocumented codes apart (undocumented_seen); they matter, so show them.
    observed = set(codes.get("observed") or ()) | set(codes.get("undocumented_seen") or ())
    provoked, injected = set(codes.get("provoked") or ()), set(codes.get("injected") or ())
    listed = list(codes.get("documented") or ())
    listed += sorted(observed - set(listed))
    rows = []
    for code in listed:
        if code not in codes.get("documented", ()):
            how = "undocumented"
        elif code in provoked:
            how = "provoked"
        elif code in injected:
            how = "injected"
        elif code in observed:
            how = "observed"
        else:
            how = "not observed"
        rows.append({"code": code, "observed": "yes" if code in observed else "no", "how": how})
    return rows


def _failure_view(failure: Mapping[str, Any]) -> dict[str, Any]:
    request = failure.get("request") or {}
    response = failure.get("response") or {}
    return {
        "message": failure.get("message", ""),
        "case": failure.get("case") or "",
        "seed": failure.get("seed"),
        "curl": failure.get("curl") or "",
        "request_line": " ".join(str(p) for p in (request.get("method"), request.get("url")) if p),
        "request_body": _cut(request.get("body")),
        "status": response.get("status"),
        "response_headers": [f"{k}: {v}" for k, v in (response.get("headers") or {}).items()],
        "response_body": _cut(response.get("body")),
    }


def _anchor(operation_id: str) -> str:
    return "op-" + re.sub(r"[^A-Za-z0-9_-]", "-", operation_id)


def _operation_view(op: Mapping[str, Any], levels: list[str]) -> dict[str, Any]:
    coverage = op.get("coverage") or {}
    codes = coverage.get("status_codes") or {}
    checks = []
    for check in op.get("checks", ()):
        checks.append(
            {
                "name": check.get("name", "?"),
                "level": check.get("level", "?"),
                "verdict": check.get("verdict", "error"),
                "detail": check.get("detail") or "",
                "reasons": [a.get("reason", "") for a in check.get("accepted_by") or ()],
                "cases": check.get("cases"),
                "failures": [_failure_view(f) for f in check.get("failures") or ()],
            }
        )
    op_levels = op.get("levels") or {}
    return {
        "id": op.get("operationId", "?"),
        "anchor": _anchor(op.get("operationId", "?")),
        "method": op.get("method", ""),
        "path": op.get("path", ""),
        "verdict": op.get("verdict", "error"),
        "detail": op.get("detail") or "; ".join(str(e) for e in op.get("errors") or ()),
        "levels": [{"level": lv, "verdict": op_levels.get(lv, "n/a")} for lv in levels],
        "checks": checks,
        "settle_seconds": op.get("settle_seconds") or 0,
        "failing": [c for c in checks if c["failures"] or c["verdict"] in ("fail", "error")],
        "coverage": {
            "enum_values": _ratio(coverage.get("enum_values")),
            "required_members": _ratio(coverage.get("required_members")),
            "status_codes": _ratio(
                {
                    "exercised": codes.get("exercised", len(codes.get("observed") or ())),
                    "documented": len(codes.get("documented") or ()),
                }
            ),
            "status_rows": _status_code_rows(codes),
        },
    }


def _view(result: Mapping[str, Any]) -> dict[str, Any]:
    levels = [lv for lv in LEVELS if lv in (result.get("levels") or LEVELS)]
    summary = result.get("summary") or {}
    coverage = summary.get("coverage") or {}
    level_counts = summary.get("levels") or {}
    target = result.get("target") or {}
    cleanup = result.get("cleanup") or None
    return {
        "tool": result.get("tool") or {"name": "amplify-conformance", "version": "?"},
        "target": {
            "base_url": target.get("base_url", "?"),
            "kind": target.get("kind", "?"),
            "app_id": target.get("app_id") or "",
        },
        "levels": levels,
        "seed": result.get("seed"),
        "settle_bound": result.get("settle_bound"),
        "started_at": result.get("started_at") or "",
        "finished_at": result.get("finished_at") or "",
        "complete": bool(result.get("complete", True)),
        "incomplete_reason": result.get("incomplete_reason") or "",
        "counts": operation_counts(result),
        "requests": summary.get("requests"),
        "retries": summary.get("retries"),
        "summary_line": summary_line(result),
        "level_counts": [
            {"level": lv, **{v: (level_counts.get(lv) or {}).get(v, 0) for v in VERDICTS}}
            for lv in levels
            if lv in level_counts
        ],
        "coverage": [{"name": name.replace("_", " "), **_ratio(pair)} for name, pair in coverage.items()],
        "cleanup": cleanup,
        "settings_file": result.get("settings_file") or "",
        "deviations": _deviations_view(result.get("deviations")),
        "phases": [
            {"name": name, "status": phase.get("status", "?"), "detail": phase.get("detail") or ""}
            for name, phase in (result.get("phases") or {}).items()
        ],
        "operations": [_operation_view(op, levels) for op in result.get("operations", ())],
    }


def _deviations_view(section: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The deviations file's part of a run (see _deviations.apply_deviations), or None without one."""
    if not section:
        return None
    entries = []
    for entry in section.get("entries") or ():
        scope = " ".join(str(entry.get(k)) for k in ("level", "case") if entry.get(k))
        scope = f" ({scope})" if scope else ""
        entries.append(
            {
                "line": entry.get("line"),
                "subject": f"{entry.get('operation', '?')} {entry.get('check', '?')}{scope}",
                "status": entry.get("status", "?"),
                "until": entry.get("until") or "",
                "reason": entry.get("reason") or "",
                "matched": ", ".join(f"{m.get('operationId')} {m.get('check')}" for m in entry.get("matched") or ()),
            }
        )
    counts = {k: section.get(k, 0) for k in ("accepted", "applied", "stale", "expired", "not-run")}
    return {"file": section.get("file") or "?", "counts": counts, "entries": entries}


# ---------------------------------------------------------------------------------------
# Templates


def _template_source(name: str) -> str:
    return resources.files("amplify_reports").joinpath("templates", name).read_text(encoding="utf-8")


def _markdown_text(value: Any) -> str:
    """Plain text safe inside Markdown prose and table cells: punctuation escaped, one line."""
    text = re.sub(r"\s*[\r\n]+\s*", " ", str(value))
    return re.sub(r"([\\`*_{}\[\]<>|~&])", r"\\\1", text)


def _markdown_code(value: Any) -> str:
    """Inline code span whose backtick fence cannot be closed by the content."""
    text = re.sub(r"[\r\n]+", " ", str(value))
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _markdown_block(value: Any, lang: str = "") -> str:
    """Fenced code block whose fence is longer than any backtick run in the content."""
    text = str(value)
    fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


@functools.cache
def _environment(kind: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=(kind == "html"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=_markdown_text, md_code=_markdown_code, md_block=_markdown_block)
    return env


def _render(template: str, kind: str, result: Mapping[str, Any]) -> str:
    view = _view(_displayable(redact(result)))
    return _environment(kind).get_template(template).render(report=view)


def render_markdown(result: Mapping[str, Any]) -> str:
    """report.md: the summary table first, then one section per operation."""
    return _render("report.md.j2", "markdown", result)


def render_html(result: Mapping[str, Any]) -> str:
    """report.html: one self-contained page (inline CSS, no external resources), all text escaped."""
    return _render("report.html.j2", "html", result)


# ---------------------------------------------------------------------------------------
# JUnit


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
            lines.append(f"  response: {response['status']} {_cut(response.get('body'), 2000)}")
        if failure.get("curl"):
            lines.append(f"  reproduce: {failure['curl']}")
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
    """junit.xml: a testsuite per operation, a testcase per check (plus one for the operation's
    own verdict when no check explains it), and a ``run`` suite that fails if the run was cut short
    and holds a testcase per phase (one that did not run or crashed is skipped with its reason: a
    phase's problem is the tool's, not a failure of the target)."""
    result = _displayable(redact(result))
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
            verdict = check.get("verdict", "error")
            case = ET.SubElement(suite, "testcase", classname=op_id, name=check.get("name", "?"))
            failures = check.get("failures") or ()
            message = failures[0].get("message", "") if failures else (check.get("detail") or verdict)
            if verdict == "accepted":
                message = "; ".join(a.get("reason", "") for a in check.get("accepted_by") or ()) or message
            _junit_outcome(case, verdict, message, _failure_text(check), check.get("name", "check"))
            verdicts.append(verdict)
        op_verdict = op.get("verdict", "error")
        if op_verdict not in verdicts and not (op_verdict == "pass" and verdicts):
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
        case = ET.SubElement(suite, "testcase", classname="run", name=f"phase {name}")
        status, detail = phase.get("status", "?"), phase.get("detail") or ""
        if status == "ran":
            run_verdicts.append("pass")
        else:
            ET.SubElement(case, "skipped", message=f"{status}: {detail}")
            run_verdicts.append("skipped")
        ET.SubElement(case, "system-out").text = f"{status}: {detail}"
    for name, count in _junit_tally(suite, run_verdicts).items():
        totals[name] += count
    for name, count in totals.items():
        root.set(name, str(count))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ---------------------------------------------------------------------------------------
# Writing and reading


def render_json(result: Mapping[str, Any]) -> str:
    """report.json: the redacted result itself (ASCII-escaped, so any body survives the round trip)."""
    return json.dumps(redact(result), indent=2, ensure_ascii=True) + "\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary sibling, then rename: an interrupted write never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; reports are ordinary files
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_RENDERERS = {"json": render_json, "junit": render_junit, "markdown": render_markdown, "html": render_html}


def write_reports(result: Mapping[str, Any], report_dir: Path) -> dict[str, Path]:
    """Write the four reports of ``result`` into ``report_dir``; report.json first, since the
    others are only views of it. Returns the path of each, keyed json/junit/markdown/html."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    safe = redact(result)
    written = {}
    for kind, renderer in _RENDERERS.items():
        path = report_dir / REPORT_FILES[kind]
        _write_atomically(path, renderer(safe))
        written[kind] = path
    return written


@functools.cache
def report_schema() -> dict[str, Any]:
    """report.schema.json, read from the installed amplify_reports package."""
    return json.loads(resources.files("amplify_reports").joinpath("report.schema.json").read_text("utf-8"))


def validate_report(report: Any) -> None:
    """Raise ReportError naming the first place (best match) where ``report`` breaks the schema."""
    validator = jsonschema.Draft202012Validator(report_schema(), format_checker=jsonschema.FormatChecker())
    error = jsonschema.exceptions.best_match(validator.iter_errors(report))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ReportError(f"{where}: {error.message}")


def load_report(path: Path | str) -> dict[str, Any]:
    """Read a report.json and check it against the schema; ReportError says which file and what."""
    path = Path(path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not JSON: {exc}") from None
    try:
        validate_report(report)
    except ReportError as exc:
        raise ReportError(f"{path}: not a conformance report: {exc}") from None
    return report


# ---------------------------------------------------------------------------------------
# Diff of two runs

_BAD = ("fail", "error")


@dataclass(frozen=True)
class VerdictChange:
    """One operation (``check`` None) or one of its checks whose verdict differs between runs;
    ``None`` as a verdict means absent from that run."""

    operation_id: str
    check: str | None
    before: str | None
    after: str | None

    @property
    def kind(self) -> str:
        """regression: now fail/error, was not; fix: was fail/error, now pass; change: the rest."""
        if self.after in _BAD and self.before not in _BAD:
            return "regression"
        if self.before in _BAD and self.after == "pass":
            return "fix"
        return "change"

    @property
    def subject(self) -> str:
        return self.operation_id if self.check is None else f"{self.operation_id} {self.check}"


@dataclass(frozen=True)
class Diff:
    """Verdict changes between two runs, regressions first, then fixes, then other changes."""

    changes: tuple[VerdictChange, ...]
    notes: tuple[str, ...] = ()

    @property
    def regressions(self) -> tuple[VerdictChange, ...]:
        return tuple(c for c in self.changes if c.kind == "regression")

    @property
    def fixes(self) -> tuple[VerdictChange, ...]:
        return tuple(c for c in self.changes if c.kind == "fix")

    @property
    def others(self) -> tuple[VerdictChange, ...]:
        return tuple(c for c in self.changes if c.kind == "change")


def _verdicts(report: Mapping[str, Any]) -> dict[tuple[str, str | None], str]:
    """(operationId, check key) -> verdict; a check name repeated within an operation gets #2, #3..."""
    verdicts: dict[tuple[str, str | None], str] = {}
    for op in report.get("operations", ()):
        op_id = op.get("operationId", "?")
        verdicts[(op_id, None)] = op.get("verdict", "error")
        seen: dict[str, int] = {}
        for check in op.get("checks", ()):
            name = check.get("name", "?")
            seen[name] = seen.get(name, 0) + 1
            key = name if seen[name] == 1 else f"{name}#{seen[name]}"
            verdicts[(op_id, key)] = check.get("verdict", "error")
    return verdicts


def diff_reports(a: Mapping[str, Any], b: Mapping[str, Any]) -> Diff:
    """What changed verdict from run ``a`` to run ``b``."""
    before, after = _verdicts(a), _verdicts(b)
    changes = [
        VerdictChange(op_id, check, before.get((op_id, check)), after.get((op_id, check)))
        for op_id, check in set(before) | set(after)
        if before.get((op_id, check)) != after.get((op_id, check))
    ]
    rank = {"regression": 0, "fix": 1, "change": 2}
    changes.sort(key=lambda c: (rank[c.kind], c.operation_id, c.check is not None, c.check or ""))
    notes = []
    for label, report in (("A", a), ("B", b)):
        if not report.get("complete", True):
            notes.append(f"{label} is incomplete: {report.get('incomplete_reason') or 'run cut short'}")
    if list(a.get("levels") or ()) != list(b.get("levels") or ()):
        notes.append(f"levels differ: A {list(a.get('levels') or ())}, B {list(b.get('levels') or ())}")
    return Diff(tuple(changes), tuple(notes))


def render_diff(diff: Diff) -> str:
    """Plain text for a terminal or a CI log."""
    lines = [f"note: {note}" for note in diff.notes]
    groups = (("Regressions", diff.regressions), ("Fixes", diff.fixes), ("Other changes", diff.others))
    for title, changes in groups:
        if changes:
            lines.append(f"{title} ({len(changes)}):")
            lines += [f"  {c.subject}: {c.before or 'absent'} -> {c.after or 'absent'}" for c in changes]
    if not diff.changes:
        lines.append("No verdict changed.")
    return "\n".join(lines) + "\n"

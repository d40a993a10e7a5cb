"""What the Markdown and HTML templates show: a view of a finished result, never new logic.

The counts and the summary line live here too, so the CLI line and every format agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ._redaction import cut

VERDICTS = ("pass", "fail", "error", "skipped", "accepted")
LEVELS = ("schema", "behaviour", "aws")
#: Characters of a response body shown with a failure's first example (report.json keeps more).
EXAMPLE_BODY_LIMIT = 600
_SETTLE_NOTE = re.compile(r" \(judged after waiting [0-9.]+ s for it to settle\)")


def operation_counts(result: Mapping[str, Any]) -> dict[str, int]:
    """Operations per verdict, counted from the operations themselves (the summary may be partial)."""
    counts = dict.fromkeys(VERDICTS, 0)
    for op in result.get("operations", ()):
        counts[op.get("verdict", "error")] = counts.get(op.get("verdict", "error"), 0) + 1
    return counts


def check_counts(result: Mapping[str, Any]) -> dict[str, int]:
    """Checks per verdict, counted from the operations (as junit.xml has them: a check that does
    not apply to its operation is not counted, a skipped one that was planned is)."""
    counts = dict.fromkeys(VERDICTS, 0)
    for op in result.get("operations", ()):
        for check in op.get("checks", ()):
            if check.get("planned", True):
                verdict = check.get("verdict", "error")
                counts[verdict] = counts.get(verdict, 0) + 1
    return counts


def _shown_verdicts(result: Mapping[str, Any], *counts: Mapping[str, int]) -> list[str]:
    return [v for v in VERDICTS if v != "accepted" or result.get("deviations") or any(c[v] for c in counts)]


def summary_line(result: Mapping[str, Any]) -> str:
    """The one line a CI log needs: operations and checks per verdict, requests, and whether the
    run was cut short. An operation's verdict is its worst over its levels (fail before error)."""
    counts, checks = operation_counts(result), check_counts(result)
    total = sum(counts.values())
    summary = result.get("summary") or {}
    shown = _shown_verdicts(result, counts, checks)
    parts = [f"{total} operations: " + ", ".join(f"{counts[v]} {v}" for v in shown)]
    parts.append(f"{sum(checks.values())} checks: " + ", ".join(f"{checks[v]} {v}" for v in shown))
    if "requests" in summary:
        parts.append(f"{summary['requests']} requests")
    if summary.get("retries"):
        parts.append(f"{summary['retries']} retries")
    throttling = result.get("throttling") or {}
    if throttling.get("throttled"):
        parts.append(f"{throttling['throttled']} throttled")
    if throttling.get("unjudged"):
        parts.append(f"{throttling['unjudged']} cases not judged (throttled)")
    codes = (summary.get("coverage") or {}).get("status_codes")
    if codes:
        parts.append(f"status codes {codes.get('exercised', 0)}/{codes.get('documented', 0)}")
    slowest = slowest_phase(result)
    if slowest:
        parts.append(f"slowest phase: {slowest}")
    line = "; ".join(parts)
    if not result.get("complete", True):
        line += f" -- INCOMPLETE: {result.get('incomplete_reason') or 'run cut short'}"
    return line


def slowest_phase(result: Mapping[str, Any]) -> str:
    """The phase that took longest, with its seconds and requests ("" before phases were timed)."""
    timed = [(name, p) for name, p in (result.get("phases") or {}).items() if "seconds" in p]
    if not timed:
        return ""
    name, phase = max(timed, key=lambda item: item[1]["seconds"])
    return f"{name} ({phase_time(phase)})"


def phase_time(phase: Mapping[str, Any]) -> str:
    """A phase's wall seconds and requests, as a report shows them."""
    if "seconds" not in phase:
        return ""
    return f"{phase['seconds']:.1f} s, {phase.get('requests', 0):,} requests"


def time_line(result: Mapping[str, Any]) -> str:
    """Where the run's time went: the longest chain of requests sent one after another, and
    what the operations' units spent their time on."""
    parts = []
    chain = result.get("longest_chain")
    if chain:
        parts.append(
            f"longest chain of requests one after another: {chain['name']}, {chain['seconds']:.1f} s and"
            f" {chain['requests']:,} requests ({chain['waiting_seconds']:.1f} s of them waiting for answers)"
        )
    stages = ((result.get("phases") or {}).get("operations") or {}).get("stages") or {}
    if stages:
        spent = ", ".join(f"{name} {s['seconds']:.0f} s ({s['requests']:,} requests)" for name, s in stages.items())
        parts.append(f"the units' time (summed over units side by side): {spent}")
    return "; ".join(parts)


def throttling_line(result: Mapping[str, Any]) -> str:
    """How the target throttled the run and how the run slowed down for it, in one sentence."""
    t = result.get("throttling") or {}
    if not t:
        return ""
    parts = []
    if t.get("rate_limit"):
        parts.append(f"sent at most {t['rate_limit']:g} requests a second")
    if t.get("slowest_pace"):
        parts.append(f"slowed to {t['slowest_pace']:g} requests a second by the 429s")
    if t.get("rate_limit_wait_seconds"):
        parts.append(f"{t['rate_limit_wait_seconds']:g} s waited for a turn in all")
    parts.append(
        f"{t.get('throttled', 0)} answers 429 and {t.get('timed_out', 0)} answers 504; {t.get('retries', 0)} retries"
        f" after {t.get('backoff_seconds', 0):g} s of backoff in all (up to {t.get('patience_seconds', 0):g} s each)"
    )
    if t.get("unjudged"):
        parts.append(f"{t['unjudged']} cases not judged: still throttled after every retry")
    return "; ".join(parts)


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
        "reason": _reason(failure),
        "case": failure.get("case") or "",
        "seed": failure.get("seed"),
        "curl": failure.get("curl") or "",
        "listing": failure.get("listing") or "",
        "script": failure.get("script") or "",
        "request_line": " ".join(str(p) for p in (request.get("method"), request.get("url")) if p),
        "request_body": cut(request.get("body")),
        "status": response.get("status"),
        "response_headers": [f"{k}: {v}" for k, v in (response.get("headers") or {}).items()],
        "response_body": cut(response.get("body")),
        "response_excerpt": cut(response.get("body"), EXAMPLE_BODY_LIMIT),
    }


def _accepted_reason(accepted_by: Mapping[str, Any]) -> str:
    """A deviations entry's reason as the reports show it: with its link, if it has one."""
    link = accepted_by.get("link")
    return f"{accepted_by.get('reason', '')} ({link})" if link else accepted_by.get("reason", "")


def _reason(failure: Mapping[str, Any]) -> str:
    """A failure's reason as report.json gives it; a report from before reasons, its message."""
    return failure.get("reason") or _SETTLE_NOTE.sub("", failure.get("message", ""))


def _check_failures(op_id: str, check: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One check that did not pass, as (reason, count, first example) per reason: the counts are
    report.json's ``reasons`` (else the failures kept), the example the first failure kept."""
    base = {"operation": op_id, "anchor": _anchor(op_id), "check": check.get("name", "?")}
    base |= {"level": check.get("level", "?"), "verdict": check.get("verdict", "error")}
    base["accepted"] = [_accepted_reason(a) for a in check.get("accepted_by") or ()]
    found: dict[str, dict[str, Any]] = {}
    for failure in check.get("failures") or ():
        reason = _reason(failure)
        found.setdefault(reason, {**base, "reason": reason, "count": 0, "example": _failure_view(failure)})
        found[reason]["count"] += 1
    for counted in check.get("reasons") or ():
        reason, count = counted.get("reason", ""), counted.get("count", 0)
        found.setdefault(reason, {**base, "reason": reason, "count": 0, "example": None})
        found[reason]["count"] = max(count, found[reason]["count"])
    unjudged = list(check.get("unjudged_cases") or ())
    if unjudged:
        example = {**_failure_view({}), "message": unjudged[0].get("message", ""), "case": unjudged[0].get("case")}
        found["not judged"] = {
            **base,
            "verdict": "error",
            "reason": "not judged: still answered 429 or 504 after every retry",
            "count": check.get("unjudged") or len(unjudged),
            "example": example,
        }
    if not found and base["verdict"] in ("fail", "error"):
        found["detail"] = {**base, "reason": check.get("detail") or base["verdict"], "count": 1, "example": None}
    return list(found.values())


def _operation_failures(op: Mapping[str, Any]) -> list[dict[str, Any]]:
    op_id = op.get("operationId", "?")
    failures = []
    for check in op.get("checks", ()):
        if check.get("verdict") in ("fail", "error", "accepted") or check.get("unjudged_cases"):
            failures += _check_failures(op_id, check)
    for error in dict.fromkeys(str(e) for e in op.get("errors") or ()):
        failures.append(
            {
                "operation": op_id,
                "anchor": _anchor(op_id),
                "check": "operation",
                "level": "all",
                "verdict": "error",
                "accepted": [],
                "reason": error,
                "count": 1,
                "example": None,
            }
        )
    return failures


def failure_groups(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What failed, for the top of every report: each (check, reason, verdict) once, with the
    operations it failed in (each with its count and first example), its total count and level;
    failing and erring ones first, then the accepted ones, in the order the operations come.
    A failure repeated per request, or in every operation, is one entry."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for op in result.get("operations", ()):
        for failure in _operation_failures(op):
            key = (failure["check"], failure["reason"], failure["verdict"])
            group = groups.setdefault(
                key,
                {
                    "check": failure["check"],
                    "level": failure["level"],
                    "verdict": failure["verdict"],
                    "reason": failure["reason"],
                    "accepted": failure["accepted"],
                    "count": 0,
                    "operations": [],
                },
            )
            group["count"] += failure["count"]
            group["operations"].append(failure)
    for group in groups.values():
        group["example"] = next((f["example"] for f in group["operations"] if f["example"]), None)
    return sorted(groups.values(), key=lambda g: g["verdict"] == "accepted")


def failure_lines(result: Mapping[str, Any], limit: int = 15) -> list[str]:
    """What failed, for the console: each failure group in a line with its reason, the operations
    and the command that sends its first example again; ``limit`` groups, the rest counted."""
    failing = [g for g in failure_groups(result) if g["verdict"] != "accepted"]
    lines = [f"what failed ({len(failing)} distinct failures; all of them in report.md):"] if failing else []
    for group in failing[:limit]:
        ops = [f"{f['operation']} x{f['count']}" for f in group["operations"]]
        where = ", ".join(ops[:3]) + (f" and {len(ops) - 3} more operations" if len(ops) > 3 else "")
        lines.append(f"  {group['verdict'].upper()} {group['check']} ({group['level']}): {group['reason']} [{where}]")
        example = group["example"] or {}
        if example.get("listing"):
            lines.append("    replay: the sequence's bash script in report.md")
        elif example.get("curl"):
            lines.append("    replay: " + " ".join(example["curl"].split()))
    if len(failing) > limit:
        lines.append(f"  ... and {len(failing) - limit} more in report.md")
    return lines


def _anchor(operation_id: str) -> str:
    return "op-" + re.sub(r"[^A-Za-z0-9_-]", "-", operation_id)


def _operation_view(op: Mapping[str, Any], levels: list[str]) -> dict[str, Any]:
    coverage = op.get("coverage") or {}
    codes = coverage.get("status_codes") or {}
    checks = []
    for check in op.get("checks", ()):
        if not check.get("planned", True):  # does not apply to this operation: nothing to show
            continue
        checks.append(
            {
                "name": check.get("name", "?"),
                "level": check.get("level", "?"),
                "verdict": check.get("verdict", "error"),
                "detail": check.get("detail") or "",
                "reasons": [_accepted_reason(a) for a in check.get("accepted_by") or ()],
                "cases": check.get("cases"),
                "failures": [_failure_view(f) for f in check.get("failures") or ()],
                "unjudged": [
                    {"message": u.get("message", ""), "case": u.get("case") or ""}
                    for u in check.get("unjudged_cases") or ()
                ],
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
        "failing": [c for c in checks if c["failures"] or c["unjudged"] or c["verdict"] in ("fail", "error")],
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


def run_view(result: Mapping[str, Any]) -> dict[str, Any]:
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
        "seed_source": result.get("seed_source") or "",
        "settle_bound": result.get("settle_bound"),
        "settling": (result.get("settling") or {}).get("summary") or "",
        "never_shown": list((result.get("settling") or {}).get("never_shown") or ()),
        "throttling": throttling_line(result),
        "unjudged": [
            f"{u.get('operation', '?')} {u.get('check', '?')}: {u.get('message', '')}"
            for u in (result.get("throttling") or {}).get("unjudged_cases") or ()
        ],
        "started_at": result.get("started_at") or "",
        "finished_at": result.get("finished_at") or "",
        "complete": bool(result.get("complete", True)),
        "incomplete_reason": result.get("incomplete_reason") or "",
        "counts": operation_counts(result),
        "check_counts": check_counts(result),
        "failure_groups": failure_groups(result),
        "requests": summary.get("requests"),
        "retries": summary.get("retries"),
        "summary_line": summary_line(result),
        "level_counts": _level_rows(result, levels, level_counts),
        "coverage": [{"name": name.replace("_", " "), **_ratio(pair)} for name, pair in coverage.items()],
        "cleanup": cleanup,
        "concurrency": (result.get("concurrency") or {}).get("detail") or "",
        "settings_file": result.get("settings_file") or "",
        "deviations": _deviations_view(result.get("deviations")),
        "phases": [
            {
                "name": name,
                "status": phase.get("status", "?"),
                "detail": phase.get("detail") or "",
                "time": phase_time(phase),
            }
            for name, phase in (result.get("phases") or {}).items()
        ],
        "time_line": time_line(result),
        "operations": [_operation_view(op, levels) for op in result.get("operations", ())],
    }


def _level_rows(result: Mapping[str, Any], levels: list[str], level_counts: Mapping[str, Any]) -> list[dict]:
    """Operations per verdict at each level, after a first row over all levels: the summary line's
    counts (an operation failing one level and erring at another counts as fail there)."""
    rows = [
        {"level": lv, **{v: (level_counts.get(lv) or {}).get(v, 0) for v in VERDICTS}}
        for lv in levels
        if lv in level_counts
    ]
    return [{"level": "all levels", **operation_counts(result)}, *rows] if rows else []


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
                "expires": entry.get("expires") or entry.get("until") or "",
                "link": entry.get("link") or "",
                "reason": entry.get("reason") or "",
                "matched": ", ".join(f"{m.get('operationId')} {m.get('check')}" for m in entry.get("matched") or ()),
            }
        )
    counts = {k: section.get(k, 0) for k in ("accepted", "applied", "stale", "expired", "not-run")}
    return {"file": section.get("file") or "?", "counts": counts, "entries": entries}


# ---------------------------------------------------------------------------------------
# Parity (parity.json): two implementations, or one and a recording, answer by answer

#: Differences shown per operation in parity.md and parity.html (parity.json keeps them all).
DISPLAY_DIFFERENCES = 25


def _side_view(label: str, side: Mapping[str, Any]) -> dict[str, Any]:
    conformance = side.get("conformance") or {}
    where = side.get("recording") or side.get("base_url") or "?"
    return {
        "label": label,
        "kind": side.get("kind", "?"),
        "where": where,
        "base_url": side.get("base_url") or "",
        "summary_line": conformance.get("summary_line") or "",
    }


def _shown(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _exchange_text(exchange: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if exchange is None:
        return None
    request = exchange.get("request") or {}
    response = exchange.get("response") or {}
    if exchange.get("recorded"):
        line = f"{request.get('method', '')} {request.get('path', '')} {_shown(request.get('params') or {})}"
        body = request.get("json", request.get("text"))
        answer_body = response.get("json", response.get("text"))
    else:
        line = f"{request.get('method', '')} {request.get('url', '')}"
        body, answer_body = request.get("body"), response.get("body")
    return {
        "recorded": bool(exchange.get("recorded")),
        "request_line": line,
        "request_body": cut(_shown(body)) if body is not None else "",
        "curl": exchange.get("curl") or "",
        "status": response.get("status") if exchange.get("response") else None,
        "error": exchange.get("error") or "",
        "headers": [f"{k}: {v}" for k, v in (response.get("headers") or {}).items()],
        "body": cut(_shown(answer_body)) if answer_body is not None else "",
    }


def parity_view(result: Mapping[str, Any]) -> dict[str, Any]:
    """What parity.md and parity.html show of a parity result."""
    sides = result.get("sides") or {}
    summary = result.get("summary") or {}
    operations = []
    for op in result.get("operations", ()):
        differences = []
        for diff in (op.get("differences") or ())[:DISPLAY_DIFFERENCES]:
            differences.append(
                {
                    "title": diff.get("case") or f"{diff.get('request', '?')} #{diff.get('n', '?')}",
                    "request": diff.get("request") or "",
                    "unit": diff.get("unit") or "",
                    "operation": diff.get("operationId") or "",
                    "follows": diff.get("follows") or "",
                    "fields": [
                        {
                            "where": f.get("where", "?"),
                            "kind": f.get("kind", "?"),
                            "level": f.get("level", "?"),
                            "a": _shown(f.get("a")),
                            "b": _shown(f.get("b")),
                        }
                        for f in diff.get("fields") or ()
                    ],
                    "more_fields": diff.get("more_fields") or 0,
                    "a": _exchange_text(diff.get("a")),
                    "b": _exchange_text(diff.get("b")),
                }
            )
        conformance = op.get("conformance") or {}
        operations.append(
            {
                "id": op.get("operationId", "?"),
                "anchor": _anchor(op.get("operationId", "?")),
                "verdict": op.get("verdict", "?"),
                "pairs": op.get("pairs", 0),
                "skipped": op.get("skipped", 0),
                "count": len(op.get("differences") or ()),
                "hidden": max(0, len(op.get("differences") or ()) - DISPLAY_DIFFERENCES),
                "conformance_a": conformance.get("a") or "n/a",
                "conformance_b": conformance.get("b") or "n/a",
                "differences": differences,
            }
        )
    return {
        "tool": result.get("tool") or {"name": "amplify-conformance", "version": "?"},
        "a": _side_view("A", sides.get("a") or {}),
        "b": _side_view("B", sides.get("b") or {}),
        "levels": list(result.get("levels") or ()),
        "plan": result.get("plan") or {},
        "started_at": result.get("started_at") or "",
        "finished_at": result.get("finished_at") or "",
        "complete": bool(result.get("complete", True)),
        "incomplete_reason": result.get("incomplete_reason") or "",
        "summary_line": parity_summary_line(result),
        "rules": [
            {
                "name": r.get("name", "?"),
                "reason": r.get("reason", ""),
                "enabled": bool(r.get("enabled")),
                "applied": r.get("applied", 0),
            }
            for r in result.get("normalisation") or ()
        ],
        "summary": summary,
        "operations": operations,
    }


def parity_summary_line(result: Mapping[str, Any]) -> str:
    """The one line a CI log needs of a parity run."""
    s = result.get("summary") or {}
    line = (
        f"{s.get('operations', 0)} operations: {s.get('same', 0)} same, {s.get('differ', 0)} differ; "
        f"{s.get('differences', 0)} differences in {s.get('compared', 0)} pairs compared"
    )
    if s.get("skipped"):
        line += f" ({s['skipped']} skipped: 429/504)"
    if not result.get("complete", True):
        line += f" -- INCOMPLETE: {result.get('incomplete_reason') or 'a side was cut short'}"
    return line

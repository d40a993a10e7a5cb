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
    throttling = result.get("throttling") or {}
    if throttling.get("throttled"):
        parts.append(f"{throttling['throttled']} throttled")
    if throttling.get("unjudged"):
        parts.append(f"{throttling['unjudged']} cases not judged (throttled)")
    codes = (summary.get("coverage") or {}).get("status_codes")
    if codes:
        parts.append(f"status codes {codes.get('exercised', 0)}/{codes.get('documented', 0)}")
    line = "; ".join(parts)
    if not result.get("complete", True):
        line += f" -- INCOMPLETE: {result.get('incomplete_reason') or 'run cut short'}"
    return line


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
        "concurrency": (result.get("concurrency") or {}).get("detail") or "",
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

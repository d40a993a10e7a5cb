"""Hand-built run results (the report.json dict) for the reporting and CLI tests.

Built by hand rather than by a run, so the renderers are pinned against the documented shape
and every verdict (pass, fail, error, skipped) and an incomplete run appear at once.
"""

from __future__ import annotations

import copy
from typing import Any

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLEsessiontoken"
HOSTILE_BODY = '<script>alert("pwned")</script></pre>\x00\x07 & ]]> `` ``` |'
CODES = ["200", "400", "404", "429", "504"]


def _coverage(observed=CODES, provoked=("200", "400", "404"), injected=("429", "504")) -> dict[str, Any]:
    return {
        "enum_values": {"exercised": 4, "documented": 4},
        "required_members": {"exercised": 2, "documented": 2},
        "status_codes": {
            "documented": list(CODES),
            "observed": list(observed),
            "provoked": list(provoked),
            "injected": list(injected),
            "exercised": len(observed),
        },
    }


def _check(name: str, level: str, verdict: str = "pass", detail: str = "3 cases judged", **extra) -> dict:
    return {
        "name": name,
        "level": level,
        "verdict": verdict,
        "detail": detail,
        "cases": 3,
        "failures": [],
        **extra,
    }


def _failure() -> dict[str, Any]:
    url = "http://127.0.0.1:4567/prod/backend/ac-1/storage"
    return {
        "message": "resourceConfig.permissions removed: expected 400, got 200",
        "case": "CreateBackendStorage:required-missing:resourceConfig.permissions",
        "request": {
            "method": "POST",
            "url": url + f"?X-Amz-Security-Token={SESSION_TOKEN}",
            "headers": {
                "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/x",
                "X-Amz-Security-Token": SESSION_TOKEN,
                "X-Amz-Date": "20261127T100000Z",
                "Content-Type": "application/json",
            },
            "body": '{"backendEnvironmentName": "dev", "note": "key ' + ACCESS_KEY_ID + '"}',
        },
        "response": {
            "status": 200,
            "headers": {"Content-Type": "text/html", "Set-Cookie": "sid=s3cr3t"},
            "body": HOSTILE_BODY,
        },
        "curl": (
            f"curl -X POST '{url}' -H 'Authorization: AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/x' "
            f"-H 'X-Amz-Security-Token: {SESSION_TOKEN}' -H 'X-Amz-Date: 20261127T100000Z' "
            '--data-binary \'{"backendEnvironmentName": "dev"}\''
        ),
        "seed": 12345,
    }


def _operation(op_id: str, path: str, verdict: str, levels: dict, checks: list, **extra) -> dict:
    return {
        "operationId": op_id,
        "method": "POST",
        "path": path,
        "verdict": verdict,
        "levels": levels,
        "checks": checks,
        "coverage": _coverage(),
        **extra,
    }


def mixed_result() -> dict[str, Any]:
    """A complete run with one operation of each verdict."""
    ops = [
        _operation(
            "CreateBackend",
            "/backend",
            "pass",
            {"schema": "pass", "behaviour": "pass", "aws": "pass"},
            [
                _check("R1.status-code", "schema"),
                _check("R4.required", "behaviour"),
                _check("aws.request-id", "aws"),
            ],
        ),
        _operation(
            "CreateBackendStorage",
            "/backend/{appId}/storage",
            "fail",
            {"schema": "pass", "behaviour": "fail", "aws": "pass"},
            [
                _check("R1.status-code", "schema"),
                _check("R4.required", "behaviour", "fail", "12 cases judged, 1 failed", failures=[_failure()]),
                _check("aws.request-id", "aws"),
            ],
        ),
        _operation(
            "GetBackendJob",
            "/backend/{appId}/job/{backendEnvironmentName}/{jobId}",
            "error",
            {"schema": "error", "behaviour": "skipped", "aws": "skipped"},
            [_check("R1.status-code", "schema", "error", "target closed the connection mid-answer")],
            detail="connection reset",
        ),
        _operation(
            "ListS3Buckets",
            "/s3Buckets",
            "skipped",
            {"schema": "skipped", "behaviour": "skipped", "aws": "skipped"},
            [],
        ),
    ]
    ops[3]["coverage"] = _coverage(observed=[], provoked=[], injected=[])
    return {
        "tool": {"name": "amplify-conformance", "version": "0.1.0"},
        "target": {"base_url": "http://127.0.0.1:4567/prod", "kind": "emulator", "app_id": "ac-1a2b3c"},
        "levels": ["schema", "behaviour", "aws"],
        "seed": 12345,
        "started_at": "2026-11-27T10:00:00+00:00",
        "finished_at": "2026-11-27T10:00:41+00:00",
        "complete": True,
        "incomplete_reason": None,
        "summary": {
            "operations": 4,
            "pass": 1,
            "fail": 1,
            "error": 1,
            "skipped": 1,
            "requests": 420,
            "retries": 3,
            "levels": {lv: {"pass": 2, "fail": 0, "error": 1, "skipped": 1} for lv in ("schema", "aws")}
            | {"behaviour": {"pass": 1, "fail": 1, "error": 0, "skipped": 2}},
            "coverage": {
                "enum_values": {"exercised": 16, "documented": 16},
                "required_members": {"exercised": 8, "documented": 8},
                "status_codes": {"exercised": 15, "documented": 20},
            },
        },
        "cleanup": {"attempted": 3, "failed": 0, "detail": "removed app ac-1a2b3c"},
        "phases": {
            "operations": {"status": "ran", "detail": "4 operations"},
            "stateful": {"status": "error", "detail": "crashed: StopIteration: <links ran dry>"},
            "cleanup": {"status": "ran", "detail": "removed app ac-1a2b3c"},
        },
        "operations": ops,
    }


def passing_result() -> dict[str, Any]:
    """A complete run where every operation passes."""
    result = mixed_result()
    result["operations"] = [result["operations"][0]]
    result["phases"]["stateful"] = {"status": "ran", "detail": "12 calls chained through the spec's links"}
    return result


def incomplete_result() -> dict[str, Any]:
    """A run cut short by Ctrl-C after two operations."""
    result = mixed_result()
    result["operations"] = result["operations"][:2]
    result["complete"] = False
    result["incomplete_reason"] = "interrupted (SIGINT)"
    return result


def stateless_result() -> dict[str, Any]:
    """A run against a target that never showed what setup made (a stateless mock)."""
    result = mixed_result()
    step = "GetBackend listing an environment that CreateBackend made"
    result["settling"] = {
        "bound": 10.0,
        "target": "immediate",
        "late_reads": 0,
        "longest_late_seconds": 0.0,
        "waited_in_vain": 8,
        "steps": [{"step": step, "tried": 8, "shown": 0}],
        "never_shown": [f"{step} (0 of 8)"],
        "summary": f"the target never showed what setup made: {step} (0 of 8)",
    }
    return result


def with_verdicts(result: dict[str, Any], op_id: str, verdict: str, check: str | None = None) -> dict:
    """A copy of ``result`` with one operation's (or one of its checks') verdict replaced."""
    result = copy.deepcopy(result)
    for op in result["operations"]:
        if op["operationId"] == op_id:
            if check is None:
                op["verdict"] = verdict
            for c in op["checks"]:
                if c["name"] == check:
                    c["verdict"] = verdict
    return result

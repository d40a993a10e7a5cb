"""``amplify-conformance replay report.json``: send a report's failing requests again and say
which still fail.

Every recorded failure with a request is sent as it was (to the report's target, or rebased
onto another base URL) and judged again: a check on the answer alone (status code, content
type, body schema, no 5xx, AWS headers) by the same check function; a case that expected a
status ("expected 400, got 200") by that status. A state check (R8) or a CORS probe asked a
question of a sequence of requests, which one request cannot answer: those are reported as
not replayable alone. The failure groups of a campaign (report.json ``fuzz``) replay their
minimal examples too.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

import amplify_openapi as spec
import requests

from . import _checks as C
from ._target import Exchange, Reply, SentRequest

_EXPECTED = re.compile(r"expected (\d{3}), got (\d{3})")
OUTCOMES = ("still fails", "passes now", "not replayable", "no answer")


def failing_examples(report: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(operationId, check, failure) of every recorded failure with a request, campaign groups included."""
    seen: set[tuple[str, str, str, str]] = set()
    groups = [(g["operation"], g["check"], g["example"]) for g in (report.get("fuzz") or {}).get("groups", ())]
    checks = [
        (o["operationId"], c["name"], f)
        for o in report.get("operations", ())
        for c in o.get("checks", ())
        for f in c.get("failures", ())
    ]
    for operation, check, failure in groups + checks:
        request = (failure or {}).get("request")
        if not request:
            continue
        key = (operation, check, request.get("url", ""), str(request.get("body")))
        if key not in seen:
            seen.add(key)
            yield operation, check, failure


def replay(report: Mapping[str, Any], base_url: str | None = None, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Each failing example of the report, sent again and judged: its outcome and what was seen."""
    recorded_base = (report.get("target") or {}).get("base_url") or ""
    session = requests.Session()
    outcomes = []
    for operation_id, check, failure in failing_examples(report):
        request = failure["request"]
        url = request["url"]
        if base_url and recorded_base and url.startswith(recorded_base):
            url = base_url.rstrip("/") + url[len(recorded_base) :]
        entry = {"operation": operation_id, "check": check, "case": failure.get("case"), "url": url}
        if check.startswith(("R8.", "R3.")):
            outcomes.append(
                {**entry, "outcome": "not replayable", "detail": "a state or CORS question asks several requests"}
            )
            continue
        body = request.get("body")
        sent = SentRequest(
            request["method"], url, dict(request.get("headers") or {}), None if body is None else body.encode()
        )
        began = time.monotonic()
        try:
            answer = session.request(sent.method, url, headers=sent.headers, data=sent.body, timeout=timeout)
        except requests.RequestException as exc:
            outcomes.append({**entry, "outcome": "no answer", "detail": str(exc).splitlines()[0][:200]})
            continue
        headers = {k.lower(): v for k, v in answer.headers.items()}
        reply = Reply(answer.status_code, headers, answer.content, False, time.monotonic() - began)
        still, detail = _judge(operation_id, check, failure, Exchange(sent, (reply,)))
        outcomes.append({**entry, "outcome": "still fails" if still else "passes now", "detail": detail})
    return outcomes


def _judge(operation_id: str, check: str, failure: Mapping[str, Any], exchange: Exchange) -> tuple[bool, str]:
    reply = exchange.reply
    op = _sent_to(exchange.request, operation_id)
    verdicts = [seen for seen in C.judge_exchange(op, exchange) if seen.check == check]
    if verdicts:
        failed = [seen for seen in verdicts if not seen.ok]
        return bool(failed), (failed or verdicts)[0].saw
    wanted = _EXPECTED.search(failure.get("message") or "")
    if wanted:
        if reply.status in (429, 504):
            return False, f"answered {reply.status} (R9: unjudged), expected {wanted.group(1)}"
        return reply.status != int(wanted.group(1)), f"expected {wanted.group(1)}, got {reply.status}"
    return reply.status >= 500 and reply.status != 504, f"status {reply.status}"


def _sent_to(request: SentRequest, operation_id: str) -> spec.Operation:
    """The operation a recorded request went to (a verification call may name another one)."""
    path = request.url.split("?", 1)[0]
    for candidate in spec.operations():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(candidate.path)) + "$"
        if candidate.method == request.method.upper() and re.search(pattern, path):
            return candidate
    return spec.operation(operation_id)

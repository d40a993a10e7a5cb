"""What a run found, gathered per operation and check, then frozen into plain data.

The Ledger is the only mutable thing (thread-safe: units run in parallel and verification
calls land on other operations). RunResult.to_dict() is report.json: every reporter renders
that and nothing else.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import amplify_openapi as spec

from ._checks import CHECKS, Seen
from ._reporting import check_counts
from ._target import Exchange

MAX_FAILURES_KEPT = 5  # per operation and check; the count is always exact
# Distinct reasons counted per operation and check (the rest count as OTHER_REASONS); the first
# example of a reason not among the first failures kept is kept as well, up to MAX_REASONS_KEPT.
MAX_REASONS = 20
MAX_REASONS_KEPT = 10
OTHER_REASONS = "(other reasons)"
NOT_APPLICABLE = "not applicable to this operation"
_SETTLE_NOTE = re.compile(r" \(judged after waiting [0-9.]+ s for it to settle\)")
# "accepted": a failure that a deviations file names, with its reason (see _deviations.py)
VERDICTS = ("pass", "fail", "error", "skipped", "accepted")


@dataclass
class _Tally:
    cases: int = 0
    failed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    last_ok: str = ""
    unjudged: int = 0  # cases a 429 or 504 left unjudged after every retry (R9)
    unjudged_cases: list[dict[str, Any]] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)


def reason_of(message: str) -> str:
    """What a failure says went wrong, without the case it happened to: the outcome after the last
    ': ' ("resourceName removed: expected 400, got 200" -> "expected 400, got 200"), without how
    long the read-back waited. Failures of one check with one reason are one entry in the reports."""
    text = _SETTLE_NOTE.sub("", message).strip()
    head, sep, tail = text.rpartition(": ")
    tail = tail.strip()
    # a ': ' inside a value shown in the message (a dict, a cut string) is no outcome
    whole = "..." in tail or tail.count("'") % 2 or any(tail.count(a) != tail.count(b) for a, b in ("()", "[]", "{}"))
    return tail if sep and head.strip() and tail and not whole else text


@dataclass
class _OperationRecord:
    tallies: dict[str, _Tally] = field(default_factory=lambda: defaultdict(_Tally))
    provoked: set[str] = field(default_factory=set)
    injected: set[str] = field(default_factory=set)
    enum_values: set[str] = field(default_factory=set)
    required_members: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # check id -> why it could not be judged
    not_applicable: set[str] = field(default_factory=set)  # check ids skipped because nothing of them applies
    requests: int = 0
    retries: int = 0
    throttled: int = 0  # 429 answers the target chose to send (not injected)
    timed_out: int = 0  # 504 answers likewise
    backed_off: float = 0.0  # seconds spent waiting before sending a throttled request again
    settle: float = 0.0  # the longest a read-back waited for state to show


def failure_record(
    seen: Seen,
    exchange: Exchange | None,
    case: str | None = None,
    seed: int | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One failure as report.json keeps it: what was seen, the exchange and its curl reproducer
    (``extra``: what a sequence adds, its numbered requests and a script that replays them)."""
    failure: dict[str, Any] = {
        "message": seen.saw,
        "reason": reason_of(seen.saw),
        "case": case,
        "seed": seed,
        **(extra or {}),
    }
    if exchange is not None:
        failure["request"] = exchange.request.to_dict()
        failure["curl"] = exchange.request.curl()
        if exchange.reply is not None:
            failure["response"] = exchange.reply.to_dict()
    return failure


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ops: dict[str, _OperationRecord] = defaultdict(_OperationRecord)

    def record(
        self,
        operation_id: str,
        seen: Seen,
        exchange: Exchange | None = None,
        case: str | None = None,
        seed: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            tally = self._ops[operation_id].tallies[seen.check]
            tally.cases += 1
            if seen.ok:
                tally.last_ok = seen.saw
                return
            tally.failed += 1
            reason = reason_of(seen.saw)
            counted = reason if reason in tally.reasons or len(tally.reasons) < MAX_REASONS else OTHER_REASONS
            tally.reasons[counted] += 1
            if keeps(tally.failures, {"reason": reason}):
                tally.failures.append(failure_record(seen, exchange, case, seed, extra))

    def observed(self, operation_id: str, exchange: Exchange) -> None:
        with self._lock:
            record = self._ops[operation_id]
            record.requests += len(exchange.replies) or 1
            record.retries += exchange.retries
            record.backed_off += exchange.backed_off
            if not exchange.injected:
                record.throttled += exchange.throttled
                record.timed_out += sum(reply.status == 504 for reply in exchange.replies)
            for reply in exchange.replies:
                (record.injected if exchange.injected else record.provoked).add(str(reply.status))

    def unjudged(
        self, operation_id: str, check_id: str, what: str, exchange: Exchange, case: str | None = None
    ) -> None:
        """A case the check could not judge: its last answer was still a 429 or 504 after every retry."""
        status = exchange.reply.status if exchange.reply is not None else None
        with self._lock:
            tally = self._ops[operation_id].tallies[check_id]
            tally.unjudged += 1
            if len(tally.unjudged_cases) < MAX_FAILURES_KEPT:
                tally.unjudged_cases.append(
                    {
                        "case": case,
                        "message": f"{what}: not judged, still answered {status} after {exchange.retries} retries",
                    }
                )

    def exercised(self, operation_id: str, *, enum_value: str | None = None, required: str | None = None) -> None:
        with self._lock:
            if enum_value:
                self._ops[operation_id].enum_values.add(enum_value)
            if required:
                self._ops[operation_id].required_members.add(required)

    def settled(self, operation_id: str, seconds: float) -> None:
        with self._lock:
            record = self._ops[operation_id]
            record.settle = max(record.settle, seconds)

    def error(self, operation_id: str, cause: str) -> None:
        with self._lock:
            self._ops[operation_id].errors.append(cause)

    def skip(self, operation_id: str, check_id: str, why: str, *, applicable: bool = True) -> None:
        """A check that will not be judged, and why; ``applicable=False``: nothing of it applies to
        the operation (else it was meant to run, and the reports name it skipped)."""
        with self._lock:
            record = self._ops[operation_id]
            record.skipped.setdefault(check_id, why)
            if not applicable:
                record.not_applicable.add(check_id)

    def asked(self, operation_id: str, check_id: str) -> int:
        """How many cases of the check were judged or named unjudged so far."""
        with self._lock:
            tally = self._ops[operation_id].tallies.get(check_id)
            return tally.cases + tally.unjudged if tally else 0

    def failing(self, operation_id: str) -> set[str]:
        """The checks that failed on the operation so far."""
        with self._lock:
            return {check_id for check_id, tally in self._ops[operation_id].tallies.items() if tally.failed}

    def totals(self) -> tuple[int, int]:
        """Requests sent and retries made, over every operation (setup calls included)."""
        with self._lock:
            return sum(r.requests for r in self._ops.values()), sum(r.retries for r in self._ops.values())

    def throttling(self) -> dict[str, Any]:
        """How the target throttled the run, over every operation: answers, waiting, unjudged cases."""
        with self._lock:
            records = self._ops.items()
            unjudged = [
                {"operation": op, "check": check_id, **case}
                for op, record in records
                for check_id, tally in record.tallies.items()
                for case in tally.unjudged_cases
            ]
            return {
                "throttled": sum(r.throttled for _, r in records),
                "timed_out": sum(r.timed_out for _, r in records),
                "retries": sum(r.retries for _, r in records),
                "backoff_seconds": round(sum(r.backed_off for _, r in records), 3),
                "unjudged": sum(t.unjudged for _, r in records for t in r.tallies.values()),
                "unjudged_cases": unjudged,
            }

    def operation_result(self, op: spec.Operation, levels: tuple[str, ...], documented: dict[str, int]) -> dict:
        with self._lock:
            record = self._ops[op.operation_id]
            checks = []
            for check_id, info in CHECKS.items():
                if info.level not in levels:
                    continue
                tally = record.tallies.get(check_id)
                if tally and tally.failed:
                    verdict, detail = "fail", f"{tally.cases} judged, {tally.failed} failed"
                elif tally and tally.unjudged:  # never a pass: a throttle kept part of it from being judged
                    verdict = "error"
                    detail = (
                        f"{tally.cases} judged, {tally.unjudged} not judged: still throttled (429/504) after retries"
                    )
                elif tally and tally.cases:
                    verdict, detail = "pass", f"{tally.cases} judged; last seen: {tally.last_ok}"
                else:
                    verdict = "skipped"
                    detail = record.skipped.get(check_id) or (
                        f"not judged: {record.errors[0]}" if record.errors else NOT_APPLICABLE
                    )
                checks.append(
                    {
                        "name": check_id,
                        "level": info.level,
                        "verdict": verdict,
                        "detail": detail,
                        "cases": tally.cases if tally else 0,
                        "failed": tally.failed if tally else 0,
                        "failures": list(tally.failures) if tally else [],
                        "unjudged": tally.unjudged if tally else 0,
                        "unjudged_cases": list(tally.unjudged_cases) if tally else [],
                        "reasons": reason_counts(tally.reasons) if tally else [],
                        # planned: the check applies to the operation (a skipped one was meant to run)
                        "planned": not (
                            verdict == "skipped" and (detail == NOT_APPLICABLE or check_id in record.not_applicable)
                        ),
                    }
                )
            observed = record.provoked | record.injected
            documented_codes = list(op.status_codes)
            coverage = {
                "enum_values": {"exercised": len(record.enum_values), "documented": documented["enum_values"]},
                "required_members": {
                    "exercised": len(record.required_members),
                    "documented": documented["required_members"],
                },
                "status_codes": {
                    "documented": documented_codes,
                    "observed": sorted(c for c in observed if c in documented_codes),
                    "provoked": sorted(c for c in record.provoked if c in documented_codes),
                    "injected": sorted(c for c in record.injected - record.provoked if c in documented_codes),
                    "undocumented_seen": sorted(c for c in observed if c not in documented_codes),
                    "exercised": len([c for c in documented_codes if c in observed]),
                },
            }
            verdict, level_verdicts = grade(checks, record.errors, levels)
            return {
                "operationId": op.operation_id,
                "method": op.method,
                "path": op.path,
                "verdict": verdict,
                "levels": level_verdicts,
                "checks": checks,
                "coverage": coverage,
                "requests": record.requests,
                "retries": record.retries,
                "throttled": record.throttled,
                "settle_seconds": round(record.settle, 3),
                "errors": list(record.errors),
            }


def keeps(kept: list[dict[str, Any]], failure: Mapping[str, Any]) -> bool:
    """Whether a failure joins those kept: the first few, and the first of each further reason."""
    if len(kept) < MAX_FAILURES_KEPT:
        return True
    reason = failure.get("reason") or reason_of(failure.get("message", ""))
    return len(kept) < MAX_REASONS_KEPT and all(k.get("reason") != reason for k in kept)


def kept_failures(failures: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The failures a report keeps of these (a merge's, say), by the ledger's rule (``keeps``)."""
    kept: list[dict[str, Any]] = []
    for failure in failures:
        if keeps(kept, failure):
            kept.append(dict(failure))
    return kept


def reason_counts(reasons: Counter[str]) -> list[dict[str, Any]]:
    """report.json's ``reasons`` of a check: each distinct reason with how many failures had it."""
    return [{"reason": reason, "count": count} for reason, count in reasons.most_common()]


def grade(checks: list[dict[str, Any]], errors: list[str], levels) -> tuple[str, dict[str, str]]:
    """An operation's verdict and its verdict per level, from its checks' verdicts and its errors.

    The one place verdicts combine: the ledger grades a fresh result with it, and applying a
    deviations file grades again after some failures became accepted.
    """
    error = ["error"] if errors else []
    per_level = {level: _combine([c["verdict"] for c in checks if c["level"] == level] + error) for level in levels}
    return _combine([c["verdict"] for c in checks] + error), per_level


def verdict_summary(operations: list[dict[str, Any]], levels) -> dict[str, Any]:
    """The summary's counts: operations per verdict, overall and per level."""
    summary: dict[str, Any] = {"operations": len(operations)}
    for verdict in VERDICTS:
        summary[verdict] = sum(1 for o in operations if o["verdict"] == verdict)
    summary["levels"] = {
        level: {v: sum(1 for o in operations if o["levels"].get(level) == v) for v in VERDICTS} for level in levels
    }
    summary["checks"] = check_counts({"operations": operations})
    return summary


def run_summary(operations: list[dict[str, Any]], levels, requests: int, retries: int) -> dict[str, Any]:
    """A result's summary: the verdict counts, requests and retries, coverage summed over operations."""
    summary = verdict_summary(operations, levels)
    summary["requests"], summary["retries"] = requests, retries
    summary["coverage"] = {
        key: {
            "exercised": sum(o["coverage"][key]["exercised"] for o in operations),
            "documented": sum(
                o["coverage"][key]["documented"] if key != "status_codes" else len(o["coverage"][key]["documented"])
                for o in operations
            ),
        }
        for key in ("enum_values", "required_members", "status_codes")
    }
    return summary


def _combine(verdicts) -> str:
    seen = set(verdicts)
    for verdict in ("fail", "error", "accepted", "pass"):
        if verdict in seen:
            return verdict
    return "skipped"


@dataclass(frozen=True)
class RunResult:
    """A finished (or cut short) run: plain data, the one source for every report."""

    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.data

    @property
    def operations(self) -> list[dict[str, Any]]:
        return self.data["operations"]

    def operation(self, operation_id: str) -> dict[str, Any]:
        return next(o for o in self.operations if o["operationId"] == operation_id)

    def check(self, operation_id: str, check_id: str) -> dict[str, Any]:
        return next(c for c in self.operation(operation_id)["checks"] if c["name"] == check_id)

    def failing(self) -> set[tuple[str, str]]:
        """(operationId, check) pairs that failed."""
        return {(o["operationId"], c["name"]) for o in self.operations for c in o["checks"] if c["verdict"] == "fail"}

    @property
    def ok(self) -> bool:
        return self.data["complete"] and all(o["verdict"] in ("pass", "skipped", "accepted") for o in self.operations)

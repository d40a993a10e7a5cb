"""What changed between two runs (``report diff``): only what a reader must act on.

A change is real when a check newly fails (a regression), fails no more and passes (a fix), or
can newly not be judged (a regression too: it errs). A verdict that moves between pass, skipped
and absent is no change: a check that applies only when something happens to exercise it (the
model-based sequences that touched an operation, say) comes and goes between runs, and so do
operations one run selected and the other did not. A failure a deviations file now accepts, or no
longer accepts because it expired, shows as the fix or the new failure it is only in the latter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._templates import render
from ._views import failure_groups

KINDS = ("new failure", "newly unjudged", "fixed")


@dataclass(frozen=True)
class VerdictChange:
    """One check of one operation (``check`` None: the operation's own errors) whose verdict
    changed for real; ``None`` as a verdict means absent from that run."""

    operation_id: str
    check: str | None
    before: str | None
    after: str | None
    reason: str = ""  # why it fails or is not judged now (a new failure), or why it failed (a fix)

    @property
    def kind(self) -> str | None:
        """new failure, newly unjudged, fixed, or None: no real change."""
        if self.after == "fail" and self.before != "fail":
            return "new failure"
        if self.after == "error" and self.before != "error":
            return "newly unjudged"
        if self.before == "fail" and self.after == "pass":
            return "fixed"
        return None

    @property
    def regression(self) -> bool:
        return self.kind in ("new failure", "newly unjudged")

    @property
    def subject(self) -> str:
        return self.operation_id if self.check is None else f"{self.operation_id} {self.check}"


@dataclass(frozen=True)
class Diff:
    """The real changes between two runs, new failures first, then the newly unjudged, then fixes."""

    changes: tuple[VerdictChange, ...]
    notes: tuple[str, ...] = ()

    @property
    def regressions(self) -> tuple[VerdictChange, ...]:
        return tuple(c for c in self.changes if c.regression)

    @property
    def fixes(self) -> tuple[VerdictChange, ...]:
        return tuple(c for c in self.changes if c.kind == "fixed")

    def of_kind(self, kind: str) -> tuple[VerdictChange, ...]:
        return tuple(c for c in self.changes if c.kind == kind)


def _verdicts(report: Mapping[str, Any]) -> dict[tuple[str, str | None], str]:
    """(operationId, check) -> verdict; (operationId, None) -> error for an operation's own errors."""
    verdicts: dict[tuple[str, str | None], str] = {}
    for op in report.get("operations", ()):
        op_id = op.get("operationId", "?")
        if op.get("errors"):
            verdicts[(op_id, None)] = "error"
        for check in op.get("checks", ()):
            verdicts[(op_id, check.get("name", "?"))] = check.get("verdict", "error")
    return verdicts


def _reasons(report: Mapping[str, Any]) -> dict[tuple[str, str | None], str]:
    """(operationId, check) -> the reasons it failed or was not judged for, from the report's failures."""
    reasons: dict[tuple[str, str | None], list[str]] = {}
    for group in failure_groups(report):
        for failure in group["operations"]:
            check = None if failure["check"] == "operation" else failure["check"]
            reasons.setdefault((failure["operation"], check), []).append(failure["reason"])
    return {key: "; ".join(dict.fromkeys(found)) for key, found in reasons.items()}


def diff_reports(a: Mapping[str, Any], b: Mapping[str, Any]) -> Diff:
    """The real changes from run ``a`` to run ``b``."""
    before, after = _verdicts(a), _verdicts(b)
    reasons_before, reasons_after = _reasons(a), _reasons(b)
    changes = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[0], k[1] or "")):
        change = VerdictChange(key[0], key[1], before.get(key), after.get(key))
        if change.kind is None:
            continue
        reason = reasons_before.get(key, "") if change.kind == "fixed" else reasons_after.get(key, "")
        changes.append(VerdictChange(key[0], key[1], change.before, change.after, reason))
    changes.sort(key=lambda c: KINDS.index(c.kind))
    notes = []
    for label, report in (("A", a), ("B", b)):
        if not report.get("complete", True):
            notes.append(f"{label} is incomplete: {report.get('incomplete_reason') or 'run cut short'}")
    if list(a.get("levels") or ()) != list(b.get("levels") or ()):
        notes.append(f"levels differ: A {list(a.get('levels') or ())}, B {list(b.get('levels') or ())}")
    return Diff(tuple(changes), tuple(notes))


_TITLES = {"new failure": "New failures", "newly unjudged": "Newly not judged", "fixed": "Fixed"}


def _groups(diff: Diff) -> list[dict[str, Any]]:
    return [
        {"title": _TITLES[kind], "kind": kind, "changes": diff.of_kind(kind)} for kind in KINDS if diff.of_kind(kind)
    ]


def render_diff(diff: Diff) -> str:
    """Plain text for a terminal or a CI log."""
    lines = [f"note: {note}" for note in diff.notes]
    for group in _groups(diff):
        lines.append(f"{group['title']} ({len(group['changes'])}):")
        for c in group["changes"]:
            reason = f": {c.reason}" if c.reason else ""
            lines.append(f"  {c.subject} ({c.before or 'absent'} -> {c.after or 'absent'}){reason}")
    if not diff.changes:
        lines.append("Nothing newly fails, is newly not judged or was fixed.")
    return "\n".join(lines) + "\n"


def render_diff_markdown(diff: Diff, before: str = "A", after: str = "B") -> str:
    """Markdown for a CI job summary or a pull request comment."""
    return render("diff.md.j2", "markdown", diff=diff, groups=_groups(diff), before=before, after=after)

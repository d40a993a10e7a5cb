"""What changed verdict between two runs (``report diff``), regressions first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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

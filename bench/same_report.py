"""Do two report.json files say the same thing? A guard for changes that must not change behaviour.

    python bench/same_report.py before/report.json after/report.json

Even with the same --seed two runs differ in what threads and the emulator's seeded 429/504
decide: timings, generated app and environment names, request ids, how many cases a check
judged (a retried request is judged again), which status codes were provoked rather than
injected, the stateful phase's chain length and each check's "last seen". This compares the
rest: verdicts per operation, level and check, failure counts, coverage, phases and cleanup.
Prints each difference and exits 1 if there is one, 0 if the reports agree.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

_COUNTED_DETAIL = re.compile(r"^\d+ judged; last seen: ")


def stable(report: dict[str, Any]) -> dict[str, Any]:
    """The part of a report that a seeded run fixes."""
    summary = {k: v for k, v in report["summary"].items() if k not in ("requests", "retries")}
    phases = {
        name: phase if name != "stateful" else {"status": phase.get("status")}
        for name, phase in (report.get("phases") or {}).items()
    }
    return {
        "tool": report.get("tool"),
        "target_kind": (report.get("target") or {}).get("kind"),
        "levels": report.get("levels"),
        "seed": report.get("seed"),
        "settle_bound": report.get("settle_bound"),
        "complete": report.get("complete"),
        "incomplete_reason": report.get("incomplete_reason"),
        "settings_file": report.get("settings_file"),
        "summary": summary,
        "cleanup": report.get("cleanup"),
        "phases": phases,
        "operations": {op["operationId"]: _operation(op) for op in report.get("operations", ())},
        "fuzz": "present" if report.get("fuzz") else None,
        "deviations": report.get("deviations"),
    }


def _operation(op: dict[str, Any]) -> dict[str, Any]:
    status_codes = {
        k: v for k, v in op["coverage"].get("status_codes", {}).items() if k not in ("provoked", "injected")
    }
    return {
        "method": op["method"],
        "path": op["path"],
        "verdict": op["verdict"],
        "levels": op["levels"],
        "errors": op.get("errors"),
        "coverage": {**op["coverage"], "status_codes": status_codes},
        "checks": {
            check["name"]: {
                "level": check["level"],
                "verdict": check["verdict"],
                "failed": check["failed"],
                "failures": len(check.get("failures", ())),
                "detail": None if _COUNTED_DETAIL.match(check.get("detail") or "") else check.get("detail"),
            }
            for check in op["checks"]
        },
    }


def differences(before: Any, after: Any, where: str = "") -> list[str]:
    """Each place where the two differ, as 'path: before != after'."""
    if isinstance(before, dict) and isinstance(after, dict):
        found = []
        for key in sorted(set(before) | set(after), key=str):
            if key not in before or key not in after:
                found.append(f"{where}/{key}: only in {'after' if key not in before else 'before'}")
            else:
                found.extend(differences(before[key], after[key], f"{where}/{key}"))
        return found
    return [] if before == after else [f"{where or '/'}: {before!r} != {after!r}"]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    before, after = (stable(json.loads(Path(p).read_text(encoding="utf-8"))) for p in argv)
    found = differences(before, after)
    for line in found:
        print(line)
    operations = len(before["operations"])
    checks = sum(len(op["checks"]) for op in before["operations"].values())
    print(
        f"{len(found)} differences"
        + ("" if found else f": same verdicts for {operations} operations and {checks} checks, same phases")
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

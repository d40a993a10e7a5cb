"""Whether two revisions run the same: a guard for refactors that must change no request and no verdict.

    python bench/same_report.py OUT_DIR          # writes OUT_DIR/<config>.json for each configuration
    python bench/same_report.py --compare A B    # says which configurations differ, and where

Each configuration is a default run (library API, embedded emulator, seed 7), once clean, once with
the `eventual` quirk, once with the `r8_lost_update` fault. What is written is report.json without
what differs from run to run anyway (timings, timestamps, the target's port, generated names and
identifiers), next to the deterministic plan as each unit sent it: (unit, operation, case, request),
normalised by the recorder parity uses. The emulator's own random 429s and 504s, the fuzzing and the
threads' scheduling still move the report's counts between runs of one revision, and with `eventual`
how often a read polls; so what must be equal is the verdicts (operation, check, verdict), the failure
messages, and the plan's distinct requests in the order first sent. Compare a revision with itself first.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

CONFIGS: dict[str, dict[str, Any]] = {
    "clean": {},
    "eventual": {"emulator_quirks": frozenset({"eventual"})},
    "r8_lost_update": {"emulator_faults": frozenset({"r8_lost_update"})},
}
SEED = 7
#: what must be equal; the exact plan (how often each read polled) and the report's counts are shown, not decisive
DECISIVE = ("verdicts", "failures", "distinct requests")
DROPPED = {"started_at", "finished_at", "settle_seconds", "duration", "elapsed", "base_url", "seconds", "longest_chain"}
NAMES = [
    (re.compile(r"\bac[0-9a-f]{6}\d{3}\b"), "<app>"),  # Run.new_names: ac{run_id}{n:03d}
    # which of the environments created at once a fault loses depends on their order of arrival
    (re.compile(r"(\bdev[0-9a-f]{3}\d{3}|<env>)c\d\b"), "<env>c<n>"),
    (re.compile(r"\bdev[0-9a-f]{3}\d{3}"), "<env>"),  # dev{run_id[:3]}{n:03d}, suffixes kept
    (re.compile(r"\b[0-9a-f]{32}\b"), "<id>"),  # jobIds, sessionIds
    (re.compile(r"onformance-?[0-9a-f]{6}\b"), "onformance-<mark>"),  # list_filters' uuid marks
    (re.compile(r"\d+(\.\d+)? s\b"), "<seconds> s"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
]


def scrub(value: Any) -> Any:
    """The value without what differs between two runs of one revision by construction."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in DROPPED}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        for pattern, replacement in NAMES:
            value = pattern.sub(replacement, value)
    return value


def one_run(overrides: dict[str, Any]) -> dict[str, Any]:
    from amplify_conformance import Recorder, RunOptions, run

    recorder = Recorder()
    report = run(RunOptions(seed=SEED, **overrides), recorder=recorder).to_dict()
    plan = [[e["unit"], e["operationId"], e["case"], e["n"], e["request"]] for e in recorder.entries()]
    checks = [(op["operationId"], check) for op in report["operations"] for check in op["checks"]]
    verdicts = sorted([op, check["name"], check["verdict"]] for op, check in checks)
    failures = sorted([op, check["name"], f["message"]] for op, check in checks for f in check["failures"])
    return scrub({"verdicts": verdicts, "failures": failures, "plan": plan, "report": report})


def distinct_requests(plan: list) -> list[str]:
    """The plan's requests in the order first sent, each once: how often a read polled is timing."""
    seen: dict[str, None] = {}
    for unit, operation, case, _, request in plan:
        seen.setdefault(json.dumps([unit, operation, case, request], sort_keys=True), None)
    return list(seen)


def write(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, overrides in CONFIGS.items():
        data = one_run(overrides)
        (out / f"{name}.json").write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False))
        s = data["report"]["summary"]
        print(f"{name}: {s['pass']}/{s['operations']} pass, {s['requests']} requests, {len(data['plan'])} recorded")


def _first_difference(a: Any, b: Any, where: str = "") -> str | None:
    if type(a) is not type(b):
        return f"{where}: {str(a)[:120]} / {str(b)[:120]}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}.{key}: only on one side"
            if (found := _first_difference(a[key], b[key], f"{where}.{key}")) is not None:
                return found
        return None
    if isinstance(a, list):
        for n, (x, y) in enumerate(zip(a, b, strict=False)):
            if (found := _first_difference(x, y, f"{where}[{n}]")) is not None:
                return found
        return None if len(a) == len(b) else f"{where}: {len(a)} items / {len(b)}"
    return None if a == b else f"{where}: {str(a)[:120]} / {str(b)[:120]}"


def compare(a: Path, b: Path) -> int:
    differ = 0
    for name in CONFIGS:
        # scrubbed again: files written by an older copy of this script may hold what it now hides
        left, right = (scrub(json.loads((side / f"{name}.json").read_text())) for side in (a, b))
        for side in (left, right):
            side["distinct requests"] = distinct_requests(side["plan"])
        for part in ("verdicts", "failures", "distinct requests", "plan", "report"):
            found = _first_difference(left[part], right[part], part)
            print(f"{name} {part}: {'same' if found is None else 'differs at ' + found}")
            differ += found is not None and part in DECISIVE
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    if args.compare:
        return compare(*args.paths)
    write(args.paths[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Default CLI runs against the emulator as a far-away, throttling service: wall time and requests.

    python bench/bench_realistic.py                       # every case
    python bench/bench_realistic.py plain latency         # some of them
    python bench/bench_realistic.py --python OTHER/python # another install's CLI (before/after)

Each case starts `amplify-conformance emulator` as a server with some quirks, runs
`amplify-conformance run --base-url ...` against it as a user would (a subprocess with the CLI's
defaults, reports into a temporary folder) and prints one row: wall time, exit code, requests,
429 answers, the seconds spent backing off, the cases a throttle left unjudged and the verdicts.

- plain: no quirk, the yardstick;
- latency: every answer 100-200 ms late; goal: within 2x of plain;
- rate-limit: a token bucket of 40 refilled at 20 a second; goal: within its floor plus 30 %,
  the floor being the requests the bucket let through at 20 a second;
- both: latency and rate-limit; same goal as rate-limit;
- limited: rate-limit, with the client kept below it (`--rate-limit 19/s`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from _servers import chosen_cases, emulator  # bench/, the script's folder

RATE = 20.0  # the rate-limit quirk's requests a second (amplify_emulator's RATE_LIMIT_PER_SECOND)
CASES: dict[str, tuple[list[str], list[str]]] = {  # name: (emulator quirks, extra run flags)
    "plain": ([], []),
    "latency": (["latency"], []),
    "rate-limit": (["rate-limit"], []),
    "both": (["latency", "rate-limit"], []),
    "limited": (["rate-limit"], ["--rate-limit", "19/s"]),
}


def measure(name: str, python: str) -> tuple[str, float | None]:
    """One case's row, and its wall time (None when the run made no report)."""
    quirks, flags = CASES[name]
    report_dir = Path(tempfile.mkdtemp(prefix=f"bench-realistic-{name}-"))
    try:
        with emulator(python, quirks) as url:
            command = [python, "-m", "amplify_conformance.cli", "run", "--quiet", "--report-dir", str(report_dir)]
            started = time.perf_counter()
            done = subprocess.run(command + ["--base-url", url, *flags], capture_output=True, text=True, timeout=3600)
            wall = time.perf_counter() - started
        row = f"{name:11} {' '.join(flags) or '(defaults)':18} {wall:7.1f} s  exit {done.returncode}"
        report_file = report_dir / "report.json"
        if not report_file.exists():
            last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            return f"{row}  no report.json: {last[0][:160]}", None
        report = json.loads(report_file.read_text())
        summary, throttling = report["summary"], report.get("throttling") or {}
        requests, throttled = summary.get("requests", 0), throttling.get("throttled", 0)
        row += (
            f"  {requests:>6} requests  {throttled:>5} throttled  backoff {throttling.get('backoff_seconds', 0):7.1f} s"
            f"  unjudged {throttling.get('unjudged', '?')}  "
            f"{summary['pass']} pass {summary['fail']} fail {summary['error']} error"
            f"  {'complete' if report.get('complete') else 'INCOMPLETE'}"
        )
        if "rate-limit" in quirks:
            floor = (requests - throttled) / RATE
            row += f"  floor {floor:.1f} s ({wall / floor:.2f}x; goal 1.30x)"
        return row, wall
    finally:
        shutil.rmtree(report_dir, ignore_errors=True)


def main() -> None:
    chosen, python = chosen_cases(__doc__.splitlines()[0], list(CASES))
    walls: dict[str, float | None] = {}
    for name in chosen:
        row, walls[name] = measure(name, python)
        print(row, flush=True)
    if walls.get("plain") and walls.get("latency"):
        print(f"latency / plain: {walls['latency'] / walls['plain']:.2f}x (goal 2x)")


if __name__ == "__main__":
    main()

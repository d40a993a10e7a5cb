"""Full default CLI runs against targets that do not work yet: wall time, requests, completeness.

    python bench/bench_unhealthy.py                       # every case
    python bench/bench_unhealthy.py prism stub hang       # some of them
    python bench/bench_unhealthy.py --python OTHER/python # another install's CLI (before/after)

Each case starts a target, runs `amplify-conformance run` against it as a user would (a
subprocess with the CLI's defaults, reports into a temporary folder) and prints one row: wall
time, exit code, requests, whether the run completed, the stateful phase, how the target showed
its writes (report.json's `settling`) and which setup steps it never showed.

- prism: Prism's stateless mock of the project's spec (`prism mock -d`, from `@stoplight/prism-cli`
  on npm); skipped, saying so, when `prism` is not on PATH;
- stub: `200 {}` to every request;
- error-page, huge-body (50 MB), mid-answer (closes after 10 of 1000 promised bytes),
  mid-status-line, wrong-length (promises 100 bytes, sends 2, keeps the connection), dribble (a
  byte every 0.5 s): `--timeout 5`; hang (never answers): `--max-time 20`, and silent, the same
  with `--timeout 5` (it proves unusable); reset (every connection reset: one line, exit 2);
- eventual-async: `amplify-conformance emulator --quirk eventual --quirk async-jobs` as a server;
- emulator: the embedded emulator (the default run).

The servers come from the clone's tests/hostile.py (the robustness tests use them too): run
from a clone after `pip install .`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from importlib.resources import files
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the clone's root, for tests.hostile
from _servers import chosen_cases, emulator, free_port, server  # noqa: E402  (bench/, the script's folder)

from tests import hostile  # noqa: E402


def prism() -> AbstractContextManager[str]:
    port = free_port()
    spec = str(files("amplify_openapi") / "amplifybackend.yaml")
    return server(["prism", "mock", "-d", "-p", str(port), spec], port)


def eventual_async(python: str) -> AbstractContextManager[str]:
    return emulator(python, ["eventual", "async-jobs"])


TIMEOUT_5 = ["--timeout", "5"]
CASES: dict[str, tuple[Callable[[str], AbstractContextManager[str | None]], list[str]]] = {
    "prism": (lambda python: prism(), []),
    "stub": (lambda python: hostile.ok_stub(), []),
    "error-page": (lambda python: hostile.error_page(), TIMEOUT_5),
    "huge-body": (lambda python: hostile.huge_body(), TIMEOUT_5),
    "mid-answer": (lambda python: hostile.closes_mid_answer(), TIMEOUT_5),
    "mid-status-line": (lambda python: hostile.closes_mid_status_line(), TIMEOUT_5),
    "wrong-length": (lambda python: hostile.wrong_length(), TIMEOUT_5),
    "dribble": (lambda python: hostile.dribbling(0.5), TIMEOUT_5),
    "hang": (lambda python: hostile.hanging(), ["--max-time", "20"]),
    "silent": (lambda python: hostile.hanging(), TIMEOUT_5),
    "reset": (lambda python: hostile.resetting(), []),
    "eventual-async": (eventual_async, []),
    "emulator": (lambda python: nullcontext(None), []),
}


def measure(name: str, python: str) -> str:
    if name == "prism" and shutil.which("prism") is None:
        return f"{name:16} skipped: prism is not on PATH (npm install -g @stoplight/prism-cli)"
    start, args = CASES[name]
    report_dir = Path(tempfile.mkdtemp(prefix=f"bench-unhealthy-{name}-"))
    try:
        with start(python) as url:
            command = [python, "-m", "amplify_conformance.cli", "run", "--quiet", "--report-dir", str(report_dir)]
            command += (["--base-url", url] if url else []) + args
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
            wall = time.perf_counter() - started
        row = f"{name:16} {' '.join(args) or '(defaults)':14} {wall:7.1f} s  exit {done.returncode}"
        report_file = report_dir / "report.json"
        if not report_file.exists():
            last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            return f"{row}  no report.json: {last[0][:160]}"
        report = json.loads(report_file.read_text())
        phases = report.get("phases") or {}
        settling = report.get("settling") or {}
        never = "; ".join(settling.get("never_shown") or ()) or "-"
        return (
            f"{row}  {report['summary'].get('requests', '?'):>6} requests  "
            f"{'complete' if report.get('complete') else 'INCOMPLETE'}  "
            f"stateful {(phases.get('stateful') or {}).get('status', '?')}  "
            f"target {settling.get('target', '?')}  never shown: {never}"
        )
    finally:
        shutil.rmtree(report_dir, ignore_errors=True)


def main() -> None:
    chosen, python = chosen_cases(__doc__.splitlines()[0], list(CASES))
    for name in chosen:
        print(measure(name, python), flush=True)


if __name__ == "__main__":
    main()

"""How fast a default run is, against near, far-away, throttling and random targets: each ratio
the project holds itself to, from runs made one after another in one invocation.

    python bench/bench_speed.py                 # every row
    python bench/bench_speed.py --no-prism      # without Prism's dynamic mock
    python bench/bench_speed.py --tests         # and the README's test command, timed

Rows (goal in brackets):
- embedded: the library's default run against the embedded emulator [at most 12 s];
- st run: schemathesis's CLI with its defaults against the same emulator as a server, and our
  default CLI run against it [ours at most 0.25x of st run's time];
- latency: the CLI against the emulator's `latency` quirk (every answer 100-200 ms late, as a
  far-away region answers), next to a plain run made just before [at most 2x];
- rate-limit: the CLI against the `rate-limit` quirk (a bucket of 40 refilled at 20 a second)
  [within its floor, requests / 20 a second, plus 30 %];
- prism: `prism mock -d` of the spec (stateless, random answers), at the CLI's defaults and with
  `--timeout 5` [each under 120 s]; skipped, saying so, without `prism` on PATH;
- tests (with --tests): `python -m pytest -n auto -q` from this clone [at most 6 minutes].

Each row also names the run's slowest phase and its longest chain of requests (report.json),
which is where to look when a ratio is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

from _servers import emulator, free_port, server  # bench/, the script's folder

RATE = 20.0  # the rate-limit quirk's requests a second
ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def _reports() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="bench-speed-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cli_run(url: str, *flags: str) -> tuple[float, dict | None]:
    """The CLI's default run against ``url``: its wall seconds and report.json (None without one)."""
    with _reports() as folder:
        command = [sys.executable, "-m", "amplify_conformance.cli", "run", "--quiet", "--report-dir", str(folder)]
        started = time.perf_counter()
        subprocess.run([*command, "--base-url", url, *flags], capture_output=True, text=True, timeout=3600)
        wall = time.perf_counter() - started
        report = folder / "report.json"
        return wall, json.loads(report.read_text()) if report.exists() else None


def where(report: dict | None) -> str:
    """What a run's report says of its time: the slowest phase and the longest chain."""
    if report is None:
        return "no report.json"
    phases = {name: p for name, p in (report.get("phases") or {}).items() if "seconds" in p}
    slowest = max(phases, key=lambda name: phases[name]["seconds"]) if phases else "?"
    chain = report.get("longest_chain") or {}
    summary = report["summary"]
    verdicts = f"{summary['pass']} pass {summary['fail']} fail {summary['error']} error"
    return (
        f"{summary.get('requests', '?')} requests, {verdicts}; slowest phase {slowest}"
        f" {phases.get(slowest, {}).get('seconds', '?')} s; longest chain {chain.get('name', '?')}"
        f" {chain.get('seconds', '?')} s"
    )


def row(name: str, seconds: float, ratio: str, report: dict | None = None) -> None:
    print(f"{name:24} {seconds:7.1f} s  {ratio:34}  {where(report) if report is not None else ''}", flush=True)


def embedded() -> None:
    from amplify_conformance import RunOptions, run

    started = time.perf_counter()
    report = run(RunOptions()).to_dict()
    wall = time.perf_counter() - started
    row("embedded (library)", wall, f"goal <= 12 s: {'met' if wall <= 12 else 'MISSED'}", report)


def against_st_run() -> None:
    st = shutil.which("st") or shutil.which("schemathesis")
    if st is None:
        print("st run                   skipped: schemathesis's CLI is not on PATH")
        return
    spec = str(files("amplify_openapi").joinpath("amplifybackend.yaml"))
    with emulator(sys.executable, []) as url:
        started = time.perf_counter()
        subprocess.run([st, "run", spec, "--url", url], capture_output=True, env={**os.environ, "NO_COLOR": "1"})
        theirs = time.perf_counter() - started
        ours, report = cli_run(url)
    row("st run (defaults)", theirs, "")
    row("ours, same server", ours, _ratio(ours / theirs, 0.25), report)


def far_away() -> None:
    with emulator(sys.executable, []) as url:
        plain, plain_report = cli_run(url)
    with emulator(sys.executable, ["latency"]) as url:
        late, late_report = cli_run(url)
    row("plain", plain, "", plain_report)
    row("latency", late, _ratio(late / plain, 2.0), late_report)


def throttling() -> None:
    with emulator(sys.executable, ["rate-limit"]) as url:
        wall, report = cli_run(url)
    if report is None:
        row("rate-limit", wall, "no report.json")
        return
    requests = report["summary"]["requests"] - (report.get("throttling") or {}).get("throttled", 0)
    floor = requests / RATE
    row("rate-limit", wall, f"floor {floor:.1f} s: " + _ratio(wall / floor, 1.30), report)


def prism() -> None:
    if shutil.which("prism") is None:
        print("prism                    skipped: prism is not on PATH (npm install -g @stoplight/prism-cli)")
        return
    spec = str(files("amplify_openapi").joinpath("amplifybackend.yaml"))
    for flags in ([], ["--timeout", "5"]):
        port = free_port()
        with server(["prism", "mock", "-d", "-p", str(port), spec], port) as url:
            wall, report = cli_run(url, *flags)
        name = "prism -d " + (" ".join(flags) or "(defaults)")
        row(name, wall, f"goal < 120 s: {'met' if wall < 120 else 'MISSED'}", report)


def tests() -> None:
    started = time.perf_counter()
    command = [sys.executable, "-m", "pytest", "-n", "auto", "-q"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    last = (done.stdout.strip().splitlines() or ["no output"])[-1]
    row("tests (pytest -n auto)", wall, f"goal <= 360 s: {'met' if wall <= 360 else 'MISSED'}")
    print(f"{'':24} {last}")


def _ratio(value: float, goal: float) -> str:
    return f"{value:.2f}x (goal {goal:g}x): {'met' if value <= goal else 'MISSED'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-prism", action="store_true", help="leave out Prism's dynamic mock")
    parser.add_argument("--tests", action="store_true", help="also time the README's test command")
    options = parser.parse_args()
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}")
    embedded()
    against_st_run()
    far_away()
    throttling()
    if not options.no_prism:
        prism()
    if options.tests:
        tests()


if __name__ == "__main__":
    main()

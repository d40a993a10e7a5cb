"""Fuzzing throughput: a campaign of ours next to `st run` for the same time, with 1, 2 and 4 workers.

    python bench/bench_fuzz.py                 # 20 s each, workers 1 2 4
    python bench/bench_fuzz.py --seconds 60 --workers 1 4

Both run as their own process (so neither shares the GIL with the emulator) against a fresh
emulator served by cheroot in this process, with no throttling and no seeded 504s. The
emulator counts what reaches it: requests, and distinct inputs (method, path and body). Ours
is `amplify-conformance run --fuzz --duration S --workers W` (deterministic matrix, workflows,
schemathesis's generation, hostile identifiers and the stateful phase); schemathesis's is
`st run --max-time S --workers W` (its examples, coverage, fuzzing and stateful phases, which
repeat until the time is spent), both with their default checks.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from importlib.resources import files


class CountingApp:
    """Counts requests and distinct (method, path, body) inputs on their way to the emulator."""

    def __init__(self, app) -> None:
        self.app, self.count, self.inputs, self._lock = app, 0, set(), threading.Lock()

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        key = hashlib.blake2b(
            f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')}?{environ.get('QUERY_STRING')}".encode() + body,
            digest_size=16,
        ).digest()
        with self._lock:
            self.count += 1
            self.inputs.add(key)
        return self.app(environ, start_response)


def measure(name: str, command: list[str]) -> dict:
    from amplify_emulator import Emulator, EmulatorConfig

    emulator = Emulator(EmulatorConfig(stage="/prod"))
    emulator.app = CountingApp(emulator.app)
    with emulator:
        url = emulator.base_url + "/prod"
        started = time.perf_counter()
        done = subprocess.run(
            [part.replace("{url}", url) for part in command],
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        wall = time.perf_counter() - started
        count, inputs = emulator.app.count, len(emulator.app.inputs)
    return {"name": name, "wall": wall, "requests": count, "inputs": inputs, "exit": done.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    spec_path = str(files("amplify_openapi").joinpath("amplifybackend.yaml"))
    ours = shutil.which("amplify-conformance")
    st = shutil.which("st") or shutil.which("schemathesis")
    print(f"cpus: {os.cpu_count()}; {args.seconds:g} s per measurement")
    print("| tool | workers | wall s | requests | requests/s | per worker | distinct inputs | inputs/s | exit |")
    print("|---|---|---|---|---|---|---|---|---|")
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as reports:
            runs = [
                (
                    "amplify-conformance",
                    [ours, "run", "--base-url", "{url}", "--fuzz", "--duration", f"{args.seconds:g}s"]
                    + ["--workers", str(workers), "--quiet", "--report-dir", reports, "--seed", "1"],
                ),
                (
                    "st run",
                    [st, "run", spec_path, "--url", "{url}", "--max-time", f"{args.seconds:g}"]
                    + ["--workers", str(workers), "--report-dir", reports, "--seed", "1"],
                ),
            ]
            for name, command in runs:
                m = measure(name, command)
                rate = m["requests"] / m["wall"]
                print(
                    f"| {name} | {workers} | {m['wall']:.1f} | {m['requests']} | {rate:.0f} | {rate / workers:.0f} "
                    f"| {m['inputs']} | {m['inputs'] / m['wall']:.0f} | {m['exit']} |",
                    flush=True,
                )
            report = os.path.join(reports, "report.json")
            if os.path.exists(report):
                fuzz = json.load(open(report)).get("fuzz") or {}
                print(f"|   (ours, its own count: {fuzz.get('requests')} requests, rounds {fuzz.get('rounds')}) |")


if __name__ == "__main__":
    main()

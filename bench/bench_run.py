"""Wall time and requests of a full conformance run, next to plain `st run` on the same spec.

    python bench/bench_run.py            # both
    python bench/bench_run.py --ours     # only this tool's default run

Our run is the library call behind `amplify-conformance run` with its defaults (embedded
emulator, every level, status-code plan, fuzzing and the stateful phase). `st run` is
schemathesis's CLI with its default settings against the same emulator, whose requests are
counted server-side by a WSGI wrapper.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import threading
import time
from importlib.resources import files


class CountingApp:
    def __init__(self, app) -> None:
        self.app, self.count, self._lock = app, 0, threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            self.count += 1
        return self.app(environ, start_response)


def ours() -> None:
    from amplify_conformance import RunOptions, run

    started = time.perf_counter()
    result = run(RunOptions()).to_dict()
    wall = time.perf_counter() - started
    s = result["summary"]
    print(
        f"amplify-conformance run: {wall:.1f} s wall, {s['requests']} requests, {s['retries']} retries, "
        f"{s['pass']}/{s['operations']} operations pass, status codes {s['coverage']['status_codes']}, "
        f"enum values {s['coverage']['enum_values']}, required members {s['coverage']['required_members']}"
    )


def schemathesis_default() -> None:
    from amplify_emulator import Emulator, EmulatorConfig

    spec_path = str(files("amplify_openapi").joinpath("amplifybackend.yaml"))
    st = shutil.which("st") or shutil.which("schemathesis")
    emulator = Emulator(EmulatorConfig(stage="/prod"))
    emulator.app = CountingApp(emulator.app)
    with emulator:
        started = time.perf_counter()
        done = subprocess.run(
            [st, "run", spec_path, "--url", emulator.base_url + "/prod"],
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        wall = time.perf_counter() - started
    tail = [line for line in done.stdout.splitlines() if line.strip()][-3:]
    print(
        f"st run (defaults): {wall:.1f} s wall, {emulator.app.count} requests, exit {done.returncode}; "
        + " | ".join(tail)
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ours", action="store_true", help="only this tool's run")
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}")
    ours()
    if not args.ours:
        schemathesis_default()

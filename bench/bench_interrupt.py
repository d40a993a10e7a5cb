"""How long an interrupted run takes to clean up and exit, and what it leaves behind.

    python bench/bench_interrupt.py                          # SIGINT 2 s into making apps
    python bench/bench_interrupt.py --signal TERM --after 5 --removal 0.2
    python bench/bench_interrupt.py --twice                  # a second signal once the first is heard

Starts the emulator (stage /prod; each removal taking ``--removal`` seconds, as the real service's
jobs take a while), runs `amplify-conformance run --base-url` against it as a subprocess, signals
it ``--after`` seconds after its ledger of created apps appears, and prints the seconds from the
signal to the exit, the apps the run named (report.json's cleanup), those still on the emulator
and those of them the report did not name (there should be none).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from amplify_emulator import Emulator, EmulatorConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signal", choices=["INT", "TERM"], default="INT")
    parser.add_argument("--after", type=float, default=2.0)
    parser.add_argument("--removal", type=float, default=0.0, help="seconds each removal takes")
    parser.add_argument("--twice", action="store_true")
    args = parser.parse_args()
    emulator = Emulator(EmulatorConfig(stage="/prod"), threads=16)
    store, app = emulator.app.store, emulator.app

    def slow_removals(environ, start_response):
        if environ.get("PATH_INFO", "").endswith("/remove"):
            time.sleep(args.removal)
        return app(environ, start_response)

    emulator.app = slow_removals
    sig = getattr(signal, f"SIG{args.signal}")
    with emulator, tempfile.TemporaryDirectory() as folder:
        reports = Path(folder)
        command = [sys.executable, "-m", "amplify_conformance.cli", "run", "--base-url", emulator.base_url + "/prod"]
        process = subprocess.Popen(
            [*command, "--report-dir", folder, "--quiet"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        while not list(reports.glob("created-*.jsonl")):
            time.sleep(0.05)
        time.sleep(args.after)
        signalled = time.monotonic()
        process.send_signal(sig)
        if args.twice:
            while "stopping" not in process.stderr.readline():
                pass
            time.sleep(0.1)
            process.send_signal(sig)
        process.communicate(timeout=120)
        took = time.monotonic() - signalled
        report = json.loads((reports / "report.json").read_text())
        with store.lock:
            left = set(store.apps)
        named = {entry["app_id"] for entry in report["cleanup"]["left_behind"]}
        print(
            f"SIG{args.signal}{' twice' if args.twice else ''} {args.after:g} s in, removals {args.removal:g} s: "
            f"exit {process.returncode} {took:.2f} s after the signal; cleanup: {report['cleanup']['detail']}; "
            f"{len(left)} apps still on the emulator, {len(left - named)} of them not named; phases stopped: "
            f"{', '.join(name for name, phase in report['phases'].items() if phase['status'] == 'stopped')}"
        )


if __name__ == "__main__":
    main()

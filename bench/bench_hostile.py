"""End time of a full CLI run (all 31 operations, the CLI's defaults) against hostile targets.

    python bench/bench_hostile.py                 # every case
    python bench/bench_hostile.py dribble hang    # some of them

Each case starts a socket server that misbehaves in one way, runs `amplify-conformance run`
against it as a user would (a subprocess, reports into a temporary folder) and prints the
wall time, the exit code, the reports written and the phases:

- dribble: reads the request, then answers `HTTP/1.1 400 Bad Request` with a JSON error body
  and the right Content-Length, one byte every 0.5 s; `--timeout 5` (expected: well under two
  minutes, exit 1, every report, every operation `error` with the cause);
- hang: accepts, reads the request, never answers; `--max-time 20` with the default 10 s
  timeout (expected: about 20 s plus one timeout);
- silent: the same target with `--timeout 5` and no budget (the target proves unusable);
- reset: resets every connection as soon as it is accepted (one line, exit 2).
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BODY = b'{"message": "bad request"}'
ANSWER = b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)


def dribble(connection: socket.socket) -> None:
    with connection:
        try:
            connection.recv(65536)
            for byte in ANSWER:
                connection.sendall(bytes([byte]))
                time.sleep(0.5)
        except OSError:
            pass


def hang(connection: socket.socket) -> None:
    with connection:
        try:
            connection.recv(65536)
            connection.recv(1)
        except OSError:
            pass


def reset(connection: socket.socket) -> None:
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


CASES = {
    "dribble": (dribble, ["--timeout", "5"]),
    "hang": (hang, ["--max-time", "20"]),
    "silent": (hang, ["--timeout", "5"]),
    "reset": (reset, []),
}


def serve(behaviour) -> tuple[socket.socket, str]:
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=behaviour, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}/prod"


def measure(name: str) -> None:
    behaviour, args = CASES[name]
    listener, url = serve(behaviour)
    report_dir = Path(tempfile.mkdtemp(prefix=f"bench-hostile-{name}-"))
    command = [sys.executable, "-m", "amplify_conformance.cli", "run", "--base-url", url, "--quiet"]
    command += ["--report-dir", str(report_dir), *args]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - started
    listener.close()
    written = sorted(p.name for p in report_dir.iterdir() if not p.name.startswith("."))
    print(f"{name:8} {' '.join(args) or '(defaults)':16} {wall:6.1f} s  exit {done.returncode}  reports {written}")
    for line in (done.stdout + done.stderr).strip().splitlines():
        print(f"         | {line}")
    if "report.json" in written:
        report = json.loads((report_dir / "report.json").read_text())
        verdicts = {o["verdict"] for o in report["operations"]}
        causes = {o["errors"][0].split(":")[0] if o["errors"] else "-" for o in report["operations"]}
        count = len(report["operations"])
        print(f"         | {count} operations, verdicts {sorted(verdicts)}, causes {sorted(causes)}")
        for phase, status in (report.get("phases") or {}).items():
            print(f"         | phase {phase}: {status['status']} ({status['detail']})")
    shutil.rmtree(report_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"some of {', '.join(CASES)} (default all)")
    chosen = parser.parse_args().cases or list(CASES)
    unknown = set(chosen) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    for name in chosen:
        measure(name)


if __name__ == "__main__":
    main()

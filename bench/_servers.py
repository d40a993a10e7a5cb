"""What the benchmarks of default CLI runs share: the servers they start as separate processes
(any command that listens on a port, `amplify-conformance emulator` with some quirks) and their
command line (which cases, which interpreter's CLI)."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(command: list[str], port: int, stage: str = "") -> Iterator[str]:
    """A server process, once it accepts connections on ``port``; stopped afterwards."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{command[0]} did not listen on port {port} within 30 s")
        yield f"http://127.0.0.1:{port}{stage}"
    finally:
        process.terminate()
        process.wait(10)


def emulator(python: str, quirks: list[str]) -> AbstractContextManager[str]:
    """`amplify-conformance emulator` of ``python``'s install with the quirks; its base URL with /prod."""
    port = free_port()
    command = [python, "-m", "amplify_conformance.cli", "emulator", "--port", str(port)]
    return server(command + [arg for quirk in quirks for arg in ("--quirk", quirk)], port, "/prod")


def chosen_cases(description: str, cases: list[str]) -> tuple[list[str], str]:
    """The cases named on the command line (default all) and the interpreter whose CLI runs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"some of {', '.join(cases)} (default all)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter whose CLI runs (default this one)")
    options = parser.parse_args()
    unknown = set(options.cases) - set(cases)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    return options.cases or list(cases), options.python

"""Throughput and latency of the emulator under a concurrent loopback client.

Starts the emulator and drives it from separate client processes, each holding keep-alive
connections (http.client) and sending a mix of reads and writes (about 60/40, one answer in
ten a 404). Prints requests/s, p50/p99 latency, and the CPU time each side spent per
request, which does not depend on what else the machine runs. Not a test: no assertion.

    python bench/bench_emulator.py --seconds 10 --clients 1 --connections 4 --threads 2

``--server cheroot`` (the default) is ``Emulator`` itself, what ``serve`` uses too.
``waitress`` (the server before cheroot) and ``granian`` serve the same WSGI app for
comparison when installed (they are not project dependencies): ``pip install waitress granian``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

from amplify_emulator import Emulator, EmulatorApp, EmulatorConfig
from amplify_emulator._server import DEFAULT_THREADS
from amplify_strategies import valid_body

# the spec's own minimal valid bodies (amplify_strategies), not a copy of them
AUTH_CONFIG = valid_body("CreateBackendAuth")["resourceConfig"]
STORAGE_CONFIG = valid_body("CreateBackendStorage")["resourceConfig"]


def _mix(app_id: str, env: str) -> list[tuple[str, str, dict | None]]:
    """One round of requests: six reads, four writes; the last read is a 404."""
    base = f"/prod/backend/{app_id}"
    auth = {"backendEnvironmentName": env, "resourceName": "auth", "resourceConfig": AUTH_CONFIG}
    storage = {"backendEnvironmentName": env, "resourceName": "s3", "resourceConfig": STORAGE_CONFIG}
    return [
        ("POST", f"{base}/details", {}),
        ("POST", f"{base}/auth", auth),
        ("POST", f"{base}/auth/{env}/details", {"resourceName": "auth"}),
        ("POST", f"{base}/storage", storage),
        ("POST", f"{base}/storage/{env}/details", {"resourceName": "s3"}),
        ("POST", f"{base}/challenge", None),
        ("POST", f"{base}/job/{env}", {"maxResults": 5}),
        ("POST", f"{base}/details", {"backendEnvironmentName": env}),
        ("POST", f"{base}/config/update", {"loginAuthConfig": {"aws_cognito_region": "us-east-1"}}),
        ("POST", f"{base}/api/{env}/details", {"resourceName": "missing"}),
    ]


def _client(port: int, worker: int, connections: int, seconds: float, out) -> None:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    cpu_start = time.process_time()

    def run(slot: int) -> None:
        app_id, env = f"bench{worker}x{slot}", "dev"
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Content-Type": "application/json"}
        body = json.dumps({"appId": app_id, "appName": "bench", "backendEnvironmentName": env})
        conn.request("POST", "/prod/backend", body, headers)
        conn.getresponse().read()
        mine = []
        bad = 0
        mix = [(m, p, None if b is None else json.dumps(b).encode()) for m, p, b in _mix(app_id, env)]
        while time.perf_counter() < deadline:
            for method, path, payload in mix:
                start = time.perf_counter()
                conn.request(method, path, payload, headers)
                response = conn.getresponse()
                response.read()
                mine.append(time.perf_counter() - start)
                if response.status >= 500:
                    bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((latencies, errors[0], time.process_time() - cpu_start))


# --- servers: each yields (port, a function giving the server's CPU seconds so far) -----


@contextlib.contextmanager
def _cheroot(threads: int) -> Iterator[tuple[int, Callable[[], float]]]:
    with Emulator(EmulatorConfig(), threads=threads) as emu:
        yield int(emu.base_url.rsplit(":", 1)[1]), time.process_time


@contextlib.contextmanager
def _waitress(threads: int) -> Iterator[tuple[int, Callable[[], float]]]:
    """waitress as the emulator ran it before cheroot (same settings)."""
    from waitress.server import create_server

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" notes under load
    server = create_server(
        EmulatorApp(EmulatorConfig()), host="127.0.0.1", port=0, threads=threads,
        max_request_body_size=64 * 1024 * 1024, connection_limit=1000, channel_timeout=60,
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.effective_port, time.process_time
    finally:
        server.close()
        server.task_dispatcher.shutdown(timeout=5)


def _proc_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


@contextlib.contextmanager
def _granian(threads: int) -> Iterator[tuple[int, Callable[[], float]]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--blocking-threads", str(threads), "--no-ws", "--log-level", "warning",
        "--factory", "amplify_emulator:EmulatorApp",
    ]  # fmt: skip
    proc = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("granian did not start") from None
                time.sleep(0.1)
        yield port, lambda: _proc_cpu(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


SERVERS = {"waitress": _waitress, "cheroot": _cheroot, "granian": _granian}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=sorted(SERVERS), default="cheroot")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=1, help="client processes")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections per process")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="server worker threads (as Emulator)")
    args = parser.parse_args()

    with SERVERS[args.server](args.threads) as (port, server_cpu):
        out: mp.Queue = mp.Queue()
        procs = [
            mp.Process(target=_client, args=(port, w, args.connections, args.seconds, out)) for w in range(args.clients)
        ]
        started, cpu_before = time.perf_counter(), server_cpu()
        for p in procs:
            p.start()
        results = [out.get() for _ in procs]
        elapsed, cpu_used = time.perf_counter() - started, server_cpu() - cpu_before
        for p in procs:
            p.join()
    latencies = sorted(lat for lats, _, _ in results for lat in lats)
    errors = sum(err for _, err, _ in results)
    client_cpu = sum(cpu for _, _, cpu in results)
    count = len(latencies)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(count * 0.99) - 1] * 1000
    print(
        f"server={args.server} threads={args.threads} clients={args.clients}x{args.connections}"
        f" seconds={args.seconds:g} cores={os.cpu_count()} load-average={os.getloadavg()[0]:.2f}"
    )
    print(f"requests={count} 5xx={errors} rate={count / elapsed:,.0f} req/s p50={p50:.2f} ms p99={p99:.2f} ms")
    print(f"cpu per request: server={cpu_used / count * 1e6:.0f} us client={client_cpu / count * 1e6:.0f} us")


if __name__ == "__main__":
    main()

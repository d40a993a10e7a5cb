"""Throughput and latency of the emulator under a concurrent loopback client.

Starts the emulator (waitress, in this process) and drives it from separate client
processes, each holding keep-alive connections (http.client) and sending a mix of reads
and writes. Prints requests/s and p50/p99 latency. Not a test: no assertion on speed.

    python bench/bench_emulator.py --seconds 10 --clients 2 --connections 4 --threads 8
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import multiprocessing as mp
import os
import statistics
import time

from amplify_emulator import Emulator, EmulatorConfig

AUTH_CONFIG = {
    "authResources": "USER_POOL_ONLY",
    "service": "COGNITO",
    "userPoolConfigs": {
        "userPoolName": "pool",
        "requiredSignUpAttributes": ["EMAIL"],
        "signInMethod": "EMAIL",
    },
}
STORAGE_CONFIG = {"serviceName": "S3", "permissions": {"authenticated": ["READ"]}}


def _mix(app_id: str, env: str) -> list[tuple[str, str, dict | None]]:
    """One round of requests: roughly 60% reads, 40% writes."""
    base = f"/prod/backend/{app_id}"
    return [
        ("POST", f"{base}/details", {}),
        (
            "POST",
            f"{base}/auth",
            {"backendEnvironmentName": env, "resourceName": "auth", "resourceConfig": AUTH_CONFIG},
        ),
        ("POST", f"{base}/auth/{env}/details", {"resourceName": "auth"}),
        (
            "POST",
            f"{base}/storage",
            {"backendEnvironmentName": env, "resourceName": "s3", "resourceConfig": STORAGE_CONFIG},
        ),
        ("POST", f"{base}/storage/{env}/details", {"resourceName": "s3"}),
        ("POST", f"{base}/challenge", None),
        ("POST", f"{base}/job/{env}", {"maxResults": 5}),
        ("POST", f"{base}/details", {"backendEnvironmentName": env}),
        ("POST", "/prod/s3Buckets", {}),
        ("POST", f"{base}/api/{env}/details", {"resourceName": "missing"}),  # 404: no API resource
    ]


def _client(port: int, worker: int, connections: int, seconds: float, out) -> None:
    import threading

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

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
    out.put((latencies, errors[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections per process")
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    args = parser.parse_args()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" notes under load

    with Emulator(EmulatorConfig(), threads=args.threads) as emu:
        port = int(emu.base_url.rsplit(":", 1)[1])
        out: mp.Queue = mp.Queue()
        procs = [
            mp.Process(target=_client, args=(port, w, args.connections, args.seconds, out))
            for w in range(args.clients)
        ]
        started = time.perf_counter()
        for p in procs:
            p.start()
        results = [out.get() for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - started
    latencies = sorted(lat for lats, _ in results for lat in lats)
    errors = sum(err for _, err in results)
    count = len(latencies)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(count * 0.99) - 1] * 1000
    print(
        f"cores={os.cpu_count()} server=waitress threads={args.threads}"
        f" clients={args.clients}x{args.connections}"
        f" seconds={args.seconds:g}"
    )
    print(
        f"requests={count} 5xx={errors} rate={count / elapsed:,.0f} req/s p50={p50:.2f} ms p99={p99:.2f} ms"
    )


if __name__ == "__main__":
    main()

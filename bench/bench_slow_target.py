"""A slow, one-request-at-a-time target at default settings: does every operation get a verdict?

    python bench/bench_slow_target.py                 # pause 0.01 s, the test's volume
    python bench/bench_slow_target.py --workers 32    # as runs were before the concurrency adapted
    python bench/bench_slow_target.py --full          # a default run

The target is tests/hostile.py's ``one_at_a_time``: the emulator answering one request at a time,
each taking ``--pause`` seconds for every request waiting, so the more are sent at once, the fewer
answers a second. Prints the wall time, the requests, the verdict counts (an ``error`` is a verdict lost to
the target's slowness) and the concurrency the run settled at (report.json's ``concurrency``).
Without ``--full`` the run is the test's (test_concurrency.py): no fuzzing examples beyond one,
no stateful or model phase; ``--full`` is a default run.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the clone's root, for tests.hostile

from amplify_conformance import RunOptions, run  # noqa: E402

from tests.hostile import one_at_a_time  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pause", type=float, default=0.01)
    parser.add_argument("--full", action="store_true", help="a default run (fuzzing, stateful and model phases)")
    parser.add_argument("--workers", type=int, default=None, help="pin the concurrency (default: adaptive)")
    args = parser.parse_args()
    with one_at_a_time(args.pause) as url:
        light = {} if args.full else {"max_examples": 1, "stateful": False, "model": 0}
        started = time.monotonic()
        result = run(RunOptions(base_url=url, workers=args.workers, **light)).to_dict()
        took = time.monotonic() - started
    verdicts = collections.Counter(op["verdict"] for op in result["operations"])
    print(
        f"pause {args.pause} s, {'full' if args.full else 'light'} run: {took:.1f} s, "
        f"{result['summary'].get('requests')} requests, {dict(verdicts)}"
    )
    print("concurrency:", result.get("concurrency"))
    for op in result["operations"]:
        if op["verdict"] == "error":
            print(f"  {op['operationId']}: {(op.get('errors') or ['?'])[0][:160]}")


if __name__ == "__main__":
    main()

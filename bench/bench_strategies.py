"""How fast the strategies are: the full matrix from a cold process, and examples/s per operation.

    python bench/bench_strategies.py [--examples 300] [--runs 3] [--operation CreateBackendAuth ...]

Targets: the matrix for all 31 operations in under 2 s from a cold process;
at least 200 valid-request examples/s per operation. Examples are counted inside a
@given test function (hypothesis's own loop, generation and shrinking machinery
included), not with ``strategy.example()``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COLD = """
import time
t0 = time.perf_counter()
from amplify_strategies import matrix
t1 = time.perf_counter()
cases = matrix()
t2 = time.perf_counter()
print(len(cases), t1 - t0, t2 - t1)
"""


def cold_matrix(runs: int) -> None:
    totals, imports, builds = [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, check=True).stdout
        totals.append(time.perf_counter() - start)
        size, imported, built = out.split()
        imports.append(float(imported))
        builds.append(float(built))
    print(f"matrix: {size} cases for all operations, cold process (median of {runs} runs)")
    print(f"  whole process (interpreter start, imports, spec load, build): {statistics.median(totals):.3f} s")
    print(f"  import amplify_strategies:                                  {statistics.median(imports):.3f} s")
    print(f"  matrix() incl. spec load and schema walk:                   {statistics.median(builds):.3f} s")
    print("  target: < 2 s")


def rate(strategy, examples: int) -> tuple[int, float, float]:
    """(examples run, wall seconds, CPU seconds) for a @given loop, after a short untimed warm-up.

    CPU time is this process's: on a shared machine it is the steadier figure.
    """
    from hypothesis import HealthCheck, given, settings

    if examples > 10:
        rate(strategy, 10)
    count = 0

    @settings(max_examples=examples, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(_):
        nonlocal count
        count += 1

    start, cpu = time.perf_counter(), time.process_time()
    run()
    return count, time.perf_counter() - start, time.process_time() - cpu


def example_rates(operation_ids: list[str], examples: int) -> None:
    from amplify_openapi import operation
    from amplify_strategies import negative_requests, valid_requests

    print(f"\nexamples/s per operation (@given loop, max_examples={examples}; target >= 200 for valid requests)")
    print("  each cell: examples/s by wall clock / by CPU time (examples run)")
    print(f"  {'operation':26} {'realistic':>20} {'hostile':>20} {'negative':>20}")
    worst_wall = worst_cpu = float("inf")
    for op in operation_ids:
        row = []
        strategies = [valid_requests(op, "realistic"), valid_requests(op, "hostile")]
        if operation(op).request_schema:
            strategies.append(negative_requests(op))
        for index, strategy in enumerate(strategies):
            count, wall, cpu = rate(strategy, examples)
            if index < 2 and count >= examples:  # a rate over a handful of examples says little
                worst_wall, worst_cpu = min(worst_wall, count / wall), min(worst_cpu, count / cpu)
            row.append(f"{count / wall:5.0f} /{count / cpu:5.0f} ({count:4d})")
        row += ["-"] * (3 - len(row))
        print(f"  {op:26} " + " ".join(f"{cell:>20}" for cell in row))
    print(f"  slowest valid-request rate: {worst_wall:.0f}/s wall, {worst_cpu:.0f}/s CPU")
    print("  (over operations that ran all examples; fewer means hypothesis exhausted a small space)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--operation", action="append", help="only these operations (repeatable)")
    args = parser.parse_args()
    cold_matrix(args.runs)
    from amplify_openapi import operations

    example_rates(args.operation or [op.operation_id for op in operations()], args.examples)


if __name__ == "__main__":
    main()

"""What the model-based phase (R8.sequences) costs and finds.

    python bench/bench_model.py cost         # default runs with and without it, alternating
    python bench/bench_model.py campaign     # 60 s campaigns with and without it: requests a second
    python bench/bench_model.py faults       # each sequence fault under each seed: caught at the default dose?
    python bench/bench_model.py pairs        # a --seconds campaign: the operation pairs it exercised

Every figure is a wall time on this machine; run it on an otherwise idle core (taskset -c 1 ...)
to compare like with like.
"""

from __future__ import annotations

import argparse
import statistics
import time

from amplify_conformance import RunOptions, run


def cost(repeats: int) -> None:
    times: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(repeats):
        for label, model in (("without", 0), ("with", RunOptions().model)):
            started = time.perf_counter()
            result = run(RunOptions(model=model, seed=7)).to_dict()
            times[label].append(time.perf_counter() - started)
            print(f"{label:8} {times[label][-1]:.2f} s  model: {result['phases']['model']['detail']}", flush=True)
    base, dose = statistics.median(times["without"]), statistics.median(times["with"])
    print(f"median: without {base:.2f} s, with {dose:.2f} s: {100 * (dose / base - 1):+.1f} %")


def campaign(seconds: float) -> None:
    for label, model in (("without", 0), ("with", 25)):
        started = time.perf_counter()
        result = run(RunOptions(fuzz=True, duration=seconds, model=model, seed=7)).to_dict()
        wall = time.perf_counter() - started
        requests = result["summary"]["requests"]
        print(
            f"{label:8} {wall:.1f} s, {requests} requests, {requests / wall:.0f}/s; "
            f"model: {result['phases']['model']['detail']}",
            flush=True,
        )


def faults(sequences: int, seeds: list[int]) -> None:
    """Each sequence fault under each seed: the model phase alone over every operation, at the
    given dose; whether it was caught and blamed on the fault's own operation."""
    from amplify_emulator import FAULTS

    caught = tried = 0
    for name, fault in sorted(FAULTS.items()):
        if fault.check != "R8.sequences":
            continue
        for seed in seeds:
            started = time.perf_counter()
            options = RunOptions(
                emulator_faults=frozenset({name}),
                max_examples=0,
                stateful=False,
                model=sequences,
                seed=seed,
                emulator_error_rate=0.0,
                emulator_throttle_rps=None,
            )
            result = run(options)
            failing = sorted(result.failing())
            hit = failing == [(fault.operation_id, "R8.sequences")]
            caught, tried = caught + hit, tried + 1
            detail = result.to_dict()["phases"]["model"]["detail"].split(";")[0]
            print(f"{name:26} seed {seed}: {time.perf_counter() - started:5.1f} s, {detail}; caught {hit} {failing}")
    print(f"caught and blamed {caught} of {tried} (fault, seed) pairs at {sequences} sequences")


def pairs(seconds: float) -> None:
    """A --fuzz campaign of the model phase alone: the share of the operation pairs it exercised."""
    options = RunOptions(fuzz=True, duration=seconds, max_examples=0, stateful=False, seed=7)
    started = time.perf_counter()
    model = run(options).to_dict()["phases"]["model"]
    exercised, known = len(model["pairs"]["exercised"]), model["pairs"]["known"]
    print(f"{time.perf_counter() - started:.1f} s: {model['detail'].split(';')[0]}")
    print(f"operation pairs exercised: {exercised} of {known} ({100 * exercised / known:.1f} %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("cost", "campaign", "faults", "pairs"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sequences", type=int, default=RunOptions().model)
    parser.add_argument("--seeds", default="1,2,3")
    args = parser.parse_args()
    if args.what == "cost":
        cost(args.repeats)
    elif args.what == "campaign":
        campaign(args.seconds)
    elif args.what == "pairs":
        pairs(args.seconds)
    else:
        faults(args.sequences, [int(s) for s in args.seeds.split(",")])


if __name__ == "__main__":
    main()

"""What the model-based phase (R8.sequences) costs and finds.

    python bench/bench_model.py cost         # default runs with and without it, alternating
    python bench/bench_model.py campaign     # 60 s campaigns with and without it: requests a second
    python bench/bench_model.py faults       # each sequence fault: found after how many sequences

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
    from amplify_conformance._model._steps import BACKEND, TOPICS
    from amplify_emulator import FAULTS

    topic_of = {op: topic for topic, ops in TOPICS.items() for op in ops}  # the topic whose operations show the fault
    for name, fault in sorted(FAULTS.items()):
        if fault.check != "R8.sequences":
            continue
        topic = _topic(name, topic_of, fault.operation_id)
        for seed in seeds:
            started = time.perf_counter()
            options = RunOptions(
                operations=tuple(TOPICS[topic] + BACKEND),
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
            found = [
                (op["operationId"], len(c["failures"][0]["sequence"]))
                for op in result.operations
                for c in op["checks"]
                if c["name"] == "R8.sequences" and c.get("failures")
            ]
            detail = result.to_dict()["phases"]["model"]["detail"]
            print(f"{name:26} seed {seed}: {time.perf_counter() - started:5.1f} s, {detail}; blamed {found}, {failing}")


def _topic(fault: str, topic_of: dict[str, str], operation_id: str) -> str:
    """The topic a fault shows in (the jobs faults show in any topic's listings)."""
    if fault in ("r8_remove_spills_listing", "r8_updated_job_unlisted"):
        return "jobs"
    return topic_of[operation_id]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("cost", "campaign", "faults"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sequences", type=int, default=200)
    parser.add_argument("--seeds", default="1,2,3")
    args = parser.parse_args()
    if args.what == "cost":
        cost(args.repeats)
    elif args.what == "campaign":
        campaign(args.seconds)
    else:
        faults(args.sequences, [int(s) for s in args.seeds.split(",")])


if __name__ == "__main__":
    main()

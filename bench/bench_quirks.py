"""The false-alarm sweep: against the emulator with each quirk on alone, then with the combinations
named below, a full default run (its fixed default seed), then (``--campaign SECONDS``) a
``--fuzz`` campaign of that length under each of ``--seeds``: fuzzing, negative examples and
model-based sequences exploring. Prints what failed (nothing, when the suite is right) and the
wall time of each run; exits 1 if anything failed or ended in error.

    python bench/bench_quirks.py [--campaign 60] [--seeds 1,2,3] [--jobs 2] [--far] [QUIRK or COMBINATION ...]

``--far`` adds the latency quirk to every run: a unit's families then ask side by side and the
model's sequences go side by side, as against a far-away target.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from amplify_conformance import RunOptions, run
from amplify_emulator import combinations, quirks


def one(label: str, chosen: frozenset[str], seed: int | None, campaign: float) -> str:
    """One run: the default run (seed None) or a campaign under ``seed``; a line saying what failed."""
    started = time.monotonic()
    options = RunOptions(emulator_quirks=chosen)
    if seed is not None:
        options = RunOptions(emulator_quirks=chosen, fuzz=True, duration=campaign, seed=seed)
    result = run(options)
    data = result.to_dict()
    errors = [(o["operationId"], o["errors"][:1]) for o in data["operations"] if o["verdict"] == "error"]
    what = "default run" if seed is None else f"campaign {campaign:g} s, seed {seed}"
    failing = sorted(result.failing())
    verdict = "FAIL" if failing or errors else "ok"
    return (
        f"{verdict:4s} {label:32s} {what:28s} {time.monotonic() - started:6.1f} s  "
        f"failing {failing or '-'}  errors {errors or '-'}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "quirk",
        nargs="*",
        help="quirks to run alone, or combinations by name (default: every quirk, then the combinations)",
    )
    parser.add_argument("--campaign", type=float, default=0.0, metavar="SECONDS", help="a --fuzz campaign per seed")
    parser.add_argument("--seeds", default="1,2,3", help="the campaigns' seeds, comma-separated")
    parser.add_argument("--jobs", type=int, default=1, help="runs side by side, each in a process of its own")
    parser.add_argument("--far", action="store_true", help="each run also with the latency quirk")
    args = parser.parse_args(argv)
    named = combinations()
    unknown = sorted(set(args.quirk) - set(quirks()) - set(named))
    if unknown:
        parser.error(f"unknown quirk(s) or combination(s): {', '.join(unknown)}")
    targets = [(name, named.get(name, frozenset({name}))) for name in args.quirk or sorted(quirks())]
    if not args.quirk:
        targets += list(named.items())
    if args.far:
        targets = [(f"{label}+latency", chosen | {"latency"}) for label, chosen in targets if label != "latency"]
    seeds = [int(s) for s in args.seeds.split(",") if s] if args.campaign > 0 else []
    plan = [(label, chosen, seed, args.campaign) for label, chosen in targets for seed in [None, *seeds]]
    bad = 0
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        for line in pool.map(one, *zip(*plan, strict=True)):
            print(line, flush=True)
            bad += line.startswith("FAIL")
    print(f"{len(plan)} runs, {bad} with a failure or an error")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

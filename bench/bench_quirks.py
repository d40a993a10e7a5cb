"""The false-alarm sweep: a full default run against the emulator with each quirk on, then with
every compatible quirk at once; prints what failed (nothing, when the suite is right) and the
wall time of each run.

    python bench/bench_quirks.py [QUIRK ...]
"""

from __future__ import annotations

import sys
import time

from amplify_conformance import RunOptions, run
from amplify_emulator import compatible_set, quirks


def sweep(names: list[frozenset[str]]) -> int:
    bad = 0
    for chosen in names:
        started = time.monotonic()
        result = run(RunOptions(emulator_quirks=chosen, seed=20261201))
        data = result.to_dict()
        summary = data["summary"]
        errors = [(o["operationId"], o["errors"][:1]) for o in data["operations"] if o["verdict"] == "error"]
        label = "+".join(sorted(chosen)) if len(chosen) < 4 else f"all compatible ({len(chosen)})"
        print(
            f"{label:40s} {time.monotonic() - started:6.1f} s  pass {summary['pass']}/31  "
            f"failing {sorted(result.failing()) or '-'}  errors {errors or '-'}",
            flush=True,
        )
        bad += bool(result.failing() or errors)
    return bad


if __name__ == "__main__":
    picked = sys.argv[1:] or list(quirks())
    sets = [frozenset({name}) for name in picked]
    if not sys.argv[1:]:
        sets.append(compatible_set())
    sys.exit(1 if sweep(sets) else 0)

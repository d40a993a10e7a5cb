"""Wall time of parity, of recording a run and of comparing with a recording; size of a recording.

    python bench/bench_parity.py            # 3 repetitions of each
    python bench/bench_parity.py --runs 1

Every figure is over the whole deterministic plan (31 operations) against emulators on loopback
ports without throttling or seeded 504s, so the answers are deterministic:
- the deterministic run alone (the baseline: what one side of parity costs);
- the same run with a Recorder attached (the cost of normalising every exchange as it is sent);
- parity of two clean instances (both sides run at once, then the comparison);
- parity of a live instance against a recording (one side runs, the other is read from disk);
- the recording's size as JSON and gzipped, and its number of exchanges.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path


def _timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs

    from amplify_conformance import ParityOptions, Recorder, RunOptions, parity, run, write_recording
    from amplify_emulator import Emulator, EmulatorConfig

    quiet = EmulatorConfig(throttle_rps=None, error_rate=0.0)
    figures: dict[str, list[float]] = {}
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        a, b = (stack.enter_context(Emulator(quiet, host="127.0.0.1", port=0)).base_url + "/prod" for _ in range(2))
        plan = RunOptions(base_url=a, max_examples=0, stateful=False, seed=1)
        for _ in range(runs):
            figures.setdefault("deterministic run, no recorder", []).append(_timed(lambda: run(plan))[0])
            recorder = Recorder()
            wall, result = _timed(lambda recorder=recorder: run(plan, recorder=recorder))
            figures.setdefault("deterministic run, recorded", []).append(wall)
            wall, _ = _timed(
                lambda: parity(ParityOptions(a=RunOptions(base_url=a, seed=1), b=RunOptions(base_url=b, seed=1)))
            )
            figures.setdefault("parity, two live targets", []).append(wall)
            plain = write_recording(recorder, plan, result.to_dict(), Path(tmp) / "r.json")
            packed = write_recording(recorder, plan, result.to_dict(), Path(tmp) / "r.json.gz")
            wall, _ = _timed(lambda plain=plain: parity(ParityOptions(a=RunOptions(base_url=b), recording=plain)))
            figures.setdefault("parity, live against a recording", []).append(wall)
        exchanges = len(recorder.entries())
        sizes = (plain.stat().st_size, packed.stat().st_size)
    for name, values in figures.items():
        print(f"{name:<36} median {statistics.median(values):6.2f} s  (min {min(values):.2f}, max {max(values):.2f})")
    print(f"recording: {exchanges} exchanges, {sizes[0] / 1e6:.2f} MB as JSON, {sizes[1] / 1e3:.0f} kB gzipped")


if __name__ == "__main__":
    main()

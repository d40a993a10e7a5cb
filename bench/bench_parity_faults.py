"""Where parity names each deliberate fault: a recording of the clean emulator, compared with an
emulator that commits one fault, should differ in exactly that fault's operation.

    python bench/bench_parity_faults.py                 # every fault
    python bench/bench_parity_faults.py r8_token r8_echo

Prints one line per fault (the operations that differ) and the count named exactly.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    from amplify_conformance import ParityOptions, Recorder, RunOptions, parity, run, write_recording
    from amplify_emulator import FAULTS, Emulator, EmulatorConfig

    parser = argparse.ArgumentParser()
    parser.add_argument("faults", nargs="*", default=sorted(FAULTS))
    faults = parser.parse_args().faults
    quiet = {"throttle_rps": None, "error_rate": 0.0}
    exact = 0
    with tempfile.TemporaryDirectory() as tmp:
        with Emulator(EmulatorConfig(**quiet), host="127.0.0.1", port=0) as clean:
            plan = RunOptions(base_url=clean.base_url + "/prod", max_examples=0, stateful=False, seed=1)
            recorder = Recorder()
            result = run(plan, recorder=recorder)
            recording = write_recording(recorder, plan, result.to_dict(), Path(tmp) / "clean.json.gz")
        for fault in faults:
            started = time.perf_counter()
            config = EmulatorConfig(faults=frozenset({fault}), **quiet)
            with Emulator(config, host="127.0.0.1", port=0) as faulty:
                options = ParityOptions(a=RunOptions(base_url=faulty.base_url + "/prod", seed=1), recording=recording)
                report = parity(options).to_dict()
            differ = sorted(op["operationId"] for op in report["operations"] if op["verdict"] == "differ")
            home = FAULTS[fault].operation_id
            verdict = "exact" if differ == [home] else "none" if not differ else "elsewhere"
            exact += verdict == "exact"
            print(f"{fault:<24} {home:<22} {verdict:<9} {', '.join(differ)}  ({time.perf_counter() - started:.1f} s)")
    print(f"{exact} of {len(faults)} faults named at exactly their operation")


if __name__ == "__main__":
    main()

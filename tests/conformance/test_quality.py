"""The suite against the emulator: every deliberate fault is caught where it lives, and only
there; the clean emulator passes at every level, run after run and in parallel."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from amplify_conformance import CHECKS, RunOptions, run
from amplify_emulator import FAULTS, Emulator, EmulatorConfig

pytestmark = pytest.mark.quality
# the deterministic parts of a run, without the emulator's own 429s and 504s: fast and exact
QUICK = {
    "max_examples": 0,
    "stateful": False,
    "seed": 20261127,
    "emulator_throttle_rps": None,
    "emulator_error_rate": 0.0,
}
# faults only fuzzing can see, with the examples their operation needs (few negative examples
# get past JSON parsing: 25 found one with every seed tried)
FUZZ_ONLY = {"r6_unvalidated": 25}
# checks a fault must also fail, on its operation only, besides the one it is declared for
ALSO = {"r6_malformed": {"R6.no-5xx"}}


def test_every_check_is_proven_by_a_fault():
    proven = {fault.check for fault in FAULTS.values()} | set().union(*ALSO.values())
    assert proven == set(CHECKS)


@pytest.mark.parametrize("fault", sorted(FAULTS), ids=str)
def test_each_fault_fails_its_operation_and_check_and_no_other_operation_on_that_check(fault):
    expected = FAULTS[fault]
    result = run(RunOptions(emulator_faults=frozenset({fault}), **QUICK))
    failing = result.failing()
    assert {op for op, _ in failing} == {expected.operation_id}, f"not caught, or spilled: {failing}"
    if fault in FUZZ_ONLY:
        options = {**QUICK, "max_examples": FUZZ_ONLY[fault]}
        result = run(RunOptions(emulator_faults=frozenset({fault}), operations=(expected.operation_id,), **options))
        failing = result.failing()
    for check_id in {expected.check} | ALSO.get(fault, set()):
        assert (expected.operation_id, check_id) in failing, failing
    check = result.check(expected.operation_id, expected.check)
    assert check["failures"][0]["curl"].startswith("curl ")
    assert result.operation(expected.operation_id)["verdict"] == "fail"


def test_clean_emulator_passes_every_level_with_full_coverage():
    result = run(RunOptions(max_examples=3, stateful=True))
    data = result.to_dict()
    assert result.failing() == set()
    assert data["summary"]["pass"] == 31 and data["complete"]
    coverage = data["summary"]["coverage"]
    assert coverage["status_codes"] == {"exercised": 155, "documented": 155}
    assert coverage["enum_values"]["exercised"] == coverage["enum_values"]["documented"] > 100
    assert coverage["required_members"]["exercised"] == coverage["required_members"]["documented"] > 50
    assert data["cleanup"]["failed"] == 0 and data["cleanup"]["attempted"] > 31


def test_parallel_and_repeated_runs_against_one_target_never_collide():
    with Emulator(EmulatorConfig(stage="/prod")) as emulator:
        options = RunOptions(base_url=emulator.base_url + "/prod", max_examples=0, stateful=False)
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda _: run(options), range(2)))
        results.append(run(options))
    assert all(r.failing() == set() and r.ok for r in results)
    apps = [{o["operationId"] for o in r.operations} for r in results]
    assert all(a == apps[0] for a in apps)

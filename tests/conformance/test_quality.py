"""The suite against the emulator: every deliberate fault is caught where it lives, and only
there; the clean emulator passes at every level, run after run and in parallel."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from amplify_conformance import CHECKS, RunOptions, run
from amplify_emulator import FAULTS, Emulator, EmulatorConfig, compatible_set, quirks

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
FUZZ_ONLY = {"r6_unvalidated": 25, "r6_token_unicode": 25}
# faults whose trigger the deterministic matrix never sends: only generated data finds them
GENERATED_ONLY = {"r6_token_unicode"}
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
    if fault in GENERATED_ONLY:
        assert failing == set(), f"the matrix found what only generated data should: {failing}"
    else:
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


# ---- the false-alarm tier: no check fails an implementation that chose differently ----------

# a quirk that stands in front of a fault: the emulator then no longer commits it
MASKS = {"r7_not_found": {"exists-first"}}
# faults proven again with every compatible quirk on (one of each family of checks)
FAULTS_UNDER_QUIRKS = (
    "r2_body_schema",
    "r3_cors",
    "r5_enum_rejected",
    "r7_not_found",
    "r8_job_list",
    "r8_resource_lifecycle",
    "aws_error_type",
)
STEADY = compatible_set() - {"slow", "flaky"}  # the deterministic ones, for fault runs


def _silent(result) -> None:
    data = result.to_dict()
    errors = {o["operationId"]: o["errors"] for o in data["operations"] if o["verdict"] == "error"}
    assert result.failing() == set() and not errors, (result.failing(), errors)
    assert data["summary"]["pass"] == len(data["operations"])


@pytest.mark.parametrize("quirk", sorted(quirks()), ids=str)
def test_each_quirk_fails_no_operation_at_any_level(quirk):
    _silent(run(RunOptions(emulator_quirks=frozenset({quirk}), **QUICK)))


def test_every_compatible_quirk_at_once_fails_nothing_with_fuzzing_and_the_stateful_phase():
    _silent(run(RunOptions(emulator_quirks=compatible_set(), max_examples=3, stateful=True, seed=20261201)))


@pytest.mark.parametrize("fault", FAULTS_UNDER_QUIRKS, ids=str)
def test_a_fault_under_every_compatible_quirk_is_still_caught_on_its_operation_only(fault):
    expected = FAULTS[fault]
    options = RunOptions(emulator_faults=frozenset({fault}), emulator_quirks=STEADY - MASKS.get(fault, set()), **QUICK)
    failing = run(options).failing()
    assert {op for op, _ in failing} == {expected.operation_id}, failing
    assert (expected.operation_id, expected.check) in failing

"""The suite against the emulator: every deliberate fault is caught where it lives, and only
there; the clean emulator passes at every level, run after run and in parallel."""

from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from amplify_conformance import CHECKS, RunOptions, run
from amplify_emulator import FAULTS, Emulator, EmulatorConfig, combinations, compatible_set, quirks

pytestmark = pytest.mark.quality
# the deterministic parts of a run, without the emulator's own 429s and 504s: fast and exact
QUICK = {
    "max_examples": 0,
    "stateful": False,
    "model": 0,
    "seed": 20261127,
    "emulator_throttle_rps": None,
    "emulator_error_rate": 0.0,
    # the emulator's asynchronous quirks settle within 2 s; a fault's wrong read is judged at 3 s,
    # not at the default 5 s
    "settle": 3.0,
}
# faults only fuzzing can see, with the examples their operation needs (few negative examples
# get past JSON parsing: 25 found one with every seed tried)
FUZZ_ONLY = {"r6_unvalidated": 25, "r6_token_unicode": 25}
# faults whose trigger the deterministic matrix never sends: only generated data finds them
GENERATED_ONLY = {"r6_token_unicode"}
# checks a fault must also fail, on its operation only, besides the one it is declared for
ALSO = {"r6_malformed": {"R6.no-5xx"}}
# faults only a sequence of operations shows: proven by the model-based phase (test_model.py)
SEQUENCE_ONLY = {name for name, fault in FAULTS.items() if fault.check == "R8.sequences"}


def test_every_check_is_proven_by_a_fault():
    proven = {fault.check for fault in FAULTS.values()} | set().union(*ALSO.values())
    assert proven == set(CHECKS)


# Faults on the operations other units lean on to make their worlds run alone, so that none can
# hide another; the rest share runs, one fault per operation (units never share worlds, so a
# fault in one operation cannot reach another's verdict, and each run still proves that).
SETUP_OPERATIONS = {"CreateBackend", "CreateToken", "CreateBackendAPI", "CreateBackendAuth", "CreateBackendStorage"}


def _fault_runs() -> list[tuple[str, ...]]:
    faults = sorted(set(FAULTS) - SEQUENCE_ONLY)
    alone = [f for f in faults if FAULTS[f].operation_id in SETUP_OPERATIONS or f in FUZZ_ONLY]
    shared: list[list[str]] = []
    for fault in sorted(set(faults) - set(alone)):
        home = next((b for b in shared if FAULTS[fault].operation_id not in {FAULTS[f].operation_id for f in b}), None)
        if home is None:
            shared.append(home := [])
        home.append(fault)
    return [(f,) for f in alone] + [tuple(b) for b in shared]


FAULT_RUNS = _fault_runs()


def test_fault_runs_hold_every_fault_once_and_one_fault_per_operation():
    assert sorted(f for faults in FAULT_RUNS for f in faults) == sorted(set(FAULTS) - SEQUENCE_ONLY)
    for faults in FAULT_RUNS:
        assert len({FAULTS[f].operation_id for f in faults}) == len(faults)


@pytest.mark.parametrize("faults", FAULT_RUNS, ids="+".join)
def test_each_fault_fails_its_operation_and_check_and_no_other_operation(faults):
    result = run(RunOptions(emulator_faults=frozenset(faults), **QUICK))
    failing = result.failing()
    homes = {FAULTS[f].operation_id for f in faults if f not in GENERATED_ONLY}
    assert {op for op, _ in failing} == homes, f"not caught, spilled, or found by the matrix: {failing}"
    for fault in faults:
        expected = FAULTS[fault]
        if fault in FUZZ_ONLY:
            options = {**QUICK, "max_examples": FUZZ_ONLY[fault]}
            alone = RunOptions(emulator_faults=frozenset({fault}), operations=(expected.operation_id,), **options)
            result = run(alone)
            failing = result.failing()
        for check_id in {expected.check} | ALSO.get(fault, set()):
            assert (expected.operation_id, check_id) in failing, (fault, failing)
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
        # the operations whose workflows make apps, environments, tokens and jobs, and remove them
        busy = ("CreateBackend", "CloneBackend", "DeleteBackend", "RemoveAllBackends", "CreateToken", "DeleteToken")
        busy += ("ListBackendJobs", "UpdateBackendJob", "CreateBackendAuth", "DeleteBackendStorage")
        options = RunOptions(base_url=emulator.base_url + "/prod", operations=busy, max_examples=0, stateful=False)
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
# the deterministic, synchronous ones, for fault runs (asynchrony has fault runs of its own below)
STEADY = compatible_set() - {"slow", "flaky", "async-jobs", "eventual", "late-deletes"} - {"rate-limit", "latency"}
# quirks that only slow a run down (a far-away, throttling service): proven on a few operations,
# a plain one, a token's lifecycle and a resource's, so the tier stays quick
REALISTIC = {"rate-limit", "latency"}
FEW = ("GetBackend", "GetToken", "DeleteToken", "GetBackendStorage")


def _silent(result) -> None:
    data = result.to_dict()
    errors = {o["operationId"]: o["errors"] for o in data["operations"] if o["verdict"] == "error"}
    # what each failing check saw, so a false alarm seen once (on a busy CI runner) says why
    saw = {failing: [f["message"] for f in result.check(*failing)["failures"][:3]] for failing in result.failing()}
    assert result.failing() == set() and not errors, (saw, errors, data["settling"]["summary"])
    assert data["summary"]["pass"] == len(data["operations"])


def seed_of(name: str) -> int:
    """A seed of a quirk's (or combination's) own: across the tier, fuzzing and sequences draw under
    many seeds, and each test still draws the same examples every time."""
    return zlib.crc32(name.encode())


@pytest.mark.parametrize("quirk", sorted(quirks()), ids=str)
def test_each_quirk_fails_no_operation_at_any_level(quirk):
    operations = FEW if quirk in REALISTIC else None
    _silent(run(RunOptions(emulator_quirks=frozenset({quirk}), operations=operations, **QUICK)))


# the quirks a negative example could be mistaken under (its only wrong value under a spelling the
# target ignores, or an unusual value it refuses), with the operations whose bodies they bear on
NEGATIVE = {q: ("CreateBackendAPI", "UpdateBackendAPI") for q in quirks() if q.startswith("spelling-")}
NEGATIVE |= {
    "picky": ("CreateBackendAuth", "UpdateBackendStorage", "CreateBackend", "ListBackendJobs"),
    "exists-first": ("UpdateBackendAuth", "GetBackendJob", "CreateToken"),
    "resources-by-name": ("UpdateBackendAPI", "GetBackendAuth", "DeleteBackendStorage"),
}


@pytest.mark.parametrize("quirk", sorted(NEGATIVE), ids=str)
def test_fuzzing_fails_no_quirk_under_seeds_of_its_own(quirk):
    # positive and negative examples, three seeds a quirk
    for n in range(3):
        options = {**QUICK, "max_examples": 5, "seed": seed_of(f"{quirk}:{n}")}
        _silent(run(RunOptions(emulator_quirks=frozenset({quirk}), operations=NEGATIVE[quirk], **options)))


@pytest.mark.parametrize("name", ["all compatible"], ids=str)  # bench_quirks.py runs every combination
def test_each_combination_of_quirks_fails_nothing_in_any_phase(name):
    # every phase of a default run (fuzzing, the stateful phase, model-based sequences: a short
    # dose, the lagging quirks make each read wait), each combination under a seed of its own
    options = {"max_examples": 3, "stateful": True, "model": 4, "seed": seed_of(name)}
    _silent(run(RunOptions(emulator_quirks=combinations()[name], **options)))


@pytest.mark.parametrize("fault", FAULTS_UNDER_QUIRKS, ids=str)
def test_a_fault_under_every_compatible_quirk_is_still_caught_on_its_operation_only(fault):
    expected = FAULTS[fault]
    options = RunOptions(emulator_faults=frozenset({fault}), emulator_quirks=STEADY - MASKS.get(fault, set()), **QUICK)
    failing = run(options).failing()
    assert {op for op, _ in failing} == {expected.operation_id}, failing
    assert (expected.operation_id, expected.check) in failing


def test_a_throttling_target_is_waited_out_and_its_faults_are_still_caught_on_their_own_operations():
    faults = frozenset({"r2_content_type", "r8_token"})
    result = run(RunOptions(emulator_faults=faults, emulator_quirks=frozenset({"rate-limit"}), operations=FEW, **QUICK))
    failing = result.failing()
    assert {op for op, _ in failing} == {"GetBackend", "GetToken"}, failing
    assert ("GetBackend", "R2.content-type") in failing and ("GetToken", "R8.token-lifecycle") in failing
    throttling = result.to_dict()["throttling"]
    assert throttling["throttled"] > 0 and throttling["backoff_seconds"] > 0 and throttling["unjudged"] == 0
    assert {result.operation(op)["verdict"] for op in ("DeleteToken", "GetBackendStorage")} == {"pass"}


# ---- asynchrony: jobs that finish later, reads that lag ------------------------------------

ASYNC = frozenset({"async-jobs", "eventual"})
STATE_FAULTS = sorted(
    name for name, fault in FAULTS.items() if fault.rule in ("R7", "R8") and name not in SEQUENCE_ONLY
)


def _one_per_operation(faults: list[str]) -> list[tuple[str, ...]]:
    runs: list[list[str]] = []
    for fault in faults:
        home = next((r for r in runs if FAULTS[fault].operation_id not in {FAULTS[f].operation_id for f in r}), None)
        if home is None:
            runs.append(home := [])
        home.append(fault)
    return [tuple(r) for r in runs]


# faults on the operations that make worlds apart from the rest, as in FAULT_RUNS: r7_recreate, say,
# needs DeleteBackendAPI to work, which r8_resource_lifecycle breaks
STATE_RUNS = _one_per_operation([f for f in STATE_FAULTS if FAULTS[f].operation_id in SETUP_OPERATIONS]) + (
    _one_per_operation([f for f in STATE_FAULTS if FAULTS[f].operation_id not in SETUP_OPERATIONS])
)


@pytest.mark.parametrize("faults", STATE_RUNS, ids="+".join)
def test_r7_and_r8_faults_are_caught_on_their_own_operations_when_the_target_is_asynchronous(faults):
    result = run(RunOptions(emulator_faults=frozenset(faults), emulator_quirks=ASYNC, **QUICK))
    failing = result.failing()
    assert {op for op, _ in failing} == {FAULTS[f].operation_id for f in faults}, failing
    for name in faults:
        assert (FAULTS[name].operation_id, FAULTS[name].check) in failing, name
    settled = [o["settle_seconds"] for o in result.operations]
    assert max(settled) >= 0.25  # the suite waited for lagging reads, and the report says how long


FAR_RUN = max(FAULT_RUNS, key=len)  # the most faults in one run: one per operation


def test_faults_are_caught_on_their_own_operations_when_the_target_is_far_away():
    """Answers 100-200 ms late: a unit's families ask side by side, each in a world of its own."""
    result = run(RunOptions(emulator_faults=frozenset(FAR_RUN), emulator_quirks=frozenset({"latency"}), **QUICK))
    failing = result.failing()
    assert {op for op, _ in failing} == {FAULTS[f].operation_id for f in FAR_RUN}, failing
    for name in FAR_RUN:
        for check_id in {FAULTS[name].check} | ALSO.get(name, set()):
            assert (FAULTS[name].operation_id, check_id) in failing, name


def test_a_change_visible_only_after_the_bound_is_a_violation_that_says_how_long_it_waited():
    options = RunOptions(
        emulator_faults=frozenset({"r8_late_delete"}), operations=("DeleteBackendStorage",), **{**QUICK, "settle": 1.0}
    )
    result = run(options)
    assert result.to_dict()["settle_bound"] == 1.0
    failure = result.check("DeleteBackendStorage", "R8.resource-lifecycle")["failures"][0]
    assert "expected 404, got 200" in failure["message"] and "judged after waiting 1." in failure["message"]


def test_a_target_that_applies_everything_at_once_costs_no_extra_read():
    # counted, not timed: a re-read is the same request sent again in a row by one unit (how long
    # one read takes depends on how busy the machine is)
    sent = []
    run(RunOptions(operations=("DeleteBackendAuth", "GetToken", "UpdateBackendJob"), **QUICK), recorder=sent.append)
    last: dict[str, tuple] = {}
    again = []
    for exchange in sent:
        request = (exchange.method, exchange.path, sorted(exchange.params.items()), exchange.exchange.request.body)
        if last.get(exchange.unit) == request:
            again.append((exchange.unit, exchange.case))
        last[exchange.unit] = request
    assert len(sent) > 50 and again == [], again

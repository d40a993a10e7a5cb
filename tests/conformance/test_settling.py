"""Waiting overlaps: a target that shows nothing costs the settle bound once, not once per world;
one that shows writes late keeps the whole bound; the report names what never showed."""

from __future__ import annotations

import pytest
from amplify_conformance import RunOptions, run
from amplify_conformance._runner import MAX_TRANSPORT_ERRORS
from amplify_conformance._settling import IN_VAIN_PER_LATE, PATIENCE, QUICK, Settling

from ..hostile import closes_mid_answer, ok_stub

STEP = "GetBackend listing an environment that CreateBackend made"


# --- what the run learns --------------------------------------------------------------------


def test_a_new_run_waits_the_whole_bound():
    settling = Settling(10.0)
    assert settling.bound_now() == 10.0
    settling.read_back(1, True, 0.0)  # shown at once: tells nothing about late writes
    assert settling.bound_now() == 10.0


def test_waiting_in_vain_again_and_again_with_nothing_ever_late_cuts_the_wait_short():
    settling = Settling(10.0)
    for _ in range(PATIENCE - 1):
        settling.read_back(8, False, 10.02)
    assert settling.bound_now() == 10.0
    settling.read_back(8, False, 10.02)
    assert settling.immediate and settling.bound_now() == QUICK
    assert settling.section()["target"] == "immediate"


def test_a_short_wait_in_vain_is_not_a_whole_bound_waited():
    settling = Settling(10.0)
    for _ in range(PATIENCE * 3):
        settling.read_back(3, False, 0.3)  # a wait cut short (by the run's end, say)
    assert settling.bound_now() == 10.0


def test_one_late_read_makes_the_run_patient_until_waiting_was_in_vain_many_times_as_often():
    settling = Settling(10.0)
    for _ in range(PATIENCE):
        settling.read_back(8, False, 10.0)
    settling.read_back(3, True, 0.4)
    assert not settling.immediate and settling.bound_now() == 10.0
    for _ in range(PATIENCE * IN_VAIN_PER_LATE - PATIENCE - 1):
        settling.read_back(8, False, 10.0)  # a fault's state that never shows: still the whole bound
    assert settling.bound_now() == 10.0
    section = settling.section()
    assert (section["target"], section["late_reads"], section["longest_late_seconds"]) == ("asynchronous", 1, 0.4)
    settling.read_back(8, False, 10.0)  # a late read by chance (random answers), and waiting in vain since
    assert settling.immediate and settling.bound_now() == QUICK and settling.section()["target"] == "immediate"
    assert settling.section()["summary"].startswith("waiting cut short: 20 read-backs waited the whole bound in vain")
    settling.read_back(2, True, 0.1)  # late again: patient again
    assert settling.bound_now() == 10.0


def test_an_asynchronous_conformant_target_keeps_the_whole_bound_through_a_fault_s_waits():
    settling = Settling(10.0)
    for _ in range(300):  # what the emulator's eventual quirk shows in a default run (about 320)
        settling.read_back(2, True, 0.3)
    for _ in range(100):
        settling.read_back(8, False, 10.0)
    assert settling.bound_now() == 10.0


def test_a_setup_step_never_shown_is_named_and_no_longer_read_back_once_waiting_never_helps():
    settling = Settling(10.0)
    settling.step(STEP, False)
    settling.step(STEP, False)
    settling.step("GetToken answering 200 for a session that CreateToken made", True)
    assert settling.worth_reading(STEP)  # the target may still be slow: keep asking
    for _ in range(PATIENCE):
        settling.read_back(8, False, 10.0)
    assert not settling.worth_reading(STEP)
    assert settling.worth_reading("GetToken answering 200 for a session that CreateToken made")
    assert settling.never_shown() == [f"{STEP} (0 of 2)"]
    assert settling.section()["summary"] == f"the target never showed what setup made: {STEP} (0 of 2)"


# --- whole runs -----------------------------------------------------------------------------

STATE_OPERATIONS = ("CreateBackend", "GetBackendAuth", "DeleteBackendStorage", "UpdateBackendJob")


def test_a_stateless_target_pays_the_bound_once_per_worker_not_once_per_world_and_is_named():
    with ok_stub() as url:
        result = run(RunOptions(base_url=url, operations=STATE_OPERATIONS, workers=2, settle=2.0, max_examples=0))
    settling = result.to_dict()["settling"]
    assert result.to_dict()["complete"]
    assert settling["target"] == "immediate"
    assert settling["never_shown"] == [f"{STEP} (0 of {settling['steps'][0]['tried']})"]
    # each worker may be waiting out its first bound when waiting proves useless; no more than that
    assert settling["waited_in_vain"] <= 2 + PATIENCE
    backend_env = result.check("CreateBackend", "R8.backend-env")
    assert backend_env["verdict"] == "fail" and "lists []" in backend_env["failures"][0]["message"]


@pytest.mark.quality
def test_an_eventually_consistent_target_keeps_the_whole_bound_and_passes():
    result = run(RunOptions(emulator_quirks=frozenset({"eventual"}), operations=STATE_OPERATIONS, max_examples=0))
    settling = result.to_dict()["settling"]
    assert settling["target"] == "asynchronous" and settling["late_reads"] > 0
    assert settling["never_shown"] == []
    assert {op["operationId"]: op["verdict"] for op in result.operations} == dict.fromkeys(STATE_OPERATIONS, "pass")


def test_operations_not_begun_on_a_target_that_fails_every_exchange_are_not_sent_and_say_why():
    operations = ("GetBackend", "CreateToken", "ListS3Buckets", "GetBackendAuth", "DeleteBackendAPI", "CloneBackend")
    with closes_mid_answer() as url:
        result = run(RunOptions(base_url=url, operations=operations, workers=1, max_examples=0))
    errors = {op["operationId"]: " ".join(op["errors"]) for op in result.operations}
    not_sent = [op for op, text in errors.items() if "not sent" in text]
    assert not_sent and set(not_sent) < set(operations)  # the first operations were tried for real
    assert all("exchanges of the run failed on the transport" in errors[op] for op in not_sent)
    assert result.to_dict()["summary"]["requests"] <= 2 * MAX_TRANSPORT_ERRORS + len(operations)

"""The model-based phase (R8.sequences): the model's predictions, each sequence fault found,
shrunk and blamed where it shows, and no false alarm on the clean emulator or any quirk."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from datetime import UTC, datetime

import amplify_openapi as spec
import pytest
from amplify_conformance import RunOptions, run
from amplify_conformance._model import Model, Step
from amplify_conformance._model._state import READS
from amplify_conformance._options import validate
from amplify_conformance._runner import Run
from amplify_conformance._target_for import target_for
from amplify_emulator import FAULTS, Emulator, EmulatorConfig, combinations, quirks

from ..hostile import answer, http_target

SEQUENCE_FAULTS = sorted(name for name, fault in FAULTS.items() if fault.check == "R8.sequences")
QUIET = {"max_examples": 0, "stateful": False, "emulator_error_rate": 0.0, "emulator_throttle_rps": None}


# ---- the model alone --------------------------------------------------------------------------


def _made(model: Model, step: Step, answer: dict | None = None, sent: dict | None = None, status: int = 200) -> None:
    assert status in model.expect(step, sent).statuses, (step, model.expect(step, sent))
    model.apply(step, f"request ({step.op})", status, answer or {"jobId": f"job{len(model.jobs)}"}, sent)


def test_a_resource_is_shown_after_its_create_and_gone_after_its_delete():
    model = Model()
    _made(model, Step("CreateBackend"))
    config = {"apiName": "one"}
    _made(model, Step("CreateBackendAPI"), sent={"resourceConfig": config})
    get = model.expect(Step("GetBackendAPI"))
    assert get.statuses == {200}
    assert get.judge(200, {"resourceConfig": {"apiName": "one", "extra": 1}}) is None
    assert "apiName" in get.judge(200, {"resourceConfig": {"apiName": "two"}})
    _made(model, Step("DeleteBackendAPI"))
    assert model.expect(Step("GetBackendAPI")).statuses == {404}
    assert model.expect(Step("GetBackendAPI", env="e1")).statuses == {404}


def test_every_open_choice_is_allowed_and_carried_forward():
    model = Model()
    _made(model, Step("CreateBackend"))
    _made(model, Step("CreateBackendAuth"), sent={"resourceConfig": {"a": "old"}})
    again = model.expect(Step("CreateBackendAuth"))
    assert again.statuses == {200, 400}  # what exists: 200, replacing or keeping it, or 400
    _made(model, Step("CreateBackendAuth"), sent={"resourceConfig": {"a": "new"}})
    shown = model.expect(Step("GetBackendAuth"))
    assert shown.judge(200, {"resourceConfig": {"a": "old"}}) is None
    assert shown.judge(200, {"resourceConfig": {"a": "new"}}) is None
    assert shown.judge(200, {"resourceConfig": {"a": "other"}}) is not None
    # an update shows what it submitted; what it did not submit is open
    _made(model, Step("UpdateBackendAuth"), sent={"resourceConfig": {"b": 1}})
    assert model.expect(Step("GetBackendAuth")).judge(200, {"resourceConfig": {"b": 1}}) is None


def test_state_belongs_to_its_app_and_ends_with_it():
    model = Model()
    _made(model, Step("CreateBackend"))
    _made(model, Step("CreateBackend", app=1))
    _made(model, Step("CreateToken"), answer={"sessionId": "s0", "challengeCode": "c0"})
    assert model.expect(Step("GetToken", ref=0)).statuses == {200}
    assert model.expect(Step("GetToken", app=1, ref=0)).statuses == {404}  # another app's session
    job = next(i for i, j in enumerate(model.jobs) if j.app == 1)
    assert model.expect(Step("GetBackendJob", ref=job)).statuses == {404}  # another app's job
    assert model.expect(Step("GetBackendJob", app=1, env="e1", ref=job)).statuses == {200, 404}  # jobs-by-app
    _made(model, Step("RemoveAllBackends"))
    _made(model, Step("CreateBackend"))
    assert model.expect(Step("GetToken", ref=0)).statuses == {404}  # the old app's session is gone


def test_deleting_the_last_environment_leaves_the_apps_life_open():
    model = Model()
    _made(model, Step("CreateBackend"))
    _made(model, Step("DeleteBackend"))
    assert model.expect(Step("GetBackend")).statuses == {200, 404}
    assert model.expect(Step("CreateBackend")).statuses == {200}


def test_a_listing_must_hold_the_environments_jobs_and_no_other():
    model = Model()
    _made(model, Step("CreateBackend"), answer={"jobId": "mine"})
    _made(model, Step("CreateBackend", env="e1"), answer={"jobId": "sibling"})
    listing = model.expect(Step("ListBackendJobs"))
    assert listing.statuses == {200}
    assert listing.judge(200, {"jobs": [{"jobId": "mine"}]}) is None
    assert "lacks" in listing.judge(200, {"jobs": []})
    assert "another environment" in listing.judge(200, {"jobs": [{"jobId": "mine"}, {"jobId": "sibling"}]})
    assert "more than once" in listing.judge(200, {"jobs": [{"jobId": "mine"}, {"jobId": "mine"}]})


def test_job_ids_may_be_unique_per_app_only():
    model = Model(("appa", "appb"))
    _made(model, Step("CreateBackend"), answer={"jobId": "job-00001"})
    _made(model, Step("CreateBackend", app=1), answer={"jobId": "job-00001"})
    _made(model, Step("RemoveAllBackends"))
    _made(model, Step("CreateBackend"), answer={"jobId": "job-00001"})  # a new life starts again
    listing = model.expect(Step("ListBackendJobs"))
    assert listing.judge(200, {"jobs": [{"jobId": "job-00001", "appId": "appa"}]}) is None
    assert "another environment or app" in listing.judge(200, {"jobs": [{"jobId": "job-00001", "appId": "appb"}]})
    # the first life's job #0 has the id of this life's job #2: the id names this life's own job
    assert model.expect(Step("GetBackendJob", ref=0)).statuses == {200}
    _made(model, Step("CreateBackend", app=1, env="e1"), answer={"jobId": "job-00002"})
    listing = model.expect(Step("ListBackendJobs"))  # app b's job-00002 was never handed out by app a
    assert "another environment or app" in listing.judge(
        200, {"jobs": [{"jobId": "job-00001"}, {"jobId": "job-00002"}]}
    )


def test_an_empty_optional_array_may_be_left_out():
    model = Model()
    _made(model, Step("CreateBackend"))
    _made(model, Step("CreateBackend", env="e1"))
    _made(model, Step("DeleteBackend"))
    _made(model, Step("DeleteBackend", env="e1"))
    assert model.expect(Step("GetBackend")).judge(200, {}) is None
    assert model.expect(Step("ListBackendJobs")).judge(200, {}) is None
    assert "backendEnvironmentList is" in model.expect(Step("GetBackend")).judge(200, {"backendEnvironmentList": 1})


def test_a_write_right_after_a_delete_may_act_on_what_was_deleted():
    model = Model()
    _made(model, Step("CreateBackend"))
    _made(model, Step("CreateBackendAPI"), sent={"resourceConfig": {"apiName": "one"}})
    _made(model, Step("DeleteBackendAPI"))
    update = model.expect(Step("UpdateBackendAPI"))
    assert update.statuses == {404} and update.gone_at is not None  # a delete, answered just now
    model.lagged(
        Step("UpdateBackendAPI"),
        "request (UpdateBackendAPI)",
        {"jobId": "late"},
        {"resourceConfig": {"apiName": "two"}},
    )
    get = model.expect(Step("GetBackendAPI"))
    assert get.statuses == {200, 404}  # whether the update outlived the delete is the target's choice
    assert get.judge(200, {"resourceConfig": {"apiName": "two"}}) is None
    assert model.expect(Step("GetBackendJob", ref=len(model.jobs) - 1)).statuses == {200, 404}
    _made(model, Step("RemoveAllBackends"))
    assert model.expect(Step("CreateBackendAPI")).gone_at is not None
    model.lagged(Step("CreateBackendAPI"), "request (CreateBackendAPI)", {}, {"resourceConfig": {}})
    assert model.expect(Step("GetBackend")).statuses == {404}  # the removal stands
    assert Model().expect(Step("GetBackend")).gone_at is None  # never made: no lag to allow


# ---- against the emulator ---------------------------------------------------------------------


def test_every_sequence_fault_is_declared_on_a_write():
    # the phase blames the write whose effect the contradicted answer shows
    assert len(SEQUENCE_FAULTS) >= 6
    assert all(FAULTS[f].operation_id not in READS for f in SEQUENCE_FAULTS)


@pytest.mark.quality
def test_the_fixed_workflows_miss_every_sequence_fault():
    result = run(RunOptions(emulator_faults=frozenset(SEQUENCE_FAULTS), model=0, seed=7, **QUIET))
    assert result.failing() == set()


@pytest.mark.quality
@pytest.mark.parametrize("fault", SEQUENCE_FAULTS)
def test_a_sequence_fault_is_found_by_the_default_dose_shrunk_blamed_and_replayable(fault):
    # the model phase alone, at its default dose and seed, over every operation (the fixed
    # workflows miss each of these faults: test_the_fixed_workflows_miss_every_sequence_fault)
    with Emulator(EmulatorConfig(faults=frozenset({fault}), stage="/prod")) as emulator:
        options = RunOptions(
            base_url=emulator.base_url + "/prod",
            settle=1.0,  # a contradicted read is judged after 1 s, not the 10 s a URL gets
            **QUIET,
        )
        phase, result = _model_phase(options)
        assert phase["status"] == "ran", phase
        home = FAULTS[fault].operation_id
        assert result.failing() == {(home, "R8.sequences")}
        failure = result.check(home, "R8.sequences")["failures"][0]
        assert 3 <= len(failure["sequence"]) <= 9, failure["listing"]
        assert failure["listing"].count("\n") == len(failure["sequence"]) - 1
        assert failure["message"].startswith(f"request {len(failure['sequence'])}, ")
        assert home in failure["listing"]
        if shutil.which("curl") and shutil.which("bash"):  # the script shows the same answer again
            replayed = subprocess.run(["bash", "-c", failure["script"]], capture_output=True, text=True, timeout=60)
            last = replayed.stdout.strip().splitlines()[-2]
            assert last.endswith(f"-> {failure['sequence'][-1]['answered']}"), replayed.stdout


def test_a_target_that_keeps_throttling_ends_the_phase_not_the_run():
    def throttle(h):
        answer(h, 429, b'{"message": "slow down", "limitType": "requests"}')

    with http_target(throttle) as url:
        options = RunOptions(base_url=url, model=12, retries=0, settle=0.2, time_budget=60, **QUIET)
        validate(options)
        the_run = Run(options, target_for(options), None)
        phase = the_run.model()
    assert phase["status"] == "stopped" and "3 sequences in a row ended throttled" in phase["detail"], phase
    assert the_run.stop_reason is None  # the run goes on to its cleanup and reports


def _model_only(sequences: int, quirk_names: frozenset[str], seed: int = 5) -> tuple[dict, object]:
    """The model-based phase alone against the embedded emulator: its status and the result."""
    return _model_phase(RunOptions(model=sequences, seed=seed, emulator_quirks=quirk_names, **QUIET))


def _model_phase(options: RunOptions) -> tuple[dict, object]:
    """The model-based phase of a run with these options, without the operations' units (what it
    finds is its own): its status and the result."""
    validate(options)
    the_run = Run(options, target_for(options), None)
    phase = the_run.model()
    result = the_run.result(datetime.now(UTC), {"attempted": 0, "failed": 0})
    return phase, result


# quirks whose every answer is slow or throttled: fewer sequences, the same questions
# (a sequence sends some 130 requests: every write is read back, and everything at the end)
SLOW_QUIRKS = {"latency": 1, "flaky": 2, "rate-limit": 1, "slow": 2, "eventual": 2, "late-deletes": 2, "async-jobs": 3}
PER_QUIRK = 4  # sequences against each other quirk


@pytest.mark.quality
@pytest.mark.parametrize("names", [(), *[(q,) for q in sorted(quirks())], ("all compatible",)], ids=str)
def test_the_model_never_fails_a_conformant_choice(names):
    chosen = combinations()["all compatible"] if names == ("all compatible",) else frozenset(names)
    sequences = min([SLOW_QUIRKS.get(q, PER_QUIRK) for q in chosen] or [PER_QUIRK])
    phase, result = _model_only(sequences, chosen, seed=zlib.crc32(repr(names).encode()))  # a seed of its own
    assert phase["status"] == "ran", phase
    assert result.failing() == set(), [
        c["failures"][0]["listing"] for o in result.operations for c in o["checks"] if c.get("failures")
    ]


# ---- pairs of operations a campaign aims at -------------------------------------------------


def test_a_campaign_hands_out_every_pair_the_model_knows_and_carries_over_what_a_sequence_missed():
    from amplify_conformance._model._pairs import known_pairs
    from amplify_conformance._model._phase import Aims
    from amplify_conformance._model._steps import AIMS

    known = known_pairs(op.operation_id for op in spec.operations())
    aims = Aims(known, seed=3)
    handed = [aims.take() for _ in range(len(known) // AIMS)]
    assert all(len(h) == AIMS for h in handed) and {p for h in handed for p in h} == known
    assert Aims(known, seed=3).take() == handed[0] and Aims(known, seed=4).take() != handed[0]
    aims.give_back(handed[0][2:])
    again = aims.take()
    assert again[:3] == handed[0][2:] and len(again) == AIMS
    assert Aims(set(), seed=3).take() == []  # the default run's sequences are handed none


def test_a_sequence_weaves_in_each_pair_it_is_handed_on_one_place():
    import random

    from amplify_conformance._model._sequence import Names
    from amplify_conformance._model._steps import program, resolve

    selected = frozenset(op.operation_id for op in spec.operations())
    aims = [
        ("DeleteBackendAuth", "GetToken"),
        ("CreateToken", "UpdateBackendStorage"),
        ("CloneBackend", "GetBackendAPI"),
    ]
    drawn = program(selected, random.Random(1), list(aims))
    names, steps = Names(), []
    for _ in range(200):
        if not drawn.aims and not drawn.pending:
            break
        raw = drawn.pending.pop(0) if drawn.pending else drawn.aimed()
        if raw is not None:
            steps.append(resolve(raw, names))
    # one place: the same app and environment (a clone's target is a place it acts on too)
    woven = {
        (a.op, b.op) for a, b in zip(steps, steps[1:], strict=False) if a.app == b.app and b.env in (a.env, a.target)
    }
    assert set(aims) <= woven, steps


@pytest.mark.quality
def test_shrinking_ends_when_a_replay_fails_on_a_read_back_as_big_as_before():
    # under this seed the failure shows on the filtered listing read back after a job's update:
    # a replay without the final listing fails on the same read, as big as before, and shrinking
    # that took an equal size for smaller went round until the run's time budget ran out
    options = RunOptions(
        emulator_faults=frozenset({"r8_filter_stale_status"}), seed=2, settle=1.0, time_budget=240, **QUIET
    )
    phase, result = _model_phase(options)
    assert phase["status"] == "ran" and result.to_dict()["complete"], (phase, result.to_dict()["incomplete_reason"])
    assert result.failing() == {("UpdateBackendJob", "R8.sequences")}
    assert len(result.check("UpdateBackendJob", "R8.sequences")["failures"][0]["sequence"]) <= 5


def test_an_import_cloned_onto_an_environment_may_outlive_the_named_resources_delete_there():
    # a target keeping one resource per name holds the import and the named one side by side; a
    # clone onto an environment that exists may merge both into it, and a delete there by name
    # leaves the import (found by a campaign against the resources-by-name quirk)
    model = Model()
    _made(model, Step("CreateBackend"))
    _made(model, Step("ImportBackendStorage", env="e1"), sent={"bucketName": "b"})
    _made(model, Step("CreateBackendStorage", env="e1"), sent={"resourceConfig": {"a": 1}})
    _made(model, Step("CloneBackend", env="e1", target="e0"))
    _made(model, Step("DeleteBackendStorage"))
    assert model.expect(Step("GetBackendStorage")).statuses == {200, 404}


@pytest.mark.quality
def test_sequences_sent_side_by_side_count_as_if_sent_one_after_another(monkeypatch):
    # against a far-away target sequences go side by side and reads go ahead; what the phase
    # reports must not change with that: the same sequences, requests, pairs, and the same
    # failure found, blamed and shrunk to the same requests
    options = RunOptions(emulator_faults=frozenset({"r8_update_keeps_first"}), model=12, seed=5, settle=1.0, **QUIET)

    def phase(overlap: bool) -> tuple:
        monkeypatch.setattr(Run, "overlap_pays", property(lambda self: overlap))
        monkeypatch.setattr(Run, "far_away", property(lambda self: overlap))
        model, result = _model_phase(options)
        failure = result.check("UpdateBackendAPI", "R8.sequences")["failures"][0]
        listing = re.sub(r"\bac[0-9a-f]{6}\d{3}\b", "<app>", re.sub(r"127\.0\.0\.1:\d+", "<host>", failure["listing"]))
        return result.failing(), model["detail"], listing

    one_by_one, side_by_side = phase(False), phase(True)
    assert one_by_one[0] == {("UpdateBackendAPI", "R8.sequences")}
    assert side_by_side == one_by_one
    # a conformant target: every sequence drawn counts, in both ways alike
    options = RunOptions(model=6, seed=5, **QUIET)
    monkeypatch.setattr(Run, "overlap_pays", property(lambda self: False))
    monkeypatch.setattr(Run, "far_away", property(lambda self: False))
    alone = _model_phase(options)[0]["detail"]
    monkeypatch.setattr(Run, "overlap_pays", property(lambda self: True))
    monkeypatch.setattr(Run, "far_away", property(lambda self: True))
    together = _model_phase(options)[0]["detail"]
    assert together == alone and alone.startswith("6 sequences")

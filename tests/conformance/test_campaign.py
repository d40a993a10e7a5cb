"""Fuzzing campaigns: bounded by time or by rounds, seeded afresh each round, replaying their
database first, and reporting each kind of failure once, with a minimal example and a count.

What a campaign must find here it finds in its first round with this seed: the tests bound the
work by rounds, and a time bound only by "it ends by itself", so a busy machine changes nothing."""

from __future__ import annotations

import json
import threading
import time
from types import SimpleNamespace

import pytest
from amplify_conformance import RunOptions, run
from amplify_conformance._campaign import documented_members, shape_of

# the emulator fault that only generated data finds: a nextToken with a character outside ASCII
FAULT = frozenset({"r6_token_unicode"})
CAMPAIGN = {
    "operations": ("ListS3Buckets",),
    "fuzz": True,
    "seed": 20261202,
    "emulator_faults": FAULT,
    "emulator_throttle_rps": None,
    "emulator_error_rate": 0.0,
}


def test_shape_keeps_types_and_the_operations_documented_members_not_values():
    members = documented_members("ListS3Buckets")
    assert members == {"nextToken"}
    assert shape_of({"nextToken": "tok\u00e9n", "xUnknown": 1, "jobId": None}, members) == {"nextToken": "unicode"}
    assert shape_of({"nextToken": "abc"}) == shape_of({"nextToken": "zz"}) == {"nextToken": "ascii"}
    assert shape_of({"nextToken": ""}) != shape_of({"nextToken": "a"})
    assert shape_of({"maxResults": 3, "jobId": None}) == {"jobId": "null", "maxResults": "number"}
    assert shape_of([1, 2.5, "a"]) == sorted(['"number"', '"ascii"'])
    nested = documented_members("CreateBackendAuth")
    assert {"resourceConfig", "userPoolConfigs", "signInMethod"} <= nested and "nextToken" not in nested


def test_a_duration_needs_fuzz_and_must_be_positive():
    with pytest.raises(ValueError, match="duration"):
        run(RunOptions(duration=5))
    with pytest.raises(ValueError, match="duration"):
        run(RunOptions(fuzz=True, duration=0))


def test_rounds_need_fuzz_and_must_be_at_least_one():
    with pytest.raises(ValueError, match="rounds"):
        run(RunOptions(rounds=2))
    with pytest.raises(ValueError, match="rounds"):
        run(RunOptions(fuzz=True, rounds=0))


def test_a_campaign_finds_the_generated_only_fault_shrinks_it_and_reports_it_once(tmp_path):
    began = time.monotonic()
    data = run(RunOptions(rounds=1, database=str(tmp_path / "db"), **CAMPAIGN)).to_dict()
    assert time.monotonic() - began < 60  # generous: it ends by itself
    assert data["complete"], data["incomplete_reason"]
    fuzz = data["fuzz"]
    assert fuzz["duration"] is None and fuzz["rounds"] == 1 and fuzz["requests"] > 0
    assert fuzz["distinct_inputs"] > 0 and fuzz["distinct_failures"] == len(fuzz["groups"])
    groups = [g for g in fuzz["groups"] if g["check"] == "R6.no-5xx"]
    assert len(groups) == 1, groups  # one kind of failure, reported once
    group = groups[0]
    assert group["operation"] == "ListS3Buckets" and group["shape"] == {"nextToken": "unicode"}
    assert group["count"] >= 1 and group["shrunk"]
    minimal = json.loads(group["example"]["request"]["body"])
    assert minimal == {"nextToken": "\x80"}  # the smallest character outside ASCII
    assert group["example"]["curl"].startswith("curl ")
    assert fuzz["database"]["path"] == str(tmp_path / "db") and fuzz["database"]["replayed"] == 0


def test_a_campaign_of_rounds_begins_each_round_with_a_fresh_seed_and_repeats_exactly():
    options = RunOptions(rounds=2, max_examples=1, stateful=False, **CAMPAIGN)
    data = run(options).to_dict()["fuzz"]
    assert data["rounds"] == 2 and data["duration"] is None, data  # a fresh seed when a round is done
    one = run(RunOptions(**{**vars(options), "rounds": 1})).to_dict()["fuzz"]
    assert data["distinct_inputs"] > one["distinct_inputs"]  # the later rounds sent inputs of their own
    again = run(options).to_dict()["fuzz"]
    figures = ("requests", "distinct_inputs", "distinct_failures", "rounds")
    assert [again[k] for k in figures] == [data[k] for k in figures]  # the same seed and rounds, the same examples


def test_a_campaign_bounded_by_time_begins_round_after_round_until_its_time_is_up():
    from amplify_conformance._campaign import Campaign

    began = time.monotonic()
    data = run(RunOptions(duration=3, max_examples=1, stateful=False, **CAMPAIGN)).to_dict()
    assert 3 <= time.monotonic() - began < 3 + 60  # never before its time, and it ends by itself
    assert data["fuzz"]["duration"] == 3 and data["fuzz"]["rounds"] >= 1
    assert data["fuzz"]["elapsed"] >= 3
    # how many rounds fit depends on the machine; that one more begins while there is time does not
    the_run = SimpleNamespace(options=RunOptions(fuzz=True, duration=60), deadline=time.monotonic() + 60)
    the_run.selected, the_run.seed, the_run.stop = ["ListS3Buckets"], 5, threading.Event()
    campaign = Campaign(the_run)
    seeds = campaign.seeds(campaign.end)
    assert len({next(seeds) for _ in range(5)}) == 5  # time left: a fifth round, with a seed of its own
    assert list(campaign.seeds(time.monotonic() - 1)) == [5]  # time up: the run's own seed only


def test_the_next_campaign_replays_the_database_first(tmp_path):
    db = str(tmp_path / "db")
    run(RunOptions(rounds=1, database=db, stateful=False, **CAMPAIGN))
    again = run(RunOptions(rounds=1, database=db, stateful=False, **{**CAMPAIGN, "seed": 7})).to_dict()
    assert again["fuzz"]["database"]["replayed"] >= 1
    assert ("R6.no-5xx", "fail") in {(c["name"], c["verdict"]) for c in again["operations"][0]["checks"]}


def test_a_clean_campaign_fails_nothing_and_keeps_to_its_time():
    options = {**CAMPAIGN, "emulator_faults": frozenset(), "operations": ("ListS3Buckets", "GetBackendJob")}
    began = time.monotonic()
    data = run(RunOptions(duration=3, **options)).to_dict()
    assert time.monotonic() - began < 3 + 60
    assert data["complete"] and data["fuzz"]["groups"] == []
    assert all(o["verdict"] == "pass" for o in data["operations"]), [o["verdict"] for o in data["operations"]]
    assert data["phases"]["stateful"]["status"] == "ran"

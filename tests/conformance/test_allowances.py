"""The contract's allowances, asked in one place by every phase: each answers its question the
way the contract leaves it open, and no wider."""

from __future__ import annotations

import copy

import amplify_openapi as spec
import amplify_strategies as strategies
from amplify_conformance import _allowances as allow
from amplify_conformance._model._state import Model, Step
from amplify_conformance._model._steps import request
from amplify_conformance._world import resource_role

SPELLINGS = spec.spelling_groups()


def _find(body, member):
    """The object inside ``body`` that holds ``member``."""
    if isinstance(body, dict):
        if member in body:
            return body
        for value in body.values():
            if (found := _find(value, member)) is not None:
                return found
    if isinstance(body, list):
        for item in body:
            if (found := _find(item, member)) is not None:
                return found
    return None


def _with_one_spelling(spelling: str, value) -> dict:
    """A valid UpdateBackendAPI body whose member of ``spelling``'s group sits under that spelling only."""
    body = copy.deepcopy(strategies.telling_body("UpdateBackendAPI", "t"))
    group = spec.spellings(spelling)
    holder = _find(body, group[0])
    assert holder is not None
    for name in group:
        holder.pop(name, None)
    holder[spelling] = value
    return body


def test_a_wrong_value_under_one_spelling_is_not_invalid_under_every_reading_until_spread():
    op = spec.operation("UpdateBackendAPI")
    for group in SPELLINGS:
        for spelling in group:
            body = _with_one_spelling(spelling, 12345)  # a number where a string is documented
            # a target that follows another spelling ignores the member: valid for it
            assert not allow.invalid_under_every_reading(op, body), spelling
            spread = allow.spread_spellings(body)
            assert all(_find(spread, name)[name] == 12345 for name in group)
            assert allow.invalid_under_every_reading(op, spread), spelling


def test_a_valid_body_is_valid_under_every_reading_and_a_broken_one_under_none():
    op = spec.operation("UpdateBackendAPI")
    valid = strategies.telling_body(op.operation_id, "t")
    assert not allow.invalid_under_every_reading(op, valid)
    assert not allow.invalid_under_every_reading(op, allow.spread_spellings(valid))
    assert allow.invalid_under_every_reading(op, {**valid, "resourceName": None})
    assert allow.invalid_under_every_reading(op, "not an object")
    # an unknown extra member is ignored (R6): not a case to reject
    assert not allow.invalid_under_every_reading(op, {**valid, "somethingNew": {"deep": [1]}})


def test_an_absent_optional_array_counts_as_empty_and_a_wrong_one_is_reported():
    assert allow.listed({}, "backendEnvironmentList") == []
    assert allow.listed({"jobs": [{"jobId": "a"}]}, "jobs") == [{"jobId": "a"}]
    assert allow.listed({"jobs": "a"}, "jobs") is None


def test_every_call_on_a_resource_carries_one_name():
    name = allow.resource_name()
    model = Model()
    for op in spec.operations():
        if resource_role(op.operation_id) is None:
            continue
        _, body = request(Step(op.operation_id), "app", model)
        if isinstance(body, dict) and "resourceName" in spec.schema(op.request_schema).get("properties", {}):
            assert body["resourceName"] == name, op.operation_id


def test_a_job_id_handed_out_here_too_is_no_stray_unless_it_says_it_is_another_apps():
    entries = [{"jobId": "job-00001", "appId": "b"}, {"jobId": "job-00002"}]
    # app b's listing: job-00001 was handed out by app a and by b itself
    assert allow.strays(entries, "b", others=["job-00001"], own=["job-00001"]) == []
    assert allow.strays(entries, "b", others=["job-00002"], own=["job-00001"]) == ["job-00002"]
    assert allow.strays([{"jobId": "job-00001", "appId": "a"}], "b", others=[], own=["job-00001"]) == ["job-00001"]
    assert allow.strays(entries, None, others=[], own=[]) == []


def test_a_change_may_show_late_only_within_the_settle_bound():
    assert allow.may_lag(0.2, 1.0)
    assert not allow.may_lag(1.5, 1.0)
    assert not allow.may_lag(0.1, 0.0)  # a target known to show everything at once
    assert not allow.may_lag(None, 10.0)  # nothing was deleted: a 404 that stays is the model's

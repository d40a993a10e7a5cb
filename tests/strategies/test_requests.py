"""Property tests over the hypothesis strategies themselves."""

from __future__ import annotations

import functools
import json
import re
import string

import amplify_openapi
import pytest
from amplify_strategies import matrix, negative_requests, valid_body, valid_requests
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from .reasons import assert_labelled_correctly, errors

OPERATION_IDS = [op.operation_id for op in amplify_openapi.operations()]
WITH_BODY = [op.operation_id for op in amplify_openapi.operations() if op.request_schema]
FAST = settings(max_examples=20, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHRINK = settings(database=None, max_examples=2000)
URL_UNRESERVED = set(string.ascii_letters + string.digits + "-._~")


@functools.cache
def matrix_labels(operation_id: str) -> dict:
    return {(c.kind, c.json_path): (c.rule, c.enum) for c in matrix(operation_id)}


def assert_valid_request(operation_id: str, request) -> None:
    params, body = request
    op = amplify_openapi.operation(operation_id)
    assert sorted(params) == sorted(op.path_parameters)
    for value in params.values():
        assert isinstance(value, str) and value not in ("", ".", "..")
    if op.request_schema is None:
        assert body is None
    else:
        assert not errors(operation_id, body), body


@pytest.mark.parametrize("mode", ["realistic", "hostile"])
@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_valid_requests_validate_against_the_request_model(operation_id, mode):
    @FAST
    @given(valid_requests(operation_id, mode))
    def check(request):
        assert_valid_request(operation_id, request)

    check()


@FAST
@given(st.sampled_from(OPERATION_IDS).flatmap(lambda op: st.tuples(st.just(op), valid_requests(op))))
def test_realistic_identifiers_need_no_url_encoding(drawn):
    _, (params, _) = drawn
    for value in params.values():
        assert set(value) <= URL_UNRESERVED, value


def test_hostile_identifiers_reach_reserved_characters_unicode_and_great_length():
    hostile = valid_requests("GetBackendJob", "hostile")
    reserved = find(hostile, lambda r: any(c in v for v in r[0].values() for c in "/?#%"), settings=SHRINK)
    assert any(set(v) & set("/?#%") for v in reserved[0].values())
    find(hostile, lambda r: any(not v.isascii() for v in r[0].values()), settings=SHRINK)
    find(hostile, lambda r: any(len(v) >= 200 for v in r[0].values()), settings=SHRINK)


def test_hostile_bodies_carry_undocumented_members_the_contract_ignores():
    documented = set(amplify_openapi.schema("CloneBackendReqObj")["properties"])
    found = find(valid_requests("CloneBackend", "hostile"), lambda r: set(r[1]) - documented, settings=SHRINK)
    assert not errors("CloneBackend", found[1])


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="mode"):
        valid_requests("GetBackend", "wild")


@pytest.mark.parametrize("operation_id", WITH_BODY)
def test_negative_requests_break_exactly_their_labelled_rule(operation_id):
    @FAST
    @given(negative_requests(operation_id))
    def check(case):
        assert case.operation_id == operation_id and case.expect == "reject"
        assert case.kind in (
            "required-missing",
            "wrong-type",
            "enum-outside",
            "bound-outside",
            "malformed-body",
        )
        assert_labelled_correctly(case)
        # labelled like the matrix: the same (kind, path) pairs, rule and enum conventions
        assert (case.rule, case.enum) == matrix_labels(operation_id)[case.kind, case.json_path]
        assert case.detail.startswith(case.json_path) or case.kind == "malformed-body"

    check()


@given(st.sampled_from(WITH_BODY).flatmap(negative_requests))
@settings(max_examples=200, database=None, deadline=None)
def test_negative_requests_over_all_operations_are_labelled_correctly(case):
    assert_labelled_correctly(case)


def test_negative_requests_need_a_documented_body():
    with pytest.raises(ValueError, match="no request body"):
        negative_requests("GetToken")


# ------------------------------------------------------------------ shrinking


def smallest(operation_id, predicate):
    return find(negative_requests(operation_id), predicate, settings=SHRINK)


def test_a_wrong_type_shrinks_to_the_minimal_body_with_a_tiny_value():
    case = smallest("CreateBackendAuth", lambda c: c.kind == "wrong-type")
    assert len(json.dumps(case.value)) <= 4
    assert {k: v for k, v in case.body.items() if k != case.json_path} == {
        k: v for k, v in valid_body("CreateBackendAuth").items() if k != case.json_path
    }


def test_a_nested_wrong_type_shrinks_to_the_minimal_body_plus_its_parent():
    case = smallest("CreateBackendAuth", lambda c: c.kind == "wrong-type" and ".oAuth." in c.json_path)
    pool = case.body["resourceConfig"]["userPoolConfigs"]
    assert set(pool) == set(valid_body("CreateBackendAuth")["resourceConfig"]["userPoolConfigs"]) | {"oAuth"}
    assert len(json.dumps(case.body)) < 2 * len(json.dumps(valid_body("CreateBackendAuth")))


def test_a_required_member_missing_shrinks_to_the_minimal_body_without_it():
    case = smallest("CreateBackendStorage", lambda c: c.kind == "required-missing")
    expected = valid_body("CreateBackendStorage")
    del expected[case.json_path]
    assert case.body == expected


def test_an_enum_outside_value_shrinks_to_the_empty_string():
    case = smallest("ImportBackendStorage", lambda c: c.kind == "enum-outside")
    assert case.value == "" and case.body == {**valid_body("ImportBackendStorage"), "serviceName": ""}


def test_a_bound_outside_shrinks_to_just_outside():
    case = smallest("ListBackendJobs", lambda c: c.kind == "bound-outside")
    assert case.body == {"maxResults": case.value} and case.value in (0, 26)
    high = smallest("ListBackendJobs", lambda c: c.kind == "bound-outside" and c.value > 25)
    assert high.value == 26


def test_a_malformed_body_shrinks_to_something_short():
    case = smallest("CloneBackend", lambda c: c.kind == "malformed-body" and isinstance(c.body, bytes))
    assert len(case.body) <= 4
    assert re.fullmatch(rb"[\x00-\xff]{1,4}", case.body)

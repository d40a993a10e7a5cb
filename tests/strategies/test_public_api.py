"""The public surface others code against, and traps in reading the spec."""

from __future__ import annotations

import dataclasses

import amplify_openapi
import amplify_strategies
from amplify_strategies import Case, matrix


def test_all_is_pinned():
    assert amplify_strategies.__all__ == [
        "Case",
        "Edge",
        "edges",
        "full_body",
        "matrix",
        "negative_requests",
        "spec_counts",
        "telling_body",
        "valid_body",
        "valid_requests",
        "varied_body",
    ]
    for name in amplify_strategies.__all__:
        assert getattr(amplify_strategies, name)


def test_case_is_frozen_with_the_documented_fields():
    assert [f.name for f in dataclasses.fields(Case)] == [
        "operation_id",
        "rule",
        "kind",
        "json_path",
        "body",
        "expect",
        "detail",
        "enum",
        "value",
    ]
    case = matrix("GetBackend")[0]
    try:
        case.kind = "other"
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("Case is not frozen")


def test_case_id_names_operation_kind_path_and_value():
    case = Case("ListBackendJobs", "R6", "bound-outside", "maxResults", {"maxResults": 0}, "reject", "x", value=0)
    assert case.id == "ListBackendJobs:bound-outside:maxResults:0"
    assert Case("GetBackend", "valid", "valid", "", {}, "accept", "x").id == "GetBackend:valid"


def test_mfa_mode_values_load_as_the_strings_on_and_off():
    # YAML 1.1 reads a bare ON/OFF as a boolean; the spec quotes them.
    assert amplify_openapi.schema("MFAMode")["enum"][:2] == ["ON", "OFF"]
    values = {c.value for c in matrix("CreateBackendAuth") if c.enum == "MFAMode" and c.kind == "enum-value"}
    assert values == {"ON", "OFF", "OPTIONAL"}
    assert all(isinstance(value, str) for value in values)
    for name in amplify_openapi.enum_names():
        assert all(isinstance(value, str) for value in amplify_openapi.schema(name)["enum"]), name

"""The deterministic matrix: every case is labelled truthfully, and coverage is complete as
counted from the spec by an independent walk (tests/strategies/spec_walk.py)."""

from __future__ import annotations

from collections import Counter

import amplify_openapi
import amplify_strategies
import pytest
from amplify_strategies import Case, matrix, spec_counts, valid_body

from .reasons import assert_labelled_correctly
from .spec_walk import TYPES, allowed_types, instance_path, json_type, value_at, walk

OPERATION_IDS = [op.operation_id for op in amplify_openapi.operations()]
WITH_BODY = [op.operation_id for op in amplify_openapi.operations() if op.request_schema]
ALL_CASES = matrix()


def by_kind(kind: str) -> list[Case]:
    return [case for case in ALL_CASES if case.kind == kind]


def one_to_one(expected: list, found: list) -> None:
    """Each expected item has exactly one case and each case one expected item."""
    assert Counter(found) == Counter(expected)
    assert len(set(expected)) == len(expected)


# ------------------------------------------------------------------ labels


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: case.id)
def test_each_case_fails_validation_for_exactly_its_labelled_reason(case):
    assert_labelled_correctly(case)


def test_rules_and_expectations_follow_the_kind():
    rule_of = {
        "valid": "valid",
        "valid-full": "valid",
        "enum-value": "R5",
        "enum-outside": "R5",
        "required-missing": "R4",
        "wrong-type": "R6",
        "bound-inside": "R6",
        "bound-outside": "R6",
        "malformed-body": "R6",
        "fraction": "R6",
        "deprecated-member": "R6",
    }
    for case in ALL_CASES:
        assert case.rule == rule_of[case.kind], case.id
        if case.kind in ("valid", "valid-full", "enum-value", "bound-inside", "fraction", "deprecated-member"):
            assert case.expect == "accept", case.id
        elif case.kind != "malformed-body":
            assert case.expect == "reject", case.id
        assert case.detail, case.id


def test_case_ids_are_unique_and_readable():
    ids = [case.id for case in ALL_CASES]
    assert len(set(ids)) == len(ids)
    assert "CreateBackendAuth:enum-value:resourceConfig.userPoolConfigs.signInMethod:'PHONE_NUMBER'" in ids
    assert "ListBackendJobs:bound-outside:maxResults:26" in ids


def test_matrix_is_deterministic_and_in_spec_order():
    again = matrix()
    assert [(c.id, c.body) for c in again] == [(c.id, c.body) for c in ALL_CASES]
    order = list(dict.fromkeys(case.operation_id for case in ALL_CASES))
    assert order == OPERATION_IDS
    assert matrix("GetBackend") == tuple(c for c in ALL_CASES if c.operation_id == "GetBackend")


def test_changing_a_case_body_leaves_the_matrix_unchanged():
    first = matrix("CreateBackend")[0]
    first.body["appId"] = "overwritten by a runner"
    assert matrix("CreateBackend")[0].body["appId"] != "overwritten by a runner"
    body = valid_body("CreateBackend")
    body.clear()
    assert valid_body("CreateBackend")


def test_unknown_operation_is_a_clear_error():
    with pytest.raises(KeyError, match="NoSuchOperation"):
        matrix("NoSuchOperation")


# ------------------------------------------------------------------ coverage counted from the spec


def test_one_valid_case_per_operation_equal_to_valid_body():
    valid = by_kind("valid")
    assert [case.operation_id for case in valid] == OPERATION_IDS
    for case in valid:
        assert case.body == valid_body(case.operation_id)


def test_every_enum_value_at_every_site_has_an_accepted_case():
    expected = [
        (op, site["path"], value)
        for op in OPERATION_IDS
        for site in walk(op)
        if "enum" in site["schema"]
        for value in site["schema"]["enum"]
    ]
    found = [(c.operation_id, c.json_path, c.value) for c in by_kind("enum-value")]
    one_to_one(expected, found)
    for case in by_kind("enum-value"):
        assert case.enum is not None
        assert case.value in amplify_openapi.schema(case.enum)["enum"]


def test_enum_value_cases_cover_every_enum_the_request_models_use():
    used = {site["enum_name"] for op in OPERATION_IDS for site in walk(op) if site["enum_name"]}
    assert {case.enum for case in by_kind("enum-value")} == used
    # the rest are response-only enums (Status is GetBackendAPIModels' answer)
    assert set(amplify_openapi.enum_names()) - used <= {"Status"}


def test_every_enum_site_has_an_outside_value_case_and_a_letter_case_variant():
    expected = [(op, site["path"]) for op in OPERATION_IDS for site in walk(op) if "enum" in site["schema"]]
    outside = [c for c in by_kind("enum-outside") if "another letter case" not in c.detail]
    one_to_one(expected, [(c.operation_id, c.json_path) for c in outside])
    variants = [c for c in by_kind("enum-outside") if "another letter case" in c.detail]
    one_to_one(expected, [(c.operation_id, c.json_path) for c in variants])
    for case in variants:
        enum = amplify_openapi.schema(case.enum)["enum"]
        assert case.value not in enum and case.value.lower() in {v.lower() for v in enum}, case.id


def test_every_required_member_at_every_depth_has_a_missing_case():
    expected = [(op, site["path"]) for op in OPERATION_IDS for site in walk(op) if site["required"]]
    one_to_one(expected, [(c.operation_id, c.json_path) for c in by_kind("required-missing")])


def test_every_member_has_a_case_for_each_wrong_json_type():
    expected = [
        (op, site["path"], wrong)
        for op in OPERATION_IDS
        for site in walk(op)
        for wrong in TYPES
        if wrong not in allowed_types(site["schema"])
    ]
    found = [(c.operation_id, c.json_path, json_type(c.value)) for c in by_kind("wrong-type")]
    one_to_one(expected, found)


def test_every_bound_has_cases_just_inside_and_just_outside():
    inside, outside = [], []
    for op in OPERATION_IDS:
        for site in walk(op):
            schema = site["schema"]
            step = 1 if schema.get("type") == "integer" else 0.5
            if "minimum" in schema:
                inside.append((op, site["path"], schema["minimum"]))
                outside.append((op, site["path"], schema["minimum"] - step))
            if "maximum" in schema:
                inside.append((op, site["path"], schema["maximum"]))
                outside.append((op, site["path"], schema["maximum"] + step))
    one_to_one(inside, [(c.operation_id, c.json_path, c.value) for c in by_kind("bound-inside")])
    one_to_one(outside, [(c.operation_id, c.json_path, c.value) for c in by_kind("bound-outside")])


def test_list_backend_jobs_max_results_bounds_are_1_25_and_0_26():
    cases = matrix("ListBackendJobs")
    assert sorted(c.value for c in cases if c.kind == "bound-inside") == [1, 25]
    assert sorted(c.value for c in cases if c.kind == "bound-outside") == [0, 26]
    assert {c.json_path for c in cases if c.kind.startswith("bound")} == {"maxResults"}


def test_malformed_bodies_only_for_operations_with_a_body():
    found = Counter(c.operation_id for c in by_kind("malformed-body"))
    assert found == Counter({op: 4 for op in WITH_BODY})
    for op in WITH_BODY:
        empty = next(c for c in matrix(op) if c.kind == "malformed-body" and c.body is None)
        top_required = amplify_openapi.schema(amplify_openapi.operation(op).request_schema).get("required")
        assert empty.expect == ("reject" if top_required else "accept")
        kinds = sorted(type(c.body).__name__ for c in matrix(op) if c.kind == "malformed-body")
        assert kinds == ["NoneType", "bytes", "bytes", "list"]
        whitespace = next(c for c in matrix(op) if c.kind == "malformed-body" and c.body == b" \t\n")
        assert whitespace.expect == "reject"


def test_operations_without_a_body_have_only_their_valid_case():
    for op in set(OPERATION_IDS) - set(WITH_BODY):
        assert [(c.kind, c.body) for c in matrix(op)] == [("valid", None)]


def test_matrix_size_is_the_sum_of_what_the_spec_documents():
    sites = [site for op in OPERATION_IDS for site in walk(op)]
    expected = (
        len(OPERATION_IDS)
        + sum(len(s["schema"]["enum"]) + 2 for s in sites if "enum" in s["schema"])
        + sum(s["required"] for s in sites)
        + sum(len([t for t in TYPES if t not in allowed_types(s["schema"])]) for s in sites)
        + 2 * sum(("minimum" in s["schema"]) + ("maximum" in s["schema"]) for s in sites)
        + sum(s["schema"].get("type") == "number" and not {"minimum", "maximum"} & set(s["schema"]) for s in sites)
        + sum(s.get("deprecated", False) for s in sites)
        + 5 * len(WITH_BODY)  # four malformed bodies and the full valid one
    )
    assert len(ALL_CASES) == expected


def test_spec_counts_agree_with_an_independent_walk():
    counts = spec_counts()
    for op in OPERATION_IDS:
        sites = walk(op)
        enum_sites = [s for s in sites if "enum" in s["schema"]]
        assert counts["operations"][op] == {
            "members": sum(not s["path"].endswith("[]") for s in sites),
            "array_items": sum(s["path"].endswith("[]") for s in sites),
            "enum_sites": len(enum_sites),
            "enum_values": sum(len(s["schema"]["enum"]) for s in enum_sites),
            "required_members": sum(s["required"] for s in sites),
            "bounded_members": sum(bool({"minimum", "maximum"} & set(s["schema"])) for s in sites),
        }
    for key in ("enum_values", "enum_sites", "required_members", "bounded_members"):
        assert counts[key] == sum(per_op[key] for per_op in counts["operations"].values())
    assert counts["enums"] == len(amplify_openapi.enum_names())
    assert counts["bounded_members"] >= 1  # ListBackendJobs maxResults


# ------------------------------------------------------------------ valid_body


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_valid_body_holds_every_required_member_at_every_depth_and_nothing_else(operation_id):
    body = valid_body(operation_id)
    if amplify_openapi.operation(operation_id).request_schema is None:
        assert body is None
        return
    for site in walk(operation_id):
        where = instance_path(site["path"])
        try:
            value_at(body, where)
            present = True
        except (KeyError, IndexError, TypeError):
            present = False
        parent_present = True
        try:
            value_at(body, where[:-1])
        except (KeyError, IndexError, TypeError):
            parent_present = False
        if site["path"].endswith("[]"):
            continue
        if parent_present:
            assert present == site["required"], site["path"]


def test_valid_body_values_are_realistic():
    auth = valid_body("CreateBackendAuth")
    assert auth["backendEnvironmentName"] == "dev"
    assert auth["resourceName"] == "amplifyconf"
    pool = auth["resourceConfig"]["userPoolConfigs"]
    assert pool["signInMethod"] == amplify_openapi.schema("SignInMethod")["enum"][0]
    assert pool["requiredSignUpAttributes"] == [amplify_openapi.schema("RequiredSignUpAttributesElement")["enum"][0]]
    assert valid_body("CloneBackend")["targetEnvironmentName"] not in ("", "dev")
    assert valid_body("ListBackendJobs") == {}
    oauth = next(
        c.body
        for c in matrix("CreateBackendAuth")
        if c.json_path == "resourceConfig.userPoolConfigs.oAuth.oAuthScopes[]"
    )["resourceConfig"]["userPoolConfigs"]["oAuth"]
    assert all(uri.startswith("https://") for uri in oauth["redirectSignInURIs"])


def test_a_member_spelled_several_ways_is_changed_under_every_spelling():
    for case in ALL_CASES:
        if case.kind in ("wrong-type", "required-missing") and case.json_path.endswith("openIDIatTTL"):
            settings = case.body["resourceConfig"]
            for part in case.json_path.split(".")[1:-1]:
                settings = settings[part.rstrip("[]")]
                settings = settings[0] if isinstance(settings, list) else settings
            spelled = {"openIDIatTTL", "openIDlatTTL", "openIDiatTTL"}
            if case.kind == "wrong-type":
                assert {k: settings[k] for k in spelled} == {k: case.value for k in spelled}, case.id
            else:
                assert not spelled & set(settings), case.id


def test_full_bodies_hold_every_spelling_varied_values_and_validate():
    for op in WITH_BODY:
        body = amplify_strategies.full_body(op)
        name = amplify_openapi.operation(op).request_schema
        assert not list(amplify_openapi.validator(name).iter_errors(body)), op
    settings = amplify_strategies.full_body("CreateBackendAPI")["resourceConfig"]["defaultAuthType"]["settings"]
    assert settings["openIDIatTTL"] == settings["openIDlatTTL"] == settings["openIDiatTTL"]
    assert settings["openIDIssueURL"] == settings["openIDIssuerURL"]
    assert settings["expirationTime"] % 1  # a fraction: the type is number
    storage = amplify_strategies.full_body("CreateBackendStorage")["resourceConfig"]["permissions"]
    assert len(storage["authenticated"]) > 1 and storage["authenticated"][0] != "READ"


def _strings_and_arrays(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_and_arrays(item, (*path, key))
    elif isinstance(value, list):
        yield path, value
        for item in value:
            yield from _strings_and_arrays(item, (*path, "[]"))
    elif isinstance(value, str):
        yield path, value


def test_telling_bodies_validate_and_show_any_lost_element_or_character():
    for op in ("CreateBackendAPI", "CreateBackendAuth", "CreateBackendStorage", "UpdateBackendAuth"):
        body, other = amplify_strategies.telling_body(op, "a"), amplify_strategies.telling_body(op, "b")
        name = amplify_openapi.operation(op).request_schema
        assert not list(amplify_openapi.validator(name).iter_errors(body)), op
        found = list(_strings_and_arrays(body["resourceConfig"]))
        arrays = [v for _, v in found if isinstance(v, list) and v]
        assert arrays and all(len(a) >= 2 and len({repr(i) for i in a}) == len(a) for a in arrays), op
        assert any(isinstance(v, str) and v.endswith(" a·é☃𝄞") for _, v in found), op
        assert body != other and body["resourceName"] == other["resourceName"]
    settings = amplify_strategies.telling_body("CreateBackendAPI", "a")["resourceConfig"]["defaultAuthType"]
    assert settings["settings"]["openIDIatTTL"] == settings["settings"]["openIDlatTTL"].removesuffix(" 2")
    assert any(ord(c) > 0xFFFF for c in settings["settings"]["description"])
    assert (
        settings["mode"]
        == amplify_strategies.full_body("CreateBackendAPI")["resourceConfig"]["defaultAuthType"]["mode"]
    )


def test_varied_bodies_differ_in_every_member_that_can_differ():
    from amplify_strategies import varied_body

    def leaves(value, path=()):
        if isinstance(value, dict):
            for key, item in value.items():
                yield from leaves(item, (*path, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from leaves(item, (*path, i))
        else:
            yield path, value

    for operation_id in ("UpdateBackendAuth", "UpdateBackendAPI", "UpdateBackendStorage"):
        first, second = dict(leaves(varied_body(operation_id, 1))), dict(leaves(varied_body(operation_id, 2)))
        assert first.keys() == second.keys()
        same = [p for p in first if first[p] == second[p] and len(p) > 1]
        # what stays is what cannot change: an enum of one value, or an array's order-free twin
        assert all(isinstance(first[p], str) and not first[p].endswith("𝄞") for p in same), same
        numbers = [p for p in first if isinstance(first[p], (int, float)) and not isinstance(first[p], bool)]
        assert all(first[p] != second[p] for p in numbers)
        assert varied_body(operation_id, 3) == varied_body(operation_id, 3)  # the same every call

"""Why a case body fails the spec: the one assertion every test of case labels shares."""

from __future__ import annotations

import json
from typing import Any

import amplify_openapi

from .spec_walk import instance_path, json_type, parses_as_json, value_at


def errors(operation_id: str, body: Any) -> list:
    name = amplify_openapi.operation(operation_id).request_schema
    return list(amplify_openapi.validator(name).iter_errors(body))


def assert_labelled_correctly(case) -> None:
    """A case fails validation for exactly its labelled reason and no other; a valid one passes."""
    op = amplify_openapi.operation(case.operation_id)
    if op.request_schema is None:
        assert (case.kind, case.body, case.expect) == ("valid", None, "accept"), case.id
        return
    if case.expect == "accept":
        body = {} if case.body is None else case.body
        assert not isinstance(body, bytes)
        found = errors(case.operation_id, body)
        assert not found, f"{case.id}: {[e.message for e in found]}"
        return
    assert case.expect == "reject", case.id
    if case.kind == "malformed-body":
        assert case.json_path == ""
        if isinstance(case.body, bytes):
            # not JSON at all, or JSON that is not an object
            assert not parses_as_json(case.body) or not isinstance(json.loads(case.body), dict), case.id
        elif case.body is None:
            # an empty body is {}: rejected only because top-level members are required
            found = errors(case.operation_id, {})
            assert found and {(e.validator, tuple(e.absolute_path)) for e in found} == {("required", ())}
        else:
            found = errors(case.operation_id, case.body)
            assert [(e.validator, tuple(e.absolute_path)) for e in found] == [("type", ())], case.id
        return
    assert isinstance(case.body, dict), case.id
    found = errors(case.operation_id, case.body)
    where = instance_path(case.json_path)
    assert found, f"{case.id}: the body validates"
    paths = {tuple(e.absolute_path) for e in found}
    kinds = [e.validator for e in found]
    if case.kind == "required-missing":
        member, parent = where[-1], where[:-1]
        assert len(found) == 1 and kinds == ["required"] and paths == {parent}, (case.id, found)
        assert member in found[0].validator_value and member not in found[0].instance, case.id
        return
    placed = value_at(case.body, where)
    assert placed == case.value and json_type(placed) == json_type(case.value), case.id
    assert paths == {where}, (case.id, paths)
    if case.kind == "wrong-type":
        # a wrong-typed value at an enum site is necessarily outside the enum as well
        assert "type" in kinds and set(kinds) <= ({"type", "enum"} if case.enum else {"type"}), (
            case.id,
            kinds,
        )
    elif case.kind == "enum-outside":
        assert kinds == ["enum"] and isinstance(placed, str), (case.id, kinds)
    elif case.kind == "bound-outside":
        assert len(kinds) == 1 and kinds[0] in ("minimum", "maximum"), (case.id, kinds)
    else:
        raise AssertionError(f"{case.id}: unknown rejecting kind {case.kind!r}")

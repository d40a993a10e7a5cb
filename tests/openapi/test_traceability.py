"""The spec says what the reference says, in both directions.

The reference is read by tests/openapi/reference.py, independently of the spec; the only
deviations accepted are those the spec records as data (x-reference-names on a schema,
x-reference-spellings on a member), each explained in openapi/NOTES.md.
"""

from __future__ import annotations

import re

import amplify_openapi as spec
import pytest

from . import reference as ref

SCHEMAS = spec.document()["components"]["schemas"]


def _schema_for(reference_name: str) -> str | None:
    """The spec schema a reference model name denotes, directly or by a recorded alias."""
    if reference_name in SCHEMAS:
        return reference_name
    for name, schema in SCHEMAS.items():
        if reference_name in schema.get("x-reference-names", ()):
            return name
    return None


def _property_for(schema: dict, reference_member: str) -> tuple[str, dict] | None:
    for name, prop in schema.get("properties", {}).items():
        if name == reference_member or reference_member in prop.get("x-reference-spellings", ()):
            return name, prop
    return None


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMAS[node["$ref"].rsplit("/", 1)[1]]
    return node


def _resolve_response(node: dict) -> dict:
    return spec.document()["components"]["responses"][node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node


def _resolve_header(node: dict) -> dict:
    return spec.document()["components"]["headers"][node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node


def _enum_of(prop: dict) -> list[str] | None:
    node = prop.get("items", prop) if prop.get("type") == "array" else prop
    return _resolve(node).get("enum")


def _reference_models():
    for resource in ref.resources():
        for model in resource.models:
            yield resource, model


def test_reference_is_read_whole():
    """Guards the parser itself: a parser that reads nothing would pass every test below."""
    assert len(ref.resources()) == 30
    assert len(ref.operations()) == 31
    assert sum(len(m.members) for _, m in _reference_models()) > 300
    assert sum(1 for _, m in _reference_models() for x in m.members if x.values) == 42


def test_every_reference_operation_is_in_the_spec_with_its_method_and_uri():
    for op in ref.operations():
        spec_op = spec.operation(op.operation_id)
        assert spec_op.method == op.method, op
        stageless = op.uri.removeprefix("/prod")
        assert re.sub(r"\{(\w+)\}", r"\1", spec_op.path) == stageless, (op.line, spec_op.path, op.uri)
        assert set(spec_op.path_parameters) == set(op.path_parameters), op


def test_every_spec_operation_is_in_the_reference():
    documented = {op.operation_id for op in ref.operations()}
    assert {op.operation_id for op in spec.operations()} <= documented


def test_every_resource_answers_options_in_the_spec():
    paths = spec.document()["paths"]
    for resource in ref.resources():
        assert "OPTIONS" in resource.methods
        path = re.sub(r"/(appId|backendEnvironmentName|sessionId|jobId)(?=/|$)", r"/{\1}", resource.uri[5:])
        assert "options" in paths[path], resource.uri
        cors = _resolve_response(paths[path]["options"]["responses"]["200"])
        headers = {name: _resolve_header(h) for name, h in cors["headers"].items()}
        assert set(headers) == {f"Access-Control-Allow-{h}" for h in ("Origin", "Methods", "Headers")}, path
        assert all(h["required"] for h in headers.values()), path
        # what a spec-driven mock answers: exactly the methods the reference documents for the resource
        assert headers["Access-Control-Allow-Methods"]["example"] == ",".join(resource.methods), resource.line


@pytest.mark.parametrize("op", ref.operations(), ids=lambda o: o.operation_id)
def test_response_codes_and_models_match_both_ways(op):
    spec_op = spec.operation(op.operation_id)
    assert set(spec_op.status_codes) == set(op.responses), f"reference line {op.line}"
    for code, model in op.responses.items():
        assert _schema_for(model) == spec_op.response_schema(code), (op.line, code, model)


def test_every_reference_member_is_in_the_spec_with_its_required_flag_type_and_values():
    problems = []
    for _resource, model in _reference_models():
        name = _schema_for(model.name)
        if name is None:
            problems.append(f"{model.line}: model {model.name} not in spec")
            continue
        schema = SCHEMAS[name]
        if model.values:
            if schema.get("enum") != model.values:
                problems.append(f"{model.line}: enum {model.name} values differ")
            continue
        for member in model.members:
            found = _property_for(schema, member.name)
            if found is None:
                problems.append(f"{member.line}: {model.name}.{member.name} not in spec")
                continue
            prop_name, prop = found
            if member.required is None:
                problems.append(f"{member.line}: {model.name}.{member.name} has no Required line")
            elif (prop_name in schema.get("required", ())) != member.required:
                problems.append(f"{member.line}: {model.name}.{member.name} required={member.required}")
            if member.values and _enum_of(prop) != member.values:
                problems.append(f"{member.line}: {model.name}.{member.name} values {member.values}")
            if member.type.startswith("Array of type") and prop.get("type") != "array":
                problems.append(f"{member.line}: {model.name}.{member.name} should be an array")
            if member.minimum is not None and prop.get("minimum") != member.minimum:
                problems.append(f"{member.line}: {model.name}.{member.name} minimum")
            if member.maximum is not None and prop.get("maximum") != member.maximum:
                problems.append(f"{member.line}: {model.name}.{member.name} maximum")
            if member.deprecated and not (prop.get("deprecated") or _resolve(prop).get("deprecated")):
                problems.append(f"{member.line}: {model.name}.{member.name} is DEPRECATED")
    assert not problems, "\n".join(problems)


def test_nothing_in_the_spec_schemas_is_missing_from_the_reference():
    documented: dict[str, set[str]] = {}
    value_lists = []
    for _, model in _reference_models():
        documented.setdefault(model.name, set()).update(m.name for m in model.members)
        value_lists += [m.values for m in model.members if m.values]
        if model.values:
            value_lists.append(model.values)
    problems = []
    for name, schema in SCHEMAS.items():
        if "enum" in schema:
            if schema["enum"] not in value_lists:
                problems.append(f"enum {name} {schema['enum']} is no Values list in the reference")
            continue
        names = {name, *schema.get("x-reference-names", ())}
        members = set().union(*(documented.get(n, set()) for n in names))
        if not members and not any(n in documented for n in names):
            problems.append(f"schema {name} is not a reference model")
        for prop_name, prop in schema.get("properties", {}).items():
            spellings = {prop_name, *prop.get("x-reference-spellings", ())}
            if not spellings & members:
                problems.append(f"{name}.{prop_name} is not in the reference")
    assert not problems, "\n".join(problems)


def test_all_fifteen_enums_are_named_reusable_schemas():
    assert len(spec.enum_names()) == 15
    distinct_sites = {tuple(m.values) for _, model in _reference_models() for m in model.members if m.values}
    distinct_sites |= {tuple(model.values) for _, model in _reference_models() if model.values}
    # AuthenticatedElement and UnAuthenticatedElement share their values, as in botocore
    assert len(distinct_sites) == 14


def test_yaml_1_1_booleans_stay_strings():
    assert spec.schema("MFAMode")["enum"] == ["ON", "OFF", "OPTIONAL"]
    for name in spec.enum_names():
        assert all(isinstance(v, str) for v in spec.schema(name)["enum"]), name


def test_list_backend_jobs_max_results_is_bounded_int32():
    prop = spec.schema("ListBackendJobReqObj")["properties"]["maxResults"]
    assert prop == {**prop, "type": "integer", "format": "int32", "minimum": 1, "maximum": 25}

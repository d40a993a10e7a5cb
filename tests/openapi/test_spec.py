"""The spec is valid OpenAPI, and the loader reads it as the rest of the project expects."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import amplify_openapi as spec
import pytest
from amplify_conformance._checks import cors
from amplify_conformance._target import Reply
from hypothesis import example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]


def test_spec_is_valid_openapi():
    validate(spec.document())


def test_public_names_are_pinned():
    assert spec.__all__ == [
        "Operation",
        "document",
        "enum_names",
        "errors",
        "is_valid",
        "model_names",
        "operation",
        "operations",
        "resources",
        "schema",
        "spelling_groups",
        "spellings",
        "validator",
    ]


def test_loader_reads_thirty_resources_and_thirty_one_operations():
    assert len(spec.resources()) == 30
    assert len(spec.operations()) == 31
    assert all(op.status_codes == ("200", "400", "404", "429", "504") for op in spec.operations())


def test_document_is_loaded_once():
    assert spec.document() is spec.document()


def test_validator_rejects_null_and_names_the_path():
    validator = spec.validator("CreateBackendAuthReqObj")
    errors = list(validator.iter_errors({"resourceName": None, "backendEnvironmentName": "dev"}))
    assert any(list(e.path) == ["resourceName"] and e.validator == "type" for e in errors)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def _model_and_data(draw):
    """A component and data shaped like it: its members, each holding any JSON (so some valid,
    most not, many wrong in one place only)."""
    name = draw(st.sampled_from(sorted(spec.document()["components"]["schemas"])))
    members = list(spec.schema(name).get("properties", {}))
    if not members or draw(st.booleans()):
        return name, draw(_JSON)
    chosen = draw(st.lists(st.sampled_from(members), unique=True))
    return name, {member: draw(_JSON | st.sampled_from(["dev", "a", 1, True])) for member in chosen}


@settings(max_examples=300, deadline=None)
@given(_model_and_data())
def test_the_quick_validity_check_says_what_jsonschema_says(model_and_data):
    name, data = model_and_data
    reference = sorted(spec.validator(name).iter_errors(data), key=lambda e: list(e.path))
    assert [e.message for e in spec.errors(name, data)] == [e.message for e in reference]
    assert spec.is_valid(name, data) == (not reference)


def test_every_link_names_a_spec_operation():
    ids = {op.operation_id for op in spec.operations()}
    links = [
        link
        for item in spec.document()["paths"].values()
        for op in item.values()
        for link in op.get("responses", {}).get("200", {}).get("links", {}).values()
    ]
    assert len(links) >= 10
    assert all(link["operationId"] in ids for link in links)


def _allow_methods(path: str) -> dict:
    """The Access-Control-Allow-Methods header the spec declares on OPTIONS of a resource."""
    ref = spec.document()["paths"][path]["options"]["responses"]["200"]["$ref"]
    return spec.document()["components"]["responses"][ref.rsplit("/", 1)[1]]["headers"]["Access-Control-Allow-Methods"]


def _cors_reply(allow_methods: str) -> Reply:
    return Reply(
        200,
        {
            "access-control-allow-origin": "*",
            "access-control-allow-methods": allow_methods,
            "access-control-allow-headers": "Content-Type",
        },
        b"",
    )


_ITEM = st.sampled_from(["GET", "POST", "OPTIONS", "get", "Post", "PUT", "DELETE", "*", "GETPOST", "GET POST", ""]) | (
    st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters=","), max_size=6)  # a header value
)
_PAD = st.sampled_from(["", " ", "\t", "  "])


@settings(deadline=None)  # an example's time is the machine's load, not what the test is about
@given(
    path=st.sampled_from(sorted(spec.resources())),
    items=st.lists(st.tuples(_PAD, _ITEM, _PAD).map("".join), min_size=1, max_size=5),
)
@example(path="/backend/{appId}/details", items=["commodo"])
@example(path="/backend/{appId}/details", items=["OPTIONS"])
@example(path="/backend/{appId}/details", items=["OPTIONS", " post"])
@example(path="/backend/{appId}/challenge/{sessionId}", items=["POST", "OPTIONS"])
@example(path="/backend/{appId}/job/{backendEnvironmentName}/{jobId}", items=["POST", "GET"])
@example(path="/backend/{appId}/job/{backendEnvironmentName}/{jobId}", items=["GET", "OPTIONS"])
@example(path="/backend/{appId}/job/{backendEnvironmentName}/{jobId}", items=["*"])
def test_allow_methods_schema_accepts_what_the_cors_check_accepts(path, items):
    """A validator driven by the spec and the suite's R3 check agree on every value: the header's
    schema fails no conformant implementation (any order, OPTIONS or not, extras, `*`)."""
    value = ",".join(items)
    assert Draft4Validator(_allow_methods(path)["schema"]).is_valid(value) == cors(path, _cors_reply(value)).ok


@pytest.mark.parametrize("path", sorted(spec.resources()))
def test_allow_methods_example_is_valid_and_passes_the_cors_check(path):
    header = _allow_methods(path)
    assert Draft4Validator(header["schema"]).is_valid(header["example"])
    assert cors(path, _cors_reply(header["example"])).ok


@pytest.mark.slow
def test_installed_copy_loads_the_spec_from_another_folder(tmp_path):
    """pip install . (not editable) into a fresh venv; the spec ships as package data, and the
    subpackages (reporting, workflows, the CLI) ship with their package."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(ROOT)], check=True)
    # dependencies come from this environment; the package itself only from the new one
    deps = os.pathsep.join(p for p in sys.path if p.endswith("site-packages"))
    # the new environment's own site-packages first, so its copy wins over any other install
    code = (
        "import site, sys; sys.path[:0] = site.getsitepackages(); "
        "import amplify_openapi as s, amplify_conformance._reporting as r, amplify_conformance._workflows as w, "
        "amplify_conformance.cli as c; "
        "assert all(m.__file__.startswith(s.__file__.rsplit('amplify_openapi', 1)[0]) for m in (r, w, c)), r.__file__; "
        "print(len(s.operations()), s.__file__)"
    )
    out = subprocess.run(
        [python, "-c", code],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": deps},
    )
    count, location = out.stdout.split()
    assert count == "31"
    assert str(env_dir) in location and not location.startswith(str(ROOT))


def test_spellings_group_every_documented_spelling_under_the_wire_name():
    groups = spec.spelling_groups()
    assert ("openIDIatTTL", "openIDlatTTL", "openIDiatTTL") in groups
    assert ("openIDIssueURL", "openIDIssuerURL") in groups
    assert spec.spellings("openIDiatTTL") == ("openIDIatTTL", "openIDlatTTL", "openIDiatTTL")
    assert spec.spellings("appId") == ("appId",)


def test_error_models_go_by_the_reference_names_and_the_sdk_names():
    assert spec.model_names("InternalServiceException") == (
        "InternalServiceException",
        "InternalServerErrorException",
        "InternalServerError",
        "GatewayTimeoutException",
    )
    assert spec.model_names("LimitExceededException") == ("LimitExceededException", "TooManyRequestsException")
    assert spec.model_names("BadRequestException") == ("BadRequestException",)

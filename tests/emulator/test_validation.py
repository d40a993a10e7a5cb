"""R4-R6 on the clean emulator: required members, enums, types, bounds and malformed
bodies are answered 400 with a message naming the member's path and what was wrong."""

from __future__ import annotations

import copy

import amplify_openapi
import pytest

from .conftest import AUTH_CONFIG, STORAGE_CONFIG, Client


@pytest.fixture
def app(client: Client) -> str:
    return client.new_backend()


def _auth_body(**user_pool) -> dict:
    config = copy.deepcopy(AUTH_CONFIG)
    config["userPoolConfigs"].update(user_pool)
    return {"backendEnvironmentName": "dev", "resourceName": "auth", "resourceConfig": config}


def _bad_request(reply) -> str:
    assert reply.status == 400, reply.text
    assert reply.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert set(reply.json) == {"message"}
    return reply.json["message"]


def test_enum_violation_names_path_value_and_allowed_values(client, app):
    message = _bad_request(client.post(f"/backend/{app}/auth", _auth_body(signInMethod="X")))
    assert message == (
        "resourceConfig.userPoolConfigs.signInMethod: "
        "'X' is not one of EMAIL, EMAIL_AND_PHONE_NUMBER, PHONE_NUMBER, USERNAME"
    )


@pytest.mark.parametrize("value", amplify_openapi.schema("SignInMethod")["enum"])
def test_every_documented_enum_value_is_accepted(client, app, value):
    assert client.post(f"/backend/{app}/auth", _auth_body(signInMethod=value)).status == 200


def test_enum_inside_an_array_names_the_index(client, app):
    message = _bad_request(client.post(f"/backend/{app}/auth", _auth_body(requiredSignUpAttributes=["EMAIL", "SHOE"])))
    assert message.startswith(
        "resourceConfig.userPoolConfigs.requiredSignUpAttributes[1]: 'SHOE' is not one of ADDRESS"
    )


def test_missing_required_member_at_depth_is_named(client, app):
    config = copy.deepcopy(STORAGE_CONFIG)
    del config["permissions"]
    body = {"backendEnvironmentName": "dev", "resourceName": "s", "resourceConfig": config}
    assert _bad_request(client.post(f"/backend/{app}/storage", body)) == (
        "resourceConfig.permissions: required member is missing"
    )


def test_missing_top_level_member_is_named(client):
    assert _bad_request(client.post("/backend", {"appId": "a", "appName": "n"})) == (
        "backendEnvironmentName: required member is missing"
    )


def test_several_violations_are_all_named(client):
    message = _bad_request(client.post("/backend", {"appId": 5}))
    assert "appId: 5 is not of type string" in message
    assert "appName: required member is missing" in message


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "null"), (7, "7"), (True, "true"), ([], "[]"), ({}, "{}")],
)
def test_wrong_types_including_null_are_rejected(client, app, value, shown):
    message = _bad_request(client.post(f"/backend/{app}/api/dev/details", {"resourceName": value}))
    assert message == f"resourceName: {shown} is not of type string"


def test_a_huge_wrong_value_is_shortened_in_the_message(client, app):
    message = _bad_request(client.post(f"/backend/{app}/job/dev", {"status": ["x" * 10_000]}))
    assert len(message) < 200 and message.startswith("status: ")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (0, False),
        (1, True),
        (25, True),
        (26, False),
        (-3, False),
        (2.5, False),
        ("5", False),
        (10**40, False),
    ],
)
def test_list_backend_jobs_max_results_bounds(client, app, value, ok):
    reply = client.post(f"/backend/{app}/job/dev", {"maxResults": value})
    assert reply.status == (200 if ok else 400), reply.text
    if not ok:
        assert reply.json["message"].startswith("maxResults: ")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"{not json", "not JSON"),
        (b'{"a": 1', "not JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"resourceName": NaN}', "not JSON"),
        (b"[1, 2]", "must be a JSON object, not array"),
        (b'"text"', "must be a JSON object, not string"),
        (b"null", "must be a JSON object, not null"),
        (b"42", "must be a JSON object, not number"),
        (b"[" * 100_000, "not JSON"),
        (b" \t\n", "not JSON"),
        (b"   ", "not JSON"),
    ],
)
def test_malformed_bodies_are_bad_requests(client, app, raw, fragment):
    message = _bad_request(client.post(f"/backend/{app}/details", raw=raw))
    assert fragment in message


@pytest.mark.parametrize("raw", [b"", b"{}"])
def test_an_empty_body_counts_as_an_empty_object(client, app, raw):
    assert client.post(f"/backend/{app}/details", raw=raw).status == 200
    assert _bad_request(client.post(f"/backend/{app}/api/dev/details", raw=raw)) == (
        "resourceName: required member is missing"
    )


def test_unknown_extra_members_are_ignored_at_every_depth(client, app):
    body = _auth_body(extraInPool=1)
    body["extra"] = {"deep": [None]}
    body["resourceConfig"]["alsoExtra"] = None
    assert client.post(f"/backend/{app}/auth", body).status == 200


def test_operations_without_a_body_model_still_reject_non_json(client, app):
    assert client.post(f"/backend/{app}/challenge", raw=b"<xml/>").status == 400
    assert client.post(f"/backend/{app}/challenge", {"anything": 1}).status == 200


def test_a_violation_changes_no_state(client, app):
    body = _auth_body(signInMethod="X")
    client.post(f"/backend/{app}/auth", body)
    assert client.post(f"/backend/{app}/auth/dev/details", {"resourceName": "auth"}).status == 404


def test_deep_nesting_is_a_bad_request_even_where_any_object_is_allowed(client, app):
    settings: dict = {}
    for _ in range(900):
        settings = {"x": settings}
    body = _auth_body(mfa={"MFAMode": "ON", "settings": settings})
    assert "deeper than" in _bad_request(client.post(f"/backend/{app}/auth", body))
    shallow = _auth_body(mfa={"MFAMode": "ON", "settings": {"a": [[{"b": [1]}]]}})
    assert client.post(f"/backend/{app}/auth", shallow).status == 200


def test_a_body_breaking_its_schema_everywhere_is_answered_quickly(client, app):
    body = _auth_body(requiredSignUpAttributes=[None] * 100_000)
    message = _bad_request(client.post(f"/backend/{app}/auth", body))
    assert message.count(";") == 4  # five violations named

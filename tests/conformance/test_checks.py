"""Each exchange check on recorded answers: it catches its fault and stays silent on a conformant one."""

from __future__ import annotations

import json

import amplify_openapi as spec
import pytest
from amplify_conformance import _checks as C
from amplify_conformance._target import Reply

GET_BACKEND = spec.operation("GetBackend")
CREATE_TOKEN = spec.operation("CreateToken")


def reply(status=200, body=None, content_type="application/json", **headers) -> Reply:
    raw = body if isinstance(body, bytes) else json.dumps(body if body is not None else {}).encode()
    base = {"content-type": content_type, "x-amzn-requestid": "r-1"}
    base.update({k.replace("_", "-").lower(): v for k, v in headers.items()})
    return Reply(status, {k: v for k, v in base.items() if v is not None}, raw)


GOOD_TOKEN = {"appId": "a", "sessionId": "s", "ttl": "60", "challengeCode": "c"}


@pytest.mark.parametrize(
    ("check", "conformant", "broken"),
    [
        (C.status_code, reply(200, GOOD_TOKEN), reply(500, {"message": "boom"})),
        (
            C.content_type,
            reply(200, GOOD_TOKEN, "application/json; charset=utf-8"),
            reply(200, GOOD_TOKEN, "text/plain"),
        ),
        (
            C.body_schema,
            reply(200, GOOD_TOKEN),
            reply(200, {k: v for k, v in GOOD_TOKEN.items() if k != "challengeCode"}),
        ),
        (C.no_5xx, reply(504, {"message": "try later"}), reply(502, {"message": "bad gateway"})),
        (C.request_id, reply(200, GOOD_TOKEN), reply(200, GOOD_TOKEN, x_amzn_requestid=None)),
        (C.route, reply(404, {"message": "no app"}), reply(404, b"<html>Not Found</html>", "text/html")),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_exchange_check_catches_its_fault_and_passes_conformant_answers(check, conformant, broken):
    assert check(CREATE_TOKEN, conformant).ok
    seen = check(CREATE_TOKEN, broken)
    assert not seen.ok
    assert seen.saw  # it says what it saw


def test_body_schema_judges_error_bodies_by_their_status():
    assert C.body_schema(GET_BACKEND, reply(404, {"message": "x", "resourceType": "backend"})).ok
    seen = C.body_schema(GET_BACKEND, reply(404, {"message": "x", "resourceType": 7}))
    assert not seen.ok and "resourceType" in seen.saw and "NotFoundException" in seen.saw


def test_body_schema_leaves_undocumented_statuses_to_r1():
    assert C.body_schema(GET_BACKEND, reply(418, {})) is None


def test_body_schema_tolerates_extra_members_and_rejects_null():
    assert C.body_schema(CREATE_TOKEN, reply(200, {**GOOD_TOKEN, "extra": [1]})).ok
    assert not C.body_schema(CREATE_TOKEN, reply(200, {**GOOD_TOKEN, "ttl": None})).ok


def test_error_type_wants_the_error_name_and_allows_the_botocore_suffix():
    assert C.error_type(GET_BACKEND, reply(200, {})) is None
    assert C.error_type(GET_BACKEND, reply(404, {}, x_amzn_errortype="NotFoundException:http://x/")).ok
    assert not C.error_type(GET_BACKEND, reply(404, {})).ok
    assert not C.error_type(GET_BACKEND, reply(400, {}, x_amzn_errortype="NotFoundException")).ok


def test_header_case_and_media_type_parameters_are_left_open():
    answer = Reply(
        200,
        {"content-type": "Application/JSON;charset=UTF-8", "x-amzn-requestid": "1"},
        json.dumps(GOOD_TOKEN).encode(),
    )
    assert C.content_type(CREATE_TOKEN, answer).ok


def test_cors_wants_the_three_headers_and_the_documented_methods():
    good = reply(
        200,
        None,
        access_control_allow_origin="*",
        access_control_allow_methods="POST, OPTIONS",
        access_control_allow_headers="Content-Type",
    )
    assert C.cors("/backend/{appId}/details", good).ok
    lacking = reply(200, None, access_control_allow_origin="*", access_control_allow_headers="x")
    assert not C.cors("/backend/{appId}/details", lacking).ok
    wrong = reply(
        200, None, access_control_allow_origin="*", access_control_allow_methods="GET", access_control_allow_headers="x"
    )
    seen = C.cors("/backend/{appId}/details", wrong)
    assert not seen.ok and "POST" in seen.saw


def test_expectation_leaves_throttled_and_timed_out_answers_unjudged():
    assert C.expectation(C.REQUIRED, "reject", "x removed", reply(429, {})) is None
    assert C.expectation(C.REQUIRED, "reject", "x removed", reply(504, {})) is None
    assert C.expectation(C.REQUIRED, "reject", "x removed", reply(400, {})).ok
    seen = C.expectation(C.REQUIRED, "reject", "x removed", reply(200, {}))
    assert not seen.ok and "expected 400, got 200" in seen.saw


def test_every_check_has_a_level_and_a_question():
    assert set(C.LEVELS) == {info.level for info in C.CHECKS.values()}
    assert all(info.question.endswith("?") for info in C.CHECKS.values())
    assert all(kind_check in C.CHECKS for kind_check in C.EXPECTATION_CHECK.values())


def test_public_names_are_pinned():
    import amplify_conformance

    assert amplify_conformance.__all__ == [
        "CHECKS",
        "DEFAULT_SEED",
        "Deviations",
        "DeviationsError",
        "LEVELS",
        "LeftBehind",
        "ParityError",
        "ParityOptions",
        "ParityResult",
        "RANDOM_SEED",
        "Recorder",
        "RunOptions",
        "RunResult",
        "SigV4Target",
        "Target",
        "TargetUnreachable",
        "apply_deviations",
        "clean_up",
        "load_deviations",
        "load_recording",
        "parity",
        "run",
        "write_recording",
    ]
    assert all(getattr(amplify_conformance, name) is not None for name in amplify_conformance.__all__)


def test_importing_the_package_stays_cheap_for_the_pytest_plugin():
    import subprocess
    import sys

    code = (
        "import sys, amplify_conformance.pytest_plugin; "
        "print('hypothesis' in sys.modules, 'amplify_strategies' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]

"""Each deliberate fault breaks what it says, and only when it is switched on: with one
fault on, its probe sees the break and every other fault's probe sees a clean answer."""

from __future__ import annotations

import copy

import amplify_openapi
import pytest
from amplify_emulator import FAULTS

from .conftest import API_CONFIG, AUTH_CONFIG, AUTH_UPDATE, STORAGE_CONFIG, Client, unique


def _with_api(c: Client) -> str:
    app = c.new_backend()
    c.post(
        f"/backend/{app}/api",
        {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": API_CONFIG},
    )
    return app


def _with_auth(c: Client) -> str:
    app = c.new_backend()
    c.post(
        f"/backend/{app}/auth",
        {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": AUTH_CONFIG},
    )
    return app


def r1_status_code(c: Client) -> bool:
    return c.post(f"/backend/{_with_api(c)}/api/dev/getModels", {"resourceName": "a"}).status == 202


def r1_route(c: Client) -> bool:
    app = c.new_backend()
    session = c.post(f"/backend/{app}/challenge").json["sessionId"]
    reply = c.post(f"/backend/{app}/challenge/{session}/remove")
    return reply.status == 404 and reply.headers["Content-Type"].startswith("text/html")


def r2_content_type(c: Client) -> bool:
    return c.post(f"/backend/{c.new_backend()}/details").headers["Content-Type"].startswith("text/plain")


def r2_body_schema(c: Client) -> bool:
    return "challengeCode" not in c.post(f"/backend/{c.new_backend()}/challenge").json


def r2_error_body(c: Client) -> bool:
    reply = c.post(f"/backend/{c.new_backend()}/storage/dev/details", {"resourceName": "s"})
    return reply.status == 404 and isinstance(reply.json["resourceType"], int)


def r3_cors(c: Client) -> bool:
    return "Access-Control-Allow-Methods" not in c.request("OPTIONS", "/backend/x/details").headers


def r4_required(c: Client) -> bool:
    config = {k: v for k, v in STORAGE_CONFIG.items() if k != "permissions"}
    body = {"backendEnvironmentName": "dev", "resourceName": "s", "resourceConfig": config}
    return c.post(f"/backend/{c.new_backend()}/storage", body).status == 200


def r5_enum_rejected(c: Client) -> bool:
    app = _with_auth(c)
    config = copy.deepcopy(AUTH_UPDATE)
    config["userPoolConfigs"]["mfa"]["MFAMode"] = "SOMETIMES"
    accepted = c.post(f"/backend/{app}/auth/dev", {"resourceName": "a", "resourceConfig": config}).status == 200
    # the stored config stays valid: GetBackendAuth does not inherit the fault
    got = c.post(f"/backend/{app}/auth/dev/details", {"resourceName": "a"}).json
    assert not list(amplify_openapi.validator("GetBackendAuthRespObj").iter_errors(got))
    return accepted


def r5_enum_accepted(c: Client) -> bool:
    config = copy.deepcopy(AUTH_CONFIG)
    config["userPoolConfigs"]["signInMethod"] = "PHONE_NUMBER"
    body = {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": config}
    return c.post(f"/backend/{c.new_backend()}/auth", body).status == 400


def r6_wrong_type(c: Client) -> bool:
    app = c.new_backend()
    job = c.post(f"/backend/{app}/job/dev").json["jobs"][0]["jobId"]
    accepted = c.post(f"/backend/{app}/job/dev/{job}", {"status": 5}).status == 200
    assert isinstance(c.get(f"/backend/{app}/job/dev/{job}").json["status"], str)
    return accepted


def r6_bounds(c: Client) -> bool:
    return c.post(f"/backend/{c.new_backend()}/job/dev", {"maxResults": 26}).status == 200


def r6_malformed(c: Client) -> bool:
    return c.post(f"/backend/{c.new_backend()}/config", raw=b"{not json").status == 500


def r7_not_found(c: Client) -> bool:
    return c.post(f"/backend/{unique('ghost')}/auth/dev/details", {"resourceName": "a"}).status == 200


def r8_resource_lifecycle(c: Client) -> bool:
    app = _with_api(c)
    assert c.post(f"/backend/{app}/api/dev/remove", {"resourceName": "a"}).status == 200
    return c.post(f"/backend/{app}/api/dev/details", {"resourceName": "a"}).status == 200


def r8_token(c: Client) -> bool:
    app = c.new_backend()
    token = c.post(f"/backend/{app}/challenge").json
    if "challengeCode" not in token:  # r2_body_schema is on
        return False
    return c.get(f"/backend/{app}/challenge/{token['sessionId']}").json["challengeCode"] != token["challengeCode"]


def r8_job_list(c: Client) -> bool:
    app = c.new_backend()
    c.post(f"/backend/{app}/config")
    job = c.post(f"/backend/{app}/job/dev").json["jobs"][0]["jobId"]
    c.post(f"/backend/{app}/job/dev/{job}", {"status": "FAILED"})
    return len(c.post(f"/backend/{app}/job/dev", {"status": "FAILED"}).json["jobs"]) != 1


def r8_echo(c: Client) -> bool:
    app = c.new_backend()
    reply = c.post(f"/backend/{app}/environments/dev/clone", {"targetEnvironmentName": "copy"}).json
    # the job is resolvable under the name answered, so only the echo is broken
    assert c.get(f"/backend/{app}/job/{reply['backendEnvironmentName']}/{reply['jobId']}").status == 200
    return reply["backendEnvironmentName"] != "dev"


def aws_error_type(c: Client) -> bool:
    reply = c.get(f"/backend/{c.new_backend()}/job/dev/nope")
    return reply.status == 404 and "x-amzn-ErrorType" not in reply.headers


def aws_request_id(c: Client) -> bool:
    return "x-amzn-RequestId" not in c.post("/s3Buckets").headers


def r6_extra_member(c: Client) -> bool:
    body = {"userPoolId": "p", "webClientId": "w", "nativeClientId": "n", "undocumented": 1}
    return c.post(f"/backend/{c.new_backend()}/auth/dev/import", body).status == 400


def r6_unvalidated(c: Client) -> bool:
    return c.post("/s3Buckets", {"nextToken": 7}).status == 200


def r6_token_unicode(c: Client) -> bool:
    return c.post("/s3Buckets", {"nextToken": "tok\u00e9n"}).status == 500


def r8_backend_env(c: Client) -> bool:
    app = c.new_backend()
    assert c.post("/backend", {"appId": app, "appName": "demo", "backendEnvironmentName": "second"}).status == 200
    return "second" not in c.post(f"/backend/{app}/details").json["backendEnvironmentList"]


def r8_remove_all(c: Client) -> bool:
    app = c.new_backend()
    assert c.post(f"/backend/{app}/remove").status == 200
    return c.post(f"/backend/{app}/details").status == 200


PROBES = {
    fn.__name__: fn
    for fn in [
        r1_status_code,
        r1_route,
        r2_content_type,
        r2_body_schema,
        r2_error_body,
        r3_cors,
        r4_required,
        r5_enum_rejected,
        r5_enum_accepted,
        r6_wrong_type,
        r6_bounds,
        r6_malformed,
        r7_not_found,
        r8_resource_lifecycle,
        r8_token,
        r8_job_list,
        r8_echo,
        aws_error_type,
        aws_request_id,
        r6_extra_member,
        r6_unvalidated,
        r8_backend_env,
        r8_remove_all,
        r6_token_unicode,
    ]
}


def test_every_fault_has_a_probe():
    assert set(PROBES) == set(FAULTS)


def test_the_clean_emulator_commits_no_fault(client):
    assert [name for name, probe in PROBES.items() if probe(client)] == []


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_a_fault_breaks_exactly_what_it_says(faulty, name):
    client = faulty(name)
    assert [probe_name for probe_name, probe in PROBES.items() if probe(client)] == [name]


def test_faults_combine(faulty):
    on = set(FAULTS) - {"r2_body_schema"}  # it hides the challengeCode the r8_token probe compares
    client = faulty(*on)
    assert [name for name, probe in PROBES.items() if probe(client)] == [n for n in PROBES if n in on]

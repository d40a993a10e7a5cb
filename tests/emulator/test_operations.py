"""Behaviour of the operations on the clean emulator: R7 not-found, R8 state, echo, and
every 200 answer validating against its documented model."""

from __future__ import annotations

import amplify_openapi
import pytest
from amplify_emulator._state import id_prefix

from .conftest import API_CONFIG, AUTH_CONFIG, AUTH_UPDATE, STORAGE_CONFIG, Client, unique

ALL_OPERATIONS = {op.operation_id for op in amplify_openapi.operations()}


def _exchanges(client: Client):
    """One call of every operation in a sensible order: (operation id, request path values, reply)."""
    app, env = unique("every"), "dev"
    b = f"/backend/{app}"
    steps = [
        (
            "CreateBackend",
            "POST",
            "/backend",
            {"appId": app, "appName": "every", "backendEnvironmentName": env},
        ),
        ("GetBackend", "POST", f"{b}/details", {"backendEnvironmentName": env}),
        (
            "CreateBackendAPI",
            "POST",
            f"{b}/api",
            {"backendEnvironmentName": env, "resourceName": "api", "resourceConfig": API_CONFIG},
        ),
        ("GetBackendAPI", "POST", f"{b}/api/{env}/details", {"resourceName": "api"}),
        (
            "UpdateBackendAPI",
            "POST",
            f"{b}/api/{env}",
            {"resourceName": "api", "resourceConfig": {"apiName": "x"}},
        ),
        ("GenerateBackendAPIModels", "POST", f"{b}/api/{env}/generateModels", {"resourceName": "api"}),
        ("GetBackendAPIModels", "POST", f"{b}/api/{env}/getModels", {"resourceName": "api"}),
        (
            "CreateBackendAuth",
            "POST",
            f"{b}/auth",
            {"backendEnvironmentName": env, "resourceName": "auth", "resourceConfig": AUTH_CONFIG},
        ),
        ("GetBackendAuth", "POST", f"{b}/auth/{env}/details", {"resourceName": "auth"}),
        (
            "UpdateBackendAuth",
            "POST",
            f"{b}/auth/{env}",
            {"resourceName": "auth", "resourceConfig": AUTH_UPDATE},
        ),
        ("DeleteBackendAuth", "POST", f"{b}/auth/{env}/remove", {"resourceName": "auth"}),
        (
            "ImportBackendAuth",
            "POST",
            f"{b}/auth/{env}/import",
            {"userPoolId": "p", "webClientId": "w", "nativeClientId": "n"},
        ),
        (
            "CreateBackendStorage",
            "POST",
            f"{b}/storage",
            {"backendEnvironmentName": env, "resourceName": "s3", "resourceConfig": STORAGE_CONFIG},
        ),
        ("GetBackendStorage", "POST", f"{b}/storage/{env}/details", {"resourceName": "s3"}),
        (
            "UpdateBackendStorage",
            "POST",
            f"{b}/storage/{env}",
            {
                "resourceName": "s3",
                "resourceConfig": {"serviceName": "S3", "permissions": {"authenticated": ["DELETE"]}},
            },
        ),
        (
            "DeleteBackendStorage",
            "POST",
            f"{b}/storage/{env}/remove",
            {"resourceName": "s3", "serviceName": "S3"},
        ),
        (
            "ImportBackendStorage",
            "POST",
            f"{b}/storage/{env}/import",
            {"bucketName": "old", "serviceName": "S3"},
        ),
        ("ListS3Buckets", "POST", "/s3Buckets", {}),
        ("CreateToken", "POST", f"{b}/challenge", None),
        ("GetToken", "GET", f"{b}/challenge/{{sessionId}}", None),
        ("DeleteToken", "POST", f"{b}/challenge/{{sessionId}}/remove", None),
        ("CreateBackendConfig", "POST", f"{b}/config", {"backendManagerAppId": app}),
        (
            "UpdateBackendConfig",
            "POST",
            f"{b}/config/update",
            {"loginAuthConfig": {"aws_cognito_region": "eu-west-1"}},
        ),
        ("RemoveBackendConfig", "POST", f"{b}/config/remove", None),
        ("ListBackendJobs", "POST", f"{b}/job/{env}", {"maxResults": 25}),
        ("GetBackendJob", "GET", f"{b}/job/{env}/{{jobId}}", None),
        ("UpdateBackendJob", "POST", f"{b}/job/{env}/{{jobId}}", {"operation": "x", "status": "FAILED"}),
        ("CloneBackend", "POST", f"{b}/environments/{env}/clone", {"targetEnvironmentName": "copy"}),
        ("DeleteBackendAPI", "POST", f"{b}/api/copy/remove", {"resourceName": "api"}),
        ("DeleteBackend", "POST", f"{b}/environments/copy/remove", None),
        ("RemoveAllBackends", "POST", f"{b}/remove", {"cleanAmplifyApp": False}),
    ]
    values = {}
    for op_id, method, path, body in steps:
        reply = client.request(method, path.format(**values), body)
        if op_id == "CreateToken":
            values["sessionId"] = reply.json["sessionId"]
        if op_id == "CreateBackend":
            values["jobId"] = reply.json["jobId"]
        yield op_id, body, reply


def test_every_operation_answers_200_with_its_documented_model(client):
    seen = set()
    for op_id, _, reply in _exchanges(client):
        operation = amplify_openapi.operation(op_id)
        assert reply.status == 200, (op_id, reply.text)
        assert reply.headers["Content-Type"] == "application/json"
        errors = [e.message for e in amplify_openapi.validator(operation.response_schema(200)).iter_errors(reply.json)]
        assert not errors, (op_id, errors)
        seen.add(op_id)
    assert seen == ALL_OPERATIONS


def test_every_job_answer_is_resolvable_and_listed(client):
    jobs = []
    app = None
    for op_id, _, reply in _exchanges(client):
        operation = amplify_openapi.operation(op_id)
        documents_job = "jobId" in amplify_openapi.schema(operation.response_schema(200)).get("properties", {})
        if op_id == "CreateBackend":
            app = reply.json["appId"]
        if documents_job and op_id != "RemoveAllBackends":
            assert reply.json.get("jobId"), op_id
            jobs.append((op_id, reply.json["backendEnvironmentName"], reply.json["jobId"]))
        if op_id == "DeleteBackend":
            break  # RemoveAllBackends removes the app and its jobs
    assert len(jobs) >= 17
    for op_id, env, job_id in jobs:
        got = client.get(f"/backend/{app}/job/{env}/{job_id}")
        assert got.status == 200, (op_id, got.text)
        assert got.json["jobId"] == job_id and got.json["backendEnvironmentName"] == env
        listed = client.post(f"/backend/{app}/job/{env}", {"jobId": job_id}).json["jobs"]
        assert [j["jobId"] for j in listed] == [job_id], op_id
    assert {op for op, _, _ in jobs} >= {
        "CreateBackend",
        "CreateBackendConfig",
        "CloneBackend",
        "DeleteBackend",
    }


def test_answers_echo_the_request_app_id_and_environment(client):
    for op_id, _, reply in _exchanges(client):
        model = amplify_openapi.schema(amplify_openapi.operation(op_id).response_schema(200)).get("properties", {})
        if "appId" in model:
            assert reply.json["appId"].startswith("every"), op_id
        if "backendEnvironmentName" in model and op_id not in ("CreateBackendConfig", "GetBackend"):
            assert reply.json["backendEnvironmentName"] in ("dev", "copy"), op_id


def test_create_backend_lists_environment_and_adds_to_existing_app(client):
    app = client.new_backend("dev")
    client.post("/backend", {"appId": app, "appName": "demo", "backendEnvironmentName": "test"})
    got = client.post(f"/backend/{app}/details")
    assert got.status == 200
    assert got.json["backendEnvironmentList"] == ["dev", "test"]
    assert got.json["appId"] == app and got.json["appName"] == "demo"
    assert "backendEnvironmentName" not in got.json
    assert (
        client.post(f"/backend/{app}/details", {"backendEnvironmentName": "test"}).json["backendEnvironmentName"]
        == "test"
    )


ROUTES_NAMING_APP = [
    ("POST", "/backend/{app}/details", {}),
    (
        "POST",
        "/backend/{app}/api",
        {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": {}},
    ),
    (
        "POST",
        "/backend/{app}/auth",
        {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": AUTH_CONFIG},
    ),
    (
        "POST",
        "/backend/{app}/storage",
        {"backendEnvironmentName": "dev", "resourceName": "s", "resourceConfig": STORAGE_CONFIG},
    ),
    (
        "POST",
        "/backend/{app}/auth/dev/import",
        {"userPoolId": "p", "webClientId": "w", "nativeClientId": "n"},
    ),
    ("POST", "/backend/{app}/storage/dev/import", {"serviceName": "S3"}),
    ("POST", "/backend/{app}/challenge", None),
    ("GET", "/backend/{app}/challenge/abc", None),
    ("POST", "/backend/{app}/config", {}),
    ("POST", "/backend/{app}/config/update", {}),
    ("POST", "/backend/{app}/config/remove", None),
    ("POST", "/backend/{app}/job/dev", {}),
    ("GET", "/backend/{app}/job/dev/j1", None),
    ("POST", "/backend/{app}/job/dev/j1", {}),
    ("POST", "/backend/{app}/environments/dev/clone", {"targetEnvironmentName": "x"}),
    ("POST", "/backend/{app}/environments/dev/remove", None),
    ("POST", "/backend/{app}/remove", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES_NAMING_APP, ids=[p for _, p, _ in ROUTES_NAMING_APP])
def test_an_app_without_backend_is_not_found(client, method, path, body):
    reply = client.request(method, path.format(app=unique("ghost")), body)
    assert reply.status == 404, reply.text
    assert reply.json["resourceType"] == "backend"
    assert reply.headers["x-amzn-ErrorType"] == "NotFoundException"


def test_create_backend_and_list_s3_buckets_need_no_existing_app(client):
    assert client.post("/s3Buckets").json["buckets"]
    assert (
        client.post("/backend", {"appId": unique("new"), "appName": "n", "backendEnvironmentName": "e"}).status == 200
    )


@pytest.mark.parametrize("category", ["api", "auth", "storage"])
def test_resource_lifecycle_create_get_delete(client, category):
    app = client.new_backend()
    config = {"api": API_CONFIG, "auth": AUTH_CONFIG, "storage": STORAGE_CONFIG}[category]
    get = f"/backend/{app}/{category}/staging/details"
    assert client.post(get, {"resourceName": "r"}).status == 404  # env does not exist yet
    created = client.post(
        f"/backend/{app}/{category}",
        {"backendEnvironmentName": "staging", "resourceName": "r", "resourceConfig": config},
    )
    assert created.status == 200 and created.json["backendEnvironmentName"] == "staging"
    assert "staging" in client.post(f"/backend/{app}/details").json["backendEnvironmentList"]
    got = client.post(get, {"resourceName": "r"})
    assert got.status == 200
    expected = dict(config, imported=False) if category == "storage" else config
    assert got.json["resourceConfig"] == expected and got.json["resourceName"] == "r"
    again = client.post(
        f"/backend/{app}/{category}",
        {"backendEnvironmentName": "staging", "resourceName": "r2", "resourceConfig": config},
    )
    assert again.status == 200  # creating again overwrites
    assert client.post(get, {"resourceName": "anything"}).json["resourceName"] == "r2"
    removal = {"resourceName": "r2", "serviceName": "S3"} if category == "storage" else {"resourceName": "r2"}
    assert client.post(f"/backend/{app}/{category}/staging/remove", removal).status == 200
    assert client.post(get, {"resourceName": "r2"}).status == 404
    assert client.post(f"/backend/{app}/{category}/staging/remove", removal).status == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("api/dev", {"resourceName": "r", "resourceConfig": {}}),
        ("api/dev/generateModels", {"resourceName": "r"}),
        ("api/dev/getModels", {"resourceName": "r"}),
        ("auth/dev", {"resourceName": "r", "resourceConfig": AUTH_UPDATE}),
        (
            "storage/dev",
            {
                "resourceName": "r",
                "resourceConfig": {"serviceName": "S3", "permissions": {"authenticated": []}},
            },
        ),
    ],
)
def test_updating_or_modelling_a_missing_resource_is_not_found(client, path, body):
    app = client.new_backend()
    reply = client.post(f"/backend/{app}/{path}", body)
    assert reply.status == 404
    assert reply.json["resourceType"] == path.split("/")[0]


def test_update_backend_auth_is_reflected_and_keeps_the_create_shape(client):
    app = client.new_backend()
    client.post(
        f"/backend/{app}/auth",
        {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": AUTH_CONFIG},
    )
    update = {
        "authResources": "IDENTITY_POOL_AND_USER_POOL",
        "service": "COGNITO",
        "identityPoolConfigs": {"unauthenticatedLogin": True},  # lacks identityPoolName: not storable as is
        "userPoolConfigs": {"mfa": {"MFAMode": "ON"}, "passwordPolicy": {"minimumLength": 12}},
    }
    assert client.post(f"/backend/{app}/auth/dev", {"resourceName": "a", "resourceConfig": update}).status == 200
    got = client.post(f"/backend/{app}/auth/dev/details", {"resourceName": "a"}).json
    config = got["resourceConfig"]
    assert config["authResources"] == "IDENTITY_POOL_AND_USER_POOL"
    assert config["userPoolConfigs"]["mfa"] == {"MFAMode": "ON"}
    assert config["userPoolConfigs"]["passwordPolicy"] == {"minimumLength": 12}
    assert config["userPoolConfigs"]["userPoolName"] == "pool"
    assert not list(amplify_openapi.validator("GetBackendAuthRespObj").iter_errors(got))


def test_storage_import_and_update(client):
    app = client.new_backend()
    client.post(f"/backend/{app}/storage/dev/import", {"bucketName": "b", "serviceName": "S3"})
    get = f"/backend/{app}/storage/dev/details"
    assert client.post(get, {"resourceName": "b"}).json["resourceConfig"] == {
        "bucketName": "b",
        "serviceName": "S3",
        "imported": True,
    }
    new = {"serviceName": "S3", "permissions": {"authenticated": ["READ"], "unAuthenticated": ["READ"]}}
    client.post(f"/backend/{app}/storage/dev", {"resourceName": "b", "resourceConfig": new})
    assert client.post(get, {"resourceName": "b"}).json["resourceConfig"] == dict(new, bucketName="b", imported=True)


def test_token_lifecycle(client):
    app = client.new_backend()
    token = client.post(f"/backend/{app}/challenge").json
    assert set(token) >= {"appId", "sessionId", "ttl", "challengeCode"} and token["appId"] == app
    got = client.get(f"/backend/{app}/challenge/{token['sessionId']}").json
    assert (got["sessionId"], got["challengeCode"]) == (token["sessionId"], token["challengeCode"])
    assert client.post(f"/backend/{app}/challenge/{token['sessionId']}/remove").json == {"isSuccess": True}
    assert client.get(f"/backend/{app}/challenge/{token['sessionId']}").status == 404
    assert client.post(f"/backend/{app}/challenge/{token['sessionId']}/remove").status == 404


def test_clone_copies_and_delete_removes_an_environment(client):
    app = client.new_backend()
    client.post(
        f"/backend/{app}/api",
        {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": API_CONFIG},
    )
    cloned = client.post(f"/backend/{app}/environments/dev/clone", {"targetEnvironmentName": "prod"})
    assert cloned.status == 200 and cloned.json["backendEnvironmentName"] == "dev"
    assert client.post(f"/backend/{app}/api/prod/details", {"resourceName": "a"}).json["resourceConfig"] == API_CONFIG
    deleted = client.post(f"/backend/{app}/environments/prod/remove")
    assert deleted.status == 200
    assert client.post(f"/backend/{app}/details").json["backendEnvironmentList"] == ["dev"]
    assert client.post(f"/backend/{app}/api/prod/details", {"resourceName": "a"}).status == 404
    # jobs survive DeleteBackend of their environment
    assert client.get(f"/backend/{app}/job/prod/{deleted.json['jobId']}").status == 200
    assert client.post(f"/backend/{app}/environments/prod/remove").status == 404
    assert client.post(f"/backend/{app}/environments/prod/clone", {"targetEnvironmentName": "x"}).status == 404


def test_remove_all_backends_removes_the_app_and_its_jobs(client):
    app = client.new_backend()
    job = client.post(f"/backend/{app}/config").json["jobId"]
    removed = client.post(f"/backend/{app}/remove", {"cleanAmplifyApp": True})
    assert removed.status == 200 and removed.json["appId"] == app
    assert client.post(f"/backend/{app}/details").status == 404
    # the same appId can be created again, without the old jobs
    client.post("/backend", {"appId": app, "appName": "again", "backendEnvironmentName": "dev"})
    assert client.get(f"/backend/{app}/job/dev/{job}").status == 404


def test_backend_config_records_its_job_under_the_first_environment(client):
    app = client.new_backend("main")
    created = client.post(f"/backend/{app}/config", {"backendManagerAppId": "manager"}).json
    assert created["backendEnvironmentName"] == "main"
    assert client.get(f"/backend/{app}/job/main/{created['jobId']}").json["operation"] == "CreateBackendConfig"
    updated = client.post(f"/backend/{app}/config/update", {"loginAuthConfig": {"aws_user_pools_id": "p"}}).json
    assert updated == {
        "appId": app,
        "backendManagerAppId": "manager",
        "loginAuthConfig": {"aws_user_pools_id": "p"},
    }
    assert client.post(f"/backend/{app}/config/remove").status == 200


def test_jobs_filters_update_and_paging(client):
    app = client.new_backend()
    for n in range(6):
        client.post(
            f"/backend/{app}/api",
            {"backendEnvironmentName": "dev", "resourceName": f"a{n}", "resourceConfig": {}},
        )
    jobs = client.post(f"/backend/{app}/job/dev").json["jobs"]
    assert len(jobs) == 7 and [j["operation"] for j in jobs].count("CreateBackendAPI") == 6
    target = jobs[3]["jobId"]
    updated = client.post(f"/backend/{app}/job/dev/{target}", {"operation": "Custom", "status": "FAILED"}).json
    assert (updated["operation"], updated["status"], updated["jobId"]) == ("Custom", "FAILED", target)
    got = client.get(f"/backend/{app}/job/dev/{target}").json
    assert (got["operation"], got["status"]) == ("Custom", "FAILED")
    assert got["updateTime"] >= got["createTime"]
    assert [j["jobId"] for j in client.post(f"/backend/{app}/job/dev", {"status": "FAILED"}).json["jobs"]] == [target]
    assert [j["jobId"] for j in client.post(f"/backend/{app}/job/dev", {"operation": "Custom"}).json["jobs"]] == [
        target
    ]
    assert client.post(f"/backend/{app}/job/dev", {"status": "NOPE"}).json["jobs"] == []
    seen, token = [], None
    while True:
        body = {"maxResults": 2} | ({"nextToken": token} if token else {})
        page = client.post(f"/backend/{app}/job/dev", body).json
        assert len(page["jobs"]) <= 2
        seen += [j["jobId"] for j in page["jobs"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == [j["jobId"] for j in jobs]
    assert client.post(f"/backend/{app}/job/dev", {"nextToken": "garbage!"}).status == 400
    assert client.post(f"/backend/{app}/job/dev/nope", {"status": "x"}).status == 404
    assert client.get(f"/backend/{app}/job/other/{target}").status == 404


def test_every_id_the_emulator_makes_has_another_letter_case(client):
    # a near miss differing only in letter case needs a letter: without one the suite cannot send
    # it, and two runs of the emulator would send different requests (parity saw them differ)
    app = client.new_backend()
    sessions = [client.post(f"/backend/{app}/challenge").json["sessionId"] for _ in range(40)]
    jobs = [client.post(f"/backend/{app}/job/dev").json["jobs"][0]["jobId"]]
    assert all(value.swapcase() != value for value in sessions + jobs), sessions + jobs
    drawn = id_prefix("3104101107884462" + "0" * 16)  # a random prefix of digits only (a test run drew it)
    assert drawn.swapcase() != drawn

"""The wire rules on the clean emulator: routes (R1), JSON answers and AWS headers (R2,
aws), CORS (R3), the stage prefix, injected errors, throttling and seeded 504s (R9)."""

from __future__ import annotations

import amplify_openapi
import pytest
from amplify_emulator import EmulatorApp, EmulatorConfig

from .conftest import Client, wsgi_call

RESOURCES = amplify_openapi.resources()


def _concrete(path: str) -> str:
    return (
        path.replace("{appId}", "ghost-app")
        .replace("{backendEnvironmentName}", "dev")
        .replace("{sessionId}", "s1")
        .replace("{jobId}", "j1")
    )


def _error_model(status: int) -> str:
    return amplify_openapi.operations()[0].response_schema(status)


def test_the_spec_has_30_resources_and_31_operations():
    assert len(RESOURCES) == 30 and len(amplify_openapi.operations()) == 31


@pytest.mark.parametrize("path", sorted(RESOURCES))
def test_options_answers_cors_with_the_documented_methods(client, path):
    reply = client.request("OPTIONS", _concrete(path))
    assert reply.status == 200
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert reply.headers["Access-Control-Allow-Headers"]
    methods = {m.strip() for m in reply.headers["Access-Control-Allow-Methods"].split(",")}
    assert set(RESOURCES[path]) <= methods <= set(RESOURCES[path]) | {"OPTIONS"}


@pytest.mark.parametrize("operation", amplify_openapi.operations(), ids=lambda op: op.operation_id)
def test_every_operation_is_routed_and_answers_a_documented_status_with_aws_headers(client, operation):
    reply = client.request(operation.method, _concrete(operation.path), {})
    assert str(reply.status) in operation.status_codes, reply.text
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["x-amzn-RequestId"]
    model = operation.response_schema(reply.status)
    assert not list(amplify_openapi.validator(model).iter_errors(reply.json))
    if reply.status != 200:
        assert reply.headers["x-amzn-ErrorType"] == model


def test_request_ids_differ_between_answers(client):
    ids = {client.post("/s3Buckets").headers["x-amzn-RequestId"] for _ in range(5)}
    assert len(ids) == 5


def test_answers_at_root_and_under_the_stage(emulator):
    staged, root = Client(emulator.base_url), Client(emulator.base_url, stage="")
    assert staged.post("/s3Buckets").status == 200
    assert root.post("/s3Buckets").status == 200
    app = root.new_backend()
    assert staged.post(f"/backend/{app}/details").json["appId"] == app


@pytest.mark.parametrize("stage", ["/v2", "/api/v2", ""])
def test_another_stage_is_honoured(faulty, stage):
    client = faulty(stage=stage)
    assert Client(client.base_url, stage=stage).post("/s3Buckets").status == 200
    assert Client(client.base_url, stage="").post("/s3Buckets").status == 200
    assert Client(client.base_url, stage="/prod").post("/s3Buckets").status == 404


@pytest.mark.parametrize("path", ["/nowhere", "/backend/a/b/c/d/e/f/g", "/backend/a/unknown", "/", "/backend//details"])
def test_unknown_paths_are_json_not_found(client, path):
    reply = client.post(path, {})
    assert reply.status == 404
    assert reply.json["resourceType"] == "route" and reply.json["message"]
    assert reply.headers["x-amzn-ErrorType"] == "NotFoundException"
    assert reply.headers["x-amzn-RequestId"]


def test_a_wrong_method_on_a_documented_resource_is_405_with_allow(client):
    reply = client.request("DELETE", "/backend/x/details")
    assert reply.status == 405
    assert reply.headers["Allow"] == "POST,OPTIONS"
    assert reply.json["message"]
    assert client.request("PUT", "/backend/x/job/dev/j").headers["Allow"] == "GET,POST,OPTIONS"


def test_percent_encoded_path_values_are_decoded_and_echoed(client):
    app = "app with/slash é"
    from urllib.parse import quote

    client.post("/backend", {"appId": app, "appName": "n", "backendEnvironmentName": "d v"})
    reply = client.post(f"/backend/{quote(app, safe='')}/details")
    assert reply.status == 200 and reply.json["appId"] == app
    assert reply.json["backendEnvironmentList"] == ["d v"]


def test_the_wsgi_app_works_in_process_without_a_server():
    app = EmulatorApp(EmulatorConfig())
    reply = wsgi_call(app, "POST", "/prod/backend", b'{"appId":"a","appName":"n","backendEnvironmentName":"e"}')
    assert reply.status == 200 and reply.json["appId"] == "a"
    assert wsgi_call(app, "POST", "/backend/a/details").json["backendEnvironmentList"] == ["e"]


class TestInjection:
    @pytest.mark.parametrize("status", [400, 404, 429, 504])
    def test_injection_forces_the_documented_error(self, faulty, status):
        client = faulty(allow_injection=True)
        app = client.new_backend()
        reply = client.post(f"/backend/{app}/details", {}, **{"x-emulator-inject": str(status)})
        assert reply.status == status
        assert reply.headers["x-amzn-ErrorType"] == _error_model(status)
        assert reply.headers["x-amzn-RequestId"]
        assert not list(amplify_openapi.validator(_error_model(status)).iter_errors(reply.json))
        if status == 429:
            assert reply.json["limitType"]
        if status == 404:
            assert isinstance(reply.json["resourceType"], str)

    def test_injection_changes_no_state(self, faulty):
        client = faulty(allow_injection=True)
        app = client.new_backend()
        client.post(f"/backend/{app}/remove", {}, **{"x-emulator-inject": "504"})
        assert client.post(f"/backend/{app}/details").status == 200

    def test_injection_is_ignored_unless_allowed(self, client):
        app = client.new_backend()
        assert client.post(f"/backend/{app}/details", {}, **{"x-emulator-inject": "504"}).status == 200

    def test_an_unknown_injection_is_a_bad_request(self, faulty):
        client = faulty(allow_injection=True)
        assert client.post("/s3Buckets", {}, **{"x-emulator-inject": "418"}).status == 400


class TestThrottleAndErrors:
    def test_token_bucket_answers_429_limit_exceeded_beyond_the_burst(self, faulty):
        client = faulty(throttle_rps=0.001, throttle_burst=3)
        statuses = [client.post("/s3Buckets").status for _ in range(6)]
        assert statuses == [200, 200, 200, 429, 429, 429]
        reply = client.post("/s3Buckets")
        assert reply.headers["x-amzn-ErrorType"] == "LimitExceededException"
        assert set(reply.json) == {"message", "limitType"}

    def test_options_is_never_throttled(self, faulty):
        client = faulty(throttle_rps=0.001, throttle_burst=1)
        assert all(client.request("OPTIONS", "/s3Buckets").status == 200 for _ in range(3))

    def test_the_bucket_refills(self, faulty):
        import time

        client = faulty(throttle_rps=50, throttle_burst=1)
        assert client.post("/s3Buckets").status == 200
        time.sleep(0.1)
        assert client.post("/s3Buckets").status == 200

    def test_error_rate_answers_seeded_504s_deterministically(self):
        def statuses(seed):
            app = EmulatorApp(EmulatorConfig(error_rate=0.5, seed=seed))
            return [wsgi_call(app, "POST", "/s3Buckets").status for _ in range(40)]

        first = statuses(7)
        assert first == statuses(7)
        assert set(first) == {200, 504}
        assert first != statuses(8)

    def test_a_504_is_an_internal_service_exception(self):
        app = EmulatorApp(EmulatorConfig(error_rate=1.0))
        reply = wsgi_call(app, "POST", "/s3Buckets")
        assert reply.status == 504
        assert reply.headers["x-amzn-ErrorType"] == "InternalServiceException"
        assert set(reply.json) == {"message"}

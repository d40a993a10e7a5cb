"""Targets: SigV4 signing from the credential chain, extra headers, an existing app via --app-id."""

from __future__ import annotations

import json

import pytest
import requests
from amplify_conformance import RunOptions, SigV4Target, Target, run
from amplify_conformance._reporting import render_json
from amplify_emulator import Emulator, EmulatorConfig

from ..hostile import answer, http_target

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def emulator():
    with Emulator(EmulatorConfig(stage="/prod")) as emu:
        yield emu


def test_sigv4_target_signs_every_request_and_the_curl_reproducer_hides_it(emulator, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-value")
    target = SigV4Target(emulator.base_url + "/prod", "us-east-1")
    exchange = target.send("POST", "/s3Buckets", body={})
    headers = exchange.request.headers
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/")
    assert "/us-east-1/amplifybackend/aws4_request" in headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == "session-token-value"
    assert exchange.reply.status == 200
    shown = exchange.request.curl() + json.dumps(exchange.request.to_dict())
    assert "AKIAIOSFODNN7EXAMPLE" not in shown and "session-token-value" not in shown and "AWS4-HMAC" not in shown


def test_a_signed_run_writes_no_credentials_into_its_report(emulator, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    result = run(
        RunOptions(
            base_url=emulator.base_url + "/prod",
            sigv4=True,
            operations=("GetBackend",),
            max_examples=1,
            stateful=False,
            headers={"x-api-key": "k-123"},
        )
    )
    text = render_json(result.to_dict())
    assert result.ok
    assert "AKIAIOSFODNN7EXAMPLE" not in text and SECRET not in text and "k-123" not in text


def test_extra_headers_reach_the_target_and_no_record_of_the_exchange_keeps_their_values():
    seen = []

    def behaviour(handler):
        seen.append(handler.headers.get("x-trace"))
        answer(handler, 200, b"{}")

    with http_target(behaviour) as url:
        exchange = Target(url, headers={"x-trace": "abc"}).send("POST", "/s3Buckets", body={})
    assert seen == ["abc"]
    assert exchange.request.headers["x-trace"] == "<redacted>"  # only the user knows which are secrets
    assert "abc" not in exchange.request.curl() + json.dumps(exchange.request.to_dict())


def test_an_existing_app_is_used_and_never_removed(emulator):
    base = emulator.base_url + "/prod"
    created = requests.post(
        base + "/backend", json={"appId": "mine", "appName": "mine", "backendEnvironmentName": "prod"}
    )
    assert created.status_code == 200
    result = run(RunOptions(base_url=base, app_id="mine", max_examples=1, stateful=False))
    assert result.failing() == set(), result.failing()
    # not even a case meant to be rejected goes to the user's app: accepted, it would remove it
    for check in ("R6.valid-accepted", "R6.wrong-type", "R6.malformed-body"):
        remove_all = result.check("RemoveAllBackends", check)
        assert remove_all["verdict"] == "skipped" and "--app-id" in remove_all["detail"], check
    after = requests.post(base + "/backend/mine/details", json={}).json()
    assert after["backendEnvironmentList"] == ["prod"]  # every environment the run added was deleted
    assert result.to_dict()["cleanup"]["failed"] == 0


def test_with_an_app_id_no_removal_names_an_app_close_to_it():
    # a faulty target that finds an app by any letter case or prefix of its appId, on
    # RemoveAllBackends: the near-miss questions (R7) must not ask it about the user's app
    emu = Emulator(EmulatorConfig(stage="/prod"))
    store, app = emu.app.store, emu.app

    def loose(environ, start_response):
        parts = environ.get("PATH_INFO", "").split("/")  # /prod/backend/{appId}/remove
        if len(parts) == 5 and parts[4] == "remove" and parts[3] and "mine".startswith(parts[3].lower()):
            for key in ("PATH_INFO", "REQUEST_URI", "RAW_URI"):
                if key in environ:
                    environ[key] = environ[key].replace(f"/backend/{parts[3]}/", "/backend/mine/")
        return app(environ, start_response)

    emu.app = loose
    with emu:
        base = emu.base_url + "/prod"
        body = {"appId": "mine", "appName": "mine", "backendEnvironmentName": "prod"}
        assert requests.post(base + "/backend", json=body).status_code == 200
        run(RunOptions(base_url=base, app_id="mine", operations=("RemoveAllBackends",), max_examples=0))
        with store.lock:
            assert "mine" in store.apps and list(store.apps["mine"].environments) == ["prod"]


def test_requests_go_through_the_proxy_the_environment_names_unless_no_proxy_says_not(monkeypatch):
    seen = []

    def proxy(handler):  # a forward proxy that answers for the target itself
        seen.append((handler.command, handler.path, handler.headers.get("Proxy-Authorization")))
        answer(handler, 200, b"{}")

    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with http_target(proxy) as url:
        monkeypatch.setenv("HTTP_PROXY", url.removesuffix("/prod").replace("http://", "http://me:secret@"))
        exchange = Target("http://amplify.invalid/prod").send("POST", "/s3Buckets", body={})
        assert exchange.reply is not None and exchange.reply.status == 200, exchange.error
        assert seen == [("POST", "http://amplify.invalid/prod/s3Buckets", "Basic bWU6c2VjcmV0")]
        monkeypatch.setenv("NO_PROXY", "127.0.0.9")
        exchange = Target("http://127.0.0.9:9/prod").send("POST", "/s3Buckets", body={})
        assert exchange.reply is None and "127.0.0.9:9" in exchange.error  # sent there directly
        assert len(seen) == 1

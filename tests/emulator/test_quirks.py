"""Each quirk does what it says (so the false-alarm tier proves something), stays within the
contract, and combines with the others; unknown and clashing quirks are one clear error."""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import amplify_openapi
import pytest
import requests
from amplify_emulator import Emulator, EmulatorApp, EmulatorConfig, compatible_set, quirks

from .conftest import API_CONFIG, AUTH_CONFIG, AUTH_UPDATE, STORAGE_CONFIG, wsgi_call

SETTINGS = {"openIDIatTTL": "60", "openIDlatTTL": "60", "openIDiatTTL": "60", "openIDIssueURL": "https://a/"}


def _app(*names: str) -> EmulatorApp:
    return EmulatorApp(EmulatorConfig(quirks=frozenset(names)))


def _post(app: EmulatorApp, path: str, body, **headers):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return wsgi_call(app, "POST", path, raw, **headers)


def _backend(app: EmulatorApp, app_id: str = "app1", env: str = "dev") -> str:
    assert _post(app, "/backend", {"appId": app_id, "appName": "a", "backendEnvironmentName": env}).status == 200
    return app_id


def _api_with(app: EmulatorApp, settings: dict) -> dict:
    app_id = _backend(app)
    config = dict(API_CONFIG, defaultAuthType={"mode": "OPENID_CONNECT", "settings": settings})
    body = {"resourceName": "api", "backendEnvironmentName": "dev", "resourceConfig": config}
    assert _post(app, f"/backend/{app_id}/api", body).status == 200
    got = _post(app, f"/backend/{app_id}/api/dev/details", {"resourceName": "api"})
    return got.json["resourceConfig"]["defaultAuthType"]["settings"]


def test_every_quirk_names_what_allows_it_and_has_a_test_here():
    tested = {
        name.removeprefix("test_quirk_").replace("_", "-") for name in globals() if name.startswith("test_quirk_")
    }
    spelled = {name for name in quirks() if name.startswith("spelling-")}
    assert set(quirks()) - spelled == tested
    for quirk in quirks().values():
        assert quirk.allows.startswith("CONTRACT"), quirk.name
        assert quirk.description, quirk.name


def test_default_emulator_accepts_validates_and_echoes_every_spelling():
    app = _app()
    assert _api_with(app, SETTINGS) == SETTINGS
    bad = {"resourceName": "api", "backendEnvironmentName": "dev"}
    bad["resourceConfig"] = dict(API_CONFIG, defaultAuthType={"mode": "AWS_IAM", "settings": {"openIDiatTTL": 1.5}})
    reply = _post(app, "/backend/app1/api", bad)
    assert reply.status == 400 and "openIDiatTTL" in reply.json["message"]


@pytest.mark.parametrize("group", amplify_openapi.spelling_groups(), ids=lambda g: g[0])
def test_a_spelling_quirk_follows_one_spelling_and_ignores_the_others(group):
    for followed in group:
        app = _app(f"spelling-{followed}")
        settings = {name: ("1.5" if name == followed else 1.5) for name in group}  # others: wrong type, ignored
        echoed = _api_with(app, settings)
        assert {k: v for k, v in echoed.items() if k in group} == {followed: "1.5"}


def test_spellings_of_one_member_exclude_each_other():
    with pytest.raises(ValueError, match="exclude each other"):
        EmulatorConfig(quirks=frozenset({"spelling-openIDiatTTL", "spelling-openIDlatTTL"}))
    with pytest.raises(ValueError, match="unknown quirk"):
        EmulatorConfig(quirks="nonsense")
    assert EmulatorConfig(quirks=compatible_set()).quirks == compatible_set()


def test_quirk_exists_first():
    plain, quirked = _app(), _app("exists-first")
    assert _post(plain, "/backend/ghost/details", b"{not json").status == 400
    reply = _post(quirked, "/backend/ghost/details", b"{not json")
    assert reply.status == 404 and reply.json["resourceType"] == "backend"


def _jobs(app: EmulatorApp, app_id: str, count: int) -> None:
    for n in range(count):
        assert _post(app, f"/backend/{app_id}/job/dev", {}).status == 200
        body = {"resourceName": f"api{n}", "backendEnvironmentName": "dev", "resourceConfig": API_CONFIG}
        assert _post(app, f"/backend/{app_id}/api", body).status == 200


def test_quirk_token_restart():
    app = _app("token-restart")
    app_id = _backend(app)
    listed = _post(app, f"/backend/{app_id}/job/dev", {"nextToken": "not-a-token"})
    assert listed.status == 200 and len(listed.json["jobs"]) == 1
    assert _post(_app(), f"/backend/{_backend(_app())}/job/dev", {"nextToken": "x"}).status in (400, 404)


def test_quirk_short_pages():
    app = _app("short-pages")
    app_id = _backend(app)
    _jobs(app, app_id, 5)
    page = _post(app, f"/backend/{app_id}/job/dev", {"maxResults": 4}).json
    assert len(page["jobs"]) == 2 and page["nextToken"]


def test_quirk_newest_first():
    app = _app("newest-first")
    app_id = _backend(app)
    _jobs(app, app_id, 2)
    jobs = _post(app, f"/backend/{app_id}/job/dev", {}).json["jobs"]
    assert [j["operation"] for j in jobs] == ["CreateBackendAPI", "CreateBackendAPI", "CreateBackend"]
    assert jobs[0]["createTime"] >= jobs[-1]["createTime"]


def test_quirk_reorder_arrays():
    app = _app("reorder-arrays")
    app_id = _backend(app)
    body = {"appId": app_id, "appName": "a", "backendEnvironmentName": "prod"}
    assert _post(app, "/backend", body).status == 200
    assert _post(app, f"/backend/{app_id}/details", {}).json["backendEnvironmentList"] == ["prod", "dev"]


def test_quirk_gzip():
    app = _app("gzip")
    _backend(app)
    reply_headers = {}
    import io

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/backend/app1/details",
        "wsgi.input": io.BytesIO(b"{}"),
        "CONTENT_LENGTH": "2",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
    }
    payload = b"".join(app(environ, lambda status, headers: reply_headers.update(headers)))
    assert reply_headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(payload))["appId"] == "app1"
    assert "Content-Encoding" not in _post(app, "/backend/app1/details", {}).headers  # not accepted: plain


def _raw_exchange(emulator_quirks: frozenset[str], request: bytes) -> bytes:
    with Emulator(EmulatorConfig(quirks=emulator_quirks)) as emu:
        host, port = emu.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(request)
            data = b""
            while chunk := sock.recv(65536):  # the request asks for Connection: close
                data += chunk
    return data


_OPTIONS = b"OPTIONS /prod/backend HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def test_quirk_connection_close():
    app = _app("connection-close")
    assert _post(app, "/backend/ghost/details", {}).headers["Connection"] == "close"


def test_quirk_chunked():
    data = _raw_exchange(frozenset({"chunked"}), _OPTIONS)
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    assert b"transfer-encoding: chunked" in head and b"content-length" not in head


def test_quirk_lowercase_headers():
    data = _raw_exchange(frozenset({"lowercase-headers"}), _OPTIONS)
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    assert "access-control-allow-methods: POST,OPTIONS" in head and "Access-Control" not in head


def test_quirk_gateway_403():
    app = _app("gateway-403")
    for method, path in (("POST", "/nowhere"), ("DELETE", "/backend")):
        reply = wsgi_call(app, method, path)
        assert reply.status == 403 and reply.json == {"message": "Missing Authentication Token"}


def test_quirk_error_type_uri():
    reply = _post(_app("error-type-uri"), "/backend/ghost/details", {})
    name, _, uri = reply.headers["x-amzn-ErrorType"].partition(":")
    assert name == "NotFoundException" and uri.startswith("http")
    assert reply.json["__type"] == "NotFoundException"


def test_quirk_extra_members():
    app = _app("extra-members")
    _backend(app)
    answer = _post(app, "/backend/app1/job/dev", {}).json
    assert "xEmulatorExtra" in answer and all("xEmulatorExtra" in job for job in answer["jobs"])


def test_quirk_omit_optional():
    app = _app("omit-optional")
    _backend(app)
    job = _post(app, "/backend/app1/job/dev", {}).json["jobs"][0]
    got = _post(app, f"/backend/app1/job/dev/{job['jobId']}", {}).json  # POST is UpdateBackendJob
    assert "createTime" not in got and "updateTime" not in got and got["jobId"] == job["jobId"]
    assert "appName" not in _post(app, "/backend/app1/details", {}).json


def test_quirk_charset():
    assert _post(_app("charset"), "/backend/ghost/details", {}).headers["Content-Type"] == (
        "application/json; charset=utf-8"
    )


def test_quirk_pretty_json():
    reply = _post(_app("pretty-json"), "/backend/ghost/details", {})
    assert "\n  " in reply.text and "\u00e9" in reply.text and "\\u" not in reply.text


def test_quirk_long_ids():
    app = _app("long-ids")
    _backend(app)
    job = _post(app, "/backend/app1/job/dev", {}).json["jobs"][0]
    token = _post(app, "/backend/app1/challenge", {}).json
    assert len(job["jobId"]) >= 200 and len(token["sessionId"]) >= 200 and len(token["challengeCode"]) >= 200
    assert _post(app, f"/backend/app1/challenge/{token['sessionId']}", {}).status == 405  # GET is GetToken
    assert wsgi_call(app, "GET", f"/backend/app1/challenge/{token['sessionId']}").status == 200


def test_quirk_flaky():
    app = EmulatorApp(EmulatorConfig(quirks=frozenset({"flaky"}), seed=3))
    statuses = [_post(app, "/backend/ghost/details", {}).status for _ in range(400)]
    assert set(statuses) == {404, 429, 504}
    assert 0.03 < statuses.count(429) / 400 < 0.08 and 0.02 < statuses.count(504) / 400 < 0.08
    assert all(wsgi_call(app, "OPTIONS", "/backend").status == 200 for _ in range(50))


def test_quirk_slow():
    import time

    app = _app("slow")
    started = time.monotonic()
    for _ in range(10):
        _post(app, "/backend/ghost/details", {})
    assert time.monotonic() - started >= 10 * 0.002


def test_quirk_rate_limit():
    app = EmulatorApp(EmulatorConfig(quirks=frozenset({"rate-limit"}), seed=5))
    replies = [_post(app, "/backend/ghost/details", {}) for _ in range(80)]  # far faster than 20 a second
    statuses = [reply.status for reply in replies]
    assert statuses[:40] == [404] * 40  # the burst
    throttled = [reply for reply in replies if reply.status == 429]
    assert 30 <= len(throttled) <= 40
    for reply in throttled:  # the documented LimitExceededException
        assert reply.json == {"message": "Rate exceeded", "limitType": "requests"}
    hinted = [reply for reply in throttled if reply.headers.get("Retry-After")]
    assert 0 < len(hinted) < len(throttled) and {reply.headers["Retry-After"] for reply in hinted} == {"1"}
    assert all(wsgi_call(app, "OPTIONS", "/backend").status == 200 for _ in range(20))
    time.sleep(0.25)  # refilled at 20 a second: about 5 more
    after = [_post(app, "/backend/ghost/details", {}).status for _ in range(10)]
    assert 3 <= after.count(404) <= 7


def test_quirk_latency():
    app = _app("latency")
    started = time.monotonic()
    for _ in range(5):
        _post(app, "/backend/ghost/details", {})
    took = time.monotonic() - started
    assert 5 * 0.1 <= took < 5 * 0.2 + 0.5


def test_the_latency_quirk_serves_answers_concurrently():
    with Emulator(EmulatorConfig(quirks=frozenset({"latency"}))) as emulator:
        url = emulator.base_url + "/prod/backend/ghost/details"
        started = time.monotonic()
        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(lambda _: requests.post(url, json={}, timeout=10).status_code, range(20)))
        took = time.monotonic() - started
    assert statuses == [404] * 20 and took < 2.0  # 20 answers of 100-200 ms each, not one after another


def test_every_compatible_quirk_at_once_still_serves_a_workflow():
    app = EmulatorApp(
        EmulatorConfig(
            quirks=compatible_set() - {"gzip", "chunked", "slow", "flaky", "eventual", "late-deletes", "latency"}
        )
    )
    _backend(app)
    reply = _post(app, "/backend/app1/details", {})
    assert reply.status == 200 and "dev" in reply.json["backendEnvironmentList"]
    assert http.client.responses[reply.status] == "OK"


def test_quirk_jobs_elsewhere():
    app = _app("jobs-elsewhere")
    _backend(app)
    cloned = _post(app, "/backend/app1/environments/dev/clone", {"targetEnvironmentName": "copy"}).json
    assert cloned["backendEnvironmentName"] == "dev"
    assert wsgi_call(app, "GET", f"/backend/app1/job/copy/{cloned['jobId']}").status == 200
    assert wsgi_call(app, "GET", f"/backend/app1/job/dev/{cloned['jobId']}").status == 404
    config = _post(app, "/backend/app1/config", {}).json
    assert config["backendEnvironmentName"] == "amplifyconfig"
    assert wsgi_call(app, "GET", f"/backend/app1/job/amplifyconfig/{config['jobId']}").status == 200


def test_quirk_empty_listing_404():
    app = _app("empty-listing-404")
    _backend(app)
    assert _post(app, "/backend/app1/job/dev", {}).status == 200
    assert _post(app, "/backend/app1/job/other", {}).status == 404


def test_quirk_picky():
    app = _app("picky")
    _backend(app)
    storage = {"resourceName": "s", "backendEnvironmentName": "dev"}
    storage["resourceConfig"] = {"serviceName": "S3", "permissions": {"authenticated": []}}
    assert "must not be empty" in _post(app, "/backend/app1/storage", storage).json["message"]
    assert _post(app, "/backend/app1/details", {"backendEnvironmentName": "x" * 257}).status == 400
    assert _post(app, "/backend/a%20b/details", {}).status == 400
    assert _post(app, "/backend/app1/details", {}).status == 200


def test_quirk_error_names_reference():
    app = _app("error-names-reference")
    assert wsgi_call(app, "POST", "/backend", x_emulator_inject="504").status != 504  # injection is off here
    app = EmulatorApp(EmulatorConfig(quirks=frozenset({"error-names-reference"}), allow_injection=True))
    reply = _post(app, "/backend/ghost/details", {}, **{"x-emulator-inject": "504"})
    assert reply.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert _post(app, "/backend/ghost/details", {}).headers["x-amzn-ErrorType"] == "NotFoundException"


def test_quirk_error_names_sdk():
    app = EmulatorApp(EmulatorConfig(quirks=frozenset({"error-names-sdk"}), allow_injection=True))
    names = {
        code: _post(app, "/backend/ghost/details", {}, **{"x-emulator-inject": code}).headers for code in ("429", "504")
    }
    assert names["429"]["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert names["504"]["x-amzn-ErrorType"] == "GatewayTimeoutException"


class _Clock:
    """The emulator's clock, standing still until a test moves it on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> _Clock:
    from amplify_emulator import _state

    frozen = _Clock()
    monkeypatch.setattr(_state, "clock", frozen)
    return frozen


def test_quirk_async_jobs(clock):
    app = _app("async-jobs")
    _backend(app)
    job = _post(app, "/backend/app1/job/dev", {}).json["jobs"][0]
    assert job["status"] == "IN_PROGRESS"
    assert _post(app, "/backend/app1/job/dev", {"status": "IN_PROGRESS"}).json["jobs"]
    marked = _post(app, f"/backend/app1/job/dev/{job['jobId']}", {"status": "MINE"}).json
    assert marked["status"] == "MINE"  # a status set by UpdateBackendJob stays as set
    _post(app, "/backend/app1/config", {})
    clock.now += 2.2  # every job finishes 1-2 s after it starts
    statuses = {j["operation"]: j["status"] for j in _post(app, "/backend/app1/job/dev", {}).json["jobs"]}
    assert statuses == {"CreateBackend": "MINE", "CreateBackendConfig": "COMPLETED"}


def test_quirk_eventual(clock):
    app = _app("eventual")
    _backend(app)
    assert _post(app, "/backend/app1/details", {}).status == 404  # not yet visible to reads
    assert _post(app, "/backend/app1/config", {}).status == 200  # writes see the latest state
    assert _post(app, "/backend/never/details", {}).status == 404
    clock.now += 0.4  # reads lag 0.3 s behind
    assert _post(app, "/backend/app1/details", {}).json["backendEnvironmentList"] == ["dev"]


def test_quirk_no_overwrite():
    app = _app("no-overwrite")
    app_id = _backend(app)
    again = {"appId": app_id, "appName": "a", "backendEnvironmentName": "dev"}
    assert _post(app, "/backend", again).status == 400
    storage = {"resourceName": "s", "backendEnvironmentName": "dev", "resourceConfig": STORAGE_CONFIG}
    assert _post(app, f"/backend/{app_id}/storage", storage).status == 200
    assert _post(app, f"/backend/{app_id}/storage", storage).status == 400
    imported = {"backendEnvironmentName": "dev", "serviceName": "S3", "bucketName": "b"}
    assert _post(app, f"/backend/{app_id}/storage/dev/import", imported).status == 400
    assert _post(app, f"/backend/{app_id}/storage/dev/remove", {"serviceName": "S3", "resourceName": "s"}).status == 200
    assert _post(app, f"/backend/{app_id}/storage", storage).status == 200  # again after a delete
    assert _post(app, "/backend", dict(again, backendEnvironmentName="other")).status == 200


def test_quirk_update_resets():
    app = _app("update-resets")
    app_id = _backend(app)
    auth = {"resourceName": "auth", "backendEnvironmentName": "dev", "resourceConfig": AUTH_CONFIG}
    assert _post(app, f"/backend/{app_id}/auth", auth).status == 200
    update = {"resourceName": "auth", "resourceConfig": AUTH_UPDATE}
    assert _post(app, f"/backend/{app_id}/auth/dev", update).status == 200
    got = _post(app, f"/backend/{app_id}/auth/dev/details", {"resourceName": "auth"})
    pools = got.json["resourceConfig"]["userPoolConfigs"]
    assert pools["mfa"] == {"MFAMode": "OPTIONAL"}
    assert pools["requiredSignUpAttributes"] == ["EMAIL"]  # required by the model: kept
    kept = _app()
    _backend(kept)
    assert _post(kept, "/backend/app1/auth", auth).status == 200
    assert _post(kept, "/backend/app1/auth/dev", update).status == 200
    api = {"resourceName": "api", "backendEnvironmentName": "dev", "resourceConfig": API_CONFIG}
    for target in (app, kept):
        assert _post(target, "/backend/app1/api", api).status == 200
        assert _post(target, "/backend/app1/api/dev", {"resourceName": "api", "resourceConfig": {"apiName": "b"}})
    configs = [_post(t, "/backend/app1/api/dev/details", {"resourceName": "api"}).json for t in (app, kept)]
    assert configs[0]["resourceConfig"] == {"apiName": "b"}
    assert configs[1]["resourceConfig"] == dict(API_CONFIG, apiName="b")


def test_quirk_job_words():
    app = _app("job-words")
    app_id = _backend(app)
    auth = {"resourceName": "auth", "backendEnvironmentName": "dev", "resourceConfig": AUTH_CONFIG}
    made = _post(app, f"/backend/{app_id}/auth", auth).json
    assert (made["operation"], made["status"]) == ("create-backend-auth", "SUCCEEDED")
    listed = _post(app, f"/backend/{app_id}/job/dev", {"operation": "create-backend-auth"}).json["jobs"]
    assert [job["jobId"] for job in listed] == [made["jobId"]]
    assert _post(app, f"/backend/{app_id}/job/dev", {"status": "COMPLETED"}).json["jobs"] == []
    pending = _app("job-words", "async-jobs")
    _backend(pending)
    assert _post(pending, "/backend/app1/job/dev", {}).json["jobs"][0]["status"] == "PENDING"


def test_quirk_default_page():
    app = _app("default-page")
    app_id = _backend(app)
    _jobs(app, app_id, 2)
    page = _post(app, f"/backend/{app_id}/job/dev", {}).json
    assert len(page["jobs"]) == 2 and page["nextToken"]
    rest = _post(app, f"/backend/{app_id}/job/dev", {"nextToken": page["nextToken"]}).json
    assert len(rest["jobs"]) == 1 and not rest.get("nextToken")
    assert len(_post(app, f"/backend/{app_id}/job/dev", {"maxResults": 5}).json["jobs"]) == 3


def test_quirk_opaque_tokens():
    app = _app("opaque-tokens", "default-page")
    app_id = _backend(app)
    _jobs(app, app_id, 2)
    page = _post(app, f"/backend/{app_id}/job/dev", {}).json
    session = _post(app, f"/backend/{app_id}/challenge", {}).json["sessionId"]
    for identifier in (page["nextToken"], page["jobs"][0]["jobId"], session):
        assert set("+/=:@") <= set(identifier) and len(identifier) > 100, identifier
    rest = _post(app, f"/backend/{app_id}/job/dev", {"nextToken": page["nextToken"]}).json
    assert len(rest["jobs"]) == 1
    with Emulator(EmulatorConfig(quirks=frozenset({"opaque-tokens"}))) as emulator:
        base = emulator.base_url
        made = requests.post(f"{base}/backend", json={"appId": "a", "appName": "a", "backendEnvironmentName": "dev"})
        job_id = made.json()["jobId"]
        assert "/" in job_id
        got = requests.get(f"{base}/backend/a/job/dev/{quote(job_id, safe='')}")
        assert got.status_code == 200 and got.json()["jobId"] == job_id


def test_quirk_cursor_tokens():
    app = _app("cursor-tokens")
    app_id = _backend(app)
    _jobs(app, app_id, 4)  # five jobs in all
    listed, tokens, token = [], [], None
    for _ in range(10):
        page = _post(app, f"/backend/{app_id}/job/dev", {"maxResults": 2, **({"nextToken": token} if token else {})})
        listed += [job["jobId"] for job in page.json["jobs"]]
        token = page.json.get("nextToken")
        if not token:
            break
        tokens.append(token)
    assert len(tokens) == 2 and len(set(tokens)) == 1  # one token for the whole listing
    assert len(listed) == len(set(listed)) == 5  # every job once
    assert _post(app, f"/backend/{app_id}/job/dev", {"nextToken": tokens[0]}).status == 400  # stale once read
    second = _post(app, f"/backend/{app_id}/job/dev", {"maxResults": 2}).json["nextToken"]
    assert second != tokens[0]  # each listing a cursor of its own


def test_quirk_jobs_by_app():
    app = _app("jobs-by-app")
    app_id = _backend(app)
    _backend(app, app_id, "prod")
    _backend(app, "app2", "dev")
    job_id = _post(app, f"/backend/{app_id}/job/dev", {}).json["jobs"][0]["jobId"]
    assert wsgi_call(app, "GET", f"/backend/{app_id}/job/prod/{job_id}").status == 200
    assert _post(app, f"/backend/{app_id}/job/prod/{job_id}", {"status": "set"}).json["status"] == "set"
    assert wsgi_call(app, "GET", f"/backend/app2/job/dev/{job_id}").status == 404
    assert wsgi_call(_app(), "GET", f"/backend/{app_id}/job/prod/{job_id}").status == 404


def test_quirk_jobs_per_app():
    app = _app("jobs-per-app")
    made = [_post(app, "/backend", {"appId": a, "appName": "a", "backendEnvironmentName": "dev"}).json for a in "xy"]
    assert [answer["jobId"] for answer in made] == ["job-00001", "job-00001"]  # each app numbers its own
    assert _post(app, "/backend/x/config", {}).json["jobId"] == "job-00002"
    assert _post(app, "/backend", {"appId": "x", "appName": "a", "backendEnvironmentName": "prod"}).status == 200
    assert [j["jobId"] for j in _post(app, "/backend/x/job/prod", {}).json["jobs"]] == ["job-00003"]
    # still known by app, environment and id: no call of one app sees another's job of the same id
    assert _post(app, "/backend/y/job/dev/job-00002", {"status": "set"}).status == 404
    assert wsgi_call(app, "GET", "/backend/y/job/dev/job-00002").status == 404
    assert wsgi_call(app, "GET", "/backend/x/job/dev/job-00003").status == 404  # its home is prod
    assert [j["jobId"] for j in _post(app, "/backend/y/job/dev", {}).json["jobs"]] == ["job-00001"]
    assert _post(app, "/backend/x/remove", {}).json["jobId"] == "job-00004"
    again = _post(app, "/backend", {"appId": "x", "appName": "a", "backendEnvironmentName": "dev"}).json
    assert again["jobId"] == "job-00001"  # a new life of the app starts again
    assert wsgi_call(app, "GET", "/backend/x/job/dev/job-00002").status == 404  # the old life's jobs are gone


def test_the_jobs_per_app_quirk_combines_with_the_other_job_quirks():
    app = _app("jobs-per-app", "jobs-by-app", "jobs-elsewhere", "job-words", "long-ids", "opaque-tokens")
    _backend(app, "x", "dev")
    _backend(app, "x", "prod")
    _backend(app, "y", "dev")
    cloned = _post(app, "/backend/x/environments/dev/clone", {"targetEnvironmentName": "copy"}).json
    config = _post(app, "/backend/x/config", {}).json
    assert (cloned["jobId"], config["jobId"]) == ("job-00003", "job-00004")  # the job format wins
    assert len(_post(app, "/backend/x/challenge", {}).json["sessionId"]) > 100  # sessions keep theirs
    for env in ("dev", "prod", "copy", "amplifyconfig"):  # jobs-by-app: any environment of the app finds it
        got = wsgi_call(app, "GET", f"/backend/x/job/{env}/job-00003")
        assert got.status == 200 and got.json["operation"] == "clone-backend"
    assert wsgi_call(app, "GET", "/backend/y/job/dev/job-00003").status == 404
    assert wsgi_call(app, "GET", "/backend/y/job/dev/job-00001").json["operation"] == "create-backend"


def test_quirk_late_deletes(clock):
    app = _app("late-deletes")
    app_id = _backend(app)
    assert _post(app, f"/backend/{app_id}/details", {}).status == 404  # reads lag, as with eventual
    auth = {"resourceName": "auth", "backendEnvironmentName": "dev", "resourceConfig": AUTH_CONFIG}
    assert _post(app, f"/backend/{app_id}/auth", auth).status == 200
    update = {"resourceName": "auth", "resourceConfig": AUTH_UPDATE}
    assert _post(app, f"/backend/{app_id}/auth/dev", update).status == 200
    clock.now += 0.4
    assert _post(app, f"/backend/{app_id}/auth/dev/remove", {"resourceName": "auth"}).status == 200
    late = _post(app, f"/backend/{app_id}/auth/dev", update)  # right after the delete: as if before it
    assert late.status == 200 and late.json["jobId"]
    assert _post(app, f"/backend/{app_id}/auth/dev/details", {"resourceName": "auth"}).status == 200  # reads lag
    clock.now += 0.4
    assert _post(app, f"/backend/{app_id}/auth/dev/details", {"resourceName": "auth"}).status == 404  # unchanged
    assert wsgi_call(app, "GET", f"/backend/{app_id}/job/dev/{late.json['jobId']}").status == 200  # job recorded
    assert _post(app, f"/backend/{app_id}/auth/dev", update).status == 404  # 0.3 s on: the delete shows
    # a Create* after a delete creates again at once
    assert _post(app, f"/backend/{app_id}/auth/dev/remove", {"resourceName": "auth"}).status == 404
    assert _post(app, f"/backend/{app_id}/auth", auth).status == 200
    assert _post(app, f"/backend/{app_id}/auth/dev/remove", {"resourceName": "auth"}).status == 200
    # a session, an environment and an app deleted: their writes still answer 200 a moment longer
    session = _post(app, f"/backend/{app_id}/challenge", {}).json["sessionId"]
    clock.now += 0.4
    assert _post(app, f"/backend/{app_id}/challenge/{session}/remove", {}).status == 200
    assert _post(app, f"/backend/{app_id}/challenge/{session}/remove", {}).status == 200
    assert _post(app, f"/backend/{app_id}/environments/dev/remove", {}).status == 200
    clone = _post(app, f"/backend/{app_id}/environments/dev/clone", {"targetEnvironmentName": "copy"})
    assert clone.status == 200
    assert _post(app, f"/backend/{app_id}/remove", {}).status == 200
    assert _post(app, f"/backend/{app_id}/config", {}).status == 200
    clock.now += 0.4
    assert _post(app, f"/backend/{app_id}/details", {}).status == 404
    assert wsgi_call(app, "GET", f"/backend/{app_id}/job/copy/{clone.json['jobId']}").status == 404  # app gone
    for path in ("/config", f"/challenge/{session}/remove", "/environments/dev/remove", "/remove"):
        assert _post(app, f"/backend/{app_id}{path}", {}).status == 404, path
    assert _post(app, "/backend/never/config", {}).status == 404  # what never existed is 404 at once


def test_the_late_deletes_quirk_records_the_job_of_a_late_write_while_its_app_is_there(clock):
    app = _app("late-deletes", "jobs-per-app")
    _backend(app, "x", "dev")
    _backend(app, "x", "prod")
    clock.now += 0.4
    assert _post(app, "/backend/x/environments/dev/remove", {}).json["jobId"] == "job-00003"
    clone = _post(app, "/backend/x/environments/dev/clone", {"targetEnvironmentName": "copy"}).json
    assert clone["jobId"] == "job-00004"  # numbered in the live app: no jobId handed out twice
    clock.now += 0.4
    listed = [j["jobId"] for j in _post(app, "/backend/x/job/dev", {}).json["jobs"]]
    assert listed == ["job-00001", "job-00003", "job-00004"]
    assert _post(app, "/backend/x/details", {}).json["backendEnvironmentList"] == ["prod"]  # no clone made


def test_quirk_omit_empty_arrays():
    app = _app("omit-empty-arrays")
    _backend(app)
    assert "jobs" not in _post(app, "/backend/app1/job/other", {}).json
    assert len(_post(app, "/backend/app1/job/dev", {}).json["jobs"]) == 1
    assert _post(app, "/backend/app1/details", {}).json["backendEnvironmentList"] == ["dev"]
    assert _post(app, "/backend/app1/environments/dev/remove", {}).status == 200
    assert "backendEnvironmentList" not in _post(app, "/backend/app1/details", {}).json
    plain = _app("omit-optional")
    _backend(plain)
    assert _post(plain, "/backend/app1/job/other", {}).json == {"jobs": []}  # omit-optional keeps it
    both = _app("omit-optional", "omit-empty-arrays")
    _backend(both)
    assert _post(both, "/backend/app1/job/other", {}).json == {}
    assert _post(app, "/s3Buckets", {}).json["buckets"]  # required by its model: never left out


def test_every_array_omit_empty_arrays_leaves_out_is_optional_in_its_model():
    for operation in amplify_openapi.operations():
        model = amplify_openapi.schema(operation.response_schema(200))
        for name, member in model.get("properties", {}).items():
            if member.get("type") == "array" and name != "buckets":
                assert name not in model.get("required", ()), (operation.operation_id, name)


def test_quirk_resources_by_name():
    app = _app("resources-by-name")
    app_id = _backend(app)
    configs = {"api": API_CONFIG, "auth": AUTH_CONFIG, "storage": STORAGE_CONFIG}
    for category, config in configs.items():
        for name in ("one", "two"):
            body = {"resourceName": name, "backendEnvironmentName": "dev", "resourceConfig": config}
            assert _post(app, f"/backend/{app_id}/{category}", body).status == 200
    extra = {"serviceName": "S3"}
    for category in configs:
        named = {"resourceName": "one", **(extra if category == "storage" else {})}
        assert _post(app, f"/backend/{app_id}/{category}/dev/details", named).json["resourceName"] == "one"
        assert _post(app, f"/backend/{app_id}/{category}/dev/remove", named).status == 200
        assert _post(app, f"/backend/{app_id}/{category}/dev/details", named).status == 404  # its own name: gone
        other = dict(named, resourceName="two")
        assert _post(app, f"/backend/{app_id}/{category}/dev/details", other).status == 200  # the other stays
        ghost = dict(named, resourceName="ghost")
        reply = _post(app, f"/backend/{app_id}/{category}/dev/details", ghost)
        assert reply.status == 404 and reply.json["resourceType"] == category
    update = {"resourceName": "one", "resourceConfig": {"apiName": "changed"}}
    assert _post(app, f"/backend/{app_id}/api/dev", update).status == 404
    assert _post(app, f"/backend/{app_id}/api/dev/generateModels", {"resourceName": "one"}).status == 404
    assert _post(app, f"/backend/{app_id}/api/dev/getModels", {"resourceName": "two"}).json["status"] == "STALE"
    assert _post(app, f"/backend/{app_id}/api/dev", dict(update, resourceName="two")).status == 200
    # CloneBackend copies every resource, DeleteBackend removes every one
    assert _post(app, f"/backend/{app_id}/environments/dev/clone", {"targetEnvironmentName": "copy"}).status == 200
    got = _post(app, f"/backend/{app_id}/api/copy/details", {"resourceName": "two"}).json
    assert got["resourceConfig"]["apiName"] == "changed"
    assert _post(app, f"/backend/{app_id}/environments/copy/remove", {}).status == 200
    assert _post(app, f"/backend/{app_id}/api/copy/details", {"resourceName": "two"}).status == 404
    # an import carries no resourceName: it answers to any name no created resource holds
    imported = {"serviceName": "S3", "bucketName": "mine"}
    assert _post(app, f"/backend/{app_id}/storage/dev/import", imported).status == 200
    got = _post(app, f"/backend/{app_id}/storage/dev/details", {"resourceName": "any"}).json
    assert got["resourceConfig"]["imported"] is True
    got = _post(app, f"/backend/{app_id}/storage/dev/details", {"resourceName": "two"}).json
    assert got["resourceConfig"]["imported"] is False
    # without the quirk, one resource per category: another name finds it
    plain = _app()
    _backend(plain)
    body = {"resourceName": "one", "backendEnvironmentName": "dev", "resourceConfig": API_CONFIG}
    assert _post(plain, "/backend/app1/api", body).status == 200
    assert _post(plain, "/backend/app1/api/dev/details", {"resourceName": "two"}).status == 200

"""Each deliberate fault breaks what it says, and only when it is switched on: with one
fault on, its probe sees the break and every other fault's probe sees a clean answer."""

from __future__ import annotations

import copy
import http.client
from urllib.parse import quote

import amplify_openapi
import pytest
from amplify_emulator import FAULTS

from .conftest import API_CONFIG, AUTH_CONFIG, AUTH_UPDATE, STORAGE_CONFIG, Client, unique


def _with_resource(c: Client, category: str, config: dict) -> str:
    """A fresh app whose dev environment holds a resource named "a" of the category; its appId."""
    app = c.new_backend()
    c.post(
        f"/backend/{app}/{category}",
        {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": config},
    )
    return app


def _with_api(c: Client) -> str:
    return _with_resource(c, "api", API_CONFIG)


def _with_auth(c: Client) -> str:
    return _with_resource(c, "auth", AUTH_CONFIG)


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
    job = c.post(f"/backend/{app}/job/dev").json["jobs"][0]
    # an operation beside the status: a job given a status alone is r8_updated_job_unlisted's trigger
    c.post(f"/backend/{app}/job/dev/{job['jobId']}", {"operation": job["operation"], "status": "FAILED"})
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


def r6_long_string(c: Client) -> bool:
    app = _with_storage(c)
    config = dict(STORAGE_CONFIG, bucketName="b" * 1000)
    return c.post(f"/backend/{app}/storage/dev", {"resourceName": "s", "resourceConfig": config}).status == 500


def _odd_app(c: Client) -> str:
    """A fresh app whose appId holds a slash and a space; its appId percent-encoded, as a path carries it."""
    app = unique("odd") + "/a b"
    assert c.post("/backend", {"appId": app, "appName": "demo", "backendEnvironmentName": "dev"}).status == 200
    return quote(app, safe="")


def r6_path_percent(c: Client) -> bool:
    return c.post(f"/backend/{_odd_app(c)}/details").status == 500


def r8_backend_env(c: Client) -> bool:
    app = c.new_backend()
    assert c.post("/backend", {"appId": app, "appName": "demo", "backendEnvironmentName": "second"}).status == 200
    return "second" not in c.post(f"/backend/{app}/details").json["backendEnvironmentList"]


def r8_remove_all(c: Client) -> bool:
    app = c.new_backend()
    assert c.post(f"/backend/{app}/remove").status == 200
    return c.post(f"/backend/{app}/details").status == 200


def _with_storage(
    c: Client, app: str | None = None, authenticated: tuple[str, ...] = ("READ",), env: str = "dev"
) -> str:
    app = app or c.new_backend()
    config = dict(STORAGE_CONFIG, permissions={"authenticated": list(authenticated)})
    body = {"backendEnvironmentName": env, "resourceName": "s", "resourceConfig": config}
    assert c.post(f"/backend/{app}/storage", body).status == 200
    return app


def r5_enum_case(c: Client) -> bool:
    env = unique("case")
    app = _with_storage(c, env=env)
    return c.post(f"/backend/{app}/storage/{env}/remove", {"resourceName": "s", "serviceName": "s3"}).status == 200


def r6_whitespace(c: Client) -> bool:
    return c.post(f"/backend/{c.new_backend()}/config/update", raw=b" \t\n").status == 200


def r6_fraction(c: Client) -> bool:
    config = copy.deepcopy(AUTH_CONFIG)
    config["userPoolConfigs"]["passwordPolicy"] = {"minimumLength": 8.5}
    body = {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": config}
    return c.post(f"/backend/{c.new_backend()}/auth", body).status == 400


def r6_deprecated(c: Client) -> bool:
    app = _with_auth(c)
    config = copy.deepcopy(AUTH_UPDATE)
    config["userPoolConfigs"]["forgotPassword"] = {"deliveryMethod": "EMAIL"}
    return c.post(f"/backend/{app}/auth/dev", {"resourceName": "a", "resourceConfig": config}).status == 400


def r7_new_env(c: Client) -> bool:
    body = {"backendEnvironmentName": "fresh", "resourceName": "a", "resourceConfig": AUTH_CONFIG}
    return c.post(f"/backend/{c.new_backend()}/auth", body).status == 404


def r7_recreate(c: Client) -> bool:
    app = _with_api(c)
    assert c.post(f"/backend/{app}/api/dev/remove", {"resourceName": "a"}).status == 200
    body = {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": API_CONFIG}
    return c.post(f"/backend/{app}/api", body).status == 400


def r7_app_case(c: Client) -> bool:
    return c.post(f"/backend/{c.new_backend().upper()}/details").status == 200


def r7_app_prefix(c: Client) -> bool:
    prefix = unique("pre")  # no app has this appId; one has it as a prefix
    body = {"appId": prefix + "tail", "appName": "demo", "backendEnvironmentName": "dev"}
    assert c.post("/backend", body).status == 200
    return c.post(f"/backend/{prefix}/config/remove").status == 200


def r7_env_case(c: Client) -> bool:
    env = unique("Case")
    app = _with_storage(c, env=env)
    body = {"resourceName": "s", "resourceConfig": STORAGE_CONFIG}
    return c.post(f"/backend/{app}/storage/{env.swapcase()}", body).status == 200


def r7_job_prefix(c: Client) -> bool:
    app = c.new_backend()
    job = c.post(f"/backend/{app}/job/dev").json["jobs"][0]["jobId"]
    return c.post(f"/backend/{app}/job/dev/{job[:-1]}", {"status": "x"}).status == 200


def r7_session_case(c: Client) -> bool:
    app = c.new_backend()
    session = c.post(f"/backend/{app}/challenge").json["sessionId"]
    return c.post(f"/backend/{app}/challenge/{session.upper()}/remove").status == 200


def r8_shared_token(c: Client) -> bool:
    session = c.post(f"/backend/{c.new_backend()}/challenge").json["sessionId"]
    return c.get(f"/backend/{c.new_backend()}/challenge/{session}").status == 200


def r8_shared_jobs(c: Client) -> bool:
    env = unique("jobs")
    mine, theirs = c.new_backend(env), c.new_backend(env)
    job = c.post(f"/backend/{mine}/job/{env}").json["jobs"][0]["jobId"]
    return c.get(f"/backend/{theirs}/job/{env}/{job}").status == 200


def r8_jobs_leak(c: Client) -> bool:
    app = c.new_backend()
    c.post("/backend", {"appId": app, "appName": "demo", "backendEnvironmentName": "sibling"})
    return len(c.post(f"/backend/{app}/job/dev").json["jobs"]) > 1


def r8_clone_unlisted(c: Client) -> bool:
    app = c.new_backend()
    assert c.post(f"/backend/{app}/environments/dev/clone", {"targetEnvironmentName": "copy"}).status == 200
    return "copy" not in c.post(f"/backend/{app}/details").json["backendEnvironmentList"]


def r8_delete_listed(c: Client) -> bool:
    app = c.new_backend("other")
    c.post("/backend", {"appId": app, "appName": "demo", "backendEnvironmentName": "dev"})
    assert c.post(f"/backend/{app}/environments/other/remove").status == 200
    return "other" in c.post(f"/backend/{app}/details").json["backendEnvironmentList"]


def r8_page_size(c: Client) -> bool:
    app = c.new_backend()
    c.post(f"/backend/{app}/config")
    return len(c.post(f"/backend/{app}/job/dev", {"maxResults": 1}).json["jobs"]) > 1


def r8_page_loop(c: Client) -> bool:
    app = c.new_backend()
    c.post(f"/backend/{app}/config")  # a second job: two pages of one
    first = c.post(f"/backend/{app}/job/dev", {"maxResults": 1}).json.get("nextToken")
    if not first:
        return False  # maxResults ignored: r8_page_size's break, not this one
    return c.post(f"/backend/{app}/job/dev", {"maxResults": 1, "nextToken": first}).json.get("nextToken") == first


def r8_filters_or(c: Client) -> bool:
    app = _with_api(c)
    job = next(j for j in c.post(f"/backend/{app}/job/dev").json["jobs"] if j["operation"] == "CreateBackend")
    c.post(f"/backend/{app}/job/dev/{job['jobId']}", {"operation": "CreateBackend", "status": "MARKED"})
    if len(c.post(f"/backend/{app}/job/dev", {"status": "MARKED"}).json["jobs"]) != 1:
        return False  # a filter alone is broken: r8_job_list's break, not this one
    listed = c.post(f"/backend/{app}/job/dev", {"operation": "CreateBackendAPI", "status": "MARKED"}).json["jobs"]
    return len(listed) > 0


def r8_storage_echo(c: Client) -> bool:
    env = unique("echo")  # an environment name no other app has (r8_shared_storage looks by name)
    app = _with_storage(c, authenticated=("DELETE", "CREATE_AND_UPDATE"), env=env)
    got = c.post(f"/backend/{app}/storage/{env}/details", {"resourceName": "s"}).json
    return got["resourceConfig"]["permissions"]["authenticated"] == ["READ"]


def r8_shared_storage(c: Client) -> bool:
    _with_storage(c)
    return c.post(f"/backend/{c.new_backend()}/storage/dev/details", {"resourceName": "s"}).status == 200


def r8_delete_spills(c: Client) -> bool:
    mine, theirs = _with_auth(c), _with_auth(c)
    assert c.post(f"/backend/{mine}/auth/dev/remove", {"resourceName": "a"}).status == 200
    return c.post(f"/backend/{theirs}/auth/dev/details", {"resourceName": "a"}).status == 404


def r8_late_delete(c: Client) -> bool:
    env = unique("late")
    app = _with_storage(c, env=env)
    assert c.post(f"/backend/{app}/storage/{env}/remove", {"resourceName": "s", "serviceName": "S3"}).status == 200
    return c.post(f"/backend/{app}/storage/{env}/details", {"resourceName": "s"}).status == 200


def _at_once(calls) -> list:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def r8_lost_update(c: Client) -> bool:
    app = c.new_backend()
    envs = [f"e{n}" for n in range(6)]
    body = {"appId": app, "appName": "demo"}
    c.post("/backend", dict(body, backendEnvironmentName="one"))
    if "one" not in c.post(f"/backend/{app}/details").json["backendEnvironmentList"]:
        return False  # one at a time is already lost: r8_backend_env's break, not this one
    clients = [Client(c.base_url) for _ in envs]  # a connection each, so they truly overlap
    creates = [
        lambda k=k, e=e: k.post("/backend", dict(body, backendEnvironmentName=e))
        for k, e in zip(clients, envs, strict=True)
    ]
    _at_once(creates)
    listed = c.post(f"/backend/{app}/details").json["backendEnvironmentList"]
    return not set(envs) <= set(listed)


def r8_update_race(c: Client) -> bool:
    app = _with_storage(_with_api(c) and c, app=_with_auth(c))
    jobs = [j["jobId"] for j in c.post(f"/backend/{app}/job/dev").json["jobs"]]
    clients = [Client(c.base_url) for _ in jobs]
    _at_once(
        [
            lambda k=k, j=j: k.post(f"/backend/{app}/job/dev/{j}", {"status": f"s-{j}"})
            for k, j in zip(clients, jobs, strict=True)
        ]
    )
    return any(c.get(f"/backend/{app}/job/dev/{j}").json["status"] != f"s-{j}" for j in jobs)


def aws_request_id_reused(c: Client) -> bool:
    app = c.new_backend()
    job = c.post(f"/backend/{app}/job/dev").json["jobs"][0]["jobId"]
    ids = {c.get(f"/backend/{app}/job/dev/{job}").headers["x-amzn-RequestId"] for _ in range(2)}
    return len(ids) == 1


def r8_update_mode(c: Client) -> bool:
    app = _with_api(c)
    config = dict(API_CONFIG, defaultAuthType={"mode": "AWS_IAM"})
    assert c.post(f"/backend/{app}/api/dev", {"resourceName": "a", "resourceConfig": config}).status == 200
    got = c.post(f"/backend/{app}/api/dev/details", {"resourceName": "a"}).json
    return got["resourceConfig"]["defaultAuthType"]["mode"] != "AWS_IAM"


def r8_import_flag(c: Client) -> bool:
    env = unique("import")  # an environment name no other app has (r8_shared_storage looks by name)
    app = c.new_backend(env)
    body = {"serviceName": "S3", "bucketName": "mine"}
    assert c.post(f"/backend/{app}/storage/{env}/import", body).status == 200
    got = c.post(f"/backend/{app}/storage/{env}/details", {"resourceName": "s"}).json["resourceConfig"]
    assert got["bucketName"] == "mine"
    return got["imported"] is not True


def r8_config_echo(c: Client) -> bool:
    login = {"aws_cognito_region": "eu-west-1", "aws_user_pools_id": "eu-west-1_Abc"}
    reply = c.post(f"/backend/{c.new_backend()}/config/update", {"loginAuthConfig": login})
    return reply.status == 200 and reply.json.get("loginAuthConfig") != login


def r8_clone_bare(c: Client) -> bool:
    app = _with_api(c)
    assert c.post(f"/backend/{app}/environments/dev/clone", {"targetEnvironmentName": "copy"}).status == 200
    got = c.post(f"/backend/{app}/api/copy/details", {"resourceName": "a"})
    return got.status == 200 and got.json.get("resourceConfig") != API_CONFIG


def r8_delete_keeps(c: Client) -> bool:
    app = _with_api(c)
    assert c.post(f"/backend/{app}/environments/dev/remove").status == 200
    return c.post(f"/backend/{app}/api/dev/details", {"resourceName": "a"}).status == 200


def r8_env_twice(c: Client) -> bool:
    app = c.new_backend()
    c.post("/backend", {"appId": app, "appName": "demo", "backendEnvironmentName": "dev"})
    return c.post(f"/backend/{app}/details").json["backendEnvironmentList"].count("dev") > 1


def r8_config_by_env(c: Client) -> bool:
    env = unique("config")
    apps = [c.new_backend(env), c.new_backend(env)]
    for app, name in zip(apps, ("first", "second"), strict=True):
        config = dict(API_CONFIG, apiName=name)
        c.post(f"/backend/{app}/api", {"backendEnvironmentName": env, "resourceName": "a", "resourceConfig": config})
    got = c.post(f"/backend/{apps[0]}/api/{env}/details", {"resourceName": "a"}).json
    return got["resourceConfig"]["apiName"] != "first"


def r8_delete_siblings(c: Client) -> bool:
    app = _with_api(c)
    c.post("/backend", {"appId": app, "appName": "demo", "backendEnvironmentName": "sibling"})
    body = {"backendEnvironmentName": "sibling", "resourceName": "a", "resourceConfig": API_CONFIG}
    assert c.post(f"/backend/{app}/api", body).status == 200
    assert c.post(f"/backend/{app}/api/dev/remove", {"resourceName": "a"}).status == 200
    return c.post(f"/backend/{app}/api/sibling/details", {"resourceName": "a"}).status == 404


def r8_filtered_pages(c: Client) -> bool:
    app = c.new_backend()
    c.post(f"/backend/{app}/config")
    c.post(f"/backend/{app}/config")
    jobs = c.post(f"/backend/{app}/job/dev").json["jobs"][:2]
    marked = sorted(job["jobId"] for job in jobs)
    for job in jobs:
        c.post(f"/backend/{app}/job/dev/{job['jobId']}", {"operation": job["operation"], "status": "PAGED"})
    if sorted(j["jobId"] for j in c.post(f"/backend/{app}/job/dev", {"status": "PAGED"}).json["jobs"]) != marked:
        return False  # the filter itself is broken: r8_job_list's break, not this one
    listed, token, handed = [], None, []
    for _ in range(5):
        page = c.post(
            f"/backend/{app}/job/dev", {"status": "PAGED", "maxResults": 1, **({"nextToken": token} if token else {})}
        ).json
        listed += [job["jobId"] for job in page["jobs"]]
        token, handed = page.get("nextToken"), [*handed, token]
        if not token or token in handed:  # a token handed out again goes round: r8_page_loop's break
            break
    return sorted(listed) != marked


def r8_remove_keeps_jobs(c: Client) -> bool:
    app = c.new_backend()
    job = c.post(f"/backend/{app}/job/dev").json["jobs"][0]["jobId"]
    assert c.post(f"/backend/{app}/remove").status == 200
    if c.post(f"/backend/{app}/details").status != 404:
        return False  # the app stayed: r8_remove_all's break, not this one
    c.post("/backend", {"appId": app, "appName": "demo", "backendEnvironmentName": "dev"})
    return c.get(f"/backend/{app}/job/dev/{job}").status == 200


def r8_echo_first_only(c: Client) -> bool:
    env = unique("arrays")
    app = c.new_backend(env)
    kinds = [{"mode": "API_KEY"}, {"mode": "AWS_IAM"}]
    config = dict(API_CONFIG, additionalAuthTypes=kinds)
    c.post(f"/backend/{app}/api", {"backendEnvironmentName": env, "resourceName": "a", "resourceConfig": config})
    got = c.post(f"/backend/{app}/api/{env}/details", {"resourceName": "a"}).json
    return len(got["resourceConfig"]["additionalAuthTypes"]) != 2


def r8_echo_bmp(c: Client) -> bool:
    app = c.new_backend()
    config = copy.deepcopy(AUTH_CONFIG)
    config["userPoolConfigs"]["userPoolName"] = "pool \U0001d11e"
    c.post(f"/backend/{app}/auth", {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": config})
    got = c.post(f"/backend/{app}/auth/dev/details", {"resourceName": "a"}).json
    return got["resourceConfig"]["userPoolConfigs"]["userPoolName"] != "pool \U0001d11e"


# --- R8.sequences: faults only a sequence of three or more operations shows ---------------------


def r8_clone_twins(c: Client) -> bool:
    env = unique("twin")  # an environment name no other app has (r8_shared_storage looks by name)
    app = _with_storage(c, env=env)
    clone = c.post(f"/backend/{app}/environments/{env}/clone", {"targetEnvironmentName": env + "c"})
    assert clone.status == 200
    removed = c.post(f"/backend/{app}/storage/{env}c/remove", {"resourceName": "s", "serviceName": "S3"})
    if removed.status != 200:
        return False  # the copy cannot be deleted at all: not this fault's break
    return c.post(f"/backend/{app}/storage/{env}/details", {"resourceName": "s"}).status == 404


def r8_recreate_stale(c: Client) -> bool:
    env = unique("stale")  # an environment name no other app has (r8_delete_spills deletes by name)
    app = c.new_backend(env)
    first, second = copy.deepcopy(AUTH_CONFIG), copy.deepcopy(AUTH_CONFIG)
    first["userPoolConfigs"]["userPoolName"], second["userPoolConfigs"]["userPoolName"] = "first", "second"
    body = {"backendEnvironmentName": env, "resourceName": "a", "resourceConfig": first}
    assert c.post(f"/backend/{app}/auth", body).status == 200
    assert c.post(f"/backend/{app}/auth/{env}/remove", {"resourceName": "a"}).status == 200
    assert c.post(f"/backend/{app}/auth", dict(body, resourceName="b", resourceConfig=second)).status == 200
    got = c.post(f"/backend/{app}/auth/{env}/details", {"resourceName": "b"}).json
    return got["resourceConfig"]["userPoolConfigs"]["userPoolName"] != "second"


def r8_third_token(c: Client) -> bool:
    app = c.new_backend()
    sessions = [c.post(f"/backend/{app}/challenge").json["sessionId"] for _ in range(3)]
    return c.get(f"/backend/{app}/challenge/{sessions[0]}").status == 404


AUTH_BODY = {"resourceName": "a", "resourceConfig": AUTH_CONFIG}
KEYED_API = dict(API_CONFIG, defaultAuthentication={"mode": "API_KEY", "expirationTime": 7.0})


def r8_auth_delete_spills(c: Client) -> bool:
    env = unique("spills")
    app = _with_storage(c, env=env)
    assert c.post(f"/backend/{app}/auth", dict(AUTH_BODY, backendEnvironmentName=env)).status == 200
    assert c.post(f"/backend/{app}/auth/{env}/remove", {"resourceName": "a"}).status == 200
    return c.post(f"/backend/{app}/storage/{env}/details", {"resourceName": "s"}).status == 404


def _api_updates(c: Client, times: tuple[float, ...]) -> float:
    """UpdateBackendAPI with each expirationTime in turn; the one GetBackendAPI then shows."""
    app = c.new_backend()
    body = {"backendEnvironmentName": "dev", "resourceName": "a", "resourceConfig": KEYED_API}
    assert c.post(f"/backend/{app}/api", body).status == 200
    for seconds in times:
        config = dict(KEYED_API, defaultAuthentication={"mode": "API_KEY", "expirationTime": seconds})
        assert c.post(f"/backend/{app}/api/dev", {"resourceName": "a", "resourceConfig": config}).status == 200
    got = c.post(f"/backend/{app}/api/dev/details", {"resourceName": "a"}).json["resourceConfig"]
    return got["defaultAuthentication"]["expirationTime"]


def r8_update_keeps_first(c: Client) -> bool:
    return _api_updates(c, (8.0, 9.0)) != 9.0


def _filtered(c: Client, app: str, job: str, status: str) -> bool:
    listed = c.post(f"/backend/{app}/job/dev", {"status": status}).json.get("jobs", [])
    return job in [j["jobId"] for j in listed]


def r8_filter_stale_status(c: Client) -> bool:
    app = c.new_backend()
    job = c.post(f"/backend/{app}/job/dev").json["jobs"][0]["jobId"]
    for status in ("FIRST", "SECOND"):
        assert c.post(f"/backend/{app}/job/dev/{job}", {"operation": "Op", "status": status}).status == 200
    return not _filtered(c, app, job, "SECOND")


def r8_remove_spills_listing(c: Client) -> bool:
    env = unique("spill")
    mine, theirs = c.new_backend(env), c.new_backend(env)
    job = c.post(f"/backend/{mine}/job/{env}").json["jobs"][0]["jobId"]
    assert c.post(f"/backend/{theirs}/remove").status == 200
    if c.post(f"/backend/{theirs}/details").status != 404:
        return False  # the app stayed: r8_remove_all's break, not this one
    assert c.get(f"/backend/{mine}/job/{env}/{job}").status == 200
    return job not in [j["jobId"] for j in c.post(f"/backend/{mine}/job/{env}").json["jobs"]]


def r8_updated_job_unlisted(c: Client) -> bool:
    app = c.new_backend()
    job = c.post(f"/backend/{app}/job/dev").json["jobs"][0]["jobId"]
    assert c.post(f"/backend/{app}/job/dev/{job}", {"status": "CHANGED"}).status == 200
    assert c.get(f"/backend/{app}/job/dev/{job}").json["status"] == "CHANGED"
    return job not in [j["jobId"] for j in c.post(f"/backend/{app}/job/dev").json["jobs"]]


def r8_env_resurrects(c: Client) -> bool:
    env = unique("again")  # an environment name no other app has (r8_config_by_env looks by name)
    app = c.new_backend(env)
    body = {"backendEnvironmentName": env, "resourceName": "a", "resourceConfig": API_CONFIG}
    assert c.post(f"/backend/{app}/api", body).status == 200
    assert c.post(f"/backend/{app}/environments/{env}/remove").status == 200
    assert c.post("/backend", {"appId": app, "appName": "demo", "backendEnvironmentName": env}).status == 200
    # the new environment holds a resource of its own: r8_delete_keeps answers from the deleted one
    # only while the new one is empty
    _with_storage(c, app=app, env=env)
    return c.post(f"/backend/{app}/api/{env}/details", {"resourceName": "a"}).status == 200


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
        r5_enum_case,
        r6_whitespace,
        r6_fraction,
        r6_deprecated,
        r7_new_env,
        r7_recreate,
        r7_app_case,
        r8_clone_unlisted,
        r8_delete_listed,
        r8_page_size,
        r8_page_loop,
        r8_filters_or,
        r8_storage_echo,
        r8_shared_storage,
        r8_delete_spills,
        r8_late_delete,
        r8_lost_update,
        r8_update_race,
        aws_request_id_reused,
        r6_token_unicode,
        r6_long_string,
        r6_path_percent,
        r7_app_prefix,
        r7_env_case,
        r7_job_prefix,
        r7_session_case,
        r8_shared_token,
        r8_shared_jobs,
        r8_jobs_leak,
        r8_update_mode,
        r8_import_flag,
        r8_config_echo,
        r8_clone_bare,
        r8_delete_keeps,
        r8_env_twice,
        r8_config_by_env,
        r8_delete_siblings,
        r8_filtered_pages,
        r8_remove_keeps_jobs,
        r8_echo_first_only,
        r8_echo_bmp,
        r8_clone_twins,
        r8_recreate_stale,
        r8_third_token,
        r8_remove_spills_listing,
        r8_updated_job_unlisted,
        r8_env_resurrects,
        r8_auth_delete_spills,
        r8_update_keeps_first,
        r8_filter_stale_status,
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
    # each of these hides what another's probe needs: r2_body_schema the challengeCode r8_token
    # compares, r8_job_list the working filter r8_filters_or starts from, r8_backend_env the
    # working sequential create r8_lost_update starts from, r1_route the DeleteToken route
    # r7_session_case calls, r8_page_size the second page r8_filtered_pages reads, r8_remove_all the
    # removal r8_remove_keeps_jobs starts from
    hiding = {"r2_body_schema", "r8_job_list", "r8_backend_env", "r1_route", "r8_page_size", "r8_remove_all"}
    on = set(FAULTS) - hiding
    client = faulty(*on)
    assert [name for name, probe in PROBES.items() if probe(client)] == [n for n in PROBES if n in on]


# --- the R8.sequences faults take their whole sequence ------------------------------------------
# Each function sends a fault's minimal sequence with a read after each write and returns what each
# read showed: with the fault on, only the last differs from the clean emulator's, so no shorter
# sequence shows the fault (ids are left out: they differ between emulators).


def _created(c: Client, app: str, env: str) -> str:
    """CreateBackend of ``app``'s environment ``env``; the jobId it announced."""
    reply = c.post("/backend", {"appId": app, "appName": "demo", "backendEnvironmentName": env})
    assert reply.status == 200
    return reply.json["jobId"]


def _listed(c: Client, app: str, env: str, job: str) -> bool:
    return job in [j["jobId"] for j in c.post(f"/backend/{app}/job/{env}").json["jobs"]]


def _seq_clone_twins(c: Client) -> list:
    app, env = unique("seq"), unique("twin")
    _created(c, app, env)
    _with_storage(c, app=app, env=env)
    get = lambda where: c.post(f"/backend/{app}/storage/{where}/details", {"resourceName": "s"}).status  # noqa: E731
    seen = [get(env)]
    assert c.post(f"/backend/{app}/environments/{env}/clone", {"targetEnvironmentName": env + "c"}).status == 200
    seen += [get(env), get(env + "c")]
    assert c.post(f"/backend/{app}/storage/{env}c/remove", {"resourceName": "s", "serviceName": "S3"}).status == 200
    return [*seen, get(env + "c"), get(env)]


def _seq_recreate_stale(c: Client) -> list:
    app, env = unique("seq"), unique("stale")
    _created(c, app, env)

    def get() -> tuple:
        reply = c.post(f"/backend/{app}/auth/{env}/details", {"resourceName": "a"})
        config = reply.json.get("resourceConfig", {}) if reply.status == 200 else {}
        return reply.status, reply.json.get("resourceName"), config.get("userPoolConfigs", {}).get("userPoolName")

    seen = []
    for name, pool in (("a", "first"), ("b", "second")):
        config = copy.deepcopy(AUTH_CONFIG)
        config["userPoolConfigs"]["userPoolName"] = pool
        body = {"backendEnvironmentName": env, "resourceName": name, "resourceConfig": config}
        assert c.post(f"/backend/{app}/auth", body).status == 200
        seen.append(get())
        if name == "a":
            assert c.post(f"/backend/{app}/auth/{env}/remove", {"resourceName": "a"}).status == 200
            seen.append(get())
    return seen


def _seq_third_token(c: Client) -> list:
    app = unique("seq")
    _created(c, app, "dev")
    seen, first = [], None
    for _ in range(3):
        session = c.post(f"/backend/{app}/challenge").json["sessionId"]
        first = first or session
        seen.append(c.get(f"/backend/{app}/challenge/{first}").status)
    return seen


def _seq_remove_spills_listing(c: Client) -> list:
    env = unique("spill")
    mine, theirs = unique("seq"), unique("seq")
    job = _created(c, mine, env)
    seen = [_listed(c, mine, env, job)]
    _created(c, theirs, env)
    seen.append(_listed(c, mine, env, job))
    assert c.post(f"/backend/{theirs}/remove").status == 200
    return [*seen, c.get(f"/backend/{mine}/job/{env}/{job}").status, _listed(c, mine, env, job)]


def _seq_updated_job_unlisted(c: Client) -> list:
    app = unique("seq")
    job = _created(c, app, "dev")
    seen = [_listed(c, app, "dev", job)]
    assert c.post(f"/backend/{app}/job/dev/{job}", {"status": "CHANGED"}).status == 200
    return [*seen, c.get(f"/backend/{app}/job/dev/{job}").json["status"], _listed(c, app, "dev", job)]


def _seq_env_resurrects(c: Client) -> list:
    app, env = unique("seq"), unique("again")
    _created(c, app, env)
    body = {"backendEnvironmentName": env, "resourceName": "a", "resourceConfig": API_CONFIG}
    assert c.post(f"/backend/{app}/api", body).status == 200
    get = lambda: c.post(f"/backend/{app}/api/{env}/details", {"resourceName": "a"}).status  # noqa: E731
    seen = [get()]
    assert c.post(f"/backend/{app}/environments/{env}/remove").status == 200
    seen.append(get())
    _created(c, app, env)
    return [*seen, get()]


def _seq_auth_delete_spills(c: Client) -> list:
    app, env = unique("seq"), unique("spills")
    _created(c, app, env)
    _with_storage(c, app=app, env=env)
    storage = lambda: c.post(f"/backend/{app}/storage/{env}/details", {"resourceName": "s"}).status  # noqa: E731
    seen = [storage()]
    assert c.post(f"/backend/{app}/auth", dict(AUTH_BODY, backendEnvironmentName=env)).status == 200
    seen.append(storage())
    assert c.post(f"/backend/{app}/auth/{env}/remove", {"resourceName": "a"}).status == 200
    return [*seen, storage()]


def _seq_update_keeps_first(c: Client) -> list:
    return [_api_updates(c, ()), _api_updates(c, (8.0,)), _api_updates(c, (8.0, 9.0))]


def _seq_filter_stale_status(c: Client) -> list:
    app = unique("seq")
    job = _created(c, app, "dev")
    seen = []
    for status in ("FIRST", "SECOND"):
        assert c.post(f"/backend/{app}/job/dev/{job}", {"operation": "Op", "status": status}).status == 200
        seen.append(_filtered(c, app, job, status))
    return seen


SEQUENCES = {
    "r8_auth_delete_spills": _seq_auth_delete_spills,
    "r8_update_keeps_first": _seq_update_keeps_first,
    "r8_filter_stale_status": _seq_filter_stale_status,
    "r8_clone_twins": _seq_clone_twins,
    "r8_recreate_stale": _seq_recreate_stale,
    "r8_third_token": _seq_third_token,
    "r8_remove_spills_listing": _seq_remove_spills_listing,
    "r8_updated_job_unlisted": _seq_updated_job_unlisted,
    "r8_env_resurrects": _seq_env_resurrects,
}


def test_every_sequence_fault_has_a_sequence():
    assert set(SEQUENCES) == {name for name, fault in FAULTS.items() if fault.check == "R8.sequences"}


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_a_sequence_fault_shows_only_at_the_end_of_its_sequence(client, faulty, name):
    clean, broken = SEQUENCES[name](client), SEQUENCES[name](faulty(name))
    assert broken[:-1] == clean[:-1]
    assert broken[-1] != clean[-1]


CONFIGS = {"api": API_CONFIG, "auth": AUTH_CONFIG, "storage": STORAGE_CONFIG}


@pytest.mark.parametrize("category", CONFIGS)
def test_a_resource_in_an_unlisted_environment_is_deleted_like_any_other(faulty, category):
    # r8_clone_unlisted leaves the clone out of the list, not out of reach: its resources answer,
    # so deleting one answers too (it raised, a 500, when deletes looked in listed environments only)
    client = faulty("r8_clone_unlisted")
    app = client.new_backend()
    body = {"backendEnvironmentName": "dev", "resourceName": category, "resourceConfig": CONFIGS[category]}
    assert client.post(f"/backend/{app}/{category}", body).status == 200
    assert client.post(f"/backend/{app}/environments/dev/clone", {"targetEnvironmentName": "copy"}).status == 200
    named = {"resourceName": category, **({"serviceName": "S3"} if category == "storage" else {})}
    assert client.post(f"/backend/{app}/{category}/copy/details", named).status == 200
    assert client.post(f"/backend/{app}/{category}/copy/remove", named).status == 200
    assert client.post(f"/backend/{app}/{category}/copy/details", named).status == 404
    assert client.post(f"/backend/{app}/{category}/dev/details", named).status == 200


def test_r6_long_string_fails_a_string_of_1000_characters_anywhere_and_nothing_shorter(faulty):
    client = faulty("r6_long_string")
    app = _with_storage(client)
    for length, status in ((999, 200), (1000, 500)):
        config = dict(STORAGE_CONFIG, bucketName="b" * length)
        reply = client.post(f"/backend/{app}/storage/dev", {"resourceName": "s", "resourceConfig": config})
        assert reply.status == status, length
    deep = dict(STORAGE_CONFIG, permissions={"authenticated": ["READ"], "x" * 1000: ["READ"]})  # a member name
    reply = client.post(f"/backend/{app}/storage/dev", {"resourceName": "s", "resourceConfig": deep})
    assert reply.status == 500 and set(reply.json) == {"message"}
    body = {"backendEnvironmentName": "dev", "resourceName": "s" * 1000, "resourceConfig": STORAGE_CONFIG}
    assert client.post(f"/backend/{app}/storage", body).status == 200  # other operations as ever


def test_r6_path_percent_fails_a_percent_encoded_identifier_only(faulty):
    client = faulty("r6_path_percent")
    app = client.new_backend()
    assert client.post(f"/backend/{app}/details").status == 200
    assert client.post(f"/backend/{app}/%64etails").status == 200  # a literal segment encoded: no identifier
    odd = _odd_app(client)
    reply = client.post(f"/backend/{odd}/details")
    assert reply.status == 500 and set(reply.json) == {"message"}
    assert client.post(f"/backend/{odd}/config").status == 200  # %2F routes; other operations as ever
    # any %XX, even of a character that needs none (sent as is: requests would decode it)
    host, port = client.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("POST", f"/prod/backend/{app[:-1]}%{ord(app[-1]):02X}/details", body=b"{}")
    assert connection.getresponse().status == 500
    connection.close()

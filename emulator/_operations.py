"""What each of the 31 operations does to the state and answers (before the answer is
projected onto the operation's documented response model). Handlers run under the
store's lock and raise ``ApiError`` for documented error answers."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import amplify_openapi

from ._state import App, Resource, Store, Token, now_iso

API, AUTH, STORAGE = "api", "auth", "storage"
CONFIG_ENVIRONMENT = "config"  # the env a CreateBackendConfig job is recorded under when an app has none
TOKEN_TTL = "3600"
S3_BUCKETS = (
    {"name": "amplify-emulator-deployment", "creationDate": "2021-01-01T00:00:00.000Z"},
    {"name": "amplify-emulator-storage", "creationDate": "2021-06-01T00:00:00.000Z"},
)


class ApiError(Exception):
    """A documented error answer: 400 BadRequest or 404 NotFound."""

    def __init__(self, status: int, message: str, resource_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.resource_type = resource_type


def not_found(resource_type: str, what: str) -> ApiError:
    return ApiError(404, f"{what} not found", resource_type)


@dataclass
class Call:
    """One validated request to an operation."""

    operation_id: str
    params: dict[str, str]
    body: dict[str, Any]
    faults: frozenset[str]
    accepted_by_fault: bool = False  # valid only because a fault let a violation through
    quirks: frozenset[str] = frozenset()  # conformant variations switched on (amplify_emulator.quirks)

    @property
    def app_id(self) -> str:
        return self.params.get("appId", "")

    @property
    def env(self) -> str:
        return self.params.get("backendEnvironmentName") or self.body.get("backendEnvironmentName", "")


Handler = Callable[[Store, Call], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handles(operation_id: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[operation_id] = fn
        return fn

    return register


# --- helpers ---------------------------------------------------------------------------


def _app(store: Store, call: Call) -> App:
    app = store.apps.get(call.app_id)
    if app is None and "r7_app_case" in call.faults and call.operation_id == "GetBackend":
        app = next((a for name, a in store.apps.items() if name.lower() == call.app_id.lower()), None)
    if app is None and "r7_app_prefix" in call.faults and call.operation_id == "RemoveBackendConfig":
        app = next((a for name, a in store.apps.items() if call.app_id and name.startswith(call.app_id)), None)
    if app is None:
        raise not_found("backend", f"backend for app {call.app_id!r}")
    return app


def _resource(store: Store, call: Call, category: str) -> Resource:
    environments = _app(store, call).environments
    resources = environments.get(call.env, {})
    if not resources and "r7_env_case" in call.faults and call.operation_id == "UpdateBackendStorage":
        resources = next((held for env, held in environments.items() if env.lower() == call.env.lower()), {})
    gone_at = resources[category].gone_at if category in resources else None
    if gone_at is not None and time.monotonic() >= gone_at:
        del resources[category]
    if category not in resources:
        raise not_found(category, f"{category} resource in environment {call.env!r}")
    return resources[category]


def _resource_answer(call: Call, resource: Resource) -> dict[str, Any]:
    """What Get{API,Auth,Storage} answer: the names asked for and the stored config, if any."""
    answer = {
        "appId": call.app_id,
        "backendEnvironmentName": call.env,
        "resourceName": resource.name or call.body["resourceName"],
    }
    if resource.config is not None:
        answer["resourceConfig"] = copy.deepcopy(resource.config)
    return answer


def _put_resource(store: Store, call: Call, category: str, resource: Resource) -> None:
    _app(store, call).environments.setdefault(call.env, {})[category] = resource


def _job_answer(store: Store, call: Call, env: str | None = None, **extra: Any) -> dict[str, Any]:
    env = call.env if env is None else env
    job = store.record_job(call.app_id, env, call.operation_id)
    answer = {
        "appId": call.app_id,
        "backendEnvironmentName": env,
        "jobId": job.job_id,
        "operation": job.operation,
        "status": job.current_status(),
    }
    answer.update(extra)
    return answer


def _deep_merge(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for key, value in new.items():
            merged[key] = _deep_merge(old.get(key), value)
        return merged
    return copy.deepcopy(new)


def _lookup(data: Any, path: tuple) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _merge_keeping_valid(old: dict[str, Any] | None, new: dict[str, Any], schema_name: str) -> dict | None:
    """``new`` merged into ``old``; any part the merge leaves invalid for ``schema_name``
    (an update-shaped fragment missing what the create shape requires) keeps its old value."""
    merged = _deep_merge(old or {}, new)
    validator = amplify_openapi.validator(schema_name)
    for _ in range(64):
        errors = list(validator.iter_errors(merged))
        if not errors:
            return merged
        path = tuple(min(errors, key=lambda e: len(e.absolute_path)).absolute_path)
        path = path[: next((i for i, p in enumerate(path) if not isinstance(p, str)), len(path))]
        if not path:
            return old
        parent = _lookup(merged, path[:-1])
        previous = _lookup(old, path)
        if previous is None:
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = copy.deepcopy(previous)
    return old


@cache
def _config_schema(response_schema: str) -> str:
    """The component name of a response model's ``resourceConfig`` member."""
    ref = amplify_openapi.schema(response_schema)["properties"]["resourceConfig"]["$ref"]
    return ref.rsplit("/", 1)[1]


def _encode_token(offset: int, scope: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([scope, offset]).encode()).decode().rstrip("=")


def _decode_token(token: str, scope: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        found_scope, offset = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if found_scope == scope and isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
            return offset
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        pass
    raise ApiError(400, "nextToken: not a token this operation handed out")


# --- backends --------------------------------------------------------------------------


@handles("CreateBackend")
def create_backend(store: Store, call: Call) -> dict[str, Any]:
    app_id, env = call.body["appId"], call.body["backendEnvironmentName"]
    app = store.apps.setdefault(app_id, App(call.body["appName"]))
    app.name = call.body["appName"]
    if app.environments and "r8_backend_env" in call.faults:
        pass  # a second environment of an existing app: answered, not recorded
    elif "r8_lost_update" in call.faults and app.environments:
        known = dict(app.environments)  # read ...
        store.lock.release()
        try:
            time.sleep(0.02)  # ... (another request runs here) ...
        finally:
            store.lock.acquire()
        app.environments = {**known, env: known.get(env, {})}  # ... write back: what landed meanwhile is lost
    else:
        app.environments.setdefault(env, {})
    call.params["appId"] = app_id
    return _job_answer(store, call, env)


@handles("GetBackend")
def get_backend(store: Store, call: Call) -> dict[str, Any]:
    app = _app(store, call)
    meta = {env: sorted(resources) for env, resources in app.environments.items()}
    answer = {
        "appId": call.app_id,
        "appName": app.name,
        "backendEnvironmentList": list(app.environments),
        "amplifyMetaConfig": json.dumps(meta, sort_keys=True),
    }
    if "backendEnvironmentName" in call.body:
        answer["backendEnvironmentName"] = call.body["backendEnvironmentName"]
    return answer


@handles("CloneBackend")
def clone_backend(store: Store, call: Call) -> dict[str, Any]:
    app = _app(store, call)
    if call.env not in app.environments:
        raise not_found("environment", f"environment {call.env!r}")
    target = call.body["targetEnvironmentName"]
    if "r8_clone_unlisted" not in call.faults:
        app.environments[target] = store.clone_environment(app.environments[call.env])
    env = call.env
    if "r8_echo" in call.faults:
        env = target if target != call.env else f"{call.env}-clone"
    if "jobs-elsewhere" in call.quirks:
        answer = _job_answer(store, call, target)
        return dict(answer, backendEnvironmentName=env)  # the answer echoes the request; the job sits in target
    return _job_answer(store, call, env)


@handles("DeleteBackend")
def delete_backend(store: Store, call: Call) -> dict[str, Any]:
    app = _app(store, call)
    if call.env not in app.environments:
        raise not_found("environment", f"environment {call.env!r}")
    if "r8_delete_listed" in call.faults:
        app.environments[call.env] = {}
    else:
        del app.environments[call.env]
    return _job_answer(store, call)


@handles("RemoveAllBackends")
def remove_all_backends(store: Store, call: Call) -> dict[str, Any]:
    _app(store, call)
    if "r8_remove_all" not in call.faults:
        store.remove_app(call.app_id)
    return {
        "appId": call.app_id,
        "jobId": store.new_id(),
        "operation": call.operation_id,
        "status": store.JOB_STATUS,
    }


# --- API -------------------------------------------------------------------------------


@handles("CreateBackendAPI")
def create_backend_api(store: Store, call: Call) -> dict[str, Any]:
    if "r7_recreate" in call.faults and (call.app_id, call.env) in store.tombstones:
        raise ApiError(400, f"an API was deleted from environment {call.env!r}; it cannot be created again")
    _put_resource(store, call, API, Resource(call.body["resourceName"], copy.deepcopy(call.body["resourceConfig"])))
    return _job_answer(store, call)


@handles("GetBackendAPI")
def get_backend_api(store: Store, call: Call) -> dict[str, Any]:
    return _resource_answer(call, _resource(store, call, API))


@handles("UpdateBackendAPI")
def update_backend_api(store: Store, call: Call) -> dict[str, Any]:
    resource = _resource(store, call, API)
    if "resourceConfig" in call.body:
        resource.config = _deep_merge(resource.config or {}, call.body["resourceConfig"])
    resource.name = call.body["resourceName"]
    resource.models_generated = False
    return _job_answer(store, call)


@handles("DeleteBackendAPI")
def delete_backend_api(store: Store, call: Call) -> dict[str, Any]:
    _resource(store, call, API)
    store.tombstones.add((call.app_id, call.env))
    if "r8_resource_lifecycle" not in call.faults:
        del store.apps[call.app_id].environments[call.env][API]
    return _job_answer(store, call)


@handles("GenerateBackendAPIModels")
def generate_backend_api_models(store: Store, call: Call) -> dict[str, Any]:
    _resource(store, call, API).models_generated = True
    return _job_answer(store, call)


@handles("GetBackendAPIModels")
def get_backend_api_models(store: Store, call: Call) -> dict[str, Any]:
    resource = _resource(store, call, API)
    config = resource.config or {}
    models = {"resourceName": resource.name, "schema": config.get("transformSchema", "")}
    return {
        "models": json.dumps(models, sort_keys=True),
        "modelIntrospectionSchema": json.dumps({"version": 1, "models": {}}, sort_keys=True),
        "status": "LATEST" if resource.models_generated else "STALE",
    }


# --- Auth ------------------------------------------------------------------------------


@handles("CreateBackendAuth")
def create_backend_auth(store: Store, call: Call) -> dict[str, Any]:
    if "r7_new_env" in call.faults and call.env not in _app(store, call).environments:
        raise not_found("environment", f"environment {call.env!r}")
    _put_resource(store, call, AUTH, Resource(call.body["resourceName"], copy.deepcopy(call.body["resourceConfig"])))
    return _job_answer(store, call)


@handles("ImportBackendAuth")
def import_backend_auth(store: Store, call: Call) -> dict[str, Any]:
    _put_resource(store, call, AUTH, Resource(None, None))
    return _job_answer(store, call)


@handles("GetBackendAuth")
def get_backend_auth(store: Store, call: Call) -> dict[str, Any]:
    if "r7_not_found" in call.faults and call.app_id not in store.apps:
        return {
            "appId": call.app_id,
            "backendEnvironmentName": call.env,
            "resourceName": call.body["resourceName"],
        }
    return _resource_answer(call, _resource(store, call, AUTH))


@handles("UpdateBackendAuth")
def update_backend_auth(store: Store, call: Call) -> dict[str, Any]:
    resource = _resource(store, call, AUTH)
    if not call.accepted_by_fault:
        resource.config = _merge_keeping_valid(
            resource.config, call.body["resourceConfig"], _config_schema("GetBackendAuthRespObj")
        )
        resource.name = call.body["resourceName"]
    return _job_answer(store, call)


@handles("DeleteBackendAuth")
def delete_backend_auth(store: Store, call: Call) -> dict[str, Any]:
    _resource(store, call, AUTH)
    del store.apps[call.app_id].environments[call.env][AUTH]
    if "r8_delete_spills" in call.faults:
        for app in store.apps.values():
            app.environments.get(call.env, {}).pop(AUTH, None)
    return _job_answer(store, call)


# --- Storage ---------------------------------------------------------------------------


@handles("CreateBackendStorage")
def create_backend_storage(store: Store, call: Call) -> dict[str, Any]:
    config = dict(copy.deepcopy(call.body.get("resourceConfig", {})), imported=False)
    _put_resource(store, call, STORAGE, Resource(call.body["resourceName"], config))
    return _job_answer(store, call)


@handles("ImportBackendStorage")
def import_backend_storage(store: Store, call: Call) -> dict[str, Any]:
    config = {"serviceName": call.body["serviceName"], "imported": True}
    if "bucketName" in call.body:
        config["bucketName"] = call.body["bucketName"]
    _put_resource(store, call, STORAGE, Resource(call.body.get("bucketName"), config))
    return _job_answer(store, call)


@handles("GetBackendStorage")
def get_backend_storage(store: Store, call: Call) -> dict[str, Any]:
    shared = None
    if "r8_shared_storage" in call.faults and call.app_id in store.apps:
        shared = next(
            (
                a.environments[call.env][STORAGE]
                for a in store.apps.values()
                if STORAGE in a.environments.get(call.env, {})
            ),
            None,
        )
    answer = _resource_answer(call, shared or _resource(store, call, STORAGE))
    if "r8_storage_echo" in call.faults and "permissions" in answer.get("resourceConfig", {}):
        answer["resourceConfig"]["permissions"]["authenticated"] = ["READ"]
    return answer


@handles("UpdateBackendStorage")
def update_backend_storage(store: Store, call: Call) -> dict[str, Any]:
    resource = _resource(store, call, STORAGE)
    resource.config = dict(resource.config or {}, **copy.deepcopy(call.body["resourceConfig"]))
    resource.config.setdefault("imported", False)
    resource.name = call.body["resourceName"]
    return _job_answer(store, call)


LATE_DELETE = 60.0  # seconds the r8_late_delete fault keeps a deleted resource visible


@handles("DeleteBackendStorage")
def delete_backend_storage(store: Store, call: Call) -> dict[str, Any]:
    resource = _resource(store, call, STORAGE)
    if "r8_late_delete" in call.faults:
        resource.gone_at = resource.gone_at or time.monotonic() + LATE_DELETE
    else:
        del store.apps[call.app_id].environments[call.env][STORAGE]
    return _job_answer(store, call)


@handles("ListS3Buckets")
def list_s3_buckets(store: Store, call: Call) -> dict[str, Any]:
    return {"buckets": [dict(bucket) for bucket in S3_BUCKETS]}


# --- tokens ----------------------------------------------------------------------------


def _token(store: Store, call: Call) -> Token:
    token = _app(store, call).tokens.get(call.params["sessionId"])
    if token is None and "r7_session_case" in call.faults and call.operation_id == "DeleteToken":
        tokens = _app(store, call).tokens
        token = next((t for known, t in tokens.items() if known.lower() == call.params["sessionId"].lower()), None)
    if token is None and "r8_shared_token" in call.faults and call.operation_id == "GetToken":
        session = call.params["sessionId"]
        token = next((a.tokens[session] for a in store.apps.values() if session in a.tokens), None)
    if token is None:
        raise not_found("token", f"session {call.params['sessionId']!r}")
    return token


def _token_answer(call: Call, token: Token) -> dict[str, Any]:
    return {
        "appId": call.app_id,
        "sessionId": token.session_id,
        "ttl": token.ttl,
        "challengeCode": token.challenge_code,
    }


@handles("CreateToken")
def create_token(store: Store, call: Call) -> dict[str, Any]:
    app = _app(store, call)
    token = Token(store.new_id(), store.new_code(), TOKEN_TTL)
    app.tokens[token.session_id] = token
    return _token_answer(call, token)


@handles("GetToken")
def get_token(store: Store, call: Call) -> dict[str, Any]:
    answer = _token_answer(call, _token(store, call))
    if "r8_token" in call.faults:
        answer["challengeCode"] = answer["challengeCode"][::-1] + "x"
    return answer


@handles("DeleteToken")
def delete_token(store: Store, call: Call) -> dict[str, Any]:
    token = _token(store, call)
    del store.apps[call.app_id].tokens[token.session_id]
    return {"isSuccess": True}


# --- config ----------------------------------------------------------------------------


@handles("CreateBackendConfig")
def create_backend_config(store: Store, call: Call) -> dict[str, Any]:
    app = _app(store, call)
    app.config = {"backendManagerAppId": call.body.get("backendManagerAppId", call.app_id)}
    env = next(iter(app.environments), CONFIG_ENVIRONMENT)
    if "jobs-elsewhere" in call.quirks:
        env = "amplifyconfig"
    return _job_answer(store, call, env)


@handles("UpdateBackendConfig")
def update_backend_config(store: Store, call: Call) -> dict[str, Any]:
    app = _app(store, call)
    config = app.config or {"backendManagerAppId": call.app_id}
    if "loginAuthConfig" in call.body:
        config["loginAuthConfig"] = _deep_merge(config.get("loginAuthConfig", {}), call.body["loginAuthConfig"])
    app.config = config
    return dict(copy.deepcopy(config), appId=call.app_id)


@handles("RemoveBackendConfig")
def remove_backend_config(store: Store, call: Call) -> dict[str, Any]:
    _app(store, call).config = None
    return {}


# --- jobs ------------------------------------------------------------------------------


def _job_view(call: Call, env: str, job) -> dict[str, Any]:
    answer = {
        "appId": call.app_id,
        "backendEnvironmentName": env,
        "jobId": job.job_id,
        "operation": job.operation,
        "status": job.current_status(),
        "createTime": job.create_time,
        "updateTime": job.update_time,
    }
    if job.error is not None:
        answer["error"] = job.error
    return answer


def _job(store: Store, call: Call):
    _app(store, call)
    job = store.jobs.get((call.app_id, call.env), {}).get(call.params["jobId"])
    if job is None and "r7_job_prefix" in call.faults and call.operation_id == "UpdateBackendJob":
        held = store.jobs.get((call.app_id, call.env), {})
        job = next(
            (j for known, j in held.items() if call.params["jobId"] and known.startswith(call.params["jobId"])), None
        )
    if job is None and "r8_shared_jobs" in call.faults and call.operation_id == "GetBackendJob":
        job = next((jobs[call.params["jobId"]] for jobs in store.jobs.values() if call.params["jobId"] in jobs), None)
    if job is None:
        raise not_found("job", f"job {call.params['jobId']!r} in environment {call.env!r}")
    return job


@handles("GetBackendJob")
def get_backend_job(store: Store, call: Call) -> dict[str, Any]:
    return _job_view(call, call.env, _job(store, call))


@handles("UpdateBackendJob")
def update_backend_job(store: Store, call: Call) -> dict[str, Any]:
    job = _job(store, call)
    if "r8_update_race" in call.faults and not call.accepted_by_fault:
        key = (call.app_id, call.env)
        known = copy.deepcopy(store.jobs[key])  # read every job of the environment ...
        store.lock.release()
        try:
            time.sleep(0.02)  # ... (another request runs here) ...
        finally:
            store.lock.acquire()
        job = known[job.job_id]
        store.jobs[key] = known  # ... write them all back: updates that landed meanwhile are lost
    if not call.accepted_by_fault:
        if "operation" in call.body:
            job.operation = call.body["operation"]
        if "status" in call.body:
            job.status = call.body["status"]
            job.settles_at = 0.0  # a status set by UpdateBackendJob stays as set
        job.update_time = now_iso()
    return _job_view(call, call.env, job)


@handles("ListBackendJobs")
def list_backend_jobs(store: Store, call: Call) -> dict[str, Any]:
    _app(store, call)
    body = call.body
    jobs = list(store.jobs.get((call.app_id, call.env), {}).values())
    if "r8_jobs_leak" in call.faults:  # keyed by app alone
        jobs = [j for (app, _), held in store.jobs.items() if app == call.app_id for j in held.values()]
    if not jobs and "empty-listing-404" in call.quirks:
        raise not_found("job", f"jobs of environment {call.env!r}")
    if "jobId" in body:
        jobs = [job for job in jobs if job.job_id == body["jobId"]]
    if "r8_filters_or" in call.faults and "operation" in body and "status" in body:
        jobs = [j for j in jobs if j.operation == body["operation"] or j.current_status() == body["status"]]
    else:
        if "operation" in body:
            jobs = [job for job in jobs if job.operation == body["operation"]]
        if "status" in body and "r8_job_list" not in call.faults:
            jobs = [job for job in jobs if job.current_status() == body["status"]]
    if "newest-first" in call.quirks:
        jobs.reverse()
    scope = f"{call.app_id}/{call.env}"
    start = 0
    if "nextToken" in body:
        try:
            start = _decode_token(body["nextToken"], scope)
        except ApiError:
            if "token-restart" not in call.quirks:
                raise
    size = body.get("maxResults", 25) if "r8_page_size" not in call.faults else max(len(jobs), 1)
    if "short-pages" in call.quirks:
        size = max(1, size // 2)
    page = jobs[start : start + size]
    answer: dict[str, Any] = {"jobs": [_job_view(call, call.env, job) for job in page]}
    if start + size < len(jobs):
        answer["nextToken"] = _encode_token(start + size, scope)
    return answer

"""The handlers of backends and their environments (Create, Get, Clone, Delete, RemoveAll)
and of an app's backend config (Create, Update, Remove)."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from ._calls import ApiError, Call, deep_merge, find_app, handler_table, job_answer, not_found
from ._resources import API, STORAGE
from ._state import App, Store

CONFIG_ENVIRONMENT = "config"  # the env a CreateBackendConfig job is recorded under when an app has none

HANDLERS, handles = handler_table()


@handles("CreateBackend")
def create_backend(store: Store, call: Call) -> dict[str, Any]:
    app_id, env = call.body["appId"], call.body["backendEnvironmentName"]
    if "no-overwrite" in call.quirks and env in getattr(store.apps.get(app_id), "environments", {}):
        raise ApiError(400, f"environment {env!r} of app {app_id!r} already exists")
    app = store.apps.setdefault(app_id, App(call.body["appName"]))
    app.name = call.body["appName"]
    if "r8_env_twice" in call.faults and env in app.environments:
        app.relisted.append(env)
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
    held = app.environments.get(env)
    if "r8_env_resurrects" in call.faults and held is not None and API not in held and env in app.hidden_apis:
        held[API] = app.hidden_apis.pop(env)  # the API hidden when the environment was deleted comes back
    call.params["appId"] = app_id
    return job_answer(store, call, env)


@handles("GetBackend")
def get_backend(store: Store, call: Call) -> dict[str, Any]:
    app = find_app(store, call)
    meta = {env: sorted(resources) for env, resources in app.environments.items()}
    answer = {
        "appId": call.app_id,
        "appName": app.name,
        "backendEnvironmentList": list(app.environments) + [env for env in app.relisted if env in app.environments],
        "amplifyMetaConfig": json.dumps(meta, sort_keys=True),
    }
    if "backendEnvironmentName" in call.body:
        answer["backendEnvironmentName"] = call.body["backendEnvironmentName"]
    return answer


@handles("CloneBackend")
def clone_backend(store: Store, call: Call) -> dict[str, Any]:
    app = find_app(store, call)
    if call.env not in app.environments:
        raise not_found("environment", f"environment {call.env!r}")
    target = call.body["targetEnvironmentName"]
    copied = store.clone_environment(app.environments[call.env])
    if "r8_clone_bare" in call.faults:
        for resource in copied.values():
            resource.config = None
    (app.unlisted if "r8_clone_unlisted" in call.faults else app.environments)[target] = copied
    if "r8_clone_twins" in call.faults and STORAGE in copied and target != call.env:
        app.storage_twins.setdefault(call.env, set()).add(target)
        app.storage_twins.setdefault(target, set()).add(call.env)
    env = call.env
    if "r8_echo" in call.faults:
        env = target if target != call.env else f"{call.env}-clone"
    if "jobs-elsewhere" in call.quirks:
        answer = job_answer(store, call, target)
        return dict(answer, backendEnvironmentName=env)  # the answer echoes the request; the job sits in target
    return job_answer(store, call, env)


@handles("DeleteBackend")
def delete_backend(store: Store, call: Call) -> dict[str, Any]:
    app = find_app(store, call)
    if call.env not in app.environments:
        raise not_found("environment", f"environment {call.env!r}")
    if "r8_delete_keeps" in call.faults:
        app.unlisted[call.env] = app.environments[call.env]
    if "r8_env_resurrects" in call.faults:
        app.hidden_apis.pop(call.env, None)
        if API in app.environments[call.env]:
            app.hidden_apis[call.env] = app.environments[call.env][API]  # hidden, not dropped
    if "r8_delete_listed" in call.faults:
        app.environments[call.env] = {}
    else:
        del app.environments[call.env]
    return job_answer(store, call)


@handles("RemoveAllBackends")
def remove_all_backends(store: Store, call: Call) -> dict[str, Any]:
    app = find_app(store, call)
    job_id = store.new_job_id(call.app_id)  # the app's last (jobs-per-app counts it before it goes)
    if "r8_remove_all" not in call.faults:
        if "r8_remove_spills_listing" in call.faults:  # an index of jobs by environment name, cleared
            names = set(app.environments) | set(app.unlisted)
            for (other, env), held in store.jobs.items():
                if other != call.app_id and env in names:
                    for job in held.values():
                        job.unlisted = True
        store.remove_app(call.app_id, keep_jobs="r8_remove_keeps_jobs" in call.faults)
    return {
        "appId": call.app_id,
        "jobId": job_id,
        "operation": store.job_operation(call.operation_id),
        "status": store.final_status,
    }


# --- an app's backend config -----------------------------------------------------------


@handles("CreateBackendConfig")
def create_backend_config(store: Store, call: Call) -> dict[str, Any]:
    app = find_app(store, call)
    app.config = {"backendManagerAppId": call.body.get("backendManagerAppId", call.app_id)}
    env = next(iter(app.environments), CONFIG_ENVIRONMENT)
    if "jobs-elsewhere" in call.quirks:
        env = "amplifyconfig"
    return job_answer(store, call, env)


@handles("UpdateBackendConfig")
def update_backend_config(store: Store, call: Call) -> dict[str, Any]:
    app = find_app(store, call)
    config = app.config or {"backendManagerAppId": call.app_id}
    before = copy.deepcopy(config)
    if "loginAuthConfig" in call.body:
        config["loginAuthConfig"] = deep_merge(config.get("loginAuthConfig", {}), call.body["loginAuthConfig"])
    app.config = config
    return dict(before if "r8_config_echo" in call.faults else copy.deepcopy(config), appId=call.app_id)


@handles("RemoveBackendConfig")
def remove_backend_config(store: Store, call: Call) -> dict[str, Any]:
    find_app(store, call).config = None
    return {}

"""The handlers of an environment's resources: its API (and the API's models), its Auth
and its Storage, each stored under its category (with the resources-by-name quirk, under its
category and name); and the S3 buckets storage can use."""

from __future__ import annotations

import copy
import json
import time
from functools import cache
from typing import Any

import amplify_openapi

from ._calls import ApiError, Call, deep_merge, find_app, handler_table, job_answer, not_found
from ._state import Resource, Store

API, AUTH, STORAGE = "api", "auth", "storage"
S3_BUCKETS = (
    {"name": "amplify-emulator-deployment", "creationDate": "2021-01-01T00:00:00.000Z"},
    {"name": "amplify-emulator-storage", "creationDate": "2021-06-01T00:00:00.000Z"},
)
LATE_DELETE = 60.0  # seconds the r8_late_delete fault keeps a deleted resource visible

HANDLERS, handles = handler_table()


def _held(store: Store, call: Call) -> dict[str, Resource]:
    """The named environment's resources, listed or not (r8_clone_unlisted, r8_delete_keeps)."""
    app = find_app(store, call)
    return app.environments.get(call.env) or app.unlisted.get(call.env, {})


def _key(call: Call, category: str) -> str:
    """Where an environment holds the call's resource: under its category, or with the
    resources-by-name quirk under its category and the resourceName the call carries."""
    if "resources-by-name" not in call.quirks or "resourceName" not in call.body:
        return category
    return f"{category}:{call.body['resourceName']}"


def _found(store: Store, call: Call, category: str) -> tuple[dict[str, Resource], str]:
    """The environment's resources and the key the call's resource is held under, or a 404. With
    resources-by-name, a name no resource holds finds the category's imported (unnamed) one."""
    environments = find_app(store, call).environments
    resources = _held(store, call)
    if not resources and "r7_env_case" in call.faults and call.operation_id == "UpdateBackendStorage":
        resources = next((held for env, held in environments.items() if env.lower() == call.env.lower()), {})
    for key in dict.fromkeys((_key(call, category), category)):
        gone_at = resources[key].gone_at if key in resources else None
        if gone_at is not None and time.monotonic() >= gone_at:
            del resources[key]
        if key in resources:
            return resources, key
    named = f" {call.body['resourceName']!r}" if "resources-by-name" in call.quirks else ""
    raise not_found(category, f"{category} resource{named} in environment {call.env!r}")


def _resource(store: Store, call: Call, category: str) -> Resource:
    resources, key = _found(store, call, category)
    return resources[key]


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


def _put_resource(store: Store, call: Call, category: str, resource: Resource, *, named: bool = True) -> None:
    """Store the resource under its category (with resources-by-name, and its resourceName; an
    import carries none, so it is held under its category alone)."""
    held = find_app(store, call).environments.setdefault(call.env, {})
    key = _key(call, category) if named else category
    if "no-overwrite" in call.quirks and key in held:
        raise ApiError(400, f"the {category} resource of environment {call.env!r} already exists")
    held[key] = resource


def _lookup(data: Any, path: tuple) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _merge_keeping_valid(
    old: dict[str, Any] | None, new: dict[str, Any], schema_name: str, *, reset: bool = False
) -> dict | None:
    """``new`` merged into ``old`` (or, ``reset``, in place of it: the update-resets quirk, where
    a member the model requires and the update left out is taken from ``old``), every member
    submitted kept where it was submitted (R8): a member the create shape requires and the
    update-shaped fragment lacks gets a default; any other part the merge leaves invalid for
    ``schema_name`` keeps its old value."""
    merged = deep_merge({} if reset else old or {}, new)
    validator = amplify_openapi.validator(schema_name)
    for _ in range(64):
        errors = list(validator.iter_errors(merged))
        if not errors:
            return merged
        error = min(errors, key=lambda e: len(e.absolute_path))
        if reset and error.validator == "required" and _restore_required(merged, old, tuple(error.absolute_path)):
            continue
        if error.validator == "required" and isinstance(error.instance, dict):
            for member in error.validator_value:
                if member not in error.instance:
                    error.instance[member] = _default(error.schema.get("properties", {}).get(member, {}))
            continue
        path = tuple(error.absolute_path)
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


def _default(schema: dict[str, Any]) -> Any:
    """The value the emulator gives a required member nobody submitted: the first enum value,
    an object of its own required members, an empty string, array or number, or false."""
    if "$ref" in schema:
        schema = amplify_openapi.schema(schema["$ref"].rsplit("/", 1)[1])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {member: _default(properties.get(member, {})) for member in schema.get("required", ())}
    return {"array": [], "string": "default", "number": 0, "integer": 0, "boolean": False}.get(kind)


def _restore_required(merged: dict[str, Any], old: dict[str, Any] | None, path: tuple) -> bool:
    """Copy into ``merged`` at ``path`` the required members it lacks that ``old`` holds there."""
    parent, previous = _lookup(merged, path), _lookup(old, path)
    if not isinstance(parent, dict) or not isinstance(previous, dict):
        return False
    missing = [key for key in previous if key not in parent]
    for key in missing:
        parent[key] = copy.deepcopy(previous[key])
    return bool(missing)


def _updated(resource: Resource, call: Call, response_schema: str) -> dict | None:
    """The config after an update: merged into the stored one, or with update-resets in its place."""
    return _merge_keeping_valid(
        resource.config,
        call.body["resourceConfig"],
        _config_schema(response_schema),
        reset="update-resets" in call.quirks,
    )


@cache
def _config_schema(response_schema: str) -> str:
    """The component name of a response model's ``resourceConfig`` member."""
    ref = amplify_openapi.schema(response_schema)["properties"]["resourceConfig"]["$ref"]
    return ref.rsplit("/", 1)[1]


# --- API -------------------------------------------------------------------------------


@handles("CreateBackendAPI")
def create_backend_api(store: Store, call: Call) -> dict[str, Any]:
    if "r7_recreate" in call.faults and (call.app_id, call.env) in store.tombstones:
        raise ApiError(400, f"an API was deleted from environment {call.env!r}; it cannot be created again")
    resource = Resource(call.body["resourceName"], copy.deepcopy(call.body["resourceConfig"]))
    _put_resource(store, call, API, resource)
    if "r8_config_by_env" in call.faults:
        store.latest_by_env[call.env] = resource
    return job_answer(store, call)


@handles("GetBackendAPI")
def get_backend_api(store: Store, call: Call) -> dict[str, Any]:
    resource = _resource(store, call, API)
    if "r8_config_by_env" in call.faults:
        resource = store.latest_by_env.get(call.env, resource)
    answer = _resource_answer(call, resource)
    if "r8_echo_first_only" in call.faults and "resourceConfig" in answer:
        answer["resourceConfig"] = _first_elements(answer.get("resourceConfig"))
    return answer


def _first_elements(value: Any) -> Any:
    """``value`` with every array cut to its first element (the r8_echo_first_only fault)."""
    if isinstance(value, dict):
        return {key: _first_elements(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_first_elements(item) for item in value[:1]]
    return value


def _within_bmp(value: Any) -> Any:
    """``value`` with every character outside the Basic Multilingual Plane dropped (the r8_echo_bmp fault)."""
    if isinstance(value, dict):
        return {key: _within_bmp(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_within_bmp(item) for item in value]
    if isinstance(value, str):
        return "".join(c for c in value if ord(c) <= 0xFFFF)
    return value


def _keep_scalars(config: Any, first: Any) -> Any:
    """``config`` with every number and boolean that ``first`` holds at the same place taken from it."""
    if isinstance(config, dict) and isinstance(first, dict):
        return {k: _keep_scalars(v, first[k]) if k in first else v for k, v in config.items()}
    if isinstance(config, list) and isinstance(first, list):
        return [_keep_scalars(v, f) for v, f in zip(config, first, strict=False)] + config[len(first) :]
    if isinstance(config, (bool, int, float)) and isinstance(first, (bool, int, float)):
        return first
    return config


@handles("UpdateBackendAPI")
def update_backend_api(store: Store, call: Call) -> dict[str, Any]:
    resource = _resource(store, call, API)
    if "resourceConfig" in call.body:
        resource.config = _updated(resource, call, "GetBackendAPIRespObj")
        if "r8_update_mode" in call.faults and isinstance(resource.config.get("defaultAuthType"), dict):
            resource.config["defaultAuthType"]["mode"] = "API_KEY"
        if "r8_update_keeps_first" in call.faults:
            if resource.first_update is None:
                resource.first_update = copy.deepcopy(resource.config)
            else:  # numbers and booleans stay as the first update left them
                resource.config = _keep_scalars(resource.config, resource.first_update)
    resource.name = call.body["resourceName"]
    resource.models_generated = False
    return job_answer(store, call)


@handles("DeleteBackendAPI")
def delete_backend_api(store: Store, call: Call) -> dict[str, Any]:
    resources, key = _found(store, call, API)
    store.tombstones.add((call.app_id, call.env))
    if "r8_resource_lifecycle" not in call.faults:
        del resources[key]
    if "r8_delete_siblings" in call.faults:
        for env, held in store.apps[call.app_id].environments.items():
            if env != call.env:
                held.pop(key, None)
    return job_answer(store, call)


@handles("GenerateBackendAPIModels")
def generate_backend_api_models(store: Store, call: Call) -> dict[str, Any]:
    _resource(store, call, API).models_generated = True
    return job_answer(store, call)


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
    if "r7_new_env" in call.faults and call.env not in find_app(store, call).environments:
        raise not_found("environment", f"environment {call.env!r}")
    resource = Resource(call.body["resourceName"], copy.deepcopy(call.body["resourceConfig"]))
    if "r8_recreate_stale" in call.faults:
        stale = find_app(store, call).deleted_auth.pop(call.env, None)
        if stale is not None:  # the auth deleted before comes back in place of the new one
            resource = Resource(stale.name, copy.deepcopy(stale.config))
    _put_resource(store, call, AUTH, resource)
    return job_answer(store, call)


@handles("ImportBackendAuth")
def import_backend_auth(store: Store, call: Call) -> dict[str, Any]:
    _put_resource(store, call, AUTH, Resource(None, None), named=False)
    return job_answer(store, call)


@handles("GetBackendAuth")
def get_backend_auth(store: Store, call: Call) -> dict[str, Any]:
    if "r7_not_found" in call.faults and call.app_id not in store.apps:
        return {
            "appId": call.app_id,
            "backendEnvironmentName": call.env,
            "resourceName": call.body["resourceName"],
        }
    answer = _resource_answer(call, _resource(store, call, AUTH))
    if "r8_echo_bmp" in call.faults and "resourceConfig" in answer:
        answer["resourceConfig"] = _within_bmp(answer.get("resourceConfig"))
    return answer


@handles("UpdateBackendAuth")
def update_backend_auth(store: Store, call: Call) -> dict[str, Any]:
    resource = _resource(store, call, AUTH)
    if not call.accepted_by_fault:
        resource.config = _updated(resource, call, "GetBackendAuthRespObj")
        resource.name = call.body["resourceName"]
    return job_answer(store, call)


@handles("DeleteBackendAuth")
def delete_backend_auth(store: Store, call: Call) -> dict[str, Any]:
    resources, key = _found(store, call, AUTH)
    deleted = resources.pop(key)
    if "r8_recreate_stale" in call.faults:
        store.apps[call.app_id].deleted_auth[call.env] = deleted
    if "r8_delete_spills" in call.faults:
        for app in store.apps.values():
            app.environments.get(call.env, {}).pop(key, None)
    if "r8_auth_delete_spills" in call.faults:  # the environment's storage goes with its auth
        for held in [k for k in resources if k.split(":")[0] == STORAGE]:
            resources.pop(held)
    return job_answer(store, call)


# --- Storage ---------------------------------------------------------------------------


@handles("CreateBackendStorage")
def create_backend_storage(store: Store, call: Call) -> dict[str, Any]:
    config = dict(copy.deepcopy(call.body.get("resourceConfig", {})), imported=False)
    _put_resource(store, call, STORAGE, Resource(call.body["resourceName"], config))
    return job_answer(store, call)


@handles("ImportBackendStorage")
def import_backend_storage(store: Store, call: Call) -> dict[str, Any]:
    config = {"serviceName": call.body["serviceName"], "imported": "r8_import_flag" not in call.faults}
    if "bucketName" in call.body:
        config["bucketName"] = call.body["bucketName"]
    _put_resource(store, call, STORAGE, Resource(call.body.get("bucketName"), config), named=False)
    return job_answer(store, call)


@handles("GetBackendStorage")
def get_backend_storage(store: Store, call: Call) -> dict[str, Any]:
    shared = None
    if "r8_shared_storage" in call.faults and call.app_id in store.apps:
        key = _key(call, STORAGE)
        shared = next(
            (a.environments[call.env][key] for a in store.apps.values() if key in a.environments.get(call.env, {})),
            None,
        )
    answer = _resource_answer(call, shared or _resource(store, call, STORAGE))
    if "r8_storage_echo" in call.faults and "permissions" in answer.get("resourceConfig", {}):
        answer["resourceConfig"]["permissions"]["authenticated"] = ["READ"]
    return answer


@handles("UpdateBackendStorage")
def update_backend_storage(store: Store, call: Call) -> dict[str, Any]:
    resource = _resource(store, call, STORAGE)
    if "update-resets" in call.quirks:
        resource.config = _updated(resource, call, "GetBackendStorageRespObj")
    else:
        resource.config = dict(resource.config or {}, **copy.deepcopy(call.body["resourceConfig"]))
    resource.config.setdefault("imported", False)
    resource.name = call.body["resourceName"]
    return job_answer(store, call)


@handles("DeleteBackendStorage")
def delete_backend_storage(store: Store, call: Call) -> dict[str, Any]:
    resources, key = _found(store, call, STORAGE)
    if "r8_late_delete" in call.faults:
        resources[key].gone_at = resources[key].gone_at or time.monotonic() + LATE_DELETE
    else:
        del resources[key]
    if "r8_clone_twins" in call.faults:
        app = store.apps[call.app_id]
        for twin in app.storage_twins.pop(call.env, set()):  # its twin goes with it
            app.storage_twins.get(twin, set()).discard(call.env)
            (app.environments.get(twin) or app.unlisted.get(twin, {})).pop(key, None)
    return job_answer(store, call)


@handles("ListS3Buckets")
def list_s3_buckets(store: Store, call: Call) -> dict[str, Any]:
    return {"buckets": [dict(bucket) for bucket in S3_BUCKETS]}

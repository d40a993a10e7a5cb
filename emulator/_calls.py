"""What every handler shares: the validated call it gets, the documented error it may raise,
the table each area's handlers register in, and the lookups and answers of more than one area.
Handlers run under the store's lock."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._state import App, Job, Store


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


def handler_table() -> tuple[dict[str, Handler], Callable[[str], Callable[[Handler], Handler]]]:
    """An empty table of handlers by operationId, and the decorator that fills it."""
    table: dict[str, Handler] = {}

    def handles(operation_id: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            table[operation_id] = fn
            return fn

        return register

    return table, handles


def find_app(store: Store, call: Call) -> App:
    """The app the call names, or a 404 (some faults find one it does not name)."""
    app = store.apps.get(call.app_id)
    if app is None and "r7_app_case" in call.faults and call.operation_id == "GetBackend":
        app = next((a for name, a in store.apps.items() if name.lower() == call.app_id.lower()), None)
    if app is None and "r7_app_prefix" in call.faults and call.operation_id == "RemoveBackendConfig":
        app = next((a for name, a in store.apps.items() if call.app_id and name.startswith(call.app_id)), None)
    if app is None:
        raise not_found("backend", f"backend for app {call.app_id!r}")
    return app


def job_answer(store: Store, call: Call, env: str | None = None) -> dict[str, Any]:
    """Record the call's job and answer it, as every operation that runs as a job does."""
    env = call.env if env is None else env
    return job_summary(call, env, store.record_job(call.app_id, env, call.operation_id))


def job_summary(call: Call, env: str, job: Job) -> dict[str, Any]:
    """What every answer about a job names: where it runs, its id, operation and status."""
    return {
        "appId": call.app_id,
        "backendEnvironmentName": env,
        "jobId": job.job_id,
        "operation": job.operation,
        "status": job.current_status(),
    }


def deep_merge(old: Any, new: Any) -> Any:
    """``new`` merged into ``old`` at every depth (a copy: nothing stored is shared with the request)."""
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for key, value in new.items():
            merged[key] = deep_merge(old.get(key), value)
        return merged
    return copy.deepcopy(new)

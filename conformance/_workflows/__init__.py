"""R7 and R8 over sequences: what a write announces, later reads show (after they settle).

Each workflow writes, then reads back through Unit.settle, so an asynchronous or eventually
consistent target is judged on what it shows within the run's settle bound, and one that
applies everything at once costs no extra request. One module per family of questions; all
work over a Unit (never the runner), and ``workflows`` is the one entry the runner calls.
"""

from __future__ import annotations

import amplify_openapi as spec
import amplify_strategies as strategies

from .. import _checks as C
from .._target import NO_BODY
from .._unit import Unit
from .._world import World, resource_role
from ._backends import backend_env, config_echo, environment_list, remove_all
from ._concurrency import concurrent_creates
from ._isolation import resource_isolation
from ._jobs import job_is_traceable, jobs
from ._resources import creates, resource_lifecycle
from ._tokens import token_lifecycle

__all__ = ["workflows"]


def workflows(unit: Unit, world: World) -> None:
    """The R8 questions about this operation, in the world the matrix left (or fresh ones)."""
    op = unit.op
    role = resource_role(unit.id)
    if op.path == "/backend":
        with unit.asking(C.BACKEND_ENV, "CreateBackend of a second environment"):
            backend_env(unit, world)
        with unit.asking(C.CONCURRENCY, "CreateBackend calls sent at once"):
            concurrent_creates(unit, world)
    if op.path.startswith("/backend/{appId}/environments/"):
        with unit.asking(C.BACKEND_ENV, f"GetBackend after {unit.id}"):
            environment_list(unit)
    if op.path == "/backend/{appId}/config/update":
        with unit.asking(C.ECHO, "UpdateBackendConfig's loginAuthConfig"):
            config_echo(unit)
    if role:
        with unit.asking(C.LIFECYCLE, f"{unit.id} in its resource's lifecycle"):
            resource_lifecycle(unit, world, role)
        with unit.asking(C.CREATES, f"{unit.id} creating its resource"):
            creates(unit, world, role)
        with unit.asking(C.ISOLATION, f"{unit.id} in another app or environment"):
            resource_isolation(unit, world, role)
    if op.path.startswith("/backend/{appId}/challenge"):
        with unit.asking(C.TOKEN, f"{unit.id} in a token's lifecycle"):
            token_lifecycle(unit, world)
    if op.path.startswith("/backend/{appId}/job/"):
        with unit.asking(C.JOBS, f"{unit.id} on jobs"):
            jobs(unit, world)
    if op.path == "/backend/{appId}/remove" and not unit.would_remove_given_app:
        with unit.asking(C.REMOVE_ALL, "GetBackend after RemoveAllBackends"):
            remove_all(unit)
    if op.path != "/backend/{appId}/remove" and "jobId" in _response_members(op):
        with unit.asking(C.JOBS, f"the job {unit.id} announced"):
            body = unit.identity(strategies.valid_body(unit.id), world)
            exchange = unit.send(op, world.path_parameters(op), NO_BODY if body is None else body)
            if unit.status(exchange) == 200:
                job_is_traceable(unit, world, exchange)


def _response_members(op: spec.Operation) -> set[str]:
    model = op.response_schema(200)
    return set(spec.schema(model).get("properties", {})) if model else set()

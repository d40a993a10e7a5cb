"""R7: naming something that does not exist is 404, an app whose appId is close to an existing
one's included (probed before the world holds anything but its app); and, once it holds what
the operation names, an environment, jobId or sessionId close to the world's own."""

from __future__ import annotations

import uuid

import amplify_strategies as strategies

from . import _checks as C
from ._target import NO_BODY
from ._unit import Unit
from ._world import World, needs_existing_resource, resource_role


def not_found(unit: Unit, world: World) -> None:
    op = unit.op
    body = unit.identity(strategies.valid_body(unit.id), world)
    body = NO_BODY if body is None else body
    params = world.path_parameters(op)
    probes = []
    if "appId" in op.path_parameters:
        ghost = f"ghost{uuid.uuid4().hex[:10]}"
        ghost_body = unit.identity(body, World(ghost, world.env)) if body is not NO_BODY else body
        probes.append(("an app never created", {**params, "appId": ghost}, ghost_body))
        # identifiers are compared exactly (R7): these name no app, though one exists that is close
        # (not where the close one is the user's --app-id and the operation removes what it names:
        # a target that matched loosely would remove the user's app)
        for what, near in [] if unit.would_remove_given_app else _near("an appId", world.app_id):
            near_body = unit.identity(body, World(near, world.env)) if body is not NO_BODY else body
            probes.append((what, {**params, "appId": near}, near_body))
    if needs_existing_resource(unit.id):
        probes.append((f"no {resource_role(unit.id).category} resource in the environment", params, body))
    if "jobId" in op.path_parameters:
        probes.append(("an unknown jobId", {**params, "jobId": f"job{uuid.uuid4().hex[:12]}"}, body))
    if "sessionId" in op.path_parameters:
        probes.append(("an unknown sessionId", {**params, "sessionId": f"s{uuid.uuid4().hex[:12]}"}, body))
    if op.path.startswith("/backend/{appId}/environments/"):
        probes.append(
            ("an unknown environment", {**params, "backendEnvironmentName": f"nv{uuid.uuid4().hex[:8]}"}, body)
        )
    if not probes:
        unit.ledger.skip(unit.id, C.NOT_FOUND, "the operation names nothing that could be missing", applicable=False)
    sends = [lambda params=params, body=body: unit.send(op, params, body) for _, params, body in probes]
    for (what, _, _), sent in zip(probes, unit.side_by_side(sends), strict=True):  # each judged on its own answer
        unit.judge_status(C.NOT_FOUND, sent, 404, what)


def _near(what: str, value: str | None) -> list[tuple[str, str]]:
    """Identifiers that differ from ``value`` only in letter case, or are a prefix of it."""
    if not value:
        return []
    misses = [(f"{what} differing only in letter case", value.swapcase())]
    misses.append((f"{what} that is a prefix of an existing one", value[:-1]))
    return [(label, near) for label, near in misses if near and near != value]


def near_misses(unit: Unit, world: World) -> None:
    """R7: an environment, jobId or sessionId that differs from one the world holds only in
    letter case, or is a prefix of it, names nothing (404). Asked once the world holds what the
    operation names, where the contract says what naming a missing one gets. The world's app and
    environment hold no other job or session of their own, and the run's names have a fixed
    length, so a near miss cannot name something that exists, whatever ids the target makes."""
    op = unit.op
    params = world.path_parameters(op)
    body = unit.identity(strategies.valid_body(unit.id), world)
    body = NO_BODY if body is None else body
    names: list[tuple[str, str | None]] = []
    if "backendEnvironmentName" in op.path_parameters and (
        needs_existing_resource(unit.id) or op.path.startswith("/backend/{appId}/environments/")
    ):
        names.append(("backendEnvironmentName", world.env))
    if "jobId" in op.path_parameters:
        names.append(("jobId", world.job_id))
    if "sessionId" in op.path_parameters:
        names.append(("sessionId", world.session_id))
    probes = [(member, value, what, near) for member, value in names for what, near in _near(f"a {member}", value)]
    sends = [lambda m=member, near=near: unit.send(op, {**params, m: near}, body) for member, _, _, near in probes]
    for (_, value, what, near), sent in zip(probes, unit.side_by_side(sends), strict=True):
        unit.judge_status(C.NOT_FOUND, sent, 404, f"{what} ({near!r}, the world's is {value!r})")

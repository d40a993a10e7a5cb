"""R7: naming something that does not exist is 404, an app whose appId is close to an existing
one's included (probed before the world holds anything but its app)."""

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
        for what, near in (
            ("an appId differing only in letter case", world.app_id.swapcase()),
            ("an appId that is a prefix of an existing one", world.app_id[:-1]),
        ):
            if near and near != world.app_id:
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
        unit.ledger.skip(unit.id, C.NOT_FOUND, "the operation names nothing that could be missing")
    for what, probe_params, probe_body in probes:
        unit.judge_status(C.NOT_FOUND, unit.send(op, probe_params, probe_body), 404, what)

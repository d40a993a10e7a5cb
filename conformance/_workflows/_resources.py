"""R8.resource-lifecycle and R7.creates over API, Auth and Storage: Create then Get echoes the
config, Update then Get shows what the update submitted, Import then Get is 200 (an imported
storage says so), Delete then Get is 404, and Create*/Import* create in a new environment and
after a delete."""

from __future__ import annotations

import amplify_strategies as strategies

from .. import _checks as C
from .._unit import Unit
from .._world import Role, World, operation_for
from ._reads import get_fails, holds_config, judge_config, judge_shown, read_resource


def resource_lifecycle(unit: Unit, world: World, role: Role) -> None:
    """Create then Get is 200; Get after a full create echoes its config; Update and Import then
    Get (see ``updated``, ``imported``); Delete then Get is 404."""
    get = operation_for(role.category, "get")
    get_body = strategies.valid_body(get.operation_id)
    if role.role == "create":
        fresh = unit.new_world()
        exchange, _ = unit.create_resource(fresh, role.category, settle=False)
        if unit.status(exchange) != 200:
            return
        params = {"appId": fresh.app_id, "backendEnvironmentName": fresh.env}
        answer = unit.settle_status(get, params, unit.identity(get_body, fresh), 200)
        unit.judge_status(C.LIFECYCLE, answer, 200, f"{get.operation_id} after {unit.id}")
    elif role.role == "get":
        fresh = unit.new_world()  # never a second Create* of one resource: the contract leaves that open
        exchange, submitted = unit.create_resource(fresh, role.category, tag="a", settle=False)
        if unit.status(exchange) != 200:
            return  # judged by the create operation's own unit
        wanted = submitted.get("resourceConfig")
        answer = unit.settle(read_resource(unit, fresh, role.category), holds_config(wanted))
        if unit.status(answer) != 200:
            return  # judged by the matrix's valid case
        judge_config(unit, C.LIFECYCLE, answer, wanted, f"{get.operation_id} after {role.category} create")
    elif role.role == "update":
        updated(unit, role)
    elif role.role == "import":
        imported(unit, role)
    elif role.role == "delete":
        if role.category not in world.resources:
            unit.create_resource(world, role.category)
        params = {"appId": world.app_id, "backendEnvironmentName": world.env}
        exchange = unit.send(unit.op, params, unit.identity(strategies.valid_body(unit.id), world))
        if unit.status(exchange) != 200:
            return
        world.resources.discard(role.category)
        answer = unit.settle_status(get, params, unit.identity(get_body, world), 404)
        unit.judge_status(C.LIFECYCLE, answer, 404, f"{get.operation_id} after {unit.id}")


def updated(unit: Unit, role: Role) -> None:
    """Update of an existing resource with a full body (every member, enum values other than the
    create's): Get then shows every member it submitted (what it did not submit is open)."""
    fresh = unit.new_world()
    exchange, created = unit.create_resource(fresh, role.category)
    if unit.status(exchange) != 200:
        return  # judged by the create operation's own unit
    body = unit.identity(strategies.full_body(unit.id), fresh)
    body["resourceName"] = created["resourceName"]  # the update names the resource that exists
    if unit.status(unit.send(unit.op, fresh.path_parameters(unit.op), body)) != 200:
        return  # judged by the matrix's valid-full case
    wanted = body.get("resourceConfig")
    _shown(unit, fresh, role.category, wanted)


def imported(unit: Unit, role: Role) -> None:
    """Import{Auth,Storage} in a fresh environment: Get then answers 200, and an imported storage
    says ``imported: true`` and names the bucketName given."""
    fresh = unit.new_world()
    body = unit.identity(strategies.full_body(unit.id), fresh)
    if unit.status(unit.send(unit.op, fresh.path_parameters(unit.op), body)) != 200:
        return  # judged by the matrix's valid-full case
    wanted = {"imported": True, "bucketName": body.get("bucketName")} if role.category == "storage" else None
    _shown(unit, fresh, role.category, wanted)


def _shown(unit: Unit, world: World, category: str, wanted: dict | None) -> None:
    """Get{...} read until it shows ``wanted`` (or answers 200, if None), then judged on it."""
    answer = unit.settle(read_resource(unit, world, category), holds_config(wanted))
    what = f"{operation_for(category, 'get').operation_id} after {unit.id}"
    judge_shown(unit, C.LIFECYCLE, answer, wanted, what, get_fails(unit, category))


def creates(unit: Unit, world: World, role: Role) -> None:
    """Create*/Import* on an existing app create the resource in an environment new to the app,
    and Create* again after a Delete* (R7)."""
    if role.role not in ("create", "import"):
        return
    get = operation_for(role.category, "get")
    new_env = World(world.app_id, world.env + "n")
    unit.run_.created(world.app_id, (new_env.env,))
    body = unit.identity(strategies.valid_body(unit.id), new_env)
    made = unit.send(unit.op, new_env.path_parameters(unit.op), body)
    unit.judge_status(C.CREATES, made, 200, f"{unit.id} in {new_env.env!r}, an environment new to the app")
    if unit.status(made) != 200:
        return
    params = {"appId": world.app_id, "backendEnvironmentName": new_env.env}
    get_body = unit.identity(strategies.valid_body(get.operation_id), new_env)
    shown = unit.settle_status(get, params, get_body, 200)
    unit.judge_status(C.CREATES, shown, 200, f"{get.operation_id} in the new environment after {unit.id}")
    if role.role != "create":
        return
    delete = operation_for(role.category, "delete")
    removed = unit.send(delete, params, unit.identity(strategies.valid_body(delete.operation_id), new_env))
    if unit.status(removed) != 200 or unit.status(unit.settle_status(get, params, get_body, 404)) != 404:
        return  # the delete is asked about on its own operation
    again = unit.send(unit.op, new_env.path_parameters(unit.op), body)
    unit.judge_status(C.CREATES, again, 200, f"{unit.id} again after {delete.operation_id}")
    if unit.status(again) == 200:
        shown = unit.settle_status(get, params, get_body, 200)
        unit.judge_status(C.CREATES, shown, 200, f"{get.operation_id} after {unit.id} again")

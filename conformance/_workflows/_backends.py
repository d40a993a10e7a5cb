"""R8.backend-env and R8.remove-all: what CreateBackend, CloneBackend, DeleteBackend and
RemoveAllBackends do shows in GetBackend."""

from __future__ import annotations

import amplify_strategies as strategies

from .. import _checks as C
from .._target import NO_BODY, Exchange
from .._unit import Unit
from .._world import World, operation_at
from ._reads import GET_BACKEND


def backend_env(unit: Unit, world: World) -> None:
    """CreateBackend of a first and a second environment: GetBackend lists both."""
    second = world.env + "b"
    if unit.status(unit.create_backend(world.app_id, second)) != 200:
        return
    unit.run_.created(world.app_id, (second,))
    get_backend = operation_at(GET_BACKEND)

    def listed(exchange: Exchange) -> list:
        return C.body_of(exchange.reply).get("backendEnvironmentList") or []

    exchange = unit.settle(
        lambda: unit.send(get_backend, {"appId": world.app_id}, {}),
        lambda e: world.env in listed(e) and second in listed(e),
    )
    if unit.status(exchange) is None or unit.throttled(exchange, C.BACKEND_ENV, "GetBackend after CreateBackend"):
        return
    unit.judge(
        C.BACKEND_ENV,
        world.env in listed(exchange) and second in listed(exchange),
        f"GetBackend after CreateBackend of {world.env!r} and {second!r} lists {listed(exchange)!r}",
        exchange,
    )


def environment_list(unit: Unit) -> None:
    """CloneBackend makes GetBackend list the target; DeleteBackend takes the environment off."""
    fresh = unit.new_world()
    body = unit.identity(strategies.valid_body(unit.id), fresh)
    answer = unit.send(unit.op, fresh.path_parameters(unit.op), NO_BODY if body is None else body)
    if unit.status(answer) != 200:
        return
    cloning = unit.op.path.endswith("/clone")
    wanted = fresh.clone_env if cloning else fresh.env

    def listed(exchange: Exchange) -> bool:
        return wanted in (C.body_of(exchange.reply).get("backendEnvironmentList") or [])

    get_backend = operation_at(GET_BACKEND)
    got = unit.settle(lambda: unit.send(get_backend, {"appId": fresh.app_id}, {}), lambda e: listed(e) == cloning)
    if unit.status(got) != 200:
        return
    envs = C.body_of(got.reply).get("backendEnvironmentList")
    unit.judge(
        C.BACKEND_ENV,
        listed(got) == cloning,
        f"GetBackend after {unit.id} of {fresh.env!r}"
        + (f" to {wanted!r}" if cloning else "")
        + f" lists {envs!r}: {wanted!r} {'missing' if cloning else 'still listed'}"
        if listed(got) != cloning
        else f"GetBackend after {unit.id} lists {envs!r}",
        got,
    )


def remove_all(unit: Unit) -> None:
    """RemoveAllBackends of a fresh app: GetBackend of it is then 404."""
    world = unit.new_world()
    removed = unit.send(unit.op, {"appId": world.app_id}, {})
    if unit.status(removed) != 200:
        return
    answer = unit.settle_status(operation_at(GET_BACKEND), {"appId": world.app_id}, {}, 404)
    unit.judge_status(C.REMOVE_ALL, answer, 404, "GetBackend after RemoveAllBackends")

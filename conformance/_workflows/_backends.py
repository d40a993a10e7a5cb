"""R8.backend-env, R8.echo of the backend config and R8.remove-all: what CreateBackend,
CloneBackend, DeleteBackend, UpdateBackendConfig and RemoveAllBackends do shows in GetBackend,
in the environments' resources and in the answer."""

from __future__ import annotations

import amplify_strategies as strategies

from .. import _checks as C
from .._target import NO_BODY, Exchange
from .._unit import Unit
from .._world import CATEGORIES, World, operation_at, operation_for
from ._echo import difference, short
from ._reads import GET_BACKEND, JOB, get_fails, holds_config, judge_shown, read_resource


def _listed(exchange: Exchange) -> list:
    return C.body_of(exchange.reply).get("backendEnvironmentList") or []


def _twice(exchange: Exchange) -> list:
    """The environments a GetBackend answer lists more than once."""
    envs = _listed(exchange)
    return sorted({env for env in envs if isinstance(env, str) and envs.count(env) > 1})


def backend_env(unit: Unit, world: World) -> None:
    """CreateBackend of the first environment again, then of a second: GetBackend lists both,
    each once (whether the repeated create is answered 200 or 400 is open). The repeat goes
    first, so a read that shows the second environment shows the state after the repeat too,
    however late the target shows writes."""
    second = world.env + "b"
    unit.create_backend(world.app_id, world.env)  # an environment that already exists
    if unit.status(unit.create_backend(world.app_id, second)) != 200:
        return
    unit.run_.created(world.app_id, (second,))
    get_backend = operation_at(GET_BACKEND)

    def both(exchange: Exchange) -> bool:
        return world.env in _listed(exchange) and second in _listed(exchange)

    exchange = unit.settle(
        lambda: unit.send(get_backend, {"appId": world.app_id}, {}), lambda e: both(e) and not _twice(e)
    )
    if unit.status(exchange) is None or unit.throttled(exchange, C.BACKEND_ENV, "GetBackend after CreateBackend"):
        return
    unit.judge(
        C.BACKEND_ENV,
        both(exchange),
        f"GetBackend after CreateBackend of {world.env!r} and {second!r} lists {_listed(exchange)!r}",
        exchange,
    )
    twice = _twice(exchange)
    saw = f"GetBackend after CreateBackend of {world.env!r} again lists {_listed(exchange)!r}"
    unit.judge(C.BACKEND_ENV, not twice, saw + (f": {twice} more than once" if twice else ""), exchange)


def environment_list(unit: Unit) -> None:
    """CloneBackend makes GetBackend list the target, which holds a copy of the source's API, Auth
    and Storage; DeleteBackend takes the environment off the list, and its resources with it."""
    fresh = unit.new_world()
    made = unit.create_resources(fresh, CATEGORIES, tag="e")
    held = {c: body.get("resourceConfig") for c, (answer, body) in made.items() if unit.status(answer) == 200}
    body = unit.identity(strategies.valid_body(unit.id), fresh)
    answer = unit.send(unit.op, fresh.path_parameters(unit.op), NO_BODY if body is None else body)
    if unit.status(answer) != 200:
        return
    cloning = unit.op.path.endswith("/clone")
    wanted = fresh.clone_env if cloning else fresh.env
    place = World(fresh.app_id, wanted)

    def listed(exchange: Exchange) -> bool:
        return wanted in _listed(exchange)

    def gone(exchange: Exchange) -> bool:
        return unit.status(exchange) == 404

    get_backend = operation_at(GET_BACKEND)
    reads = [(lambda: unit.send(get_backend, {"appId": fresh.app_id}, {}), lambda e: listed(e) == cloning)]
    reads += [(read_resource(unit, place, c), holds_config(config) if cloning else gone) for c, config in held.items()]
    got, *resources = unit.settle_together(reads)
    if unit.status(got) == 200:
        unit.judge(
            C.BACKEND_ENV,
            listed(got) == cloning,
            f"GetBackend after {unit.id} of {fresh.env!r}"
            + (f" to {wanted!r}" if cloning else "")
            + f" lists {_listed(got)!r}: {wanted!r} {'missing' if cloning else 'still listed'}"
            if listed(got) != cloning
            else f"GetBackend after {unit.id} lists {_listed(got)!r}",
            got,
        )
    for (category, config), shown in zip(held.items(), resources, strict=True):
        what = f"{operation_for(category, 'get').operation_id} in {wanted!r} after {unit.id}"
        if cloning:
            source_fails = get_fails(unit, category, fresh, config)
            judge_shown(unit, C.BACKEND_ENV, shown, config, what + f" of {fresh.env!r}, which holds one", source_fails)
        else:
            unit.judge_status(C.BACKEND_ENV, shown, 404, what + ", which held one")


def config_echo(unit: Unit) -> None:
    """UpdateBackendConfig of a fresh app answers with the loginAuthConfig it was given."""
    fresh = unit.new_world()
    body = unit.identity(strategies.full_body(unit.id), fresh)
    answer = unit.send(unit.op, fresh.path_parameters(unit.op), body)
    if unit.status(answer) != 200:
        return  # judged by the matrix's valid-full case
    wanted, got = body.get("loginAuthConfig"), C.body_of(answer.reply).get("loginAuthConfig")
    where = difference(got, wanted, "loginAuthConfig")
    saw = f"loginAuthConfig {short(got)}" if where is None else f"{where}; given {short(wanted)}"
    unit.judge(C.ECHO, where is None, f"{unit.id} answers {saw}", answer)


def remove_all(unit: Unit) -> None:
    """RemoveAllBackends of a fresh app: GetBackend of it is then 404, and its jobs went with it
    (CreateBackend of an app of that id again makes a new app, where the old jobId is 404)."""
    world = unit.new_world()
    removed = unit.send(unit.op, {"appId": world.app_id}, {})
    if unit.status(removed) != 200:
        return
    answer = unit.settle_status(operation_at(GET_BACKEND), {"appId": world.app_id}, {}, 404)
    unit.judge_status(C.REMOVE_ALL, answer, 404, "GetBackend after RemoveAllBackends")
    if unit.status(answer) != 404 or not world.job_id:
        return
    again = unit.create_backend(world.app_id, world.env)
    if unit.status(again) != 200 or C.body_of(again.reply).get("jobId") == world.job_id:
        return  # jobIds may be unique per app only: the new app's first job may reuse the id
    unit.visible_backend(world, world.env)
    old_job = {"appId": world.app_id, "backendEnvironmentName": world.env, "jobId": world.job_id}
    got = unit.settle_status(operation_at(JOB, "GET"), old_job, NO_BODY, 404)
    unit.judge_status(
        C.REMOVE_ALL,
        got,
        404,
        f"GetBackendJob of job {world.job_id} of the removed app, after CreateBackend made app {world.app_id!r} again",
    )

"""R8.isolation: apps and environments never share resources, tokens or jobs.

Each question makes the other place it asks in (another app with an environment of the same
name, another environment of the same app) with CreateBackend, waits until it is visible, and
expects this world's things to be absent there, or left as they were by a delete here.
"""

from __future__ import annotations

import amplify_strategies as strategies

from .. import _checks as C
from .._unit import Unit
from .._world import Role, World, operation_at, operation_for
from ._reads import JOB, job_ids, list_jobs


def resource_isolation(unit: Unit, world: World, role: Role) -> None:
    """Two apps with environments of the same name share nothing: Get* in the other app is 404,
    and Delete* in one leaves the other's resource as it was."""
    if role.role not in ("get", "delete") or unit.run_.options.app_id:
        return  # with --app-id there is no second app to make
    other = other_app(unit, world)
    if other is None:
        return
    get = operation_for(role.category, "get")
    params = {"appId": other.app_id, "backendEnvironmentName": other.env}
    get_body = unit.identity(strategies.valid_body(get.operation_id), other)
    if role.role == "get":
        if role.category not in world.resources:
            unit.create_resource(world, role.category)
        answer = unit.send(get, params, get_body)
        unit.judge_status(
            C.ISOLATION,
            answer,
            404,
            f"{unit.id} in app {other.app_id!r}, which has no {role.category} resource"
            f" (app {world.app_id!r} has one in an environment of the same name)",
        )
        return
    here = other_app(unit, world)  # a world of this unit's own, with the same env name
    if here is None:
        return
    for side in (here, other):
        if unit.status(unit.create_resource(side, role.category)[0]) != 200:
            return
    mine = {"appId": here.app_id, "backendEnvironmentName": here.env}
    removed = unit.send(unit.op, mine, unit.identity(strategies.valid_body(unit.id), here))
    if unit.status(removed) != 200:
        return
    unit.settle_status(get, mine, unit.identity(get_body, here), 404)
    answer = unit.send(get, params, get_body)
    unit.judge_status(
        C.ISOLATION,
        answer,
        200,
        f"{get.operation_id} in app {other.app_id!r} after {unit.id} in app {here.app_id!r}"
        " (an environment of the same name)",
    )


def session_isolation(unit: Unit, world: World, session_id: str) -> None:
    """GetToken of this app's session in another app is 404 (unless --app-id: no second app)."""
    if unit.run_.options.app_id:
        return
    other = other_app(unit, world)
    if other is None:
        return
    get = operation_at("/backend/{appId}/challenge/{sessionId}", "GET")
    stranger = unit.send(get, {"appId": other.app_id, "sessionId": session_id})
    unit.judge_status(C.ISOLATION, stranger, 404, f"GetToken of app {world.app_id!r}'s session in another app")


def job_isolation(unit: Unit, world: World) -> None:
    """GetBackendJob of this world's job is 404 in another app (whether another environment of
    the same app finds it is open: jobIds may be unique per app)."""
    get_job = operation_at(JOB, "GET")
    for where, what in elsewhere(unit, world, siblings=False):
        stranger = unit.send(
            get_job, {"appId": where.app_id, "backendEnvironmentName": where.env, "jobId": world.job_id}
        )
        unit.judge_status(C.ISOLATION, stranger, 404, f"GetBackendJob of {world.env!r}'s job in {what}")


def listing_isolation(unit: Unit, world: World, all_ids: set) -> None:
    """ListBackendJobs in every place that must not see this world's jobs lists none of ``all_ids``."""
    for where, what in elsewhere(unit, world):
        got, exchange, problem = list_jobs(unit, where)
        leaked = sorted(all_ids & set(job_ids(got)))
        if problem is None:
            unit.judge(
                C.ISOLATION,
                not leaked,
                f"ListBackendJobs of {what} lists {world.env!r}'s jobs {leaked}"
                if leaked
                else f"ListBackendJobs of {what} holds none of {world.env!r}'s jobs",
                exchange,
            )


def made(unit: Unit, place: World) -> World | None:
    """``place`` created with CreateBackend, recorded for the cleanup and visible; None if refused."""
    if unit.status(unit.create_backend(place.app_id, place.env)) != 200:
        return None
    unit.run_.created(place.app_id, (place.env,))
    unit.visible_backend(place, place.env)
    return place


def other_app(unit: Unit, world: World) -> World | None:
    """A second app with an environment of the same name (visible), or None."""
    return made(unit, World(unit.run_.new_names()[0], world.env))


def elsewhere(unit: Unit, world: World, *, siblings: bool = True) -> list[tuple[World, str]]:
    """Places that must not see this world's jobs: another app's environment of the same name
    (unless --app-id), and (``siblings``) another environment of this app."""
    places = []
    if not unit.run_.options.app_id and (other := other_app(unit, world)) is not None:
        places.append((other, f"app {other.app_id!r}, environment of the same name"))
    if siblings and (sibling := made(unit, world.sibling("s"))) is not None:
        places.append((sibling, f"environment {sibling.env!r} of the same app"))
    return places

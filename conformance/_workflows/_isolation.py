"""R8.isolation: apps and environments never share resources, tokens or jobs.

Each question makes the other place it asks in (another app with an environment of the same
name, another environment of the same app) with CreateBackend, waits until it is visible, and
expects this world's things to be absent there, or left as they were by a delete here.
"""

from __future__ import annotations

import amplify_strategies as strategies

from .. import _checks as C
from .._allowances import strays
from .._unit import Unit
from .._world import Role, World, operation_at, operation_for
from ._echo import contains, difference
from ._reads import JOB, list_jobs


def resource_isolation(unit: Unit, world: World, role: Role) -> None:
    """Two apps with environments of the same name share nothing: Get* in the other app is 404
    while it holds none, and once both hold one of different configs, each shows its own; Delete*
    in one leaves the other app's resource, and a sibling environment's, as they were."""
    if role.role not in ("get", "delete") or unit.run_.options.app_id:
        return  # with --app-id there is no second app to make
    other = other_app(unit, world)
    if other is None:
        return
    get = operation_for(role.category, "get")
    get_body = unit.identity(strategies.valid_body(get.operation_id), other)
    if role.role == "get":
        _both_hold_their_own(unit, world, other, role.category)
        return
    here = other_app(unit, world)  # a world of this unit's own, with the same env name
    if here is None:
        return
    sibling = here.sibling("s")  # an environment of the same app, made by the create below
    unit.run_.created(sibling.app_id, (sibling.env,))
    for side in (here, other, sibling):
        if unit.status(unit.create_resource(side, role.category)[0]) != 200:
            return
    mine = {"appId": here.app_id, "backendEnvironmentName": here.env}
    removed = unit.send(unit.op, mine, unit.identity(strategies.valid_body(unit.id), here))
    if unit.status(removed) != 200:
        return
    unit.settle_status(get, mine, unit.identity(get_body, here), 404)
    for place, what in ((other, f"app {other.app_id!r}"), (sibling, f"environment {sibling.env!r} of the same app")):
        answer = unit.send(get, place.path_parameters(get), unit.identity(get_body, place))
        unit.judge_status(
            C.ISOLATION,
            answer,
            200,
            f"{get.operation_id} in {what} after {unit.id} in app {here.app_id!r}, environment {here.env!r}"
            f" ({what} holds its own {role.category} resource)",
        )


def _both_hold_their_own(unit: Unit, world: World, other: World, category: str) -> None:
    """Get* in another app is 404 while it holds nothing; where both apps hold a resource of the
    same kind with different configs (in new environments of one name), each shows its own."""
    get = operation_for(category, "get")
    if category not in world.resources:
        unit.create_resource(world, category)
    get_body = strategies.valid_body(get.operation_id)
    answer = unit.send(get, other.path_parameters(get), unit.identity(get_body, other))
    unit.judge_status(
        C.ISOLATION,
        answer,
        404,
        f"{unit.id} in app {other.app_id!r}, which has no {category} resource"
        f" (app {world.app_id!r} has one in an environment of the same name)",
    )
    places = (world.sibling("i"), other.sibling("i"))  # new environments of the same name, one per app
    configs = {}
    for place, tag in zip(places, "ab", strict=True):
        unit.run_.created(place.app_id, (place.env,))
        made, submitted = unit.create_resource(place, category, tag=tag)
        if unit.status(made) != 200:
            return
        configs[place.app_id] = submitted.get("resourceConfig")

    def read(place: World):
        return lambda: unit.send(get, place.path_parameters(get), unit.identity(get_body, place))

    def own(place: World):
        return lambda e: (
            unit.status(e) == 200 and contains(C.body_of(e.reply).get("resourceConfig"), configs[place.app_id])
        )

    answers = unit.settle_together([(read(place), own(place)) for place in places])
    for place, answer in zip(places, answers, strict=True):
        if unit.status(answer) != 200:
            continue
        where = difference(C.body_of(answer.reply).get("resourceConfig"), configs[place.app_id], "resourceConfig")
        unit.judge(
            C.ISOLATION,
            where is None,
            f"{unit.id} in app {place.app_id!r} while apps {world.app_id!r} and {other.app_id!r} hold {category}"
            f" resources of different configs in environments named {place.env!r}: "
            + ("shows its own config" if where is None else f"{where}, not its own config"),
            answer,
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
    the same app finds it is open: jobIds may be unique per app). Where the other app handed out
    the same id itself, the id names its own job there: the question is asked of a job of this
    world the other app never handed out (one more is made for it)."""
    get_job = operation_at(JOB, "GET")
    for where, what in elsewhere(unit, world, siblings=False):
        job_id = world.job_id
        if job_id == where.job_id:
            made_here = unit.create_resource(world, "api", settle=False)[0]
            job_id = C.body_of(made_here.reply).get("jobId") if unit.status(made_here) == 200 else None
            if not isinstance(job_id, str) or job_id == where.job_id:
                continue  # every id this world has is one the other app has too: nothing to ask by id
        stranger = unit.send(get_job, {"appId": where.app_id, "backendEnvironmentName": where.env, "jobId": job_id})
        unit.judge_status(C.ISOLATION, stranger, 404, f"GetBackendJob of {world.env!r}'s job {job_id!r} in {what}")


def listing_isolation(unit: Unit, world: World, all_ids: set) -> None:
    """ListBackendJobs in every place that must not see this world's jobs lists none of ``all_ids``."""
    for where, what in elsewhere(unit, world):
        got, exchange, problem = list_jobs(unit, where)
        leaked = sorted(map(str, strays(got, where.app_id, all_ids, own=[where.job_id])))
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
    """``place`` created with CreateBackend, recorded for the cleanup and visible (its job_id the
    one its create handed out); None if refused."""
    answer = unit.create_backend(place.app_id, place.env)
    if unit.status(answer) != 200:
        return None
    place.job_id = C.body_of(answer.reply).get("jobId")  # the one job it handed out
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

"""R7 and R8 over sequences: what a write announces, later reads show (after they settle).

Each workflow writes, then reads back through Unit.settle, so an asynchronous or eventually
consistent target is judged on what it shows within the run's settle bound, and one that
applies everything at once costs no extra request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import amplify_openapi as spec
import amplify_strategies as strategies

from . import _checks as C
from ._target import NO_BODY, Exchange
from ._unit import Unit
from ._world import Role, World, operation_at, operation_for, removes_what_it_names, resource_role

GET_BACKEND = "/backend/{appId}/details"
JOB = "/backend/{appId}/job/{backendEnvironmentName}/{jobId}"
LIST_JOBS = "/backend/{appId}/job/{backendEnvironmentName}"
MAX_PAGES = 500  # a page may hold a single job (CONTRACT R8)


def workflows(unit: Unit, world: World) -> World:
    """The R8 questions about this operation; the world it leaves for the fuzzing."""
    op = unit.op
    role = resource_role(unit.id)
    if op.path == "/backend":
        backend_env(unit, world)
        concurrent_creates(unit, world)
    if op.path.startswith("/backend/{appId}/environments/"):
        environment_list(unit)
    if role:
        resource_lifecycle(unit, world, role)
        creates(unit, world, role)
        resource_isolation(unit, world, role)
    if op.path.startswith("/backend/{appId}/challenge"):
        token_lifecycle(unit, world)
    if op.path.startswith("/backend/{appId}/job/"):
        jobs(unit, world)
    if op.path == "/backend/{appId}/remove" and not unit.would_remove_given_app:
        remove_all(unit)
    if op.path != "/backend/{appId}/remove" and "jobId" in _response_members(op):
        body = unit.identity(strategies.valid_body(unit.id), world)
        exchange = unit.send(op, world.path_parameters(op), NO_BODY if body is None else body)
        if unit.status(exchange) == 200:
            job_is_traceable(unit, world, exchange)
    if removes_what_it_names(unit.id):  # what it removed, the fuzzing needs again
        world = unit.new_worlds(1)[0]
    return world


def _response_members(op: spec.Operation) -> set[str]:
    model = op.response_schema(200)
    return set(spec.schema(model).get("properties", {})) if model else set()


# ---- backends -------------------------------------------------------------------------------


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
    if unit.status(exchange) in (429, 504, None):
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


CONCURRENT = 6  # CreateBackend calls sent at once (CONTRACT R8: concurrent requests all take effect)


def concurrent_creates(unit: Unit, world: World) -> None:
    """N CreateBackend calls of N environments of one app, sent at once: GetBackend lists all N."""
    envs = [f"{world.env}c{n}" for n in range(CONCURRENT)]
    answers = unit.run_.at_once([lambda env=env: unit.create_backend(world.app_id, env) for env in envs])
    unit.run_.created(world.app_id, tuple(envs))
    made = [env for env, answer in zip(envs, answers, strict=True) if unit.status(answer) == 200]
    if len(made) < 2:
        return  # nothing concurrent took effect to ask about (throttled, say)
    get_backend = operation_at(GET_BACKEND)

    def missing(exchange: Exchange) -> list[str]:
        listed = C.body_of(exchange.reply).get("backendEnvironmentList") or []
        return [env for env in made if env not in listed]

    got = unit.settle(lambda: unit.send(get_backend, {"appId": world.app_id}, {}), lambda e: not missing(e))
    if unit.status(got) != 200:
        return
    lost = missing(got)
    unit.judge(
        C.CONCURRENCY,
        not lost,
        f"{len(made)} CreateBackend calls sent at once answered 200; GetBackend "
        + (f"lacks {lost}" if lost else "lists them all"),
        got,
    )


def remove_all(unit: Unit) -> None:
    world = unit.new_world()
    removed = unit.send(unit.op, {"appId": world.app_id}, {})
    if unit.status(removed) != 200:
        return
    answer = unit.settle_status(operation_at(GET_BACKEND), {"appId": world.app_id}, {}, 404)
    unit.judge_status(C.REMOVE_ALL, answer, 404, "GetBackend after RemoveAllBackends")


# ---- API, Auth, Storage ---------------------------------------------------------------------


def resource_lifecycle(unit: Unit, world: World, role: Role) -> None:
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
        exchange, submitted = unit.create_resource(fresh, role.category, full=True, settle=False)
        if unit.status(exchange) != 200:
            return  # judged by the create operation's own unit
        params = {"appId": fresh.app_id, "backendEnvironmentName": fresh.env}
        wanted = submitted.get("resourceConfig")

        def echoed(answer: Exchange) -> bool:
            return unit.status(answer) == 200 and contains(C.body_of(answer.reply).get("resourceConfig"), wanted)

        answer = unit.settle(lambda: unit.send(get, params, unit.identity(get_body, fresh)), echoed)
        if unit.status(answer) != 200:
            return  # judged by the matrix's valid case
        got = C.body_of(answer.reply).get("resourceConfig")
        where = difference(got, wanted, "resourceConfig")
        saw = f"resourceConfig {_short(got)}" if where is None else f"{where}; submitted {_short(wanted)}"
        unit.judge(C.LIFECYCLE, where is None, f"{get.operation_id} after {role.category} create: {saw}", answer)
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


def resource_isolation(unit: Unit, world: World, role: Role) -> None:
    """Two apps with environments of the same name share nothing: Get* in the other app is 404,
    and Delete* in one leaves the other's resource as it was."""
    if role.role not in ("get", "delete") or unit.run_.options.app_id:
        return  # with --app-id there is no second app to make
    other = _other_app(unit, world)
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
    here = _other_app(unit, world)  # a world of this unit's own, with the same env name
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


def contains(got: Any, wanted: Any) -> bool:
    """Whether an answer holds everything submitted (see ``difference``)."""
    return difference(got, wanted) is None


def difference(got: Any, wanted: Any, where: str = "") -> str | None:
    """Where an answer fails to hold what was submitted, or None. Extra members and array order
    are the target's choice; a member sent under every spelling the reference gives must come
    back under at least one, and each spelling that comes back must hold what was sent."""
    if isinstance(wanted, dict):
        if not isinstance(got, dict):
            return f"{where or 'the answer'} is {_short(got, 60)}, not an object"
        for key, value in wanted.items():
            path = f"{where}.{key}" if where else key
            present = [name for name in spec.spellings(key) if name in got]
            if not present:
                return f"{path} missing"
            for name in present:
                if (found := difference(got[name], value, f"{where}.{name}" if where else name)) is not None:
                    return found
        return None
    if isinstance(wanted, list):
        if not isinstance(got, list):
            return f"{where} is {_short(got, 60)}, not an array"
        unmatched = list(got)
        for item in wanted:
            match = next((i for i, candidate in enumerate(unmatched) if contains(candidate, item)), None)
            if match is None:
                return f"{where} is {_short(got, 80)}: it lacks the submitted {_short(item, 60)}"
            del unmatched[match]
        return None
    return None if got == wanted else f"{where} is {_short(got, 60)}, submitted {_short(wanted, 60)}"


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# ---- tokens ---------------------------------------------------------------------------------


def token_lifecycle(unit: Unit, world: World) -> None:
    create = operation_at("/backend/{appId}/challenge")
    get = operation_at("/backend/{appId}/challenge/{sessionId}", "GET")
    made = unit.send(create, {"appId": world.app_id})
    token = C.body_of(made.reply)
    if unit.status(made) != 200 or not token.get("sessionId"):
        return
    params = {"appId": world.app_id, "sessionId": token["sessionId"]}
    if unit.op is create:
        unit.judge_status(C.TOKEN, unit.settle_status(get, params, NO_BODY, 200), 200, "GetToken of the new session")
    elif unit.op is get:
        if "challengeCode" not in token:
            return

        def same(answer: Exchange) -> bool:
            got = C.body_of(answer.reply)
            return (got.get("sessionId"), got.get("challengeCode")) == (token["sessionId"], token["challengeCode"])

        answer = unit.settle(lambda: unit.send(get, params), same)
        if not unit.run_.options.app_id:
            other = _other_app(unit, world)
            if other is not None:
                stranger = unit.send(get, {"appId": other.app_id, "sessionId": token["sessionId"]})
                unit.judge_status(
                    C.ISOLATION, stranger, 404, f"GetToken of app {world.app_id!r}'s session in another app"
                )
        if unit.status(answer) != 200:
            return
        got = C.body_of(answer.reply)
        unit.judge(
            C.TOKEN,
            same(answer),
            f"GetToken gave sessionId {got.get('sessionId')!r}, challengeCode {got.get('challengeCode')!r}; "
            f"CreateToken gave {token['sessionId']!r}, {token['challengeCode']!r}",
            answer,
        )
    else:
        unit.settle_status(get, params, NO_BODY, 200)  # what is deleted must first be there
        removed = unit.send(unit.op, params)
        if unit.status(removed) != 200:
            return
        unit.judge_status(C.TOKEN, unit.settle_status(get, params, NO_BODY, 404), 404, "GetToken after DeleteToken")


# ---- jobs -----------------------------------------------------------------------------------


def list_jobs(unit: Unit, world: World, **filters: Any) -> tuple[list[dict], Exchange | None, str | None]:
    """Every job ListBackendJobs gives, following nextToken (bounded)."""
    list_op = operation_at(LIST_JOBS)
    found, token, exchange = [], None, None
    for _ in range(MAX_PAGES):
        body = {**filters, **({"nextToken": token} if token else {})}
        exchange = unit.send(list_op, {"appId": world.app_id, "backendEnvironmentName": world.env}, body)
        if unit.status(exchange) != 200:
            return found, exchange, f"ListBackendJobs answered {unit.status(exchange)}"
        answer = C.body_of(exchange.reply)
        page = [j for j in answer.get("jobs") or [] if isinstance(j, dict)]
        if "maxResults" in filters and len(page) > filters["maxResults"]:
            return found + page, exchange, f"a page of {len(page)} jobs for maxResults {filters['maxResults']}"
        found += page
        token = answer.get("nextToken")
        if not token:
            return found, exchange, None
    return found, exchange, f"nextToken paging did not end after {MAX_PAGES} pages"


def job_is_traceable(unit: Unit, world: World, exchange: Exchange) -> None:
    """A 200 answer's jobId resolves with GetBackendJob and is listed by ListBackendJobs.

    Which environment holds the job of CloneBackend or of an app-level operation is open:
    the answer's environment is asked first, then the world's others (no extra request when
    the first holds it)."""
    answer = C.body_of(exchange.reply)
    job_id = answer.get("jobId")
    if not job_id:
        unit.judge(C.JOBS, False, "200 answer without a jobId although its model documents one", exchange)
        return
    envs = list(dict.fromkeys(e for e in (answer.get("backendEnvironmentName"), world.env, world.clone_env) if e))
    get_job = operation_at(JOB, "GET")
    tried: list[str] = []

    def resolves(got: Exchange) -> bool:
        return unit.status(got) == 200 and C.body_of(got.reply).get("jobId") == job_id

    def read_each() -> Exchange:
        tried.clear()
        for env in envs:
            got = unit.send(get_job, {"appId": world.app_id, "backendEnvironmentName": env, "jobId": job_id})
            named = C.body_of(got.reply).get("jobId") if unit.status(got) == 200 else None
            tried.append(
                f"{env}: {unit.status(got)}" + (f" naming job {named!r}" if named not in (None, job_id) else "")
            )
            if resolves(got) or unit.status(got) in (429, 504, None):
                return got
        return got

    got = unit.settle(read_each, resolves)
    if unit.status(got) in (429, 504, None):
        return
    resolved = resolves(got)
    home = envs[len(tried) - 1] if resolved else envs[0]
    order = [home] + [e for e in envs if e != home]
    problems: list[str] = []

    def listed_somewhere() -> tuple[str | None, Exchange | None]:
        problems.clear()
        last = None
        for where in order:
            found, last, problem = list_jobs(unit, World(world.app_id, where))
            if problem is None and job_id in [j.get("jobId") for j in found]:
                return where, last
            problems.append(problem or f"ListBackendJobs({where}) lists {len(found)} jobs, not {job_id}")
        return None, last

    where, listed = unit.settle(listed_somewhere, lambda result: result[0] is not None)
    # Blame the read that contradicts the others: a job one read shows exists, the other must too.
    if resolved and where is not None:
        unit.judge(C.JOBS, True, f"GetBackendJob({home}) resolves {job_id} and ListBackendJobs({where}) lists it", got)
    elif resolved:
        unit.blame(
            "ListBackendJobs",
            C.JOBS,
            f"{unit.id} announced job {job_id}, which GetBackendJob({home}) resolves, but {'; '.join(problems)}",
            listed,
        )
    elif where is not None:
        unit.blame(
            "GetBackendJob",
            C.JOBS,
            f"{unit.id} announced job {job_id}, which ListBackendJobs({where}) lists, "
            f"but GetBackendJob answered {'; '.join(tried)}",
            got,
        )
    else:
        unit.judge(C.JOBS, False, f"GetBackendJob of {job_id} answered {'; '.join(tried)}; {'; '.join(problems)}", got)


def jobs(unit: Unit, world: World) -> None:
    get_job = operation_at(JOB, "GET")
    update_job = operation_at(JOB, "POST")
    params = {"appId": world.app_id, "backendEnvironmentName": world.env}
    if unit.op is update_job:
        values = {"operation": "ConformanceCheck", "status": "conformance-updated"}
        updated = unit.send(update_job, {**params, "jobId": world.job_id}, values)
        if unit.status(updated) != 200:
            return

        shows = _shows(values)
        got = unit.settle(lambda: unit.send(get_job, {**params, "jobId": world.job_id}), shows)
        if unit.status(got) != 200:
            return
        job = C.body_of(got.reply)
        unit.judge(
            C.JOBS,
            shows(got),
            f"after UpdateBackendJob{values}: GetBackendJob gave operation {job.get('operation')!r}, "
            f"status {job.get('status')!r}",
            got,
        )
        concurrent_updates(unit, world)
    elif unit.op is get_job:  # resolution of jobs is judged on the operations that produce them
        for where, what in _elsewhere(unit, world):
            stranger = unit.send(
                get_job, {"appId": where.app_id, "backendEnvironmentName": where.env, "jobId": world.job_id}
            )
            unit.judge_status(C.ISOLATION, stranger, 404, f"GetBackendJob of {world.env!r}'s job in {what}")
    else:
        list_filters(unit, world, update_job)


def _shows(values: dict[str, str]) -> Callable[[Exchange], bool]:
    """Whether a GetBackendJob answer shows the values UpdateBackendJob was given."""
    return lambda got: all(C.body_of(got.reply).get(k) == v for k, v in values.items())


def concurrent_updates(unit: Unit, world: World) -> None:
    """UpdateBackendJob on distinct jobs, sent at once: each job shows the values given to it."""
    for category in ("api", "auth", "storage"):  # more jobs in this environment
        unit.create_resource(world, category)
    found, _, problem = list_jobs(unit, world)
    ids = [job_id for job_id in _ids(found) if job_id][:CONCURRENT]
    if problem or len(ids) < 2:
        return  # listing is asked about on ListBackendJobs
    update_job, get_job = operation_at(JOB, "POST"), operation_at(JOB, "GET")
    params = {"appId": world.app_id, "backendEnvironmentName": world.env}
    values = {job_id: {"status": f"concurrent-{n}", "operation": f"Concurrent{n}"} for n, job_id in enumerate(ids)}
    answers = unit.run_.at_once([lambda j=j: unit.send(update_job, {**params, "jobId": j}, values[j]) for j in ids])
    for job_id, answer in zip(ids, answers, strict=True):
        if unit.status(answer) != 200:
            continue

        shows = _shows(values[job_id])
        got = unit.settle(lambda job_id=job_id: unit.send(get_job, {**params, "jobId": job_id}), shows)
        if unit.status(got) != 200:
            continue
        job = C.body_of(got.reply)
        unit.judge(
            C.CONCURRENCY,
            shows(got),
            f"{len(ids)} UpdateBackendJob calls at once; job {job_id} shows operation {job.get('operation')!r}, "
            f"status {job.get('status')!r}, given {values[job_id]}",
            got,
        )


def _made(unit: Unit, place: World) -> World | None:
    """``place`` created with CreateBackend, recorded for the cleanup and visible; None if refused."""
    if unit.status(unit.create_backend(place.app_id, place.env)) != 200:
        return None
    unit.run_.created(place.app_id, (place.env,))
    unit.visible_backend(place, place.env)
    return place


def _other_app(unit: Unit, world: World) -> World | None:
    """A second app with an environment of the same name (visible), or None."""
    return _made(unit, World(unit.run_.new_names()[0], world.env))


def _elsewhere(unit: Unit, world: World) -> list[tuple[World, str]]:
    """Places that must not see this world's jobs: another app's environment of the same name
    (unless --app-id), and another environment of this app."""
    places = []
    if not unit.run_.options.app_id and (other := _other_app(unit, world)) is not None:
        places.append((other, f"app {other.app_id!r}, environment of the same name"))
    if (sibling := _made(unit, World(world.app_id, world.env + "s"))) is not None:
        places.append((sibling, f"environment {sibling.env!r} of the same app"))
    return places


PAGE_SIZES = (1, 2, 3)  # maxResults asked for, on at least four jobs


def list_filters(unit: Unit, world: World, update_job: spec.Operation) -> None:
    """Filters by status, operation and jobId, alone and together; maxResults paging with more jobs
    than a page holds; and no listing holds another app's or environment's jobs."""
    for category in ("api", "auth", "storage"):  # three more jobs in this environment
        unit.create_resource(world, category)
    wanted = 1 + 3
    found, _, problem = unit.settle(lambda: list_jobs(unit, world), lambda r: r[2] is None and len(r[0]) >= wanted)
    if problem or len(found) < 2:
        unit.judge(C.JOBS, False, problem or f"expected at least {wanted} jobs in {world.env}, listed {len(found)}")
        return
    first = found[0].get("jobId")
    marked = {"status": f"conformance-{uuid.uuid4().hex[:6]}", "operation": f"Conformance{uuid.uuid4().hex[:6]}"}
    updated = unit.send(
        update_job, {"appId": world.app_id, "backendEnvironmentName": world.env, "jobId": first or ""}, marked
    )
    if unit.status(updated) != 200:
        return
    all_ids = {j.get("jobId") for j in found}

    def judged(what: str, expected: Any, ids_of, **filters: Any) -> None:
        got, exchange, problem = unit.settle(
            lambda: list_jobs(unit, world, **filters), lambda r: r[2] is None and ids_of(r[0]) == expected
        )
        ids = [j.get("jobId") for j in got]
        unit.judge(C.JOBS, problem is None and ids_of(got) == expected, problem or what.format(ids=ids), exchange)

    only_first = [first]
    for key, value in marked.items():
        judged(f"{key} filter {value!r} listed {{ids}}; expected only {first}", only_first, _ids, **{key: value})
    judged(f"operation and status filters together listed {{ids}}; expected only {first}", only_first, _ids, **marked)
    crossed = {"operation": marked["operation"], "status": marked["status"] + "-other"}
    judged("filters matching no job together listed {ids}; expected none", [], _ids, **crossed)
    judged("jobId filter listed {ids}", only_first, _ids, jobId=first)
    for size in PAGE_SIZES:
        judged(
            f"paging with maxResults {size} gave {{ids}}; expected each of {sorted(all_ids)} once",
            sorted(all_ids),
            lambda got: sorted(_ids(got)) if len(_ids(got)) == len(set(_ids(got))) else None,
            maxResults=size,
        )
    for where, what in _elsewhere(unit, world):
        got, exchange, problem = list_jobs(unit, where)
        leaked = sorted(all_ids & set(_ids(got)))
        if problem is None:
            unit.judge(
                C.ISOLATION,
                not leaked,
                f"ListBackendJobs of {what} lists {world.env!r}'s jobs {leaked}"
                if leaked
                else f"ListBackendJobs of {what} holds none of {world.env!r}'s jobs",
                exchange,
            )


def _ids(found: list[dict]) -> list:
    return [j.get("jobId") for j in found]

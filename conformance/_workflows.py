"""R7 and R8 over sequences: what a write announces, later reads show (after they settle).

Each workflow writes, then reads back through Unit.settle, so an asynchronous or eventually
consistent target is judged on what it shows within the run's settle bound, and one that
applies everything at once costs no extra request.
"""

from __future__ import annotations

import uuid
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
    if role:
        resource_lifecycle(unit, world, role)
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
        world = unit.new_world()
        unit.prepare(world)
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
        unit.judge(C.LIFECYCLE, echoed(answer), f"resourceConfig {_short(got)}; submitted {_short(wanted)}", answer)
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


def contains(got: Any, wanted: Any) -> bool:
    """Whether an answer holds everything submitted. Extra members and array order are the
    target's choice; a member sent under every spelling the reference gives must come back
    under at least one, and each spelling that comes back must hold what was sent."""
    if isinstance(wanted, dict):
        if not isinstance(got, dict):
            return False
        for key, value in wanted.items():
            present = [name for name in spec.spellings(key) if name in got]
            if not present or not all(contains(got[name], value) for name in present):
                return False
        return True
    if isinstance(wanted, list):
        if not isinstance(got, list):
            return False
        unmatched = list(got)
        for item in wanted:
            match = next((i for i, candidate in enumerate(unmatched) if contains(candidate, item)), None)
            if match is None:
                return False
            del unmatched[match]
        return True
    return got == wanted


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
        found += [j for j in answer.get("jobs") or [] if isinstance(j, dict)]
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
    if not resolves(got):
        unit.judge(C.JOBS, False, f"GetBackendJob of {job_id} answered {'; '.join(tried)}", got)
        return
    home = envs[len(tried) - 1]
    unit.judge(C.JOBS, True, f"GetBackendJob({home}, {job_id}) resolved it", got)
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
    unit.judge(
        C.JOBS, where is not None, f"ListBackendJobs({where}) lists {job_id}" if where else "; ".join(problems), listed
    )


def jobs(unit: Unit, world: World) -> None:
    get_job = operation_at(JOB, "GET")
    update_job = operation_at(JOB, "POST")
    params = {"appId": world.app_id, "backendEnvironmentName": world.env}
    if unit.op is update_job:
        values = {"operation": "ConformanceCheck", "status": "conformance-updated"}
        updated = unit.send(update_job, {**params, "jobId": world.job_id}, values)
        if unit.status(updated) != 200:
            return

        def shows(got: Exchange) -> bool:
            job = C.body_of(got.reply)
            return all(job.get(k) == v for k, v in values.items())

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
    elif unit.op is get_job:
        return  # resolution of jobs is judged on the operations that produce them
    else:
        list_filters(unit, world, update_job)


def list_filters(unit: Unit, world: World, update_job: spec.Operation) -> None:
    """Filters by status, operation and jobId, and maxResults paging, on at least two jobs."""
    unit.create_resource(world, "api")  # a second job in this environment
    found, _, problem = unit.settle(lambda: list_jobs(unit, world), lambda r: r[2] is None and len(r[0]) >= 2)
    if problem or len(found) < 2:
        unit.judge(C.JOBS, False, problem or f"expected at least 2 jobs in {world.env}, listed {len(found)}")
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
    judged("jobId filter listed {ids}", only_first, _ids, jobId=first)
    judged(
        f"paging with maxResults 1 gave {{ids}}; expected each of {sorted(all_ids)} once",
        sorted(all_ids),
        lambda got: sorted(_ids(got)) if len(_ids(got)) == len(set(_ids(got))) else None,
        maxResults=1,
    )


def _ids(found: list[dict]) -> list:
    return [j.get("jobId") for j in found]

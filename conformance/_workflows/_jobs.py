"""R8.jobs: every jobId an answer announces resolves and is listed; UpdateBackendJob sets what it
is given; ListBackendJobs filters and pages as asked."""

from __future__ import annotations

import uuid
from typing import Any

import amplify_openapi as spec

from .. import _checks as C
from .._target import Exchange
from .._unit import Unit
from .._world import World, operation_at
from ._concurrency import concurrent_updates
from ._isolation import job_isolation, listing_isolation
from ._reads import JOB, job_ids, judge_read, list_jobs, shows

PAGE_SIZES = (1, 2, 3)  # maxResults asked for, on at least four jobs


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
    if unit.status(got) is None or unit.throttled(got, C.JOBS, f"GetBackendJob of {unit.id}'s job {job_id!r}"):
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
    """The question of each job operation: UpdateBackendJob's values show (and concurrent updates
    all take effect), GetBackendJob's job is nowhere else, ListBackendJobs filters and pages."""
    get_job = operation_at(JOB, "GET")
    update_job = operation_at(JOB, "POST")
    params = {"appId": world.app_id, "backendEnvironmentName": world.env}
    if unit.op is update_job:
        values = {"operation": "ConformanceCheck", "status": "conformance-updated"}
        updated = unit.send(update_job, {**params, "jobId": world.job_id}, values)
        if unit.status(updated) != 200:
            return

        read = judge_read(
            unit,
            C.JOBS,
            lambda: unit.send(get_job, {**params, "jobId": world.job_id}),
            shows(values),
            lambda job: (
                f"after UpdateBackendJob{values}: GetBackendJob gave operation {job.get('operation')!r}, "
                f"status {job.get('status')!r}"
            ),
        )
        if read is None:
            return
        concurrent_updates(unit, world)
    elif unit.op is get_job:  # resolution of jobs is judged on the operations that produce them
        job_isolation(unit, world)
    else:
        list_filters(unit, world, update_job)


def list_filters(unit: Unit, world: World, update_job: spec.Operation) -> None:
    """Filters by status, operation and jobId, alone and together, over two jobs given the same
    values (so a filtered listing pages too); maxResults paging with more jobs than a page holds;
    and no listing holds another app's or environment's jobs."""
    for category in ("api", "auth", "storage"):  # three more jobs in this environment
        unit.create_resource(world, category)
    wanted = 1 + 3
    found, _, problem = unit.settle(lambda: list_jobs(unit, world), lambda r: r[2] is None and len(r[0]) >= wanted)
    if problem or len(found) < 2:
        unit.judge(C.JOBS, False, problem or f"expected at least {wanted} jobs in {world.env}, listed {len(found)}")
        return
    first = found[0].get("jobId")
    matched = sorted(str(j.get("jobId")) for j in found[:2])
    marked = {"status": f"conformance-{uuid.uuid4().hex[:6]}", "operation": f"Conformance{uuid.uuid4().hex[:6]}"}
    params = {"appId": world.app_id, "backendEnvironmentName": world.env}
    for job_id in matched:
        if unit.status(unit.send(update_job, {**params, "jobId": job_id}, marked)) != 200:
            return
    all_ids = {j.get("jobId") for j in found}

    def judged(what: str, expected: Any, ids_of, **filters: Any) -> None:
        got, exchange, problem = unit.settle(
            lambda: list_jobs(unit, world, **filters), lambda r: r[2] is None and ids_of(r[0]) == expected
        )
        ids = [j.get("jobId") for j in got]
        unit.judge(C.JOBS, problem is None and ids_of(got) == expected, problem or what.format(ids=ids), exchange)

    def once_each(got: list[dict]) -> list | None:
        ids = [str(job_id) for job_id in job_ids(got)]
        return sorted(ids) if len(ids) == len(set(ids)) else None

    for key, value in marked.items():
        judged(f"{key} filter {value!r} listed {{ids}}; expected only {matched}", matched, once_each, **{key: value})
    judged(
        f"operation and status filters together listed {{ids}}; expected only {matched}", matched, once_each, **marked
    )
    judged(
        f"operation and status filters with maxResults 1 gave {{ids}} across the pages;"
        f" expected each of {matched} once",
        matched,
        once_each,
        **marked,
        maxResults=1,
    )
    crossed = {"operation": marked["operation"], "status": marked["status"] + "-other"}
    judged("filters matching no job together listed {ids}; expected none", [], job_ids, **crossed)
    judged("jobId filter listed {ids}", [first], job_ids, jobId=first)
    for size in PAGE_SIZES:
        judged(
            f"paging with maxResults {size} gave {{ids}}; expected each of {sorted(all_ids)} once",
            sorted(str(job_id) for job_id in all_ids),
            once_each,
            maxResults=size,
        )
    listing_isolation(unit, world, all_ids)

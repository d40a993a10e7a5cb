"""R8.concurrency: requests sent at once all take effect (CreateBackend of N environments,
UpdateBackendJob of N jobs)."""

from __future__ import annotations

from .. import _checks as C
from .._target import Exchange
from .._unit import Unit
from .._world import World, operation_at
from ._reads import GET_BACKEND, JOB, job_ids, judge_read, list_jobs, shows

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
    if unit.throttled(got, C.CONCURRENCY, "GetBackend after concurrent CreateBackend calls") or unit.status(got) != 200:
        return
    lost = missing(got)
    unit.judge(
        C.CONCURRENCY,
        not lost,
        f"{len(made)} CreateBackend calls sent at once answered 200; GetBackend "
        + (f"lacks {lost}" if lost else "lists them all"),
        got,
    )


def concurrent_updates(unit: Unit, world: World) -> None:
    """UpdateBackendJob on distinct jobs, sent at once: each job shows the values given to it."""
    for category in ("api", "auth", "storage"):  # more jobs in this environment
        unit.create_resource(world, category)
    found, _, problem = list_jobs(unit, world)
    ids = [job_id for job_id in job_ids(found) if job_id][:CONCURRENT]
    if problem or len(ids) < 2:
        return  # listing is asked about on ListBackendJobs
    update_job, get_job = operation_at(JOB, "POST"), operation_at(JOB, "GET")
    params = {"appId": world.app_id, "backendEnvironmentName": world.env}
    values = {job_id: {"status": f"concurrent-{n}", "operation": f"Concurrent{n}"} for n, job_id in enumerate(ids)}
    answers = unit.run_.at_once([lambda j=j: unit.send(update_job, {**params, "jobId": j}, values[j]) for j in ids])
    for job_id, answer in zip(ids, answers, strict=True):
        if unit.status(answer) != 200:
            continue

        judge_read(
            unit,
            C.CONCURRENCY,
            lambda job_id=job_id: unit.send(get_job, {**params, "jobId": job_id}),
            shows(values[job_id]),
            lambda job, job_id=job_id: (
                f"{len(ids)} UpdateBackendJob calls at once; job {job_id} shows operation "
                f"{job.get('operation')!r}, status {job.get('status')!r}, given {values[job_id]}"
            ),
        )

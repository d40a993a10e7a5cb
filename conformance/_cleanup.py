"""Cleanup: remove what a run created, best effort and bounded, within what is left of the time
budget plus CLEANUP_GRACE; side by side (a far-away target costs a round trip per batch, not per
app), or, on a target that proved unusable, one after the other to stop at its first failure."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import amplify_openapi as spec

from ._target import Exchange, Target
from ._world import operation_at

CLEANUP_GRACE = 10.0  # seconds cleanup may run beyond the time budget
CLEANUP_WORKERS = 8  # removals sent at once


def remove_created(
    target: Target, things: list, environments: bool, run_deadline: float, unusable: str | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Remove each app (or, ``environments``, each (app, environment)) in ``things``: the
    cleanup's summary for report.json and its phase status."""
    deadline = max(run_deadline, time.monotonic()) + CLEANUP_GRACE
    remove_all = operation_at("/backend/{appId}/remove")
    delete_env = operation_at("/backend/{appId}/environments/{backendEnvironmentName}/remove")
    if environments:
        jobs = [(delete_env, {"appId": a, "backendEnvironmentName": e}) for a, e in things]
    else:
        jobs = [(remove_all, {"appId": a}) for a in things]
    what = "environments" if environments else "apps"
    out_of_time = f"the time budget and its {CLEANUP_GRACE:g} s grace ran out"

    def remove(job: tuple[spec.Operation, dict[str, str]]) -> Exchange | None:
        """None when there was no time left to send it."""
        if time.monotonic() >= deadline:
            return None
        return target.send(job[0].method, job[0].path, job[1], {}, deadline=deadline)

    def removed(exchange: Exchange) -> bool:
        return not exchange.error and exchange.reply.status in (200, 404)

    attempted = failed = 0
    stopped = None
    if unusable:  # one after the other, to stop at the first failure
        for job in jobs:
            exchange = remove(job)
            if exchange is None:
                stopped = out_of_time
                break
            attempted += 1
            failed += not removed(exchange)
            if exchange.error:
                stopped = f"the target proved unusable ({unusable})"
                break
    elif jobs:  # side by side: a far-away target costs a round trip per batch, not per app
        with ThreadPoolExecutor(max_workers=CLEANUP_WORKERS, thread_name_prefix="cleanup") as pool:
            sent = [exchange for exchange in pool.map(remove, jobs) if exchange is not None]
        attempted, failed = len(sent), sum(not removed(exchange) for exchange in sent)
        stopped = out_of_time if attempted < len(jobs) else None
    if not jobs:
        skipped = {"attempted": 0, "failed": 0, "detail": f"skipped: no {what} to remove"}
        return skipped, {"status": "skipped", "detail": f"no {what} to remove"}
    detail = f"{attempted - failed} of {len(jobs)} {what} removed or already gone"
    if stopped:
        detail += f"; {len(jobs) - attempted} not attempted: {stopped}"
    phase = {"status": "stopped" if stopped else "ran", "detail": detail}
    return {"attempted": attempted, "failed": failed, "detail": detail}, phase

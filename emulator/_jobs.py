"""The handlers of an environment's jobs: read one, update one, and list them a page at a time
(a nextToken is the next offset and the listing it belongs to, opaque to the client)."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import time
from typing import Any

from ._calls import ApiError, Call, find_app, handler_table, job_summary, not_found
from ._state import Job, Store, now_iso

HANDLERS, handles = handler_table()


def _job_view(call: Call, env: str, job: Job) -> dict[str, Any]:
    """A job as GetBackendJob, UpdateBackendJob and ListBackendJobs show it."""
    answer = dict(job_summary(call, env, job), createTime=job.create_time, updateTime=job.update_time)
    if job.error is not None:
        answer["error"] = job.error
    return answer


def _job(store: Store, call: Call) -> Job:
    find_app(store, call)
    job = store.jobs.get((call.app_id, call.env), {}).get(call.params["jobId"])
    if job is None and "r7_job_prefix" in call.faults and call.operation_id == "UpdateBackendJob":
        held = store.jobs.get((call.app_id, call.env), {})
        job = next(
            (j for known, j in held.items() if call.params["jobId"] and known.startswith(call.params["jobId"])), None
        )
    if job is None and "jobs-by-app" in call.quirks:
        of_app = [held for (app, _), held in store.jobs.items() if app == call.app_id]
        job = next((held[call.params["jobId"]] for held in of_app if call.params["jobId"] in held), None)
    if job is None and "r8_shared_jobs" in call.faults and call.operation_id == "GetBackendJob":
        job = next((jobs[call.params["jobId"]] for jobs in store.jobs.values() if call.params["jobId"] in jobs), None)
    if job is None:
        raise not_found("job", f"job {call.params['jobId']!r} in environment {call.env!r}")
    return job


@handles("GetBackendJob")
def get_backend_job(store: Store, call: Call) -> dict[str, Any]:
    return _job_view(call, call.env, _job(store, call))


@handles("UpdateBackendJob")
def update_backend_job(store: Store, call: Call) -> dict[str, Any]:
    job = _job(store, call)
    if "r8_update_race" in call.faults and not call.accepted_by_fault:
        key = (call.app_id, call.env)
        known = copy.deepcopy(store.jobs[key])  # read every job of the environment ...
        store.lock.release()
        try:
            time.sleep(0.1)  # ... (another request runs here: wide enough to show on a busy machine) ...
        finally:
            store.lock.acquire()
        job = known[job.job_id]
        store.jobs[key] = known  # ... write them all back: updates that landed meanwhile are lost
    if not call.accepted_by_fault:
        if "operation" in call.body:
            job.operation = call.body["operation"]
        if "status" in call.body:
            job.status = call.body["status"]
            job.settles_at = 0.0  # a status set by UpdateBackendJob stays as set
            if "r8_filter_stale_status" in call.faults and job.filed_status is None:
                job.filed_status = job.status  # filed once: later updates leave the filter's index as it was
        job.update_time = now_iso()
        if "r8_updated_job_unlisted" in call.faults and "status" in call.body and "operation" not in call.body:
            job.unlisted = True  # re-filed by its status alone, under a key the listing does not read
    return _job_view(call, call.env, job)


def _filed_status(call: Call, job: Job) -> str:
    """The status ListBackendJobs' filter reads (under r8_filter_stale_status, the first one set)."""
    if "r8_filter_stale_status" in call.faults and job.filed_status is not None:
        return job.filed_status
    return job.current_status()


@handles("ListBackendJobs")
def list_backend_jobs(store: Store, call: Call) -> dict[str, Any]:
    find_app(store, call)
    body = call.body
    jobs = list(store.jobs.get((call.app_id, call.env), {}).values())
    if "r8_jobs_leak" in call.faults:  # keyed by app alone
        jobs = [j for (app, _), held in store.jobs.items() if app == call.app_id for j in held.values()]
    if call.faults & {"r8_remove_spills_listing", "r8_updated_job_unlisted"}:
        jobs = [job for job in jobs if not job.unlisted]
    if not jobs and "empty-listing-404" in call.quirks:
        raise not_found("job", f"jobs of environment {call.env!r}")
    if "jobId" in body:
        jobs = [job for job in jobs if job.job_id == body["jobId"]]
    if "r8_filtered_pages" in call.faults and "nextToken" in body:
        pass  # the filters are forgotten after the first page
    elif "r8_filters_or" in call.faults and "operation" in body and "status" in body:
        jobs = [j for j in jobs if j.operation == body["operation"] or j.current_status() == body["status"]]
    else:
        if "operation" in body:
            jobs = [job for job in jobs if job.operation == body["operation"]]
        if "status" in body and "r8_job_list" not in call.faults:
            jobs = [job for job in jobs if _filed_status(call, job) == body["status"]]
    if "newest-first" in call.quirks:
        jobs.reverse()
    scope = f"{call.app_id}/{call.env}"
    start = 0
    if "nextToken" in body:
        try:
            start = _start_of(store, call, scope)
        except ApiError:
            if "token-restart" not in call.quirks:
                raise
    size = body.get("maxResults", 2 if "default-page" in call.quirks else 25)
    if "r8_page_size" in call.faults:
        size = max(len(jobs), 1)
    if "short-pages" in call.quirks:
        size = max(1, size // 2)
    page = jobs[start : start + size]
    answer: dict[str, Any] = {"jobs": [_job_view(call, call.env, job) for job in page]}
    if start + size < len(jobs):
        answer["nextToken"] = _next_token(store, call, scope, start + size)
    elif "r8_page_loop" in call.faults and start > 0:
        answer["nextToken"] = body["nextToken"]  # the last page points back at itself
    elif "cursor-tokens" in call.quirks:
        store.cursors.pop(body.get("nextToken"), None)  # a finished listing's cursor is stale
    return answer


def _start_of(store: Store, call: Call, scope: str) -> int:
    """Where the given nextToken's page starts: a cursor the store keeps, or the token itself."""
    token = call.body["nextToken"]
    if "cursor-tokens" not in call.quirks:
        return _decode_token(token, scope)
    held = store.cursors.get(token)
    if held is None or held[0] != scope:
        raise ApiError(400, "nextToken: not a cursor this operation has open")
    return held[1]


def _next_token(store: Store, call: Call, scope: str, offset: int) -> str:
    """The token to the page at ``offset``. With cursor-tokens one token serves a whole listing:
    the store keeps where it is, and each page moves it on."""
    if "cursor-tokens" not in call.quirks:
        return _encode_token(offset, scope, "opaque-tokens" in call.quirks)
    given = call.body.get("nextToken")
    token = given if given in store.cursors else f"cursor-{store.new_id()}"
    store.cursors[token] = (scope, offset)
    return token


OPAQUE_MARK = "page:@+/="  # how an opaque-tokens nextToken begins (standard base64 after it, padded)


def _encode_token(offset: int, scope: str, opaque: bool = False) -> str:
    text = json.dumps([scope, offset]).encode()
    if opaque:
        text = text.ljust(96)  # long, and ending in "==" (JSON ignores the trailing spaces)
        return OPAQUE_MARK + base64.b64encode(text + b" " * (-len(text) % 3 + 1)).decode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def _decode_token(token: str, scope: str) -> int:
    try:
        if token.startswith(OPAQUE_MARK):
            data = base64.b64decode(token[len(OPAQUE_MARK) :].encode("ascii"), validate=True)
        else:
            data = base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode("ascii"))
        found_scope, offset = json.loads(data)
        if found_scope == scope and isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
            return offset
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        pass
    raise ApiError(400, "nextToken: not a token this operation handed out")

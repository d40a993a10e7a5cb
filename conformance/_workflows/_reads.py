"""The reads of state several workflows share: the routes they read back, the whole job listing
(following nextToken), and whether a job shows what it was given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _checks as C
from .._target import Exchange
from .._unit import Unit
from .._world import World, operation_at

GET_BACKEND = "/backend/{appId}/details"
JOB = "/backend/{appId}/job/{backendEnvironmentName}/{jobId}"
LIST_JOBS = "/backend/{appId}/job/{backendEnvironmentName}"
MAX_PAGES = 500  # a page may hold a single job (CONTRACT R8)


def list_jobs(unit: Unit, world: World, **filters: Any) -> tuple[list[dict], Exchange | None, str | None]:
    """Every job ListBackendJobs gives, following nextToken (bounded: a token handed out twice in
    one listing would lead round the same pages for ever, so it ends the listing as a problem)."""
    list_op = operation_at(LIST_JOBS)
    found, token, exchange = [], None, None
    given: set[str] = set()
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
        if not isinstance(token, str):
            return found, exchange, f"ListBackendJobs gave nextToken {token!r}, not a string"
        if token in given:
            return found, exchange, f"ListBackendJobs handed out nextToken {token!r} again: paging never ends"
        given.add(token)
    return found, exchange, f"nextToken paging did not end after {MAX_PAGES} pages"


def job_ids(found: list[dict]) -> list:
    """The jobIds of a listing, in its order."""
    return [j.get("jobId") for j in found]


def shows(values: dict[str, str]) -> Callable[[Exchange], bool]:
    """Whether a GetBackendJob answer shows the values UpdateBackendJob was given."""
    return lambda got: all(C.body_of(got.reply).get(k) == v for k, v in values.items())

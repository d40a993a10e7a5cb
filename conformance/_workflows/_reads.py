"""The reads of state several workflows share: the routes they read back, a resource's Get{...}
and whether it shows a submitted config, the whole job listing (following nextToken), and
whether a job shows what it was given."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import amplify_strategies as strategies

from .. import _checks as C
from .._paging import follow
from .._target import Exchange
from .._unit import Unit
from .._world import World, operation_at, operation_for
from ._echo import contains, difference, short

GET_BACKEND = "/backend/{appId}/details"
JOB = "/backend/{appId}/job/{backendEnvironmentName}/{jobId}"
LIST_JOBS = "/backend/{appId}/job/{backendEnvironmentName}"
MAX_PAGES = 500  # a page may hold a single job (CONTRACT R8)


def list_jobs(unit: Unit, world: World, **filters: Any) -> tuple[list[dict], Exchange | None, str | None]:
    """Every job ListBackendJobs gives, following nextToken (_paging: bounded, and a token handed
    out again is followed unless paging goes round), the last answer, and what went wrong."""
    list_op = operation_at(LIST_JOBS)
    params = {"appId": world.app_id, "backendEnvironmentName": world.env}
    listing = follow(
        lambda token: unit.send(list_op, params, {**filters, **({"nextToken": token} if token else {})}),
        MAX_PAGES,
        filters.get("maxResults"),
    )
    return listing.jobs, listing.exchanges[-1], listing.problem


def judge_read(
    unit: Unit,
    check_id: str,
    read: Callable[[], Exchange],
    ready: Callable[[Exchange], bool],
    saw: Callable[[dict], str],
) -> Exchange | None:
    """Read until ``ready`` (within the settle bound), then judge whether it is, saying what the
    answer's body showed; a read that is not a 200 is left to its own operation's checks (None)."""
    got = unit.settle(read, ready)
    if unit.status(got) != 200:
        return None
    unit.judge(check_id, ready(got), saw(C.body_of(got.reply)), got)
    return got


def job_ids(found: list[dict]) -> list:
    """The jobIds of a listing, in its order."""
    return [j.get("jobId") for j in found]


def shows(values: dict[str, str]) -> Callable[[Exchange], bool]:
    """Whether a GetBackendJob answer shows the values UpdateBackendJob was given."""
    return lambda got: all(C.body_of(got.reply).get(k) == v for k, v in values.items())


def read_resource(unit: Unit, world: World, category: str) -> Callable[[], Exchange]:
    """Get{...} of the world's resource of the category, as a read to repeat."""
    get = operation_for(category, "get")
    params = {"appId": world.app_id, "backendEnvironmentName": world.env}
    body = unit.identity(strategies.valid_body(get.operation_id), world)
    return lambda: unit.send(get, params, body)


def holds_config(wanted: Any) -> Callable[[Exchange], bool]:
    """Whether a Get{...} answer is 200 and its resourceConfig holds ``wanted`` (if not None)."""

    def holds(answer: Exchange) -> bool:
        config = C.body_of(answer.reply).get("resourceConfig")
        return Unit.status(answer) == 200 and (wanted is None or contains(config, wanted))

    return holds


def judge_shown(
    unit: Unit, check_id: str, answer: Exchange, wanted: Any, what: str, get_fails: Callable[[], str] | None = None
) -> None:
    """That a Get{...} answer is 200 and its resourceConfig holds ``wanted`` (if not None)."""
    unit.judge_status(check_id, answer, 200, what)
    if wanted is not None and unit.status(answer) == 200:
        judge_config(unit, check_id, answer, wanted, what, get_fails)


def judge_config(
    unit: Unit, check_id: str, answer: Exchange, wanted: Any, what: str, get_fails: Callable[[], str] | None = None
) -> None:
    """That a 200 Get{...} answer's resourceConfig holds every member and element of ``wanted``.
    ``get_fails`` names the Get{...} operation if it does not even echo a create: a read-back that
    lacks what was written is then its failure to echo (R8.resource-lifecycle, booked on it)."""
    got = C.body_of(answer.reply).get("resourceConfig")
    where = difference(got, wanted, "resourceConfig")
    saw = f"resourceConfig {short(got)}" if where is None else f"{where}; submitted {short(wanted)}"
    culprit = get_fails() if where is not None and get_fails is not None else ""
    if culprit:
        unit.blame(culprit, C.LIFECYCLE, f"{what}: {saw}; {culprit} does not echo a create either", answer)
    else:
        unit.judge(check_id, where is None, f"{what}: {saw}", answer)


def get_fails(unit: Unit, category: str, world: World | None = None, submitted: Any = None) -> Callable[[], str]:
    """Asks whether Get{...} of the category shows what a full Create* submitted (in ``world``,
    which holds one, or in a world made for the question): its operationId if not, else ""."""

    def ask() -> str:
        place, wanted = world, submitted
        if place is None:
            place = unit.new_world()
            made, body = unit.create_resource(place, category, tag="g", settle=False)
            if unit.status(made) != 200:
                return ""
            wanted = body.get("resourceConfig")
        shown = unit.settle(read_resource(unit, place, category), holds_config(wanted))
        return "" if holds_config(wanted)(shown) else operation_for(category, "get").operation_id

    return ask

"""Following nextToken through the pages of one ListBackendJobs listing: the one rule every
listing the suite reads goes by.

A token handed out again is followed too. Identifier formats are open (nextToken included), and
a server-side cursor may keep one token for a whole listing, each use moving it on. Paging goes
round only when a token handed out again leads to a page listing no job the listing has not
listed already; and no listing is followed past a bound.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import _checks as C
from ._target import Exchange


@dataclass
class Listing:
    """What one listing gave: every job in page order, every exchange, and why it was not read to
    its end (None when it was)."""

    jobs: list[dict] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    problem: str | None = None


def follow(send: Callable[[str | None], Exchange], max_pages: int, max_results: int | None = None) -> Listing:
    """Send the first page (``send(None)``) and every page its nextToken leads to."""
    listing = Listing()
    token: str | None = None
    given: set[str] = set()
    again = False  # whether the token just sent had been handed out before
    seen: set[str] = set()
    for _ in range(max_pages):
        exchange = send(token)
        listing.exchanges.append(exchange)
        status = exchange.reply.status if exchange.reply is not None else None
        if status != 200:
            listing.problem = f"ListBackendJobs answered {status}"
            return listing
        answer = C.body_of(exchange.reply)
        page = [job for job in answer.get("jobs") or [] if isinstance(job, dict)]
        keys = {_key(job) for job in page}
        if again and keys <= seen:
            listing.problem = (
                f"ListBackendJobs handed out nextToken {token!r} again, and the page it led to listed no job"
                " not listed already: paging goes round"
            )
            return listing
        listing.jobs += page
        seen |= keys
        if max_results is not None and len(page) > max_results:
            listing.problem = f"a page of {len(page)} jobs for maxResults {max_results}"
            return listing
        token = answer.get("nextToken")
        if not token:
            return listing
        if not isinstance(token, str):
            listing.problem = f"ListBackendJobs gave nextToken {token!r}, not a string"
            return listing
        again = token in given
        given.add(token)
    listing.problem = f"nextToken paging did not end after {max_pages} pages"
    return listing


def _key(job: dict[str, Any]) -> str:
    job_id = job.get("jobId")
    return job_id if isinstance(job_id, str) else json.dumps(job, sort_keys=True, default=str)

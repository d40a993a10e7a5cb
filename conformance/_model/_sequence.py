"""One sequence of the model-based phase: its steps sent in order, each answer judged against
the model, then a sweep of reads over everything the sequence touched.

A contradiction ends the sequence (``Contradiction``, carrying every request sent, numbered, with
what the model allowed and what came back). On a target that may show writes late, a read that
contradicts the model is read again until it agrees or the settle bound passes, and a write the
target answered 404 for something just made is sent again likewise (a 404 changed nothing).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any, Protocol

import amplify_openapi as spec

from .. import _checks as C
from .._allowances import may_lag
from .._paging import follow
from .._target import NO_BODY, THROTTLED, Exchange
from .._world import operation_for
from ._pairs import Pairs
from ._state import CATEGORIES, READS, Expect, Model, Step, resource_role_of
from ._steps import LIST_FILTERS, TOPICS, Names, Program, request, resolve

FIRST_POLL = 0.05
REDRAWS = 5  # draws of a step at most while the model says it can only be refused or not found
ENABLED = 0.85  # how often such a step is drawn again
JOB_LOOKUPS = ("GetBackendJob", "UpdateBackendJob")
MAX_PAGES = 50  # a listing's pages followed at most (a page may hold one job)


class Sender(Protocol):
    """What a sequence needs of its run: send one request (judged by the exchange checks) and
    how long to wait for a late read (0: the target shows every write at once), what a wait
    showed (so the run learns how the target shows writes), and which operations the run judges."""

    selected: frozenset[str]

    def send(self, op: spec.Operation, params: dict[str, str], body: Any) -> Exchange: ...

    def settle_bound(self) -> float: ...

    def waited(self, reads: int, shown: bool, seconds: float) -> None: ...

    def shows_late(self) -> bool: ...

    def overlaps(self) -> bool:
        """Whether requests sent at once save time (a target whose answers take a round trip)."""

    def side_by_side(self, calls: list[Callable[[], Any]]) -> list[Future]:
        """The calls started at once; their answers to come."""


@dataclass
class Entry:
    """One request of a sequence as the report lists it."""

    number: int
    step: str
    method: str
    url: str
    body: Any
    expected: str
    answered: str
    exchange: Exchange

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "step": self.step,
            "method": self.method,
            "url": self.url,
            "body": None if self.body is NO_BODY else self.body,
            "expected": self.expected,
            "answered": self.answered,
        }


class Contradiction(Exception):
    """An answer the model does not allow; ``entries`` is the sequence up to and including it."""

    def __init__(
        self, operation_id: str, message: str, entries: list[Entry], steps: list[Step], *, existence: bool = False
    ) -> None:
        super().__init__(message)
        self.operation_id, self.message, self.entries, self.steps = operation_id, message, entries, steps
        self.existence = existence  # the answer's status was wrong: something exists, or not, that should not

    @property
    def blamed(self) -> str:
        """The operation the failure is booked on: the write whose effect the contradicted answer
        shows (the last write before it), where the answer is a read or a write that found, or
        missed, what the model says exists; else the contradicted operation itself, whose own
        answer was wrong. In a shrunk sequence every write left is needed to fail."""
        last = self.steps[-1]
        if last.op not in READS and not self.existence:
            return last.op
        earlier = [step.op for step in self.steps[:-1] if step.op not in READS]
        return earlier[-1] if earlier else last.op

    @property
    def exchange(self) -> Exchange:
        return self.entries[-1].exchange


class Unjudged(Exception):
    """A step stayed throttled (429/504) after every retry: what it did is unknown, the sequence ends."""


class Sequence:
    def __init__(self, sender: Sender, app_ids: tuple[str, str], agreed: Callable[[str], None]) -> None:
        self.sender = sender
        self.app_ids = app_ids
        self.agreed = agreed  # told the operationId of every answer that agreed with the model
        self.model = Model(app_ids)
        self.names = Names()
        self.entries: list[Entry] = []
        self.steps: list[Step] = []
        self.sweeps = 0  # reads of the sweep that agreed (left out of the listing)
        self.requests = 0  # the requests whose answers were judged (a read sent ahead and not needed is not)
        self.pairs = Pairs()
        self.judged_all = True  # every request sent was judged (none ended unanswered or throttled)

    def run(self, program: Program) -> None:
        """Both apps made, the program's steps drawn and sent one by one, then everything read back."""
        self.do(Step("CreateBackend"))
        self.do(Step("CreateBackend", app=1))
        last = None
        for _ in range(program.length):
            step = self._draw(program, last)
            self.do(step)
            last = step.op
        self.sweep()

    def _draw(self, program: Program, last: str | None) -> Step:
        """The next step, drawn again (a few times at most) while the model says it could only be
        refused or not found, mostly: a sequence then goes deep (create, update, clone, delete,
        create again) instead of knocking on what is not there; sometimes it knocks all the same."""
        if program.pending:  # a lifecycle under way goes on as drawn
            return resolve(program.pending.pop(0), self.names)
        aimed = program.aimed()
        if aimed is not None:
            return resolve(aimed, self.names)
        for _ in range(REDRAWS):
            names = copy.deepcopy(self.names)
            step = resolve(program.raw(last), names)
            job = self.model.job(step.ref, step.app) if step.op in JOB_LOOKUPS else None
            if job is not None and job.home and program.rng.random() < ENABLED:  # mostly through its own
                step = replace(step, env=job.home)
            _, body = request(step, self.app_ids[step.app], self.model)
            if 200 in self.model.expect(step, body).statuses or program.rng.random() >= ENABLED:
                break
        self.names = names
        return step

    def replay(self, steps: list[Step]) -> None:
        """Send steps already resolved (a recorded sequence), judging each as the phase did."""
        for step in steps:
            self.do(step)

    # ---- one step ---------------------------------------------------------------------------

    def do(self, step: Step, *, listed: bool = True, sent: tuple[Any, Future] | None = None) -> None:
        """Send one step and judge its answer against the model (``sent``: the request as it was
        sent ahead, and its answer to come, used if the step still makes that request)."""
        op = spec.operation(step.op)
        params, body = request(step, self.app_ids[step.app], self.model)
        expect = self.model.expect(step, body)
        send = self._sender_of(op, params, body)
        exchanges, answer = sent[1].result() if sent is not None and sent[0] == (params, body) else send()
        self.requests += len(exchanges)
        wrong = self._wrong(expect, exchanges, answer)
        if wrong is not None and self._may_wait(step, expect, exchanges):
            exchanges, answer, wrong = self._settle(send, expect, exchanges, answer, wrong)
        lagged = wrong is not None and self._saw_late(step, expect, exchanges)
        if lagged:
            wrong = None
        if listed or wrong is not None:
            self.steps.append(step)
            for exchange in exchanges:
                self._log(step, exchange, expect, exchange is exchanges[-1])
        else:
            self.sweeps += len(exchanges)
        if wrong is not None:
            number = len(self.entries)
            raise Contradiction(
                step.op,
                f"request {number}, {step.describe(self.app_ids)}: {wrong}",
                list(self.entries),
                list(self.steps),
                existence=_status(exchanges[-1]) not in expect.statuses,
            )
        self.agreed(step.op)
        self.pairs.saw(step)
        label = f"request {len(self.entries)} ({step.op})"
        jobs_before = len(self.model.jobs)
        job = self.model.job(step.ref, step.app) if step.op == "UpdateBackendJob" else None
        filed_before = dict(job.set_to or {}) if job is not None else {}
        if lagged:
            self.model.lagged(step, label, answer, body)
        else:
            self.model.apply(step, label, _status(exchanges[-1]), answer, body)
        # read back as answered, unless the target has shown a write late (each read would wait
        # for it: the sweep at the end still reads everything)
        if listed and step.op not in READS and _status(exchanges[-1]) == 200 and not self.sender.shows_late():
            self._read(self._reads_after(step, len(self.model.jobs) > jobs_before, filed_before))

    def _sender_of(self, op: spec.Operation, params: dict[str, str], body: Any) -> Callable[[], tuple[list, dict]]:
        if op.operation_id == "ListBackendJobs":
            return lambda: self._listing(op, params, body)
        return lambda: self._one(op, params, body)

    def _one(self, op: spec.Operation, params: dict[str, str], body: Any) -> tuple[list[Exchange], dict]:
        exchange = self.sender.send(op, params, body)
        self._throttled(exchange)
        return [exchange], C.body_of(exchange.reply)

    def _listing(self, op: spec.Operation, params: dict[str, str], body: Any) -> tuple[list[Exchange], dict]:
        """Every page of a listing (_paging's rule), as one answer holding all its jobs; how the
        paging went is the fixed workflow's to judge."""

        def page(token: str | None) -> Exchange:
            exchange = self.sender.send(op, params, {**body, **({"nextToken": token} if token else {})})
            self._throttled(exchange)
            return exchange

        listing = follow(page, MAX_PAGES)
        return listing.exchanges, {"jobs": listing.jobs}

    def _throttled(self, exchange: Exchange) -> None:
        if exchange.reply is None or exchange.reply.status in THROTTLED:
            self.judged_all = False
        if exchange.reply is None:
            raise Unjudged(f"no answer: {exchange.error}")
        if exchange.reply.status in THROTTLED:
            raise Unjudged(f"still answered {exchange.reply.status} after {exchange.retries} retries")

    @staticmethod
    def _wrong(expect: Expect, exchanges: list[Exchange], answer: dict) -> str | None:
        return expect.judge(_status(exchanges[-1]), answer)

    def _may_wait(self, step: Step, expect: Expect, exchanges: list[Exchange]) -> bool:
        """Whether a contradiction may be the target showing a write late: a read, or a write
        answered 404 where the model expects 200 (which changed nothing, so it may go again)."""
        if self.sender.settle_bound() <= 0:
            return False
        return step.op in READS or (_status(exchanges[-1]) == 404 and 200 in expect.statuses)

    def _saw_late(self, step: Step, expect: Expect, exchanges: list[Exchange]) -> bool:
        """Whether a write answered 200 where only a delete answered a moment ago made the model
        expect 404: the target may see the delete late (allowances.may_lag)."""
        if step.op in READS or _status(exchanges[-1]) != 200 or expect.statuses != frozenset({404}):
            return False
        since = None if expect.gone_at is None else time.monotonic() - expect.gone_at
        return may_lag(since, self.sender.settle_bound())

    def _settle(self, send, expect: Expect, exchanges, answer, wrong):
        started, delay, reads = time.monotonic(), FIRST_POLL, 1
        while wrong is not None:
            remaining = self.sender.settle_bound() - (time.monotonic() - started)
            if remaining <= 0:
                break
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 1.0)
            exchanges, answer = send()
            self.requests += len(exchanges)
            wrong, reads = self._wrong(expect, exchanges, answer), reads + 1
        self.sender.waited(reads, wrong is None, time.monotonic() - started)
        if wrong is not None:
            wrong += f" (judged after waiting {time.monotonic() - started:.1f} s for it to settle)"
        return exchanges, answer, wrong

    def _log(self, step: Step, exchange: Exchange, expect: Expect, last: bool) -> None:
        allowed = "/".join(map(str, sorted(expect.statuses)))
        request = exchange.request
        self.entries.append(
            Entry(
                len(self.entries) + 1,
                step.describe(self.app_ids),
                request.method,
                request.url,
                _sent_body(request.body),
                f"{allowed}: {expect.why}" if last else "a page of the listing",
                str(_status(exchange)),
                exchange,
            )
        )

    # ---- reads: after each write, what it could have changed; at the end, everything -------

    def _reads_after(self, step: Step, made_job: bool, filed_before: dict[str, Any]) -> list[Step]:
        """The reads that show what a write answered 200 could have changed: the resource's Get
        (and its models after a generate), the app's environments, the session, the job it
        announced or changed (every jobId a 200 carries must resolve), and after a job's update
        the listings filtered by what it set and by what it had been set to (``filed_before``):
        the job moves from one to the other."""
        category, role = resource_role_of(step.op)
        envs = self.names.envs[step.app]
        reads = []
        if category is not None:  # in every environment of the app (and after a delete, every category here)
            reads += [Step(_get(category), step.app, env) for env in envs]
            if role == "delete":
                reads += [Step(_get(other), step.app, step.env) for other in CATEGORIES if other != category]
            if role == "generate":
                reads.append(Step("GetBackendAPIModels", step.app, step.env))
        if step.op in ("CreateBackend", "CloneBackend", "DeleteBackend", "RemoveAllBackends"):
            reads.append(Step("GetBackend", step.app, step.env))
        if step.op in ("CreateBackend", "CloneBackend", "DeleteBackend"):  # what the environments hold
            touched = {step.env, step.target} - {""}
            reads += [Step(_get(c), step.app, env) for env in sorted(touched) for c in CATEGORIES]
        if step.op == "CreateToken" and self.model.sessions:
            reads.append(Step("GetToken", step.app, step.env, ref=len(self.model.sessions) - 1))
        if step.op == "DeleteToken":
            reads.append(Step("GetToken", step.app, step.env, ref=step.ref))
        if step.op == "UpdateBackendJob":
            reads.append(Step("GetBackendJob", step.app, step.env, ref=step.ref))
            job = self.model.job(step.ref, step.app)
            if job is not None:  # the whole listing first: a job is still listed after its update
                home = job.home or step.env
                variants = [0, *_filtered_by([job.set_to or {}, filed_before])]
                reads += [Step("ListBackendJobs", step.app, home, variant=variant) for variant in variants]
        elif made_job:
            job = self.model.jobs[-1]
            reads.append(Step("GetBackendJob", job.app, job.home or step.env, ref=len(self.model.jobs) - 1))
        return reads

    def sweep(self) -> None:
        """Read back everything the sequence may have touched: each app's environments, every
        category's Get and the API's models in every environment named, each environment's jobs
        (whole, and filtered by what UpdateBackendJob set), every job ever handed out and every
        session."""
        reads = []
        for app, envs in enumerate(self.names.envs):
            if not envs:
                continue
            reads.append(Step("GetBackend", app, envs[0]))
            for env in envs:
                reads += [Step(_get(category), app, env) for category in CATEGORIES]
                reads.append(Step("GetBackendAPIModels", app, env))
                reads.append(Step("ListBackendJobs", app, env))
                set_values = [j.set_to for j in self.model.jobs if j.app == app and j.set_to]
                reads += [Step("ListBackendJobs", app, env, variant=variant) for variant in _filtered_by(set_values)]
        reads += [Step("GetToken", session.app, "e0", ref=ref) for ref, session in enumerate(self.model.sessions)]
        reads += [Step("GetBackendJob", job.app, job.home or "e0", ref=ref) for ref, job in enumerate(self.model.jobs)]
        self._read(reads)

    def _read(self, reads: list[Step]) -> None:
        """Reads judged one by one, in order; against a far-away target all sent at once first (a
        read whose request the ones before it change is sent again when its turn comes)."""
        reads = [step for step in reads if step.op in self._selected_reads()]
        sent: list[tuple[Any, Future] | None] = [None] * len(reads)
        if len(reads) > 1 and self.sender.overlaps():
            requests = [request(step, self.app_ids[step.app], self.model) for step in reads]
            calls = [self._sender_of(spec.operation(s.op), *r) for s, r in zip(reads, requests, strict=True)]
            sent = list(zip(requests, self.sender.side_by_side(calls), strict=True))
        for step, ahead in zip(reads, sent, strict=True):
            self.do(step, listed=False, sent=ahead)

    def _selected_reads(self) -> frozenset[str]:
        return READS & self.sender.selected


def _filtered_by(values: list[dict[str, Any]]) -> list[int]:
    """The ListBackendJobs variants whose filter (not the empty one) one of ``values`` (what
    UpdateBackendJob set on a job) matches: the listings where that job must show."""
    return [
        variant
        for variant, filters in enumerate(LIST_FILTERS)
        if filters and any(all(v.get(k) == want for k, want in filters.items()) for v in values)
    ]


def _get(category: str) -> str:
    """The Get operation of a category (the spec's, through _world)."""
    return operation_for(category, "get").operation_id


def _status(exchange: Exchange) -> int | None:
    return exchange.reply.status if exchange.reply is not None else None


def _sent_body(body: bytes | None) -> Any:
    if not body:
        return NO_BODY
    try:
        import json

        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


__all__ = ["Contradiction", "Entry", "Sequence", "Sender", "TOPICS", "Unjudged"]

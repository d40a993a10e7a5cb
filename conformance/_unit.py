"""The one small context every family of questions works through: one operation's unit of work.

A Unit sends (every answer judged by the exchange checks), judges, makes fresh worlds and the
state an operation needs, and reads state back until it settles. The modules that ask the
questions (_cors, _matrix, _not_found, _workflows, _status_plan, _fuzz) take a Unit and never
import the runner or each other.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import amplify_openapi as spec
import amplify_strategies as strategies

from . import _checks as C
from ._allowances import resource_name
from ._results import Ledger
from ._settling import Settling
from ._target import NO_BODY, THROTTLED, Exchange, Target
from ._world import World, needs_existing_resource, operation_at, operation_for, resource_role

T = TypeVar("T")
FIRST_POLL = 0.05  # seconds before the first re-read; doubled each time, at most MAX_POLL
MAX_POLL = 1.0


class RunContext(Protocol):
    """What a unit needs of its run (conformance._runner.Run provides it)."""

    options: Any
    target: Target
    ledger: Ledger
    seed: int
    run_id: str
    confirm_setup: bool
    settling: Settling
    overlap_pays: bool
    selected: list[spec.Operation]
    request_ids: C.RequestIds

    def send(self, op: spec.Operation, params: dict[str, str], body: Any = ..., **kw: Any) -> Exchange: ...

    def transmit(self, method: str, path: str, params: dict[str, str], body: Any = ..., **kw: Any) -> Exchange: ...

    def new_names(self) -> tuple[str, str]: ...

    def created(self, app: str, envs: tuple[str, ...]) -> None: ...

    def at_once(self, calls: Sequence[Callable[[], Any]], *, chains: bool = False) -> list[Any]: ...


def _not_throttled(exchange: Exchange) -> bool:
    return exchange.reply is None or exchange.reply.status not in THROTTLED


def _is_200(exchange: Exchange) -> bool:
    return exchange.reply is not None and exchange.reply.status == 200


# a setup step's read-back: its name in the report, the read, and whether it shows what was made
SetupStep = tuple[str, Callable[[], Exchange], Callable[[Exchange], bool]]


class Unit:
    """Everything one operation is judged on, in worlds of its own."""

    def __init__(self, run: RunContext, op: spec.Operation, errors: list[str]) -> None:
        self.run_ = run
        self.op = op
        self.id = op.operation_id
        self.errors = errors
        self.ledger = run.ledger
        self.waited = 0.0  # how long the last settle() waited
        self.last_throttled: Exchange | None = None  # the latest answer still 429/504 after every retry
        # checks of this operation known to fail where its fuzzing begins: only a failure of
        # another check ends the examples (see _fuzz)
        self.failing: set[str] = set()

    # ---- sending and judging ----------------------------------------------------------------

    def send(self, op: spec.Operation, params: dict[str, str], body: Any = NO_BODY, **kw: Any) -> Exchange:
        exchange = self.run_.send(op, params, body, errors=self.errors, **kw)
        if not kw.get("inject") and self.status(exchange) in THROTTLED:
            self.last_throttled = exchange
        return exchange

    @staticmethod
    def status(exchange: Exchange | None) -> int | None:
        return exchange.reply.status if exchange is not None and exchange.reply else None

    def judge(self, check_id: str, ok: bool, saw: str, exchange: Exchange | None = None) -> None:
        if not ok and self.waited > 0:
            saw += f" (judged after waiting {self.waited:.1f} s for it to settle)"
        self.ledger.record(self.id, C.Seen(check_id, ok, saw), exchange)

    def blame(self, operation_id: str, check_id: str, saw: str, exchange: Exchange | None) -> None:
        """A failure that another operation's answer caused (a read contradicting what others
        show); booked on that operation when the run judges it, else on this one."""
        on = operation_id if operation_id in {op.operation_id for op in self.run_.selected} else self.id
        self.ledger.record(on, C.Seen(check_id, False, saw), exchange)

    def judge_status(self, check_id: str, exchange: Exchange, wanted: int, what: str) -> None:
        """That an answer has the wanted status; a 429 or 504 after every retry leaves it unjudged,
        and named so (R9); no answer at all is the unit's error, recorded where it was sent."""
        status = self.status(exchange)
        if status is not None and not self.throttled(exchange, check_id, what):
            self.judge(check_id, status == wanted, f"{what}: expected {wanted}, got {status}", exchange)

    def unjudged(self, check_id: str, exchange: Exchange, what: str, case: str | None = None) -> None:
        """A question the target's throttling kept from being judged: named in the report, never a pass."""
        self.ledger.unjudged(self.id, check_id, what, exchange, case)

    @contextmanager
    def asking(self, check_id: str, what: str) -> Iterator[None]:
        """A family of questions about one check: when a step stayed throttled and nothing of the
        check was judged (or named unjudged) in it, the family is named unjudged, not passed over."""
        self.last_throttled = None
        before = self.ledger.asked(self.id, check_id)
        yield
        if self.last_throttled is not None and self.ledger.asked(self.id, check_id) == before:
            self.unjudged(check_id, self.last_throttled, f"{what}: a step stayed throttled")

    def throttled(self, exchange: Exchange, check_id: str, what: str) -> bool:
        """Whether the answer is still a 429 or 504 after every retry; if so the check is named unjudged."""
        if self.status(exchange) in THROTTLED:
            self.unjudged(check_id, exchange, what)
            return True
        return False

    # ---- asynchrony -------------------------------------------------------------------------

    def settle(self, read: Callable[[], T], ready: Callable[[T], bool], *, learn: bool = True) -> T:
        """Read until ``ready`` or the settle bound passes, with exponential backoff (CONTRACT
        'Asynchrony'); a read that shows the state at once is the only one sent, and a transport
        failure ends the wait. The bound is the run's Settling's: the whole bound on a target that
        has shown anything late, a short one where waiting has only ever been in vain. How long
        the state took to show is recorded for the report; when it never showed, ``self.waited``
        says how long the judge waited. ``learn``: whether this wait tells how the target shows
        writes (waiting out throttling does not)."""
        return self.settle_together([(read, ready)], learn=learn)[0]

    def side_by_side(self, calls: Sequence[Callable[[], T]], *, chains: bool = False) -> list[T]:
        """The calls (each judged on its own answer) made at once where the target's answers take
        a round trip worth overlapping, else one after the other (``chains``: see Run.at_once)."""
        if len(calls) > 1 and self.run_.overlap_pays:
            return self.run_.at_once(calls, chains=chains)
        return [call() for call in calls]

    def settle_together(
        self, reads: Sequence[tuple[Callable[[], T], Callable[[T], bool]]], *, learn: bool = True
    ) -> list[T]:
        """Several read-backs that wait at the same time: each is re-read until it shows its
        state, all within one settle bound, so N things late cost one wait, not N."""
        settling = self.run_.settling
        started = time.monotonic()
        delay = FIRST_POLL
        results = self.side_by_side([read for read, _ in reads])
        counts = [1] * len(reads)
        done = [ready(result) for (_, ready), result in zip(reads, results, strict=True)]
        shown_at = [0.0 if d else None for d in done]

        def waiting() -> list[int]:
            return [i for i, d in enumerate(done) if not d and getattr(results[i], "error", None) is None]

        while pending := waiting():
            remaining = settling.bound_now() - (time.monotonic() - started)
            if remaining <= 0:
                break
            time.sleep(min(delay, remaining))  # the last read falls on the bound itself
            delay = min(delay * 2, MAX_POLL)
            for i, result in zip(pending, self.side_by_side([reads[i][0] for i in pending]), strict=True):
                results[i], counts[i] = result, counts[i] + 1
                if reads[i][1](result):
                    done[i], shown_at[i] = True, time.monotonic() - started
        elapsed = time.monotonic() - started
        for i, result in enumerate(results):
            if learn and getattr(result, "error", None) is None:
                settling.read_back(counts[i], done[i], shown_at[i] if done[i] else elapsed)
            if done[i]:
                self.ledger.settled(self.id, shown_at[i])
        self.waited = 0.0 if all(done) else elapsed
        return results

    def settle_status(self, op: spec.Operation, params: dict[str, str], body: Any, wanted: int) -> Exchange:
        """Send a read until it answers ``wanted`` (or the bound passes)."""
        return self.settle(lambda: self.send(op, params, body), lambda e: self.status(e) == wanted)

    def confirm(self, steps: Sequence[SetupStep]) -> None:
        """Setup: read back what was just made until it shows (together, within one bound), on a
        target not known to show every write at once; each step counted by name for the report.
        A step this target has never shown, where waiting never helps, is not read back again."""
        if not self.run_.confirm_setup:
            return
        settling = self.run_.settling
        steps = [step for step in steps if settling.worth_reading(step[0])]
        results = self.settle_together([(read, ready) for _, read, ready in steps])
        for (name, _, ready), result in zip(steps, results, strict=True):
            if getattr(result, "error", None) is None and self.status(result) not in THROTTLED:
                settling.step(name, ready(result))

    # ---- worlds -----------------------------------------------------------------------------

    def create_backend(self, app: str, env: str) -> Exchange:
        create = operation_at("/backend")
        body = {**(strategies.valid_body(create.operation_id) or {}), "appId": app, "backendEnvironmentName": env}
        return self.send(create, {}, body)

    def new_world(self) -> World:
        """A fresh app and environment, created and visible (an eventually consistent target may
        answer 404 for a moment after the create)."""
        return self.new_worlds(1, prepared=False)[0]

    def new_worlds(self, count: int, *, prepared: bool = True) -> list[World]:
        """``count`` fresh worlds (given what this operation names, if ``prepared``). Every write
        of a step is sent before the first read-back of it, so a target that shows writes late
        is waited for once per step, not once per world."""
        worlds = [World(*self.run_.new_names()) for _ in range(count)]
        # a burst of creates may be throttled beyond the sender's retries: wait that out too
        makes = [
            lambda world=world: self.settle(
                lambda: self.create_backend(world.app_id, world.env), _not_throttled, learn=False
            )
            for world in worlds
        ]
        made = [makes[0]()] if count == 1 else self.run_.at_once(makes)
        for world, exchange in zip(worlds, made, strict=True):
            if self.status(exchange) != 200:
                raise RuntimeError(
                    f"setup: CreateBackend({world.app_id}, {world.env}) answered {self.status(exchange)}"
                    f"{' (' + exchange.error + ')' if exchange.error else ''}"
                )
            self.run_.created(world.app_id, (world.env, world.clone_env))
            world.job_id = C.body_of(exchange.reply).get("jobId")
        self.confirm([self._backend_listed(world, world.env) for world in worlds])
        if prepared:
            self.prepare(*worlds)
        return worlds

    def visible_backend(self, world: World, env: str) -> None:
        """GetBackend until it lists ``env`` (setup: nothing on a target known to show writes at once)."""
        self.confirm([self._backend_listed(world, env)])

    def _backend_listed(self, world: World, env: str) -> SetupStep:
        get_backend = operation_at("/backend/{appId}/details")
        return (
            "GetBackend listing an environment that CreateBackend made",
            lambda: self.send(get_backend, {"appId": world.app_id}, {}),
            lambda e: env in (C.body_of(e.reply).get("backendEnvironmentList") or []),
        )

    def _answers_200(self, what: str, op: spec.Operation, params: dict[str, str], body: Any = NO_BODY) -> SetupStep:
        return (f"{op.operation_id} answering 200 for {what}", lambda: self.send(op, params, body), _is_200)

    def identity(self, body: Any, world: World, case_path: str = "") -> Any:
        """The body with the world's names in place of generated ones, so every app and
        environment a request names or creates is this run's (unless the case is about it,
        or the value is not a string: then it is what a negative case negates)."""
        if not isinstance(body, dict):
            return body
        body = copy.deepcopy(body)
        names = {"appId": world.app_id, "backendEnvironmentName": world.env, "targetEnvironmentName": world.clone_env}
        names["resourceName"] = resource_name()  # one name in every call on a resource: CONTRACT 'Resource names'
        for member, value in names.items():
            if isinstance(body.get(member), str) and case_path.split(".")[0].rstrip("[]") != member:
                body[member] = value
        return body

    def create_resource(
        self, world: World, category: str, *, tag: str | None = None, settle: bool = True
    ) -> tuple[Exchange, dict]:
        """Create* of the category in the world (the minimal body, or with a ``tag``: every member,
        in data that shows any loss, see ``strategies.telling_body``), then (``settle``) read until
        the resource is visible."""
        create = operation_for(category, "create")
        made = (
            strategies.valid_body(create.operation_id)
            if tag is None
            else strategies.telling_body(create.operation_id, tag)
        )
        body = self.identity(made, world)
        exchange = self.send(create, world.path_parameters(create), body)
        if self.status(exchange) == 200:
            world.resources.add(category)
            if settle:
                self.confirm([self._resource_shown(world, category)])
        return exchange, body

    def create_resources(
        self, world: World, categories: Sequence[str], *, tag: str | None = None
    ) -> dict[str, tuple[Exchange, dict]]:
        """Create* of each category in the world (all the writes first; with a ``tag``, bodies
        that show any loss, as ``create_resource``), then the read-backs of those made, together."""
        made = {category: self.create_resource(world, category, tag=tag, settle=False) for category in categories}
        self.confirm([self._resource_shown(world, c) for c, (answer, _) in made.items() if self.status(answer) == 200])
        return made

    def _resource_shown(self, world: World, category: str) -> SetupStep:
        """The Get{...} read-back that shows whether the world holds its resource of the category."""
        get = operation_for(category, "get")
        body = self.identity(strategies.valid_body(get.operation_id), world)
        params = {"appId": world.app_id, "backendEnvironmentName": world.env}
        return self._answers_200(
            f"a resource that {operation_for(category, 'create').operation_id} made", get, params, body
        )

    def prepare(self, *worlds: World) -> None:
        """Give each world what this operation names, so only the labelled rule is broken (all
        the writes first, then the read-backs)."""
        role = resource_role(self.id)
        reads: list[SetupStep] = []
        if role and needs_existing_resource(self.id):
            creates = [lambda world=world: self.create_resource(world, role.category, settle=False) for world in worlds]
            made = [creates[0]()] if len(worlds) == 1 else self.run_.at_once(creates)
            for world, (exchange, _) in zip(worlds, made, strict=True):
                if self.status(exchange) != 200:
                    raise RuntimeError(f"setup: creating the {role.category} resource answered {self.status(exchange)}")
                reads.append(self._resource_shown(world, role.category))
        if "sessionId" in self.op.path_parameters:
            create_token = operation_at("/backend/{appId}/challenge")
            get_token = operation_at("/backend/{appId}/challenge/{sessionId}", "GET")
            for world in worlds:
                exchange = self.send(create_token, {"appId": world.app_id})
                world.session_id = C.body_of(exchange.reply).get("sessionId")
                if not world.session_id:
                    raise RuntimeError(f"setup: CreateToken answered {self.status(exchange)} without a sessionId")
                params = {"appId": world.app_id, "sessionId": world.session_id}
                reads.append(self._answers_200("a session that CreateToken made", get_token, params))
        if "jobId" in self.op.path_parameters:
            get_job = operation_at("/backend/{appId}/job/{backendEnvironmentName}/{jobId}", "GET")
            for world in worlds:
                if not world.job_id:
                    raise RuntimeError("setup: CreateBackend's answer carried no jobId to use")
                params = {"appId": world.app_id, "backendEnvironmentName": world.env, "jobId": world.job_id}
                reads.append(self._answers_200("the job that CreateBackend announced", get_job, params))
        self.confirm(reads)

    @property
    def would_remove_given_app(self) -> bool:
        """RemoveAllBackends on an app the user named (--app-id) is never sent for real."""
        return bool(self.run_.options.app_id) and self.op.path == "/backend/{appId}/remove"

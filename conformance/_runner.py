"""One run: every operation of the spec exercised against one target, level by level.

Each operation gets a unit of work with a World of its own (a fresh app and environment), so
units run in parallel and a fault in one operation never spills into another's verdict. A
unit sends the deterministic matrix from amplify_strategies, the not-found probes (R7), the
state workflows (R8), the status-code plan (embedded emulator only) and schemathesis's
fuzzing; every answer is judged by the exchange checks of the operation it was sent to.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import amplify_openapi as spec
import amplify_strategies as strategies

from . import _checks as C
from ._campaign import Campaign
from ._cors import cors
from ._fuzz import StatefulStopped, fuzz_operation, stateful_phase
from ._matrix import matrix
from ._not_found import near_misses, not_found
from ._results import Ledger, RunResult, run_summary
from ._settling import Settling
from ._status_plan import status_plan
from ._target import NO_BODY, Exchange, RateLimit, SigV4Target, Target, TargetUnreachable
from ._unit import Unit
from ._workflows import workflows
from ._world import operation_at

T = TypeVar("T")

__version__ = "0.1.0"
MAX_TRANSPORT_ERRORS = 3  # per unit: after this many, the target is judged unusable for it
CLEANUP_GRACE = 10.0  # seconds cleanup may run beyond the time budget
CLEANUP_WORKERS = 8  # removals sent at once
URL_WORKERS = 32  # units at once against a URL (auto): more than the 31 operations
URL_SETTLE = 10.0  # default settle bound against a URL (CONTRACT 'Asynchrony')
EMULATOR_SETTLE = 5.0  # the embedded emulator's quirks settle within 2 s


@dataclass(frozen=True)
class RunOptions:
    base_url: str | None = None  # None: start the embedded emulator
    levels: tuple[str, ...] = C.LEVELS
    operations: tuple[str, ...] | None = None
    max_examples: int = 5  # schemathesis examples per operation and generation mode
    fuzz: bool = False  # long fuzzing: more examples, hostile identifiers
    # --- fuzzing campaigns: see _campaign.py
    duration: float | None = None  # seconds: with fuzz, keep generating until then (within time_budget)
    # with fuzz: a campaign of this many rounds per search, the same on any machine (and no longer
    # than duration, if both are given)
    rounds: int | None = None
    database: str | None = None  # folder of hypothesis's example database: failing examples replayed first
    stateful: bool = True
    workers: int | None = None  # None: auto (see _auto_workers)
    seed: int | None = None
    timeout: float = 10.0  # seconds for one exchange in total: connect, status line, headers, body
    retries: int = 10  # sends again of a 429 or 504, within PATIENCE seconds of backoff (R9)
    rate_limit: float | None = None  # requests a second at most, over every worker (None: as fast as answered)
    time_budget: float = 900.0  # seconds for the whole run; then it stops sending (cleanup gets a grace)
    app_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    sigv4: bool = False
    region: str = "us-east-1"
    emulator_faults: frozenset[str] = frozenset()
    emulator_quirks: frozenset[str] = frozenset()  # conformant variations (amplify_emulator.quirks())
    emulator_stage: str = "/prod"
    # the embedded emulator's own 429s and 504s, so a default run exercises the retries (R9)
    emulator_throttle_rps: float | None = 1000.0
    emulator_error_rate: float = 0.01
    # seconds a read-back may poll before it judges (CONTRACT 'Asynchrony'); None: 10 against a
    # URL, EMULATOR_SETTLE against the embedded emulator
    settle: float | None = None


@dataclass(frozen=True)
class PlanExchange:
    """One exchange of the deterministic plan, handed to a run's recorder (parity): which unit
    sent it, to which operation, under which case label, and what came back."""

    run_id: str
    unit: str  # the operationId of the unit that sent it
    operation_id: str | None  # None for OPTIONS (CORS)
    case: str | None
    method: str
    path: str
    params: dict[str, str]
    exchange: Exchange


class _Stop(Exception):
    """The run was interrupted or ran out of time: stop sending, keep what was gathered."""


class _Unusable(Exception):
    """The target failed at the transport level too often to judge this operation."""


def _documented_counts() -> dict[str, dict[str, int]]:
    counts = strategies.spec_counts()["operations"]
    return {
        op: {"enum_values": c["enum_values"], "required_members": c["required_members"]} for op, c in counts.items()
    }


class Run:
    def __init__(
        self,
        options: RunOptions,
        target: Target,
        progress: Callable[[dict], None] | None,
        tick: Callable[[dict], None] | None = None,
        recorder: Callable[[PlanExchange], None] | None = None,
    ) -> None:
        self.options = options
        self.recorder = recorder
        self._unit = threading.local()  # which unit this worker thread runs, for the recorder
        self.target = target
        self.progress = progress
        self.seed = options.seed if options.seed is not None else random.randrange(2**32)
        self.run_id = uuid.uuid4().hex[:6]
        self.ledger = Ledger()
        self.request_ids = C.RequestIds()
        self.stop = threading.Event()
        self.stop_reason: str | None = None
        self.deadline = time.monotonic() + options.time_budget
        self.answered = self.transport_failures = 0
        self.last_transport_error: str | None = None
        self.phases: dict[str, dict[str, str]] = {}
        self.created_apps: set[str] = set()
        self.created_envs: set[tuple[str, str]] = set()
        default_settle = EMULATOR_SETTLE if target.kind == "emulator" else URL_SETTLE
        self.settle_bound = options.settle if options.settle is not None else default_settle
        # setup reads back what it made before using it, unless the target is known to show every
        # write at once (the embedded emulator without its lagging quirk): then that read is saved
        self.confirm_setup = target.kind != "emulator" or "eventual" in options.emulator_quirks
        self.settling = Settling(self.settle_bound)
        self._lock = threading.Lock()
        self._counter = 0
        self.documented = _documented_counts()
        self.selected = (
            [spec.operation(o) for o in options.operations] if options.operations else list(spec.operations())
        )
        self.workers = options.workers or _auto_workers(target)
        self.campaign = Campaign(self, tick)  # the fuzzing's time, seeds, database, groups

    # ---- sending ----------------------------------------------------------------------------

    def send(
        self,
        op: spec.Operation,
        params: dict[str, str],
        body: Any = NO_BODY,
        *,
        inject: str | None = None,
        case: str | None = None,
        errors: list | None = None,
        judge: bool = True,
        seed: int | None = None,
    ) -> Exchange:
        """Send to one operation and judge the answer with every exchange check (unless the
        caller judges it itself, as the fuzzing does to keep only minimal failing examples)."""
        exchange = self.transmit(
            op.method,
            op.path,
            params,
            body,
            inject=inject,
            operation_id=op.operation_id,
            case=case,
            plan=judge and seed is None,  # the fuzzing judges its own answers and carries a seed
        )
        if exchange.error:
            if errors is not None:
                errors.append(exchange.error)
                if len(errors) >= MAX_TRANSPORT_ERRORS:
                    raise _Unusable(exchange.error)
            return exchange
        if judge:
            for seen in C.judge_exchange(op, exchange, self.request_ids):
                self.ledger.record(op.operation_id, seen, exchange, case=case, seed=seed)
        return exchange

    def transmit(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        body: Any = NO_BODY,
        *,
        inject: str | None = None,
        operation_id: str | None = None,
        case: str | None = None,
        plan: bool = True,
    ) -> Exchange:
        """Every request of the run's phases passes here: none is sent once the run stopped or its
        time budget ran out, and none outlasts the budget. Counted on operation_id, if given."""
        self._check_time()
        exchange = self.target.send(method, path, params, body, inject=inject, deadline=self.deadline)
        if operation_id:
            self.ledger.observed(operation_id, exchange)
        if exchange.error:
            self._check_time()  # cut by the budget: that is no failure of the target
        with self._lock:
            if exchange.error:
                self.transport_failures += 1
                self.last_transport_error = exchange.error
            else:
                self.answered += 1
        unit = getattr(self._unit, "operation_id", None)
        if self.recorder is not None and plan and inject is None and unit is not None:
            planned = PlanExchange(self.run_id, unit, operation_id, case, method, path, dict(params), exchange)
            held = getattr(self._unit, "held", None)  # sent by at_once: recorded when all are done
            if held is not None:
                held.append(planned)
            else:
                self.recorder(planned)
        return exchange

    def at_once(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Run the calls of the current unit at the same time, one thread each. The recorder gets
        their exchanges once all are done, call by call in the order given, so two runs pair them
        up whatever order they were answered in."""
        unit = getattr(self._unit, "operation_id", None)

        def one(call: Callable[[], T]) -> tuple[T, list[PlanExchange]]:
            self._unit.operation_id, self._unit.held = unit, []
            try:
                return call(), self._unit.held
            finally:
                self._unit.operation_id, self._unit.held = None, None

        with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="at-once") as pool:
            done = list(pool.map(one, calls))
        for _, held in done if self.recorder is not None else ():
            for planned in held:
                self.recorder(planned)
        return [value for value, _ in done]

    def _check_time(self) -> None:
        if self.stop.is_set():
            raise _Stop(self.stop_reason or "stopped")
        if time.monotonic() >= self.deadline:
            self.halt(f"time budget of {self.options.time_budget:g} s exhausted")
            raise _Stop(self.stop_reason)

    def unusable(self) -> str | None:
        """Why the target proved unusable (most exchanges failed on the transport), or None."""
        with self._lock:
            failed, total = self.transport_failures, self.transport_failures + self.answered
        if failed and failed * 2 > total:
            return f"{failed} of {total} exchanges failed on the transport"
        return None

    def hopeless(self) -> str | None:
        """Why an operation not yet begun need not be: nearly every exchange of the run so far
        (and more than a few units' worth) failed on the transport, so its own would too."""
        with self._lock:
            failed, total, last = (
                self.transport_failures,
                self.transport_failures + self.answered,
                self.last_transport_error,
            )
        if failed >= 2 * MAX_TRANSPORT_ERRORS and failed * 10 >= total * 9:
            return f"{failed} of {total} exchanges of the run failed on the transport, the last: {last}"
        return None

    def halt(self, reason: str) -> None:
        with self._lock:
            if self.stop_reason is None:
                self.stop_reason = reason
        self.stop.set()

    def created(self, app: str, envs: tuple[str, ...]) -> None:
        """What this run made, for the cleanup."""
        with self._lock:
            self.created_apps.add(app)
            self.created_envs.update((app, env) for env in envs)

    def new_names(self) -> tuple[str, str]:
        with self._lock:
            self._counter += 1
            n = self._counter
        app = self.options.app_id or f"ac{self.run_id}{n:03d}"
        return app, f"dev{self.run_id[:3]}{n:03d}"

    # ---- the run ----------------------------------------------------------------------------

    def execute(self) -> RunResult:
        started = datetime.now(UTC)
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="conformance")
        ticking = self.campaign.ticking()
        ticking.__enter__()
        try:
            # the largest matrices first: a run lasts as long as its longest unit, if that starts early
            order = sorted(self.selected, key=lambda op: -len(strategies.matrix(op.operation_id)))
            futures = {pool.submit(self.unit, op): op for op in order}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in done:
                    op = futures[future]
                    if self.progress:
                        self.progress(
                            self.ledger.operation_result(op, self.options.levels, self.documented[op.operation_id])
                        )
            self.phases["operations"] = self._phase_after_sending(f"{len(self.selected)} operations")
            self.phases["stateful"] = self.stateful()
        except KeyboardInterrupt:
            self.halt("interrupted")
            stateful_began = "operations" in self.phases
            self.phases.setdefault("operations", {"status": "stopped", "detail": "interrupted"})
            self.phases.setdefault(
                "stateful", {"status": "stopped" if stateful_began else "skipped", "detail": "interrupted"}
            )
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            ticking.__exit__(None, None, None)
        if self.stop_reason == "interrupted":
            cleanup = {"attempted": 0, "failed": 0, "detail": "skipped: run interrupted"}
            self.phases["cleanup"] = {"status": "skipped", "detail": "run interrupted"}
        else:
            cleanup = self.cleanup()
        return self.result(started, cleanup)

    def _phase_after_sending(self, what: str) -> dict[str, str]:
        if self.stop_reason:
            return {"status": "stopped", "detail": f"{what}; stopped: {self.stop_reason}"}
        return {"status": "ran", "detail": what}

    def stateful(self) -> dict[str, str]:
        """schemathesis's stateful phase, unless there is no point: its status for the report."""
        if not self.options.stateful:
            return {"status": "skipped", "detail": "not asked for (RunOptions.stateful is False)"}
        if self.stop_reason:
            return {"status": "skipped", "detail": f"run stopped: {self.stop_reason}"}
        unusable = self.unusable()
        if unusable:
            return {"status": "skipped", "detail": f"the target proved unusable: {unusable}"}
        try:
            return {"status": "ran", "detail": stateful_phase(self)}
        except (Exception, BaseExceptionGroup) as exc:  # hypothesis may wrap what stopped it in a group
            cause = _find(exc, (_Stop, StatefulStopped))
            if cause is not None:
                return {"status": "stopped", "detail": str(cause)}
            return {"status": "error", "detail": f"crashed: {_explain(exc)}"}

    def unit(self, op: spec.Operation) -> None:
        errors: list[str] = []
        self._unit.operation_id = op.operation_id
        try:
            if hopeless := self.hopeless():
                raise _Unusable(f"not sent: {hopeless}")
            OperationUnit(self, op, errors).run()
        except (Exception, BaseExceptionGroup) as exc:  # a bug or a wild answer must not sink other operations
            cause = _find(exc, (_Stop, _Unusable))  # hypothesis may wrap them in a group
            if isinstance(cause, _Stop):
                self.ledger.error(op.operation_id, f"not finished: {cause}")
            elif isinstance(cause, _Unusable):
                self.ledger.error(op.operation_id, f"target unusable for this operation: {cause}")
            else:
                self.ledger.error(op.operation_id, _explain(exc))
        finally:
            self._unit.operation_id = None

    def cleanup(self) -> dict[str, Any]:
        """Best effort, and bounded: remove what this run created, within what is left of the time
        budget plus CLEANUP_GRACE; on a target that proved unusable, stop at its first failure."""
        deadline = max(self.deadline, time.monotonic()) + CLEANUP_GRACE
        unusable = self.unusable()
        remove_all = operation_at("/backend/{appId}/remove")
        delete_env = operation_at("/backend/{appId}/environments/{backendEnvironmentName}/remove")
        if self.options.app_id:
            jobs = [(delete_env, {"appId": a, "backendEnvironmentName": e}) for a, e in sorted(self.created_envs)]
        else:
            jobs = [(remove_all, {"appId": a}) for a in sorted(self.created_apps)]
        what = "environments" if self.options.app_id else "apps"
        out_of_time = f"the time budget and its {CLEANUP_GRACE:g} s grace ran out"

        def remove(job: tuple[spec.Operation, dict[str, str]]) -> Exchange | None:
            """None when there was no time left to send it."""
            if time.monotonic() >= deadline:
                return None
            return self.target.send(job[0].method, job[0].path, job[1], {}, deadline=deadline)

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
            self.phases["cleanup"] = {"status": "skipped", "detail": f"no {what} to remove"}
            return {"attempted": 0, "failed": 0, "detail": f"skipped: no {what} to remove"}
        detail = f"{attempted - failed} of {len(jobs)} {what} removed or already gone"
        if stopped:
            detail += f"; {len(jobs) - attempted} not attempted: {stopped}"
        self.phases["cleanup"] = {"status": "stopped" if stopped else "ran", "detail": detail}
        return {"attempted": attempted, "failed": failed, "detail": detail}

    def throttling(self) -> dict[str, Any]:
        """How the target throttled the run and how the run slowed down for it (R9)."""
        limit = self.target.rate_limit
        return {
            "rate_limit": limit.per_second,
            "slowest_pace": None if limit.slowest is None else round(limit.slowest, 2),
            "rate_limit_wait_seconds": round(limit.waited, 3),
            "patience_seconds": self.target.patience,
            **self.ledger.throttling(),
        }

    def result(self, started: datetime, cleanup: dict[str, Any]) -> RunResult:
        operations = [
            self.ledger.operation_result(op, self.options.levels, self.documented[op.operation_id])
            for op in self.selected
        ]
        summary = run_summary(operations, self.options.levels, *self.ledger.totals())
        return RunResult(
            {
                "tool": {"name": "amplify-conformance", "version": __version__},
                "target": {"base_url": self.target.base_url, "kind": self.target.kind, "app_id": self.options.app_id},
                "levels": list(self.options.levels),
                "seed": self.seed,
                "settle_bound": self.settle_bound,
                "settling": self.settling.section(),
                "throttling": self.throttling(),
                "started_at": started.isoformat(),
                "finished_at": datetime.now(UTC).isoformat(),
                "complete": self.stop_reason is None,
                "incomplete_reason": self.stop_reason,
                "summary": summary,
                "cleanup": cleanup,
                "phases": self.phases,
                "operations": operations,
                **({"fuzz": self.campaign.section()} if self.options.fuzz else {}),
            }
        )


def _auto_workers(target: Target) -> int:
    """Units run at once: four a core against the embedded emulator, which shares the process's
    CPU; every operation at once against a URL, where a worker mostly waits for the answer (a
    far-away target costs round trips side by side, not one after another)."""
    if target.kind == "emulator":
        return min(16, (os.cpu_count() or 2) * 4)
    return URL_WORKERS


class OperationUnit(Unit):
    """One operation's questions, family by family, each from a module of its own."""

    def run(self) -> None:
        cors(self)
        world = self.new_world()
        not_found(self, world)
        self.prepare(world)
        world = matrix(self, world)
        near_misses(self, world)
        world = workflows(self, world)
        status_plan(self, world)
        if self.run_.options.max_examples > 0 and not self.would_remove_given_app:
            fuzz_operation(self, world)


def _find(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """exc itself if it is one of kinds, else the first such exception inside its group."""
    if isinstance(exc, kinds):
        return exc
    for inner in getattr(exc, "exceptions", None) or ():
        if found := _find(inner, kinds):
            return found
    return None


def _explain(exc: BaseException) -> str:
    """One line naming what went wrong, looking inside exception groups (hypothesis wraps)."""
    inner = getattr(exc, "exceptions", None)
    text = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if inner:
        text += f" <- {_explain(inner[0])}"
    return text[:400]


def run(
    options: RunOptions | None = None,
    progress: Callable[[dict], None] | None = None,
    tick: Callable[[dict], None] | None = None,
    *,
    recorder: Callable[[PlanExchange], None] | None = None,
) -> RunResult:
    """Exercise every selected operation of the spec against a target and judge it level by level.

    With no base_url the embedded emulator is started on a free loopback port (with injection on,
    so every documented status code is observed) and stopped afterwards.
    Raises TargetUnreachable when the target does not answer at all. ``progress`` gets each
    operation's result as it finishes; ``tick`` gets a campaign's figures every second. A
    ``recorder`` is handed every exchange of the deterministic plan (not the fuzzing, the
    injected codes or cleanup).
    """
    options = options or RunOptions()
    unknown = set(options.operations or ()) - {op.operation_id for op in spec.operations()}
    if unknown:
        raise ValueError(f"unknown operation(s): {', '.join(sorted(unknown))}")
    if options.base_url is not None:
        parts = urlsplit(options.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL {options.base_url!r} is not an http(s) URL such as https://host/prod")
    if options.duration is not None and (options.duration <= 0 or not options.fuzz):
        raise ValueError("a campaign's duration must be positive, and needs fuzz (--fuzz --duration 30m)")
    if options.rounds is not None and (options.rounds < 1 or not options.fuzz):
        raise ValueError("a campaign's rounds must be at least 1, and need fuzz (--fuzz --rounds 20)")
    bad_levels = set(options.levels) - set(C.LEVELS)
    if bad_levels:
        raise ValueError(f"unknown level(s): {', '.join(sorted(bad_levels))}; known: {', '.join(C.LEVELS)}")
    with ExitStack() as stack:
        target = stack.enter_context(_target_for(options))
        the_run = Run(options, target, progress, tick, recorder)  # the time budget counts from here
        _preflight(target, the_run.deadline)
        return the_run.execute()


class _target_for:
    """The target a run talks to; for the embedded emulator, also its lifetime."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.emulator = None

    def __enter__(self) -> Target:
        o = self.options
        common = {
            "headers": dict(o.headers),
            "timeout": o.timeout,
            "max_retries": o.retries,
            "rate_limit": RateLimit(o.rate_limit),
        }
        if o.base_url is None:
            from amplify_emulator import Emulator, EmulatorConfig

            config = EmulatorConfig(
                stage=o.emulator_stage,
                faults=frozenset(o.emulator_faults),
                quirks=frozenset(o.emulator_quirks),
                allow_injection=True,
                seed=o.seed or 0,
                throttle_rps=o.emulator_throttle_rps,
                throttle_burst=200,
                error_rate=o.emulator_error_rate,
            )
            self.emulator = Emulator(config, host="127.0.0.1", port=0)
            emu = self.emulator.__enter__()
            return Target(emu.base_url + o.emulator_stage, kind="emulator", can_inject=True, **common)
        if o.sigv4:
            return SigV4Target(o.base_url, o.region, **common)
        return Target(o.base_url, **common)

    def __exit__(self, *exc: Any) -> None:
        if self.emulator is not None:
            self.emulator.__exit__(*exc)


def _preflight(target: Target, deadline: float) -> None:
    """Down at the start (refused, unresolvable, no connection) is one clear error; a target
    that answers badly or too slowly is reachable, and the run judges it."""
    exchange = target.send("OPTIONS", "/backend", retry=False, deadline=deadline)
    if exchange.error and exchange.error.startswith(("connection failed", "connection timed out")):
        raise TargetUnreachable(f"cannot reach {target.base_url}: {exchange.error}")

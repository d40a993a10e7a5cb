"""One run: every operation of the spec exercised against one target, level by level.

Each operation gets a unit of work with a World of its own (a fresh app and environment), so
units run in parallel and a fault in one operation never spills into another's verdict. A
unit sends the deterministic matrix from amplify_strategies, the not-found probes (R7), the
state workflows (R8), the status-code plan (embedded emulator only) and schemathesis's
fuzzing; every answer is judged by the exchange checks of the operation it was sent to.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import amplify_openapi as spec
import amplify_strategies as strategies

from . import _checks as C
from ._ast_lock import serialise_ast_parse
from ._campaign import Campaign
from ._cleanup import CreatedLedger, cleanup_summary, remove_created
from ._cors import cors
from ._edges import edges
from ._fuzz import StatefulStopped, fuzz_operation, stateful_phase
from ._groups import find
from ._matrix import matrix
from ._model import ModelStopped, model_phase
from ._not_found import near_misses, not_found
from ._options import EMULATOR_SETTLE, URL_SETTLE, RunOptions, resolve_seed, validate
from ._pacing import alongside
from ._results import Ledger, RunResult, run_summary
from ._settling import Settling
from ._status_plan import status_plan
from ._target import NO_BODY, Exchange, Target
from ._target_for import preflight, target_for
from ._timing import Timing
from ._unit import Unit
from ._workflows import workflows
from ._world import World, makes_what_it_names

T = TypeVar("T")

__version__ = "0.1.0"
ANSWER_WINDOW = 64  # the recent answers whose times say whether overlapping requests pays
SLOW_ANSWER = 0.02  # seconds: a median answer time from which requests go out side by side
MAX_TRANSPORT_ERRORS = 3  # per unit: after this many, the target is judged unusable for it
URL_WORKERS = 32  # units at once against a URL (auto): more than the 31 operations
AT_ONCE_THREADS = 4096  # at most in Run.at_once's threads: never reached (each waits for a place in flight)
LAGGING_QUIRKS = frozenset({"eventual", "late-deletes"})  # the embedded emulator's quirks that show writes late
PHASES = ("operations", "stateful", "model")
AFTER_UNITS = PHASES[1:]  # phases that go after the operations' units, or beside them (Run._alongside)


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
        serialise_ast_parse()  # units draw examples in many threads at once
        self.options = options
        self.recorder = recorder
        self._unit = threading.local()  # which unit this worker thread runs, for the recorder
        self.target = target
        self.progress = progress
        # the seed every example, sequence and round derives from, and where it came from
        self.seed, self.seed_source = resolve_seed(options.seed, options.fuzz, options.seed_source)
        self.run_id = uuid.uuid4().hex[:6]
        self.ledger = Ledger()
        self.request_ids = C.RequestIds()
        self.stop = threading.Event()
        self.stop_reason: str | None = None
        self.deadline = time.monotonic() + options.time_budget
        self.answered = self.transport_failures = 0
        self._answer_times: collections.deque[float] = collections.deque(maxlen=ANSWER_WINDOW)
        self.last_transport_error: str | None = None
        self.phases: dict[str, dict[str, str]] = {}
        self.created_apps: set[str] = set()
        self.created_envs: set[tuple[str, str]] = set()
        self.interrupts = 0  # Ctrl-C or SIGTERM received: the first cleans up, a second skips it
        self._in_flight_makes: collections.Counter[tuple[str, str | None]] = collections.Counter()
        # what outlives the run, on disk as it goes (not for the embedded emulator, which ends with it)
        ledger_dir = None if target.kind == "emulator" else options.ledger_dir
        self.created_ledger = CreatedLedger(ledger_dir, self.run_id, target, options.app_id)
        default_settle = EMULATOR_SETTLE if target.kind == "emulator" else URL_SETTLE
        self.settle_bound = options.settle if options.settle is not None else default_settle
        # setup reads back what it made before using it, unless the target is known to show every
        # write at once (the embedded emulator without its lagging quirk): then that read is saved
        self.confirm_setup = target.kind != "emulator" or bool(LAGGING_QUIRKS & options.emulator_quirks)
        self.settling = Settling(self.settle_bound)
        self.timing = Timing()
        self.operations_done = threading.Event()
        # the threads at_once's calls run in, kept for the run: under a busy GIL, starting a
        # thread waits for it to run, and a fresh thread for each request of a batch of 64 cost
        # about half a second a batch; as wide as ever needed (a call may wait on calls of its own)
        self._at_once = ThreadPoolExecutor(max_workers=AT_ONCE_THREADS, thread_name_prefix="at-once")
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
        makes = self._would_make(operation_id, params, body)
        if makes is not None:  # named before it is sent: a run interrupted or killed mid-request still has it
            self._making(makes, +1)
        exchange = self.target.send(method, path, params, body, inject=inject, deadline=self.deadline)
        if makes is not None:
            if _may_have_made(exchange):  # before the caller may be stopped
                self.created(makes[0], () if makes[1] is None else (makes[1],))
            self._making(makes, -1)
        if operation_id:
            self.ledger.observed(operation_id, exchange)
        self.timing.sent(len(exchange.replies) or 1, sum(reply.elapsed for reply in exchange.replies))
        if exchange.error:
            self._check_time()  # cut by the budget: that is no failure of the target
        with self._lock:
            if exchange.error:
                self.transport_failures += 1
                self.last_transport_error = exchange.error
            else:
                self.answered += 1
                self._answer_times.append(exchange.reply.elapsed)
        unit = getattr(self._unit, "operation_id", None)
        if self.recorder is not None and plan and inject is None and unit is not None:
            planned = PlanExchange(self.run_id, unit, operation_id, case, method, path, dict(params), exchange)
            held = getattr(self._unit, "held", None)  # sent by at_once: recorded when all are done
            if held is not None:
                held.append(planned)
            else:
                self.recorder(planned)
        return exchange

    def at_once(self, calls: Sequence[Callable[[], T]], *, chains: bool = False) -> list[T]:
        """Run the calls of the current unit at the same time, one thread each. The recorder gets
        their exchanges once all are done, call by call in the order given, so two runs pair them
        up whatever order they were answered in. ``chains``: each call sends requests one after
        another (a family of questions in a world of its own), which go first for a place in
        flight as a chain's do; else the calls are one batch, each a request or a few."""
        unit = getattr(self._unit, "operation_id", None)
        outer = getattr(self._unit, "held", None)  # called from a call of another at_once
        counted_as_here = self.timing.carried()

        def one(call: Callable[[], T]) -> tuple[T, list[PlanExchange]]:
            counted_as_here()
            alongside(not chains)
            self._unit.operation_id, self._unit.held = unit, []
            try:
                return call(), self._unit.held
            finally:
                self._unit.operation_id, self._unit.held = None, None

        futures = [self._at_once.submit(one, call) for call in calls]
        wait(futures)  # all of them, also when one fails: nothing of the unit goes on behind its back
        done = [future.result() for future in futures]
        for _, held in done if self.recorder is not None else ():
            for planned in held:
                outer.append(planned) if outer is not None else self.recorder(planned)
        return [value for value, _ in done]

    @property
    def overlap_pays(self) -> bool:
        """Whether sending requests side by side saves time: the target's recent answers take a
        round trip worth overlapping (a far-away or slow target). Against one that answers at
        once (the embedded emulator), threads would only cost."""
        with self._lock:
            times = sorted(self._answer_times)
        return len(times) >= ANSWER_WINDOW // 4 and times[len(times) // 2] >= SLOW_ANSWER

    @property
    def far_away(self) -> bool:
        """Whether every recent answer took a round trip (a far-away target): even the fastest
        was slow, so it is no queue of our own making (a near target busy with a burst of
        requests answers some late, never all)."""
        with self._lock:
            times = list(self._answer_times)
        return len(times) >= ANSWER_WINDOW // 4 and min(times) >= SLOW_ANSWER

    def _check_time(self) -> None:
        if self.stop.is_set():
            raise _Stop(self.stop_reason or "stopped")
        if time.monotonic() >= self.deadline:
            self.halt(f"time budget of {self.options.time_budget:g} s exhausted")
            raise _Stop(self.stop_reason)

    def _transport_tally(self) -> tuple[int, int, str | None]:
        """Exchanges that failed on the transport, exchanges in all, and the last failure."""
        with self._lock:
            return self.transport_failures, self.transport_failures + self.answered, self.last_transport_error

    def unusable(self) -> str | None:
        """Why the target proved unusable (most exchanges failed on the transport), or None."""
        failed, total, _ = self._transport_tally()
        if failed and failed * 2 > total:
            return f"{failed} of {total} exchanges failed on the transport"
        return None

    def hopeless(self) -> str | None:
        """Why an operation not yet begun need not be: nearly every exchange of the run so far
        (and more than a few units' worth) failed on the transport, so its own would too."""
        failed, total, last = self._transport_tally()
        if failed >= 2 * MAX_TRANSPORT_ERRORS and failed * 10 >= total * 9:
            return f"{failed} of {total} exchanges of the run failed on the transport, the last: {last}"
        return None

    def halt(self, reason: str) -> None:
        with self._lock:
            if self.stop_reason is None:
                self.stop_reason = reason
        self.stop.set()

    def created(self, app: str, envs: tuple[str, ...]) -> None:
        """What this run made, for the cleanup (and its ledger on disk)."""
        with self._lock:
            self.created_apps.add(app)
            self.created_envs.update((app, env) for env in envs)
        self.created_ledger.add([(app, env) for env in envs] if self.options.app_id else [(app, None)])

    def _would_make(self, operation_id: str | None, params: dict[str, str], body: Any) -> tuple[str, str | None] | None:
        """The app (or, with --app-id, the environment) of this run's that a request may create."""
        if operation_id is None or not makes_what_it_names(operation_id):
            return None
        names = {**params, **(body if isinstance(body, dict) else {})}
        app, env = names.get("appId"), names.get("backendEnvironmentName")
        if not isinstance(app, str) or not isinstance(env, str):
            return None
        if self.options.app_id:
            return (app, env) if app == self.options.app_id and env.startswith(f"dev{self.run_id[:3]}") else None
        return (app, None) if app.startswith(f"ac{self.run_id}") else None

    def _making(self, thing: tuple[str, str | None], step: int) -> None:
        """A request that may create ``thing`` is under way (+1) or answered (-1)."""
        if step > 0:
            self.created_ledger.add([thing])
        with self._lock:
            self._in_flight_makes[thing] += step
            if self._in_flight_makes[thing] <= 0:
                del self._in_flight_makes[thing]

    def to_remove(self) -> list[tuple[str, str | None]]:
        """What the cleanup removes: the environments the run added to the given app, else its apps;
        with what requests still under way may be making (a worker cut by an interrupt)."""
        with self._lock:
            if self.options.app_id:
                made: set[tuple[str, str | None]] = set(self.created_envs)
            else:
                made = {(app, None) for app in self.created_apps}
            made |= set(self._in_flight_makes)
        return sorted(made, key=lambda thing: (thing[0], thing[1] or ""))

    def new_names(self) -> tuple[str, str]:
        with self._lock:
            self._counter += 1
            n = self._counter
        app = self.options.app_id or f"ac{self.run_id}{n:03d}"
        return app, f"dev{self.run_id[:3]}{n:03d}"

    # ---- the run ----------------------------------------------------------------------------

    def execute(self) -> RunResult:
        started = datetime.now(UTC)
        try:
            self._send_phases()
        except KeyboardInterrupt as exc:  # a second one, while the first was being handled
            self.interrupted(exc)
        return self.result(started, self._cleanup_after())

    def _send_phases(self) -> None:
        """The operations' units, then the stateful and model phases. An interrupt (Ctrl-C, or SIGTERM
        through the CLI) stops sending and cuts every exchange in flight; the phases say where."""
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="conformance")
        ticking = self.campaign.ticking()
        ticking.__enter__()
        beside = ThreadPoolExecutor(max_workers=len(AFTER_UNITS), thread_name_prefix="alongside")
        try:
            after = {name: getattr(self, name) for name in AFTER_UNITS}
            ahead = (
                {}
                if self.target.kind == "emulator"
                else {name: beside.submit(self._alongside, name, phase) for name, phase in after.items()}
            )
            self._timed("operations", lambda: self.operations(pool))
            self.operations_done.set()
            for name, phase in after.items():
                if name not in ahead or not ahead[name].result():
                    self._timed(name, phase)
        except KeyboardInterrupt as exc:
            self.interrupted(exc)
        finally:
            try:
                if self.interrupts:  # again: a second interrupt may have landed while the first cut
                    self.target.interrupt()
                pool.shutdown(wait=True, cancel_futures=True)  # quick: every send returns at once now
                self.operations_done.set()
                beside.shutdown(wait=True)
                self._at_once.shutdown(wait=True)
            except KeyboardInterrupt as exc:  # a second interrupt: no more waiting
                self.interrupted(exc)
                pool.shutdown(wait=False, cancel_futures=True)
                beside.shutdown(wait=False, cancel_futures=True)
                self._at_once.shutdown(wait=False, cancel_futures=True)
            finally:
                ticking.__exit__(None, None, None)

    def interrupted(self, signal: KeyboardInterrupt | None = None) -> None:
        """An interrupt: stop sending, cut what is in flight, and say which phases it stopped."""
        self.interrupts += 1  # first: a second interrupt may land anywhere in here
        self.target.interrupt()
        self.halt(f"interrupted ({signal})" if signal and str(signal) else "interrupted")
        finished = set(self.phases)
        for i, phase in enumerate(PHASES):  # the one under way stopped; those after it never began
            began = i == 0 or PHASES[i - 1] in finished
            self.phases.setdefault(phase, {"status": "stopped" if began else "skipped", "detail": "interrupted"})

    def _cleanup_after(self) -> dict[str, Any]:
        """The cleanup, also after an interrupt (then within the cleanup time from now); a second
        interrupt, before it or during it, skips what is left and names it."""
        things = self.to_remove()
        if self.interrupts >= 2:
            summary, phase = cleanup_summary(self.target, things, {}, "interrupted twice: cleanup skipped")
        else:
            times: dict[str, Any] = {}
            try:
                if self.interrupts:
                    self.target.resume()
                with self.timing.phase(times):
                    summary = self.cleanup(things)
            except KeyboardInterrupt as exc:  # between the phases and the cleanup
                self.interrupted(exc)
                summary, phase = cleanup_summary(self.target, things, {}, "interrupted twice: cleanup skipped")
            else:
                phase = self.phases["cleanup"]
                if phase["status"] != "skipped":  # its removals are sent past the run's count
                    phase.update(times, requests=summary.get("attempted", 0))
        self.phases["cleanup"] = phase
        if not summary["left_behind"]:
            self.created_ledger.discard()
        return summary

    def _alongside(self, name: str, phase: Callable[[], dict[str, Any]]) -> bool:
        """A phase after the units (the stateful phase, the model phase: each makes apps of its
        own) run beside them instead, once the target's answers show it is far away
        (Run.far_away): the run then lasts about as long as the longest of them, not their sum.
        Whether it ran; if not (a near target, one that never answers, the units done first), it
        goes after them, where a faulty target's deletes that spill into other apps' environments
        of the same names cannot reach it from the units' apps."""
        while not self.operations_done.wait(0.1) and not self.stop.is_set():
            with self._lock:
                answered = self.answered >= ANSWER_WINDOW // 4
            if answered and not self.unusable():
                if not self.far_away:
                    return False
                self._timed(name, phase)
                return True
        return False

    def _timed(self, name: str, phase: Callable[[], dict[str, Any]]) -> None:
        """Run a phase into its entry of ``phases``, with the phase's wall seconds and requests
        (unless it was skipped)."""
        times: dict[str, Any] = {}
        with self.timing.phase(times):
            self.phases[name] = phase()
        if self.phases[name]["status"] != "skipped":
            self.phases[name].update(times)

    def operations(self, pool: ThreadPoolExecutor) -> dict[str, Any]:
        """Every selected operation's unit, side by side in the pool."""
        # the largest matrices first: a run lasts as long as its longest unit, if that starts early
        order = sorted(self.selected, key=lambda op: -len(strategies.matrix(op.operation_id)))
        in_this_phase = self.timing.carried(aside=False)

        def unit(op: spec.Operation) -> None:
            in_this_phase()
            self.unit(op)

        futures = {pool.submit(unit, op): op for op in order}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                op = futures[future]
                if self.progress:
                    self.progress(
                        self.ledger.operation_result(op, self.options.levels, self.documented[op.operation_id])
                    )
        return {**self._phase_after_sending(f"{len(self.selected)} operations"), "stages": self.timing.stages()}

    def _phase_after_sending(self, what: str) -> dict[str, str]:
        if self.stop_reason:
            return {"status": "stopped", "detail": f"{what}; stopped: {self.stop_reason}"}
        return {"status": "ran", "detail": what}

    def stateful(self) -> dict[str, str]:
        """schemathesis's stateful phase, unless there is no point: its status for the report."""
        not_asked = None if self.options.stateful else "not asked for (RunOptions.stateful is False)"

        def chained() -> str:  # one call after another
            with self.timing.chain("the stateful phase"):
                return stateful_phase(self)

        return self._after_operations(not_asked, chained, StatefulStopped)

    def model(self) -> dict[str, str]:
        """The model-based phase (R8.sequences), unless there is no point: its status for the report."""
        not_asked = None
        if not self.options.model:
            not_asked = "not asked for (RunOptions.model is 0)"
        elif "behaviour" not in self.options.levels:
            not_asked = "the behaviour level was not asked for"
        elif self.options.app_id:
            not_asked = "it makes and removes apps of its own, and --app-id names one"
        return self._after_operations(not_asked, lambda: model_phase(self, self.options.model), ModelStopped)

    def _after_operations(
        self, not_asked: str | None, phase: Callable[[], str | dict[str, Any]], stopped: type[Exception]
    ) -> dict[str, Any]:
        """A phase after the operations' units: skipped (saying why) when not asked for, when the run
        stopped or when the target proved unusable; else what it did, or what stopped or crashed it."""
        if not_asked:
            return {"status": "skipped", "detail": not_asked}
        if self.stop_reason:
            return {"status": "skipped", "detail": f"run stopped: {self.stop_reason}"}
        unusable = self.unusable()
        if unusable:
            return {"status": "skipped", "detail": f"the target proved unusable: {unusable}"}
        try:
            did = phase()
            return {"status": "ran", **(did if isinstance(did, dict) else {"detail": did})}
        except (Exception, BaseExceptionGroup) as exc:  # hypothesis may wrap what stopped it in a group
            cause = find(exc, (_Stop, _Unusable, stopped))
            if cause is not None:
                return {"status": "stopped", "detail": str(cause)}
            return {"status": "error", "detail": f"crashed: {_explain(exc)}"}

    def unit(self, op: spec.Operation) -> None:
        errors: list[str] = []
        self._unit.operation_id = op.operation_id
        try:
            if hopeless := self.hopeless():
                raise _Unusable(f"not sent: {hopeless}")
            with self.timing.chain(f"the {op.operation_id} unit"):
                OperationUnit(self, op, errors).run()
        except (Exception, BaseExceptionGroup) as exc:  # a bug or a wild answer must not sink other operations
            cause = find(exc, (_Stop, _Unusable))  # hypothesis may wrap them in a group
            if isinstance(cause, _Stop):
                self.ledger.error(op.operation_id, f"not finished: {cause}")
            elif isinstance(cause, _Unusable):
                self.ledger.error(op.operation_id, f"target unusable for this operation: {cause}")
            else:
                self.ledger.error(op.operation_id, _explain(exc))
        finally:
            self._unit.operation_id = None

    def cleanup(self, things: list[tuple[str, str | None]] | None = None) -> dict[str, Any]:
        """Remove what this run created (see _cleanup), within the cleanup time after the time budget,
        or, interrupted, after now; its phase status for the report."""
        things = self.to_remove() if things is None else things
        start = time.monotonic() if self.interrupts else max(self.deadline, time.monotonic())
        unusable = self.unusable()
        summary, phase = remove_created(self.target, things, start + self.options.cleanup_time, unusable)
        self.phases["cleanup"] = phase
        return summary

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
                "seed_source": self.seed_source,
                "settle_bound": self.settle_bound,
                "settling": self.settling.section(),
                "throttling": self.throttling(),
                "concurrency": self.target.concurrency.section(),
                "started_at": started.isoformat(),
                "finished_at": datetime.now(UTC).isoformat(),
                "complete": self.stop_reason is None,
                "incomplete_reason": self.stop_reason,
                "summary": summary,
                "cleanup": cleanup,
                "phases": {name: self.phases[name] for name in sorted(self.phases, key=_phase_order)},
                "longest_chain": self.timing.longest_chain(),
                "operations": operations,
                **({"fuzz": self.campaign.section()} if self.options.fuzz else {}),
            }
        )


def _phase_order(name: str) -> int:
    """Phases as they begin (the model phase may end before the operations' units)."""
    order = (*PHASES, "cleanup")
    return order.index(name) if name in order else len(order)


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
        stage = self.run_.timing.stage
        with stage("matrix"):
            cors(self)
            world = self.new_world()
            not_found(self, world)
            self.prepare(world)
            world = matrix(self, world)
            near_misses(self, world)
        # the workflows in the matrix's world; the edges and the fuzzing in one of their own, at
        # the same time where overlapping pays (the same requests either way)
        rest = OperationUnit(self.run_, self.op, self.errors)
        rest.failing = self.ledger.failing(self.id)  # as the fuzzing's stop rule sees it, whatever runs beside
        world_of_the_rest = self.side_by_side([lambda: self._workflows(world), rest._edges_and_fuzzing], chains=True)[1]
        with stage("status codes and edges"):  # after all else: it injects only the codes no answer showed
            status_plan(self, world_of_the_rest)

    def _workflows(self, world: World) -> None:
        with self.run_.timing.stage("workflows"):
            workflows(self, world)

    def _edges_and_fuzzing(self) -> World:
        with self.run_.timing.stage("status codes and edges"):
            world = edges(self, self.new_worlds(1)[0])
        if self.run_.options.max_examples > 0 and not self.would_remove_given_app:
            with self.run_.timing.stage("fuzzing"):
                fuzz_operation(self, world)
        return world


def _may_have_made(exchange: Exchange) -> bool:
    """Whether a request that creates something may have: it was accepted, or it was sent and its
    answer never came (cut by an interrupt or the timeout: the target may have acted on it)."""
    if exchange.error:
        return not exchange.error.startswith("not sent")
    return exchange.reply.status == 200


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

    With no base_url the run talks to the embedded emulator, made for it and called in-process
    (with injection on, so every documented status code is observed).
    Raises TargetUnreachable when the target does not answer at all. A KeyboardInterrupt while it
    runs (Ctrl-C; the CLI turns SIGTERM into one) stops the sending, removes what the run made
    within ``cleanup_time`` and returns the partial result, naming what was left behind; a second
    skips the cleanup. ``progress`` gets each
    operation's result as it finishes; ``tick`` gets a campaign's figures every second. A
    ``recorder`` is handed every exchange of the deterministic plan (not the fuzzing, the
    injected codes or cleanup).
    """
    options = options or RunOptions()
    validate(options)
    # resolved once, so the embedded emulator's 504 plan and the run share one seed
    seed, seed_source = resolve_seed(options.seed, options.fuzz, options.seed_source)
    options = dataclasses.replace(options, seed=seed, seed_source=seed_source)
    target = target_for(options)
    the_run = Run(options, target, progress, tick, recorder)  # the time budget counts from here
    preflight(target, the_run.deadline)
    return the_run.execute()

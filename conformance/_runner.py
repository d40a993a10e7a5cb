"""One run: every operation of the spec exercised against one target, level by level.

Each operation gets a unit of work with a World of its own (a fresh app and environment), so
units run in parallel and a fault in one operation never spills into another's verdict. A
unit sends the deterministic matrix from amplify_strategies, the not-found probes (R7), the
state workflows (R8), the status-code plan (embedded emulator only) and schemathesis's
fuzzing; every answer is judged by the exchange checks of the operation it was sent to.
"""

from __future__ import annotations

import copy
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import amplify_openapi as spec
import amplify_strategies as strategies

from . import _checks as C
from ._campaign import Campaign
from ._results import Ledger, RunResult, run_summary
from ._target import NO_BODY, Exchange, SigV4Target, Target, TargetUnreachable
from ._world import (
    World,
    needs_existing_resource,
    operation_at,
    operation_for,
    removes_what_it_names,
    resource_role,
)

__version__ = "0.1.0"
MAX_TRANSPORT_ERRORS = 3  # per unit: after this many, the target is judged unusable for it
CLEANUP_GRACE = 10.0  # seconds cleanup may run beyond the time budget


@dataclass(frozen=True)
class RunOptions:
    base_url: str | None = None  # None: start the embedded emulator
    levels: tuple[str, ...] = C.LEVELS
    operations: tuple[str, ...] | None = None
    max_examples: int = 5  # schemathesis examples per operation and generation mode
    fuzz: bool = False  # long fuzzing: more examples, hostile identifiers
    # --- fuzzing campaigns (issue 15): see _campaign.py
    duration: float | None = None  # seconds: with fuzz, keep generating until then (within time_budget)
    database: str | None = None  # folder of hypothesis's example database: failing examples replayed first
    stateful: bool = True
    workers: int | None = None  # None: auto
    seed: int | None = None
    timeout: float = 10.0  # seconds for one exchange in total: connect, status line, headers, body
    retries: int = 3
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
    ) -> None:
        self.options = options
        self.target = target
        self.progress = progress
        self.seed = options.seed if options.seed is not None else random.randrange(2**32)
        self.run_id = uuid.uuid4().hex[:6]
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.stop_reason: str | None = None
        self.deadline = time.monotonic() + options.time_budget
        self.answered = self.transport_failures = 0
        self.phases: dict[str, dict[str, str]] = {}
        self.created_apps: set[str] = set()
        self.created_envs: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._counter = 0
        self.documented = _documented_counts()
        self.selected = (
            [spec.operation(o) for o in options.operations] if options.operations else list(spec.operations())
        )
        self.workers = options.workers or min(16, (os.cpu_count() or 2) * 4)
        self.campaign = Campaign(self, tick)  # issue 15: the fuzzing's time, seeds, database, groups

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
        exchange = self.transmit(op.method, op.path, params, body, inject=inject, operation_id=op.operation_id)
        if exchange.error:
            if errors is not None:
                errors.append(exchange.error)
                if len(errors) >= MAX_TRANSPORT_ERRORS:
                    raise _Unusable(exchange.error)
            return exchange
        if judge:
            for seen in C.judge_exchange(op, exchange):
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
            else:
                self.answered += 1
        return exchange

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

    def halt(self, reason: str) -> None:
        with self._lock:
            if self.stop_reason is None:
                self.stop_reason = reason
        self.stop.set()

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
            futures = {pool.submit(self.unit, op): op for op in self.selected}
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
        from ._fuzz import StatefulStopped, stateful_phase

        try:
            return {"status": "ran", "detail": stateful_phase(self)}
        except (Exception, BaseExceptionGroup) as exc:  # hypothesis may wrap what stopped it in a group
            cause = _find(exc, (_Stop, StatefulStopped))
            if cause is not None:
                return {"status": "stopped", "detail": str(cause)}
            return {"status": "error", "detail": f"crashed: {_explain(exc)}"}

    def unit(self, op: spec.Operation) -> None:
        errors: list[str] = []
        try:
            OperationUnit(self, op, errors).run()
        except (Exception, BaseExceptionGroup) as exc:  # a bug or a wild answer must not sink other operations
            cause = _find(exc, (_Stop, _Unusable))  # hypothesis may wrap them in a group
            if isinstance(cause, _Stop):
                self.ledger.error(op.operation_id, f"not finished: {cause}")
            elif isinstance(cause, _Unusable):
                self.ledger.error(op.operation_id, f"target unusable for this operation: {cause}")
            else:
                self.ledger.error(op.operation_id, _explain(exc))

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
        attempted = failed = 0
        stopped = None
        for op, params in jobs:
            if time.monotonic() >= deadline:
                stopped = f"the time budget and its {CLEANUP_GRACE:g} s grace ran out"
                break
            attempted += 1
            exchange = self.target.send(op.method, op.path, params, {}, deadline=deadline)
            if exchange.error or exchange.reply.status not in (200, 404):
                failed += 1
            if exchange.error and unusable:
                stopped = f"the target proved unusable ({unusable})"
                break
        if not jobs:
            self.phases["cleanup"] = {"status": "skipped", "detail": f"no {what} to remove"}
            return {"attempted": 0, "failed": 0, "detail": f"skipped: no {what} to remove"}
        detail = f"{attempted - failed} of {len(jobs)} {what} removed or already gone"
        if stopped:
            detail += f"; {len(jobs) - attempted} not attempted: {stopped}"
        self.phases["cleanup"] = {"status": "stopped" if stopped else "ran", "detail": detail}
        return {"attempted": attempted, "failed": failed, "detail": detail}

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


class OperationUnit:
    """Everything one operation is judged on, in its own World."""

    def __init__(self, run: Run, op: spec.Operation, errors: list[str]) -> None:
        self.run_ = run
        self.op = op
        self.id = op.operation_id
        self.errors = errors
        self.ledger = run.ledger

    # ---- helpers ----------------------------------------------------------------------------

    def send(self, op: spec.Operation, params: dict[str, str], body: Any = NO_BODY, **kw: Any) -> Exchange:
        return self.run_.send(op, params, body, errors=self.errors, **kw)

    def status(self, exchange: Exchange) -> int | None:
        return exchange.reply.status if exchange.reply else None

    def judge(self, check_id: str, ok: bool, saw: str, exchange: Exchange | None = None) -> None:
        self.ledger.record(self.id, C.Seen(check_id, ok, saw), exchange)

    def judge_status(self, check_id: str, exchange: Exchange, wanted: int, what: str) -> None:
        """That an answer has the wanted status; 429, 504 or no answer leave it unjudged (R9)."""
        status = self.status(exchange)
        if status is not None and status not in (429, 504):
            self.judge(check_id, status == wanted, f"{what}: expected {wanted}, got {status}", exchange)

    def create_backend(self, app: str, env: str) -> Exchange:
        create = operation_at("/backend")
        body = {**(strategies.valid_body(create.operation_id) or {}), "appId": app, "backendEnvironmentName": env}
        return self.send(create, {}, body)

    def new_world(self) -> World:
        app, env = self.run_.new_names()
        world = World(app, env)
        exchange = self.create_backend(app, env)
        if self.status(exchange) != 200:
            raise RuntimeError(
                f"setup: CreateBackend({app}, {env}) answered {self.status(exchange)}"
                f"{' (' + exchange.error + ')' if exchange.error else ''}"
            )
        with self.run_._lock:
            self.run_.created_apps.add(app)
            self.run_.created_envs.update({(app, env), (app, world.clone_env)})
        world.job_id = C.body_of(exchange.reply).get("jobId")
        return world

    def identity(self, body: Any, world: World, case_path: str = "") -> Any:
        """The body with the world's names in place of generated ones, so every app and
        environment a request names or creates is this run's (unless the case is about it,
        or the value is not a string: then it is what a negative case negates)."""
        if not isinstance(body, dict):
            return body
        body = copy.deepcopy(body)
        names = {"appId": world.app_id, "backendEnvironmentName": world.env, "targetEnvironmentName": world.clone_env}
        for member, value in names.items():
            if isinstance(body.get(member), str) and case_path.split(".")[0].rstrip("[]") != member:
                body[member] = value
        return body

    def create_resource(self, world: World, category: str, *, full: bool = False) -> tuple[Exchange, dict]:
        """Create* of the category in the world: the minimal body, or (``full``) every member."""
        create = operation_for(category, "create")
        make = strategies.full_body if full else strategies.valid_body
        body = self.identity(make(create.operation_id), world)
        exchange = self.send(create, world.path_parameters(create), body)
        if self.status(exchange) == 200:
            world.resources.add(category)
        return exchange, body

    def prepare(self, world: World) -> None:
        """Give the world what this operation names, so only the labelled rule is broken."""
        role = resource_role(self.id)
        if role and needs_existing_resource(self.id):
            exchange, _ = self.create_resource(world, role.category)
            if self.status(exchange) != 200:
                raise RuntimeError(f"setup: creating the {role.category} resource answered {self.status(exchange)}")
        if "sessionId" in self.op.path_parameters:
            create_token = operation_at("/backend/{appId}/challenge")
            exchange = self.send(create_token, {"appId": world.app_id})
            world.session_id = C.body_of(exchange.reply).get("sessionId")
            if not world.session_id:
                raise RuntimeError(f"setup: CreateToken answered {self.status(exchange)} without a sessionId")
        if "jobId" in self.op.path_parameters and not world.job_id:
            raise RuntimeError("setup: CreateBackend's answer carried no jobId to use")

    # ---- the unit ---------------------------------------------------------------------------

    def run(self) -> None:
        self.cors()
        world = self.new_world()
        self.not_found(world)
        self.prepare(world)
        world = self.matrix(world)
        world = self.workflows(world)
        self.status_plan(world)
        if self.run_.options.max_examples > 0 and not self.would_remove_given_app:
            from ._fuzz import fuzz_operation

            fuzz_operation(self, world)

    def cors(self) -> None:
        exchange = self.run_.transmit("OPTIONS", self.op.path, self._placeholder_params())
        if exchange.error:
            self.errors.append(exchange.error)
            return
        self.ledger.record(self.id, C.cors(self.op.path, exchange.reply), exchange)

    def _placeholder_params(self) -> dict[str, str]:
        return {name: f"cors{name}" for name in self.op.path_parameters}

    @property
    def would_remove_given_app(self) -> bool:
        """RemoveAllBackends on an app the user named (--app-id) is never sent for real."""
        return bool(self.run_.options.app_id) and self.op.path == "/backend/{appId}/remove"

    def matrix(self, world: World) -> World:
        skip_accepted = self.would_remove_given_app
        cases = list(strategies.matrix(self.id))
        valid = next(c for c in cases if c.kind == "valid")
        if isinstance(valid.body, dict):
            extra = dict(valid.body, xAmplifyConformanceExtra={"ignored": True})
            cases.append(
                type(valid)(
                    self.id,
                    "R6",
                    "extra-member",
                    "xAmplifyConformanceExtra",
                    extra,
                    "accept",
                    "an unknown extra member (ignored)",
                )
            )
        for case in cases:
            if case.expect == "accept" and skip_accepted:
                self.ledger.skip(self.id, C.EXPECTATION_CHECK[case.kind], "--app-id given: would remove that app")
                continue
            body = self.identity(case.body, world, case.json_path)
            exchange = self.send(
                self.op, world.path_parameters(self.op), NO_BODY if case.body is None else body, case=case.id
            )
            if exchange.reply is None:
                continue
            seen = C.expectation(C.EXPECTATION_CHECK[case.kind], case.expect, case.detail, exchange.reply)
            if seen is None:
                continue
            self.ledger.record(self.id, seen, exchange, case=case.id)
            if case.kind == "enum-value":
                self.ledger.exercised(self.id, enum_value=case.id)
            elif case.kind == "required-missing":
                self.ledger.exercised(self.id, required=case.json_path)
            if exchange.reply.status == 200:
                self.echo(world, body, exchange)
                if removes_what_it_names(self.id):
                    world = self.new_world()
                    self.prepare(world)
        return world

    # ---- R7 ---------------------------------------------------------------------------------

    def not_found(self, world: World) -> None:
        """Naming what does not exist is 404 (probed before the world holds anything)."""
        body = self.identity(strategies.valid_body(self.id), world)
        body = NO_BODY if body is None else body
        params = world.path_parameters(self.op)
        probes = []
        if "appId" in self.op.path_parameters:
            ghost = f"ghost{uuid.uuid4().hex[:10]}"
            probes.append(
                (
                    "an app never created",
                    {**params, "appId": ghost},
                    self.identity(body, World(ghost, world.env)) if body is not NO_BODY else body,
                )
            )
        if needs_existing_resource(self.id):
            probes.append((f"no {resource_role(self.id).category} resource in the environment", params, body))
        if "jobId" in self.op.path_parameters:
            probes.append(("an unknown jobId", {**params, "jobId": f"job{uuid.uuid4().hex[:12]}"}, body))
        if "sessionId" in self.op.path_parameters:
            probes.append(("an unknown sessionId", {**params, "sessionId": f"s{uuid.uuid4().hex[:12]}"}, body))
        if self.op.path.startswith("/backend/{appId}/environments/"):
            probes.append(
                ("an unknown environment", {**params, "backendEnvironmentName": f"nv{uuid.uuid4().hex[:8]}"}, body)
            )
        if not probes:
            self.ledger.skip(self.id, C.NOT_FOUND, "the operation names nothing that could be missing")
        for what, probe_params, probe_body in probes:
            self.judge_status(C.NOT_FOUND, self.send(self.op, probe_params, probe_body), 404, what)

    # ---- R8 ---------------------------------------------------------------------------------

    def echo(self, world: World, body: Any, exchange: Exchange) -> None:
        """200 answers echo the request's appId and backendEnvironmentName (where they carry them)."""
        answer = C.body_of(exchange.reply)
        sent = body if isinstance(body, dict) else {}
        request_env = (
            world.env if "backendEnvironmentName" in self.op.path_parameters else sent.get("backendEnvironmentName")
        )
        request_app = world.app_id if "appId" in self.op.path_parameters else sent.get("appId")
        for member, expected in (("appId", request_app), ("backendEnvironmentName", request_env)):
            if expected is None or member not in answer:
                continue
            self.judge(
                C.ECHO, answer[member] == expected, f"{member} {answer[member]!r}, request named {expected!r}", exchange
            )

    def workflows(self, world: World) -> World:
        """The R8 questions about this operation; the world it leaves for the fuzzing."""
        role = resource_role(self.id)
        params = world.path_parameters(self.op)
        body = self.identity(strategies.valid_body(self.id), world)
        body = NO_BODY if body is None else body
        if self.op.path == "/backend":
            self.backend_env_workflow(world)
        if role:
            self.resource_workflow(world, role)
        if self.op.path.startswith("/backend/{appId}/challenge"):
            self.token_workflow(world)
        if self.op.path.startswith("/backend/{appId}/job/"):
            self.jobs_workflow(world)
        if self.op.path == "/backend/{appId}/remove" and not self.would_remove_given_app:
            self.remove_all_workflow()
        if self.op.path != "/backend/{appId}/remove" and "jobId" in self._response_members():
            exchange = self.send(self.op, params, body)
            if self.status(exchange) == 200:
                self.job_is_traceable(world, exchange)
        if removes_what_it_names(self.id):  # what it removed, the fuzzing needs again
            world = self.new_world()
            self.prepare(world)
        return world

    def _response_members(self) -> set[str]:
        model = self.op.response_schema(200)
        return set(spec.schema(model).get("properties", {})) if model else set()

    def backend_env_workflow(self, world: World) -> None:
        """CreateBackend of a first and a second environment: GetBackend lists both."""
        second = world.env + "b"
        if self.status(self.create_backend(world.app_id, second)) != 200:
            return
        with self.run_._lock:
            self.run_.created_envs.add((world.app_id, second))
        get_backend = operation_at("/backend/{appId}/details")
        exchange = self.send(get_backend, {"appId": world.app_id}, {})
        if self.status(exchange) in (429, 504, None):
            return
        listed = C.body_of(exchange.reply).get("backendEnvironmentList") or []
        self.judge(
            C.BACKEND_ENV,
            world.env in listed and second in listed,
            f"GetBackend after CreateBackend of {world.env!r} and {second!r} lists {listed!r}",
            exchange,
        )

    def resource_workflow(self, world: World, role) -> None:
        get = operation_for(role.category, "get")
        get_body = self.identity(strategies.valid_body(get.operation_id), world)
        params = {"appId": world.app_id, "backendEnvironmentName": world.env}
        if role.role == "create":
            fresh = self.new_world()
            exchange, _ = self.create_resource(fresh, role.category)
            if self.status(exchange) != 200:
                return
            answer = self.send(
                get, {"appId": fresh.app_id, "backendEnvironmentName": fresh.env}, self.identity(get_body, fresh)
            )
            self.judge_status(C.LIFECYCLE, answer, 200, f"{get.operation_id} after {self.id}")
        elif role.role == "get":
            fresh = self.new_world()  # never a second Create* of one resource: the contract leaves that open
            exchange, submitted = self.create_resource(fresh, role.category, full=True)
            if self.status(exchange) != 200:
                return  # judged by the create operation's own unit
            fresh_params = {"appId": fresh.app_id, "backendEnvironmentName": fresh.env}
            answer = self.send(get, fresh_params, self.identity(get_body, fresh))
            if self.status(answer) != 200:
                return  # judged by the matrix's valid case
            got = C.body_of(answer.reply).get("resourceConfig")
            wanted = submitted.get("resourceConfig")
            self.judge(
                C.LIFECYCLE, _contains(got, wanted), f"resourceConfig {_short(got)}; submitted {_short(wanted)}", answer
            )
        elif role.role == "delete":
            if role.category not in world.resources:
                self.create_resource(world, role.category)
            exchange = self.send(self.op, params, self.identity(strategies.valid_body(self.id), world))
            if self.status(exchange) != 200:
                return
            world.resources.discard(role.category)
            answer = self.send(get, params, get_body)
            self.judge_status(C.LIFECYCLE, answer, 404, f"{get.operation_id} after {self.id}")

    def token_workflow(self, world: World) -> None:
        create = operation_at("/backend/{appId}/challenge")
        get = operation_at("/backend/{appId}/challenge/{sessionId}", "GET")
        made = self.send(create, {"appId": world.app_id})
        token = C.body_of(made.reply)
        if self.status(made) != 200 or not token.get("sessionId"):
            return
        params = {"appId": world.app_id, "sessionId": token["sessionId"]}
        if self.op is create:
            self.judge_status(C.TOKEN, self.send(get, params), 200, "GetToken of the new session")
        elif self.op is get:
            answer = self.send(get, params)
            if self.status(answer) != 200 or "challengeCode" not in token:
                return
            got = C.body_of(answer.reply)
            same = (got.get("sessionId"), got.get("challengeCode")) == (token["sessionId"], token["challengeCode"])
            self.judge(
                C.TOKEN,
                same,
                f"GetToken gave sessionId {got.get('sessionId')!r}, challengeCode "
                f"{got.get('challengeCode')!r}; CreateToken gave {token['sessionId']!r}, "
                f"{token['challengeCode']!r}",
                answer,
            )
        else:
            removed = self.send(self.op, params)
            if self.status(removed) != 200:
                return
            self.judge_status(C.TOKEN, self.send(get, params), 404, "GetToken after DeleteToken")

    def remove_all_workflow(self) -> None:
        world = self.new_world()
        removed = self.send(self.op, {"appId": world.app_id}, {})
        if self.status(removed) != 200:
            return
        get_backend = operation_at("/backend/{appId}/details")
        answer = self.send(get_backend, {"appId": world.app_id}, {})
        self.judge_status(C.REMOVE_ALL, answer, 404, "GetBackend after RemoveAllBackends")

    # ---- jobs -------------------------------------------------------------------------------

    def list_jobs(self, world: World, **filters: Any) -> tuple[list[dict], Exchange | None, str | None]:
        """Every job ListBackendJobs gives, following nextToken (bounded)."""
        list_op = operation_at("/backend/{appId}/job/{backendEnvironmentName}")
        jobs, token, exchange = [], None, None
        for _ in range(500):  # a page may hold a single job (CONTRACT R8)
            body = {**filters, **({"nextToken": token} if token else {})}
            exchange = self.send(list_op, {"appId": world.app_id, "backendEnvironmentName": world.env}, body)
            if self.status(exchange) != 200:
                return jobs, exchange, f"ListBackendJobs answered {self.status(exchange)}"
            answer = C.body_of(exchange.reply)
            jobs += [j for j in answer.get("jobs") or [] if isinstance(j, dict)]
            token = answer.get("nextToken")
            if not token:
                return jobs, exchange, None
        return jobs, exchange, "nextToken paging did not end after 500 pages"

    def job_is_traceable(self, world: World, exchange: Exchange) -> None:
        """A 200 answer's jobId resolves with GetBackendJob and is listed by ListBackendJobs.

        Which environment holds the job of CloneBackend or of an app-level operation is open:
        the answer's environment is asked first, then the world's others (no extra request
        when the first holds it)."""
        answer = C.body_of(exchange.reply)
        job_id = answer.get("jobId")
        if not job_id:
            self.judge(C.JOBS, False, "200 answer without a jobId although its model documents one", exchange)
            return
        candidates = list(
            dict.fromkeys(e for e in (answer.get("backendEnvironmentName"), world.env, world.clone_env) if e)
        )
        get_job = operation_at("/backend/{appId}/job/{backendEnvironmentName}/{jobId}", "GET")
        seen = []
        for env in candidates:
            got = self.send(get_job, {"appId": world.app_id, "backendEnvironmentName": env, "jobId": job_id})
            if self.status(got) in (429, 504, None):
                return
            named = C.body_of(got.reply).get("jobId")
            if self.status(got) == 200 and named == job_id:
                self.judge(C.JOBS, True, f"GetBackendJob({env}, {job_id}) resolved it", got)
                break
            seen.append(f"{env}: {self.status(got)}" + (f" naming job {named!r}" if self.status(got) == 200 else ""))
        else:
            self.judge(C.JOBS, False, f"GetBackendJob of {job_id} in {', '.join(seen)}; not resolved", got)
            return
        problems = []
        for where in [env] + [e for e in candidates if e != env]:
            jobs, listed, problem = self.list_jobs(World(world.app_id, where))
            ids = [j.get("jobId") for j in jobs]
            if problem is None and job_id in ids:
                self.judge(C.JOBS, True, f"ListBackendJobs({where}) lists {len(ids)} jobs, {job_id} among them", listed)
                return
            problems.append(problem or f"ListBackendJobs({where}) lists {len(ids)} jobs, not {job_id}")
        self.judge(C.JOBS, False, "; ".join(problems), listed)

    def jobs_workflow(self, world: World) -> None:
        get_job = operation_at("/backend/{appId}/job/{backendEnvironmentName}/{jobId}", "GET")
        update_job = operation_at("/backend/{appId}/job/{backendEnvironmentName}/{jobId}", "POST")
        params = {"appId": world.app_id, "backendEnvironmentName": world.env}
        if self.op is update_job:
            values = {"operation": "ConformanceCheck", "status": "conformance-updated"}
            updated = self.send(update_job, {**params, "jobId": world.job_id}, values)
            if self.status(updated) != 200:
                return
            got = self.send(get_job, {**params, "jobId": world.job_id})
            if self.status(got) != 200:
                return
            job = C.body_of(got.reply)
            ok = all(job.get(k) == v for k, v in values.items())
            self.judge(
                C.JOBS,
                ok,
                f"after UpdateBackendJob{values}: GetBackendJob gave operation "
                f"{job.get('operation')!r}, status {job.get('status')!r}",
                got,
            )
        elif self.op is get_job:
            return  # resolution of jobs is judged on the operations that produce them
        else:
            self.list_filters_workflow(world, update_job)

    def list_filters_workflow(self, world: World, update_job: spec.Operation) -> None:
        """Filters by status, operation and jobId, and maxResults paging, on at least two jobs."""
        self.create_resource(world, "api")  # a second job in this environment
        jobs, _, problem = self.list_jobs(world)
        if problem or len(jobs) < 2:
            self.judge(C.JOBS, False, problem or f"expected at least 2 jobs in {world.env}, listed {len(jobs)}")
            return
        first = jobs[0]
        marked = {"status": f"conformance-{uuid.uuid4().hex[:6]}", "operation": f"Conformance{uuid.uuid4().hex[:6]}"}
        updated = self.send(
            update_job,
            {"appId": world.app_id, "backendEnvironmentName": world.env, "jobId": first.get("jobId", "")},
            marked,
        )
        if self.status(updated) != 200:
            return
        all_ids = {j.get("jobId") for j in self.list_jobs(world)[0]}
        for key, value in marked.items():
            got, exchange, problem = self.list_jobs(world, **{key: value})
            ids = [j.get("jobId") for j in got]
            self.judge(
                C.JOBS,
                problem is None and ids == [first.get("jobId")],
                problem or f"{key} filter {value!r} listed {ids}; expected only {first.get('jobId')}",
                exchange,
            )
        got, exchange, problem = self.list_jobs(world, jobId=first.get("jobId"))
        ids = [j.get("jobId") for j in got]
        self.judge(
            C.JOBS, problem is None and ids == [first.get("jobId")], problem or f"jobId filter listed {ids}", exchange
        )
        got, exchange, problem = self.list_jobs(world, maxResults=1)
        ids = [j.get("jobId") for j in got]
        self.judge(
            C.JOBS,
            problem is None and len(ids) == len(set(ids)) and set(ids) == all_ids,
            problem or f"paging with maxResults 1 gave {len(ids)} jobs ({len(set(ids))} distinct) of {len(all_ids)}",
            exchange,
        )

    # ---- every documented status code -------------------------------------------------------

    def status_plan(self, world: World) -> None:
        """On a target that honours injection, inject each documented code not yet provoked."""
        if not self.run_.target.can_inject:
            return
        record = self.ledger.operation_result(self.op, self.run_.options.levels, self.run_.documented[self.id])
        observed = set(record["coverage"]["status_codes"]["observed"])
        body = self.identity(strategies.valid_body(self.id), world)
        for code in self.op.status_codes:
            if code in observed or code == "200":
                continue
            self.send(
                self.op,
                world.path_parameters(self.op),
                NO_BODY if body is None else body,
                inject=code,
                case=f"{self.id}:inject:{code}",
            )


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


def _contains(got: Any, wanted: Any) -> bool:
    """Whether an answer holds everything submitted. Extra members and array order are the
    target's choice; a member sent under every spelling the reference gives must come back
    under at least one, and each spelling that comes back must hold what was sent."""
    if isinstance(wanted, dict):
        if not isinstance(got, dict):
            return False
        for key, value in wanted.items():
            present = [name for name in spec.spellings(key) if name in got]
            if not present or not all(_contains(got[name], value) for name in present):
                return False
        return True
    if isinstance(wanted, list):
        if not isinstance(got, list):
            return False
        unmatched = list(got)
        for item in wanted:
            match = next((i for i, candidate in enumerate(unmatched) if _contains(candidate, item)), None)
            if match is None:
                return False
            del unmatched[match]
        return True
    return got == wanted


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def run(
    options: RunOptions | None = None,
    progress: Callable[[dict], None] | None = None,
    tick: Callable[[dict], None] | None = None,
) -> RunResult:
    """Exercise every selected operation of the spec against a target and judge it level by level.

    With no base_url the embedded emulator is started on a free loopback port (with injection on,
    so every documented status code is observed) and stopped afterwards.
    Raises TargetUnreachable when the target does not answer at all. ``progress`` gets each
    operation's result as it finishes; ``tick`` gets a campaign's figures every second.
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
    bad_levels = set(options.levels) - set(C.LEVELS)
    if bad_levels:
        raise ValueError(f"unknown level(s): {', '.join(sorted(bad_levels))}; known: {', '.join(C.LEVELS)}")
    with ExitStack() as stack:
        target = stack.enter_context(_target_for(options))
        the_run = Run(options, target, progress, tick)  # the time budget counts from here
        _preflight(target, the_run.deadline)
        return the_run.execute()


class _target_for:
    """The target a run talks to; for the embedded emulator, also its lifetime."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.emulator = None

    def __enter__(self) -> Target:
        o = self.options
        common = {"headers": dict(o.headers), "timeout": o.timeout, "max_retries": o.retries}
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

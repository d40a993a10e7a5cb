"""schemathesis's part of a run: fuzzing each operation and chaining calls through the links.

The project's exchange checks are registered as schemathesis checks (usable from `st run`
with `--checks` after importing this module, and run here on every answer), next to the
built-in checks whose question the contract shares. The built-ins left out, and why:
- not_a_server_error: a 504 is a documented answer (R9); R6.no-5xx asks the contract's question;
- positive_data_acceptance: valid-shaped data may name things that do not exist, and 404 is
  then the conformant answer (R7); R6.valid-accepted asks it with the state in place;
- unsupported_method (405 with Allow), ignored_auth, missing_required_header: conventions the
  reference does not state (it documents no security scheme and no headers);
- use_after_free, ensure_resource_availability: REST heuristics that AmplifyBackend's POST
  reads and deletes (.../details, .../remove) defeat; R8's workflows ask these questions;
- max_response_time: latency is left open by the contract.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

import amplify_openapi as spec
import hypothesis
import hypothesis.errors
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity
from schemathesis import GenerationMode
from schemathesis.specs.openapi import checks as builtin

from . import _allowances as allow
from . import _checks as C
from ._groups import find
from ._target import NO_BODY, THROTTLED, Exchange, Reply, SentRequest
from ._world import operation_at

if TYPE_CHECKING:
    from ._unit import RunContext as Run
    from ._unit import Unit as OperationUnit
    from ._world import World

CAMPAIGN_ROUND = 10  # examples per search and round of a campaign (each round has a fresh seed)
_HYPOTHESIS = threading.Lock()  # hypothesis runs one test at a time: seeds stay reproducible
BUILTIN_CHECKS = {
    builtin.status_code_conformance: C.STATUS_CODE,
    builtin.content_type_conformance: C.CONTENT_TYPE,
    builtin.response_schema_conformance: C.BODY_SCHEMA,
    builtin.negative_data_rejection: C.FUZZ_REJECTED,
}


def _as_reply(response: schemathesis.Response) -> Reply:
    headers = {k.lower(): ", ".join(v) for k, v in response.headers.items()}
    return Reply(response.status_code, headers, response.content or b"", False, response.elapsed)


def _operation_of(case: schemathesis.Case) -> spec.Operation:
    return operation_at(case.operation.path, case.method.upper())


def _as_schemathesis_check(check):
    def schemathesis_check(ctx, response, case) -> bool | None:
        seen = check(_operation_of(case), _as_reply(response))
        if seen is not None and not seen.ok:
            raise AssertionError(f"{seen.check}: {seen.saw}")
        return None

    schemathesis_check.__name__ = f"amplify_{check.__name__}"
    schemathesis_check.__doc__ = check.__doc__
    return schemathesis.check(schemathesis_check)


SCHEMATHESIS_CHECKS = tuple(_as_schemathesis_check(check) for check in C.EXCHANGE_CHECKS)


@cache
def _schema() -> Any:
    # a copy: the stateful phase's state machine rewrites the links and references of the document
    # it was given, and spec.document() is the one cached dict every reader shares
    return schemathesis.openapi.from_dict(copy.deepcopy(spec.document()))


def _exchange(response: schemathesis.Response) -> Exchange:
    request = response.request
    body = request.body.encode() if isinstance(request.body, str) else request.body
    sent = SentRequest(request.method or "", request.url or "", dict(request.headers), body)
    return Exchange(sent, (_as_reply(response),))


def _st_response(exchange: Exchange) -> schemathesis.Response:
    reply = exchange.reply
    prepared = requests.Request(
        exchange.request.method, exchange.request.url, headers=exchange.request.headers, data=exchange.request.body
    ).prepare()
    return schemathesis.Response(
        reply.status, {k: [v] for k, v in reply.headers.items()}, reply.body, prepared, reply.elapsed, True
    )


def _negative(case: schemathesis.Case) -> bool:
    return bool(case.meta and not case.meta.generation.mode.is_positive)


def _builtin_verdicts(
    op: spec.Operation, case: schemathesis.Case, exchange: Exchange, sent: Any = NO_BODY
) -> list[C.Seen]:
    """schemathesis's built-in checks on one exchange, under the rule each shares with us. A
    negative example is held to a client error only when what was sent is invalid under every
    reading the contract allows (``sent``: the body as sent)."""
    if exchange.reply is None or exchange.reply.status in THROTTLED:
        return []
    response = _st_response(exchange)
    verdicts = []
    for check, check_id in BUILTIN_CHECKS.items():
        if check is builtin.negative_data_rejection and not _must_be_rejected(op, case, sent):
            continue
        try:
            case.validate_response(response, checks=[check])
        except (Exception, BaseExceptionGroup) as failure:  # one Failure, or a group (not an Exception)
            for inner in getattr(failure, "exceptions", None) or [failure]:
                text = getattr(inner, "title", None) or str(inner).splitlines()[0]
                verdicts.append(C.Seen(check_id, False, f"schemathesis {check.__name__}: {text}"))
        else:
            verdicts.append(C.Seen(check_id, True, f"schemathesis {check.__name__}"))
    return verdicts


def _must_be_rejected(op: spec.Operation, case: schemathesis.Case, sent: Any) -> bool:
    """Whether a generated example is one the contract says a target must reject: schemathesis
    made it negative, and its body breaks a rule whichever spelling a target follows. A negation
    elsewhere (a path identifier: 404, 200 or 400 are all open) or one only some readings see is
    left to the checks every answer gets."""
    return _negative(case) and sent is not NO_BODY and allow.invalid_under_every_reading(op, _as_json(sent))


def _as_json(body: Any) -> Any:
    if isinstance(body, bytes):
        try:
            return json.loads(body)
        except ValueError:
            return _NOT_JSON
    return body


_NOT_JSON = object()  # invalid under every reading: no schema takes it


def _wire_body(body: Any) -> Any:
    """What to send for a generated body: JSON values as JSON (null and bare strings included),
    bytes as they are, and nothing when schemathesis generated no body."""
    if body is None:
        return b"null"
    if isinstance(body, (dict, list, str, int, float, bool, bytes)):
        return body
    return NO_BODY


class _Found(Exception):
    """A fuzzed example some check failed on; hypothesis shrinks it before it is recorded."""

    def __init__(self, failures: list[C.Seen], exchange: Exchange) -> None:
        super().__init__("; ".join(seen.saw for seen in failures))
        self.failures, self.exchange = failures, exchange


def _settings(run: Run, examples: int, *, replay: bool = False) -> hypothesis.settings:
    # shrinking costs requests, so a default run keeps the first failing example as found and
    # --fuzz shrinks it to a minimal one; a campaign's first round replays its database first
    database = run.campaign.database
    phases = [Phase.reuse] if replay and database is not None else []
    phases += [Phase.explicit, Phase.generate] + ([Phase.shrink] if run.options.fuzz else [])
    return hypothesis.settings(
        max_examples=examples,
        database=database,
        deadline=None,
        phases=phases,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
        derandomize=False,
        report_multiple_bugs=False,
    )


def _judged(unit: OperationUnit, exchange: Exchange, extra: list[C.Seen]) -> None:
    """Record what passed, and failures of checks already known to fail on this operation
    (``unit.failing``: those that failed before the unit's fuzzing began, whatever ran beside it,
    and those the fuzzing found); raise a new failure, so that hypothesis shrinks it and the
    search looks for it alone. Every failure also goes to the campaign's groups (a known one
    with the example as sent)."""
    run = unit.run_
    levels = run.options.levels
    judged = C.judge_exchange(unit.op, exchange, run.request_ids) + extra
    verdicts = [seen for seen in judged if C.level_of(seen.check) in levels]
    run.campaign.sent(unit.id, exchange)
    new = []
    for seen in verdicts:
        if not seen.ok:
            run.campaign.failed(unit.id, seen, exchange)
            if seen.check not in unit.failing:
                new.append(seen)
                continue
        unit.ledger.record(unit.id, seen, exchange)
    if new:
        raise _Found(new, exchange)


def _search(unit: OperationUnit, test, label: str, seed: int) -> None:
    """Run a hypothesis test; record the (minimal, with --fuzz) failing example it ends on.

    One search at a time: in a campaign the unit holds the lock for all its rounds (see
    fuzz_operation), otherwise each search takes it here."""
    run = unit.run_
    run.campaign.use_database(test, unit.id, label, replay=seed == run.seed)
    try:
        with _HYPOTHESIS if not run.campaign.active else contextlib.nullcontext():
            test()
    except Exception as exc:
        # a target that fails only sometimes makes hypothesis report the failure as flaky
        found = (
            exc
            if isinstance(exc, _Found)
            else next((e for e in getattr(exc, "exceptions", ()) if isinstance(e, _Found)), None)
        )
        if found is None:
            raise
        _record_found(unit, found, label, seed)


def _record_found(unit: OperationUnit, found: _Found, label: str, seed: int) -> None:
    run = unit.run_
    case = f"{label} (seed {seed})"
    for seen in found.failures:
        unit.failing.add(seen.check)
        unit.ledger.record(unit.id, seen, found.exchange, case=case, seed=seed)
        run.campaign.failed(unit.id, seen, found.exchange, case, seed, shrunk=run.options.fuzz)


def _examples(unit: OperationUnit, world: World, strategy, examples: int, label: str, seed: int, end) -> None:
    run = unit.run_
    if run.overlap_pays and not run.options.fuzz and end is None and run.campaign.database is None:
        _drawn_then_sent(unit, world, strategy, examples, label, seed)
        return

    @_settings(run, examples, replay=seed == run.seed)  # above seed(), which would drop the database
    @hypothesis.seed(seed)
    @hypothesis.given(case=strategy)
    def probe(case: schemathesis.Case) -> None:
        if run.campaign.over(end):
            return  # the campaign's time is up: let hypothesis finish without sending
        _probe(unit, world, case, label)

    _search(unit, probe, label, seed)


def _drawn_then_sent(unit: OperationUnit, world: World, strategy, examples: int, label: str, seed: int) -> None:
    """A default run's examples: nothing is shrunk or replayed, so hypothesis only draws them (one
    search at a time, under the lock) and they are sent after, while other units draw theirs; a
    far-away target then costs the units' round trips side by side, not one after another. The
    first new failure ends the examples, as it ends hypothesis's search."""
    run = unit.run_
    drawn: list[schemathesis.Case] = []

    @_settings(run, examples)
    @hypothesis.seed(seed)
    @hypothesis.given(case=strategy)
    def draw(case: schemathesis.Case) -> None:
        drawn.append(case)

    with _HYPOTHESIS:
        draw()
    for case in drawn:
        try:
            _probe(unit, world, case, label)
        except _Found as found:
            _record_found(unit, found, label, seed)
            return


def _probe(unit: OperationUnit, world: World, case: schemathesis.Case, label: str) -> None:
    """Send one generated example and judge its answer (a new failure raises _Found)."""
    body = allow.spread_spellings(unit.identity(_wire_body(case.body), world))
    exchange = unit.send(unit.op, dict(case.path_parameters), body, case=label, judge=False)
    if exchange.reply is not None:
        _judged(unit, exchange, _builtin_verdicts(unit.op, case, exchange, body))
        if exchange.reply.status in THROTTLED and _must_be_rejected(unit.op, case, body):
            unit.unjudged(C.FUZZ_REJECTED, exchange, "a schemathesis negative example", case=label)


def fuzz_operation(unit: OperationUnit, world: World) -> None:
    """Positive and negative examples from schemathesis, then hostile identifiers (fuzz mode);
    in a campaign, round after round with fresh seeds until the unit's share of time is up or
    the campaign's last round is done."""
    run = unit.run_
    if not run.campaign.active:
        _fuzz_rounds(unit, world, None)
        return
    # hypothesis runs one search at a time (_HYPOTHESIS: its engine is not made for threads, and
    # a seed must give the same examples): a campaign's units fuzz one after the other, each for
    # its share of what is left once its turn comes
    with _HYPOTHESIS:
        _fuzz_rounds(unit, world, run.campaign.unit_end())


def _fuzz_rounds(unit: OperationUnit, world: World, end: float | None) -> None:
    run = unit.run_
    examples = run.options.max_examples * (20 if run.options.fuzz else 1)
    if run.campaign.active:  # short rounds: once the time is up, hypothesis has little left to generate
        examples = min(examples, CAMPAIGN_ROUND)
    st_operation = _schema().find_operation_by_id(unit.id)
    params = world.path_parameters(unit.op)
    for seed in run.campaign.seeds(end):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if run.campaign.over(end):
                return
            try:
                _examples(
                    unit,
                    world,
                    st_operation.as_strategy(generation_mode=mode, path_parameters=params),
                    examples,
                    f"{unit.id}:schemathesis:{mode.value}",
                    seed,
                    end,
                )
            except hypothesis.errors.Unsatisfiable:
                pass  # nothing to negate: the operation takes no body and its path is fixed
        if run.options.fuzz and not run.campaign.over(end):
            _hostile(unit, examples, seed, end)


def _hostile(unit: OperationUnit, examples: int, seed: int, end) -> None:
    import amplify_strategies as strategies

    run = unit.run_

    @_settings(run, examples, replay=seed == run.seed)  # above seed(), which would drop the database
    @hypothesis.seed(seed)
    @hypothesis.given(request=strategies.valid_requests(unit.id, mode="hostile"))
    def hostile(request) -> None:
        if run.campaign.over(end):
            return
        path_parameters, body = request
        exchange = unit.send(unit.op, path_parameters, NO_BODY if body is None else body, judge=False)
        if unit.op.path == "/backend" and exchange.reply and exchange.reply.status == 200:
            run.created(body["appId"], ())  # an app with a hostile name: this run's to remove
        if exchange.reply is not None:
            _judged(unit, exchange, [])

    _search(unit, hostile, f"{unit.id}:hostile-identifiers", seed)


def stateful_phase(run: Run) -> str:
    """schemathesis's state machine over the spec's links, every request sent through the run
    (so its budget and stop hold) and every answer judged by our checks on its operation.

    Returns what it did. What stops it is raised for the runner to report as the phase's own
    status (StatefulStopped, the run's stop, or a crash of schemathesis or hypothesis): a
    problem of the phase never fails or errors an operation."""
    steps = 0
    campaign = run.campaign
    round_seed = run.seed

    # OPTIONS (CORS) is judged per operation; left in, the machine steps onto it whenever the
    # links give it nothing better (a stateless mock, say), and it names no operation
    class Machine(_schema().exclude(method="OPTIONS").as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            op = _operation_of(case)
            if op.path == "/backend" and isinstance(case.body, dict):
                # named as this run's, so that sending it records it for the cleanup (Run.transmit)
                app, env = run.new_names()
                case.body["appId"] = app
                if run.options.app_id:  # the user's app: only environments of this run's go into it
                    case.body["backendEnvironmentName"] = env

        def call(self, case: schemathesis.Case, **kwargs: Any) -> schemathesis.Response:
            nonlocal steps
            if campaign.over(campaign.stateful_end):
                raise _TimeUp
            op = _operation_of(case)
            label = f"{op.operation_id}:stateful"
            exchange = run.send(
                op, dict(case.path_parameters or {}), _wire_body(case.body), case=label, seed=round_seed
            )
            steps += 1
            if exchange.reply is None:
                why = f"after {steps} calls, {op.operation_id} failed on the transport: {exchange.error}"
                raise StatefulStopped(why)
            return _st_response(exchange)

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            pass  # judged as it was sent

    # no shrinking: the phase judges as it sends and never fails a test, and a round cut by
    # the campaign's end must not be replayed
    settings = hypothesis.settings(
        _settings(run, max(1, run.options.max_examples)),
        stateful_step_count=6,
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    rounds = 0
    for round_seed in campaign.seeds(campaign.stateful_end):
        # on the machine class: hypothesis reads the seed there (Machine.TestCase is a new class)
        hypothesis.seed(round_seed)(Machine)
        try:
            Machine.run(settings=settings)
        except (Exception, BaseExceptionGroup) as exc:
            # cut mid-round, hypothesis may also see the round as flaky: either way, time is up
            if not (find(exc, (_TimeUp,)) or campaign.over(campaign.stateful_end)):
                raise
            break
        rounds += 1
    return f"{steps} calls chained through the spec's links" + (f" in {rounds} rounds" if campaign.active else "")


class _TimeUp(Exception):
    """The campaign's time is up: the stateful phase ends (no failure of anything)."""


class StatefulStopped(Exception):
    """The stateful phase cannot go on: the target failed on the transport."""

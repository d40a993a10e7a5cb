"""R4-R6: the deterministic matrix of labelled cases (amplify_strategies), each sent in the
operation's world and judged against what it expects; 200 answers are also asked R8.echo."""

from __future__ import annotations

from typing import Any

import amplify_strategies as strategies

from . import _checks as C
from ._target import NO_BODY, Exchange
from ._unit import Unit
from ._world import World, makes_what_it_names, removes_what_it_names

EXTRA_MEMBER = "xAmplifyConformanceExtra"
SPARE = 8  # worlds made ahead at most at once (a burst a throttling target still takes)
FAN_OUT = 64  # cases of one expectation sent at once (at most: Concurrency may hold some back)


def _cases(unit: Unit) -> list[strategies.Case]:
    cases = list(strategies.matrix(unit.id))
    valid = next(c for c in cases if c.kind == "valid")
    if isinstance(valid.body, dict):
        extra = dict(valid.body, **{EXTRA_MEMBER: {"ignored": True}})
        cases.append(
            strategies.Case(
                unit.id, "R6", "extra-member", EXTRA_MEMBER, extra, "accept", "an unknown extra member (ignored)"
            )
        )
    return cases


def matrix(unit: Unit, world: World) -> World:
    """Send every case; the world left for what follows (a fresh one after a removing 200).

    An operation that makes what it names gets each case in an environment of its own, new to
    the app: a 400 there cannot mean "already exists", and a 200 is owed to every valid case.
    Each case is judged on its own answer, so against a target whose answers take a round trip
    (Run.overlap_pays), consecutive cases meant to be rejected (and accepted ones in places of
    their own) go out together, FAN_OUT at a time: one round trip per batch, not one per case.
    An operation that removes what it names needs a world for each accepted case anyway (a 200
    removes it): those worlds are made together, and the cases sent together."""
    cases = _cases(unit)
    spare: list[World] = []  # worlds made ahead for the cases still to come that remove theirs
    fresh_each = makes_what_it_names(unit.id)
    removing = removes_what_it_names(unit.id)
    n = 0
    while n < len(cases):
        batch = _batch(unit, cases, n)
        if unit.would_remove_given_app:  # a case meant to be rejected removes the app too, if accepted
            unit.ledger.skip(unit.id, C.EXPECTATION_CHECK[batch[0].kind], "--app-id given: would remove that app")
            n += 1
            continue
        if fresh_each:
            places = [_place(unit, world, n + i) for i in range(len(batch))]
        elif removing and batch[0].expect == "accept" and len(batch) > 1:
            if len(batch) - 1 > len(spare):
                spare += unit.new_worlds(len(batch) - 1 - len(spare))
            places = [world] + [spare.pop(0) for _ in batch[1:]]
        else:
            places = [world] * len(batch)
        sends = [
            lambda case=case, place=place: _send(unit, place, case) for case, place in zip(batch, places, strict=True)
        ]
        answers = unit.side_by_side(sends)
        for case, place, (body, exchange) in zip(batch, places, answers, strict=True):
            n += 1
            if not _judged(unit, place, case, body, exchange) or not removing or place is not world:
                continue
            if not spare:  # one for each case still expected to succeed, and one to leave
                spare = unit.new_worlds(min(SPARE, 1 + sum(c.expect == "accept" for c in cases[n:])))
            world = spare.pop(0)
    return world


def _batch(unit: Unit, cases: list[strategies.Case], start: int) -> list[strategies.Case]:
    """The cases from ``start`` that go out together (at once where the target's answers take a
    round trip worth overlapping, else one after another): up to FAN_OUT of one expectation, each
    judged on its own answer alone. Accepted cases that share a world go alone: each may change
    it, and what an answer echoes of the state must not depend on which came first (those of an
    operation that makes or removes what it names get places of their own). Which cases go
    together, and so which worlds are made when, never depends on timing: two runs of one seed
    send the same requests in the same order (parity pairs them up so)."""
    first = cases[start]
    own_places = makes_what_it_names(unit.id) or removes_what_it_names(unit.id)
    if first.expect == "accept" and not own_places:
        return [first]
    end = start
    while end < len(cases) and end - start < FAN_OUT and cases[end].expect == first.expect:
        end += 1
    return cases[start:end]


def _place(unit: Unit, world: World, n: int) -> World:
    """Case ``n``'s own environment, new to the world's app (recorded for the cleanup)."""
    place = world.sibling(f"m{n}")
    unit.run_.created(place.app_id, (place.env,))
    return place


def _send(unit: Unit, world: World, case: strategies.Case) -> tuple[Any, Exchange]:
    body = unit.identity(case.body, world, case.json_path)
    exchange = unit.send(unit.op, world.path_parameters(unit.op), NO_BODY if case.body is None else body, case=case.id)
    return body, exchange


def _judged(unit: Unit, world: World, case: strategies.Case, body: Any, exchange: Exchange) -> bool:
    """Judge one case's answer; whether it was a 200 (then also asked R8.echo)."""
    if exchange.reply is None:
        return False
    seen = C.expectation(C.EXPECTATION_CHECK[case.kind], case.expect, case.detail, exchange.reply)
    if seen is None:  # still throttled after every retry (R9)
        unit.unjudged(C.EXPECTATION_CHECK[case.kind], exchange, case.detail, case=case.id)
        return False
    unit.ledger.record(unit.id, seen, exchange, case=case.id)
    if case.kind == "enum-value":
        unit.ledger.exercised(unit.id, enum_value=case.id)
    elif case.kind == "required-missing":
        unit.ledger.exercised(unit.id, required=case.json_path)
    if exchange.reply.status != 200:
        return False
    echo(unit, world, body, exchange)
    return True


def echo(unit: Unit, world: World, body: Any, exchange: Exchange) -> None:
    """200 answers echo the request's appId and backendEnvironmentName (where they carry them)."""
    answer = C.body_of(exchange.reply)
    sent = body if isinstance(body, dict) else {}
    path_params = unit.op.path_parameters
    request_env = world.env if "backendEnvironmentName" in path_params else sent.get("backendEnvironmentName")
    request_app = world.app_id if "appId" in path_params else sent.get("appId")
    for member, expected in (("appId", request_app), ("backendEnvironmentName", request_env)):
        if expected is None or member not in answer:
            continue
        unit.judge(
            C.ECHO, answer[member] == expected, f"{member} {answer[member]!r}, request named {expected!r}", exchange
        )

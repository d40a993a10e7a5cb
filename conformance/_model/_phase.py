"""The model-based phase: sequences of operations over two apps and a few environments, each
drawn step by step from a generator seeded from the run's seed (see _steps), sent to the target
and every answer judged against the model of the contract (R8.sequences); a failing sequence is
shrunk to the shortest that still fails and reported with its numbered requests and a script
that sends it again.

A contradiction is booked on the write whose effect it shows (Contradiction.blamed). Like the
fuzzing, only a new failure of an operation stops the search to be shrunk; one on an operation
already failing is counted and the search goes on. Shrinking deletes resolved steps, runs of them
first (``_fewest``), so a deletion never renames what later steps name. The phase reports which
ordered pairs of operations its sequences exercised (see _pairs). A target that keeps throttling
ends the phase (THROTTLED_IN_ROW), not the run's budget.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import amplify_openapi as spec

from .. import _checks as C
from .._target import NO_BODY, Exchange, Target
from ._pairs import known_pairs
from ._script import listing, script
from ._sequence import Contradiction, Sequence, Unjudged
from ._state import Step
from ._steps import AIMS, program

THROTTLED_IN_ROW = 3  # sequences in a row ended by throttling (429/504 after every retry): the phase stops
LABEL = "model-based sequence"


class ModelRun(Protocol):
    """What the phase needs of its run (conformance._runner.Run provides it)."""

    options: Any
    target: Target
    ledger: Any
    campaign: Any
    confirm_setup: bool
    settling: Any
    selected: list[spec.Operation]
    stop: threading.Event

    def send(self, op: spec.Operation, params: dict[str, str], body: Any = ..., **kw: Any) -> Exchange: ...

    def new_names(self) -> tuple[str, str]: ...

    def created(self, app: str, envs: tuple[str, ...]) -> None: ...


@dataclass
class _Search:
    """One search's tally, and the smallest failing sequence it has seen."""

    sequences: int = 0
    requests: int = 0
    unjudged: int = 0
    best: tuple[Contradiction, tuple[str, str]] | None = None
    throttled_in_row: int = 0
    agreed: dict[str, int] = field(default_factory=dict)
    pairs: set[tuple[str, str]] = field(default_factory=set)  # operation pairs the sequences exercised
    choices: dict[str, set[str]] = field(default_factory=dict)  # an open choice -> the answers seen


class _Sender:
    def __init__(self, run: ModelRun, seed: int, search: _Search) -> None:
        self.run, self.seed, self.search = run, seed, search
        self.selected = frozenset(op.operation_id for op in run.selected)

    def send(self, op: spec.Operation, params: dict[str, str], body: Any) -> Exchange:
        self.search.requests += 1
        return self.run.send(op, params, body, case=LABEL, seed=self.seed)

    def settle_bound(self) -> float:
        return self.run.settling.bound_now() if self.run.confirm_setup else 0.0

    def waited(self, reads: int, shown: bool, seconds: float) -> None:
        self.run.settling.read_back(reads, shown, seconds)

    def shows_late(self) -> bool:
        return self.run.settling.late > 0


class Aims:
    """The pairs of operations the sequences are handed to weave in, AIMS each, every pair the
    model knows in turn (in an order drawn from the phase's first seed, so the same seed hands out
    the same pairs): a campaign's sequences go through them all, where random draws would keep
    meeting the same few. The pairs a sequence did not get to are handed to the next. Only a
    campaign hands them out: they take the place of steps that dwell on one topic, which is what
    a short dose needs most to find what only a sequence shows."""

    def __init__(self, known: set[tuple[str, str]], seed: int) -> None:
        self.order = sorted(known)
        random.Random(f"{seed}:aims").shuffle(self.order)
        self.taken = 0
        self.left: list[tuple[str, str]] = []

    def take(self) -> list[tuple[str, str]]:
        count = max(0, AIMS - len(self.left))
        fresh = [self.order[(self.taken + i) % len(self.order)] for i in range(count)] if self.order else []
        self.taken += len(fresh)
        handed, self.left = self.left + fresh, []
        return handed

    def give_back(self, unwoven: list[tuple[str, str]]) -> None:
        self.left = list(unwoven)


def model_phase(run: ModelRun, sequences: int) -> dict[str, Any]:
    """Run the phase: ``sequences`` per round (in a campaign, rounds until its end). Returns what
    it did, and the operation pairs it exercised out of those the model knows."""
    total = _Search()
    rounds = 0
    known = known_pairs(op.operation_id for op in run.selected)
    aims: Aims | None = None
    for seed in run.campaign.seeds(run.campaign.end):
        search = _Search()
        aims = aims or Aims(known if run.campaign.active else set(), seed)
        _search(run, seed, sequences, search, aims)
        total.sequences += search.sequences
        total.requests += search.requests
        total.unjudged += search.unjudged
        total.pairs |= search.pairs
        for choice, answers in search.choices.items():
            total.choices.setdefault(choice, set()).update(answers)
        rounds += 1
        if run.stop.is_set():
            break
    unjudged = f"; {total.unjudged} ended unjudged by throttling" if total.unjudged else ""
    in_rounds = f" in {rounds} rounds" if run.campaign.active else ""
    chose = "; ".join(f"{choice}: {'/'.join(sorted(answers))}" for choice, answers in sorted(total.choices.items()))
    chose = f"; open choices the target took: {chose}" if chose else ""
    exercised = total.pairs & known
    share = f"{len(exercised)} of {len(known)} operation pairs exercised"
    return {
        "detail": f"{total.sequences} sequences, {total.requests} requests judged against the model{in_rounds}"
        f"; {share}{unjudged}{chose}",
        "pairs": {"known": len(known), "exercised": [f"{a} -> {b}" for a, b in sorted(exercised)]},
    }


def _search(run: ModelRun, seed: int, sequences: int, search: _Search, aims: Aims) -> None:
    """``sequences`` sequences, each drawn from a generator of its own seeded from ``seed`` (so a
    short dose spreads over every topic and the same seed sends the same sequences); the first
    that contradicts the model in a new way ends the search and is shrunk."""
    sender = _Sender(run, seed, search)
    campaign = run.campaign
    selected = sender.selected
    for number in range(sequences):
        if campaign.over(campaign.end) or run.stop.is_set():
            break
        drawn = program(selected, random.Random(f"{seed}:{number}"), aims.take())
        apps = (run.new_names()[0], run.new_names()[0])
        one = Sequence(sender, apps, lambda op: _agreed(run, search, op, selected))
        search.sequences += 1
        try:
            one.run(drawn)
            search.throttled_in_row = 0
        except Unjudged as why:
            search.unjudged += 1
            search.throttled_in_row += 1
            if search.throttled_in_row >= THROTTLED_IN_ROW:
                raise ModelStopped(f"{THROTTLED_IN_ROW} sequences in a row ended throttled, the last: {why}") from None
        except Contradiction as found:
            search.throttled_in_row = 0
            if _known(run, found):
                _book(run, found, apps, seed, shrunk=False)
                continue
            search.best = (found, apps)
            break
        finally:
            aims.give_back(drawn.aims)
            search.pairs |= one.pairs.exercised
            for choice, answers in one.model.choices.items():
                search.choices.setdefault(choice, set()).update(answers)
            _tidy(run, apps, one)
    if search.best is not None:
        found, apps = _fewest(run, sender, *search.best)
        _book(run, found, apps, seed, shrunk=True)
    for operation_id, count in search.agreed.items():
        run.ledger.record(
            operation_id, C.Seen(C.SEQUENCES, True, f"{count} answers in model-based sequences agreed with the model")
        )


class ModelStopped(Exception):
    """The phase cannot go on: the target kept throttling it."""


def _fewest(
    run: ModelRun, sender: _Sender, found: Contradiction, apps: tuple[str, str]
) -> tuple[Contradiction, tuple[str, str]]:
    """Shrink a failing sequence: delete runs of steps, halves first, then single steps, then give
    each step its plainest body, while it still contradicts the model on the same operation and
    is smaller (``_size``; delta debugging over the resolved steps, so a deletion never renames what later
    steps name)."""

    def candidates(steps: list[Step]) -> Iterator[list[Step]]:
        size = (len(steps) - 1) // 2
        while size >= 1:  # the contradicted step stays
            for start in range(0, len(steps) - 1, size):
                yield steps[:start] + steps[min(start + size, len(steps) - 1) :]
            size //= 2
        for i, step in enumerate(steps):
            if step.variant:
                yield steps[:i] + [replace(step, variant=0)] + steps[i + 1 :]

    smaller = True
    while smaller and not run.stop.is_set():
        smaller = False
        for steps in candidates(found.steps):
            trial_apps = (run.new_names()[0], run.new_names()[0])
            trial = Sequence(sender, trial_apps, lambda op: None)
            try:
                trial.replay(steps)
            except Contradiction as again:
                if again.operation_id == found.operation_id and _size(again) < _size(found):
                    found, apps, smaller = again, trial_apps, True
                    break
            except Unjudged:
                pass
            finally:
                _tidy(run, trial_apps, trial)
    return found, apps


def _agreed(run: ModelRun, search: _Search, operation_id: str, selected: frozenset[str]) -> None:
    if operation_id in selected:
        search.agreed[operation_id] = search.agreed.get(operation_id, 0) + 1


def _size(found: Contradiction) -> tuple[int, int, int, int]:
    """How big a failing sequence is; shrinking takes only a strictly smaller one, so it ends (a
    replay may fail on a read sent after a write, where the deleted step was, and come back as big
    as it was)."""
    steps = found.steps
    body = sum(len(str(e.body)) for e in found.entries if e.body is not NO_BODY)
    return len(found.entries), len(steps), sum(1 for step in steps if step.variant), body


def _known(run: ModelRun, found: Contradiction) -> bool:
    return run.ledger.has_failed(found.blamed, C.SEQUENCES)


def _book(run: ModelRun, found: Contradiction, apps: tuple[str, str], seed: int, *, shrunk: bool) -> None:
    """Record a failing sequence on the operation blamed (see Contradiction.blamed)."""
    seen_on = "" if found.blamed == found.operation_id else f" (the write {found.blamed} before it is blamed)"
    seen = C.Seen(C.SEQUENCES, False, found.message + seen_on)
    used = tuple(app for i, app in enumerate(apps) if any(step.app == i for step in found.steps))
    headline = f"{found.blamed} {C.SEQUENCES} (seed {seed}): {found.message}"
    extra = {
        "sequence": [entry.to_dict() for entry in found.entries],
        "listing": listing(found.entries),
        "script": script(found.entries, run.target.base_url, used or apps[:1], headline[:300]),
    }
    case = f"{LABEL} of {len(found.entries)} requests (seed {seed})"
    run.ledger.record(found.blamed, seen, found.exchange, case=case, seed=seed, extra=extra)
    run.campaign.failed(found.blamed, seen, found.exchange, case, seed, shrunk=shrunk, extra=extra)


def _tidy(run: ModelRun, apps: tuple[str, str], sequence: Sequence) -> None:
    """Remove the sequence's apps now; one this could not remove is left to the run's cleanup."""
    remove = spec.operation("RemoveAllBackends")
    for app_id, app in zip(apps, sequence.model.apps, strict=True):
        if app.exists == "no":
            if not sequence.judged_all:  # a request it sent may have made the app all the same
                run.created(app_id, ())
            continue
        answer = run.send(remove, {"appId": app_id}, {}, case=f"{LABEL}: cleanup", seed=0, judge=False)
        if answer.reply is None or answer.reply.status not in (200, 404):
            run.created(app_id, ())

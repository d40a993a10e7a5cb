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

import collections
import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import amplify_openapi as spec

from .. import _checks as C
from .._pacing import MAX_CONCURRENCY, alongside
from .._target import NO_BODY, Exchange, Target
from ._pairs import known_pairs
from ._script import listing, script
from ._sequence import Contradiction, Sequence, Unjudged
from ._state import Step
from ._steps import AIMS, Program, program

THROTTLED_IN_ROW = 3  # sequences in a row ended by throttling (429/504 after every retry): the phase stops
SIDE_BY_SIDE = 32  # sequences sent at once (a fixed number: which sequences count never depends on timing)
# reads of the sequences under way in flight at once, against a far-away target: as many as the
# run's pacing ever lets out, so that the sequences' read-backs wait for the target, not for a thread
READS_AT_ONCE = MAX_CONCURRENCY
LABEL = "model-based sequence"


class ModelRun(Protocol):
    """What the phase needs of its run (conformance._runner.Run provides it)."""

    options: Any
    target: Target
    ledger: Any
    campaign: Any
    confirm_setup: bool
    settling: Any
    overlap_pays: bool
    far_away: bool
    selected: list[spec.Operation]
    stop: threading.Event

    timing: Any

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
        self.reads: ThreadPoolExecutor | None = None  # where reads go side by side, while the search lasts
        self.selected = frozenset(op.operation_id for op in run.selected)

    def send(self, op: spec.Operation, params: dict[str, str], body: Any) -> Exchange:
        return self.run.send(op, params, body, case=LABEL, seed=self.seed)

    def settle_bound(self) -> float:
        return self.run.settling.bound_now() if self.run.confirm_setup else 0.0

    def waited(self, reads: int, shown: bool, seconds: float) -> None:
        self.run.settling.read_back(reads, shown, seconds)

    def shows_late(self) -> bool:
        return self.run.settling.late > 0

    def overlaps(self) -> bool:
        return self.reads is not None and self.run.overlap_pays

    def side_by_side(self, calls: list[Callable[[], Any]]) -> list[Future]:
        counted_as_here = self.run.timing.carried()

        def call_here(call: Callable[[], Any]) -> Any:
            counted_as_here()
            alongside()
            return call()

        return [self.reads.submit(call_here, call) for call in calls]


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
        handed, self.left = self.left[:AIMS], self.left[AIMS:]
        count = AIMS - len(handed)
        fresh = [self.order[(self.taken + i) % len(self.order)] for i in range(count)] if self.order else []
        self.taken += len(fresh)
        return handed + fresh

    def give_back(self, unwoven: list[tuple[str, str]]) -> None:
        """Pairs a sequence did not get to: handed out first from now on (sequences drawn since
        got fresh ones)."""
        self.left += unwoven


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


@dataclass
class _Outcome:
    """What one sequence did, folded into the search in the order the sequences were drawn."""

    apps: tuple[str, str]
    sequence: Sequence
    agreed: dict[str, int] = field(default_factory=dict)
    ended: Contradiction | Unjudged | None = None


def _search(run: ModelRun, seed: int, sequences: int, search: _Search, aims: Aims) -> None:
    """``sequences`` sequences, each drawn from a generator of its own seeded from ``seed`` (so a
    short dose spreads over every topic and the same seed sends the same sequences); the first
    that contradicts the model in a new way ends the search and is shrunk. Against a far-away
    target (Run.far_away) up to SIDE_BY_SIDE are under way at once (each over apps of its own: the phase then
    costs about its longest sequence, not their sum); what they did is taken in the order they
    were drawn, as if sent one after another, so which sequences count never depends on which
    answers came first. Where overlapping does not pay they go one by one: a faulty target whose
    deletes spill into other apps' environments of the same names then shows each spill in the
    sequence that caused it."""
    sender = _Sender(run, seed, search)
    campaign = run.campaign
    fixed = SIDE_BY_SIDE if run.far_away else 1  # a campaign's: the pairs handed out follow from its seed

    def side_by_side() -> int:
        """Outside a campaign, as the target's answers tell (the phase may begin beside the
        operations' units, before most answers came back)."""
        return fixed if run.campaign.active else (SIDE_BY_SIDE if run.far_away else 1)

    counted_here = run.timing.carried(aside=False)

    def in_this_phase(call: Callable[..., _Outcome], *args: Any) -> _Outcome:
        counted_here()
        return call(*args)

    in_flight: collections.deque[tuple[Program, Future[_Outcome]]] = collections.deque()

    def fold_oldest() -> None:
        drawn, future = in_flight.popleft()
        outcome = future.result()
        aims.give_back(drawn.aims)
        if search.best is None:  # those after the one to shrink count for nothing
            _fold(run, search, seed, outcome)

    with ThreadPoolExecutor(READS_AT_ONCE, thread_name_prefix="model-reads") as sender.reads:
        with ThreadPoolExecutor(SIDE_BY_SIDE, thread_name_prefix="model") as pool:
            for number in range(sequences):
                while len(in_flight) >= side_by_side():  # sequence n is drawn once n - side_by_side is taken
                    fold_oldest()
                if search.best is not None or campaign.over(campaign.end) or run.stop.is_set():
                    break
                drawn = program(sender.selected, random.Random(f"{seed}:{number}"), aims.take())
                apps = (run.new_names()[0], run.new_names()[0])
                in_flight.append((drawn, pool.submit(in_this_phase, _sequence, run, sender, number, drawn, apps)))
            while in_flight:
                fold_oldest()
        if search.best is not None:
            with run.timing.chain("shrinking a model-based sequence"):
                found, apps = _fewest(run, sender, *search.best)
            _book(run, found, apps, seed, shrunk=True)
    sender.reads = None
    for operation_id, count in search.agreed.items():
        run.ledger.record(
            operation_id, C.Seen(C.SEQUENCES, True, f"{count} answers in model-based sequences agreed with the model")
        )


def _sequence(run: ModelRun, sender: _Sender, number: int, drawn: Program, apps: tuple[str, str]) -> _Outcome:
    """Send one drawn sequence over its apps, then remove them."""
    agreed: dict[str, int] = {}

    def agree(operation_id: str) -> None:
        if operation_id in sender.selected:
            agreed[operation_id] = agreed.get(operation_id, 0) + 1

    one = Sequence(sender, apps, agree)
    outcome = _Outcome(apps, one, agreed)
    with run.timing.chain(f"model-based sequence {number}"):
        try:
            one.run(drawn)
        except (Contradiction, Unjudged) as ended:
            outcome.ended = ended
        finally:
            _tidy(run, apps, one)
    return outcome


def _fold(run: ModelRun, search: _Search, seed: int, outcome: _Outcome) -> None:
    """Take one sequence's outcome into the search, as the sequences one after another would."""
    search.sequences += 1
    search.requests += outcome.sequence.requests
    search.pairs |= outcome.sequence.pairs.exercised
    for choice, answers in outcome.sequence.model.choices.items():
        search.choices.setdefault(choice, set()).update(answers)
    for operation_id, count in outcome.agreed.items():
        search.agreed[operation_id] = search.agreed.get(operation_id, 0) + count
    ended = outcome.ended
    if isinstance(ended, Unjudged):
        search.unjudged += 1
        search.throttled_in_row += 1
        if search.throttled_in_row >= THROTTLED_IN_ROW:
            raise ModelStopped(f"{THROTTLED_IN_ROW} sequences in a row ended throttled, the last: {ended}") from None
        return
    search.throttled_in_row = 0
    if isinstance(ended, Contradiction):
        if _known(run, ended):
            _book(run, ended, outcome.apps, seed, shrunk=False)
        else:
            search.best = (ended, outcome.apps)


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
                sender.search.requests += trial.requests
                _tidy(run, trial_apps, trial)
    return found, apps


def _size(found: Contradiction) -> tuple[int, int, int, int]:
    """How big a failing sequence is; shrinking takes only a strictly smaller one, so it ends (a
    replay may fail on a read sent after a write, where the deleted step was, and come back as big
    as it was)."""
    steps = found.steps
    body = sum(len(str(e.body)) for e in found.entries if e.body is not NO_BODY)
    return len(found.entries), len(steps), sum(1 for step in steps if step.variant), body


def _known(run: ModelRun, found: Contradiction) -> bool:
    return C.SEQUENCES in run.ledger.failing(found.blamed)


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

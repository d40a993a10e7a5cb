"""A fuzzing campaign: what turns a fixed number of examples into a search bounded by time
or by a number of rounds.

One Campaign belongs to one run. It knows when the fuzzing must end (``RunOptions.duration``,
within the run's time budget, or after ``RunOptions.rounds`` rounds: a campaign that sends the
same examples on any machine), shares that time fairly among the operations, derives a fresh
seed for every round from the run's seed, holds hypothesis's example database (failing examples
of earlier campaigns are replayed first), groups the failures it sees (one minimal example and a
count per group) and counts distinct inputs. It never sends anything itself: _fuzz.py asks it
when to stop and tells it what it saw; the runner asks it for the report's ``fuzz`` section.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from hypothesis.database import ExampleDatabase

    from ._checks import Seen
    from ._results import Ledger
    from ._target import Exchange

STATEFUL_SHARE = 0.15  # of a campaign's fuzzing time, left for the stateful phase
MODEL_SHARE = 0.15  # of a campaign's fuzzing time, left for the model-based phase (after the stateful one)
TICK_SECONDS = 1.0  # how often the campaign tells its watcher how it goes
MAX_GROUP_MESSAGES = 200  # distinct failure groups kept in full; the count of the rest stays exact


@cache
def documented_members(operation_id: str) -> frozenset[str]:
    """Every member name the operation's request model documents, at any depth."""
    import amplify_openapi as spec

    names: set[str] = set()
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/") and ref not in seen:
                seen.add(ref)
                walk(spec.schema(ref.rsplit("/", 1)[-1]))
            names.update(node.get("properties") or {})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    request = spec.operation(operation_id).request_schema
    if request:
        walk(spec.schema(request))
    return frozenset(names)


def shape_of(value: Any, members: frozenset[str] | None = None) -> Any:
    """The shape of an input: its JSON types and documented member names, not its values, so
    that two inputs failing the same way for the same kind of data fall into one group. Members
    not in ``members`` (those the operation documents; None: keep all) are left out: the
    contract has them ignored. Strings say whether they are empty, ASCII or not: that is what
    data-dependent faults turn on."""
    if isinstance(value, dict):
        return {key: shape_of(value[key], members) for key in sorted(value) if members is None or key in members}
    if isinstance(value, list):
        return sorted({json.dumps(shape_of(item, members), sort_keys=True) for item in value})
    if isinstance(value, str):
        return "str" if not value else ("ascii" if value.isascii() else "unicode")
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def _sent_body(exchange: Exchange) -> Any:
    body = exchange.request.body
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "<not JSON>"


def example_size(failure: dict[str, Any] | None) -> int:
    """How big a failing example's request is: the smaller, the better an example."""
    request = (failure or {}).get("request") or {}
    return len(str(request.get("body") or "")) + len(str(request.get("url") or ""))


@dataclass
class _Group:
    operation: str
    check: str
    seen: str
    shape: Any
    count: int = 0
    example: dict[str, Any] | None = None
    shrunk: bool = False


def failure_key(failure: dict[str, Any]) -> tuple[str, str, str, str]:
    """(operation, check, what was seen, input shape) of a group: how groups merge across runs."""
    return (
        failure["operation"],
        failure["check"],
        failure["seen"],
        json.dumps(failure["shape"], sort_keys=True),
    )


class CampaignRun(Protocol):
    """What a campaign needs of its run (conformance._runner.Run provides it): the options, the
    seed, when the run must end, how many units it has, its stop signal and its request count."""

    options: Any
    seed: int
    deadline: float
    selected: list[Any]
    stop: threading.Event
    ledger: Ledger


class Campaign:
    """The time, seeds, database and failure groups of one run's fuzzing (thread-safe)."""

    def __init__(self, run: CampaignRun, tick: Callable[[dict[str, Any]], None] | None = None) -> None:
        options = run.options
        self.run = run
        self.tick = tick
        self.started = time.monotonic()
        self.duration = options.duration
        self.last_round = options.rounds  # None: as many rounds as the time allows
        self.end = min(self.started + options.duration, run.deadline) if options.duration else None
        # the units fuzz until fuzz_end, the stateful phase until stateful_end; the model-based phase has the rest
        span = 0.0 if self.end is None else self.end - self.started
        model_share = span * (MODEL_SHARE if options.model else 0)
        self.stateful_end = None if self.end is None else self.end - model_share
        self.fuzz_end = (
            None if self.end is None else self.end - model_share - span * (STATEFUL_SHARE if options.stateful else 0)
        )
        self.database = self._open_database(options.database) if options.fuzz else None
        self._lock = threading.Lock()
        self._groups: dict[tuple[str, str, str, str], _Group] = {}
        self._inputs: set[bytes] = set()
        self._waiting = len(run.selected)  # units that have not begun fuzzing
        self.rounds = 0
        self.replayed = 0

    @staticmethod
    def _open_database(path: str | None) -> ExampleDatabase | None:
        if path is None:
            return None
        from hypothesis.database import DirectoryBasedExampleDatabase

        Path(path).mkdir(parents=True, exist_ok=True)
        return DirectoryBasedExampleDatabase(path)

    # ---- time -------------------------------------------------------------------------------

    def unit_end(self) -> float | None:
        """When the calling unit must stop fuzzing: its fair share of what is left, the units
        fuzzing one after the other (None: no campaign, the fixed number of examples)."""
        if self.fuzz_end is None:
            return None
        with self._lock:
            waiting, self._waiting = max(1, self._waiting), max(0, self._waiting - 1)
        now = time.monotonic()
        return now + max(0.0, self.fuzz_end - now) / waiting

    @property
    def active(self) -> bool:
        """Whether fuzzing goes round after round (a campaign), not one fixed round."""
        return self.end is not None or self.last_round is not None

    @staticmethod
    def over(end: float | None) -> bool:
        return end is not None and time.monotonic() >= end

    def seeds(self, end: float | None) -> Iterator[int]:
        """The run's seed first, then seeds derived from it, until the end or the campaign's
        last round (one seed if no campaign)."""
        seed = self.run.seed
        last = self.last_round if self.last_round is not None else (None if self.active else 1)
        with self._lock:
            self.rounds = max(self.rounds, 1)
        yield seed
        n = 0
        while (last is None or n + 1 < last) and not self.over(end) and not self.run.stop.is_set():
            n += 1
            with self._lock:
                self.rounds = max(self.rounds, n + 1)  # the most rounds one search began
            digest = hashlib.sha256(f"{seed}:{n}".encode()).digest()
            yield int.from_bytes(digest[:4], "big")

    # ---- the database -----------------------------------------------------------------------

    def key(self, operation_id: str, label: str) -> bytes:
        """The database key of one operation's search (hypothesis's default is the test's
        source, which is the same closure for every operation)."""
        return f"amplify-conformance:{operation_id}:{label.rsplit(':', 1)[-1]}".encode()

    def use_database(self, test: Any, operation_id: str, label: str, replay: bool) -> None:
        """Point a hypothesis test at its key in the database, counting what it will replay."""
        if self.database is None:
            return
        key = self.key(operation_id, label)
        test._hypothesis_internal_database_key = key
        stored = sum(1 for _ in self.database.fetch(key)) if replay else 0
        with self._lock:
            self.replayed += stored

    # ---- what the fuzzing saw ---------------------------------------------------------------

    def sent(self, operation_id: str, exchange: Exchange) -> None:
        request = exchange.request
        digest = hashlib.blake2b(
            f"{operation_id}\0{request.method}\0{request.url}\0".encode() + (request.body or b""), digest_size=16
        ).digest()
        with self._lock:
            self._inputs.add(digest)

    def failed(
        self,
        operation_id: str,
        seen: Seen,
        exchange: Exchange,
        case: str | None = None,
        seed: int | None = None,
        *,
        shrunk: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> tuple[str, str, str, str]:
        """A failing verdict on a generated input, counted in its group (a shrunk example, the
        end of a search, replaces the group's example without counting again); its group's key."""
        from ._results import failure_record

        shape = shape_of(_sent_body(exchange), documented_members(operation_id))
        key = (operation_id, seen.check, seen.saw, json.dumps(shape, sort_keys=True))
        example = failure_record(seen, exchange, case, seed, extra)
        with self._lock:
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = _Group(operation_id, seen.check, seen.saw, shape)
            if not shrunk:
                group.count += 1
            smaller = group.example is None or example_size(example) < example_size(group.example)
            if (shrunk and (smaller or not group.shrunk)) or (smaller and not group.shrunk):
                group.example, group.shrunk = example, group.shrunk or shrunk
        return key

    # ---- watching and reporting -------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        now = time.monotonic()
        requests, _ = self.run.ledger.totals()
        elapsed = now - self.started
        with self._lock:
            failures, inputs, rounds = len(self._groups), len(self._inputs), self.rounds
        return {
            "elapsed": round(elapsed, 1),
            "remaining": None if self.end is None else round(max(0.0, self.end - now), 1),
            "duration": self.duration,
            "requests": requests,
            "requests_per_second": round(requests / elapsed, 1) if elapsed > 0 else 0.0,
            "distinct_inputs": inputs,
            "distinct_failures": failures,
            "rounds": rounds,
            "replayed": self.replayed,
        }

    @contextmanager
    def ticking(self) -> Iterator[None]:
        """Call the watcher every TICK_SECONDS while the run goes on, and once at its end."""
        if self.tick is None:
            yield
            return
        done = threading.Event()

        def beat() -> None:
            while not done.wait(TICK_SECONDS):
                self.tick(self.stats())

        thread = threading.Thread(target=beat, name="conformance-campaign-tick", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
            self.tick({**self.stats(), "finished": True})

    def section(self) -> dict[str, Any]:
        """The report's ``fuzz`` section: the campaign's figures and its failure groups."""
        with self._lock:
            groups = sorted(self._groups.values(), key=lambda g: (g.operation, g.check, -g.count))
        return {
            **{k: v for k, v in self.stats().items() if k != "remaining"},
            "seed": self.run.seed,
            "database": {"path": self.run.options.database if self.database else None, "replayed": self.replayed},
            "groups": [
                {
                    "operation": g.operation,
                    "check": g.check,
                    "seen": g.seen,
                    "shape": g.shape,
                    "count": g.count,
                    "shrunk": g.shrunk,
                    "example": g.example,
                }
                for g in groups[:MAX_GROUP_MESSAGES]
            ],
        }

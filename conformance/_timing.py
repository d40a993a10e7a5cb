"""Where a run's time went: each phase's wall seconds and requests, what the operations' units
spent on each family of questions, and the longest chain of requests that waited on each other.

A run against a far-away target is as long as its longest chain of requests sent one after
another (a unit's workflows, a model sequence, a read-back that polls): requests side by side
cost one round trip, requests in a chain cost one each. The report names that chain, so the
time a user waits can be traced to what made it long.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Tally:
    requests: int = 0
    seconds: float = 0.0  # wall seconds (a phase) or seconds summed over the threads (a stage)
    waiting: float = 0.0  # seconds spent waiting for answers (a chain)
    stages: dict[str, float] = field(default_factory=dict)  # a chain's wall seconds by stage

    def as_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "seconds": round(self.seconds, 2)}


class Timing:
    """The run's one record of its time and requests (shared by every thread of the run)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._stages: dict[str, _Tally] = {}
        self._longest: tuple[str, _Tally] | None = None

    @contextmanager
    def phase(self, into: dict[str, Any]) -> Iterator[None]:
        """Time a phase (this thread's, and the threads it hands its work to through ``carried``);
        its ``seconds`` and ``requests`` are written into ``into`` (the phase's entry of the
        report) when it ends, however it ends."""
        tally = _Tally()
        self._local.phase = tally
        started = time.monotonic()
        try:
            yield
        finally:
            self._local.phase = None
            tally.seconds = time.monotonic() - started
            into.update(tally.as_dict())

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """A family of questions within a unit (the matrix, the workflows, the fuzzing): its
        requests, and its seconds summed over every unit that asked it."""
        outer = getattr(self._local, "stage", None)
        self._local.stage = name
        started = time.monotonic()
        try:
            yield
        finally:
            self._local.stage = outer
            took = time.monotonic() - started
            chain = getattr(self._local, "chain", None)
            if chain is not None:
                chain.stages[name] = chain.stages.get(name, 0.0) + took
            with self._lock:
                self._stages.setdefault(name, _Tally()).seconds += took

    @contextmanager
    def chain(self, name: str) -> Iterator[None]:
        """Requests this thread sends one after another (a unit, a sequence): the longest such
        chain (by its wall seconds) is the run's critical path; how much of it was spent waiting
        for answers says whether a nearer or faster target would shorten it."""
        tally = _Tally()
        self._local.chain = tally
        started = time.monotonic()
        try:
            yield
        finally:
            self._local.chain = None
            tally.seconds = time.monotonic() - started
            with self._lock:
                if self._longest is None or tally.seconds > self._longest[1].seconds:
                    self._longest = (name, tally)

    def carried(self, *, aside: bool = True) -> Callable[[], None]:
        """What this thread's requests count under, for threads it hands work to: called there,
        the requests they send count where this thread's would. ``aside``: they are sent side by
        side with this thread's (they count in its chain, but wait as one); else the other thread
        runs chains of its own, under this thread's phase."""
        phase = getattr(self._local, "phase", None)
        stage, chain = getattr(self._local, "stage", None), getattr(self._local, "chain", None)
        if not aside:
            stage = chain = None

        def adopt() -> None:
            self._local.phase, self._local.stage, self._local.chain, self._local.aside = phase, stage, chain, aside

        return adopt

    def sent(self, requests: int, waited: float) -> None:
        """One exchange: its requests (retries included) and the seconds it waited for answers."""
        phase = getattr(self._local, "phase", None)
        stage = getattr(self._local, "stage", None)
        chain = getattr(self._local, "chain", None)
        if chain is not None:
            chain.requests += requests
            if not getattr(self._local, "aside", False):  # requests side by side wait as one
                chain.waiting += waited
        with self._lock:
            if phase is not None:
                phase.requests += requests
            if stage is not None:
                self._stages.setdefault(stage, _Tally()).requests += requests

    def stages(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: tally.as_dict() for name, tally in self._stages.items()}

    def longest_chain(self) -> dict[str, Any] | None:
        with self._lock:
            if self._longest is None:
                return None
            name, tally = self._longest
            stages = {stage: round(seconds, 2) for stage, seconds in tally.stages.items()}
            return {"name": name, **tally.as_dict(), "waiting_seconds": round(tally.waiting, 2), "stages": stages}

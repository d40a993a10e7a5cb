"""How long a read-back waits for a write to show, learnt from the target as the run goes.

CONTRACT 'Asynchrony' lets what a write announces take a while to become visible, so a read-back
polls up to the settle bound before it judges. Paid once per thing that is really late, the bound
is cheap; paid once per thing that is simply not there (a stateless mock, an error page, a
deployment that keeps nothing), it adds up to the whole time budget. So the run learns from its
own read-backs which kind of target it talks to:

- asynchronous: some read showed its state only after a re-read. Every read-back may then wait
  the whole bound, as the contract allows: the verdicts are those of a patient client.
- immediate: the whole bound has been waited out in vain PATIENCE times, and IN_VAIN_PER_LATE
  times as often as waiting ever helped. Waiting has (almost) never helped on this target, so a
  read-back waits QUICK seconds at most; a read that shows its state late makes the run patient
  again while it tips the balance (and reads that are waiting then get the whole bound back). A
  conformant asynchronous target shows hundreds of late reads and no wait in vain; a target of
  random answers shows a write on a re-read now and then by chance, and would otherwise make every
  read-back of the run wait the whole bound.

Setup steps (the worlds, resources, tokens and jobs that checks need) are counted by name: a step
the target never once showed is named in the report, the one cause of the failures that follow;
once it has gone unshown PATIENCE times on an immediate target, it is no longer read back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

PATIENCE = 2  # whole bounds waited in vain, with nothing ever late, before waiting is cut short
IN_VAIN_PER_LATE = 10  # ... and for each late read, this many times as many
QUICK = 0.25  # seconds a read-back waits on a target that shows writes at once or never


@dataclass
class _Step:
    tried: int = 0
    shown: int = 0


class Settling:
    """The run's one record of how its target shows writes (shared by every unit's thread)."""

    def __init__(self, bound: float) -> None:
        self.bound = bound
        self.read_backs = 0
        self.late = 0  # reads that showed their state only after a re-read
        self.longest_late = 0.0
        self.in_vain = 0  # reads that waited the whole bound and never showed their state
        self._steps: dict[str, _Step] = {}
        self._lock = threading.Lock()

    @property
    def immediate(self) -> bool:
        """Whether waiting has (almost) only ever been in vain on this target (so it is cut short)."""
        return self.in_vain >= PATIENCE * max(1, IN_VAIN_PER_LATE * self.late)

    def bound_now(self) -> float:
        """How long a read-back may wait, from what the run has seen so far."""
        return min(self.bound, QUICK) if self.immediate else self.bound

    def read_back(self, reads: int, shown: bool, elapsed: float) -> None:
        """What one read-back saw: on which read its state showed (if it did), after how long."""
        with self._lock:
            self.read_backs += 1
            if shown and reads > 1:
                self.late += 1
                self.longest_late = max(self.longest_late, elapsed)
            elif not shown and elapsed >= self.bound:
                self.in_vain += 1

    def step(self, name: str, shown: bool) -> None:
        """Whether a setup step's read-back showed what the step made."""
        with self._lock:
            record = self._steps.setdefault(name, _Step())
            record.tried += 1
            record.shown += shown

    def worth_reading(self, name: str) -> bool:
        """False once a step has never shown on a target where waiting never helps: reading it
        back again costs a request and tells nothing new."""
        with self._lock:
            record = self._steps.get(name)
            return not (self.immediate and record and record.shown == 0 and record.tried >= PATIENCE)

    def never_shown(self) -> list[str]:
        with self._lock:
            return [f"{name} (0 of {s.tried})" for name, s in self._steps.items() if s.tried and not s.shown]

    def section(self) -> dict[str, Any]:
        """For report.json: what the target showed and how the run waited for it."""
        never = self.never_shown()
        if never:
            summary = "the target never showed what setup made: " + "; ".join(never)
        elif self.late and self.immediate:
            summary = (
                f"waiting cut short: {self.in_vain} read-backs waited the whole bound in vain,"
                f" {self.late} showed their state late"
            )
        elif self.late:
            summary = (
                f"asynchronous: {self.late} read-backs showed their state late,"
                f" the latest after {self.longest_late:.2f} s"
            )
        elif self.read_backs:
            summary = (
                f"nothing showed late: {self.read_backs} read-backs,"
                f" {self.in_vain} of which waited the whole bound in vain"
            )
        else:
            summary = "no read-back was answered: nothing was made to read back"
        with self._lock:
            return {
                "bound": self.bound,
                "target": "immediate" if self.immediate else ("asynchronous" if self.late else "undecided"),
                "late_reads": self.late,
                "longest_late_seconds": round(self.longest_late, 3),
                "waited_in_vain": self.in_vain,
                "steps": [{"step": n, "tried": s.tried, "shown": s.shown} for n, s in sorted(self._steps.items())],
                "never_shown": never,
                "summary": summary,
            }

"""Which ordered pairs of operations the model-based sequences exercised: an operation sent right
after a write that acted on the same place (the same environment of an app, or the app itself for
what is app-wide). A write's effect on what follows shows only where such a pair is sent, so the
report states how many of the pairs the model knows a run tried, and which it missed."""

from __future__ import annotations

from collections.abc import Iterable

from ._state import READS, Step
from ._steps import BACKEND, TOPICS

# operations that act on the app as a whole, not on one of its environments
APP_WIDE = frozenset(
    {
        "GetBackend",
        "RemoveAllBackends",
        "CreateBackendConfig",
        "UpdateBackendConfig",
        "RemoveBackendConfig",
        "CreateToken",
        "GetToken",
        "DeleteToken",
    }
)


def model_operations(selected: Iterable[str]) -> list[str]:
    """The operations the phase sends (ListS3Buckets names no app: it pairs with nothing)."""
    drawn = {*BACKEND, *(op for ops in TOPICS.values() for op in ops)} - {"ListS3Buckets"}
    return sorted(drawn & set(selected))


def known_pairs(selected: Iterable[str]) -> set[tuple[str, str]]:
    """Every (write, operation) the phase could send in that order on one place."""
    ops = model_operations(selected)
    return {(write, op) for write in ops if write not in READS for op in ops}


class Pairs:
    """The pairs one sequence exercised, as its steps agree with the model."""

    def __init__(self) -> None:
        self.exercised: set[tuple[str, str]] = set()
        self._count = 0
        self._last_env: dict[tuple[int, str], tuple[int, str]] = {}  # place -> (when, write)
        self._last_app: dict[int, tuple[int, str]] = {}  # the last write of any kind on the app
        self._app_wide: dict[int, tuple[int, str]] = {}  # the last app-wide write on the app

    def saw(self, step: Step) -> None:
        if step.op == "ListS3Buckets":
            return
        self._count += 1
        if step.op in APP_WIDE:
            before = self._last_app.get(step.app)
        else:
            candidates = [self._last_env.get((step.app, step.env)), self._app_wide.get(step.app)]
            before = max((c for c in candidates if c is not None), default=None)
        if before is not None:
            self.exercised.add((before[1], step.op))
        if step.op in READS:
            return
        now = (self._count, step.op)
        self._last_app[step.app] = now
        if step.op in APP_WIDE:
            self._app_wide[step.app] = now
        else:
            self._last_env[(step.app, step.env)] = now
            if step.op == "CloneBackend":
                self._last_env[(step.app, step.target)] = now

"""How an emulator instance behaves: stage prefix, deliberate faults, throttling."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._faults import FAULTS
from ._quirks import incompatible, quirks


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings of one emulator.

    ``throttle_rps`` switches on a token bucket answering 429 (``throttle_burst`` tokens,
    default ``ceil(throttle_rps)``); ``error_rate`` answers that share of requests 504,
    drawn from ``random.Random(seed)`` in request order; ``allow_injection`` honours the
    ``x-emulator-inject: 400|404|429|504`` request header. ``faults`` takes names from
    ``FAULTS`` (a comma-separated string is split); ``quirks`` likewise from ``QUIRKS``
    (conformant variations; faults and quirks combine).
    """

    stage: str = "/prod"
    faults: frozenset[str] = frozenset()
    throttle_rps: float | None = None
    throttle_burst: int | None = None
    error_rate: float = 0.0
    seed: int = 0
    allow_injection: bool = False
    quirks: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        faults = _names(self.faults)
        object.__setattr__(self, "faults", faults)
        unknown = sorted(faults - FAULTS.keys())
        if unknown:
            raise ValueError(f"unknown fault(s) {', '.join(unknown)}; known faults: {', '.join(sorted(FAULTS))}")
        chosen = _names(self.quirks)
        object.__setattr__(self, "quirks", chosen)
        unknown = sorted(chosen - quirks().keys())
        if unknown:
            raise ValueError(f"unknown quirk(s) {', '.join(unknown)}; known quirks: {', '.join(quirks())}")
        clashes = incompatible(chosen)
        if clashes:
            raise ValueError("quirks that exclude each other: " + "; ".join(f"{a} and {b}" for a, b in clashes))
        stage = (self.stage or "").strip("/")
        object.__setattr__(self, "stage", f"/{stage}" if stage else "")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError(f"error_rate must be within 0..1, not {self.error_rate}")
        if self.throttle_rps is not None and self.throttle_rps <= 0:
            raise ValueError(f"throttle_rps must be positive, not {self.throttle_rps}")
        if self.throttle_burst is not None and self.throttle_burst < 1:
            raise ValueError(f"throttle_burst must be at least 1, not {self.throttle_burst}")

    def has(self, quirk: str) -> bool:
        return quirk in self.quirks

    @property
    def burst(self) -> int:
        """The token bucket's capacity."""
        if self.throttle_burst is not None:
            return self.throttle_burst
        return max(1, math.ceil(self.throttle_rps or 1))


def _names(value: frozenset[str] | str) -> frozenset[str]:
    names = value.split(",") if isinstance(value, str) else value
    return frozenset(name.strip() for name in names if name.strip())

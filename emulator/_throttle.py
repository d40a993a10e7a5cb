"""Answers that do not depend on the request's content: the token buckets' 429s (the configured
one and the rate-limit quirk's), the seeded 504s, the flaky quirk's 429s and 504s, the slow and
latency quirks' delays, and the errors a test asks for with the x-emulator-inject header."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import amplify_openapi

from ._config import EmulatorConfig
from ._quirks import LATENCY_SECONDS, RATE_LIMIT_BURST, RATE_LIMIT_PER_SECOND
from ._wire import Answer, error_answer

INJECT_HEADER = "HTTP_X_EMULATOR_INJECT"


class _Bucket:
    """A token bucket: ``burst`` requests at once, refilled at ``rate`` a second; the caller holds the lock."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._tokens = float(burst)
        self._refilled = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._refilled) * self.rate)
        self._refilled = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class Throttle:
    """The seeded draws and the token bucket, taken under one lock in request order, so a seed
    replays the same plan."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._quirk_rng = random.Random(config.seed + 1)  # flaky and slow: apart from the 504 plan
        self._gate = threading.Lock()
        self._bucket = None if config.throttle_rps is None else _Bucket(config.throttle_rps, config.burst)
        self._limit = _Bucket(RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST) if config.has("rate-limit") else None
        self._limit_rng = random.Random(config.seed + 2)  # which of the rate limit's 429s say Retry-After

    def pace(self) -> None:
        """Delay an answer as the slow and latency quirks do (the sleep holds no lock)."""
        delay = 0.0
        if self.config.has("slow") or self.config.has("latency"):
            with self._gate:
                if self.config.has("slow"):
                    delay += self._quirk_rng.uniform(0.001, 0.006)
                if self.config.has("latency"):
                    delay += self._quirk_rng.uniform(*LATENCY_SECONDS)
        if delay:
            time.sleep(delay)

    def forced(self, environ: dict[str, Any], operation: amplify_openapi.Operation) -> Answer | None:
        """The answer that replaces the operation's: an injected error, a 429 or a 504."""
        return self._injected(environ, operation) or self._rate_limited() or self._gate_answer()

    def _rate_limited(self) -> Answer | None:
        """429 from the rate-limit quirk's bucket, about half of them saying when to come back."""
        if self._limit is None:
            return None
        with self._gate:
            if self._limit.take():
                return None
            hint = self._limit_rng.random() < 0.5
        answer = error_answer(429, "Rate exceeded", limitType="requests")
        if hint:
            answer.headers["Retry-After"] = "1"
        return answer

    def _gate_answer(self) -> Answer | None:
        """429 from the token bucket, or a seeded random 504."""
        cfg = self.config
        if cfg.has("flaky"):
            with self._gate:
                draw = self._quirk_rng.random()
            if draw < 0.04:
                return error_answer(429, "Rate exceeded", limitType="requests")
            if draw < 0.08:
                return error_answer(504, "The service timed out; try again")
        if self._bucket is None and not cfg.error_rate:
            return None
        with self._gate:
            if self._bucket is not None and not self._bucket.take():
                return error_answer(429, "Rate exceeded", limitType="requests")
            if cfg.error_rate and self._rng.random() < cfg.error_rate:
                return error_answer(504, "The service timed out; try again")
        return None

    def _injected(self, environ: dict[str, Any], operation: amplify_openapi.Operation) -> Answer | None:
        wanted = environ.get(INJECT_HEADER, "").strip()
        if not wanted or not self.config.allow_injection:
            return None
        if wanted == "400":
            return error_answer(400, "injected: bad request")
        if wanted == "404":
            return error_answer(404, f"injected: not found ({operation.operation_id})", "backend")
        if wanted == "429":
            return error_answer(429, "injected: rate exceeded", limitType="requests")
        if wanted == "504":
            return error_answer(504, "injected: service timed out")
        return error_answer(400, f"x-emulator-inject: {wanted[:20]!r} is not one of 400, 404, 429, 504")

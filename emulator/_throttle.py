"""Answers that do not depend on the request's content: the token bucket's 429s, the seeded
504s, the flaky quirk's 429s and 504s, the slow quirk's delays, and the errors a test asks
for with the x-emulator-inject header."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import amplify_openapi

from ._config import EmulatorConfig
from ._wire import Answer, error_answer

INJECT_HEADER = "HTTP_X_EMULATOR_INJECT"


class Throttle:
    """The seeded draws and the token bucket, taken under one lock in request order, so a seed
    replays the same plan."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._quirk_rng = random.Random(config.seed + 1)  # flaky and slow: apart from the 504 plan
        self._gate = threading.Lock()
        self._tokens = float(config.burst)
        self._refilled = time.monotonic()

    def pace(self) -> None:
        """Delay an answer as the slow quirk does."""
        if self.config.has("slow"):
            with self._gate:
                delay = self._quirk_rng.uniform(0.001, 0.006)
            time.sleep(delay)

    def forced(self, environ: dict[str, Any], operation: amplify_openapi.Operation) -> Answer | None:
        """The answer that replaces the operation's: an injected error, a 429 or a 504."""
        return self._injected(environ, operation) or self._gate_answer()

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
        if cfg.throttle_rps is None and not cfg.error_rate:
            return None
        with self._gate:
            if cfg.throttle_rps is not None:
                now = time.monotonic()
                self._tokens = min(cfg.burst, self._tokens + (now - self._refilled) * cfg.throttle_rps)
                self._refilled = now
                if self._tokens < 1:
                    return error_answer(429, "Rate exceeded", limitType="requests")
                self._tokens -= 1
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

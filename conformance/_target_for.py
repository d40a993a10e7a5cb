"""The target a run talks to, made from its options (a URL, SigV4-signed, or the embedded
emulator made for the run and called in-process), and the one check that it can be reached at all."""

from __future__ import annotations

from ._in_process import EMULATOR_ADDRESS, InProcessTarget
from ._options import RunOptions
from ._pacing import Concurrency
from ._target import RateLimit, SigV4Target, Target, TargetUnreachable


def target_for(options: RunOptions) -> Target:
    """The target a run talks to."""
    o = options
    common = {
        "headers": dict(o.headers),
        "timeout": o.timeout,
        "max_retries": o.retries,
        "rate_limit": RateLimit(o.rate_limit),
    }
    if o.base_url is None:
        from amplify_emulator import EmulatorApp, EmulatorConfig

        config = EmulatorConfig(
            stage=o.emulator_stage,
            faults=frozenset(o.emulator_faults),
            quirks=frozenset(o.emulator_quirks),
            allow_injection=True,
            seed=o.seed if isinstance(o.seed, int) else 0,  # run() resolves it first
            throttle_rps=o.emulator_throttle_rps,
            throttle_burst=200,
            error_rate=o.emulator_error_rate,
        )
        app = EmulatorApp(config)
        return InProcessTarget(app, EMULATOR_ADDRESS + o.emulator_stage, kind="emulator", can_inject=True, **common)
    common["concurrency"] = Concurrency(o.timeout, pinned=o.workers)
    if o.sigv4:
        return SigV4Target(o.base_url, o.region, **common)
    return Target(o.base_url, **common)


def preflight(target: Target, deadline: float) -> None:
    """Down at the start (refused, unresolvable, no connection) is one clear error; a target
    that answers badly or too slowly is reachable, and the run judges it."""
    exchange = target.send("OPTIONS", "/backend", retry=False, deadline=deadline)
    if exchange.error and exchange.error.startswith(("connection failed", "connection timed out")):
        raise TargetUnreachable(f"cannot reach {target.base_url}: {exchange.error}")

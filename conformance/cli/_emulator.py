"""`emulator`: serve the reference emulator over HTTP until Ctrl-C (or a service manager's stop)."""

from __future__ import annotations

import argparse
from typing import Any

from ._shell import EXIT_CONFORMS, fail
from ._signals import sigterm_as_interrupt
from ._values import positive, split


def add_emulator(commands: Any) -> None:
    emulator = commands.add_parser(
        "emulator",
        help="serve the reference emulator over HTTP",
        description="Serve the in-memory AmplifyBackend emulator until Ctrl-C, at the root and under --stage. "
        "Faults break one operation each (the suite must catch them); quirks are conformant variations (the "
        "suite must pass them).",
    )
    emulator.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)"
    )
    emulator.add_argument("--port", type=int, default=4566, help="port to listen on (default 4566)")
    emulator.add_argument("--stage", default="/prod", help="stage prefix also answered (default /prod)")
    emulator.add_argument("--fault", action="append", metavar="NAME", help="switch on a deliberate fault; repeatable")
    emulator.add_argument(
        "--quirk", action="append", metavar="NAME", help="switch on a conformant variation; repeatable"
    )
    emulator.add_argument(
        "--list-quirks", action="store_true", help="print each quirk: its name, what it does, what allows it"
    )
    emulator.add_argument(
        "--list-faults", action="store_true", help="print each fault: its name, the operation and check it breaks, how"
    )
    emulator.add_argument(
        "--throttle-rps",
        type=positive(float),
        metavar="RPS",
        help="answer 429 above this many requests per second",
    )
    emulator.add_argument("--error-rate", type=float, default=0.0, metavar="P", help="fraction of seeded 504s")
    emulator.add_argument("--seed", type=int, default=0, help="seed of the 504 plan")
    emulator.add_argument("--allow-injection", action="store_true", help="honour the x-emulator-inject request header")
    emulator.set_defaults(handler=cmd_emulator)


def cmd_emulator(args: argparse.Namespace) -> int:
    if args.list_quirks:
        from amplify_emulator import quirks

        for quirk in quirks().values():
            print(f"{quirk.name}  {quirk.description} (allowed by {quirk.allows})")
        return EXIT_CONFORMS
    if args.list_faults:
        from amplify_emulator import FAULTS

        for fault in FAULTS.values():
            print(f"{fault.name}  {fault.operation_id} {fault.check}: {fault.description}")
        return EXIT_CONFORMS
    from amplify_emulator import EmulatorConfig, serve

    try:
        config = EmulatorConfig(
            stage=args.stage,
            faults=frozenset(split(args.fault)),
            quirks=frozenset(split(args.quirk)),
            throttle_rps=args.throttle_rps,
            error_rate=args.error_rate,
            seed=args.seed,
            allow_injection=args.allow_injection,
        )
    except (TypeError, ValueError) as exc:
        return fail(f"bad emulator settings: {exc}")
    try:
        with sigterm_as_interrupt():  # a service manager's stop is a clean stop too
            serve(config, args.host, args.port)
    except KeyboardInterrupt:
        return EXIT_CONFORMS
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    return EXIT_CONFORMS

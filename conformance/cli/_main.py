"""The command line in one place: the parser of every command, and the entry point that turns
whatever goes wrong into one line and an exit code."""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
from collections.abc import Sequence

from ._accept import add_accept
from ._cleanup import add_cleanup
from ._emulator import add_emulator
from ._parity import add_parity
from ._reports import add_replay, add_report
from ._run import add_run
from ._shell import EXIT_NONCONFORMING, PROG, TRACEBACK_ENV, Parser, UsageError, fail


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, for --help and the tests; each command adds its own parser."""
    parser = Parser(prog=PROG, description="Contract tests for the AWS Amplify Admin UI API (AmplifyBackend).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{run,parity,accept,replay,cleanup,emulator,report}", parser_class=Parser
    )
    run = add_run(commands)
    add_parity(commands, run)
    add_accept(commands)
    add_replay(commands)
    add_cleanup(commands)
    add_emulator(commands)
    add_report(commands)
    return parser


def _version() -> str:
    try:
        return importlib.metadata.version("amplify-conformance")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (UsageError, ValueError) as exc:  # the library's word for bad options
        return fail(str(exc))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_NONCONFORMING
    except Exception as exc:  # the contract is one line, never a traceback
        if os.environ.get(TRACEBACK_ENV) == "1":
            raise
        message = str(exc).splitlines()[0] if str(exc) else ""
        return fail(f"{type(exc).__name__}: {message} (set {TRACEBACK_ENV}=1 for the traceback)")

"""What `run` and `parity` both take: the options that say where and how to send (parsed the
same way; each command words its own help), the settings file that can hold them, and the
RunOptions fields they become."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from amplify_conformance import _settings

from ._values import headers, levels, non_negative_float, operations, positive, rate, seed, workers

#: How both commands parse each shared option; the help text is the command's own.
SHARED_OPTIONS: dict[str, dict[str, Any]] = {
    "--base-url": {},
    "--level": {"action": "append", "metavar": "LEVEL"},
    "--operations": {"action": "append", "metavar": "OP[,OP]"},
    "--workers": {"type": workers, "metavar": "N|auto"},
    "--seed": {"type": seed, "metavar": "N|random"},
    "--report-dir": {"type": Path, "metavar": "DIR"},
    "--timeout": {"type": positive(float), "metavar": "SECONDS"},
    "--max-time": {"type": positive(float), "metavar": "SECONDS"},
    "--settle": {"type": non_negative_float, "metavar": "SECONDS"},
    "--rate-limit": {"type": rate, "metavar": "N/s"},
    "--app-id": {},
    "--header": {"action": "append", "metavar": "'NAME: VALUE'"},
    "--region": {},
}


def add_shared(parser: argparse.ArgumentParser, helps: Mapping[str, str]) -> None:
    """Add the shared options named in ``helps``, in its order, each with its help text."""
    for flag, text in helps.items():
        parser.add_argument(flag, help=text, **SHARED_OPTIONS[flag])


def read_settings(args: argparse.Namespace) -> Path | None:
    """Fill the options not given as flags from the settings file; returns the file read.

    The file holds `run`'s keys (``args.parser`` is run's parser for both commands); a command
    takes those it has."""
    found = _settings.find_settings(Path.cwd())
    if found is not None:
        path, table = found
        for dest, value in _settings.run_defaults(path, table, args.parser).items():
            if hasattr(args, dest) and getattr(args, dest) is None:  # a flag this command has, not given
                setattr(args, dest, value)
    args.report_dir = args.report_dir or Path("reports")
    return found[0] if found else None


def shared_run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The RunOptions fields of the shared options that were given (unset ones keep RunOptions' defaults)."""
    given = {
        "levels": levels(args.level),
        "operations": operations(args.operations),
        "seed": args.seed,
        "timeout": args.timeout,
        "time_budget": args.max_time,
        "settle": args.settle,
        "rate_limit": getattr(args, "rate_limit", None),  # a `run` option: parity has no flag for it
        "app_id": args.app_id,
        "headers": headers(args.header),
        "sigv4": args.sigv4,
        "region": args.region,
    }
    options = {k: v for k, v in given.items() if v is not None}
    if args.workers is not None:
        options["workers"] = None if args.workers == "auto" else args.workers  # RunOptions: None is auto
    return options


def naming_settings_file(result: Mapping[str, Any], settings_file: Path | None) -> dict[str, Any]:
    """The result as the reports show it: with the settings file that was read, or None."""
    return {**result, "settings_file": str(settings_file) if settings_file else None}

"""What every command shares: the program's name, its exit codes, errors in one line, and
reports written where they can be."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

from amplify_conformance._reporting import write_reports

from ._signals import signals_deferred

PROG = "amplify-conformance"
EXIT_CONFORMS, EXIT_NONCONFORMING, EXIT_CANNOT_RUN = 0, 1, 2
#: What run's exit codes mean (its --help ends with this).
RUN_EXIT_CODES = (
    "exit codes: 0 every selected operation conforms (or fails only as the --accept file says); "
    "1 at least one operation fails or errs, the run was cut short (--max-time, Ctrl-C), or the "
    "deviations file has an expired entry (with --strict-accept: a stale one); 2 the run could not be "
    "made (bad arguments or settings, the target unreachable, the reports unwritable), said in one line"
)
#: Set to 1 to see the traceback of an unexpected error instead of the one-line message.
TRACEBACK_ENV = "AMPLIFY_CONFORMANCE_TRACEBACK"
FLAG = argparse.BooleanOptionalAction  # --no-X: a flag overrides a settings file either way


class UsageError(Exception):
    """Arguments that parse but make no sense (an unknown operation, a header without a colon)."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the usage block buries the message in CI logs."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CANNOT_RUN, f"{self.prog}: error: {message} (see --help)\n")


def add_report_command(commands: Any, name: str, handler: Any, **texts: str) -> argparse.ArgumentParser:
    """A command that reads one REPORT.json (accept, replay); ``texts``: its help and description."""
    parser = commands.add_parser(name, **texts)
    parser.add_argument("report", type=Path, metavar="REPORT.json", help="a run's report.json")
    parser.set_defaults(handler=handler)
    return parser


def fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_CANNOT_RUN


def exit_code(result: Mapping[str, Any]) -> int:
    """1 if the run was cut short or an operation failed or erred, else 0."""
    if not result.get("complete", True):
        return EXIT_NONCONFORMING
    bad = any(op.get("verdict") in ("fail", "error") for op in result.get("operations", ()))
    return EXIT_NONCONFORMING if bad else EXIT_CONFORMS


def check_writable(report_dir: Path) -> None:
    """Find out before a run, not after it, that its results would have nowhere to go."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=report_dir, prefix=".write-check-"):
        pass


def missing_folders(folder: Path) -> list[Path]:
    """The folders that making ``folder`` would create, innermost first."""
    missing = []
    for path in (Path(folder), *Path(folder).parents):
        if path.exists():
            break
        missing.append(path)
    return missing


def remove_if_empty(folders: list[Path]) -> None:
    """Remove the folders (innermost first) a command made and left empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # not empty, or already gone
            return


def write(result: Mapping[str, Any], report_dir: Path) -> dict[str, Path]:
    """Write the reports even if a second Ctrl-C arrives: the run is over, keep what it found."""
    with signals_deferred():
        return write_reports(result, report_dir)

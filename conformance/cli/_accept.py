"""Known deviations: the `accept` command writes a starting deviations file from a report, and
`run --accept FILE` applies one (read before anything is sent) to what the run found."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from amplify_conformance._reporting import ReportError, load_report

from ._shell import EXIT_CONFORMS, FLAG, UsageError, add_report_command, fail


def add_accept(commands: Any) -> None:
    add_report_command(
        commands,
        "accept",
        cmd_accept,
        help="write a starting deviations file from a report",
        description="Print a deviations file (YAML) with one entry per failing operation and check of "
        "REPORT.json, reason TODO, first-seen and last-seen the report's date: amplify-conformance accept "
        "reports/report.json > deviations.yaml. From a run with --accept, the accepted checks keep their "
        "entries' reason, link, expires and first-seen date (last-seen becomes the report's).",
    )


def add_accept_options(run: argparse.ArgumentParser) -> None:
    """run's --accept FILE and how strictly it holds."""
    run.add_argument(
        "--accept",
        type=Path,
        metavar="FILE",
        help="deviations file (YAML): the failures it names are reported as accepted and do not fail the run",
    )
    run.add_argument(
        "--strict-accept",
        action=FLAG,
        help="fail the run if an entry of --accept is stale (its checks ran and nothing it names failed); "
        "an expired entry fails the run anyway",
    )
    run.add_argument("--allow-todo", action=FLAG, help="let --accept entries keep the reason TODO")


def cmd_accept(args: argparse.Namespace) -> int:
    from amplify_conformance._deviations import starting_file

    try:
        report = load_report(args.report)
    except ReportError as exc:
        return fail(str(exc))
    sys.stdout.write(starting_file(report, source=str(args.report)))
    return EXIT_CONFORMS


def read_deviations(args: argparse.Namespace) -> Any:
    """The deviations file of --accept (None without it); --strict-accept and --allow-todo need it."""
    if args.accept is None:
        for name in ("strict_accept", "allow_todo"):
            if getattr(args, name):
                raise UsageError(f"--{name.replace('_', '-')} needs --accept FILE")
        return None
    from amplify_conformance._deviations import load_deviations

    return load_deviations(args.accept, allow_todo=bool(args.allow_todo))


def accepted(operation: Mapping[str, Any], deviations: Any, levels: Any) -> Mapping[str, Any]:
    """One finished operation as its progress line shows it: its failures that the file names accepted."""
    if deviations is None:
        return operation
    from amplify_conformance._deviations import accept_operation

    return accept_operation(operation, deviations, levels)


def judged(result: Mapping[str, Any], deviations: Any) -> Mapping[str, Any]:
    """The result with the deviations file applied (as it is without one)."""
    if deviations is None:
        return result
    from amplify_conformance._deviations import apply_deviations

    return apply_deviations(result, deviations)


def entry_warnings(result: Mapping[str, Any]) -> list[str]:
    """What the deviations file's entries say of themselves (stale, expired), one warning each."""
    if not result.get("deviations"):
        return []
    from amplify_conformance._deviations import entry_notes

    return entry_notes(result["deviations"])


def deviations_fail(result: Mapping[str, Any], args: argparse.Namespace) -> str | None:
    """Why the deviations file fails the run whatever its checks did (None: it does not): an entry
    past its expires date, or with --strict-accept one that is stale."""
    section = result.get("deviations") or {}
    if section.get("expired"):
        return "the deviations file has expired entries: fix what they name, or renew or remove them"
    if args.strict_accept and section.get("stale"):
        return "--strict-accept: the deviations file names failures that no longer occur"
    return None

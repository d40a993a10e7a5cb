"""`cleanup`: remove what a run left on its target, from its report.json or, for a run that died
without one, from the ledger of created apps it wrote beside the reports as it went."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ._shell import EXIT_CONFORMS, EXIT_NONCONFORMING, FLAG, PROG, fail
from ._values import headers, non_negative_float, positive


def add_cleanup(commands: Any) -> None:
    cleanup = commands.add_parser(
        "cleanup",
        help="remove the apps or environments a run left on its target",
        description="Remove what a run left behind: the apps (with --app-id runs, only the environments it "
        "added, never the app) named in REPORT.json's cleanup, and everything in the ledgers of created apps "
        "(created-*.jsonl) that runs write beside their reports as they go. PATH is a report.json, a ledger or "
        "a reports folder (default reports). Exit 0: nothing is left; 1: something could not be removed "
        "(named with its removal command); 2: PATH names nothing readable.",
    )
    cleanup.add_argument(
        "path",
        type=Path,
        nargs="?",
        default=Path("reports"),
        metavar="PATH",
        help="a run's report.json, a created-*.jsonl ledger, or the folder holding them (default reports)",
    )
    cleanup.add_argument("--base-url", help="send to this URL instead of the one the run was against")
    cleanup.add_argument("--header", action="append", metavar="'NAME: VALUE'", help="extra request header; repeatable")
    cleanup.add_argument("--sigv4", action=FLAG, help="sign with AWS SigV4 (default: as the run was)")
    cleanup.add_argument("--region", help="AWS region for --sigv4 (default: the run's)")
    cleanup.add_argument("--timeout", type=positive(float), default=10.0, metavar="SECONDS", help="per request")
    cleanup.add_argument(
        "--cleanup-time", type=non_negative_float, default=60.0, metavar="SECONDS", help="in all (default 60)"
    )
    cleanup.set_defaults(handler=cmd_cleanup)


def cmd_cleanup(args: argparse.Namespace) -> int:
    from amplify_conformance import LeftBehind, RunOptions, clean_up
    from amplify_conformance._target_for import target_for

    try:
        left = LeftBehind.read(args.path)
    except ValueError as exc:
        return fail(str(exc))
    if left.kind == "emulator":
        print(f"{left.base_url} was the embedded emulator, which ended with its run: nothing to remove")
        return EXIT_CONFORMS
    if not left.things:
        print(f"nothing left behind on {left.base_url}")
        return EXIT_CONFORMS
    sigv4 = left.kind == "sigv4" if args.sigv4 is None else args.sigv4
    options = RunOptions(
        base_url=args.base_url or left.base_url,
        headers=headers(args.header),
        timeout=args.timeout,
        sigv4=sigv4,
        region=args.region or left.region or "us-east-1",
    )
    summary = clean_up(left, target_for(options), args.cleanup_time)
    print(f"{options.base_url}: {summary['detail']}")
    for entry in summary["left_behind"]:
        print(f"  {entry['command']}", file=sys.stderr)
    if summary["left_behind"]:
        print(f"{PROG}: {len(summary['left_behind'])} still on the target (commands above)", file=sys.stderr)
        return EXIT_NONCONFORMING
    return EXIT_CONFORMS

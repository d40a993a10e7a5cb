"""`parity`: two targets, or one and a recording, answer by answer; parity.json, .md, .html."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._shared_options import add_shared, naming_settings_file, read_settings, shared_run_options
from ._shell import EXIT_CONFORMS, EXIT_NONCONFORMING, UsageError, check_writable, fail
from ._signals import signals_deferred, sigterm_as_interrupt
from ._values import split


def add_parity(commands: Any, run: argparse.ArgumentParser) -> None:
    """The `parity` command; ``run`` is run's parser, whose keys the settings file holds."""
    from amplify_conformance._normalise import RULE_NAMES

    parity = commands.add_parser(
        "parity",
        help="compare the answers of two implementations (or one and a recording)",
        description="Send the deterministic plan (matrix, not-found probes, state workflows, CORS; no fuzzing) to "
        "--base-url and to --against, or compare --base-url with --against-recording FILE (made by run --record), "
        "and write parity.json, parity.md and parity.html. Exit 0 when nothing differs at the chosen levels, "
        "1 otherwise, 2 when parity cannot be made.",
    )
    add_shared(parity, {"--base-url": "side A, stage prefix included (or base-url in the settings file)"})
    against = parity.add_mutually_exclusive_group(required=True)
    against.add_argument("--against", metavar="URL", help="side B: another implementation, stage prefix included")
    against.add_argument("--against-recording", type=Path, metavar="FILE", help="side B: a recording (run --record)")
    add_shared(parity, {"--level": "levels of difference that count", "--operations": "only these operationIds"})
    parity.add_argument(
        "--no-normalise",
        action="append",
        metavar="NAME",
        help=f"compare what rule NAME takes out; repeatable or comma-separated ({', '.join(RULE_NAMES)})",
    )
    add_shared(
        parity,
        {
            "--report-dir": "default reports/",
            "--workers": "parallel workers per side",
            "--seed": "seed of the runs, N or random (default: a recording's own, else the fixed default seed)",
            "--timeout": "bound on one exchange",
            "--max-time": "time budget of each side",
            "--settle": "how long a read-back polls (as for run)",
            "--app-id": "use this existing app on both sides instead of creating apps",
            "--header": "extra request header",
        },
    )
    parity.add_argument(
        "--sigv4", action="store_true", default=None, help="sign the requests of both sides with AWS SigV4"
    )
    add_shared(parity, {"--region": "AWS region for --sigv4"})
    # the settings file holds run's keys; parity takes those it shares with run (side A's target)
    parity.set_defaults(handler=cmd_parity, parser=run)


def cmd_parity(args: argparse.Namespace) -> int:
    import amplify_conformance
    from amplify_conformance._normalise import RULE_NAMES
    from amplify_conformance._reporting import parity_summary_line, write_parity_reports

    try:
        settings_file = read_settings(args)
    except ValueError as exc:
        return fail(str(exc))
    if args.base_url is None:
        raise UsageError("parity needs --base-url (side A), or base-url in the settings file")
    off = frozenset(split(args.no_normalise))
    unknown = sorted(off - set(RULE_NAMES))
    if unknown:
        raise UsageError(f"unknown normalisation rule {unknown[0]!r}; known: {', '.join(RULE_NAMES)}")
    common = shared_run_options(args)
    side_a = amplify_conformance.RunOptions(base_url=args.base_url, **common)
    side_b = amplify_conformance.RunOptions(base_url=args.against, **common) if args.against else None
    options = amplify_conformance.ParityOptions(
        a=side_a, b=side_b, recording=args.against_recording, levels=side_a.levels, no_normalise=off
    )
    try:
        check_writable(args.report_dir)
    except OSError as exc:
        return fail(f"cannot write reports to {args.report_dir}: {exc.strerror or exc}")
    with sigterm_as_interrupt():
        try:
            outcome = amplify_conformance.parity(options)
        except amplify_conformance.ParityError as exc:
            return fail(str(exc))
    result = naming_settings_file(outcome.to_dict(), settings_file)
    with signals_deferred():
        paths = write_parity_reports(result, args.report_dir)
    print(parity_summary_line(result), flush=True)
    for op in result["operations"]:
        if op["verdict"] == "differ":
            print(f"DIFFER  {op['operationId']}  ({len(op['differences'])} differences)")
    print(f"reports: {', '.join(str(p) for p in paths.values())}")
    return EXIT_NONCONFORMING if outcome.differs else EXIT_CONFORMS

"""Commands over finished reports: `report diff` (the real changes, regressions first), `report
merge` (shards and machines into one report), `report matrix` (several runs side by side) and
`replay` (send a report's failing requests again)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from amplify_conformance._reporting import (
    ReportError,
    diff_reports,
    load_report,
    render_diff,
    render_diff_markdown,
    render_matrix_html,
    render_matrix_markdown,
    summary_line,
)

from ._shell import (
    EXIT_CANNOT_RUN,
    EXIT_CONFORMS,
    EXIT_NONCONFORMING,
    Parser,
    add_report_command,
    exit_code,
    fail,
    write,
)
from ._values import positive


def add_replay(commands: Any) -> None:
    replay = add_report_command(
        commands,
        "replay",
        cmd_replay,
        help="send a report's failing requests again and say which still fail",
        description="Re-send every failing request recorded in REPORT.json (campaign groups included) and "
        "judge each answer again. Exit 1 if any still fails.",
    )
    replay.add_argument("--base-url", help="send to this implementation instead of the report's target")
    replay.add_argument(
        "--timeout",
        type=positive(float),
        default=10.0,
        metavar="SECONDS",
        help="bound on one exchange in total (default 10)",
    )


def add_report(commands: Any) -> None:
    report = commands.add_parser("report", help="work with report.json files")
    report_commands = report.add_subparsers(
        dest="report_command", required=True, metavar="{diff,merge,matrix}", parser_class=Parser
    )
    diff = report_commands.add_parser(
        "diff",
        help="what changed between two runs: new failures, newly not judged, fixed",
        description="Print the real changes from run A to run B: checks that newly fail, that can newly not "
        "be judged (regressions), and that failed and now pass (fixed). A verdict moving between pass, "
        "skipped and absent is no change. Exit codes: 0 no regression, 1 a regression, 2 a report "
        "cannot be read.",
    )
    diff.add_argument("before", type=Path, metavar="A.json", help="the earlier run's report.json")
    diff.add_argument("after", type=Path, metavar="B.json", help="the later run's report.json")
    diff.add_argument(
        "--markdown",
        type=Path,
        metavar="FILE",
        help="also write the changes as Markdown to FILE (for a CI job summary or a pull request comment)",
    )
    diff.set_defaults(handler=cmd_report_diff)
    merge = report_commands.add_parser(
        "merge",
        help="merge partial results (shards, machines) into one report",
        description="Merge several report.json files into one, written in every report format to --report-dir.",
    )
    merge.add_argument("parts", type=Path, nargs="+", metavar="PART.json", help="the partial results' report.json")
    merge.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where the merged reports go (default reports/)",
    )
    merge.set_defaults(handler=cmd_report_merge)
    matrix = report_commands.add_parser(
        "matrix",
        help="several runs side by side: operations by implementations, in one HTML page and a Markdown table",
        description="Build one static HTML page from N report.json files (one per implementation): each "
        "operation's verdict in each run (pass, fail, accepted, error), linked to that run's report.html and "
        "listing what failed, and per-level totals; print the same as a Markdown table. A column is named "
        "after the folder of its report.json. Exit 0, or 2 when a report cannot be read or the page written.",
    )
    matrix.add_argument("reports", type=Path, nargs="+", metavar="REPORT.json", help="one run's report.json each")
    matrix.add_argument(
        "--out", type=Path, default=Path("matrix.html"), metavar="FILE", help="the HTML page (default matrix.html)"
    )
    matrix.set_defaults(handler=cmd_report_matrix)


def cmd_report_diff(args: argparse.Namespace) -> int:
    try:
        before, after = load_report(args.before), load_report(args.after)
    except ReportError as exc:
        return fail(str(exc))
    diff = diff_reports(before, after)
    sys.stdout.write(render_diff(diff))
    if args.markdown is not None:
        try:
            args.markdown.write_text(render_diff_markdown(diff, str(args.before), str(args.after)), encoding="utf-8")
        except OSError as exc:
            return fail(f"cannot write {args.markdown}: {exc.strerror or exc}")
    return EXIT_NONCONFORMING if diff.regressions else EXIT_CONFORMS


def cmd_report_matrix(args: argparse.Namespace) -> int:
    try:
        reports = [(path, load_report(path)) for path in args.reports]
    except ReportError as exc:
        return fail(str(exc))
    try:
        args.out.write_text(render_matrix_html(reports, args.out.parent), encoding="utf-8")
    except OSError as exc:
        return fail(f"cannot write {args.out}: {exc.strerror or exc}")
    sys.stdout.write(render_matrix_markdown(reports, args.out.parent))
    return EXIT_CONFORMS


def cmd_report_merge(args: argparse.Namespace) -> int:
    from amplify_conformance._merge import merge_results

    try:
        parts = [load_report(path) for path in args.parts]
    except ReportError as exc:
        return fail(str(exc))
    result = merge_results(parts)
    try:
        paths = write(result, args.report_dir)
    except OSError as exc:
        return fail(f"cannot write reports to {args.report_dir}: {exc.strerror or exc}")
    print(summary_line(result))
    print(f"reports: {', '.join(str(p) for p in paths.values())}")
    return exit_code(result)


def cmd_replay(args: argparse.Namespace) -> int:
    from amplify_conformance._replay import replay

    try:
        report = load_report(args.report)
    except ReportError as exc:
        return fail(str(exc))
    outcomes = replay(report, base_url=args.base_url, timeout=args.timeout)
    for outcome in outcomes:
        print(f"{outcome['outcome'].upper():<15} {outcome['operation']} {outcome['check']}: {outcome['detail']}")
    still = sum(o["outcome"] == "still fails" for o in outcomes)
    counts = {
        name: sum(o["outcome"] == name for o in outcomes) for name in ("passes now", "not replayable", "no answer")
    }
    print(
        f"{len(outcomes)} failing requests replayed: {still} still fail, "
        + ", ".join(f"{n} {k}" for k, n in counts.items())
    )
    if still:
        return EXIT_NONCONFORMING
    return EXIT_CANNOT_RUN if outcomes and counts["no answer"] == len(outcomes) else EXIT_CONFORMS

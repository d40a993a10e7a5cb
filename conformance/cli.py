"""The ``amplify-conformance`` command: a thin shell over the library.

It parses arguments (over the settings file, if one is found), calls ``amplify_conformance.run``
(or the emulator, the report diff, or the starting deviations file), applies the deviations file
to the result and turns it into reports and an exit code: 0 every selected operation conforms
(accepted failures aside), 1 at least one does not (or the run was cut short), 2 the run could
not be made. Failures to run are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import re
import signal
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from amplify_conformance import _settings
from amplify_conformance._reporting import (
    LEVELS,
    ReportError,
    diff_reports,
    load_report,
    render_diff,
    summary_line,
    write_reports,
)

PROG = "amplify-conformance"
EXIT_CONFORMS, EXIT_NONCONFORMING, EXIT_CANNOT_RUN = 0, 1, 2
#: Set to 1 to see the traceback of an unexpected error instead of the one-line message.
TRACEBACK_ENV = "AMPLIFY_CONFORMANCE_TRACEBACK"


class UsageError(Exception):
    """Arguments that parse but make no sense (an unknown operation, a header without a colon)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the usage block buries the message in CI logs."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CANNOT_RUN, f"{self.prog}: error: {message} (see --help)\n")


def _fail(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_CANNOT_RUN


# ---------------------------------------------------------------------------------------
# Argument values


def _split(values: Sequence[str] | None) -> list[str]:
    """Repeatable options that also take comma lists: ``--level schema,aws --level behaviour``."""
    return [item.strip() for value in values or () for item in value.split(",") if item.strip()]


def _levels(values: Sequence[str] | None) -> tuple[str, ...]:
    chosen = _split(values) or ["all"]
    unknown = [v for v in chosen if v not in (*LEVELS, "all")]
    if unknown:
        raise UsageError(f"unknown level {unknown[0]!r}; choose from {', '.join(LEVELS)} or all")
    return LEVELS if "all" in chosen else tuple(lv for lv in LEVELS if lv in chosen)


def _operations(values: Sequence[str] | None) -> tuple[str, ...] | None:
    """Operation ids checked against the spec, so a typo is an error rather than an empty run."""
    chosen = _split(values)
    if not chosen:
        return None
    import amplify_openapi

    known = [op.operation_id for op in amplify_openapi.operations()]
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise UsageError(f"unknown operation {unknown[0]!r} (see the spec's operationIds, e.g. {known[0]})")
    return tuple(dict.fromkeys(chosen))


def _headers(values: Sequence[str] | None) -> dict[str, str]:
    headers = {}
    for value in values or ():
        name, colon, content = value.partition(":")
        if not colon or not name.strip():
            raise UsageError(f"--header {value!r} is not 'Name: value'")
        headers[name.strip()] = content.strip()
    return headers


def _workers(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        workers = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number or 'auto'") from None
    if workers < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return workers


def _positive(kind: type) -> Any:
    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a {kind.__name__}") from None
        if number <= 0:
            raise argparse.ArgumentTypeError(f"{value!r} must be positive")
        return number

    return parse


def _non_negative_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} must be a finite number of seconds, 0 or more")
    return number


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")


def _duration(value: str) -> float:
    """``90s``, ``30m``, ``2h`` or plain seconds."""
    match = _DURATION.match(value)
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a duration such as 90s, 30m or 2h")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, in one place for --help and the tests."""
    parser = _Parser(prog=PROG, description="Contract tests for the AWS Amplify Admin UI API (AmplifyBackend).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{run,parity,accept,replay,emulator,report}", parser_class=_Parser
    )

    run = commands.add_parser(
        "run",
        help="run the conformance suite and write reports",
        description="Run the suite against --base-url (default: the embedded emulator). Every option may also "
        f"be set in [tool.{_settings.TABLE}] of pyproject.toml or in {_settings.FILE_NAME} (found upward from "
        "the working directory); flags override it.",
    )
    run.add_argument("--base-url", help="implementation to test, stage prefix included (default: embedded emulator)")
    run.add_argument(
        "--level",
        action="append",
        metavar="LEVEL",
        help="schema, behaviour, aws or all (default); repeatable or comma-separated",
    )
    run.add_argument(
        "--operations",
        action="append",
        metavar="OP[,OP]",
        help="only these operationIds; repeatable or comma-separated",
    )
    run.add_argument("--max-examples", type=_positive(int), metavar="N", help="hypothesis examples per case")
    run.add_argument("--workers", type=_workers, metavar="N|auto", help="parallel workers (default auto)")
    run.add_argument("--seed", type=int, help="hypothesis seed, for reproducing a run")
    run.add_argument(
        "--report-dir",
        type=Path,
        metavar="DIR",
        help="where report.json, junit.xml, report.md and report.html go (default reports/)",
    )
    run.add_argument(
        "--timeout",
        type=_positive(float),
        metavar="SECONDS",
        help="bound on one exchange in total: connect, status line, headers and body (default 10)",
    )
    run.add_argument(
        "--max-time",
        type=_positive(float),
        metavar="SECONDS",
        help="time budget of the whole run (default 900): then it stops sending, writes its reports "
        "marked incomplete and exits 1; cleanup gets 10 s more",
    )
    run.add_argument(
        "--settle",
        type=_non_negative_float,
        metavar="SECONDS",
        help="how long a read-back polls (with backoff) for what a write announced before it judges; for "
        "asynchronous, eventually consistent targets (default 10 against a URL, 5 against the embedded emulator)",
    )
    run.add_argument("--app-id", help="use this existing app instead of creating one")
    run.add_argument("--header", action="append", metavar="'NAME: VALUE'", help="extra request header; repeatable")
    flag = argparse.BooleanOptionalAction  # --no-X: a flag overrides a settings file either way
    run.add_argument("--sigv4", action=flag, help="sign requests with AWS SigV4 (standard credential chain)")
    run.add_argument("--region", help="AWS region for --sigv4")
    run.add_argument("--fuzz", action=flag, help="longer fuzzing with hostile inputs")
    run.add_argument("--quiet", action=flag, help="print only the final summary line")
    # --- fuzzing campaigns (issue 15)
    run.add_argument(
        "--duration",
        type=_duration,
        metavar="90s|30m|2h",
        help="with --fuzz: keep generating until this much time has passed, then write the reports "
        "(the time budget grows to fit unless --max-time is given)",
    )
    run.add_argument(
        "--rounds",
        type=_positive(int),
        metavar="N",
        help="with --fuzz: a campaign of N rounds (each with a fresh seed), the same examples on any machine; "
        "with --duration, whichever ends first",
    )
    run.add_argument(
        "--db",
        type=Path,
        metavar="DIR",
        help="with --fuzz: hypothesis's example database, whose failing examples are replayed first "
        "(default REPORT_DIR/fuzz-db)",
    )
    # --- known deviations (issue 13)
    run.add_argument(
        "--accept",
        type=Path,
        metavar="FILE",
        help="deviations file (YAML): the failures it names are reported as accepted and do not fail the run",
    )
    run.add_argument("--strict-accept", action=flag, help="fail the run if an entry of --accept is stale or expired")
    run.add_argument("--allow-todo", action=flag, help="let --accept entries keep the reason TODO")
    # --- parity (issue 14)
    run.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="also write every exchange of the deterministic plan, normalised, to FILE (.gz: compressed), "
        "for parity --against-recording",
    )
    run.set_defaults(handler=_cmd_run, parser=run)
    _add_parity(commands, run)

    accept = commands.add_parser(
        "accept",
        help="write a starting deviations file from a report",
        description="Print a deviations file (YAML) with one entry per failing operation and check of "
        "REPORT.json, reason TODO: amplify-conformance accept reports/report.json > deviations.yaml",
    )
    accept.add_argument("report", type=Path, metavar="REPORT.json")
    accept.set_defaults(handler=_cmd_accept)
    # ---

    replay = commands.add_parser(
        "replay",
        help="send a report's failing requests again and say which still fail",
        description="Re-send every failing request recorded in REPORT.json (campaign groups included) and "
        "judge each answer again. Exit 1 if any still fails.",
    )
    replay.add_argument("report", type=Path, metavar="REPORT.json")
    replay.add_argument("--base-url", help="send to this implementation instead of the report's target")
    replay.add_argument("--timeout", type=_positive(float), default=10.0, metavar="SECONDS")
    replay.set_defaults(handler=_cmd_replay)

    emulator = commands.add_parser(
        "emulator",
        help="serve the reference emulator over HTTP",
        description="Serve the in-memory AmplifyBackend emulator until Ctrl-C.",
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=4566)
    emulator.add_argument("--stage", default="/prod", help="stage prefix also answered (default /prod)")
    emulator.add_argument("--fault", action="append", metavar="NAME", help="switch on a deliberate fault; repeatable")
    emulator.add_argument(
        "--quirk", action="append", metavar="NAME", help="switch on a conformant variation; repeatable"
    )
    emulator.add_argument(
        "--list-quirks", action="store_true", help="print each quirk: its name, what it does, what allows it"
    )
    emulator.add_argument(
        "--throttle-rps",
        type=_positive(float),
        metavar="RPS",
        help="answer 429 above this many requests per second",
    )
    emulator.add_argument("--error-rate", type=float, default=0.0, metavar="P", help="fraction of seeded 504s")
    emulator.add_argument("--seed", type=int, default=0, help="seed of the 504 plan")
    emulator.add_argument("--allow-injection", action="store_true", help="honour the x-emulator-inject request header")
    emulator.set_defaults(handler=_cmd_emulator)

    report = commands.add_parser("report", help="work with report.json files")
    report_commands = report.add_subparsers(
        dest="report_command", required=True, metavar="{diff,merge}", parser_class=_Parser
    )
    diff = report_commands.add_parser(
        "diff",
        help="verdict changes between two runs, regressions first",
        description="Exit 1 if B regressed against A.",
    )
    diff.add_argument("before", type=Path, metavar="A.json")
    diff.add_argument("after", type=Path, metavar="B.json")
    diff.set_defaults(handler=_cmd_report_diff)
    merge = report_commands.add_parser(
        "merge",
        help="merge partial results (shards, machines) into one report",
        description="Merge several report.json files into one, written in the four formats to --report-dir.",
    )
    merge.add_argument("parts", type=Path, nargs="+", metavar="PART.json")
    merge.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR")
    merge.set_defaults(handler=_cmd_report_merge)
    return parser


# ---------------------------------------------------------------------------------------
# run


def _version() -> str:
    try:
        return importlib.metadata.version("amplify-conformance")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------------------------------
# Settings file and deviations file (issue 13): read before anything is sent


def _read_settings(args: argparse.Namespace) -> Path | None:
    """Fill the options not given as flags from the settings file; returns the file read."""
    found = _settings.find_settings(Path.cwd())
    if found is not None:
        path, table = found
        for dest, value in _settings.run_defaults(path, table, args.parser).items():
            if hasattr(args, dest) and getattr(args, dest) is None:  # a flag this command has, not given
                setattr(args, dest, value)
    args.report_dir = args.report_dir or Path("reports")
    return found[0] if found else None


def _read_deviations(args: argparse.Namespace) -> Any:
    if args.accept is None:
        for name in ("strict_accept", "allow_todo"):
            if getattr(args, name):
                raise UsageError(f"--{name.replace('_', '-')} needs --accept FILE")
        return None
    from amplify_conformance._deviations import load_deviations

    return load_deviations(args.accept, allow_todo=bool(args.allow_todo))


def _judged(result: Mapping[str, Any], deviations: Any, settings_file: Path | None) -> dict[str, Any]:
    """The result as the reports show it: deviations applied, the settings file named."""
    if deviations is not None:
        from amplify_conformance._deviations import apply_deviations

        result = apply_deviations(result, deviations)
    return {**result, "settings_file": str(settings_file) if settings_file else None}


def _strict_accept_fails(result: Mapping[str, Any], args: argparse.Namespace) -> bool:
    section = result.get("deviations") or {}
    return bool(args.strict_accept) and bool(section.get("stale") or section.get("expired"))


def _cmd_accept(args: argparse.Namespace) -> int:
    from amplify_conformance._deviations import starting_file

    try:
        report = load_report(args.report)
    except ReportError as exc:
        return _fail(str(exc))
    sys.stdout.write(starting_file(report, source=str(args.report)))
    return EXIT_CONFORMS


# ---------------------------------------------------------------------------------------


def _run_options(args: argparse.Namespace) -> Any:
    """RunOptions from the parsed arguments: the only place that knows both shapes."""
    from amplify_conformance import RunOptions

    if args.sigv4 and not args.base_url:
        raise UsageError("--sigv4 needs --base-url (e.g. https://amplifybackend.us-east-1.amazonaws.com)")
    given = {
        "base_url": args.base_url,
        "levels": _levels(args.level),
        "operations": _operations(args.operations),
        "max_examples": args.max_examples,
        "seed": args.seed,
        "timeout": args.timeout,
        "time_budget": args.max_time,
        "settle": args.settle,
        "app_id": args.app_id,
        "headers": _headers(args.header),
        "sigv4": args.sigv4,
        "region": args.region,
        "fuzz": args.fuzz,
        **_campaign_options(args),
    }
    # Unset options keep RunOptions' own defaults; base_url None means the embedded emulator.
    options = {k: v for k, v in given.items() if v is not None or k == "base_url"}
    if args.workers is not None:
        options["workers"] = None if args.workers == "auto" else args.workers  # RunOptions: None is auto
    return RunOptions(**options)


def _campaign_options(args: argparse.Namespace) -> dict[str, Any]:
    """--duration, --rounds and --db: the campaign's length, its database, a budget to fit."""
    if not args.fuzz:
        given = next((name for name in ("duration", "rounds", "db") if getattr(args, name) is not None), None)
        if given is not None:
            raise UsageError(f"--{given} needs --fuzz")
        return {}
    options: dict[str, Any] = {"database": str(args.db or Path(args.report_dir) / "fuzz-db"), "rounds": args.rounds}
    if args.duration is not None:
        options["duration"] = args.duration
        if args.max_time is None:  # room for the last requests and the cleanup after the campaign
            options["time_budget"] = max(900.0, args.duration + 2 * (args.timeout or 10.0))
    return options


def _as_dict(value: Any) -> dict[str, Any]:
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


def progress_line(operation: Mapping[str, Any]) -> str:
    """One line per finished operation: its verdict, and the checks that did not pass."""
    verdict = operation.get("verdict", "error")
    failing = [
        f"{c.get('name')}={c.get('verdict')}"
        for c in operation.get("checks", ())
        if c.get("verdict") in ("fail", "error")
    ]
    line = f"{verdict.upper():<7} {operation.get('operationId', '?')}"
    return line + (f"  ({', '.join(failing)})" if failing else "")


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM takes the Ctrl-C path, so the runner returns its partial result either way."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _exit_code(result: Mapping[str, Any]) -> int:
    if not result.get("complete", True):
        return EXIT_NONCONFORMING
    bad = any(op.get("verdict") in ("fail", "error") for op in result.get("operations", ()))
    return EXIT_NONCONFORMING if bad else EXIT_CONFORMS


def _cmd_run(args: argparse.Namespace) -> int:
    import amplify_conformance

    try:
        settings_file = _read_settings(args)
        deviations = _read_deviations(args)
    except ValueError as exc:  # SettingsError, DeviationsError: file, line and what, before anything is sent
        return _fail(str(exc))
    options = _run_options(args)

    display = _display(args)

    def progress(operation: Any) -> None:
        if not args.quiet:
            operation = _as_dict(operation)
            if deviations is not None:
                from amplify_conformance._deviations import accept_operation

                operation = accept_operation(operation, deviations, getattr(options, "levels", ()))
            if display:
                display.line(progress_line(operation))
            else:
                print(progress_line(operation), flush=True)

    try:  # find out now, not after the run, that its results would have nowhere to go
        _check_writable(args.report_dir)
    except OSError as exc:
        return _fail(f"cannot write reports to {args.report_dir}: {exc.strerror or exc}")
    try:
        if args.record is not None:
            _check_writable(args.record.parent)
    except OSError as exc:
        return _fail(f"cannot write the recording to {args.record.parent}: {exc.strerror or exc}")
    recorder = amplify_conformance.Recorder(options.app_id) if args.record is not None else None
    unreachable = getattr(amplify_conformance, "TargetUnreachable", None) or type("_Never", (Exception,), {})
    with _sigterm_as_interrupt(), display or contextlib.nullcontext():
        try:
            extra = {"tick": display.tick} if display else {}
            if recorder is not None:
                extra["recorder"] = recorder
            outcome = amplify_conformance.run(options, progress=progress, **extra)
        except unreachable as exc:
            partial = getattr(exc, "result", None)
            if partial is not None:
                _write(_judged(_as_dict(partial), deviations, settings_file), args.report_dir)
            message = str(exc) or type(exc).__name__
            return _fail(message if message.startswith("target unreachable") else f"target unreachable: {message}")
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted before the run produced a result; no reports written", file=sys.stderr)
            return EXIT_NONCONFORMING
    result = _judged(_as_dict(outcome), deviations, settings_file)
    try:
        paths = _write(result, args.report_dir)
    except OSError as exc:  # the folder went away mid-run: keep the results somewhere
        fallback = Path(tempfile.mkdtemp(prefix="amplify-conformance-"))
        _write(result, fallback)
        print(summary_line(result), flush=True)
        return _fail(f"cannot write reports to {args.report_dir}: {exc.strerror or exc}; written to {fallback}")
    print(summary_line(result), flush=True)
    if not args.quiet:
        if result.get("fuzz"):
            print(_campaign_lines(result["fuzz"]), flush=True)
        print(f"reports: {', '.join(str(p) for p in paths.values())}")
    if recorder is not None:
        try:
            recorded = amplify_conformance.write_recording(recorder, options, result, args.record)
        except OSError as exc:
            return _fail(f"cannot write the recording {args.record}: {exc.strerror or exc}")
        print(f"recording: {recorded} ({len(recorder.entries())} exchanges)")
    if result.get("deviations"):
        from amplify_conformance._deviations import entry_notes

        for note in entry_notes(result["deviations"]):
            print(f"{PROG}: warning: {note}", file=sys.stderr)
    if _strict_accept_fails(result, args):
        print(f"{PROG}: --strict-accept: the deviations file names failures that no longer occur", file=sys.stderr)
        return EXIT_NONCONFORMING
    return _exit_code(result)


def _display(args: argparse.Namespace) -> Any:
    """The campaign's live view for --fuzz runs (None otherwise: operation lines only)."""
    if not args.fuzz:
        return None
    from amplify_conformance._progress import CampaignDisplay

    return CampaignDisplay(quiet=bool(args.quiet))


def _campaign_lines(fuzz: Mapping[str, Any]) -> str:
    """The campaign's figures and each distinct failure, one line each, after the summary."""
    from amplify_conformance._progress import describe

    lines = [describe({**fuzz, "remaining": None, "duration": None})]
    for group in fuzz.get("groups", ()):
        body = ((group.get("example") or {}).get("request") or {}).get("body")
        lines.append(
            f"  {group['operation']} {group['check']}: {group['seen']} x{group['count']}"
            + (f"; {'minimal' if group.get('shrunk') else 'smallest'} example body {body}" if body else "")
        )
    return "\n".join(lines)


def _check_writable(report_dir: Path) -> None:
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=report_dir, prefix=".write-check-"):
        pass


def _write(result: Mapping[str, Any], report_dir: Path) -> dict[str, Path]:
    """Write the reports even if a second Ctrl-C arrives: the run is over, keep what it found."""
    with _signals_deferred():
        return write_reports(result, report_dir)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    try:
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# ---------------------------------------------------------------------------------------
# parity (issue 14): two targets, or one and a recording, answer by answer


def _add_parity(commands: Any, run: argparse.ArgumentParser) -> None:
    from amplify_conformance._normalise import RULE_NAMES

    parity = commands.add_parser(
        "parity",
        help="compare the answers of two implementations (or one and a recording)",
        description="Send the deterministic plan (matrix, not-found probes, state workflows, CORS; no fuzzing) to "
        "--base-url and to --against, or compare --base-url with --against-recording FILE (made by run --record), "
        "and write parity.json, parity.md and parity.html. Exit 0 when nothing differs at the chosen levels, "
        "1 otherwise, 2 when parity cannot be made.",
    )
    parity.add_argument("--base-url", help="side A, stage prefix included (or base-url in the settings file)")
    against = parity.add_mutually_exclusive_group(required=True)
    against.add_argument("--against", metavar="URL", help="side B: another implementation, stage prefix included")
    against.add_argument("--against-recording", type=Path, metavar="FILE", help="side B: a recording (run --record)")
    parity.add_argument("--level", action="append", metavar="LEVEL", help="levels of difference that count")
    parity.add_argument("--operations", action="append", metavar="OP[,OP]", help="only these operationIds")
    parity.add_argument(
        "--no-normalise",
        action="append",
        metavar="NAME",
        help=f"compare what rule NAME takes out; repeatable or comma-separated ({', '.join(RULE_NAMES)})",
    )
    parity.add_argument("--report-dir", type=Path, metavar="DIR", help="default reports/")
    parity.add_argument("--workers", type=_workers, metavar="N|auto", help="parallel workers per side")
    parity.add_argument("--seed", type=int, help="seed of the runs (a recording's own by default)")
    parity.add_argument("--timeout", type=_positive(float), metavar="SECONDS", help="bound on one exchange")
    parity.add_argument("--max-time", type=_positive(float), metavar="SECONDS", help="time budget of each side")
    parity.add_argument(
        "--settle", type=_non_negative_float, metavar="SECONDS", help="how long a read-back polls (as for run)"
    )
    parity.add_argument("--app-id", help="use this existing app on both sides instead of creating apps")
    parity.add_argument("--header", action="append", metavar="'NAME: VALUE'", help="extra request header")
    parity.add_argument(
        "--sigv4", action="store_true", default=None, help="sign the requests of both sides with AWS SigV4"
    )
    parity.add_argument("--region", help="AWS region for --sigv4")
    # the settings file holds run's keys; parity takes those it shares with run (side A's target)
    parity.set_defaults(handler=_cmd_parity, parser=run)


def _cmd_parity(args: argparse.Namespace) -> int:
    import amplify_conformance
    from amplify_conformance._normalise import RULE_NAMES
    from amplify_conformance._reporting import parity_summary_line, write_parity_reports

    try:
        settings_file = _read_settings(args)
    except ValueError as exc:
        return _fail(str(exc))
    if args.base_url is None:
        raise UsageError("parity needs --base-url (side A), or base-url in the settings file")
    off = frozenset(_split(args.no_normalise))
    unknown = sorted(off - set(RULE_NAMES))
    if unknown:
        raise UsageError(f"unknown normalisation rule {unknown[0]!r}; known: {', '.join(RULE_NAMES)}")
    common = {
        "levels": _levels(args.level),
        "operations": _operations(args.operations),
        "seed": args.seed,
        "timeout": args.timeout,
        "time_budget": args.max_time,
        "settle": args.settle,
        "app_id": args.app_id,
        "headers": _headers(args.header),
        "sigv4": args.sigv4 or None,
        "region": args.region,
    }
    common = {k: v for k, v in common.items() if v is not None}
    if args.workers is not None:
        common["workers"] = None if args.workers == "auto" else args.workers
    side_a = amplify_conformance.RunOptions(base_url=args.base_url, **common)
    side_b = amplify_conformance.RunOptions(base_url=args.against, **common) if args.against else None
    options = amplify_conformance.ParityOptions(
        a=side_a, b=side_b, recording=args.against_recording, levels=side_a.levels, no_normalise=off
    )
    try:
        _check_writable(args.report_dir)
    except OSError as exc:
        return _fail(f"cannot write reports to {args.report_dir}: {exc.strerror or exc}")
    with _sigterm_as_interrupt():
        try:
            outcome = amplify_conformance.parity(options)
        except amplify_conformance.ParityError as exc:
            return _fail(str(exc))
    result = {**outcome.to_dict(), "settings_file": str(settings_file) if settings_file else None}
    with _signals_deferred():
        paths = write_parity_reports(result, args.report_dir)
    print(parity_summary_line(result), flush=True)
    for op in result["operations"]:
        if op["verdict"] == "differ":
            print(f"DIFFER  {op['operationId']}  ({len(op['differences'])} differences)")
    print(f"reports: {', '.join(str(p) for p in paths.values())}")
    return EXIT_NONCONFORMING if outcome.differs else EXIT_CONFORMS


# ---------------------------------------------------------------------------------------
# emulator and report diff


def _cmd_emulator(args: argparse.Namespace) -> int:
    if args.list_quirks:
        from amplify_emulator import quirks

        for quirk in quirks().values():
            print(f"{quirk.name}  {quirk.description} (allowed by {quirk.allows})")
        return EXIT_CONFORMS
    from amplify_emulator import EmulatorConfig, serve

    try:
        config = EmulatorConfig(
            stage=args.stage,
            faults=frozenset(_split(args.fault)),
            quirks=frozenset(_split(args.quirk)),
            throttle_rps=args.throttle_rps,
            error_rate=args.error_rate,
            seed=args.seed,
            allow_injection=args.allow_injection,
        )
    except (TypeError, ValueError) as exc:
        return _fail(f"bad emulator settings: {exc}")
    try:
        with _sigterm_as_interrupt():  # a service manager's stop is a clean stop too
            serve(config, args.host, args.port)
    except KeyboardInterrupt:
        return EXIT_CONFORMS
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    return EXIT_CONFORMS


def _cmd_report_diff(args: argparse.Namespace) -> int:
    try:
        before, after = load_report(args.before), load_report(args.after)
    except ReportError as exc:
        return _fail(str(exc))
    diff = diff_reports(before, after)
    sys.stdout.write(render_diff(diff))
    return EXIT_NONCONFORMING if diff.regressions else EXIT_CONFORMS


def _cmd_report_merge(args: argparse.Namespace) -> int:
    from amplify_conformance._merge import merge_results

    try:
        parts = [load_report(path) for path in args.parts]
    except ReportError as exc:
        return _fail(str(exc))
    result = merge_results(parts)
    try:
        paths = _write(result, args.report_dir)
    except OSError as exc:
        return _fail(f"cannot write reports to {args.report_dir}: {exc.strerror or exc}")
    print(summary_line(result))
    print(f"reports: {', '.join(str(p) for p in paths.values())}")
    return _exit_code(result)


def _cmd_replay(args: argparse.Namespace) -> int:
    from amplify_conformance._replay import replay

    try:
        report = load_report(args.report)
    except ReportError as exc:
        return _fail(str(exc))
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


# ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (UsageError, ValueError) as exc:  # the library's word for bad options
        return _fail(str(exc))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_NONCONFORMING
    except Exception as exc:  # the contract is one line, never a traceback
        if os.environ.get(TRACEBACK_ENV) == "1":
            raise
        message = str(exc).splitlines()[0] if str(exc) else ""
        return _fail(f"{type(exc).__name__}: {message} (set {TRACEBACK_ENV}=1 for the traceback)")


if __name__ == "__main__":
    sys.exit(main())

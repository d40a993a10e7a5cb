"""`run`: the suite against one target, its reports, and an exit code.

Options come from the flags over the settings file; the deviations file is read before anything
is sent; the library's ``amplify_conformance.run`` does the work; the reports are written even
when the run was cut short or the target went away, and a recording (--record) beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Any

from amplify_conformance import _settings
from amplify_conformance._options import DEFAULT_SEED
from amplify_conformance._reporting import failure_lines, summary_line

from ._accept import accepted, add_accept_options, deviations_fail, entry_warnings, judged, read_deviations
from ._display import campaign_display, campaign_lines, progress_line
from ._shared_options import add_shared, naming_settings_file, read_settings, shared_run_options
from ._shell import (
    EXIT_NONCONFORMING,
    FLAG,
    PROG,
    RUN_EXIT_CODES,
    UsageError,
    check_writable,
    exit_code,
    fail,
    missing_folders,
    remove_if_empty,
    write,
)
from ._signals import interrupts_counted, signals_deferred
from ._values import at_least_zero, duration, non_negative_float, positive

MODEL_LONG = 100  # model-based sequences of a bare --model without --max-examples


def add_run(commands: Any) -> argparse.ArgumentParser:
    """The `run` command; returns its parser, whose options are the settings file's keys."""
    run = commands.add_parser(
        "run",
        help="run the conformance suite and write reports",
        description="Run the suite against --base-url (default: the embedded emulator). Every option may also "
        f"be set in [tool.{_settings.TABLE}] of pyproject.toml or in {_settings.FILE_NAME} (found upward from "
        "the working directory); flags override it.",
        epilog=RUN_EXIT_CODES,
    )
    _add_target_options(run)
    _add_fuzz_options(run)
    add_accept_options(run)
    run.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="also write every exchange of the deterministic plan, normalised, to FILE (.gz: compressed), "
        "for parity --against-recording",
    )
    run.set_defaults(handler=cmd_run, parser=run)
    return run


def _add_target_options(run: argparse.ArgumentParser) -> None:
    """What to test, how much, and how to reach it."""
    add_shared(
        run,
        {
            "--base-url": "implementation to test, stage prefix included (default: embedded emulator)",
            "--level": "schema, behaviour, aws or all (default); repeatable or comma-separated",
            "--operations": "only these operationIds; repeatable or comma-separated",
        },
    )
    run.add_argument("--max-examples", type=positive(int), metavar="N", help="hypothesis examples per case")
    run.add_argument(
        "--model",
        type=at_least_zero,
        nargs="?",
        const=-1,
        metavar="N",
        help="model-based sequences: random sequences of operations checked against a model of the contract's "
        f"state rules (R8.sequences); N sequences (bare: --max-examples of them, else {MODEL_LONG}; "
        "0: none; default a short seeded dose; with --fuzz --duration, rounds of N until the campaign ends)",
    )
    add_shared(
        run,
        {
            "--workers": "parallel workers, and against a URL the most requests sent at once (default auto: 4 a "
            "core against the embedded emulator; against a URL 32 workers, and requests at once adapting to "
            "how fast the target answers)",
            "--seed": "seed of everything generated: N replays a run (its report names its seed), random explores "
            f"(default: a fixed seed, {DEFAULT_SEED}, so a run is reproducible; with --fuzz, random)",
            "--report-dir": "where report.json, junit.xml, report.md and report.html go (default reports/)",
            "--timeout": "bound on one exchange in total: connect, status line, headers and body (default 10)",
            "--max-time": "time budget of the whole run (default 900): then it stops sending, writes its reports "
            "marked incomplete and exits 1; cleanup gets 10 s more",
            "--settle": "how long a read-back polls (with backoff) for what a write announced before it judges; "
            "for asynchronous, eventually consistent targets (default 10 against a URL, 5 against the embedded "
            "emulator)",
            "--rate-limit": "send at most this many requests over all workers: 20/s, 600/m, 1000/h (default: as "
            "fast as the target answers; a 429 is always sent again after a backoff, honouring Retry-After)",
            "--app-id": "use this existing app instead of creating one",
            "--header": "extra request header; repeatable",
        },
    )
    run.add_argument("--sigv4", action=FLAG, help="sign requests with AWS SigV4 (standard credential chain)")
    add_shared(run, {"--region": "AWS region for --sigv4"})
    run.add_argument(
        "--cleanup-time",
        type=non_negative_float,
        metavar="SECONDS",
        help="how long removing what the run made may take after the time budget or after Ctrl-C/SIGTERM "
        "(default 10); what is left is named with its removal command (a second Ctrl-C skips the cleanup)",
    )


def _add_fuzz_options(run: argparse.ArgumentParser) -> None:
    """Longer fuzzing, and campaigns bounded by time (--quiet sits here for the order of --help)."""
    run.add_argument("--fuzz", action=FLAG, help="longer fuzzing with hostile inputs")
    run.add_argument("--quiet", action=FLAG, help="print only the final summary line")
    run.add_argument(
        "--duration",
        type=duration,
        metavar="90s|30m|2h",
        help="with --fuzz: keep generating until this much time has passed, then write the reports "
        "(the time budget grows to fit unless --max-time is given)",
    )
    run.add_argument(
        "--rounds",
        type=positive(int),
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


def run_options(args: argparse.Namespace) -> Any:
    """RunOptions from the parsed arguments: the only place that knows both shapes."""
    from amplify_conformance import RunOptions

    if args.sigv4 and not args.base_url:
        raise UsageError("--sigv4 needs --base-url (e.g. https://amplifybackend.us-east-1.amazonaws.com)")
    own = {
        "max_examples": args.max_examples,
        "fuzz": args.fuzz,
        "model": _model_sequences(args),
        "cleanup_time": args.cleanup_time,
        "ledger_dir": str(args.report_dir),
    }
    # base_url None means the embedded emulator
    return RunOptions(
        base_url=args.base_url,
        **shared_run_options(args),
        **{k: v for k, v in own.items() if v is not None},
        **_campaign_options(args),
    )


def _model_sequences(args: argparse.Namespace) -> int | None:
    """--model N, bare --model (--max-examples sequences, or MODEL_LONG), or None: the default dose."""
    if args.model == -1:
        return args.max_examples or MODEL_LONG
    return args.model


def _campaign_options(args: argparse.Namespace) -> dict[str, Any]:
    """--duration, --rounds and --db: the campaign's length, its database, a time budget to fit."""
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


def seed_line(result: dict[str, Any]) -> str:
    """Which seed the run used and where it came from; a random one with how to replay it."""
    seed, source = result["seed"], result.get("seed_source")
    if source == "random":
        return f"seed: {seed} (random; --seed {seed} replays this run)"
    return f"seed: {seed}" + (f" ({source})" if source else "")


def _as_dict(value: Any) -> dict[str, Any]:
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


def cmd_run(args: argparse.Namespace) -> int:
    import amplify_conformance

    try:
        settings_file = read_settings(args)
        deviations = read_deviations(args)
    except ValueError as exc:  # SettingsError, DeviationsError: file, line and what, before anything is sent
        return fail(str(exc))
    options = run_options(args)
    display = campaign_display(args)

    def progress(operation: Any) -> None:
        if not args.quiet:
            line = progress_line(accepted(_as_dict(operation), deviations, getattr(options, "levels", ())))
            if display:
                display.line(line)
            else:
                print(line, flush=True)

    made = missing_folders(args.report_dir)  # removed again if the run never reaches the target
    unwritable = _unwritable(args)
    if unwritable:
        return fail(unwritable)
    recorder = amplify_conformance.Recorder(options.app_id) if args.record is not None else None
    unreachable = getattr(amplify_conformance, "TargetUnreachable", None) or type("_Never", (Exception,), {})
    cleanup_time = getattr(options, "cleanup_time", 10.0)
    with interrupts_counted(PROG, cleanup_time), display or contextlib.nullcontext():
        try:
            extra = {"tick": display.tick} if display else {}
            if recorder is not None:
                extra["recorder"] = recorder
            outcome = amplify_conformance.run(options, progress=progress, **extra)
        except unreachable as exc:
            partial = getattr(exc, "result", None)
            if partial is not None:
                write(naming_settings_file(judged(_as_dict(partial), deviations), settings_file), args.report_dir)
            else:
                remove_if_empty(made)  # nothing was sent: no empty folder pretends otherwise
            message = str(exc) or type(exc).__name__
            return fail(message if message.startswith("target unreachable") else f"target unreachable: {message}")
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted before the run produced a result; no reports written", file=sys.stderr)
            ledgers = sorted(Path(args.report_dir).glob("created-*.jsonl"))
            if ledgers:
                print(
                    f"{PROG}: what it made is listed in {', '.join(map(str, ledgers))}; "
                    f"'{PROG} cleanup {args.report_dir}' removes it",
                    file=sys.stderr,
                )
            else:
                remove_if_empty(made)
            return EXIT_NONCONFORMING
    result = naming_settings_file(judged(_as_dict(outcome), deviations), settings_file)
    with signals_deferred():  # the run is over: what it found (and left behind) is written whatever comes
        return _report(result, args, options, recorder)


def left_behind_lines(result: dict[str, Any], report_dir: Path) -> None:
    """On stderr, even with --quiet: every app or environment the run could not remove, with the
    command that removes it, and the one that removes them all."""
    left = (result.get("cleanup") or {}).get("left_behind") or []
    if not left:
        return
    what = "environments" if any(entry.get("environment") for entry in left) else "apps"
    print(
        f"{PROG}: {len(left)} {what} the run made are still on the target; "
        f"'{PROG} cleanup {report_dir}' removes them, or one by one:",
        file=sys.stderr,
    )
    for entry in left:
        print(f"  {entry['command']}", file=sys.stderr)


def _unwritable(args: argparse.Namespace) -> str | None:
    """Why the reports or the recording would have nowhere to go (None: they would)."""
    try:
        check_writable(args.report_dir)
    except OSError as exc:
        return f"cannot write reports to {args.report_dir}: {exc.strerror or exc}"
    try:
        if args.record is not None:
            check_writable(args.record.parent)
    except OSError as exc:
        return f"cannot write the recording to {args.record.parent}: {exc.strerror or exc}"
    return None


def _report(result: dict[str, Any], args: argparse.Namespace, options: Any, recorder: Any) -> int:
    """Write the reports (and the recording), say what was found; the exit code."""
    import amplify_conformance

    try:
        paths = write(result, args.report_dir)
    except OSError as exc:  # the folder went away mid-run: keep the results somewhere
        fallback = Path(tempfile.mkdtemp(prefix="amplify-conformance-"))
        write(result, fallback)
        print(summary_line(result), flush=True)
        return fail(f"cannot write reports to {args.report_dir}: {exc.strerror or exc}; written to {fallback}")
    print(summary_line(result), flush=True)
    if not args.quiet:
        for line in failure_lines(result):
            print(line, flush=True)
        if result.get("fuzz"):
            print(campaign_lines(result["fuzz"]), flush=True)
        if result.get("seed") is not None:
            print(seed_line(result), flush=True)
        concurrency = result.get("concurrency") or {}
        if concurrency.get("lowered"):  # the target could not keep up: say how the run slowed down for it
            print(f"concurrency: {concurrency['detail']}", flush=True)
        print(f"reports: {', '.join(str(p) for p in paths.values())}")
    if recorder is not None:
        try:
            recorded = amplify_conformance.write_recording(recorder, options, result, args.record)
        except OSError as exc:
            return fail(f"cannot write the recording {args.record}: {exc.strerror or exc}")
        print(f"recording: {recorded} ({len(recorder.entries())} exchanges)")
    left_behind_lines(result, args.report_dir)
    for note in entry_warnings(result):
        print(f"{PROG}: warning: {note}", file=sys.stderr)
    refused = deviations_fail(result, args)
    if refused:
        print(f"{PROG}: {refused}", file=sys.stderr)
        return EXIT_NONCONFORMING
    return exit_code(result)

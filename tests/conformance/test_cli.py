"""The command is a thin shell: exit codes, one-line errors, progress and reports on every outcome.

The runner is replaced by a fake with the library's signature, ``run(options, progress=...)``;
the end-to-end run against the emulator is tested with the runner itself.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
from amplify_conformance import cli

from ._report_fixtures import incomplete_result, mixed_result, passing_result, with_verdicts
from .conftest import TARGET_FLAGS, FakeTargetUnreachable, one_clear_line


def run_cli(tmp_path, *args):
    return cli.main(["run", "--report-dir", str(tmp_path / "reports"), *args])


def test_all_operations_passing_exits_0_and_writes_every_report(tmp_path, fake_run, capsys):
    fake_run(result=passing_result())
    assert run_cli(tmp_path) == 0
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert names == ["badge.json", "junit.xml", "report.html", "report.json", "report.md", "summary.md"]
    out = capsys.readouterr().out
    assert "PASS    CreateBackend" in out
    assert "1 operations: 1 pass, 0 fail, 0 error, 0 skipped" in out


@pytest.mark.parametrize("verdict", ["fail", "error"])
def test_a_failing_or_erroring_operation_exits_1(tmp_path, fake_run, verdict):
    fake_run(result=with_verdicts(passing_result(), "CreateBackend", verdict))
    assert run_cli(tmp_path) == 1


def test_progress_names_the_checks_that_did_not_pass(tmp_path, fake_run, capsys):
    fake_run(result=mixed_result())
    assert run_cli(tmp_path) == 1
    out = capsys.readouterr().out
    assert "FAIL    CreateBackendStorage  (R4.required=fail)" in out
    assert "SKIPPED ListS3Buckets" in out


def test_an_erring_operation_s_line_says_what_went_wrong_first(tmp_path, fake_run, capsys):
    result = with_verdicts(passing_result(), "CreateBackend", "error")
    cause = "timed out (too slow): no complete answer within 10 s: the status line and headers had not all come"
    result["operations"][0]["errors"] = [cause, "a later one"]
    fake_run(result=result)
    assert run_cli(tmp_path) == 1
    assert f"ERROR   CreateBackend: {cause}\n" in capsys.readouterr().out


def test_quiet_prints_only_the_summary_line(tmp_path, fake_run, capsys):
    fake_run(result=mixed_result())
    run_cli(tmp_path, "--quiet")
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [
        "4 operations: 1 pass, 1 fail, 1 error, 1 skipped; 7 checks: 5 pass, 1 fail, 1 error, 0 skipped; "
        "420 requests; 3 retries; status codes 15/20"
    ]


def test_options_reach_the_runner(tmp_path, fake_run):
    runner = fake_run(result=passing_result())
    run_cli(
        tmp_path,
        *TARGET_FLAGS,
        "--operations",
        "GetBackend",
        "--header",
        "X-Trace: a:b",
        "--workers",
        "auto",
        "--seed",
        "7",
        "--timeout",
        "2.5",
        "--max-time",
        "120",
        "--max-examples",
        "3",
        "--fuzz",
    )
    o = runner.options
    assert (o.base_url, o.levels, o.operations) == (
        "http://localhost:9/prod",
        ("schema", "aws"),
        ("CreateBackend", "GetBackend"),
    )
    assert (o.headers, o.workers, o.seed, o.timeout, o.time_budget, o.max_examples, o.fuzz) == (
        {"X-Trace": "a:b"},
        None,
        7,
        2.5,
        120,
        3,
        True,
    )
    assert (getattr(o, "duration", None), o.database) == (None, str(tmp_path / "reports" / "fuzz-db"))


def test_a_campaign_gets_its_duration_and_a_budget_that_fits_it(tmp_path, fake_run):
    runner = fake_run(result=passing_result())
    run_cli(tmp_path, "--fuzz", "--duration", "2h", "--db", str(tmp_path / "db"))
    o = runner.options
    assert (o.duration, o.database, o.time_budget) == (7200, str(tmp_path / "db"), 7220)
    run_cli(tmp_path, "--fuzz", "--duration", "90s", "--max-time", "60")
    assert (runner.options.duration, runner.options.time_budget) == (90, 60)  # --max-time bounds the campaign


def test_a_campaign_of_rounds_gets_its_rounds_and_the_default_budget(tmp_path, fake_run):
    runner = fake_run(result=passing_result())
    run_cli(tmp_path, "--fuzz", "--rounds", "3")
    o = runner.options
    assert (o.rounds, getattr(o, "duration", None), getattr(o, "time_budget", None)) == (3, None, None)


@pytest.mark.parametrize(
    ("args", "sequences"),
    [(["--model", "0"], 0), (["--model", "40"], 40), (["--model"], 100), (["--model", "--max-examples", "7"], 7)],
)
def test_model_sets_how_many_model_based_sequences_a_run_sends(tmp_path, fake_run, args, sequences):
    runner = fake_run(result=passing_result())
    assert run_cli(tmp_path, *args) == 0
    assert runner.options.model == sequences


def test_default_run_targets_the_embedded_emulator_at_every_level(tmp_path, fake_run):
    runner = fake_run(result=passing_result())
    run_cli(tmp_path)
    assert runner.options.base_url is None
    assert runner.options.levels == ("schema", "behaviour", "aws")
    # unset options are not passed, so the runner's own defaults apply
    assert not {"max_examples", "model", "timeout", "time_budget", "seed", "workers", "region"} & set(
        vars(runner.options)
    )


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--operations", "CreateBackend,CreateBakend"], "'CreateBakend'"),
        (["--level", "security"], "'security'"),
        (["--header", "no colon here"], "no colon here"),
        (["--sigv4"], "--base-url"),
    ],
)
def test_bad_arguments_exit_2_in_one_line_naming_the_problem(tmp_path, fake_run, capsys, args, names):
    runner = fake_run(result=passing_result())
    assert run_cli(tmp_path, *args) == 2
    assert names in one_clear_line(capsys.readouterr().err)
    assert runner.options is None


@pytest.mark.parametrize(
    "args",
    [["--workers", "0"], ["--timeout", "soon"], ["--max-time", "0"], ["--model", "-1"], ["--no-such-option"], []],
)
def test_argparse_errors_are_one_line_with_exit_2(tmp_path, capsys, args):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", *args] if args else [])
    assert exit_info.value.code == 2
    assert "error:" in one_clear_line(capsys.readouterr().err)


def test_an_unreachable_target_exits_2_in_one_line(tmp_path, fake_run, capsys):
    fake_run(raises=FakeTargetUnreachable("target unreachable: http://127.0.0.1:9 refused the connection"))
    assert run_cli(tmp_path, "--base-url", "http://127.0.0.1:9") == 2
    line = one_clear_line(capsys.readouterr().err)
    assert line == "amplify-conformance: error: target unreachable: http://127.0.0.1:9 refused the connection"


def test_a_crashing_runner_is_one_line_not_a_traceback(tmp_path, fake_run, capsys):
    fake_run(raises=RuntimeError("spec unreadable: amplifybackend.yaml\nmore detail"))
    assert run_cli(tmp_path) == 2
    assert "RuntimeError: spec unreadable: amplifybackend.yaml" in one_clear_line(capsys.readouterr().err)


def test_an_interrupted_run_writes_its_partial_reports_and_exits_1(tmp_path, fake_run, capsys):
    fake_run(result=incomplete_result())
    assert run_cli(tmp_path) == 1
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert report["complete"] is False
    assert len(report["operations"]) == 2
    assert "INCOMPLETE: interrupted (SIGINT)" in capsys.readouterr().out


def test_sigterm_takes_the_same_path_as_ctrl_c(tmp_path, fake_run):
    def terminated(result):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler interrupts the sleep
        except KeyboardInterrupt:  # what the runner does: stop and return what it has
            return {**result, "complete": False, "incomplete_reason": "interrupted (SIGTERM)"}
        raise AssertionError("SIGTERM did not interrupt the run")

    previous = signal.getsignal(signal.SIGTERM)
    fake_run(result=passing_result(), during=terminated)
    assert run_cli(tmp_path) == 1
    assert json.loads((tmp_path / "reports" / "report.json").read_text())["complete"] is False
    assert signal.getsignal(signal.SIGTERM) is previous


def test_an_interrupt_that_escapes_the_runner_exits_1_without_a_traceback(tmp_path, fake_run, capsys):
    fake_run(raises=KeyboardInterrupt())
    assert run_cli(tmp_path) == 1
    assert "interrupted" in one_clear_line(capsys.readouterr().err)


# --- report diff -----------------------------------------------------------------------


def _saved(tmp_path: Path, name: str, result: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(result))
    return str(path)


def test_report_diff_exits_1_on_a_regression_and_writes_markdown(tmp_path, capsys):
    a = mixed_result()
    b = with_verdicts(with_verdicts(a, "CreateBackend", "fail", "R4.required"), "CreateBackendStorage", "pass")
    b = with_verdicts(b, "CreateBackendStorage", "pass", "R4.required")
    paths = [_saved(tmp_path, "a.json", a), _saved(tmp_path, "b.json", b)]
    assert cli.main(["report", "diff", *paths, "--markdown", str(tmp_path / "diff.md")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("New failures (1):\n  CreateBackend R4.required (pass -> fail): 3 cases judged\nFixed (1):")
    assert (tmp_path / "diff.md").read_text().startswith("### Conformance: 1 regression, 1 fixed\n")


def test_report_diff_exits_0_without_regressions(tmp_path, capsys):
    a = mixed_result()
    b = with_verdicts(a, "CreateBackendStorage", "pass", "R4.required")
    assert cli.main(["report", "diff", _saved(tmp_path, "a.json", a), _saved(tmp_path, "b.json", b)]) == 0


def test_report_diff_cannot_write_its_markdown_is_one_line_and_exit_2(tmp_path, capsys):
    paths = [_saved(tmp_path, "a.json", mixed_result()), _saved(tmp_path, "b.json", mixed_result())]
    assert cli.main(["report", "diff", *paths, "--markdown", str(tmp_path / "no" / "diff.md")]) == 2
    assert "cannot write" in one_clear_line(capsys.readouterr().err)


def test_report_diff_exits_2_on_an_invalid_report(tmp_path, capsys):
    broken = mixed_result()
    broken["operations"][0]["verdict"] = "passed"
    code = cli.main(["report", "diff", _saved(tmp_path, "a.json", mixed_result()), _saved(tmp_path, "b.json", broken)])
    assert code == 2
    line = one_clear_line(capsys.readouterr().err)
    assert "b.json" in line and "operations/0/verdict" in line


def test_the_installed_command_reports_a_missing_file_in_one_line(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "amplify_conformance.cli",
            "report",
            "diff",
            str(tmp_path / "nope.json"),
            str(tmp_path / "nope2.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "nope.json: cannot read" in one_clear_line(done.stderr)


# --- emulator --------------------------------------------------------------------------


def test_emulator_serves_with_the_given_settings_until_ctrl_c(monkeypatch, capsys):
    served = {}

    def serve(config, host, port):
        served.update(config=config, host=host, port=port)
        raise KeyboardInterrupt

    fake = types.ModuleType("amplify_emulator")
    fake.EmulatorConfig = lambda **kw: types.SimpleNamespace(**kw)
    fake.serve = serve
    monkeypatch.setitem(sys.modules, "amplify_emulator", fake)
    argv = ["emulator", "--port", "4599", "--stage", "/dev", "--fault", "R4.required,R7.not-found"]
    code = cli.main([*argv, "--quirk", "gzip", "--quirk", "charset,slow"])
    assert code == 0
    assert (served["host"], served["port"], served["config"].stage) == ("127.0.0.1", 4599, "/dev")
    assert served["config"].faults == frozenset({"R4.required", "R7.not-found"})
    assert served["config"].quirks == frozenset({"gzip", "charset", "slow"})
    assert served["config"].allow_injection is False


def test_emulator_lists_its_quirks_one_a_line_name_first(capsys):
    from amplify_emulator import quirks

    assert cli.main(["emulator", "--list-quirks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(quirks())
    assert all("(allowed by CONTRACT" in line for line in lines)


def test_emulator_names_an_unknown_quirk_in_one_line(capsys):
    assert cli.main(["emulator", "--quirk", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "unknown quirk(s) nonsense" in err


def test_emulator_names_an_unknown_fault_in_one_line(monkeypatch, capsys):
    fake = types.ModuleType("amplify_emulator")

    def config(**kw):
        raise ValueError(f"unknown fault(s) {', '.join(kw['faults'])}")

    fake.EmulatorConfig, fake.serve = config, None
    monkeypatch.setitem(sys.modules, "amplify_emulator", fake)
    assert cli.main(["emulator", "--fault", "R99.nope"]) == 2
    assert "unknown fault(s) R99.nope" in one_clear_line(capsys.readouterr().err)


@pytest.mark.parametrize(("expires", "code"), [("2000-01-01", 1), ("2999-01-01", 0)])
def test_an_expired_deviation_fails_a_run_that_otherwise_passes(tmp_path, fake_run, capsys, expires, code):
    fake_run(result=passing_result())
    devs = tmp_path / "deviations.yaml"
    devs.write_text(
        "deviations:\n  - operation: CreateBackend\n    check: R3.cors\n"
        f"    reason: no CORS yet\n    expires: {expires}\n"
    )
    assert run_cli(tmp_path, "--accept", str(devs)) == code
    err = capsys.readouterr().err
    if code:
        assert "expired deviation" in err and "expired entries" in err.splitlines()[-1]


def _commands(parser, name="amplify-conformance"):
    """(command name, parser) of the program and every command under it."""
    import argparse

    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, subparser in action.choices.items():
                yield from _commands(subparser, f"{name} {sub}")


def test_every_option_and_argument_of_every_command_is_described():
    import argparse

    from amplify_conformance.cli._main import build_parser

    undescribed = [
        f"{name} {action.option_strings or action.dest}"
        for name, parser in _commands(build_parser())
        for action in parser._actions
        if action.dest != "help"
        and not isinstance(action, argparse._SubParsersAction)
        and not (action.help or "").strip()
    ]
    assert undescribed == []


def test_run_help_lists_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "exit codes: 0 every selected operation conforms" in text
    assert "; 1 at least one operation fails or errs" in text and "; 2 the run could not be made" in text


def test_emulator_lists_its_faults_each_with_the_operation_and_check_it_breaks(capsys):
    from amplify_emulator import FAULTS

    assert cli.main(["emulator", "--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(FAULTS)
    fault = FAULTS["r4_required"]
    assert f"r4_required  CreateBackendStorage R4.required: {fault.description}" in lines


def test_sigv4_without_botocore_exits_2_saying_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "botocore", None)  # as if the [aws] extra were not installed
    code = cli.main(
        ["run", "--base-url", "http://127.0.0.1:9/prod", "--sigv4", "--report-dir", str(tmp_path / "reports")]
    )
    assert code == 2
    line = one_clear_line(capsys.readouterr().err)
    assert "botocore, which is not installed: pip install 'amplify-conformance[aws]'" in line

"""The real command, end to end: the embedded emulator, a broken target, a real Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from amplify_conformance import RunOptions, run
from amplify_conformance._reporting import diff_reports, load_report, write_reports
from amplify_conformance.cli import main
from amplify_emulator import Emulator, EmulatorConfig

pytestmark = pytest.mark.quality


def test_default_run_conforms_and_writes_four_reports_a_real_run_validates(tmp_path, capsys):
    code = main(["run", "--report-dir", str(tmp_path), "--quiet", "--max-examples", "1", "--seed", "5"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "31 pass" in out and "155/155" in out
    report = load_report(tmp_path / "report.json")  # validates against reports/report.schema.json
    assert report["complete"] and report["seed"] == 5
    assert report["summary"]["coverage"]["status_codes"] == {"exercised": 155, "documented": 155}
    suites = ET.parse(tmp_path / "junit.xml").getroot().iter("testsuite")
    assert len(list(suites)) >= 31
    assert "CreateBackendAuth" in (tmp_path / "report.md").read_text()
    assert (tmp_path / "report.html").read_text().lstrip().lower().startswith("<!doctype html")


def test_a_broken_target_exits_1_and_the_diff_names_the_regression(tmp_path, capsys):
    ops = "CreateBackendStorage,GetBackend"
    with Emulator(EmulatorConfig(stage="/prod")) as clean:
        assert (
            main(
                [
                    "run",
                    "--base-url",
                    clean.base_url + "/prod",
                    "--operations",
                    ops,
                    "--quiet",
                    "--report-dir",
                    str(tmp_path / "clean"),
                ]
            )
            == 0
        )
    with Emulator(EmulatorConfig(stage="/prod", faults=frozenset({"r4_required"}))) as broken:
        assert (
            main(
                [
                    "run",
                    "--base-url",
                    broken.base_url + "/prod",
                    "--operations",
                    ops,
                    "--quiet",
                    "--report-dir",
                    str(tmp_path / "broken"),
                ]
            )
            == 1
        )
    report = json.loads((tmp_path / "broken" / "report.json").read_text())
    storage = next(o for o in report["operations"] if o["operationId"] == "CreateBackendStorage")
    check = next(c for c in storage["checks"] if c["name"] == "R4.required")
    assert check["verdict"] == "fail" and "resourceConfig.permissions" in check["failures"][0]["message"]
    assert check["failures"][0]["curl"].startswith("curl ")
    capsys.readouterr()
    assert (
        main(["report", "diff", str(tmp_path / "clean" / "report.json"), str(tmp_path / "broken" / "report.json")]) == 1
    )
    assert "CreateBackendStorage" in capsys.readouterr().out


def test_the_diff_of_two_runs_with_different_faults_is_one_new_failure_and_one_fix(tmp_path, capsys):
    """Run A against the emulator with one fault, run B with another: the diff names exactly the
    fixed one and the new one, nothing else, and exits 1 (B regressed); from B to B it exits 0."""
    options = dict(operations=("CreateBackendStorage", "GetBackend"), max_examples=1, model=5)
    for name, fault in (("a", "r4_required"), ("b", "r3_cors")):
        result = run(RunOptions(emulator_faults=frozenset({fault}), **options)).to_dict()
        write_reports(result, tmp_path / name)
    a, b = str(tmp_path / "a" / "report.json"), str(tmp_path / "b" / "report.json")
    capsys.readouterr()
    assert main(["report", "diff", a, b, "--markdown", str(tmp_path / "diff.md")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "New failures (1):" and out[1].startswith("  GetBackend R3.cors (pass -> fail): ")
    assert out[2] == "Fixed (1):" and out[3].startswith("  CreateBackendStorage R4.required (fail -> pass): ")
    assert len(out) == 4
    diff = diff_reports(load_report(a), load_report(b))
    assert [(c.subject, c.kind) for c in diff.changes] == [
        ("GetBackend R3.cors", "new failure"),
        ("CreateBackendStorage R4.required", "fixed"),
    ]
    assert main(["report", "diff", b, b]) == 0
    assert main(["report", "diff", a, str(tmp_path / "missing.json")]) == 2


def test_ctrl_c_writes_what_was_gathered_marked_incomplete(tmp_path):
    # a ten-minute campaign: however busy the machine, the signal lands while the run is under way
    # (a plain run on one busy core had finished before the first line could be read)
    command = ["run", "--report-dir", str(tmp_path), "--fuzz", "--duration", "10m"]
    process = subprocess.Popen(
        [sys.executable, "-m", "amplify_conformance.cli", *command],
        # as from a terminal: a test run started in the background (`cmd &` in a script) hands its
        # children Ctrl-C ignored, and the signal would never arrive
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    first = process.stdout.readline()  # the campaign's first figures: the run is under way
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    out = first + out
    assert process.returncode == 1, (out, err)
    assert "Traceback" not in err
    report = load_report(tmp_path / "report.json")
    assert report["complete"] is False and "interrupt" in report["incomplete_reason"]
    assert report["summary"]["requests"] > 0


def test_an_unreachable_target_is_one_line_and_exit_2(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "amplify_conformance.cli",
            "run",
            "--base-url",
            "http://127.0.0.1:9/prod",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot reach http://127.0.0.1:9/prod" in done.stderr


def test_an_unwritable_report_dir_is_found_before_the_run(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["run", "--report-dir", str(blocker / "reports"), "--operations", "GetBackend"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write reports to" in err and "Not a directory" in err


def test_a_base_url_that_is_no_url_is_one_line(tmp_path, capsys):
    assert main(["run", "--base-url", "localhost:8080", "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not an http(s) URL" in err


def test_against_a_target_failing_everywhere_the_reports_open_with_what_failed_and_stay_small(tmp_path, capsys):
    """A `200 {}` stub fails most checks of every operation on every request: report.md lists each
    failure once, with its count, before anything else, and stays under 100 KB."""
    from tests import hostile

    with hostile.ok_stub() as url:
        code = main(
            ["run", "--base-url", url, "--max-examples", "2", "--model", "0", "--settle", "1"]
            + ["--report-dir", str(tmp_path)]
        )
    out = capsys.readouterr().out
    assert code == 1
    console = out[out.index("31 operations: 0 pass, 31 fail") :].splitlines()
    assert console[1].startswith("what failed (") and console[2].startswith("  FAIL ")
    assert console[3].startswith("    replay: curl ")
    markdown = (tmp_path / "report.md").read_text()
    assert len(markdown.encode()) < 100_000
    first_screen = markdown.splitlines()[:30]
    assert "## What failed" in first_screen and any(line.startswith("### 1. ") for line in first_screen)
    assert markdown.count("### ") < 200  # one entry per failure, not per request
    assert len((tmp_path / "summary.md").read_text().splitlines()) <= 60

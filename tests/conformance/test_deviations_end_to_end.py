"""Adopting the suite in CI, end to end: the real command against the emulator with deliberate faults.

Two faults fail a run; `accept` writes the file; with reasons filled in `run --accept` exits 0 and
every report shows both accepted failures with their reasons; a third fault exits 1 naming only
it; removing a fault makes its entry stale, and --strict-accept then exits 1. The same file works
from a settings file and from the pytest entry.
"""

from __future__ import annotations

import contextlib
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml
from amplify_conformance import RunResult
from amplify_conformance._deviations import deviations_schema
from amplify_conformance._reporting import load_report
from amplify_conformance.cli import main
from amplify_emulator import FAULTS, Emulator, EmulatorConfig

from .conftest import run_pytest_entry

pytestmark = pytest.mark.quality

KNOWN = ("r5_enum_accepted", "r3_cors")  # the two faults the team knows about
NEW = "aws_request_id"  # the regression that must still fail CI
OPERATIONS = ",".join(FAULTS[f].operation_id for f in (*KNOWN, NEW))
REASONS = {FAULTS[f].operation_id: f"known since release {i}, see TICKET-{i}" for i, f in enumerate(KNOWN, 1)}


def command(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def run_flags(emulator: Emulator) -> list[str]:
    """The run every test here makes: the emulator, the faults' operations, one example, one seed."""
    return [
        "--base-url",
        emulator.base_url + "/prod",
        "--operations",
        OPERATIONS,
        "--max-examples",
        "1",
        "--seed",
        "13",
    ]


def run_against(faults, report_dir: Path, *extra: str) -> tuple[int, str, str]:
    with Emulator(EmulatorConfig(stage="/prod", faults=frozenset(faults))) as emulator:
        return command("run", *run_flags(emulator), "--report-dir", str(report_dir), *extra)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> tuple[Path, int, str]:
    """The two known faults, no deviations file: the run a team without this feature gets."""
    folder = tmp_path_factory.mktemp("baseline")
    code, out, _ = run_against(KNOWN, folder)
    return folder / "report.json", code, out


@pytest.fixture(scope="module")
def deviations_file(baseline, tmp_path_factory) -> Path:
    """What `accept` writes, with a reason filled in for each entry, as a reviewer would."""
    code, text, _ = command("accept", str(baseline[0]))
    assert code == 0
    data = yaml.safe_load(text)
    for entry in data["deviations"]:
        entry["reason"] = REASONS[entry["operation"]]
    path = tmp_path_factory.mktemp("deviations") / "deviations.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_two_faults_fail_the_run(baseline):
    report, code, out = baseline
    assert code == 1
    assert RunResult(load_report(report)).failing() == {(FAULTS[f].operation_id, FAULTS[f].check) for f in KNOWN}


def test_accept_writes_one_todo_entry_per_failure_that_the_schema_validates(baseline, tmp_path):
    code, text, _ = command("accept", str(baseline[0]))
    assert code == 0
    data = yaml.safe_load(text)
    jsonschema.validate(data, deviations_schema())
    assert sorted((e["operation"], e["check"], e["reason"]) for e in data["deviations"]) == sorted(
        (FAULTS[f].operation_id, FAULTS[f].check, "TODO") for f in KNOWN
    )
    without_reasons = {"deviations": [{k: v for k, v in e.items() if k != "reason"} for e in data["deviations"]]}
    with pytest.raises(jsonschema.ValidationError, match="'reason' is a required property"):
        jsonschema.validate(without_reasons, deviations_schema())
    # as written, the file is refused: every reason is still TODO
    (tmp_path / "todo.yaml").write_text(text)
    code, out, err = run_against(KNOWN, tmp_path / "reports", "--accept", str(tmp_path / "todo.yaml"))
    assert code == 2 and out == ""
    assert "2 entries still have reason TODO" in err and "--allow-todo" in err
    assert not (tmp_path / "reports" / "report.json").exists()  # refused before anything was sent
    assert run_against(KNOWN, tmp_path / "r", "--accept", str(tmp_path / "todo.yaml"), "--allow-todo")[0] == 0


def test_run_accept_exits_0_and_every_report_shows_the_accepted_failures_with_their_reasons(deviations_file, tmp_path):
    code, out, err = run_against(KNOWN, tmp_path, "--accept", str(deviations_file))
    assert code == 0, out + err
    assert "0 fail, 0 error, 0 skipped, 2 accepted" in out
    report = load_report(tmp_path / "report.json")  # valid against report.schema.json
    accepted = {
        (op["operationId"], c["name"]): [a["reason"] for a in c["accepted_by"]]
        for op in report["operations"]
        for c in op["checks"]
        if c["verdict"] == "accepted"
    }
    expected = {(FAULTS[f].operation_id, FAULTS[f].check): [REASONS[FAULTS[f].operation_id]] for f in KNOWN}
    assert accepted == expected
    assert report["summary"]["accepted"] == 2 and report["summary"]["fail"] == 0
    assert report["deviations"]["applied"] == 2 and report["deviations"]["stale"] == 0
    cases = {(c.get("classname"), c.get("name")): c for c in ET.parse(tmp_path / "junit.xml").iter("testcase")}
    markdown, html = (tmp_path / "report.md").read_text(), (tmp_path / "report.html").read_text()
    for (op_id, check), [reason] in expected.items():
        skipped = cases[(op_id, check)].find("skipped")
        assert skipped is not None and skipped.get("message") == f"accepted: {reason}"
        assert f"| {check} | " in markdown and f"accepted: {reason}" in markdown
        assert f"accepted: {reason}</strong>" in html
    assert ET.parse(tmp_path / "junit.xml").getroot().get("failures") == "0"


def test_a_third_fault_exits_1_naming_only_the_new_failure(deviations_file, tmp_path):
    code, out, _ = run_against((*KNOWN, NEW), tmp_path, "--accept", str(deviations_file))
    assert code == 1
    new = FAULTS[NEW]
    assert RunResult(load_report(tmp_path / "report.json")).failing() == {(new.operation_id, new.check)}
    assert [line for line in out.splitlines() if "=fail" in line] == [f"FAIL    {new.operation_id}  ({new.check}=fail)"]
    assert "1 fail, 0 error, 0 skipped, 2 accepted" in out


def test_a_fixed_fault_leaves_a_stale_entry_and_strict_accept_then_fails(deviations_file, tmp_path):
    fixed = FAULTS[KNOWN[1]]
    code, out, err = run_against(KNOWN[:1], tmp_path / "lenient", "--accept", str(deviations_file))
    assert code == 0, out + err
    assert f"stale deviation {deviations_file}:" in err and f"({fixed.operation_id} {fixed.check})" in err
    entries = load_report(tmp_path / "lenient" / "report.json")["deviations"]["entries"]
    assert {(e["operation"], e["status"]) for e in entries} == {
        (FAULTS[KNOWN[0]].operation_id, "applied"),
        (fixed.operation_id, "stale"),
    }
    code, out, err = run_against(KNOWN[:1], tmp_path / "strict", "--accept", str(deviations_file), "--strict-accept")
    assert code == 1
    assert "--strict-accept" in err and f"({fixed.operation_id} {fixed.check})" in err


def test_a_settings_file_gives_the_same_run_as_the_flags(deviations_file, tmp_path, monkeypatch):
    with Emulator(EmulatorConfig(stage="/prod", faults=frozenset(KNOWN))) as emulator:
        by_flags = command(
            "run", *run_flags(emulator), "--accept", str(deviations_file), "--report-dir", str(tmp_path / "flags")
        )
        project = tmp_path / "project"
        (project / "sub").mkdir(parents=True)
        (project / "deviations.yaml").write_text(deviations_file.read_text())
        (project / "pyproject.toml").write_text(
            '[project]\nname = "our-emulator"\n\n[tool.amplify-conformance]\n'
            f'base-url = "{emulator.base_url}/prod"\naccept = "deviations.yaml"\n'
            f'operations = {json.dumps(OPERATIONS.split(","))}\nmax-examples = 1\nseed = 13\nreport-dir = "out"\n'
        )
        monkeypatch.chdir(project / "sub")  # found upward; paths are relative to the file
        by_file = command("run")
    assert by_flags[0] == by_file[0] == 0, by_file
    a, b = load_report(tmp_path / "flags" / "report.json"), load_report(project / "out" / "report.json")
    assert b["settings_file"] == str(project / "pyproject.toml") and a["settings_file"] is None
    for report in (a, b):
        report["deviations"]["file"] = Path(report["deviations"]["file"]).name
    assert RunResult(a).failing() == RunResult(b).failing() == set()
    assert a["deviations"] == b["deviations"] and a["deviations"]["accepted"] == 2
    assert (a["target"], a["levels"], a["seed"]) == (b["target"], b["levels"], b["seed"])
    assert [(o["operationId"], o["verdict"]) for o in a["operations"]] == [
        (o["operationId"], o["verdict"]) for o in b["operations"]
    ]


def test_the_pytest_entry_makes_an_accepted_failure_an_xfail_and_names_a_stale_entry(tmp_path):
    fault = FAULTS[NEW]
    clean = "DeleteToken"
    (tmp_path / "deviations.yaml").write_text(
        "deviations:\n"
        f"  - operation: {fault.operation_id}\n    check: aws.*\n    reason: our gateway drops request ids\n"
        f"  - operation: {clean}\n    check: R1.route\n    reason: fixed since\n"
    )
    with Emulator(EmulatorConfig(stage="/prod", faults=frozenset({NEW}))) as emulator:
        done = run_pytest_entry(
            "--base-url",
            emulator.base_url + "/prod",
            "--conformance-accept",
            str(tmp_path / "deviations.yaml"),
            "-k",
            f"{fault.operation_id} or {clean}",
            "-n",
            "2",  # the two items land on different workers: the stale entry is judged over both
            "-rx",
            "-p",
            "no:cacheprovider",
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 passed, 1 xfailed" in done.stdout
    assert f"XFAIL test_conformance.py::test_operation_conforms[{fault.operation_id}]" in done.stdout
    assert "our gateway drops request ids" in done.stdout
    assert f"stale deviation {tmp_path / 'deviations.yaml'}:5 ({clean} R1.route)" in done.stdout


def test_the_pytest_entry_fails_the_session_on_an_expired_entry_and_names_it(tmp_path):
    (tmp_path / "deviations.yaml").write_text(
        "deviations:\n  - operation: DeleteToken\n    check: R1.route\n    reason: was broken\n"
        "    expires: 2000-01-01\n"
    )
    with Emulator(EmulatorConfig(stage="/prod")) as emulator:
        done = run_pytest_entry(
            "--base-url",
            emulator.base_url + "/prod",
            "--conformance-accept",
            str(tmp_path / "deviations.yaml"),
            "-k",
            "DeleteToken",
            "-p",
            "no:cacheprovider",
            cwd=tmp_path,
        )
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, done.stdout[-3000:]
    assert "1 passed" in done.stdout and "expired deviation" in done.stdout


def test_the_pytest_entry_refuses_a_bad_file_naming_its_line(tmp_path):
    (tmp_path / "deviations.yaml").write_text("deviations:\n  - operation: GetBackend\n    check: R3.cors\n")
    done = run_pytest_entry("--conformance-accept", "deviations.yaml", cwd=tmp_path, timeout=120)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "deviations.yaml:2: deviations[0]: 'reason' is a required property" in done.stderr
    assert "passed" not in done.stdout and "failed" not in done.stdout

"""docs/ci.md's jobs work as written: their shell steps, run against the emulator they start, leave
the reports where the jobs keep them and summary.md in GitHub's job summary."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

RECIPE = (Path(__file__).resolve().parents[1] / "docs" / "ci.md").read_text()
QUICK = "--operations GetBackend"  # CONFORMANCE_OPTIONS of these runs: one operation keeps them fast
pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None,
    reason="the jobs' steps are bash and wait for the implementation with curl, as CI images have them",
)


def _jobs() -> list[dict[str, Any]]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", RECIPE, re.S)]


def _github(name: str = "conformance") -> dict[str, Any]:
    (workflow,) = [doc for doc in _jobs() if "jobs" in doc and doc["name"] == name]
    (job,) = workflow["jobs"].values()
    return job


def _gitlab() -> dict[str, Any]:
    (job,) = [job for doc in _jobs() if "jobs" not in doc for job in doc.values() if "script" in job]
    return job


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(job_variables: dict[str, str], **more: str) -> dict[str, str]:
    """The job's variables with a free port and the quick options; this venv's commands first on PATH."""
    assert set(job_variables) >= {"PORT", "CONFORMANCE_OPTIONS"}
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return {
        **os.environ,
        **job_variables,
        "PORT": str(_free_port()),
        "CONFORMANCE_OPTIONS": QUICK,
        "PATH": path,
        **more,
    }


def _run_shell(script: str, cwd: Path, env: dict[str, str], groups: list[int]) -> subprocess.CompletedProcess:
    """Run one step as the CI runners do (bash, stop at the first failure); what it leaves running
    in the background stays in its own process group, which ``groups`` collects to be ended."""
    process = subprocess.Popen(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    groups.append(process.pid)
    out, _ = process.communicate(timeout=180)
    return subprocess.CompletedProcess(process.args, process.returncode, out)


def _end(groups: list[int]) -> None:
    """End every group and wait until it is gone: the next job's emulator binds the same port, and
    one still closing would answer its readiness probe and then vanish (the run: exit 2)."""
    for group in groups:
        try:
            os.killpg(group, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 15
    for group in groups:
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)


def _workspace(tmp_path: Path) -> Path:
    (tmp_path / "deviations.yaml").write_text("deviations: []\n")  # as the recipe says to start
    return tmp_path


def _assert_reports_of_a_quick_passing_run(reports: Path, port: str) -> None:
    report = json.loads((reports / "report.json").read_text())
    assert [(op["operationId"], op["verdict"]) for op in report["operations"]] == [("GetBackend", "pass")]
    assert report["target"]["base_url"] == f"http://127.0.0.1:{port}/prod" and report["complete"]
    assert report["deviations"]["file"] == "deviations.yaml"


def test_github_job_keeps_the_reports_and_puts_summary_md_in_the_job_summary(tmp_path):
    job = _github()
    workspace = _workspace(tmp_path)
    summary = tmp_path / "step-summary.md"
    env = _environment(job["env"], GITHUB_STEP_SUMMARY=str(summary))
    shell_steps = [step for step in job["steps"] if "run" in step]
    assert shell_steps[0]["run"].startswith("pip install ")  # this venv has the suite already
    groups: list[int] = []
    try:
        for step in shell_steps[1:]:
            done = _run_shell(step["run"], workspace, env, groups)
            assert done.returncode == 0, (step["name"], done.stdout)
    finally:
        _end(groups)
    assert summary.read_text() == (workspace / "reports" / "summary.md").read_text()
    _assert_reports_of_a_quick_passing_run(workspace / "reports", env["PORT"])
    (upload,) = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact")]
    kept = upload["with"]["path"].split()
    assert kept and all((workspace / path).exists() for path in kept)
    # the reports are kept, and shown, when the suite fails too
    assert all(
        "always()" in step.get("if", "") for step in job["steps"] if step is upload or "SUMMARY" in step.get("run", "")
    )


def test_gitlab_job_keeps_the_reports_with_junit_as_its_test_report(tmp_path):
    job = _gitlab()
    workspace = _workspace(tmp_path)
    lines = job["script"]
    assert lines[0].startswith("pip install ")  # this venv has the suite already
    env = _environment(job["variables"])
    groups: list[int] = []
    try:
        done = _run_shell("\n".join(lines[1:]), workspace, env, groups)
    finally:
        _end(groups)
    assert done.returncode == 0, done.stdout
    _assert_reports_of_a_quick_passing_run(workspace / "reports", env["PORT"])
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always"
    assert all((workspace / path).exists() for path in artifacts["paths"])
    assert any((workspace / path / "report.md").exists() for path in artifacts["paths"])
    junit = ET.parse(workspace / artifacts["reports"]["junit"]).getroot()
    assert junit.iter("testcase")


def _regression_steps(job: dict[str, Any], workspace: Path, env: dict[str, str], fault: str | None) -> list[str]:
    """Run the regression job's shell steps (a main-branch run: the baseline step too) against the
    emulator, with a fault or not; the names of the steps that failed."""
    failed = []
    groups: list[int] = []
    try:
        for step in [step for step in job["steps"] if "run" in step][1:]:
            script = step["run"]
            if fault:
                script = script.replace(
                    "amplify-conformance emulator ", f"amplify-conformance emulator --fault {fault} "
                )
            if "github.ref" in step.get("if", "") and failed:
                continue  # success() is false once a step failed
            if _run_shell(script, workspace, env, groups).returncode != 0:
                failed.append(step["name"])
    finally:
        _end(groups)
    return failed


def test_regression_job_is_red_only_for_a_new_failure(tmp_path):
    job = _github("conformance-regressions")
    workspace = tmp_path
    summary = tmp_path / "step-summary.md"
    env = _environment(job["env"], GITHUB_STEP_SUMMARY=str(summary))
    # the first run has no baseline: it passes and becomes one
    assert _regression_steps(job, workspace, env, None) == []
    assert "No earlier report.json" in summary.read_text()
    assert (workspace / "baseline" / "report.json").exists()
    # the implementation regresses: the comparison fails, names what, and the baseline stays
    baseline = (workspace / "baseline" / "report.json").read_text()
    assert _regression_steps(job, workspace, env, "r3_cors") == ["Compare with the last run"]
    changes = (workspace / "diff.md").read_text()
    assert "| GetBackend | R3.cors | pass | **fail** |" in changes and changes in summary.read_text()
    assert (workspace / "baseline" / "report.json").read_text() == baseline
    # a known failure in the baseline: the same failure again is green
    shutil.copy(workspace / "reports" / "report.json", workspace / "baseline" / "report.json")
    assert _regression_steps(job, workspace, env, "r3_cors") == []
    assert "no regression" in (workspace / "diff.md").read_text()

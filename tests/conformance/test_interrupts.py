"""An interrupted run cleans up what it made: SIGINT or SIGTERM once removes every app the run
created (within the cleanup time) or names it with its removal command; twice skips the cleanup
and still names everything; `amplify-conformance cleanup` removes what was named, from the report
or from the ledger a run writes as it goes (also when the run died without a report).

The runs are the installed command in a subprocess against an emulator served by the test, so the
test can look at what is left on the target."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
import requests
from amplify_conformance import LeftBehind, Target, clean_up, cli
from amplify_conformance._reporting import load_report
from amplify_emulator import Emulator, EmulatorConfig

from .conftest import one_clear_line

CLEANUP_TIME = 10  # the default
ENDS_WITHIN = CLEANUP_TIME + 50  # after the signal: the cleanup's bound, plus writing reports on a busy machine


REMOVAL_TAKES = 0.5  # seconds: the cleanup lasts long enough for a second interrupt to land in it


def _slow_removals(app):
    """The emulator's app, with every removal taking REMOVAL_TAKES (as the real service's jobs do)."""

    def wrapped(environ, start_response):
        if environ.get("PATH_INFO", "").endswith("/remove"):
            time.sleep(REMOVAL_TAKES)
        return app(environ, start_response)

    return wrapped


@pytest.fixture
def emulator():
    emu = Emulator(EmulatorConfig(stage="/prod"), threads=16)
    emu.store = emu.app.store
    emu.app = _slow_removals(emu.app)
    with emu:
        yield emu


def _apps_on(emu) -> set[str]:
    with emu.store.lock:
        return set(emu.store.apps)


def _envs_on(emu, app_id) -> set[str]:
    with emu.store.lock:
        return set(emu.store.apps[app_id].environments)


def _start(tmp_path, url, *extra):
    reports = tmp_path / "reports"
    command = [sys.executable, "-m", "amplify_conformance.cli", "run", "--base-url", url, "--report-dir", str(reports)]
    process = subprocess.Popen([*command, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(reports.glob("created-*.jsonl")):  # it has begun making apps
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    return process, reports


def _interrupt(process, sig, after, twice):
    try:
        time.sleep(after)
        process.send_signal(sig)
        said = ""
        if twice:  # once the first was heard and acted on (a second within its handler would make one)
            while "stopping" not in said:
                said += process.stderr.readline()
            time.sleep(0.1)  # less than the first batch of removals takes
            process.send_signal(sig)
        out, err = process.communicate(timeout=ENDS_WITHIN)  # it ends by itself, within the bound
        return process.returncode, out, said + err
    finally:
        if process.poll() is None:  # a failed test leaves no run behind
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    "sig, after, twice",
    [
        (signal.SIGINT, 0.5, False),
        (signal.SIGTERM, 3.0, False),
        (signal.SIGINT, 1.5, True),
        (signal.SIGTERM, 0.5, True),
    ],
    ids=["sigint-early", "sigterm-later", "sigint-twice", "sigterm-twice"],
)
def test_an_interrupted_run_removes_what_it_made_or_names_it_with_its_removal_command(
    tmp_path, emulator, sig, after, twice
):
    url = emulator.base_url + "/prod"
    process, reports = _start(tmp_path, url)
    code, out, err = _interrupt(process, sig, after, twice)
    assert code == 1 and "Traceback" not in err, err
    report = load_report(reports / "report.json")  # valid against report.schema.json, left_behind included
    assert report["complete"] is False and report["incomplete_reason"] == f"interrupted ({sig.name})"
    assert "timeouts" not in report["concurrency"]["lowered"]  # what the interrupt cut was no timeout
    cleanup = report["cleanup"]
    named = {entry["app_id"]: entry["command"] for entry in cleanup["left_behind"]}
    left = _apps_on(emulator)
    assert left <= set(named), "an app still on the target is not named in report.json"
    for app in left:
        removal = f"curl -sS -X POST {url}/backend/{app}/remove -H 'Content-Type: application/json' -d '{{}}'"
        assert named[app] == removal
        assert named[app] in err  # the console names it too, with the same command
        assert named[app] in (reports / "report.md").read_text()
    if twice:
        assert "cleanup skipped" in cleanup["detail"] and cleanup["left_behind"]
        assert list(reports.glob("created-*.jsonl")), "the ledger stays while something may be left"
        assert cli.main(["cleanup", str(reports)]) == 0  # and the cleanup command removes it all
        assert _apps_on(emulator) == set()
        assert not list(reports.glob("created-*.jsonl"))
    else:
        assert cleanup["attempted"] > 0 and report["phases"]["cleanup"]["status"] in ("ran", "stopped")
        if not cleanup["left_behind"]:
            assert not list(reports.glob("created-*.jsonl")), "nothing left: no ledger either"


def test_an_interrupted_run_with_an_app_id_removes_only_the_environments_it_added(tmp_path, emulator):
    url = emulator.base_url + "/prod"
    body = {"appId": "mine", "appName": "mine", "backendEnvironmentName": "prod"}
    assert requests.post(url + "/backend", json=body, timeout=10).status_code == 200
    process, reports = _start(tmp_path, url, "--app-id", "mine")
    code, _, err = _interrupt(process, signal.SIGINT, 1.0, twice=True)
    assert code == 1 and "Traceback" not in err, err
    report = json.loads((reports / "report.json").read_text())
    left = report["cleanup"]["left_behind"]
    assert left and all(entry["environment"] for entry in left)
    assert all("/environments/" in entry["command"] for entry in left)  # DeleteBackend, never RemoveAllBackends
    assert _envs_on(emulator, "mine") - {"prod"} <= {e["environment"] for e in left if e["app_id"] == "mine"}
    assert cli.main(["cleanup", str(reports / "report.json")]) == 0
    assert _envs_on(emulator, "mine") == {"prod"}  # the app stays, with only what it had


def test_the_ledger_of_a_run_that_died_without_a_report_lets_cleanup_remove_what_it_made(tmp_path, emulator):
    process, reports = _start(tmp_path, emulator.base_url + "/prod")
    time.sleep(1.0)
    process.kill()  # SIGKILL: no cleanup, no report
    process.communicate()
    assert not (reports / "report.json").exists() and _apps_on(emulator)
    left = LeftBehind.read(reports)
    assert _apps_on(emulator) <= {app for app, _ in left.things}
    summary = clean_up(left, Target(left.base_url))
    assert summary["left_behind"] == [] and _apps_on(emulator) == set()
    assert not list(reports.glob("created-*.jsonl"))  # its work done, the ledger goes


def test_cleanup_names_what_it_could_not_remove_and_exits_1(tmp_path, capsys):
    ledger = tmp_path / "created-abc123.jsonl"
    lines = [{"run_id": "abc123", "base_url": "http://127.0.0.1:9/prod", "kind": "url", "app_id": None}]
    lines += [{"app_id": "acabc123001", "environment": None}]
    ledger.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert cli.main(["cleanup", str(ledger), "--timeout", "1"]) == 1  # nothing listens on port 9
    out, err = capsys.readouterr()
    assert "0 of 1 apps removed" in out
    assert "curl -sS -X POST http://127.0.0.1:9/prod/backend/acabc123001/remove" in err
    assert ledger.exists()  # still needed


@pytest.mark.parametrize(
    "content, names",
    [(None, "no such file or folder"), ("{not json", "not a readable report.json"), ("{}", "no 'target' in it")],
)
def test_cleanup_of_something_unreadable_is_one_line_and_exit_2(tmp_path, capsys, content, names):
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content)
    assert cli.main(["cleanup", str(path)]) == 2
    assert names in one_clear_line(capsys.readouterr().err)


def test_cleanup_after_a_run_against_the_embedded_emulator_has_nothing_to_do(tmp_path, capsys):
    report = {"target": {"base_url": "http://127.0.0.1:1/prod", "kind": "emulator"}, "cleanup": {"left_behind": []}}
    (tmp_path / "report.json").write_text(json.dumps(report))
    assert cli.main(["cleanup", str(tmp_path)]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_the_embedded_emulator_ends_with_its_run_so_nothing_is_left_behind_or_written(tmp_path):
    from amplify_conformance import RunOptions
    from amplify_conformance._runner import Run
    from amplify_conformance._target_for import target_for

    options = RunOptions(ledger_dir=str(tmp_path))
    target = target_for(options)
    the_run = Run(options, target, None)
    the_run.created("acgone001", ())
    target.interrupt()  # no removal gets through
    summary = the_run.cleanup()
    assert summary["attempted"] == 1 and summary["failed"] == 1
    assert summary["left_behind"] == [] and list(tmp_path.iterdir()) == []

"""Broken targets never crash a run: it finishes within its budget, says what it could not
judge and why, and a target that is down at the start is one clear error."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import amplify_openapi as spec
import pytest
from amplify_conformance import RunOptions, TargetUnreachable, cli, run
from amplify_conformance._target import Target

from ..hostile import (
    DRIBBLED,
    answer,
    closes_mid_answer,
    dribbling,
    error_page,
    hanging,
    http_target,
    huge_body,
    not_http,
    ok_stub,
    resetting,
    silent_close,
    slow_body,
    wrong_length,
)

FEW = ("GetBackend", "CreateToken", "ListS3Buckets")


def _options(url, **kw):
    return RunOptions(
        base_url=url,
        operations=FEW,
        max_examples=1,
        stateful=False,
        timeout=1.0,
        retries=1,
        time_budget=30,
        settle=kw.pop("settle", 0.2),
        **kw,
    )


def test_a_target_that_refuses_connections_is_one_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TargetUnreachable, match=f"cannot reach http://127.0.0.1:{port}/prod: connection failed"):
        run(_options(f"http://127.0.0.1:{port}/prod"))


def _refused_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return contextlib.nullcontext(f"http://127.0.0.1:{s.getsockname()[1]}/prod")


@pytest.mark.parametrize(
    "target, says",
    [
        (_refused_url, "connection failed: 127.0.0.1:{port} refused the connection (nothing listens there)"),
        (resetting, "connection failed: the target reset the connection"),
        (silent_close, "connection failed: the target closed the connection without answering"),
        (not_http, "connection failed: the target sent 21 bytes that are not HTTP ('SSH-2.0-OpenSSH_8.9\\r\\n')"),
        (closes_mid_answer, "connection closed mid-answer: after 10 bytes of the body, 990 more announced"),
        (hanging, "timed out (too slow): no complete answer within 1 s: the status line and headers had not all come"),
        (
            wrong_length,
            "timed out (too slow): no complete answer within 1 s: "
            "reading the body, 2 bytes of the 100 announced had come",
        ),
    ],
    ids=lambda value: getattr(value, "__name__", "")[:20],
)
def test_a_transport_failure_says_what_the_target_did_in_the_user_s_words(target, says):
    with target() as url:
        error = Target(url, timeout=1).send("POST", "/backend", body={}).error
    assert error == says.format(port=url.split(":")[2].split("/")[0])
    assert not any(internal in error for internal in ("_Watched", "Pool(", "object at 0x", "Errno"))


def test_an_unresolvable_host_is_named():
    """As urllib3 reports it (no resolver is asked: a test must not depend on the network)."""
    import urllib3
    from amplify_conformance._target import _describe

    resolving = urllib3.exceptions.NameResolutionError("nowhere.invalid", None, socket.gaierror(-2, "unknown"))
    error = _describe(resolving, "http://nowhere.invalid/prod/backend")
    assert error == "connection failed: cannot resolve the host name 'nowhere.invalid'"


def _judged_as_error_or_fail(result):
    assert all(o["verdict"] in ("error", "fail") for o in result.operations), [o["verdict"] for o in result.operations]


def test_non_json_answers_fail_the_body_checks_without_crashing():
    with error_page() as url:
        result = run(_options(url))
    _judged_as_error_or_fail(result)
    failing = result.failing()
    assert ("GetBackend", "R2.content-type") in failing and ("GetBackend", "R2.body-schema") in failing


def test_a_huge_answer_is_cut_and_judged_not_swallowed():
    started = time.monotonic()
    with huge_body(50 << 20) as url:
        result = run(_options(url))
    assert time.monotonic() - started < 60
    check = result.check("GetBackend", "R2.body-schema")
    assert check["verdict"] == "fail" and "not judged whole" in check["failures"][0]["message"]


def test_a_target_that_closes_mid_answer_marks_operations_error_with_the_cause():
    with closes_mid_answer() as url:
        result = run(_options(url))
    _judged_as_error_or_fail(result)
    errors = " ".join(e for o in result.operations for e in o["errors"])
    assert "connection" in errors or "closed" in errors


def test_a_hanging_or_dribbling_target_is_cut_by_the_timeout_and_the_budget():
    started = time.monotonic()
    with slow_body(0.2, 100) as url:  # a byte every 0.2 s: never a read timeout, always too slow
        result = run(
            RunOptions(
                base_url=url, operations=FEW, max_examples=1, stateful=False, timeout=1.0, retries=0, time_budget=5
            )
        )
    assert time.monotonic() - started < 30
    _judged_as_error_or_fail(result)
    errors = " ".join(e for o in result.operations for e in o["errors"])
    assert "too slow" in errors or "time budget" in errors


def test_throttled_answers_are_retried_a_bounded_number_of_times_and_reported():
    calls = {"n": 0}

    def throttle(h):
        if h.command == "OPTIONS":
            return answer(h, 200, b"")
        calls["n"] += 1
        answer(h, 429, b'{"message": "slow down", "limitType": "requests"}')

    with http_target(throttle) as url:
        result = run(
            RunOptions(
                base_url=url,
                operations=("CreateBackend",),
                max_examples=1,
                stateful=False,
                model=0,  # the model-based phase against this target: tests/conformance/test_model.py
                retries=2,
                time_budget=30,
                settle=0.2,  # a target that always throttles never settles: 10 s of the budget's 30 spent waiting
            )
        )
    data = result.to_dict()
    assert data["summary"]["retries"] > 0
    assert calls["n"] == data["summary"]["requests"] == 3 * (data["summary"]["requests"] - data["summary"]["retries"])
    # 429 bodies are judged (R9); the operation could not be judged beyond that
    assert result.check("CreateBackend", "R2.body-schema")["verdict"] == "pass"
    assert "setup: CreateBackend" in result.operation("CreateBackend")["errors"][0]


# --- hostile at the socket: what no per-read timeout catches -----------------------------


def run_cli(tmp_path, url, *args):
    return cli.main(["run", "--base-url", url, "--report-dir", str(tmp_path), "--quiet", *args])


def reports_in(tmp_path):
    """The reports written, without the ledger of what the run may have made (see _cleanup_named)."""
    return sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith((".", "created-")))


def _cleanup_named(tmp_path, report):
    """A create whose answer never came may have been acted on: the run names it as left behind,
    with its removal command, and keeps its ledger for `amplify-conformance cleanup`."""
    left = report["cleanup"]["left_behind"]
    assert left and all(e["command"].startswith("curl -sS -X POST http://127.0.0.1:") for e in left), left
    ledgers = list(tmp_path.glob("created-*.jsonl"))
    assert len(ledgers) == 1
    named = {json.loads(line).get("app_id") for line in ledgers[0].read_text().splitlines()[1:]}
    assert {e["app_id"] for e in left} <= named


ALL_REPORTS = ["badge.json", "junit.xml", "report.html", "report.json", "report.md", "summary.md"]


@pytest.mark.parametrize("part", ["status line", "headers", "body"], ids=lambda p: p.replace(" ", "-"))
def test_the_timeout_bounds_the_whole_exchange_whichever_part_dribbles(part):
    prefix = {"status line": b"", "headers": DRIBBLED[:26], "body": DRIBBLED[: DRIBBLED.index(b"\r\n\r\n") + 4]}
    with dribbling(0.1, prefix[part]) as url:
        started = time.monotonic()
        exchange = Target(url, timeout=0.5).send("POST", "/backend", body={})
        took = time.monotonic() - started
    assert exchange.reply is None and "no complete answer within 0.5 s" in exchange.error
    assert took < 5  # the answer would take over 2 s at this pace: the deadline cut it


def test_a_target_that_dribbles_status_line_and_headers_is_cut_and_every_report_says_why(tmp_path, capsys):
    """A slow target in small: every byte on time for a read timeout, the whole far too late."""
    with dribbling(0.2) as url:
        started = time.monotonic()
        code = run_cli(tmp_path, url, "--timeout", "1", "--operations", ",".join(FEW), "--max-examples", "1")
        took = time.monotonic() - started
    out, err = capsys.readouterr()
    assert took < 60, took  # 1 s exchanges, a handful per operation, in parallel
    assert code == 1 and "Traceback" not in out + err
    assert reports_in(tmp_path) == ALL_REPORTS
    report = json.loads((tmp_path / "report.json").read_text())
    assert [o["verdict"] for o in report["operations"]] == ["error"] * len(FEW)
    for op in report["operations"]:
        assert any("no complete answer within 1 s" in e for e in op["errors"]), op["errors"]
    assert report["phases"]["stateful"]["status"] == "skipped"
    assert "the target proved unusable" in report["phases"]["stateful"]["detail"]
    _cleanup_named(tmp_path, report)


def test_a_target_that_accepts_and_never_answers_ends_by_itself_with_its_reports(tmp_path, capsys):
    with hanging() as url:
        started = time.monotonic()
        code = run_cli(tmp_path, url, "--timeout", "0.5", "--operations", ",".join(FEW), "--max-examples", "1")
        took = time.monotonic() - started
    out, err = capsys.readouterr()
    assert took < 60, took
    assert code == 1 and "Traceback" not in out + err
    assert reports_in(tmp_path) == ALL_REPORTS
    report = json.loads((tmp_path / "report.json").read_text())
    assert all(o["verdict"] == "error" and o["errors"] for o in report["operations"])
    assert report["phases"]["stateful"]["status"] == "skipped"
    assert report["phases"]["cleanup"]["status"] == "stopped"  # at its first failure: the target hangs
    _cleanup_named(tmp_path, report)


def test_a_target_that_resets_every_connection_is_one_line_and_exit_2(tmp_path, capsys):
    with resetting() as url:
        started = time.monotonic()
        code = run_cli(tmp_path, url, "--timeout", "1")
        took = time.monotonic() - started
    out, err = capsys.readouterr()
    assert took < 30, took
    assert code == 2 and "Traceback" not in out + err
    assert err.count("\n") == 1 and f"cannot reach {url}: connection failed" in err
    assert reports_in(tmp_path) == []  # nothing could be sent: no report pretends otherwise


def test_a_target_never_reached_leaves_no_empty_report_folder_behind(tmp_path, capsys):
    with resetting() as url:
        code = run_cli(tmp_path / "new" / "reports", url, "--timeout", "1")
    assert code == 2 and "cannot reach" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # the folders the run made for its reports are gone again


def test_the_time_budget_stops_every_phase_and_marks_the_reports_incomplete(tmp_path, capsys):
    """A timeout longer than the budget: the budget still ends the run, exchanges in flight included."""
    with hanging() as url:
        started = time.monotonic()
        code = run_cli(tmp_path, url, "--timeout", "30", "--max-time", "2")
        took = time.monotonic() - started
    out, err = capsys.readouterr()
    assert took < 20, took  # 2 s of budget, and no 30 s exchange outlives it
    assert code == 1 and "Traceback" not in out + err
    assert "INCOMPLETE: time budget of 2 s exhausted" in out
    assert reports_in(tmp_path) == ALL_REPORTS
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["complete"] is False and report["incomplete_reason"] == "time budget of 2 s exhausted"
    assert len(report["operations"]) == 31
    assert all(o["verdict"] == "error" for o in report["operations"])
    assert report["phases"]["operations"]["status"] == "stopped"
    assert report["phases"]["stateful"] == {"status": "skipped", "detail": "run stopped: time budget of 2 s exhausted"}


def test_the_watchdog_leaves_no_thread_behind():
    with hanging() as url:
        Target(url, timeout=0.3).send("POST", "/backend", body={})
    deadline = time.monotonic() + 10
    while any(t.name == "conformance-deadlines" for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(t.name == "conformance-deadlines" for t in threading.enumerate())


# --- the stateful phase: its problems are its own ----------------------------------------


def test_the_stateful_phase_runs_against_a_stateless_target():
    """A stateless mock gives the links nothing to follow, and the state machine fell back on the
    spec's OPTIONS routes, which name no operation: it crashed with StopIteration (Prism)."""
    with ok_stub() as url:
        options = RunOptions(base_url=url, operations=("CreateBackend",), max_examples=3, seed=1, timeout=2, settle=0.2)
        result = run(options)  # settle: a stateless target never shows what was written
    stateful = result.to_dict()["phases"]["stateful"]
    assert stateful["status"] == "ran", stateful
    # schemathesis's state machine rewrote the links and references of the cached spec document it
    # was given, and every later reader in the process (the spec's own tests among them) saw them broken
    assert spec.document() == spec.document.__wrapped__()  # as cached, and as read afresh from the file


def test_a_crash_of_the_stateful_phase_is_the_phase_s_error_not_an_operation_s(monkeypatch):
    import amplify_conformance._fuzz as fuzz

    def crash(case):
        raise StopIteration

    with ok_stub() as url:
        options = RunOptions(base_url=url, operations=("CreateBackend",), max_examples=1, seed=1, timeout=2, settle=0.2)
        calm = run(options).operation("CreateBackend")
        monkeypatch.setattr(fuzz, "_operation_of", crash)
        result = run(options)
    phases = result.to_dict()["phases"]
    assert (phases["stateful"]["status"], phases["stateful"]["detail"]) == ("error", "crashed: StopIteration: ")
    assert phases["stateful"]["seconds"] >= 0 and phases["stateful"]["requests"] == 0  # it crashed before sending
    assert phases["operations"]["status"] == "ran" and phases["cleanup"]["status"] == "ran"
    crashed = result.operation("CreateBackend")
    assert not any("stateful" in e for e in crashed["errors"])
    assert crashed["verdict"] == calm["verdict"]  # whatever the answers earned, the crash added nothing


def test_cleanup_on_a_target_that_proved_unusable_stops_at_its_first_failure():
    from amplify_conformance._runner import Run

    with hanging() as url:
        the_run = Run(RunOptions(base_url=url, timeout=0.5), Target(url, timeout=0.5), None)
        the_run.created_apps.update(f"app{n:02d}" for n in range(20))
        the_run.transport_failures = 5  # what the operations' units met
        started = time.monotonic()
        cleanup = the_run.cleanup()
        took = time.monotonic() - started
    assert took < 10, took  # one 0.5 s exchange, not twenty
    assert (cleanup["attempted"], cleanup["failed"]) == (1, 1)
    assert the_run.phases["cleanup"]["status"] == "stopped"
    assert "19 not attempted: the target proved unusable (5 of 5 exchanges" in cleanup["detail"]

"""Broken targets never crash a run: it finishes within its budget, says what it could not
judge and why, and a target that is down at the start is one clear error."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from amplify_conformance import RunOptions, TargetUnreachable, run

FEW = ("GetBackend", "CreateToken", "ListS3Buckets")


def _handler(behaviour):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.sent_body = self.rfile.read(length)
            behaviour(self)

        do_GET = do_POST = do_OPTIONS = _serve

    return Handler


@contextmanager
def broken_target(behaviour):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    server.daemon_threads = True
    server.block_on_close = False  # a handler still dribbling must not hold the test up
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/prod"
    finally:
        server.shutdown()
        server.server_close()


def _answer(handler, status, body: bytes, content_type="application/json", length=None):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)


def _options(url, **kw):
    return RunOptions(
        base_url=url, operations=FEW, max_examples=1, stateful=False, timeout=1.0, retries=1, time_budget=30, **kw
    )


def test_a_target_that_refuses_connections_is_one_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TargetUnreachable, match=f"cannot reach http://127.0.0.1:{port}/prod: connection failed"):
        run(_options(f"http://127.0.0.1:{port}/prod"))


def _judged_as_error_or_fail(result):
    assert all(o["verdict"] in ("error", "fail") for o in result.operations), [o["verdict"] for o in result.operations]


def test_non_json_answers_fail_the_body_checks_without_crashing():
    with broken_target(lambda h: _answer(h, 200, b"<html>hello</html>", "text/html")) as url:
        result = run(_options(url))
    _judged_as_error_or_fail(result)
    failing = result.failing()
    assert ("GetBackend", "R2.content-type") in failing and ("GetBackend", "R2.body-schema") in failing


def test_a_huge_answer_is_cut_and_judged_not_swallowed():
    huge = b'{"pad": "' + b"x" * (50 << 20) + b'"}'

    def answer(h):
        if h.command == "OPTIONS":
            return _answer(h, 200, b"")
        _answer(h, 200, huge)

    started = time.monotonic()
    with broken_target(answer) as url:
        result = run(_options(url))
    assert time.monotonic() - started < 60
    check = result.check("GetBackend", "R2.body-schema")
    assert check["verdict"] == "fail" and "not judged whole" in check["failures"][0]["message"]


def test_a_target_that_closes_mid_answer_marks_operations_error_with_the_cause():
    def close_early(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.write(b'{"appId": ')
        h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)

    with broken_target(close_early) as url:
        result = run(_options(url))
    _judged_as_error_or_fail(result)
    errors = " ".join(e for o in result.operations for e in o["errors"])
    assert "connection" in errors or "closed" in errors


def test_a_hanging_or_dribbling_target_is_cut_by_the_timeout_and_the_budget():
    def hang(h):
        if h.command == "OPTIONS":
            return _answer(h, 200, b"")
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        for _ in range(100):  # a byte every 0.2 s: never a read timeout, always too slow
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.2)

    started = time.monotonic()
    with broken_target(hang) as url:
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
            return _answer(h, 200, b"")
        calls["n"] += 1
        _answer(h, 429, b'{"message": "slow down", "limitType": "requests"}')

    with broken_target(throttle) as url:
        result = run(
            RunOptions(
                base_url=url, operations=("CreateBackend",), max_examples=1, stateful=False, retries=2, time_budget=30
            )
        )
    data = result.to_dict()
    assert data["summary"]["retries"] > 0
    assert calls["n"] == data["summary"]["requests"] == 3 * (data["summary"]["requests"] - data["summary"]["retries"])
    # 429 bodies are judged (R9); the operation could not be judged beyond that
    assert result.check("CreateBackend", "R2.body-schema")["verdict"] == "pass"
    assert "setup: CreateBackend" in result.operation("CreateBackend")["errors"][0]

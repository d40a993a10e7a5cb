"""Throttling (R9): a 429 is sent again after a backoff that honours Retry-After and stays within the
request's patience and the run's deadline; a rate limit spaces requests over every worker; a case
the target kept throttling is named unjudged in every report and never counts as a pass."""

from __future__ import annotations

import collections
import email.utils
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from amplify_conformance import RunOptions, run
from amplify_conformance._pacing import MAX_BACKOFF, RateLimit, backoff, retry_after
from amplify_conformance._reporting import render_html, render_junit, render_markdown, validate_report
from amplify_conformance._runner import ANSWER_WINDOW, SLOW_ANSWER, Run
from amplify_conformance._target import Target
from amplify_emulator import Emulator, EmulatorConfig

from ..hostile import answer, http_target

THROTTLED_BODY = b'{"message": "Rate exceeded", "limitType": "requests"}'


def _throttling(first: int, retry_after_values: list[str | None]):
    """A target that answers its first ``first`` requests 429 (with the given Retry-After each), then 200."""
    seen = {"n": 0, "at": []}

    def behave(handler) -> None:
        seen["at"].append(time.monotonic())
        n, seen["n"] = seen["n"], seen["n"] + 1
        if n < first:
            handler.send_response(429)
            if retry_after_values[n]:
                handler.send_header("Retry-After", retry_after_values[n])
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(THROTTLED_BODY)))
            handler.end_headers()
            handler.wfile.write(THROTTLED_BODY)
        else:
            answer(handler, 200, b"{}")

    return seen, behave


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert retry_after("2") == 2.0 and retry_after("0.5") == 0.5 and retry_after("-3") == 0.0
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= retry_after(later) <= 30
    assert retry_after(email.utils.formatdate(time.time() - 30, usegmt=True)) == 0.0
    assert retry_after(None) is None and retry_after("soon") is None and retry_after("nan") is None


def test_backoff_without_retry_after_is_exponential_with_full_jitter():
    from amplify_conformance._target import Reply

    plain = Reply(429, {}, THROTTLED_BODY)
    jitter = random.Random(1)
    for attempt in range(8):
        ceiling = min(0.1 * 2**attempt, MAX_BACKOFF)
        pauses = [backoff(plain.header("retry-after"), attempt, jitter) for _ in range(200)]
        assert all(0 <= p <= ceiling for p in pauses)
        assert max(pauses) > 0.8 * ceiling and min(pauses) < 0.2 * ceiling  # spread over the whole range
    assert backoff(Reply(429, {"retry-after": "3"}, b"").header("retry-after"), 0, jitter) == 3.0


def test_a_429_is_sent_again_after_the_retry_after_it_names_in_seconds_and_as_a_date():
    date = email.utils.formatdate(time.time() + 3, usegmt=True)  # whole seconds: 2 to 3 s from now
    seen, behave = _throttling(2, ["0.3", date])
    with http_target(behave) as url:
        exchange = Target(url).send("POST", "/backend", body={})
    assert [r.status for r in exchange.replies] == [429, 429, 200] and exchange.throttled == 2
    first, second = seen["at"][1] - seen["at"][0], seen["at"][2] - seen["at"][1]
    assert 0.3 <= first < 0.6 and 1.3 <= second < 3.5  # the date's second, less what passed since
    assert 1.6 <= exchange.backed_off < 3.5


def test_a_sustained_throttle_is_waited_out_up_to_the_patience_and_never_past_the_deadline():
    _, always = _throttling(10**6, [None] * 10**6)
    with http_target(always) as url:
        target = Target(url, max_retries=100, patience=3.0)
        started = time.monotonic()
        exchange = target.send("POST", "/backend", body={})
        took = time.monotonic() - started
        # the lone request's 429s also slow its pace: fewer retries, all within the patience
        assert exchange.reply.status == 429 and exchange.retries >= 2
        assert exchange.backed_off <= 3.0 and took < 4.0
        _, named = _throttling(10**6, ["1"] * 10**6)
    with http_target(named) as url:
        started = time.monotonic()
        exchange = Target(url, max_retries=100).send("POST", "/backend", body={}, deadline=time.monotonic() + 2.5)
        took = time.monotonic() - started
    assert exchange.reply.status == 429 and 1 <= exchange.retries <= 2 and took < 2.5


def test_a_rate_limit_spaces_the_requests_of_every_worker():
    limit = RateLimit(20)
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(lambda _: limit.acquire(), range(21)))
    assert 0.95 <= time.monotonic() - started < 1.5  # the first at once, then one every 50 ms
    assert limit.waited > 0
    slow = RateLimit(1)
    assert slow.acquire(time.monotonic() + 5)
    began = time.monotonic()
    assert not slow.acquire(began + 0.3)  # its slot would come after the deadline: not taken
    assert 0.25 <= time.monotonic() - began < 0.6


def test_a_429_slows_every_worker_to_what_the_target_lets_through_and_the_pace_recovers():
    limit = RateLimit()
    assert all(limit.acquire() for _ in range(20)) and limit.waited == 0  # no pace yet: at once
    limit.throttled()
    limit.throttled()  # the 429s of requests sent before the cut: no second cut
    assert limit.slowest == pytest.approx(14)  # 0.7 of the 20 sent in the second before
    now = time.monotonic()
    assert limit.pace(now) == pytest.approx(14, rel=0.05) and limit.pace(now + 4) == pytest.approx(28, rel=0.05)
    assert limit.pace(now + 60) is None  # doubled back to no pace at all
    started = time.monotonic()
    for _ in range(8):
        limit.acquire()
    assert time.monotonic() - started >= 7 / 16  # spaced at about 14 a second


def _deterministic(emulator: Emulator, operation: str, **options) -> RunOptions:
    """One operation's deterministic plan against the emulator served at its URL (no generated
    example, no stateful or model-based sequence: these tests ask about pacing, not about them)."""
    return RunOptions(
        base_url=emulator.base_url + "/prod",
        operations=(operation,),
        max_examples=0,
        stateful=False,
        model=0,
        **options,
    )


def test_a_run_under_a_rate_limit_sends_no_faster_and_reports_it():
    stamps: list[float] = []
    lock = threading.Lock()
    emulator = Emulator(EmulatorConfig(quirks=frozenset({"rate-limit"})))
    inner = emulator.app

    def counting(environ, start_response):
        with lock:
            stamps.append(time.monotonic())
        return inner(environ, start_response)

    emulator.app = counting
    with emulator:
        result = run(_deterministic(emulator, "GetBackend", rate_limit=19)).to_dict()
    assert result["summary"]["pass"] == 1
    throttling = result["throttling"]
    assert throttling["rate_limit"] == 19 and throttling["rate_limit_wait_seconds"] > 0
    assert throttling["throttled"] == 0  # never above the emulator's 20 a second
    assert len(stamps) > 20 and (len(stamps) - 1) / (stamps[-1] - stamps[0]) <= 19 * 1.05


def _throttle_get_backend(app):
    """The emulator, except GetBackend, which is always throttled."""

    def wrapped(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ["REQUEST_METHOD"] == "POST" and path.endswith("/details") and path.count("/") == 4:
            start_response("429 Too Many Requests", [("Content-Type", "application/json")])
            return [THROTTLED_BODY]
        return app(environ, start_response)

    return wrapped


def test_a_case_the_target_kept_throttling_is_named_unjudged_in_every_report_and_is_no_pass():
    emulator = Emulator(EmulatorConfig())
    emulator.app = _throttle_get_backend(emulator.app)
    with emulator:
        result = run(_deterministic(emulator, "CreateBackend", retries=1, settle=0.3))
    data = result.to_dict()
    check = result.check("CreateBackend", "R8.backend-env")
    assert check["verdict"] == "error" and check["unjudged"] >= 1 and "not judged" in check["detail"]
    assert "GetBackend" in check["unjudged_cases"][0]["message"]
    assert result.operation("CreateBackend")["verdict"] == "error" and not result.ok
    throttling = data["throttling"]
    assert throttling["throttled"] > 0 and throttling["unjudged"] >= 1 and throttling["backoff_seconds"] > 0
    assert {(u["operation"], u["check"]) for u in throttling["unjudged_cases"]} >= {("CreateBackend", "R8.backend-env")}
    markdown, html, junit = render_markdown(data), render_html(data), render_junit(data)
    assert "NOT JUDGED" in markdown and "R8.backend-env: not judged" in markdown
    assert 'id="not-judged"' in html and "not judged" in html
    assert (
        'name="R8.backend-env"' in junit
        and "not judged" in junit.split('name="R8.backend-env"')[1].split("</testcase>")[0]
    )
    assert "cases not judged (throttled)" in markdown
    validate_report(json.loads(json.dumps(data)))


def test_requests_go_out_side_by_side_only_once_answers_take_a_round_trip_worth_overlapping():
    def pays(times: list[float]) -> bool:
        run = SimpleNamespace(_lock=threading.Lock(), _answer_times=collections.deque(times, maxlen=ANSWER_WINDOW))
        return Run.overlap_pays.fget(run)

    assert not pays([])  # nothing known yet: one at a time
    assert not pays([0.001] * ANSWER_WINDOW)  # the embedded emulator: threads would only cost
    assert pays([SLOW_ANSWER * 5] * ANSWER_WINDOW)  # a far-away target
    assert not pays([SLOW_ANSWER * 5] * (ANSWER_WINDOW // 4 - 1))  # too few answers to say
    assert pays([0.001] * (ANSWER_WINDOW // 2 - 1) + [0.2] * (ANSWER_WINDOW // 2 + 1))  # the median decides

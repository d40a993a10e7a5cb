"""How many requests a run sends at once: against a URL it adapts to the target (additive increase,
multiplicative decrease), --workers pins it, and the report says where it settled and why. A slow
target that answers one request at a time gets verdicts at default settings, not timeouts."""

from __future__ import annotations

import threading
import time

import pytest
from amplify_conformance import RunOptions, cli, run
from amplify_conformance._pacing import MAX_CONCURRENCY, START_CONCURRENCY, Concurrency, OwnStalls, alongside
from amplify_conformance._options import validate
from amplify_conformance._reporting import render_markdown, validate_report
from amplify_conformance._runner import Run
from amplify_conformance._target_for import target_for

from ..hostile import one_at_a_time
from ._report_fixtures import passing_result


def _answered(concurrency, n, elapsed=0.01, route="POST /backend", outcome="answered"):
    """``n`` answers, each to a request sent one after another."""
    for _ in range(n):
        taken = concurrency.acquire()
        concurrency.release(taken, route, outcome, elapsed)


def _rounds(concurrency, n, elapsed=0.01):
    """``n`` rounds of answers, each to as many requests at once as the limit allows."""
    for _ in range(n):
        taken = [concurrency.acquire() for _ in range(int(concurrency.limit))]
        for one in taken:
            concurrency.release(one, "POST /backend", "answered", elapsed)


def test_the_concurrency_rises_while_answers_stay_fast():
    concurrency = Concurrency(timeout=10)
    assert concurrency.limit == START_CONCURRENCY
    _rounds(concurrency, 200)
    assert concurrency.limit == MAX_CONCURRENCY and concurrency.section()["lowered"] == {}


def test_a_run_that_sends_fewer_than_the_limit_does_not_raise_it():
    concurrency = Concurrency(timeout=10)
    _answered(concurrency, 1000)  # one at a time: says nothing of what the target could take
    assert concurrency.limit == START_CONCURRENCY


@pytest.mark.parametrize(
    "outcome, elapsed, why",
    [("timeout", 0.0, "timeouts"), ("throttled", 0.01, "throttled"), ("answered", 0.5, "slow_answers")],
)
def test_a_timeout_a_429_or_a_queue_building_up_halves_it_once_a_round(outcome, elapsed, why):
    concurrency = Concurrency(timeout=10)
    _answered(concurrency, 1)  # the route's fastest answer: 0.01 s
    before = concurrency.limit
    sent_before_the_cut = [concurrency.acquire() for _ in range(3)]
    concurrency.release(sent_before_the_cut[0], "POST /backend", outcome, elapsed)
    assert concurrency.limit == pytest.approx(before / 2)
    for taken in sent_before_the_cut[1:]:  # their answers say nothing new: sent before the cut
        concurrency.release(taken, "POST /backend", outcome, elapsed)
    assert concurrency.limit == pytest.approx(before / 2)
    _answered(concurrency, 1, elapsed, outcome=outcome)  # sent after it: news
    assert concurrency.limit == pytest.approx(before / 4)
    assert concurrency.section()["lowered"] == {why: 2}


def test_it_doubles_a_round_until_its_first_cut_then_rises_by_one():
    """Slow start: a far-away target is not sent a trickle for the run's first seconds."""
    concurrency = Concurrency(timeout=10)
    _rounds(concurrency, 1)
    assert concurrency.limit > START_CONCURRENCY + 2  # one an answer while half the limit is in flight; not 1/limit
    _answered(concurrency, 1, outcome="timeout")
    halved = concurrency.limit
    _rounds(concurrency, 1)
    assert halved < concurrency.limit <= halved + 1


def test_a_slow_route_is_no_queue_and_jitter_is_none():
    concurrency = Concurrency(timeout=10)
    _answered(concurrency, 20, elapsed=2.0, route="POST /backend/{appId}/clone")  # slow, but always
    _answered(concurrency, 20, elapsed=0.001)
    _answered(concurrency, 20, elapsed=0.02)  # 20 times the fastest, yet only 19 ms more: jitter
    assert concurrency.section()["lowered"] == {}


class _Stalled:
    """A record of this process's stalls that says it stalled all the while."""

    def watch(self):
        pass

    def within(self, start, end):
        return end - start


def test_an_answer_slow_while_this_process_stalled_is_no_queue():
    """A garbage collection or a call holding the GIL delays reading every answer that comes
    meanwhile: the target's queue is not to blame, and halving would slow a far-away run."""
    concurrency = Concurrency(timeout=10, stalls=_Stalled())
    _answered(concurrency, 1)  # the route's fastest answer: 0.01 s
    before = concurrency.limit
    taken = concurrency.acquire()
    time.sleep(0.1)
    concurrency.release(taken, "POST /backend", "answered", 0.1)
    assert concurrency.limit == before and concurrency.section()["lowered"] == {}
    assert "1 slow answers not taken for a queue: this process had stalled" in concurrency.section()["detail"]


def test_the_stall_record_sees_a_call_that_holds_the_gil():
    stalls = OwnStalls()
    stalls.watch()
    time.sleep(3 * OwnStalls.TICK)  # the watching thread is under way
    start = time.monotonic()
    held = time.monotonic()
    while time.monotonic() - held < 0.3:
        sum(range(2_000_000))  # C code: no other thread runs meanwhile
    time.sleep(3 * OwnStalls.TICK)  # the late look is noted
    end = time.monotonic()
    assert stalls.within(start, end) >= 0.05
    assert stalls.within(end, end + 1) == 0.0
    thread = stalls._thread
    thread.join(OwnStalls.IDLE + 5)
    assert not thread.is_alive()  # nothing lingers once no request is out


def test_acquire_waits_for_a_place_and_gives_up_at_the_deadline_or_when_cancelled():
    concurrency = Concurrency(timeout=10, pinned=1)
    taken = concurrency.acquire()
    assert concurrency.acquire(deadline=time.monotonic() + 0.1) is None
    cancel = threading.Event()
    cancel.set()
    assert concurrency.acquire(cancel=cancel) is None
    threading.Timer(0.1, concurrency.release, (taken, "r", "answered", 0.01)).start()
    assert concurrency.acquire() is not None  # once the first is done
    assert concurrency.limit == 1  # pinned: it never adapts


def test_a_request_of_a_chain_takes_a_free_place_before_those_of_a_batch():
    """Each request of a chain lengthens the run by its wait; a batch waits once for all of its."""
    concurrency = Concurrency(timeout=10, pinned=1)
    first = concurrency.acquire()
    order = []

    def wait_for_a_place(name, batch):
        if batch:
            alongside()
        taken = concurrency.acquire()
        order.append(name)
        concurrency.release(taken, "r", "answered", 0.01)

    waiting = [threading.Thread(target=wait_for_a_place, args=("batch", True)) for _ in range(10)]
    waiting.append(threading.Thread(target=wait_for_a_place, args=("chain", False)))
    for thread in waiting:  # the batch's requests wait first
        thread.start()
        time.sleep(0.02)
    concurrency.release(first, "r", "answered", 0.01)
    for thread in waiting:
        thread.join(5)
    assert order == ["chain"] + ["batch"] * 10


def test_unlimited_never_waits():
    concurrency = Concurrency(adaptive=False)
    assert all(concurrency.acquire(deadline=0) is not None for _ in range(1000))
    assert concurrency.section()["mode"] == "unlimited"


@pytest.mark.quality
def test_a_slow_one_request_at_a_time_target_gets_verdicts_at_default_settings():
    """The target answers one request at a time, each the slower the more are waiting: with 32 sent
    at once (the default before the concurrency adapted; --workers 32 now), every operation ended
    `error` on read timeouts (bench/bench_slow_target.py). Default workers, timeout and settle;
    fewer generated examples and no stateful or model phase, for the test's time."""
    with one_at_a_time(0.01) as url:
        result = run(RunOptions(base_url=url, max_examples=1, stateful=False, model=0)).to_dict()
    validate_report(result)  # its concurrency section included
    verdicts = {op["operationId"]: op["verdict"] for op in result["operations"]}
    assert len(verdicts) == 31 and "error" not in verdicts.values(), verdicts
    concurrency = result["concurrency"]
    assert concurrency["mode"] == "adaptive" and concurrency["settled"] < START_CONCURRENCY, concurrency
    assert concurrency["lowered"].get("slow_answers"), concurrency
    assert f"settled at {concurrency['settled']}" in concurrency["detail"]
    assert f"Concurrency: {concurrency['detail']}" in render_markdown(result)


def test_the_console_says_how_the_run_slowed_down_for_a_target_that_could_not_keep_up(tmp_path, fake_run, capsys):
    result = passing_result()
    result["concurrency"] = Concurrency(timeout=10).section()
    fake_run(result=result)
    assert cli.main(["run", "--report-dir", str(tmp_path)]) == 0
    assert "concurrency:" not in capsys.readouterr().out  # never lowered: nothing to say
    concurrency = Concurrency(timeout=10)
    _answered(concurrency, 1, outcome="timeout")
    result["concurrency"] = concurrency.section()
    assert cli.main(["run", "--report-dir", str(tmp_path)]) == 0
    assert f"concurrency: {result['concurrency']['detail']}\n" in capsys.readouterr().out
    assert "lowered 1 times: 1 for timeouts" in result["concurrency"]["detail"]


def test_calls_made_at_once_are_all_done_before_one_s_failure_is_raised():
    """A unit whose family fails must not leave another going on behind its back (still sending,
    still recording into its operation's result)."""
    options = RunOptions()
    validate(options)
    the_run = Run(options, target_for(options), None)
    finished = threading.Event()

    def fails():
        raise RuntimeError("setup failed")

    def takes_a_while():
        time.sleep(0.3)
        finished.set()

    with pytest.raises(RuntimeError, match="setup failed"):
        the_run.at_once([fails, takes_a_while], chains=True)
    assert finished.is_set()

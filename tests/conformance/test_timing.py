"""Where a run's time went: each phase's seconds and requests, the units' families of questions,
the longest chain of requests, and the report lines that show them."""

from __future__ import annotations

import threading
import time

from amplify_conformance import RunOptions, run
from amplify_conformance._merge import merge_results
from amplify_conformance._reporting import summary_line, validate_report, write_reports
from amplify_conformance._timing import Timing


def test_requests_count_under_their_phase_stage_and_chain_and_side_by_side_ones_do_not_add_waiting():
    timing = Timing()
    phase: dict = {}
    with timing.phase(phase), timing.chain("a unit"), timing.stage("workflows"):
        timing.sent(2, 0.5)  # a request answered after one retry, 0.5 s waiting in all
        counted_as_here = timing.carried()

        def aside() -> None:
            counted_as_here()
            timing.sent(1, 3.0)

        threads = [threading.Thread(target=aside) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(0.05)
    timing.sent(1, 9.0)  # after the phase, outside any stage or chain: counted nowhere
    assert phase["requests"] == 5 and phase["seconds"] >= 0.05
    assert timing.stages()["workflows"]["requests"] == 5
    chain = timing.longest_chain()
    assert (chain["name"], chain["requests"], chain["waiting_seconds"]) == ("a unit", 5, 0.5)
    assert chain["seconds"] >= 0.05


def test_the_longest_chain_is_the_one_that_lasted_longest():
    timing = Timing()
    with timing.chain("short"):
        timing.sent(10, 0.0)
    with timing.chain("long"):
        time.sleep(0.05)
        timing.sent(1, 0.05)
    assert timing.longest_chain()["name"] == "long"
    assert Timing().longest_chain() is None


def test_a_report_says_each_phase_s_seconds_and_requests_and_names_the_slowest(tmp_path):
    options = RunOptions(operations=("GetBackend", "CreateToken", "ListBackendJobs"), max_examples=2, model=2)
    result = run(options).to_dict()
    validate_report(result)
    phases = result["phases"]
    assert all(p["status"] == "ran" and p["seconds"] >= 0 for p in phases.values())
    # every request of the phases that judge is one of the run's (CORS preflights have no operation)
    judged = sum(phases[p]["requests"] for p in ("operations", "stateful", "model"))
    assert result["summary"]["requests"] <= judged <= result["summary"]["requests"] + len(options.operations)
    stages = phases["operations"]["stages"]
    assert set(stages) == {"matrix", "workflows", "status codes and edges", "fuzzing"}
    assert sum(s["requests"] for s in stages.values()) == phases["operations"]["requests"]
    assert phases["model"]["requests"] > 0 and phases["stateful"]["requests"] > 0
    assert phases["cleanup"]["requests"] == result["cleanup"]["attempted"]
    chain = result["longest_chain"]
    chains = {f"the {o} unit" for o in options.operations} | {"the stateful phase", "model-based sequence 0"}
    assert chain["name"] in chains | {"model-based sequence 1"}
    slowest = max(phases, key=lambda name: phases[name]["seconds"])
    assert f"slowest phase: {slowest} ({phases[slowest]['seconds']:.1f} s" in summary_line(result)
    write_reports(result, tmp_path)
    markdown = (tmp_path / "report.md").read_text()
    assert f"model **ran** in {phases['model']['seconds']:.1f} s, {phases['model']['requests']:,} requests" in markdown
    assert f"- Time: longest chain of requests one after another: {chain['name']}" in markdown
    assert "longest chain of requests" in (tmp_path / "report.html").read_text()


def test_merged_parts_ran_side_by_side_so_a_phase_lasts_its_longest_part_and_sends_all_requests():
    parts = [
        run(RunOptions(operations=(operation,), max_examples=1, model=0, stateful=False)).to_dict()
        for operation in ("GetBackend", "GetToken")
    ]
    merged = merge_results(parts)
    validate_report(merged)
    phases = [part["phases"]["operations"] for part in parts]
    assert merged["phases"]["operations"]["seconds"] == max(p["seconds"] for p in phases)
    assert merged["phases"]["operations"]["requests"] == sum(p["requests"] for p in phases)
    assert merged["phases"]["operations"]["stages"]["matrix"]["requests"] == sum(
        p["stages"]["matrix"]["requests"] for p in phases
    )
    assert merged["longest_chain"] == max((p["longest_chain"] for p in parts), key=lambda c: c["seconds"])
    assert "seconds" not in merged["phases"]["model"]  # skipped in both: nothing to time


def test_a_target_is_far_away_when_even_its_fastest_recent_answer_took_a_round_trip():
    import collections

    from amplify_conformance._runner import ANSWER_WINDOW, Run

    def run_that_saw(times: list[float]) -> Run:
        seen = Run.__new__(Run)  # only what the two properties read
        seen._lock, seen._answer_times = threading.Lock(), collections.deque(times, maxlen=ANSWER_WINDOW)
        return seen

    burst = run_that_saw([0.001] * 10 + [0.3] * 30)  # a near target queueing a burst of our own requests
    assert burst.overlap_pays and not burst.far_away
    assert run_that_saw([0.1 + i / 1000 for i in range(40)]).far_away  # a far-away region
    assert not run_that_saw([0.2] * 5).far_away  # too few answers to tell

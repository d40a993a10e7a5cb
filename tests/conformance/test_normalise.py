"""Each normalisation rule takes out what it names, and only while it is on."""

from __future__ import annotations

import json

import pytest
from amplify_conformance._normalise import RULE_NAMES, RULES, Normaliser
from amplify_conformance._target import Exchange, Reply, SentRequest

RUN_ID = "a1b2c3"
APP, ENV = f"ac{RUN_ID}007", f"dev{RUN_ID[:3]}007"
JOB = "cf824d1493924bfb000000000000000f"


def _exchange(body: dict, headers: dict[str, str] | None = None, sent: dict | None = None) -> Exchange:
    headers = headers or {"Content-Type": "application/json"}
    request = SentRequest("POST", f"http://h/prod/backend/{APP}", {}, json.dumps(sent or {}).encode())
    reply = Reply(
        200, {k.lower(): v for k, v in headers.items()}, json.dumps(body).encode(), header_names=tuple(headers)
    )
    return Exchange(request, (reply,))


def _normalise(normaliser: Normaliser, exchange: Exchange, where: str = "Op#1") -> dict:
    return normaliser.exchange(where, "POST", "/backend/{appId}", {"appId": APP}, exchange)


# one answer per rule that the rule changes (polls acts on a unit's sequence, transient-status on pairs)
SAMPLES = {
    "run-names": _exchange({"appId": APP, "message": f"backend {APP} env {ENV}cl not found"}),
    "server-ids": _exchange({"jobId": JOB}),
    "request-ids": _exchange({}, {"Content-Type": "application/json", "x-amzn-RequestId": "r-1"}),
    "timestamps": _exchange({"createTime": "2026-12-01T23:10:43.940Z", "expirationTime": 1764630000}),
    "list-order": _exchange({"backendEnvironmentList": ["b", "a"]}),
    "header-name-case": _exchange({}, {"Content-Type": "application/json"}),
    "header-lists": _exchange({}, {"Access-Control-Allow-Methods": "POST, OPTIONS"}),
    "media-type-parameters": _exchange({}, {"content-type": "application/json; charset=utf-8"}),
    "error-type-suffix": _exchange({}, {"x-amzn-ErrorType": "NotFoundException:http://internal.amazon.com/x"}),
}


def test_every_rule_has_a_reason_and_a_sample():
    assert all(rule.reason for rule in RULES)
    assert set(SAMPLES) == set(RULE_NAMES) - {"transient-status", "polls"}  # they act on pairs and sequences


@pytest.mark.parametrize("rule", sorted(SAMPLES))
def test_each_rule_changes_its_sample_and_turning_it_off_keeps_what_was_sent(rule):
    on = Normaliser(RUN_ID)
    off = Normaliser(RUN_ID, disabled={rule})
    normalised, kept = _normalise(on, SAMPLES[rule]), _normalise(off, SAMPLES[rule])
    assert normalised != kept
    assert on.applied[rule] > 0 and off.applied[rule] == 0


def test_run_names_are_named_by_where_they_first_appeared():
    normaliser = Normaliser(RUN_ID)
    got = _normalise(normaliser, SAMPLES["run-names"], where="CreateBackend#1")
    assert got["request"]["params"] == {"appId": "<app@CreateBackend#1>"}
    assert got["response"]["json"] == {
        "appId": "<app@CreateBackend#1>",
        "message": "backend <app@CreateBackend#1> env <env@CreateBackend#1>cl not found",
    }


def test_a_server_id_seen_before_keeps_its_name_and_a_new_one_gets_its_own():
    normaliser = Normaliser(RUN_ID)
    _normalise(normaliser, _exchange({"jobId": JOB}), where="CreateBackend#1")
    again = _normalise(normaliser, _exchange({"jobs": [{"jobId": JOB}]}, sent={"jobId": JOB}), where="List#1")
    assert again["request"]["json"] == {"jobId": "<jobId@CreateBackend#1>"}
    assert again["response"]["json"] == {"jobs": [{"jobId": "<jobId@CreateBackend#1>"}]}
    other = _normalise(normaliser, _exchange({"jobId": "another-job-id"}), where="Get#1")
    assert other["response"]["json"] == {"jobId": "<jobId@Get#1>"}


def test_timestamps_keep_their_type_and_arrays_compare_in_any_order():
    normaliser = Normaliser(RUN_ID)
    got = _normalise(normaliser, _exchange({"createTime": "2026", "expirationTime": 17, "list": [3, 1, 2]}))
    assert got["response"]["json"] == {"createTime": "<timestamp>", "expirationTime": 0, "list": [1, 2, 3]}


def test_compared_headers_only_and_their_variations_taken_out():
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "x-amzn-ErrorType": "BadRequestException:http://internal.amazon.com/coral/",
        "Access-Control-Allow-Methods": "OPTIONS, post",
        "Date": "Tue, 01 Dec 2026 23:10:43 GMT",
        "Server": "something",
    }
    got = _normalise(Normaliser(RUN_ID), _exchange({}, headers))
    assert got["response"]["headers"] == {
        "content-type": "application/json",
        "x-amzn-errortype": "BadRequestException",
        "access-control-allow-methods": "options,post",
    }


def test_a_body_that_is_not_json_is_kept_as_text_and_a_transport_failure_as_its_error():
    normaliser = Normaliser(RUN_ID)
    request = SentRequest("POST", "http://h/prod/backend", {}, b"{not json")
    text = Exchange(request, (Reply(400, {}, f"bad {APP}".encode()),))
    got = normaliser.exchange("Op#1", "POST", "/backend", {}, text)
    assert got["request"]["text"] == "{not json"
    assert got["response"]["text"] == "bad <app@Op#1>"
    failed = normaliser.exchange("Op#2", "POST", "/backend", {}, Exchange(request, (), error="timed out"))
    assert failed["response"] is None and failed["error"] == "timed out"


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="unknown normalisation rule"):
        Normaliser(RUN_ID, disabled={"no-such-rule"})


def test_the_readme_lists_every_rule_with_its_reason():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for rule in RULES:
        assert f"| `{rule.name}` | {rule.reason} |" in readme


def test_the_near_misses_of_a_run_made_app_name_are_run_names_too():
    normaliser = Normaliser(RUN_ID)
    near = {"swapped": APP.swapcase(), "prefix": APP[:-1]}
    got = _normalise(normaliser, _exchange(near), where="Probe#1")
    assert got["response"]["json"] == {"swapped": "<app@Probe#1/2>", "prefix": "<app@Probe#1/3>"}
    given = Normaliser(RUN_ID, app_id="d1a2b3c4example")
    text = given.text("d1a2b3c4exampl and D1A2B3C4EXAMPLE and d1a2b3c4example")
    assert "d1a2b3c4" not in text.lower()


@pytest.mark.parametrize("polls_on", [True, False])
def test_a_read_repeated_in_a_row_counts_once_with_its_last_answer(polls_on):
    from amplify_conformance._recording import Recorder
    from amplify_conformance._runner import PlanExchange

    recorder = Recorder(disabled=() if polls_on else {"polls"})
    for status in (404, 404, 200):  # a read polled until the state shows
        exchange = _exchange({"appId": APP})
        exchange = Exchange(exchange.request, (Reply(status, {}, exchange.reply.body),))
        recorder(
            PlanExchange(RUN_ID, "GetBackend", "GetBackend", None, "POST", "/backend/{appId}/details", {}, exchange)
        )
    statuses = [(e["n"], e["response"]["status"]) for e in recorder.entries()]
    assert statuses == ([(1, 200)] if polls_on else [(1, 404), (2, 404), (3, 200)])
    assert recorder.applied()["polls"] == (2 if polls_on else 0)

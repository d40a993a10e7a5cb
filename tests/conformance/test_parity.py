"""Parity against emulators: two clean instances answer alike, a fault differs exactly where it
lives, a quirk differs in what it changes and nothing else, and a recording compares offline."""

from __future__ import annotations

import gzip
import json
from contextlib import ExitStack
from datetime import UTC, datetime

import jsonschema
import pytest
from amplify_conformance import (
    ParityError,
    ParityOptions,
    Recorder,
    RunOptions,
    load_recording,
    parity,
    run,
    write_recording,
)
from amplify_conformance._parity import _compare, _Side
from amplify_conformance._reporting import (
    ReportError,
    parity_schema,
    render_parity_html,
    render_parity_markdown,
    validate_parity,
    write_parity_reports,
)
from amplify_conformance._runner import Run
from amplify_emulator import FAULTS, Emulator, EmulatorConfig

# deterministic answers: no throttling, no seeded 504s
QUIET = {"throttle_rps": None, "error_rate": 0.0}
TOKENS = ("CreateToken", "GetToken", "DeleteToken")
SEED = 20261201


@pytest.fixture
def emulators():
    """Start emulators on free ports: emulators(faults=..., quirks=...) -> base URL (with /prod)."""
    with ExitStack() as stack:

        def start(**config) -> str:
            emulator = stack.enter_context(Emulator(EmulatorConfig(**QUIET, **config), host="127.0.0.1", port=0))
            return emulator.base_url + "/prod"

        yield start


def _parity(a: str, b: str, operations=None, **options):
    side = {"operations": operations, "seed": SEED, "settle": 1.0}  # a faulted read is judged after 1 s, not 5
    return parity(ParityOptions(a=RunOptions(base_url=a, **side), b=RunOptions(base_url=b, **side), **options))


def _differing(result) -> set[str]:
    return {op["operationId"] for op in result.to_dict()["operations"] if op["verdict"] == "differ"}


def _fields(result) -> list[dict]:
    return [f for op in result.to_dict()["operations"] for d in op["differences"] for f in d["fields"]]


@pytest.mark.quality  # the whole plan on two targets at once: about 15 s
def test_two_clean_instances_answer_every_request_of_the_plan_alike(emulators):
    result = _parity(emulators(), emulators())
    report = result.to_dict()
    assert _differing(result) == set() and not result.differs, _fields(result)[:5]
    assert report["summary"]["operations"] == 31
    assert report["summary"]["compared"] > 2000  # the matrix, probes, workflows and CORS of 31 operations
    applied = {rule["name"]: rule["applied"] for rule in report["normalisation"]}
    assert applied["run-names"] and applied["server-ids"] and applied["request-ids"] and applied["timestamps"]
    for side in ("a", "b"):
        verdicts = report["sides"][side]["conformance"]["operations"]
        assert {v["verdict"] for v in verdicts.values()} == {"pass"}
    validate_parity(report)


@pytest.mark.parametrize(
    "fault, operations",
    [
        ("r4_required", ("CreateBackendStorage", "GetBackendStorage", "ListBackendJobs")),
        ("r8_token", TOKENS),
        ("r2_content_type", ("GetBackend", "CreateBackend")),
        ("aws_request_id", ("ListS3Buckets", "GetBackend")),
        ("aws_request_id_reused", ("GetBackendJob", "ListS3Buckets")),  # a repeated id, not only a missing one
        # writes whose answers are alike, seen only by a later read: charged to the write, not the read
        ("r8_resource_lifecycle", ("DeleteBackendAPI", "GetBackendAPI")),
        ("r8_backend_env", ("CreateBackend", "GetBackend", "GetBackendJob")),
        ("r8_remove_all", ("RemoveAllBackends", "GetBackend")),
        # and a read that is wrong by itself is charged to the read, wherever it is sent
        ("r8_storage_echo", ("GetBackendStorage", "CreateBackendStorage", "UpdateBackendStorage")),
    ],
)
def test_one_fault_differs_in_exactly_its_operation(emulators, fault, operations):
    result = _parity(emulators(), emulators(faults=frozenset({fault})), operations)
    assert _differing(result) == {FAULTS[fault].operation_id}
    report = result.to_dict()
    faulted = next(op for op in report["operations"] if op["operationId"] == FAULTS[fault].operation_id)
    assert faulted["conformance"] == {"a": "pass", "b": "fail"}
    first = faulted["differences"][0]
    assert first["a"]["curl"].startswith("curl ") and first["b"]["response"] is not None


def test_a_fault_seen_only_at_the_aws_level_is_no_difference_at_the_others(emulators):
    clean, faulted = emulators(), emulators(faults=frozenset({"aws_request_id"}))
    assert _parity(clean, faulted, ("ListS3Buckets",), levels=("schema", "behaviour")).differs is False
    assert {f["where"] for f in _fields(_parity(clean, faulted, ("ListS3Buckets",)))} == {"header x-amzn-requestid"}


def test_the_extra_members_quirk_differs_in_extra_members_only_and_both_sides_conform(emulators):
    result = _parity(emulators(), emulators(quirks=frozenset({"extra-members"})), TOKENS)
    fields = _fields(result)
    assert fields and all(f["kind"] == "only-b" and f["where"].endswith(".xEmulatorExtra") for f in fields)
    for op in result.to_dict()["operations"]:
        assert op["conformance"] == {"a": "pass", "b": "pass"}


def test_a_fault_only_a_sequence_shows_is_no_difference_because_parity_sends_the_plan_only(emulators):
    # the model-based phase draws its own sequences, which parity neither pairs nor compares: a
    # side that ran it would carry R8.sequences verdicts (and its cost) into a plan-only comparison
    result = _parity(emulators(), emulators(faults=frozenset({"r8_third_token"})), TOKENS)
    assert not result.differs
    for op in result.to_dict()["operations"]:
        assert op["conformance"] == {"a": "pass", "b": "pass"}, op


@pytest.mark.parametrize(
    "quirk, rule, where",
    [
        ("charset", "media-type-parameters", {"header content-type"}),
        ("lowercase-headers", "header-name-case", None),  # every compared header, by name only
    ],
)
def test_a_quirk_a_rule_normalises_is_no_difference_until_the_rule_is_off(emulators, quirk, rule, where):
    clean, quirky = emulators(), emulators(quirks=frozenset({quirk}))
    assert not _parity(clean, quirky, TOKENS).differs
    result = _parity(clean, quirky, TOKENS, no_normalise=frozenset({rule}))
    fields = _fields(result)
    assert fields
    if where:
        assert {f["where"] for f in fields} == where
    else:
        assert {f["kind"] for f in fields} == {"name"}
    state = {r["name"]: r["enabled"] for r in result.to_dict()["normalisation"]}
    assert state[rule] is False and all(on for name, on in state.items() if name != rule)


def _record(base_url: str, path, operations=None):
    options = RunOptions(base_url=base_url, operations=operations, seed=SEED, max_examples=1)
    recorder = Recorder()
    result = run(options, recorder=recorder)
    return write_recording(recorder, options, result.to_dict(), path)


def test_a_recording_of_the_clean_emulator_matches_a_second_instance_and_names_a_fault(emulators, tmp_path):
    path = _record(emulators(), tmp_path / "clean.json.gz", TOKENS)
    recorded = load_recording(path)
    assert recorded["plan"]["seed"] == SEED and recorded["plan"]["operations"] == sorted(TOKENS)
    assert len(recorded["exchanges"]) == len(json.loads(gzip.decompress(path.read_bytes()))["exchanges"]) > 10
    same = parity(ParityOptions(a=RunOptions(base_url=emulators()), recording=path))
    assert not same.differs and same.to_dict()["sides"]["b"]["kind"] == "recording"
    differ = parity(ParityOptions(a=RunOptions(base_url=emulators(faults=frozenset({"r8_token"}))), recording=path))
    assert _differing(differ) == {"GetToken"}
    difference = next(op for op in differ.to_dict()["operations"] if op["differences"])["differences"][0]
    assert difference["b"]["recorded"] is True and difference["a"]["recorded"] is False
    validate_parity(differ.to_dict())


def test_a_recording_refuses_another_plan_and_a_rule_it_cannot_undo(emulators, tmp_path):
    clean = emulators()
    path = _record(clean, tmp_path / "tokens.json", TOKENS)
    with pytest.raises(ParityError, match="different plan .*operations"):
        parity(ParityOptions(a=RunOptions(base_url=clean, operations=("GetToken",)), recording=path))
    data = json.loads(path.read_text())
    data["plan"]["spec_sha256"] = "0" * 64
    (tmp_path / "other.json").write_text(json.dumps(data))
    with pytest.raises(ParityError, match="spec_sha256"):
        parity(ParityOptions(a=RunOptions(base_url=clean), recording=tmp_path / "other.json"))
    with pytest.raises(ParityError, match="cannot be undone"):
        parity(ParityOptions(a=RunOptions(base_url=clean), recording=path, no_normalise=frozenset({"run-names"})))


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "cannot read"),
        (b"{", "not JSON"),
        (b'{"format": "something else"}', "not a recording"),
        (b'{"format": "amplify-conformance-recording", "version": 99}', "version 99"),
        (b'{"format": "amplify-conformance-recording", "version": 1, "plan": {}, "exchanges": [{}]}', "exchange 0"),
        (gzip.compress(b"[1, 2]", mtime=0), "not a recording"),
    ],
    ids=["missing", "not-json", "other-format", "other-version", "bad-exchange", "gzipped-array"],
)
def test_an_unreadable_recording_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "recording.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ParityError, match=message):
        load_recording(path)


def test_parity_reports_render_every_difference_safely(emulators, tmp_path):
    result = _parity(emulators(), emulators(faults=frozenset({"r8_token"})), TOKENS).to_dict()
    written = write_parity_reports(result, tmp_path)
    assert sorted(p.name for p in written.values()) == ["parity.html", "parity.json", "parity.md"]
    validate_parity(json.loads(written["json"].read_text()))
    markdown, html = render_parity_markdown(result), render_parity_html(result)
    assert "| [GetToken](#op-GetToken) | **differ** |" in markdown and "| CreateToken | **same** |" in markdown
    assert "body.challengeCode" in markdown and "curl -sS" in markdown
    assert 'id="op-GetToken"' in html and "body.challengeCode" in html
    assert "<script" not in html and 'src="' not in html and 'href="http' not in html  # self-contained


def test_a_side_that_cannot_be_reached_is_a_parity_error(emulators):
    with pytest.raises(ParityError, match="side B: cannot reach"):
        _parity(emulators(), "http://127.0.0.1:9/prod", ("GetToken",))


def _side(label: str, status: int, message: str):
    entry = {
        "unit": "GetToken",
        "operationId": "GetToken",
        "case": "GetToken:valid",
        "n": 1,
        "request": {"method": "GET", "path": "/backend/{appId}/challenge/{sessionId}", "params": {}},
        "response": {"status": status, "headers": {}, "json": {"message": message}},
    }
    conformance = {"summary_line": "", "complete": True, "operations": {}}
    return _Side(label, {"kind": "recording"}, [entry], {}, conformance, {})


def test_a_pair_with_a_429_or_504_is_skipped_unless_transient_status_is_off():
    a, b = _side("A", 200, "ok"), _side("B", 504, "gateway timeout")
    options = RunOptions(operations=("GetToken",))
    now = datetime.now(UTC)
    skipped = _compare(a, b, options, ("schema", "behaviour", "aws"), frozenset(), now)
    assert skipped["summary"]["skipped"] == 1 and skipped["summary"]["differences"] == 0
    compared = _compare(a, b, options, ("schema", "behaviour", "aws"), frozenset({"transient-status"}), now)
    fields = compared["operations"][0]["differences"][0]["fields"]
    assert {(f["where"], f["level"]) for f in fields} == {("status", "schema"), ("body.message", "behaviour")}
    only_schema = _compare(a, b, options, ("schema",), frozenset({"transient-status"}), now)
    assert [f["where"] for f in only_schema["operations"][0]["differences"][0]["fields"]] == ["status"]


def test_the_parity_schema_is_a_valid_schema_and_refuses_a_verdict_it_does_not_know():
    jsonschema.Draft202012Validator.check_schema(parity_schema())
    a, b = _side("A", 200, "ok"), _side("B", 200, "other")
    report = _compare(a, b, RunOptions(operations=("GetToken",)), ("behaviour",), frozenset(), datetime.now(UTC))
    validate_parity(report)
    report["operations"][0]["verdict"] = "similar"
    with pytest.raises(ReportError, match="operations/0/verdict"):
        validate_parity(report)


def test_which_requests_a_run_sends_never_depends_on_whether_its_target_answers_slowly(emulators, monkeypatch):
    # against a target whose answers take a round trip, cases go out side by side; the worlds they
    # need, and so the requests and their order, must be those of a run against a quick target,
    # or a parity of a slow and a quick implementation would pair up unrelated requests
    a, b = emulators(), emulators()
    monkeypatch.setattr(Run, "overlap_pays", property(lambda run: run.target.base_url == a))
    result = _parity(a, b, operations=["DeleteBackendAuth", "RemoveAllBackends", "DeleteBackendAPI"])
    assert _differing(result) == set() and not result.differs, _fields(result)[:5]
    assert result.to_dict()["summary"]["compared"] > 100

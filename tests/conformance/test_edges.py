"""Edge values in the default run: a fixed set of unusual but well-typed inputs per operation
(amplify_strategies.edges), judged only by the exchange checks, so that a 5xx answered to one of
them fails R6.no-5xx in the deterministic run, under a label naming the place and the value."""

from __future__ import annotations

import copy
from typing import Any

import amplify_openapi
import pytest
from amplify_conformance import RunOptions, run
from amplify_emulator import FAULTS
from amplify_strategies import edges, full_body
from amplify_strategies._edges import EDGE_IDENTIFIERS, EDGE_STRINGS
from amplify_strategies._sites import ITEM, sites
from amplify_strategies._values import HANDED_OUT

OPERATIONS = [op.operation_id for op in amplify_openapi.operations()]
DETERMINISTIC = {"max_examples": 0, "stateful": False, "model": 0, "seed": 1}


def _values_at(body: Any, path: tuple[str, ...]) -> list[Any]:
    """Every value the body holds at a site's path (each array element for ITEM), under every
    spelling of the member."""
    found = [body]
    for seg in path:
        step: list[Any] = []
        for node in found:
            if seg == ITEM and isinstance(node, list):
                step.extend(node)
            elif isinstance(node, dict):
                step.extend(node[name] for name in amplify_openapi.spellings(seg) if name in node)
        found = step
    return found


# ---- the strategies function ----------------------------------------------------------------


def test_edges_are_the_same_on_every_call_and_a_caller_cannot_change_them():
    for operation_id in OPERATIONS:
        first = edges(operation_id)
        kept = copy.deepcopy(first)
        assert first == edges(operation_id)
        for edge in first:
            if isinstance(edge.body, dict):
                edge.body.clear()
        assert edges(operation_id) == kept


def test_labels_name_the_place_and_the_value_and_are_unique_within_an_operation():
    for operation_id in OPERATIONS:
        labels = [edge.label for edge in edges(operation_id)]
        assert len(labels) == len(set(labels)), operation_id
        assert all(label.startswith("edge:") for label in labels)
    labels = {edge.label for edge in edges("UpdateBackendStorage")}
    assert {"edge:body-strings:long-5000", "edge:body-strings:empty", "edge:body-arrays:empty"} <= labels
    assert "edge:path:appId:%2F" in labels and "edge:path:backendEnvironmentName:long-300" in labels
    assert {edge.label for edge in edges("GetBackendJob")} == {
        f"edge:path:{parameter}:{name}"
        for parameter in ("appId", "backendEnvironmentName", "jobId")
        for name, _ in EDGE_IDENTIFIERS
    }


def test_every_free_string_member_of_every_operation_holds_each_edge_string_at_once():
    for operation_id in OPERATIONS:
        string_edges = {edge.name: edge for edge in edges(operation_id) if edge.place == "body-strings"}
        free = [
            site
            for site in sites(operation_id)
            if site.json_type == "string" and site.enum is None and not HANDED_OUT.search(site.name)
        ]
        assert bool(free) == bool(string_edges), operation_id
        if not free:
            continue
        assert set(string_edges) == {name for name, _ in EDGE_STRINGS}
        for name, text in EDGE_STRINGS:
            body = string_edges[name].body
            for site in free:
                values = _values_at(body, site.path)
                assert values and all(v == text for v in values), (operation_id, name, site.json_path, values)


def test_enum_members_keep_documented_values_and_required_members_stay():
    for operation_id in OPERATIONS:
        every = sites(operation_id)
        for edge in edges(operation_id):
            if edge.body is None:
                continue
            for site in every:
                for value in _values_at(edge.body, site.path):
                    if site.enum is not None:
                        assert value in site.enum, (edge.label, site.json_path, value)
                    if site.json_type in ("number", "integer"):
                        assert not isinstance(value, str), (edge.label, site.json_path)
            for member in amplify_openapi.schema(amplify_openapi.operation(operation_id).request_schema).get(
                "required", ()
            ):
                assert member in edge.body, (edge.label, member)


def test_arrays_are_emptied_and_numbers_are_large_or_fractional_within_documented_bounds():
    for operation_id in OPERATIONS:
        by_label = {edge.label: edge for edge in edges(operation_id)}
        for site in sites(operation_id):
            if site.json_type == "array" and ITEM not in site.path:
                assert _values_at(by_label["edge:body-arrays:empty"].body, site.path) == [[]], site.json_path
            if site.json_type == "number":
                large = _values_at(by_label["edge:body-numbers:large"].body, site.path)
                fraction = _values_at(by_label["edge:body-numbers:fraction"].body, site.path)
                assert large and all(v >= 1e15 for v in large), (operation_id, site.json_path)
                assert fraction and all(v == 0.5 for v in fraction), (operation_id, site.json_path)
    jobs = {edge.label: edge for edge in edges("ListBackendJobs")}
    assert jobs["edge:body-numbers:large"].body["maxResults"] == 25  # R6.bounds' question stays its own
    assert "edge:body-numbers:fraction" not in jobs  # an integer keeps its type: nothing else to change


def test_handed_out_members_are_left_out_and_nesting_is_deep():
    for edge in edges("ListBackendJobs") + edges("ListS3Buckets"):
        if edge.body is not None:
            assert "nextToken" not in edge.body, edge.label  # a made-up token is the fuzzing's question
    deep = next(edge for edge in edges("GetBackend") if edge.place == "body-nesting")
    node, depth = deep.body["xAmplifyConformanceDeep"], 0
    while isinstance(node, dict | list):
        node, depth = (node["level"] if isinstance(node, dict) else node[0]), depth + 1
    assert depth == 64
    assert {k: v for k, v in deep.body.items() if k != "xAmplifyConformanceDeep"} == full_body("GetBackend")


def test_path_edges_cover_each_identifier_with_values_percent_encoded_on_the_wire():
    from amplify_conformance._target import Target

    target = Target("http://localhost:9/prod")
    for operation_id in OPERATIONS:
        op = amplify_openapi.operation(operation_id)
        path_edges = [edge for edge in edges(operation_id) if edge.parameter]
        assert len(path_edges) == len(op.path_parameters) * len(EDGE_IDENTIFIERS)
    wire = {
        edge.name: target.url("/backend/{appId}/details", {"appId": edge.value})
        for edge in edges("GetBackend")
        if edge.parameter
    }
    assert wire["%2F"].endswith("/backend/a%2Fb/details")
    assert wire["%25%00"].endswith("/backend/a%25b%00c/details")
    assert wire["%20é😀"].endswith("/backend/a%20b%C3%A9%F0%9F%98%80/details")


# ---- against the emulator ---------------------------------------------------------------------

EDGE_FAULTS = {
    # fault: the labels of the edges that provoke it
    "r6_long_string": {"edge:body-strings:long-5000"},
    # every appId edge that goes percent-encoded on the wire: all but the long plain one
    "r6_path_percent": {f"edge:path:appId:{name}" for name, _ in EDGE_IDENTIFIERS if not name.startswith("long-")},
}


@pytest.mark.quality
@pytest.mark.parametrize("fault", sorted(EDGE_FAULTS), ids=str)
def test_a_5xx_to_an_edge_value_fails_the_default_run_on_its_operation_only(fault):
    if fault not in FAULTS:
        pytest.fail(f"the emulator has no fault {fault!r}")
    expected = FAULTS[fault]
    result = run(RunOptions(emulator_faults=frozenset({fault}), **DETERMINISTIC))
    # a 500 is no documented status either: R1.status-code fails beside R6.no-5xx, on that operation only
    failing = result.failing()
    assert (expected.operation_id, "R6.no-5xx") in failing, failing
    assert failing <= {(expected.operation_id, "R6.no-5xx"), (expected.operation_id, "R1.status-code")}, failing
    check = result.check(expected.operation_id, "R6.no-5xx")
    cases = {failure["case"] for failure in check["failures"]}
    assert cases and cases <= EDGE_FAULTS[fault], cases
    assert check["failed"] >= len(cases)


@pytest.mark.quality
@pytest.mark.parametrize("quirks", [frozenset(), frozenset({"picky"})], ids=["clean", "picky"])
def test_a_conformant_emulator_fails_no_edge(quirks):
    sent = []
    result = run(RunOptions(emulator_quirks=quirks, **DETERMINISTIC), recorder=sent.append)
    assert result.failing() == set()
    labels = {exchange.case for exchange in sent if (exchange.case or "").startswith("edge:")}
    assert "edge:body-strings:long-5000" in labels and "edge:path:appId:%2F" in labels
    assert sum((exchange.case or "").startswith("edge:") for exchange in sent) < 600

"""`report merge` makes one report of partial results, equal in structure to a run's; `replay`
re-sends a report's failing requests and says which still fail."""

from __future__ import annotations

import json

import pytest
from amplify_conformance import RunOptions, run
from amplify_conformance._merge import merge_results
from amplify_conformance._reporting import validate_report
from amplify_conformance.cli import main
from amplify_emulator import Emulator, EmulatorConfig

QUICK = {"max_examples": 0, "stateful": False, "emulator_throttle_rps": None, "emulator_error_rate": 0.0}


@pytest.fixture(scope="module")
def halves():
    """Two partial results: the spec's operations split in two, one with a fault on."""
    import amplify_openapi as spec

    ids = [op.operation_id for op in spec.operations()]
    first = run(RunOptions(operations=tuple(ids[:15]), seed=1, **QUICK)).to_dict()
    second = run(
        RunOptions(operations=tuple(ids[15:]), seed=2, emulator_faults=frozenset({"r6_bounds"}), **QUICK)
    ).to_dict()
    return first, second


def test_merging_disjoint_parts_gives_every_operation_and_a_run_shaped_summary(halves):
    first, second = halves
    merged = merge_results([first, second])
    validate_report(merged)
    assert merged["summary"]["operations"] == 31 and merged["summary"]["fail"] == 1
    assert set(merged["summary"]) == set(first["summary"])
    assert merged["summary"]["requests"] == first["summary"]["requests"] + second["summary"]["requests"]
    assert merged["summary"]["coverage"]["status_codes"]["documented"] == 155
    assert [p["seed"] for p in merged["merged_from"]] == [1, 2]
    assert {(o["operationId"], o["verdict"]) for o in merged["operations"] if o["verdict"] != "pass"} == {
        ("ListBackendJobs", "fail")
    }


def test_shards_of_one_operation_add_up_check_by_check(halves):
    _, second = halves
    shard = next(o for o in second["operations"] if o["operationId"] == "ListBackendJobs")
    part = {**second, "operations": [shard]}
    merged = merge_results([part, part])
    (operation,) = merged["operations"]
    bounds = next(c for c in operation["checks"] if c["name"] == "R6.bounds")
    alone = next(c for c in shard["checks"] if c["name"] == "R6.bounds")
    assert bounds["verdict"] == "fail" and bounds["cases"] == 2 * alone["cases"]
    assert bounds["failed"] == 2 * alone["failed"] and bounds["detail"].endswith(f"{2 * alone['failed']} failed")
    assert operation["requests"] == 2 * shard["requests"] and operation["verdict"] == "fail"


def test_report_merge_writes_every_report_and_exits_1_on_a_failure(halves, tmp_path, capsys):
    paths = []
    for n, part in enumerate(halves):
        paths.append(tmp_path / f"part{n}.json")
        paths[-1].write_text(json.dumps(part))
    code = main(["report", "merge", *map(str, paths), "--report-dir", str(tmp_path / "out")])
    assert code == 1
    assert "31 operations: 30 pass, 1 fail" in capsys.readouterr().out
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "report.json",
        "junit.xml",
        "report.md",
        "report.html",
        "summary.md",
        "badge.json",
    }
    assert main(["report", "merge", str(tmp_path / "missing.json")]) == 2


def test_replay_says_which_failures_still_fail(tmp_path, capsys):
    options = {**QUICK, "operations": ("ListS3Buckets",), "fuzz": True, "max_examples": 3, "seed": 20261202}
    with Emulator(EmulatorConfig(stage="/prod", faults=frozenset({"r6_token_unicode"}))) as broken:
        data = run(RunOptions(base_url=broken.base_url + "/prod", **options)).to_dict()
        report = tmp_path / "report.json"
        report.write_text(json.dumps(data))
        assert main(["replay", str(report)]) == 1
    out = capsys.readouterr().out
    assert "STILL FAILS" in out and "ListS3Buckets R6.no-5xx: status 500" in out
    with Emulator(EmulatorConfig(stage="/prod")) as fixed:
        assert main(["replay", str(report), "--base-url", fixed.base_url + "/prod"]) == 0
    out = capsys.readouterr().out
    assert "PASSES NOW" in out and "0 still fail" in out

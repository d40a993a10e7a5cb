"""The pytest entry spreads a campaign over xdist workers (operation x shard, each shard its own
seed) and the controller merges every worker's result into one report, as a CLI run writes it."""

from __future__ import annotations

import json
import subprocess

import pytest
from amplify_conformance._reporting import validate_report
from amplify_emulator import Emulator, EmulatorConfig

from .conftest import run_pytest_entry

pytestmark = pytest.mark.quality


def _pytest(*args: str) -> subprocess.CompletedProcess:
    return run_pytest_entry("-q", "-p", "no:cacheprovider", *args)


def test_shards_on_two_popen_workers_merge_into_one_report_that_keeps_a_fuzzed_failure_once(tmp_path):
    report = tmp_path / "merged"
    with Emulator(EmulatorConfig(stage="/prod", faults=frozenset({"r6_token_unicode"}))) as emulator:
        done = _pytest(
            "--base-url",
            emulator.base_url + "/prod",
            "--tx",
            "popen",
            "--tx",
            "popen",
            "--dist",
            "load",
            "-k",
            "ListS3Buckets or GetBackendJob",
            "--conformance-fuzz",
            "--conformance-duration",
            "6s",
            "--conformance-shards",
            "2",
            "--conformance-seed",
            "20261202",
            "--conformance-report",
            str(report),
        )
    assert done.returncode == 1, done.stdout[-3000:]  # ListS3Buckets fails, in both shards
    assert "2 failed, 2 passed" in done.stdout and "4 partial results merged" in done.stdout
    data = json.loads((report / "report.json").read_text())
    validate_report(data)
    assert [o["operationId"] for o in data["operations"]] == ["GetBackendJob", "ListS3Buckets"]
    assert len(data["merged_from"]) == 4 and len({p["seed"] for p in data["merged_from"]}) == 2
    buckets = next(o for o in data["operations"] if o["operationId"] == "ListS3Buckets")
    shards = [p for p in data["merged_from"] if p["operations"] == ["ListS3Buckets"]]
    assert buckets["verdict"] == "fail" and len(shards) == 2
    groups = [g for g in data["fuzz"]["groups"] if g["check"] == "R6.no-5xx"]
    assert len(groups) == 1 and groups[0]["shape"] == {"nextToken": "unicode"}  # one group over both shards
    assert groups[0]["count"] >= 2
    assert {"junit.xml", "report.md", "report.html"} <= {p.name for p in report.iterdir()}
    assert any(report.joinpath("fuzz-db").iterdir())

"""The pytest entry spreads a campaign over xdist workers (operation x shard, each shard its own
seed) and the controller merges every worker's result into one report, as a CLI run writes it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

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
            "--conformance-rounds",
            "1",
            "--conformance-shards",
            "2",
            "--conformance-seed",
            "20261202",
            "--conformance-report",
            str(report),
        )
    # each shard's seed reaches the fault in its first round, however busy the machine
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


def _config(workers: int, **options):
    return SimpleNamespace(
        getoption=lambda name, default=None: options.get(name, default), workerinput={"workercount": workers}
    )


def test_each_item_fuzzes_for_its_share_of_the_duration_or_its_rounds():
    from amplify_conformance.test_conformance import _campaign

    timed = _config(2, **{"--conformance-fuzz": True, "--conformance-duration": "6s"})
    assert _campaign(timed, items=4) == {"fuzz": True, "rounds": None, "duration": 3.0}  # 6 s x 2 workers / 4 items
    assert _campaign(timed, items=1)["duration"] == 6.0
    counted = _config(2, **{"--conformance-fuzz": True, "--conformance-rounds": 2, "--conformance-report": "out"})
    assert _campaign(counted, items=4) == {"fuzz": True, "rounds": 2, "database": str(Path("out") / "fuzz-db")}
    assert _campaign(_config(2, **{"--conformance-rounds": 2}), items=4) == {}


def test_rounds_need_fuzz_and_must_be_at_least_one():
    from amplify_conformance.pytest_plugin import pytest_configure

    with pytest.raises(pytest.UsageError, match="--conformance-rounds needs --conformance-fuzz"):
        pytest_configure(_config(1, **{"--conformance-rounds": 2}))
    with pytest.raises(pytest.UsageError, match="--conformance-rounds must be at least 1"):
        pytest_configure(_config(1, **{"--conformance-fuzz": True, "--conformance-rounds": 0}))

"""The conformance suite as pytest items, one per operation of the spec.

    pytest --pyargs amplify_conformance --base-url https://host/prod -n auto

Each item runs the library's run() for its operation (the same checks as the CLI) and fails
with every failing check, what it saw and a curl reproducer. Without --base-url each item
starts its own embedded emulator. The stateful phase is the CLI's; here items stay independent
so pytest-xdist can spread them. With --conformance-accept FILE, an operation whose failures
the file accepts is an xfail with their reasons.

    pytest --pyargs amplify_conformance -n auto --conformance-fuzz --conformance-duration 30m \
        --conformance-shards 4 --conformance-report reports/

makes one item per operation and shard (each shard its own seed, each item its share of the
campaign's time, or N rounds with --conformance-rounds N) and has the controller merge every
item's result into one report.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import amplify_openapi as spec
import pytest
from amplify_conformance import LEVELS, RunOptions, RunResult, apply_deviations, run
from amplify_conformance._options import resolve_seed
from amplify_conformance.pytest_plugin import DEVIATIONS, DEVIATIONS_PROPERTY, RESULT_PROPERTY, random_base


def _levels(config) -> tuple[str, ...]:
    value = config.getoption("--conformance-level")
    return LEVELS if value == "all" else tuple(v.strip() for v in value.split(","))


def pytest_generate_tests(metafunc) -> None:
    """One item per operation, or per operation and shard with --conformance-shards N."""
    shards = metafunc.config.getoption("--conformance-shards") or 1
    ids = [op.operation_id for op in spec.operations()]
    if shards == 1:
        metafunc.parametrize(("operation_id", "shard"), [(i, 0) for i in ids], ids=ids)
    else:
        pairs = [(i, n) for i in ids for n in range(shards)]
        metafunc.parametrize(("operation_id", "shard"), pairs, ids=[f"{i}-shard{n}" for i, n in pairs])


def _campaign(config, items: int) -> dict:
    """The fuzzing options of one item: its share of the campaign's time, its rounds, the shared database."""
    if not config.getoption("--conformance-fuzz"):
        return {}
    from amplify_conformance.cli._values import duration as _duration

    options: dict = {"fuzz": True, "rounds": config.getoption("--conformance-rounds")}
    if config.getoption("--conformance-report"):
        options["database"] = str(Path(config.getoption("--conformance-report")) / "fuzz-db")
    duration = config.getoption("--conformance-duration")
    if duration:
        workers = getattr(config, "workerinput", {}).get("workercount", 1)
        options["duration"] = max(1.0, _duration(duration) * min(workers, items) / max(1, items))
    return options


def _seed(config, shard: int) -> dict:
    """The seed of one item and where it came from: the session's seed (given, the fixed default, or
    random: one for the whole session, see random_base) for shard 0, one derived from it for the others."""
    base, source = resolve_seed(config.getoption("--conformance-seed"), bool(config.getoption("--conformance-fuzz")))
    if source == "random":
        base = random_base(config)
    if shard:
        base = int.from_bytes(hashlib.sha256(f"{base}:shard{shard}".encode()).digest()[:4], "big")
    return {"seed": base, "seed_source": source}


def test_operation_conforms(operation_id: str, shard: int, request, pytestconfig, record_property) -> None:
    items = sum(1 for item in request.session.items if getattr(item, "originalname", "") == "test_operation_conforms")
    options = RunOptions(
        base_url=pytestconfig.getoption("--base-url"),
        app_id=pytestconfig.getoption("--app-id"),
        levels=_levels(pytestconfig),
        **_seed(pytestconfig, shard),
        operations=(operation_id,),
        stateful=False,
        **_campaign(pytestconfig, items),
    )
    data = run(options).to_dict()
    deviations = pytestconfig.stash.get(DEVIATIONS, None)
    if deviations is not None:
        data = apply_deviations(data, deviations)
        record_property(DEVIATIONS_PROPERTY, data["deviations"])
    if pytestconfig.getoption("--conformance-report"):
        record_property(RESULT_PROPERTY, data)  # for the controller to merge, from any worker
    result = RunResult(data).operation(operation_id)
    problems = [
        f"{c['name']} ({c['level']}): {c['detail']}\n"
        + "\n".join(f"    {f['message']}\n    {f.get('curl', '')}" for f in c["failures"])
        for c in result["checks"]
        if c["verdict"] == "fail"
    ]
    problems += [f"error: {e}" for e in result["errors"]]
    if result["verdict"] == "accepted":
        accepted = [
            f"{c['name']}: {'; '.join(a['reason'] for a in c['accepted_by'])}"
            for c in result["checks"]
            if c["verdict"] == "accepted"
        ]
        pytest.xfail("accepted deviation: " + " | ".join(accepted))
    assert result["verdict"] == "pass", f"{operation_id} does not conform:\n" + "\n".join(problems)

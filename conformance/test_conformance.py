"""The conformance suite as pytest items, one per operation of the spec.

    pytest --pyargs amplify_conformance --base-url https://host/prod -n auto

Each item runs the library's run() for its operation (the same checks as the CLI) and fails
with every failing check, what it saw and a curl reproducer. Without --base-url each item
starts its own embedded emulator. The stateful phase is the CLI's; here items stay independent
so pytest-xdist can spread them. With --conformance-accept FILE, an operation whose failures
the file accepts is an xfail with their reasons.
"""

from __future__ import annotations

import amplify_openapi as spec
import pytest
from amplify_conformance import LEVELS, RunOptions, RunResult, apply_deviations, run
from amplify_conformance.pytest_plugin import DEVIATIONS, DEVIATIONS_PROPERTY


def _levels(config) -> tuple[str, ...]:
    value = config.getoption("--conformance-level")
    return LEVELS if value == "all" else tuple(v.strip() for v in value.split(","))


@pytest.mark.parametrize("operation_id", [op.operation_id for op in spec.operations()])
def test_operation_conforms(operation_id: str, pytestconfig, record_property) -> None:
    options = RunOptions(
        base_url=pytestconfig.getoption("--base-url"),
        app_id=pytestconfig.getoption("--app-id"),
        levels=_levels(pytestconfig),
        seed=pytestconfig.getoption("--conformance-seed"),
        operations=(operation_id,),
        stateful=False,
    )
    data = run(options).to_dict()
    deviations = pytestconfig.stash.get(DEVIATIONS, None)
    if deviations is not None:
        data = apply_deviations(data, deviations)
        record_property(DEVIATIONS_PROPERTY, data["deviations"])
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

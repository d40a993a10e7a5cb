"""The conformance suite as pytest items, one per operation of the spec.

    pytest --pyargs amplify_conformance --base-url https://host/prod -n auto

Each item runs the library's run() for its operation (the same checks as the CLI) and fails
with every failing check, what it saw and a curl reproducer. Without --base-url each item
starts its own embedded emulator. The stateful phase is the CLI's; here items stay independent
so pytest-xdist can spread them.
"""

from __future__ import annotations

import amplify_openapi as spec
import pytest
from amplify_conformance import LEVELS, RunOptions, run


def _levels(config) -> tuple[str, ...]:
    value = config.getoption("--conformance-level")
    return LEVELS if value == "all" else tuple(v.strip() for v in value.split(","))


@pytest.mark.parametrize("operation_id", [op.operation_id for op in spec.operations()])
def test_operation_conforms(operation_id: str, pytestconfig) -> None:
    options = RunOptions(
        base_url=pytestconfig.getoption("--base-url"),
        app_id=pytestconfig.getoption("--app-id"),
        levels=_levels(pytestconfig),
        seed=pytestconfig.getoption("--conformance-seed"),
        operations=(operation_id,),
        stateful=False,
    )
    result = run(options).operation(operation_id)
    problems = [
        f"{c['name']} ({c['level']}): {c['detail']}\n"
        + "\n".join(f"    {f['message']}\n    {f.get('curl', '')}" for f in c["failures"])
        for c in result["checks"]
        if c["verdict"] == "fail"
    ]
    problems += [f"error: {e}" for e in result["errors"]]
    assert result["verdict"] == "pass", f"{operation_id} does not conform:\n" + "\n".join(problems)

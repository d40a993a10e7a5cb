"""Every documented status code observed: on a target that honours injection (the embedded
emulator), each code no input provoked is injected, so its body is judged too."""

from __future__ import annotations

import amplify_strategies as strategies

from ._target import NO_BODY
from ._unit import Unit
from ._world import World


def status_plan(unit: Unit, world: World) -> None:
    run = unit.run_
    if not run.target.can_inject:
        return
    record = unit.ledger.operation_result(unit.op, run.options.levels, run.documented[unit.id])
    observed = set(record["coverage"]["status_codes"]["observed"])
    body = unit.identity(strategies.valid_body(unit.id), world)
    for code in unit.op.status_codes:
        if code in observed or code == "200":
            continue
        unit.send(
            unit.op,
            world.path_parameters(unit.op),
            NO_BODY if body is None else body,
            inject=code,
            case=f"{unit.id}:inject:{code}",
        )

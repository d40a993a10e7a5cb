"""R3: OPTIONS on the operation's resource answers the three CORS headers."""

from __future__ import annotations

from . import _checks as C
from ._unit import Unit


def cors(unit: Unit) -> None:
    placeholders = {name: f"cors{name}" for name in unit.op.path_parameters}
    exchange = unit.run_.transmit("OPTIONS", unit.op.path, placeholders)
    if exchange.error:
        unit.errors.append(exchange.error)
        return
    unit.ledger.record(unit.id, C.cors(unit.op.path, exchange.reply), exchange)

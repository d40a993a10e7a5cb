"""A labelled request: what it exercises, which rule, where, and what a conformant target answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RULES = ("valid", "R4", "R5", "R6")
KINDS = (
    "valid",
    "valid-full",
    "enum-value",
    "required-missing",
    "wrong-type",
    "enum-outside",
    "bound-inside",
    "bound-outside",
    "malformed-body",
    "fraction",
    "deprecated-member",
)
#: The kinds whose case a conformant target accepts (200); every other kind is rejected (400).
ACCEPTED_KINDS = frozenset({"valid", "valid-full", "enum-value", "bound-inside", "fraction", "deprecated-member"})
#: The kinds whose id names the value placed (the others are unique by path alone).
_VALUE_IN_ID = frozenset(
    {"enum-value", "wrong-type", "enum-outside", "bound-inside", "bound-outside", "malformed-body", "fraction"}
)


@dataclass(frozen=True)
class Case:
    """One request body that breaks exactly one rule of the contract (or none).

    ``body`` is the JSON value to send, ``bytes`` for a raw malformed body, or ``None``
    to send no body at all (an empty body counts as ``{}``).
    """

    operation_id: str
    rule: str
    kind: str
    json_path: str
    body: Any
    expect: str
    detail: str
    enum: str | None = None
    value: Any = None

    @property
    def id(self) -> str:
        """Stable, unique within a matrix, readable: ``op:kind[:json_path][:value]``."""
        parts = [self.operation_id, self.kind]
        if self.json_path:
            parts.append(self.json_path)
        if self.kind in _VALUE_IN_ID:
            parts.append(repr(self.value))
        return ":".join(parts)

"""Coverage targets computed from the spec alone, for reports and for the coverage tests."""

from __future__ import annotations

from typing import Any

import amplify_openapi

from ._sites import sites

_KEYS = ("members", "array_items", "enum_sites", "enum_values", "required_members", "bounded_members")


def _operation_counts(operation_id: str) -> dict[str, int]:
    every = sites(operation_id)
    enum_sites = [site for site in every if site.enum is not None]
    return {
        "members": sum(not site.is_item for site in every),
        "array_items": sum(site.is_item for site in every),
        "enum_sites": len(enum_sites),
        "enum_values": sum(len(site.enum) for site in enum_sites),
        "required_members": sum(site.required for site in every),
        "bounded_members": sum(bool(site.bounds) for site in every),
    }


def spec_counts() -> dict[str, Any]:
    """Totals over all operations, and per operation under ``"operations"``.

    ``enum_values`` is the sum over enum sites of their values (a shared enum counts once
    per place it is used); members are counted at every depth, optional parents included.
    """
    per_op = {op.operation_id: _operation_counts(op.operation_id) for op in amplify_openapi.operations()}
    totals: dict[str, Any] = {key: sum(counts[key] for counts in per_op.values()) for key in _KEYS}
    totals["enums"] = len(amplify_openapi.enum_names())
    totals["operations"] = per_op
    return totals

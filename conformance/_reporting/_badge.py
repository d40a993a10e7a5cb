"""badge.json: a shields.io endpoint (https://shields.io/badges/endpoint-badge) saying how many
operations conform, overall and per level, for an implementation's README."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._views import LEVELS

LABEL = "AmplifyBackend conformance"


def _color(conforming: int, total: int, complete: bool) -> str:
    if not complete or not total:
        return "lightgrey"
    share = conforming / total
    return "brightgreen" if share == 1 else "yellow" if share >= 0.8 else "orange" if share >= 0.5 else "red"


def badge(result: Mapping[str, Any]) -> dict[str, Any]:
    """The endpoint's JSON: "28/31 operations (schema 31, behaviour 28, aws 30)"; an operation
    conforms when its verdict is pass (an accepted failure is a known deviation, no pass)."""
    operations = list(result.get("operations", ()))
    total = len(operations)
    conforming = sum(op.get("verdict") == "pass" for op in operations)
    levels = [lv for lv in LEVELS if lv in (result.get("levels") or ())]
    per_level = ", ".join(
        f"{lv} {sum((op.get('levels') or {}).get(lv) == 'pass' for op in operations)}" for lv in levels
    )
    complete = bool(result.get("complete", True))
    message = f"{conforming}/{total} operations" + (f" ({per_level})" if per_level else "")
    if not complete:
        message += ", incomplete run"
    return {"schemaVersion": 1, "label": LABEL, "message": message, "color": _color(conforming, total, complete)}


def render_badge(result: Mapping[str, Any]) -> str:
    """badge.json: publish it where shields.io can fetch it, then link
    https://img.shields.io/endpoint?url=<its URL>."""
    return json.dumps(badge(result), indent=2) + "\n"

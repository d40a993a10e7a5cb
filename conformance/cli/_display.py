"""What `run` prints as it goes: one line per finished operation, a campaign's live view, and
after the summary the campaign's figures and each distinct failure."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any


def progress_line(operation: Mapping[str, Any]) -> str:
    """One line per finished operation: its verdict, and the checks that did not pass."""
    verdict = operation.get("verdict", "error")
    failing = [
        f"{c.get('name')}={c.get('verdict')}"
        for c in operation.get("checks", ())
        if c.get("verdict") in ("fail", "error")
    ]
    line = f"{verdict.upper():<7} {operation.get('operationId', '?')}"
    return line + (f"  ({', '.join(failing)})" if failing else "")


def campaign_display(args: argparse.Namespace) -> Any:
    """The campaign's live view for --fuzz runs (None otherwise: operation lines only)."""
    if not args.fuzz:
        return None
    from amplify_conformance._progress import CampaignDisplay

    return CampaignDisplay(quiet=bool(args.quiet))


def campaign_lines(fuzz: Mapping[str, Any]) -> str:
    """The campaign's figures and each distinct failure, one line each, after the summary."""
    from amplify_conformance._progress import describe

    lines = [describe({**fuzz, "remaining": None, "duration": None})]
    for group in fuzz.get("groups", ()):
        body = ((group.get("example") or {}).get("request") or {}).get("body")
        lines.append(
            f"  {group['operation']} {group['check']}: {group['seen']} x{group['count']}"
            + (f"; {'minimal' if group.get('shrunk') else 'smallest'} example body {body}" if body else "")
        )
    return "\n".join(lines)

"""What `run` prints as it goes: one line per finished operation, a campaign's live view, and
after the summary the campaign's figures and each distinct failure."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

ERROR_SHOWN = 200  # characters of an erring operation's first error on its progress line


def progress_line(operation: Mapping[str, Any]) -> str:
    """One line per finished operation: its verdict, the checks that did not pass, and for an
    error what went wrong first (a timed-out target says so: the user learns why, not only that)."""
    verdict = operation.get("verdict", "error")
    failing = [
        f"{c.get('name')}={c.get('verdict')}"
        for c in operation.get("checks", ())
        if c.get("verdict") in ("fail", "error")
    ]
    line = f"{verdict.upper():<7} {operation.get('operationId', '?')}"
    line += f"  ({', '.join(failing)})" if failing else ""
    errors = operation.get("errors") or ()
    if verdict == "error" and errors:
        line += f": {str(errors[0])[:ERROR_SHOWN]}"
    return line


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

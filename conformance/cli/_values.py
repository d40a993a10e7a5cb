"""Option values as people type them: comma lists, levels, operationIds checked against the
spec, headers, worker counts, numbers of seconds and durations such as 30m."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import Any

from amplify_conformance._reporting import LEVELS

from ._shell import UsageError


def split(values: Sequence[str] | None) -> list[str]:
    """Repeatable options that also take comma lists: ``--level schema,aws --level behaviour``."""
    return [item.strip() for value in values or () for item in value.split(",") if item.strip()]


def levels(values: Sequence[str] | None) -> tuple[str, ...]:
    chosen = split(values) or ["all"]
    unknown = [v for v in chosen if v not in (*LEVELS, "all")]
    if unknown:
        raise UsageError(f"unknown level {unknown[0]!r}; choose from {', '.join(LEVELS)} or all")
    return LEVELS if "all" in chosen else tuple(lv for lv in LEVELS if lv in chosen)


def operations(values: Sequence[str] | None) -> tuple[str, ...] | None:
    """Operation ids checked against the spec, so a typo is an error rather than an empty run."""
    chosen = split(values)
    if not chosen:
        return None
    import amplify_openapi

    known = [op.operation_id for op in amplify_openapi.operations()]
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise UsageError(f"unknown operation {unknown[0]!r} (see the spec's operationIds, e.g. {known[0]})")
    return tuple(dict.fromkeys(chosen))


def headers(values: Sequence[str] | None) -> dict[str, str]:
    found = {}
    for value in values or ():
        name, colon, content = value.partition(":")
        if not colon or not name.strip():
            raise UsageError(f"--header {value!r} is not 'Name: value'")
        found[name.strip()] = content.strip()
    return found


def workers(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number or 'auto'") from None
    if count < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return count


def at_least_zero(value: str) -> int:
    """A whole number, 0 or more (0 switching something off)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be 0 or more")
    return number


def seed(value: str) -> int | str:
    """--seed: a whole number from 0 (replays that run), or 'random' (a fresh seed, in the report)."""
    from amplify_conformance._options import parse_seed

    try:
        return parse_seed(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive(kind: type) -> Any:
    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a {kind.__name__}") from None
        if number <= 0:
            raise argparse.ArgumentTypeError(f"{value!r} must be positive")
        return number

    return parse


def non_negative_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r} must be a finite number of seconds, 0 or more")
    return number


_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*([smh]))?\s*$")


def rate(value: str) -> float:
    """Requests a second from ``20/s``, ``600/m``, ``1000/h`` (as schemathesis writes them) or a plain number."""
    match = _RATE.match(value)
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a rate such as 20/s, 600/m or 1000/h")
    return float(match.group(1)) / {None: 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")


def duration(value: str) -> float:
    """``90s``, ``30m``, ``2h`` or plain seconds."""
    match = _DURATION.match(value)
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a duration such as 90s, 30m or 2h")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]

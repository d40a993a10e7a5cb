"""Whether an answer holds what was submitted: the one comparison of a read-back with its write."""

from __future__ import annotations

from typing import Any

from .._allowances import spellings_present


def contains(got: Any, wanted: Any) -> bool:
    """Whether an answer holds everything submitted (see ``difference``)."""
    return difference(got, wanted) is None


def difference(got: Any, wanted: Any, where: str = "") -> str | None:
    """Where an answer fails to hold what was submitted, or None. Extra members and array order
    are the target's choice; a member sent under every spelling the reference gives must come
    back under at least one, and each spelling that comes back must hold what was sent."""
    if isinstance(wanted, dict):
        if not isinstance(got, dict):
            return f"{where or 'the answer'} is {short(got, 60)}, not an object"
        for key, value in wanted.items():
            path = f"{where}.{key}" if where else key
            present = spellings_present(got, key)
            if not present:
                return f"{path} missing"
            for name in present:
                if (found := difference(got[name], value, f"{where}.{name}" if where else name)) is not None:
                    return found
        return None
    if isinstance(wanted, list):
        if not isinstance(got, list):
            return f"{where} is {short(got, 60)}, not an array"
        unmatched = list(got)
        for item in wanted:
            match = next((i for i, candidate in enumerate(unmatched) if contains(candidate, item)), None)
            if match is None:
                return f"{where} is {short(got, 80)}: it lacks the submitted {short(item, 60)}"
            del unmatched[match]
        return None
    return None if got == wanted else f"{where} is {short(got, 60)}, submitted {short(wanted, 60)}"


def short(value: Any, limit: int = 160) -> str:
    """``repr(value)``, cut to ``limit`` characters for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."

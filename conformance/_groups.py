"""Hypothesis wraps what stopped a test in exception groups: finding the cause inside them."""

from __future__ import annotations


def find(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """exc itself if it is one of kinds, else the first such exception inside its group."""
    if isinstance(exc, kinds):
        return exc
    for inner in getattr(exc, "exceptions", None) or ():
        if found := find(inner, kinds):
            return found
    return None

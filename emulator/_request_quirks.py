"""The quirks that change how a request is read, all of them conformant: a spelling-* quirk
treats the other spellings of its member as unknown members, and picky refuses unusual but
well-typed values."""

from __future__ import annotations

import re
from typing import Any

import amplify_openapi

from ._config import EmulatorConfig

_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z0-9._~-]+")
# the identifiers a client names; jobId and sessionId are the implementation's own (any format)
_NAMES = ("appId", "backendEnvironmentName")


class RequestQuirks:
    """How the switched-on quirks read a request's parameters and body."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._unfollowed = _unfollowed_spellings(config.quirks)
        self._picky = config.has("picky")

    def read(self, body: Any) -> Any:
        """The body with the spellings no quirk follows dropped at every depth (unknown, so ignored)."""
        return _without(body, self._unfollowed)

    def refused(self, params: dict[str, str], body: Any) -> str | None:
        """Why the picky quirk refuses these values, if it is on and does."""
        return _too_unusual(params, body) if self._picky else None


def _unfollowed_spellings(quirks: frozenset[str]) -> frozenset[str]:
    """The member spellings a spelling-* quirk treats as unknown (the other spellings of its member)."""
    unfollowed: set[str] = set()
    for group in amplify_openapi.spelling_groups():
        followed = [name for name in group if f"spelling-{name}" in quirks]
        if followed:
            unfollowed.update(name for name in group if name not in followed)
    return frozenset(unfollowed)


def _without(value: Any, names: frozenset[str]) -> Any:
    """The body with members of these names dropped at every depth (unknown to this reading)."""
    if not names:
        return value
    if isinstance(value, dict):
        return {k: _without(v, names) for k, v in value.items() if k not in names}
    if isinstance(value, list):
        return [_without(v, names) for v in value]
    return value


def _too_unusual(params: dict[str, str], body: Any) -> str | None:
    """What the picky quirk refuses: long strings, empty arrays, names with odd characters."""
    for name, value in params.items():
        if name in _NAMES and not _PLAIN_IDENTIFIER.fullmatch(value):
            return f"{name}: only letters, digits and - . _ ~ are supported"
    stack = [("body", body)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and len(value) > 256:
            return f"{where}: longer than 256 characters"
        if isinstance(value, list):
            if not value:
                return f"{where}: must not be empty"
            stack += [(f"{where}[]", v) for v in value]
        elif isinstance(value, dict):
            stack += [(f"{where}.{k}", v) for k, v in value.items()]
    return None

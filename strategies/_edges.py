"""Unusual but well-typed inputs, a fixed set per operation, read from the spec.

The contract leaves open whether such values (very long strings, reserved or percent-ish
characters, text outside ASCII and the BMP, empty strings and arrays, large numbers, deep
nesting under an unknown member) are accepted or answered 400, but never lets one be answered
with a 5xx other than 504 (R6). Each edge here is one request: in the body, every free string
member at every depth set at once to one edge string, every array emptied at once, every
number made large or fractional at once, or one unknown member holding deep nesting; in the
path, one identifier set to one edge value. A conformant answer is any documented one, so an
edge carries no expectation of its own, only a label naming the place and the value.

The body each edge starts from is ``full_body`` (every documented member at every depth, every
spelling), so no optional member is left out. Members whose values only the target hands out
(``nextToken``, see ``HANDED_OUT``) stay out, as they do of ``full_body``: what a made-up token
gets is a question of its own, one the fuzzing asks.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import amplify_openapi

from ._matrix import full_body, valid_body
from ._sites import ITEM, Site, site_index

#: One member name for the deep nesting, unknown to every model (so ignored where accepted).
DEEP_MEMBER = "xAmplifyConformanceDeep"
DEPTH = 64
LONG_STRING = 5000
LONG_IDENTIFIER = 300

#: (name in the label, value) of the strings every free string member of a body is set to.
EDGE_STRINGS: tuple[tuple[str, str], ...] = (
    (f"long-{LONG_STRING}", ("edgevalue" * (LONG_STRING // 9 + 1))[:LONG_STRING]),
    ("reserved-/?#&=+%2F%25%00", "a/b c?d#e&f=g+h%2Fi%25j%00k"),
    ("non-ascii-é中文😀𝄞", "é中文😀𝄞"),
    ("empty", ""),
)

#: (name in the label, value) of each path identifier's edge values. The value is what the
#: identifier holds; a target quotes it on the wire, so "a/b" goes as a%2Fb, "a%b" as a%25b.
EDGE_IDENTIFIERS: tuple[tuple[str, str], ...] = (
    ("%2F", "a/b"),
    ("%25%00", "a%b\x00c"),
    ("%20é😀", "a bé😀"),
    (f"long-{LONG_IDENTIFIER}", ("edgeid" * (LONG_IDENTIFIER // 6 + 1))[:LONG_IDENTIFIER]),
)

LARGE_NUMBER = 1e15
LARGE_INTEGER = 2_147_483_647
FRACTION = 0.5


@dataclass(frozen=True)
class Edge:
    """One unusual but well-typed request of an operation.

    ``place`` is ``body-strings``, ``body-arrays``, ``body-numbers`` or ``body-nesting`` (then
    ``body`` is the body to send), or ``path`` (then ``parameter`` names the path identifier,
    ``value`` is what it holds, and ``body`` is the operation's minimal valid body, or None
    when it documents none)."""

    operation_id: str
    place: str
    name: str
    body: Any
    parameter: str | None = None
    value: Any = None

    @property
    def label(self) -> str:
        """``edge:body-strings:long-5000``, ``edge:path:appId:%2F``: where, and which value."""
        where = f"path:{self.parameter}" if self.parameter else self.place
        return f"edge:{where}:{self.name}"

    @property
    def detail(self) -> str:
        if self.parameter:
            return f"path identifier {self.parameter} = {_shown(self.value)}"
        return {
            "body-strings": f"every free string member = {_shown(self.value)}",
            "body-arrays": "every array member empty",
            "body-numbers": f"every number member {self.name.split('-', 1)[1]}",
            "body-nesting": f"unknown member {DEEP_MEMBER} nested {DEPTH} levels deep",
        }[self.place]


def _shown(value: str) -> str:
    return repr(value) if len(value) <= 40 else f"{value[:12]!r}... ({len(value)} characters)"


def edges(operation_id: str) -> tuple[Edge, ...]:
    """The operation's edges, the same on every call: the body's first (strings, arrays,
    numbers, nesting), then each path identifier's in path order. A body edge that would
    change nothing (no free string, array or number member) is left out."""
    amplify_openapi.operation(operation_id)  # a clear KeyError for an unknown operation
    return copy.deepcopy(_edges(operation_id))


@cache
def _edges(operation_id: str) -> tuple[Edge, ...]:
    out: list[Edge] = []
    base = full_body(operation_id)
    if base is not None:
        index = site_index(operation_id)
        for name, text in EDGE_STRINGS:
            changed = _every(base, index, _free_string, lambda site, _value, text=text: text)
            if changed != base:
                out.append(Edge(operation_id, "body-strings", name, changed, value=text))
        emptied = _every(base, index, _array, lambda site, value: [])
        if emptied != base:
            out.append(Edge(operation_id, "body-arrays", "empty", emptied))
        for name, number in (("large", _large), ("fraction", _fraction)):
            changed = _every(base, index, _number, number)
            if changed != base:
                out.append(Edge(operation_id, "body-numbers", name, changed))
        deep = dict(base, **{DEEP_MEMBER: nested(DEPTH)})
        out.append(Edge(operation_id, "body-nesting", f"depth-{DEPTH}", deep))
    plain = valid_body(operation_id)
    for parameter in amplify_openapi.operation(operation_id).path_parameters:
        for name, value in EDGE_IDENTIFIERS:
            out.append(Edge(operation_id, "path", name, plain, parameter=parameter, value=value))
    return tuple(out)


def nested(depth: int) -> dict[str, Any]:
    """Objects and arrays by turns, ``depth`` levels in all, a string at the bottom."""
    value: Any = "bottom"
    for level in range(depth - 1, -1, -1):
        value = {"level": value} if level % 2 == 0 else [value]
    return value


# ---- walking a body --------------------------------------------------------------------------

Test = Callable[[Any, Site | None, tuple[str, ...]], bool]


def _every(body: Any, index: dict[tuple[str, ...], Site], test: Test, change: Callable[[Site | None, Any], Any]) -> Any:
    """A copy of ``body`` with every value that passes ``test`` (at any depth, inside arrays
    too) replaced by ``change(site, value)``."""

    def walk(value: Any, path: tuple[str, ...]) -> Any:
        site = index.get(path)
        if path and test(value, site, path):
            return change(site, value)
        if isinstance(value, dict):
            return {key: walk(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, (*path, ITEM)) for item in value]
        return copy.deepcopy(value)

    return walk(body, ())


def _free_string(value: Any, site: Site | None, path: tuple[str, ...]) -> bool:
    """A string not typed by an enum (a spelling the spec does not list is free text too)."""
    return isinstance(value, str) and (site is None or site.enum is None)


def _array(value: Any, site: Site | None, path: tuple[str, ...]) -> bool:
    return isinstance(value, list)


def _number(value: Any, site: Site | None, path: tuple[str, ...]) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and site is not None


def _large(site: Site | None, value: Any) -> Any:
    if site.json_type == "integer":
        return _within(site, LARGE_INTEGER)
    return _within(site, LARGE_NUMBER)


def _fraction(site: Site | None, value: Any) -> Any:
    """0.5 for a number; an integer keeps its type, and its value (a fraction is no integer)."""
    if site.json_type == "integer":
        return value
    return _within(site, FRACTION)


def _within(site: Site, value: float) -> Any:
    """The value moved inside the site's documented bounds (their question is R6.bounds')."""
    schema = site.schema
    if "maximum" in schema:
        high = schema["maximum"] - (1 if schema.get("exclusiveMaximum") else 0)
        value = min(value, high)
    if "minimum" in schema:
        low = schema["minimum"] + (1 if schema.get("exclusiveMinimum") else 0)
        value = max(value, low)
    return value

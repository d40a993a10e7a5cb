"""Request validation against the spec: JSON parsing and schema violations, each named by
the member's path so a 400 answer says exactly what was wrong."""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import amplify_openapi
from jsonschema import Draft4Validator

try:  # a fast validity check (installed with schemathesis); messages always come from jsonschema
    import jsonschema_rs
except ImportError:  # pragma: no cover - the pure-Python validator alone is correct, only slower
    jsonschema_rs = None

_SHOWN = 60  # characters of an offending value quoted in a message
MAX_DEPTH = 100  # deepest nesting of arrays and objects accepted in a body
MAX_VIOLATIONS = 50  # a body breaking its schema in more ways is judged on the first ones


class MalformedBody(ValueError):
    """The body is not UTF-8 JSON text (``not_json``), or JSON that is not an object."""

    def __init__(self, message: str, not_json: bool = True) -> None:
        super().__init__(message)
        self.not_json = not_json


@dataclass(frozen=True)
class Violation:
    """One way a request body breaks its schema."""

    path: tuple[str | int, ...]  # where, from the body's root
    keyword: str  # the JSON Schema keyword broken: required, enum, type, maximum, ...
    member: str | None  # the missing member, for ``required``
    message: str

    @property
    def where(self) -> str:
        """The path as ``a.b[0].c`` (``body`` for the root)."""
        return member_path(self.path + ((self.member,) if self.member else ()))


def member_path(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _reject_constant(name: str) -> Any:
    raise MalformedBody(f"body is not JSON: {name} is not a JSON value")


def parse_body(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object; an empty body counts as ``{}`` (whitespace alone is
    not JSON: CONTRACT R6)."""
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"body is not UTF-8 text (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except MalformedBody:
        raise
    except (ValueError, RecursionError) as exc:
        raise MalformedBody(f"body is not JSON: {str(exc)[: _SHOWN * 2]}") from None
    if not isinstance(value, dict):
        raise MalformedBody(f"body must be a JSON object, not {_json_type(value)}", not_json=False)
    if _deeper_than(value, MAX_DEPTH):
        raise MalformedBody(f"body nests arrays and objects deeper than {MAX_DEPTH} levels", not_json=False)
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than ``limit`` levels (an iterative walk: no recursion)."""
    level = [value]
    for _ in range(limit):
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, (dict, list))
        ]
        if not level:
            return False
    return True


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _show(value: Any) -> str:
    if isinstance(value, str):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, default=str)
        except (ValueError, RecursionError):
            text = _json_type(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


@cache
def _schemas() -> dict[str, Any]:
    """The spec's schemas with every documented spelling of a member as a member of its own,
    so each spelling is accepted and validated alike (CONTRACT 'Spellings')."""
    schemas = copy.deepcopy(amplify_openapi.document()["components"]["schemas"])
    for model in schemas.values():
        members = model.get("properties", {})
        for name in list(members):
            for spelling in amplify_openapi.spellings(name):
                members.setdefault(spelling, members[name])
    return schemas


def _root(schema_name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{schema_name}", "components": {"schemas": _schemas()}}


@cache
def _validator(schema_name: str):
    return Draft4Validator(_root(schema_name))


@cache
def _fast_check(schema_name: str):
    """``is_valid`` of a compiled validator for the named schema, or None without jsonschema_rs."""
    if jsonschema_rs is None:
        return None
    return jsonschema_rs.Draft4Validator(_root(schema_name)).is_valid


def violations(schema_name: str, body: dict[str, Any]) -> list[Violation]:
    """Every way ``body`` breaks the named request schema, ordered by path."""
    fast = _fast_check(schema_name)
    if fast is not None and fast(body):
        return []
    found = []
    for error in itertools.islice(_validator(schema_name).iter_errors(body), MAX_VIOLATIONS):
        found.extend(_describe(error))
    found.sort(key=lambda v: (v.where, v.keyword))
    return found


def _describe(error) -> list[Violation]:
    path = tuple(error.absolute_path)
    keyword = error.validator
    value = error.instance
    if keyword == "required":
        missing = [name for name in error.validator_value if isinstance(value, dict) and name not in value]
        named = [name for name in missing if repr(name) in error.message] or missing[:1]
        return [
            Violation(path, keyword, name, f"{member_path(path + (name,))}: required member is missing")
            for name in named
        ]
    where = member_path(path)
    if keyword == "enum":
        text = f"{_show(value)} is not one of {', '.join(map(str, error.validator_value))}"
    elif keyword == "type":
        text = f"{_show(value)} is not of type {error.validator_value}"
    elif keyword == "maximum":
        text = f"{_show(value)} is greater than the maximum of {error.validator_value}"
    elif keyword == "minimum":
        text = f"{_show(value)} is less than the minimum of {error.validator_value}"
    else:
        text = f"{_show(value)} breaks {keyword} {_show(error.validator_value)}"
    return [Violation(path, keyword, None, f"{where}: {text}")]

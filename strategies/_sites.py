"""The places in a request body that the contract lets a case touch, read from the spec.

A *site* is one member of an object (``resourceConfig.userPoolConfigs.mfa``) or the
items of an array (``...oAuth.oAuthScopes[]``), reached from an operation's request
model by following every property and ``$ref`` at run time. Nothing here knows a model
by name: the spec is data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import amplify_openapi

ITEM = "[]"
JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")
_BOUND_KEYWORDS = ("minimum", "maximum")
#: Keywords that would also bound a member; the strategies do not derive cases for them,
#: so their appearance in a request model is an error rather than a silent gap.
_ANNOTATIONS = ("description", "deprecated", "title", "example", "format")
UNSUPPORTED_BOUNDS = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
    "multipleOf",
    "minProperties",
    "maxProperties",
    "uniqueItems",
)


@dataclass(frozen=True)
class Site:
    """One member (or array items) of a request model, with its schema resolved."""

    path: tuple[str, ...]  # member names, ITEM for an array's items
    schema: dict[str, Any]  # $ref followed
    ref: str | None  # the component name behind a $ref, if any
    required: bool  # a required member of its parent object

    @property
    def json_path(self) -> str:
        return json_path(self.path)

    @property
    def name(self) -> str:
        """The member name (for array items, the array's name)."""
        return next(seg for seg in reversed(self.path) if seg != ITEM)

    @property
    def is_item(self) -> bool:
        return self.path[-1] == ITEM

    @property
    def json_type(self) -> str:
        return self.schema["type"]

    @property
    def enum(self) -> tuple[Any, ...] | None:
        values = self.schema.get("enum")
        return tuple(values) if values is not None else None

    @property
    def enum_name(self) -> str | None:
        return self.ref if self.enum is not None else None

    @property
    def bounds(self) -> dict[str, Any]:
        return {k: self.schema[k] for k in _BOUND_KEYWORDS if k in self.schema}

    @property
    def valid_types(self) -> frozenset[str]:
        """JSON types a value here may have (an integer is a number)."""
        t = self.json_type
        return frozenset({"number", "integer"}) if t == "number" else frozenset({t})


def json_path(path: tuple[str, ...]) -> str:
    """("a", "b", "[]") -> "a.b[]"."""
    out = ""
    for seg in path:
        out += seg if seg == ITEM or not out else "." + seg
    return out


def resolve(node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Follow $ref chains and merge ``allOf`` parts; return the schema and its component name.

    The spec wraps a ``$ref`` in a one-part ``allOf`` to give it siblings such as
    ``deprecated`` (OpenAPI 3.0 ignores siblings of ``$ref``); the name is that part's.
    """
    name = None
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        node = amplify_openapi.schema(name)
    for keyword in ("oneOf", "anyOf", "not"):
        if keyword in node:
            raise NotImplementedError(f"schema keyword {keyword!r} is not derived")
    if "allOf" not in node:
        return node, name
    merged = {k: v for k, v in node.items() if k != "allOf"}
    names = []
    for part in node["allOf"]:
        schema, part_name = resolve(part)
        names.append(part_name)
        for key, value in schema.items():
            if key == "properties":
                merged[key] = {**merged.get(key, {}), **value}
            elif key == "required":
                merged[key] = list(dict.fromkeys([*merged.get(key, []), *value]))
            elif key in _ANNOTATIONS or key.startswith("x-"):
                merged.setdefault(key, value)
            elif key in merged and merged[key] != value:
                raise NotImplementedError(f"allOf parts disagree on {key!r}")
            else:
                merged[key] = value
    return merged, name or (names[0] if len(names) == 1 else None)


def _walk(node: dict[str, Any], path: tuple[str, ...], seen: tuple[str, ...], out: list[Site]) -> None:
    for keyword in UNSUPPORTED_BOUNDS:
        if keyword in node:
            raise NotImplementedError(f"{json_path(path) or '<body>'}: bound keyword {keyword!r} not derived")
    if node.get("type") == "object":
        required = set(node.get("required", ()))
        for name, child in node.get("properties", {}).items():
            schema, ref = resolve(child)
            if ref is not None and ref in seen:
                raise NotImplementedError(f"recursive model {ref} at {json_path(path + (name,))}")
            site = Site(path + (name,), schema, ref, name in required)
            out.append(site)
            _walk(schema, site.path, seen + ((ref,) if ref else ()), out)
    elif node.get("type") == "array":
        schema, ref = resolve(node["items"])
        site = Site(path + (ITEM,), schema, ref, False)
        out.append(site)
        _walk(schema, site.path, seen + ((ref,) if ref else ()), out)


@cache
def request_model(operation_id: str) -> tuple[dict[str, Any] | None, str | None]:
    """The operation's request body model (resolved) and its name, or (None, None)."""
    name = amplify_openapi.operation(operation_id).request_schema
    if name is None:
        return None, None
    return amplify_openapi.schema(name), name


@cache
def sites(operation_id: str) -> tuple[Site, ...]:
    """Every site of the operation's request model, depth first in spec order."""
    model, name = request_model(operation_id)
    if model is None:
        return ()
    out: list[Site] = []
    _walk(model, (), (name,) if name else (), out)
    return tuple(out)


@cache
def site_index(operation_id: str) -> dict[tuple[str, ...], Site]:
    return {site.path: site for site in sites(operation_id)}


def concrete_path(path: tuple[str, ...]) -> tuple[str | int, ...]:
    """The path jsonschema reports for a site in a case body (arrays touched at index 0)."""
    return tuple(0 if seg == ITEM else seg for seg in path)

"""Hypothesis strategies for whole requests: valid ones to fuzz with, negative ones to break.

Valid bodies come from the request model at run time: in realistic mode through a walk
that picks realistic values by member name (fast, and a human reads the examples); in
hostile mode through hypothesis-jsonschema on the inlined model (any unicode, any
optional member, undocumented extra members, which the contract says are ignored).
"""

from __future__ import annotations

import copy
import json
import string
from functools import cache
from typing import Any

import amplify_openapi
from hypothesis import strategies as st

from ._case import Case
from ._matrix import edit, placed, put, remove, valid_body
from ._sites import Site, request_model, resolve, sites
from ._values import realistic_strings

MODES = ("realistic", "hostile")
#: Members a realistic request leaves out: an opaque paging token the client did not get
#: from the server is a behaviour the contract does not define.
_REALISTIC_SKIP = frozenset({"nextToken"})
#: Characters that mean something in a URL; hostile identifiers are full of them.
RESERVED_URL_CHARACTERS = ":/?#[]@!$&'()*+,;=% \"<>\\^`{|}"
_INLINE_DROP = ("description", "deprecated", "format", "example", "title")


_JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)

# ---------------------------------------------------------------- valid values


def _realistic(node: dict[str, Any], name: str) -> st.SearchStrategy[Any]:
    schema, _ = resolve(node)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {member: _realistic(props[member], member) for member in props if member in required},
            optional={
                member: _realistic(child, member)
                for member, child in props.items()
                if member not in required and member not in _REALISTIC_SKIP
            },
        )
    if kind == "array":
        items, _ = resolve(schema["items"])
        return st.lists(_realistic(items, name), min_size=1, max_size=3, unique="enum" in items)
    if kind == "string":
        return st.sampled_from(realistic_strings(name))
    if kind in ("integer", "number"):
        low = schema.get("minimum", 1) + (1 if schema.get("exclusiveMinimum") else 0)
        high = schema.get("maximum", 128) - (1 if schema.get("exclusiveMaximum") else 0)
        return st.integers(low, high)
    if kind == "boolean":
        return st.booleans()
    raise NotImplementedError(f"no realistic strategy for {name!r}: {schema!r}")


#: Undocumented members a nested object may carry (the body's top level gets any text);
#: one draw each, so deep models stay fast.
NESTED_EXTRAS = (
    {},
    {"__proto__": {}},
    {"constructor": None},
    {"": 0},
    {"x-amz-extra": "x"},
    {"ünïcödé 中文": [True]},
)


def _hostile(node: dict[str, Any], top: bool = True) -> st.SearchStrategy[Any]:
    """Any schema-valid value, undocumented extra members included.

    Objects are composed here and everything else comes from hypothesis-jsonschema:
    its object strategy (0.23.1) uses a Hypothesis internal that no longer exists.
    """
    schema, _ = resolve(node)
    if schema.get("type") == "object" and "enum" not in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", ()))
        documented = st.fixed_dictionaries(
            {member: _hostile(props[member], False) for member in props if member in required},
            optional={member: _hostile(child, False) for member, child in props.items() if member not in required},
        )
        if top:
            extra = st.dictionaries(st.text(max_size=12), _JSON_LEAVES, max_size=2)
        else:
            extra = st.sampled_from(NESTED_EXTRAS).map(copy.deepcopy)
        return st.tuples(extra, documented).map(
            lambda pair: {**{k: v for k, v in pair[0].items() if k not in props}, **pair[1]}
        )
    if schema.get("type") == "array":
        return st.lists(_hostile(schema["items"], False), max_size=3)
    # Imported here: importing hypothesis-jsonschema reads Hypothesis's unicode tables,
    # which pytest plugins that import this package must not do at start-up.
    from hypothesis_jsonschema import from_schema

    return from_schema(inline(schema))


def inline(node: dict[str, Any]) -> dict[str, Any]:
    """A self-contained JSON Schema: $refs and allOf resolved, OpenAPI-only keys dropped."""
    schema, _ = resolve(node)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _INLINE_DROP or key.startswith("x-"):
            continue
        if key == "properties":
            value = {member: inline(child) for member, child in value.items()}
        elif key == "items":
            value = inline(value)
        out[key] = value
    return out


@cache
def _body_strategy(operation_id: str, mode: str) -> st.SearchStrategy[Any]:
    model, _ = request_model(operation_id)
    if model is None:
        return st.none()
    if mode == "realistic":
        return _realistic(model, "")
    return _hostile(model)


def _realistic_identifier(name: str) -> st.SearchStrategy[str]:
    if name.endswith("Id") and realistic_strings(name) == realistic_strings(""):
        return st.uuids().map(str)
    return st.sampled_from(realistic_strings(name))


def _not_a_dot_segment(value: str) -> bool:
    # "." and ".." survive percent-encoding and are resolved away by URL libraries.
    return value not in (".", "..")


@cache
def _hostile_identifier() -> st.SearchStrategy[str]:
    unicode = st.text(min_size=1, max_size=24)
    reserved = st.text(
        alphabet=st.sampled_from(RESERVED_URL_CHARACTERS + string.ascii_letters + "é中😀"),
        min_size=1,
        max_size=24,
    )
    very_long = st.tuples(st.text(min_size=1, max_size=6), st.integers(200, 600)).map(
        lambda pair: (pair[0] * pair[1])[: pair[1]]
    )
    return st.one_of(unicode, reserved, very_long).filter(_not_a_dot_segment)


@cache
def valid_requests(operation_id: str, mode: str = "realistic") -> st.SearchStrategy[tuple[dict[str, str], Any]]:
    """(path parameters, body) pairs that validate against the operation's request model.

    ``realistic``: identifiers and values a person would type. ``hostile``: identifiers in
    unicode, very long, or full of reserved URL characters (raw: the caller encodes them),
    and any schema-valid body.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    names = amplify_openapi.operation(operation_id).path_parameters
    if mode == "realistic":
        params = st.fixed_dictionaries({name: _realistic_identifier(name) for name in names})
    else:
        params = st.fixed_dictionaries({name: _hostile_identifier() for name in names})
    return st.tuples(params, _body_strategy(operation_id, mode))


# ---------------------------------------------------------------- negative values


def _number_within(site: Site, integral: bool) -> st.SearchStrategy[Any]:
    """A number of the wrong kind that keeps within the site's bounds (one rule broken only)."""
    bounds = site.bounds
    floats = st.floats(
        min_value=bounds.get("minimum"),
        max_value=bounds.get("maximum"),
        allow_nan=False,
        allow_infinity=False,
    )
    if integral:
        return st.integers(bounds.get("minimum"), bounds.get("maximum"))
    return floats.filter(lambda x: not x.is_integer())


def _wrong_values(site: Site) -> st.SearchStrategy[Any]:
    by_type = {
        "string": st.text(max_size=8),
        "number": _number_within(site, integral=False),
        "integer": _number_within(site, integral=True),
        "boolean": st.booleans(),
        "array": st.lists(_JSON_LEAVES, max_size=3),
        "object": st.dictionaries(st.text(max_size=6), _JSON_LEAVES, max_size=3),
        "null": st.none(),
    }
    return st.one_of([by_type[t] for t in by_type if t not in site.valid_types])


def _outside_enum(site: Site) -> st.SearchStrategy[str]:
    return st.text(max_size=12).filter(lambda value: value not in site.enum)


def _outside_bounds(site: Site) -> st.SearchStrategy[Any]:
    bounds = site.bounds
    integral = site.json_type == "integer"
    parts = []
    if "minimum" in bounds:
        low = bounds["minimum"]
        exclusive = site.schema.get("exclusiveMinimum", False)
        if integral:
            parts.append(st.integers(max_value=low if exclusive else low - 1))
        else:
            parts.append(st.floats(max_value=low, exclude_max=not exclusive, allow_nan=False, allow_infinity=False))
    if "maximum" in bounds:
        high = bounds["maximum"]
        exclusive = site.schema.get("exclusiveMaximum", False)
        if integral:
            parts.append(st.integers(min_value=high if exclusive else high + 1))
        else:
            parts.append(st.floats(min_value=high, exclude_min=not exclusive, allow_nan=False, allow_infinity=False))
    return st.one_of(parts)


def json_type(value: Any) -> str:
    """The JSON type name of a Python value (an integral number is "integer")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def is_json(raw: bytes) -> bool:
    """Whether a raw body parses as JSON (a BOM, or whitespace alone, counts as ambiguous: yes)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if not text.strip():
        return True
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


_MALFORMED = st.one_of(
    st.lists(_JSON_LEAVES, max_size=3).map(lambda v: (v, "body is a JSON array, not an object")),
    st.binary(min_size=1, max_size=12).filter(lambda raw: not is_json(raw)).map(lambda raw: (raw, "body is not JSON")),
    st.one_of(st.booleans(), st.integers(), st.text(max_size=8)).map(
        lambda v: (v, f"body is a JSON {json_type(v)}, not an object")
    ),
    st.just((b"null", "body is JSON null, not an object")),
)


@cache
def negative_requests(operation_id: str) -> st.SearchStrategy[Case]:
    """Cases that each break exactly one rule, labelled like matrix cases, shrinking small.

    The body is the minimal valid body (what examples shrink to) or a realistic valid one,
    with one change. Raises ValueError for an operation that documents no request body.
    """
    model, _ = request_model(operation_id)
    if model is None:
        raise ValueError(f"{operation_id} documents no request body: no negative body cases")
    every = sites(operation_id)
    required = [site for site in every if site.required]
    enum_sites = [site for site in every if site.enum is not None]
    bounded = [site for site in every if site.bounds]
    bases = st.one_of(st.just(valid_body(operation_id)), _body_strategy(operation_id, "realistic"))

    def case(kind: str, rule: str, site: Site, body: Any, detail: str, value: Any = None) -> Case:
        enum = site.enum_name if kind in ("wrong-type", "enum-outside") else None
        return Case(operation_id, rule, kind, site.json_path, body, "reject", detail, enum, value)

    def missing(base: Any, site: Site) -> Case:
        body = edit(operation_id, base, site.path, remove)
        return case("required-missing", "R4", site, body, f"{site.json_path} removed")

    def changed(kind: str, rule: str, site: Site, note) -> st.SearchStrategy[Case]:
        """Cases placing a drawn value at one site; ``note(value)`` says what is wrong with it."""

        def build(base: Any, value: Any) -> Case:
            body = edit(operation_id, base, site.path, put(value))
            return case(kind, rule, site, body, f"{site.json_path} = {placed(site, value)!r} ({note(value)})", value)

        values = {
            "wrong-type": _wrong_values,
            "enum-outside": _outside_enum,
            "bound-outside": _outside_bounds,
        }[kind](site)
        return st.builds(build, bases, values)

    kinds = []
    if required:
        kinds.append(st.builds(missing, bases, st.sampled_from(required)))
    if every:
        kinds.append(
            st.one_of(
                [changed("wrong-type", "R6", s, lambda v, s=s: f"{json_type(v)}, not {s.json_type}") for s in every]
            )
        )
    if enum_sites:
        kinds.append(
            st.one_of([changed("enum-outside", "R5", s, lambda v, s=s: f"not in {s.enum_name}") for s in enum_sites])
        )
    if bounded:
        kinds.append(st.one_of([changed("bound-outside", "R6", s, lambda v: "out of bounds") for s in bounded]))
    kinds.append(
        _MALFORMED.map(
            lambda pair: Case(operation_id, "R6", "malformed-body", "", pair[0], "reject", pair[1], value=pair[0])
        )
    )
    # Pick a kind first, then a case of it: a flat one_of would weight kinds by their
    # number of sites, and shrinking goes to the first kind, the first site.
    return st.sampled_from(kinds).flatmap(lambda kind: kind)

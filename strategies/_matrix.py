"""The deterministic case matrix: every enum value, required member, type and bound, per operation.

Each case is the operation's minimal valid body with exactly one change. When the change
lies under an optional parent (``mfa``, ``oAuth``, ``additionalAuthTypes[]``), the parent
is first added, built valid, so that nothing but the labelled rule is broken.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import amplify_openapi

from ._case import Case
from ._sites import ITEM, JSON_TYPES, Site, request_model, site_index, sites
from ._values import full, minimal, minimal_at, realistic_number

#: A body that is not JSON at all (an object cut short).
NOT_JSON = b'{"resourceName": '
#: A body of whitespace only: not JSON (CONTRACT R6), unlike an empty one.
WHITESPACE = b" \t\n"
#: Enum-outside values are this, unless the enum happens to hold it.
OUTSIDE_VALUE = "UNDOCUMENTED_VALUE"


def valid_body(operation_id: str) -> dict[str, Any] | None:
    """The minimal complete valid body of an operation, or None when it documents no body.

    Every required member at every depth, with realistic values (enum: first value). A
    fresh object on every call, so callers may change it.
    """
    model, _ = request_model(operation_id)
    if model is None:
        return None
    return minimal(model, "")


def full_body(operation_id: str) -> dict[str, Any] | None:
    """A valid body with every documented member at every depth and values varied away from
    ``valid_body``'s (see ``full``), for echoes that must tell stored data from defaults."""
    model, _ = request_model(operation_id)
    if model is None:
        return None
    return full(model, "")


#: What every free-text member of a telling body ends in: Latin-1, the rest of the BMP, and a
#: character outside it (a store that loses any of them shows it).
TELLING_TEXT = " {tag}·é☃𝄞"


def telling_body(operation_id: str, tag: str) -> dict[str, Any] | None:
    """``full_body`` made to show any loss in an echo: every free-text member below the top level
    ends in ``tag`` and non-ASCII text (outside the BMP too), and every array holds at least two
    distinct elements. Two tags give two bodies that differ in every free-text member."""
    body = full_body(operation_id)
    return None if body is None else _telling(body, (), site_index(operation_id), tag)


def varied_body(operation_id: str, variant: int) -> dict[str, Any] | None:
    """``telling_body`` tagged ``v{variant}`` with every other value below the top level moved
    too: each enum to another of its values, each number up by ``variant`` (a fraction where the
    type allows), each boolean flipped on odd variants. Successive variants differ in every member,
    so a read showing a stale, first-only or shared value tells which."""
    body = telling_body(operation_id, f"v{variant}")
    return None if body is None else _varied(body, (), site_index(operation_id), variant)


def _varied(value: Any, path: tuple[str, ...], index: dict[tuple[str, ...], Site], variant: int) -> Any:
    if isinstance(value, dict):
        return {key: _varied(item, (*path, key), index, variant) for key, item in value.items()}
    if isinstance(value, list):
        return [_varied(item, (*path, ITEM), index, variant) for item in value]
    site = index.get(path)
    if len(path) < 2 or site is None:
        return value
    enum = site.enum
    if enum and value in enum:
        return enum[(enum.index(value) + variant) % len(enum)]
    if isinstance(value, bool):
        return value != bool(variant % 2)
    if isinstance(value, int) and site.schema.get("type") == "integer" and "maximum" not in site.schema:
        return value + variant
    if isinstance(value, (int, float)) and site.schema.get("type") == "number":
        return value + variant + (0.25 if variant else 0)
    return value


def _telling(value: Any, path: tuple[str, ...], index: dict[tuple[str, ...], Site], tag: str) -> Any:
    if isinstance(value, dict):
        return {key: _telling(item, (*path, key), index, tag) for key, item in value.items()}
    if isinstance(value, list):
        items = [_telling(item, (*path, ITEM), index, tag) for item in value]
        if len(items) == 1:
            items.append(_another(items[0], (*path, ITEM), index))
        return items
    site = index.get(path)  # None for the spellings the spec does not list: free text too
    if isinstance(value, str) and len(path) > 1 and (site is None or site.enum is None):
        return value + TELLING_TEXT.format(tag=tag)
    return value


def _another(value: Any, path: tuple[str, ...], index: dict[tuple[str, ...], Site]) -> Any:
    """A second array element distinct from ``value``: another enum value, or free text changed."""
    site = index.get(path)
    if isinstance(value, str):
        enum = site.enum if site is not None else None
        return next((v for v in enum if v != value), value) if enum else value + " 2"
    if isinstance(value, dict):
        changed = {key: _another(item, (*path, key), index) for key, item in value.items()}
        return changed if changed != value else value
    return value


def edit(operation_id: str, base: Any, path: tuple[str, ...], change: Callable[[Any, str], None]) -> Any:
    """A copy of ``base`` with the site at ``path`` made present, then ``change(container, key)``.

    Missing parents on the way are added, built minimal and valid; arrays are entered at
    their first item. ``key`` is the member name, or ITEM when the site is an array's items
    (the container is then the array itself). A member the reference spells several ways is
    changed under every spelling, so the case means the same to a target following any one.
    """
    index = site_index(operation_id)
    body = copy.deepcopy(base)
    node = body
    for depth, seg in enumerate(path[:-1]):
        prefix = path[: depth + 1]
        if seg == ITEM:
            if not node:
                node.append(minimal_at(index[prefix].schema, prefix))
            node = node[0]
        else:
            if seg not in node:
                node[seg] = minimal_at(index[prefix].schema, prefix)
            node = node[seg]
    for key in (ITEM,) if path[-1] == ITEM else amplify_openapi.spellings(path[-1]):
        change(node, key)
    return body


def put(value: Any) -> Callable[[Any, str], None]:
    """Place ``value`` at the site; for array items, the array becomes ``[value]``."""

    def change(container: Any, key: str) -> None:
        if key == ITEM:
            container[:] = [value]
        else:
            container[key] = value

    return change


def remove(container: Any, key: str) -> None:
    container.pop(key, None)


def placed(site: Site, value: Any) -> Any:
    """What the site's member holds after ``put(value)`` (arrays of it: ``[value]``)."""
    return [value] if site.is_item else value


def wrong_type_value(site: Site, json_type: str) -> Any:
    """A value of ``json_type`` that a lenient parser might still take for the site's type."""
    own = site.json_type
    if json_type == "string":
        return "true" if own == "boolean" else "8" if own in ("number", "integer") else "text"
    if json_type == "number":
        return 1.5
    if json_type == "integer":
        return 1 if own == "boolean" else 8
    if json_type == "boolean":
        return True
    if json_type == "array":
        return []
    if json_type == "object":
        return {}
    return None


def wrong_types(site: Site) -> tuple[str, ...]:
    """The JSON types not valid for the site ("number" for an integer site means non-integral)."""
    return tuple(t for t in JSON_TYPES if t not in site.valid_types)


def outside_value(site: Site) -> str:
    value = OUTSIDE_VALUE
    while value in site.enum:
        value += "_"
    return value


def other_case(site: Site) -> str:
    """The site's first enum value in another letter case (R5: that is another value)."""
    first = site.enum[0]
    for variant in (first.lower(), first.upper(), first.swapcase(), first.capitalize()):
        if variant not in site.enum and variant != first:
            return variant
    raise NotImplementedError(f"{site.json_path}: {first!r} has no other letter case")


def bound_values(site: Site) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(just inside, just outside) values of a site's documented numeric bounds."""
    step = 1 if site.json_type == "integer" else 0.5
    inside: list[Any] = []
    outside: list[Any] = []
    schema = site.schema
    if "minimum" in schema:
        low = schema["minimum"]
        exclusive = schema.get("exclusiveMinimum", False)
        inside.append(low + step if exclusive else low)
        outside.append(low if exclusive else low - step)
    if "maximum" in schema:
        high = schema["maximum"]
        exclusive = schema.get("exclusiveMaximum", False)
        inside.append(high - step if exclusive else high)
        outside.append(high if exclusive else high + step)
    return tuple(inside), tuple(outside)


def _cases(operation_id: str) -> Iterator[Case]:
    base = valid_body(operation_id)
    yield Case(operation_id, "valid", "valid", "", base, "accept", "minimal valid body")
    if base is None:
        return
    yield Case(
        operation_id,
        "valid",
        "valid-full",
        "",
        full_body(operation_id),
        "accept",
        "every documented member (deprecated ones included), varied values",
    )
    every = sites(operation_id)

    def case(rule: str, kind: str, site: Site, body: Any, expect: str, detail: str, **extra: Any) -> Case:
        return Case(operation_id, rule, kind, site.json_path, body, expect, detail, **extra)

    for site in every:
        for value in site.enum or ():
            body = edit(operation_id, base, site.path, put(value))
            yield case(
                "R5",
                "enum-value",
                site,
                body,
                "accept",
                f"{site.json_path} = {placed(site, value)!r}",
                enum=site.enum_name,
                value=value,
            )
    for site in every:
        if site.required:
            body = edit(operation_id, base, site.path, remove)
            yield case("R4", "required-missing", site, body, "reject", f"{site.json_path} removed")
    for site in every:
        for json_type in wrong_types(site):
            value = wrong_type_value(site, json_type)
            body = edit(operation_id, base, site.path, put(value))
            yield case(
                "R6",
                "wrong-type",
                site,
                body,
                "reject",
                f"{site.json_path} = {placed(site, value)!r} ({json_type}, not {site.json_type})",
                enum=site.enum_name,
                value=value,
            )
    for site in every:
        if site.enum is not None:
            for value, why in (
                (outside_value(site), f"not in {site.enum_name or 'enum'}"),
                (other_case(site), "a documented value in another letter case"),
            ):
                body = edit(operation_id, base, site.path, put(value))
                yield case(
                    "R5",
                    "enum-outside",
                    site,
                    body,
                    "reject",
                    f"{site.json_path} = {placed(site, value)!r} ({why})",
                    enum=site.enum_name,
                    value=value,
                )
    bounded = [site for site in every if site.bounds]
    for site in bounded:
        for value in bound_values(site)[0]:
            body = edit(operation_id, base, site.path, put(value))
            yield case(
                "R6",
                "bound-inside",
                site,
                body,
                "accept",
                f"{site.json_path} = {value!r} (within bounds)",
                value=value,
            )
    for site in bounded:
        for value in bound_values(site)[1]:
            body = edit(operation_id, base, site.path, put(value))
            yield case(
                "R6",
                "bound-outside",
                site,
                body,
                "reject",
                f"{site.json_path} = {value!r} (out of bounds)",
                value=value,
            )
    for site in every:
        if site.json_type == "number" and not site.bounds:
            value = realistic_number(site.schema) + 0.5
            body = edit(operation_id, base, site.path, put(value))
            yield case(
                "R6",
                "fraction",
                site,
                body,
                "accept",
                f"{site.json_path} = {value!r} (a number may be a fraction)",
                value=value,
            )
    for site in every:
        if site.schema.get("deprecated") and not site.is_item:
            body = edit(operation_id, base, site.path, put(minimal_at(site.schema, site.path)))
            yield case(
                "R6", "deprecated-member", site, body, "accept", f"{site.json_path} given (deprecated, still valid)"
            )
    model, _ = request_model(operation_id)
    empty_ok = not model.get("required")
    for body, detail, expect in (
        (NOT_JSON, "body is not JSON", "reject"),
        (WHITESPACE, "body of whitespace only (not JSON)", "reject"),
        ([], "body is a JSON array, not an object", "reject"),
        (None, "empty body (counts as {})", "accept" if empty_ok else "reject"),
    ):
        yield Case(operation_id, "R6", "malformed-body", "", body, expect, detail, value=body)


def matrix(operation_id: str | None = None) -> tuple[Case, ...]:
    """The deterministic matrix for one operation, or for every operation in spec order."""
    if operation_id is not None:
        amplify_openapi.operation(operation_id)  # a clear KeyError for an unknown operation
        return tuple(_cases(operation_id))
    return tuple(case for op in amplify_openapi.operations() for case in _cases(op.operation_id))

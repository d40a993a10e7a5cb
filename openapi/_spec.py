from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

try:  # a fast validity check (installed with schemathesis); errors always come from jsonschema
    import jsonschema_rs
except ImportError:  # pragma: no cover - jsonschema alone is correct, only slower
    jsonschema_rs = None

SPEC_FILE = "amplifybackend.yaml"
_DOC_URI = "urn:amplifybackend"
ERROR_CODES = ("400", "404", "429", "504")


@cache
def document() -> dict[str, Any]:
    """The whole spec as plain data (YAML 1.1 reader, as schemathesis uses)."""
    text = files(__package__).joinpath(SPEC_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@dataclass(frozen=True)
class Operation:
    """One documented operation, as the spec states it."""

    operation_id: str
    method: str  # upper case
    path: str  # without stage prefix, with {placeholders}
    path_parameters: tuple[str, ...]
    request_schema: str | None  # component name of the request body model
    request_body_required: bool
    responses: tuple[tuple[str, str | None], ...]  # (status code, component name)

    @property
    def status_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.responses)

    def response_schema(self, status: int | str) -> str | None:
        return dict(self.responses).get(str(status))


def _ref_name(node: dict[str, Any] | None) -> str | None:
    """The component name behind a $ref (following a shared response object)."""
    if not node:
        return None
    ref = node.get("$ref")
    if ref and ref.startswith("#/components/responses/"):
        node = document()["components"]["responses"][ref.rsplit("/", 1)[1]]
        ref = None
    if ref is None:
        node = node.get("content", {}).get("application/json", {}).get("schema", node)
        ref = node.get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


def _parameter_name(node: dict[str, Any]) -> str:
    if "$ref" in node:
        node = document()["components"]["parameters"][node["$ref"].rsplit("/", 1)[1]]
    return node["name"]


@cache
def operations() -> tuple[Operation, ...]:
    found = []
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if method == "options" or not isinstance(op, dict) or "operationId" not in op:
                continue
            body = op.get("requestBody")
            found.append(
                Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    path_parameters=tuple(_parameter_name(p) for p in op.get("parameters", [])),
                    request_schema=_ref_name(body),
                    request_body_required=bool(body and body.get("required")),
                    responses=tuple((code, _ref_name(r)) for code, r in op["responses"].items()),
                )
            )
    return tuple(found)


@cache
def _by_id() -> dict[str, Operation]:
    return {op.operation_id: op for op in operations()}


def operation(operation_id: str) -> Operation:
    try:
        return _by_id()[operation_id]
    except KeyError:
        raise KeyError(f"no operation {operation_id!r} in the spec") from None


@cache
def resources() -> dict[str, tuple[str, ...]]:
    """Each documented path with its documented methods (OPTIONS excluded)."""
    return {
        path: tuple(m.upper() for m in item if m != "options" and m not in ("parameters", "summary"))
        for path, item in document()["paths"].items()
    }


def schema(name: str) -> dict[str, Any]:
    """A component schema by name."""
    return document()["components"]["schemas"][name]


def model_names(name: str) -> tuple[str, ...]:
    """Every name a model goes by: the spec's, the reference's others (``x-reference-names``) and
    the AWS SDK's (``x-sdk-names``: botocore's error shapes); an error answer may carry any."""
    model = schema(name)
    return (name, *model.get("x-reference-names", ()), *model.get("x-sdk-names", ()))


@cache
def spelling_groups() -> tuple[tuple[str, ...], ...]:
    """Members the reference spells several ways: each group is the spec's wire name, then the
    reference's other spellings (``x-reference-spellings``). Any one of them is an allowed reading."""
    groups: dict[str, tuple[str, ...]] = {}
    for model in document()["components"]["schemas"].values():
        for name, member in model.get("properties", {}).items():
            others = [o for o in member.get("x-reference-spellings", ()) if o != name]
            if others:
                groups[name] = (name, *others)
    return tuple(groups.values())


@cache
def _spelling_index() -> dict[str, tuple[str, ...]]:
    return {name: group for group in spelling_groups() for name in group}


def spellings(member: str) -> tuple[str, ...]:
    """Every documented spelling of a member name (just the name when it has one)."""
    return _spelling_index().get(member, (member,))


@cache
def enum_names() -> tuple[str, ...]:
    """The named reusable enum schemas."""
    return tuple(n for n, s in document()["components"]["schemas"].items() if "enum" in s)


@cache
def _registry() -> Registry:
    return Registry().with_resource(_DOC_URI, Resource(contents=document(), specification=DRAFT4))


@cache
def validator(name: str) -> Draft4Validator:
    """A JSON Schema validator for a component, resolving its $refs within the spec.

    OpenAPI 3.0 schema objects are a draft-4 dialect; nothing here is nullable, so JSON
    null is a wrong type everywhere, as the contract says.
    """
    return Draft4Validator({"$ref": f"{_DOC_URI}#/components/schemas/{name}"}, registry=_registry())


@cache
def _quick_yes(name: str):
    """A compiled check that says True only of data jsonschema finds valid too (where it is
    stricter, on formats, say, jsonschema is asked), or None without jsonschema_rs."""
    if jsonschema_rs is None:
        return None
    return jsonschema_rs.Draft4Validator(
        {"$ref": f"#/components/schemas/{name}", "components": document()["components"]}
    ).is_valid


def _quickly_valid(name: str, data: Any) -> bool:
    quick = _quick_yes(name)
    try:
        return quick is not None and quick(data)
    except Exception:  # data the compiled check cannot take (very deep, say): jsonschema decides
        return False


def is_valid(name: str, data: Any) -> bool:
    """Whether ``data`` is valid against the named component (as ``validator(name)`` says, sooner:
    most data a run checks is valid, and the compiled check is many times faster)."""
    return _quickly_valid(name, data) or validator(name).is_valid(data)


def errors(name: str, data: Any) -> list:
    """Every way ``data`` breaks the named component, as ``validator(name)`` reports them, ordered
    by where they are (none, sooner, for the valid data that is most of what a run checks)."""
    if _quickly_valid(name, data):
        return []
    return sorted(validator(name).iter_errors(data), key=lambda e: list(e.path))

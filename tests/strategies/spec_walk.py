"""What the tests expect, computed from the spec document alone (not from amplify_strategies).

A second, deliberately plain walk of the request models, so that a bug in the strategies'
own walk cannot hide itself in the coverage tests.
"""

from __future__ import annotations

import json
from typing import Any

import amplify_openapi

TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")


def deref(node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Follow $ref and single-part allOf wrappers; return the schema and its component name."""
    name = None
    while True:
        if "$ref" in node:
            name = node["$ref"].split("/")[-1]
            node = amplify_openapi.document()["components"]["schemas"][name]
        elif "allOf" in node:
            assert len(node["allOf"]) == 1, "the spec wraps one $ref in allOf, nothing more"
            node = node["allOf"][0]
        else:
            return node, name


def walk(operation_id: str) -> list[dict[str, Any]]:
    """Every member and array items of the operation's request model, at every depth."""
    model_name = amplify_openapi.operation(operation_id).request_schema
    if model_name is None:
        return []
    out: list[dict[str, Any]] = []

    def visit(schema: dict[str, Any], prefix: str) -> None:
        if schema.get("type") == "object":
            for member, child in schema.get("properties", {}).items():
                resolved, name = deref(child)
                path = f"{prefix}.{member}" if prefix else member
                out.append(
                    {
                        "path": path,
                        "schema": resolved,
                        "enum_name": name if "enum" in resolved else None,
                        "required": member in schema.get("required", []),
                        "deprecated": bool(child.get("deprecated") or resolved.get("deprecated")),
                    }
                )
                visit(resolved, path)
        elif schema.get("type") == "array":
            resolved, name = deref(schema["items"])
            path = prefix + "[]"
            out.append(
                {
                    "path": path,
                    "schema": resolved,
                    "enum_name": name if "enum" in resolved else None,
                    "required": False,
                }
            )
            visit(resolved, path)

    visit(deref({"$ref": f"#/components/schemas/{model_name}"})[0], "")
    return out


def instance_path(json_path: str) -> tuple[str | int, ...]:
    """ "a.b[].c" -> ("a", "b", 0, "c"): where jsonschema reports an error in a case body."""
    out: list[str | int] = []
    for part in json_path.split(".") if json_path else []:
        name, *items = part.split("[]")
        out.append(name)
        out.extend(0 for _ in items)
    return tuple(out)


def value_at(body: Any, path: tuple[str | int, ...]) -> Any:
    for seg in path:
        body = body[seg]
    return body


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def allowed_types(schema: dict[str, Any]) -> set[str]:
    return {"number", "integer"} if schema["type"] == "number" else {schema["type"]}


def parses_as_json(raw: bytes) -> bool:
    try:
        json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return True

"""Realistic values for request members, and the minimal valid value of any schema.

Realistic strings are chosen by member name, the way a person filling in the Admin UI
would: an environment is ``dev``, a redirect is a URL, a user pool id looks like one.
These are guesses about meaning, not copies of the spec: any member the table does not
recognise still gets a plain realistic string.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import amplify_openapi

from ._sites import ITEM, resolve

#: (member-name pattern, realistic values; the first is the deterministic choice).
REALISTIC_STRINGS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), values)
    for pattern, values in (
        (r"^targetEnvironmentName$", ("staging", "test", "prod")),
        (r"EnvironmentName$", ("dev", "staging", "test", "prod", "main")),
        (r"(?i)^(backendManager)?appId$", ("d2n6kpmv1pzc9o", "d1a2b3c4d5e6f7", "dqz8example01")),
        (r"^resourceName$", ("amplifyconf", "amplifyconfauth", "storage01")),
        (r"^appName$", ("amplifyconf", "todo-app", "notes")),
        (r"^bucketName$", ("amplifyconf-bucket", "todo-app-media", "notes-uploads")),
        (r"^apiName$", ("amplifyconfapi", "todoapi", "notesapi")),
        (r"^userPoolName$", ("amplifyconf_userpool", "todo_userpool")),
        (r"^identityPoolName$", ("amplifyconf_identitypool", "todo_identitypool")),
        (
            r"(?i)(URIs|URL|Uri)$",
            ("https://example.com/", "https://app.example.com/callback", "myapp://signin/"),
        ),
        (r"^domainPrefix$", ("amplifyconf", "todo-auth")),
        (r"(?i)userPoolId$|^aws_user_pools_id$", ("us-east-1_EXAMPLE1a", "eu-west-1_Abc123XYZ")),
        (
            r"(?i)identityPoolId$|^aws_cognito_identity_pool_id$",
            ("us-east-1:0f7b1a4c-5e2d-4c1b-9a8e-3d2f1c0b9a87",),
        ),
        (
            r"(?i)clientId$|^aws_user_pools_web_client_id$",
            ("3n6vv2pkbh7yk3m4example", "1h57kf5cpq17m0eml12EXAMPLE"),
        ),
        (r"(?i)region$", ("us-east-1", "eu-west-1")),
        (r"(?i)message$", ("Your verification code is {####}", "Your code: {####}", "Código de verificación: {####}")),
        (r"(?i)subject$", ("Your verification code", "Verify your email", "Vérifiez votre adresse")),
        (r"(?i)TTL$", ("60", "3600")),
        (r"^transformSchema$", ("type Todo @model { id: ID! name: String! }",)),
        (r"^service$", ("AppSync",)),
        (r"^openIDProviderName$", ("accounts.example.com",)),
        (r"^description$", ("amplifyconf key", "web client key")),
        (r"^jobId$", ("2f0c8a1e-6b7d-4c3a-9e5f-1a2b3c4d5e6f",)),
        (r"^operation$", ("CreateBackendAuth", "CreateBackend")),
        (r"^status$", ("COMPLETED", "IN_PROGRESS")),
        (r"(?i)token$", ("eyJuZXh0IjoxfQ",)),
    )
)
DEFAULT_STRINGS = ("amplifyconf", "example", "todo")
DEFAULT_NUMBER = 8


def realistic_strings(name: str) -> tuple[str, ...]:
    """Realistic values for a string member called ``name`` (first = deterministic choice)."""
    for pattern, values in REALISTIC_STRINGS:
        if pattern.search(name):
            return values
    return DEFAULT_STRINGS


def realistic_number(schema: dict[str, Any]) -> int:
    """8, moved inside any documented bounds."""
    value = DEFAULT_NUMBER
    if "minimum" in schema:
        value = max(value, schema["minimum"] + (1 if schema.get("exclusiveMinimum") else 0))
    if "maximum" in schema:
        value = min(value, schema["maximum"] - (1 if schema.get("exclusiveMaximum") else 0))
    return value


def minimal(schema: dict[str, Any], name: str) -> Any:
    """The smallest complete valid value: every required member at every depth, realistic.

    An enum takes its first value; an array holds one minimal item (an array of enums is
    ``[first]``); an object without documented members is ``{}``.
    """
    schema, _ = resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {member: minimal(props[member], member) for member in schema.get("required", ())}
    if kind == "array":
        return [minimal(schema["items"], name)]
    if kind == "string":
        return realistic_strings(name)[0]
    if kind in ("number", "integer"):
        return realistic_number(schema)
    if kind == "boolean":
        return True
    raise NotImplementedError(f"no minimal value for {name!r}: {schema!r}")


#: Members whose values only the target hands out: a made-up one may be answered 400 or ignored
#: (CONTRACT leaves an unknown nextToken open), so a full body leaves them out.
HANDED_OUT = re.compile(r"(?i)^nextToken$")


def full(schema: dict[str, Any], name: str) -> Any:
    """A valid value with every documented member at every depth, unlike ``minimal`` where it
    can be: an enum takes its last value, an array of enums holds every value (last first),
    a number has a fraction, a boolean is false, a string is the last realistic choice, and a
    member the reference spells several ways appears under every spelling."""
    schema, _ = resolve(schema)
    if "enum" in schema:
        return schema["enum"][-1]
    kind = schema.get("type")
    if kind == "object":
        value: dict[str, Any] = {}
        for member, child in schema.get("properties", {}).items():
            if HANDED_OUT.search(member):
                continue
            made = full(child, member)
            for spelling in amplify_openapi.spellings(member):
                value[spelling] = copy.deepcopy(made)
        return value
    if kind == "array":
        items, _ = resolve(schema["items"])
        return list(reversed(items["enum"])) if "enum" in items else [full(items, name)]
    if kind == "string":
        return realistic_strings(name)[-1]
    if kind == "number":
        return realistic_number(schema) + 0.5 if "maximum" not in schema else realistic_number(schema)
    if kind == "integer":
        return realistic_number(schema)
    if kind == "boolean":
        return False
    raise NotImplementedError(f"no full value for {name!r}: {schema!r}")


def minimal_at(site_schema: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The minimal value for the site at ``path`` (named after its member)."""
    name = next(seg for seg in reversed(path) if seg != ITEM)
    return minimal(site_schema, name)

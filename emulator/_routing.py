"""Routing read from the spec: a request's path as decoded segments, the documented resource
and operation it names, and what a path or method the spec does not document gets."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import amplify_openapi

from ._wire import Answer, error_answer

ALLOW_HEADERS = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent"


@dataclass(frozen=True)
class Route:
    """A documented resource: its path template split into segments and its operations."""

    template: str
    segments: tuple[str, ...]
    operations: dict[str, amplify_openapi.Operation]  # method -> operation

    @property
    def allow(self) -> str:
        return ",".join([*self.operations, "OPTIONS"])

    def match(self, parts: list[str]) -> dict[str, str] | None:
        if len(parts) != len(self.segments):
            return None
        params = {}
        for want, got in zip(self.segments, parts, strict=True):
            if want.startswith("{"):
                if not got:
                    return None
                params[want[1:-1]] = got
            elif want != got:
                return None
        return params

    @property
    def literal_count(self) -> int:
        return sum(not s.startswith("{") for s in self.segments)


@cache
def routes() -> tuple[Route, ...]:
    """Every documented resource, most literal segments first (so literals beat parameters)."""
    by_path: dict[str, dict[str, amplify_openapi.Operation]] = {path: {} for path in amplify_openapi.resources()}
    for op in amplify_openapi.operations():
        by_path[op.path][op.method] = op
    found = [Route(path, tuple(path.strip("/").split("/")), ops) for path, ops in by_path.items()]
    return tuple(sorted(found, key=lambda r: -r.literal_count))


def _shape(segments) -> tuple:
    """What a route lookup is keyed by: the count of segments and the first and third
    (``backend``/``s3Buckets`` and the category, literal in every documented path)."""
    return (len(segments), segments[0] if segments else None, segments[2] if len(segments) > 2 else None)


@cache
def _routes_by_shape() -> dict[tuple, tuple[Route, ...]]:
    grouped: dict[tuple, list[Route]] = {}
    for route in routes():
        key = tuple(None if isinstance(s, str) and s.startswith("{") else s for s in _shape(route.segments))
        grouped.setdefault(key, []).append(route)
    return {key: tuple(group) for key, group in grouped.items()}


def _candidates(parts: list[str]) -> tuple[Route, ...]:
    """The routes that could match, literal-keyed ones first."""
    length, first, third = _shape(parts)
    table = _routes_by_shape()
    found: tuple[Route, ...] = ()
    for key in ((length, first, third), (length, first, None), (length, None, third), (length, None, None)):
        found += table.get(key, ())
    return found


def find_route(parts: list[str]) -> tuple[Route | None, dict[str, str]]:
    """The documented resource these segments name, and its path parameters."""
    for route in _candidates(parts):
        params = route.match(parts)
        if params is not None:
            return route, params
    return None, {}


def _raw_path(environ: dict[str, Any]) -> str | None:
    """The request's path as sent, before percent-decoding, or None where the server gives none.
    The raw URI keeps %2F inside a segment apart from a "/" between segments. cheroot and
    waitress both give it as REQUEST_URI (waitress also as RAW_URI), a native string holding
    the request's bytes as latin-1; in-process callers may give only PATH_INFO."""
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if not raw:
        return None
    return urlsplit(raw).path if "://" in raw[:10] else raw.split("?", 1)[0].split("#", 1)[0]


def _trimmed(parts: list[str], stage: list[str]) -> list[str]:
    """Path segments without the empty ones at either end and without the stage prefix."""
    while parts and parts[0] == "":
        parts.pop(0)
    if parts and parts[-1] == "":
        parts.pop()
    if stage and parts[: len(stage)] == stage:
        del parts[: len(stage)]
    return parts


def raw_path_parts(environ: dict[str, Any], stage: list[str]) -> list[str] | None:
    """The request's path segments as sent (percent-encoded still), without the stage prefix;
    None where the server gives no raw URI."""
    path = _raw_path(environ)
    return None if path is None else _trimmed(path.split("/"), stage)


def path_parts(environ: dict[str, Any], stage: list[str]) -> list[str]:
    """The request's path as percent-decoded segments, without the stage prefix."""
    path = _raw_path(environ)
    if path is not None:
        if "%" in path or not path.isascii():
            parts = [unquote_to_bytes(_raw_bytes(p)).decode("utf-8", "replace") for p in path.split("/")]
        else:
            parts = path.split("/")
    else:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        parts = [p.encode("latin-1", "replace").decode("utf-8", "replace") for p in path.split("/")]
    return _trimmed(parts, stage)


def _raw_bytes(text: str) -> bytes:
    """A WSGI native string back to the bytes on the wire (latin-1); text an in-process
    caller wrote beyond latin-1 as UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def preflight(route: Route) -> Answer:
    """What OPTIONS gets on a documented resource: the CORS headers, never throttled or failed."""
    headers = {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": route.allow,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
    }
    return Answer(200, {}, headers)


def unrouted(parts: list[str], gateway: bool) -> Answer:
    """What a path the spec does not document gets: 404, or 403 as API Gateway answers (gateway-403 quirk)."""
    if gateway:
        return _missing_authentication_token()
    return error_answer(404, "no such resource: /" + "/".join(parts)[:200], "route")


def not_a_method(route: Route, method: str, gateway: bool) -> Answer:
    """What a method the resource does not document gets: 405 with Allow, or 403 (gateway-403 quirk)."""
    if gateway:
        return _missing_authentication_token()
    return Answer(
        405,
        {"message": f"{method[:20]} is not a method of {route.template}"},
        {"Allow": route.allow, "x-amzn-ErrorType": "MethodNotAllowedException"},
    )


def _missing_authentication_token() -> Answer:
    """What API Gateway answers for a path or method it does not route."""
    return Answer(
        403, {"message": "Missing Authentication Token"}, {"x-amzn-ErrorType": "MissingAuthenticationTokenException"}
    )

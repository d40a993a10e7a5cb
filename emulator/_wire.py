"""The rest-json wire format: reading a request's body, the answer about to be sent, the
documented error answers, and how an answer goes onto the wire under the quirks that change
it (gzip, chunked, lower-case headers, charset, pretty JSON, Connection: close, error names,
extra members, reordered arrays), all of them conformant."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import amplify_openapi

from ._config import EmulatorConfig

JSON = "application/json"
MAX_BODY_BYTES = 64 * 1024 * 1024
_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    504: "Gateway Timeout",
}


class Answer:
    """A response about to be sent."""

    __slots__ = ("status", "body", "headers")

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = {"Content-Type": JSON}
        if headers:
            self.headers.update(headers)


@cache
def _error_model(status: int) -> str:
    """The documented error model of a status, read from the spec (all operations share them)."""
    names = {op.response_schema(status) for op in amplify_openapi.operations()}
    (name,) = names
    return name


def error_answer(status: int, message: str, resource_type: str | None = None, **extra: Any) -> Answer:
    """A documented error answer: its model named in x-amzn-ErrorType, a 404 naming what was not found."""
    name = _error_model(status)
    body: dict[str, Any] = {"message": message}
    if status == 404:
        body["resourceType"] = resource_type or "resource"
    body.update(extra)
    return Answer(status, body, {"x-amzn-ErrorType": name})


def internal_failure(message: str = "Internal server error") -> Answer:
    return Answer(500, {"message": message}, {"x-amzn-ErrorType": "InternalFailure"})


def too_large() -> Answer:
    """413 for a body over the cap, before anything reads it: the server then closes the
    connection instead of draining the rest (cheroot does so for every 413)."""
    return Answer(
        413,
        {"message": f"request body is larger than {MAX_BODY_BYTES // 2**20} MiB"},
        {"x-amzn-ErrorType": "RequestEntityTooLargeException"},
    )


def read_body(environ: dict[str, Any]) -> bytes | None:
    """The request body; None when it is larger than MAX_BODY_BYTES (a declared length
    over the cap is not read at all)."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            size = int(length)
        except ValueError:
            return b""  # servers reject it first; nothing here says how much to read
        if size > MAX_BODY_BYTES:
            return None
        return stream.read(size) if size > 0 else b""
    if environ.get("wsgi.input_terminated") or environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        data = stream.read(MAX_BODY_BYTES + 1)
        return None if len(data) > MAX_BODY_BYTES else data
    return b""


class Wire:
    """Puts answers onto the wire as the switched-on quirks shape them."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._has = config.has
        self._error_names = _other_error_names(config.quirks)

    def payload(self, answer: Answer) -> bytes:
        """The answer's body as bytes: JSON, compact or pretty, shaped by the body quirks."""
        body = answer.body
        if isinstance(body, dict):
            body = self._quirked_body(answer, body)
        if isinstance(body, bytes):
            return body
        if self._has("pretty-json"):
            return json.dumps(body, indent=2, ensure_ascii=False).encode()
        return json.dumps(body, separators=(",", ":")).encode()

    def send(
        self, status: int, headers: dict[str, str], payload: bytes, environ: dict[str, Any], start_response: Callable
    ) -> list[bytes]:
        """Start the response with its headers as the quirks shape them; the chunks of its body."""
        quirk = self._has
        headers.setdefault("Access-Control-Allow-Origin", "*")
        if "x-amzn-ErrorType" in headers and headers["x-amzn-ErrorType"] in self._error_names:
            headers["x-amzn-ErrorType"] = self._error_names[headers["x-amzn-ErrorType"]]
        if quirk("error-type-uri") and "x-amzn-ErrorType" in headers:
            headers["x-amzn-ErrorType"] += ":http://internal.amazon.com/coral/com.amazonaws.amplifybackend/"
        if quirk("charset") and headers.get("Content-Type") == JSON:
            headers["Content-Type"] = JSON + "; charset=utf-8"
        if quirk("gzip") and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            payload = gzip.compress(payload)
            headers["Content-Encoding"] = "gzip"
        if quirk("connection-close"):
            headers["Connection"] = "close"
        chunks = [payload]
        if quirk("chunked") and status != 413:
            step = max(1, len(payload) // 3)
            chunks = [payload[i : i + step] for i in range(0, len(payload), step)] or [b""]
        else:
            headers["Content-Length"] = str(len(payload))
        items = [(k.lower(), v) for k, v in headers.items()] if quirk("lowercase-headers") else list(headers.items())
        start_response(f"{status} {_REASONS.get(status, 'Unknown')}", items)
        return chunks

    def _quirked_body(self, answer: Answer, body: dict[str, Any]) -> dict[str, Any]:
        """An answer body as the switched-on quirks shape it (all of them conformant)."""
        quirk = self._has
        if answer.status >= 400:
            body = dict(body)
            if quirk("error-type-uri") and "x-amzn-ErrorType" in answer.headers:
                body["__type"] = answer.headers["x-amzn-ErrorType"]
            if quirk("pretty-json") and isinstance(body.get("message"), str):
                body["message"] += " \u2014 r\u00e9ponse de l\u2019\u00e9mulateur"
        elif quirk("reorder-arrays"):
            body = _reverse_arrays(body)
        if quirk("extra-members"):
            body = _with_extra_members(body)
        return body


def _reverse_arrays(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reverse_arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reverse_arrays(v) for v in reversed(value)]
    return value


def _with_extra_members(value: Any) -> Any:
    if isinstance(value, dict):
        return {**{k: _with_extra_members(v) for k, v in value.items()}, "xEmulatorExtra": {"undocumented": True}}
    if isinstance(value, list):
        return [_with_extra_members(v) for v in value]
    return value


def _other_error_names(quirks: frozenset[str]) -> dict[str, str]:
    """Error model -> the name an error-names-* quirk sends in x-amzn-ErrorType instead."""
    key = {"error-names-reference": "x-reference-names", "error-names-sdk": "x-sdk-names"}
    chosen = [key[q] for q in quirks if q in key]
    if not chosen:
        return {}
    models = {_error_model(status) for status in (400, 404, 429, 504)}
    return {m: amplify_openapi.schema(m)[chosen[0]][0] for m in models if amplify_openapi.schema(m).get(chosen[0])}

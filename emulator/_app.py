"""The WSGI application: routing read from the spec, rest-json answers, request
validation, throttling, injected errors and the deliberate contract faults."""

from __future__ import annotations

import gzip
import json
import random
import re
import threading
import time
import traceback
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import amplify_openapi

from ._config import EmulatorConfig
from ._operations import HANDLERS, ApiError, Call
from ._state import Store, new_request_id
from ._validation import MalformedBody, Violation, parse_body, violations

JSON = "application/json"
INJECT_HEADER = "HTTP_X_EMULATOR_INJECT"
MAX_BODY_BYTES = 64 * 1024 * 1024
ALLOW_HEADERS = "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,X-Amz-User-Agent"
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


@cache
def _error_model(status: int) -> str:
    """The documented error model of a status, read from the spec (all operations share them)."""
    names = {op.response_schema(status) for op in amplify_openapi.operations()}
    (name,) = names
    return name


@cache
def _properties(schema_name: str) -> frozenset[str]:
    return frozenset(amplify_openapi.schema(schema_name).get("properties", {}))


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


class Answer:
    """A response about to be sent."""

    __slots__ = ("status", "body", "headers")

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = {"Content-Type": JSON}
        if headers:
            self.headers.update(headers)


def _wire_bytes(text: str) -> bytes:
    """A WSGI native string back to the bytes on the wire (latin-1); text an in-process
    caller wrote beyond latin-1 as UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _too_large() -> Answer:
    """413 for a body over the cap, before anything reads it: the server then closes the
    connection instead of draining the rest (cheroot does so for every 413)."""
    return Answer(
        413,
        {"message": f"request body is larger than {MAX_BODY_BYTES // 2**20} MiB"},
        {"x-amzn-ErrorType": "RequestEntityTooLargeException"},
    )


def error_answer(status: int, message: str, resource_type: str | None = None, **extra: Any) -> Answer:
    name = _error_model(status)
    body: dict[str, Any] = {"message": message}
    if status == 404:
        body["resourceType"] = resource_type or "resource"
    body.update(extra)
    return Answer(status, body, {"x-amzn-ErrorType": name})


class EmulatorApp:
    """The WSGI callable serving the whole AmplifyBackend API from in-memory state."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.store = Store(
            long_ids=self.config.has("long-ids"), async_jobs=self.config.has("async-jobs"), seed=self.config.seed
        )
        self._eventual = self.config.has("eventual")
        self._faults = self.config.faults
        self._quirks = self.config.quirks
        self._quirk_rng = random.Random(self.config.seed + 1)  # flaky and slow: apart from the 504 plan
        self._unfollowed = _unfollowed_spellings(self.config.quirks)
        self._error_names = _other_error_names(self.config.quirks)
        self._stage = [segment for segment in self.config.stage.split("/") if segment]
        self._rng = random.Random(self.config.seed)
        self._gate = threading.Lock()  # throttle bucket and the 504 draw, in request order
        self._tokens = float(self.config.burst)
        self._refilled = time.monotonic()

    # --- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response) -> list[bytes]:
        request_id = new_request_id()
        operation = None
        try:
            operation, answer = self._answer(environ)
        except Exception:  # a bug here must still answer; tests assert it never happens
            traceback.print_exc()
            answer = Answer(500, {"message": "internal emulator error"}, {"x-amzn-ErrorType": "InternalFailure"})
        return self._send(answer, operation, request_id, start_response, environ)

    def _send(self, answer: Answer, operation, request_id: str, start_response, environ) -> list[bytes]:
        quirk = self.config.has
        body = answer.body
        if quirk("slow"):
            with self._gate:
                delay = self._quirk_rng.uniform(0.001, 0.006)
            time.sleep(delay)
        if isinstance(body, dict):
            body = self._quirked_body(answer, body)
        if isinstance(body, bytes):
            payload = body
        elif quirk("pretty-json"):
            payload = json.dumps(body, indent=2, ensure_ascii=False).encode()
        else:
            payload = json.dumps(body, separators=(",", ":")).encode()
        headers = answer.headers
        op_id = operation.operation_id if operation else None
        if not (op_id == "ListS3Buckets" and "aws_request_id" in self._faults):
            headers["x-amzn-RequestId"] = request_id
        if op_id == "GetBackendJob" and "aws_request_id_reused" in self._faults:
            headers["x-amzn-RequestId"] = "00000000-0000-0000-0000-000000000000"
        if op_id == "GetBackendJob" and "aws_error_type" in self._faults:
            headers.pop("x-amzn-ErrorType", None)
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
        if quirk("chunked") and answer.status != 413:
            step = max(1, len(payload) // 3)
            chunks = [payload[i : i + step] for i in range(0, len(payload), step)] or [b""]
        else:
            headers["Content-Length"] = str(len(payload))
        items = [(k.lower(), v) for k, v in headers.items()] if quirk("lowercase-headers") else list(headers.items())
        start_response(f"{answer.status} {_REASONS.get(answer.status, 'Unknown')}", items)
        return chunks

    def _quirked_body(self, answer: Answer, body: dict[str, Any]) -> dict[str, Any]:
        """An answer body as the switched-on quirks shape it (all of them conformant)."""
        quirk = self.config.has
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

    # --- one request --------------------------------------------------------------------

    def _answer(self, environ: dict[str, Any]):
        # The body is read before routing, so every answer leaves the connection clean for
        # the next request (cheroot does not drain an unread chunked body).
        raw_body = self._read(environ)
        if raw_body is None:
            return None, _too_large()
        method = environ.get("REQUEST_METHOD", "GET").upper()
        parts = self._path_parts(environ)
        route, params = self._route(parts)
        gateway = self.config.has("gateway-403")
        if route is None:
            if gateway:
                return None, _missing_authentication_token()
            return None, error_answer(404, "no such resource: /" + "/".join(parts)[:200], "route")
        if method == "OPTIONS":
            return None, self._cors(route)
        operation = route.operations.get(method)
        if operation is None and gateway:
            return None, _missing_authentication_token()
        if operation is None:
            answer = Answer(
                405,
                {"message": f"{method[:20]} is not a method of {route.template}"},
                {"Allow": route.allow, "x-amzn-ErrorType": "MethodNotAllowedException"},
            )
            return None, answer
        return operation, self._operate(operation, params, environ, raw_body)

    def _path_parts(self, environ: dict[str, Any]) -> list[str]:
        # The raw URI keeps %2F inside a segment apart from a "/" between segments. cheroot
        # and waitress both give it as REQUEST_URI (waitress also as RAW_URI), a native
        # string holding the request's bytes as latin-1; in-process callers may give only
        # PATH_INFO.
        raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
        if raw:
            path = urlsplit(raw).path if "://" in raw[:10] else raw.split("?", 1)[0].split("#", 1)[0]
            if "%" in path or not path.isascii():
                parts = [unquote_to_bytes(_wire_bytes(p)).decode("utf-8", "replace") for p in path.split("/")]
            else:
                parts = path.split("/")
        else:
            path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
            parts = [p.encode("latin-1", "replace").decode("utf-8", "replace") for p in path.split("/")]
        while parts and parts[0] == "":
            parts.pop(0)
        if parts and parts[-1] == "":
            parts.pop()
        stage = self._stage
        if stage and parts[: len(stage)] == stage:
            del parts[: len(stage)]
        return parts

    @staticmethod
    def _route(parts: list[str]) -> tuple[Route | None, dict[str, str]]:
        for route in _candidates(parts):
            params = route.match(parts)
            if params is not None:
                return route, params
        return None, {}

    def _cors(self, route: Route) -> Answer:
        headers = {
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": route.allow,
            "Access-Control-Allow-Headers": ALLOW_HEADERS,
        }
        if "r3_cors" in self._faults and "GetBackend" in {op.operation_id for op in route.operations.values()}:
            del headers["Access-Control-Allow-Methods"]
        return Answer(200, {}, headers)

    def _gate_answer(self) -> Answer | None:
        """429 from the token bucket, or a seeded random 504."""
        cfg = self.config
        if cfg.has("flaky"):
            with self._gate:
                draw = self._quirk_rng.random()
            if draw < 0.04:
                return error_answer(429, "Rate exceeded", limitType="requests")
            if draw < 0.08:
                return error_answer(504, "The service timed out; try again")
        if cfg.throttle_rps is None and not cfg.error_rate:
            return None
        with self._gate:
            if cfg.throttle_rps is not None:
                now = time.monotonic()
                self._tokens = min(cfg.burst, self._tokens + (now - self._refilled) * cfg.throttle_rps)
                self._refilled = now
                if self._tokens < 1:
                    return error_answer(429, "Rate exceeded", limitType="requests")
                self._tokens -= 1
            if cfg.error_rate and self._rng.random() < cfg.error_rate:
                return error_answer(504, "The service timed out; try again")
        return None

    def _injected(self, environ: dict[str, Any], operation) -> Answer | None:
        wanted = environ.get(INJECT_HEADER, "").strip()
        if not wanted or not self.config.allow_injection:
            return None
        if wanted == "400":
            return error_answer(400, "injected: bad request")
        if wanted == "404":
            return error_answer(404, f"injected: not found ({operation.operation_id})", "backend")
        if wanted == "429":
            return error_answer(429, "injected: rate exceeded", limitType="requests")
        if wanted == "504":
            return error_answer(504, "injected: service timed out")
        return error_answer(400, f"x-emulator-inject: {wanted[:20]!r} is not one of 400, 404, 429, 504")

    def _operate(self, operation, params: dict[str, str], environ: dict[str, Any], raw_body: bytes) -> Answer:
        op_id = operation.operation_id
        faults = self._faults
        forced = self._injected(environ, operation) or self._gate_answer()
        if forced is not None:
            return forced
        if op_id == "DeleteToken" and "r1_route" in faults:
            return Answer(404, b"<html><body><h1>404 Not Found</h1></body></html>", {"Content-Type": "text/html"})
        if self.config.has("exists-first") and "appId" in params:
            with self.store.lock:
                known = params["appId"] in self.store.apps
            if not known:
                return error_answer(404, f"backend for app {params['appId'][:100]!r} not found", "backend")
        if op_id == "UpdateBackendConfig" and "r6_whitespace" in faults and not raw_body.strip():
            raw_body = b""
        try:
            body = _without(parse_body(raw_body), self._unfollowed)
        except MalformedBody as exc:
            if op_id == "CreateBackendConfig" and "r6_malformed" in faults and exc.not_json:
                return Answer(500, {"message": "Internal server error"}, {"x-amzn-ErrorType": "InternalFailure"})
            return error_answer(400, str(exc))
        if op_id == "ImportBackendAuth" and "r6_extra_member" in faults and isinstance(body, dict):
            documented = set(amplify_openapi.schema(operation.request_schema).get("properties", {}))
            if set(body) - documented:
                return error_answer(400, f"unknown member(s): {', '.join(sorted(set(body) - documented))}")
        rejected = self._rejected_by_fault(op_id, body)
        if rejected:
            return error_answer(400, rejected)
        if self.config.has("picky") and (reason := _too_unusual(params, body)):
            return error_answer(400, reason)
        unvalidated = op_id == "ListS3Buckets" and "r6_unvalidated" in faults
        found = violations(operation.request_schema, body) if operation.request_schema and not unvalidated else []
        kept = [v for v in found if not self._let_through(op_id, v)]
        if kept:
            return error_answer(400, "; ".join(v.message for v in kept[:5]))
        if (
            op_id == "CreateBackendAuth"
            and "r5_enum_accepted" in faults
            and ((body.get("resourceConfig") or {}).get("userPoolConfigs") or {}).get("signInMethod") == "PHONE_NUMBER"
        ):
            return error_answer(400, "resourceConfig.userPoolConfigs.signInMethod: 'PHONE_NUMBER' is not supported")
        if op_id == "ListS3Buckets" and "r6_token_unicode" in faults and _non_ascii_token(body):
            return Answer(500, {"message": "Internal server error"}, {"x-amzn-ErrorType": "InternalFailure"})
        call = Call(op_id, dict(params), body, faults, accepted_by_fault=bool(found), quirks=self._quirks)
        try:
            with self.store.lock:
                if self._eventual and op_id.startswith(("Get", "List")):
                    payload = HANDLERS[op_id](self.store.as_seen_a_moment_ago(), call)
                else:
                    payload = HANDLERS[op_id](self.store, call)
                    if self._eventual:
                        self.store.remember()
        except ApiError as exc:
            answer = error_answer(exc.status, exc.message, exc.resource_type)
            if op_id == "GetBackendStorage" and exc.status == 404 and "r2_error_body" in faults:
                answer.body["resourceType"] = 404
            return answer
        return self._success(operation, payload)

    def _rejected_by_fault(self, op_id: str, body: dict[str, Any]) -> str | None:
        """What a switched-on fault refuses although it is valid."""
        faults = self._faults
        config = body.get("resourceConfig") if isinstance(body.get("resourceConfig"), dict) else {}
        pool = config.get("userPoolConfigs") if isinstance(config.get("userPoolConfigs"), dict) else {}
        policy = pool.get("passwordPolicy") if isinstance(pool.get("passwordPolicy"), dict) else {}
        length = policy.get("minimumLength")
        if op_id == "CreateBackendAuth" and "r6_fraction" in faults and isinstance(length, float) and length % 1:
            return "resourceConfig.userPoolConfigs.passwordPolicy.minimumLength: must be a whole number"
        if op_id == "UpdateBackendAuth" and "r6_deprecated" in faults and "forgotPassword" in pool:
            return "resourceConfig.userPoolConfigs.forgotPassword: no longer supported"
        return None

    def _let_through(self, op_id: str, violation: Violation) -> bool:
        """Whether a switched-on fault accepts this violation."""
        faults = self._faults
        where = violation.where
        return (
            (
                op_id == "CreateBackendStorage"
                and "r4_required" in faults
                and where == "resourceConfig.permissions"
                and violation.keyword == "required"
            )
            or (
                op_id == "UpdateBackendAuth"
                and "r5_enum_rejected" in faults
                and where == "resourceConfig.userPoolConfigs.mfa.MFAMode"
                and violation.keyword == "enum"
            )
            or (
                op_id == "UpdateBackendJob"
                and "r6_wrong_type" in faults
                and where == "status"
                and violation.keyword == "type"
            )
            or (
                op_id == "DeleteBackendStorage"
                and "r5_enum_case" in faults
                and violation.keyword == "enum"
                and where == "serviceName"
            )
            or (
                op_id == "ListBackendJobs"
                and "r6_bounds" in faults
                and where == "maxResults"
                and violation.keyword == "maximum"
            )
        )

    def _success(self, operation, payload: dict[str, Any]) -> Answer:
        model = operation.response_schema(200)
        members = _properties(model)
        body = {key: value for key, value in payload.items() if key in members}
        if self.config.has("omit-optional"):
            kept = set(amplify_openapi.schema(model).get("required", ())) | _ASKED_FOR
            body = {key: value for key, value in body.items() if key in kept}
        status, headers = 200, {}
        op_id = operation.operation_id
        if op_id == "GetBackendAPIModels" and "r1_status_code" in self._faults:
            status = 202
        if op_id == "GetBackend" and "r2_content_type" in self._faults:
            headers["Content-Type"] = "text/plain"
        if op_id == "CreateToken" and "r2_body_schema" in self._faults:
            body.pop("challengeCode", None)
        return Answer(status, body, headers)

    @staticmethod
    def _read(environ: dict[str, Any]) -> bytes | None:
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


# The answer members the rules ask about (R7, R8): omit-optional keeps them, optional or not.
_ASKED_FOR = frozenset(
    {"jobId", "sessionId", "challengeCode", "resourceConfig", "backendEnvironmentList", "jobs", "nextToken"}
    | {"operation", "status", "buckets", "appId", "backendEnvironmentName"}
)


def _missing_authentication_token() -> Answer:
    """What API Gateway answers for a path or method it does not route."""
    return Answer(
        403, {"message": "Missing Authentication Token"}, {"x-amzn-ErrorType": "MissingAuthenticationTokenException"}
    )


def _unfollowed_spellings(quirks: frozenset[str]) -> frozenset[str]:
    """The member spellings a spelling-* quirk treats as unknown (the other spellings of its member)."""
    unfollowed: set[str] = set()
    for group in amplify_openapi.spelling_groups():
        followed = [name for name in group if f"spelling-{name}" in quirks]
        if followed:
            unfollowed.update(name for name in group if name not in followed)
    return frozenset(unfollowed)


def _without(value: Any, names: frozenset[str]) -> Any:
    """The body with members of these names dropped at every depth (unknown to this reading)."""
    if not names:
        return value
    if isinstance(value, dict):
        return {k: _without(v, names) for k, v in value.items() if k not in names}
    if isinstance(value, list):
        return [_without(v, names) for v in value]
    return value


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


_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z0-9._~-]+")


def _non_ascii_token(body: Any) -> bool:
    """The r6_token_unicode trigger: a nextToken string with a character outside ASCII."""
    token = body.get("nextToken") if isinstance(body, dict) else None
    return isinstance(token, str) and not token.isascii()


def _too_unusual(params: dict[str, str], body: Any) -> str | None:
    """What the picky quirk refuses: long strings, empty arrays, identifiers with odd characters."""
    for name, value in params.items():
        if not _PLAIN_IDENTIFIER.fullmatch(value):
            return f"{name}: only letters, digits and - . _ ~ are supported"
    stack = [("body", body)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and len(value) > 256:
            return f"{where}: longer than 256 characters"
        if isinstance(value, list):
            if not value:
                return f"{where}: must not be empty"
            stack += [(f"{where}[]", v) for v in value]
        elif isinstance(value, dict):
            stack += [(f"{where}.{k}", v) for k, v in value.items()]
    return None


def _other_error_names(quirks: frozenset[str]) -> dict[str, str]:
    """Error model -> the name an error-names-* quirk sends in x-amzn-ErrorType instead."""
    key = {"error-names-reference": "x-reference-names", "error-names-sdk": "x-sdk-names"}
    chosen = [key[q] for q in quirks if q in key]
    if not chosen:
        return {}
    models = {_error_model(status) for status in (400, 404, 429, 504)}
    return {m: amplify_openapi.schema(m)[chosen[0]][0] for m in models if amplify_openapi.schema(m).get(chosen[0])}

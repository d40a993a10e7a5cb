"""The WSGI application: one request's way through routing, throttling, reading and validation
to its operation's handler, and the answer projected onto the documented response model."""

from __future__ import annotations

import traceback
from functools import cache
from typing import Any

import amplify_openapi

from . import _backends, _jobs, _resources, _tokens
from ._calls import ApiError, Call
from ._config import EmulatorConfig
from ._fault_effects import FaultEffects
from ._request_quirks import RequestQuirks
from ._routing import find_route, not_a_method, path_parts, preflight, unrouted
from ._state import Store, new_request_id
from ._throttle import Throttle
from ._validation import MalformedBody, parse_body, violations
from ._wire import Answer, Wire, error_answer, internal_failure, read_body, too_large

HANDLERS = {**_backends.HANDLERS, **_resources.HANDLERS, **_tokens.HANDLERS, **_jobs.HANDLERS}

# The answer members the rules ask about (R7, R8): omit-optional keeps them, optional or not.
_ASKED_FOR = frozenset(
    {"jobId", "sessionId", "challengeCode", "resourceConfig", "backendEnvironmentList", "jobs", "nextToken"}
    | {"operation", "status", "buckets", "appId", "backendEnvironmentName", "loginAuthConfig"}
)


@cache
def _properties(schema_name: str) -> frozenset[str]:
    return frozenset(amplify_openapi.schema(schema_name).get("properties", {}))


@cache
def _required(schema_name: str) -> frozenset[str]:
    return frozenset(amplify_openapi.schema(schema_name).get("required", ()))


class EmulatorApp:
    """The WSGI callable serving the whole AmplifyBackend API from in-memory state."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.store = Store(
            long_ids=self.config.has("long-ids"),
            async_jobs=self.config.has("async-jobs"),
            seed=self.config.seed,
            job_words=self.config.has("job-words"),
            opaque_ids=self.config.has("opaque-tokens"),
            jobs_per_app=self.config.has("jobs-per-app"),
        )
        self._late_deletes = self.config.has("late-deletes")
        # reads see the state of a moment ago (eventual; late-deletes, whose writes see deletes late too)
        self._eventual = self.config.has("eventual") or self._late_deletes
        self._faults = FaultEffects(self.config.faults)
        self._throttle = Throttle(self.config)
        self._reading = RequestQuirks(self.config)
        self._wire = Wire(self.config)
        self._stage = [segment for segment in self.config.stage.split("/") if segment]

    def __call__(self, environ: dict[str, Any], start_response) -> list[bytes]:
        request_id = new_request_id()
        operation = None
        try:
            operation, answer = self._answer(environ)
        except Exception:  # a bug here must still answer; tests assert it never happens
            traceback.print_exc()
            answer = internal_failure("internal emulator error")
        self._throttle.pace()
        payload = self._wire.payload(answer)
        headers = answer.headers
        headers["x-amzn-RequestId"] = request_id
        self._faults.headers(operation.operation_id if operation else None, headers)
        return self._wire.send(answer.status, headers, payload, environ, start_response)

    def _answer(self, environ: dict[str, Any]) -> tuple[amplify_openapi.Operation | None, Answer]:
        # The body is read before routing, so every answer leaves the connection clean for
        # the next request (cheroot does not drain an unread chunked body).
        raw_body = read_body(environ)
        if raw_body is None:
            return None, too_large()
        method = environ.get("REQUEST_METHOD", "GET").upper()
        parts = path_parts(environ, self._stage)
        route, params = find_route(parts)
        gateway = self.config.has("gateway-403")
        if route is None:
            return None, unrouted(parts, gateway)
        if method == "OPTIONS":
            return None, self._faults.preflight(route, preflight(route))
        operation = route.operations.get(method)
        if operation is None:
            return None, not_a_method(route, method, gateway)
        return operation, self._operate(operation, params, environ, raw_body)

    def _operate(self, operation, params: dict[str, str], environ: dict[str, Any], raw_body: bytes) -> Answer:
        op_id = operation.operation_id
        faults = self._faults
        forced = (
            self._throttle.forced(environ, operation)
            or faults.unrouted(op_id)
            or faults.path_failure(operation, environ, self._stage)
        )
        if forced is not None:
            return forced
        if self.config.has("exists-first") and "appId" in params:
            with self.store.lock:
                known = params["appId"] in self.store.apps
            if not known:
                return error_answer(404, f"backend for app {params['appId'][:100]!r} not found", "backend")
        try:
            body = self._reading.read(parse_body(faults.raw_body(op_id, raw_body)))
        except MalformedBody as exc:
            return faults.malformed(op_id, exc) or error_answer(400, str(exc))
        failed = faults.parsed(op_id, body)
        if failed is not None:
            return failed
        refused = faults.refused(operation, body) or self._reading.refused(params, body)
        if refused:
            return error_answer(400, refused)
        validated = operation.request_schema and faults.validates(op_id)
        found = violations(operation.request_schema, body) if validated else []
        kept = [v for v in found if not faults.lets_through(op_id, v)]
        if kept:
            return error_answer(400, "; ".join(v.message for v in kept[:5]))
        refused_answer = faults.refused_when_valid(op_id, body)
        if refused_answer is not None:
            return refused_answer
        call = Call(op_id, dict(params), body, faults.faults, accepted_by_fault=bool(found), quirks=self.config.quirks)
        try:
            payload = self._handle(call)
        except ApiError as exc:
            return faults.error(op_id, error_answer(exc.status, exc.message, exc.resource_type))
        return self._success(operation, payload)

    def _handle(self, call: Call) -> dict[str, Any]:
        """Run the call's handler under the store's lock; an eventual reader sees the state of a moment ago."""
        handler = HANDLERS[call.operation_id]
        with self.store.lock:
            if self._eventual and call.operation_id.startswith(("Get", "List")):
                return handler(self.store.as_seen_a_moment_ago(), call)
            try:
                payload = handler(self.store, call)
            except ApiError as exc:
                if not self._late_deletes or exc.status != 404:
                    raise
                payload = self._before_the_delete(handler, call, exc)
            if self._eventual:
                self.store.remember()
            return payload

    def _before_the_delete(self, handler, call: Call, not_found: ApiError) -> dict[str, Any]:
        """The late-deletes quirk: a write the live state answers 404 is answered as the state of a
        moment ago would answer it, if that is not a 404 too (what it names was deleted since). It
        acts on a copy of that state, which is then dropped: only the job it announces is recorded,
        in the live state, while its app is there."""
        past = self.store.as_seen_a_moment_ago()
        past.live = self.store
        try:
            return handler(past, call)
        except ApiError:
            raise not_found from None

    def _success(self, operation, payload: dict[str, Any]) -> Answer:
        """The handler's answer projected onto the operation's documented response model."""
        model = operation.response_schema(200)
        members = _properties(model)
        body = {key: value for key, value in payload.items() if key in members}
        if self.config.has("omit-optional"):
            kept = _required(model) | _ASKED_FOR
            body = {key: value for key, value in body.items() if key in kept}
        if self.config.has("omit-empty-arrays"):
            required = _required(model)
            body = {key: value for key, value in body.items() if value != [] or key in required}
        status, headers = self._faults.success(operation.operation_id, body)
        return Answer(status, body, headers)

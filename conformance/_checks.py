"""The contract's rules as small named checks.

Each check answers one question about what was seen and returns a Seen (verdict and what it
saw), or None when the question does not apply. Ids are stable: a check is never renamed or
reused for another question. Exchange checks judge any single answer (they are also
registered as schemathesis checks); expectation and workflow checks are judged by the runner,
which knows what a request meant to exercise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import amplify_openapi as spec

from ._target import Exchange, Reply, is_json

LEVELS = ("schema", "behaviour", "aws")


@dataclass(frozen=True)
class CheckInfo:
    id: str
    level: str
    question: str


@dataclass(frozen=True)
class Seen:
    """One judgement: did the answer do what the rule asks, and what was seen."""

    check: str
    ok: bool
    saw: str


CHECKS: dict[str, CheckInfo] = {}


def _declare(check_id: str, level: str, question: str) -> str:
    CHECKS[check_id] = CheckInfo(check_id, level, question)
    return check_id


STATUS_CODE = _declare("R1.status-code", "schema", "Is every answer's status one the operation documents?")
ROUTE = _declare("R1.route", "schema", "Does the resource answer its documented method (no 405/501, no foreign 404)?")
CONTENT_TYPE = _declare("R2.content-type", "schema", "Is every non-OPTIONS answer application/json?")
BODY_SCHEMA = _declare(
    "R2.body-schema", "schema", "Does the body validate against the model documented for its status?"
)
CORS = _declare("R3.cors", "schema", "Does OPTIONS answer 200 with the three CORS headers, listing the methods?")
REQUIRED = _declare("R4.required", "behaviour", "Is a body missing a required member answered 400?")
ENUM_ACCEPTED = _declare("R5.enum-accepted", "behaviour", "Is each documented enum value accepted?")
ENUM_REJECTED = _declare("R5.enum-rejected", "behaviour", "Is a value outside the enum answered 400?")
WRONG_TYPE = _declare("R6.wrong-type", "behaviour", "Is a member of the wrong JSON type (null included) answered 400?")
BOUNDS = _declare("R6.bounds", "behaviour", "Are documented bounds enforced: inside accepted, outside 400?")
MALFORMED = _declare("R6.malformed-body", "behaviour", "Is a non-JSON or non-object body 400, an empty one {}?")
VALID = _declare("R6.valid-accepted", "behaviour", "Is a valid request, extra members included, answered 200?")
NO_5XX = _declare("R6.no-5xx", "behaviour", "Is no input answered with a 5xx other than 504?")
FUZZ_REJECTED = _declare(
    "R6.fuzz-rejected", "behaviour", "Is a request schemathesis made invalid answered with a client error?"
)
NOT_FOUND = _declare("R7.not-found", "behaviour", "Is naming something that does not exist answered 404?")
CREATES = _declare(
    "R7.creates",
    "behaviour",
    "Do Create*/Import* on an existing app create the resource, in a new environment and again after a delete?",
)
BACKEND_ENV = _declare(
    "R8.backend-env",
    "behaviour",
    "Do Create/Clone/DeleteBackend show in GetBackend (each environment once) and in what environments hold?",
)
LIFECYCLE = _declare(
    "R8.resource-lifecycle", "behaviour", "Do Create/Get/Update/Import/Delete of API, Auth, Storage keep state?"
)
TOKEN = _declare("R8.token-lifecycle", "behaviour", "Do CreateToken/GetToken/DeleteToken keep state?")
JOBS = _declare("R8.jobs", "behaviour", "Does every jobId resolve and list, with filters, paging and updates honoured?")
REMOVE_ALL = _declare("R8.remove-all", "behaviour", "Does RemoveAllBackends remove the app?")
ECHO = _declare(
    "R8.echo",
    "behaviour",
    "Do answers echo the request's appId and backendEnvironmentName (UpdateBackendConfig its loginAuthConfig)?",
)
ISOLATION = _declare("R8.isolation", "behaviour", "Do apps and environments never share resources, tokens or jobs?")
CONCURRENCY = _declare("R8.concurrency", "behaviour", "Do concurrent requests all take effect?")
SEQUENCES = _declare(
    "R8.sequences",
    "behaviour",
    "Does every answer to random sequences of operations agree with an executable model of R7 and R8?",
)
ERROR_TYPE = _declare("aws.error-type", "aws", "Does every error answer carry x-amzn-ErrorType naming its error?")
REQUEST_ID = _declare("aws.request-id", "aws", "Does every answer carry an x-amzn-RequestId of its own?")

# What a matrix case (amplify_strategies.Case.kind) exercises.
EXPECTATION_CHECK = {
    "valid": VALID,
    "valid-full": VALID,
    "extra-member": VALID,
    "enum-value": ENUM_ACCEPTED,
    "enum-outside": ENUM_REJECTED,
    "required-missing": REQUIRED,
    "wrong-type": WRONG_TYPE,
    "bound-inside": BOUNDS,
    "bound-outside": BOUNDS,
    "malformed-body": MALFORMED,
    "fraction": VALID,
    "deprecated-member": VALID,
}


def level_of(check_id: str) -> str:
    return CHECKS[check_id].level


# ---- exchange checks: any single answer ----------------------------------------------------


def status_code(op: spec.Operation, reply: Reply) -> Seen:
    ok = str(reply.status) in op.status_codes
    return Seen(
        STATUS_CODE, ok, f"status {reply.status}" + ("" if ok else f", documented: {', '.join(op.status_codes)}")
    )


def route(op: spec.Operation, reply: Reply) -> Seen:
    if reply.status in (405, 501):
        return Seen(ROUTE, False, f"{op.method} {op.path} answered {reply.status}: route not served")
    if reply.status == 404:
        body = reply.json()
        own = reply.media_type == "application/json" and isinstance(body, dict)
        if not own:
            return Seen(
                ROUTE,
                False,
                f"404 with a {reply.media_type or 'untyped'} body that is not the API's "
                "NotFoundException: route not served",
            )
    return Seen(ROUTE, True, f"{op.method} {op.path} served ({reply.status})")


def content_type(op: spec.Operation, reply: Reply) -> Seen:
    ok = reply.media_type == "application/json"
    return Seen(CONTENT_TYPE, ok, f"Content-Type {reply.header('content-type')!r}")


def body_schema(op: spec.Operation, reply: Reply) -> Seen | None:
    model = op.response_schema(reply.status)
    if model is None:
        return None  # undocumented status: R1's question, not this one
    if reply.truncated:
        return Seen(BODY_SCHEMA, False, f"{reply.status} body larger than {len(reply.body)} bytes, not judged whole")
    body = reply.json()
    if not is_json(body):
        return Seen(BODY_SCHEMA, False, f"{reply.status} body is not JSON: {reply.body[:80]!r}")
    errors = spec.errors(model, body)
    if errors:
        where = ".".join(str(p) for p in errors[0].absolute_path) or "(body)"
        return Seen(BODY_SCHEMA, False, f"{reply.status} body is no {model}: {where}: {errors[0].message}")
    return Seen(BODY_SCHEMA, True, f"{reply.status} body is a {model}")


def no_5xx(op: spec.Operation, reply: Reply) -> Seen:
    ok = reply.status < 500 or reply.status == 504
    return Seen(NO_5XX, ok, f"status {reply.status}")


def error_type(op: spec.Operation, reply: Reply) -> Seen | None:
    if reply.status < 400:
        return None
    model = op.response_schema(reply.status)
    value = reply.header("x-amzn-errortype")
    if value is None:
        return Seen(ERROR_TYPE, False, f"{reply.status} answer without x-amzn-ErrorType")
    name = value.split(":", 1)[0].strip()
    names = spec.model_names(model) if model else ()
    ok = model is None or name in names
    return Seen(ERROR_TYPE, ok, f"x-amzn-ErrorType {value!r}" + ("" if ok else f", expected one of {', '.join(names)}"))


def request_id(op: spec.Operation, reply: Reply) -> Seen:
    value = reply.header("x-amzn-requestid")
    return Seen(REQUEST_ID, bool(value), f"x-amzn-RequestId {value!r}")


class RequestIds:
    """The x-amzn-RequestId values a run has seen, so that one answer reusing another's is told."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def own(self, op: spec.Operation, reply: Reply) -> Seen | None:
        value = reply.header("x-amzn-requestid")
        if not value:
            return None  # request_id's question
        with self._lock:
            fresh = value not in self._seen
            self._seen.add(value)
        return None if fresh else Seen(REQUEST_ID, False, f"x-amzn-RequestId {value!r} was already another answer's")


EXCHANGE_CHECKS: tuple[Callable[[spec.Operation, Reply], Seen | None], ...] = (
    status_code,
    route,
    content_type,
    body_schema,
    no_5xx,
    error_type,
    request_id,
)


def judge_exchange(op: spec.Operation, exchange: Exchange, request_ids: RequestIds | None = None) -> list[Seen]:
    """Every exchange check on every answer received, retried ones included (R9); with the run's
    request ids, also whether each answer's x-amzn-RequestId is its own."""
    checks = EXCHANGE_CHECKS + ((request_ids.own,) if request_ids is not None else ())
    return [seen for reply in exchange.replies for check in checks if (seen := check(op, reply))]


# ---- expectation checks: what a labelled request should get ---------------------------------


def expectation(check_id: str, expect: str, detail: str, reply: Reply) -> Seen | None:
    """A request meant to be accepted must get 200; one meant to be rejected, 400.

    429 and 504 are legitimate at any time (R9): such an answer leaves the case unjudged.
    """
    if reply.status in (429, 504):
        return None
    wanted = 200 if expect == "accept" else 400
    return Seen(check_id, reply.status == wanted, f"{detail}: expected {wanted}, got {reply.status}")


# ---- CORS ------------------------------------------------------------------------------------


def cors(path: str, reply: Reply) -> Seen:
    methods = spec.resources()[path]
    missing = [
        h
        for h in ("access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers")
        if not reply.header(h)
    ]
    if reply.status != 200 or missing:
        return Seen(CORS, False, f"OPTIONS {path}: status {reply.status}, missing {', '.join(missing) or 'nothing'}")
    allowed = {m.strip().upper() for m in (reply.header("access-control-allow-methods") or "").split(",")}
    absent = [m for m in methods if m not in allowed and "*" not in allowed]
    ok = not absent
    return Seen(
        CORS,
        ok,
        f"OPTIONS {path}: Allow-Methods {reply.header('access-control-allow-methods')!r}"
        + ("" if ok else f" lacks {', '.join(absent)}"),
    )


# ---- workflow helpers ------------------------------------------------------------------------


def outcome(check_id: str, ok: bool, saw: str) -> Seen:
    return Seen(check_id, ok, saw)


def body_of(reply: Reply | None) -> dict[str, Any]:
    """A JSON object body, leniently (behaviour checks must not re-judge R2's media type)."""
    if reply is None:
        return {}
    body = reply.json()
    return body if isinstance(body, dict) else {}

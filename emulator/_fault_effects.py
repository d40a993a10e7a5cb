"""What the switched-on deliberate faults do outside the handlers: the requests they refuse
although valid or let through although invalid, and the answers and headers they bend. The
app asks at each step of a request; with no fault switched on, every hook leaves it alone."""

from __future__ import annotations

import re
from typing import Any

import amplify_openapi

from ._routing import Route, raw_path_parts
from ._validation import MalformedBody, Violation
from ._wire import Answer, error_answer, internal_failure

_PERCENT_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")
LONG_STRING = 1000  # the r6_long_string fault's trigger: a string of this many characters or more

# (operation, fault, member path, JSON Schema keyword): a violation the fault accepts
_LET_THROUGH = (
    ("CreateBackendStorage", "r4_required", "resourceConfig.permissions", "required"),
    ("UpdateBackendAuth", "r5_enum_rejected", "resourceConfig.userPoolConfigs.mfa.MFAMode", "enum"),
    ("UpdateBackendJob", "r6_wrong_type", "status", "type"),
    ("DeleteBackendStorage", "r5_enum_case", "serviceName", "enum"),
    ("ListBackendJobs", "r6_bounds", "maxResults", "maximum"),
)


class FaultEffects:
    """The faults of one emulator, asked about one operation at a time."""

    def __init__(self, faults: frozenset[str]) -> None:
        self.faults = faults

    def _on(self, fault: str, op_id: str, operation_id: str) -> bool:
        return op_id == operation_id and fault in self.faults

    def preflight(self, route: Route, answer: Answer) -> Answer:
        """r3_cors: GetBackend's preflight leaves out Access-Control-Allow-Methods."""
        if "r3_cors" in self.faults and "GetBackend" in {op.operation_id for op in route.operations.values()}:
            del answer.headers["Access-Control-Allow-Methods"]
        return answer

    def unrouted(self, op_id: str) -> Answer | None:
        """r1_route: DeleteToken's route is missing, answered with an HTML 404."""
        if self._on("r1_route", op_id, "DeleteToken"):
            return Answer(404, b"<html><body><h1>404 Not Found</h1></body></html>", {"Content-Type": "text/html"})
        return None

    def path_failure(
        self, operation: amplify_openapi.Operation, environ: dict[str, Any], stage: list[str]
    ) -> Answer | None:
        """r6_path_percent: GetBackend answers 500 when a path identifier was sent percent-encoded."""
        if not self._on("r6_path_percent", operation.operation_id, "GetBackend"):
            return None
        sent = raw_path_parts(environ, stage)
        template = operation.path.strip("/").split("/")
        if sent is None or len(sent) != len(template):
            return None
        if any(want.startswith("{") and _PERCENT_ENCODED.search(got) for want, got in zip(template, sent, strict=True)):
            return internal_failure()
        return None

    def parsed(self, op_id: str, body: Any) -> Answer | None:
        """r6_long_string: UpdateBackendStorage answers 500 for a body holding a string of 1,000
        characters or more anywhere, before it is validated."""
        if self._on("r6_long_string", op_id, "UpdateBackendStorage") and _longest_string(body) >= LONG_STRING:
            return internal_failure()
        return None

    def raw_body(self, op_id: str, raw_body: bytes) -> bytes:
        """r6_whitespace: a whitespace-only UpdateBackendConfig body is read as an empty one."""
        if self._on("r6_whitespace", op_id, "UpdateBackendConfig") and not raw_body.strip():
            return b""
        return raw_body

    def malformed(self, op_id: str, exc: MalformedBody) -> Answer | None:
        """r6_malformed: CreateBackendConfig answers text that is not JSON with a 500."""
        if self._on("r6_malformed", op_id, "CreateBackendConfig") and exc.not_json:
            return internal_failure()
        return None

    def refused(self, operation: amplify_openapi.Operation, body: dict[str, Any]) -> str | None:
        """Why a switched-on fault refuses this valid body, before it is validated."""
        op_id = operation.operation_id
        if self._on("r6_extra_member", op_id, "ImportBackendAuth") and isinstance(body, dict):
            documented = set(amplify_openapi.schema(operation.request_schema).get("properties", {}))
            if set(body) - documented:
                return f"unknown member(s): {', '.join(sorted(set(body) - documented))}"
        config = body.get("resourceConfig") if isinstance(body.get("resourceConfig"), dict) else {}
        pool = config.get("userPoolConfigs") if isinstance(config.get("userPoolConfigs"), dict) else {}
        policy = pool.get("passwordPolicy") if isinstance(pool.get("passwordPolicy"), dict) else {}
        length = policy.get("minimumLength")
        if self._on("r6_fraction", op_id, "CreateBackendAuth") and isinstance(length, float) and length % 1:
            return "resourceConfig.userPoolConfigs.passwordPolicy.minimumLength: must be a whole number"
        if self._on("r6_deprecated", op_id, "UpdateBackendAuth") and "forgotPassword" in pool:
            return "resourceConfig.userPoolConfigs.forgotPassword: no longer supported"
        return None

    def validates(self, op_id: str) -> bool:
        """Whether the body is checked against its schema (r6_unvalidated: ListS3Buckets's is not)."""
        return not self._on("r6_unvalidated", op_id, "ListS3Buckets")

    def lets_through(self, op_id: str, violation: Violation) -> bool:
        """Whether a switched-on fault accepts this violation."""
        return any(
            self._on(fault, op_id, operation_id) and violation.where == where and violation.keyword == keyword
            for operation_id, fault, where, keyword in _LET_THROUGH
        )

    def refused_when_valid(self, op_id: str, body: dict[str, Any]) -> Answer | None:
        """What a switched-on fault answers instead of running this valid request."""
        if self._on("r5_enum_accepted", op_id, "CreateBackendAuth") and _sign_in_method(body) == "PHONE_NUMBER":
            return error_answer(400, "resourceConfig.userPoolConfigs.signInMethod: 'PHONE_NUMBER' is not supported")
        if self._on("r6_token_unicode", op_id, "ListS3Buckets") and _non_ascii_token(body):
            return internal_failure()
        return None

    def error(self, op_id: str, answer: Answer) -> Answer:
        """r2_error_body: GetBackendStorage's 404 carries a number as resourceType."""
        if self._on("r2_error_body", op_id, "GetBackendStorage") and answer.status == 404:
            answer.body["resourceType"] = 404
        return answer

    def success(self, op_id: str, body: dict[str, Any]) -> tuple[int, dict[str, str]]:
        """The status and headers of a 200 answer as a switched-on fault bends them (and its body, in place)."""
        status, headers = 200, {}
        if self._on("r1_status_code", op_id, "GetBackendAPIModels"):
            status = 202
        if self._on("r2_content_type", op_id, "GetBackend"):
            headers["Content-Type"] = "text/plain"
        if self._on("r2_body_schema", op_id, "CreateToken"):
            body.pop("challengeCode", None)
        return status, headers

    def headers(self, op_id: str | None, headers: dict[str, str]) -> None:
        """The AWS headers the aws_* faults drop or reuse."""
        if self._on("aws_request_id", op_id, "ListS3Buckets"):
            headers.pop("x-amzn-RequestId", None)
        if self._on("aws_request_id_reused", op_id, "GetBackendJob"):
            headers["x-amzn-RequestId"] = "00000000-0000-0000-0000-000000000000"
        if self._on("aws_error_type", op_id, "GetBackendJob"):
            headers.pop("x-amzn-ErrorType", None)


def _sign_in_method(body: dict[str, Any]) -> Any:
    return ((body.get("resourceConfig") or {}).get("userPoolConfigs") or {}).get("signInMethod")


def _non_ascii_token(body: Any) -> bool:
    """The r6_token_unicode trigger: a nextToken string with a character outside ASCII."""
    token = body.get("nextToken") if isinstance(body, dict) else None
    return isinstance(token, str) and not token.isascii()


def _longest_string(body: Any) -> int:
    """The length of the longest string anywhere in a JSON value, member names included."""
    longest, stack = 0, [body]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            longest = max(longest, len(value))
        elif isinstance(value, list):
            stack += value
        elif isinstance(value, dict):
            stack += [*value, *value.values()]
    return longest

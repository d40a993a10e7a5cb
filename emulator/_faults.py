"""The deliberate contract faults: each breaks one operation in one way, so a test can
prove that the check named in ``check`` catches it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """A contract violation the emulator commits when switched on by name."""

    name: str
    operation_id: str
    rule: str
    check: str
    description: str


def _faults(*rows: tuple[str, str, str, str, str]) -> dict[str, Fault]:
    return {name: Fault(name, op, rule, check, text) for name, op, rule, check, text in rows}


FAULTS: dict[str, Fault] = _faults(
    (
        "r1_status_code",
        "GetBackendAPIModels",
        "R1",
        "R1.status-code",
        "a valid request is answered 202 instead of 200 (same body)",
    ),
    (
        "r1_route",
        "DeleteToken",
        "R1",
        "R1.route",
        "the POST route is missing: answered 404 with a text/html body (OPTIONS still answers)",
    ),
    (
        "r2_content_type",
        "GetBackend",
        "R2",
        "R2.content-type",
        "the 200 answer is sent as text/plain (same JSON text)",
    ),
    (
        "r2_body_schema",
        "CreateToken",
        "R2",
        "R2.body-schema",
        "the 200 body lacks the required member challengeCode",
    ),
    (
        "r2_error_body",
        "GetBackendStorage",
        "R2",
        "R2.body-schema",
        "the 404 body carries resourceType as an integer",
    ),
    (
        "r3_cors",
        "GetBackend",
        "R3",
        "R3.cors",
        "OPTIONS on /backend/{appId}/details lacks Access-Control-Allow-Methods",
    ),
    (
        "r4_required",
        "CreateBackendStorage",
        "R4",
        "R4.required",
        "a body missing resourceConfig.permissions is accepted (200) and stored",
    ),
    (
        "r5_enum_rejected",
        "UpdateBackendAuth",
        "R5",
        "R5.enum-rejected",
        "a value outside MFAMode at resourceConfig.userPoolConfigs.mfa.MFAMode is accepted (200);"
        " the stored config is left unchanged",
    ),
    (
        "r5_enum_accepted",
        "CreateBackendAuth",
        "R5",
        "R5.enum-accepted",
        "signInMethod PHONE_NUMBER is rejected with 400",
    ),
    (
        "r6_wrong_type",
        "UpdateBackendJob",
        "R6",
        "R6.wrong-type",
        "a non-string status is accepted (200); the job is left unchanged",
    ),
    ("r6_bounds", "ListBackendJobs", "R6", "R6.bounds", "maxResults above 25 is accepted (200)"),
    (
        "r6_malformed",
        "CreateBackendConfig",
        "R6",
        "R6.malformed-body",
        "a body that is not JSON is answered 500",
    ),
    (
        "r7_not_found",
        "GetBackendAuth",
        "R7",
        "R7.not-found",
        "an unknown appId is answered 200 with a plausible body instead of 404",
    ),
    (
        "r8_resource_lifecycle",
        "DeleteBackendAPI",
        "R8",
        "R8.resource-lifecycle",
        "answers 200 but does not delete: GetBackendAPI still answers 200",
    ),
    (
        "r8_token",
        "GetToken",
        "R8",
        "R8.token-lifecycle",
        "returns a different challengeCode than CreateToken gave",
    ),
    ("r8_job_list", "ListBackendJobs", "R8", "R8.jobs", "the status filter is ignored"),
    (
        "r8_echo",
        "CloneBackend",
        "R8",
        "R8.echo",
        "the answer's backendEnvironmentName differs from the request's path value"
        " (the job is recorded under the answered name)",
    ),
    (
        "aws_error_type",
        "GetBackendJob",
        "aws",
        "aws.error-type",
        "error answers lack the x-amzn-ErrorType header",
    ),
    ("aws_request_id", "ListS3Buckets", "aws", "aws.request-id", "answers lack the x-amzn-RequestId header"),
    (
        "r6_extra_member",
        "ImportBackendAuth",
        "R6",
        "R6.valid-accepted",
        "a body with a member the spec does not document is answered 400 instead of ignored",
    ),
    (
        "r6_unvalidated",
        "ListS3Buckets",
        "R6",
        "R6.fuzz-rejected",
        "the body is not validated at all: anything that parses is answered 200",
    ),
    (
        "r8_backend_env",
        "CreateBackend",
        "R8",
        "R8.backend-env",
        "a second environment of an existing app is answered 200 but not recorded",
    ),
    (
        "r8_remove_all",
        "RemoveAllBackends",
        "R8",
        "R8.remove-all",
        "answers 200 but leaves the app in place",
    ),
    (
        "r6_token_unicode",
        "ListS3Buckets",
        "R6",
        "R6.no-5xx",
        "a nextToken holding a character outside ASCII is answered 500 (only generated data sends one)",
    ),
)

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
        "r8_late_delete",
        "DeleteBackendStorage",
        "R8",
        "R8.resource-lifecycle",
        "answers 200, but GetBackendStorage shows the resource for another 60 s (beyond any settle bound)",
    ),
    (
        "r5_enum_case",
        "DeleteBackendStorage",
        "R5",
        "R5.enum-rejected",
        "serviceName is accepted in any letter case ('s3')",
    ),
    (
        "r6_whitespace",
        "UpdateBackendConfig",
        "R6",
        "R6.malformed-body",
        "a body of whitespace only is taken for {} (200)",
    ),
    (
        "r6_fraction",
        "CreateBackendAuth",
        "R6",
        "R6.valid-accepted",
        "a number with a fraction (passwordPolicy.minimumLength 8.5) is answered 400",
    ),
    (
        "r6_deprecated",
        "UpdateBackendAuth",
        "R6",
        "R6.valid-accepted",
        "a request using the deprecated forgotPassword member is answered 400",
    ),
    (
        "r7_new_env",
        "CreateBackendAuth",
        "R7",
        "R7.creates",
        "answers 404 when the environment is new to an existing app, instead of creating it",
    ),
    (
        "r7_recreate",
        "CreateBackendAPI",
        "R7",
        "R7.creates",
        "answers 400 for an API that was deleted from its environment before (a tombstone)",
    ),
    (
        "r7_app_case",
        "GetBackend",
        "R7",
        "R7.not-found",
        "finds an app by its appId in any letter case",
    ),
    (
        "r8_clone_unlisted",
        "CloneBackend",
        "R8",
        "R8.backend-env",
        "answers 200 and copies the environment, but GetBackend does not list the target",
    ),
    (
        "r8_delete_listed",
        "DeleteBackend",
        "R8",
        "R8.backend-env",
        "answers 200 and removes the environment's resources, but GetBackend still lists it",
    ),
    (
        "r8_page_size",
        "ListBackendJobs",
        "R8",
        "R8.jobs",
        "maxResults is ignored: every job on one page",
    ),
    (
        "r8_page_loop",
        "ListBackendJobs",
        "R8",
        "R8.jobs",
        "the last page of a listing hands out the nextToken it was given, so paging goes round for ever",
    ),
    (
        "r8_filters_or",
        "ListBackendJobs",
        "R8",
        "R8.jobs",
        "operation and status filters given together match a job that matches either",
    ),
    (
        "r8_storage_echo",
        "GetBackendStorage",
        "R8",
        "R8.resource-lifecycle",
        "always reports permissions.authenticated = ['READ'], whatever was submitted",
    ),
    (
        "r8_shared_storage",
        "GetBackendStorage",
        "R8",
        "R8.isolation",
        "finds a storage resource by environment name in any app",
    ),
    (
        "r8_delete_spills",
        "DeleteBackendAuth",
        "R8",
        "R8.isolation",
        "deletes the auth resource of every app's environment of that name",
    ),
    (
        "r8_lost_update",
        "CreateBackend",
        "R8",
        "R8.concurrency",
        "a new environment of an existing app is recorded by read-modify-write without the lock:"
        " concurrent creates lose environments",
    ),
    (
        "r8_update_race",
        "UpdateBackendJob",
        "R8",
        "R8.concurrency",
        "rewrites every job of the environment from a copy read without the lock: concurrent updates are lost",
    ),
    (
        "aws_request_id_reused",
        "GetBackendJob",
        "aws",
        "aws.request-id",
        "every answer carries the same x-amzn-RequestId",
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
    (
        "r6_long_string",
        "UpdateBackendStorage",
        "R6",
        "R6.no-5xx",
        "a body holding a string of 1,000 characters or more anywhere (a member name included) is answered 500",
    ),
    (
        "r6_path_percent",
        "GetBackend",
        "R6",
        "R6.no-5xx",
        "an appId sent percent-encoded in the path (any %XX, %2F included) is answered 500",
    ),
    (
        "r7_app_prefix",
        "RemoveBackendConfig",
        "R7",
        "R7.not-found",
        "finds an app by any prefix of its appId",
    ),
    (
        "r7_env_case",
        "UpdateBackendStorage",
        "R7",
        "R7.not-found",
        "finds an environment's storage by its name in any letter case",
    ),
    (
        "r7_job_prefix",
        "UpdateBackendJob",
        "R7",
        "R7.not-found",
        "finds a job by any prefix of its jobId",
    ),
    (
        "r7_session_case",
        "DeleteToken",
        "R7",
        "R7.not-found",
        "finds a session by its sessionId in any letter case",
    ),
    (
        "r8_shared_token",
        "GetToken",
        "R8",
        "R8.isolation",
        "finds a session by its sessionId in any app",
    ),
    (
        "r8_shared_jobs",
        "GetBackendJob",
        "R8",
        "R8.isolation",
        "finds a job by its jobId in any app and environment",
    ),
    (
        "r8_update_mode",
        "UpdateBackendAPI",
        "R8",
        "R8.resource-lifecycle",
        "answers 200 but stores defaultAuthType.mode as API_KEY, the first documented mode, whatever was submitted",
    ),
    (
        "r8_import_flag",
        "ImportBackendStorage",
        "R8",
        "R8.resource-lifecycle",
        "records the import as a created storage: GetBackendStorage then says imported: false",
    ),
    (
        "r8_config_echo",
        "UpdateBackendConfig",
        "R8",
        "R8.echo",
        "answers with the loginAuthConfig stored before the update, not the one it was given",
    ),
    (
        "r8_clone_bare",
        "CloneBackend",
        "R8",
        "R8.backend-env",
        "copies the source's resources without their resourceConfig",
    ),
    (
        "r8_delete_keeps",
        "DeleteBackend",
        "R8",
        "R8.backend-env",
        "takes the environment off GetBackend's list but keeps its resources: Get{...} in it still answers 200",
    ),
    (
        "r8_env_twice",
        "CreateBackend",
        "R8",
        "R8.backend-env",
        "CreateBackend of an environment that already exists lists it a second time",
    ),
    (
        "r8_jobs_leak",
        "ListBackendJobs",
        "R8",
        "R8.isolation",
        "lists the jobs of every environment of the app (jobs keyed by app alone)",
    ),
    (
        "r8_config_by_env",
        "GetBackendAPI",
        "R8",
        "R8.isolation",
        "in an app whose environment holds an API, answers the config of the API created last in any app's"
        " environment of that name",
    ),
    (
        "r8_delete_siblings",
        "DeleteBackendAPI",
        "R8",
        "R8.isolation",
        "deletes the API of every other environment of the app too",
    ),
    (
        "r8_filtered_pages",
        "ListBackendJobs",
        "R8",
        "R8.jobs",
        "pages after the first (given a nextToken) ignore the operation and status filters",
    ),
    (
        "r8_remove_keeps_jobs",
        "RemoveAllBackends",
        "R8",
        "R8.remove-all",
        "removes the app but keeps its jobs: they resolve again once an app of that id is created",
    ),
    (
        "r8_echo_first_only",
        "GetBackendAPI",
        "R8",
        "R8.resource-lifecycle",
        "answers only the first element of every array in resourceConfig",
    ),
    (
        "r8_echo_bmp",
        "GetBackendAuth",
        "R8",
        "R8.resource-lifecycle",
        "answers the strings of resourceConfig without their characters outside the Basic Multilingual Plane",
    ),
    # R8.sequences: faults only a sequence of three or more operations shows (the model-based phase),
    # each declared on the write that commits it, where the phase blames it
    (
        "r8_clone_twins",
        "DeleteBackendStorage",
        "R8",
        "R8.sequences",
        "after CloneBackend the source's and target's storage are twins: DeleteBackendStorage in either deletes both",
    ),
    (
        "r8_recreate_stale",
        "CreateBackendAuth",
        "R8",
        "R8.sequences",
        "CreateBackendAuth after DeleteBackendAuth in an environment brings back the deleted auth's"
        " resourceName and resourceConfig instead of storing the new ones",
    ),
    (
        "r8_third_token",
        "CreateToken",
        "R8",
        "R8.sequences",
        "an app keeps at most two sessions: a third CreateToken silently drops the oldest (GetToken of it is 404)",
    ),
    (
        "r8_remove_spills_listing",
        "RemoveAllBackends",
        "R8",
        "R8.sequences",
        "RemoveAllBackends of one app makes the listings of other apps' environments of the same names forget"
        " the jobs made before (GetBackendJob still finds them)",
    ),
    (
        "r8_updated_job_unlisted",
        "UpdateBackendJob",
        "R8",
        "R8.sequences",
        "a job whose status UpdateBackendJob set alone (no operation given) is no longer listed"
        " (GetBackendJob still finds it, with the status set)",
    ),
    (
        "r8_env_resurrects",
        "CreateBackend",
        "R8",
        "R8.sequences",
        "DeleteBackend hides the environment's API instead of dropping it: CreateBackend of that environment"
        " again brings it back",
    ),
    (
        "r8_auth_delete_spills",
        "DeleteBackendAuth",
        "R8",
        "R8.sequences",
        "DeleteBackendAuth deletes the environment's Storage too (one category's delete reaches another's state)",
    ),
    (
        "r8_update_keeps_first",
        "UpdateBackendAPI",
        "R8",
        "R8.sequences",
        "from the second UpdateBackendAPI of a resource on, its numbers and booleans keep the values the first"
        " update set (its text still changes)",
    ),
    (
        "r8_filter_stale_status",
        "UpdateBackendJob",
        "R8",
        "R8.sequences",
        "ListBackendJobs' status filter reads the status UpdateBackendJob first set on a job: after a second"
        " update the job is listed under its old status and missing under its new one",
    ),
)

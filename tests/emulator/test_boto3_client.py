"""boto3's amplifybackend client (a client we did not write) against the emulator: every
operation, parsed answers, and botocore's modelled exceptions on errors."""

from __future__ import annotations

import amplify_openapi
import boto3
import botocore.config
import pytest

SPEC_OPERATIONS = {op.operation_id for op in amplify_openapi.operations()}

AUTH_CONFIG = {
    "AuthResources": "USER_POOL_ONLY",
    "Service": "COGNITO",
    "UserPoolConfigs": {
        "UserPoolName": "pool",
        "RequiredSignUpAttributes": ["EMAIL", "PHONE_NUMBER"],
        "SignInMethod": "EMAIL",
        "Mfa": {"MFAMode": "OPTIONAL", "Settings": {"MfaTypes": ["SMS"], "SmsMessage": "code {####}"}},
    },
}
API_CONFIG = {
    "ApiName": "todo",
    "Service": "AppSync",
    "TransformSchema": "type Todo @model { id: ID! }",
    "DefaultAuthType": {"Mode": "API_KEY", "Settings": {"ExpirationTime": 7.0, "Description": "key"}},
    "ConflictResolution": {"ResolutionStrategy": "AUTOMERGE"},
}
STORAGE_CONFIG = {
    "BucketName": "bucket",
    "Permissions": {"Authenticated": ["READ", "DELETE"]},
    "ServiceName": "S3",
}


def _boto3_client(base_url: str):
    """boto3's amplifybackend client on the emulator, with made-up credentials and no retries."""
    return boto3.client(
        "amplifybackend",
        endpoint_url=base_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def amplify(emulator):
    client = _boto3_client(emulator.base_url)
    called: set[str] = set()
    client.meta.events.register("before-call.amplifybackend", lambda model, **_: called.add(model.name))
    client.called = called
    return client


def test_boto3_calls_every_operation_and_parses_every_answer(amplify):
    app, env = "boto-app", "dev"
    job_ids = []

    created = amplify.create_backend(AppId=app, AppName="Boto", BackendEnvironmentName=env)
    assert (created["AppId"], created["BackendEnvironmentName"], created["Operation"]) == (
        app,
        env,
        "CreateBackend",
    )
    job_ids.append(created["JobId"])
    backend = amplify.get_backend(AppId=app, BackendEnvironmentName=env)
    assert backend["BackendEnvironmentList"] == [env] and backend["AppName"] == "Boto"

    # API
    job_ids.append(
        amplify.create_backend_api(
            AppId=app, BackendEnvironmentName=env, ResourceName="todo", ResourceConfig=API_CONFIG
        )["JobId"]
    )
    got = amplify.get_backend_api(AppId=app, BackendEnvironmentName=env, ResourceName="todo")
    assert got["ResourceConfig"] == API_CONFIG and got["ResourceName"] == "todo"
    amplify.update_backend_api(
        AppId=app, BackendEnvironmentName=env, ResourceName="todo", ResourceConfig={"ApiName": "renamed"}
    )
    assert (
        amplify.get_backend_api(AppId=app, BackendEnvironmentName=env, ResourceName="todo")["ResourceConfig"]["ApiName"]
        == "renamed"
    )
    assert (
        amplify.get_backend_api_models(AppId=app, BackendEnvironmentName=env, ResourceName="todo")["Status"] == "STALE"
    )
    generated = amplify.generate_backend_api_models(AppId=app, BackendEnvironmentName=env, ResourceName="todo")
    job_ids.append(generated["JobId"])
    models = amplify.get_backend_api_models(AppId=app, BackendEnvironmentName=env, ResourceName="todo")
    assert models["Status"] == "LATEST" and isinstance(models["Models"], str)
    assert isinstance(models["ModelIntrospectionSchema"], str)

    # Auth
    amplify.create_backend_auth(AppId=app, BackendEnvironmentName=env, ResourceName="auth", ResourceConfig=AUTH_CONFIG)
    assert (
        amplify.get_backend_auth(AppId=app, BackendEnvironmentName=env, ResourceName="auth")["ResourceConfig"]
        == AUTH_CONFIG
    )
    amplify.update_backend_auth(
        AppId=app,
        BackendEnvironmentName=env,
        ResourceName="auth",
        ResourceConfig={
            "AuthResources": "USER_POOL_ONLY",
            "Service": "COGNITO",
            "UserPoolConfigs": {"Mfa": {"MFAMode": "ON"}},
        },
    )
    auth = amplify.get_backend_auth(AppId=app, BackendEnvironmentName=env, ResourceName="auth")
    assert auth["ResourceConfig"]["UserPoolConfigs"]["Mfa"]["MFAMode"] == "ON"
    assert auth["ResourceConfig"]["UserPoolConfigs"]["UserPoolName"] == "pool"
    amplify.delete_backend_auth(AppId=app, BackendEnvironmentName=env, ResourceName="auth")
    imported = amplify.import_backend_auth(
        AppId=app,
        BackendEnvironmentName=env,
        NativeClientId="native",
        UserPoolId="pool-id",
        WebClientId="web",
    )
    assert imported["Operation"] == "ImportBackendAuth"

    # Storage
    amplify.create_backend_storage(
        AppId=app, BackendEnvironmentName=env, ResourceName="files", ResourceConfig=STORAGE_CONFIG
    )
    storage = amplify.get_backend_storage(AppId=app, BackendEnvironmentName=env, ResourceName="files")
    assert storage["ResourceConfig"] == dict(STORAGE_CONFIG, Imported=False)
    amplify.update_backend_storage(
        AppId=app,
        BackendEnvironmentName=env,
        ResourceName="files",
        ResourceConfig={
            "Permissions": {"Authenticated": ["READ"], "UnAuthenticated": ["READ"]},
            "ServiceName": "S3",
        },
    )
    assert amplify.get_backend_storage(AppId=app, BackendEnvironmentName=env, ResourceName="files")["ResourceConfig"][
        "Permissions"
    ]["UnAuthenticated"] == ["READ"]
    amplify.delete_backend_storage(AppId=app, BackendEnvironmentName=env, ResourceName="files", ServiceName="S3")
    amplify.import_backend_storage(AppId=app, BackendEnvironmentName=env, BucketName="existing", ServiceName="S3")
    assert amplify.get_backend_storage(AppId=app, BackendEnvironmentName=env, ResourceName="x")["ResourceConfig"] == {
        "BucketName": "existing",
        "ServiceName": "S3",
        "Imported": True,
    }
    assert amplify.list_s3_buckets()["Buckets"]

    # Tokens
    token = amplify.create_token(AppId=app)
    again = amplify.get_token(AppId=app, SessionId=token["SessionId"])
    assert (again["SessionId"], again["ChallengeCode"]) == (token["SessionId"], token["ChallengeCode"])
    assert amplify.delete_token(AppId=app, SessionId=token["SessionId"])["IsSuccess"] is True
    with pytest.raises(amplify.exceptions.NotFoundException):
        amplify.get_token(AppId=app, SessionId=token["SessionId"])

    # Config
    config = amplify.create_backend_config(AppId=app, BackendManagerAppId=app)
    assert config["BackendEnvironmentName"] == env
    updated = amplify.update_backend_config(AppId=app, LoginAuthConfig={"AwsCognitoRegion": "us-east-1"})
    assert updated["LoginAuthConfig"] == {"AwsCognitoRegion": "us-east-1"}
    amplify.remove_backend_config(AppId=app)

    # Jobs
    job = amplify.get_backend_job(AppId=app, BackendEnvironmentName=env, JobId=job_ids[0])
    assert job["Operation"] == "CreateBackend" and job["CreateTime"]
    changed = amplify.update_backend_job(
        AppId=app, BackendEnvironmentName=env, JobId=job_ids[0], Operation="Renamed", Status="FAILED"
    )
    assert (changed["Operation"], changed["Status"]) == ("Renamed", "FAILED")
    listed = amplify.list_backend_jobs(AppId=app, BackendEnvironmentName=env, Status="FAILED")
    assert [j["JobId"] for j in listed["Jobs"]] == [job_ids[0]]
    paged = amplify.list_backend_jobs(AppId=app, BackendEnvironmentName=env, MaxResults=1)
    assert len(paged["Jobs"]) == 1 and paged["NextToken"]
    rest = amplify.list_backend_jobs(AppId=app, BackendEnvironmentName=env, MaxResults=25, NextToken=paged["NextToken"])
    assert paged["Jobs"][0]["JobId"] not in {j["JobId"] for j in rest["Jobs"]}

    # Environments and teardown
    cloned = amplify.clone_backend(AppId=app, BackendEnvironmentName=env, TargetEnvironmentName="prod")
    assert cloned["BackendEnvironmentName"] == env
    assert amplify.get_backend(AppId=app)["BackendEnvironmentList"] == [env, "prod"]
    amplify.delete_backend_api(AppId=app, BackendEnvironmentName="prod", ResourceName="todo")
    with pytest.raises(amplify.exceptions.NotFoundException):
        amplify.get_backend_api(AppId=app, BackendEnvironmentName="prod", ResourceName="todo")
    deleted = amplify.delete_backend(AppId=app, BackendEnvironmentName="prod")
    assert amplify.get_backend_job(AppId=app, BackendEnvironmentName="prod", JobId=deleted["JobId"])
    removed = amplify.remove_all_backends(AppId=app, CleanAmplifyApp=True)
    assert removed["AppId"] == app and removed["JobId"]
    with pytest.raises(amplify.exceptions.NotFoundException) as caught:
        amplify.get_backend(AppId=app)
    assert caught.value.response["ResourceType"] == "backend"

    assert amplify.called == SPEC_OPERATIONS, SPEC_OPERATIONS - amplify.called


def test_boto3_raises_modelled_bad_request(amplify):
    amplify.create_backend(AppId="boto-bad", AppName="Boto", BackendEnvironmentName="dev")
    with pytest.raises(amplify.exceptions.BadRequestException) as caught:
        amplify.list_backend_jobs(AppId="boto-bad", BackendEnvironmentName="dev", MaxResults=26)
    assert "maxResults" in caught.value.response["Error"]["Message"]
    with pytest.raises(amplify.exceptions.BadRequestException):
        amplify.create_backend_storage(
            AppId="boto-bad",
            BackendEnvironmentName="dev",
            ResourceName="s",
            ResourceConfig={"ServiceName": "S3", "Permissions": {"Authenticated": ["EVERYTHING"]}},
        )


def test_boto3_raises_modelled_not_found(amplify):
    with pytest.raises(amplify.exceptions.NotFoundException):
        amplify.get_backend_auth(AppId="boto-missing", BackendEnvironmentName="dev", ResourceName="auth")
    amplify.create_backend(AppId="boto-nf", AppName="Boto", BackendEnvironmentName="dev")
    with pytest.raises(amplify.exceptions.NotFoundException):
        amplify.get_backend_job(AppId="boto-nf", BackendEnvironmentName="dev", JobId="no-such-job")
    with pytest.raises(amplify.exceptions.NotFoundException):
        amplify.clone_backend(AppId="boto-nf", BackendEnvironmentName="nope", TargetEnvironmentName="x")


@pytest.mark.parametrize(("status", "code"), [("429", "LimitExceededException"), ("504", "InternalServiceException")])
def test_boto3_sees_the_spec_error_names_for_429_and_504_as_unmodelled_errors(faulty, status, code):
    # botocore models 429 as TooManyRequestsException and 504 as GatewayTimeoutException; the
    # reference (and so the emulator) names them LimitExceededException and
    # InternalServiceException, so boto3 raises a plain ClientError carrying the spec's name.
    import botocore.exceptions

    client = faulty(allow_injection=True)
    amplify = _boto3_client(client.base_url)
    amplify.meta.events.register(
        "before-call.amplifybackend.ListS3Buckets",
        lambda params, **_: params["headers"].__setitem__("x-emulator-inject", status),
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        amplify.list_s3_buckets()
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == int(status)
    assert not isinstance(
        caught.value,
        (amplify.exceptions.TooManyRequestsException, amplify.exceptions.GatewayTimeoutException),
    )

"""Shared helpers: a running emulator, a small JSON client, valid request bodies."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from amplify_emulator import Emulator, EmulatorConfig

AUTH_CONFIG = {
    "authResources": "USER_POOL_ONLY",
    "service": "COGNITO",
    "userPoolConfigs": {
        "userPoolName": "pool",
        "requiredSignUpAttributes": ["EMAIL"],
        "signInMethod": "EMAIL",
    },
}
AUTH_UPDATE = {
    "authResources": "USER_POOL_ONLY",
    "service": "COGNITO",
    "userPoolConfigs": {"mfa": {"MFAMode": "OPTIONAL"}},
}
API_CONFIG = {"apiName": "api", "service": "AppSync", "transformSchema": "type Todo @model { id: ID! }"}
STORAGE_CONFIG = {"serviceName": "S3", "bucketName": "bucket", "permissions": {"authenticated": ["READ"]}}

_names = itertools.count()


@dataclass
class Reply:
    status: int
    headers: Any  # case-insensitive mapping
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


class Client:
    """Talks JSON to an emulator under its stage prefix."""

    def __init__(self, base_url: str, stage: str = "/prod") -> None:
        self.base_url = base_url
        self.root = base_url + stage
        self.session = requests.Session()

    def request(self, method: str, path: str, body: Any = None, raw: bytes | None = None, **headers) -> Reply:
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        response = self.session.request(method, self.root + path, data=data, headers=headers or None, timeout=10)
        return Reply(response.status_code, response.headers, response.text)

    def post(self, path: str, body: Any = None, **kw) -> Reply:
        return self.request("POST", path, body, **kw)

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def new_backend(self, env: str = "dev") -> str:
        """A fresh app with one environment; its appId."""
        app_id = f"app{next(_names)}"
        reply = self.post("/backend", {"appId": app_id, "appName": "demo", "backendEnvironmentName": env})
        assert reply.status == 200, reply.text
        return app_id


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


@pytest.fixture(scope="session")
def emulator():
    with Emulator(EmulatorConfig()) as emu:
        yield emu


@pytest.fixture
def client(emulator) -> Client:
    return Client(emulator.base_url)


@pytest.fixture
def faulty():
    """Start an emulator with the given faults (or config); stopped after the test."""
    started = []

    def start(*faults: str, **config) -> Client:
        emu = Emulator(EmulatorConfig(faults=frozenset(faults), **config)).start()
        started.append(emu)
        return Client(emu.base_url)

    yield start
    for emu in started:
        emu.stop()


def wsgi_call(app, method: str, path: str, body: bytes = b"", **headers: str) -> Reply:
    """One request to the WSGI app in-process (no server), as a WSGI server would pass it."""
    import io

    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path.split("?", 1)[0],
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    seen = {}

    def start_response(status, header_list):
        seen["status"] = int(status.split()[0])
        seen["headers"] = requests.structures.CaseInsensitiveDict(header_list)

    payload = b"".join(app(environ, start_response))
    return Reply(seen["status"], seen["headers"], payload.decode("utf-8", "replace"))

"""Where requests go: one small interface for any implementation of the API.

A Target is a base URL (the stage prefix is part of it) with a session. SigV4Target signs
each request for a real AWS endpoint. The embedded emulator is a plain Target on a loopback
port that also honours the injection header, so the runner can observe every documented
status code. Every request comes back as an Exchange, a frozen record of what was sent and
every answer received (retries included), so checks judge data, never live sockets.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
import urllib3

NO_BODY = object()  # send no body at all
MAX_BODY = 1 << 20  # read at most this much of an answer; a larger one is cut and marked
INJECT_HEADER = "x-emulator-inject"
_SECRET_HEADER = re.compile(r"authorization|token|secret|cookie|credential|api-key", re.I)
_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{12,}\b")
_NOT_JSON = object()
_CURL_COMPUTES = {"content-length", "connection", "accept-encoding", "user-agent"}  # curl sets its own


class TargetUnreachable(Exception):
    """The target refused or did not answer the first request: the run cannot be made."""


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {
        k: ("<redacted>" if _SECRET_HEADER.search(k) else _ACCESS_KEY.sub("<redacted>", v)) for k, v in headers.items()
    }


@dataclass(frozen=True)
class SentRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None

    def curl(self) -> str:
        """A shell command that sends the same request (credentials redacted)."""
        parts = ["curl", "-sS", "-X", self.method, shlex.quote(self.url)]
        for name, value in redact_headers(self.headers).items():
            if name.lower() not in _CURL_COMPUTES:
                parts += ["-H", shlex.quote(f"{name}: {value}")]
        if self.body is not None:
            text = self.body.decode("utf-8", "backslashreplace")
            parts += ["--data-binary", shlex.quote(text)]
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        body = None if self.body is None else self.body[:4096].decode("utf-8", "backslashreplace")
        return {"method": self.method, "url": self.url, "headers": redact_headers(self.headers), "body": body}


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # names lower-cased: header-name case is left open by the contract
    body: bytes
    truncated: bool = False
    elapsed: float = 0.0

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def media_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON whatever the content type says, or _NOT_JSON."""
        return _parse_json(self.body)

    def to_dict(self) -> dict[str, Any]:
        text = self.body[:4096].decode("utf-8", "backslashreplace")
        if self.truncated or len(self.body) > 4096:
            text += " ... (truncated)"
        return {"status": self.status, "headers": dict(self.headers), "body": text}


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


def is_json(value: Any) -> bool:
    return value is not _NOT_JSON


@dataclass(frozen=True)
class Exchange:
    """One request and every answer to it (the last one is the verdict-bearing answer)."""

    request: SentRequest
    replies: tuple[Reply, ...] = ()
    error: str | None = None  # transport failure: refused, timed out, closed mid-answer, too slow
    injected: str | None = None  # the status the emulator was asked to inject, if any

    @property
    def reply(self) -> Reply | None:
        return self.replies[-1] if self.replies else None

    @property
    def retries(self) -> int:
        return max(0, len(self.replies) - 1)


@dataclass
class Target:
    """An implementation reachable at base_url (stage prefix included, e.g. https://host/prod)."""

    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    max_retries: int = 3
    kind: str = "url"
    can_inject: bool = False
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def url(self, path: str, path_parameters: dict[str, str] | None = None) -> str:
        for name, value in (path_parameters or {}).items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        return self.base_url + path

    def send(
        self,
        method: str,
        path: str,
        path_parameters: dict[str, str] | None = None,
        body: Any = NO_BODY,
        *,
        inject: str | None = None,
        retry: bool = True,
    ) -> Exchange:
        """Send one request, retrying 429/504 a bounded number of times (R9)."""
        headers = {"Accept": "application/json", **self.headers}
        if body is NO_BODY or body is None:
            data = None
        elif isinstance(body, bytes):
            data = body
            headers["Content-Type"] = "application/json"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if inject:
            headers[INJECT_HEADER] = inject
        prepared = self._prepare(method, self.url(path, path_parameters), headers, data)
        sent = SentRequest(method, prepared.url, dict(prepared.headers), data)
        replies: list[Reply] = []
        attempts = 1 + (self.max_retries if retry and not inject else 0)
        for attempt in range(attempts):
            try:
                reply = self._receive(prepared)
            except requests.RequestException as exc:
                return Exchange(sent, tuple(replies), error=_describe(exc), injected=inject)
            replies.append(reply)
            if reply.status not in (429, 504) or attempt == attempts - 1:
                break
            time.sleep(_backoff(reply, attempt))
            prepared = self._prepare(method, sent.url, headers, data)  # re-sign: fresh date
        return Exchange(sent, tuple(replies), injected=inject)

    def _prepare(self, method: str, url: str, headers: dict[str, str], data: bytes | None):
        return self.session.prepare_request(requests.Request(method, url, headers=headers, data=data))

    def _receive(self, prepared) -> Reply:
        started = time.monotonic()
        deadline = started + self.timeout
        response = self.session.send(prepared, timeout=(min(self.timeout, 5.0), self.timeout), stream=True)
        try:
            chunks, size, truncated = [], 0, False
            # read1 hands over whatever has arrived, so a target that dribbles is cut at the deadline
            while chunk := _read_some(response):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY:
                    truncated = True
                    break
                if time.monotonic() > deadline:
                    raise requests.Timeout(f"answer still arriving after {self.timeout:g} s")
        finally:
            response.close()
        headers = {k.lower(): v for k, v in response.headers.items()}
        return Reply(
            response.status_code, headers, b"".join(chunks)[: MAX_BODY + 1], truncated, time.monotonic() - started
        )


def _read_some(response: requests.Response) -> bytes:
    """The next bytes of the body, as requests' own reading would report failures."""
    try:
        return response.raw.read1(65536, decode_content=True)
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(str(exc)) from exc
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError) as exc:
        raise requests.exceptions.ChunkedEncodingError(str(exc)) from exc


def _backoff(reply: Reply, attempt: int) -> float:
    try:
        return min(float(reply.header("retry-after") or ""), 2.0)
    except ValueError:
        return min(0.05 * (2**attempt), 1.0)


def _describe(exc: Exception) -> str:
    if "Read timed out" in str(exc):  # urllib3 reports a read timeout mid-body as a connection error
        return f"timed out waiting for the answer (too slow): {exc}"[:300]
    kind = {
        requests.ConnectTimeout: "connection timed out",
        requests.ReadTimeout: "timed out waiting for the answer",
        requests.Timeout: "timed out (too slow)",
        requests.exceptions.ChunkedEncodingError: "connection closed mid-answer",
        requests.ConnectionError: "connection failed",
    }
    for cls, text in kind.items():
        if isinstance(exc, cls):
            return f"{text}: {exc}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]


class _SigV4(requests.auth.AuthBase):
    """Signs each prepared request (botocore does the signing), so every sender signs alike."""

    def __init__(self, region: str) -> None:
        import botocore.session
        from botocore.auth import SigV4Auth

        credentials = botocore.session.get_session().get_credentials()
        if credentials is None:
            raise TargetUnreachable("no AWS credentials found in the standard credential chain")
        self._signer = SigV4Auth(credentials, "amplifybackend", region)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        from botocore.awsrequest import AWSRequest

        signed = AWSRequest(
            method=request.method, url=request.url, headers=dict(request.headers), data=request.body or b""
        )
        self._signer.add_auth(signed)
        request.headers.update(dict(signed.headers.items()))
        return request


class SigV4Target(Target):
    """A real AWS endpoint: each request signed with SigV4 from the standard credential chain."""

    def __init__(self, base_url: str, region: str, **kwargs: Any) -> None:
        super().__init__(base_url, kind="sigv4", **kwargs)
        self.session.auth = _SigV4(region)

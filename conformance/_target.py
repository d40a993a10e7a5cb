"""Where requests go: one small interface for any implementation of the API.

A Target is a base URL (the stage prefix is part of it) with urllib3's connection pools (through
the proxy the environment names, if any). SigV4Target signs each request for a real AWS
endpoint. requests is not on this path: its sessions cost more CPU than the exchange itself
(twice a request's time against a local target), and a conformance run judges each answer as
sent: no redirect followed, no cookie kept. The embedded emulator is an InProcessTarget (its WSGI
app called in this process, _in_process.py) that also honours the injection header, so the
runner can observe every documented status code. Every request comes back as an Exchange, a
frozen record of what was sent and every answer received (retries included), so checks judge
data, never live sockets.

The timeout bounds one exchange in total (connect, status line, headers and body): a socket
timeout only bounds each read, so a target that dribbles one byte at a time would never be cut.
One watchdog thread shuts the socket of any exchange still running at its deadline.

A throttled request (429, or a 504) is sent again after exponential backoff with full jitter,
or after the Retry-After the answer names, for up to PATIENCE seconds of waiting, as the AWS
SDKs' standard mode does (R9); a RateLimit shared by every worker keeps a run below what the
user says the target allows.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import math
import os
import random
import re
import shlex
import socket
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import certifi
import requests
import urllib3

from ._pacing import PATIENCE, Concurrency, RateLimit, backoff

NO_BODY = object()  # send no body at all
MAX_BODY = 1 << 20  # read at most this much of an answer; a larger one is cut and marked
INJECT_HEADER = "x-emulator-inject"
REDACTED = "<redacted>"
_SECRET_HEADER = re.compile(r"authorization|token|secret|cookie|credential|api-key", re.I)
_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{12,}\b")
_NOT_JSON = object()
_CURL_COMPUTES = {"content-length", "connection", "accept-encoding", "user-agent"}  # curl sets its own
THROTTLED = (429, 504)  # answers legitimate at any time (R9): sent again, judged only for their bodies
INTERRUPTED = "cut short: the run was interrupted"  # sent, its answer cut
NOT_SENT = "not sent: the run was interrupted"
# what every request carries unless the user's headers say otherwise (an answer is read as sent:
# compressed or not, the body is decoded as its Content-Encoding says)
DEFAULT_HEADERS = {
    "User-Agent": "amplify-conformance",
    "Accept-Encoding": "gzip, deflate",
    "Accept": "application/json",
}


class TargetUnreachable(Exception):
    """The target refused or did not answer the first request: the run cannot be made."""


class _Watch:
    """One exchange under its deadline: the connections it used, and whether time ran out."""

    __slots__ = ("deadline", "owner", "connections", "done", "fired")

    def __init__(self, deadline: float, owner: object = None) -> None:
        self.deadline = deadline
        self.owner = owner  # the target that sent it, so an interrupt cuts only that target's exchanges
        self.connections: list[Any] = []
        self.done = False
        self.fired = False


class _Watchdog:
    """Shuts the socket of every exchange still running at its deadline.

    Shutting a socket down wakes the read blocked on it wherever it is (status line, headers,
    body; plain or TLS), which no per-read timeout does. One thread serves every exchange and
    exits after a second with nothing to watch, so nothing lingers after a run.
    """

    IDLE = 1.0

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._active = 0
        self._thread: threading.Thread | None = None
        self._current = threading.local()

    @contextmanager
    def watch(self, deadline: float, owner: object = None):
        watch = _Watch(deadline, owner)
        outer = getattr(self._current, "watch", None)
        self._current.watch = watch
        with self._lock:
            earliest = not self._heap or deadline < self._heap[0][0]
            heapq.heappush(self._heap, (deadline, next(self._order), watch))
            self._active += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="conformance-deadlines", daemon=True)
                self._thread.start()
            elif earliest:  # otherwise the thread already wakes in time for it
                self._lock.notify()
        try:
            yield watch
        finally:
            with self._lock:
                watch.done = True
                watch.connections.clear()
                self._active -= 1
            self._current.watch = outer

    def attach(self, connection: Any) -> None:
        """Called by a connection as it connects or sends: it now belongs to this thread's exchange."""
        watch = getattr(self._current, "watch", None)
        if watch is None:
            return
        with self._lock:
            connection._conformance_watch = watch
            watch.connections.append(connection)
            if watch.fired:  # the deadline passed while connecting
                _shut(connection)

    def cut(self, owner: object) -> None:
        """Cut every exchange of ``owner`` in flight now, as if its deadline had passed."""
        with self._lock:
            for _, _, watch in self._heap:
                if watch.owner is owner and not watch.done:
                    watch.fired = True
                    for connection in watch.connections:
                        if getattr(connection, "_conformance_watch", None) is watch:
                            _shut(connection)

    def _serve(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][2].done or self._heap[0][0] <= now):
                    watch = heapq.heappop(self._heap)[2]
                    if not watch.done:
                        watch.fired = True
                        for connection in watch.connections:
                            if getattr(connection, "_conformance_watch", None) is watch:  # not reused since
                                _shut(connection)
                if self._heap:
                    self._lock.wait(self._heap[0][0] - now)
                elif not self._lock.wait(self.IDLE) and not self._heap and not self._active:
                    self._thread = None  # a whole second with nothing to watch
                    return


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, also under TLS
        except OSError:
            pass


_WATCHDOG = _Watchdog()


class _Watched:
    def connect(self) -> None:
        super().connect()
        _WATCHDOG.attach(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _WATCHDOG.attach(self)
        self.reset_while_sending = False  # this request's: a reused connection sent others before
        try:
            super().request(*args, **kwargs)
        except (ConnectionResetError, BrokenPipeError):
            # the target reset the connection; urllib3 goes on to read an answer, and then sees
            # only the connection's end
            self.reset_while_sending = True
            raise


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def _pools(base_url: str) -> urllib3.PoolManager:
    """The pools every request of a target goes through: direct, or through the proxy the
    environment names for its URL (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, as requests reads
    them), with connections the watchdog can reach (a SOCKS proxy keeps its own). Certificates are
    checked against REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE if set, else certifi's bundle."""
    ca_certs = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    options = {"num_pools": 4, "maxsize": 64, "ca_certs": ca_certs}
    proxy = requests.utils.select_proxy(base_url, requests.utils.get_environ_proxies(base_url))
    if proxy and proxy.lower().startswith("socks"):
        from urllib3.contrib.socks import SOCKSProxyManager

        return SOCKSProxyManager(proxy, **options)
    if proxy:
        auth = urlsplit(proxy)
        headers = {}
        if auth.username:
            credentials = f"{unquote(auth.username)}:{unquote(auth.password or '')}"
            headers = urllib3.make_headers(proxy_basic_auth=credentials)
        manager: urllib3.PoolManager = urllib3.ProxyManager(proxy, proxy_headers=headers, **options)
    else:
        manager = urllib3.PoolManager(**options)
    manager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
    return manager


class _TimedOut(Exception):
    """The exchange's time ran out: its text, in the user's words, says what had come by then."""


class _MidAnswer(Exception):
    """The answer had begun (status line and headers) when the transport failed; the failure is
    its cause."""


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (REDACTED if _SECRET_HEADER.search(k) else _ACCESS_KEY.sub(REDACTED, v)) for k, v in headers.items()}


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
    header_names: tuple[str, ...] = ()  # as the target spelled them, for parity's header-name-case rule

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
    backed_off: float = 0.0  # seconds spent waiting before sending again after a 429 or 504

    @property
    def reply(self) -> Reply | None:
        return self.replies[-1] if self.replies else None

    @property
    def retries(self) -> int:
        return max(0, len(self.replies) - 1)

    @property
    def throttled(self) -> int:
        """How many of its answers were 429 (the target asked it to slow down)."""
        return sum(reply.status == 429 for reply in self.replies)


@dataclass
class Target:
    """An implementation reachable at base_url (stage prefix included, e.g. https://host/prod)."""

    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    max_retries: int = 10
    kind: str = "url"
    can_inject: bool = False
    rate_limit: RateLimit = field(default_factory=RateLimit)
    # requests in flight at once: unlimited unless given (a run against a URL adapts it, see target_for)
    concurrency: Concurrency = field(default_factory=lambda: Concurrency(adaptive=False))
    patience: float = PATIENCE
    # signs a request: (method, url, headers, body) -> the headers to send (SigV4Target's)
    sign: Callable[[str, str, dict[str, str], bytes | None], dict[str, str]] | None = field(default=None, repr=False)
    jitter: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._pools = _pools(self.base_url)
        login = requests.utils.get_netrc_auth(self.base_url)  # ~/.netrc, as curl and requests read it
        self._login = urllib3.make_headers(basic_auth=":".join(login)) if login else {}
        self._interrupted = threading.Event()

    def interrupt(self) -> None:
        """Cut every exchange in flight and send nothing more (each send returns at once, with an
        error) until resume(): an interrupted run stops at once, whatever its workers were doing."""
        self._interrupted.set()
        _WATCHDOG.cut(self)

    def resume(self) -> None:
        """Send again after interrupt() (the run's cleanup after an interrupt)."""
        self._interrupted.clear()

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
        deadline: float | None = None,
    ) -> Exchange:
        """Send one request; a 429 or 504 is sent again after a backoff (R9), up to ``max_retries``
        times and ``patience`` seconds of waiting. Each exchange ends within the timeout, and all of
        them by ``deadline`` (a time.monotonic() value) if given."""
        headers = {**DEFAULT_HEADERS, **self._login, **self.headers}
        if body is NO_BODY or body is None:
            data = None
        else:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
            headers["Content-Length"] = str(len(data))
        if inject:
            headers[INJECT_HEADER] = inject
        deadline = math.inf if deadline is None else deadline
        url = self.url(path, path_parameters)
        prepared = self._prepare(method, url, headers, data)
        sent = SentRequest(method, url, self._shown(prepared), data)
        replies: list[Reply] = []
        retries = self.max_retries if retry and not inject else 0
        backed_off = 0.0
        first = time.monotonic()
        for attempt in range(retries + 1):
            if self._interrupted.is_set():
                return Exchange(sent, tuple(replies), error=NOT_SENT, injected=inject, backed_off=backed_off)
            if not self.rate_limit.acquire(deadline, self._interrupted):
                error = "not sent: the time budget ran out waiting for its turn under the rate limit"
                if self._interrupted.is_set():
                    error = NOT_SENT
                return Exchange(sent, tuple(replies), error=error, injected=inject, backed_off=backed_off)
            taken = self.concurrency.acquire(deadline, self._interrupted)
            if taken is None:
                error = "not sent: the time budget ran out waiting for its turn among the requests in flight"
                error = NOT_SENT if self._interrupted.is_set() else error
                return Exchange(sent, tuple(replies), error=error, injected=inject, backed_off=backed_off)
            try:
                reply = self._receive(method, url, prepared, data, deadline)
            except (_TimedOut, _MidAnswer, *_TRANSPORT_FAILURES) as exc:
                timed_out = isinstance(exc, _TimedOut) and not self._interrupted.is_set()  # not a cut
                self.concurrency.release(taken, path, "timeout" if timed_out else "failed")
                error = INTERRUPTED if self._interrupted.is_set() else _describe(exc, url)
                return Exchange(sent, tuple(replies), error=error, injected=inject, backed_off=backed_off)
            self.concurrency.release(taken, path, "throttled" if reply.status == 429 else "answered", reply.elapsed)
            replies.append(reply)
            if reply.status == 429 and not inject:
                self.rate_limit.throttled()
            if reply.status not in THROTTLED or attempt == retries:
                break
            pause = backoff(reply.header("retry-after"), attempt, self.jitter)
            if time.monotonic() - first + pause > self.patience or time.monotonic() + pause >= deadline:
                break  # waited out long enough (backoff and turns under the pace together), or out of time
            if self._interrupted.wait(pause):  # the answers so far were 429 or 504: nothing was made
                return Exchange(sent, tuple(replies), error=NOT_SENT, injected=inject, backed_off=backed_off)
            backed_off += pause
            prepared = self._prepare(method, url, headers, data)  # re-sign: fresh date
        return Exchange(sent, tuple(replies), injected=inject, backed_off=backed_off)

    def _shown(self, headers: dict[str, str]) -> dict[str, str]:
        """The headers as every record of the exchange keeps them: the values the user gave (--header)
        redacted whatever their names, since only the user knows which of them are secrets."""
        given = {name.lower() for name in self.headers}
        return {name: REDACTED if name.lower() in given else value for name, value in headers.items()}

    def _prepare(self, method: str, url: str, headers: dict[str, str], data: bytes | None) -> dict[str, str]:
        """The headers to send (signed, if the target signs)."""
        return dict(headers) if self.sign is None else self.sign(method, url, dict(headers), data)

    def _receive(self, method: str, url: str, headers: dict[str, str], data: bytes | None, deadline: float) -> Reply:
        started = time.monotonic()
        deadline = min(deadline, started + self.timeout)
        allowed = max(deadline - started, 0.001)
        response, size = None, 0
        with _WATCHDOG.watch(deadline, self) as watch:
            try:
                response = self._pools.urlopen(
                    method,
                    url,
                    body=data,
                    headers=headers,
                    retries=False,
                    redirect=False,
                    preload_content=False,
                    timeout=urllib3.Timeout(connect=min(allowed, 5.0), read=allowed),
                )
                chunks, truncated, whole = [], False, False
                try:
                    while chunk := response.read1(65536, decode_content=True):
                        chunks.append(chunk)
                        size += len(chunk)
                        if size > MAX_BODY:
                            truncated = True
                            break
                    whole = not truncated
                finally:  # a connection goes back to the pool only with its answer read to the end
                    response.release_conn() if whole and not watch.fired else response.close()
            except _TRANSPORT_FAILURES as exc:
                # urllib3 counts a refused or failed connection as a connect timeout too
                failed = isinstance(exc, urllib3.exceptions.NewConnectionError)
                if not failed and not watch.fired and isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
                    where = _where(url)
                    raise _TimedOut(f"connection timed out: no connection to {where} within the time allowed") from exc
                if watch.fired or (not failed and isinstance(exc, (urllib3.exceptions.TimeoutError, TimeoutError))):
                    # the watchdog cut the connection (what broke is a consequence), or a read timed out
                    raise _TimedOut(f"timed out (too slow): {_too_late(allowed, response, size)}") from exc
                if response is not None:
                    raise _MidAnswer() from exc
                if any(getattr(connection, "reset_while_sending", False) for connection in watch.connections):
                    raise ConnectionResetError("reset while the request was sent") from None
                raise
            if watch.fired:  # a body delimited by the connection's end ended where the watchdog cut it
                raise _TimedOut(f"timed out (too slow): {_too_late(allowed, response, size)}")
        return Reply(
            response.status,
            {name.lower(): response.headers[name] for name in response.headers},  # repeated ones joined
            b"".join(chunks)[: MAX_BODY + 1],
            truncated,
            time.monotonic() - started,
            tuple(response.headers),
        )


# what can go wrong on the way: urllib3's failures, the socket's, and http.client's
_TRANSPORT_FAILURES = (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException)


def _too_late(allowed: float, response: urllib3.BaseHTTPResponse | None, size: int) -> str:
    """What had come when the exchange's time ran out: nothing whole, the headers, part of the body."""
    if response is None:
        return f"no complete answer within {allowed:.3g} s: the status line and headers had not all come"
    length = response.headers.get("content-length")
    of = f" of the {length} announced" if length and length.isdigit() else ""
    return f"no complete answer within {allowed:.3g} s: reading the body, {size} bytes{of} had come"


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def _describe(exc: BaseException, url: str) -> str:
    """A transport failure in the user's words: what the target did, never the client's internals."""
    if isinstance(exc, _TimedOut):
        return str(exc)[:300]
    where = _where(url)
    chain = _chain(exc)

    def found(kind: type[BaseException]) -> Any:
        return next((e for e in chain if isinstance(e, kind)), None)

    if found(urllib3.exceptions.NameResolutionError):
        return f"connection failed: cannot resolve the host name {urlsplit(url).hostname!r}"
    if found(ConnectionRefusedError) or "Connection refused" in str(exc):
        return f"connection failed: {where} refused the connection (nothing listens there)"
    if found(http.client.RemoteDisconnected):  # a ConnectionResetError too: first
        return "connection failed: the target closed the connection without answering"
    if found(ConnectionResetError):
        return "connection failed: the target reset the connection"
    if cause := found(urllib3.exceptions.NewConnectionError):
        reason = str(cause).rsplit("Failed to establish a new connection: ", 1)[-1]
        return f"connection failed: cannot connect to {where}: {reason}"[:300]
    if cause := found(http.client.BadStatusLine):
        line = str(getattr(cause, "line", cause))
        if line.startswith("HTTP/"):
            return f"connection failed: the target closed the connection within its status line ({line!r})"[:300]
        return f"connection failed: the target sent {len(line)} bytes that are not HTTP ({line[:60]!r})"
    if cause := found(http.client.IncompleteRead):
        got = cause.partial if isinstance(cause.partial, int) else len(cause.partial)  # urllib3's: a count
        expected = f", {cause.expected} more announced" if cause.expected else ""
        return f"connection closed mid-answer: after {got} bytes of the body{expected}"
    if found(urllib3.exceptions.DecodeError):
        return "the body could not be decoded as its Content-Encoding says"
    if isinstance(exc, _MidAnswer):
        return f"connection closed mid-answer: {_plain(chain[-1])}"[:300]
    return f"connection failed: {_plain(chain[-1])}"[:300]


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and every failure under requests' and urllib3's wrappers (their reasons,
    arguments and causes), outermost first."""
    chain: list[BaseException] = []
    while exc is not None and all(exc is not seen for seen in chain):
        chain.append(exc)
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in reversed(getattr(exc, "args", ())) if isinstance(a, BaseException)), None)
        context = None if exc.__suppress_context__ else exc.__context__  # raise ... from None: not part of it
        exc = inner if inner is not None else (exc.__cause__ or context)
    return chain


def _plain(exc: BaseException) -> str:
    """An exception's text without the client's internal class names."""
    return re.sub(r"_Watched(\w+)", r"\1", str(exc) or type(exc).__name__)


class _SigV4:
    """Signs each request (botocore does the signing), so every sender signs alike."""

    def __init__(self, region: str) -> None:
        import botocore.session
        from botocore.auth import SigV4Auth

        credentials = botocore.session.get_session().get_credentials()
        if credentials is None:
            raise TargetUnreachable("no AWS credentials found in the standard credential chain")
        self._signer = SigV4Auth(credentials, "amplifybackend", region)

    def __call__(self, method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, str]:
        from botocore.awsrequest import AWSRequest

        signed = AWSRequest(method=method, url=url, headers=headers, data=body or b"")
        self._signer.add_auth(signed)
        return {**headers, **dict(signed.headers.items())}


class SigV4Target(Target):
    """A real AWS endpoint: each request signed with SigV4 from the standard credential chain."""

    def __init__(self, base_url: str, region: str, **kwargs: Any) -> None:
        super().__init__(base_url, kind="sigv4", sign=_SigV4(region), **kwargs)
        self.region = region

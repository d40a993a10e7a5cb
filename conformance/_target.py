"""Where requests go: one small interface for any implementation of the API.

A Target is a base URL (the stage prefix is part of it) with a session. SigV4Target signs
each request for a real AWS endpoint. The embedded emulator is a plain Target on a loopback
port that also honours the injection header, so the runner can observe every documented
status code. Every request comes back as an Exchange, a frozen record of what was sent and
every answer received (retries included), so checks judge data, never live sockets.

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
import random
import re
import shlex
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

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
        super().request(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter with connections the watchdog can reach (direct and HTTP proxies)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if isinstance(manager, urllib3.ProxyManager):  # SOCKS keeps its own pools
            manager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
        return manager


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
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    jitter: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        adapter = _WatchedAdapter(pool_connections=4, pool_maxsize=64, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if self.session.trust_env:
            # requests reads the proxy variables and ~/.netrc again for every request (a sixth of
            # a run's CPU time); every request goes to one host, so read them once, here
            proxies = requests.utils.get_environ_proxies(self.base_url)
            self.session.proxies = {**proxies, **self.session.proxies}
            self.session.auth = self.session.auth or requests.utils.get_netrc_auth(self.base_url)
            self.session.trust_env = False
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
        deadline = math.inf if deadline is None else deadline
        prepared = self._prepare(method, self.url(path, path_parameters), headers, data)
        sent = SentRequest(method, prepared.url, self._shown(prepared.headers), data)
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
                reply = self._receive(prepared, deadline)
            except requests.RequestException as exc:
                timed_out = isinstance(exc, requests.Timeout) and not self._interrupted.is_set()  # not a cut
                self.concurrency.release(taken, path, "timeout" if timed_out else "failed")
                error = INTERRUPTED if self._interrupted.is_set() else _describe(exc, sent.url)
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
            prepared = self._prepare(method, sent.url, headers, data)  # re-sign: fresh date
        return Exchange(sent, tuple(replies), injected=inject, backed_off=backed_off)

    def _shown(self, headers: Any) -> dict[str, str]:
        """The headers as every record of the exchange keeps them: the values the user gave (--header)
        redacted whatever their names, since only the user knows which of them are secrets."""
        given = {name.lower() for name in self.headers}
        return {name: REDACTED if name.lower() in given else value for name, value in headers.items()}

    def _prepare(self, method: str, url: str, headers: dict[str, str], data: bytes | None):
        return self.session.prepare_request(requests.Request(method, url, headers=headers, data=data))

    def _receive(self, prepared, deadline: float) -> Reply:
        started = time.monotonic()
        deadline = min(deadline, started + self.timeout)
        allowed = max(deadline - started, 0.001)
        response, size = None, 0
        with _WATCHDOG.watch(deadline, self) as watch:
            try:
                response = self.session.send(prepared, timeout=(min(allowed, 5.0), allowed), stream=True)
                try:
                    chunks, truncated = [], False
                    while chunk := _read_some(response):
                        chunks.append(chunk)
                        size += len(chunk)
                        if size > MAX_BODY:
                            truncated = True
                            break
                finally:
                    response.close()
            except requests.RequestException as exc:
                if watch.fired or isinstance(exc, requests.Timeout) or "Read timed out" in str(exc):
                    # the watchdog cut the connection (what broke is a consequence), or a read timed out
                    raise requests.Timeout(_too_late(allowed, response, size)) from exc
                raise
            if watch.fired:  # a body delimited by the connection's end ended where the watchdog cut it
                raise requests.Timeout(_too_late(allowed, response, size))
        headers = {k.lower(): v for k, v in response.headers.items()}
        return Reply(
            response.status_code,
            headers,
            b"".join(chunks)[: MAX_BODY + 1],
            truncated,
            time.monotonic() - started,
            tuple(response.headers),
        )


def _read_some(response: requests.Response) -> bytes:
    """The next bytes of the body, as requests' own reading would report failures."""
    try:
        return response.raw.read1(65536, decode_content=True)
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(str(exc)) from exc
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError) as exc:
        raise requests.exceptions.ChunkedEncodingError(str(exc)) from exc


def _too_late(allowed: float, response: requests.Response | None, size: int) -> str:
    """What had come when the exchange's time ran out: nothing whole, the headers, part of the body."""
    if response is None:
        return f"no complete answer within {allowed:.3g} s: the status line and headers had not all come"
    length = response.headers.get("content-length")
    of = f" of the {length} announced" if length and length.isdigit() else ""
    return f"no complete answer within {allowed:.3g} s: reading the body, {size} bytes{of} had come"


def _describe(exc: Exception, url: str) -> str:
    """A transport failure in the user's words: what the target did, never the client's internals."""
    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    if isinstance(exc, requests.ConnectTimeout):
        return f"connection timed out: no connection to {where} within the time allowed"
    if isinstance(exc, requests.Timeout):
        return f"timed out (too slow): {exc}"[:300]
    chain = _chain(exc)

    def found(kind: type[BaseException]) -> Any:
        return next((e for e in chain if isinstance(e, kind)), None)

    if found(urllib3.exceptions.NameResolutionError):
        return f"connection failed: cannot resolve the host name {parts.hostname!r}"
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
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "the body could not be decoded as its Content-Encoding says"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"connection closed mid-answer: {_plain(chain[-1])}"[:300]
    if isinstance(exc, requests.ConnectionError):
        return f"connection failed: {_plain(chain[-1])}"[:300]
    return f"{type(exc).__name__}: {_plain(chain[-1])}"[:300]


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and every failure under requests' and urllib3's wrappers (their reasons,
    arguments and causes), outermost first."""
    chain: list[BaseException] = []
    while exc is not None and all(exc is not seen for seen in chain):
        chain.append(exc)
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in reversed(getattr(exc, "args", ())) if isinstance(a, BaseException)), None)
        exc = inner if inner is not None else (exc.__cause__ or exc.__context__)
    return chain


def _plain(exc: BaseException) -> str:
    """An exception's text without the client's internal class names."""
    return re.sub(r"_Watched(\w+)", r"\1", str(exc) or type(exc).__name__)


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
        self.region = region
        self.session.auth = _SigV4(region)

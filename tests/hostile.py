"""Hostile test servers, shared by the robustness tests and the benches: each one misbehaves in
one way a real target can, so a test or a bench can show the suite still ends, within its
budget, saying why.

Every server is a context manager that serves on 127.0.0.1 (a free port, on daemon threads)
and gives its base URL, stage included (``http://127.0.0.1:PORT/prod``); leaving the block
stops it::

    from tests.hostile import error_page

    with error_page() as url:
        run(RunOptions(base_url=url, ...))

From a bench script (run from a clone after ``pip install .``), put the clone's root on the path
first: ``sys.path.insert(0, str(Path(__file__).resolve().parents[1]))``.

At the HTTP level (``http_target``: each request, its body read into ``handler.sent_body``):

- ``ok_stub()``: ``200 {}`` to everything, a stateless stub that never fails a request;
- ``error_page()``: ``200`` with an HTML page instead of JSON;
- ``huge_body(size)``: a JSON body of 50 MB (OPTIONS gets an empty 200);
- ``closes_mid_answer()``: promises a Content-Length of 1000, sends ten bytes, closes;
- ``wrong_length()``: promises 100 bytes, sends ``{}``, keeps the connection open;
- ``closes_mid_status_line()``: sends ``HTTP/1.1 20`` and closes (OPTIONS gets an empty 200);
- ``slow_body(pause, count)``: headers at once, then the body a byte every ``pause`` seconds
  (never a read timeout, always too slow; OPTIONS gets an empty 200).

At the socket level (``socket_target``: each accepted connection on a thread of its own):

- ``dribbling(pause, fast_prefix)``: reads the request, sends ``fast_prefix`` at once and the rest
  of ``DRIBBLED`` (a 400 JSON error with the right Content-Length) a byte every ``pause`` seconds;
- ``hanging()``: reads the request and never answers;
- ``resetting()``: resets every connection as soon as it is accepted (RST, not FIN);
- ``not_http()``: reads the request and answers with an SSH banner, then closes;
- ``silent_close()``: reads the request and closes the connection without a byte.

A slow implementation that works (``one_at_a_time``): the emulator answering one request at a
time, each the slower the more are waiting (an overloaded single process, such as a mock on a busy
CI runner): sent too many at once, answers come late enough to time out.

``http_target(behaviour)`` and ``socket_target(behaviour)`` serve any other behaviour;
``answer(handler, ...)`` writes one whole HTTP answer from an ``http_target`` behaviour.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer, ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

HttpBehaviour = Callable[[BaseHTTPRequestHandler], None]
SocketBehaviour = Callable[[socket.socket], None]

ERROR_BODY = b'{"message": "bad request"}'
DRIBBLED = b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(ERROR_BODY),
    ERROR_BODY,
)


def _handler(behaviour: HttpBehaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body go out in two writes: without this, each answer waits out the
        # client's delayed acknowledgement (some 40 ms), and the server, not the suite, is timed
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def _serve(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.sent_body = self.rfile.read(length)
            behaviour(self)

        do_GET = do_POST = do_OPTIONS = do_PUT = do_DELETE = do_PATCH = _serve

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that hangs up on a hostile answer is what these servers are for: no traceback."""


@contextmanager
def http_target(behaviour: HttpBehaviour) -> Iterator[str]:
    """An HTTP server that lets ``behaviour(handler)`` answer every request; its base URL."""
    server = _QuietServer(("127.0.0.1", 0), _handler(behaviour))
    server.daemon_threads = True
    server.block_on_close = False  # a handler still dribbling must not hold the caller up
    with _served(server) as url:
        yield url


@contextmanager
def _served(server: BaseServer) -> Iterator[str]:
    """The server answering on a thread of its own, stopped afterwards; its base URL."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/prod"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def socket_target(behaviour: SocketBehaviour) -> Iterator[str]:
    """A listener that hands every accepted connection to ``behaviour(connection)``, each on a thread."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)

    def accept():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=behaviour, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/prod"
    finally:
        listener.close()


def answer(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str = "application/json",
    length: int | None = None,
) -> None:
    """One whole answer: status, Content-Type, Content-Length (the body's, unless ``length``) and body."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)


# --- at the HTTP level ----------------------------------------------------------------------


def ok_stub() -> AbstractContextManager[str]:
    """``200 {}`` to every request."""
    return http_target(lambda handler: answer(handler, 200, b"{}"))


def error_page() -> AbstractContextManager[str]:
    """``200`` with an HTML page to every request."""
    return http_target(lambda handler: answer(handler, 200, b"<html>hello</html>", "text/html"))


def huge_body(size: int = 50 << 20) -> AbstractContextManager[str]:
    """A JSON answer of about ``size`` bytes to every request but OPTIONS."""
    huge = b'{"pad": "' + b"x" * size + b'"}'

    def behaviour(handler):
        if handler.command == "OPTIONS":
            return answer(handler, 200, b"")
        answer(handler, 200, huge)

    return http_target(behaviour)


def closes_mid_answer() -> AbstractContextManager[str]:
    """Promises 1000 bytes of body, sends ten and closes the connection."""

    def behaviour(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(b'{"appId": ')
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)

    return http_target(behaviour)


def wrong_length() -> AbstractContextManager[str]:
    """``200`` promising 100 bytes of body, sending ``{}`` and keeping the connection open, to every
    request but OPTIONS: the client waits for the rest until its timeout."""

    def behaviour(handler):
        if handler.command == "OPTIONS":
            return answer(handler, 200, b"")
        answer(handler, 200, b"{}", length=100)
        handler.wfile.flush()
        time.sleep(30)

    return http_target(behaviour)


def closes_mid_status_line() -> AbstractContextManager[str]:
    """Sends ``HTTP/1.1 20`` and closes, to every request but OPTIONS."""

    def behaviour(handler):
        if handler.command == "OPTIONS":
            return answer(handler, 200, b"")
        handler.wfile.write(b"HTTP/1.1 20")
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)

    return http_target(behaviour)


def slow_body(pause: float = 0.2, count: int = 100) -> AbstractContextManager[str]:
    """Headers at once (Content-Length 100000), then ``count`` bytes of body, one every ``pause``
    seconds, to every request but OPTIONS."""

    def behaviour(handler):
        if handler.command == "OPTIONS":
            return answer(handler, 200, b"")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(count):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(pause)

    return http_target(behaviour)


# --- at the socket level --------------------------------------------------------------------


def dribbling(pause: float = 0.5, fast_prefix: bytes = b"") -> AbstractContextManager[str]:
    """Reads the request, then sends ``fast_prefix`` at once and the rest of DRIBBLED a byte per ``pause``."""

    def behaviour(connection):
        with connection:
            try:
                connection.recv(65536)
                connection.sendall(fast_prefix)
                for byte in DRIBBLED[len(fast_prefix) :]:
                    connection.sendall(bytes([byte]))
                    time.sleep(pause)
            except OSError:
                pass

    return socket_target(behaviour)


def _never_answer(connection: socket.socket) -> None:
    with connection:
        try:
            while connection.recv(65536):  # until the client gives up and closes (a body sent apart
                pass  # from the headers, left unread, would make the close a reset)
        except OSError:
            pass


def hanging() -> AbstractContextManager[str]:
    """Reads the request and never answers."""
    return socket_target(_never_answer)


def _reset(connection: socket.socket) -> None:
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()  # RST, not FIN


def resetting() -> AbstractContextManager[str]:
    """Resets every connection as soon as it is accepted."""
    return socket_target(_reset)


def _read_request(connection: socket.socket) -> None:
    """The whole request, headers and Content-Length body (a close with bytes unread is a reset)."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := connection.recv(65536)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    length = int(lengths[0]) if lengths else 0
    while len(body) < length and (chunk := connection.recv(65536)):
        body += chunk


def not_http() -> AbstractContextManager[str]:
    """Reads the request, sends an SSH server's banner (a wrong port, say) and closes."""

    def behaviour(connection):
        with connection:
            try:
                _read_request(connection)
                connection.sendall(NOT_HTTP)
            except OSError:
                pass

    return socket_target(behaviour)


NOT_HTTP = b"SSH-2.0-OpenSSH_8.9\r\nProtocol mismatch.\r\n"


def silent_close() -> AbstractContextManager[str]:
    """Reads the request and closes the connection without answering."""

    def behaviour(connection):
        with connection:
            try:
                _read_request(connection)
            except OSError:
                pass

    return socket_target(behaviour)


# --- a slow implementation that works ------------------------------------------------------


class _Queueing(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024  # connections wait to be served; none is refused

    def handle_error(self, request, client_address) -> None:
        """A client that gave up on its answer: no traceback."""


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def one_at_a_time(pause: float = 0.01, **config) -> Iterator[str]:
    """The emulator (EmulatorConfig(**config), stage /prod) answering one request at a time, each
    taking ``pause`` seconds for every request then waiting (itself included): a single process
    that slows down as its queue grows, so sending more at once gets fewer answers a second.
    Every connection is closed after its answer (HTTP/1.0)."""
    from amplify_emulator import EmulatorApp, EmulatorConfig

    app = EmulatorApp(EmulatorConfig(stage="/prod", **config))
    one = threading.Lock()
    waiting = [0]

    def slow(environ, start_response):
        waiting[0] += 1  # under the GIL; a count off by one now and then changes nothing
        with one:
            time.sleep(pause * waiting[0])
            waiting[0] -= 1
            return app(environ, start_response)

    server = _Queueing(("127.0.0.1", 0), _Quiet)
    server.set_app(slow)
    with _served(server) as url:
        yield url

"""Serving the emulator over HTTP with cheroot: in a background thread for tests, or in
the foreground for the CLI. Both run the same servers, one per address the host names."""

from __future__ import annotations

import errno
import logging
import socket
import threading
from typing import Any

from cheroot import wsgi

from ._app import EmulatorApp
from ._config import EmulatorConfig

# Chosen with bench/bench_emulator.py (emulator/NOTES.md): under the GIL, with all state
# behind one lock, 2 threads served 10-30% more than 4 or 8 (one runs Python while the
# other waits on a socket); more only add switching.
DEFAULT_THREADS = 2
# Under the latency quirk each answer sleeps 100-200 ms without the lock: threads that wait are
# what a far-away service's concurrency looks like, so it gets enough of them not to queue.
LATENT_THREADS = 128
_SERVER_SETTINGS: dict[str, Any] = {
    "request_queue_size": 128,  # listen() backlog: a burst of new connections is not refused
    "accepted_queue_size": -1,  # connections waiting for a thread: unbounded, never a 503
    # Seconds a connection may idle between requests, and the longest a client that stops
    # halfway through a request holds one of the threads.
    "timeout": 60,
    "shutdown_timeout": 5,
    "server_name": "amplify-emulator",
}
# Idle keep-alive connections held open at once (cheroot's default is 10; a concurrent test
# run holds more, and each one over the limit would be closed after every answer).
_KEEP_ALIVE_CONNECTIONS = 1000
_OTHER_ADDRESS_UNUSABLE = {errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}
_PORT_RACES = 5

_log = logging.getLogger("amplify_emulator.server")


class _Server(wsgi.Server):
    """cheroot's server, logging through ``logging`` instead of writing to stderr."""

    keep_alive_conn_limit = _KEEP_ALIVE_CONNECTIONS

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        _log.log(level, "%s", msg, exc_info=traceback)


def _addresses(host: str, port: int) -> list[tuple[str, int]]:
    """The distinct addresses a host name resolves to for listening, in resolver order."""
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    except socket.gaierror:
        return [(host, port)]  # an address literal cheroot can still try
    seen: list[tuple[str, int]] = []
    for *_, sockaddr in infos:
        if sockaddr[:2] not in seen:
            seen.append(sockaddr[:2])
    return seen


def _url(bind_addr: tuple) -> str:
    host, port = bind_addr[0], bind_addr[1]
    host = f"[{host}]" if ":" in str(host) else host
    return f"http://{host}:{port}"


class Emulator:
    """The emulator served by cheroot on background threads; a context manager.

    ``port=0`` picks a free port; ``base_url`` then says where it listens. A host name with
    several addresses (``localhost`` as 127.0.0.1 and ::1) is served on each, all on one
    port; ``base_url`` names the first. The API answers at the root and under
    ``config.stage``. Replace ``app`` before ``start()`` to wrap it.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = DEFAULT_THREADS,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.app = EmulatorApp(self.config)
        if self.config.has("latency"):
            threads = max(threads, LATENT_THREADS)
        self._host, self._port, self._threads = host, port, threads
        self._servers: list[_Server] = []
        self._serving: list[threading.Thread] = []

    @property
    def base_url(self) -> str:
        if not self._servers:
            raise RuntimeError("the emulator is not running")
        return _url(self._servers[0].bind_addr)

    @property
    def running(self) -> bool:
        """Whether every server is still serving (false once one has stopped on its own)."""
        return bool(self._serving) and all(thread.is_alive() for thread in self._serving)

    def start(self) -> Emulator:
        if self._servers:
            raise RuntimeError("the emulator is already running")
        addresses = _addresses(self._host, self._port)
        for attempt in range(_PORT_RACES):
            try:
                self._bind_all(addresses)
                break
            except OSError as exc:
                self.stop()
                # Port 0 picked a port free on the first address but taken on another: pick again.
                if self._port != 0 or exc.errno != errno.EADDRINUSE or attempt == _PORT_RACES - 1:
                    raise
        return self

    def _bind_all(self, addresses: list[tuple[str, int]]) -> None:
        port = self._port
        for index, (address, _) in enumerate(addresses):
            try:
                server = self._listen(address, port)
            except OSError as exc:
                if index and exc.errno in _OTHER_ADDRESS_UNUSABLE:
                    continue  # e.g. ::1 on a machine without IPv6: the first address serves
                raise
            port = server.bind_addr[1]  # the others share the port port=0 picked for the first

    def _listen(self, address: str, port: int) -> _Server:
        """Bind, then serve on a daemon thread. Binding happens on that thread too, so the
        worker threads cheroot starts inherit daemon status: a forgotten emulator never keeps
        the interpreter from exiting."""
        server = _Server((address, port), self.app, numthreads=self._threads, **_SERVER_SETTINGS)
        bound = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                server.prepare()
            except BaseException as exc:  # handed to the caller of start()
                failure.append(exc)
                return
            finally:
                bound.set()
            server.serve()

        thread = threading.Thread(target=run, name=f"amplify-emulator {address}", daemon=True)
        thread.start()
        bound.wait()
        if failure:
            thread.join()
            raise failure[0]
        self._servers.append(server)
        self._serving.append(thread)
        return server

    def stop(self) -> None:
        for server in self._servers:
            server.stop()  # closes the listening socket and every connection, joins the workers
        for thread in self._serving:
            thread.join(timeout=10)
        self._servers, self._serving = [], []

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve(
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 4566,
    threads: int = DEFAULT_THREADS,
) -> None:
    """Serve the emulator in the foreground until Ctrl-C (or a SIGTERM the caller turns
    into KeyboardInterrupt)."""
    config = config or EmulatorConfig()
    emulator = Emulator(config, host=host, port=port, threads=threads).start()
    try:
        print(f"listening on {emulator.base_url} (stage {config.stage or '/'})", flush=True)
        while emulator.running:
            emulator._serving[0].join(timeout=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()

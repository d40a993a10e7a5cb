"""Serving the emulator over HTTP with waitress: in a background thread for tests, or
in the foreground for the CLI."""

from __future__ import annotations

import logging
import threading
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from ._app import EmulatorApp
from ._config import EmulatorConfig

DEFAULT_THREADS = 4
_SERVER_SETTINGS: dict[str, Any] = {
    "max_request_body_size": 64 * 1024 * 1024,
    "connection_limit": 1000,
    "channel_timeout": 60,
    "ident": "amplify-emulator",
    "clear_untrusted_proxy_headers": True,
}


def _url(server) -> str:
    """Where a waitress server listens (its first socket, when a host name gave it several)."""
    listen = getattr(server, "effective_listen", None) or [(server.effective_host, server.effective_port)]
    host, port = listen[0][0], listen[0][1]
    host = f"[{host}]" if ":" in str(host) else host
    return f"http://{host}:{port}"


def _quiet_queue_notes() -> None:
    """waitress logs "Task queue depth is N" whenever all its threads are busy: routine under
    a concurrent test run. Quieted unless the caller configured that logger."""
    queue_logger = logging.getLogger("waitress.queue")
    if queue_logger.level == logging.NOTSET:
        queue_logger.setLevel(logging.ERROR)


class Emulator:
    """The emulator served by waitress on a background thread; a context manager.

    ``port=0`` picks a free port; ``base_url`` then says where it listens. The API answers
    at the root and under ``config.stage``.
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
        self._host, self._port, self._threads = host, port, threads
        self._map: dict = {}
        self._server = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake = lambda: None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return _url(self._server)

    def start(self) -> Emulator:
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        _quiet_queue_notes()
        self._stopping.clear()
        self._map = {}
        self._server = create_server(
            self.app,
            map=self._map,
            host=self._host,
            port=self._port,
            threads=self._threads,
            **_SERVER_SETTINGS,
        )
        # Taken before the loop runs: the map changes under it once connections come and go.
        self._wake = next(d for d in self._map.values() if hasattr(d, "pull_trigger")).pull_trigger
        self._thread = threading.Thread(target=self._loop, name="amplify-emulator", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        server = self._server
        try:
            while not self._stopping.is_set():
                wasyncore.loop(timeout=1.0, map=self._map, use_poll=True, count=1)
        finally:
            wasyncore.close_all(self._map)
            server.task_dispatcher.shutdown(timeout=5)

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        try:
            self._wake()  # out of its poll, to see the stop
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

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
    """Serve the emulator in the foreground until Ctrl-C."""
    config = config or EmulatorConfig()
    server = create_server(EmulatorApp(config), host=host, port=port, threads=threads, **_SERVER_SETTINGS)
    print(f"listening on {_url(server)} (stage {config.stage or '/'})", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        server.task_dispatcher.shutdown(timeout=5)

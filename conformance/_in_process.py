"""The embedded emulator's transport: each request handed to its WSGI app in this process, as a
WSGI server hands it (the raw path as REQUEST_URI, headers as HTTP_* variables), and its answer
read as an HTTP client reads it (the body decoded as its Content-Encoding says, repeated headers
joined). No sockets and no server threads: loopback HTTP was two thirds of the CPU of a run
against the emulator, which is what the project's own tests mostly are. What only travels over
a wire (connections, timeouts, resets) is tested against servers: the emulator served by
`amplify-conformance emulator`, and the hostile ones of the robustness tests."""

from __future__ import annotations

import io
import sys
import time
import zlib
from typing import Any
from urllib.parse import unquote, urlsplit

from ._target import MAX_BODY, Reply, Target

# the address `amplify-conformance emulator` listens on by default: a report's curl lines run
# against one started by hand (with the same --fault and --quirk options)
EMULATOR_ADDRESS = "http://127.0.0.1:4566"
_NOT_PREFIXED = {"CONTENT_TYPE", "CONTENT_LENGTH"}  # the two request headers WSGI names without HTTP_


class InProcessTarget(Target):
    """A WSGI application called in this process (the embedded emulator)."""

    def __init__(self, app: Any, base_url: str, **kwargs: Any) -> None:
        super().__init__(base_url, **kwargs)
        self.app = app

    def _receive(self, method: str, url: str, headers: dict[str, str], data: bytes | None, deadline: float) -> Reply:
        started = time.monotonic()
        parts = urlsplit(url)
        body = data or b""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(parts.path, encoding="latin-1"),
            "REQUEST_URI": parts.path + (f"?{parts.query}" if parts.query else ""),
            "QUERY_STRING": parts.query,
            "SERVER_NAME": parts.hostname or "localhost",
            "SERVER_PORT": str(parts.port or 80),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": parts.scheme or "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if data is not None:
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key in _NOT_PREFIXED else f"HTTP_{key}"] = value
        started_response: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(status: str, items: list[tuple[str, str]], exc_info: Any = None) -> None:
            started_response.append((status, items))

        chunks = self.app(environ, start_response)
        try:
            payload = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        status, items = started_response[-1]
        answered: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            answered[key] = f"{answered[key]}, {value}" if key in answered else value
        encoding = answered.get("content-encoding", "").lower()
        if encoding in ("gzip", "deflate"):
            payload = zlib.decompress(payload, 31 if encoding == "gzip" else 15)
        return Reply(
            int(status.split(" ", 1)[0]),
            answered,
            payload[: MAX_BODY + 1],
            len(payload) > MAX_BODY,
            time.monotonic() - started,
            tuple(name for name, _ in items),
        )

"""Serving: the Emulator context manager on a free port, the blocking serve() entry point,
many concurrent clients, and hostile input that must never produce a 5xx."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import threading

import amplify_openapi
import pytest
from amplify_emulator import Emulator, EmulatorConfig

from .conftest import API_CONFIG, Client, unique


def test_emulator_picks_a_free_port_and_stops_cleanly():
    with Emulator(EmulatorConfig(), host="127.0.0.1", port=0) as emu:
        url = emu.base_url
        assert url.startswith("http://127.0.0.1:")
        assert Client(url).post("/s3Buckets").status == 200
        assert callable(emu.app)
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with pytest.raises(RuntimeError):
        _ = emu.base_url


def test_emulators_are_independent():
    with Emulator() as one, Emulator() as two:
        app = Client(one.base_url).new_backend()
        assert Client(two.base_url).post(f"/backend/{app}/details").status == 404


def test_an_emulator_can_be_restarted_with_fresh_listening_socket():
    emu = Emulator()
    emu.start()
    first = emu.base_url
    emu.stop()
    emu.stop()  # stopping twice is harmless
    with emu:
        assert Client(emu.base_url).post("/s3Buckets").status == 200
    assert first.startswith("http://127.0.0.1:")


def _serve_then_stop(code: str, port: int, stop: signal.Signals) -> tuple[int, str, str]:
    """Run code serving on port in a fresh interpreter; once it says where it listens and answers
    there, stop it with the signal. Its exit code, stdout and stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a test run started in the background (`cmd &` in a script) hands its
        # children Ctrl-C ignored, and the signal would never arrive
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == f"listening on http://127.0.0.1:{port} (stage /prod)"
        assert Client(f"http://127.0.0.1:{port}").post("/s3Buckets").status == 200
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=60)  # a bound on "it returns by itself", not on how fast
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_prints_where_it_listens_and_returns_on_ctrl_c():
    port = _free_port()
    code = (
        "import amplify_emulator as e; "
        f"e.serve(e.EmulatorConfig(stage='/prod'), '127.0.0.1', {port}); print('returned', flush=True)"
    )
    returncode, out, err = _serve_then_stop(code, port, signal.SIGINT)
    assert returncode == 0, err
    assert out.strip() == "returned"
    assert "Traceback" not in err


def test_many_concurrent_clients_keep_state_consistent(client):
    shared = client.new_backend()
    errors: list[str] = []
    per_thread = 15
    threads_count = 16

    def worker(n: int) -> None:
        own = Client(client.base_url)
        try:
            app = own.new_backend()
            for i in range(per_thread):
                body = {
                    "backendEnvironmentName": "dev",
                    "resourceName": f"r{n}-{i}",
                    "resourceConfig": API_CONFIG,
                }
                made = own.post(f"/backend/{shared}/api", body)
                if made.status != 200:
                    errors.append(made.text)
                own.post(f"/backend/{app}/api", body)
                got = own.post(f"/backend/{app}/api/dev/details", {"resourceName": "x"})
                if got.json.get("resourceName") != f"r{n}-{i}":
                    errors.append(f"thread {n} read {got.text}")
                token = own.post(f"/backend/{app}/challenge").json
                if (
                    own.get(f"/backend/{app}/challenge/{token['sessionId']}").json["challengeCode"]
                    != token["challengeCode"]
                ):
                    errors.append("token mismatch")
        except Exception as exc:  # collected, so the assertion below names it
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    job_ids, token = [], None
    while True:
        page = client.post(f"/backend/{shared}/job/dev", {"maxResults": 25} | ({"nextToken": token} if token else {}))
        job_ids += [j["jobId"] for j in page.json["jobs"]]
        token = page.json.get("nextToken")
        if not token:
            break
    assert len(job_ids) == len(set(job_ids)) == 1 + threads_count * per_thread


# --- hostile input ---------------------------------------------------------------------


def _raw(emu: Emulator, request: bytes) -> tuple[int, bytes]:
    """Send raw bytes; the status line's code and the whole answer."""
    host, port = emu.base_url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
            if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                break
    answer = b"".join(chunks)
    return int(answer.split(b" ", 2)[1]), answer


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


ODD_PATHS = [
    "/backend/%00/details",
    "/backend/%ff%fe/details",
    "/backend/a%2Fb/details",
    "/backend/../details",
    "/prod/backend/./details",
    "/backend/%E2%82%AC/details",
    "/backend/" + "a" * 20_000 + "/details",
    "/backend/a/details?x=%zz",
    "/%",
    "/backend/%%%/details",
    "/backend/a/job/dev/%C0%AF",
    "//backend//",
    "/prod/prod/backend",
    "/backend/a/details#frag",
    "/backend/\u00e9/details",
]


@pytest.mark.parametrize("path", ODD_PATHS, ids=range(len(ODD_PATHS)))
def test_odd_paths_never_5xx(emulator, path):
    request = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    status, answer = _raw(emulator, request.encode("utf-8"))
    assert status < 500, answer[:300]


BODIES = [
    b"\x00\x01\x02\xff" * 1000,
    b'{"resourceName": "' + b"x" * 2_000_000 + b'"}',
    b'{"resourceName": "\\ud800"}',
    b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
    b'{"maxResults": 1e999}',
    b'{"maxResults": -0}',
    b'{"maxResults": 99999999999999999999999999999999999999}',
    b'{"resourceConfig": {"userPoolConfigs": {"mfa": {"MFAMode": {"$ref": "#"}}}}}',
    b"\xef\xbb\xbf{}",
    b'{"resourceName": "a", "resourceName": 5}',
    json.dumps({"resourceName": "\u202e" * 1000, "resourceConfig": [None] * 1000}).encode(),
]


@pytest.mark.parametrize("operation", amplify_openapi.operations(), ids=lambda op: op.operation_id)
def test_hostile_bodies_never_5xx_on_any_operation(emulator, operation):
    client = Client(emulator.base_url)
    app = client.new_backend()
    path = (
        operation.path.replace("{appId}", app)
        .replace("{backendEnvironmentName}", "dev")
        .replace("{sessionId}", "s")
        .replace("{jobId}", "j")
    )
    host, port = emulator.base_url.rsplit("/", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    for body in BODIES:
        for content_type in ("application/json", "application/octet-stream"):
            conn.request(operation.method, "/prod" + path, body, {"Content-Type": content_type})
            response = conn.getresponse()
            text = response.read()
            assert response.status < 500, (operation.operation_id, body[:60], text[:300])
            json.loads(text)
            assert response.getheader("Content-Type") == "application/json"
    conn.close()


def test_odd_methods_and_headers_never_5xx(emulator):
    for method in ("PATCH", "HEAD", "TRACE", "PROPFIND", "GETT"):
        status, _ = _raw(
            emulator, f"{method} /backend/a/details HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        assert status < 500
    weird = (
        b"POST /s3Buckets HTTP/1.1\r\nHost: x\r\nContent-Type: \xff\xfe\r\nx-emulator-inject: 504\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    status, _ = _raw(emulator, weird)
    assert status == 200  # injection is off on the clean emulator
    chunked = (
        b"POST /s3Buckets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"2\r\n{}\r\n0\r\n\r\n"
    )
    assert _raw(emulator, chunked)[0] == 200


def test_random_json_bodies_never_5xx_and_200s_match_the_model():
    from amplify_emulator import EmulatorApp
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from .conftest import wsgi_call

    app = EmulatorApp(EmulatorConfig())
    wsgi_call(app, "POST", "/backend", b'{"appId":"fz","appName":"n","backendEnvironmentName":"dev"}')
    operations = amplify_openapi.operations()
    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    values = st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "resourceName",
                        "resourceConfig",
                        "userPoolConfigs",
                        "mfa",
                        "MFAMode",
                        "maxResults",
                        "permissions",
                        "serviceName",
                        "status",
                        "x",
                    ]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    )

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        index=st.integers(0, len(operations) - 1),
        body=st.dictionaries(
            st.text(max_size=15)
            | st.sampled_from(
                [
                    "resourceName",
                    "resourceConfig",
                    "backendEnvironmentName",
                    "maxResults",
                    "nextToken",
                    "status",
                ]
            ),
            values,
            max_size=5,
        ),
        env=st.sampled_from(["dev", "x", unique("e")]),
    )
    def check(index, body, env):
        op = operations[index]
        wsgi_call(app, "POST", "/backend", b'{"appId":"fz","appName":"n","backendEnvironmentName":"dev"}')
        path = (
            op.path.replace("{appId}", "fz")
            .replace("{backendEnvironmentName}", env)
            .replace("{sessionId}", "s")
            .replace("{jobId}", "j")
        )
        reply = wsgi_call(app, op.method, path, json.dumps(body).encode())
        assert reply.status < 500, reply.text
        assert str(reply.status) in op.status_codes
        model = op.response_schema(reply.status)
        assert not list(amplify_openapi.validator(model).iter_errors(reply.json)), (
            op.operation_id,
            reply.text,
        )

    check()


def test_a_host_name_with_several_addresses_is_served_and_stopped():
    with Emulator(host="localhost", port=0) as emu:
        assert emu.base_url.startswith("http://")
        assert Client(emu.base_url).post("/s3Buckets").status == 200


def test_serve_under_the_cli_stops_cleanly_on_sigterm():
    port = _free_port()
    code = f"import sys; from amplify_conformance import cli; sys.exit(cli.main(['emulator', '--port', '{port}']))"
    returncode, _, err = _serve_then_stop(code, port, signal.SIGTERM)
    assert returncode == 0, err
    assert "Traceback" not in err


def test_a_forgotten_emulator_does_not_keep_the_interpreter_alive():
    code = "import amplify_emulator as e; e.Emulator().start(); print('started', flush=True)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "started"


def test_a_replaced_app_is_the_one_served():
    emu = Emulator()
    served = []

    def counting(environ, start_response):
        served.append(environ["REQUEST_METHOD"])
        return inner(environ, start_response)

    inner, emu.app = emu.app, counting
    with emu:
        assert Client(emu.base_url).post("/s3Buckets").status == 200
    assert served == ["POST"]


def test_every_address_of_a_host_name_is_served_on_one_port(monkeypatch):
    from amplify_emulator import _server

    monkeypatch.setattr(_server, "_addresses", lambda host, port: [("127.0.0.1", port), ("127.0.0.2", port)])
    with Emulator(host="several", port=0) as emu:
        assert emu.base_url.startswith("http://127.0.0.1:")
        port = int(emu.base_url.rsplit(":", 1)[1])
        for address in ("127.0.0.1", "127.0.0.2"):
            assert Client(f"http://{address}:{port}").post("/s3Buckets").status == 200
    for address in ("127.0.0.1", "127.0.0.2"):
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=1).close()


def test_a_port_in_use_is_an_os_error_and_leaves_nothing_running():
    with Emulator() as running:
        port = int(running.base_url.rsplit(":", 1)[1])
        emu = Emulator(port=port)
        with pytest.raises(OSError):
            emu.start()
        with pytest.raises(RuntimeError):
            _ = emu.base_url


# --- request bodies over the cap (64 MiB): a JSON 413, the rest left unread -------------


def test_a_declared_body_over_the_cap_is_413_json_without_reading_it(emulator):
    request = b"POST /prod/s3Buckets HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n\r\n{}"
    status, answer = _raw(emulator, request)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert status == 413
    assert b"Content-Type: application/json" in head and b"Connection: close" in head
    assert json.loads(body)["message"] == "request body is larger than 64 MiB"


def test_a_chunked_body_over_the_cap_is_413_json(emulator, monkeypatch):
    from amplify_emulator import _wire

    monkeypatch.setattr(_wire, "MAX_BODY_BYTES", 1024)
    chunk = b'{"resourceName": "' + b"x" * 2000 + b'"}'
    request = (
        b"POST /prod/s3Buckets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(chunk):x}\r\n".encode()
        + chunk
        + b"\r\n0\r\n\r\n"
    )
    status, answer = _raw(emulator, request)
    assert status == 413
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["message"]


def test_a_body_at_the_cap_is_read_and_judged(emulator, monkeypatch):
    from amplify_emulator import _wire

    monkeypatch.setattr(_wire, "MAX_BODY_BYTES", 1024)
    body = b'{"maxResults": 5' + b" " * (1024 - 17) + b"}"
    assert len(body) == 1024
    assert Client(emulator.base_url).post("/s3Buckets", raw=body).status == 200


def test_an_unread_body_leaves_a_keep_alive_connection_usable(emulator):
    host, port = emulator.base_url.rsplit("/", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    for path in ("/prod/nowhere", "/prod/s3Buckets"):
        for encode_chunked in (False, True):
            body = iter([b'{"a": ', b"1}"]) if encode_chunked else b'{"a": 1}'
            conn.request("POST", path, body, {"Content-Type": "application/json"}, encode_chunked=encode_chunked)
            response = conn.getresponse()
            response.read()
            assert response.status in (200, 404)
            assert response.getheader("Connection") != "close"
    conn.close()

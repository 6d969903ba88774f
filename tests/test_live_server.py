"""The local server: loopback only, its own host and origin only, its own files only, and a clean stop.

Requests are made with the standard library's http.client, which sends the
path, Host and Origin it is given as they are: so a traversal attempt or a
foreign Host reaches the server exactly as a hostile page's would. The
command-line servers (``scalargrad live``, ``scalargrad demo moons --live``)
run as subprocesses and are stopped with Ctrl-C (SIGINT).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scalargrad import examples
from scalargrad.liveview import LiveGraph
from scalargrad.liveview.server import CSP, MAX_MESSAGE, LiveServer

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"), reason="Graphviz `dot` is not installed"
)


@pytest.fixture
def server() -> Iterator[LiveServer]:
    running = LiveServer(LiveGraph(examples.two_paths())).start()
    try:
        yield running
    finally:
        running.stop()


def request(
    server: LiveServer, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        # skip_host: the Host header is the test's to choose (or to leave as the page's own).
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        headers.setdefault("Host", f"127.0.0.1:{server.port}")
        for key, value in headers.items():
            connection.putheader(key.replace("_", "-"), value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def events(server: LiveServer, **headers: str) -> Iterator[tuple[str, Any]]:
    """The event stream, one (event, data) at a time."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/events", headers={"Host": f"127.0.0.1:{server.port}", **headers})
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type", "").startswith("text/event-stream")
    name, data = "", ""
    try:
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif not line and name:
                yield name, json.loads(data)
                name, data = "", ""
    finally:
        connection.close()


def post(server: LiveServer, message: object, **headers: str) -> int:
    headers.setdefault("Content_Type", "application/json")
    return request(server, "POST", "/message", json.dumps(message).encode(), **headers)[0]


def test_it_listens_on_the_loopback_address_only(server: LiveServer) -> None:
    assert server.httpd.socket.getsockname() == ("127.0.0.1", server.port)
    assert server.url == f"http://127.0.0.1:{server.port}/"
    assert server.port > 0  # a free port was picked


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "text/html"),
        ("/live.js", "text/javascript"),
        ("/standalone.js", "text/javascript"),
        ("/live.css", "text/css"),
    ],
)
def test_it_serves_its_own_files_with_security_headers(server: LiveServer, path: str, kind: str) -> None:
    status, headers, body = request(server, "GET", path)
    assert status == 200 and headers["content-type"].startswith(kind)
    assert headers["content-security-policy"] == CSP and "default-src 'none'" in CSP and "script-src 'self'" in CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert body and int(headers["content-length"]) == len(body)
    assert b"http://" not in body.replace(b"http://www.w3.org", b"") and b"https://" not in body  # nothing fetched


@pytest.mark.parametrize(
    "path",
    [
        "/nope",
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/%2e%2e/",
        "/static/live.js",
        "/scalargrad/liveview/static/live.js",
        "//etc/passwd",
        "/live.js/../../pyproject.toml",
        "/index.html",
        "/message",
    ],
)
def test_anything_else_is_not_found(server: LiveServer, path: str) -> None:
    status, headers, body = request(server, "GET", path)
    assert status == 404 and body == b"not found"
    assert headers["content-security-policy"] == CSP


@pytest.mark.parametrize(
    "host", ["evil.example", f"evil.example:{0}", "127.0.0.1", "127.0.0.1:1", "localhost", "[::1]:{port}", ""]
)
def test_a_foreign_host_is_refused(server: LiveServer, host: str) -> None:
    host = host.format(port=server.port) if host != f"evil.example:{0}" else f"evil.example:{server.port}"
    for method, path in (("GET", "/"), ("GET", "/live.js"), ("GET", "/events")):
        assert request(server, method, path, Host=host)[0] == 403
    assert post(server, {"type": "set", "values": {"b": 3}}, Host=host) == 403
    assert request(server, "GET", "/", Host=f"localhost:{server.port}")[0] == 200  # the page's other own name


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1:{port}"])
def test_a_foreign_origin_is_refused(server: LiveServer, origin: str) -> None:
    origin = origin.format(port=server.port)
    assert request(server, "GET", "/events", Origin=origin)[0] == 403
    assert post(server, {"type": "set", "values": {"b": 3}}, Origin=origin) == 403
    assert server.session.idle() and server._model["state"]["values"]["b"] == 1.0  # nothing reached the graph
    assert post(server, {"type": "set", "values": {"b": 3}}, Origin=f"http://127.0.0.1:{server.port}") == 204


def test_messages_are_json_of_limited_size_to_one_endpoint(server: LiveServer) -> None:
    assert request(server, "POST", "/", b"{}", Content_Type="application/json")[0] == 404
    assert request(server, "POST", "/message", b'{"type": "set"}', Content_Type="text/plain")[0] == 415
    assert request(server, "POST", "/message", b"{not json", Content_Type="application/json")[0] == 400
    assert request(server, "POST", "/message", b"[1, 2]", Content_Type="application/json")[0] == 400
    big = json.dumps({"type": "set", "values": {"b": 1}, "pad": "x" * MAX_MESSAGE}).encode()
    assert request(server, "POST", "/message", big, Content_Type="application/json")[0] == 413
    assert request(server, "PUT", "/message", b"{}", Content_Type="application/json")[0] == 501
    assert request(server, "DELETE", "/")[0] == 501
    assert post(server, {"type": "set", "id": "p-1", "values": {"b": 3}}) == 204


def test_the_stream_sends_the_model_then_each_change(server: LiveServer) -> None:
    stream = events(server)
    name, model = next(stream)
    assert name == "model" and set(model) == {"page", "state", "frames", "hover", "ack"}
    assert model["page"]["kind"] == "graph" and "<svg" in model["page"]["svg"]
    assert model["state"]["texts"]["sg-n4-d"] == "data 6"
    assert post(server, {"type": "set", "id": "p-7", "values": {"b": 3}}) == 204
    seen: dict[str, Any] = {}
    while "p-7" not in seen.get("ack", []):
        name, change = next(stream)
        assert name == "change"
        seen[change["key"]] = change["value"]
    assert seen["state"]["texts"]["sg-n4-d"] == "data 20" and seen["state"]["values"] == {"a": 2.0, "b": 3.0}
    stream.close()


def test_it_stops_cleanly_streams_and_all() -> None:
    server = LiveServer(LiveGraph(examples.two_paths())).start()
    port = server.port
    stream = events(server)
    assert next(stream)[0] == "model"
    thread = server._thread
    assert thread is not None and thread.is_alive()
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    assert not thread.is_alive() and not server.session._thread.is_alive()
    assert list(stream) == []  # the stream ended
    assert_free(port)
    server.stop()  # twice is fine


def assert_free(port: int) -> None:
    """Nothing listens on ``port`` any more: a new server can bind it (as servers do, past closed connections)."""
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


def test_a_port_must_be_a_port() -> None:
    with pytest.raises(ValueError, match="port"):
        LiveServer(LiveGraph(examples.two_paths()), port=70000)


# ---------------------------------------------------------------------------
# The commands.
# ---------------------------------------------------------------------------


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Run ``python -m scalargrad ARGS`` from the checkout; return it and the URL it printed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "scalargrad", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("serving on http://127.0.0.1:"), (line, process.stderr.read() if process.stderr else "")
    return process, line.split()[2]


def interrupt(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    return process.returncode, out, err


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        (["live", "(a+b)*(b+1)", "a=2", "b=1", "--no-open"], "graph"),
        (["live", "log(x)*y", "x=2", "y=3", "--style", "circuit", "--lang", "ja", "--no-open"], "graph"),
        (["demo", "moons", "--live", "--no-open", "--points", "20"], "training"),
    ],
)
def test_the_commands_serve_until_ctrl_c(args: list[str], kind: str) -> None:
    process, url = start(*args)
    try:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/events")
        response = connection.getresponse()
        first = [response.readline() for _ in range(2)][1].decode()
        model = json.loads(first.removeprefix("data: "))
        assert model["page"]["kind"] == kind
        connection.close()
    finally:
        status, out, err = interrupt(process)
    assert status == 0, err
    assert out.strip().endswith("stopped") and err == ""
    assert_free(port)


def test_a_taken_port_is_one_line_and_exit_status_2_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for args in (
            ["live", "(a+b)*(b+1)", "a=2", "b=1", "--no-open", "--port", str(port)],
            ["demo", "moons", "--live", "--no-open", "--port", str(port)],
        ):
            done = subprocess.run(
                [sys.executable, "-m", "scalargrad", *args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.returncode == 2 and done.stdout == ""
            assert done.stderr.count("\n") == 1 and f"cannot serve on 127.0.0.1:{port}" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["live", "(a+b)*(b+1)", "a=2"], "unknown name 'b'"),
        (["live", "__import__('os')", "--no-open"], "expression refused"),
        (["live", "a*2", "a=2", "--port", "0"], "--port: a port is from 1 to 65535, got 0"),
        (["live", "a*2", "a=2", "--port", "http"], "--port: expected a port number, got 'http'"),
        (["live", "a*2", "a=2", "--style", "boxes"], "invalid choice: 'boxes'"),
        (["demo", "moons", "--live", "--port", "99999"], "a port is from 1 to 65535, got 99999"),
    ],
)
def test_user_errors_are_one_line_with_exit_status_2(args: list[str], message: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "scalargrad", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr

"""The live views in a plain browser: a small server on 127.0.0.1 that serves the front-end and talks to it.

``scalargrad live "EXPR" a=2`` and ``scalargrad demo moons --live`` run one.
The page is the same ES module the Jupyter widget runs (``static/live.js``),
given a stand-in for the widget's model (``static/standalone.js``): the
model's keys arrive as server-sent events on ``GET /events`` (all of them
when the page connects, then each change), and the page's messages go to
``POST /message`` as JSON, into a `scalargrad.liveview.session.Session`.

Why the standard library: the server has one page, four fixed files, one
stream and one endpoint, and serves one person on one machine.
`http.server.ThreadingHTTPServer` gives a thread per connection, which is
what a stream that stays open needs, and server-sent events are a
content type and a line format over plain HTTP (no handshake, no framing:
a WebSocket library would buy nothing here). A framework would add a
dependency to check for nothing the page uses.

What it refuses, and why:

* it binds ``127.0.0.1`` only, so nothing off this machine can reach it;
* a request whose ``Host`` is not ``127.0.0.1:PORT`` or ``localhost:PORT``
  gets 403: a web page elsewhere can point a DNS name of its own at
  127.0.0.1 (DNS rebinding) and would otherwise read the answers;
* a request carrying an ``Origin`` other than the page's own gets 403, so
  another site open in the same browser can neither post messages nor
  listen to the stream;
* only the fixed paths exist (nothing is looked up on disk by a name from
  the request, so ``/../pyproject.toml`` or ``/%2e%2e/`` is a 404 like any
  other unknown path); ``POST`` goes to ``/message`` only, as JSON of at
  most `MAX_MESSAGE` bytes;
* every answer says ``Content-Security-Policy`` (scripts, styles and
  connections from this origin only; no frames, forms or plugins) and
  ``X-Content-Type-Options: nosniff``.

`LiveServer.stop` ends the streams, closes the socket and joins the
threads; `serve` runs one until Ctrl-C.
"""

from __future__ import annotations

import json
import sys
import threading
import webbrowser
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from scalargrad.liveview.session import App, Session, asset, front_end, initial

#: The largest message body the page may post, in bytes (a page's messages are well under 1 KB).
MAX_MESSAGE = 64 * 1024
#: Seconds between keep-alive comments on an idle stream (they also let a closed stream be noticed).
KEEPALIVE = 10.0
HOST = "127.0.0.1"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: Path -> (what it serves, content type): the front-end's files, everything besides the stream and messages.
ASSETS: dict[str, tuple[Callable[[], str], str]] = {
    "/": (lambda: asset("index.html"), "text/html; charset=utf-8"),
    "/live.js": (front_end, "text/javascript; charset=utf-8"),
    "/standalone.js": (lambda: asset("standalone.js"), "text/javascript; charset=utf-8"),
    "/live.css": (lambda: asset("live.css"), "text/css; charset=utf-8"),
}


class _Stream:
    """One open event stream: the latest value of each key not yet sent (a slow page skips stale ones)."""

    def __init__(self) -> None:
        self.pending: dict[str, Any] = {}
        self.wake = threading.Condition()
        self.closed = False

    def put(self, key: str, value: Any) -> None:
        with self.wake:
            # Moved to the end, so keys go out in the order of their latest change (a state before its ack).
            self.pending.pop(key, None)
            self.pending[key] = value
            self.wake.notify_all()

    def take(self, timeout: float) -> dict[str, Any] | None:
        """What changed since the last take ({} after ``timeout`` with nothing new); None once closed."""
        with self.wake:
            self.wake.wait_for(lambda: self.pending or self.closed, timeout)
            if self.closed:
                return None
            taken, self.pending = self.pending, {}
            return taken

    def close(self) -> None:
        with self.wake:
            self.closed = True
            self.wake.notify_all()


class LiveServer:
    """Serves one live view (an `App`) on 127.0.0.1; ``port=0`` picks a free port.

    ``start()`` serves from a background thread, ``stop()`` shuts everything
    down; `serve` does both around waiting for Ctrl-C.
    """

    def __init__(self, app: App, *, port: int = 0) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"LiveServer(port={port!r}): give a port number from 1 to 65535, or 0 for a free one")
        self._lock = threading.Lock()
        self._streams: set[_Stream] = set()
        self._model = initial(app)
        self.httpd = _HTTPServer((HOST, port), _Handler)
        self.httpd.live = self
        self.port: int = self.httpd.server_address[1]
        self.hosts = {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}
        self.origins = {f"http://{host}" for host in self.hosts}
        self._thread: threading.Thread | None = None
        self._streams_done = threading.Condition(self._lock)
        self.session = Session(app, self.publish)

    @property
    def url(self) -> str:
        """Where the page is: ``http://127.0.0.1:PORT/``."""
        return f"http://{HOST}:{self.port}/"

    def publish(self, key: str, value: Any) -> None:
        """Set one key of the model and send it to every open page."""
        with self._lock:
            self._model[key] = value
            streams = list(self._streams)
        for stream in streams:
            stream.put(key, value)

    def _open_stream(self) -> tuple[_Stream, dict[str, Any]]:
        stream = _Stream()
        with self._lock:
            self._streams.add(stream)
            return stream, dict(self._model)

    def _close_stream(self, stream: _Stream) -> None:
        with self._lock:
            self._streams.discard(stream)
            self._streams_done.notify_all()

    def start(self) -> LiveServer:
        """Serve from a background thread; returns self."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="scalargrad-live-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """End every stream, stop serving, close the socket and join the threads (safe to call twice)."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=5.0)
            self._thread = None
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            stream.close()
        with self._lock:
            self._streams_done.wait_for(lambda: not self._streams, timeout=5.0)
        self.httpd.server_close()
        self.session.close()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    live: LiveServer


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "scalargrad-live"
    sys_version = ""
    # A client that stops reading must not hold a thread (and stop()) for good: its socket times out.
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the URL and nothing per request."""

    # -- checks ------------------------------------------------------------------

    def _refused(self) -> bool:
        """Answer 403 and return True unless Host and Origin are this server's own."""
        live = self.server.live
        origin = self.headers.get("Origin")
        if self.headers.get("Host") not in live.hosts or (origin is not None and origin not in live.origins):
            self._plain(HTTPStatus.FORBIDDEN, "forbidden: this server answers its own page on 127.0.0.1 only")
            return True
        return False

    def _headers(self, status: HTTPStatus, content_type: str, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def _plain(self, status: HTTPStatus, text: str) -> None:
        body = text.encode("utf-8")
        self._headers(status, "text/plain; charset=utf-8", len(body))
        self.wfile.write(body)

    # -- methods -------------------------------------------------------------------

    def do_GET(self) -> None:
        if self._refused():
            return
        path = urlsplit(self.path).path
        if path == "/events":
            self._events()
            return
        found = ASSETS.get(path)
        if found is None:
            self._plain(HTTPStatus.NOT_FOUND, "not found")
            return
        body = found[0]().encode("utf-8")
        self._headers(HTTPStatus.OK, found[1], len(body))
        self.wfile.write(body)

    def do_POST(self) -> None:
        if self._refused():
            return
        if urlsplit(self.path).path != "/message":
            self._plain(HTTPStatus.NOT_FOUND, "not found")
            return
        if self.headers.get_content_type() != "application/json":
            self._plain(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "messages are JSON")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._plain(HTTPStatus.LENGTH_REQUIRED, "a message needs a Content-Length")
            return
        if not 0 <= length <= MAX_MESSAGE:
            self._plain(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"a message is at most {MAX_MESSAGE} bytes")
            return
        try:
            message = json.loads(self.rfile.read(length))
        except (ValueError, UnicodeDecodeError):
            self._plain(HTTPStatus.BAD_REQUEST, "not JSON")
            return
        if not self.server.live.session.submit(message):
            self._plain(HTTPStatus.BAD_REQUEST, "not a message: an object with a 'type' is expected")
            return
        self._headers(HTTPStatus.NO_CONTENT, "text/plain; charset=utf-8")

    def _events(self) -> None:
        live = self.server.live
        stream, model = live._open_stream()
        try:
            self._headers(HTTPStatus.OK, "text/event-stream; charset=utf-8")
            self._event("model", model)
            while (changes := stream.take(KEEPALIVE)) is not None:
                if not changes:
                    self.wfile.write(b": keep-alive\n\n")
                for key, value in changes.items():
                    self._event("change", {"key": key, "value": value})
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went away
        finally:
            live._close_stream(stream)

    def _event(self, name: str, data: object) -> None:
        payload = json.dumps(data, ensure_ascii=False, allow_nan=False)
        self.wfile.write(f"event: {name}\ndata: {payload}\n\n".encode())


def serve(
    server: LiveServer,
    *,
    open_browser: bool = True,
    say: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> None:
    """Run ``server`` until Ctrl-C (or until ``stop`` is set): print its URL, open a browser unless told not to.

    The server is made first (``LiveServer(app, port=...)``), so that a port
    already in use is an error before anything starts; it is stopped cleanly
    however this returns.
    """
    stop = stop or threading.Event()
    server.start()
    say(f"serving on {server.url}  (Ctrl-C stops it)")
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    try:
        while not stop.wait(0.5):  # short waits: Ctrl-C lands between them on every platform
            pass
    except KeyboardInterrupt:
        say("stopped")
    finally:
        server.stop()
        sys.stdout.flush()

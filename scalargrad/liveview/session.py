"""Between a live view's page and its Python side: messages in, changes of the model out, latest first.

Both transports (a Jupyter widget's model, the local server's HTTP and
server-sent events) carry the same thing. The page sees a *model*: a few
keys, each holding JSON (``page`` once, then ``state``, ``frames``, ``hover``,
``ack``), and it sends *messages*, JSON objects with a ``type`` and an ``id``
unique to the page (one notebook output may be shown in several views, and
a page may be reloaded while Python runs on: ids restarting at 1 would
collide). An `App`
(a live graph, a training session) turns a message into new values for
some keys; a `Session` runs it.

Why a worker thread and a pending slot instead of a queue: a dragged slider
sends a message per pixel. A queue would recompute every one of them in turn,
and the page would show numbers for where the slider *was*, further and
further behind. Here a message that arrives while a recompute runs waits in
one slot per type, and a newer one of the same type replaces it (``set``
messages merge their ``values``, so each input's latest number is kept). So
at most one recompute is ever waiting, and it is for the latest numbers. The
page does its part too: it keeps one message in flight and sends the next
when ``ack``, the ids of the messages handled (or replaced by newer ones),
includes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

#: Sets one key of the model: what a transport gives an app to send changes with.
Publish = Callable[[str, Any], None]

log = logging.getLogger(__name__)


def asset(name: str) -> str:
    """A file of the one front-end both transports serve (``live.js``, ``live.css``, ...), from the package."""
    from importlib import resources

    return resources.files("scalargrad.liveview").joinpath("static", name).read_text(encoding="utf-8")


def front_end() -> str:
    """The views' script: the step-through pages' stepper (`scalargrad.viz`), then ``live.js``, which uses it."""
    from scalargrad.viz.pages import stepper_js

    return stepper_js() + asset("live.js")


#: The longest message id a page may send: ids are a page's random token and a count.
MAX_ID = 64


class App(Protocol):
    """What a live view's Python side does: `liveview.graph` and `liveview.training` each have one."""

    def page(self) -> dict[str, Any]:
        """What never changes while the page is open: the drawing, the inputs or controls, the words."""
        ...

    def state(self) -> dict[str, Any]:
        """What the page shows now."""
        ...

    def handle(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """Act on one message from the page; return the keys that changed, with their new values."""
        ...

    def start(self, publish: Publish) -> None:
        """Begin any work of its own (a training loop), publishing what it changes with ``publish``."""
        ...

    def close(self) -> None:
        """Stop that work."""
        ...


def initial(app: App) -> dict[str, Any]:
    """Every key of the model with its current value (JSON-able), for a page that opens now."""
    return {"page": app.page(), "state": app.state(), "frames": {}, "hover": {}, "ack": []}


def check_message(message: object) -> dict[str, Any] | None:
    """``message`` if it is one a page may send (an object with a string ``type``, a short string ``id``)."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return None
    if not isinstance(message.get("id", ""), str) or len(message.get("id", "")) > MAX_ID:
        return None
    if "values" in message and not isinstance(message["values"], dict):
        return None
    return message


class Session:
    """Runs an `App` on one worker thread, coalescing the messages that arrive while it is busy.

    ``submit`` never waits for a recompute. The worker handles every pending
    type in the order it first arrived, publishes what changed, then
    publishes ``ack``: the ids of the messages it took, handled or replaced.
    """

    def __init__(self, app: App, publish: Publish) -> None:
        self.app = app
        self._publish = publish
        self._pending: dict[str, dict[str, Any]] = {}
        #: The ids of the messages submitted since the worker last took the pending ones.
        self._received: list[str] = []
        self._wake = threading.Condition()
        self._closed = False
        self._busy = False
        #: Messages submitted, and messages the app handled: coalescing makes the second smaller.
        self.submitted = 0
        self.handled = 0
        self._thread = threading.Thread(target=self._work, name="scalargrad-live", daemon=True)
        self._thread.start()
        app.start(publish)

    def submit(self, message: object) -> bool:
        """Queue ``message``, replacing a pending one of its type; False if it is not a message at all."""
        checked = check_message(message)
        if checked is None:
            return False
        with self._wake:
            self.submitted += 1
            if "id" in checked:
                self._received.append(checked["id"])
            waiting = self._pending.get(checked["type"])
            if waiting is not None and "values" in waiting and "values" in checked:
                # Merged, not replaced: a message for input a, then one for b, must not lose a's number.
                checked = {**checked, "values": {**waiting["values"], **checked["values"]}}
            self._pending[checked["type"]] = checked
            self._wake.notify_all()
        return True

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                batch, self._pending = self._pending, {}
                received, self._received = self._received, []
                self._busy = True
            for message in batch.values():
                try:
                    changes = self.app.handle(message)
                except Exception:  # a bug, not the user's input (apps report that in the state): keep going
                    log.exception("scalargrad.liveview: handling a %r message failed", message.get("type"))
                    changes = {}
                self.handled += 1
                for key, value in changes.items():
                    self._publish(key, value)
            # Every id taken, the replaced ones too: a page waiting on one it sent may send its next.
            self._publish("ack", received)
            with self._wake:
                self._busy = False
                self._wake.notify_all()

    def idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is pending or being handled (for tests and scripts); False on timeout."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self) -> None:
        """Stop the worker and the app's own work; what is still pending is dropped."""
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        self.app.close()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5.0)

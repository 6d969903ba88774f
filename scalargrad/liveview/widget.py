"""The live views as Jupyter widgets: `anywidget` runs the front-end in JupyterLab, Notebook 7, VS Code and Colab.

Imported only when a widget is asked for, since anywidget is an optional
extra (``pip install 'scalargrad[live]'``). A widget's synced traits are the
model's keys (``page``, ``state``, ``frames``, ``hover``, ``ack``), its
custom messages are the page's messages, and a `Session` runs the app in a
worker thread, so the kernel stays free while a big graph recomputes or a
network trains. The front-end (``static/live.js``) is the very module the
local server sends to a browser.
"""

from __future__ import annotations

from typing import Any

try:
    import anywidget
    import traitlets
except ImportError as error:  # pragma: no cover - exercised where the extra is missing
    raise ImportError(
        f"scalargrad's live widgets need {error.name!r}, from the 'live' extra: pip install 'scalargrad[live]' "
        "(or, without Jupyter, run `scalargrad live \"EXPR\" a=1` for the same view in a browser)"
    ) from error

from scalargrad.liveview.session import App, Session, asset, front_end, initial


class LiveWidget(anywidget.AnyWidget):
    """A live view in a notebook; ``close()`` stops its worker (and a training session's loop)."""

    _esm = front_end()
    _css = asset("live.css")
    page = traitlets.Dict().tag(sync=True)
    state = traitlets.Dict().tag(sync=True)
    frames = traitlets.Dict().tag(sync=True)
    hover = traitlets.Dict().tag(sync=True)
    ack = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, app: App) -> None:
        super().__init__(**initial(app))
        self.app = app
        self.session = Session(app, self._publish)
        self.on_msg(self._receive)

    def _publish(self, key: str, value: Any) -> None:
        # Called from the session's thread, or a training loop's: ipykernel sends comm messages from any thread.
        setattr(self, key, value)

    def _receive(self, widget: Any, content: Any, buffers: Any) -> None:
        self.session.submit(content)

    def close(self) -> None:
        self.session.close()
        super().close()

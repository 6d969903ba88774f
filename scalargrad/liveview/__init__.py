"""Live views: change a number and watch the graph, train a network and watch it learn.

In a notebook, `live` shows a graph with a slider and a number field per
named input; moving one re-runs forward and backward in Python (the
recorded graph replayed with the engine's own rules) and rewrites every
value and gradient in place. Buttons step through the backward pass or
forward mode on the current numbers, and hovering over an op shows its
local derivatives. `live_training` shows a network while it trains: the
step and loss, the loss curve, every weight's sign and size, each neuron's
activation and gradient on one training point, the decision boundary for
2-D inputs, with pause, step, resume and a learning-rate control.

Without Jupyter, `serve` puts the same view on a page at 127.0.0.1
(``scalargrad live "EXPR" a=2 b=1``, ``scalargrad demo moons --live``).

The package, file by file:

* `text`: every word the views show, English and Japanese;
* `session`: messages in, model changes out, coalesced (`Session`);
* `graph`: `LiveGraph`, the Python side of a live graph;
* `network`: an MLP drawn for the dashboard;
* `training`: `TrainingSession`, the Python side of the dashboard;
* `widget`: the anywidget class (needs the ``live`` extra);
* `server`: the local server (standard library only);
* ``static/``: the one front-end, ``live.js`` and ``live.css``, and the
  standalone page's ``index.html`` and ``standalone.js``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from scalargrad.engine import Value
from scalargrad.liveview.graph import LiveGraph
from scalargrad.liveview.session import App, Session
from scalargrad.liveview.training import Loss, TrainingSession

if TYPE_CHECKING:
    from scalargrad.liveview.server import LiveServer, serve
    from scalargrad.liveview.widget import LiveWidget
    from scalargrad.nn import MLP

__all__ = ["App", "LiveGraph", "LiveServer", "Session", "TrainingSession", "live", "live_training", "serve"]


def __getattr__(name: str) -> object:
    # The server (http.server and friends) is imported when asked for, not with every `import scalargrad`.
    if name in ("LiveServer", "serve"):
        from scalargrad.liveview import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def live(
    root: Value,
    names: Mapping[str, object] | None = None,
    style: str = "nodes",
    *,
    lang: str = "en",
    fmt: str = ".4g",
    rankdir: str = "LR",
    fontsize: float = 14,
    title: str | None = None,
) -> LiveWidget:
    """A notebook widget showing the graph under ``root`` live, with a control per named input.

    The inputs are the leaves with a name of their own: a ``label``, or a
    variable name in ``names`` (pass ``locals()``). Constants the engine made
    for plain numbers (the 3 of ``x * 3``) and unnamed leaves get no control.
    Moving a control writes that leaf's ``.data``, replays the graph (a
    `scalargrad.Tape`) and refreshes its interior Values; no ``.grad`` of a
    leaf is read or written. ``style`` is "nodes" or "circuit"; the other
    arguments are `scalargrad.viz.animate_backward`'s. Needs the ``live``
    extra (``pip install 'scalargrad[live]'``) and Graphviz.
    """
    from scalargrad.liveview.widget import LiveWidget

    options: dict[str, Any] = {"lang": lang, "fmt": fmt, "rankdir": rankdir, "fontsize": fontsize, "title": title}
    return LiveWidget(LiveGraph(root, names=names, style=style, **options))


def live_training(
    model: MLP,
    xs: Sequence[Sequence[float]],
    ys: Sequence[float] | Sequence[Sequence[float]],
    loss: Loss,
    **options: Any,
) -> LiveWidget:
    """A notebook widget training ``model`` on ``xs``, ``ys`` in the background while it shows how it learns.

    ``loss(outputs, target)`` is one example's loss: the model's output(s)
    for one input row and that row's target as Values (a list of them for
    rows of targets), e.g. micrograd's moons hinge loss
    ``lambda score, y: (1 - y * score).relu()``. Training minimises its mean
    over the data. The ``options`` are `TrainingSession`'s (``optimizer``,
    ``lr``, ``sample``, ``steps``, ``running``, ``interval``, ``lang``, ...).
    ``widget.close()`` stops training.
    """
    from scalargrad.liveview.widget import LiveWidget

    return LiveWidget(TrainingSession(model, xs, ys, loss, **options))

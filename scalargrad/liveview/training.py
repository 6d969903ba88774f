"""A network training in the background while a dashboard watches: loss, weights, neurons, decision boundary.

`TrainingSession` trains an `scalargrad.nn.MLP` on a data set with the
user's per-example loss, one step at a time on a thread of its own, and
publishes what a page shows: the step and the loss (as text, ``step 42``,
``loss 0.31``), the loss curve, every weight's sign and size, one training
point's view of the network (each neuron's activation, and the gradient of
that point's loss with respect to it), and for 2-D inputs the model's class
over a grid around the data. The page can pause, resume, take a single step
and set the learning rate.

Every step is `scalargrad.train.TrainingStep`. With NumPy it replays the
graph of *one* example over the whole data set
(``TrainingStep(batch=...)``, `scalargrad.replay.batched`); without it, it
replays a tape of the whole data set's graph. Both minimise the mean of
``loss(model(x_i), y_i)`` over the examples, the floats of an eager training
loop up to rounding. The shown point's numbers come from an eager build
and `scalargrad.grad`; the grid's from a batched replay of the model (or,
without NumPy, eager builds on a coarser grid).
"""

from __future__ import annotations

import importlib.util
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from scalargrad.engine import Value, grad, reading_order
from scalargrad.engine import sum as value_sum
from scalargrad.finite import finite
from scalargrad.liveview.graph import colors
from scalargrad.liveview.network import network_svg, neuron_id
from scalargrad.liveview.session import Publish
from scalargrad.liveview.text import words as live_words
from scalargrad.marks import mark_of
from scalargrad.nn import MLP
from scalargrad.optim import SGD, Optimizer
from scalargrad.train import ModelOutputs, TrainingStep, accuracy, argmax, input_leaves, load_rows
from scalargrad.viz.labels import check_fmt

log = logging.getLogger(__name__)

#: The per-example loss: the model's output(s) for one example and its target leaf (or leaves) -> a Value.
Loss = Callable[[Any, Any], Value]
#: The most points of the loss curve sent to a page (older steps are thinned out).
CURVE_POINTS = 400


def _number(x: object, what: str) -> float:
    number = finite(x)
    if number is None:
        raise TypeError(f"live_training(): {what} must be finite numbers, got {x!r}")
    return number


def _setting(x: object, what: str, *, whole: bool = False, least: float = 0.0) -> float:
    """A setting that must be a finite number (a whole one if ``whole``) of at least ``least``, or a ValueError."""
    number = finite(x) if isinstance(x, int) or not whole else None
    if number is None or number < least:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"live_training({what}={x!r}): give {kind} of at least {least:g}")
    return number


def _json_float(x: float) -> float | None:
    """A number JSON can carry: None stands for NaN and infinities (a diverged loss)."""
    return x if math.isfinite(x) else None


class TrainingSession:
    """``model`` learning ``ys`` from ``xs`` by minimising the mean of ``loss(model(x), y)``; see the module docstring.

    ``xs`` is a list of input rows (``model.nin`` numbers each); ``ys`` a list
    of targets, a number each (``loss`` then gets one target Value) or a row
    each (a list of them). ``optimizer`` defaults to ``SGD(lr=lr)``; the
    page's learning-rate control sets ``optimizer.lr`` and drops any
    ``schedule``. ``sample`` is the training point whose activations and
    gradients the network shows. ``steps`` pauses training after that many
    steps (resume goes on); ``interval`` is the least time a step takes, in
    seconds, so that learning can be watched; the page is refreshed at most
    every ``refresh`` seconds. ``classify`` (by default: labels of -1 and +1,
    or one-hot rows) shows accuracy and classes, by `scalargrad.train.accuracy`'s
    rule. ``batched`` forces the NumPy replay on or off (default: on when
    NumPy is installed).
    """

    def __init__(
        self,
        model: MLP,
        xs: Sequence[Sequence[float]],
        ys: Sequence[float] | Sequence[Sequence[float]],
        loss: Loss,
        *,
        optimizer: Optimizer | None = None,
        lr: float = 0.1,
        sample: int = 0,
        steps: int | None = None,
        running: bool = True,
        interval: float = 0.05,
        refresh: float = 0.1,
        classify: bool | None = None,
        batched: bool | None = None,
        grid: int | None = None,
        lang: str = "en",
        fmt: str = ".3g",
    ) -> None:
        self.words = live_words(lang, "live_training")
        if not isinstance(model, MLP):
            raise TypeError(f"live_training() needs a scalargrad.nn.MLP, got {type(model).__name__}")
        if not callable(loss):
            raise TypeError("live_training() needs loss, a function (outputs, target) -> the loss Value of one example")
        self.xs = [[_number(v, "xs") for v in row] for row in xs]
        if not self.xs or any(len(row) != model.nin for row in self.xs):
            raise ValueError(f"live_training(): xs must be a non-empty list of rows of {model.nin} numbers")
        #: Each target as a row (a number is a row of one).
        self.ys = [[_number(v, "ys") for v in y] if isinstance(y, Sequence) else [_number(y, "ys")] for y in ys]
        if len(self.ys) != len(self.xs) or len({len(y) for y in self.ys}) != 1:
            raise ValueError("live_training(): ys needs one target (or one row of targets, all alike) per row of xs")
        if isinstance(sample, bool) or not isinstance(sample, int) or not 0 <= sample < len(self.xs):
            raise ValueError(f"live_training(sample={sample!r}): choose a training point from 0 to {len(self.xs) - 1}")
        self.model = model
        self.loss = loss
        self.sample = sample
        self.fmt = check_fmt(fmt, "live_training")
        self.optimizer = optimizer if optimizer is not None else SGD(model.parameters(), lr=lr)
        self.limit = None if steps is None else int(_setting(steps, "steps", whole=True, least=1))
        self.interval = _setting(interval, "interval")
        self.refresh = _setting(refresh, "refresh")
        self.batched = importlib.util.find_spec("numpy") is not None if batched is None else batched
        self.classify = self._classification() if classify is None else classify
        self.grid = int(_setting(grid, "grid", whole=True, least=2)) if grid is not None else 80 if self.batched else 20
        self._as_row = all(isinstance(y, Sequence) for y in ys)
        #: Each target's class, for the accuracy (the targets never change).
        self._labels = [float(self._label(y)) if len(y) > 1 else y[0] for y in self.ys]
        self.lang = lang
        self._step, self._columns = self._training_step()
        #: The model's outputs over the grid, for 2-D inputs: the decision boundary.
        self._grid_outputs = ModelOutputs(model, batched=self.batched) if model.nin == 2 else None
        self.losses: list[float] = []
        self.accuracy: float | None = None
        self.error: str | None = None
        self._running = running
        self._wanted = 0  # single steps asked for while paused
        self._wake = threading.Condition()
        self._lock = threading.Lock()  # the model's numbers: training and reading them take turns
        self._closed = False
        self._dirty = False  # the page asked for something: publish the state even if no step is taken
        self._thread: threading.Thread | None = None
        self._svg, self._edges = network_svg(model, [f"x{i}" for i in range(model.nin)], self.words["inputs"])

    # -- the data ------------------------------------------------------------------

    def _classification(self) -> bool:
        if all(len(y) == 1 for y in self.ys):
            return all(y[0] in (-1.0, 1.0) for y in self.ys)
        return all(sorted(y) == [0.0] * (len(y) - 1) + [1.0] for y in self.ys)

    def _label(self, y: list[float]) -> int:
        """A target or an output as a class: 1 for a positive score (0 otherwise), or a row's largest entry."""
        return int(y[0] > 0) if len(y) == 1 else argmax(y)

    def _training_step(self) -> tuple[TrainingStep, list[list[float]]]:
        """The step, and (batched) the columns it replays over: the inputs', then the targets'."""
        # The closures hold the model and the loss, not self: the step is kept on self, and a cycle would keep both.
        model, loss, as_row = self.model, self.loss, self._as_row
        width = len(self.ys[0])
        if self.batched:
            xs = [Value(0.0, f"x{i}") for i in range(model.nin)]
            ys = [Value(0.0, f"y{k}") for k in range(width)]

            def example() -> tuple[Value, Any]:
                out = model(xs)
                return loss(out, ys if as_row else ys[0]), out

            columns = [[row[i] for row in self.xs] for i in range(len(xs))]
            columns += [[y[k] for y in self.ys] for k in range(width)]
            return TrainingStep(example, self.optimizer, batch=[*xs, *ys]), columns
        inputs = input_leaves(len(self.xs), model.nin)
        targets = input_leaves(len(self.xs), width, label="y")
        load_rows(inputs, self.xs)
        load_rows(targets, self.ys)

        def whole() -> tuple[Value, Any]:
            outs = [model(row) for row in inputs]
            losses = [loss(out, t if as_row else t[0]) for out, t in zip(outs, targets)]
            return value_sum(losses) / len(losses), outs

        return TrainingStep(whole, self.optimizer, sync=True), []

    def _bounds(self) -> list[float]:
        lo = [min(row[i] for row in self.xs) - 0.5 for i in (0, 1)]
        hi = [max(row[i] for row in self.xs) + 0.5 for i in (0, 1)]
        return [lo[0], hi[0], lo[1], hi[1]]

    # -- training ------------------------------------------------------------------

    @property
    def step_count(self) -> int:
        """Steps taken so far."""
        return self._step.steps

    @property
    def running(self) -> bool:
        """Whether the loop is training (rather than paused)."""
        return self._running

    def _train_once(self) -> None:
        with self._lock:
            value = self._step(self._columns) if self.batched else self._step()
            self.losses.append(value)
            if self.classify:
                outputs = self._step.outputs
                if self.batched:  # an array per output -> a number, or a row, per example
                    outputs = [list(row) for row in zip(*outputs)] if isinstance(outputs, list) else list(outputs)
                self.accuracy = accuracy(outputs, self._labels)
        if self.limit is not None and self.step_count == self.limit:
            self._running = False
        if not math.isfinite(value):
            self._running = False
            self.error = self.words["train_error"].format(error=f"the loss is {value}")

    def _loop(self, publish: Publish) -> None:
        last = 0.0
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._closed or self._running or self._wanted > 0 or self._dirty)
                if self._closed:
                    return
                train = self._running or self._wanted > 0
                self._wanted = max(0, self._wanted - 1)
                self._dirty = False
            began = time.monotonic()
            if train:
                try:
                    self._train_once()
                except Exception as failure:  # the user's loss, schedule or data: say so on the page and pause
                    if not isinstance(failure, ArithmeticError | ValueError | TypeError):
                        log.exception("scalargrad.liveview: a training step failed")
                    self._running = False
                    self.error = self.words["train_error"].format(error=f"{type(failure).__name__}: {failure}")
            now = time.monotonic()
            if not self._running or now - last >= self.refresh:
                try:
                    publish("state", self.state())
                except Exception:  # a bug: say so, and keep the loop (and the page's controls) alive
                    log.exception("scalargrad.liveview: the training state could not be published")
                last = now
            if self._running and self.interval > 0:
                with self._wake:
                    self._wake.wait_for(lambda: self._closed or not self._running, self.interval - (now - began))

    # -- what the page shows ---------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Step, loss, curve, weights, the shown point's neurons, the grid's classes, the controls."""
        words = self.words
        with self._lock:
            weights = [w.data for layer in self.model.layers for neuron in layer.neurons for w in neuron.w]
            largest = max((abs(w) for w in weights if math.isfinite(w)), default=0.0) or 1.0
            texts = {
                "step": words["step"].format(step=self.step_count),
                "loss": words["loss"].format(loss=format(self.losses[-1], ".4g") if self.losses else "—"),
                "accuracy": ""
                if self.accuracy is None
                else words["accuracy"].format(accuracy=f"{self.accuracy:.0%}"),
                "status": words["running"] if self._running else words["paused"],
                "network": words["network"].format(
                    sample=self.sample, x=", ".join(format(v, ".3g") for v in self.xs[self.sample])
                ),
            }
            boundary = None
            try:
                texts.update(self._neurons())
                boundary = self._boundary() if self._grid_outputs is not None else None
            except (ArithmeticError, ValueError):
                pass  # weights out of range (a diverged run, which says so): no point's numbers to show
        return {
            "step": self.step_count,
            "texts": texts,
            "losses": self._curve(),
            "weights": [_json_float(w / largest) for w in weights],
            "boundary": boundary,
            "running": self._running,
            "lr": self.optimizer.lr,
            "error": self.error,
        }

    def _neurons(self) -> dict[str, str]:
        """Each neuron's activation on the shown point, and the gradient of that point's loss with respect to it."""
        xs = [Value(v, f"x{i}") for i, v in enumerate(self.xs[self.sample])]
        leaves = [Value(v, f"y{k}") for k, v in enumerate(self.ys[self.sample])]
        target = leaves if self._as_row else leaves[0]
        loss = self.loss(self.model(xs), target)
        column = {layer.name: k for k, layer in enumerate(self.model.layers, start=1)}
        shown: dict[str, Value] = {neuron_id(0, i): x for i, x in enumerate(xs)}
        for node in reading_order(loss):
            mark = mark_of(node)
            if mark is not None and mark.role == "output" and mark.path[0] in column:
                shown[neuron_id(column[mark.path[0]], mark.index)] = node
        grads = grad(loss, list(shown.values()))
        texts = {}
        for (stem, node), g in zip(shown.items(), grads):
            texts[f"{stem}-a"] = format(node.data + 0.0, self.fmt)
            texts[f"{stem}-g"] = f"∂ {format(g + 0.0, self.fmt)}"
        return texts

    def _boundary(self) -> str:
        """The model's class at each cell of the grid, row by row from the lowest y, as one digit per cell."""
        assert self._grid_outputs is not None
        x0, x1, y0, y1 = self._bounds()
        n = self.grid
        cx = [x0 + (x1 - x0) * (i + 0.5) / n for i in range(n)]
        cy = [y0 + (y1 - y0) * (j + 0.5) / n for j in range(n)]
        outputs = self._grid_outputs([[x, y] for y in cy for x in cx])
        return "".join(str(min(self._label(row), 9)) for row in outputs)

    def _curve(self) -> list[list[float | None]]:
        """(step, loss) pairs, thinned to at most `CURVE_POINTS`, always ending with the latest step."""
        n = len(self.losses)
        stride = max(1, math.ceil(n / CURVE_POINTS))
        picked = list(range(0, n, stride))
        if picked and picked[-1] != n - 1:
            picked.append(n - 1)
        return [[i + 1, _json_float(self.losses[i])] for i in picked]

    def page(self) -> dict[str, Any]:
        """What never changes: the network's drawing, the data points, the words, the colours."""
        points = None
        if self.model.nin == 2:
            points = [[row[0], row[1], self._label(y)] for row, y in zip(self.xs, self.ys)]
        return {
            "kind": "training",
            "lang": self.lang,
            "title": self.words["train_title"].format(model=repr(self.model)),
            "words": self.words,
            "colors": colors(),
            "network": {"svg": self._svg, "edges": self._edges},
            "points": points,
            "bounds": self._bounds() if points else None,
            "grid": self.grid,
            "lr_log": [-4, 1],
        }

    # -- as an App (scalargrad.liveview.session) -----------------------------------

    def handle(self, message: Mapping[str, Any]) -> dict[str, Any]:
        kind = message.get("type")
        with self._wake:
            if kind == "pause":
                self._running = False
            elif kind == "resume":
                self._running = True
                self.error = None
            elif kind == "step":
                self._running = False
                self._wanted += 1
            elif kind == "lr":
                rate = finite(message.get("value"))
                if rate is None or rate < 0:
                    return {}
                with self._lock:
                    self.optimizer.schedule = None  # a rate set by hand stays set
                    self.optimizer.lr = rate
            self._dirty = True
            self._wake.notify_all()
        return {}

    def start(self, publish: Publish) -> None:
        self._thread = threading.Thread(target=self._loop, args=(publish,), name="scalargrad-training", daemon=True)
        self._thread.start()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        if self._thread is not None and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5.0)

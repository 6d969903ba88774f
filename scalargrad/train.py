"""Helpers for training loops: one step of training, input leaves to feed it, and accuracy.

A training step is always the same four moves: compute the loss, clear the
gradients, backpropagate, update. `TrainingStep` does them, either *eagerly*
(build the graph anew each step, as micrograd does) or by *replaying* a tape
(`scalargrad.compile`): a training loop builds the same graph every step, with
only the numbers in its leaves changed, so the graph can be recorded once and
re-run, about twice as fast.

For replay to see new data, the data must live in leaves the tape reads, not in
plain numbers (a plain number is folded into its op as a constant and
replayed as it was). So a minibatch goes into *input leaves*, Values made
once by `input_leaves` and refilled by `load_rows` before each step::

    x = input_leaves(32, 64, label="x")          # 32 rows of 64 inputs
    t = input_leaves(32, 10, label="t")          # their one-hot targets

    def build_loss() -> Value:
        # The targets as a one-hot row of leaves, not a class index: the tape re-reads them too.
        losses = [cross_entropy(model(row), target) for row, target in zip(x, t)]
        return scalargrad.sum(losses) / 32

    step = TrainingStep(build_loss, Adam(model.parameters(), lr=0.01))
    for images, digits in batches:
        load_rows(x, images)
        load_rows(t, [one_hot(d, 10) for d in digits])
        loss = step()                            # a float

Both modes compute the same floats: after every step the parameters are
bit-for-bit what eager training gives (the tests hold the helper to that).

With NumPy there is a third way, often the fastest: ``TrainingStep(build_loss,
optimizer, batch=[x, y])`` records the graph of *one* example and replays it
over a whole batch at each call ``step([xs, ys])`` (see `TrainingStep`).
Compile only what replays faithfully (see `scalargrad.compile` and
docs/compile.md): neither the graph's shape nor its folded constants may depend
on the numbers. ``check_every=N`` rebuilds the graph every N steps and raises
`scalargrad.GraphChangedError` if it moved away from the tape, a cheap
guard while developing.
"""

from __future__ import annotations

import math
import numbers
import operator
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from scalargrad.checkpoint import read_training_checkpoint, write_checkpoint
from scalargrad.engine import Value, no_grad
from scalargrad.engine import sum as value_sum
from scalargrad.files import StrPath
from scalargrad.metrics import accuracy, argmax
from scalargrad.nn import Module, check_architecture, finite_weights, some_names
from scalargrad.optim import Optimizer
from scalargrad.replay import Tape
from scalargrad.replay import compile as compile_tape

if TYPE_CHECKING:
    from scalargrad.replay.batched import BatchedTape

__all__ = [
    "TrainingStep",
    "accuracy",
    "argmax",
    "input_leaves",
    "load_rows",
    "load_training",
    "one_hot",
    "save_training",
]

#: What ``build_loss`` returns: the loss, or the loss and anything to keep from that build (say, the model's outputs).
Built = Value | tuple[Value, Any]


class TrainingStep:
    """A callable doing one training step: loss, zero_grad, backward, optimizer step; it returns the loss.

    ``build_loss()`` builds the loss from leaf Values only: the parameters the
    optimizer updates and input leaves the caller refills (`load_rows`). It
    may return ``(loss, outputs)`` instead, to keep something from the build,
    typically the model's outputs for the batch, as `outputs`.

    ``compile=True`` (the default) records the first build as a tape, on the
    first call, so load the first batch before it; every call then replays the
    tape: ``tape.forward()``, ``optimizer.zero_grad()``, ``tape.backward()``,
    ``optimizer.step()``. ``compile=False`` builds the graph afresh each call
    and runs ``loss.backward()`` instead: slower, but free to change shape
    from step to step.

    The replayed graph's interior Values keep the numbers of the recording
    build. ``sync=True`` copies each step's numbers into them (`Tape.sync`),
    so `outputs` and `loss` show the current step, and diagrams drawn from
    them too; it costs a few percent.

    ``check_every=N`` makes every N-th replayed step (steps N, 2N, ...) first
    rebuild the graph and compare it with the tape (`Tape.check`), raising
    `GraphChangedError` if an op, a wire or a constant changed, which happens
    when the building code branches on ``.data`` or folds a number that
    changes into an op. It costs one eager build per check; in eager mode
    there is nothing to check and it is ignored.

    ``batch=[x0, x1, ...]`` trains on a whole batch at NumPy speed
    (`scalargrad.replay.batched`): ``build_loss()`` then builds the loss of
    *one* example from those leaves, and each call ``step(columns)`` takes a
    column of numbers per batch leaf, replays the example's graph over all of
    them, and backpropagates the mean loss, which it returns. `outputs` are
    then NumPy arrays, one value per example, of whatever ``build_loss``
    returned beside the loss (a Value or a list of them, nodes of the loss's
    graph). The columns may
    differ in length from call to call: a last, smaller batch is fine.

    Here the line ``y = 2x + 1`` is learned from four points. ``x`` and ``y``
    hold one example; each call fills them with a column of four numbers:

    >>> from scalargrad import Value
    >>> from scalargrad.optim import SGD
    >>> w, b = Value(0.0, "w"), Value(0.0, "b")  # the parameters
    >>> x, y = Value(0.0, "x"), Value(0.0, "y")  # one example: its input and its target
    >>> def build_loss():
    ...     prediction = w * x + b
    ...     return (prediction - y) ** 2, prediction  # one example's loss, and what to keep
    >>> step = TrainingStep(build_loss, SGD([w, b], lr=0.1), batch=[x, y])
    >>> xs, ys = [0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.0]
    >>> step([xs, ys])  # the mean of the squared errors 1, 9, 25 and 49
    21.0
    >>> w.grad, b.grad  # the mean of 2 (wx + b - y) x, and of 2 (wx + b - y), at w = b = 0
    (-17.0, -8.0)
    >>> for _ in range(300):
    ...     loss = step([xs, ys])
    >>> round(w.data, 6), round(b.data, 6)
    (2.0, 1.0)
    >>> step.outputs.round(6).tolist()  # the predictions of the last step, one per example
    [1.0, 3.0, 5.0, 7.0]

    Each call is the four steps ``losses = tape.forward(columns)``,
    ``optimizer.zero_grad()``, ``tape.backward()``, ``optimizer.step()`` on
    the tape that ``scalargrad.compile(loss, batch=...)`` recorded from the
    first build (kept as `tape`). The demos write that loop out, to show it.
    """

    def __init__(
        self,
        build_loss: Callable[[], Built],
        optimizer: Optimizer,
        *,
        compile: bool = True,
        check_every: int | None = None,
        sync: bool = False,
        batch: Sequence[Value] | None = None,
    ) -> None:
        if not callable(build_loss):
            raise TypeError(f"TrainingStep(): build_loss must be a function returning the loss, got {build_loss!r}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"TrainingStep(): optimizer must be an Optimizer, got {type(optimizer).__name__}")
        if check_every is not None and (
            isinstance(check_every, bool) or not isinstance(check_every, int) or check_every < 1
        ):
            raise ValueError(f"TrainingStep(): check_every must be a whole number >= 1 or None, got {check_every!r}")
        if batch is not None and (not compile or check_every is not None or sync):
            raise ValueError("TrainingStep(batch=...) always replays, and takes no compile=False, check_every or sync")
        self.batch = None if batch is None else list(batch)
        self.build_loss = build_loss
        self.optimizer = optimizer
        self.compiled = bool(compile)
        self.check_every = check_every
        self.sync = sync
        #: The recorded graph (compiled mode, after the first step), else None.
        self.tape: Tape | BatchedTape | None = None
        #: The loss Value of the graph that ran last: the recorded one when compiled, the latest build when eager.
        self.loss: Value | None = None
        #: What ``build_loss`` returned beside the loss, from the same build as `loss` (None if only a loss).
        self.outputs: Any = None
        #: Steps taken so far.
        self.steps = 0
        self._shown: Any = None  # what build_loss returned beside the loss, in batch mode

    def __call__(self, columns: Sequence[Sequence[float]] | None = None) -> float:
        """Take one step and return the loss before the update (with ``batch``: on ``columns``, the mean loss)."""
        if (columns is None) != (self.batch is None):
            raise TypeError(
                "TrainingStep: a step takes columns (one per batch leaf) exactly when it was made with batch=[...]"
            )
        if columns is not None:
            value = self._replay_batch(columns)
        elif self.compiled:
            value = self._replay()
        else:
            self.loss, self.outputs = self._build()
            self.optimizer.zero_grad()
            self.loss.backward()
            value = self.loss.data
        self.optimizer.step()
        self.steps += 1
        return value

    def _replay(self) -> float:
        """Forward and backward on the tape, recording it first if this is the first step."""
        if self.tape is None:
            self.loss, self.outputs = self._build()
            self.tape = compile_tape(self.loss)
        elif self.check_every is not None and self.steps % self.check_every == 0:
            cast(Tape, self.tape).check(self._build()[0])
        tape = cast(Tape, self.tape)
        value = tape.forward()
        self.optimizer.zero_grad()
        tape.backward()
        if self.sync:
            tape.sync()
        return value

    def _replay_batch(self, columns: Sequence[Sequence[float]]) -> float:
        """The example's graph over the whole batch: forward, zero_grad, backward of the mean loss."""
        if self.tape is None:
            self.loss, self._shown = self._build()
            self.tape = compile_tape(self.loss, batch=self.batch or [])
        tape = cast("BatchedTape", self.tape)
        losses = tape.forward(columns)
        self.optimizer.zero_grad()
        tape.backward(reduce="mean")
        shown = self._shown
        if isinstance(shown, Value):
            self.outputs = tape.values(shown)
        elif isinstance(shown, list | tuple):
            self.outputs = [tape.values(v) for v in shown]
        return float(losses.mean())

    def _build(self) -> tuple[Value, Any]:
        built = self.build_loss()
        loss, outputs = built if isinstance(built, tuple) else (built, None)
        if not isinstance(loss, Value):
            raise TypeError(
                f"TrainingStep: build_loss() must return the loss Value (or a pair loss, outputs), "
                f"got {type(loss).__name__}: {loss!r}"
            )
        return loss, outputs

    def __repr__(self) -> str:
        mode = "batched" if self.batch is not None else "compiled" if self.compiled else "eager"
        return f"<TrainingStep {mode}, {self.steps} steps, {type(self.optimizer).__name__}>"


# ---------------------------------------------------------------------------
# Inputs a tape can re-read.
# ---------------------------------------------------------------------------


def input_leaves(n_rows: int, n_cols: int, *, label: str = "x") -> list[list[Value]]:
    """``n_rows`` lists of ``n_cols`` leaf Values holding 0.0, to be filled by `load_rows`.

    Leaf ``[i][j]`` is labelled ``"{label}[i][j]"``, so diagrams say which input it is.
    """
    for what, n in (("n_rows", n_rows), ("n_cols", n_cols)):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"input_leaves(): {what} must be a whole number, got {type(n).__name__}: {n!r}")
        if n < 1:
            raise ValueError(f"input_leaves(): {what} must be at least 1, got {n}")
    return [[Value(0.0, f"{label}[{i}][{j}]") for j in range(n_cols)] for i in range(n_rows)]


def load_rows(leaves: Sequence[Sequence[Value]], rows: Sequence[Sequence[float]]) -> None:
    """Put ``rows`` (numbers) into ``leaves`` (Values), row for row: the next minibatch.

    ``rows`` must have the shape of ``leaves`` exactly, or a ValueError says
    where it differs; everything is checked before anything is written, so a
    bad batch leaves the previous one in place. Each leaf's ``.grad`` is reset
    to 0, so after a step it holds the gradient for this batch only.

    A smaller last batch does not fit: the graph has one row of leaves per
    sample. Drop it, or build a second `TrainingStep` over leaves of its size.
    """
    if len(rows) != len(leaves):
        raise ValueError(f"load_rows(): the data has {len(rows)} rows, the leaves {len(leaves)}")
    checked: list[list[float]] = []
    for i, (row, leaf_row) in enumerate(zip(rows, leaves)):
        if len(row) != len(leaf_row):
            raise ValueError(f"load_rows(): row {i} of the data has {len(row)} numbers, of the leaves {len(leaf_row)}")
        for j, v in enumerate(row):
            if isinstance(v, Value) or not isinstance(v, numbers.Real):
                raise TypeError(f"load_rows(): row {i}, column {j} must be a number, got {type(v).__name__}: {v!r}")
        checked.append([float(v) for v in row])
    for row_values, leaf_row in zip(checked, leaves):
        for leaf, v in zip(leaf_row, row_values):
            leaf.data = v
            leaf.grad = 0.0


class ModelOutputs:
    """A model's outputs on many inputs, a list per row: ``ModelOutputs(model, batched=True)(rows)``.

    Evaluating is a training step's first move alone, and goes either way
    training goes. ``batched`` (NumPy) records the graph of one input once,
    its ``nin`` inputs in leaves, and replays it over all the rows in one
    pass: a 250 x 250 grid costs about as much as a few training steps. A tape
    records the graph under one Value, so the outputs are summed into one
    and each output's values read back with ``tape.values``; the tape reads
    the parameters' current numbers at every call, so one recording serves a
    whole run. Otherwise each row's graph is built under ``no_grad()``, which
    keeps no parents: the numbers without the graph.
    """

    def __init__(self, model: Any, *, batched: bool) -> None:
        self.model = model
        self.batched = batched
        if batched:
            self._inputs = [Value(0.0, f"x{i}") for i in range(model.nin)]
            self._outputs = _as_list(model(self._inputs))
            self._tape = compile_tape(value_sum(self._outputs), batch=self._inputs)

    def __call__(self, rows: Sequence[Sequence[float]]) -> list[list[float]]:
        if not self.batched:
            with no_grad():
                return [[v.data for v in _as_list(self.model(list(row)))] for row in rows]
        self._tape.forward(list(zip(*rows)))  # a column per input leaf
        columns = [self._tape.values(v) for v in self._outputs]
        return [list(row) for row in zip(*(column.tolist() for column in columns))]


def _as_list(out: Value | list[Value]) -> list[Value]:
    return [out] if isinstance(out, Value) else list(out)


def one_hot(index: int, n: int) -> list[float]:
    """``n`` numbers, 1.0 at ``index`` and 0.0 elsewhere: a class label as a row for `load_rows`."""
    try:
        i = operator.index(index)
    except TypeError:
        raise TypeError(f"one_hot(): index must be an integer, got {type(index).__name__}: {index!r}") from None
    if not 0 <= i < n:
        raise ValueError(f"one_hot(): index {i} is out of range for {n} classes")
    row = [0.0] * n
    row[i] = 1.0
    return row


# ---------------------------------------------------------------------------
# Saving a training run: the model and its optimizer in one file, to resume it.
# ---------------------------------------------------------------------------


def save_training(path: StrPath, model: Module, optimizer: Optimizer) -> None:
    """Write ``model``'s architecture and weights and ``optimizer``'s state to ``path``, atomically, as JSON.

    The weights alone do not let training resume where it stopped: Adam's
    running averages and step count (and SGD's momentum) would start again
    from zero, and the run would take a different path. With this file,
    `load_training` into a fresh model and optimizer, then training on,
    gives bit for bit the numbers of a run that was never interrupted.

    The optimizer must update parameters of ``model`` (all of them or some):
    the file names them, so that loading can check the new optimizer updates
    the same ones in the same order. Raises ValueError, before touching the
    file, for a non-finite weight or optimizer number, which JSON cannot hold.
    The file is a version 2 checkpoint (`scalargrad.checkpoint`), which
    ``Module.load`` also reads, for the weights only.
    """
    who = "save_training()"
    _check_pair(model, optimizer, who)
    names = _optimizer_names(model, optimizer, who)
    weights = finite_weights(model, who)
    state = optimizer.state_dict()
    for buffer, values in state["buffers"].items():
        for name, v in zip(names, values):
            if not math.isfinite(v):
                raise ValueError(
                    f"{who}: the optimizer's {buffer!r} for parameter {name!r} is {v}, which JSON cannot hold"
                )
    write_checkpoint(path, model.architecture(), weights, {"parameters": names, **state})


def load_training(path: StrPath, model: Module, optimizer: Optimizer) -> None:
    """Restore ``model``'s weights and ``optimizer``'s state from a file `save_training` wrote, all or nothing.

    Build the model and the optimizer as for the original run (same
    architecture, same optimizer class, over the same parameters, with the same
    ``schedule`` if any, which is code and not saved), then load: the step
    count, ``lr``, hyperparameters and buffers are restored, so the next
    ``step()`` is the one the interrupted run would have taken.

    Raises ValueError naming the file and the problem: not a checkpoint, no
    optimizer in it (a ``Module.save`` file), another architecture, another
    optimizer class, other parameters, or a bad number anywhere. Everything is
    checked before anything changes, so on any error both ``model`` and
    ``optimizer`` are left exactly as they were.
    """
    who = "load_training()"
    _check_pair(model, optimizer, who)
    architecture, parameters, saved = read_training_checkpoint(path)
    check_architecture(path, architecture, model)
    name = os.fspath(path)
    if saved["class"] != type(optimizer).__name__:
        raise ValueError(
            f"{name}: the checkpoint holds the state of a {saved['class']} optimizer, "
            f"but this optimizer is {type(optimizer).__name__}"
        )
    names = _optimizer_names(model, optimizer, who)
    if saved["parameters"] != names:
        raise ValueError(
            f"{name}: the saved optimizer updated {some_names(saved['parameters'])}, "
            f"but this optimizer updates {some_names(names)}"
        )
    state = {key: value for key, value in saved.items() if key != "parameters"}
    try:
        checked = optimizer._check_state(state)  # checked in full, nothing changed yet
        model.load_state_dict(parameters)  # checks everything, then sets every weight
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    optimizer._apply_state(checked)  # cannot fail, so the pair is never half loaded


def _check_pair(model: object, optimizer: object, who: str) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{who}: model must be a Module, got {type(model).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{who}: optimizer must be an Optimizer (SGD, Adam), got {type(optimizer).__name__}")


def _optimizer_names(model: Module, optimizer: Optimizer, who: str) -> list[str]:
    """The model's name for each parameter the optimizer updates, in the optimizer's order."""
    by_id = {id(p): name for name, p in model.named_parameters()}
    names = []
    for i, p in enumerate(optimizer.params):
        if id(p) not in by_id:
            raise ValueError(f"{who}: the optimizer's parameter {i} ({p!r}) is not a parameter of {model!r}")
        names.append(by_id[id(p)])
    return names

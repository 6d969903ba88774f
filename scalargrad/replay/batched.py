"""Batched replay: the graph of one example, run over a whole batch at NumPy speed.

JAX calls it ``vmap``: write the function for one example, run it over many.
``compile(loss, batch=[x0, x1, y])`` records the graph of one example's
output, in which ``x0, x1, y`` are the leaves that differ from example to
example; every other leaf (the parameters) is shared. `BatchedTape.forward`
then takes a column of N numbers per batch leaf and computes the N outputs,
each op once for the whole batch: the engine's own rule, written out as code
(`scalargrad.replay.source`) and run on arrays (`scalargrad.replay.on_arrays`).
`BatchedTape.backward` adds into each shared leaf's ``.grad`` the gradient of
the outputs' mean (or sum): what N eager graphs and their averaged outputs give.

NumPy is needed here only: ``pip install 'scalargrad[fast]'``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, Literal

from scalargrad.engine import Value, on_floats
from scalargrad.replay.interpreter import Interpreter
from scalargrad.replay.recording import Recording
from scalargrad.replay.source import Program

try:
    import numpy as np
except ImportError:  # pragma: no cover - exercised in a venv without numpy
    np = None  # type: ignore[assignment]

INSTALL_HINT = "pip install 'scalargrad[fast]'"


class BatchedTape:
    """The graph of one example, replayed over a batch: ``forward(columns)``, then ``backward()``."""

    def __init__(self, output: Value, batch: Sequence[Value]) -> None:
        if np is None:
            raise ImportError(f"compile(batch=...) needs NumPy, which is not installed: {INSTALL_HINT}")
        from scalargrad.replay import on_arrays

        if not isinstance(output, Value):
            raise TypeError(f"compile() needs a Value as output, got {type(output).__name__}: {output!r}")
        self._recording = recording = Recording(output)
        self.batch = _batch_leaves(batch, recording)
        slot = {id(leaf): i for i, leaf in enumerate(recording.leaves)}
        self._batch_slots = [slot[id(leaf)] for leaf in self.batch]
        self._forward, self._backward = Program(recording, varying=self._batch_slots).functions(on_arrays)
        # The slots of numbers all examples share: the other leaves, and the ops computed from them only.
        varies = [slot in self._batch_slots for slot in range(recording.base)]
        varies += [False] * len(recording.nodes)
        for k, inputs in enumerate(recording.parents, recording.base):
            varies[k] = any(varies[i] for i in inputs)
        self._shared_slots = [slot for slot, varying in enumerate(varies) if not varying]
        self._finite_constants = all(math.isfinite(c) for consts in recording.consts for c in consts)
        self._values: tuple[Any, ...] | None = None
        self._extras: tuple[Any, ...] = ()
        self._size = 0
        self._slots: dict[int, int] | None = None  # id(Value) -> slot, made when `values` is first asked

    def __len__(self) -> int:
        """The number of ops per example (each runs once per pass, on the whole batch)."""
        return len(self._recording.nodes)

    def __repr__(self) -> str:
        names = ", ".join(leaf.label or f"leaf {i}" for i, leaf in zip(self._batch_slots, self.batch))
        return f"<BatchedTape: {len(self)} ops per example, batch leaves ({names})>"

    def forward(self, columns: Sequence[Sequence[float]]) -> Any:
        """The N outputs, as a NumPy array, for ``columns``: per batch leaf (in ``batch`` order), N numbers.

        Every other leaf's current ``.data`` is shared by all examples. An op
        that fails for some example (``log`` of a negative) raises the
        exception eager execution would, naming the op and the first failing
        example's index.
        """
        arrays = self._columns(columns)
        leaves: list[Any] = [leaf.data for leaf in self._recording.leaves]
        for slot, column in zip(self._batch_slots, arrays):
            leaves[slot] = column
        self._values = None
        try:
            # NumPy flags what math would raise for (a domain error, a division by zero, an
            # overflow); any flag sends the pass through the slow search for the failing op.
            with np.errstate(all="raise", under="ignore"):
                values, extras = self._forward(tuple(leaves))
            finite = self._finite(values)
        except (ArithmeticError, ValueError):  # FloatingPointError is an ArithmeticError
            finite = False
        if not finite:
            values, extras = self._search(leaves)
        self._values, self._extras = values, extras
        return np.broadcast_to(values[self._recording.output], (self._size,)).astype(float)

    def backward(self, reduce: Literal["mean", "sum"] = "mean") -> None:
        """Add d(reduced output)/d(leaf) into every shared leaf's ``.grad``, for the last `forward`.

        ``reduce="mean"`` differentiates the mean of the N outputs, ``"sum"``
        their sum. The batch leaves' ``.grad`` is left alone: their gradients
        are per example.
        """
        if reduce not in ("mean", "sum"):
            raise ValueError(f"BatchedTape.backward(reduce={reduce!r}): choose 'mean' or 'sum'")
        if self._values is None:
            raise RuntimeError("BatchedTape.backward() needs BatchedTape.forward() first")
        n = self._size
        # One seed per example: each copy of a shared node then collects from every example.
        seed = np.full(n, 1.0 / n if reduce == "mean" else 1.0)
        with np.errstate(all="ignore"):
            grads = self._backward(seed, self._values, self._extras)
        batch = set(self._batch_slots)
        for slot, leaf in enumerate(self._recording.leaves):
            if slot not in batch:
                leaf.grad += float(grads[slot])  # summed over the batch by the program

    def values(self, node: Value) -> Any:
        """The N values ``node`` (any Value of the recorded graph) took in the last `forward`, as an array."""
        if self._values is None:
            raise RuntimeError("BatchedTape.values() needs BatchedTape.forward() first")
        if self._slots is None:
            recording = self._recording
            self._slots = {id(v): slot for slot, v in enumerate([*recording.leaves, *recording.nodes])}
        slot = self._slots.get(id(node))
        if slot is None:
            raise ValueError(f"BatchedTape.values(): {node!r} is not in the recorded graph")
        return np.broadcast_to(self._values[slot], (self._size,)).astype(float)

    def _finite(self, values: tuple[Any, ...]) -> bool:
        """Whether the pass started from finite numbers only, so that every number it made is finite.

        Math raises for some NaN or infinite arguments where NumPy flags
        nothing (``nan / 0``). A NaN or an infinity comes from a column, a
        parameter, a constant, or a number all examples share that Python
        computed without a flag (``w * 1e308 * 10``); from finite numbers,
        NumPy flags whatever is not finite.
        """
        shared = map(values.__getitem__, self._shared_slots)
        columns = map(values.__getitem__, self._batch_slots)
        return self._finite_constants and all(map(math.isfinite, shared)) and all(map(_all_finite, columns))

    def _columns(self, columns: Sequence[Sequence[float]]) -> list[Any]:
        if isinstance(columns, Value | str) or not isinstance(columns, Sequence | np.ndarray):
            raise TypeError(f"BatchedTape.forward() needs one column of numbers per batch leaf, got {columns!r}")
        if len(columns) != len(self.batch):
            hint = " (a list of one column, [[...]], for one batch leaf)" if len(self.batch) == 1 else ""
            raise ValueError(
                f"BatchedTape.forward() needs {len(self.batch)} columns, one per batch leaf{hint}, got {len(columns)}"
            )
        arrays = []
        for leaf, column in zip(self.batch, columns):
            name = leaf.label or "a batch leaf"
            try:
                array = _real_numbers(column)
            except (TypeError, ValueError):
                raise TypeError(f"BatchedTape.forward(): the column for {name} is not numbers: {column!r}") from None
            if array.ndim != 1 or len(array) == 0:
                raise ValueError(f"BatchedTape.forward(): the column for {name} must be 1-D and not empty")
            arrays.append(array)
        sizes = {len(a) for a in arrays}
        if len(sizes) != 1:
            raise ValueError(f"BatchedTape.forward(): the columns differ in length: {[len(a) for a in arrays]}")
        self._size = sizes.pop()
        return arrays

    def _search(self, leaves: list[Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """The pass again, looking for the first example that failed and the op it failed at.

        A failed op gives NaN or infinity. Wherever an op's result is not
        finite, its float rule is run on that example's numbers (math raises
        for some NaN or infinite arguments too: ``sin(inf)``, ``nan / 0``):
        if it raises, so does this, with eager execution's error, naming the
        op and the example. Eager code builds the examples one after another,
        so the error is the first failing example's, at its first failing op
        in the tape's order, whichever op fails first in another example. NaN
        and infinity that eager execution also gives without an error (from an
        input that is NaN, say) are no failure: the pass stands.
        """
        try:
            with np.errstate(all="ignore"):
                values, extras = self._forward(tuple(leaves))
        except (ArithmeticError, ValueError):
            # A number all examples share failed in plain Python: op by op, at the first example.
            first = [leaf[0] if isinstance(leaf, np.ndarray) else leaf for leaf in leaves]
            Interpreter(self._recording, who="BatchedTape.forward()").forward(first)
            raise
        recording = self._recording
        failure: tuple[int, int, Exception, list[float]] | None = None  # example, op, error, arguments
        for k, (rule, inputs, consts) in enumerate(zip(recording.rules, recording.parents, recording.consts)):
            out = np.broadcast_to(values[recording.base + k], (self._size,))
            args = [np.broadcast_to(values[i], (self._size,)) for i in inputs]
            suspect = ~np.isfinite(out)
            # Only an example before the one found so far can change the answer.
            for i in np.flatnonzero(suspect[: self._size if failure is None else failure[0]]):
                numbers_at_i = [float(a[i]) for a in args]
                try:
                    rule(numbers_at_i, consts, on_floats)
                except (ArithmeticError, ValueError) as error:
                    failure = (int(i), k, error, numbers_at_i)
                    break
            if failure is not None and failure[0] == 0:
                break
        if failure is not None:
            example, op, cause, arguments = failure
            shown = ", ".join(map(repr, [*arguments, *recording.consts[op]]))
            raise type(cause)(
                f"BatchedTape.forward(): {recording.describe(op)} fails at example {example}, "
                f"arguments ({shown}): {cause}"
            ) from None
        return values, extras


def _real_numbers(column: Any) -> Any:
    """``column`` as an array of floats, if it holds real numbers (as `Value` takes); else TypeError.

    ``numpy.asarray(..., dtype=float)`` alone would read ``"1.5"`` as 1.5 and ``None`` as NaN.
    """
    array = np.asarray(column)
    if array.dtype.kind not in "biuf" and not (
        array.dtype.kind == "O" and all(isinstance(x, numbers.Real) and not isinstance(x, Value) for x in array.flat)
    ):
        raise TypeError("not real numbers")
    return array.astype(float)


def _all_finite(column: Any) -> bool:
    return bool(np.isfinite(column).all())


def _batch_leaves(batch: Sequence[Value], recording: Recording) -> list[Value]:
    if isinstance(batch, Value) or not isinstance(batch, Sequence):
        raise TypeError(f"compile(batch=...) needs a list of the leaf Values that hold one example, got {batch!r}")
    leaves = {id(leaf) for leaf in recording.leaves}
    found: list[Value] = []
    for i, leaf in enumerate(batch):
        if not isinstance(leaf, Value):
            raise TypeError(f"compile(batch=...) needs Values, got {type(leaf).__name__} at index {i}")
        name = repr(leaf.label) if leaf.label else f"batch[{i}]"
        if leaf.parents:
            raise ValueError(f"compile(batch=...): {name} is computed by an op; a batch leaf must be a leaf")
        if id(leaf) not in leaves:
            raise ValueError(f"compile(batch=...): {name} is not in the graph of the output")
        if any(leaf is other for other in found):
            raise ValueError(f"compile(batch=...): {name} is listed twice")
        found.append(leaf)
    if not found:
        raise ValueError("compile(batch=...) needs at least one batch leaf")
    return found


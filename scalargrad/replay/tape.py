"""Compiled replay: record a graph once, then re-run it on new leaf values.

A training loop builds the same graph every step: the same ops wired the same
way, only the numbers in the leaves (parameters after an update, the next
minibatch) differ. Building it costs a `Value` per node and a walk to sort it.
`compile(output)` walks the graph once and writes it down as a *tape*: the
leaves in a fixed order, then one entry per op, parents before consumers, each
entry holding the op's rule, where its inputs sit and its folded constants.

The tape is a program (`scalargrad.replay.source`): the engine's own rules,
run once on numbers that write Python, give the forward pass as straight-line
code, and the engine's accumulation core, run once the same way, gives the
backward pass. Nothing is restated, so an op added to the engine replays with
no change here; value-dependent ops (relu, abs, max, min) take their branch
from the new values, because it is the same rule deciding; and the gradients
are the floats `Value.backward` computes, in the same order, bit for bit.

Writing the code costs time once, about a second per 100,000 ops, and makes
every pass several times faster. Beyond `CODE_LIMIT` ops (or with
``codegen=False``) the tape runs the same rules and core op by op instead
(`scalargrad.replay.interpreter`): the same floats, recorded in a moment,
replayed at about the speed of building the graph.

    tape = compile(loss)          # once
    for step in range(steps):
        x.data, y.data = ...      # set inputs on the Values the tape recorded
        tape.forward()            # the new loss, as a float
        for p in params:
            p.grad = 0.0
        tape.backward()           # leaves' .grad, as loss.backward() would
        for p in params:
            p.data -= lr * p.grad

Limits:

- The tape replays *one* structure. If Python code that builds the graph
  branches on values (``if x.data > 0: y = x * 2 else: y = x.tanh()``, a loop
  that runs until a value converges, a constant computed from a ``.data``),
  the recorded branch is replayed even when new values would take the other.
  Ops that branch or shift inside the engine (relu, abs, max, min,
  softplus, logsumexp) are fine. To guard against the rest, `Tape.check` rebuilds the graph and raises
  `GraphChangedError` at the first op, wire or constant that differs.
- The tape reads the leaf Values it recorded. New inputs go into their
  ``.data``; a fresh ``Value(x)`` made later is not on the tape (`check`
  reports that too).
- Plain numbers in the graph (``x * 3``, a dot product with a list of floats)
  are constants of the tape: make them leaves if they are to change.
- Interior Values keep the numbers of the eager build until `Tape.sync`
  copies the replayed data, gradients and partials into them (or pass
  ``sync=True`` to do that after every pass).
- A tape runs one pass at a time: ``backward()`` differentiates the last
  ``forward()``, so a tape shared by threads would mix their passes. It
  refuses a ``backward()`` from another thread than that ``forward()``'s;
  give each thread a tape of its own.
- When new values make an op fail, the tape raises the failure of the first
  op in its order (parents before consumers), naming the op. Where two ops
  fail, that can be another op, and another exception type, than the one an
  eager build meets first: Python builds in the order the code is written.
"""


from __future__ import annotations

import numbers
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from scalargrad.engine import Value, on_floats
from scalargrad.engine.rules import registered
from scalargrad.replay.interpreter import Interpreter
from scalargrad.replay.recording import GraphChangedError, Recording, compare
from scalargrad.replay.source import Program

__all__ = ["CODE_LIMIT", "GraphChangedError", "Tape"]

#: The most ops a tape writes out as Python code unless asked (``codegen=True``); bigger ones are interpreted.
CODE_LIMIT = 100_000


class Tape:
    """A recorded graph that recomputes its output and gradients from new leaf values.

    Make one with `compile`. ``forward()`` reads every leaf's current ``.data``
    and returns the output; ``backward()`` then adds gradients into the
    leaves' ``.grad`` just as ``output.backward()`` would on a graph built
    eagerly from the same values.
    """

    def __init__(
        self,
        output: Value,
        *,
        rebuild: Callable[[], Value] | None = None,
        sync: bool = False,
        codegen: bool | None = None,
    ) -> None:
        if not isinstance(output, Value):
            raise TypeError(f"compile() needs a Value as output, got {type(output).__name__}: {output!r}")
        if rebuild is not None and not callable(rebuild):
            raise TypeError(f"compile(rebuild=...) needs a function returning the output, got {rebuild!r}")
        if codegen is not None and not isinstance(codegen, bool):
            raise TypeError(f"compile(codegen=...) needs True, False or None, got {codegen!r}")
        self._recording = recording = Recording(output)
        self._rebuild = rebuild
        self._sync = sync
        self._interpreter = Interpreter(recording)
        self.codegen = len(recording.nodes) <= CODE_LIMIT if codegen is None else codegen
        if self.codegen:
            self._forward, self._backward = Program(recording).functions(on_floats)
        else:
            self._forward, self._backward = self._interpreter.forward, self._interpreter.backward
        # The last pass: forward()'s values and what backward() reads, the thread that ran it,
        # and backward()'s gradients (None until it runs).
        self._pass: tuple[tuple[float, ...], tuple[Any, ...], int] | None = None
        self._grads: tuple[float, ...] | None = None

    # -- what was recorded --------------------------------------------------

    @property
    def leaves(self) -> tuple[Value, ...]:
        """The leaf Values replay reads (parameters and inputs alike), in slot order."""
        return tuple(self._recording.leaves)

    @property
    def output(self) -> Value:
        """The Value the tape was compiled from."""
        recording = self._recording
        return recording.nodes[-1] if recording.nodes else recording.leaves[recording.output]

    def __len__(self) -> int:
        """The number of ops replayed per pass (leaves not counted)."""
        return len(self._recording.nodes)

    def __repr__(self) -> str:
        symbols = registered()
        # '*{c:g}' -> '*c': one count per op, whatever its constant.
        counts = Counter(symbols[r].replace("{c:+g}", "+c").replace("{c:g}", "c") for r in self._recording.rules)
        ops = ", ".join(f"{n} {symbol}" for symbol, n in counts.most_common())
        last = self._pass
        state = "not run" if last is None else f"output {last[0][self._recording.output]:.6g}"
        return f"<Tape: {len(self)} ops ({ops or 'none'}) over {len(self._recording.leaves)} leaves, {state}>"

    # -- replay -------------------------------------------------------------

    def forward(self) -> float:
        """Recompute every op from the leaves' current ``.data``; return the output's value.

        An op that fails on the new values (``log`` of a negative, an overflow)
        raises the same exception type as eager execution, naming the op.
        """
        self._pass = self._grads = None
        leaves = tuple([leaf.data for leaf in self._recording.leaves])
        try:
            values, extras = self._forward(leaves)
        except (ArithmeticError, ValueError, TypeError):
            self._check_leaves(leaves)
            self._interpreter.forward(leaves)  # op by op, to raise the error naming the op
            raise  # it found nothing to name: the error as it came
        self._pass = (values, extras, threading.get_ident())
        if self._sync:
            self.sync()
        return values[self._recording.output]  # type: ignore[no-any-return]

    def backward(self, grad: float = 1.0) -> None:
        """Backpropagate ``grad`` (d(final)/d(output)) through the last `forward`.

        Leaves accumulate into ``.grad`` across calls, as with `Value.backward`;
        interior gradients are kept on the tape (see `sync`).
        """
        last = self._pass
        if last is None:
            raise RuntimeError("Tape.backward() needs Tape.forward() first: the tape has no values to differentiate")
        if not isinstance(grad, numbers.Real):
            raise TypeError(f"Tape.backward(grad) needs a real number, got {type(grad).__name__}: {grad!r}")
        values, extras, thread = last
        if thread != threading.get_ident():
            raise RuntimeError(
                "Tape.backward(): the last Tape.forward() ran in another thread, so this pass is not yours to "
                "differentiate. A tape runs one pass at a time: give each thread a tape of its own."
            )
        self._grads = grads = self._backward(float(grad), values, extras)
        for leaf, g in zip(self._recording.leaves, grads):
            leaf.grad += g
        if self._sync:
            self.sync()

    def sync(self) -> None:
        """Copy the last pass into the interior Values: data, partials, and gradients.

        Afterwards the graph is what an eager build from the current leaves
        would be, so a diagram drawn from it shows current numbers and
        ``output.backward()`` works on it. Gradients come from the last
        `backward` after the last `forward`, else they are 0 (as in a fresh build).
        """
        last = self._pass
        if last is None:
            raise RuntimeError("Tape.sync() needs Tape.forward() first: there are no replayed values to copy")
        values, grads, recording = last[0], self._grads, self._recording
        for slot, node in enumerate(recording.nodes, recording.base):
            rule, inputs = recording.rules[slot - recording.base], recording.parents[slot - recording.base]
            # The partials are not kept by the replayed code: the rule gives them again (the same floats).
            node.data, node._partials = rule([values[i] for i in inputs], node._const, on_floats)
            node.grad = 0.0 if grads is None else grads[slot]

    def _check_leaves(self, leaves: tuple[float, ...]) -> None:
        for i, number in enumerate(leaves):
            if not isinstance(number, numbers.Real):
                raise TypeError(
                    f"Tape.forward(): {self._recording.name(i)} holds {type(number).__name__} {number!r} in .data; "
                    "a Value's data must be a real number"
                )

    # -- guarding against Python control flow -------------------------------

    def check(self, new_output: Value | None = None) -> None:
        """Raise `GraphChangedError` if a freshly built graph differs from the tape.

        Pass the output of a new eager build, or compile with
        ``rebuild=fn`` and call ``check()`` to have ``fn()`` build it. Ops,
        wiring and constants are compared op by op, then the leaves: a new leaf
        Value where the tape reads another is a change (replay would go on
        reading the old one), unless it is a constant the engine made for a
        plain number (``maximum(x, 0.0)`` makes one per build) holding the same number.
        """
        if new_output is None:
            if self._rebuild is None:
                raise TypeError("Tape.check() needs a newly built output, or compile(output, rebuild=fn)")
            new_output = self._rebuild()
        if not isinstance(new_output, Value):
            raise TypeError(f"Tape.check() needs a Value, got {type(new_output).__name__}: {new_output!r}")
        compare(self._recording, Recording(new_output))

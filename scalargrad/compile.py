"""Compiled replay: record a graph once, then re-run it on new leaf values.

A training loop builds the same graph every step: the same ops wired the same
way, only the numbers in the leaves (parameters after an update, the next
minibatch) differ. Building it costs a `Value` per node and a walk to sort it.
`compile(output)` walks the graph once and writes it down as a *tape*: the
leaves in a fixed order, then one entry per op, parents before consumers, each
entry holding the op's rule, where its inputs sit and its folded constants.

Replay runs the engine's own rules (`scalargrad.engine.recipe`), so the tape
never restates a derivative: ``rule(inputs, constants, on_floats)`` returns
the value and the local partials exactly as eager execution does, and an op
added to the engine replays with no change here. Value-dependent ops (relu,
abs, max, min) take their branch from the new values, because it is the same
function deciding. Backward is the engine's accumulation core walking the
tape's slots from the end, in the order `Value.backward` walks the nodes, so
gradients are the same floats, not merely close ones.

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
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import NoReturn

from scalargrad.engine import Value, consumers_first, on_floats, recipe
from scalargrad.engine.accumulate import backpropagate
from scalargrad.engine.rules import Rule, registered

__all__ = ["GraphChangedError", "Tape", "compile"]

#: Reads one op's inputs from the slot list.
Gather = Callable[[list[float]], Sequence[float]]


class GraphChangedError(RuntimeError):
    """A freshly built graph does not match the tape recorded earlier."""


class _Recording:
    """A graph written down as flat lists: what a `Tape` replays and `Tape.check` compares.

    Slots number every Value: the leaves ``0 .. L-1``, then the ops in
    topological order, so the output is the last slot. Replay fills a list in
    exactly that order; each op keeps the slots of its inputs and its folded constants.
    """

    def __init__(self, output: Value) -> None:
        order = consumers_first(output)
        order.reverse()  # parents first: the order ops can be recomputed in
        self.leaves = [node for node in order if not node.parents]
        self.nodes = [node for node in order if node.parents]
        recipes = list(map(recipe, self.nodes))
        self.consts: list[tuple[float, ...]] = [consts for _, consts in recipes]
        self.rules: list[Rule] = []
        for node, (rule, _) in zip(self.nodes, recipes):
            if rule is None:  # parents but no rule: not something the engine makes
                raise TypeError(f"compile(): node {node!r} has parents but no op rule")
            self.rules.append(rule)
        self.base = len(self.leaves)  # slot of the first op
        slot = {id(leaf): i for i, leaf in enumerate(self.leaves)}
        slot.update(zip(map(id, self.nodes), range(self.base, self.base + len(self.nodes))))
        find = slot.__getitem__
        # Many thousands of nodes: map() keeps the per-node work in C.
        self.parents = [tuple(map(find, map(id, node.parents))) for node in self.nodes]
        self.output = slot[id(output)]

    def describe(self, k: int) -> str:
        """Op ``k`` for a message: its symbol, its inputs, and its label if it has one."""
        node = self.nodes[k]
        inputs = ", ".join(self._name(s) for s in self.parents[k])
        label = f" {node.label!r}" if node.label else ""
        return f"op {k}{label}: {node.op!r} on ({inputs})"

    def _name(self, s: int) -> str:
        if s < len(self.leaves):
            leaf = self.leaves[s]
            return f"leaf {s} {leaf.label!r}" if leaf.label else f"leaf {s}"
        return f"op {s - self.base}"


class Tape:
    """A recorded graph that recomputes its output and gradients from new leaf values.

    Make one with `compile`. ``forward()`` reads every leaf's current ``.data``
    and returns the output; ``backward()`` then adds gradients into the
    leaves' ``.grad`` just as ``output.backward()`` would on a graph built
    eagerly from the same values.
    """

    def __init__(self, output: Value, *, rebuild: Callable[[], Value] | None = None, sync: bool = False) -> None:
        if not isinstance(output, Value):
            raise TypeError(f"compile() needs a Value as output, got {type(output).__name__}: {output!r}")
        if rebuild is not None and not callable(rebuild):
            raise TypeError(f"compile(rebuild=...) needs a function returning the output, got {rebuild!r}")
        self._recording = recording = _Recording(output)
        self._rebuild = rebuild
        self._sync = sync
        self._gathers: list[Gather] = list(map(_gather, recording.parents))
        # Per slot, the slots of its inputs: what the accumulation core walks back along.
        self._inputs: list[tuple[int, ...]] = [()] * recording.base + recording.parents
        # Filled by forward() and backward(); None means "not run since the last forward()".
        self._values: list[float] | None = None
        self._partials: list[Sequence[float]] = []
        self._grads: dict[int, float] | None = None

    # -- what was recorded --------------------------------------------------

    @property
    def leaves(self) -> tuple[Value, ...]:
        """The leaf Values replay reads (parameters and inputs alike).

        Their order depends only on the graph's structure, so every build of
        the same structure lists its leaves the same way.
        """
        return tuple(self._recording.leaves)

    @property
    def output(self) -> Value:
        """The Value the tape was compiled from."""
        return self._recording.nodes[-1] if self._recording.nodes else self._recording.leaves[0]

    def __len__(self) -> int:
        """The number of ops replayed per pass (leaves not counted)."""
        return len(self._recording.nodes)

    def __repr__(self) -> str:
        symbols = registered()
        # '*{c:g}' -> '*c': one count per op, whatever its constant.
        counts = Counter(symbols[r].replace("{c:+g}", "+c").replace("{c:g}", "c") for r in self._recording.rules)
        ops = ", ".join(f"{n} {symbol}" for symbol, n in counts.most_common())
        state = "not run" if self._values is None else f"output {self._values[-1]:.6g}"
        return f"<Tape: {len(self)} ops ({ops or 'none'}) over {len(self._recording.leaves)} leaves, {state}>"

    # -- replay -------------------------------------------------------------

    def forward(self) -> float:
        """Recompute every op from the leaves' current ``.data``; return the output's value.

        Keeps each op's partials for `backward`. An op that fails on the new
        values (``log`` of a negative, an overflow) raises the same exception
        type as eager execution, naming the op.
        """
        recording = self._recording
        self._values = self._grads = None
        values = [leaf.data for leaf in recording.leaves]
        partials: list[Sequence[float]] = [()] * recording.base
        # Bound once: attribute lookups inside a loop run per node.
        append_value, append_partials = values.append, partials.append
        try:
            for rule, gather, consts in zip(recording.rules, self._gathers, recording.consts):
                value, local = rule(gather(values), consts, on_floats)
                append_value(value)
                append_partials(local)
        except (ArithmeticError, ValueError) as error:
            k = len(values) - recording.base
            args = ", ".join(map(repr, [*self._gathers[k](values), *recording.consts[k]]))
            message = f"Tape.forward(): {recording.describe(k)}, arguments ({args}): {error}"
            raise type(error)(message) from None
        self._values, self._partials = values, partials
        if self._sync:
            self.sync()
        return values[recording.output]

    def backward(self, grad: float = 1.0) -> None:
        """Backpropagate ``grad`` (d(final)/d(output)) through the last `forward`.

        Leaves accumulate into ``.grad`` across calls, as with `Value.backward`;
        interior gradients are kept on the tape (see `sync`).
        """
        if self._values is None:
            raise RuntimeError("Tape.backward() needs Tape.forward() first: the tape has no values to differentiate")
        if not isinstance(grad, numbers.Real):
            raise TypeError(f"Tape.backward(grad) needs a real number, got {type(grad).__name__}: {grad!r}")
        recording = self._recording
        grads = {recording.output: float(grad)}
        # Slots from last to first, each after every op that consumes it: the order
        # `Value.backward` walks the nodes in, hence the same floats.
        slots = range(len(self._values) - 1, recording.base - 1, -1)
        backpropagate(slots, self._inputs.__getitem__, self._partials.__getitem__, grads)
        for i, leaf in enumerate(recording.leaves):
            leaf.grad += grads.get(i, 0.0)
        self._grads = grads
        if self._sync:
            self.sync()

    def sync(self) -> None:
        """Copy the last pass into the interior Values: data, partials, and gradients.

        Afterwards the graph is what an eager build from the current leaves
        would be, so a diagram drawn from it shows current numbers and
        ``output.backward()`` works on it. Gradients come from the last
        `backward` after the last `forward`, else they are 0 (as in a fresh build).
        """
        if self._values is None:
            raise RuntimeError("Tape.sync() needs Tape.forward() first: there are no replayed values to copy")
        base, values, partials, grads = self._recording.base, self._values, self._partials, self._grads or {}
        for slot, node in enumerate(self._recording.nodes, base):
            node.data = values[slot]
            node._partials = partials[slot]
            node.grad = grads.get(slot, 0.0)

    # -- guarding against Python control flow -------------------------------

    def check(self, new_output: Value | None = None) -> None:
        """Raise `GraphChangedError` if a freshly built graph differs from the tape.

        Pass the output of a new eager build, or compile with
        ``rebuild=fn`` and call ``check()`` to have ``fn()`` build it. Ops,
        wiring and constants are compared op by op, then the leaves: a new
        leaf Value is accepted only if it holds the number the tape's leaf
        holds (a constant the build makes afresh, as ``maximum(x, 0.0)`` does).
        """
        if new_output is None:
            if self._rebuild is None:
                raise TypeError("Tape.check() needs a newly built output, or compile(output, rebuild=fn)")
            new_output = self._rebuild()
        if not isinstance(new_output, Value):
            raise TypeError(f"Tape.check() needs a Value, got {type(new_output).__name__}: {new_output!r}")
        _compare(self._recording, _Recording(new_output))


# Named like torch.compile; it shadows the builtin ``compile`` here, which this module never needs.
def compile(output: Value, *, rebuild: Callable[[], Value] | None = None, sync: bool = False) -> Tape:
    """Record the graph under ``output`` once, for fast replay on new leaf values.

    ``rebuild``, a function that builds the graph again from the current
    leaves, lets `Tape.check` detect a changed structure; ``sync=True``
    copies every pass into the interior Values (slower; see `Tape.sync`).
    """
    return Tape(output, rebuild=rebuild, sync=sync)


def _gather(slots: Sequence[int]) -> Gather:
    # itemgetter with several keys returns a tuple in one C call; with one key it
    # returns a bare item, so a single slot is read as a one-item slice instead.
    if len(slots) == 1:
        return itemgetter(slice(slots[0], slots[0] + 1))
    return itemgetter(*slots)


def _compare(tape: _Recording, new: _Recording) -> None:
    """Raise at the first op, wire, constant or leaf where ``new`` differs from ``tape``."""

    def fail(k: int, what: str) -> NoReturn:
        raise GraphChangedError(
            f"Tape.check(): the graph changed at {what}.\n  tape: {tape.describe(k)}\n  new:  {new.describe(k)}\n"
            "Python code building the graph probably branched on a value; compile the new graph."
        )

    for k, (rule, new_rule) in enumerate(zip(tape.rules, new.rules)):
        if rule is not new_rule:
            fail(k, f"op {k} (a different op)")
        if _wiring(tape, k) != _wiring(new, k):
            fail(k, f"op {k} (different inputs)")
        if not all(map(_same_float, tape.consts[k], new.consts[k])) or len(tape.consts[k]) != len(new.consts[k]):
            fail(k, f"op {k} (different constants {tape.consts[k]} -> {new.consts[k]})")
    if len(tape.nodes) != len(new.nodes):
        raise GraphChangedError(f"Tape.check(): the tape has {len(tape.nodes)} ops, the new graph {len(new.nodes)}")
    for i, (leaf, new_leaf) in enumerate(zip(tape.leaves, new.leaves)):
        # A new leaf holding the recorded number is harmless (a constant made during the build,
        # as maximum(x, 0.0) makes one); one holding another number would be ignored by replay.
        if leaf is not new_leaf and not _same_float(leaf.data, new_leaf.data):
            raise GraphChangedError(
                f"Tape.check(): leaf {i} of the new graph is a new Value, {new_leaf!r}, while the tape "
                f"reads {leaf!r}. Set .data on the recorded leaves (Tape.leaves) instead of making new Values."
            )


def _wiring(recording: _Recording, k: int) -> tuple[tuple[str, int], ...]:
    """Op ``k``'s inputs as (kind, index) pairs, independent of how many constants precede them."""
    n_leaves, base = len(recording.leaves), recording.base
    return tuple(("leaf", s) if s < n_leaves else ("op", s - base) for s in recording.parents[k])


def _same_float(a: float, b: float) -> bool:
    """Equal as stored: 0.0 and -0.0 differ, any NaN equals any NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)

"""A graph written down as flat lists: what a tape replays and `Tape.check` compares."""

from __future__ import annotations

import math
from typing import NoReturn

from scalargrad.engine import Value, consumers_first, recipe
from scalargrad.engine.rules import Rule
from scalargrad.engine.value import is_constant


class GraphChangedError(RuntimeError):
    """A freshly built graph does not match the tape recorded earlier."""

    __module__ = "scalargrad"  # shown where users import it from


class Recording:
    """The graph under ``output`` as slots: the leaves ``0 .. L-1``, then the ops in topological order.

    Each op keeps its rule, the slots of its inputs and its folded constants;
    the output is the last slot (or a leaf, for a graph without ops). The
    leaves' order depends only on the graph's structure, so every build of the
    same structure lists them the same way.
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
        inputs = ", ".join(self.name(s) for s in self.parents[k])
        label = f" {node.label!r}" if node.label else ""
        return f"op {k}{label}: {node.op!r} on ({inputs})"

    def name(self, s: int) -> str:
        """Slot ``s`` for a message: ``leaf 3 'w0'`` or ``op 12``."""
        if s < len(self.leaves):
            leaf = self.leaves[s]
            return f"leaf {s} {leaf.label!r}" if leaf.label else f"leaf {s}"
        return f"op {s - self.base}"


def compare(tape: Recording, new: Recording) -> None:
    """Raise `GraphChangedError` at the first op, wire, constant or leaf where ``new`` differs from ``tape``.

    A new leaf Value in a recorded leaf's place is a change: replay would go on
    reading the recorded one. The exception is a constant the engine made for
    a plain number (``maximum(x, 0.0)`` makes one per build), which is
    accepted when it holds the same number.
    """

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
        if len(tape.consts[k]) != len(new.consts[k]) or not all(map(same_float, tape.consts[k], new.consts[k])):
            fail(k, f"op {k} (different constants {tape.consts[k]} -> {new.consts[k]})")
    if len(tape.nodes) != len(new.nodes):
        raise GraphChangedError(f"Tape.check(): the tape has {len(tape.nodes)} ops, the new graph {len(new.nodes)}")
    for i, (leaf, new_leaf) in enumerate(zip(tape.leaves, new.leaves)):
        if leaf is new_leaf:
            continue
        if is_constant(leaf) and is_constant(new_leaf) and same_float(leaf.data, new_leaf.data):
            continue
        raise GraphChangedError(
            f"Tape.check(): leaf {i} of the new graph is a new Value, {new_leaf!r}, where the tape reads "
            f"{leaf!r}; replay would go on reading the old one. Set .data on the recorded leaves "
            "(Tape.leaves) instead of making new Values, and write constants as plain numbers (x * 0.5), "
            "which fold into their op."
        )


def _wiring(recording: Recording, k: int) -> tuple[tuple[str, int], ...]:
    """Op ``k``'s inputs as (kind, index) pairs."""
    base = recording.base
    return tuple(("leaf", s) if s < base else ("op", s - base) for s in recording.parents[k])


def same_float(a: float, b: float) -> bool:
    """Equal as stored: 0.0 and -0.0 differ, any NaN equals any NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)

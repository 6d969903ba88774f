"""Backpropagation one step at a time: what `Value.backward` does, made visible.

`Value.backward` visits every node after all the nodes that consume it (so its
gradient is complete), asks the node's op for one contribution per input, and
adds each contribution into that input's ``grad``. `backward_steps` replays the
same walk, in the same order and with the same closures, but records each step
instead of writing into the graph, so a learner can watch fan-out nodes
collect their gradient with ``+=`` one path at a time (seed 003: de/db = 2 + 3).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from scalargrad.engine import Value, consumers_first


@dataclass(frozen=True)
class ParentUpdate:
    """What one step sends back to one input of the node.

    ``parent.grad += contribution``, where ``contribution = upstream * local``
    by the chain rule, and ``grad_after`` is the input's gradient once it is in.
    A node that uses the same input twice (``a + a``) has one update per use.
    """

    parent: Value
    #: d(node)/d(parent): the op's local derivative at the forward values.
    local: float
    #: What this step adds into the parent's gradient.
    contribution: float
    #: The parent's gradient after adding, with what earlier steps sent included.
    grad_after: float


@dataclass(frozen=True)
class Step:
    """One node's turn in the backward pass."""

    #: 1-based position in the backward pass.
    index: int
    node: Value
    #: d(root)/d(node), already complete: every consumer of the node went before it.
    upstream: float
    #: One update per parent, in operand order.
    updates: tuple[ParentUpdate, ...]

    def describe(self, name: Callable[[Value], str] | None = None, fmt: str = ".4g") -> str:
        """The step as one line of text, e.g. ``e = c * d, upstream 1: c += 1 × 2 = 2 → 2; ...``.

        ``name`` names a Value (by default its label, else its op in brackets).
        """
        name = name or default_name

        def num(x: float) -> str:
            return format(x + 0.0, fmt)  # + 0.0 turns -0.0 into 0.0

        inputs = _formula(self.node.op, [name(p) for p in self.node.parents])
        parts = [
            f"{name(u.parent)} += {num(self.upstream)} × {num(u.local)} = {num(u.contribution)} → {num(u.grad_after)}"
            for u in self.updates
        ]
        return f"step {self.index}: {name(self.node)} = {inputs}, upstream {num(self.upstream)}: " + "; ".join(parts)


def _formula(op: str, inputs: list[str]) -> str:
    """How the node was computed: ``c * d``, ``b+1`` (a folded constant), ``1/b``, ``exp(x)``."""
    if len(inputs) == 2 and not op[0].isalpha():
        return f"{inputs[0]} {op} {inputs[1]}"
    if len(inputs) == 1 and not op[0].isalpha():
        # The constant sits on the side it was written on: "*3" follows x, "1/" precedes it.
        return f"{op}{inputs[0]}" if op[-1] in "+-*/" else f"{inputs[0]}{op}"
    return f"{op}({', '.join(inputs)})"


def default_name(value: Value) -> str:
    """A Value's label, or its op in brackets for an unlabeled one."""
    if value.label:
        return value.label
    return f"({value.op})" if value.op else "(leaf)"


def backward_steps(root: Value, grad: float = 1.0) -> Iterator[Step]:
    """Yield each step of ``root.backward(grad)``, in the order it runs, without running it.

    Gradients start from zero everywhere (as after zeroing them) and live in
    this generator, so the ``.grad`` fields of the graph are left as they were.
    The contributions come from each node's own backward closure, the one
    `Value.backward` calls, and the local derivative is that closure's answer
    for an upstream gradient of 1: every closure is linear in the upstream
    gradient, so this is exactly d(node)/d(parent), with no formula repeated
    here and no rounding from dividing a contribution by its upstream.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps() needs a Value as root, got {type(root).__name__}")
    if isinstance(grad, bool) or not isinstance(grad, numbers.Real):
        raise TypeError(f"backward_steps(grad) needs a real number, got {type(grad).__name__}")
    return _steps(root, float(grad))


def _steps(root: Value, grad: float) -> Iterator[Step]:
    order = consumers_first(root)
    grads = dict.fromkeys(order, 0.0)
    grads[root] = grad
    index = 0
    for node in order:
        backward = node._backward
        if backward is None:
            continue
        upstream = grads[node]
        updates = []
        for parent, contribution, local in zip(node.parents, backward(upstream), backward(1.0)):
            grads[parent] += contribution
            updates.append(ParentUpdate(parent, local, contribution, grads[parent]))
        index += 1
        yield Step(index, node, upstream, tuple(updates))

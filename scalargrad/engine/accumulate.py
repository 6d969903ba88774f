"""The accumulation core: the chain rule over a whole graph, backwards and forwards.

Every way of differentiating in scalargrad runs through these two loops:
`Value.backward`, `grad` (also with ``create_graph=True``), `jvp`,
`jacobian`, `hessian`, the step-throughs, the diagrams' wires and compiled
replay. What differs between them is only

* what a node is: a `Value`, or a slot number on a tape;
* where its partials come from: the floats its rule returned when the node
  was made, or the rule evaluated again on Values (for a gradient that is
  itself differentiable);
* how two numbers multiply and add (`Arithmetic`): plain ``*`` and ``+``, or
  the Value versions that skip multiplying by 1;
* where the gradients live: always a dict here, so asking for a gradient
  never writes into the graph. `Value.backward` copies the dict into ``.grad``.

Reverse mode, `backpropagate`, visits each node after every node that
consumes it and does ``grad[parent] += grad[node] * partial``: one backward
sweep gives the gradient of one output with respect to every input. Forward
mode, `push_tangents`, visits each node after its inputs and does
``tangent[node] += partial * tangent[parent]``: one forward sweep gives the
derivative of every node with respect to one seeded input (seed 003 compares
the two costs).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, NamedTuple, TypeVar

K = TypeVar("K", bound=Hashable)
#: A float, a Value or an array: whatever the gradients are made of.
Num = Any


class Arithmetic(NamedTuple):
    """How the core multiplies a gradient by a partial, and adds two contributions."""

    times: Callable[[Num, Num], Num]
    plus: Callable[[Num, Num], Num]


FLOATS = Arithmetic(operator.mul, operator.add)


#: Called with each node as the sweep reaches it (what the step-through records).
Visit = Callable[..., None]


def backpropagate(
    order: Iterable[K],
    inputs: Callable[[K], Sequence[K]],
    partials: Callable[[K], Sequence[Num]],
    grads: dict[K, Num],
    arithmetic: Arithmetic = FLOATS,
    visit: Visit | None = None,
) -> None:
    """Reverse mode: push each gradient in ``grads`` back to the inputs, node by node.

    ``order`` lists nodes consumers first (`consumers_first`), so a node's
    gradient is complete when its turn comes. For each node that has inputs
    and a gradient, this adds ``gradient * partials[i]`` into ``grads`` for
    input ``i``: ``+=``, because a node feeding several consumers collects from
    each. A node with nothing in ``grads`` sends nothing (it is not under the
    output, or only zero flowed to it). ``visit(node, gradient, partials)``, if
    given, sees each node just before its contributions land.
    """
    get = grads.get
    times, plus = arithmetic
    for node in order:
        parents = inputs(node)
        if not parents:
            continue
        upstream = get(node)
        if upstream is None:
            continue
        slopes = partials(node)
        if visit is not None:
            visit(node, upstream, slopes)
        if len(parents) == 1:  # most nodes have one input: skip building a zip (the hot path)
            parent, slope = parents[0], slopes[0]
            before = get(parent)
            grads[parent] = times(upstream, slope) if before is None else plus(before, times(upstream, slope))
            continue
        for parent, slope in zip(parents, slopes):
            before = get(parent)
            grads[parent] = times(upstream, slope) if before is None else plus(before, times(upstream, slope))


def push_tangents(
    order: Iterable[K],
    inputs: Callable[[K], Sequence[K]],
    partials: Callable[[K], Sequence[Num]],
    tangents: dict[K, Num],
    arithmetic: Arithmetic = FLOATS,
    visit: Visit | None = None,
) -> None:
    """Forward mode: carry the tangents in ``tangents`` (the seeds) forward, node by node.

    ``order`` lists nodes parents first (`parents_first`). Each node with
    inputs that is not a seed gets ``sum_i partials[i] * tangent[input i]``
    over the inputs that carry a tangent; a node no tangent reaches gets none
    (it does not depend on the seeds, and its partials are never computed).
    ``visit(node, tangent)``, if given, sees each such node once its tangent
    is known (None where none reached it).
    """
    get = tangents.get
    times, plus = arithmetic
    for node in order:
        parents = inputs(node)
        if not parents or node in tangents:
            continue
        carried = [get(parent) for parent in parents]
        tangent = None
        if any(t is not None for t in carried):
            for slope, t in zip(partials(node), carried):
                if t is not None:
                    term = times(slope, t)
                    tangent = term if tangent is None else plus(tangent, term)
            tangents[node] = tangent
        if visit is not None:
            visit(node, tangent)

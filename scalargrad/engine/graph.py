"""Orders of a graph's nodes: the order backpropagation visits them in, and its reverse."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, TypeVar


class Node(Protocol):
    """Anything with ``parents``: the inputs of the op that made it (none for a leaf)."""

    @property
    def parents(self) -> Sequence[Node]: ...


N = TypeVar("N", bound=Node)


def consumers_first(roots: N | Iterable[N]) -> list[N]:
    """Every node under ``roots``, each after all the nodes that consume it.

    This is the reverse of a topological order, the order backward runs in:
    when a node's turn comes, every path from it to a root has sent its
    gradient already. ``roots`` is one node or several (a Jacobian's outputs).

    An iterative depth-first search, so depth is no limit: a node is pushed,
    then a ``None`` marker, then its parents; popping the marker means all its
    parents are finished, and the node is emitted.
    """
    order: list[N] = []
    seen: set[N] = set()
    stack: list[N | None] = list(roots) if isinstance(roots, Iterable) else [roots]
    stack.reverse()  # popped in the order given: the first root's graph comes first in a topological order
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())  # type: ignore[arg-type]  # a marker always follows its node
            continue
        if node in seen:
            continue
        seen.add(node)
        if not node.parents:
            order.append(node)
            continue
        stack.append(node)
        stack.append(None)
        for parent in node.parents:
            if parent not in seen:
                stack.append(parent)  # type: ignore[arg-type]  # a node's parents are nodes of its kind
    order.reverse()
    return order


def parents_first(roots: N | Iterable[N]) -> list[N]:
    """Every node under ``roots`` in a topological order: each after all of its inputs (forward mode's order)."""
    order = consumers_first(roots)
    order.reverse()
    return order


def reading_order(root: N) -> list[N]:
    """Every node under ``root`` in the topological order a reader writes the expression in.

    Each node comes after its inputs, and the first operand's whole subtree
    comes before the second's: ``a, b, c, d, e`` for ``e = (a + b) * (b + 1)``
    with ``c = a + b``, ``d = b + 1`` (`parents_first` gives ``b, d, a, c, e``,
    the reverse of the order backward visits). Diagrams are laid out in it, so
    the first operand is drawn on top, and generated names (``t1, t2, ...``)
    count along it. It is not the order any sweep runs in.

    A depth-first walk that keeps, for each open node, an iterator over its
    remaining inputs: a node is finished when that iterator runs out.
    """
    order: list[N] = []
    seen: set[N] = {root}
    open_nodes: list[tuple[N, Iterator[N]]] = [(root, iter(root.parents))]  # type: ignore[arg-type]
    while open_nodes:
        node, inputs = open_nodes[-1]
        for parent in inputs:
            if parent not in seen:
                seen.add(parent)
                open_nodes.append((parent, iter(parent.parents)))  # type: ignore[arg-type]
                break
        else:
            open_nodes.pop()
            order.append(node)
    return order

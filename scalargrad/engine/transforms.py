"""Derivatives as functions, after JAX and ``torch.func``: `grad`, `jvp`, `jacobian`, `hessian`.

`grad` asks a built graph for gradients without writing into it; with
``create_graph=True`` the gradients are Values whose graphs can be
differentiated again, to any order. The others are called as `gradcheck`
is: with a function ``f`` and the numbers ``xs`` to evaluate it at; ``f``
receives one Value per number.

Reverse and forward mode share every op's partials (`scalargrad.engine.rules`)
and differ in direction only: a backward sweep gives one output's derivative
with respect to every input, a forward sweep every output's derivative with
respect to one input. `jacobian` does either, so the two costs can be
compared on one function (seed 003).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, overload

from scalargrad.engine import on_values
from scalargrad.engine.accumulate import FLOATS, backpropagate, push_tangents
from scalargrad.engine.graph import consumers_first, parents_first
from scalargrad.engine.value import _PARENTS, _PARTIALS, Value, _constant, freeze, identity, is_constant, recording

Point = Sequence[Value | float]


@overload
def grad(output: Value, inputs: Iterable[Value], *, create_graph: Literal[False] = False) -> list[float]: ...
@overload
def grad(output: Value, inputs: Iterable[Value], *, create_graph: Literal[True]) -> list[Value]: ...
@overload
def grad(output: Value, inputs: Iterable[Value], *, create_graph: bool) -> list[float] | list[Value]: ...


def grad(output: Value, inputs: Iterable[Value], *, create_graph: bool = False) -> list[float] | list[Value]:
    """d(output)/d(x) for each ``x`` in ``inputs``; no ``.grad`` in the graph is read or written.

    ``inputs`` may be any Values, leaves or not, in the graph or not (0 then).
    With ``create_graph=True`` each gradient is a Value built from the ops'
    partials evaluated on Values, so ``grad`` can be applied to it again: a
    second derivative, a Hessian's row, a Newton step::

        x = Value(2.0)
        for _ in range(10):
            y = x**4 - 2 * x**2
            (dy,) = grad(y, [x], create_graph=True)   # 4x^3 - 4x, a graph
            (ddy,) = grad(dy, [x])                   # 12x^2 - 4, a number
            x = Value(x.data - dy.data / ddy)        # converges to 1.0
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad() needs a Value as output, got {type(output).__name__}")
    xs = _values(inputs, "grad", "inputs")
    grads: dict[Value, Any] = {output: 1.0}
    if create_graph:
        with recording():
            backpropagate(consumers_first(output), _PARENTS, on_values.partials, grads, on_values.ARITHMETIC)
        return [g if isinstance(g, Value) else Value(g) for g in (grads.get(x, 0.0) for x in xs)]
    backpropagate(consumers_first(output), _PARENTS, _PARTIALS, grads, FLOATS)
    return [grads.get(x, 0.0) for x in xs]


def jvp(f: Callable[..., Value], primals: Point, tangents: Sequence[Value | float]) -> tuple[Any, Any]:
    """``(f(primals), d/dt f(primals + t * tangents) at t = 0)``: forward mode, one sweep.

    The directional derivative of ``f`` along ``tangents``, without a backward
    pass. Each result is a float, or a Value when it depends on Values from
    outside ``f`` (a primal or tangent given as a Value, or a Value ``f``
    closes over): then it stays in the graph, so a `jvp` inside the ``f`` of
    another `jvp`, or a gradient taken through one, differentiates correctly.
    (A ``Value(2.0)`` that ``f`` makes itself counts as one from outside, as
    jvp cannot tell it from a parameter: write the plain number ``2.0``.)
    Each call's inputs are nodes of its own, so nested derivatives never
    confuse their variables: d/dx [x · d/dy (x + y)] is 1.
    """
    at = _sequence(primals, "jvp", "primals")
    directions = _sequence(tangents, "jvp", "tangents")
    if len(at) != len(directions):
        raise ValueError(f"jvp() needs one tangent per primal, got {len(at)} primals and {len(directions)} tangents")
    for what, items in (("primals", at), ("tangents", directions)):
        for i, item in enumerate(items):
            if not isinstance(item, Value) and _constant(item) is None:
                raise TypeError(f"jvp() needs {what} as Values or real numbers, got {type(item).__name__} at index {i}")
    # A Value primal enters through a node of its own: seeding that node, not the Value,
    # leaves any other use of the Value (say, inside f's closure) unperturbed.
    inputs = [identity(p) if isinstance(p, Value) else Value(p, f"x{i}") for i, p in enumerate(at)]
    try:
        with recording():
            out = f(*inputs)
            if not isinstance(out, Value):
                raise TypeError(f"jvp() needs f to return a Value, got {type(out).__name__}")
            order = parents_first(out)
            ours = set(inputs)
            # Leaves from outside f: not ours, and not constants made for plain numbers (maximum(x, 0.0)
            # makes one; so does an inner jvp for its primals, once it is done).
            outside = any(isinstance(v, Value) for v in [*at, *directions]) or any(
                not node.parents and node not in ours and not is_constant(node) for node in order
            )
            seeds = {x: t if isinstance(t, Value) else float(t) for x, t in zip(inputs, directions)}
            if not outside:
                push_tangents(order, _PARENTS, _PARTIALS, seeds, FLOATS)
                return out.data, seeds.get(out, 0.0)
            # Partials as Values: the tangent keeps its dependence on the Values from outside.
            push_tangents(order, _PARENTS, on_values.partials, seeds, on_values.ARITHMETIC)
        return out, seeds.get(out, 0.0)
    finally:
        # Seen from outside, the points this call perturbed are now plain numbers it was given.
        for x in inputs:
            if not x.parents:
                freeze(x)


def jacobian(
    f: Callable[..., Value | Sequence[Value]], xs: Point, mode: Literal["reverse", "forward"] = "reverse"
) -> list[list[float]]:
    """The matrix of d(output_i)/d(x_j) of ``f`` at ``xs``, one row per output.

    ``f`` receives one Value per number in ``xs`` and returns a Value or a list
    of them (plain numbers are constant outputs). ``mode="reverse"`` runs one
    backward sweep per output, ``mode="forward"`` one forward sweep per input,
    both over the one graph ``f`` built: the same matrix, at different costs.
    """
    if mode not in ("reverse", "forward"):
        raise ValueError(f"jacobian(mode={mode!r}): choose 'reverse' or 'forward'")
    leaves = points(xs, "jacobian")
    with recording():
        built = f(*leaves)
    outputs = [built] if isinstance(built, Value) else _sequence(built, "jacobian", "f's outputs")
    for i, out in enumerate(outputs):
        if not isinstance(out, Value) and _constant(out) is None:
            raise TypeError(f"jacobian() needs f to return Values or numbers, got {type(out).__name__} at index {i}")
    if mode == "reverse":
        return [grad(out, leaves) if isinstance(out, Value) else [0.0] * len(leaves) for out in outputs]
    order = parents_first([out for out in outputs if isinstance(out, Value)])
    columns = []
    for leaf in leaves:
        tangents: dict[Value, float] = {leaf: 1.0}
        push_tangents(order, _PARENTS, _PARTIALS, tangents, FLOATS)
        columns.append([tangents.get(out, 0.0) if isinstance(out, Value) else 0.0 for out in outputs])
    return [list(row) for row in zip(*columns)] if columns else [[] for _ in outputs]


def hessian(f: Callable[..., Value], xs: Point) -> list[list[float]]:
    """The matrix of second derivatives d²f/dx_i dx_j of ``f`` at ``xs``.

    The gradient is taken with ``create_graph=True``, then each of its entries
    is differentiated again: reverse over reverse, n + 1 backward sweeps.
    """
    leaves = points(xs, "hessian")
    with recording():
        out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"hessian() needs f to return a Value, got {type(out).__name__}")
    return [grad(g, leaves) for g in grad(out, leaves, create_graph=True)]


def points(xs: Point, name: str) -> list[Value]:
    """Fresh leaves for the numbers ``xs`` (a Value gives its number and label), labelled x0, x1, ..."""
    leaves = []
    for i, x in enumerate(_sequence(xs, name, "xs")):
        if isinstance(x, Value):
            leaves.append(Value(x.data, x.label or f"x{i}"))
            continue
        number = _constant(x)
        if number is None:
            raise TypeError(f"{name}() needs xs as Values or real numbers, got {type(x).__name__} at index {i}")
        leaves.append(Value(number, f"x{i}"))
    return leaves


def _values(items: Iterable[Value], name: str, what: str) -> list[Value]:
    found = _sequence(items, name, what)
    for i, x in enumerate(found):
        if not isinstance(x, Value):
            raise TypeError(f"{name}() needs Values as {what}, got {type(x).__name__} at index {i}: {x!r}")
    return found


def _sequence(items: Iterable[Any], name: str, what: str) -> list[Any]:
    """``items`` as a list, read once (an iterator works), or a TypeError naming the function."""
    if isinstance(items, Value | str) or not isinstance(items, Iterable):
        raise TypeError(f"{name}() needs {what} as a list, got {type(items).__name__}")
    return list(items)


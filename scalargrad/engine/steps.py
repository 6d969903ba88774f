"""Differentiation one step at a time, in both directions: what the sweeps do, made visible.

`backward_steps` follows `Value.backward`: each node, after every node that
consumes it (so its gradient is complete), sends ``upstream × local`` back to
each input, where it is added with ``+=``; a learner watches fan-out nodes
collect their gradient one path at a time (seed 003: de/db = 2 + 3).

`forward_steps` follows forward mode: each node, after its inputs, adds up
``local × tangent`` over its inputs, carrying the derivative with respect to
the seeded input forward (seed 003's other sweep: one per input).

Both run the engine's accumulation core on its own partials, keeping the
numbers in the steps rather than in the graph, so ``.grad`` is left as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from scalargrad.engine.accumulate import backpropagate, push_tangents
from scalargrad.engine.graph import consumers_first, parents_first, reading_order
from scalargrad.engine.value import _PARENTS, _PARTIALS, Value, _constant


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
    #: How the sweep names nodes (see `NodeNames`): what `describe` writes by default.
    names: Callable[[Value], str] = field(default=lambda v: default_name(v), repr=False, compare=False)

    def describe(self, name: Callable[[Value], str] | None = None, fmt: str = ".4g") -> str:
        """The step as one line of text, e.g. ``e = c * d, upstream 1: c += 1 × 2 = 2 → 2; ...``.

        ``name`` names a Value; by default the sweep's names: a label, else a
        variable name given to ``backward_steps(names=...)``, else ``out`` for
        the root and ``t1, t2, ...`` for the other nodes (see `NodeNames`).
        """
        name = name or self.names

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
    """A Value's label, or its op in brackets for an unlabeled one (a Step made by hand names nodes so)."""
    if value.label:
        return value.label
    return f"({value.op})" if value.op else "(leaf)"


class NodeNames:
    """One name for every node under a root, unique and the same in every run: what steps and diagrams call them.

    The rule, everywhere (step lines, captions, diagrams, the command line):

    1. a node's ``label``;
    2. else the first variable name bound to it in ``names`` (``locals()``;
       names starting with ``_`` are skipped);
    3. else ``out`` for the root, ``t1, t2, ...`` for the other results of an
       op, numbered in topological order (inputs first), and ``v1, v2, ...``
       for unnamed leaves (constants a function lifted, say).

    A generated name never repeats one in use (a label ``t1`` pushes the
    numbering on to ``t2``), and a label that several nodes share (every
    sample's ``layer1.neuron0`` in a batch) gets ``#2``, ``#3``, ... on its
    later nodes, so that no two nodes are ever called alike. `given` says
    whether a name was given (rules 1 and 2) or made up here.
    """

    def __init__(self, root: Value, names: Mapping[str, object] | None = None) -> None:
        bound: dict[int, str] = {}
        for name, obj in (names or {}).items():
            if isinstance(obj, Value) and not name.startswith("_"):
                bound.setdefault(id(obj), name)
        self.root = root
        order = reading_order(root)
        for node in order:
            # `label` is checked when a Value is made, not when it is assigned (that would slow
            # every op): a label set by hand to a non-string is caught here, where names are read.
            if not isinstance(node.label, str):
                made = f"op {node.op!r}" if node.parents else "a leaf"
                raise TypeError(
                    f"a Value's label must be a str: the node with data {node.data!r} ({made}) has "
                    f"{type(node.label).__name__} {node.label!r} as its label"
                )
        given = [node.label or bound.get(id(node), "") for node in order]
        taken = set(given)
        self._names: dict[Value, str] = {}
        self._given: set[Value] = set()
        seen: dict[str, int] = {}
        counters = {"t": 0, "v": 0}
        for node, name in zip(order, given):
            if name:
                seen[name] = seen.get(name, 0) + 1
                if seen[name] > 1:
                    name, _ = _fresh(f"{name}#", seen[name], taken)
                self._given.add(node)
            elif node is root:
                name, _ = _fresh("out", 0, taken)
            else:
                prefix = "t" if node.parents else "v"
                name, counters[prefix] = _fresh(prefix, counters[prefix] + 1, taken)
            taken.add(name)
            self._names[node] = name

    def __call__(self, value: Value) -> str:
        """The node's name; a Value from outside the graph gets `default_name`."""
        return self._names.get(value) or default_name(value)

    def given(self, value: Value) -> bool:
        """Whether the node's name is its label or a variable name, rather than one made up here."""
        return value in self._given

    def __iter__(self) -> Iterator[Value]:
        """The nodes in topological order (inputs first)."""
        return iter(self._names)


def _fresh(stem: str, number: int, taken: set[str]) -> tuple[str, int]:
    """``stem`` and the first number from ``number`` on (0: none) that make a name not yet taken."""
    while (name := f"{stem}{number or ''}") in taken:
        number += 1
    return name, number


def backward_steps(root: Value, grad: float = 1.0, *, names: Mapping[str, object] | None = None) -> Iterator[Step]:
    """Yield each step of ``root.backward(grad)``, in the order it runs, without running it.

    Gradients start from zero everywhere (as after zeroing them) and live in
    this generator, so the ``.grad`` fields of the graph are left as they were.
    The walk is the accumulation core's, on the partials each op recorded: the
    same order, the same products, the same sums as `Value.backward`.
    ``names`` (e.g. ``locals()``) names unlabelled Values in `Step.describe`;
    the rest are named by `NodeNames`' rule (``out``, ``t1``, ``t2``, ...).
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps() needs a Value as root, got {type(root).__name__}")
    seed = _real(grad, "backward_steps(grad)")
    return _backward(root, seed, NodeNames(root, names))


def _backward(root: Value, grad: float, names: NodeNames) -> Iterator[Step]:
    grads: dict[Value, float] = {root: grad}
    steps: list[Step] = []

    def record(node: Value, upstream: float, partials: Sequence[float]) -> None:
        # Called just before the core adds this node's contributions: the step shows them
        # landing one use at a time (a + a sends to a twice), as `before + contribution`.
        landed: dict[Value, float] = {}
        updates = []
        for parent, local in zip(node.parents, partials):
            contribution = upstream * local
            before = landed.get(parent, grads.get(parent))
            landed[parent] = after = contribution if before is None else before + contribution
            updates.append(ParentUpdate(parent, local, contribution, after))
        steps.append(Step(len(steps) + 1, node, upstream, tuple(updates), names))

    backpropagate(consumers_first(root), _PARENTS, _PARTIALS, grads, visit=record)
    return iter(steps)


@dataclass(frozen=True)
class TangentTerm:
    """What one input adds to a node's tangent in forward mode: ``local × tangent``."""

    parent: Value
    #: d(node)/d(parent): the op's local derivative at the forward values.
    local: float
    #: d(parent)/d(seed): the input's tangent, complete since inputs go first.
    tangent: float
    #: ``local * tangent``, this input's share of the node's tangent.
    contribution: float


@dataclass(frozen=True)
class TangentStep:
    """One node's turn in the forward-mode sweep."""

    #: 1-based position in the sweep (topological order).
    index: int
    node: Value
    #: d(node)/d(seed): the sum of the terms.
    tangent: float
    #: One term per input, in operand order.
    terms: tuple[TangentTerm, ...]
    #: How the sweep names nodes (see `NodeNames`): what `describe` writes by default.
    names: Callable[[Value], str] = field(default=lambda v: default_name(v), repr=False, compare=False)

    def describe(self, name: Callable[[Value], str] | None = None, fmt: str = ".4g") -> str:
        """The step as one line, e.g. ``step 3: e = c * d, tangent 2 × 1 + 3 × 1 = 5``."""
        name = name or self.names

        def num(x: float) -> str:
            return format(x + 0.0, fmt)

        inputs = _formula(self.node.op, [name(p) for p in self.node.parents])
        sum_ = " + ".join(f"{num(t.local)} × {num(t.tangent)}" for t in self.terms)
        return f"step {self.index}: {name(self.node)} = {inputs}, tangent {sum_} = {num(self.tangent)}"


def forward_steps(
    root: Value, seeds: Mapping[Value, float], *, names: Mapping[str, object] | None = None
) -> Iterator[TangentStep]:
    """Yield each step of forward mode from ``seeds`` (leaf -> tangent, e.g. ``{b: 1.0}``) to ``root``.

    Every node under ``root`` that is not seeded gets one step, inputs before
    the nodes that use them; its tangent is d(node)/d(seeded input) (for one
    seed of 1; in general the directional derivative along the seeds). The
    last step is the root's: on seed 003's ``e = (a + b)(b + 1)`` at a = 2,
    b = 1, ``{b: 1.0}`` ends with 5 and ``{a: 1.0}`` with 2. Nodes nothing
    flows to still get a step, with tangent 0. ``names`` is as for `backward_steps`.
    """
    if not isinstance(root, Value):
        raise TypeError(f"forward_steps() needs a Value as root, got {type(root).__name__}")
    if not isinstance(seeds, Mapping):
        raise TypeError(f"forward_steps() needs seeds as a mapping of Value -> tangent, got {type(seeds).__name__}")
    tangents: dict[Value, float] = {}
    for node, tangent in seeds.items():
        if not isinstance(node, Value):
            raise TypeError(f"forward_steps() needs Values as the keys of seeds, got {type(node).__name__}")
        tangents[node] = _real(tangent, "forward_steps(seeds)")
    return _forward(root, tangents, NodeNames(root, names))


def _forward(root: Value, tangents: dict[Value, float], names: NodeNames) -> Iterator[TangentStep]:
    steps: list[TangentStep] = []

    def record(node: Value, tangent: float | None) -> None:
        terms = []
        for parent, local in zip(node.parents, node._partials):
            carried = tangents.get(parent, 0.0)
            terms.append(TangentTerm(parent, local, carried, local * carried))
        steps.append(TangentStep(len(steps) + 1, node, 0.0 if tangent is None else tangent, tuple(terms), names))

    push_tangents(parents_first(root), _PARENTS, _PARTIALS, tangents, visit=record)
    return iter(steps)


def _real(x: object, what: str) -> float:
    number = _constant(x)
    if number is None or isinstance(x, bool):
        raise TypeError(f"{what} needs a real number, got {type(x).__name__}: {x!r}")
    return number

"""The catalogue: every registered rule runs in every mode, and the modes agree.

`scalargrad.engine.rules.registered()` lists every op's rule. For each, a node
made by that rule (`backends.OPS`, one entry per way of reaching a rule,
including the internal ``identity`` that `jvp` puts in front of a Value primal)
must work

* on floats (eager): the rule on its parents' numbers gives the node's value,
  which matches the op's plain-float reference, and backpropagation through it
  matches central differences of that reference;
* on Values (`scalargrad.engine.on_values`, what ``grad(create_graph=True)``
  uses): the rule gives Values or floats whose numbers are exactly the float
  partials (the same float operations in the same order), and whose own
  gradients match central differences of the float partials;
* forward: `jvp` (floats in, and Values in, which takes the Value path) and
  `forward_steps` through the node give the directional derivative reverse
  mode gives.

A rule added to the engine without an entry in `backends.OPS` fails
`test_every_registered_rule_has_a_node_here`, so a new op cannot skip a mode.

Tolerances: reference values 1e-13 relative (one op, correctly rounded
functions); central differences (step 1e-6) 1e-6 relative or 1e-8 absolute,
as tests/test_compile.py uses for one op; forward against reverse mode 1e-12
relative, which is rounding in a sum of at most a few products.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Sequence

import pytest
from backends import OPS, Op
from conftest import in_ci

import scalargrad as sg
from scalargrad import Value
from scalargrad.engine import consumers_first, forward_steps, on_floats, on_values, recipe
from scalargrad.engine.rules import identity as identity_rule
from scalargrad.engine.rules import registered

POINTS = ([0.7, 1.3, 0.4, 1.1, 0.9], [1.9, 0.6, 1.2, 0.35, 1.5])  # max and min take the other input at the second
CONSTS = (2.0, 0.5, 1.25)
TANGENT = (0.3, -1.1, 0.7, 0.5, -0.2)
STEP = 1e-6


def build(op: Op, leaves: Sequence[Value]) -> Value:
    return op.build(leaves[: op.values], CONSTS[: op.consts])


def central(f: Callable[[list[float]], float], x: Sequence[float], i: int) -> float:
    up, down = list(x), list(x)
    up[i] += STEP
    down[i] -= STEP
    return (f(up) - f(down)) / (2 * STEP)


def close(ours: float, oracle: float) -> bool:
    return math.isclose(ours, oracle, rel_tol=1e-6, abs_tol=1e-8)


def test_every_registered_rule_has_a_node_here() -> None:
    """Enumerates the engine's rules: one without an entry in backends.OPS is listed by its symbol."""
    reached = {recipe(build(op, [Value(x) for x in POINTS[0]]))[0] for op in OPS.values()}
    missing = [symbol for rule, symbol in registered().items() if rule not in reached]
    assert not missing, f"rules no catalogue entry reaches (add them to backends.OPS): {missing}"


@pytest.mark.parametrize("point", POINTS, ids=["a", "b"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_on_floats_value_and_gradient(name: str, point: list[float]) -> None:
    """Eager: the rule on floats is the node; its value is the reference's, its gradient central differences'."""
    op = OPS[name]
    leaves = [Value(x) for x in point[: op.values]]
    node = build(op, leaves)
    rule, constants = recipe(node)
    assert rule is not None
    value, partials = rule([p.data for p in node.parents], constants, on_floats)
    assert value == node.data and list(partials) == list(node.partials)
    at, consts = point[: op.values], CONSTS[: op.consts]
    assert math.isclose(value, op.ref(at, consts), rel_tol=1e-13)
    for i, g in enumerate(sg.grad(node, leaves)):
        expected = central(lambda x: op.ref(x, consts), at, i)
        assert close(g, expected), (name, i, g, expected)


@pytest.mark.parametrize("point", POINTS, ids=["a", "b"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_on_values_partials_are_the_float_partials_as_graphs(name: str, point: list[float]) -> None:
    """On Values: the same numbers, exactly, and each partial's gradient matches central differences."""
    op = OPS[name]
    leaves = [Value(x) for x in point[: op.values]]
    node = build(op, leaves)
    rule, constants = recipe(node)
    assert rule is not None
    value, partials = rule(node.parents, constants, on_values)
    assert (value.data if isinstance(value, Value) else value) == node.data
    assert all(isinstance(p, Value | float) for p in partials)
    assert [p.data if isinstance(p, Value) else p for p in partials] == list(node.partials)
    assert [p.data if isinstance(p, Value) else p for p in on_values.partials(node)] == list(node.partials)

    def float_partial(k: int) -> Callable[[list[float]], float]:
        return lambda x: build(op, [Value(v) for v in x]).partials[k]

    for k, partial in enumerate(partials):
        if not isinstance(partial, Value):
            continue  # a constant partial: nothing to differentiate
        for i, g in enumerate(sg.grad(partial, leaves)):
            expected = central(float_partial(k), point[: op.values], i)
            assert close(g, expected), (name, f"d(partial {k})/dx{i}", g, expected)


@pytest.mark.parametrize("point", POINTS, ids=["a", "b"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_forward_mode_through_the_node_is_reverse_mode(name: str, point: list[float]) -> None:
    """jvp with float primals, jvp with Value primals and forward_steps all give grad · tangent."""
    op = OPS[name]
    at, direction = point[: op.values], TANGENT[: op.values]
    leaves = [Value(x) for x in at]
    node = build(op, leaves)
    reverse = math.fsum(g * t for g, t in zip(sg.grad(node, leaves), direction))

    def f(*xs: Value) -> Value:
        return build(op, xs)

    value, slope = sg.jvp(f, at, direction)
    assert (value.data if isinstance(value, Value) else value) == node.data
    assert math.isclose(slope.data if isinstance(slope, Value) else slope, reverse, rel_tol=1e-12, abs_tol=1e-15)

    outside = [Value(x) for x in at]  # Value primals: jvp's Value path (on_values), through identity nodes
    value, slope = sg.jvp(f, outside, direction)
    assert isinstance(value, Value) and value.data == node.data
    assert math.isclose(slope.data if isinstance(slope, Value) else slope, reverse, rel_tol=1e-12, abs_tol=1e-15)

    steps = list(forward_steps(node, dict(zip(leaves, direction))))
    assert steps[-1].node is node
    assert math.isclose(steps[-1].tangent, reverse, rel_tol=1e-12, abs_tol=1e-15)


def test_jvp_reaches_the_identity_rule_with_a_value_primal() -> None:
    """The internal identity rule is what jvp puts between a Value primal and f: it is in the graph it returns."""
    x = Value(1.5, "x")
    value, slope = sg.jvp(lambda y: y * y, [x], [1.0])
    rules_in_graph = {recipe(node)[0] for node in consumers_first(value)}
    assert identity_rule in rules_in_graph
    assert (value.data, number(slope)) == (2.25, 3.0)  # x², 2x
    assert sg.grad(value, [x]) == [3.0]  # the identity node passes the gradient through


def number(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else x


def test_every_number_namespace_defines_every_function_a_rule_may_call() -> None:
    """The contract between the rules and the namespaces they run in, written once (rules.NUMBER_FUNCTIONS)."""
    from scalargrad.engine import on_floats, on_values
    from scalargrad.engine.rules import NUMBER_FUNCTIONS
    from scalargrad.replay.source import Writer

    namespaces: list[object] = [on_floats, on_values, Writer("t")]
    if importlib.util.find_spec("numpy") is not None:  # batched replay's namespace is the `fast` extra's
        from scalargrad.replay import on_arrays

        namespaces.append(on_arrays)
    elif in_ci():
        pytest.fail("CI must check batched replay's number namespace too: NumPy is missing")
    for namespace in namespaces:
        missing = [name for name in NUMBER_FUNCTIONS if not callable(getattr(namespace, name, None))]
        assert not missing, (namespace, missing)

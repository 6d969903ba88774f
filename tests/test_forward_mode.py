"""Forward mode: `jvp`, ``jacobian(mode="forward")`` and `forward_steps`, against independent oracles.

Oracles: PyTorch float64 (``torch.func.jvp`` and ``torch.func.jacrev``, torch's
own derivative formulas, on the same trees written in torch's ops), central
differences of the tree in plain floats (`strategies.FLOAT_OPS`, no scalargrad),
and the seeds' worked numbers (seed 003's forward sweeps from b and from a,
seed 004's shopping graphs), which are exact. Reverse mode (`grad`, and
``jacobian(mode="reverse")``) is compared too: it shares the rules' partials
with forward mode but adds the chain rule's products in another order, so the
two agree to rounding, not bit for bit.

Tolerances, as in test_gradients (the error is measured against the exact value
plus the largest intermediate value of the tree): 1e-9 against torch, 1e-7
against central differences (step 1e-6), 1e-12 between forward and reverse
mode. Over 3,000 random trees the largest ratios were 3e-16 against torch,
2.5e-10 against central differences, and 3e-16 between the modes; a tangent of
length at most 1 per input keeps the directional derivative on the scale of the
gradient.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pytest
from backends import SCALARGRAD_OPS, torch_ops
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import (
    ALL_OPS,
    Expr,
    conditioned,
    evaluate,
    float_value,
    largest_intermediate,
    problems,
    real_exprs,
)

import scalargrad as sg
from scalargrad import Value, examples
from scalargrad.engine import TangentStep, forward_steps

Problem = tuple[Expr, tuple[float, ...]]
#: Outputs (trees, or plain numbers for constant outputs) over one set of inputs, and a point.
MultiProblem = tuple[list[Expr | float], tuple[float, ...]]

TORCH_RTOL = 1e-9
CENTRAL_RTOL = 1e-7
CENTRAL_STEP = 1e-6
MODES_RTOL = 1e-12

# torch.func's forward mode loads decompositions that call torch.jit.script, deprecated in torch itself.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


def number(x: Value | float) -> float:
    """A result of jvp as a float (a Value where the tree lifts a constant into a leaf: see test_nested)."""
    return x.data if isinstance(x, Value) else x


def assert_close(ours: float, oracle: float, scale: float, rtol: float, what: str) -> None:
    assert abs(ours - oracle) <= rtol * (abs(oracle) + scale), f"{what}: scalargrad {ours!r} vs {oracle!r}"


def tangents(n: int) -> st.SearchStrategy[list[float]]:
    return st.lists(st.floats(-1.0, 1.0, allow_subnormal=False), min_size=n, max_size=n)


# ---------------------------------------------------------------------------
# jvp on random trees.
# ---------------------------------------------------------------------------


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.data())
def test_jvp_matches_torch_central_differences_and_reverse_mode(problem: Problem, data: st.DataObject) -> None:
    torch = pytest.importorskip("torch")
    expr, point = problem
    direction = data.draw(tangents(len(point)), label="tangents")
    value, slope = sg.jvp(lambda *xs: evaluate(expr, xs, SCALARGRAD_OPS), point, direction)
    scale = largest_intermediate(expr, point)
    assert_close(number(value), float_value(expr, point), scale, 1e-12, "value")

    table = torch_ops(torch)
    _, theirs = torch.func.jvp(
        lambda v: evaluate(expr, list(v.unbind()), table),
        (torch.tensor(point, dtype=torch.float64),),
        (torch.tensor(direction, dtype=torch.float64),),
    )
    assert_close(number(slope), float(theirs), scale, TORCH_RTOL, "torch.func.jvp")

    up = [x + CENTRAL_STEP * t for x, t in zip(point, direction)]
    down = [x - CENTRAL_STEP * t for x, t in zip(point, direction)]
    central = (float_value(expr, up) - float_value(expr, down)) / (2 * CENTRAL_STEP)
    assert_close(number(slope), central, scale, CENTRAL_RTOL, "central differences")

    xs = [Value(x) for x in point]
    reverse = math.fsum(g * t for g, t in zip(sg.grad(evaluate(expr, xs, SCALARGRAD_OPS), xs), direction))
    assert_close(number(slope), reverse, scale, MODES_RTOL, "grad · tangents")


# ---------------------------------------------------------------------------
# jacobian: forward == reverse, both against torch.func.jacrev, several outputs.
# ---------------------------------------------------------------------------


@st.composite
def multi_output_problems(draw: st.DrawFn) -> MultiProblem:
    """One to three trees over the same inputs, sometimes with a constant output among them."""
    nvars = draw(st.integers(1, 3))
    outputs: list[Expr | float] = list(draw(st.lists(real_exprs(nvars, ALL_OPS, 3), min_size=1, max_size=3)))
    if draw(st.booleans()):
        outputs.insert(draw(st.integers(0, len(outputs))), 1.5)
    trees = [out for out in outputs if not isinstance(out, float)]
    coordinate = st.floats(-2.0, 2.0, allow_subnormal=False)
    for _ in range(5):
        point = tuple(draw(st.lists(coordinate, min_size=nvars, max_size=nvars)))
        if all(conditioned(tree, point) for tree in trees):
            return outputs, point
    assume(False)
    raise AssertionError("unreachable")


def build(outputs: Sequence[Expr | float], xs: Sequence[Any], table: Any) -> list[Any]:
    return [out if isinstance(out, float) else evaluate(out, xs, table) for out in outputs]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(multi_output_problems())
def test_jacobian_forward_equals_reverse_and_torch_func_jacrev(problem: MultiProblem) -> None:
    torch = pytest.importorskip("torch")
    outputs, point = problem
    forward = sg.jacobian(lambda *xs: build(outputs, xs, SCALARGRAD_OPS), point, mode="forward")
    reverse = sg.jacobian(lambda *xs: build(outputs, xs, SCALARGRAD_OPS), point, mode="reverse")

    table = torch_ops(torch)

    def stacked(v: Any) -> Any:
        return torch.stack([torch.as_tensor(y, dtype=torch.float64) for y in build(outputs, list(v.unbind()), table)])

    theirs = torch.func.jacrev(stacked)(torch.tensor(point, dtype=torch.float64)).tolist()
    assert len(forward) == len(reverse) == len(outputs)
    for i, out in enumerate(outputs):
        scale = 1.0 if isinstance(out, float) else largest_intermediate(out, point)
        for j in range(len(point)):
            what = f"d(output {i})/dx{j}"
            assert_close(forward[i][j], reverse[i][j], scale, MODES_RTOL, what + " forward vs reverse")
            assert_close(forward[i][j], theirs[i][j], scale, TORCH_RTOL, what + " vs torch.func.jacrev")


def test_jacobian_of_a_named_function_in_both_modes() -> None:
    """Polar to Cartesian, (r, θ) -> (r cos θ, r sin θ), and r² θ: the Jacobian by hand."""
    r, theta = 2.0, 0.6

    def f(r: Value, t: Value) -> list[Value]:
        return [r * t.cos(), r * t.sin(), r * r * t]

    by_hand = [
        [math.cos(theta), -r * math.sin(theta)],
        [math.sin(theta), r * math.cos(theta)],
        [2 * r * theta, r * r],
    ]
    for mode in ("forward", "reverse"):
        jac = sg.jacobian(f, [r, theta], mode=mode)
        assert jac == [pytest.approx(row, rel=1e-15) for row in by_hand], mode


# ---------------------------------------------------------------------------
# forward_steps: the seeds' sweeps with their exact numbers.
# ---------------------------------------------------------------------------


def tangents_by_label(steps: list[TangentStep]) -> dict[str, float]:
    return {s.node.label: s.tangent for s in steps}


def assert_steps_add_up(steps: list[TangentStep]) -> None:
    """Each input's term is local × tangent, and a node's tangent is the sum of its terms (one per input)."""
    for step in steps:
        assert len(step.terms) == len(step.node.parents)
        for term, parent, local in zip(step.terms, step.node.parents, step.node.partials):
            assert term.parent is parent and term.local == local
            assert term.contribution == term.local * term.tangent
        assert step.tangent == pytest.approx(math.fsum(t.contribution for t in step.terms), rel=1e-15, abs=0.0)


def test_seed_003_forward_from_b_gives_five_and_from_a_two() -> None:
    """Seed 003: e = (a + b)(b + 1) at a=2, b=1. From b: dc/db = 1, dd/db = 1, de/db = 2·1 + 3·1 = 5.

    From a, a second sweep (one per input, the seed's point about cost): dc/da = 1, dd/da = 0, de/da = 2.
    """
    e = examples.two_paths()
    v = examples.nodes_by_label(e)
    from_b = list(forward_steps(e, {v["b"]: 1.0}))
    assert from_b[-1].node is e and from_b[-1].tangent == 5.0
    assert tangents_by_label(from_b) == {"c": 1.0, "d": 1.0, "e": 5.0}
    assert from_b[-1].describe() == "step 3: e = c * d, tangent 2 × 1 + 3 × 1 = 5"
    from_a = list(forward_steps(e, {v["a"]: 1.0}))
    assert from_a[-1].tangent == 2.0
    assert tangents_by_label(from_a) == {"c": 1.0, "d": 0.0, "e": 2.0}
    assert [s.index for s in from_a] == [1, 2, 3]
    assert_steps_add_up(from_b + from_a)


@pytest.mark.parametrize(
    ("seeded", "expected"),
    [("apple", {"apple_price": 2.0, "price": 2.2}), ("apple_num", {"apple_price": 100.0, "price": 110.0}),
     ("tax", {"apple_price": 0.0, "price": 200.0})],
)  # fmt: skip
def test_seed_004_apple_shopping_one_forward_sweep_per_input(seeded: str, expected: dict[str, float]) -> None:
    """Seed 004: 2 apples at 100 yen, tax 1.1. Sweeping forward from one input gives d(price)/d(that input).

    dApple = 2 × 1.1 = 2.2, dApple_num = 100 × 1.1 = 110, dTax = 200 (the seed's backward numbers).
    """
    price = examples.apple_shopping()
    v = examples.nodes_by_label(price)
    steps = list(forward_steps(price, {v[seeded]: 1.0}))
    assert steps[-1].node is price
    assert tangents_by_label(steps) == pytest.approx(expected, rel=1e-15)
    assert_steps_add_up(steps)


def test_seed_004_apples_and_oranges_forward_sweeps() -> None:
    """Seed 004: 2 apples at 100, 3 oranges at 150, tax 1.1: one sweep per input, the seed's five numbers."""
    price = examples.apple_orange_shopping()
    v = examples.nodes_by_label(price)
    expected = {"apple": 2.2, "apple_num": 110.0, "orange": 3.3, "orange_num": 165.0, "tax": 650.0}
    for name, slope in expected.items():
        steps = list(forward_steps(price, {v[name]: 1.0}))
        assert steps[-1].node is price
        assert steps[-1].tangent == pytest.approx(slope, rel=1e-15), name
        assert_steps_add_up(steps)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.data())
def test_forward_steps_on_random_graphs_end_at_the_derivative(problem: Problem, data: st.DataObject) -> None:
    """The last step is the root's, its tangent d(root)/dx_k against central differences; every step adds up."""
    expr, point = problem
    k = data.draw(st.integers(0, len(point) - 1), label="seeded input")
    xs = [Value(x) for x in point]
    out = evaluate(expr, xs, SCALARGRAD_OPS)
    assume(out.parents)  # an input itself (x, +x) has no step
    steps = list(forward_steps(out, {xs[k]: 1.0}))
    assert steps[-1].node is out
    assert [s.index for s in steps] == list(range(1, len(steps) + 1))
    up, down = list(point), list(point)
    up[k] += CENTRAL_STEP
    down[k] -= CENTRAL_STEP
    central = (float_value(expr, up) - float_value(expr, down)) / (2 * CENTRAL_STEP)
    assert_close(steps[-1].tangent, central, largest_intermediate(expr, point), CENTRAL_RTOL, f"d/dx{k}")
    for step in steps:
        for term in step.terms:
            assert term.contribution == term.local * term.tangent
        if all(math.isfinite(t.contribution) for t in step.terms):
            assert step.tangent == pytest.approx(sum(t.contribution for t in step.terms), rel=1e-12, abs=1e-300)
    assert all(x.grad == 0.0 for x in xs)  # forward_steps keeps its numbers to itself


def test_forward_and_reverse_mode_give_seed_003_the_same_numbers_at_different_costs() -> None:
    """Seed 003's comparison: one backward sweep gives de/da and de/db; forward mode needs one sweep each."""
    e = examples.two_paths()
    v = examples.nodes_by_label(e)
    assert sg.grad(e, [v["a"], v["b"]]) == [2.0, 5.0]
    sweeps = [list(forward_steps(e, {v[name]: 1.0}))[-1].tangent for name in ("a", "b")]
    assert sweeps == [2.0, 5.0]
    for mode in ("forward", "reverse"):
        assert sg.jacobian(lambda a, b: (a + b) * (b + 1), [2.0, 1.0], mode=mode) == [[2.0, 5.0]]

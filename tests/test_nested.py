"""Derivatives of derivatives: transforms inside transforms, closures, Newton's method, ``.grad`` left alone.

Every expected number here is derived by hand (written next to it) or computed
exactly with `fractions.Fraction`, never read back from scalargrad. The
classic trap is perturbation confusion (Siskind and Pearlmutter): in
d/dx [x · d/dy (x + y)] the inner derivative must not see the outer
perturbation of x. Done right it is d/dx [x · 1] = 1; a transform that mixes
the two variables' tangents gives 2.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

import scalargrad as sg
from scalargrad import Value
from scalargrad.engine import consumers_first, forward_steps


def number(x: Value | float) -> float:
    """A result of jvp as a float (jvp may return Values here: see the xfail test below)."""
    return x.data if isinstance(x, Value) else x


# ---------------------------------------------------------------------------
# Perturbation confusion: each transform keeps its own variable.
# ---------------------------------------------------------------------------


def test_jvp_inside_jvp_keeps_the_variables_apart() -> None:
    """d/dx [x · d/dy (x + y)] at x = 1, y = 1 is 1 (and 2 if the inner jvp saw x's tangent)."""

    def outer(x: Value) -> Value:
        inner: Value | float = sg.jvp(lambda y: x + y, [1.0], [1.0])[1]  # d/dy (x + y) = 1
        return x * inner

    value, slope = sg.jvp(outer, [1.0], [1.0])
    assert (number(value), number(slope)) == (1.0, 1.0)


def test_jvp_inside_jvp_where_the_inner_derivative_depends_on_x() -> None:
    """d/dx [x · d/dy (x y²)] at x = 1, y = 1: the inner one is 2xy = 2x, so the whole is d/dx 2x² = 4x = 4."""

    def outer(x: Value) -> Value:
        inner: Value | float = sg.jvp(lambda y: x * y * y, [1.0], [1.0])[1]  # 2xy
        return x * inner

    value, slope = sg.jvp(outer, [1.0], [1.0])
    assert (number(value), number(slope)) == (2.0, 4.0)


def test_grad_inside_grad_keeps_the_variables_apart() -> None:
    """The same two functions with grad(create_graph=True) inside grad: 1, and 4x = 4."""
    x, y = Value(1.0, "x"), Value(1.0, "y")
    (inner,) = sg.grad(x + y, [y], create_graph=True)
    assert sg.grad(x * inner, [x]) == [1.0]
    (inner,) = sg.grad(x * y * y, [y], create_graph=True)  # 2xy
    assert sg.grad(x * inner, [x]) == [4.0]


def test_grad_outside_jvp_and_jvp_outside_grad() -> None:
    """Both mixes: d/dx [x · d/dy (x + y)] = 1 again; d/dx [x · d/dy (x y²)] = 4."""
    x = Value(1.0, "x")
    _, inner = sg.jvp(lambda y: x + y, [1.0], [1.0])
    assert sg.grad(x * inner, [x]) == [1.0]

    def outer(x: Value) -> Value:
        y = Value(1.0, "y")
        (inner,) = sg.grad(x * y * y, [y], create_graph=True)
        return x * inner

    assert number(sg.jvp(outer, [1.0], [1.0])[1]) == 4.0


def test_gradient_through_a_jvp_whose_function_closes_over_the_variable() -> None:
    """d/dx [x · jvp(y ↦ x y, 2, 1)] = d/dx [x · x] = 2x: 6 at x = 3. The jvp's tangent stays in x's graph."""
    x = Value(3.0, "x")
    value, tangent = sg.jvp(lambda y: x * y, [2.0], [1.0])
    assert isinstance(value, Value) and isinstance(tangent, Value)  # they depend on x, from outside
    assert (value.data, tangent.data) == (6.0, 3.0)
    assert sg.grad(x * tangent, [x]) == [6.0]
    assert sg.grad(value, [x]) == [2.0]  # d/dx (2x)


def test_second_derivative_forward_over_reverse_and_reverse_over_forward() -> None:
    """f = x⁴ - 2x², f' = 4x³ - 4x, f'' = 12x² - 4: at x = 2, f' = 24 and f'' = 44, either way round."""

    def f(x: Value) -> Value:
        return x**4 - 2 * x**2

    # jvp of a gradient (forward over reverse).
    slope, curvature = sg.jvp(lambda x: sg.grad(f(x), [x], create_graph=True)[0], [2.0], [1.0])
    assert (number(slope), number(curvature)) == (24.0, 44.0)
    # The gradient of a jvp (reverse over forward): a Value primal keeps the tangent in its graph.
    x = Value(2.0)
    _, tangent = sg.jvp(f, [x], [1.0])
    assert isinstance(tangent, Value) and tangent.data == 24.0
    assert sg.grad(tangent, [x]) == [44.0]


@pytest.mark.parametrize(
    "case",
    ["maximum with a number", "logsumexp with a number", "jvp inside jvp"],
)
def test_jvp_at_top_level_returns_floats(case: str) -> None:
    """The spec: floats at top level, Values only where a result depends on Values from outside f."""

    def nested(x: Value) -> Value:
        inner: Value | float = sg.jvp(lambda y: x * y * y, [1.0], [1.0])[1]
        return x * inner

    functions = {
        "maximum with a number": lambda x: sg.maximum(x, 0.0) * x,  # 2x at x = 1
        "logsumexp with a number": lambda x: sg.logsumexp([x, 0.0]),
        "jvp inside jvp": nested,
    }
    value, slope = sg.jvp(functions[case], [1.0], [1.0])
    assert type(value) is float and type(slope) is float, (value, slope)


# ---------------------------------------------------------------------------
# Gradients of gradients never touch .grad.
# ---------------------------------------------------------------------------


def test_gradients_of_gradients_leave_every_grad_field_alone() -> None:
    """After backward(), grads with create_graph, second and third derivatives and a jvp: the same .grad everywhere.

    f = tanh(xy) + x³y, so df/dx = y sech²(xy) + 3x²y (what backward leaves in x.grad).
    """
    x, y = Value(0.5, "x"), Value(-1.5, "y")
    f = (x * y).tanh() + x**3 * y
    f.backward()
    sech2 = 1.0 - math.tanh(0.5 * -1.5) ** 2
    assert x.grad == pytest.approx(-1.5 * sech2 + 3 * 0.25 * -1.5, rel=1e-14)
    before = {node: node.grad for node in consumers_first(f)}

    gx, gy = sg.grad(f, [x, y], create_graph=True)
    sg.grad(gx, [x, y])
    (gxy,) = sg.grad(gx, [y], create_graph=True)
    sg.grad(gxy, [x, y])
    sg.jvp(lambda t: f * t, [1.0], [1.0])  # closes over f: Values, through the same graph
    list(forward_steps(gx, {x: 1.0}))

    assert {node: node.grad for node in consumers_first(f)} == before
    # The gradients' own graphs were never backpropagated into either.
    for g in (gx, gy, gxy):
        assert all(node.grad == 0.0 for node in consumers_first(g) if node not in before)


# ---------------------------------------------------------------------------
# Newton's method, as DeZero's step 33 writes it.
# ---------------------------------------------------------------------------


def newton_exact(x: Fraction, steps: int) -> list[Fraction]:
    """x ← x - f'(x) / f''(x) for f = x⁴ - 2x², in exact rationals: f' = 4x³ - 4x, f'' = 12x² - 4."""
    out = [x]
    for _ in range(steps):
        x = x - (4 * x**3 - 4 * x) / (12 * x**2 - 4)
        out.append(x)
    return out


def test_newtons_method_finds_the_minimum_of_x4_minus_2x2_from_2() -> None:
    """From x = 2, Newton's method with f' and f'' from grad(create_graph=True) reaches 1.0 within 10 steps.

    The iterates are the exact Newton sequence (16/11 first) to rounding, and
    they reach 1.0 itself in fewer than 10 steps, as DeZero's step 33 prints.
    """
    x = Value(2.0, "x")
    iterates = [x.data]
    for _ in range(9):
        y = x**4 - 2 * x**2
        (gx,) = sg.grad(y, [x], create_graph=True)
        (gx2,) = sg.grad(gx, [x])
        x = Value(x.data - gx.data / gx2, "x")
        iterates.append(x.data)
    exact = newton_exact(Fraction(2), 9)
    assert iterates[1] == pytest.approx(16 / 11, rel=1e-15)
    assert iterates == [pytest.approx(float(e), rel=1e-13) for e in exact]
    assert 1.0 in iterates
    assert iterates.index(1.0) < 10
    assert all(i == 1.0 for i in iterates[iterates.index(1.0) :])  # and stays there


def test_a_value_f_makes_itself_counts_as_one_from_outside() -> None:
    """Documented: jvp cannot tell Value(2.0) made inside f from a parameter, so it returns Values (right ones)."""
    value, slope = sg.jvp(lambda x: x * Value(2.0), [3.0], [1.0])
    assert isinstance(value, Value) and isinstance(slope, Value)
    assert (value.data, number(slope)) == (6.0, 2.0)
    assert sg.jvp(lambda x: x * 2.0, [3.0], [1.0]) == (6.0, 2.0)  # the plain number: floats

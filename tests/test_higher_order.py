"""Second and third derivatives through ``grad(create_graph=True)``, against sympy and ``torch.func.hessian``.

A gradient taken with ``create_graph=True`` is a Value whose graph is made of
the ops' partials evaluated on Values (`scalargrad.engine.on_values`), so
differentiating it again checks that each op's partials are right as
*functions* of its inputs, not only as numbers at one point. The oracles share
no code with the engine:

* sympy: the tree's formula (`backends.SYMPY_OPS`) differentiated symbolically
  to any order, then evaluated at the point with 30 significant digits, so it
  is exact as far as float64 can tell;
* PyTorch float64: ``torch.func.hessian`` (forward over reverse, with torch's
  own derivative formulas) of the same tree written with torch's ops
  (`backends.torch_ops`), and of three named functions (Rosenbrock,
  x y sin z, the loss of a small MLP in its 13 parameters).

Where. `strategies.conditioned` keeps every point away from kinks (relu, abs,
max, min) and poles, so each op is smooth where it is differentiated; a kinked
op's second derivative is 0 there. sympy writes the derivative of its Heaviside
as DiracDelta, which is 0 away from the kink, so it is replaced by 0 before
evaluation.

Tolerances. Both sides compute the same derivative and differ by float64
rounding only (sympy not even that), so as in test_gradients an error is
measured against the exact value plus the largest intermediate value of the
tree (`strategies.largest_intermediate`), which is what a sum of large
cancelling terms keeps of its rounding. Over 3,000 random trees (14,000 second
and third derivatives) the largest ratio against sympy was 2e-13; over 5,000
trees (24,000 Hessian entries) 1.2e-13 against torch. We allow 1e-9, the bound
of the first-order analytic checks: a 5,000-fold margin, and still
`test_a_wrong_second_derivative_is_caught` shows a tanh whose partial has the
right value but a derivative off by 1e-8 failing both checks, and a partial
cut out of the graph failing by far. The named functions have a handful of ops
each and are held to 1e-12.

PyTorch's one blind spot: where the exponent of a Value ``**`` Value is
exactly 0, torch's backward replaces the slope e a^(e-1) by a constant 0, so
its d²(a^e)/de da there is 0, where the true one is 1/a (and its Hessian is
not symmetric). The torch test draws other points there (``assume``); sympy
checks those points too (Hypothesis often tries 0.0), and tests/test_engine.py
has the case by hand: scalargrad had the same mistake, which the sympy
third-derivative test found.

The second derivatives against sympy run three times the profile's number of
examples (180 in ``ci``), as test_gradients does; the third derivatives, where
sympy differentiates deep trees three times, and the torch Hessians, where
each call of ``torch.func`` costs some 30 ms, the profile's number (60).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import sympy
from backends import SCALARGRAD_OPS, SYMPY_OPS, torch_ops
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import FLOAT_OPS, Expr, Node, Var, evaluate, largest_intermediate, one_of_each, ops_used, problems

import scalargrad as sg
from scalargrad import Value
from scalargrad.engine import rules
from scalargrad.engine.rules import Rule

Problem = tuple[Expr, tuple[float, ...]]

RTOL = 1e-9
NAMED_RTOL = 1e-12
DIGITS = 30
#: Second derivatives against sympy are this file's main check: three times the profile's examples.
PROPERTY = settings(max_examples=3 * settings().max_examples, suppress_health_check=[HealthCheck.too_slow])
#: sympy differentiating a deep tree three times takes up to half a second: the profile's number.
THIRD = settings(suppress_health_check=[HealthCheck.too_slow])

# torch.func's forward mode loads decompositions that call torch.jit.script, deprecated in torch itself.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


def exact(derivative: Any, at: dict[Any, Any]) -> float:
    """A sympy derivative at the point, with DiracDelta (0 away from its kink) taken out."""
    smooth = derivative.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.S.Zero)
    return float(smooth.evalf(DIGITS, subs=at))


def assert_close(ours: float, oracle: float, scale: float, rtol: float, what: str) -> None:
    assert abs(ours - oracle) <= rtol * (abs(oracle) + scale), f"{what}: scalargrad {ours!r} vs {oracle!r}"


def derivative(out: Value, xs: Sequence[Value], indices: Sequence[int]) -> float:
    """d^k out / dx_i1 ... dx_ik: k applications of `grad`, each but the last with ``create_graph=True``."""
    for i in indices[:-1]:
        (out,) = sg.grad(out, [xs[i]], create_graph=True)
    (last,) = sg.grad(out, [xs[indices[-1]]])
    return last


def sympy_problem(expr: Expr, point: Sequence[float]) -> tuple[Any, tuple[Any, ...], dict[Any, Any]]:
    """The tree as a sympy formula in real symbols x0, x1, ..., and the point as 30-digit numbers."""
    symbols = sympy.symbols(f"x0:{len(point)}", real=True)
    at = {s: sympy.Float(x, DIGITS) for s, x in zip(symbols, point)}
    return evaluate(expr, symbols, SYMPY_OPS), symbols, at


def check_against_sympy(expr: Expr, point: Sequence[float]) -> None:
    """Every first and second derivative of the tree, the Hessian in both orders of differentiation."""
    formula, symbols, at = sympy_problem(expr, point)
    xs = [Value(x) for x in point]
    gradient = sg.grad(evaluate(expr, xs, SCALARGRAD_OPS), xs, create_graph=True)
    scale = largest_intermediate(expr, point)
    for i, (g, si) in enumerate(zip(gradient, symbols)):
        first = sympy.diff(formula, si)
        assert_close(g.data, exact(first, at), scale, RTOL, f"d/dx{i}")
        for j, (h, sj) in enumerate(zip(sg.grad(g, xs), symbols)):
            assert_close(h, exact(sympy.diff(first, sj), at), scale, RTOL, f"d2/dx{i}dx{j}")


def torch_hessian(fn: Callable[[list[Any]], Any], point: Sequence[float]) -> list[list[float]]:
    """``torch.func.hessian`` in float64 of ``fn``, which takes one 0-d tensor per input."""
    torch = pytest.importorskip("torch")
    matrix = torch.func.hessian(lambda v: fn(list(v.unbind())))(torch.tensor(point, dtype=torch.float64))
    return [[float(h) for h in row] for row in matrix]


def has_zero_exponent(expr: Expr, point: Sequence[float]) -> bool:
    """Whether a Value ** Value in the tree has an exponent of exactly 0 (torch's blind spot) at the point."""
    found: list[bool] = []
    evaluate(expr, list(point), FLOAT_OPS, lambda node, args, out: found.append(node.op == "pow" and args[1] == 0.0))
    return any(found)


def check_against_torch(expr: Expr, point: Sequence[float]) -> None:
    """`sg.hessian` of the tree against ``torch.func.hessian`` of the same tree in torch's ops."""
    torch = pytest.importorskip("torch")
    table = torch_ops(torch)
    theirs = torch_hessian(lambda xs: evaluate(expr, xs, table), point)
    ours = sg.hessian(lambda *xs: evaluate(expr, xs, SCALARGRAD_OPS), point)
    scale = largest_intermediate(expr, point)
    for i, j in itertools.product(range(len(point)), repeat=2):
        assert_close(ours[i][j], theirs[i][j], scale, RTOL, f"d2/dx{i}dx{j}")


# ---------------------------------------------------------------------------
# Random trees over every op.
# ---------------------------------------------------------------------------


@PROPERTY
@given(problems())
def test_second_derivatives_match_sympy(problem: Problem) -> None:
    check_against_sympy(*problem)


@THIRD
@given(problems(), st.data())
def test_third_derivatives_match_sympy(problem: Problem, data: st.DataObject) -> None:
    """One third derivative per tree, along indices Hypothesis picks (repeats allowed: d³/dx0² dx1)."""
    expr, point = problem
    indices = data.draw(st.lists(st.integers(0, len(point) - 1), min_size=3, max_size=3), label="indices")
    formula, symbols, at = sympy_problem(expr, point)
    xs = [Value(x) for x in point]
    ours = derivative(evaluate(expr, xs, SCALARGRAD_OPS), xs, indices)
    oracle = exact(sympy.diff(formula, *(symbols[i] for i in indices)), at)
    assert_close(ours, oracle, largest_intermediate(expr, point), RTOL, f"d3/dx{indices}")


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_hessians_match_torch_func_hessian(problem: Problem) -> None:
    expr, point = problem
    assume(not has_zero_exponent(expr, point))
    check_against_torch(expr, point)


def _named(trees: list[Expr]) -> list[str]:
    """Test ids: the ops of each tree, numbered where one op has several trees (the shapes of dot)."""
    names = ["-".join(sorted(ops_used(t))) for t in trees]
    return [f"{n}{names[:k].count(n) or ''}" for k, n in enumerate(names)]


@pytest.mark.parametrize("tree", one_of_each(), ids=_named(one_of_each()))
def test_every_op_to_third_order_against_sympy(tree: Expr) -> None:
    """Each op once, fed u = x0 x1 / 1.3 and v = x1² / 1.3 (0.7 and 1.3 at the point), all derivatives to order 3.

    Curved inputs make even a linear op's second derivatives go through its
    partials' own derivatives and the chain rule; all 8 ordered index triples
    are compared, so the third derivatives must also be symmetric.
    """
    point = (0.7, 1.3)
    symbols = sympy.symbols("x0:2", real=True)
    at = {s: sympy.Float(x, DIGITS) for s, x in zip(symbols, point)}
    x0, x1 = symbols
    formula = evaluate(tree, [x0 * x1 / sympy.Float(1.3, DIGITS), x1 * x1 / sympy.Float(1.3, DIGITS)], SYMPY_OPS)
    xs = [Value(x) for x in point]
    out = evaluate(tree, [xs[0] * xs[1] / 1.3, xs[1] * xs[1] / 1.3], SCALARGRAD_OPS)
    scale = largest_intermediate(tree, point)
    for order in (1, 2, 3):
        for indices in itertools.product(range(2), repeat=order):
            oracle = exact(sympy.diff(formula, *(symbols[i] for i in indices)), at)
            assert_close(derivative(out, xs, indices), oracle, scale, RTOL, f"d^{order}/dx{list(indices)}")


# ---------------------------------------------------------------------------
# The checks bite: a partial right in value but wrong as a function fails them.
# ---------------------------------------------------------------------------


def _bent(rule: Rule, by: float) -> Rule:
    """``rule`` whose first partial, on Values, gains ``by * (a - a.data)``: the same number, a slope off by ``by``."""

    def bent(x: Sequence[Any], c: tuple[float, ...], m: Any) -> Any:
        value, partials = rule(x, c, m)
        a = x[0]
        if not isinstance(a, Value):
            return value, partials
        return value, (partials[0] + by * (a - a.data), *partials[1:])

    return bent


def _cut(rule: Rule) -> Rule:
    """``rule`` whose partials, on Values, are plain numbers: right in value, cut out of the graph."""

    def cut(x: Sequence[Any], c: tuple[float, ...], m: Any) -> Any:
        value, partials = rule(x, c, m)
        return value, tuple(p.data if isinstance(p, Value) else p for p in partials)

    return cut


CHECKS: dict[str, Callable[[Expr, Sequence[float]], None]] = {
    "sympy": check_against_sympy,
    "torch": check_against_torch,
}
WRONG: dict[str, Callable[[Rule], Rule]] = {"bent by 1e-8": lambda r: _bent(r, 1e-8), "cut from the graph": _cut}


@pytest.mark.parametrize("wrong", list(WRONG))
@pytest.mark.parametrize("oracle", list(CHECKS))
def test_a_wrong_second_derivative_is_caught(oracle: str, wrong: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """tanh(x0 x1) passes; with tanh's rule made wrong only in its partial's derivative, the check fails.

    The first derivatives stay exact (the float partials are untouched), so
    only the second-order comparison can notice: a bend of 1e-8 moves each
    second derivative by 0.36e-8 to 0.64e-8, against an allowance of about 1.3e-9.
    """
    tree, point = Node("tanh", (Node("mul", (Var(0), Var(1))),)), (0.8, -0.6)
    check = CHECKS[oracle]
    check(tree, point)
    monkeypatch.setattr(rules, "tanh", WRONG[wrong](rules.tanh))
    with pytest.raises(AssertionError, match=r"^d2/dx"):
        check(tree, point)


# ---------------------------------------------------------------------------
# Named functions against torch.func.hessian (and closed forms where short).
# ---------------------------------------------------------------------------


def rosenbrock(x: Any, y: Any) -> Any:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def rosenbrock_hessian(x: float, y: float) -> list[list[float]]:
    """By hand: d²/dx² = 2 - 400 (y - x²) + 800 x², d²/dx dy = -400 x, d²/dy² = 200."""
    return [[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]]


def xy_sin_z_hessian(x: float, y: float, z: float) -> list[list[float]]:
    s, c = math.sin(z), math.cos(z)
    return [[0.0, s, y * c], [s, 0.0, x * c], [y * c, x * c, -x * y * s]]


#: A 2-3-1 tanh network on two examples: 6 + 3 weights and biases in, 3 + 1 out, 13 parameters.
MLP_DATA = (((0.5, -1.2), 0.3), ((-0.7, 0.4), -0.8))
MLP_PARAMETERS = tuple(random.Random(8).uniform(-1.0, 1.0) for _ in range(13))


def mlp_loss(*p: Value) -> Value:
    """Squared error of the network, as a learner writes it with scalargrad: a dot per neuron, then tanh."""
    loss: Value | float = 0.0
    for x, target in MLP_DATA:
        hidden = [sg.dot(p[2 * k : 2 * k + 2], x, p[6 + k]).tanh() for k in range(3)]
        y = sg.dot(p[9:12], hidden, p[12])
        loss = loss + (y - target) ** 2
    assert isinstance(loss, Value)
    return loss


def torch_mlp_loss(p: list[Any]) -> Any:
    """The same network in torch's matrix ops."""
    torch = pytest.importorskip("torch")
    v = torch.stack(p)
    w1, b1, w2, b2 = v[:6].reshape(3, 2), v[6:9], v[9:12], v[12]
    total = torch.zeros((), dtype=torch.float64)
    for x, target in MLP_DATA:
        hidden = torch.tanh(w1 @ torch.tensor(x, dtype=torch.float64) + b1)
        total = total + (w2 @ hidden + b2 - target) ** 2
    return total


NAMED: dict[str, tuple[Callable[..., Value], Callable[[list[Any]], Any], list[tuple[float, ...]]]] = {
    "rosenbrock": (rosenbrock, lambda v: rosenbrock(*v), [(1.0, 1.0), (-1.2, 1.0), (0.5, -0.3)]),
    "x*y*sin(z)": (lambda x, y, z: x * y * z.sin(), lambda v: v[0] * v[1] * v[2].sin(), [(0.7, -1.3, 2.1)]),
    "mlp loss": (mlp_loss, torch_mlp_loss, [MLP_PARAMETERS]),
}
CLOSED_FORMS: dict[str, Callable[..., list[list[float]]]] = {
    "rosenbrock": rosenbrock_hessian,
    "x*y*sin(z)": xy_sin_z_hessian,
}


@pytest.mark.parametrize("name", list(NAMED))
def test_named_hessians_match_torch_func_hessian(name: str) -> None:
    ours_fn, torch_fn, points = NAMED[name]
    for point in points:
        ours = sg.hessian(ours_fn, point)
        oracles = [torch_hessian(torch_fn, point)]
        if name in CLOSED_FORMS:
            oracles.append(CLOSED_FORMS[name](*point))
        scale = max(abs(h) for row in oracles[0] for h in row)
        for oracle in oracles:
            for i, j in itertools.product(range(len(point)), repeat=2):
                assert_close(ours[i][j], oracle[i][j], scale, NAMED_RTOL, f"{name} at {point}: d2/dx{i}dx{j}")


def test_rosenbrock_hessian_at_its_minimum_is_the_textbook_one() -> None:
    """At (1, 1): [[802, -400], [-400, 200]], exactly (every intermediate is a small integer)."""
    assert sg.hessian(rosenbrock, [1.0, 1.0]) == [[802.0, -400.0], [-400.0, 200.0]]

"""Gradients of random expression trees against four independent oracles.

Each test draws a tree over every op (see `strategies`), builds it with
scalargrad, backpropagates, and compares every input's gradient with an oracle
that shares no code with the engine: central differences over plain-float ops,
sympy's symbolic derivative, micrograd (on the ops it has) and PyTorch float64.

Tolerances. Analytic against analytic (sympy, PyTorch, micrograd): both sides
evaluate the same derivative in float64, differing only by rounding in each of
a few dozen ops, so they agree to about 1e-15 relative per op; we allow 1e-9,
measured against the gradient plus the largest intermediate value (a gradient
that is a sum of large terms cancelling to near zero keeps their absolute
rounding). Central differences carry truncation error ~h^2 f'''/6 and rounding
error ~eps |f| / h; with h = 1e-6 and intermediates below 1e3 that is about
1e-10 of the same scale, and we allow 1e-7. The largest ratios measured over
about 10,000 trees were 4e-10 (central differences) and 2e-15 (analytic), so
both bounds leave a wide margin, yet they catch a local derivative that is off
by as little as 1e-7 relative (analytic oracles) or 1e-5 (central differences):
we checked by perturbing the engine's ``*`` rule.

These are the suite's main checks, so they run three times the profile's
number of examples (180 in the ``ci`` profile).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import sympy
from backends import SCALARGRAD_OPS, SYMPY_OPS, torch_ops
from hypothesis import HealthCheck, Phase, find, given, settings
from micrograd.engine import Value as MicroValue
from strategies import (
    ALL_OPS,
    MICROGRAD_OPS,
    OPERATOR_OPS,
    Expr,
    evaluate,
    float_value,
    largest_intermediate,
    one_of_each,
    ops_used,
    problems,
)

from scalargrad import Value
from scalargrad.engine import consumers_first, recipe
from scalargrad.engine.rules import identity as identity_rule
from scalargrad.engine.rules import registered as rules

# micrograd 0.1.0 has no tanh or exp; later versions do.
MICROGRAD_HAS = MICROGRAD_OPS - {name for name in ("tanh", "exp") if not hasattr(MicroValue, name)}
MICRO_OPS: dict[str, Callable[..., Any]] = {
    **OPERATOR_OPS,
    **{name: getattr(MicroValue, name) for name in ("relu", "tanh", "exp") if hasattr(MicroValue, name)},
}

PROPERTY = settings(max_examples=3 * settings().max_examples)
ANALYTIC_RTOL = 1e-9
CENTRAL_RTOL = 1e-7
CENTRAL_STEP = 1e-6


def scalargrad_gradients(expr: Expr, point: Sequence[float]) -> tuple[float, list[float]]:
    """Output value and d(output)/d(input) for each input, by scalargrad's backward."""
    xs = [Value(x) for x in point]
    out = evaluate(expr, xs, SCALARGRAD_OPS)
    out.backward()
    return out.data, [x.grad for x in xs]


def assert_gradients_match(
    ours: Sequence[float], oracle: Sequence[float], scale: float, rtol: float, oracle_name: str
) -> None:
    for i, (a, b) in enumerate(zip(ours, oracle, strict=True)):
        assert abs(a - b) <= rtol * (abs(b) + scale), f"d/dx{i}: scalargrad {a!r} vs {oracle_name} {b!r}"


def central_difference(fn: Callable[[Sequence[float]], float], point: Sequence[float], i: int) -> float:
    """(f(x + h e_i) - f(x - h e_i)) / 2h, in plain floats."""
    up, down = list(point), list(point)
    up[i] += CENTRAL_STEP
    down[i] -= CENTRAL_STEP
    return (fn(up) - fn(down)) / (2.0 * CENTRAL_STEP)


@PROPERTY
@given(problems())
def test_gradients_match_central_differences(problem: tuple[Expr, tuple[float, ...]]) -> None:
    expr, point = problem
    data, ours = scalargrad_gradients(expr, point)
    scale = largest_intermediate(expr, point)
    assert abs(data - float_value(expr, point)) <= 1e-12 * scale
    numeric = [central_difference(lambda p: float_value(expr, p), point, i) for i in range(len(point))]
    assert_gradients_match(ours, numeric, scale, CENTRAL_RTOL, "central differences")


@settings(PROPERTY, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_gradients_match_sympy(problem: tuple[Expr, tuple[float, ...]]) -> None:
    expr, point = problem
    symbols = sympy.symbols(f"x0:{len(point)}", real=True)
    formula = evaluate(expr, symbols, SYMPY_OPS)
    at = {s: sympy.Float(x, 30) for s, x in zip(symbols, point)}
    data, ours = scalargrad_gradients(expr, point)
    scale = largest_intermediate(expr, point)
    assert math.isclose(data, float(sympy.sympify(formula).evalf(30, subs=at)), rel_tol=1e-12, abs_tol=1e-12 * scale)
    exact = [float(sympy.diff(formula, s).evalf(30, subs=at)) for s in symbols]
    assert_gradients_match(ours, exact, scale, ANALYTIC_RTOL, "sympy")


@PROPERTY
@given(problems(ops=MICROGRAD_HAS))
def test_gradients_match_micrograd(problem: tuple[Expr, tuple[float, ...]]) -> None:
    expr, point = problem
    xs = [MicroValue(x) for x in point]
    out = evaluate(expr, xs, MICRO_OPS)
    if not isinstance(out, MicroValue):  # pragma: no cover - the grammar always uses an input
        pytest.fail("expression does not depend on its inputs")
    out.backward()
    data, ours = scalargrad_gradients(expr, point)
    scale = largest_intermediate(expr, point)
    assert math.isclose(data, out.data, rel_tol=1e-12, abs_tol=1e-12 * scale)
    assert_gradients_match(ours, [float(x.grad) for x in xs], scale, ANALYTIC_RTOL, "micrograd")


@PROPERTY
@given(problems())
def test_gradients_match_pytorch_float64(problem: tuple[Expr, tuple[float, ...]]) -> None:
    torch = pytest.importorskip("torch")
    expr, point = problem
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    out = evaluate(expr, xs, torch_ops(torch))
    grads = torch.autograd.grad(out, xs, allow_unused=True)
    exact = [0.0 if g is None else float(g) for g in grads]
    data, ours = scalargrad_gradients(expr, point)
    scale = largest_intermediate(expr, point)
    assert math.isclose(data, float(out.detach()), rel_tol=1e-12, abs_tol=1e-12 * scale)
    assert_gradients_match(ours, exact, scale, ANALYTIC_RTOL, "torch")


# ---------------------------------------------------------------------------
# The strategies really cover every op.
# ---------------------------------------------------------------------------


def test_catalogue_reaches_every_rule_the_engine_registers() -> None:
    reached = set()
    for tree in one_of_each():
        out = evaluate(tree, [Value(0.7), Value(1.3)], SCALARGRAD_OPS)
        reached |= {recipe(node)[0] for node in consumers_first(out)}
    # `identity` is no user op: only `jvp` makes it (tests/test_modes.py covers it in every mode).
    internal = {identity_rule}
    assert set(rules()) - internal <= reached, [rules()[r] for r in set(rules()) - reached - internal]
    assert {op for tree in one_of_each() for op in ops_used(tree)} == ALL_OPS


@pytest.mark.parametrize("op", sorted(ALL_OPS))
def test_random_trees_can_contain(op: str) -> None:
    found = find(
        problems(),
        lambda problem: op in ops_used(problem[0]),
        settings=settings(max_examples=2000, database=None, phases=[Phase.generate]),
    )
    assert op in ops_used(found[0])

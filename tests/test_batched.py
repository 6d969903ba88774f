"""Batched replay (`scalargrad.compile(output, batch=[...])`) against eager execution and PyTorch.

A batched tape records the graph of one example and replays it over N
examples at once. Its specification is eager execution: build the N
per-example graphs with `Value`, sharing the parameter Values, average (or
sum) their outputs and call ``backward()``. The outputs of `BatchedTape.forward`
and the gradients `BatchedTape.backward` adds into the shared leaves must be
those numbers; an op that fails for some example must raise what the eager
build raises, at the first example whose graph fails.

Tolerances. Batched replay runs the engine's rules on NumPy arrays, whose
``exp``, ``log``, ``sin``... may differ from ``math``'s in the last bit, and it
sums a shared leaf's gradient over the examples in another order than eager
backpropagation does. Both are rounding, so batched and eager agree to 1e-12
relative, measured against the number plus the largest magnitude that went
into it (`term_scale`: the largest value of any node, and the largest single
contribution ``grad * partial`` summed into any gradient). That floor is for
cancellation: a gradient that is a sum of large terms cancelling to almost
nothing keeps their absolute rounding, about 1e-16 of the largest term per
addition, so relative to the small result it means nothing
(tests/test_gradients.py measures its analytic oracles the same way).
PyTorch float64, an independent oracle that shares no code with the engine,
computes the same functions with its own kernels and formulas (sigmoid,
softplus through logaddexp, logsumexp), which is rounding too: it is held to
the same 1e-12. The largest errors measured this way were 2e-16 against eager
(3000 random batches) and 2e-16 against PyTorch (2000); an op off by 1e-11
relative (tanh scaled by 1 + 1e-11 in the NumPy namespace) fails.
"""

from __future__ import annotations

import math
import os
import random
import re
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from backends import SCALARGRAD_OPS, torch_ops
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import (
    ALL_OPS,
    OPERATOR_OPS,
    Expr,
    Node,
    Var,
    conditioned,
    evaluate,
    inputs_of,
    real_exprs,
)

import scalargrad as sg
from scalargrad import Value
from scalargrad.engine import consumers_first, recipe
from scalargrad.engine.rules import identity as identity_rule
from scalargrad.engine.rules import registered
from scalargrad.losses import hinge_loss, l2_penalty

# Batched replay is the `fast` extra's: without NumPy, this whole file has nothing to test (CI has NumPy).
np = pytest.importorskip("numpy")

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------
# Trees of tests/strategies.py, built with scalargrad (eager) and with PyTorch (tests/backends.py).
# ---------------------------------------------------------------------------

RTOL = 1e-12  # against eager and PyTorch alike: rounding only (see the module docstring)


def term_scale(root: Value) -> float:
    """1, or the largest |value| of a node under ``root``, or the largest |grad * partial| backward summed."""
    seen = [1.0]
    for node in consumers_first(root):
        seen.append(abs(node.data))
        seen.extend(abs(node.grad * p) for p in node.partials)
    return max(seen)


def assert_close(ours: float, oracle: float, scale: float, rtol: float, what: str) -> None:
    assert abs(ours - oracle) <= rtol * (abs(oracle) + scale), f"{what}: batched {ours!r} vs {oracle!r}"


# ---------------------------------------------------------------------------
# One batched problem: a tree, which inputs are per example, their columns, and the shared numbers.
# ---------------------------------------------------------------------------


@dataclass
class Batch:
    """A tree over ``nvars`` inputs: ``batch`` per example (``columns[j]`` for ``batch[j]``), the rest ``shared``."""

    expr: Expr
    nvars: int
    batch: list[int]
    columns: list[list[float]]
    shared: dict[int, float]

    @property
    def size(self) -> int:
        return len(self.columns[0])

    def point(self, i: int) -> list[float]:
        """Every input's number in example ``i``."""
        column = dict(zip(self.batch, (c[i] for c in self.columns)))
        return [column[v] if v in column else self.shared[v] for v in range(self.nvars)]


@st.composite
def batches(draw: st.DrawFn, max_depth: int = 4, max_vars: int = 4, max_size: int = 7) -> Batch:
    """A random tree over every op, some of its inputs per example (N in 1..7), well conditioned in every example.

    The first example fixes the shared numbers (as `strategies.problems` draws
    a point); every other example is redrawn until `conditioned`, or left out.
    """
    nvars = draw(st.integers(1, max_vars))
    expr = draw(real_exprs(nvars, ALL_OPS, draw(st.integers(2, max_depth))))
    used = sorted(inputs_of(expr))
    batch = sorted(draw(st.permutations(used))[: draw(st.integers(1, len(used)))])
    coordinate = st.floats(-2.0, 2.0, allow_subnormal=False)
    rows: list[list[float]] = []
    shared: dict[int, float] = {}
    # Two examples first: what Hypothesis favours and shrinks towards is the smallest real batch.
    for example in range(draw(st.sampled_from([*range(2, max_size + 1), 1]))):
        for _ in range(5):
            point = draw(st.lists(coordinate, min_size=nvars, max_size=nvars))
            if example:  # the shared inputs keep the first example's numbers
                point = [x if v in batch else shared[v] for v, x in enumerate(point)]
            if conditioned(expr, point):
                break
        else:
            assume(example > 0)  # no first example: no shared numbers to go on from
            continue
        if not example:
            shared = {v: x for v, x in enumerate(point) if v not in batch}
        rows.append([point[v] for v in batch])
    columns = [list(c) for c in zip(*rows)]
    return Batch(expr, nvars, batch, columns, shared)


def eager(problem: Batch, reduce: str) -> tuple[list[float], dict[int, float], Value, list[Value]]:
    """The specification: N eager graphs sharing the parameter Values, their outputs reduced, ``backward()``.

    Returns the outputs, each shared input's ``.grad``, the reduced output and the per-example outputs.
    """
    params = {v: Value(x, f"p{v}") for v, x in problem.shared.items()}
    outs: list[Value] = []
    for i in range(problem.size):
        env = [params[v] if v in params else Value(x) for v, x in enumerate(problem.point(i))]
        outs.append(evaluate(problem.expr, env, SCALARGRAD_OPS))
    total = sg.sum(outs)
    loss = total / problem.size if reduce == "mean" else total
    loss.backward()
    return [o.data for o in outs], {v: p.grad for v, p in params.items()}, loss, outs


def batched(problem: Batch, reduce: str) -> tuple[list[float], dict[int, float], list[Value]]:
    """The batched tape: the graph of example 0 recorded, then ``forward(columns)`` and ``backward(reduce)``."""
    params = {v: Value(x, f"p{v}") for v, x in problem.shared.items()}
    first = problem.point(0)
    leaves = {v: Value(first[v], f"x{v}") for v in problem.batch}
    env = [params[v] if v in params else leaves[v] for v in range(problem.nvars)]
    tape = sg.compile(evaluate(problem.expr, env, SCALARGRAD_OPS), batch=[leaves[v] for v in problem.batch])
    outputs = tape.forward(problem.columns)
    assert isinstance(outputs, np.ndarray) and outputs.shape == (problem.size,) and outputs.dtype == np.float64
    tape.backward(reduce)  # type: ignore[arg-type]
    return outputs.tolist(), {v: p.grad for v, p in params.items()}, list(leaves.values())


@settings(max_examples=2 * settings().max_examples)
@given(batches(), st.sampled_from(["mean", "sum"]))
def test_random_graphs_batched_match_eager(problem: Batch, reduce: str) -> None:
    """Every op, random trees, N in 1..7: outputs and shared gradients equal eager's to 1e-12 (module docstring)."""
    want_outs, want_grads, loss, outs = eager(problem, reduce)
    got_outs, got_grads, batch_leaves = batched(problem, reduce)
    for i, (got, want) in enumerate(zip(got_outs, want_outs, strict=True)):
        assert_close(got, want, term_scale(outs[i]), RTOL, f"output of example {i}")
    scale = term_scale(loss)
    for v, want in want_grads.items():
        assert_close(got_grads[v], want, scale, RTOL, f"d/d(shared input {v})")
    assert all(leaf.grad == 0.0 for leaf in batch_leaves)  # per-example gradients are not written


@given(batches(), st.sampled_from(["mean", "sum"]))
def test_random_graphs_batched_match_pytorch(problem: Batch, reduce: str) -> None:
    """The same, against PyTorch float64 with the batch as the tensors' first dimension (1e-12, module docstring)."""
    torch = pytest.importorskip("torch")
    params = {v: torch.tensor(x, dtype=torch.float64, requires_grad=True) for v, x in problem.shared.items()}
    columns = dict(zip(problem.batch, (torch.tensor(c, dtype=torch.float64) for c in problem.columns)))
    env = [params[v] if v in params else columns[v] for v in range(problem.nvars)]
    out = evaluate(problem.expr, env, torch_ops(torch))
    loss = out.mean() if reduce == "mean" else out.sum()
    wanted = list(params.values())
    grads = torch.autograd.grad(loss, wanted, allow_unused=True) if loss.requires_grad else [None] * len(wanted)
    want_grads = {v: 0.0 if g is None else float(g) for v, g in zip(params, grads)}

    got_outs, got_grads, _ = batched(problem, reduce)
    _, _, eager_loss, outs = eager(problem, reduce)  # for the scales only
    for i, (got, want) in enumerate(zip(got_outs, out.detach().tolist(), strict=True)):
        assert_close(got, want, term_scale(outs[i]), RTOL, f"output of example {i}")
    scale = term_scale(eager_loss)
    for v, want in want_grads.items():
        assert_close(got_grads[v], want, scale, RTOL, f"d/d(shared input {v}) vs torch")


# ---------------------------------------------------------------------------
# Every registered rule, batched: each op in each of its shapes, the batch on either side.
# ---------------------------------------------------------------------------

X, Y = Var(0), Var(1)
#: x - 1: of both signs over X_COLUMN, for the ops that branch on the sign (relu, abs, sigmoid, softplus, **3).
SIGNED = Node("sub_c", (X, 1.0))
#: One small tree per op and per shape of sum/dot (as tests/test_gradients.py's catalogue), and a
#: shared subgraph meeting the per-example part (``log(y) * x``, ``y * y + x``).
CATALOGUE: list[Expr] = [
    *(Node(op, (X, Y)) for op in ("add", "sub", "mul", "div", "pow", "max", "min")),
    *(Node(op, (SIGNED,)) for op in ("neg", "pos", "abs", "sin", "cos", "tanh", "sigmoid", "softplus", "relu", "exp")),
    *(Node(op, (X,)) for op in ("log", "sqrt")),
    *(Node(op, (X, 2.5)) for op in OPERATOR_OPS if op.endswith("_c")),
    *(Node("pow_c", (SIGNED, c)) for c in (3.0, -1.0, 2.0)),  # a negative base takes whole powers
    Node("sum", (1.0, X, 2.0, Y)),
    Node("dot", (0.5, X, Y)),  # Values on both sides
    Node("dot", (Y, 2.0, X)),  # weights are numbers, bias is a Value
    Node("dot", (0.5, X, 2.0)),  # inputs are numbers
    Node("dot", (0.5, X, 2.0, 3.0, Y)),  # mixed pairs
    Node("logsumexp", (X, 2.0, Y)),
    Node("mul", (Node("log", (Y,)), X)),
    Node("add", (Node("mul", (Y, Y)), X)),
    Node("max", (Node("tanh", (X,)), Node("tanh", (X,)))),
]

#: x and y per example, chosen inside every op's domain: max and min see x < y, x > y and a tie,
#: and x - 1 is negative in two examples.
X_COLUMN = [0.7, 1.6, 0.3, 1.3, 2.0]
Y_COLUMN = [1.3, 0.4, 2.2, 1.3, 0.9]
ROLES = {
    "x per example": ([0], [X_COLUMN], {1: 1.3}),
    "y per example": ([1], [Y_COLUMN], {0: 0.7}),
    "both per example": ([0, 1], [X_COLUMN, Y_COLUMN], {}),
}


def catalogue_problem(expr: Expr, role: str) -> Batch:
    batch, columns, shared = ROLES[role]
    return Batch(expr, 2, batch, columns, shared)


def describe(expr: Expr | float) -> str:
    """A tree as text for a test id: ``mul(x, y)``, ``relu(sub_c(x, 1.0))``."""
    if isinstance(expr, Var):
        return "xy"[expr.index]
    if isinstance(expr, Node):
        return f"{expr.op}({', '.join(map(describe, expr.args))})"
    return repr(expr)


@pytest.mark.parametrize(
    ("expr", "role"),
    [
        pytest.param(expr, role, id=f"{describe(expr)}-{role}")
        for expr in CATALOGUE
        for role, (batch, _, _) in ROLES.items()
        if set(batch) <= inputs_of(expr)
    ],
)
def test_each_op_batched_matches_eager(expr: Expr, role: str) -> None:
    """One op, five examples: outputs and shared gradients (mean and sum) equal eager's to 1e-12."""
    problem = catalogue_problem(expr, role)
    for reduce in ("mean", "sum"):
        want_outs, want_grads, loss, outs = eager(problem, reduce)
        got_outs, got_grads, _ = batched(problem, reduce)
        for i, (got, want) in enumerate(zip(got_outs, want_outs, strict=True)):
            assert_close(got, want, term_scale(outs[i]), RTOL, f"output of example {i}")
        for v, want in want_grads.items():
            assert_close(got_grads[v], want, term_scale(loss), RTOL, f"{reduce}: d/d(shared input {v})")


def test_every_registered_rule_is_exercised_batched() -> None:
    """Enumerates the engine's rules, so an op added there without a batched test fails here."""
    reached: set[object] = set()
    for expr in CATALOGUE:
        _, _, loss, _ = eager(catalogue_problem(expr, "x per example"), "mean")
        reached |= {recipe(node)[0] for node in consumers_first(loss)}
    # `identity` is no user op: only `jvp` makes it.
    missing = [symbol for rule, symbol in registered().items() if rule not in reached and rule is not identity_rule]
    assert not missing, f"rules with no batched test (add them to CATALOGUE): {missing}"


# ---------------------------------------------------------------------------
# Value-dependent ops choose per example; NaN goes through as in eager.
# ---------------------------------------------------------------------------


def test_branching_ops_choose_per_example() -> None:
    """relu, abs, max and min take different branches in one batch; oracle: the gradients derived by hand.

    out = relu(w x) + |x - b| + max(w, x) + min(x, b) at w = 0.5, b = 0.25.
    Every number is a small dyadic fraction, so the sums are exact in any
    order and the batched tape must give these floats exactly:

    ======  =========  ======  =====  ==========  ==============  ======  ======
    x       relu(w x)  |x-b|   max    min         out             d/dw    d/db
    ======  =========  ======  =====  ==========  ==============  ======  ======
    -1      off        -side   w      x           0.75            1       1
    0.25    on         kink 0  w      tie: x      0.875           1.25    0
    2       on         +side   x      b           5               2       0
    0       kink: off  -side   w      x           0.75            1       1
    0.5     on         +side   tie w  b           1.25            1.5     0
    ======  =========  ======  =====  ==========  ==============  ======  ======
    """
    w, b, x = Value(0.5, "w"), Value(0.25, "b"), Value(1.0, "x")
    tape = sg.compile((w * x).relu() + abs(x - b) + sg.maximum(w, x) + sg.minimum(x, b), batch=[x])
    column = [-1.0, 0.25, 2.0, 0.0, 0.5]
    assert tape.forward([column]).tolist() == [0.75, 0.875, 5.0, 0.75, 1.25]
    tape.backward("sum")
    assert (w.grad, b.grad, x.grad) == (6.75, 2.0, 0.0)
    w.grad = b.grad = 0.0
    tape.backward()  # the mean: the same per-example gradients, each times 1/5
    assert math.isclose(w.grad, 6.75 / 5, rel_tol=1e-15) and math.isclose(b.grad, 2.0 / 5, rel_tol=1e-15)


#: Ops whose NaN handling is a decision (relu and max pass a NaN on) or plain arithmetic, x per example, w shared.
NAN_CASES: dict[str, Callable[[Value, Value], Value]] = {
    "relu": lambda x, w: (x * w).relu(),
    "abs": lambda x, w: abs(x) * w,
    "max(x, w)": lambda x, w: sg.maximum(x, w),
    "max(w, x)": lambda x, w: sg.maximum(w, x),
    "min(x, w)": lambda x, w: sg.minimum(x, w),
    "min(w, x)": lambda x, w: sg.minimum(w, x),
    "logsumexp": lambda x, w: sg.logsumexp([x, w, 1.0]),
    "log, sqrt, division": lambda x, w: (x * x + w).log() + (x * x).sqrt() + x / w,
}


def same_or_close(got: float, want: float) -> bool:
    """Both NaN, or equal to 1e-12 relative."""
    return math.isnan(got) == math.isnan(want) and (math.isnan(want) or math.isclose(got, want, rel_tol=RTOL))


@pytest.mark.parametrize("case", sorted(NAN_CASES))
def test_a_nan_example_gives_what_eager_gives(case: str) -> None:
    """A NaN in one example's column: no error, and that example's output and gradient are eager's (NaN or not).

    Oracle: N eager graphs sharing ``w``. A NaN counts as positive for relu
    and as the larger (and smaller) input of max (and min), so it passes
    through and its gradient reaches ``w`` or not, as eager decides.
    """
    build = NAN_CASES[case]
    column = [1.0, math.nan, -1.5, 0.25]
    w = Value(0.5, "w")
    outs = [build(Value(xi), w) for xi in column]
    (sg.sum(outs) / len(outs)).backward()

    wb, x = Value(0.5, "w"), Value(1.0, "x")
    tape = sg.compile(build(x, wb), batch=[x])
    got = tape.forward([column]).tolist()
    tape.backward()
    assert math.isnan(got[1]) and math.isnan(outs[1].data)
    assert all(same_or_close(a, o.data) for a, o in zip(got, outs)), (got, [o.data for o in outs])
    assert same_or_close(wb.grad, w.grad), (wb.grad, w.grad)


def test_a_nan_parameter_gives_nan_outputs_as_in_eager() -> None:
    """A shared NaN: every example NaN, no error; oracle: eager gives NaN too."""
    w, x = Value(math.nan, "w"), Value(1.0, "x")
    tape = sg.compile((w * x).tanh() + x, batch=[x])
    got = tape.forward([[1.0, 2.0]])
    assert np.isnan(got).all() and math.isnan(((w * 2.0).tanh() + 2.0).data)


# ---------------------------------------------------------------------------
# Failures: the eager error, at the first example whose eager graph fails.
# ---------------------------------------------------------------------------

Build = Callable[[Sequence[Value], Sequence[Value]], Value]


def eager_failure(build: Build, columns: Sequence[Sequence[float]], shared: Sequence[float]) -> tuple[type, int]:
    """The oracle: build the examples' graphs in order, as eager code would; the first failure's type and example."""
    params = [Value(p) for p in shared]
    for i, row in enumerate(zip(*columns)):
        try:
            build([Value(x) for x in row], params)
        except (ArithmeticError, ValueError) as error:
            return type(error), i
    raise AssertionError("eager builds every example without an error")


@dataclass(frozen=True)
class Failure:
    """``build(batch leaves, shared leaves)`` fails in eager code for some example of ``columns``."""

    build: Build
    columns: list[list[float]]
    error: type[Exception]
    symbol: str  # the op that fails, as messages name it
    shared: tuple[float, ...] = (2.0,)
    recorded: float = 1.0  # every batch leaf's number when the graph is recorded


def _overflow(x: Value) -> Value:
    return x * 1e308 * 10.0  # inf or -inf, without an error, for |x| >= 1


FAILURES: dict[str, Failure] = {
    "log of a negative": Failure(lambda x, p: x[0].log() * p[0], [[1.0, 2.0, -1.0, -2.0]], ValueError, "log"),
    "log of zero": Failure(lambda x, p: x[0].log() + p[0], [[1.0, 0.0]], ValueError, "log"),
    "sqrt of a negative": Failure(
        lambda x, p: (x[0] - p[0]).sqrt(), [[3.0, 1.0, 0.5]], ValueError, "sqrt", recorded=3.0
    ),
    "a fractional power of a negative": Failure(lambda x, p: x[0] ** 0.5 * p[0], [[4.0, -4.0]], ValueError, "**0.5"),
    "division by zero": Failure(lambda x, p: p[0] / x[0], [[1.0, 2.0, 0.0]], ZeroDivisionError, "/"),
    "zero over zero": Failure(lambda x, p: x[0] / (x[0] * p[0]), [[1.0, 0.0]], ZeroDivisionError, "/"),
    "a number over zero": Failure(lambda x, p: 1.0 / x[0] + p[0], [[5.0, 0.0, -0.0]], ZeroDivisionError, "1/"),
    "exp overflow": Failure(lambda x, p: (x[0] * p[0]).exp(), [[1.0, 2.0, 1000.0]], OverflowError, "exp"),
    "power overflow": Failure(lambda x, p: x[0] ** p[0], [[2.0, 10.0]], OverflowError, "**", shared=(400.0,)),
    # Eager raises for some non-finite arguments too, which NumPy turns into NaN without a flag.
    "sin of an overflow": Failure(
        lambda x, p: _overflow(x[0]).sin() + p[0], [[1e-300, 1.0]], ValueError, "sin", recorded=1e-300
    ),
    "log of minus infinity": Failure(lambda x, p: _overflow(x[0]).log() + p[0], [[1.0, -1.0]], ValueError, "log"),
    "NaN over zero": Failure(lambda x, p: x[0] / x[1] + p[0], [[math.nan] * 2, [1.0, 0.0]], ZeroDivisionError, "/"),
    "an overflowed parameter over zero": Failure(
        lambda x, p: (x[0] + _overflow(p[0])) / x[1], [[1.0, 1.0], [1.0, 0.0]], ZeroDivisionError, "/", shared=(1.0,)
    ),
}
# Two ops failing in different examples: eager, building example after example, meets the earlier
# example's failure first, whichever of the two ops comes first in the tape's order.
for written, two_ops in {
    "log first": lambda x, p: x[0].log() + 1.0 / x[1] + p[0],
    "1/ first": lambda x, p: 1.0 / x[1] + x[0].log() + p[0],
}.items():
    FAILURES[f"two ops failing, {written}, log fails earlier"] = Failure(
        two_ops, [[1.0, -1.0, 1.0], [1.0, 1.0, 0.0]], ValueError, "log"
    )
    FAILURES[f"two ops failing, {written}, 1/ fails earlier"] = Failure(
        two_ops, [[1.0, 1.0, -1.0], [1.0, 0.0, 1.0]], ZeroDivisionError, "1/"
    )


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_a_failing_example_raises_the_eager_error_naming_op_and_example(name: str) -> None:
    """Oracle: the N eager graphs built in order; the error's type and the first failing example must be theirs.

    After the failed pass ``backward()`` refuses, and no ``.grad`` has changed
    (a successful pass and backward before it put numbers there).
    """
    case = FAILURES[name]
    eager_error, expected = eager_failure(case.build, case.columns, case.shared)
    assert eager_error is case.error
    xs = [Value(case.recorded, f"x{i}") for i in range(len(case.columns))]
    params = [Value(p, f"p{i}") for i, p in enumerate(case.shared)]
    tape = sg.compile(case.build(xs, params), batch=xs)
    tape.forward([[case.recorded] * 2 for _ in xs])
    tape.backward()
    before = [leaf.grad for leaf in xs + params]
    op = re.escape(repr(case.symbol))
    with pytest.raises(case.error, match=rf"BatchedTape\.forward\(\): op \d+: {op} .* fails at example {expected}\b"):
        tape.forward(case.columns)
    with pytest.raises(RuntimeError, match=r"needs BatchedTape\.forward\(\) first"):
        tape.backward()
    assert [leaf.grad for leaf in xs + params] == before


#: A failure in the part all examples share: (build from (x, p), p's failing number, error, symbol).
SHARED_FAILURES: dict[str, tuple[Callable[[Value, Value], Value], float, type, str]] = {
    "log of a negative parameter": (lambda x, p: x * p.log(), -1.0, ValueError, "log"),
    "a number over a zero parameter": (lambda x, p: x + 1.0 / p, 0.0, ZeroDivisionError, "1/"),  # raised by Python
    "exp of a huge parameter": (lambda x, p: x * p.exp(), 1000.0, OverflowError, "exp"),
}


@pytest.mark.parametrize("case", sorted(SHARED_FAILURES))
def test_a_failing_shared_op_raises_the_eager_error(case: str) -> None:
    """A shared parameter out of an op's domain fails every example; oracle: the eager build's error type."""
    build, bad, error, symbol = SHARED_FAILURES[case]
    with pytest.raises(error):
        build(Value(1.0), Value(bad))
    x, p = Value(1.0, "x"), Value(2.0, "p")
    tape = sg.compile(build(x, p), batch=[x])
    tape.forward([[1.0, 2.0]])
    tape.backward()
    before = p.grad
    p.data = bad
    with pytest.raises(error, match=rf"BatchedTape\.forward\(\): op \d+: {re.escape(repr(symbol))}"):
        tape.forward([[1.0, 2.0]])
    with pytest.raises(RuntimeError, match="first"):
        tape.backward()
    assert p.grad == before and x.grad == 0.0


def test_an_infinity_eager_gives_without_an_error_is_no_error() -> None:
    """``x * 1e308 * 10`` overflows to inf in Python without raising: batched gives inf too; oracle: eager."""
    w, x = Value(0.5, "w"), Value(1.0, "x")
    column = [1.0, -2.0, 1e-300]
    tape = sg.compile(x * 1e308 * 10.0 * w + w, batch=[x])
    got = tape.forward([column]).tolist()
    tape.backward()
    ew = Value(0.5)
    outs = [Value(xi) * 1e308 * 10.0 * ew + ew for xi in column]
    (sg.sum(outs) / 3).backward()
    assert got == [o.data for o in outs] == [math.inf, -math.inf, 0.5 + 0.5e9]
    assert repr(w.grad) == repr(ew.grad)  # inf - inf: NaN, in both


# ---------------------------------------------------------------------------
# Calls that make no sense are refused, naming what is wrong.
# ---------------------------------------------------------------------------


@pytest.fixture
def tape() -> Any:
    """``(x0 w + x1).tanh()`` with x0 and x1 per example, w shared."""
    x0, x1, w = Value(1.0, "x0"), Value(2.0, "x1"), Value(0.5, "w")
    return sg.compile((x0 * w + x1).tanh(), batch=[x0, x1])


@pytest.mark.parametrize(
    ("columns", "error", "message"),
    [
        ([[1.0, 2.0]], ValueError, r"needs 2 columns, one per batch leaf, got 1"),
        ([[1.0], [2.0], [3.0]], ValueError, r"needs 2 columns"),
        ([[1.0, 2.0], [3.0]], ValueError, r"the columns differ in length: \[2, 1\]"),
        ([[], []], ValueError, r"the column for x0 must be 1-D and not empty"),
        ([["a", "b"], [1.0, 2.0]], TypeError, r"the column for x0 is not numbers"),
        # What Value() refuses, a column refuses: NumPy alone would read None as NaN and "1.5" as 1.5.
        ([[1.0, 2.0], [None, 2.0]], TypeError, r"the column for x1 is not numbers"),
        ([[1.0, 2.0], ["1.5", "2"]], TypeError, r"the column for x1 is not numbers"),
        ([[1.0, 2.0], [1j, 2.0]], TypeError, r"the column for x1 is not numbers"),
        ([[Value(1.0), 2.0], [1.0, 2.0]], TypeError, r"the column for x0 is not numbers"),
        ([[1.0, [2.0, 3.0]], [1.0, 2.0]], TypeError, r"the column for x0 is not numbers"),
        ([[[1.0, 2.0]], [1.0, 2.0]], ValueError, r"the column for x0 must be 1-D"),
        ([np.zeros((2, 2)), [1.0, 2.0]], ValueError, r"the column for x0 must be 1-D"),
        ([3.0, 4.0], ValueError, r"the column for x0 must be 1-D"),
        (Value(1.0), TypeError, r"needs one column of numbers per batch leaf"),
        ("ab", TypeError, r"needs one column of numbers per batch leaf"),
        (None, TypeError, r"needs one column of numbers per batch leaf"),
    ],
)
def test_bad_columns_are_refused(tape: Any, columns: Any, error: type, message: str) -> None:
    """Wrong count, different lengths, empty, not numbers, not 1-D: each named; nothing is computed."""
    with pytest.raises(error, match=message):
        tape.forward(columns)
    with pytest.raises(RuntimeError, match=r"needs BatchedTape\.forward\(\) first"):
        tape.backward()


def test_columns_may_be_one_array_and_one_batch_leaf_takes_a_list_of_one() -> None:
    """A 2-D array is one row per batch leaf; a lone column for one batch leaf is refused with a hint."""
    x0, x1, w = Value(1.0, "x0"), Value(2.0, "x1"), Value(0.5, "w")
    tape = sg.compile(x0 * w + x1, batch=[x0, x1])
    assert tape.forward(np.array([[1.0, 2.0, 4.0], [0.0, 1.0, 0.0]])).tolist() == [0.5, 2.0, 2.0]
    assert tape.forward(([1, 2], (3, 4))).tolist() == [3.5, 5.0]  # any sequences of numbers, ints too
    assert tape.forward([[Fraction(1, 2), True], np.array([1, 2], dtype=np.int32)]).tolist() == [1.25, 2.5]
    single = sg.compile(x0 * w, batch=[x0])
    with pytest.raises(ValueError, match=r"a list of one column, \[\[\.\.\.\]\], for one batch leaf"):
        single.forward([1.0, 2.0, 3.0])  # type: ignore[list-item]
    assert single.forward([[1.0, 2.0, 3.0]]).tolist() == [0.5, 1.0, 1.5]


def test_bad_batch_leaves_are_refused() -> None:
    """batch= must list leaves of the graph, each once, as a list; compile names what is wrong."""
    x, w = Value(1.0, "x"), Value(2.0, "w")
    hidden = x * w
    out = hidden.tanh()
    with pytest.raises(ValueError, match=r"batch\[0\] is computed by an op; a batch leaf must be a leaf"):
        sg.compile(out, batch=[hidden])
    with pytest.raises(ValueError, match=r"'stranger' is not in the graph of the output"):
        sg.compile(out, batch=[Value(3.0, "stranger")])
    with pytest.raises(ValueError, match=r"'x' is listed twice"):
        sg.compile(out, batch=[x, w, x])
    with pytest.raises(TypeError, match=r"needs a list of the leaf Values"):
        sg.compile(out, batch=x)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"needs a list of the leaf Values"):
        sg.compile(out, batch={x})  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"needs Values, got float at index 1"):
        sg.compile(out, batch=[x, 2.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"at least one batch leaf"):
        sg.compile(out, batch=[])
    with pytest.raises(TypeError, match=r"compile\(\) needs a Value as output"):
        sg.compile(3.0, batch=[x])  # type: ignore[call-overload]
    for extra in ({"sync": True}, {"codegen": True}, {"codegen": False}, {"rebuild": lambda: out}):
        with pytest.raises(TypeError, match=r"compile\(batch=\.\.\.\) takes no rebuild, sync or codegen"):
            sg.compile(out, batch=[x], **extra)
    assert len(sg.compile(out, batch=(x,))) == 2  # a tuple is a list of leaves too


def test_bad_backward_calls_are_refused(tape: Any) -> None:
    """``backward()`` before ``forward()``, or with a reduction other than mean and sum."""
    with pytest.raises(RuntimeError, match=r"BatchedTape\.backward\(\) needs BatchedTape\.forward\(\) first"):
        tape.backward()
    tape.forward([[1.0], [2.0]])
    with pytest.raises(ValueError, match=r"reduce='median'\): choose 'mean' or 'sum'"):
        tape.backward(reduce="median")
    assert repr(tape) == "<BatchedTape: 3 ops per example, batch leaves (x0, x1)>" and len(tape) == 3


# ---------------------------------------------------------------------------
# Training: eager and batched side by side, step by step.
# ---------------------------------------------------------------------------


def score(model: sg.nn.MLP, xs: Sequence[Value | float]) -> Value:
    """The output of a one-output MLP."""
    out = model(xs)
    assert isinstance(out, Value)
    return out


def assert_same_parameters(got: Sequence[Value], want: Sequence[Value], step: int) -> None:
    """Parameters equal to 1e-12 relative, against the largest parameter for those near zero.

    Both runs start from the same weights, and each step's gradients differ
    only in rounding (module docstring), so the parameters stay within a few
    ulps of each other (the largest differences seen are about 1e-16 of the
    largest parameter). Biases start at 0, where a relative error means
    nothing: there the floor is 1e-12 of the largest parameter.
    """
    scale = max(abs(p.data) for p in want)
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        assert abs(a.data - b.data) <= RTOL * max(abs(b.data), scale), f"step {step}, parameter {k}"


@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_mlp_training_batched_matches_eager_step_by_step(reduce: str) -> None:
    """20 SGD steps of a tanh MLP on minibatches of 5, 7, 3, 1 and 6 examples: one tape for every size.

    Oracle: the eager run, which builds the minibatch's N graphs, reduces
    their losses, calls ``backward()`` and updates; the batched run calls
    ``forward(columns)``, zeroes the gradients, ``backward(reduce)`` and
    updates the same way. Losses and parameters agree to 1e-12 at every step.
    """
    eager_model = sg.nn.MLP(2, [6, 6, 1], activation="tanh", seed=4)
    batch_model = sg.nn.MLP(2, [6, 6, 1], activation="tanh", seed=4)

    def example_loss(model: sg.nn.MLP, x0: Value, x1: Value, y: Value) -> Value:
        return (score(model, [x0, x1]) - y) ** 2

    x0, x1, y = Value(0.0, "x0"), Value(0.0, "x1"), Value(0.0, "y")
    tape = sg.compile(example_loss(batch_model, x0, x1, y), batch=[x0, x1, y])
    rng = np.random.default_rng(11)
    data = rng.uniform(-2.0, 2.0, size=(40, 2))
    targets = np.sin(data[:, 0]) * np.cos(data[:, 1])
    lr = 0.1 if reduce == "mean" else 0.02
    start = 0
    for step, n in enumerate([5, 7, 3, 1, 6] * 4):
        rows, ys = data[start : start + n], targets[start : start + n]
        start = (start + n) % (len(data) - 7)

        losses = [example_loss(eager_model, Value(a), Value(b), Value(t)) for (a, b), t in zip(rows, ys)]
        total = sg.sum(losses)
        eager_model.zero_grad()
        (total / n if reduce == "mean" else total).backward()

        got = tape.forward([rows[:, 0], rows[:, 1], ys])
        batch_model.zero_grad()
        tape.backward(reduce)  # type: ignore[arg-type]
        for i, loss in enumerate(losses):
            assert math.isclose(got[i], loss.data, rel_tol=RTOL, abs_tol=1e-15), (step, i)

        for model in (eager_model, batch_model):
            for p in model.parameters():
                p.data -= lr * p.grad
        assert_same_parameters(batch_model.parameters(), eager_model.parameters(), step)
    assert eager_model.parameters()[0].data != sg.nn.MLP(2, [6, 6, 1], activation="tanh", seed=4).parameters()[0].data


def test_moons_hinge_and_l2_in_per_example_form_match_the_usual_loss(monkeypatch: pytest.MonkeyPatch) -> None:
    """The moons recipe (ReLU MLP, hinge + L2, SGD with a falling learning rate), 20 full-batch steps.

    Oracle: the usual eager loss, ``hinge_loss(scores, labels) + l2_penalty(params, alpha)``.
    The batched tape replays one example's loss, ``relu(1 - y s) + alpha Σ p²``,
    whose mean over the examples is that loss (the L2 term is the same in
    every example). Loss and parameters agree to 1e-12 at every step.
    """
    monkeypatch.syspath_prepend(str(ROOT))
    from demos._data import make_moons

    alpha, steps = 1e-4, 20
    points, labels = make_moons(40, 0.1, random.Random(3))
    eager_model, batch_model = sg.nn.MLP(2, [8, 8, 1], seed=2), sg.nn.MLP(2, [8, 8, 1], seed=2)
    x0, x1, y = Value(0.0, "x0"), Value(0.0, "x1"), Value(1.0, "y")
    example_loss = (1.0 - y * score(batch_model, [x0, x1])).relu() + l2_penalty(batch_model.parameters(), alpha)
    tape = sg.compile(example_loss, batch=[x0, x1, y])
    columns = [[p[0] for p in points], [p[1] for p in points], labels]
    for step in range(steps):
        loss = hinge_loss([score(eager_model, p) for p in points], labels) + l2_penalty(eager_model.parameters(), alpha)
        eager_model.zero_grad()
        loss.backward()

        mean = float(np.mean(tape.forward(columns)))
        batch_model.zero_grad()
        tape.backward()
        assert math.isclose(mean, loss.data, rel_tol=RTOL), step

        lr = 1.0 - 0.9 * step / steps
        for model in (eager_model, batch_model):
            for p in model.parameters():
                p.data -= lr * p.grad
        assert_same_parameters(batch_model.parameters(), eager_model.parameters(), step)
    assert loss.data < 0.5  # it did learn


# ---------------------------------------------------------------------------
# NumPy is an extra: without it, everything but batching works and NumPy is never imported.
# ---------------------------------------------------------------------------


def test_without_numpy_scalargrad_trains_and_replays_and_batching_names_the_extra() -> None:
    """A fresh interpreter where ``import numpy`` fails, as if it were not installed.

    ``import scalargrad``, eager training and single replay (code and
    interpreted) work and never try to import NumPy (every import statement
    is watched); ``compile(loss, batch=[...])`` is the one that tries, and its
    ImportError says how to install it.
    """
    code = """
        import builtins, sys
        sys.modules["numpy"] = None  # `import numpy` now fails as if NumPy were not installed
        tried = []
        real_import = builtins.__import__

        def watch(name, *args, **kwargs):
            if name == "numpy" or name.startswith("numpy."):
                tried.append(name)
            return real_import(name, *args, **kwargs)

        builtins.__import__ = watch
        import scalargrad
        from scalargrad import Value
        from scalargrad.nn import MLP, hinge_loss, l2_penalty

        model = MLP(2, [4, 1], seed=0)
        x0, x1 = Value(0.5, "x0"), Value(1.0, "x1")

        def build():
            scores = [model([x0, x1]), model([-1.0, 0.2])]
            return hinge_loss(scores, [1, -1]) + l2_penalty(model.parameters(), 1e-4)

        for _ in range(3):
            loss = build()
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= 0.1 * p.grad
        eager = build()
        for codegen in (True, False):
            tape = scalargrad.compile(eager, codegen=codegen)
            assert tape.forward() == eager.data
        print("tried before batching:", tried)
        try:
            scalargrad.compile(model([x0, x1]), batch=[x0, x1])
        except ImportError as error:
            print("ImportError:", error)
        print("tried after:", tried)
    """
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "tried before batching: []",
        "ImportError: compile(batch=...) needs NumPy, which is not installed: pip install 'scalargrad[fast]'",
        "tried after: ['numpy']",
    ]


def test_numpy_is_the_fast_extra_and_no_dependency() -> None:
    """pyproject.toml: the core depends on graphviz only, and the ``fast`` extra the message names brings NumPy."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert [re.split(r"[<>=!~ ;\[]", d)[0] for d in project["dependencies"]] == ["graphviz"]
    assert [re.split(r"[<>=!~ ;\[]", d)[0] for d in project["optional-dependencies"]["fast"]] == ["numpy"]

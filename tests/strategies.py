"""Hypothesis strategies for random expression trees over every op of the engine.

A tree is plain data (`Var` leaves and `Node` ops), not Values, so one tree can
be evaluated by several backends: scalargrad, plain floats, sympy, PyTorch and
micrograd. `evaluate` walks it with a table mapping each op name to a function;
a subtree object used twice is evaluated once, so shared subtrees become
fan-out in the graph (the case where gradients must add up).

Ops with a restricted domain (log, sqrt, division, fractional powers) only ever
get an argument from the *positive* grammar (``exp(.)``, ``x*x + c``, ...), and
`conditioned` then rejects the few points where a value is huge or lies near a
kink or a pole, where neither central differences nor a float comparison mean
anything.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st


@dataclass(frozen=True, eq=False)
class Var:
    """The input with this index."""

    index: int


@dataclass(frozen=True, eq=False)
class Node:
    """An op applied to subtrees and plain numbers (folded constants) in ``args``.

    Argument conventions: constant ops take ``(a, c)`` (``rsub_c`` is ``c - a``);
    ``sum`` takes ``(start, *terms)``; ``dot`` takes ``(bias, w0, x0, w1, x1, ...)``;
    ``logsumexp`` takes ``(*terms)``. Any of the terms, weights, inputs or the
    bias may be a plain number.
    """

    op: str
    args: tuple[Expr | float, ...]


Expr = Var | Node
Impl = Mapping[str, Callable[..., Any]]
Check = Callable[["Node", list[Any], Any], None]


def _sum(start: Any, *terms: Any) -> Any:
    return sum(terms, start)


def _dot(bias: Any, *pairs: Any) -> Any:
    return sum((w * x for w, x in zip(pairs[0::2], pairs[1::2])), bias)


def _log_sum_exp(*terms: float) -> float:
    """``log Σ e^t`` in plain floats, for terms of any size.

    The largest term ``m`` comes out whole and the rest go through ``log1p``:
    ``m + log1p(Σ_{others} e^{t - m})``, where every exponent is at most 0.
    (The engine sums all the exponentials, the largest one's 1 included, and
    takes ``log``: the two round differently, so they are independent checks.)
    """
    k = max(range(len(terms)), key=terms.__getitem__)
    m = terms[k]
    return m + math.log1p(math.fsum(math.exp(t - m) for i, t in enumerate(terms) if i != k))


#: Ops spelled with Python operators: the same for every backend that overloads them.
OPERATOR_OPS: dict[str, Callable[..., Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "neg": operator.neg,
    "pos": operator.pos,
    "abs": abs,
    "add_c": lambda a, c: a + c,
    "radd_c": lambda a, c: c + a,
    "sub_c": lambda a, c: a - c,
    "rsub_c": lambda a, c: c - a,
    "mul_c": lambda a, c: a * c,
    "rmul_c": lambda a, c: c * a,
    "div_c": lambda a, c: a / c,
    "rdiv_c": lambda a, c: c / a,
    "pow_c": lambda a, c: a**c,
    "rpow_c": lambda a, c: c**a,
    "sum": _sum,
    "dot": _dot,
}

#: Plain-float versions of every op, written without scalargrad (an independent reference).
FLOAT_OPS: dict[str, Callable[..., float]] = {
    **OPERATOR_OPS,
    "pow": math.pow,
    "pow_c": math.pow,
    "rpow_c": lambda a, c: math.pow(c, a),
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    # The identity sigma(a) = (1 + tanh(a/2)) / 2: stable, and not the engine's formula.
    "sigmoid": lambda a: 0.5 + 0.5 * math.tanh(0.5 * a),
    "softplus": lambda a: _log_sum_exp(a, 0.0),  # log(e^a + e^0)
    "logsumexp": _log_sum_exp,
    "relu": lambda a: max(a, 0.0),
    "max": max,
    "min": min,
    "sum": lambda start, *terms: math.fsum([start, *terms]),
}

ALL_OPS = frozenset(FLOAT_OPS)
#: The one-input ops every backend spells as a function or method of the same name.
UNARY_METHODS = ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "softplus", "relu")
#: What micrograd 0.1.0 can do: + - * /, constant powers, relu (and tanh/exp where a version has them).
MICROGRAD_OPS = frozenset(OPERATOR_OPS) - {"pow", "rpow_c", "abs", "pos"} | {"relu", "tanh", "exp"}


def evaluate(expr: Expr, env: Sequence[Any], impl: Impl, check: Check | None = None) -> Any:
    """Evaluate ``expr`` with inputs ``env``, each op looked up in ``impl``.

    A subtree object that occurs twice is evaluated once (memo by identity).
    ``check(node, args, out)``, when given, sees every op application.
    """
    memo: dict[int, Any] = {}

    def go(e: Expr | float) -> Any:
        if isinstance(e, float):
            return e
        key = id(e)
        if key not in memo:
            if isinstance(e, Var):
                memo[key] = env[e.index]
            else:
                args = [go(a) for a in e.args]
                memo[key] = out = impl[e.op](*args)
                if check is not None:
                    check(e, args, out)
        return memo[key]

    return go(expr)


def parts(expr: Expr) -> Iterator[Expr | float]:
    """Every node, input and constant of ``expr``, without recursion (a deep tree is fine)."""
    stack: list[Expr | float] = [expr]
    while stack:
        e = stack.pop()
        yield e
        if isinstance(e, Node):
            stack.extend(e.args)


def ops_used(expr: Expr) -> set[str]:
    """Every op name in ``expr``."""
    return {e.op for e in parts(expr) if isinstance(e, Node)}


def inputs_of(expr: Expr) -> set[int]:
    """The indices of the inputs ``expr`` reads."""
    return {e.index for e in parts(expr) if isinstance(e, Var)}


def one_of_each() -> list[Expr]:
    """A small tree per op name and per shape of sum/dot, all meant for inputs (0.7, 1.3)."""
    x, y = Var(0), Var(1)
    trees: list[Expr] = [Node(op, (x, y)) for op in ("add", "sub", "mul", "div", "pow", "max", "min")]
    trees += [Node(op, (x,)) for op in ("neg", "pos", "abs", *UNARY_METHODS)]
    trees += [Node(op, (x, 2.5)) for op in OPERATOR_OPS if op.endswith("_c")]
    trees += [
        Node("sum", (1.0, x, 2.0, y)),
        Node("dot", (0.5, x, y)),  # Values on both sides
        Node("dot", (y, 2.0, x)),  # weights are numbers, bias is a Value
        Node("dot", (0.5, x, 2.0)),  # inputs are numbers
        Node("dot", (0.5, x, 2.0, 3.0, y)),  # mixed pairs
        Node("logsumexp", (x, 2.0, y)),
    ]
    return trees


# ---------------------------------------------------------------------------
# Conditioning: points where derivatives are well defined and floats are trustworthy.
# ---------------------------------------------------------------------------

#: Largest magnitude allowed for any intermediate value (keeps rounding error small).
MAX_MAGNITUDE = 1e3
#: Distance kept from kinks (relu, abs, max, min) and poles/boundaries (log, sqrt, 1/x).
#: Central differences step 1e-6 and intermediates move by at most ~1e-3 then.
KINK_MARGIN = 1e-2
POLE_MARGIN = 0.1


def _well_placed(op: str, args: Sequence[float], raw: tuple[Expr | float, ...]) -> bool:
    if op in ("relu", "abs"):
        return abs(args[0]) >= KINK_MARGIN
    if op in ("max", "min"):
        # The same subtree on both sides is no kink: max(a, a) = a everywhere.
        return raw[0] is raw[1] or abs(args[0] - args[1]) >= KINK_MARGIN
    if op in ("log", "sqrt", "pow"):
        return args[0] >= POLE_MARGIN
    if op == "div":
        return abs(args[1]) >= POLE_MARGIN
    if op == "rdiv_c":
        return abs(args[0]) >= POLE_MARGIN
    if op == "pow_c":
        base, c = args
        if float(c).is_integer():
            return c >= 0 or abs(base) >= POLE_MARGIN
        return base >= POLE_MARGIN
    return True


def conditioned(expr: Expr, point: Sequence[float]) -> bool:
    """Whether every op of ``expr`` at ``point`` is inside its domain, away from kinks and poles."""
    try:
        evaluate(expr, [float(x) for x in point], FLOAT_OPS, _check_placement)
    except (ArithmeticError, ValueError, TypeError):
        return False
    return True


def _check_placement(node: Node, args: list[Any], out: Any) -> None:
    if not _well_placed(node.op, args, node.args):
        raise ValueError(f"{node.op} too close to a kink or pole")
    if isinstance(out, complex) or not math.isfinite(out) or abs(out) > MAX_MAGNITUDE:
        raise ValueError(f"{node.op} out of range")


def float_value(expr: Expr, point: Sequence[float]) -> float:
    """``expr`` at ``point`` in plain floats."""
    return float(evaluate(expr, list(point), FLOAT_OPS))


def largest_intermediate(expr: Expr, point: Sequence[float]) -> float:
    """The scale rounding errors are measured against: 1 or the largest |value| in the tree."""
    seen = [1.0, *map(abs, point)]
    evaluate(expr, list(point), FLOAT_OPS, lambda node, args, out: seen.append(abs(out)))
    return max(seen)


# ---------------------------------------------------------------------------
# The grammar. Two sorts: any real, and positive (safe for log, sqrt, 1/x, x**0.5).
# ---------------------------------------------------------------------------

constants = st.floats(-3.0, 3.0, allow_subnormal=False).map(lambda c: round(c, 3))
nonzero_constants = constants.filter(lambda c: abs(c) >= 0.5)
positive_constants = st.floats(0.2, 3.0).map(lambda c: round(c, 3))

_UNARY_REAL = ("neg", "pos", "abs", "sin", "cos", "tanh", "sigmoid", "softplus", "relu", "exp")
_CONST_REAL = ("add_c", "radd_c", "sub_c", "rsub_c", "mul_c", "rmul_c")
_BINARY_REAL = ("add", "sub", "mul", "max", "min")


def _choices(ops: frozenset[str], *wanted: str) -> list[str]:
    return [op for op in wanted if op in ops]


@st.composite
def real_exprs(draw: st.DrawFn, nvars: int, ops: frozenset[str], depth: int) -> Expr:
    """Any real-valued expression over ``nvars`` inputs using only ``ops``."""
    if depth <= 0 or draw(st.integers(0, 7)) == 7:
        return Var(draw(st.integers(0, nvars - 1)))
    real = real_exprs(nvars, ops, depth - 1)
    positive = positive_exprs(nvars, ops, depth - 1)
    forms = [
        *_choices(ops, *_UNARY_REAL, *_CONST_REAL, *_BINARY_REAL),
        *_choices(ops, "div_c", "pow_c", "div", "rdiv_c", "log", "sqrt", "pow", "rpow_c", "sum", "dot", "logsumexp"),
        *(["pos_pow_c"] if "pow_c" in ops else []),
    ]
    form = draw(st.sampled_from(forms))
    if form in _UNARY_REAL:
        return Node(form, (draw(real),))
    if form in _CONST_REAL:
        return Node(form, (draw(real), draw(constants)))
    if form in _BINARY_REAL:
        a = draw(real)
        # Sometimes the same subtree twice: fan-out on an interior node.
        b = a if draw(st.integers(0, 3)) == 0 else draw(real)
        return Node(form, (a, b))
    if form == "div_c":
        return Node(form, (draw(real), draw(nonzero_constants)))
    if form == "pow_c":  # a real base takes only whole powers
        return Node(form, (draw(real), float(draw(st.sampled_from([2, 3, -1])))))
    if form == "pos_pow_c":  # a positive base takes any power
        return Node("pow_c", (draw(positive), draw(constants)))
    if form == "div":
        return Node(form, (draw(real), draw(positive)))
    if form == "rdiv_c":
        return Node(form, (draw(positive), draw(constants)))
    if form in ("log", "sqrt"):
        return Node(form, (draw(positive),))
    if form == "pow":
        return Node(form, (draw(positive), draw(real)))
    if form == "rpow_c":
        return Node(form, (draw(real), draw(positive_constants)))
    return draw(nary_exprs(real, form))


@st.composite
def positive_exprs(draw: st.DrawFn, nvars: int, ops: frozenset[str], depth: int) -> Expr:
    """An expression that is positive (and not tiny) wherever it is defined."""
    x = Var(draw(st.integers(0, nvars - 1)))
    if depth <= 0:
        # x*x + c: positive, and built from ops every backend has.
        return Node("add_c", (Node("mul", (x, x)), draw(positive_constants)))
    real = real_exprs(nvars, ops, depth - 1)
    positive = positive_exprs(nvars, ops, depth - 1)
    forms = _choices(
        ops, "exp", "sigmoid", "softplus", "sqrt", "add_c", "mul", "div", "pow", "rpow_c", "pow_c", "abs", "sum"
    )
    form = draw(st.sampled_from([*forms, "square"]))
    if form in ("exp", "sigmoid", "softplus"):
        return Node(form, (draw(real),))
    if form == "sqrt":
        return Node(form, (draw(positive),))
    if form == "add_c":
        return Node(form, (draw(positive), draw(positive_constants)))
    if form in ("mul", "div"):
        return Node(form, (draw(positive), draw(positive)))
    if form == "pow":
        return Node(form, (draw(positive), draw(real)))
    if form == "rpow_c":
        return Node(form, (draw(real), draw(positive_constants)))
    if form == "pow_c":
        return Node(form, (draw(positive), draw(constants)))
    if form == "abs":
        return Node("add_c", (Node("abs", (draw(real),)), draw(positive_constants)))
    if form == "sum":
        terms = draw(st.lists(positive, min_size=1, max_size=3))
        return Node("sum", (draw(positive_constants), *terms))
    r = draw(real)
    return Node("add_c", (Node("mul", (r, r)), draw(positive_constants)))


#: A shift that puts logsumexp's terms where a naive ``log(Σ exp)`` fails: e^900 overflows a float and
#: e^-900 underflows to 0. (The largest that keeps shifted terms within `MAX_MAGNITUDE`.)
HUGE_SHIFTS = (900.0, -900.0)


@st.composite
def nary_exprs(draw: st.DrawFn, real: st.SearchStrategy[Expr], op: str) -> Expr:
    """``sum`` or ``logsumexp`` over a mix of subtrees and numbers, or ``dot`` in each of its shapes."""
    either = st.one_of(real, constants)
    if op in ("sum", "logsumexp"):
        terms = draw(st.lists(either, min_size=1, max_size=4))
        if all(isinstance(t, float) for t in terms):
            terms[0] = draw(real)
        if op == "sum":
            return Node("sum", (draw(constants), *terms))
        if draw(st.booleans()):
            return Node("logsumexp", tuple(terms))
        # logsumexp(t + s) - s = logsumexp(t): the same function, through terms of about +-900.
        shift = draw(st.sampled_from(HUGE_SHIFTS))
        shifted = [t + shift if isinstance(t, float) else Node("add_c", (t, shift)) for t in terms]
        return Node("sub_c", (Node("logsumexp", tuple(shifted)), shift))
    n = draw(st.integers(1, 3))
    shape = draw(st.sampled_from(["values", "weights are numbers", "inputs are numbers", "mixed"]))
    side = {"values": (real, real), "weights are numbers": (constants, real), "inputs are numbers": (real, constants)}
    ws_strategy, xs_strategy = side.get(shape, (either, either))
    pairs: list[Expr | float] = []
    for _ in range(n):
        pairs += [draw(ws_strategy), draw(xs_strategy)]
    bias = draw(st.one_of(real, constants))
    if all(isinstance(p, float) for p in [*pairs, bias]):
        bias = draw(real)
    return Node("dot", (bias, *pairs))


@st.composite
def problems(
    draw: st.DrawFn, ops: frozenset[str] = ALL_OPS, max_depth: int = 4, max_vars: int = 3
) -> tuple[Expr, tuple[float, ...]]:
    """A random expression and a point where it is well conditioned."""
    nvars = draw(st.integers(1, max_vars))
    expr = draw(real_exprs(nvars, ops, draw(st.integers(2, max_depth))))
    coordinate = st.floats(-2.0, 2.0, allow_subnormal=False)
    for _ in range(5):
        point = tuple(draw(st.lists(coordinate, min_size=nvars, max_size=nvars)))
        if conditioned(expr, point):
            return expr, point
    assume(False)
    raise AssertionError("unreachable")

"""Every op of the engine, each written once: its value and its local partial derivatives.

A rule takes the op's inputs ``x`` (a tuple), its folded constants ``c`` (a
tuple: the ``3`` of ``x * 3``) and a number namespace ``m``, and returns

    (value, partials)

where ``partials[i]`` is d(value)/d(x[i]): the op's row of the Jacobian. The
chain rule then needs nothing else from the op. Backpropagation adds
``upstream * partials[i]`` into input ``i``'s gradient, forward mode adds
``partials[i] * tangent[i]`` into the output's tangent, so the same two
numbers serve both directions.

A rule computes with ``+ - * /`` and with ``m``'s functions (``m.exp``,
``m.log``, ...), never with the ``math`` module, so one rule runs on every kind
of number the engine has:

* plain floats (`scalargrad.engine.on_floats`): eager execution and compiled replay;
* `Value`\\ s (`scalargrad.engine.on_values`): the partials come out as Values
  with graphs of their own, which is what ``grad(..., create_graph=True)``
  differentiates again (Newton's method, Hessians);
* other namespaces written later (arrays of a whole batch, say) without a
  derivative written anywhere but here.

A branching op cannot use ``if`` on its inputs (a batch of numbers takes both
branches at once), so it asks ``m`` to decide (``m.positive(a)``) and to choose
(``m.where(decision, this, that)``). Ops whose partials are constants return
the shared tuples below, so they allocate nothing for their derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

#: A number of whichever kind the namespace works with: a float, a Value, an array of a batch.
Num: TypeAlias = Any
#: What a rule returns: the value and one partial derivative per input.
Local: TypeAlias = tuple[Num, Sequence[Num]]
#: ``rule(inputs, constants, numbers) -> (value, partials)``.
Rule: TypeAlias = Callable[[Sequence[Num], tuple[float, ...], Any], Local]

_SYMBOLS: dict[Rule, str] = {}

#: What a rule may call on its number namespace ``m``: every namespace (`on_floats`, `on_values`,
#: the replay's code writer and NumPy arrays) defines each of these, with the same meaning.
NUMBER_FUNCTIONS = (
    "abs",
    "at_least",
    "at_most",
    "cos",
    "dot",
    "equal",
    "exp",
    "is_finite",
    "is_infinite",
    "is_zero",
    "largest",
    "log",
    "negative",
    "positive",
    "pow",
    "power",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "tanh",
    "total",
    "where",
    "xlogy",
)


def rule(symbol: str) -> Callable[[Rule], Rule]:
    """Register an op rule with the symbol diagrams draw for it.

    ``{c}`` in the symbol stands for the op's first folded constant, so
    ``x * 3`` is drawn as the one-input gate ``*3`` (the CS231n convention).
    """

    def register(fn: Rule) -> Rule:
        _SYMBOLS[fn] = symbol
        return fn

    return register


def registered() -> dict[Rule, str]:
    """Every registered rule with its symbol (what catalogue tests and replay enumerate)."""
    return dict(_SYMBOLS)


def symbol(op: Rule, constants: Sequence[float]) -> str:
    """The rule's symbol with its folded constant written in: ``*{c:g}`` and 3 give ``*3``."""
    text = _SYMBOLS[op]
    return text.format(c=constants[0]) if "{" in text else text


# Constant partials, shared by every node whose op has them.
ONE = (1.0,)
ZERO = (0.0,)
MINUS_ONE = (-1.0,)
ONE_ONE = (1.0, 1.0)
ONE_MINUS_ONE = (1.0, -1.0)
ONE_ZERO = (1.0, 0.0)
ZERO_ONE = (0.0, 1.0)
_ONES: dict[int, tuple[float, ...]] = {}


def ones(n: int) -> tuple[float, ...]:
    """``(1.0,) * n``, one shared tuple per length: the partials of an n-ary sum."""
    found = _ONES.get(n)
    if found is None:
        found = _ONES[n] = (1.0,) * n
    return found


# ---------------------------------------------------------------------------
# Arithmetic. x: the inputs, c: the folded constants, m: the number namespace.
# ---------------------------------------------------------------------------


@rule("+")
def add(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return x[0] + x[1], ONE_ONE  # the add gate hands the gradient to both inputs unchanged


@rule("{c:+g}")
def add_const(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return x[0] + c[0], ONE


@rule("-")
def sub(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return x[0] - x[1], ONE_MINUS_ONE


@rule("-{c:g}")
def sub_const(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return x[0] - c[0], ONE


@rule("{c:g}-")
def rsub_const(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return c[0] - x[0], MINUS_ONE


@rule("neg")
def neg(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return -x[0], MINUS_ONE


@rule("*")
def mul(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    a, b = x
    return a * b, (b, a)  # the multiply gate swaps its inputs


@rule("*{c:g}")
def mul_const(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return x[0] * c[0], c  # d/dx (x k) = k: the constants tuple is the partials tuple


@rule("/")
def div(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    a, b = x
    out = a / b
    # d/db = -a / b^2, computed as -(a / b) / b: b * b would underflow to 0 for tiny b.
    return out, (1.0 / b, -out / b)


@rule("/{c:g}")
def div_const(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return x[0] / c[0], (1.0 / c[0],)


@rule("{c:g}/")
def rdiv_const(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    out = c[0] / x[0]
    return out, (-out / x[0],)  # d/da k/a = -k/a^2 = -(k/a)/a


@rule("**")
def pow_(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    a, b = x
    out = m.pow(a, b)
    return out, (_power_slope(a, b, m), m.xlogy(out, a))  # d/da = b a^(b-1), d/db = a^b log a


@rule("**{c:g}")
def pow_const(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return m.pow(x[0], c[0]), (_power_slope(x[0], c[0], m),)


@rule("{c:g}**")
def rpow_const(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    out = m.pow(c[0], x[0])
    return out, (m.xlogy(out, c[0]),)  # d/da k^a = k^a log k


def _power_slope(a: Num, e: Num, m: Any) -> Num:
    """d/da of ``a ** e``, ``e a^(e-1)``, where it has a value and at its limit where it has none.

    0 for ``e == 0`` (a constant), and infinite rather than an error where the
    curve is vertical (``a == 0`` with ``e < 1``) or too steep for a float;
    `m.power` is the power that goes to infinity there. PyTorch agrees on both.

    At ``e == 0`` the product ``e a^(e-1)`` is kept wherever ``a^(e-1)`` is
    finite: its value is 0 there, but its derivative in ``e`` is ``1/a``, which
    a gradient of a gradient needs (d²(a^e)/de da = 1/a at e = 0). Only where
    the product would be ``0 * inf`` or NaN is it replaced by its limit, 0.
    """
    power = m.power(a, e - 1.0)
    slope = e * power
    return m.where(m.is_finite(power), slope, m.where(m.is_zero(e), 0.0, slope))


# ---------------------------------------------------------------------------
# Functions.
# ---------------------------------------------------------------------------


@rule("exp")
def exp(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    out = m.exp(x[0])
    return out, (out,)  # e^a is its own derivative


@rule("log")
def log(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return m.log(x[0]), (1.0 / x[0],)


@rule("sqrt")
def sqrt(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return m.sqrt(x[0]), (0.5 * m.power(x[0], -0.5),)  # vertical, infinite, at 0


@rule("sin")
def sin(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return m.sin(x[0]), (m.cos(x[0]),)


@rule("cos")
def cos(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    return m.cos(x[0]), (-m.sin(x[0]),)


@rule("tanh")
def tanh(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    out = m.tanh(x[0])
    return out, (1.0 - out * out,)


@rule("sigmoid")
def sigmoid(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    out = m.sigmoid(x[0])
    return out, (out * (1.0 - out),)  # y(1 - y), as seed 004's Sigmoid layer


@rule("softplus")
def softplus(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    """log(1 + e^a), the smooth relu; its derivative is sigmoid(a)."""
    return m.softplus(x[0]), (m.sigmoid(x[0]),)


# ---------------------------------------------------------------------------
# Branching ops: the namespace decides, so a batch can take both branches at once.
# ---------------------------------------------------------------------------


@rule("relu")
def relu(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    on = m.positive(x[0])  # a NaN counts as positive: it passes through instead of vanishing into 0
    return m.where(on, x[0], 0.0), m.where(on, ONE, ZERO)


@rule("abs")
def abs_(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    a = x[0]
    return m.abs(a), m.where(m.negative(a), MINUS_ONE, m.where(m.is_zero(a), ZERO, ONE))


@rule("max")
def maximum(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    # The CS231n max gate: the whole gradient goes to the larger input (to `a` on a tie).
    # A NaN on either side is the result, as in PyTorch, rather than silently dropped.
    first = m.at_least(x[0], x[1])
    return m.where(first, x[0], x[1]), m.where(first, ONE_ZERO, ZERO_ONE)


@rule("min")
def minimum(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    first = m.at_most(x[0], x[1])
    return m.where(first, x[0], x[1]), m.where(first, ONE_ZERO, ZERO_ONE)


# ---------------------------------------------------------------------------
# N-ary ops: one node however many inputs.
# ---------------------------------------------------------------------------


@rule("sum")
def sum_(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    """``x_0 + ... + x_{n-1} + c_0``."""
    return m.total(x, c[0]), ones(len(x))


@rule("dot")
def dot(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    """``a_0 b_0 + ... + a_{n-1} b_{n-1} (+ bias) + c_0`` over ``x = (a_0, b_0, ..., [bias])``.

    Pairs are interleaved so a diagram shows ``w0 x0 w1 x1 ...`` in order; an
    odd count of inputs means the last one is a bias. d/da_i = b_i, d/db_i = a_i,
    d/dbias = 1: each pair is a multiply gate, the whole an add gate.
    """
    n = len(x) // 2 * 2
    a, b = x[0:n:2], x[1:n:2]
    partials: list[Num] = [1.0] * len(x)
    partials[0:n:2] = b
    partials[1:n:2] = a
    return m.dot(a, b, m.total(x[n:], c[0])), partials


@rule("dot")
def lincomb(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    """``k_0 x_0 + ... + k_{n-1} x_{n-1} + c_n`` with constant weights ``c = (k_0, ..., k_{n-1}, c_n)``.

    A dot product whose one side is plain numbers (a first layer fed with raw
    inputs): d/dx_i = k_i.
    """
    coefs = c[: len(x)]
    return m.dot(x, coefs, c[-1]), coefs


@rule("logsumexp")
def logsumexp(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    """log(e^x_0 + ... + e^x_{n-1}); d/dx_i = e^x_i / sum_j e^x_j, the softmax of the xs."""
    # Shifted by the largest term, so the biggest exp is e^0 = 1: no overflow at logits of 1000.
    # The shift is a plain number, outside the graph: it cancels out of the value and the partials.
    top = m.largest(x)  # NaN if any term is NaN, so a NaN anywhere gives NaN
    # Where top is infinite, x - top is NaN for the terms equal to it: they share all the mass,
    # the limit of finite terms.
    infinite = m.is_infinite(top)
    shifted = [m.where(infinite & m.equal(xi, top), 1.0, m.exp(xi - top)) for xi in x]
    total = m.total(shifted, 0.0)
    # The softmax as e^(x_i - top) / total: exact to rounding, where e^(x_i - out) would
    # carry the rounding of a large `out` into every probability.
    return top + m.log(total), [e / total for e in shifted]


@rule("id")
def identity(x: Sequence[Num], c: tuple[float, ...], m: Any) -> Local:
    """The input itself, as a node of its own: how `jvp` keeps its inputs apart from a caller's."""
    return x[0], ONE


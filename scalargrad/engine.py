"""The scalar autodiff engine: `Value` nodes, their ops, and backpropagation.

Every op is a *rule*: a small function that takes plain floats and returns the
forward value together with a closure that maps the upstream gradient ``g`` to
one contribution per input (the chain rule: ``g`` times each local derivative).
The forward value and its derivative therefore sit side by side, and the same
rule serves eager execution here, compiled replay (`scalargrad.compile`) and any
later mode that re-evaluates the graph.

A rule's closure never refers to the node it belongs to, so a graph holds no
reference cycles and is freed by reference counting alone. Closures take what
they need as default arguments (``lambda g, a=a, b=b: ...``) rather than as
free variables: the defaults live in one tuple the garbage collector soon stops
tracking, where every free variable would cost a cell object it walks for as
long as the graph lives, and that walking is most of an op's cost.
"""

from __future__ import annotations

import builtins
import math
import numbers
import operator
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Any, NoReturn, SupportsFloat, TypeAlias

#: Maps the upstream gradient to one gradient contribution per input.
Backward: TypeAlias = Callable[[float], Sequence[float]]
#: What a rule returns: the forward value and its backward closure.
Local: TypeAlias = tuple[float, Backward]
Rule: TypeAlias = Callable[..., Local]
Operand: TypeAlias = "Value | float | int"

_SYMBOLS: dict[Rule, str] = {}
_recording: ContextVar[bool] = ContextVar("scalargrad_recording", default=True)


def rule(symbol: str) -> Callable[[Rule], Rule]:
    """Register an op rule and the symbol diagrams draw for it.

    ``{c}`` in the symbol stands for the op's folded constant, so ``x * 3``
    is drawn as the unary gate ``*3`` (the CS231n convention).
    """

    def register(fn: Rule) -> Rule:
        _SYMBOLS[fn] = symbol
        return fn

    return register


def rules() -> dict[Rule, str]:
    """Every registered rule with its symbol (for tests and replay)."""
    return dict(_SYMBOLS)


# ---------------------------------------------------------------------------
# The rules. Arguments are the inputs' data, then any folded constants.
# ---------------------------------------------------------------------------

# Gates whose local derivatives are constants capture nothing, so every node of
# theirs shares one of these closures instead of allocating its own.


def _d1(g: float) -> tuple[float]:  # d/dx = 1
    return (g,)


def _d0(g: float) -> tuple[float]:  # d/dx = 0
    return (0.0,)


def _dm1(g: float) -> tuple[float]:  # d/dx = -1
    return (-g,)


def _d1_1(g: float) -> tuple[float, float]:  # d/da = 1, d/db = 1
    return (g, g)


def _d1_m1(g: float) -> tuple[float, float]:  # d/da = 1, d/db = -1
    return (g, -g)


def _d1_0(g: float) -> tuple[float, float]:  # d/da = 1, d/db = 0
    return (g, 0.0)


def _d0_1(g: float) -> tuple[float, float]:  # d/da = 0, d/db = 1
    return (0.0, g)


@rule("+")
def add(a: float, b: float) -> Local:
    return a + b, _d1_1


@rule("{c:+g}")
def add_const(a: float, c: float) -> Local:
    return a + c, _d1


@rule("-")
def sub(a: float, b: float) -> Local:
    return a - b, _d1_m1


@rule("-{c:g}")
def sub_const(a: float, c: float) -> Local:
    return a - c, _d1


@rule("{c:g}-")
def rsub_const(a: float, c: float) -> Local:
    return c - a, _dm1


@rule("neg")
def neg(a: float) -> Local:
    return -a, _dm1


@rule("*")
def mul(a: float, b: float) -> Local:
    return a * b, lambda g, a=a, b=b: (g * b, g * a)


@rule("*{c:g}")
def mul_const(a: float, c: float) -> Local:
    return a * c, lambda g, c=c: (g * c,)


@rule("/")
def div(a: float, b: float) -> Local:
    out = a / b
    # d/db = -a / b^2, computed as -(a / b) / b: b * b would underflow to 0 for tiny b.
    return out, lambda g, b=b, out=out: (g / b, -g * out / b)


@rule("/{c:g}")
def div_const(a: float, c: float) -> Local:
    return a / c, lambda g, c=c: (g / c,)


@rule("{c:g}/")
def rdiv_const(a: float, c: float) -> Local:
    out = c / a
    return out, lambda g, a=a, out=out: (-g * out / a,)


@rule("**")
def pow_(a: float, b: float) -> Local:
    out = math.pow(a, b)
    return out, lambda g, a=a, b=b, out=out: (g * _power_slope(a, b), g * _times_log(out, a))


@rule("**{c:g}")
def pow_const(a: float, c: float) -> Local:
    return math.pow(a, c), lambda g, a=a, c=c: (g * _power_slope(a, c),)


@rule("{c:g}**")
def rpow_const(a: float, c: float) -> Local:
    out = math.pow(c, a)
    return out, lambda g, c=c, out=out: (g * _times_log(out, c),)


@rule("exp")
def exp_(a: float) -> Local:
    out = math.exp(a)
    return out, lambda g, out=out: (g * out,)


@rule("log")
def log_(a: float) -> Local:
    return math.log(a), lambda g, a=a: (g / a,)


@rule("sqrt")
def sqrt_(a: float) -> Local:
    out = math.sqrt(a)
    return out, lambda g, out=out: (g * 0.5 / out if out else g * math.inf,)


@rule("sin")
def sin_(a: float) -> Local:
    return math.sin(a), lambda g, a=a: (g * math.cos(a),)


@rule("cos")
def cos_(a: float) -> Local:
    return math.cos(a), lambda g, a=a: (-g * math.sin(a),)


@rule("tanh")
def tanh_(a: float) -> Local:
    out = math.tanh(a)
    return out, lambda g, out=out: (g * (1.0 - out * out),)


@rule("sigmoid")
def sigmoid_(a: float) -> Local:
    out = _sigmoid(a)
    return out, lambda g, out=out: (g * out * (1.0 - out),)


@rule("softplus")
def softplus_(a: float) -> Local:
    """log(1 + e^a), the smooth relu; its derivative is sigmoid(a)."""
    # max(a, 0) + log(1 + e^-|a|): exp never sees a positive argument, so no overflow.
    out = max(a, 0.0) + math.log1p(math.exp(-abs(a)))
    slope = _sigmoid(a)
    return out, lambda g, slope=slope: (g * slope,)


@rule("relu")
def relu_(a: float) -> Local:
    # `not a <= 0` rather than `a > 0`: a NaN passes through instead of vanishing into 0.
    return (a, _d1) if not a <= 0.0 else (0.0, _d0)


@rule("abs")
def abs_(a: float) -> Local:
    return abs(a), (_dm1 if a < 0.0 else _d1 if a > 0.0 else _d0)


@rule("max")
def maximum_(a: float, b: float) -> Local:
    # The CS231n max gate: the whole gradient goes to the larger input (to `a` on a tie).
    # A NaN on either side is the result, as in PyTorch, rather than silently dropped.
    if a >= b or a != a:
        return a, _d1_0
    return b, _d0_1


@rule("min")
def minimum_(a: float, b: float) -> Local:
    if a <= b or a != a:
        return a, _d1_0
    return b, _d0_1


@rule("sum")
def sum_(*args: float) -> Local:
    """``x_0 + ... + x_{n-1} + c`` over ``args = (x_0, ..., x_{n-1}, c)``."""
    n = len(args) - 1
    return builtins.sum(args[:n], args[n]), lambda g, n=n: (g,) * n


@rule("logsumexp")
def logsumexp_(*xs: float) -> Local:
    """log(e^x_0 + ... + e^x_{n-1}); d/dx_i = e^x_i / sum_j e^x_j, the softmax of the xs."""
    # Shifted by the largest x, so the biggest exp is e^0 = 1: no overflow at logits of 1000.
    m = max(xs)
    if math.isinf(m):
        # All mass on the infinite terms (at -inf: all terms, equally), the limit of finite ones.
        shifted = [1.0 if x == m else 0.0 for x in xs]
        total = builtins.sum(shifted)
        return m, lambda g, shifted=shifted, total=total: [g * e / total for e in shifted]
    shifted = [math.exp(x - m) for x in xs]
    total = builtins.sum(shifted)
    # The softmax as e^(x_i - m) / total: exact to rounding, where e^(x_i - out) would
    # carry the rounding of the large `out` into every probability.
    return m + math.log(total), lambda g, shifted=shifted, total=total: [g * e / total for e in shifted]


@rule("dot")
def dot_(*args: float) -> Local:
    """``a_0 b_0 + ... + a_{n-1} b_{n-1} (+ bias) + c``.

    ``args = (a_0, b_0, ..., a_{n-1}, b_{n-1}, [bias], c)``: pairs interleaved so a
    diagram shows ``w0 x0 w1 x1 ...`` in order; an odd count of inputs means the
    last one is a bias. d/da_i = b_i, d/db_i = a_i, d/dbias = 1.
    """
    n = (len(args) - 1) // 2 * 2
    a, b = args[0:n:2], args[1:n:2]
    total = builtins.sum(map(operator.mul, a, b), builtins.sum(args[n:]))
    swapped = [1.0] * (len(args) - 1)
    swapped[0:n:2] = b
    swapped[1:n:2] = a
    return total, lambda g, swapped=swapped: [g * s for s in swapped]


@rule("dot")
def lincomb(*args: float) -> Local:
    """``c_0 x_0 + ... + c_{n-1} x_{n-1} + c`` with constant weights ``c_i``.

    ``args = (x_0, ..., x_{n-1}, c_0, ..., c_{n-1}, c)``: a dot product where one side
    is plain numbers (a first layer fed with raw inputs). d/dx_i = c_i.
    """
    n = (len(args) - 1) // 2
    coefs = args[n : 2 * n]
    total = builtins.sum(map(operator.mul, args[:n], coefs), args[-1])
    return total, lambda g, coefs=coefs: [g * k for k in coefs]


def _sigmoid(a: float) -> float:
    """1 / (1 + e^-a) in two branches, so that exp() only ever sees a non-positive argument."""
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _power_slope(a: float, e: float) -> float:
    """d/da of ``a ** e``, ``e * a ** (e - 1)``, defined wherever its limit is.

    0 for ``e == 0`` (a constant), and infinite rather than an error at ``a == 0``
    with ``e < 1``, where the curve is vertical (PyTorch agrees on both).
    """
    if e == 0.0:
        return 0.0
    if a == 0.0 and e < 1.0:
        return e * math.inf
    try:
        return e * math.pow(a, e - 1.0)
    except OverflowError:
        # Too steep for a float: infinite, with the sign of e * a^(e-1) (negative a has an integer e).
        odd = a < 0.0 and (e - 1.0) % 2.0 == 1.0
        return math.copysign(math.inf, -e if odd else e)


def _times_log(out: float, base: float) -> float:
    """``out * log(base)``, the exponent's derivative of ``base ** x``.

    As in PyTorch: 0 when ``base == 0`` (the limit from above), NaN for a negative base.
    """
    if base > 0.0:
        return out * math.log(base)
    return 0.0 if base == 0.0 else math.nan


# ---------------------------------------------------------------------------
# The node.
# ---------------------------------------------------------------------------


def _operator(rule: Rule | None, const_rule: Rule) -> Callable[[Value, Operand], Value]:
    """A binary operator method: ``rule`` for Value op Value, ``const_rule`` for Value op number.

    A plain number is folded into a unary node (``x * 3`` is one ``*3`` gate), not
    made a leaf. Reflected operators (``3 - x``) pass ``rule=None``: Python calls
    them only when the left operand is not a Value. Anything else returns
    NotImplemented, so Python raises its usual TypeError.
    """

    def operator(self: Value, other: Operand) -> Value:
        if rule is not None and isinstance(other, Value):
            return _apply(rule, (self, other), (self.data, other.data))
        c = _constant(other)
        if c is None:
            return NotImplemented  # type: ignore[no-any-return]
        return _apply(const_rule, (self,), (self.data, c), c)

    return operator


class Value:
    """A scalar in a computation graph: its value, its gradient, and how it was made.

    ``data`` is the forward value and ``grad`` the derivative of the last
    ``backward()`` root with respect to this node. ``parents`` are the inputs of
    the op that made it, in operand order (``a + a`` has two entries); leaves,
    such as parameters and inputs, have none.
    """

    __slots__ = ("_backward", "_const", "_rule", "data", "grad", "label", "parents")

    data: float
    grad: float
    label: str
    parents: tuple[Value, ...]
    _backward: Backward | None
    _rule: Rule | None
    _const: float | tuple[float, ...]

    def __init__(self, data: SupportsFloat, label: str = "") -> None:
        try:
            value = _constant(data)
        except OverflowError:
            raise OverflowError(f"Value(data): {data!r} is too large for a float") from None
        if value is None:
            raise TypeError(f"Value(data) needs a real number, got {type(data).__name__}: {data!r}")
        if not isinstance(label, str):
            raise TypeError(f"Value(label) needs a str, got {type(label).__name__}")
        self.data = value
        self.grad = 0.0
        self.label = label
        self.parents = ()
        self._backward = None
        self._rule = None
        self._const = ()

    @property
    def op(self) -> str:
        """The op that made this node, as diagrams draw it ('' for a leaf)."""
        return "" if self._rule is None else _symbol(self._rule, constants(self))

    # micrograd's private names, which its notebooks' graph-drawing code reads.
    @property
    def _prev(self) -> set[Value]:
        return set(self.parents)

    @property
    def _op(self) -> str:
        return self.op

    # -- arithmetic: a Value or a plain number on either side ----------------

    __add__ = __radd__ = _operator(add, add_const)
    __sub__ = _operator(sub, sub_const)
    __rsub__ = _operator(None, rsub_const)
    __mul__ = __rmul__ = _operator(mul, mul_const)
    __truediv__ = _operator(div, div_const)
    __rtruediv__ = _operator(None, rdiv_const)
    __pow__ = _operator(pow_, pow_const)
    __rpow__ = _operator(None, rpow_const)

    def __neg__(self) -> Value:
        return _apply(neg, (self,), (self.data,))

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _apply(abs_, (self,), (self.data,))

    # -- functions ----------------------------------------------------------

    def exp(self) -> Value:
        return _apply(exp_, (self,), (self.data,))

    def log(self) -> Value:
        return _apply(log_, (self,), (self.data,))

    def sqrt(self) -> Value:
        return _apply(sqrt_, (self,), (self.data,))

    def sin(self) -> Value:
        return _apply(sin_, (self,), (self.data,))

    def cos(self) -> Value:
        return _apply(cos_, (self,), (self.data,))

    def tanh(self) -> Value:
        return _apply(tanh_, (self,), (self.data,))

    def sigmoid(self) -> Value:
        return _apply(sigmoid_, (self,), (self.data,))

    def relu(self) -> Value:
        return _apply(relu_, (self,), (self.data,))

    def softplus(self) -> Value:
        return _apply(softplus_, (self,), (self.data,))

    # -- backpropagation ----------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Backpropagate from this node, ``grad`` being d(output)/d(self).

        Leaves accumulate into ``.grad`` across calls, so several losses can feed
        shared parameters; interior nodes are reset first, so they hold this
        call's gradient only.
        """
        seed = _constant(grad)
        if seed is None:
            raise TypeError(f"backward(grad) needs a real number, got {type(grad).__name__}")
        order = consumers_first(self)
        for node in order:
            if node._backward is not None:
                node.grad = 0.0
        self.grad += seed
        for node in order:
            backward = node._backward
            if backward is None:
                continue
            parents, contributions = node.parents, backward(node.grad)
            # `+=`, not `=`: a node feeding several consumers sums what each sends back.
            # Unary and binary ops, most of any graph, skip building a zip.
            if len(parents) == 2:
                parents[0].grad += contributions[0]
                parents[1].grad += contributions[1]
            elif len(parents) == 1:
                parents[0].grad += contributions[0]
            else:
                for parent, contribution in zip(parents, contributions):
                    parent.grad += contribution

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this graph."""
        return Value(self.data, self.label)

    # -- conversions --------------------------------------------------------

    def __float__(self) -> float:
        return self.data

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self) -> str:
        label = f"{self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data:.6g}, grad={self.grad:.6g})"


# ---------------------------------------------------------------------------
# Making nodes.
# ---------------------------------------------------------------------------


def _apply(
    rule: Rule, parents: tuple[Value, ...], args: tuple[float, ...], const: float | tuple[float, ...] = ()
) -> Value:
    """Run ``rule`` on ``args`` (the parents' data, then the constants ``const``) and record the node.

    A single constant comes as a bare float: a tuple would be one more object per op.
    """
    try:
        data, backward = rule(*args)
    except (ArithmeticError, ValueError) as error:
        _fail(error, rule, parents, args)
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _recording.get():
        out.parents = parents
        out._backward = backward
        out._rule = rule
        out._const = const
    else:
        out.parents = ()
        out._backward = None
        out._rule = None
        out._const = ()
    return out


def recipe(node: Value) -> tuple[Rule | None, tuple[float, ...]]:
    """The rule that made ``node`` and the constants it passed after the parents' data.

    ``rule(*[p.data for p in node.parents], *constants)`` recomputes the node:
    what compiled replay runs. A leaf has no rule.
    """
    return node._rule, constants(node)


def constants(node: Value) -> tuple[float, ...]:
    const = node._const
    return const if isinstance(const, tuple) else (const,)


def _symbol(rule: Rule, consts: Sequence[float]) -> str:
    """The rule's symbol with its folded constant written in: ``*{c:g}`` and 3 give ``*3``."""
    symbol = _SYMBOLS[rule]
    return symbol.format(c=consts[0]) if "{" in symbol else symbol


def _fail(error: Exception, rule: Rule, parents: tuple[Value, ...], args: tuple[float, ...]) -> NoReturn:
    """Re-raise ``error`` as the same type, naming the op and its inputs."""
    symbol = _symbol(rule, args[len(parents) :])
    inputs = ", ".join(f"{p.label}={p.data!r}" if p.label else repr(p.data) for p in parents)
    raise type(error)(f"op {symbol!r} on {inputs}: {error}") from None


def _constant(x: object) -> float | None:
    """``x`` as a float if it is a plain real number (not a Value), else None."""
    if type(x) is float:
        return x
    if type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, Value)):
        return float(x)
    return None


def _lift(x: Operand, op: str) -> Value:
    if isinstance(x, Value):
        return x
    c = _constant(x)
    if c is not None:
        return Value(c)
    raise TypeError(f"{op}() needs Values or real numbers, got {type(x).__name__}: {x!r}")


# ---------------------------------------------------------------------------
# Functions over Values (and plain numbers).
# ---------------------------------------------------------------------------


def exp(x: Operand) -> Value:
    """e**x."""
    return _lift(x, "exp").exp()


def log(x: Operand) -> Value:
    """Natural logarithm; ValueError for x <= 0, as ``math.log``."""
    return _lift(x, "log").log()


def sqrt(x: Operand) -> Value:
    """Square root; ValueError for x < 0, as ``math.sqrt``."""
    return _lift(x, "sqrt").sqrt()


def sin(x: Operand) -> Value:
    return _lift(x, "sin").sin()


def cos(x: Operand) -> Value:
    return _lift(x, "cos").cos()


def tanh(x: Operand) -> Value:
    return _lift(x, "tanh").tanh()


def sigmoid(x: Operand) -> Value:
    """1 / (1 + e**-x), computed without overflow for any x."""
    return _lift(x, "sigmoid").sigmoid()


def relu(x: Operand) -> Value:
    return _lift(x, "relu").relu()


def softplus(x: Operand) -> Value:
    """log(1 + e^x), computed without overflow for any x; its derivative is sigmoid(x)."""
    return _lift(x, "softplus").softplus()


def logsumexp(values: Iterable[Operand]) -> Value:
    """``log(sum(exp(v) for v in values))`` as one node, stable for values of any size.

    The softmax's normaliser: ``log_softmax(z)_i = z_i - logsumexp(z)``, and its
    gradient with respect to each value is that value's softmax probability.
    """
    parents = tuple(_lift(v, "logsumexp") for v in _items(values, "logsumexp", "values"))
    if not parents:
        raise ValueError("logsumexp() needs at least one value")
    return _apply(logsumexp_, parents, tuple(p.data for p in parents))


def maximum(a: Operand, b: Operand) -> Value:
    """The larger of a and b; the gradient flows to the larger one only (to ``a`` on a tie)."""
    a, b = _lift(a, "maximum"), _lift(b, "maximum")
    return _apply(maximum_, (a, b), (a.data, b.data))


def minimum(a: Operand, b: Operand) -> Value:
    """The smaller of a and b; the gradient flows to the smaller one only (to ``a`` on a tie)."""
    a, b = _lift(a, "minimum"), _lift(b, "minimum")
    return _apply(minimum_, (a, b), (a.data, b.data))


def sum(values: Iterable[Operand], start: float = 0.0) -> Value:
    """One n-ary ``sum`` node over ``values`` (plain numbers fold into a constant).

    Unlike ``builtins.sum``, which builds a chain of n binary ``+`` nodes, this
    is one node however many terms there are.
    """
    parents: list[Value] = []
    const = _number(start, "sum", "start")
    for v in _items(values, "sum", "values"):
        if isinstance(v, Value):
            parents.append(v)
        else:
            const += _number(v, "sum", "a term")
    if not parents:
        return Value(const)
    return _apply(sum_, tuple(parents), (*[p.data for p in parents], const), const)


def dot(ws: Sequence[Operand], xs: Sequence[Operand], bias: Operand = 0.0) -> Value:
    """``sum(w * x for w, x in zip(ws, xs)) + bias`` as a single ``dot`` node.

    A neuron's pre-activation in one gate instead of 2n: a much smaller graph
    to build, backpropagate and draw.
    """
    ws, xs = _items(ws, "dot", "ws"), _items(xs, "dot", "xs")
    if len(ws) != len(xs):
        raise ValueError(f"dot() needs ws and xs of one length, got {len(ws)} and {len(xs)}")
    const = 0.0
    pairs: list[tuple[Operand, Operand]] = []
    for w, x in zip(ws, xs):
        if isinstance(w, Value) or isinstance(x, Value):
            pairs.append((w, x))
        else:
            const += _number(w, "dot", "a weight") * _number(x, "dot", "an input")
    extra: tuple[Value, ...] = ()
    if isinstance(bias, Value):
        extra = (bias,)
    else:
        const += _number(bias, "dot", "bias")
    if not pairs and not extra:
        return Value(const)
    if all(isinstance(w, Value) and not isinstance(x, Value) for w, x in pairs):
        return _weighted(pairs, extra, const, swap=False)
    if all(isinstance(x, Value) and not isinstance(w, Value) for w, x in pairs):
        return _weighted(pairs, extra, const, swap=True)
    parents: list[Value] = []
    for w, x in pairs:
        parents += (_lift(w, "dot"), _lift(x, "dot"))
    parents += extra
    return _apply(dot_, tuple(parents), (*[p.data for p in parents], const), const)


def _weighted(pairs: list[tuple[Any, Any]], extra: tuple[Value, ...], const: float, swap: bool) -> Value:
    """A dot product whose one side is plain numbers: a ``lincomb`` node over the Values."""
    values = [x if swap else w for w, x in pairs] + list(extra)
    coefs = [_number(w if swap else x, "dot", "a coefficient") for w, x in pairs] + [1.0] * len(extra)
    consts = (*coefs, const)
    return _apply(lincomb, tuple(values), (*[v.data for v in values], *consts), consts)


def _items(values: object, op: str, what: str) -> Sequence[Any]:
    """``values`` as a sequence (a list or tuple as it is), or a TypeError naming ``op``."""
    if isinstance(values, list | tuple):
        return values
    if isinstance(values, Value) or not isinstance(values, Iterable):
        raise TypeError(f"{op}() needs {what} as a list of Values or numbers, got {type(values).__name__}")
    return list(values)


def _number(x: object, op: str, what: str) -> float:
    c = _constant(x)
    if c is None:
        raise TypeError(f"{op}() needs a real number as {what}, got {type(x).__name__}: {x!r}")
    return c


# ---------------------------------------------------------------------------
# Graph traversal and gradients.
# ---------------------------------------------------------------------------


def consumers_first(root: Value) -> list[Value]:
    """Every node under ``root``, each after all the nodes that consume it.

    This is the reverse of a topological order, the order backward runs in.
    An iterative depth-first search, so depth is no limit: a node is pushed,
    then a ``None`` marker, then its parents; popping the marker means all its
    parents are finished, and the node is emitted.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())  # type: ignore[arg-type]
            continue
        if node in seen:
            continue
        seen.add(node)
        if not node.parents:
            order.append(node)
            continue
        stack.append(node)
        stack.append(None)
        for parent in node.parents:
            if parent not in seen:
                stack.append(parent)
    order.reverse()
    return order


def grad(output: Value, inputs: Sequence[Value]) -> list[float]:
    """d(output)/d(input) for each input, leaving every ``.grad`` in the graph as it was."""
    if not isinstance(output, Value):
        raise TypeError(f"grad() needs a Value as output, got {type(output).__name__}")
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"grad() needs Values as inputs, got {type(x).__name__}: {x!r}")
    order = consumers_first(output)
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        output.backward()
        in_graph = set(map(id, order))
        return [x.grad if id(x) in in_graph else 0.0 for x in inputs]
    finally:
        for node, g in zip(order, saved):
            node.grad = g


_saved: ContextVar[tuple[bool, ...]] = ContextVar("scalargrad_saved_recording", default=())


class no_grad:  # noqa: N801 - named like torch.no_grad, used the same way
    """Inside ``with no_grad():`` (or a function decorated ``@no_grad()``), ops record no graph.

    Results are plain leaves: no parents, no closures. Per thread and per
    asyncio task, as the flag lives in a context variable; one instance may be
    shared, nested and reused, since what to restore is kept per context too.
    """

    def __enter__(self) -> None:
        _saved.set((*_saved.get(), _recording.get()))
        _recording.set(False)

    def __exit__(self, *exc: object) -> None:
        saved = _saved.get()
        _saved.set(saved[:-1])
        _recording.set(saved[-1])

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        import functools
        import inspect

        if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
            # Its body runs after the call returns, outside any `with` the wrapper could hold.
            raise TypeError(
                f"no_grad() cannot decorate the generator function {fn.__qualname__}: "
                "use `with no_grad():` inside it instead"
            )

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper


def is_grad_enabled() -> bool:
    """Whether ops record the graph here (False inside ``no_grad``)."""
    return _recording.get()

"""`Value`: one number in a computation graph, the ops that make new ones, and backward.

An op runs its rule (`scalargrad.engine.rules`) on the inputs' numbers and
records a node holding the value, the inputs (``parents``, in operand order)
and the rule's local partial derivatives. ``backward()`` then walks the graph
from the output, consumers first, and adds ``gradient * partial`` into each
input's gradient (`scalargrad.engine.accumulate`). That is the whole engine.

A node holds numbers and its inputs, never a function that refers back to it,
so a graph holds no reference cycles and is freed by reference counting alone.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from operator import attrgetter
from typing import Any, NoReturn, SupportsFloat, TypeAlias

from scalargrad.engine import on_floats
from scalargrad.engine import rules as ops
from scalargrad.engine.accumulate import backpropagate
from scalargrad.engine.graph import consumers_first
from scalargrad.engine.rules import Rule

Operand: TypeAlias = "Value | float | int"

_recording: ContextVar[bool] = ContextVar("scalargrad_recording", default=True)
_WRITING = threading.Lock()


def _operator(rule: Rule | None, const_rule: Rule) -> Callable[[Value, Operand], Value]:
    """A binary operator method: ``rule`` for Value op Value, ``const_rule`` for Value op number.

    A plain number is folded into a one-input node (``x * 3`` is one ``*3``
    gate), not made a leaf. Reflected operators (``3 - x``) pass ``rule=None``:
    Python calls them only when the left operand is not a Value. Anything else
    returns NotImplemented, so Python raises its usual TypeError.
    """

    def operator(self: Value, other: Operand) -> Value:
        if rule is not None and isinstance(other, Value):
            return _apply(rule, (self, other), (self.data, other.data))
        c = _constant(other)
        if c is None:
            return NotImplemented  # type: ignore[no-any-return]
        return _apply(const_rule, (self,), (self.data,), (c,))

    return operator


class Value:
    """A scalar in a computation graph: its value, its gradient, and how it was made.

    ``data`` is the forward value and ``grad`` the derivative of the last
    ``backward()`` root with respect to this node. ``parents`` are the inputs of
    the op that made it, in operand order (``a + a`` has two entries), and
    ``partials`` that op's local derivatives, one per parent; leaves, such as
    parameters and inputs, have neither.
    """

    __slots__ = ("_const", "_partials", "_rule", "data", "grad", "label", "parents")

    data: float
    grad: float
    label: str
    parents: tuple[Value, ...]
    _rule: Rule | None
    _const: tuple[float, ...]
    _partials: Sequence[float]

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
        self._rule = None
        self._const = ()
        self._partials = ()

    @property
    def op(self) -> str:
        """The op that made this node, as diagrams draw it ('' for a leaf)."""
        return "" if self._rule is None else ops.symbol(self._rule, self._const)

    @property
    def partials(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, at the forward values: the op's local derivatives."""
        return tuple(self._partials)

    # micrograd's private names, which its notebooks' graph-drawing code reads.
    @property
    def _prev(self) -> set[Value]:
        return set(self.parents)

    @property
    def _op(self) -> str:
        return self.op

    # -- arithmetic: a Value or a plain number on either side ----------------

    __add__ = __radd__ = _operator(ops.add, ops.add_const)
    __sub__ = _operator(ops.sub, ops.sub_const)
    __rsub__ = _operator(None, ops.rsub_const)
    __mul__ = __rmul__ = _operator(ops.mul, ops.mul_const)
    __truediv__ = _operator(ops.div, ops.div_const)
    __rtruediv__ = _operator(None, ops.rdiv_const)
    __pow__ = _operator(ops.pow_, ops.pow_const)
    __rpow__ = _operator(None, ops.rpow_const)

    def __neg__(self) -> Value:
        return _apply(ops.neg, (self,), (self.data,))

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _apply(ops.abs_, (self,), (self.data,))

    # -- functions ----------------------------------------------------------

    def exp(self) -> Value:
        return _apply(ops.exp, (self,), (self.data,))

    def log(self) -> Value:
        return _apply(ops.log, (self,), (self.data,))

    def sqrt(self) -> Value:
        return _apply(ops.sqrt, (self,), (self.data,))

    def sin(self) -> Value:
        return _apply(ops.sin, (self,), (self.data,))

    def cos(self) -> Value:
        return _apply(ops.cos, (self,), (self.data,))

    def tanh(self) -> Value:
        return _apply(ops.tanh, (self,), (self.data,))

    def sigmoid(self) -> Value:
        return _apply(ops.sigmoid, (self,), (self.data,))

    def relu(self) -> Value:
        return _apply(ops.relu, (self,), (self.data,))

    def softplus(self) -> Value:
        return _apply(ops.softplus, (self,), (self.data,))

    # -- backpropagation ----------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Backpropagate from this node, ``grad`` being d(output)/d(self).

        Leaves accumulate into ``.grad`` across calls, so several losses can feed
        shared parameters; interior nodes are overwritten, so they hold this
        call's gradient only.
        """
        seed = _constant(grad)
        if seed is None:
            raise TypeError(f"backward(grad) needs a real number, got {type(grad).__name__}")
        grads = {self: seed}
        backpropagate(consumers_first(self), _PARENTS, _PARTIALS, grads)
        # The sweep kept its sums to itself; writing them in is the only step that touches the
        # graph, so backward() calls from several threads on one graph add up as if taken in turn.
        with _WRITING:
            for node, g in grads.items():
                if node.parents:
                    node.grad = g
                else:
                    node.grad += g

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this graph."""
        return Value(self.data, self.label)

    # -- conversions --------------------------------------------------------

    def __float__(self) -> NoReturn:
        # math.exp(x) would call this and fold e^x into the graph as a constant: a silent cut.
        name = f" {self.label!r}" if self.label else ""
        raise TypeError(
            f"a Value{name} is not a float: a `math` function or float() would cut it out of the graph. "
            "Use the Value's own op to stay in the graph (x.exp() or scalargrad.exp(x), x.log(), x.sqrt(), ...), "
            "or x.data for its number"
        )

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self) -> str:
        label = f"{self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data:.6g}, grad={self.grad:.6g})"


# What the accumulation core reads from a Value: in C, as these run once per node.
_PARENTS: Callable[[Value], tuple[Value, ...]] = attrgetter("parents")
_PARTIALS: Callable[[Value], Sequence[float]] = attrgetter("_partials")


# ---------------------------------------------------------------------------
# Making nodes.
# ---------------------------------------------------------------------------


def _apply(rule: Rule, parents: tuple[Value, ...], args: tuple[float, ...], const: tuple[float, ...] = ()) -> Value:
    """Run ``rule`` on ``args`` (the parents' data) and ``const`` (its folded constants); record the node."""
    try:
        data, partials = rule(args, const, on_floats)
    except (ArithmeticError, ValueError) as error:
        _fail(error, rule, parents, const)
    except TypeError:
        _check_data(rule, parents, const)
        raise
    out = Value.__new__(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    if _recording.get():
        out.parents = parents
        out._rule = rule
        out._const = const
        out._partials = partials
    else:
        out.parents = ()
        out._rule = None
        out._const = ()
        out._partials = ()
    return out


def recipe(node: Value) -> tuple[Rule | None, tuple[float, ...]]:
    """The rule that made ``node`` and its folded constants (a leaf has no rule).

    ``rule([p.data for p in node.parents], constants, on_floats)`` recomputes
    the node's value and partials: what compiled replay runs.
    """
    return node._rule, node._const


def _fail(error: Exception, rule: Rule, parents: tuple[Value, ...], const: tuple[float, ...]) -> NoReturn:
    """Re-raise ``error`` as the same type, naming the op and its inputs."""
    inputs = ", ".join(f"{p.label}={p.data!r}" if p.label else repr(p.data) for p in parents)
    raise type(error)(f"op {ops.symbol(rule, const)!r} on {inputs}: {error}") from None


def _check_data(rule: Rule, parents: tuple[Value, ...], const: tuple[float, ...]) -> None:
    """Name the input whose ``.data`` is not a number (set by hand: ``x.data = "3"``), if one is."""
    for p in parents:
        if _constant(p.data) is None:
            name = repr(p.label) if p.label else repr(p)
            raise TypeError(
                f"op {ops.symbol(rule, const)!r}: input {name} holds {type(p.data).__name__} {p.data!r} in .data; "
                "a Value's data must be a real number"
            ) from None


def _constant(x: object) -> float | None:
    """``x`` as a float if it is a plain real number (not a Value), else None."""
    if type(x) is float:
        return x
    if type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, Value)):
        return float(x)
    return None


def _lift(x: Operand, name: str) -> Value:
    if isinstance(x, Value):
        return x
    c = _constant(x)
    if c is not None:
        return constant(c)
    raise TypeError(f"{name}() needs Values or real numbers, got {type(x).__name__}: {x!r}")


def constant(c: float) -> Value:
    """A leaf the engine makes for a plain number where an op needs a Value (``maximum(x, 0.0)``).

    It keeps its number in ``_const`` too, which no other leaf has: `Tape.check`
    accepts a fresh one from each build, where a new Value of the user's own is
    a changed graph, and `jvp` knows it for no Value from outside its function.
    """
    return freeze(Value(c))


def freeze(leaf: Value) -> Value:
    """Mark ``leaf`` as a constant the engine made (see `constant`)."""
    leaf._const = (leaf.data,)
    return leaf


def is_constant(node: Value) -> bool:
    """Whether ``node`` is a leaf the engine made for a plain number (see `constant`)."""
    return not node.parents and bool(node._const)


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
    return _apply(ops.logsumexp, parents, tuple(p.data for p in parents))


def maximum(a: Operand, b: Operand) -> Value:
    """The larger of a and b; the gradient flows to the larger one only (to ``a`` on a tie)."""
    a, b = _lift(a, "maximum"), _lift(b, "maximum")
    return _apply(ops.maximum, (a, b), (a.data, b.data))


def minimum(a: Operand, b: Operand) -> Value:
    """The smaller of a and b; the gradient flows to the smaller one only (to ``a`` on a tie)."""
    a, b = _lift(a, "minimum"), _lift(b, "minimum")
    return _apply(ops.minimum, (a, b), (a.data, b.data))


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
        return constant(const)
    return _apply(ops.sum_, tuple(parents), tuple([p.data for p in parents]), (const,))


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
        return constant(const)
    if all(isinstance(w, Value) and not isinstance(x, Value) for w, x in pairs):
        return _weighted(pairs, extra, const, swap=False)
    if all(isinstance(x, Value) and not isinstance(w, Value) for w, x in pairs):
        return _weighted(pairs, extra, const, swap=True)
    parents: list[Value] = []
    for w, x in pairs:
        parents += (_lift(w, "dot"), _lift(x, "dot"))
    parents += extra
    return _apply(ops.dot, tuple(parents), tuple([p.data for p in parents]), (const,))


def _weighted(pairs: list[tuple[Any, Any]], extra: tuple[Value, ...], const: float, swap: bool) -> Value:
    """A dot product whose one side is plain numbers: a ``lincomb`` node over the Values."""
    values = [x if swap else w for w, x in pairs] + list(extra)
    coefs = [_number(w if swap else x, "dot", "a coefficient") for w, x in pairs] + [1.0] * len(extra)
    return _apply(ops.lincomb, tuple(values), tuple([v.data for v in values]), (*coefs, const))


def identity(x: Value) -> Value:
    """A new node equal to ``x`` with derivative 1: ``x`` seen from inside a function transform."""
    return _apply(ops.identity, (x,), (x.data,))


def _items(values: object, name: str, what: str) -> Sequence[Any]:
    """``values`` as a sequence (a list or tuple as it is), or a TypeError naming the op."""
    if isinstance(values, list | tuple):
        return values
    if isinstance(values, Value) or not isinstance(values, Iterable):
        raise TypeError(f"{name}() needs {what} as a list of Values or numbers, got {type(values).__name__}")
    return list(values)


def _number(x: object, name: str, what: str) -> float:
    c = _constant(x)
    if c is None:
        raise TypeError(f"{name}() needs a real number as {what}, got {type(x).__name__}: {x!r}")
    return c


# ---------------------------------------------------------------------------
# Turning the recording off.
# ---------------------------------------------------------------------------

_saved: ContextVar[tuple[bool, ...]] = ContextVar("scalargrad_saved_recording", default=())


class no_grad:  # noqa: N801 - named like torch.no_grad, used the same way
    """Inside ``with no_grad():`` (or a function decorated ``@no_grad()``), ops record no graph.

    Results are plain leaves: no parents, no partials. Per thread and per
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
        if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
            # Its body runs after the call returns, outside any `with` the wrapper could hold.
            raise TypeError(
                f"no_grad() cannot decorate the generator function {fn.__qualname__}: "
                "use `with no_grad():` inside it instead"
            )
        if inspect.iscoroutinefunction(fn):
            # The body runs when the coroutine is awaited, so the `with` must be inside it too.
            @functools.wraps(fn)
            async def coroutine(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await fn(*args, **kwargs)

            return coroutine

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper


@contextmanager
def recording() -> Iterator[None]:
    """Ops record the graph inside, even within ``no_grad``: a function transform needs ``f``'s graph.

    As ``torch.func`` transforms do, `jvp`, `jacobian`, `hessian` and
    ``grad(create_graph=True)`` differentiate whatever the caller's ``no_grad``
    says; a ``no_grad`` inside ``f`` still holds.
    """
    token = _recording.set(True)
    try:
        yield
    finally:
        _recording.reset(token)


def is_grad_enabled() -> bool:
    """Whether ops record the graph here (False inside ``no_grad``)."""
    return _recording.get()

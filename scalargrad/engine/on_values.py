"""The rules on Values: local derivatives that are graphs themselves, to differentiate again.

Evaluated with this namespace, the rule of ``tanh`` returns the partial
``1 - out * out`` as a Value computed from the input Value, so a gradient
assembled from such partials (``grad(..., create_graph=True)``) has a graph
of its own, and its gradient is a second derivative. Nothing about any op's
derivative is written here: these are the number functions a rule calls,
each mapped to the Value op of the same name.

Plain floats may appear too (the ``3`` of ``x * 3``, a partial that is a
constant); they stay floats. Decisions (``positive``, ``at_least``, ...) look
at a Value's number, as eager execution does.
"""

from __future__ import annotations

import builtins
import math
import operator
import sys
import types
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from scalargrad.engine import on_floats
from scalargrad.engine.accumulate import Arithmetic
from scalargrad.engine.value import Value
from scalargrad.engine.value import sum as value_sum

Num = Value | float


class _Later:
    """A sum a rule computes but may not use: it becomes a node only if something reads it.

    An n-ary op's value is no partial of it (a ``dot``'s partials are its
    inputs), and here only the partials are wanted, so building the sum of a
    neuron's products would be work thrown away; logsumexp's partials do
    divide by its sum, which is then made.
    """

    __slots__ = ("_made", "_make")

    def __init__(self, make: Callable[[], Num]) -> None:
        self._make: Callable[[], Num] | None = make
        self._made: Num = 0.0

    def get(self) -> Num:
        if self._make is not None:
            self._made, self._make = self._make(), None
        return self._made

    def __add__(self, other: object) -> Any:
        return self.get() + _now(other)

    def __radd__(self, other: object) -> Any:
        return _now(other) + self.get()

    def __truediv__(self, other: object) -> Any:
        return self.get() / _now(other)

    def __rtruediv__(self, other: object) -> Any:
        return _now(other) / self.get()

    def __mul__(self, other: object) -> Any:
        return self.get() * _now(other)

    def __rmul__(self, other: object) -> Any:
        return _now(other) * self.get()


def _now(a: Any) -> Any:
    return a.get() if isinstance(a, _Later) else a


def _data(a: Num) -> float:
    a = _now(a)
    return a.data if isinstance(a, Value) else a


def _unary(method: Callable[[Value], Value], on_float: Callable[[float], float]) -> Callable[[Num], Num]:
    def fn(a: Num) -> Num:
        a = _now(a)
        return method(a) if isinstance(a, Value) else on_float(a)

    return fn


exp = _unary(Value.exp, on_floats.exp)
log = _unary(Value.log, on_floats.log)
sqrt = _unary(Value.sqrt, on_floats.sqrt)
sin = _unary(Value.sin, on_floats.sin)
cos = _unary(Value.cos, on_floats.cos)
tanh = _unary(Value.tanh, on_floats.tanh)
sigmoid = _unary(Value.sigmoid, on_floats.sigmoid)
softplus = _unary(Value.softplus, on_floats.softplus)
abs = _unary(Value.__abs__, builtins.abs)


def pow(a: Num, b: Num) -> Num:
    if isinstance(a, Value) or isinstance(b, Value):
        return a**b
    return on_floats.pow(a, b)


def power(a: Num, b: Num) -> Num:
    """As `pow` on Values (a slope that is infinite is so only where the floats say it)."""
    if isinstance(a, Value) or isinstance(b, Value):
        return a**b
    return on_floats.power(a, b)


def xlogy(x: Num, y: Num) -> Num:
    """``x * log(y)``, 0 at ``y == 0``, NaN for ``y < 0``: `on_floats.xlogy` with a differentiable ``log``."""
    at = _data(y)
    if at > 0.0:
        return x * log(y)
    return 0.0 if at == 0.0 else math.nan


def positive(a: Num) -> bool:
    return on_floats.positive(_data(a))


def negative(a: Num) -> bool:
    return on_floats.negative(_data(a))


def is_zero(a: Num) -> bool:
    return _data(a) == 0.0


def is_infinite(a: Num) -> bool:
    return math.isinf(_data(a))


def is_finite(a: Num) -> bool:
    return math.isfinite(_data(a))


def at_least(a: Num, b: Num) -> bool:
    return on_floats.at_least(_data(a), _data(b))


def at_most(a: Num, b: Num) -> bool:
    return on_floats.at_most(_data(a), _data(b))


def equal(a: Num, b: Num) -> bool:
    return _data(a) == _data(b)


where = on_floats.where


def largest(xs: Sequence[Num]) -> float:
    """The largest number (a plain float: a shift, outside the graph), NaN if any is NaN."""
    return on_floats.largest([_data(x) for x in xs])


def dot(a: Sequence[Num], b: Sequence[Num], start: Num) -> Num:
    """The sum of products as Values: a ``*`` node per pair and one n-ary sum."""
    products = list(map(operator.mul, a, b))
    begin = _now(start)
    # A Value start (a neuron's bias) is the first term: added in the order on_floats.dot adds.
    return total([begin, *products], 0.0) if isinstance(begin, Value) else total(products, begin)


def total(xs: Iterable[Num], start: float) -> Num:
    """One n-ary sum node over the Values among ``xs`` (a float if there are none)."""
    terms = [_now(t) for t in xs]
    if any(isinstance(t, Value) for t in terms):
        return value_sum(terms, start)
    return builtins.sum(terms, start)


# ---------------------------------------------------------------------------
# What the accumulation core needs to build a gradient out of Values.
# ---------------------------------------------------------------------------


def times(upstream: Num, partial: Num) -> Num:
    """``upstream * partial``, without a node where either factor is a plain 1, -1 or 0."""
    for known, other in ((partial, upstream), (upstream, partial)):
        if type(known) is float:
            if known == 1.0:
                return other
            if known == 0.0:
                return 0.0
            if known == -1.0:
                return -other
    return upstream * partial


def plus(a: Num, b: Num) -> Num:
    """``a + b``, without a node where either is a plain 0."""
    if type(b) is float and b == 0.0:
        return a
    if type(a) is float and a == 0.0:
        return b
    return a + b


ARITHMETIC = Arithmetic(times, plus)


def partials(node: Value) -> Sequence[Any]:
    """The node's local derivatives as Values: its rule evaluated again, on its parents."""
    rule = node._rule
    if rule is None:
        return ()
    return rule(node.parents, node._const, _PARTIALS_ONLY)[1]


# The namespace `partials` gives the rules: this module's functions, with the n-ary sums put off
# until a partial reads them (see `_Later`): the value a rule returns is not wanted there.
_PARTIALS_ONLY = types.SimpleNamespace(
    **{name: getattr(sys.modules[__name__], name) for name in dir(sys.modules[__name__]) if not name.startswith("_")}
)


def _later_dot(a: Sequence[Num], b: Sequence[Num], start: Num) -> _Later:
    return _Later(lambda: dot(a, b, start))


def _later_total(xs: Iterable[Num], start: float) -> _Later:
    terms = list(xs)
    return _Later(lambda: total(terms, start))


_PARTIALS_ONLY.dot = _later_dot
_PARTIALS_ONLY.total = _later_total

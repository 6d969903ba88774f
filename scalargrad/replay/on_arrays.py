"""The rules on NumPy arrays: every op over a whole batch at once (`BatchedTape`).

The same functions as `scalargrad.engine.on_floats`, elementwise: a number of
the batch is an array holding one entry per example (or a plain float, for a
number all examples share, such as a weight). Branching ops decide per
example (``positive`` gives an array of booleans, ``where`` picks per entry).

Nothing here raises: NumPy gives ``nan`` or ``inf`` where ``math`` would raise
(log of a negative, exp(1000)). When NumPy flags one, or a pass starts from a
NaN or an infinity, `BatchedTape` runs the pass again under
``numpy.errstate(all="ignore")`` and asks the float rule, wherever a result is
not finite, for the error eager execution would raise.
"""

from __future__ import annotations

import functools
from builtins import sum as total  # Python adds arrays entry by entry, in the rule's order
from collections.abc import Sequence
from typing import Any

import numpy as np

Array = Any  # an ndarray of the batch, or a float shared by all of it

exp = np.exp
log = np.log
sqrt = np.sqrt
sin = np.sin
cos = np.cos
tanh = np.tanh
abs = np.abs
pow = np.power  # IEEE results where math.pow raises; the errors are found afterwards
power = np.power
is_infinite = np.isinf
is_finite = np.isfinite
equal = np.equal


def sigmoid(a: Array) -> Array:
    """1 / (1 + e^-a), from whichever side keeps exp's argument non-positive (as `on_floats.sigmoid`)."""
    e = np.exp(-np.abs(a))
    return np.where(np.greater_equal(a, 0.0), 1.0 / (1.0 + e), e / (1.0 + e))


def softplus(a: Array) -> Array:
    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))


def xlogy(x: Array, y: Array) -> Array:
    """``x * log(y)``, 0 at ``y == 0``, NaN for ``y < 0`` (as `on_floats.xlogy`)."""
    safe = np.where(np.greater(y, 0.0), y, 1.0)
    return np.where(np.greater(y, 0.0), x * np.log(safe), np.where(np.equal(y, 0.0), 0.0, np.nan))


def positive(a: Array) -> Array:
    """a > 0, or a is NaN (``not a <= 0``, per example)."""
    return np.logical_not(np.less_equal(a, 0.0))


def negative(a: Array) -> Array:
    return np.less(a, 0.0)


def is_zero(a: Array) -> Array:
    return np.equal(a, 0.0)


def at_least(a: Array, b: Array) -> Array:
    return np.logical_or(np.greater_equal(a, b), np.isnan(a))


def at_most(a: Array, b: Array) -> Array:
    return np.logical_or(np.less_equal(a, b), np.isnan(a))


def where(decision: Array, this: Any, that: Any) -> Any:
    if isinstance(this, tuple):  # a rule's shared partials: choose element by element
        return tuple(np.where(decision, a, b) for a, b in zip(this, that))
    return np.where(decision, this, that)


def dot(a: Sequence[Array], b: Sequence[Array], start: Array) -> Array:
    """``start + sum_i a[i] b[i]`` per example; where one side is numbers shared by the batch
    (a neuron's weights), one matrix product instead of a multiply and an add per pair."""
    for shared, other in ((a, b), (b, a)):
        if all(isinstance(x, float) for x in shared):  # Python floats and NumPy's float64 scalars
            try:
                rows = np.array(other, dtype=float)  # one row per pair, when every entry has the batch's shape
            except ValueError:
                break
            return np.asarray(shared) @ rows + start
    return total(map(np.multiply, a, b), start)


def largest(xs: Sequence[Array]) -> Array:
    """The largest per example; NaN where any is NaN (``np.maximum`` propagates it)."""
    return functools.reduce(np.maximum, xs)



# Where a batched gradient meets a number all examples share, it is summed over the batch.


def reduce(x: Array) -> Array:
    """The sum over the batch of a gradient that has one entry per example (a shared one is already summed)."""
    return np.sum(x) if isinstance(x, np.ndarray) else x


def reduce_rows(rows: Sequence[Array]) -> Any:
    """`reduce` of each of many gradients at once: one NumPy call for all of a model's parameters."""
    return np.sum(np.stack(np.broadcast_arrays(*rows)), axis=1)

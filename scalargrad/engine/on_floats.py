"""The rules on plain floats: the number namespace of eager execution and compiled replay.

Each function here is what a rule calls as ``m.name``. Forward values fail the
way Python's `math` module fails (``log`` of a negative is a ValueError,
``exp(1000)`` an OverflowError), so eager errors read like ``math``'s. The
functions a rule uses for derivatives (`power`, `xlogy`) instead go to their
limits, infinite or zero, where a slope is vertical or flat.
"""

from __future__ import annotations

import math
import operator
from builtins import abs as abs
from builtins import sum as total
from collections.abc import Sequence

exp = math.exp
log = math.log
sqrt = math.sqrt
sin = math.sin
cos = math.cos
tanh = math.tanh
pow = math.pow  # the namespace's name for a ** b
is_infinite = math.isinf
is_finite = math.isfinite


def sigmoid(a: float) -> float:
    """1 / (1 + e^-a) in two branches, so that exp() only ever sees a non-positive argument."""
    if a >= 0.0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def softplus(a: float) -> float:
    """log(1 + e^a) as max(a, 0) + log(1 + e^-|a|): exp never sees a positive argument."""
    return max(a, 0.0) + math.log1p(math.exp(-math.fabs(a)))


def power(a: float, e: float) -> float:
    """``a ** e`` continued to its limits: infinite at a pole or on overflow, NaN off the domain.

    For slopes, which may be vertical (``sqrt`` at 0) or steeper than a float
    holds, where `pow` (``math.pow``) raises.
    """
    try:
        return math.pow(a, e)
    except (ZeroDivisionError, OverflowError):
        # The sign of a ** e: negative only for a negative base and an odd whole exponent.
        odd = a < 0.0 and e % 2.0 == 1.0
        return -math.inf if odd else math.inf
    except ValueError:
        return math.nan


def xlogy(x: float, y: float) -> float:
    """``x * log(y)``, 0 at ``y == 0`` (the limit of ``a^b log a`` as a -> 0+), NaN for ``y < 0``, as PyTorch."""
    if y > 0.0:
        return x * math.log(y)
    return 0.0 if y == 0.0 else math.nan


# Decisions for branching ops, and the choice between branches.


def positive(a: float) -> bool:
    """a > 0, or a is NaN (written ``not a <= 0`` so that a NaN passes through a relu)."""
    return not a <= 0.0


def negative(a: float) -> bool:
    return a < 0.0


def is_zero(a: float) -> bool:
    return a == 0.0


def at_least(a: float, b: float) -> bool:
    """a >= b, or a is NaN: where a max gate sends the gradient to its first input."""
    return a >= b or a != a


def at_most(a: float, b: float) -> bool:
    """a <= b, or a is NaN: where a min gate sends the gradient to its first input."""
    return a <= b or a != a


def equal(a: float, b: float) -> bool:
    return a == b


def where(decision: bool, this: object, that: object) -> object:
    """``this`` if ``decision`` else ``that`` (both already computed: a batch needs both)."""
    return this if decision else that


def dot(a: Sequence[float], b: Sequence[float], start: float) -> float:
    """``start + a[0] b[0] + a[1] b[1] + ...``, added in that order (Python's ``sum``, in C)."""
    return total(map(operator.mul, a, b), start)


def largest(xs: tuple[float, ...] | list[float]) -> float:
    """The largest number, or NaN if any is NaN (``max`` alone would depend on where the NaN sits)."""
    top = max(xs)
    return math.nan if any(x != x for x in xs) else top

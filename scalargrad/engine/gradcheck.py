"""Gradient checking: backprop against central differences (the seeds' 勾配確認)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from scalargrad.engine.transforms import grad, points
from scalargrad.engine.value import Value, _constant, no_grad


class GradcheckError(AssertionError):
    """Backprop and central differences disagree; the message lists every input."""


def numerical_grad(fn: Callable[..., Value], point: Sequence[float], eps: float = 1e-6) -> list[float]:
    """Central differences ``(f(x + eps) - f(x - eps)) / 2 eps`` in each input.

    Its error shrinks with eps**2 (a one-sided difference only with eps), until
    rounding in ``f`` takes over below about 1e-6. A step that leaves ``f``'s
    domain raises what ``f`` raises (``log`` of a negative: ValueError).
    """
    eps = _positive(eps, "eps")
    result = []
    with no_grad():
        for i in range(len(point)):
            up = [Value(x + eps) if j == i else Value(x) for j, x in enumerate(point)]
            down = [Value(x - eps) if j == i else Value(x) for j, x in enumerate(point)]
            result.append((_call(fn, up) - _call(fn, down)) / (2.0 * eps))
    return result


def gradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[Value | float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    raise_on_failure: bool = True,
) -> bool:
    """Check ``fn``'s backprop gradients at ``inputs`` against central differences.

    ``fn`` takes one Value per input and returns a Value. An input passes when
    ``|backprop - numerical| <= atol + rtol * |numerical|``. On a mismatch this
    raises `GradcheckError` with a row per input (backprop, numerical,
    difference), or returns False when ``raise_on_failure=False``. A
    finite-difference step outside ``fn``'s domain (``x ± eps`` below 0 for a
    ``log``) is a failure too, reported with its reason.
    """
    eps = _positive(eps, "eps")
    atol, rtol = _tolerance(atol, "atol"), _tolerance(rtol, "rtol")
    leaves = points(inputs, "gradcheck")
    output = fn(*leaves)
    if not isinstance(output, Value):
        raise TypeError(f"gradcheck() needs fn to return a Value, got {type(output).__name__}")
    analytic = grad(output, leaves)
    try:
        numeric = numerical_grad(fn, [leaf.data for leaf in leaves], eps)
    except (ArithmeticError, ValueError) as error:
        if not raise_on_failure:
            return False
        raise GradcheckError(
            f"gradcheck failed (eps={eps}): a central-difference step of ±{eps} leaves fn's domain: "
            f"{type(error).__name__}: {error}. Check at a point further from the edge, or pass a smaller eps."
        ) from None
    # `not <=` so that a NaN on either side counts as a mismatch.
    bad = [not abs(a - n) <= atol + rtol * abs(n) for a, n in zip(analytic, numeric)]
    if not any(bad):
        return True
    if not raise_on_failure:
        return False
    rows = [f"{'input':>10} {'value':>14} {'backprop':>16} {'numerical':>16} {'difference':>12}"]
    for leaf, a, n, wrong in zip(leaves, analytic, numeric, bad):
        mark = "  <- mismatch" if wrong else ""
        rows.append(f"{leaf.label:>10} {leaf.data:>14.6g} {a:>16.9g} {n:>16.9g} {a - n:>12.3g}{mark}")
    raise GradcheckError(
        f"gradcheck failed (eps={eps}, atol={atol}, rtol={rtol}): backprop and central differences disagree\n"
        + "\n".join(rows)
    )


def _positive(x: object, what: str) -> float:
    number = _constant(x)
    if number is None or isinstance(x, bool) or not (0.0 < number < math.inf):
        raise ValueError(f"gradcheck({what}={x!r}): the step must be a positive finite number, such as 1e-6")
    return number


def _tolerance(x: object, what: str) -> float:
    number = _constant(x)
    if number is None or isinstance(x, bool) or not (0.0 <= number < math.inf):
        raise ValueError(f"gradcheck({what}={x!r}): a tolerance must be a finite number >= 0")
    return number


def _call(fn: Callable[..., Value], args: list[Value]) -> float:
    out = fn(*args)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck() needs fn to return a Value, got {type(out).__name__}")
    return out.data

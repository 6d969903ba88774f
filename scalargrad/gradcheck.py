"""Gradient checking: backprop against central differences (the seeds' 勾配確認)."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

from scalargrad.engine import Value, grad, no_grad


class GradcheckError(AssertionError):
    """Backprop and central differences disagree; the message lists every input."""


def numerical_grad(fn: Callable[..., Value], point: Sequence[float], eps: float = 1e-6) -> list[float]:
    """Central differences ``(f(x + eps) - f(x - eps)) / 2 eps`` in each input.

    Its error shrinks with eps**2 (a one-sided difference only with eps), until
    rounding in ``f`` takes over below about 1e-6.
    """
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
    difference), or returns False when ``raise_on_failure=False``.
    """
    for x in inputs:
        if not isinstance(x, Value | numbers.Real):
            raise TypeError(f"gradcheck() needs Values or real numbers as inputs, got {type(x).__name__}: {x!r}")
    point = [float(x) for x in inputs]
    leaves = [Value(x, label=_label(inp, i)) for i, (inp, x) in enumerate(zip(inputs, point))]
    output = fn(*leaves)
    if not isinstance(output, Value):
        raise TypeError(f"gradcheck() needs fn to return a Value, got {type(output).__name__}")
    analytic = grad(output, leaves)
    numeric = numerical_grad(fn, point, eps)
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


def _label(inp: Value | float, i: int) -> str:
    return inp.label if isinstance(inp, Value) and inp.label else f"x{i}"


def _call(fn: Callable[..., Value], args: list[Value]) -> float:
    return float(fn(*args).data)

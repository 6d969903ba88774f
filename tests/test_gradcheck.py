"""gradcheck: backprop against central differences (the seeds' gradient check).

A deliberately wrong gradient is built without touching the engine: the output
value is computed from plain floats and a zero-valued linear term carries a
chosen slope, ``Value(f(x.data)) + (x - x.data) * slope``. Its value is f(x)
everywhere, so central differences see f'(x); backprop sees ``slope``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest

import scalargrad as sg
from scalargrad import GradcheckError, Value


def with_slope(f: Callable[[float], float], slope: Callable[[float], float]) -> Callable[[Value], Value]:
    """A function whose value is f but whose backprop gradient is ``slope`` (right or wrong)."""

    def fn(x: Value) -> Value:
        return Value(f(x.data)) + (x - x.data) * slope(x.data)

    return fn


@pytest.mark.parametrize(
    ("fn", "point"),
    [
        (lambda x, y: (x * y).tanh() + x.exp() / y, [0.3, -1.7]),
        (lambda x: (x.sin() * x) ** 2 + x, [1.1]),
        (lambda a, b: a**b + 2**a - sg.maximum(a, b).sigmoid(), [1.5, 0.7]),
        (lambda *xs: sg.dot(xs[:2], xs[2:4], bias=xs[4]).relu().sqrt() + sg.sum(xs).log(), [1.0, 2.0, 0.5, 0.3, 0.1]),
        (with_slope(math.sin, math.cos), [0.4]),
    ],
    ids=["tanh-exp-div", "seed-001", "powers-max-sigmoid", "dot-relu-sqrt-sum-log", "surrogate-right-slope"],
)
def test_gradcheck_passes_on_correct_gradients(fn: Callable[..., Value], point: list[float]) -> None:
    assert sg.gradcheck(fn, point) is True
    assert sg.gradcheck(fn, [Value(x) for x in point], raise_on_failure=False) is True


def test_gradcheck_leaves_the_callers_values_untouched() -> None:
    inputs = [Value(0.5, label="a"), Value(-1.0, label="b")]
    assert sg.gradcheck(lambda a, b: a * b, inputs)
    assert [(v.data, v.grad) for v in inputs] == [(0.5, 0.0), (-1.0, 0.0)]


def _numbers(line: str) -> list[float]:
    return [float(n) for n in re.findall(r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?", line)]


def _row(message: str, label: str) -> list[float]:
    rows = [line for line in message.splitlines() if re.search(rf"(^|\s){re.escape(label)}\s", line)]
    assert len(rows) == 1, f"no single row for {label!r} in:\n{message}"
    return _numbers(rows[0])


def _has(numbers: list[float], x: float) -> bool:
    return any(math.isclose(n, x, rel_tol=1e-4, abs_tol=1e-6) for n in numbers)


def test_gradcheck_failure_lists_each_input_with_both_gradients_and_the_difference() -> None:
    # x * y.detach(): backprop gives (y, 0); central differences see x * y and give (y, x).
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    with pytest.raises(GradcheckError) as caught:
        sg.gradcheck(lambda a, b: a * b.detach(), [x, y])
    message = str(caught.value)
    x_row, y_row = _row(message, "x"), _row(message, "y")
    assert all(_has(x_row, n) for n in (2.0, 3.0))  # value, backprop = numerical = 3
    assert all(_has(y_row, n) for n in (3.0, 0.0, 2.0, -2.0))  # value 3, backprop 0, numerical 2, difference -2
    assert isinstance(caught.value, AssertionError)  # so a bare `assert gradcheck(...)` reads naturally


def test_gradcheck_names_unlabelled_inputs_by_position() -> None:
    wrong = with_slope(math.exp, lambda x: 2 * math.exp(x))
    with pytest.raises(GradcheckError) as caught:
        sg.gradcheck(lambda a, b: wrong(a) + b * b, [0.0, 1.5])
    message = str(caught.value)
    first = _row(message, "x0")
    assert _has(first, 2.0) and _has(first, 1.0)  # value 0, backprop 2, numerical 1, difference 1
    second = _row(message, "x1")
    assert _has(second, 1.5) and _has(second, 3.0)  # d(b*b)/db at 1.5, right on both sides


def test_gradcheck_returns_false_instead_of_raising_when_asked() -> None:
    wrong = with_slope(math.sin, lambda x: -math.cos(x))
    assert sg.gradcheck(wrong, [0.3], raise_on_failure=False) is False


def test_gradcheck_rtol_decides_a_small_relative_error() -> None:
    # 1e-5 relative error: inside the default rtol 1e-3, outside rtol 1e-8 with atol 0.
    slightly_off = with_slope(math.exp, lambda x: math.exp(x) * (1 + 1e-5))
    assert sg.gradcheck(slightly_off, [0.7]) is True
    assert sg.gradcheck(slightly_off, [0.7], atol=0.0, rtol=1e-8, raise_on_failure=False) is False


def test_gradcheck_on_the_seed_two_layer_style_network() -> None:
    # A small 2-2-1 tanh network as one function of its 9 parameters, at fixed inputs.
    inputs = [0.5, -0.25]

    def net(*p: Value) -> Value:
        hidden = [sg.dot(p[2 * j : 2 * j + 2], inputs, bias=p[4 + j]).tanh() for j in range(2)]
        return (sg.dot(p[6:8], hidden, bias=p[8]) - 1.0) ** 2

    assert sg.gradcheck(net, [0.1, -0.2, 0.3, 0.4, 0.05, -0.05, 0.6, -0.7, 0.2], atol=1e-8, rtol=1e-6)


def test_a_nan_numerical_gradient_is_a_mismatch() -> None:
    # f is 1 at the point itself and NaN anywhere near it: central differences give NaN.
    def f(x: Value) -> Value:
        return x if x.data == 1.0 else Value(float("nan"))

    with pytest.raises(GradcheckError):
        sg.gradcheck(f, [1.0])


def test_gradcheck_refuses_inputs_that_are_not_numbers() -> None:
    with pytest.raises(TypeError, match=r"gradcheck\(\).*str"):
        sg.gradcheck(lambda x: x * 2, ["1.5"])  # type: ignore[list-item]

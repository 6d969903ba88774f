"""The engine's semantics: backward, fan-out, memory, ops, no_grad, grad(), conversions and errors.

Expected numbers are derived by hand in each test (or by micrograd, whose
reference cycle the memory test must detect), never read back from the engine.
"""

from __future__ import annotations

import fractions
import functools
import gc
import math
import re
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from micrograd.engine import Value as MicroValue

import scalargrad as sg
from scalargrad import Value

# ---------------------------------------------------------------------------
# Backward semantics
# ---------------------------------------------------------------------------


@pytest.fixture
def collector_off() -> Iterator[None]:
    """Turn the cyclic garbage collector off, so only reference counting frees objects."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_million_op_chain_builds_backpropagates_and_is_freed(collector_off: None) -> None:
    x = Value(1.0)
    unreferenced = sys.getrefcount(x)
    y = x
    for _ in range(1_000_000):
        y = y * 1.000001
    y.backward()
    expected = math.pow(1.000001, 1_000_000)  # dy/dx: a million factors of 1.000001, ~e
    assert x.grad == pytest.approx(expected, rel=1e-9)
    assert y.data == pytest.approx(expected, rel=1e-9)
    del y
    # Only reference counting runs here: x is released only if the whole chain above it was freed.
    assert sys.getrefcount(x) == unreferenced


def test_backward_twice_doubles_leaf_grads_exactly_and_resets_interior_grads() -> None:
    a, b = Value(1.5), Value(-2.0)
    c = a * b
    d = c + a.tanh()
    e = d * d + c
    e.backward()
    leaves_once = (a.grad, b.grad)
    interior_once = (c.grad, d.grad, e.grad)
    e.backward()
    assert (a.grad, b.grad) == (2 * leaves_once[0], 2 * leaves_once[1])
    assert (c.grad, d.grad, e.grad) == interior_once
    e.backward()
    assert (a.grad, b.grad) == (3 * leaves_once[0], 3 * leaves_once[1])
    # Hand-derived once-values: de/dd = 2d + 0, de/dc = 2d * 1 + 1.
    dd = 2 * d.data
    assert interior_once == (pytest.approx(dd + 1), pytest.approx(dd), 1.0)


def test_leaves_accumulate_gradients_of_several_losses() -> None:
    w = Value(3.0)
    loss1 = w * 2
    loss2 = w * w
    loss1.backward()
    loss2.backward()
    assert w.grad == 2 + 2 * 3.0


def test_backward_seed_gradient_scales_everything() -> None:
    x = Value(2.0)
    y = x * x
    y.backward(0.5)
    assert (y.grad, x.grad) == (0.5, 0.5 * 2 * 2.0)


def test_fan_out_a_plus_a_gives_2() -> None:
    a = Value(5.0)
    (a + a).backward()
    assert a.grad == 2


def test_fan_out_x_times_x_gives_2x() -> None:
    x = Value(-3.5)
    (x * x).backward()
    assert x.grad == -7.0


def test_fan_out_twice_b_is_a_plus_a_c_is_b_plus_b_gives_4() -> None:
    a = Value(1.0)
    b = a + a
    c = b + b
    c.backward()
    assert (b.grad, a.grad) == (2, 4)


def test_parents_keep_operand_order_and_repeats() -> None:
    a, b = Value(1.0), Value(2.0)
    assert (a + a).parents == (a, a)
    assert len((a + a).parents) == 2
    assert (a - b).parents == (a, b)
    assert (b - a).parents == (b, a)
    assert (b**a).parents == (b, a)
    assert a.parents == ()


def _micrograd_style(value: type) -> tuple[list[float], float]:
    """Code written against micrograd's API only; run with either engine's Value class."""
    a, b = value(-3.0), value(1.5)
    c = a * b + b**2
    c += 1 - a
    d = (c * 2 + a).relu() - (b - a).relu() * 0.5
    d += d / 4.0 + 3 / (b + 2)
    e = (d - c) ** 2 - a * -1
    e.backward()
    return [float(a.grad), float(b.grad)], float(e.data)


def test_micrograd_code_runs_unchanged_and_agrees_with_micrograd() -> None:
    ours = _micrograd_style(Value)
    theirs = _micrograd_style(MicroValue)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-12)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12)
    assert all(g != 0 for g in ours[0])


def test_plain_numbers_fold_into_one_unary_node() -> None:
    x = Value(2.0)
    assert (x * 3).parents == (x,)
    assert ((x * 3).op, (x + 2).op, x.op, x.relu().op, (x + x).op) == ("*3", "+2", "", "relu", "+")
    y = 3 * x + 2
    y.backward()
    assert (y.data, x.grad) == (8.0, 3.0)


def _chain_with_micrograd(leaf: MicroValue) -> MicroValue:
    return (leaf * 2 + 1).relu() * leaf


def _chain_with_scalargrad(leaf: Value) -> Value:
    return (leaf * 2 + 1).relu() * leaf


def test_dropped_graph_is_freed_by_reference_counting_alone(collector_off: None) -> None:
    x = Value(1.0)
    unreferenced = sys.getrefcount(x)
    y = _chain_with_scalargrad(x)
    y.backward()
    assert sys.getrefcount(x) > unreferenced
    del y
    assert sys.getrefcount(x) == unreferenced  # no node/closure cycle keeps the graph alive


def test_same_check_detects_micrograds_node_closure_cycle(collector_off: None) -> None:
    # The companion of the test above: the check is not vacuous. micrograd's closures
    # refer to their own node, so a dropped graph waits for the cyclic collector.
    x = MicroValue(1.0)
    unreferenced = sys.getrefcount(x)
    y = _chain_with_micrograd(x)
    y.backward()
    del y
    assert sys.getrefcount(x) > unreferenced
    gc.collect()
    assert sys.getrefcount(x) == unreferenced


@pytest.mark.parametrize("x0", [1000.0, -1000.0, 710.0, -745.5])
def test_tanh_and_sigmoid_are_stable_at_extreme_inputs(x0: float) -> None:
    x = Value(x0)
    t, s = x.tanh(), x.sigmoid()
    (t + s).backward()
    assert t.data == math.copysign(1.0, x0)
    assert s.data == pytest.approx(1.0 if x0 > 0 else 0.0, abs=1e-300)
    assert 0.0 <= s.data <= 1.0
    assert math.isfinite(x.grad)
    assert x.grad == pytest.approx(0.0, abs=1e-300)


def test_sigmoid_of_large_negative_input_keeps_its_tiny_value() -> None:
    x = Value(-700.0)
    s = x.sigmoid()
    s.backward()
    assert s.data == pytest.approx(math.exp(-700.0), rel=1e-12)  # 1/(1+e^700) = e^-700/(1+e^-700)
    assert x.grad == pytest.approx(math.exp(-700.0), rel=1e-12)


@pytest.mark.parametrize(
    ("x0", "value", "slope"),
    [
        # e^-1000 underflows to 0, so softplus(1000) = 1000 + log(1 + e^-1000) is 1000 in floats, sigmoid 1.
        (1000.0, 1000.0, 1.0),
        (-1000.0, 0.0, 0.0),  # log(1 + e^-1000) and sigmoid(-1000) are about 5e-435: 0 in floats
        (0.0, math.log(2.0), 0.5),  # smooth at 0: sigmoid(0) is exactly one half
        (-700.0, math.exp(-700.0), math.exp(-700.0)),  # log(1 + u) = u and u / (1 + u) = u to 1e-304
        (30.0, 30.0 + math.exp(-30.0), 1.0 - math.exp(-30.0)),  # first order in e^-30, good to 1e-26
    ],
)
def test_softplus_values_and_gradients_from_extreme_to_zero(x0: float, value: float, slope: float) -> None:
    x = Value(x0)
    y = sg.softplus(x)
    assert (y.op, y.parents) == ("softplus", (x,))
    y.backward()
    assert y.data == pytest.approx(value, rel=1e-15, abs=0.0)
    assert x.grad == pytest.approx(slope, rel=1e-15, abs=0.0)
    if x0 == 0.0:
        assert x.grad == 0.5


#: The rule's gradient is e^(x - out): rounding an output near 1000 to a float moves the exponent by up to
#: half an ulp of 1000, 5.7e-14, and the gradient by that relatively (measured: 5.5e-14 at [-1000, -1000]).
SOFTMAX_OF_HUGE_RTOL = 1e-13


def test_logsumexp_of_huge_values_matches_the_closed_form() -> None:
    xs = [Value(1000.0), Value(999.0), Value(-3.0)]
    out = sg.logsumexp(xs)
    assert (out.op, out.parents) == ("logsumexp", tuple(xs))
    out.backward()
    # log(e^1000 + e^999 + e^-3) = 1000 + log(1 + e^-1 + e^-1003), and e^-1003 is far below a float's epsilon.
    assert out.data == pytest.approx(1000.0 + math.log1p(math.exp(-1.0)), rel=1e-15)
    # d/dx_i = e^x_i / Σ e^x_j: 1 / (1 + e^-1), e^-1 / (1 + e^-1), and e^-1003 / (1 + e^-1), which is 0 in floats.
    want = [1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1)), 0.0]
    assert [x.grad for x in xs] == pytest.approx(want, rel=SOFTMAX_OF_HUGE_RTOL, abs=0.0)


@pytest.mark.parametrize(
    ("data", "value", "grads"),
    [
        ([1000.0, -1000.0], 1000.0, [1.0, 0.0]),
        ([-1000.0, -1000.0], -1000.0 + math.log(2.0), [0.5, 0.5]),  # e^-1000 underflows: no log(0) here
        ([0.0], 0.0, [1.0]),
        ([0.0, math.log(3.0)], math.log(4.0), [0.25, 0.75]),
    ],
)
def test_logsumexp_at_extremes_and_by_hand(data: list[float], value: float, grads: list[float]) -> None:
    xs = [Value(x) for x in data]
    out = sg.logsumexp(xs)
    out.backward()
    assert out.data == pytest.approx(value, rel=1e-15)
    assert [x.grad for x in xs] == pytest.approx(grads, rel=SOFTMAX_OF_HUGE_RTOL, abs=0.0)


def test_logsumexp_lifts_numbers_to_leaves_and_adds_fan_out() -> None:
    x = Value(1.5)
    out = sg.logsumexp([x, 2.0, x])
    assert out.op == "logsumexp" and len(out.parents) == 3
    assert out.parents[0] is x and out.parents[2] is x
    assert (out.parents[1].data, out.parents[1].parents) == (2.0, ())  # a new leaf holding the number
    out.backward()
    # log(2 e^1.5 + e^2); x appears twice, so its gradient is 2 e^1.5 / (2 e^1.5 + e^2).
    total = 2 * math.exp(1.5) + math.exp(2.0)
    assert out.data == pytest.approx(math.log(total), rel=1e-15)
    assert x.grad == pytest.approx(2 * math.exp(1.5) / total, rel=1e-15)


def test_logsumexp_of_nothing_is_a_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match=r"\blogsumexp\b"):
        sg.logsumexp([])


def test_value_to_a_value_power_and_its_gradients() -> None:
    a, b = Value(2.0), Value(3.0)
    p = a**b
    p.backward()
    assert p.data == 8.0
    assert a.grad == 3.0 * 2.0**2  # b a^(b-1)
    assert b.grad == pytest.approx(8.0 * math.log(2.0), rel=1e-15)  # a^b ln a


def test_gradients_of_gradients_of_a_power_at_a_zero_exponent() -> None:
    """At e = 0 the slope e a^(e-1) is 0, but its derivative in e is 1/a: the mixed partials agree.

    Found by the sympy third-derivative test (tests/test_higher_order.py): the
    slope used to be the constant 0 at e == 0, so d/de (d/da a^e) came out 0
    while d/da (d/de a^e) was 1/a. (PyTorch 2.13 makes the same mistake, as
    its backward masks the slope at a zero exponent, so the numbers here are
    derived by hand.)
    """
    a, e = Value(2.0), Value(0.0)
    y = a**e
    (da,) = sg.grad(y, [a], create_graph=True)
    assert da.data == 0.0
    assert sg.grad(da, [a, e]) == [0.0, 0.5]  # e(e-1)a^(e-2) = 0; a^(e-1)(1 + e log a) = 1/a
    (de,) = sg.grad(y, [e], create_graph=True)  # a^e log a
    assert sg.grad(de, [a, e]) == [0.5, pytest.approx(math.log(2.0) ** 2, rel=1e-15)]
    # Where a^(e-1) is infinite (a = 0) the first-order slope is still its limit 0, as before.
    zero, e = Value(0.0), Value(0.0)
    (zero**e).backward()
    assert zero.grad == 0.0


def test_number_to_a_value_power_and_its_gradient() -> None:
    x = Value(1.5)
    p = 3**x
    p.backward()
    assert p.data == pytest.approx(3**1.5, rel=1e-15)
    assert x.grad == pytest.approx(3**1.5 * math.log(3), rel=1e-15)


def test_unary_minus_plus_and_abs() -> None:
    x = Value(-3.0)
    y = -x + (+x) * 2 + abs(x)
    y.backward()
    assert y.data == 3.0 - 6.0 + 3.0
    assert x.grad == -1 + 2 - 1  # d|x|/dx = -1 for x < 0
    z = Value(2.0)
    abs(z).backward()
    assert z.grad == 1.0


@pytest.mark.parametrize(
    ("fn", "a0", "b0", "value", "grads"),
    [
        (sg.maximum, 3.0, 5.0, 5.0, (0.0, 1.0)),
        (sg.maximum, 5.0, 3.0, 5.0, (1.0, 0.0)),
        (sg.maximum, 4.0, 4.0, 4.0, (1.0, 0.0)),  # a tie goes to the first argument
        (sg.minimum, 3.0, 5.0, 3.0, (1.0, 0.0)),
        (sg.minimum, 5.0, 3.0, 3.0, (0.0, 1.0)),
        (sg.minimum, 4.0, 4.0, 4.0, (1.0, 0.0)),
    ],
)
def test_maximum_and_minimum_route_the_gradient(
    fn: Callable[[Value, Value], Value], a0: float, b0: float, value: float, grads: tuple[float, float]
) -> None:
    a, b = Value(a0), Value(b0)
    out = fn(a, b)
    out.backward()
    assert out.data == value
    assert (a.grad, b.grad) == grads


def test_maximum_with_a_plain_number_is_a_relu() -> None:
    x = Value(-2.0)
    y = sg.maximum(x, 0.0) + sg.maximum(0.0, Value(3.0))
    y.backward()
    assert (y.data, x.grad) == (3.0, 0.0)


def test_sum_is_one_node_folding_numbers_into_its_constant() -> None:
    a, b, c = Value(1.0), Value(2.0), Value(-4.0)
    s = sg.sum([a, 0.5, b, c, 2], start=10.0)
    assert s.op == "sum"
    assert s.parents == (a, b, c)
    assert s.data == 1.0 + 0.5 + 2.0 - 4.0 + 2 + 10.0
    (s * 3).backward()
    assert (a.grad, b.grad, c.grad) == (3.0, 3.0, 3.0)


def test_sum_fan_out_and_generators() -> None:
    a = Value(2.0)
    s = sg.sum(x for x in [a, a, a * 2])
    s.backward()
    assert (s.data, a.grad) == (8.0, 4.0)


def test_sum_of_plain_numbers_only_is_a_leaf() -> None:
    s = sg.sum([1, 2.5], start=0.5)
    assert (s.data, s.parents, s.op) == (4.0, (), "")


def test_dot_of_values_is_one_node_with_swapped_gradients() -> None:
    w = [Value(2.0), Value(-3.0)]
    x = [Value(-1.0), Value(-2.0)]
    bias = Value(-3.0)
    out = sg.dot(w, x, bias=bias)
    assert out.op == "dot"
    assert out.parents == (w[0], x[0], w[1], x[1], bias)
    out.backward()
    assert out.data == 2 * -1 + -3 * -2 - 3
    assert [v.grad for v in w] == [-1.0, -2.0]
    assert [v.grad for v in x] == [2.0, -3.0]
    assert bias.grad == 1.0


def test_dot_with_plain_number_inputs_keeps_only_the_values_as_parents() -> None:
    w = [Value(0.5), Value(-1.5), Value(2.0)]
    bias = Value(0.25)
    out = sg.dot(w, [4, -2.0, 0.5], bias=bias)
    assert out.op == "dot"
    assert out.parents == (*w, bias)
    out.backward()
    assert out.data == 0.5 * 4 + -1.5 * -2 + 2 * 0.5 + 0.25
    assert [v.grad for v in w] == [4.0, -2.0, 0.5]
    assert bias.grad == 1.0


def test_dot_with_plain_number_weights_and_a_number_bias() -> None:
    x = [Value(3.0), Value(-1.0)]
    out = sg.dot([2.0, 5.0], x, bias=1.5)
    assert out.parents == tuple(x)
    out.backward()
    assert out.data == 2 * 3 + 5 * -1 + 1.5
    assert [v.grad for v in x] == [2.0, 5.0]


def test_dot_with_mixed_value_and_number_pairs() -> None:
    a, b, c = Value(2.0), Value(3.0), Value(-1.0)
    out = sg.dot([a, 4.0, c, 2.0], [0.5, b, c, 3.0], bias=Value(0.5))
    out.backward()
    assert out.data == 2 * 0.5 + 4 * 3 + 1 + 6 + 0.5
    assert (a.grad, b.grad, c.grad) == (0.5, 4.0, -2.0)  # c*c fans out: 2c


def test_dot_needs_equal_lengths() -> None:
    with pytest.raises(ValueError, match=r"dot.*2.*3"):
        sg.dot([Value(1.0), Value(2.0)], [1.0, 2.0, 3.0])


def test_detach_makes_a_leaf_that_stops_the_gradient() -> None:
    x = Value(3.0, label="x")
    y = x * 2
    d = y.detach()
    assert (d.data, d.parents, d.op, d.grad) == (6.0, (), "", 0.0)
    assert d is not y
    z = d * x  # d is a constant as far as x is concerned
    z.backward()
    assert x.grad == 6.0
    assert d.grad == 3.0
    assert y.grad == 0.0


# ---------------------------------------------------------------------------
# no_grad and grad()
# ---------------------------------------------------------------------------


def test_no_grad_context_manager_records_no_graph() -> None:
    x = Value(2.0)
    assert sg.is_grad_enabled()
    with sg.no_grad():
        assert not sg.is_grad_enabled()
        y = (x * 3).exp() + x
    assert sg.is_grad_enabled()
    assert (y.parents, y.op) == ((), "")
    assert y.data == pytest.approx(math.exp(6.0) + 2.0)
    recorded = x * 3
    assert recorded.parents == (x,)


def test_no_grad_nested_restores_each_level() -> None:
    with sg.no_grad():
        with sg.no_grad():
            assert not sg.is_grad_enabled()
        assert not sg.is_grad_enabled()
    assert sg.is_grad_enabled()


def test_no_grad_restores_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), sg.no_grad():
        Value(1.0) / 0
    assert sg.is_grad_enabled()


def test_no_grad_as_a_decorator() -> None:
    @sg.no_grad()
    def predict(x: Value) -> tuple[Value, bool]:
        return x * 2 + 1, sg.is_grad_enabled()

    out, enabled_inside = predict(Value(4.0))
    assert not enabled_inside
    assert (out.data, out.parents) == (9.0, ())
    assert sg.is_grad_enabled()
    assert predict.__name__ == "predict"


def test_no_grad_in_one_thread_does_not_affect_another() -> None:
    x = Value(1.0)
    barrier = threading.Barrier(2, timeout=10)
    seen: dict[str, object] = {}
    errors: list[BaseException] = []

    def inside() -> None:
        try:
            with sg.no_grad():
                barrier.wait()  # 1: the other thread starts building while we are inside no_grad
                barrier.wait()  # 2: it has built its node
                seen["inside"] = (sg.is_grad_enabled(), (x * 2).parents)
            barrier.wait()  # 3
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
            barrier.abort()

    def outside() -> None:
        try:
            barrier.wait()  # 1
            seen["outside"] = (sg.is_grad_enabled(), (x * 2).parents)
            barrier.wait()  # 2
            barrier.wait()  # 3: the other thread has left no_grad
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=inside), threading.Thread(target=outside)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors
    assert seen == {"inside": (False, ()), "outside": (True, (x,))}
    assert sg.is_grad_enabled()


def test_grad_returns_derivatives_and_leaves_every_grad_as_it_was() -> None:
    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    u = x * y
    f = u + x.sin()
    f.backward()
    x.grad += 100.0  # leftovers of earlier work that grad() must not touch
    nodes = [x, y, u, f]
    before = [n.grad for n in nodes]
    outsider = Value(7.0)
    result = sg.grad(f, [x, y, u, outsider])
    assert result == [pytest.approx(-3.0 + math.cos(2.0), rel=1e-15), 2.0, 1.0, 0.0]
    assert [n.grad for n in nodes] == before
    assert outsider.grad == 0.0


def test_grad_of_a_fresh_graph_leaves_all_grads_zero() -> None:
    x = Value(0.5)
    h = x.tanh()
    out = h * h
    t = math.tanh(0.5)
    assert sg.grad(out, [x]) == [pytest.approx(2 * t * (1 - t * t), rel=1e-15)]
    assert (x.grad, h.grad, out.grad) == (0.0, 0.0, 0.0)


def test_gradient_of_a_gradient_through_a_dot_with_a_value_bias() -> None:
    """dot's rule adds its products onto its bias: on Values that sum starts from a Value.

    Found by the sympy higher-order test (tests/test_higher_order.py): it was a
    TypeError, in ``grad(create_graph=True)`` and in a `jvp` through Values from outside.
    """
    x, b = Value(1.5), Value(0.25)
    y = sg.dot([x], [x], b) * b  # (x² + b) b
    dx, db = sg.grad(y, [x, b], create_graph=True)
    assert (dx.data, db.data) == (0.75, 2.75)  # 2xb, x² + 2b
    assert sg.grad(dx, [x, b]) == [0.5, 3.0]  # 2b, 2x
    assert sg.grad(db, [x, b]) == [3.0, 2.0]  # 2x, 2
    value, slope = sg.jvp(lambda t: sg.dot([t], [t], b), [x], [1.0])  # b from outside: Values
    assert (value.data, slope.data) == (2.5, 3.0)  # x² + b, 2x


# ---------------------------------------------------------------------------
# Conversions and construction
# ---------------------------------------------------------------------------


def test_repr_shows_label_data_and_grad() -> None:
    v = Value(2.5, label="w")
    v.grad = 1.25
    text = repr(v)
    assert "w" in text and "2.5" in text and "1.25" in text
    plain = repr(Value(-0.75))
    assert "-0.75" in plain and "grad" in plain


def test_format_spec_uses_data() -> None:
    v = Value(2.5, label="w")
    assert f"{v:.3f}" == "2.500"
    assert f"{v:>8.2f}" == "    2.50"


def test_a_value_is_not_silently_turned_into_a_float() -> None:
    """math.exp(x) would fold e^x in as a constant: x * math.exp(x) would get gradient e, not 2e."""
    x = Value(1.0, "x")
    with pytest.raises(TypeError, match=r"x\.exp\(\) or scalargrad\.exp\(x\).*x\.data") as caught:
        x * math.exp(x)  # type: ignore[arg-type]
    assert "'x'" in str(caught.value)
    with pytest.raises(TypeError, match="not a float"):
        float(Value(2.5))
    with pytest.raises(TypeError, match="not a float"):
        math.sqrt(Value(9.0))  # type: ignore[arg-type]
    # Staying in the graph gives the true derivative of x e^x at 1: 2e.
    y = x * x.exp()
    y.backward()
    assert x.grad == pytest.approx(2 * math.e, rel=1e-15)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (3, 3.0),
        (-2.5, -2.5),
        (fractions.Fraction(1, 4), 0.25),
        (True, 1.0),  # bool is a number here, as in Python arithmetic: True is 1, False is 0
        (False, 0.0),
    ],
    ids=["int", "float", "Fraction", "True", "False"],
)
def test_value_accepts_real_numbers_and_stores_a_float(data: object, expected: float) -> None:
    v = Value(data)  # type: ignore[arg-type]
    assert type(v.data) is float
    assert v.data == expected
    assert v.grad == 0.0
    assert (v.parents, v.op, v.label) == ((), "", "")


def test_value_accepts_numpy_numbers_and_stores_a_float() -> None:
    np = pytest.importorskip("numpy")  # the core never needs NumPy; a user's numbers may come from it
    for data, expected in [(np.float64(1.25), 1.25), (np.float32(0.5), 0.5), (np.int64(7), 7.0)]:
        v = Value(data)
        assert type(v.data) is float and v.data == expected


@pytest.mark.parametrize(
    ("data", "type_name"),
    [("1.0", "str"), (None, "NoneType"), (1 + 2j, "complex"), ([1.0], "list"), (Value(1.0), "Value")],
)
def test_value_rejects_non_real_data_naming_its_type(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"\b{type_name}\b"):
        Value(data)  # type: ignore[arg-type]


def test_data_is_writable_and_later_ops_use_the_new_value() -> None:
    w = Value(1.0)
    w.data -= 0.25 * 2.0  # what an optimizer step does
    y = w * 4
    y.backward()
    assert (w.data, y.data, w.grad) == (0.5, 2.0, 4.0)


@pytest.mark.parametrize(
    ("name", "x0", "value", "slope"),
    [
        ("exp", 0.5, math.exp(0.5), math.exp(0.5)),
        ("log", 2.0, math.log(2.0), 0.5),
        ("sqrt", 4.0, 2.0, 0.25),
        ("sin", 0.3, math.sin(0.3), math.cos(0.3)),
        ("cos", 0.3, math.cos(0.3), -math.sin(0.3)),
        ("tanh", 0.4, math.tanh(0.4), 1 - math.tanh(0.4) ** 2),
        ("sigmoid", 0.0, 0.5, 0.25),
        ("softplus", 0.0, math.log(2.0), 0.5),
        ("softplus", 1.5, math.log1p(math.exp(1.5)), 1.0 / (1.0 + math.exp(-1.5))),
        ("relu", -1.0, 0.0, 0.0),
        ("relu", 1.5, 1.5, 1.0),
    ],
)
def test_module_functions_take_values_and_numbers(name: str, x0: float, value: float, slope: float) -> None:
    fn = getattr(sg, name)
    assert fn(x0).data == pytest.approx(value, rel=1e-15)
    assert isinstance(fn(x0), Value)
    x = Value(x0)
    y = fn(x)
    assert y.op == getattr(x, name)().op == name
    y.backward()
    assert (y.data, x.grad) == (pytest.approx(value, rel=1e-15), pytest.approx(slope, rel=1e-15))


# ---------------------------------------------------------------------------
# Errors: clear messages, nothing changed
# ---------------------------------------------------------------------------

_BAD_OPS = [
    # id, error, operand values, the failing op, words the message must contain
    ("log of zero", ValueError, [0.0], lambda v: v[0].log(), ["log", "0"]),
    ("log of negative", ValueError, [-2.0], lambda v: v[0].log(), ["log", "-2"]),
    ("negative base, float power", ValueError, [-8.0], lambda v: v[0] ** 0.5, ["**", "-8"]),
    ("negative base, Value power", ValueError, [-8.0, 0.5], lambda v: v[0] ** v[1], ["**", "-8", "0.5"]),
    ("divide by zero Value", ZeroDivisionError, [1.0, 0.0], lambda v: v[0] / v[1], ["/", "0"]),
    ("divide by 0", ZeroDivisionError, [1.0], lambda v: v[0] / 0, ["/", "0"]),
    ("number over zero Value", ZeroDivisionError, [0.0], lambda v: 2 / v[0], ["/", "0"]),
    ("exp overflow", OverflowError, [1000.0], lambda v: v[0].exp(), ["exp", "1000"]),
    ("sqrt of negative", ValueError, [-1.0], lambda v: v[0].sqrt(), ["sqrt", "-1"]),
]


each_bad_op = pytest.mark.parametrize(
    ("error", "data", "op", "words"), [case[1:] for case in _BAD_OPS], ids=[case[0] for case in _BAD_OPS]
)


def _mentions(message: str, word: str) -> bool:
    if re.fullmatch(r"-?\d+(\.\d+)?", word):  # a number: 1000 may print as 1000.0 or 1e+03
        return any(math.isclose(float(n), float(word)) for n in re.findall(r"-?\d+(?:\.\d*)?(?:e[+-]?\d+)?", message))
    return word in message


@each_bad_op
def test_bad_input_raises_math_module_errors_naming_op_and_value(
    error: type[Exception], data: list[float], op: Callable[[list[Value]], Value], words: list[str]
) -> None:
    with pytest.raises(error) as caught:
        op([Value(x) for x in data])
    message = str(caught.value)
    for word in words:
        assert _mentions(message, word), f"{word!r} missing from {message!r}"


@each_bad_op
def test_bad_input_message_names_labelled_operands(
    error: type[Exception], data: list[float], op: Callable[[list[Value]], Value], words: list[str]
) -> None:
    labels = ["first_operand", "second_operand"]
    with pytest.raises(error) as caught:
        op([Value(x, label=label) for x, label in zip(data, labels)])
    for label in labels[: len(data)]:
        assert label in str(caught.value)


def _count_values() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Value)


@each_bad_op
def test_failed_op_leaves_operands_untouched_and_creates_no_node(
    error: type[Exception], data: list[float], op: Callable[[list[Value]], Value], words: list[str]
) -> None:
    # Operands that are interior nodes with grads set, so there is something to disturb.
    seeds = [Value(x / 2) for x in data]
    operands = [s * 2 for s in seeds]
    for i, v in enumerate(operands):
        v.grad = 0.5 + i
    state = [(v.data, v.grad, v.parents, v.op) for v in operands]
    gc.collect()
    live = _count_values()
    with pytest.raises(error) as caught:
        op(operands)
    # The traceback (still alive in `caught`) would keep a half-made node alive to be counted.
    assert _count_values() == live
    assert caught.value is not None
    assert [(v.data, v.grad, v.parents, v.op) for v in operands] == state
    assert all(s.grad == 0.0 for s in seeds)


@pytest.mark.parametrize(
    "op",
    [
        lambda: Value(1.0) + "a",
        lambda: "a" + Value(1.0),
        lambda: Value(1.0) * None,
        lambda: Value(1.0) - [1],
        lambda: Value(1.0) / "2",
        lambda: Value(2.0) ** "2",
        lambda: "2" ** Value(2.0),
        lambda: Value(1.0) + 1j,
    ],
    ids=["V+str", "str+V", "V*None", "V-list", "V/str", "V**str", "str**V", "V+complex"],
)
def test_operators_with_non_numbers_raise_type_error(op: Callable[[], object]) -> None:
    # Python's own messages once every operator has returned NotImplemented (str + x is str's).
    with pytest.raises(TypeError, match=r"unsupported operand|can only concatenate"):
        op()


_UNARY_FUNCTIONS = ("exp", "log", "sin", "cos", "sqrt", "tanh", "sigmoid", "softplus", "relu")


@pytest.mark.parametrize(
    ("name", "call"),
    [
        *[(name, functools.partial(getattr(sg, name), "a")) for name in _UNARY_FUNCTIONS],
        ("maximum", lambda: sg.maximum("a", 1.0)),
        ("minimum", lambda: sg.minimum(1.0, None)),
        ("sum", lambda: sg.sum([Value(1.0), "a"])),
        ("logsumexp", lambda: sg.logsumexp([Value(1.0), "a"])),
        ("logsumexp", lambda: sg.logsumexp("ab")),
        ("dot", lambda: sg.dot(["a"], [1.0])),
        ("dot", lambda: sg.dot([Value(1.0)], ["a"])),
    ],
)
def test_module_functions_reject_non_numbers_naming_the_function(name: str, call: Callable[[], object]) -> None:
    with pytest.raises(TypeError, match=rf"\b{name}\b"):
        call()


def test_docs_engine_page_examples_run_as_written() -> None:
    """Every example printed in docs/engine.md is the output it really gives."""
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parent.parent / "docs" / "engine.md"
    failures, tried = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried >= 5
    assert failures == 0


def test_micrograd_notebook_trace_runs_with_only_the_import_changed() -> None:
    """micrograd's notebooks walk a graph through `_prev` and `_op`; that code must run as written."""

    def trace(root: Any) -> tuple[set[Any], set[tuple[Any, Any]]]:
        # As in micrograd's trace_graph notebook: nodes and edges by following _prev.
        nodes, edges = set(), set()

        def build(v: Any) -> None:
            if v not in nodes:
                nodes.add(v)
                for child in v._prev:
                    edges.add((child, v))
                    build(child)

        build(root)
        return nodes, edges

    a, b = Value(2.0, "a"), Value(-3.0, "b")
    d = a * b + 10
    nodes, edges = trace(d)
    product = d.parents[0]
    assert nodes == {a, b, product, d}
    assert edges == {(a, product), (b, product), (product, d)}
    assert (d._op, product._op, a._op) == ("+10", "*", "")


# --- Review fixes: IEEE edge cases in backward, NaN propagation, shared no_grad --------------


def test_division_by_a_tiny_value_backpropagates_to_infinity_not_an_error() -> None:
    # d(a/b)/db = -a/b^2 = -1e340: beyond a float, so -inf; b * b alone would underflow to 0.
    a, b = Value(1.0), Value(1e-170)
    (a / b).backward()
    assert a.grad == 1e170
    assert b.grad == -math.inf


def test_power_slope_beyond_float_range_is_a_signed_infinity() -> None:
    p = Value(1e-300)
    (p**-1.0).backward()  # d/dp p^-1 = -p^-2 = -1e600
    assert p.grad == -math.inf
    q = Value(-1e-150)
    (q**-2.0).backward()  # q^-2 = 1e300 fits; d/dq q^-2 = -2 q^-3 = +2e450 does not
    assert q.grad == math.inf


def test_nan_propagates_through_relu_maximum_and_minimum() -> None:
    nan = float("nan")
    assert math.isnan(Value(nan).relu().data)
    assert math.isnan(sg.maximum(Value(nan), Value(1.0)).data)
    assert math.isnan(sg.maximum(Value(1.0), Value(nan)).data)
    assert math.isnan(sg.minimum(Value(nan), Value(1.0)).data)
    assert math.isnan(sg.minimum(Value(1.0), Value(nan)).data)


def test_logsumexp_with_infinite_terms_is_the_limit() -> None:
    up = [Value(math.inf), Value(1.0)]
    out = sg.logsumexp(up)
    out.backward()
    assert out.data == math.inf
    assert [v.grad for v in up] == [1.0, 0.0]
    down = [Value(-math.inf), Value(-math.inf)]
    out = sg.logsumexp(down)
    out.backward()
    assert out.data == -math.inf
    assert [v.grad for v in down] == [0.5, 0.5]


def test_one_no_grad_instance_can_be_nested_and_shared_by_threads() -> None:
    shared = sg.no_grad()
    with shared:
        with shared:
            assert not sg.is_grad_enabled()
        assert not sg.is_grad_enabled()
    assert sg.is_grad_enabled()

    barrier = threading.Barrier(2)
    seen: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with shared:
                barrier.wait()  # both threads are inside the same instance at once
                seen.append(Value(1.0) * 2 is not None and not sg.is_grad_enabled())
                barrier.wait()
            seen.append(sg.is_grad_enabled())
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert seen.count(True) == 4
    assert sg.is_grad_enabled()


def test_no_grad_refuses_to_decorate_a_generator_function() -> None:
    def numbers_from(x: Value) -> Any:
        yield x * 2

    with pytest.raises(TypeError, match=r"no_grad\(\) cannot decorate the generator function .*numbers_from"):
        sg.no_grad()(numbers_from)


def test_value_of_an_int_beyond_float_range_names_value() -> None:
    with pytest.raises(OverflowError, match=r"Value\(data\).*too large"):
        Value(10**400)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: sg.sum(5), r"sum\(\) needs values"),
        (lambda: sg.sum(Value(1.0)), r"sum\(\) needs values"),
        (lambda: sg.dot(None, [1.0]), r"dot\(\) needs ws"),
        (lambda: sg.dot([1.0], 2.0), r"dot\(\) needs xs"),
        (lambda: sg.logsumexp(3.0), r"logsumexp\(\) needs values"),
    ],
)
def test_n_ary_ops_name_themselves_when_not_given_a_list(call: Any, name: str) -> None:
    with pytest.raises(TypeError, match=name):
        call()


def test_n_ary_ops_take_any_iterable() -> None:
    ws = (Value(w) for w in [1.0, 2.0])  # a generator: read once, then measured
    assert sg.dot(ws, [3, 4], bias=0.5).data == 11.5
    assert sg.sum(iter([1, Value(2.0)])).data == 3.0

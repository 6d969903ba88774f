"""Every worked example of the seed documents, with the seeds' own numbers.

The oracle here is the seeds: the numbers they print, or their hand-derived
formulas evaluated in plain floats inside the test. Test names start with the
seed they come from:

- ``cs231n``: 000, CS231n "Backpropagation, intuitions" (translated).
- ``lecture``: 001, university lecture "neural networks part 2".
- ``backprop_notes``: 002, formal backpropagation notes.
- ``colah``: 003, blog post on computational graphs (after colah).
- ``dl_scratch``: 004, "Deep Learning from Scratch" chapter 5 slides.

Where the seed prints a float that rounding makes inexact (``int(price)`` of
220.00000000000003), we assert both what it prints and the true value with
``pytest.approx(rel=1e-12)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pytest

import scalargrad as sg
from scalargrad import Value, examples

TIGHT = 1e-12


def approx(x: float) -> object:
    return pytest.approx(x, rel=TIGHT, abs=TIGHT)


def leaves(*xs: float) -> list[Value]:
    return [Value(x) for x in xs]


def labelled(root: Value, *labels: str) -> list[Value]:
    """The nodes under ``root`` with these labels (the seeds' graphs come from `scalargrad.examples`)."""
    nodes = examples.nodes_by_label(root)
    return [nodes[label] for label in labels]


# ---------------------------------------------------------------------------
# 000: CS231n
# ---------------------------------------------------------------------------


def test_cs231n_multiply_gate_xy_at_4_and_minus_3() -> None:
    x, y = leaves(4, -3)
    f = x * y
    f.backward()
    assert f.data == -12
    assert (x.grad, y.grad) == (-3, 4)


def test_cs231n_add_gate_local_gradient_is_one_whatever_the_values() -> None:
    for a, b in [(4, -3), (-2, 5), (1e6, -7.5)]:
        x, y = leaves(a, b)
        (x + y).backward()
        assert (x.grad, y.grad) == (1, 1)


def test_cs231n_max_gate_at_4_and_2_routes_to_the_larger() -> None:
    x, y = leaves(4, 2)
    f = sg.maximum(x, y)
    f.backward()
    assert f.data == 4
    assert (x.grad, y.grad) == (1, 0)


def test_cs231n_compound_x_plus_y_times_z_at_minus2_5_minus4() -> None:
    f = examples.add_mul_circuit()
    x, y, z, q = labelled(f, "x", "y", "z", "q")
    f.backward()
    assert (q.data, f.data) == (3, -12)
    assert (z.grad, q.grad) == (3, -4)  # dfdz = q, dfdq = z
    assert (x.grad, y.grad, z.grad) == (-4, -4, 3)


Neuron = tuple[Value, list[Value], list[Value]]


def _neuron_gates() -> Neuron:
    """The seed's circuit: *, +, then the unary gates *-1, exp, +1, 1/x."""
    f = examples.sigmoid_neuron()
    return f, labelled(f, "w0", "w1", "w2"), labelled(f, "x0", "x1")


def _neuron_sigmoid() -> Neuron:
    w, x = leaves(2, -3, -3), leaves(-1, -2)
    return (w[0] * x[0] + w[1] * x[1] + w[2]).sigmoid(), w, x


def _neuron_dot() -> Neuron:
    w, x = leaves(2, -3, -3), leaves(-1, -2)
    return sg.dot(w[:2], x, bias=w[2]).sigmoid(), w, x


@pytest.mark.parametrize("neuron", [_neuron_gates, _neuron_sigmoid, _neuron_dot], ids=["gates", "sigmoid", "dot"])
def test_cs231n_sigmoid_neuron_2d_w_2_m3_m3_x_m1_m2(neuron: Callable[[], Neuron]) -> None:
    w_data, x_data = [2, -3, -3], [-1, -2]
    f, w, x = neuron()
    f.backward()
    # The seed's staged backward pass, in plain floats.
    dot = w_data[0] * x_data[0] + w_data[1] * x_data[1] + w_data[2]
    f_seed = 1.0 / (1 + math.exp(-dot))
    ddot = (1 - f_seed) * f_seed
    dx = [w_data[0] * ddot, w_data[1] * ddot]
    dw = [x_data[0] * ddot, x_data[1] * ddot, 1.0 * ddot]
    assert dot == 1
    assert f.data == approx(0.7310585786300049)
    assert f.data == approx(f_seed)
    assert [v.grad for v in x] == [approx(d) for d in dx]
    assert [v.grad for v in w] == [approx(d) for d in dw]


def test_cs231n_sigmoid_local_gradient_at_input_1_is_about_0_2() -> None:
    x = Value(1.0)
    y = x.sigmoid()
    y.backward()
    assert round(y.data, 2) == 0.73
    assert round(x.grad, 1) == 0.2
    assert x.grad == approx((1 - y.data) * y.data)


def test_cs231n_staged_backprop_x_plus_sigmoid_y_over_sigmoid_x_plus_squared_sum() -> None:
    # Built in the seed's stages, each labelled, so that interior gradients can be compared.
    f = examples.staged_sigmoid()
    x, y, sigy, num, sigx, xpy, xpysqr, den, invden = labelled(
        f, "x", "y", "sigy", "num", "sigx", "xpy", "xpysqr", "den", "invden"
    )
    f.backward()

    # The seed's forward and hand-staged backward, line by line, in plain floats.
    x_in, y_in = 3.0, -4.0
    s_sigy = 1.0 / (1 + math.exp(-y_in))
    s_num = x_in + s_sigy
    s_sigx = 1.0 / (1 + math.exp(-x_in))
    s_xpy = x_in + y_in
    s_xpysqr = s_xpy**2
    s_den = s_sigx + s_xpysqr
    s_invden = 1.0 / s_den
    s_f = s_num * s_invden
    dnum = s_invden
    dinvden = s_num
    dden = (-1.0 / (s_den**2)) * dinvden
    dsigx = (1) * dden
    dxpysqr = (1) * dden
    dxpy = (2 * s_xpy) * dxpysqr
    dx = (1) * dxpy
    dy = (1) * dxpy
    dx += ((1 - s_sigx) * s_sigx) * dsigx  # the seed's "+=" at a branch
    dx += (1) * dnum
    dsigy = (1) * dnum
    dy += ((1 - s_sigy) * s_sigy) * dsigy

    assert f.data == approx(s_f)
    stages = [(num, dnum), (invden, dinvden), (den, dden), (sigx, dsigx), (xpysqr, dxpysqr), (xpy, dxpy)]
    assert [node.grad for node, _ in stages] == [approx(d) for _, d in stages]
    assert sigy.grad == approx(dsigy)
    assert (x.grad, y.grad) == (approx(dx), approx(dy))


def test_cs231n_gradients_add_at_branches() -> None:
    x, y = leaves(3, -4)
    f = x * y + x  # x branches into two gates: its gradient is y + 1, not y or 1
    f.backward()
    assert x.grad == -3
    assert y.grad == 3


def test_cs231n_backward_flow_add_distributes_max_routes_mul_swaps() -> None:
    # The figure's circuit 2 * (x*y + max(z, w)). The text gives the gradients: + passes 2.00 to
    # both inputs, max routes 2.00 to z (the larger) and 0 to w, and x gets -4.00 * 2.00 = -8.00.
    # The inputs x=3, y=-4, z=2, w=-1 are the original CS231n figure's (the picture is not in the seed).
    x, y, z, w = leaves(3, -4, 2, -1)
    product = x * y
    biggest = sg.maximum(z, w)
    total = product + biggest
    f = total * 2
    f.backward()
    assert f.data == -20
    assert (total.grad, product.grad, biggest.grad) == (2, 2, 2)
    assert (z.grad, w.grad) == (2, 0)
    assert x.grad == -8 == y.data * 2
    assert y.grad == 6


def test_cs231n_scaling_inputs_by_1000_scales_weight_gradients_by_1000() -> None:
    x_data = [0.5, -1.5, 2.0]
    w = leaves(0.1, 0.2, 0.3)
    sg.dot(w, x_data).backward()
    small = [v.grad for v in w]
    w = leaves(0.1, 0.2, 0.3)
    sg.dot(w, [1000 * x for x in x_data]).backward()
    assert [v.grad for v in w] == [approx(1000 * g) for g in small]


def test_cs231n_matrix_multiply_gradients_dw_is_dd_xt_and_dx_is_wt_dd() -> None:
    # D = W X with W (5, 10) and X (10, 3); given dD, the seed's dW = dD X^T and dX = W^T dD.
    np = pytest.importorskip("numpy")  # the oracle: the seed's matrix formulas, as NumPy computes them
    rng = np.random.default_rng(231)
    w_data, x_data, d_d = rng.standard_normal((5, 10)), rng.standard_normal((10, 3)), rng.standard_normal((5, 3))
    w = [[Value(v) for v in row] for row in w_data.tolist()]
    x = [[Value(v) for v in row] for row in x_data.tolist()]
    d = [[sg.dot(w[i], [x[k][j] for k in range(10)]) for j in range(3)] for i in range(5)]
    # A loss whose gradient on D is dD: L = sum(dD * D).
    loss = sg.dot([v for row in d for v in row], d_d.ravel().tolist())
    loss.backward()
    assert np.array([[v.data for v in row] for row in d]) == pytest.approx(w_data @ x_data, rel=TIGHT)
    assert np.array([[v.grad for v in row] for row in w]) == pytest.approx(d_d @ x_data.T, rel=TIGHT, abs=TIGHT)
    assert np.array([[v.grad for v in row] for row in x]) == pytest.approx(w_data.T @ d_d, rel=TIGHT, abs=TIGHT)


# ---------------------------------------------------------------------------
# 001: lecture, neural networks part 2
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("x0", [-2.5, -0.3, 0.0, 0.7, 1.9])
def test_lecture_chain_rule_d_x2_sin_x_is_2x_sin_x_plus_x2_cos_x(x0: float) -> None:
    x = Value(x0)
    (x**2 * x.sin()).backward()
    assert x.grad == approx(2 * x0 * math.sin(x0) + x0**2 * math.cos(x0))


def test_lecture_multivariable_chain_rule_sums_over_every_path() -> None:
    x0 = 0.8
    x = Value(x0)
    y1, y2, y3 = x**2, x.sin(), x.exp()
    z = y1 * y2 + y3
    z.backward()
    # dz/dx = sum_k dz/dy_k dy_k/dx
    by_paths = y2.data * (2 * x0) + y1.data * math.cos(x0) + 1.0 * math.exp(x0)
    assert (y1.grad, y2.grad, y3.grad) == (approx(y2.data), approx(y1.data), 1.0)
    assert x.grad == approx(by_paths)


@pytest.mark.parametrize("x0", [-1.7, 0.0, 0.4, 2.2])
def test_lecture_autodiff_sin_x_times_x_squared_plus_x(x0: float) -> None:
    x = Value(x0)
    f = (x.sin() * x) ** 2 + x
    f.backward()
    s, c = math.sin(x0), math.cos(x0)
    assert f.data == approx((s * x0) ** 2 + x0)
    assert x.grad == approx(2 * (s * x0) * (c * x0 + s) + 1)


def _softmax(scores: Sequence[Value]) -> list[Value]:
    exps = [a.exp() for a in scores]
    total = sg.sum(exps)
    return [e / total for e in exps]


def _cross_entropy(h: Sequence[Value], y: Sequence[float]) -> Value:
    return -sg.sum([yk * hk.log() for hk, yk in zip(h, y)])


def test_lecture_softmax_cross_entropy_gradients_h_minus_y_and_hidden_sigmoid_layer() -> None:
    # A 3-input, 2-hidden (sigmoid), 3-output (softmax) network, one example, class 1.
    inputs = [0.5, -1.2, 0.8]
    w1_data = [[0.3, -0.4, 0.2], [-0.6, 0.1, 0.5]]
    b1_data = [0.05, -0.1]
    w2_data = [[0.7, -0.3], [-0.2, 0.4], [0.1, 0.9]]
    b2_data = [0.0, 0.2, -0.1]
    y = [0.0, 1.0, 0.0]
    w1 = [[Value(v) for v in row] for row in w1_data]
    c1 = leaves(*b1_data)
    w2 = [[Value(v) for v in row] for row in w2_data]
    c2 = leaves(*b2_data)
    hidden = [sg.dot(w1[j], inputs, bias=c1[j]).sigmoid() for j in range(2)]
    out = _softmax([sg.dot(w2[k], hidden, bias=c2[k]) for k in range(3)])
    _cross_entropy(out, y).backward()

    # The lecture's formulas in plain floats.
    h1 = [v.data for v in hidden]
    h2 = [v.data for v in out]
    delta = [h2[k] - y[k] for k in range(3)]  # dL/dg_k for the output layer
    for k in range(3):
        assert c2[k].grad == approx(delta[k])
        for j in range(2):
            assert w2[k][j].grad == approx(delta[k] * h1[j])
    for j in range(2):
        back = sum(delta[k] * w2_data[k][j] for k in range(3)) * (1 - h1[j]) * h1[j]
        assert c1[j].grad == approx(back)
        for i in range(3):
            assert w1[j][i].grad == approx(back * inputs[i])


def test_lecture_sigmoid_derivative_is_at_most_a_quarter() -> None:
    x = Value(0.0)
    x.sigmoid().backward()
    assert x.grad == 0.25
    for x0 in [-8 + 0.1 * i for i in range(161)]:
        x = Value(x0)
        x.sigmoid().backward()
        assert 0 < x.grad <= 0.25


def test_lecture_vanishing_gradient_through_ten_sigmoid_layers() -> None:
    x = Value(0.3)
    h = x
    locals_ = []
    for _ in range(10):
        s = 1.0 / (1.0 + math.exp(-h.data))
        locals_.append(s * (1 - s))
        h = h.sigmoid()
    h.backward()
    assert x.grad == approx(math.prod(locals_))
    assert x.grad <= 0.25**10


# ---------------------------------------------------------------------------
# 002: formal backpropagation notes
# ---------------------------------------------------------------------------


def test_backprop_notes_fully_connected_layer_partials() -> None:
    # y_j = sum_i x_i w_ij: dy_j/dx_i = w_ij, dy_j/dw_ik = x_i if k == j else 0.
    x_data = [0.4, -1.1, 2.0]
    w_data = [[0.5, -0.2], [1.5, 0.3], [-0.7, 0.9]]
    x = leaves(*x_data)
    w = [[Value(v) for v in row] for row in w_data]
    flat_w = [v for row in w for v in row]
    for j in range(2):
        y_j = sg.dot(x, [w[i][j] for i in range(3)])
        assert sg.grad(y_j, x) == [w_data[i][j] for i in range(3)]
        expected = [x_data[i] if k == j else 0.0 for i in range(3) for k in range(2)]
        assert sg.grad(y_j, flat_w) == expected


@pytest.mark.parametrize("stride", [1, 2])
def test_backprop_notes_convolution_output_size_and_partials(stride: int) -> None:
    mu, pad, size, pad_value = 5, 1, 3, 0.0
    x_data = [0.5, -1.0, 2.0, 1.5, -0.5]
    w_data = [0.2, -0.3, 0.7]
    x, w, b = leaves(*x_data), leaves(*w_data), Value(0.1)
    padded = {g: (x[g] if 0 <= g < mu else Value(pad_value)) for g in range(-pad, mu + pad)}
    v = (mu + 2 * pad - size) // stride + 1
    assert v == {1: 5, 2: 3}[stride]
    for beta in range(v):
        # y_beta = sum_alpha x'_gamma w_alpha + b, gamma = s*beta + f - p - alpha - 1
        gammas = [stride * beta + size - pad - alpha - 1 for alpha in range(size)]
        y = sg.sum([padded[g] * w[alpha] for alpha, g in enumerate(gammas)]) + b
        assert y.data == approx(sum(padded[g].data * w_data[a] for a, g in enumerate(gammas)) + 0.1)
        d_w = sg.grad(y, w)
        d_x = sg.grad(y, x)
        assert sg.grad(y, [b]) == [1.0]
        assert d_w == [padded[g].data for g in gammas]
        for g in range(mu):
            alphas = [a for a, gamma in enumerate(gammas) if gamma == g]
            assert d_x[g] == (w_data[alphas[0]] if alphas else 0.0)


def test_backprop_notes_sgd_step_sums_gradients_over_patterns() -> None:
    # Steps 2-4 for a one-neuron network x2 = w0 x + w1, L = (x2 - t)^2 / 2, eta = 0.1.
    patterns = [(0.5, 1.0), (-1.0, -0.5), (2.0, 2.5)]
    eta = 0.1
    w0, w1 = Value(0.3), Value(-0.2)

    def error() -> float:
        return sum((w0.data * x + w1.data - t) ** 2 / 2 for x, t in patterns)

    before = error()
    for x, t in patterns:
        ((w0 * x + w1 - t) ** 2 / 2).backward()  # leaves accumulate: the sum over p
    d_w0 = sum((0.3 * x - 0.2 - t) * x for x, t in patterns)
    d_w1 = sum(0.3 * x - 0.2 - t for x, t in patterns)
    assert (w0.grad, w1.grad) == (approx(d_w0), approx(d_w1))
    for w in (w0, w1):
        w.data -= eta * w.grad
    assert (w0.data, w1.data) == (approx(0.3 - eta * d_w0), approx(-0.2 - eta * d_w1))
    assert error() < before  # Step 5's E = sum_p L went down


# ---------------------------------------------------------------------------
# 003: computational graphs (colah)
# ---------------------------------------------------------------------------


def test_colah_e_equals_a_plus_b_times_b_plus_1_at_a2_b1() -> None:
    e = examples.two_paths()
    a, b, c, d = labelled(e, "a", "b", "c", "d")
    e.backward()
    assert (c.data, d.data, e.data) == (3, 2, 6)
    assert (c.grad, d.grad) == (2, 3)  # de/dc = d, de/dd = c
    assert a.grad == 2  # one path: 2 * 1
    assert b.grad == 5  # two paths: 2 * 1 + 3 * 1


def test_colah_nudging_a_or_b_by_0_1() -> None:
    def e_at(a0: float, b0: float) -> tuple[float, float, float]:
        a, b = leaves(a0, b0)
        c, d = a + b, b + 1
        return c.data, d.data, (c * d).data

    c, _, e = e_at(2.1, 1)
    assert (c, e) == (approx(3.1), approx(6.2))  # e grows by 0.2 = 0.1 * de/da
    c, d, e = e_at(2, 1.1)
    assert (c, d, e) == (approx(3.1), approx(2.1), approx(6.51))  # 0.51: 0.5 plus the second-order 0.01


def test_colah_reverse_mode_one_pass_gives_every_input_derivative() -> None:
    a, b = leaves(2, 1)
    c, d = a + b, b + 1
    e = c * d
    assert sg.grad(e, [a, b, c, d]) == [2, 5, 2, 3]
    # Forward mode from b would give dc/db = 1, dd/db = 1 and de/db = 5; reverse mode agrees.
    assert sg.grad(c, [b]) == [1] == sg.grad(d, [b])


def test_colah_factoring_paths_alpha_beta_gamma_times_delta_epsilon_zeta() -> None:
    alpha, beta, gamma, delta, epsilon, zeta = leaves(2, 3, 5, 7, 11, 13)
    x = Value(0.5)
    y = alpha * x + beta * x + gamma * x
    z = delta * y + epsilon * y + zeta * y
    z.backward()
    assert x.grad == (2 + 3 + 5) * (7 + 11 + 13) == 310
    assert alpha.grad == 0.5 * (7 + 11 + 13)
    assert delta.grad == y.data == 5.0


# ---------------------------------------------------------------------------
# 004: Deep Learning from Scratch, chapter 5
# ---------------------------------------------------------------------------


def test_dl_scratch_apple_shopping_220_and_dapple_2_2_dapple_num_110_dtax_200() -> None:
    price = examples.apple_shopping()
    apple, apple_num, tax, apple_price = labelled(price, "apple", "apple_num", "tax", "apple_price")
    price.backward()
    # What the seed prints: price: 220, dApple: 2.2, dApple_num: 110, dTax: 200.
    assert int(price.data) == 220
    assert apple.grad == 2.2
    assert int(apple_num.grad) == 110
    assert tax.grad == 200
    # The true values behind the int() the seed prints (100 * 2 * 1.1 = 220.00000000000003 in floats).
    assert price.data == approx(220)
    assert apple_num.grad == approx(110)
    assert apple_price.grad == approx(1.1)


def test_dl_scratch_apples_and_oranges_715_and_gradients_2_2_110_3_3_165_650() -> None:
    price = examples.apple_orange_shopping()
    apple, apple_num, orange, orange_num, tax = labelled(price, "apple", "apple_num", "orange", "orange_num", "tax")
    price.backward()
    # The seed's printout, digit for digit (dOrange is 1.1 * 3 in floats).
    assert int(price.data) == 715
    assert apple.grad == 2.2
    assert int(apple_num.grad) == 110
    assert orange.grad == 3.3000000000000003
    assert int(orange_num.grad) == 165
    assert tax.grad == 650
    assert (price.data, apple_num.grad, orange_num.grad) == (approx(715), approx(110), approx(165))
    assert orange.grad == approx(3.3)


def test_dl_scratch_add_node_10_plus_5_passes_upstream_1_3_unchanged() -> None:
    x, y = leaves(10, 5)
    z = x + y
    z.backward(1.3)
    assert z.data == 15
    assert (x.grad, y.grad) == (1.3, 1.3)


def test_dl_scratch_mul_node_10_times_5_swaps_inputs_upstream_1_3() -> None:
    x, y = leaves(10, 5)
    z = x * y
    z.backward(1.3)
    assert z.data == 50
    assert (x.grad, y.grad) == (approx(6.5), approx(13))


def test_dl_scratch_chain_rule_z_equals_x_plus_y_squared() -> None:
    x, y = leaves(1.5, -0.25)
    t = x + y
    z = t**2
    z.backward()
    assert t.grad == 2 * t.data  # dz/dt = 2t
    assert x.grad == 2 * (1.5 - 0.25)  # dz/dx = 2t * 1 = 2(x + y)


def test_dl_scratch_relu_mask_for_1_m0_5_m2_3() -> None:
    x_data = [[1.0, -0.5], [-2.0, 3.0]]
    mask = [[v <= 0 for v in row] for row in x_data]
    assert mask == [[False, True], [True, False]]
    for row, mask_row in zip(x_data, mask):
        for v, masked in zip(row, mask_row):
            x = Value(v)
            y = x.relu()
            y.backward(1.3)
            assert y.data == (0.0 if masked else v)
            assert x.grad == (0.0 if masked else 1.3)
    x = Value(0.0)  # the seed's boundary: x <= 0 stops the gradient
    x.relu().backward()
    assert x.grad == 0.0


@pytest.mark.parametrize("x0", [-2.0, 0.0, 1.0, 3.5])
def test_dl_scratch_sigmoid_graph_steps_give_y_squared_exp_minus_x_equal_y_1_minus_y(x0: float) -> None:
    x = Value(x0)
    negated = x * -1
    exped = negated.exp()
    plus_one = exped + 1
    y = 1.0 / plus_one
    y.backward()
    out = y.data
    assert plus_one.grad == approx(-(out**2))  # step 1: "/" multiplies by -y^2
    assert exped.grad == approx(-(out**2))  # step 2: "+" passes it on
    assert negated.grad == approx(-(out**2) * math.exp(-x0))  # step 3: "exp" multiplies by exp(-x)
    assert x.grad == approx(out**2 * math.exp(-x0))  # step 4: "x" multiplies by -1
    assert x.grad == approx(out * (1 - out))
    simple = Value(x0)
    simple.sigmoid().backward()
    assert simple.grad == approx(x.grad)


def test_dl_scratch_batch_affine_backward_dx_dw_db() -> None:
    # Y = X W + B for a batch of 2: dX = dY W^T, dW = X^T dY, dB = dY summed over the batch.
    np = pytest.importorskip("numpy")  # the oracle: the seed's matrix formulas, as NumPy computes them
    rng = np.random.default_rng(5)
    x_data, w_data, b_data = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    d_y = rng.standard_normal((2, 4))
    x = [[Value(v) for v in row] for row in x_data.tolist()]
    w = [[Value(v) for v in row] for row in w_data.tolist()]
    b = leaves(*b_data.tolist())
    y = [[sg.dot(x[n], [w[i][j] for i in range(3)], bias=b[j]) for j in range(4)] for n in range(2)]
    sg.dot([v for row in y for v in row], d_y.ravel().tolist()).backward()
    assert np.array([[v.data for v in row] for row in y]) == pytest.approx(x_data @ w_data + b_data, rel=TIGHT)
    assert np.array([[v.grad for v in row] for row in x]) == pytest.approx(d_y @ w_data.T, rel=TIGHT, abs=TIGHT)
    assert np.array([[v.grad for v in row] for row in w]) == pytest.approx(x_data.T @ d_y, rel=TIGHT, abs=TIGHT)
    assert [v.grad for v in b] == pytest.approx(d_y.sum(axis=0).tolist(), rel=TIGHT, abs=TIGHT)


@pytest.mark.parametrize(
    ("y_target", "expected"),
    [
        ([0.3, 0.2, 0.5], [0.3, -0.8, 0.5]),
        # The seed's (0.01, 0.99, 0): the last score is -50, so y3 = e**-50 / ... ~ 2e-22, not 0 (log needs > 0).
        ([0.01, 0.99, None], [0.01, -0.01, 0.0]),
    ],
    ids=["y_0.3_0.2_0.5", "y_0.01_0.99_0"],
)
def test_dl_scratch_softmax_with_loss_gradient_is_y_minus_t(
    y_target: list[float | None], expected: list[float]
) -> None:
    t = [0.0, 1.0, 0.0]
    a = leaves(*[math.log(p) if p is not None else -50.0 for p in y_target])
    y = _softmax(a)
    loss = _cross_entropy(y, t)
    loss.backward()
    assert [v.data for v in y] == pytest.approx([p or 0.0 for p in y_target], rel=TIGHT, abs=1e-20)
    assert loss.data == approx(-math.log(y[1].data))
    # Figure A-4: the cross-entropy layer sends -t_k / y_k back into the softmax layer.
    assert [v.grad for v in y] == [approx(-tk / yk.data) for tk, yk in zip(t, y)]
    assert [v.grad for v in a] == [approx(e) for e in expected]
    assert [v.grad for v in a] == [approx(yk.data - tk) for yk, tk in zip(y, t)]


def test_dl_scratch_softmax_with_loss_batch_divides_by_batch_size() -> None:
    scores = [[0.2, 1.5, -0.3], [2.0, -1.0, 0.5]]
    targets = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    a = [leaves(*row) for row in scores]
    ys = [_softmax(row) for row in a]
    loss = sg.sum([_cross_entropy(y, t) for y, t in zip(ys, targets)]) / len(scores)
    loss.backward()
    for row, y, t in zip(a, ys, targets):
        assert [v.grad for v in row] == [approx((yk.data - tk) / 2) for yk, tk in zip(y, t)]


class _TwoLayerNet:
    """The seed's TwoLayerNet (Affine, ReLU, Affine, SoftmaxWithLoss) written with Values."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int, weight_init_std: float) -> None:
        import numpy as np  # the test below skips first without it

        rng = np.random.default_rng(4)

        def matrix(rows: int, cols: int) -> list[list[Value]]:
            return [[Value(v) for v in row] for row in (weight_init_std * rng.standard_normal((rows, cols))).tolist()]

        self.w1, self.b1 = matrix(hidden_size, input_size), leaves(*[0.0] * hidden_size)
        self.w2, self.b2 = matrix(output_size, hidden_size), leaves(*[0.0] * output_size)
        self.params = {
            "W1": [v for row in self.w1 for v in row],
            "b1": self.b1,
            "W2": [v for row in self.w2 for v in row],
            "b2": self.b2,
        }

    def loss(self, x_batch: list[list[float]], t_batch: list[list[float]]) -> Value:
        losses = []
        for x, t in zip(x_batch, t_batch):
            hidden = [sg.dot(row, x, bias=b).relu() for row, b in zip(self.w1, self.b1)]
            scores = [sg.dot(row, hidden, bias=b) for row, b in zip(self.w2, self.b2)]
            losses.append(_cross_entropy(_softmax(scores), t))
        return sg.sum(losses) / len(x_batch)

    def numerical_gradient(self, x: list[list[float]], t: list[list[float]], key: str) -> list[float]:
        """The seed's numerical_gradient: central differences with h = 1e-4, one parameter at a time."""
        h = 1e-4
        grads = []
        with sg.no_grad():
            for p in self.params[key]:
                original = p.data
                p.data = original + h
                up = self.loss(x, t).data
                p.data = original - h
                down = self.loss(x, t).data
                p.data = original
                grads.append((up - down) / (2 * h))
        return grads


def test_dl_scratch_gradient_check_two_layer_net_numerical_vs_backprop() -> None:
    np = pytest.importorskip("numpy")  # the seed's data and its comparison, as it wrote them
    rng = np.random.default_rng(0)
    net = _TwoLayerNet(input_size=6, hidden_size=5, output_size=3, weight_init_std=0.5)
    x_batch = rng.uniform(0.0, 1.0, (3, 6)).tolist()  # like normalized pixels
    t_batch = np.eye(3)[[0, 2, 1]].tolist()  # one-hot labels
    net.loss(x_batch, t_batch).backward()
    for key in ("W1", "b1", "W2", "b2"):
        numerical = net.numerical_gradient(x_batch, t_batch, key)
        backprop = [p.grad for p in net.params[key]]
        diff = float(np.average(np.abs(np.array(backprop) - np.array(numerical))))
        # The seed measured 4.6e-10 (W1) to 1.4e-7 (b2) on MNIST; here 5e-13 (W1) to 1.2e-10 (b2): the
        # truncation error h**2 f''' / 6 of central differences. A wrong gradient would be off by ~1e-2.
        assert diff < 1e-9, f"{key}: average |backprop - numerical| = {diff:.3g}"
        assert any(abs(g) > 1e-3 for g in backprop), "the check must compare gradients that are not all zero"

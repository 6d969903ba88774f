"""Losses and softmax against PyTorch float64, hand-derived formulas and the seeds' worked numbers."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalargrad import Value, compile, grad
from scalargrad import dot as value_dot
from scalargrad.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2_penalty,
    log_softmax,
    mse_loss,
    softmax,
)
from scalargrad.nn import Layer
from scalargrad.nn import mse_loss as mse_from_nn
from scalargrad.train import one_hot


def leaves(xs: list[float]) -> list[Value]:
    return [Value(x) for x in xs]


def close(a: float, b: float, tol: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def assert_all_close(got: list[float], want: list[float], tol: float = 1e-12) -> None:
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert close(g, w, tol), f"index {i}: got {g!r}, want {w!r}"


def torch_value_and_grad(fn: Callable[[Any], Any], xs: list[float]) -> tuple[float, list[float]]:
    torch = pytest.importorskip("torch")
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    out = fn(t)
    out.backward()
    return out.item(), t.grad.tolist()


RNG = random.Random(2024)
PREDS = [RNG.uniform(-3, 3) for _ in range(7)]
TARGETS = [RNG.uniform(-3, 3) for _ in range(7)]


# ---------------------------------------------------------------------------
# Against PyTorch (float64).
# ---------------------------------------------------------------------------


def test_mse_loss_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    want, want_grad = torch_value_and_grad(
        lambda p: torch.nn.functional.mse_loss(p, torch.tensor(TARGETS, dtype=torch.float64)), PREDS
    )
    p = leaves(PREDS)
    loss = mse_loss(p, TARGETS)
    assert close(loss.data, want)
    assert_all_close(grad(loss, p), want_grad)


def test_hinge_loss_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    labels = [1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0]
    scores = [0.3, 0.2, 2.5, -3.0, -0.7, 1.0, 0.999]  # includes a margin of exactly 1 and a satisfied one
    y = torch.tensor(labels, dtype=torch.float64)
    want, want_grad = torch_value_and_grad(lambda s: torch.relu(1 - y * s).mean(), scores)
    s = leaves(scores)
    loss = hinge_loss(s, labels)
    assert close(loss.data, want)
    assert_all_close(grad(loss, s), want_grad)


def test_binary_cross_entropy_with_logits_matches_torch_including_extreme_logits() -> None:
    torch = pytest.importorskip("torch")
    logits = [1000.0, -1000.0, 0.0, 0.0, 2.5, -3.0, 40.0, -40.0, 1000.0]
    targets = [0.0, 1.0, 1.0, 0.0, 0.3, 1.0, 1.0, 0.0, 1.0]
    t = torch.tensor(targets, dtype=torch.float64)
    want, want_grad = torch_value_and_grad(lambda z: torch.nn.functional.binary_cross_entropy_with_logits(z, t), logits)
    z = leaves(logits)
    loss = binary_cross_entropy_with_logits(z, targets)
    assert close(loss.data, want)
    assert_all_close(grad(loss, z), want_grad)


@pytest.mark.parametrize("logits", [[0.5, -1.2, 3.0, 0.0], [1000.0, 999.0, -1000.0], [-1000.0, -1000.0]])
def test_softmax_and_log_softmax_match_torch(logits: list[float]) -> None:
    torch = pytest.importorskip("torch")
    # A weighted sum of the outputs, so every output's gradient path is exercised.
    weights = [0.7, -1.3, 2.1, 0.4][: len(logits)]
    w = torch.tensor(weights, dtype=torch.float64)
    for ours, theirs in [(softmax, torch.softmax), (log_softmax, torch.log_softmax)]:
        t = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
        out = theirs(t, dim=0)
        (out * w).sum().backward()
        z = leaves(logits)
        mine = ours(z)
        assert_all_close([v.data for v in mine], out.tolist())
        total = sum((wi * v for wi, v in zip(weights, mine)), Value(0.0))
        assert_all_close(grad(total, z), t.grad.tolist(), tol=1e-10)


@pytest.mark.parametrize("target", [0, 2, 3])
def test_cross_entropy_matches_torch(target: int) -> None:
    torch = pytest.importorskip("torch")
    logits = [0.5, -1.2, 3.0, 0.25]
    want, want_grad = torch_value_and_grad(
        lambda z: torch.nn.functional.cross_entropy(z.unsqueeze(0), torch.tensor([target])), logits
    )
    z = leaves(logits)
    loss = cross_entropy(z, target)
    assert close(loss.data, want)
    assert_all_close(grad(loss, z), want_grad)


@pytest.mark.parametrize("as_values", [False, True], ids=["number targets", "Value targets"])
@pytest.mark.parametrize(
    ("logits", "targets"),
    [
        ([0.5, -1.2, 3.0, 0.25], [0.1, 0.6, 0.0, 0.3]),  # a distribution
        ([1000.0, 998.5, -3.0, 999.0], [0.0, 1.0, 0.0, 0.0]),  # one-hot, huge logits
        ([-2.0, 0.5, 4.0, 1.0], [0.5, 0.5, 1.0, 0.0]),  # sums to 2: the loss is twice as large
    ],
)
def test_cross_entropy_with_target_probabilities_matches_torch(
    logits: list[float], targets: list[float], as_values: bool
) -> None:
    torch = pytest.importorskip("torch")
    tz = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(targets, dtype=torch.float64, requires_grad=True)
    # torch's cross_entropy with class probabilities as targets, and -Σ t log softmax for d/dt too.
    want = torch.nn.functional.cross_entropy(tz.unsqueeze(0), tt.detach().unsqueeze(0))
    theirs = -(tt * torch.log_softmax(tz, dim=0)).sum()
    theirs.backward()
    assert close(want.item(), theirs.item())
    z = leaves(logits)
    t = leaves(targets) if as_values else targets
    loss = cross_entropy(z, t)
    assert close(loss.data, want.item())
    assert_all_close(grad(loss, z), tz.grad.tolist())
    if as_values:
        assert_all_close(grad(loss, t), tt.grad.tolist())  # type: ignore[arg-type]


def test_binary_cross_entropy_with_value_targets_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    logits = [1000.0, -1000.0, 0.0, 2.5, -3.0]
    targets = [0.0, 1.0, 0.5, 0.3, 1.0]
    tz = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(targets, dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.binary_cross_entropy_with_logits(tz, tt)
    out.backward()  # d/dt = -z / n
    z, t = leaves(logits), leaves(targets)
    loss = binary_cross_entropy_with_logits(z, t)
    assert close(loss.data, out.item())
    assert_all_close(grad(loss, z), tz.grad.tolist())
    assert_all_close(grad(loss, t), tt.grad.tolist())


def test_l2_penalty_matches_torch() -> None:
    want, want_grad = torch_value_and_grad(lambda p: 1e-4 * (p * p).sum(), PREDS)
    p = leaves(PREDS)
    penalty = l2_penalty(p, 1e-4)
    assert close(penalty.data, want)
    assert_all_close(grad(penalty, p), want_grad)


# ---------------------------------------------------------------------------
# Hand-derived formulas and the seeds.
# ---------------------------------------------------------------------------


def probabilities(logits: list[float]) -> list[float]:
    """Softmax by the textbook formula, in plain floats (for moderate logits)."""
    exps = [math.exp(z) for z in logits]
    return [e / math.fsum(exps) for e in exps]


def test_seed_004_softmax_with_loss_backward_is_y_minus_t() -> None:
    # Seed 004 (5.6.3): teacher label (0, 1, 0), softmax output (0.3, 0.2, 0.5) -> backward (0.3, -0.8, 0.5).
    z = leaves([math.log(0.3), math.log(0.2), math.log(0.5)])
    assert_all_close([p.data for p in softmax(z)], [0.3, 0.2, 0.5])
    loss = cross_entropy(z, 1)
    assert close(loss.data, -math.log(0.2))
    assert_all_close(grad(loss, z), [0.3, -0.8, 0.5])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-30, 30, allow_nan=False), min_size=1, max_size=6),
    st.integers(0, 5),
)
def test_cross_entropy_gradient_is_softmax_minus_one_hot(logits: list[float], target: int) -> None:
    target %= len(logits)
    z = leaves(logits)
    loss = cross_entropy(z, target)
    h = probabilities(logits)
    assert close(loss.data, -math.log(h[target]), 1e-9)
    want = [hk - (1.0 if k == target else 0.0) for k, hk in enumerate(h)]
    assert_all_close(grad(loss, z), want, 1e-9)


def test_seed_001_output_layer_weight_gradient_is_error_times_hidden_output() -> None:
    # Seed 001: g_k = Σ_j w_kj h_j + b_k, L = cross-entropy of softmax(g):
    # dL/dw_kj = (h_k - y_k) h_j and dL/db_k = h_k - y_k.
    layer = Layer(3, 4, activation="linear", seed=7)
    hidden = [0.2, -0.5, 0.9]
    target = 2
    loss = cross_entropy(layer(hidden), target)
    loss.backward()
    logits = [math.fsum([w.data * x for w, x in zip(n.w, hidden)]) + n.b.data for n in layer.neurons]
    h = probabilities(logits)
    for k, neuron in enumerate(layer.neurons):
        error = h[k] - (1.0 if k == target else 0.0)
        assert close(neuron.b.grad, error)
        assert_all_close([w.grad for w in neuron.w], [error * x for x in hidden])


def test_log_softmax_and_cross_entropy_are_finite_and_exact_at_logits_of_1000() -> None:
    z = leaves([1000.0, 0.0, -1000.0])
    assert [v.data for v in log_softmax(z)] == [0.0, -1000.0, -2000.0]
    loss = cross_entropy(z, 2)
    assert loss.data == 2000.0
    assert grad(loss, z) == [1.0, 0.0, -1.0]

    tie = leaves([1000.0, 1000.0])
    loss = cross_entropy(tie, 0)
    assert close(loss.data, math.log(2.0))
    assert_all_close(grad(loss, tie), [-0.5, 0.5])
    assert_all_close([p.data for p in softmax(tie)], [0.5, 0.5])


def test_cross_entropy_on_one_hot_value_targets_matches_the_formulas() -> None:
    z_data = [1000.0, 998.5, -3.0, 999.0]
    z = leaves(z_data)
    t = leaves(one_hot(1, 4))
    loss = cross_entropy(z, t)
    loss.backward()
    # By hand: log-sum-exp with the largest logit taken out, d/dz = softmax - one-hot, d/dt = -log softmax.
    m = max(z_data)
    lse = m + math.log(math.fsum(math.exp(v - m) for v in z_data))
    softmax_by_hand = [math.exp(v - m) / math.fsum(math.exp(u - m) for u in z_data) for v in z_data]
    assert close(loss.data, lse - z_data[1])
    assert_all_close([v.grad for v in z], [p - y for p, y in zip(softmax_by_hand, one_hot(1, 4))])
    assert_all_close([v.grad for v in t], [lse - v for v in z_data])
    # The same as the class index, to the last bit here: 1 * logsumexp - (0 z0 + 1 z1 + 0 z2 + 0 z3).
    assert cross_entropy(z, 1).data == loss.data
    # Replayed with another label and other logits (a new largest one): the tape follows both.
    tape = compile(loss)
    for v, new in zip(z, [-2.0, 0.5, 4.0, 1.0]):
        v.data = new
    for v, new in zip(t, one_hot(3, 4)):
        v.data = new
    expected = math.log(math.fsum(math.exp(v) for v in [-2.0, 0.5, 4.0, 1.0])) - 1.0
    assert close(tape.forward(), expected)


def test_binary_cross_entropy_gradient_is_sigmoid_minus_target_even_at_zero() -> None:
    # The kinked form relu(z) + log(1 + e^-|z|) would give -t instead of 0.5 - t at z = 0.
    logits, targets = [0.0, 0.0, 1000.0, -1000.0, 1.5], [1.0, 0.25, 0.0, 1.0, 0.5]
    z = leaves(logits)
    loss = binary_cross_entropy_with_logits(z, targets)
    n = len(logits)
    sig = [1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0 for x in logits]
    assert_all_close(grad(loss, z), [(s - t) / n for s, t in zip(sig, targets)])
    # log(2) for each logit 0; 1000 for each confident mistake; softplus(1.5) - 0.75.
    want = (2 * math.log(2.0) + 1000.0 + 1000.0 + math.log1p(math.exp(1.5)) - 0.75) / n
    assert close(loss.data, want)


def test_mse_loss_by_hand_and_from_nn() -> None:
    p = leaves([1.0, 2.0, 4.0])
    loss = mse_from_nn(p, [0.0, 2.0, 1.0])
    assert loss.data == (1.0 + 0.0 + 9.0) / 3
    assert grad(loss, p) == [2 / 3, 0.0, 2.0]


def test_losses_take_single_values_and_plain_numbers() -> None:
    x = Value(3.0)
    assert mse_loss(x, 1.0).data == 4.0
    assert hinge_loss(0.5, 1).data == 0.5
    assert isinstance(mse_loss([1.0], [3.0]), Value)
    assert cross_entropy([0.0, 0.0], 1).data == pytest.approx(math.log(2.0), abs=1e-15)
    assert l2_penalty([], 0.1).data == 0.0


# ---------------------------------------------------------------------------
# Replay: a tape recorded from any loss follows new logits and targets.
# ---------------------------------------------------------------------------

#: Each loss as a function of logits ``z`` and target leaves ``t`` (four of each); lists are weighed into one number.
REPLAYED: dict[str, Callable[[list[Value], list[Value]], Value]] = {
    "log_softmax": lambda z, t: value_dot([0.7, -1.3, 2.1, 0.4], log_softmax(z)),
    "softmax": lambda z, t: value_dot([0.7, -1.3, 2.1, 0.4], softmax(z)),
    "cross_entropy, class index": lambda z, t: cross_entropy(z, 2),
    "cross_entropy, Value targets": cross_entropy,
    "cross_entropy, number targets": lambda z, t: cross_entropy(z, [0.1, 0.2, 0.3, 0.4]),
    "binary_cross_entropy_with_logits, number targets": lambda z, t: binary_cross_entropy_with_logits(
        z, [0.0, 1.0, 0.25, 1.0]
    ),
    "binary_cross_entropy_with_logits, Value targets": binary_cross_entropy_with_logits,
    "mse_loss": mse_loss,
    "hinge_loss": lambda z, t: hinge_loss(z, [1, -1, 1, -1]),
    "l2_penalty": lambda z, t: l2_penalty(z, 0.1),
}
RECORDED_AT = ([0.5, -1.2, 3.0, 0.25], [0.0, 1.0, 0.0, 0.0])
#: Far from where the tape was recorded: e^2003 overflows, e^-2000 is 0, the largest logit and every sign move.
MOVES = {
    "+2000, a new largest": ([2003.0, 1998.8, 2000.5, 2000.25], [0.0, 0.0, 0.0, 1.0]),
    "-2000": ([-2000.5, -1998.8, -2003.0, -2000.25], [1.0, 0.0, 0.0, 0.0]),
    "signs flipped, huge": ([-1000.0, 1000.0, -3.0, -0.25], [0.5, 0.0, 0.25, 0.25]),
}


def _eager(
    build: Callable[[list[Value], list[Value]], Value], z: list[Value], t: list[Value]
) -> tuple[Value, list[str]]:
    for v in z + t:
        v.grad = 0.0
    loss = build(z, t)
    loss.backward()
    return loss, [repr(v.grad) for v in z + t]


@pytest.mark.parametrize("move", sorted(MOVES))
@pytest.mark.parametrize("name", sorted(REPLAYED))
def test_a_recorded_loss_replays_exactly_what_a_fresh_build_gives_far_from_the_recording(name: str, move: str) -> None:
    build = REPLAYED[name]
    z, t = leaves(RECORDED_AT[0]), leaves(RECORDED_AT[1])
    tape = compile(build(z, t))
    new_logits, new_targets = MOVES[move]
    for v, x in zip(z + t, new_logits + new_targets):
        v.data = x
        v.grad = 0.0
    replayed = tape.forward()
    tape.backward()
    replayed_grads = [repr(v.grad) for v in z + t]

    fresh, fresh_grads = _eager(build, z, t)
    assert math.isfinite(fresh.data)
    assert repr(replayed) == repr(fresh.data)  # the same float, not merely a close one
    assert replayed_grads == fresh_grads
    # No op, wire or folded constant of the tape came from the recording's numbers.
    tape.check(fresh)


# ---------------------------------------------------------------------------
# Bad input.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mse_loss([1.0, 2.0], [1.0]), r"mse_loss\(\): preds and targets differ in length: 2 and 1"),
        (lambda: mse_loss([], []), r"mse_loss\(\): preds is empty"),
        (lambda: hinge_loss([1.0, 2.0], [1, 0]), r"hinge_loss\(\): labels must be -1 or \+1, got 0.0 at index 1"),
        (lambda: hinge_loss([1.0], [1, -1]), r"hinge_loss\(\): scores and labels differ in length"),
        (
            lambda: binary_cross_entropy_with_logits([0.0], [2.0]),
            r"binary_cross_entropy_with_logits\(\): targets must lie in \[0, 1\], got 2.0",
        ),
        (lambda: cross_entropy([1.0, 2.0], 2), r"cross_entropy\(\): target index 2 is out of range for 2 logits"),
        (lambda: cross_entropy([1.0, 2.0], -1), r"cross_entropy\(\): target index -1 is out of range"),
        (lambda: softmax([]), r"softmax\(\): logits is empty"),
        (
            lambda: cross_entropy([1.0, 2.0], [0.0, 1.0, 0.0]),
            r"cross_entropy\(\): logits and target differ in length: 2 and 3",
        ),
        (lambda: cross_entropy([1.0, 2.0], [0.0, -0.5]), r"cross_entropy\(\): target must lie in \[0, 1\], got -0.5"),
        (lambda: cross_entropy([1.0, 2.0], []), r"cross_entropy\(\): target is empty"),
        (lambda: l2_penalty([Value(1.0)], -0.5), r"l2_penalty\(\): alpha must be a number >= 0, got -0.5"),
    ],
)
def test_bad_input_raises_value_error_naming_the_function(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mse_loss(["a"], [1.0]), r"mse_loss\(\): preds must be Values or numbers, got str at index 0"),
        (lambda: hinge_loss([1.0], [Value(1.0)]), r"hinge_loss\(\): labels must be plain numbers, got Value"),
        (
            lambda: cross_entropy([1.0, 2.0], 1.0),
            r"cross_entropy\(\): target must be an integer class index or a sequence .*, got float",
        ),
        (lambda: log_softmax(None), r"log_softmax\(\): logits must be a number, a Value or a sequence"),
        (lambda: cross_entropy([1.0, 2.0], Value(1.0)), r"cross_entropy\(\): target must be an integer .*Value"),
        (lambda: cross_entropy([1.0], ["a"]), r"cross_entropy\(\): target must be Values or numbers, got str"),
    ],
)
def test_wrong_types_raise_type_error_naming_the_function(call: Callable[[], object], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call()

"""Losses and softmax: the functions that turn a network's outputs into one number to minimise.

Each function takes plain sequences of Values or numbers and returns Values, so
``loss.backward()`` reaches the network's parameters through them like through
any other op. Sums over many terms use the engine's n-ary ``sum`` and ``dot``:
a loss over n samples adds a few nodes, not a chain of n binary ``+`` gates.

Outputs (predictions, scores, logits) may be Values or plain numbers; a plain
number becomes a leaf, so every function returns a Value with a graph behind it.
Targets may be plain numbers, folded into the ops as constants (``p - 0.5`` is
one ``+-0.5`` gate), or, for `mse_loss`, `cross_entropy` and
`binary_cross_entropy_with_logits`, Values: input leaves a training loop
refills with each minibatch's targets (`scalargrad.train.load_rows`).

Every loss is *replay-safe*: no constant and no branch in it comes from a
``.data``. The numerically delicate parts are engine ops that decide what they
need from their inputs each time they run: `scalargrad.logsumexp` shifts by the
largest input inside its rule, and `scalargrad.softplus` picks its stable form
there. So a tape recorded from one of these losses (`scalargrad.compile`)
computes, on any new logits and targets, exactly what a fresh build would.
The structure still has to stay the same: `hinge_loss` labels and a
`cross_entropy` class index are part of it (see their docstrings).
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Sized
from typing import TypeAlias, TypeGuard, cast

from scalargrad.engine import Value, dot, logsumexp, softplus
from scalargrad.engine import sum as value_sum

#: One output of a model: a Value, or a plain number.
Scalar: TypeAlias = Value | float
#: What every loss accepts for a model's outputs: one of them or a sequence of them.
Outputs: TypeAlias = Scalar | Iterable[Scalar]
#: Data (targets, labels): one plain number or a sequence of them.
Numbers: TypeAlias = float | Iterable[float]

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "l2_penalty",
    "log_softmax",
    "mse_loss",
    "softmax",
    "softplus",
]


def mse_loss(preds: Outputs, targets: Outputs) -> Value:
    """Mean squared error, ``(1/n) Σ (p_i - t_i)²``.

    Its gradient is ``2 (p_i - t_i) / n`` for each prediction: a prediction is
    pulled towards its target in proportion to how far off it is. The squares
    are one ``dot`` node (the differences dotted with themselves).
    """
    p = _scalars(preds, "mse_loss", "preds")
    t = _scalars(targets, "mse_loss", "targets")
    _same_length(p, t, "mse_loss", "preds", "targets")
    diffs = [a - b for a, b in zip(p, t)]
    return dot(diffs, diffs) / len(diffs)


def hinge_loss(scores: Outputs, labels: Numbers) -> Value:
    """The SVM max-margin loss, ``(1/n) Σ max(0, 1 - y_i s_i)`` for labels ``y_i`` in {-1, +1}.

    A sample scored on the right side with a margin of at least 1 costs nothing
    and sends back no gradient; any other sample pushes its score towards its
    label. This is the data loss of micrograd's moons demo. The labels are
    folded into the graph as constants, so a tape replays them as recorded.
    """
    s = _values(scores, "hinge_loss", "scores")
    y = _numbers(labels, "hinge_loss", "labels")
    _same_length(s, y, "hinge_loss", "scores", "labels")
    for i, label in enumerate(y):
        if label not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss(): labels must be -1 or +1, got {label!r} at index {i}")
    return value_sum([(1.0 - si * yi).relu() for si, yi in zip(s, y)]) / len(s)


def binary_cross_entropy_with_logits(logits: Outputs, targets: Outputs) -> Value:
    """Mean binary cross-entropy of ``sigmoid(z_i)`` against targets ``t_i`` in [0, 1], from the logits ``z_i``.

    ``-[t log σ(z) + (1 - t) log(1 - σ(z))]`` simplifies to ``softplus(z) - t z``
    with ``softplus(z) = log(1 + e^z)``, whose derivative is ``σ(z)``: the
    gradient with respect to the logit is ``σ(z) - t``. Computing ``log σ(z)``
    directly would take ``log(0)`` at ``z = -1000``; the engine's ``softplus``
    op is finite for any logit, and it chooses its overflow-free form inside
    its rule, so a replayed tape chooses again for every new logit.

    Targets may be numbers (checked to lie in [0, 1]) or Values (input leaves,
    refilled by the training loop, so not checked here).
    """
    z = _values(logits, "binary_cross_entropy_with_logits", "logits")
    t = _scalars(targets, "binary_cross_entropy_with_logits", "targets")
    _same_length(z, t, "binary_cross_entropy_with_logits", "logits", "targets")
    _check_probabilities(t, "binary_cross_entropy_with_logits", "targets")
    return value_sum([softplus(zi) - zi * ti for zi, ti in zip(z, t)]) / len(z)


def log_softmax(logits: Outputs) -> list[Value]:
    """``z_k - logsumexp(z)``: the log of `softmax`, without forming the probabilities.

    ``logsumexp(z) = log Σ_c e^{z_c}`` is one engine op, which takes the largest
    logit out inside its rule (``m + log Σ e^{z_c - m}``): finite for logits of
    1000, and a tiny probability comes out as a large negative number instead
    of ``log(0)``. Its gradient with respect to each logit is that logit's
    softmax probability.
    """
    return _log_softmax(_values(logits, "log_softmax", "logits"))


def softmax(logits: Outputs) -> list[Value]:
    """``e^{z_k} / Σ_c e^{z_c}``: scores to probabilities that sum to 1.

    Built as ``exp(log_softmax(z)_k)``: every exponent is at most about 0, so
    logits of 1000 do not overflow, and there is no division.
    """
    return [v.exp() for v in _log_softmax(_values(logits, "softmax", "logits"))]


def cross_entropy(logits: Outputs, target: int | Iterable[Scalar]) -> Value:
    """The cross-entropy of ``softmax(z)`` against a class index or a row of target probabilities.

    With a class index ``k`` it is ``-log softmax(z)_k = logsumexp(z) - z_k``,
    whose gradient with respect to logit ``z_i`` is ``softmax(z)_i - [i = k]``:
    probability minus one-hot (the Softmax-with-Loss layer's ``y - t``). The
    index picks which logit is subtracted, so it is part of the graph's
    structure: a tape replays the index it was recorded with.

    With a sequence of targets ``t_i`` (numbers in [0, 1], or Values such as a
    one-hot row of input leaves the training loop refills) it is
    ``-Σ_i t_i log softmax(z)_i = (Σ_i t_i) logsumexp(z) - t · z``, with
    gradient ``(Σ t) softmax(z)_i - t_i`` for the logits and ``-log softmax(z)_i``
    for the targets. Here the target is data, so a tape follows new targets.

    For a batch, average it: ``scalargrad.sum(losses) / len(losses)``.
    """
    z = _values(logits, "cross_entropy", "logits")
    if isinstance(target, Iterable):
        t = _scalars(target, "cross_entropy", "target")
        _same_length(z, t, "cross_entropy", "logits", "target")
        _check_probabilities(t, "cross_entropy", "target")
        # Σ t as a node only when a target is a Value; plain numbers fold into one `*c` gate.
        total = value_sum(t) if any(isinstance(v, Value) for v in t) else math.fsum(cast(list[float], t))
        return logsumexp(z) * total - dot(t, z)
    try:
        k = operator.index(target)
    except TypeError:
        raise TypeError(
            f"cross_entropy(): target must be an integer class index or a sequence of target probabilities, "
            f"got {type(target).__name__}: {target!r}"
        ) from None
    if not 0 <= k < len(z):
        raise ValueError(f"cross_entropy(): target index {k} is out of range for {len(z)} logits")
    return logsumexp(z) - z[k]


def l2_penalty(params: Iterable[Scalar], alpha: float) -> Value:
    """``alpha Σ p²``, the weight-decay term micrograd's moons demo adds to its loss.

    Its gradient ``2 alpha p`` pulls every parameter towards zero, which keeps
    the weights small and the decision boundary smooth. One ``dot`` node.
    """
    if not _is_real(alpha) or not float(alpha) >= 0.0:
        raise ValueError(f"l2_penalty(): alpha must be a number >= 0, got {alpha!r}")
    ps = _scalars(params, "l2_penalty", "params", allow_empty=True)
    return dot(ps, ps) * float(alpha)


# ---------------------------------------------------------------------------
# Shared pieces.
# ---------------------------------------------------------------------------


def _log_softmax(z: list[Value]) -> list[Value]:
    lse = logsumexp(z)
    return [zk - lse for zk in z]


def _is_real(x: object) -> TypeGuard[numbers.Real]:
    return isinstance(x, numbers.Real)


def _scalars(x: Outputs, fn: str, what: str, *, values_allowed: bool = True, allow_empty: bool = False) -> list[Scalar]:
    """``x`` as a list of Values and plain floats (only floats unless ``values_allowed``), checked."""
    items: list[object] = [x] if isinstance(x, Value) or _is_real(x) else _as_list(x, fn, what)
    out: list[Scalar] = []
    for i, v in enumerate(items):
        if isinstance(v, Value) and values_allowed:
            out.append(v)
        elif _is_real(v):
            out.append(float(v))
        else:
            kind = "Values or numbers" if values_allowed else "plain numbers"
            raise TypeError(f"{fn}(): {what} must be {kind}, got {type(v).__name__} at index {i}: {v!r}")
    if not out and not allow_empty:
        raise ValueError(f"{fn}(): {what} is empty")
    return out


def _values(x: Outputs, fn: str, what: str) -> list[Value]:
    """``x`` as a non-empty list of Values, plain numbers becoming leaves."""
    return [v if isinstance(v, Value) else Value(v) for v in _scalars(x, fn, what)]


def _numbers(x: Numbers, fn: str, what: str) -> list[float]:
    """``x`` as a non-empty list of plain floats (data, never Values)."""
    return cast(list[float], _scalars(x, fn, what, values_allowed=False))


def _check_probabilities(t: list[Scalar], fn: str, what: str) -> None:
    """Plain-number targets must lie in [0, 1]; Values are data a training loop refills, checked by no one here."""
    for i, target in enumerate(t):
        if not isinstance(target, Value) and not 0.0 <= target <= 1.0:
            raise ValueError(f"{fn}(): {what} must lie in [0, 1], got {target!r} at index {i}")


def _as_list(x: object, fn: str, what: str) -> list[object]:
    if not isinstance(x, Iterable):
        raise TypeError(f"{fn}(): {what} must be a number, a Value or a sequence of them, got {type(x).__name__}")
    return list(x)


def _same_length(a: Sized, b: Sized, fn: str, first: str, second: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{fn}(): {first} and {second} differ in length: {len(a)} and {len(b)}")

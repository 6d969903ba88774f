"""Losses and softmax: the functions that turn a network's outputs into one number to minimise.

Each function takes plain sequences of Values or numbers and returns Values, so
``loss.backward()`` reaches the network's parameters through them like through
any other op. Sums over many terms use the engine's n-ary ``sum`` and ``dot``:
a loss over n samples adds a few nodes, not a chain of n binary ``+`` gates.

Outputs (predictions, scores, logits) may be Values or plain numbers; a plain
number becomes a leaf, so every function returns a Value with a graph behind it.
Targets and labels are data, so they must be plain numbers and are folded into
the ops as constants (``p - 0.5`` is one ``+-0.5`` gate).
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Iterable, Sized
from typing import TypeAlias, TypeGuard, cast

from scalargrad.engine import Value, dot
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
    label. This is the data loss of micrograd's moons demo.
    """
    s = _values(scores, "hinge_loss", "scores")
    y = _numbers(labels, "hinge_loss", "labels")
    _same_length(s, y, "hinge_loss", "scores", "labels")
    for i, label in enumerate(y):
        if label not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss(): labels must be -1 or +1, got {label!r} at index {i}")
    return value_sum([(1.0 - si * yi).relu() for si, yi in zip(s, y)]) / len(s)


def binary_cross_entropy_with_logits(logits: Outputs, targets: Numbers) -> Value:
    """Mean binary cross-entropy of ``sigmoid(z_i)`` against targets ``t_i`` in [0, 1], from the logits ``z_i``.

    ``-[t log σ(z) + (1 - t) log(1 - σ(z))]`` simplifies to ``softplus(z) - t z``
    with ``softplus(z) = log(1 + e^z)``, whose derivative is ``σ(z) - t``.
    Computing ``log σ(z)`` directly would take ``log(0)`` at ``z = -1000``, so the
    softplus is built in a form whose ``exp`` never sees a positive argument
    (see `softplus`): finite values and gradients for any logit.
    """
    z = _values(logits, "binary_cross_entropy_with_logits", "logits")
    t = _numbers(targets, "binary_cross_entropy_with_logits", "targets")
    _same_length(z, t, "binary_cross_entropy_with_logits", "logits", "targets")
    for i, target in enumerate(t):
        if not 0.0 <= target <= 1.0:
            raise ValueError(
                f"binary_cross_entropy_with_logits(): targets must lie in [0, 1], got {target!r} at index {i}"
            )
    return value_sum([softplus(zi) - zi * ti for zi, ti in zip(z, t)]) / len(z)


def softplus(z: Value) -> Value:
    """``log(1 + e^z)``, the smooth ReLU, without overflow.

    For ``z > 0`` it is rewritten as ``z + log(1 + e^-z)``. Which form is used
    depends on the value only, and both are exact with smooth gradients
    (``σ(z)`` either way), unlike ``relu(z) + log(1 + e^-|z|)``, whose kinks give
    a wrong gradient at exactly ``z = 0``.
    """
    if z.data > 0.0:
        return z + (1.0 + (-z).exp()).log()
    return (1.0 + z.exp()).log()


def softmax(logits: Outputs) -> list[Value]:
    """``e^{z_k} / Σ_c e^{z_c}``: scores to probabilities that sum to 1.

    Subtracting the largest logit ``m`` first leaves the result unchanged (the
    factor ``e^-m`` cancels) and keeps every ``exp`` at most ``e^0 = 1``, so
    logits of 1000 do not overflow. ``m`` is taken as a plain number, a constant
    shift, so it adds no edges to the graph.
    """
    _, exps = _shifted_exps(_values(logits, "softmax", "logits"))
    total = value_sum(exps)
    return [e / total for e in exps]


def log_softmax(logits: Outputs) -> list[Value]:
    """``z_k - log Σ_c e^{z_c}``, the log of `softmax`, computed without forming the probabilities.

    With the largest logit ``m`` taken out, ``log Σ e^{z_c} = m + log Σ e^{z_c - m}``
    (log-sum-exp): the sum is at least 1, so its log is finite, and a tiny
    probability comes out as a large negative number instead of ``log(0)``.
    """
    shifted, lse = _shifted_logsumexp(_values(logits, "log_softmax", "logits"))
    return [s - lse for s in shifted]


def cross_entropy(logits: Outputs, target_index: int) -> Value:
    """``-log softmax(z)[t]``: the cross-entropy of the logits against the one-hot class ``t``.

    Its gradient with respect to logit ``z_k`` is ``softmax(z)_k - [k = t]``,
    probability minus one-hot (the Softmax-with-Loss layer's ``y - t``).
    Computed as ``log Σ e^{z_c - m} - (z_t - m)``, finite for logits of 1000.
    For a batch, average it: ``scalargrad.sum(losses) / len(losses)``.
    """
    z = _values(logits, "cross_entropy", "logits")
    try:
        t = operator.index(target_index)
    except TypeError:
        raise TypeError(
            f"cross_entropy(): target_index must be an integer, got {type(target_index).__name__}: {target_index!r}"
        ) from None
    if not 0 <= t < len(z):
        raise ValueError(f"cross_entropy(): target_index {t} is out of range for {len(z)} logits")
    shifted, lse = _shifted_logsumexp(z)
    return lse - shifted[t]


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


def _shifted_exps(z: list[Value]) -> tuple[list[Value], list[Value]]:
    """``z_k - m`` and ``e^{z_k - m}`` with ``m = max z`` as a constant."""
    m = max(v.data for v in z)
    shifted = [v - m for v in z]
    return shifted, [s.exp() for s in shifted]


def _shifted_logsumexp(z: list[Value]) -> tuple[list[Value], Value]:
    """``z_k - m`` and ``log Σ e^{z_c - m}``."""
    shifted, exps = _shifted_exps(z)
    return shifted, value_sum(exps).log()


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


def _as_list(x: object, fn: str, what: str) -> list[object]:
    if not isinstance(x, Iterable):
        raise TypeError(f"{fn}(): {what} must be a number, a Value or a sequence of them, got {type(x).__name__}")
    return list(x)


def _same_length(a: Sized, b: Sized, fn: str, first: str, second: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{fn}(): {first} and {second} differ in length: {len(a)} and {len(b)}")

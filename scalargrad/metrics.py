"""How many samples a model gets right: `accuracy` and `argmax`.

Kept apart from the training helpers so that `scalargrad.nn` can offer them
without depending on replay or optimizers.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

from scalargrad.engine import Value

__all__ = ["accuracy", "argmax"]


def accuracy(outputs: Sequence[Value | float | Sequence[Value | float]], labels: Sequence[float]) -> float:
    """The fraction of samples whose output picks their label, from 0.0 to 1.0.

    Each output is either

    * one score (a binary classifier): it predicts the positive class when
      above 0, and a label is positive when above 0, so labels may be -1/+1
      (hinge loss) or 0/1 (logits for binary cross-entropy); or
    * a list of class scores (logits or probabilities): it predicts the class
      of the largest score, and the label is that class's index.

    The outputs may be a NumPy array, as a batched replay gives them
    (``tape.values(score)``).

    A NaN predicts nothing, so it is always wrong: a NaN score, or a list with
    a NaN anywhere in it. Otherwise a diverged model, all NaN, would score 50%
    on a binary task (``nan > 0`` is False, which "predicts" every negative)
    or 100% on samples of class 0. Infinities are ordinary large scores.
    """
    if len(outputs) != len(labels):
        raise ValueError(f"accuracy(): outputs and labels differ in length: {len(outputs)} and {len(labels)}")
    if len(outputs) == 0:  # not `not outputs`: a NumPy array of scores (a batched replay's) has no truth value
        raise ValueError("accuracy(): no outputs")
    right = 0
    for i, (out, label) in enumerate(zip(outputs, labels)):
        if not isinstance(label, numbers.Real):
            raise TypeError(f"accuracy(): labels must be numbers, got {type(label).__name__} at index {i}")
        if isinstance(out, Value | numbers.Real):
            score = _number(out)
            right += not math.isnan(score) and (score > 0.0) == (label > 0)
        else:
            scores = [_number(s) for s in out]
            right += not any(map(math.isnan, scores)) and _argmax(scores) == label
    return right / len(outputs)


def argmax(scores: Iterable[Value | float]) -> int:
    """The index of the largest score (the first one on a tie).

    A NaN counts as larger than everything, as in ``numpy.argmax`` and
    ``torch.argmax``: the first NaN's index is returned, whatever its position.
    (Python's ``max`` would give an answer that depends on where the NaN is,
    since every comparison with NaN is False.) `accuracy` counts such a
    prediction as wrong.
    """
    return _argmax([_number(s) for s in scores])


def _argmax(values: list[float]) -> int:
    if not values:
        raise ValueError("argmax(): no scores")
    for i, v in enumerate(values):
        if math.isnan(v):
            return i
    return max(range(len(values)), key=values.__getitem__)


def _number(x: Value | float) -> float:
    """The number a score holds: a Value's ``.data`` (never ``float(value)``), or the number itself as a float."""
    return x.data if isinstance(x, Value) else float(x)

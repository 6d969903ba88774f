"""Small helpers for training loops: how many samples a model gets right."""

from __future__ import annotations

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
    """
    if len(outputs) != len(labels):
        raise ValueError(f"accuracy(): outputs and labels differ in length: {len(outputs)} and {len(labels)}")
    if not outputs:
        raise ValueError("accuracy(): no outputs")
    right = 0
    for i, (out, label) in enumerate(zip(outputs, labels)):
        if not isinstance(label, numbers.Real):
            raise TypeError(f"accuracy(): labels must be numbers, got {type(label).__name__} at index {i}")
        if isinstance(out, Value | numbers.Real):
            right += (float(out) > 0.0) == (label > 0)
        else:
            right += argmax(out) == label
    return right / len(outputs)


def argmax(scores: Iterable[Value | float]) -> int:
    """The index of the largest score (the first one on a tie)."""
    values = [float(s) for s in scores]
    if not values:
        raise ValueError("argmax(): no scores")
    return max(range(len(values)), key=values.__getitem__)

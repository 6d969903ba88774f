"""Which module made a Value: the structured marks `scalargrad.nn` leaves for diagrams to fold networks by.

A diagram of a whole network folds each neuron, or each layer, into one box
(``draw_dot(loss, collapse="layer")``). To do that it must know which Values
are a neuron's output and which are its parameters. `scalargrad.nn` says so
with a `Mark` carried by the Value's label: the label is a `MarkedLabel`, a
``str`` (it prints, compares and saves as the plain name ``layer1.neuron3``)
that also holds ``mark``, the neuron's module path as a tuple
(``("layer1", "neuron3")``), its position in its layer, and the Value's role.

Why on the label and not a new attribute of `Value`: every op makes a Value,
and a slot more on each one costs time and memory on the engine's hot path,
for the sake of drawings. A neuron makes its labels once, when it is built,
and sets them on its output exactly as it did before, so marking costs
nothing. A label the user sets afterwards replaces the mark, which is what
renaming a Value should mean. The diagrams never read meaning into the text
of a label; a network built by hand is folded the same way once its Values
are marked with `mark`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scalargrad.engine import Value

Role = Literal["output", "parameter"]


@dataclass(frozen=True)
class Mark:
    """What a module says about a Value it made."""

    #: The neuron's module path, outermost first: ``("layer1", "neuron3")``.
    path: tuple[str, ...]
    #: The neuron's position in its layer (0 for a neuron on its own): the order a layer lists its outputs in.
    index: int
    #: "output": the neuron's output (after its activation); "parameter": one of its weights or its bias.
    role: Role

    @property
    def layer(self) -> tuple[str, ...]:
        """The path of the layer the neuron belongs to (``()`` for a neuron on its own)."""
        return self.path[:-1]


class MarkedLabel(str):
    """A label that carries a `Mark`: a str to everything else."""

    mark: Mark

    def __new__(cls, text: str, mark: Mark) -> MarkedLabel:
        label = super().__new__(cls, text)
        label.mark = mark
        return label

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        # Pickled, copied or saved, a label is its text: marks describe one process's graph.
        return (str, (str(self),))


def mark_of(value: Value) -> Mark | None:
    """The mark a module left on ``value``, or None (the default ``group`` of `scalargrad.viz.draw_dot`)."""
    label = value.label
    return label.mark if isinstance(label, MarkedLabel) else None


def marked(text: str, path: tuple[str, ...], role: Role, index: int = 0) -> MarkedLabel:
    """The label ``text`` carrying ``Mark(path, index, role)``: what `scalargrad.nn` labels its Values with."""
    if not isinstance(path, tuple) or not path or not all(isinstance(part, str) for part in path):
        raise TypeError(f"marked(): path must be a non-empty tuple of str, got {path!r}")
    if role not in ("output", "parameter"):
        raise ValueError(f"marked(): role must be 'output' or 'parameter', got {role!r}")
    return MarkedLabel(text, Mark(path, index, role))


def mark(value: Value, path: tuple[str, ...], role: Role, index: int = 0) -> Value:
    """Mark ``value`` as made by the neuron at ``path`` (its label becomes the dotted path, or ``path.w0``...).

    For a network built by hand: ``mark(out, ("layer1", "neuron0"), "output")``
    and ``mark(w, ("layer1", "neuron0"), "parameter")`` let diagrams fold it as
    they fold `scalargrad.nn`'s. A parameter keeps its own label if it has one.
    Returns ``value``.
    """
    text = value.label if role == "parameter" and value.label else ".".join(path)
    value.label = marked(text, path, role, index)
    return value

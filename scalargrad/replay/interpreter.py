"""A tape's passes run op by op: each rule on floats, then the accumulation core over the slots.

What `Tape` uses for graphs too big to be worth writing out as code
(`scalargrad.replay.source`), and to find which op failed when the code
raises: the same rules in the same order, with the op named in the error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from scalargrad.engine import on_floats
from scalargrad.engine.accumulate import backpropagate
from scalargrad.replay.recording import Recording

#: Reads one op's inputs from the slot list.
Gather = Callable[[list[float]], Sequence[float]]


class Interpreter:
    """``forward(leaves) -> (values, partials)`` and ``backward(g, values, partials) -> grads``, slot by slot."""

    def __init__(self, recording: Recording, who: str = "Tape.forward()") -> None:
        self.recording = recording
        self.who = who  # what an error message says failed
        self.gathers: list[Gather] = list(map(_gather, recording.parents))
        # Per slot, the slots of its inputs: what the accumulation core walks back along.
        self.inputs: list[tuple[int, ...]] = [()] * recording.base + recording.parents

    def forward(self, leaves: Sequence[float]) -> tuple[list[float], list[Sequence[float]]]:
        recording = self.recording
        values = list(leaves)
        partials: list[Sequence[float]] = [()] * recording.base
        # Bound once: attribute lookups inside a loop run per node.
        append_value, append_partials = values.append, partials.append
        for k, (rule, gather, consts) in enumerate(zip(recording.rules, self.gathers, recording.consts)):
            try:
                value, local = rule(gather(values), consts, on_floats)
            except (ArithmeticError, ValueError) as error:
                shown = ", ".join(map(repr, [*gather(values), *consts]))
                raise type(error)(f"{self.who}: {recording.describe(k)}, arguments ({shown}): {error}") from None
            append_value(value)
            append_partials(local)
        return values, partials

    def backward(self, g: float, values: Sequence[float], partials: list[Sequence[float]]) -> list[float]:
        grads: dict[int, Any] = {self.recording.output: g}
        # Slots from last to first, each after every op that consumes it: the order
        # `Value.backward` walks the nodes in, hence the same floats.
        slots = range(len(values) - 1, self.recording.base - 1, -1)
        backpropagate(slots, self.inputs.__getitem__, partials.__getitem__, grads)
        return [grads.get(slot, 0.0) for slot in range(len(values))]


def _gather(slots: Sequence[int]) -> Gather:
    # itemgetter with several keys returns a tuple in one C call; with one key it
    # returns a bare item, so a single slot is read as a one-item slice instead.
    if len(slots) == 1:
        return itemgetter(slice(slots[0], slots[0] + 1))
    return itemgetter(*slots)

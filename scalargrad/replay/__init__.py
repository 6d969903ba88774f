"""Replay: record a graph once, run it again on new numbers.

* `recording`: the graph written down as slots, and `Tape.check`'s comparison;
* `source`: the rules and the accumulation core run once on numbers that write Python;
* `interpreter`: the same, run op by op (for graphs too big to write out);
* `tape`: `Tape`, replay of one graph on new leaf values;
* `on_arrays` and `batched`: `BatchedTape`, one example's graph over a whole batch (NumPy).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, overload

from scalargrad.engine import Value
from scalargrad.replay.recording import GraphChangedError
from scalargrad.replay.tape import CODE_LIMIT, Tape

if TYPE_CHECKING:
    from scalargrad.replay.batched import BatchedTape

__all__ = ["CODE_LIMIT", "BatchedTape", "GraphChangedError", "Tape", "compile"]


@overload
def compile(
    output: Value, *, rebuild: Callable[[], Value] | None = None, sync: bool = False, codegen: bool | None = None
) -> Tape: ...
@overload
def compile(output: Value, *, batch: Sequence[Value]) -> BatchedTape: ...


# Named like torch.compile; it shadows the builtin ``compile`` here, which this module never needs.
def compile(
    output: Value,
    *,
    batch: Sequence[Value] | None = None,
    rebuild: Callable[[], Value] | None = None,
    sync: bool = False,
    codegen: bool | None = None,
) -> Tape | BatchedTape:
    """Record the graph under ``output`` once, for fast replay on new numbers.

    Without ``batch``: a `Tape`, replaying the graph on the leaves' new
    ``.data``. ``rebuild``, a function that builds the graph again from the
    current leaves, lets `Tape.check` detect a changed structure;
    ``sync=True`` copies every pass into the interior Values (slower; see
    `Tape.sync`); ``codegen`` writes the tape out as Python code (True) or runs
    it op by op (False); by default, code for graphs of up to `CODE_LIMIT` ops.

    With ``batch=[x0, x1, ...]``, the leaves that hold one example: a
    `BatchedTape`, replaying the graph of that one example over a whole batch
    of them with NumPy (see `scalargrad.replay.batched`).
    """
    if batch is None:
        return Tape(output, rebuild=rebuild, sync=sync, codegen=codegen)
    if rebuild is not None or sync or codegen is not None:
        raise TypeError("compile(batch=...) takes no rebuild, sync or codegen: a batched tape is always code")
    from scalargrad.replay.batched import BatchedTape

    return BatchedTape(output, batch)


def __getattr__(name: str) -> object:
    # BatchedTape is imported on first use, so that NumPy is only imported when batching.
    if name == "BatchedTape":
        from scalargrad.replay.batched import BatchedTape

        return BatchedTape
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Printing for the command line when the reader may leave early (``scalargrad ... | head -1``).

When the program reading our output exits, the next write raises
``BrokenPipeError``. That is no error of the user's: the rest of the output
goes to the null device and the work goes on (a picture is still written, a
demo still saves its model).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


def say(text: str = "") -> None:
    """Print a line; if the reader has gone, stop printing and let the work go on."""
    try:
        print(text)
    except BrokenPipeError:
        stop_printing()


def stop_printing() -> None:
    """Send the rest of stdout to the null device, so neither this run nor Python's exit hits the closed pipe."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture): nothing to redirect
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


class _Tolerant:
    """stdout, but a closed pipe makes it quiet instead of raising (for code that uses ``print``)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            stop_printing()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            stop_printing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def reader_may_leave() -> Iterator[None]:
    """Inside, ``print`` to stdout survives a reader that stopped reading."""
    original = sys.stdout
    sys.stdout = _Tolerant(original)
    try:
        yield
    finally:
        sys.stdout = original

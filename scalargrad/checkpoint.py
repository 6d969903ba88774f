"""Checkpoint files: a model's architecture and weights as JSON, written atomically.

A checkpoint is plain JSON (never pickle, so loading a file cannot run code)::

    {
      "format": "scalargrad-checkpoint",
      "version": 1,
      "architecture": {"class": "MLP", "config": {"nin": 2, "nouts": [3, 1], "activation": "relu"}},
      "parameters": {"layer1.neuron0.w0": 0.31, ..., "layer2.neuron0.b": 0.0}
    }

The architecture is recorded so that loading weights into a model of another
shape fails with a message naming both, instead of silently mismatching.
This module knows files; `scalargrad.nn.Module.save` and ``load`` decide what
goes in them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from scalargrad.files import StrPath, atomic_write

FORMAT = "scalargrad-checkpoint"
VERSION = 1


def write_checkpoint(path: StrPath, architecture: dict[str, Any], parameters: dict[str, float]) -> None:
    """Write ``architecture`` and ``parameters`` to ``path`` atomically (see `scalargrad.files.atomic_write`)."""
    document = {"format": FORMAT, "version": VERSION, "architecture": architecture, "parameters": parameters}

    # allow_nan=False: NaN and Infinity are not JSON; the caller names the offending parameter first.
    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=1, allow_nan=False)

    atomic_write(path, write)


def read_checkpoint(path: StrPath) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``(architecture, parameters)`` stored in the checkpoint at ``path``.

    Raises ValueError, naming the file and what is wrong, for anything that is
    not a well-formed checkpoint of a version this code reads. The parameter
    values are returned as found; `scalargrad.nn.Module.load_state_dict` checks them.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{os.fspath(path)}: not a scalargrad checkpoint (not UTF-8 text: {error})") from None
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{os.fspath(path)}: not a scalargrad checkpoint (invalid JSON: {error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f'{os.fspath(path)}: not a scalargrad checkpoint (no "format": "{FORMAT}" field)')
    name = os.fspath(path)
    version = document.get("version")
    if version != VERSION:
        raise ValueError(f"{name}: checkpoint version {version!r} is not supported (this code reads {VERSION})")
    architecture = document.get("architecture")
    if (
        not isinstance(architecture, dict)
        or not isinstance(architecture.get("class"), str)
        or not isinstance(architecture.get("config"), dict)
    ):
        raise ValueError(f'{name}: checkpoint has no valid "architecture" ({{"class": ..., "config": ...}})')
    parameters = document.get("parameters")
    if not isinstance(parameters, dict):
        raise ValueError(f'{name}: checkpoint has no "parameters" object')
    return architecture, parameters


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")

"""Checkpoint files: a model's architecture and weights as JSON, and optionally its optimizer's state.

A checkpoint is plain JSON (never pickle, so loading a file cannot run code)::

    {
      "format": "scalargrad-checkpoint",
      "version": 1,
      "architecture": {"class": "MLP", "config": {"nin": 2, "nouts": [3, 1], "activation": "relu"}},
      "parameters": {"layer1.neuron0.w0": 0.31, ..., "layer2.neuron0.b": 0.0}
    }

The architecture is recorded so that loading weights into a model of another
shape fails with a message naming both, instead of silently mismatching.

Version 2 adds the optimizer, for resuming training (`scalargrad.train.save_training`)::

      "version": 2,
      ...
      "optimizer": {"class": "Adam", "parameters": ["layer1.neuron0.w0", ...],
                    "step_count": 5, "lr": 0.01, "hyperparameters": {...}, "buffers": {"m": [...], "v": [...]}}

``"parameters"`` there names, in order, the model parameters the optimizer
updates, which its buffers follow. A file without an optimizer is still
written as version 1, exactly what earlier releases wrote and read, so a
model saved today loads in them; this code reads both versions.

This module knows files; `scalargrad.nn` decides what goes in them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from scalargrad.files import StrPath, atomic_write

FORMAT = "scalargrad-checkpoint"
#: The newest version, the one with an optimizer; a checkpoint without one is written as version 1.
VERSION = 2
VERSIONS = (1, 2)


def write_checkpoint(
    path: StrPath,
    architecture: dict[str, Any],
    parameters: dict[str, float],
    optimizer: dict[str, Any] | None = None,
) -> None:
    """Write ``architecture``, ``parameters`` and, if given, ``optimizer`` to ``path`` atomically.

    See `scalargrad.files.atomic_write` for what "atomically" guarantees.
    """
    document: dict[str, Any] = {"format": FORMAT, "version": 1, "architecture": architecture, "parameters": parameters}
    if optimizer is not None:
        document["version"] = 2
        document["optimizer"] = optimizer

    # allow_nan=False: NaN and Infinity are not JSON; the caller names the offending parameter first.
    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=1, allow_nan=False)

    atomic_write(path, write)


def read_checkpoint(path: StrPath) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``(architecture, parameters)`` stored in the checkpoint at ``path`` (an optimizer in it is ignored).

    Raises ValueError, naming the file and what is wrong, for anything that is
    not a well-formed checkpoint of a version this code reads. The parameter
    values are returned as found; `scalargrad.nn.Module.load_state_dict` checks them.
    """
    document = _read(path)
    return document["architecture"], document["parameters"]


def read_training_checkpoint(path: StrPath) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The ``(architecture, parameters, optimizer)`` stored in the checkpoint at ``path``.

    As `read_checkpoint`, and a file without an optimizer (saved by
    ``Module.save``) raises ValueError saying so. The optimizer's numbers are
    returned as found; `scalargrad.optim.Optimizer.load_state_dict` checks them.
    """
    document = _read(path)
    optimizer = document.get("optimizer")
    if optimizer is None:
        raise ValueError(
            f"{os.fspath(path)}: the checkpoint holds a model but no optimizer state "
            "(it was written by Module.save(); scalargrad.train.save_training() writes both)"
        )
    return document["architecture"], document["parameters"], optimizer


def _read(path: StrPath) -> dict[str, Any]:
    """The checkpoint at ``path`` as a dict whose fields have the right kinds; ValueError otherwise."""
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
    if isinstance(version, bool) or version not in VERSIONS:
        readable = " and ".join(map(str, VERSIONS))
        raise ValueError(f"{name}: checkpoint version {version!r} is not supported (this code reads {readable})")
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
    if "optimizer" in document and (version < 2 or not _is_optimizer(document["optimizer"])):
        raise ValueError(
            f'{name}: checkpoint has no valid "optimizer" '
            '(version 2 and {"class": ..., "parameters": [names], ...} are needed)'
        )
    return document


def _is_optimizer(optimizer: object) -> bool:
    return (
        isinstance(optimizer, dict)
        and isinstance(optimizer.get("class"), str)
        and isinstance(optimizer.get("parameters"), list)
        and all(isinstance(name, str) for name in optimizer["parameters"])
    )


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")

"""The layers of the package: models do not depend on replay or optimizers; `import *` shadows no builtin."""

from __future__ import annotations

import ast
from pathlib import Path

import scalargrad
import scalargrad.nn


def imports_of(module: object) -> set[str]:
    """The modules a module's own source imports (read from its code, not from what happened to load)."""
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    found = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return found | {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}


def test_nn_imports_neither_replay_nor_optimizers_nor_the_training_helpers() -> None:
    imported = imports_of(scalargrad.nn)
    assert not {m for m in imported if m.startswith(("scalargrad.replay", "scalargrad.optim", "scalargrad.train"))}
    assert "scalargrad.metrics" in imported  # accuracy, offered by nn for convenience


def test_star_import_does_not_shadow_builtins() -> None:
    namespace: dict[str, object] = {}
    exec("from scalargrad import *", namespace)
    assert "sum" not in namespace and "compile" not in namespace
    assert scalargrad.sum([1.0, 2.0]).data == 3.0 and callable(scalargrad.compile)

"""The core needs only Graphviz: its tests pass on a Python where NumPy cannot be imported.

NumPy is the ``fast`` extra's (batched replay), and the demos' and the
course's through matplotlib. Here the engine's, replay's, nn's and the
diagrams' tests run again in a child pytest whose path finder does not see
NumPy (``tests/without_numpy/sitecustomize.py``), so a stray ``import numpy``
in the core fails this test. Tests whose oracle is NumPy itself skip there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CORE = [
    "test_engine.py",
    "test_seeds.py",
    "test_gradients.py",
    "test_higher_order.py",
    "test_forward_mode.py",
    "test_modes.py",
    "test_steps.py",
    "test_compile.py",
    "test_nn.py",
    "test_optim.py",
    "test_train.py",
    "test_checkpoint.py",
    "test_resume.py",
    "test_viz.py",
    "test_live_graph.py",
    "test_layering.py",
]


def test_the_cores_tests_pass_without_numpy() -> None:
    env = {key: value for key, value in os.environ.items() if key != "CI"}  # NumPy's own oracle tests may skip
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS / "without_numpy"), str(TESTS.parent)])
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *CORE],
        cwd=TESTS,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    hidden = subprocess.run(
        [sys.executable, "-c", "import importlib.util; print(importlib.util.find_spec('numpy'))"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert hidden.stdout.strip() == "None", "the child did not run without NumPy"

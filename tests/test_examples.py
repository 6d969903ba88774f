"""scalargrad.examples builds the seeds' worked examples: each checked against the seed's printed numbers."""

from __future__ import annotations

import doctest
import os
import shutil
from pathlib import Path

import pytest

from scalargrad import examples
from scalargrad.examples import nodes_by_label


def backpropagated(build: object) -> dict[str, object]:
    root = build()  # type: ignore[operator]
    root.backward()
    return {"out": root.data, **{label: node.grad for label, node in nodes_by_label(root).items()}}


def test_add_mul_circuit_seed000() -> None:
    g = backpropagated(examples.add_mul_circuit)
    assert (g["out"], g["x"], g["y"], g["z"], g["q"]) == (-12.0, -4.0, -4.0, 3.0, -4.0)


def test_sigmoid_neuron_seed000() -> None:
    g = backpropagated(examples.sigmoid_neuron)
    assert g["out"] == pytest.approx(0.7310585786300049, rel=1e-15)
    # The notes: ddot = (1 - f) f, dw = [x0, x1, 1] ddot, dx = [w0, w1] ddot.
    ddot = (1 - 0.7310585786300049) * 0.7310585786300049
    expected = {"w0": -1 * ddot, "w1": -2 * ddot, "w2": ddot, "x0": 2 * ddot, "x1": -3 * ddot}
    for name, want in expected.items():
        assert g[name] == pytest.approx(want, rel=1e-12), name


def test_staged_sigmoid_seed000_matches_the_notes_staged_backward() -> None:
    import math

    x, y = 3.0, -4.0
    sigy = 1 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy**2
    den = sigx + xpysqr
    invden = 1 / den
    # The notes' backward, stage by stage, with += where a variable branches.
    dnum, dinvden = invden, num
    dden = (-1 / den**2) * dinvden
    dsigx, dxpysqr = dden, dden
    dxpy = 2 * xpy * dxpysqr
    dx, dy = dxpy, dxpy
    dx += (1 - sigx) * sigx * dsigx
    dx += dnum
    dsigy = dnum
    dy += (1 - sigy) * sigy * dsigy
    g = backpropagated(examples.staged_sigmoid)
    assert g["out"] == pytest.approx(num * invden, rel=1e-15)
    assert g["x"] == pytest.approx(dx, rel=1e-12)
    assert g["y"] == pytest.approx(dy, rel=1e-12)


def test_two_paths_seed003() -> None:
    g = backpropagated(examples.two_paths)
    assert (g["out"], g["a"], g["b"], g["c"], g["d"]) == (6.0, 2.0, 5.0, 2.0, 3.0)


def test_apple_shopping_seed004() -> None:
    g = backpropagated(examples.apple_shopping)
    assert g["out"] == pytest.approx(220, rel=1e-15)
    assert (g["apple"], g["apple_num"], g["tax"]) == pytest.approx((2.2, 110, 200), rel=1e-15)


def test_apple_orange_shopping_seed004() -> None:
    g = backpropagated(examples.apple_orange_shopping)
    assert g["out"] == pytest.approx(715, rel=1e-15)
    got = (g["apple"], g["apple_num"], g["orange"], g["orange_num"], g["tax"])
    assert got == pytest.approx((2.2, 110, 3.3, 165, 650), rel=1e-15)


def test_module_docstring_example_runs_as_written() -> None:
    failures, tried = doctest.testmod(examples)
    assert tried >= 4
    assert failures == 0


def test_readme_example_prints_seed003_numbers_and_writes_only_its_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    code = readme.split("## In ten lines", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) <= 10
    monkeypatch.chdir(tmp_path)
    if shutil.which("dot") is None and not os.environ.get("CI"):
        code = code.replace('save(e, "e.svg")', "")  # no renderer on this machine; CI has one
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out.split()[:3] == ["6.0", "2.0", "5.0"]
    assert sorted(p.name for p in tmp_path.iterdir()) == (["e.svg"] if "e.svg" in code else [])

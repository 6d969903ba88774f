"""docs/diagrams.md runs as written: every python block, in order, in one session, as a reader would paste them.

Blocks draw, save pictures and write step-through pages (into a temporary
folder), so this needs Graphviz; CI has it. The printed step lines must be
the ones the page shows in its text block.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "diagrams.md"


def blocks(kind: str) -> list[str]:
    return re.findall(rf"^```{kind}\n(.*?)^```$", DOC.read_text(encoding="utf-8"), flags=re.M | re.S)


@pytest.mark.skipif(shutil.which("dot") is None and not os.environ.get("CI"), reason="Graphviz `dot` is not installed")
def test_every_python_block_runs_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = blocks("python")
    assert len(code) >= 12
    monkeypatch.chdir(tmp_path)
    session: dict[str, object] = {}
    for number, block in enumerate(code, 1):
        exec(compile(block, f"docs/diagrams.md, python block {number}", "exec"), session)
    printed = capsys.readouterr().out
    steps = next(block for block in blocks("text") if block.startswith("step 1:"))
    assert steps in printed  # the step lines the page shows are the ones the code prints
    written = {p.name for p in tmp_path.iterdir()}
    assert {"steps.html", "forward_b.html", "steps_ja.html", "neuron.png", "graph.svg", "net.png"} <= written
    assert "∂e/∂b = <b>5<\\/b>" in (tmp_path / "forward_b.html").read_text(encoding="utf-8")  # JSON in the page
    assert "∂e/∂a = <b>2<\\/b>" in (tmp_path / "forward_a.html").read_text(encoding="utf-8")

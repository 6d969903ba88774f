"""docs/live.md runs as written: every python block, in order, in one session, printing what the page shows.

The blocks make notebook widgets (outside a kernel they have no front-end,
but their Python side runs: the numbers, the training thread), so this
needs the ``live`` extra and Graphviz; CI has both.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import in_ci

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "live.md"


def blocks(kind: str) -> list[str]:
    return re.findall(rf"^```{kind}\n(.*?)^```$", DOC.read_text(encoding="utf-8"), flags=re.M | re.S)


def test_every_python_block_runs_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    if not in_ci():
        pytest.importorskip("anywidget")
        if shutil.which("dot") is None:
            pytest.skip("Graphviz `dot` is not installed")
    code = blocks("python")
    assert len(code) >= 5
    session: dict[str, object] = {}
    for number, block in enumerate(code, 1):
        exec(compile(block, f"docs/live.md, python block {number}", "exec"), session)
    view = session["view"]
    # Seed 003 at a = 3, b = 1, as the page says: e = (3 + 1)(1 + 1) = 8, de/da = b + 1 = 2, de/db = 2b + a + 1 = 6.
    texts = view.app.state()["texts"]  # type: ignore[attr-defined]
    rows = dict(zip(view.app.rows, range(len(view.app.rows))))  # type: ignore[attr-defined]
    a, b, e = (session[name] for name in ("a", "b", "e"))
    assert [texts[f"row{rows[v]}"] for v in (a, b, e)] == ["2", "6", "1"]
    assert [texts[f"rowdata{rows[v]}"] for v in (a, b, e)] == ["3", "1", "8"]
    assert capsys.readouterr().out == blocks("text")[0]  # the training block prints what the page says it prints


def test_every_picture_the_page_shows_is_there() -> None:
    pictures = re.findall(r"!\[[^\]]*\]\((images/[^)]+)\)", DOC.read_text(encoding="utf-8"))
    assert len(pictures) == 4
    for picture in pictures:
        assert (ROOT / "docs" / picture).stat().st_size > 10_000, picture

"""The docs site builds from docs/ with strict checking: no broken link, no missing page, no bad anchor."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    site = tmp_path / "site"
    for page in ("index.html", "course/index.html", "course/ja/index.html", "engine/index.html"):
        assert (site / page).exists(), page
    lesson = (site / "course" / "ja" / "01-computational-graphs" / "index.html").read_text(encoding="utf-8")
    assert "計算グラフ" in lesson and "<svg" in lesson  # the executed notebook, with its diagrams

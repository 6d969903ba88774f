"""The docs site builds from docs/ with strict checking: no broken link, no missing page, no bad anchor."""

from __future__ import annotations

import os
import re
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
    # The formulas are MathML, made when the site was built: no TeX left in the text, no script from elsewhere.
    pages = {page: page.read_text(encoding="utf-8") for page in site.rglob("*.html")}
    convolution = pages[site / "course" / "en" / "11-convolution" / "index.html"]
    assert convolution.count("<math") > 20 and "<mtable" in convolution  # inline formulas and the cases of seed 002
    staged = pages[site / "course" / "en" / "04-staged-computation" / "index.html"]
    assert '<mo form="prefix">&#x02212;</mo><mn>3</mn>' in staged  # w = [2, -3, -3]: signs, not subtractions
    for page, text in pages.items():
        assert not re.search(r"<script[^>]*src=\"(https?:)?//", text), f"{page} loads a script from elsewhere"
    for page in site.glob("course/*/*/index.html"):
        prose = re.sub(r"<(pre|code|script|style|svg)\b.*?</\1>", "", pages[page], flags=re.S)
        assert not re.search(r"\$\$|\\frac|\\partial", prose), f"TeX left in {page}"
    # Japanese pages say so (the theme writes one language for the whole site).
    assert '<html lang="ja"' in lesson and '<html lang="en"' in pages[site / "course" / "index.html"]

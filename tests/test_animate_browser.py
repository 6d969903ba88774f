"""The step-through page: its file, then a real headless Chromium stepping through seed 003's e = (a + b)(b + 1).

The browser test runs Debian's /usr/bin/chromium through Playwright. Locally it
is skipped when either is missing; in CI (``CI`` set) a missing browser fails.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scalargrad import Value, examples
from scalargrad.animate import animate_backward

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"), reason="Graphviz `dot` is not installed"
)


def colah() -> dict[str, Value]:
    """Seed 003: e = (a + b)(b + 1) at a=2, b=1, by label."""
    return examples.nodes_by_label(examples.two_paths())


@pytest.fixture
def page_file(tmp_path: Path) -> Path:
    v = colah()
    return animate_backward(v["e"], tmp_path / "steps.html")


# ---------------------------------------------------------------------------
# The file.
# ---------------------------------------------------------------------------


@needs_dot
def test_the_page_is_one_self_contained_file(page_file: Path) -> None:
    html = page_file.read_text(encoding="utf-8")
    assert [p.name for p in page_file.parent.iterdir()] == ["steps.html"]
    assert html.count('<section class="frame"') == 4  # the start and 3 steps
    assert html.count("<svg") == 4
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "<link" not in html and "<script src" not in html and "@import" not in html
    assert "<!DOCTYPE svg" not in html and "<?xml" not in html
    ids = re.findall(r'\bid="([^"]*)"', html)
    assert len(ids) == len(set(ids)), "element ids repeat between frames"


@needs_dot
def test_the_graph_gradients_are_not_touched(tmp_path: Path) -> None:
    v = colah()
    for node in v.values():
        node.grad = -9.0
    animate_backward(v["e"], tmp_path / "s.html")
    assert all(node.grad == -9.0 for node in v.values())


def test_big_graphs_and_non_values_are_refused(tmp_path: Path) -> None:
    x = Value(1.0)
    y = x
    for _ in range(60):
        y = y * 2
    with pytest.raises(ValueError, match="61 Values, more than max_nodes=50"):
        animate_backward(y, tmp_path / "s.html", max_nodes=50)
    with pytest.raises(TypeError, match="Value"):
        animate_backward(3.0, tmp_path / "s.html")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# The browser.
# ---------------------------------------------------------------------------


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (Debian package `chromium`)"
    if shutil.which("dot") is None:
        return "Graphviz `dot` is not installed"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI, but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def visible(page: Any) -> dict[str, Any]:
    """What the shown frame says: active node's id and bold label, and the gradient table."""
    return page.evaluate(
        """() => {
          const frame = document.querySelector("section.frame:not([hidden])");
          const active = frame.querySelector("g.node.active");
          const grads = {};
          frame.querySelectorAll("td.grad").forEach((td) => { grads[td.dataset.name] = td.textContent; });
          return {
            step: frame.dataset.step,
            activeId: frame.dataset.active,
            svgActiveId: active ? active.id : null,
            label: active ? active.querySelector("text").textContent : null,
            fill: active ? active.querySelector("path, polygon").getAttribute("fill") : null,
            grads: grads,
            frames: document.querySelectorAll("section.frame:not([hidden])").length,
            counter: document.getElementById("counter").textContent,
          };
        }"""
    )


def test_stepping_forward_moves_the_highlight_and_the_gradients(browser: Any, page_file: Path) -> None:
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_file.as_uri())

    start = visible(page)
    assert start["frames"] == 1 and start["step"] == "0" and start["counter"] == "step 0 of 3"
    assert start["label"] == "e" and start["svgActiveId"] == start["activeId"]
    assert start["fill"] == "#ffe08a"  # drawn highlighted, not only tagged
    assert start["grads"] == {"a": "0", "b": "0", "c": "0", "d": "0", "e": "1"}

    page.keyboard.press("ArrowRight")  # step 1: e = c * d sends d = 2 to c and c = 3 to d
    first = visible(page)
    assert first["step"] == "1" and first["label"] == "e"
    assert first["grads"] == {"a": "0", "b": "0", "c": "2", "d": "3", "e": "1"}

    page.click("#next")  # step 2: c or d, whichever backward visits first; b gets its first share
    second = visible(page)
    assert second["label"] in ("c", "d") and second["activeId"] != first["activeId"]
    share = {"c": "2", "d": "3"}[second["label"]]
    assert second["grads"]["b"] == share

    page.keyboard.press("ArrowRight")  # step 3: the other one; b's two paths add up to 5 (seed 003)
    third = visible(page)
    assert {second["label"], third["label"]} == {"c", "d"}
    assert third["grads"] == {"a": "2", "b": "5", "c": "2", "d": "3", "e": "1"}
    assert page.is_disabled("#next") and third["counter"] == "step 3 of 3"

    page.keyboard.press("ArrowRight")  # no step 4
    assert visible(page)["step"] == "3"
    page.keyboard.press("ArrowLeft")
    assert visible(page) == second
    page.click("#prev")
    page.keyboard.press("Home")
    assert visible(page) == start and page.is_disabled("#prev")

    # Space plays and pauses (checked through the button's text, not by waiting).
    page.keyboard.press("Space")
    assert "Pause" in page.inner_text("#play")
    page.keyboard.press("Space")
    assert "Play" in page.inner_text("#play")
    page.keyboard.press("End")
    assert visible(page)["step"] == "3"

    assert requests == [page_file.as_uri()], "the page fetched something besides itself"
    page.close()

"""Regenerate the screenshots docs/live.md shows (needs Graphviz, Chromium at /usr/bin/chromium and Playwright).

.venv/bin/python docs/images/make_live_images.py

Each view is served by the local server, driven as a reader would drive it
(a number typed, a button pressed, the pointer over an op) and photographed;
the widget in a JupyterLab started as tests/test_live_jupyter.py starts one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from scalargrad import Value, examples
from scalargrad.liveview import LiveGraph, LiveServer, TrainingSession
from scalargrad.liveview.session import App
from scalargrad.losses import l2_penalty
from scalargrad.optim import SGD

HERE = Path(__file__).resolve().parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--force-device-scale-factor=1"]


@contextmanager
def opened(app: App, width: int, height: int) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    server = LiveServer(app).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(server.url)
            page.wait_for_selector(".sg-diagram[data-centred=true], .sg-network", state="attached")
            yield page
            browser.close()
    finally:
        server.stop()


def shoot(page: Any, name: str) -> None:
    page.locator(".sg-live").screenshot(path=HERE / name)
    small(HERE / name)


def small(path: Path) -> None:
    """256 colours are plenty for a screenshot of text and flat colour, at a third of the bytes."""
    from PIL import Image  # Pillow comes with matplotlib, in the demos extra

    with Image.open(path) as image:
        image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)
    print("wrote", path, path.stat().st_size // 1024, "KB")


def graph_after_typing() -> None:
    """Seed 003's e = (a + b)(b + 1), a typed as 3, the pointer over the multiplication."""
    with opened(LiveGraph(examples.two_paths(), fontsize=15), 980, 640) as page:
        page.fill("input[type=number][name=a]", "3")
        page.press("input[type=number][name=a]", "Enter")
        page.wait_for_function("() => document.getElementById('sg-n4-d').textContent === 'data 8'")
        page.hover("#sg-n4op")
        page.wait_for_selector(".sg-tooltip:not([hidden])")
        shoot(page, "live-graph.png")


def forward_mode_in_japanese() -> None:
    """The same graph in circuit style, in Japanese, forward mode from b stepped to its second step."""
    with opened(LiveGraph(examples.two_paths(), lang="ja", style="circuit", fontsize=15), 980, 640) as page:
        page.select_option("select[name=seed]", "b")
        page.click(".sg-steps-forward")
        for _ in range(2):
            page.click(".sg-next")
        page.wait_for_function("() => document.querySelector('.sg-counter').textContent.includes('2')")
        shoot(page, "live-forward-ja.png")


def moons_dashboard(steps: int = 100) -> None:
    """`scalargrad demo moons --live`'s dashboard, photographed once training has paused after ``steps``."""
    from demos.moons import problem

    xs, ys, model = problem(1337, 100)
    params = model.parameters()
    optimizer = SGD(params, lr=1.0, schedule=lambda step: max(0.1, 1.0 - 0.9 * step / steps))

    def hinge(score: Value, y: Value) -> Value:
        return (1 - y * score).relu() + l2_penalty(params, 1e-4)

    session = TrainingSession(model, xs, ys, hinge, optimizer=optimizer, steps=steps, interval=0.0)
    with opened(session, 1150, 1250) as page:
        wait_for(lambda: session.step_count >= steps, 120)
        page.wait_for_function(f"() => document.querySelector('.sg-step').textContent === 'step {steps}'")
        time.sleep(0.5)
        shoot(page, "live-training.png")


def in_jupyterlab() -> None:
    """The widget in a notebook in a real JupyterLab, after typing a = 3."""
    import sys
    import tempfile

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(HERE.parent.parent / "tests"))
    import test_live_jupyter as lab_test

    cell = (
        "import scalargrad\nfrom scalargrad import Value\n\n"
        'a = Value(2.0, label="a")\nb = Value(1.0, label="b")\ne = (a + b) * (b + 1)\n'
        "scalargrad.live(e, names=locals())"
    )
    with tempfile.TemporaryDirectory() as home, lab_test.jupyter_lab(Path(home)) as lab, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        lab_test.write_notebook(lab, "live.ipynb", [cell])
        page = browser.new_page(viewport={"width": 1100, "height": 760})
        lab_test.run_notebook(page, lab, "live.ipynb")
        lab_test.type_number(page, "a", "3")
        page.wait_for_function("() => document.querySelector('.sg-live .sg-table').textContent.includes('8')")
        page.mouse.move(5, 5)
        time.sleep(0.5)
        page.screenshot(path=HERE / "live-jupyter.png")
        small(HERE / "live-jupyter.png")
        browser.close()


def wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the view did not get there in time")
        time.sleep(0.05)


if __name__ == "__main__":
    graph_after_typing()
    forward_mode_in_japanese()
    moons_dashboard()
    in_jupyterlab()

"""Regenerate the pictures docs/diagrams.md shows (needs Graphviz; the last one also Chromium + Playwright).

.venv/bin/python docs/images/make_images.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from scalargrad.animate import animate_backward

import scalargrad as sg
from scalargrad import Value, examples
from scalargrad.viz import save

HERE = Path(__file__).resolve().parent


def backpropagated(root: Value) -> Value:
    root.backward()
    return root


def network() -> Value:
    from scalargrad.nn import MLP

    model = MLP(3, [4, 4, 1], activation="tanh", seed=1)
    y = model([Value(0.5, "x0"), Value(-1.0, "x1"), Value(2.0, "x2")])
    loss = (y - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss


def screenshot(html: Path, png: Path, steps: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 820, "height": 720})
        page.goto(html.as_uri())
        for _ in range(steps):
            page.keyboard.press("ArrowRight")
        page.screenshot(path=str(png))
        browser.close()


def shrink(png: Path) -> None:
    """Down to a 64-colour palette: a third of the size, and text on white still reads the same."""
    from PIL import Image

    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=64)
    small.save(png, optimize=True)
    print(f"{png.name}: {png.stat().st_size // 1024} KB")


def main() -> None:
    seeds = [
        ("apple", examples.apple_shopping),
        ("cs231n", examples.add_mul_circuit),
        ("neuron", examples.sigmoid_neuron),
        ("colah", examples.two_paths),
    ]
    for name, build in seeds:
        for style in ("nodes", "circuit"):
            shrink(save(backpropagated(build()), HERE / f"{name}_{style}.png", style=style))
    net = network()
    print("nodes in the full network graph:", len(sg.engine.consumers_first(net)))
    shrink(save(net, HERE / "network_layer.png", collapse="layer"))
    shrink(save(net, HERE / "network_neuron.png", collapse="neuron"))
    if "--no-browser" not in sys.argv:
        with tempfile.TemporaryDirectory() as folder:
            html = animate_backward(backpropagated(examples.two_paths()), Path(folder) / "steps.html")
            screenshot(html, HERE / "steps.png", steps=2)
        shrink(HERE / "steps.png")


if __name__ == "__main__":
    main()

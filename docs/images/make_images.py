"""Regenerate the pictures docs/diagrams.md shows (needs Graphviz; the last one also Chromium + Playwright).

.venv/bin/python docs/images/make_images.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import scalargrad as sg
from scalargrad import Value
from scalargrad.animate import animate_backward
from scalargrad.viz import save

HERE = Path(__file__).resolve().parent


def apple() -> Value:
    apple, apple_num, tax = Value(100, "apple"), Value(2, "apple_num"), Value(1.1, "tax")
    apple_price = apple * apple_num
    apple_price.label = "apple_price"
    price = apple_price * tax
    price.label = "price"
    price.backward()
    return price


def cs231n() -> Value:
    x, y, z = Value(-2, "x"), Value(5, "y"), Value(-4, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    return f


def neuron() -> Value:
    w0, x0, w1, x1, w2 = Value(2, "w0"), Value(-1, "x0"), Value(-3, "w1"), Value(-2, "x1"), Value(-3, "w2")
    f = 1 / (1 + ((w0 * x0 + w1 * x1 + w2) * -1).exp())
    f.label = "f"
    f.backward()
    return f


def colah() -> Value:
    a, b = Value(2, "a"), Value(1, "b")
    c = a + b
    c.label = "c"
    d = b + 1
    d.label = "d"
    e = c * d
    e.label = "e"
    e.backward()
    return e


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
    for name, build in [("apple", apple), ("cs231n", cs231n), ("neuron", neuron), ("colah", colah)]:
        for style in ("nodes", "circuit"):
            shrink(save(build(), HERE / f"{name}_{style}.png", style=style))
    net = network()
    print("nodes in the full network graph:", len(sg.engine.consumers_first(net)))
    shrink(save(net, HERE / "network_layer.png", collapse="layer"))
    shrink(save(net, HERE / "network_neuron.png", collapse="neuron"))
    if "--no-browser" not in sys.argv:
        with tempfile.TemporaryDirectory() as folder:
            html = animate_backward(colah(), Path(folder) / "steps.html")
            screenshot(html, HERE / "steps.png", steps=2)
        shrink(HERE / "steps.png")


if __name__ == "__main__":
    main()

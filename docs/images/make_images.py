"""Regenerate the pictures docs/diagrams.md shows (needs Graphviz; the last one also Chromium + Playwright).

.venv/bin/python docs/images/make_images.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import scalargrad as sg
from scalargrad import Value, examples
from scalargrad.viz import animate_backward, animate_forward, save

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


def screenshot(html: Path, png: Path, steps: int, height: int = 760) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 820, "height": height})
        page.goto(html.as_uri())
        for _ in range(steps):
            page.keyboard.press("ArrowRight")
        page.screenshot(path=str(png))
        browser.close()


def second_derivative() -> Value:
    """tanh's derivative as a graph of its own (grad with create_graph=True), backpropagated: x's grad is tanh''."""
    x = Value(0.5, "x")
    (dy,) = sg.grad(x.tanh(), [x], create_graph=True)
    dy.label = "dy/dx"
    dy.backward()
    return dy


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
    # Drawn at 1.5 times Graphviz's 96 dpi: sharp on a high-density screen, and a page shows them at half.
    for name, build in seeds:
        for style in ("nodes", "circuit"):
            shrink(save(backpropagated(build()), HERE / f"{name}_{style}.png", style=style, dpi=144))
    # The README's picture: big type, so that it reads at a README's width of about 800 pixels.
    shrink(save(backpropagated(examples.add_mul_circuit()), HERE / "hero.png", style="circuit", fontsize=16, dpi=120))
    net = network()
    print("nodes in the full network graph:", len(sg.engine.consumers_first(net)))
    shrink(save(net, HERE / "network_layer.png", collapse="layer", dpi=120))
    shrink(save(net, HERE / "network_neuron.png", collapse="neuron", dpi=120))
    shrink(save(second_derivative(), HERE / "tanh_second.png", dpi=144))
    if "--no-browser" not in sys.argv:
        with tempfile.TemporaryDirectory() as folder:
            e = examples.two_paths()
            html = animate_backward(e, Path(folder) / "steps.html")
            screenshot(html, HERE / "steps.png", steps=2)
            b = examples.nodes_by_label(e)["b"]
            html = animate_forward(e, Path(folder) / "forward.html", {b: 1.0}, style="circuit")
            screenshot(html, HERE / "forward.png", steps=3, height=900)
            html = animate_backward(e, Path(folder) / "ja.html", lang="ja", style="circuit")
            screenshot(html, HERE / "steps_ja.png", steps=3, height=820)
        for png in ("steps.png", "forward.png", "steps_ja.png"):
            shrink(HERE / png)


if __name__ == "__main__":
    main()

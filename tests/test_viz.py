"""Diagrams: DOT text against reviewed files, numbers against the seeds, rendering through real Graphviz.

The expected DOT files in tests/expected/ were generated once, rendered and
looked at (docs/diagrams.md shows the same pictures), and any change to the
drawing code that changes them fails here. After a deliberate change,
regenerate them by hand and review the diff (the tests themselves only compare,
so nothing in a test run can rewrite what it is compared with):

    .venv/bin/python tests/regen_golden.py && git diff tests/expected/
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import graphviz
import pytest

import scalargrad as sg
from scalargrad import Value, examples
from scalargrad.marks import mark
from scalargrad.viz import (
    DATA_COLOR,
    GRAD_COLOR,
    NOTE_COLOR,
    Diagram,
    GraphvizNotFound,
    Unrendered,
    draw_dot,
    render,
    renderer_status,
    save,
)

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "expected"
HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT and not os.environ.get("CI"), reason="Graphviz `dot` is not installed")

# ---------------------------------------------------------------------------
# The seeds' worked examples.
# ---------------------------------------------------------------------------


def backpropagated(root: Value) -> Value:
    root.backward()
    return root


def apple() -> Value:
    """Seed 004: 2 apples at 100 yen, 10% tax: 220; dApple 2.2, dApple_num 110, dTax 200."""
    return backpropagated(examples.apple_shopping())


def cs231n() -> Value:
    """Seed 000: f = (x + y) z at x=-2, y=5, z=-4: f=-12, df/dx=-4, df/dy=-4, df/dz=3."""
    return backpropagated(examples.add_mul_circuit())


def neuron() -> Value:
    """Seed 000: the 2-D sigmoid neuron, w=[2,-3,-3], x=[-1,-2], with CS231n's gates (*-1, exp, +1, 1/x)."""
    return backpropagated(examples.sigmoid_neuron())


def colah() -> Value:
    """Seed 003: e = (a + b)(b + 1) at a=2, b=1: e=6, de/da=2, de/db=5 (2 + 3 over two paths)."""
    return backpropagated(examples.two_paths())


def twice() -> Value:
    """``a + a``: one input used twice, so two edges; then divided by d (operand order matters)."""
    a, d = Value(3, "a"), Value(2, "d")
    b = a + a
    b.label = "b"
    out = b / d
    out.backward()
    return out


EXAMPLES: dict[str, Callable[[], Value]] = {
    "apple": apple,
    "cs231n": cs231n,
    "neuron": neuron,
    "colah": colah,
    "twice": twice,
}


def check_expected(name: str, source: str) -> None:
    path = EXPECTED / f"{name}.dot"
    assert path.exists(), f"no {path}; generate it with tests/regen_golden.py and review it"
    assert source == path.read_text(encoding="utf-8"), f"DOT for {name} changed; see the module docstring"


def svg_texts(svg: bytes) -> list[str]:
    """Every text in an SVG, after XML parsing (so entities are decoded)."""
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


# ---------------------------------------------------------------------------
# DOT text: saved, reviewed, deterministic.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["nodes", "circuit"])
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_dot_matches_reviewed_file(name: str, style: str) -> None:
    check_expected(f"{name}_{style}", draw_dot(EXAMPLES[name](), style=style).source)


def test_circuit_top_to_bottom_matches_reviewed_file() -> None:
    check_expected("colah_circuit_tb", draw_dot(colah(), style="circuit", rankdir="TB").source)


def test_same_text_in_fresh_processes_with_different_hash_seeds() -> None:
    code = "from tests.test_viz import neuron; from scalargrad.viz import draw_dot; print(draw_dot(neuron()).source)"
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, cwd=ROOT
        )
        outputs.add(done.stdout)
    assert outputs == {draw_dot(neuron()).source + "\n"}


def test_seed_numbers_appear_in_the_boxes() -> None:
    source = draw_dot(apple()).source
    for text in ("data 220", "grad 2.2", "grad 110", "grad 200", "data 1.1", "grad 1<"):
        assert text in source
    source = draw_dot(cs231n()).source
    for text in ("data -12", "grad -4", "grad 3", "data 3"):
        assert text in source


def test_value_boxes_say_data_and_grad_in_words_and_colours() -> None:
    source = draw_dot(colah()).source
    assert f'<font color="{DATA_COLOR}">data 6</font>' in source
    assert f'<font color="{GRAD_COLOR}">grad 5</font>' in source
    assert "<b>e</b>" in source


def test_op_nodes_are_small_circles_with_the_op_symbol() -> None:
    source = draw_dot(neuron()).source
    for op in ("*", "+", "*-1", "exp", "+1", "1/x"):  # 1/ reads 1/x
        assert re.search(rf"\[label=<{re.escape(op)}> margin=0.02 shape=circle", source), op


def test_a_plus_a_draws_two_edges_and_numbers_ordered_operands() -> None:
    source = draw_dot(twice()).source
    # a is n1 or n0; whichever it is, two edges go from it into the + node.
    edges = re.findall(r"^\t(n\d+) -> (n\d+op)\b", source, flags=re.M)
    plus = re.search(r"(n\d+op) \[label=<\+>", source)
    assert plus is not None
    into_plus = [tail for tail, head in edges if head == plus[1]]
    assert len(into_plus) == 2 and into_plus[0] == into_plus[1]
    # Division: the numerator is operand 0, the denominator operand 1.
    assert source.count(f'<font point-size="8.8" color="{NOTE_COLOR}">0</font>') == 1
    assert source.count(f'<font point-size="8.8" color="{NOTE_COLOR}">1</font>') == 1


def test_names_label_unlabeled_values_without_changing_them() -> None:
    x = Value(3.0)
    y = x * x
    total = y + 1
    total.backward()
    source = draw_dot(total, names={"x": x, "y": y, "_hidden": total, "n": 3}).source
    assert "<b>x</b>" in source and "<b>y</b>" in source
    assert "_hidden" not in source
    assert x.label == "" and y.label == "" and total.label == ""
    # A label wins over a variable name.
    x.label = "input"
    assert "<b>input</b>" in draw_dot(total, names={"x": x}).source


def test_highlight_fills_the_node() -> None:
    e = colah()
    assert "#ffe08a" in draw_dot(e, highlight=e).source
    assert "#ffe08a" not in draw_dot(e).source


def test_fan_out_in_circuit_shows_each_wires_share_and_the_total() -> None:
    """CS231n's "+= at branches": b=1 feeds two gates; its wires carry 2 and 3, the leaf shows 5."""
    source = draw_dot(colah(), style="circuit").source
    labels = dict(re.findall(r'^\t(\w+) \[label=<<table border="0" cellspacing="0"(.*?)> shape=plain\]', source, re.M))
    tails = dict((wire, tail) for tail, wire in re.findall(r"^\t(\w+) -> (\w+):m:w", source, flags=re.M))
    b_node = re.search(r"^\t(\w+) \[label=<<table[^\n]*<b>b</b>", source, flags=re.M)
    assert b_node is not None
    b_wires = [w for w, tail in tails.items() if tail == b_node[1]]
    grads = sorted(re.findall(rf'color="{GRAD_COLOR}">([^<]*)</font>', labels[w])[0] for w in b_wires)
    assert grads == ["2", "3"]
    assert "grad 5" in source  # the leaf's total


@pytest.mark.parametrize("bad", [{"rankdir": "XY"}, {"style": "boxes"}, {"collapse": "module"}, {"fmt": "zz"}])
def test_bad_options_are_refused_by_name(bad: dict[str, str]) -> None:
    key = next(iter(bad))
    with pytest.raises(ValueError, match=key):
        draw_dot(colah(), **bad)  # type: ignore[arg-type]


def test_root_must_be_a_value() -> None:
    with pytest.raises(TypeError, match="Value"):
        draw_dot(3.0)  # type: ignore[arg-type]


def test_too_many_nodes_is_refused_with_the_count_and_the_module_view() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(300):
        y = y * 1.01 + x
    with pytest.raises(ValueError, match=r"has 601 nodes.*max_nodes=500.*collapse='neuron'"):
        draw_dot(y)
    assert "n600" in draw_dot(y, max_nodes=601).source


# ---------------------------------------------------------------------------
# Escaping: user text must survive real Graphviz.
# ---------------------------------------------------------------------------

NASTY = "x<y> & \"z\" 'q'"


def nasty() -> Value:
    a = Value(1.5, NASTY)
    b = a * 2
    b.label = "</table><b>"
    b.backward()
    return b


def test_labels_are_escaped_in_dot() -> None:
    source = draw_dot(nasty()).source
    assert "x&lt;y&gt; &amp; &quot;z&quot; &#x27;q&#x27;" in source
    assert "&lt;/table&gt;&lt;b&gt;" in source


@needs_dot
@pytest.mark.parametrize("style", ["nodes", "circuit"])
def test_escaped_labels_render_through_real_dot(style: str) -> None:
    texts = svg_texts(render(draw_dot(nasty(), style=style), "svg"))
    assert NASTY in texts
    assert "</table><b>" in texts


# ---------------------------------------------------------------------------
# Rendering and saving.
# ---------------------------------------------------------------------------


@needs_dot
@pytest.mark.parametrize("style", ["nodes", "circuit"])
def test_real_dot_svg_parses_and_holds_the_seed_numbers(style: str) -> None:
    texts = svg_texts(render(draw_dot(apple(), style=style), "svg"))
    joined = " | ".join(texts)
    if style == "nodes":
        for text in ("apple", "data 100", "grad 2.2", "data 2", "grad 110", "data 1.1", "grad 200", "data 220"):
            assert text in texts, (text, joined)
    else:
        # Wires: value above (green), gradient below (red), e.g. apple's wire carries 100 and 2.2.
        for text in ("apple", "apple_num", "tax", "price", "100", "2.2", "110", "200", "1.1", "1"):
            assert text in texts, (text, joined)
        assert "apple_price = 200" in texts and "price = 220" in texts


@needs_dot
@pytest.mark.parametrize(
    ("suffix", "magic"),
    [(".svg", b"<?xml"), (".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-"), (".dot", b"digraph scalargrad {")],
)
def test_save_picks_the_format_from_the_suffix_and_leaves_nothing_else(
    tmp_path: Path, suffix: str, magic: bytes
) -> None:
    path = save(cs231n(), tmp_path / f"graph{suffix.upper() if suffix == '.png' else suffix}", style="circuit")
    assert path.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_save_refuses_an_unknown_suffix_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf or \.dot"):
        save(cs231n(), tmp_path / "graph.jpg")
    assert list(tmp_path.iterdir()) == []


def test_save_into_a_missing_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"folder .*nope.* does not exist"):
        save(cs231n(), tmp_path / "nope" / "g.dot")


def test_save_accepts_a_diagram_or_dot_text(tmp_path: Path) -> None:
    graph = draw_dot(colah())
    assert save(graph, tmp_path / "a.dot").read_text() == graph.source
    assert save(graph.source, tmp_path / "b.dot").read_text() == graph.source
    with pytest.raises(TypeError, match="only apply when given a Value"):
        save(graph, tmp_path / "c.dot", style="circuit")


@needs_dot
def test_saving_leaves_only_the_file_unlike_graphviz_render(tmp_path: Path) -> None:
    """graphviz's own .render() keeps its DOT source file beside the picture; save() must not."""
    graph = draw_dot(colah())
    graph.render(tmp_path / "theirs" / "graph", format="svg")
    assert sorted(p.name for p in (tmp_path / "theirs").iterdir()) == ["graph", "graph.svg"]
    (tmp_path / "ours").mkdir()
    save(graph, tmp_path / "ours" / "graph.svg")
    assert [p.name for p in (tmp_path / "ours").iterdir()] == ["graph.svg"]


def no_renderer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, pygraphviz: bool) -> None:
    """Hide `dot` (an empty PATH) and, unless asked to keep it, pygraphviz."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    if not pygraphviz:
        monkeypatch.setitem(sys.modules, "pygraphviz", None)


def test_without_dot_pygraphviz_renders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pygraphviz = pytest.importorskip("pygraphviz")
    no_renderer(monkeypatch, tmp_path, pygraphviz=True)
    with pytest.raises(graphviz.ExecutableNotFound):  # dot really is gone
        graphviz.pipe("dot", "svg", b"digraph { a }")
    calls = []
    original = pygraphviz.AGraph.draw

    def spy(self: object, *args: object, **kwargs: object) -> object:
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pygraphviz.AGraph, "draw", spy)
    texts = svg_texts(render(draw_dot(colah()), "svg"))
    assert "grad 5" in texts and calls == [{"format": "svg", "prog": "dot"}]
    path = save(colah(), tmp_path / "g.png")
    assert path.read_bytes().startswith(b"\x89PNG")
    assert renderer_status().renderer == "pygraphviz"


def test_without_any_renderer_the_error_gives_install_hints(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    no_renderer(monkeypatch, tmp_path, pygraphviz=False)
    with pytest.raises(GraphvizNotFound) as caught:
        render(draw_dot(colah()), "svg")
    assert isinstance(caught.value, RuntimeError)
    message = str(caught.value)
    for hint in (
        "apt install graphviz",
        "brew install graphviz",
        "winget install",
        "conda install",
        "scalargrad[render]",
    ):
        assert hint in message
    # Nothing written, not even a temporary file; DOT text still saves.
    with pytest.raises(GraphvizNotFound):
        save(colah(), tmp_path / "g.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty-path"]
    assert save(colah(), tmp_path / "g.dot").read_text().startswith("digraph")
    assert renderer_status().renderer is None


def test_a_failed_save_keeps_the_old_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "g.svg"
    target.write_text("old")
    no_renderer(monkeypatch, tmp_path, pygraphviz=False)
    with pytest.raises(GraphvizNotFound):
        save(colah(), target)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty-path", "g.svg"]


# ---------------------------------------------------------------------------
# Jupyter display.
# ---------------------------------------------------------------------------


@needs_dot
def test_notebook_display_is_svg() -> None:
    graph = draw_dot(colah())
    assert isinstance(graph, graphviz.Digraph) and isinstance(graph, Diagram)
    bundle = graph._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "grad 5" in svg_texts(bundle["image/svg+xml"].encode())
    assert graph._repr_svg_() == bundle["image/svg+xml"]
    assert graph._repr_mimebundle_(include=["image/png"]) == {}


def test_notebook_without_renderer_shows_dot_text_and_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    no_renderer(monkeypatch, tmp_path, pygraphviz=False)
    a = Value(1.0, "a<b")
    graph = draw_dot(a * 2)
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    assert "brew install graphviz" in bundle["text/html"]
    assert "a&amp;lt;b" in bundle["text/html"]  # the DOT text (which holds a&lt;b) shown as text
    assert graph.source in bundle["text/plain"]
    assert graph._repr_svg_() is None  # "not available", not an exception a notebook would print
    shown = Unrendered("digraph {}")
    assert "digraph {}" in shown._repr_html_() and "digraph {}" in repr(shown)


# ---------------------------------------------------------------------------
# The module view.
# ---------------------------------------------------------------------------


def labelled_neuron(layer: int, j: int, ws: list[float], b: float, xs: list[Value], act: bool, expand: bool = False):
    """A neuron marked the way scalargrad.nn marks one (scalargrad.marks), built by hand from engine ops."""
    name = f"layer{layer}.neuron{j}"
    path = (f"layer{layer}", f"neuron{j}")
    w = [mark(Value(v, f"{name}.w{k}"), path, "parameter", j) for k, v in enumerate(ws)]
    bias = mark(Value(b, f"{name}.b"), path, "parameter", j)
    if expand:
        z = w[0] * xs[0]
        for wk, xk in zip(w[1:], xs[1:]):
            z = z + wk * xk
        z = z + bias
    else:
        z = sg.dot(w, xs, bias)
    out = z.tanh() if act else z
    if act:
        z.label = f"{name}.z"
    mark(out, path, "output", j)
    return out, w, bias


def hand_made_network(penalty: bool = False) -> tuple[Value, dict[str, float]]:
    """2 inputs -> 2 tanh neurons -> 1 linear neuron -> squared error; expected numbers by hand."""
    x = [Value(0.5, "x0"), Value(-1.0, "x1")]
    h0, w, _ = labelled_neuron(1, 0, [0.3, -0.2], 0.1, x, act=True)
    h1, _, _ = labelled_neuron(1, 1, [-0.5, 0.4], 0.0, x, act=True, expand=True)
    y, _, _ = labelled_neuron(2, 0, [1.5, -2.0], 0.2, [h0, h1], act=False)
    loss = (y - 1.0) ** 2
    if penalty:
        loss = loss + 0.01 * w[0] ** 2
    loss.label = "loss"
    loss.backward()
    t0 = math.tanh(0.3 * 0.5 - 0.2 * -1.0 + 0.1)
    t1 = math.tanh(-0.5 * 0.5 + 0.4 * -1.0)
    out = 1.5 * t0 - 2.0 * t1 + 0.2
    dy = 2 * (out - 1.0)
    return loss, {"h0": t0, "h1": t1, "y": out, "dy": dy, "dh0": dy * 1.5, "dh1": dy * -2.0}


def fmt(x: float) -> str:
    return format(x, ".4g")


def boxes_in(source: str) -> list[str]:
    return re.findall(r"^\t(m\d+) \[label=", source, flags=re.M)


def test_neuron_view_folds_each_neuron_into_a_box_with_its_output() -> None:
    loss, want = hand_made_network()
    source = draw_dot(loss, collapse="neuron").source
    check_expected("network_neuron", source)
    assert len(boxes_in(source)) == 3
    for title, data, grad in [
        ("layer1.neuron0", want["h0"], want["dh0"]),
        ("layer1.neuron1", want["h1"], want["dh1"]),
        ("layer2.neuron0", want["y"], want["dy"]),
    ]:
        box = re.search(rf"<b>{re.escape(title)}</b>.*?</table>", source)
        assert box is not None, title
        assert f"data {fmt(data)}<" in box[0] and f"grad {fmt(grad)}<" in box[0], title
    assert ".w0" not in source and ".b<" not in source and ".z" not in source  # folded away
    assert "<b>x0</b>" in source and "<b>x1</b>" in source  # inputs stay
    # The expanded neuron (2 *, 2 +, tanh and 3 parameters) is one box of 8; the dot one, 5.
    assert "8 nodes" in source and "5 nodes" in source


def test_layer_view_folds_each_layer_and_lists_its_neurons() -> None:
    loss, want = hand_made_network()
    source = draw_dot(loss, collapse="layer").source
    check_expected("network_layer", source)
    assert len(boxes_in(source)) == 2
    assert "<b>layer1</b>" in source and "<b>layer2</b>" in source
    assert f'neuron1  <font color="{DATA_COLOR}">data {fmt(want["h1"])}</font>' in source
    # Fully connected: one edge from layer to layer (not neuron i to row i), saying how many weights it carries,
    # and one from each input to the whole of layer 1.
    edges = re.findall(r"^\t(\w+) -> (\w+)(?: \[label=<(.*)>\])?$", source, flags=re.M)
    into = {(tail, head): label for tail, head, label in edges if head.startswith("m")}
    assert re.search(r">2 weights<", into[("m0", "m1")])
    assert len(into) == 3 and all(">2 weights<" in label for label in into.values())


def test_a_parameter_also_used_outside_stays_visible() -> None:
    loss, _ = hand_made_network(penalty=True)
    source = draw_dot(loss, collapse="neuron").source
    assert "<b>layer1.neuron0.w0</b>" in source
    assert "layer1.neuron0.w1" not in source


def test_each_forward_call_gets_its_own_boxes_and_shared_weights_hide() -> None:
    x = [[Value(0.1), Value(0.2)], [Value(-0.3), Value(0.4)]]
    path = ("layer1", "neuron0")
    w = [mark(Value(v, f"layer1.neuron0.w{k}"), path, "parameter") for k, v in enumerate([0.5, -0.5])]
    b = mark(Value(0.1, "layer1.neuron0.b"), path, "parameter")
    outs = []
    for xs in x:
        outs.append(mark(sg.dot(w, xs, b).tanh(), path, "output"))
    total = sg.sum(outs)
    total.backward()
    source = draw_dot(total, collapse="neuron").source
    # Two calls, numbered in the order the graph reads them.
    assert "<b>layer1.neuron0 · sample 0</b>" in source and "<b>layer1.neuron0 · sample 1</b>" in source
    assert "neuron0.w" not in source and "neuron0.b" not in source
    for h in outs:
        assert f"data {fmt(h.data)}<" in source


def test_input_preprocessing_stays_outside_the_neuron() -> None:
    x = Value(2.0, "x")
    scaled = x * 3
    out, _, _ = labelled_neuron(1, 0, [0.5], 0.0, [scaled], act=True)
    out.backward()
    source = draw_dot(out, collapse="neuron").source
    assert "<*3>" in source and len(boxes_in(source)) == 1


def test_collapse_makes_a_too_big_graph_drawable() -> None:
    xs = [Value(0.01 * i, f"x{i}") for i in range(40)]
    layer = [labelled_neuron(1, j, [0.1] * 40, 0.0, xs, act=True, expand=True)[0] for j in range(4)]
    total = sg.sum(layer)
    with pytest.raises(ValueError, match="collapse='neuron' or collapse='layer'"):
        draw_dot(total)
    assert len(boxes_in(draw_dot(total, collapse="neuron").source)) == 4
    with pytest.raises(ValueError, match=r"nodes to draw.*collapse='layer'"):
        draw_dot(total, collapse="neuron", max_nodes=10)
    assert len(boxes_in(draw_dot(total, collapse="layer", max_nodes=50).source)) == 1


def test_module_view_of_a_real_mlp() -> None:
    from scalargrad import nn

    model = nn.MLP(3, [4, 4, 1], seed=0)
    x = [Value(0.5, "x0"), Value(-1.0, "x1"), Value(2.0, "x2")]
    y = model(x)
    loss = (y - 1.0) ** 2
    loss.backward()
    by_neuron = draw_dot(loss, collapse="neuron").source
    assert len(boxes_in(by_neuron)) == 9
    assert "layer1.neuron0.w0" not in by_neuron
    by_layer = draw_dot(loss, collapse="layer").source
    assert len(boxes_in(by_layer)) == 3
    assert f"data {fmt(y.data)}<" in by_layer and f"grad {fmt(y.grad)}<" in by_layer
    if HAVE_DOT:
        assert "layer3" in svg_texts(render(by_layer, "svg"))


@needs_dot
def test_circuit_module_view_renders() -> None:
    loss, want = hand_made_network()
    texts = svg_texts(render(draw_dot(loss, collapse="layer", style="circuit"), "svg"))
    assert "layer1" in texts and "layer2" in texts
    # The wire into the loss's first gate carries y and dloss/dy.
    assert f"layer2.neuron0 = {fmt(want['y'])}" in texts and fmt(want["dy"]) in texts


# ---------------------------------------------------------------------------
# Pictures: positions read from the rendered SVG, sizes from the PNG.
# ---------------------------------------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"


def node_places(svg: bytes) -> dict[str, tuple[float, float, list[str]]]:
    """For each drawn node, by its DOT name: the x and y of its first text, and all its texts."""
    places = {}
    for group in ET.fromstring(svg).iter(f"{SVG_NS}g"):
        if group.get("class") != "node":
            continue
        title = group.find(f"{SVG_NS}title")
        texts = list(group.iter(f"{SVG_NS}text"))
        if title is None or not texts:
            continue
        first = texts[0]
        places[title.text or ""] = (float(first.get("x", 0)), float(first.get("y", 0)), [t.text or "" for t in texts])
    return places


def place_of(places: dict[str, tuple[float, float, list[str]]], text: str) -> tuple[float, float]:
    (found,) = [(x, y) for x, y, texts in places.values() if text in texts]
    return found


@needs_dot
@pytest.mark.parametrize("style", ["nodes", "circuit"])
def test_inputs_are_drawn_in_operand_order_first_on_top(style: str) -> None:
    x = [Value(v, f"x{i}") for i, v in enumerate([0.5, -1.0, 2.0])]
    w = [Value(v, f"w{i}") for i, v in enumerate([0.1, 0.2, 0.3])]
    out = sg.dot(w, x).tanh()
    out.backward()
    places = node_places(render(draw_dot(out, style=style), "svg"))
    tops = [place_of(places, name)[1] for name in ("w0", "x0", "w1", "x1", "w2", "x2")]
    assert tops == sorted(tops), tops  # SVG y grows downwards: w0 on top, x2 at the bottom
    if style == "circuit":
        lefts = {place_of(places, name)[0] for name in ("w0", "x0", "w1", "x1", "w2", "x2")}
        assert max(lefts) - min(lefts) < 10, lefts  # the names lined up on the left


@needs_dot
def test_circuit_inputs_start_on_the_left_even_when_used_late() -> None:
    """The neuron's w2 joins at the second add gate; its name still stands in the column of inputs."""
    places = node_places(render(draw_dot(neuron(), style="circuit"), "svg"))
    lefts = [place_of(places, name)[0] for name in ("w0", "x0", "w1", "x1", "w2")]
    assert max(lefts) - min(lefts) < 10, lefts
    assert max(lefts) < min(x for x, _, texts in places.values() if "exp" in texts)


@needs_dot
def test_neuron_view_stacks_neuron0_on_top() -> None:
    from scalargrad.nn import MLP

    model = MLP(3, [4, 1], seed=0)
    loss = model([Value(0.5, "x0"), Value(-1.0, "x1"), Value(2.0, "x2")]) ** 2
    loss.backward()
    places = node_places(render(draw_dot(loss, collapse="neuron"), "svg"))
    tops = [place_of(places, f"layer1.neuron{j}")[1] for j in range(4)]
    assert tops == sorted(tops), tops
    tops = [place_of(places, f"x{i}")[1] for i in range(3)]
    assert tops == sorted(tops), tops
    by_layer = node_places(render(draw_dot(loss, collapse="layer"), "svg"))
    layer1 = next(texts for _, _, texts in by_layer.values() if "layer1" in texts)
    assert [t.split()[0] for t in layer1 if t.startswith("neuron")] == ["neuron0", "neuron1", "neuron2", "neuron3"]


def test_a_batch_numbers_its_samples_and_fully_connected_layers_show_one_edge_per_pair() -> None:
    from scalargrad.nn import MLP

    model = MLP(2, [3, 1], seed=0)
    xs = [[Value(0.1, "a0"), Value(0.2, "a1")], [Value(0.3, "b0"), Value(0.4, "b1")]]
    total = sg.sum([model(x) for x in xs])
    total.backward()
    source = draw_dot(total, collapse="layer").source
    for sample in (0, 1):
        assert f"<b>layer1 · sample {sample}</b>" in source and f"<b>layer2 · sample {sample}</b>" in source
    edges = re.findall(r"^\t(m\d+) -> (m\d+)", source, flags=re.M)
    assert len(edges) == len(set(edges)) == 2  # one edge from each layer1 call to its layer2 call
    assert source.count(">3 weights<") == 2 + 4  # the two layer edges, and each input edge into a 3-neuron layer


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@needs_dot
def test_dpi_scales_png_pixels_and_fontsize_scales_text(tmp_path: Path) -> None:
    small = png_size(save(colah(), tmp_path / "a.png").read_bytes())
    big = png_size(save(colah(), tmp_path / "b.png", dpi=192).read_bytes())
    assert abs(big[0] - 2 * small[0]) <= 2 and abs(big[1] - 2 * small[1]) <= 2, (small, big)
    assert png_size(render(draw_dot(colah()), "png", dpi=96)) == small  # 96 is Graphviz's own default
    assert png_size(render(draw_dot(colah(), dpi=192), "png")) == big  # draw_dot(dpi=) is what render uses
    larger = png_size(save(colah(), tmp_path / "c.png", fontsize=22).read_bytes())
    assert larger[0] > 1.4 * small[0] and larger[1] > 1.4 * small[1]
    texts = ET.fromstring(render(draw_dot(colah(), fontsize=22), "svg")).iter(f"{SVG_NS}text")
    assert {t.get("font-size") for t in texts if (t.text or "").startswith("data")} == {"22.00"}
    assert render(draw_dot(colah()), "svg", dpi=192) == render(draw_dot(colah()), "svg")  # vector: unchanged
    for bad in (0, 5000, "high"):
        with pytest.raises(ValueError, match="dpi"):
            render(draw_dot(colah()), "png", dpi=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fontsize"):
        draw_dot(colah(), fontsize=1)


def test_micrograd_notebook_call_works() -> None:
    """Karpathy's notebooks call draw_dot(root, format='svg', rankdir='LR')."""
    graph = draw_dot(colah(), format="svg", rankdir="LR")
    assert graph.format == "svg" and "rankdir=LR" in graph.source
    assert draw_dot(colah(), "png", "TB").format == "png"
    with pytest.raises(ValueError, match="format"):
        draw_dot(colah(), format="gif")


def test_an_unlabelled_root_is_out_in_every_style() -> None:
    a, b = Value(2.0, "a"), Value(3.0, "b")
    out = a * b + 1
    out.backward()
    assert "<b>out</b>" not in draw_dot(out).source  # generated names are grey, not bold
    assert re.search(r"<font color=\"#57606a\">out</font>", draw_dot(out).source)
    assert "<b>out</b>" in draw_dot(out, style="circuit").source
    assert next(sg.backward_steps(out)).describe().startswith("step 1: out = ")


def test_circuit_gates_and_vertical_labels_read_plainly() -> None:
    source = draw_dot(neuron(), style="circuit").source
    assert "<1/x>" in source and "<1/>" not in source
    assert "above each wire: its value; below: the gradient sent back along it" in source
    tb = draw_dot(neuron(), style="circuit", rankdir="TB").source
    # Left and right of a vertical wire, a bare "2 | -0.1966" read as a subtraction: the gradient says what it is.
    assert f'<font color="{GRAD_COLOR}">grad -0.1966</font>' in tb


@needs_dot
def test_a_gradient_of_a_gradient_draws_like_any_graph() -> None:
    """grad(create_graph=True) returns Values with a graph of their own: tanh's second derivative."""
    x = Value(0.5, "x")
    (dy,) = sg.grad(x.tanh(), [x], create_graph=True)
    dy.label = "dy/dx"
    (d2y,) = sg.grad(dy, [x], create_graph=True)
    dy.backward()
    t = math.tanh(0.5)
    assert dy.data == pytest.approx(1 - t**2) and d2y.data == pytest.approx(-2 * t * (1 - t**2))
    texts = svg_texts(render(draw_dot(dy), "svg"))
    assert "dy/dx" in texts and "x" in texts and f"data {fmt(1 - t**2)}" in texts
    assert f"grad {fmt(-2 * t * (1 - t**2))}" in texts  # x's gradient in the derivative's own graph: y''


def test_nn_marks_its_values_structurally_not_by_label_text() -> None:
    from scalargrad.marks import mark_of
    from scalargrad.nn import MLP

    model = MLP(2, [3, 1], seed=0)
    y = model([1.0, 2.0])
    assert mark_of(y) is not None and mark_of(y).path == ("layer2", "neuron0")  # type: ignore[union-attr]
    w = model.layers[0].neurons[2].w[1]
    assert mark_of(w) == sg.marks.Mark(("layer1", "neuron2"), 2, "parameter")
    assert y.label == "layer2.neuron0" and isinstance(y.label, str)
    # A Value merely labelled like a neuron is not folded: the label's text means nothing to the diagram.
    fake = Value(1.0, "x") * 2
    fake.label = "layer1.neuron0"
    fake.backward()
    assert "m0" not in draw_dot(fake, collapse="neuron").source
    # And a renamed output is no longer a neuron's.
    y.label = "score"
    assert mark_of(y) is None


@needs_dot
def test_circuit_wires_run_on_past_their_numbers() -> None:
    """A bar exactly as wide as its numbers read "-2 over -4" as a fraction; the wire now reaches past both sides."""
    svg = render(draw_dot(cs231n(), style="circuit"), "svg")
    checked = 0
    for group in ET.fromstring(svg).iter(f"{SVG_NS}g"):
        title = group.find(f"{SVG_NS}title")
        if title is None or not re.fullmatch(r"n\d+w\d+|outw", title.text or ""):
            continue
        (line,) = group.iter(f"{SVG_NS}polyline")
        xs = [float(point.split(",")[0]) for point in (line.get("points") or "").split()]
        starts = [float(t.get("x", 0)) for t in group.iter(f"{SVG_NS}text")]
        assert min(starts) - min(xs) >= 6, (title.text, xs, starts)
        checked += 1
    assert checked == 5  # the wires of x, y, z and q, and the output wire


def test_draw_dot_writes_its_words_in_japanese() -> None:
    f = examples.add_mul_circuit()
    f.backward()
    nodes, circuit = sg.draw_dot(f, lang="ja").source, sg.draw_dot(f, style="circuit", lang="ja").source
    assert "値 -12" in nodes and "勾配 1" in nodes and not re.search(r">(data|grad) ", nodes)
    assert "逆伝播で戻る勾配" in circuit and "gradient" not in circuit
    with pytest.raises(ValueError, match=r"draw_dot\(lang='fr'\): choose one of 'en', 'ja'"):
        sg.draw_dot(f, lang="fr")

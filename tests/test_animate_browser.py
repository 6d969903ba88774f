"""The step-through pages: their files, then a real headless Chromium stepping through them.

Seed 003's e = (a + b)(b + 1) backward and forward, the sigmoid neuron of
seed 000 in circuit style, and a Japanese page. The browser tests run
Debian's /usr/bin/chromium through Playwright, one browser for the module.
Locally they are skipped when either is missing; in CI (``CI`` set) a
missing browser fails.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import chromium

import scalargrad as sg
from scalargrad import Value, examples
from scalargrad.viz import animate_backward, animate_forward
from scalargrad.viz.text import EN, JA, TEXTS

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
def test_the_page_is_one_self_contained_file_with_the_graph_laid_out_once(page_file: Path) -> None:
    html = page_file.read_text(encoding="utf-8")
    assert [p.name for p in page_file.parent.iterdir()] == ["steps.html"]
    assert html.count("<svg") == 1  # one layout, whatever the number of steps
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "<link" not in html and "<script src" not in html and "@import" not in html
    assert "<!DOCTYPE svg" not in html and "<?xml" not in html and "xlink:href" not in html
    ids = re.findall(r'\bid="([^"]*)"', html)
    assert len(ids) == len(set(ids)), "element ids repeat"
    # Every number that changes has a stable id: a's box holds its value and gradient in sg-n0-d and sg-n0-g.
    assert re.search(r'<text[^>]*id="sg-n0-d"', html) and re.search(r'<text[^>]*id="sg-n0-g"', html)


@needs_dot
def test_the_graph_gradients_are_not_touched(tmp_path: Path) -> None:
    v = colah()
    for node in v.values():
        node.grad = -9.0
    animate_backward(v["e"], tmp_path / "s.html")
    animate_forward(v["e"], tmp_path / "f.html", {v["a"]: 1.0})
    assert all(node.grad == -9.0 for node in v.values())


def test_big_graphs_bad_arguments_and_non_values_are_refused(tmp_path: Path) -> None:
    x = Value(1.0)
    y = x
    for _ in range(60):
        y = y * 2
    with pytest.raises(ValueError, match="61 Values, more than max_nodes=50"):
        animate_backward(y, tmp_path / "s.html", max_nodes=50)
    with pytest.raises(TypeError, match="Value"):
        animate_backward(3.0, tmp_path / "s.html")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lang='fr'"):
        animate_backward(y, tmp_path / "s.html", lang="fr")
    with pytest.raises(ValueError, match="style='boxes'"):
        animate_backward(x * 2, tmp_path / "s.html", style="boxes")
    with pytest.raises(ValueError, match="one input"):
        animate_forward(x * 2, tmp_path / "f.html", {})
    with pytest.raises(ValueError, match="not an input of this graph"):
        animate_forward(x * 2, tmp_path / "f.html", {Value(2.0, "z"): 1.0})
    with pytest.raises(ValueError, match="must be an input"):
        animate_forward(x * 2 + 1, tmp_path / "f.html", {x * 2: 1.0})
    assert list(tmp_path.iterdir()) == []


def test_both_languages_have_the_same_texts_with_the_same_placeholders() -> None:
    import string

    assert set(EN) == set(JA)
    for key in EN:
        fields = {name for _, name, _, _ in string.Formatter().parse(EN[key]) if name}
        assert fields == {name for _, name, _, _ in string.Formatter().parse(JA[key]) if name}, key


# ---------------------------------------------------------------------------
# The browser.
# ---------------------------------------------------------------------------



@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    pages: list[Any] = []

    def open_(path: Path) -> Any:
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.errors = errors
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.requests = requests
        page.goto(path.as_uri())
        pages.append(page)
        return page

    yield open_
    for page in pages:
        assert page.errors == [], page.errors
        page.close()


def visible(page: Any) -> dict[str, Any]:
    """What the page shows now: step, counter, highlighted nodes, the table, the caption's text."""
    return page.evaluate(
        """() => {
          const grads = {};
          document.querySelectorAll("table.grads tbody tr").forEach((row) => {
            grads[row.querySelector("th").textContent] = row.querySelector("td.grad").textContent;
          });
          const active = document.querySelector("g.node.active");
          const fill = active ? active.querySelector("polygon[fill=white], path[fill=white], ellipse") : null;
          return {
            step: document.body.dataset.step,
            counter: document.getElementById("counter").textContent,
            active: Array.from(document.querySelectorAll("g.node.active")).map((g) => g.id),
            receiving: Array.from(document.querySelectorAll("g.node.receiving")).map((g) => g.id),
            fill: fill ? getComputedStyle(fill).fill : null,
            grads: grads,
            order: Object.keys(grads),
            caption: document.getElementById("caption").innerText,
            body: document.body.innerText,
          };
        }"""
    )


def slot_text(page: Any, slot: str) -> str:
    return str(page.evaluate("(id) => document.getElementById(id).textContent", slot))


def geometry(page: Any) -> dict[str, Any]:
    """Where every number and every node is drawn, and at what size."""
    return page.evaluate(
        """() => {
          const out = {};
          document.querySelectorAll("text.slot").forEach((t) => {
            out[t.id] = [t.getAttribute("x"), t.getAttribute("y"), t.getAttribute("text-anchor"),
                         getComputedStyle(t).fontSize, t.getAttribute("font-size")];
          });
          document.querySelectorAll("g.node").forEach((g) => {
            const box = g.getBBox();
            out[g.id] = [box.x, box.y, box.width, box.height];
          });
          return out;
        }"""
    )


def test_stepping_backward_moves_the_highlight_and_the_gradients(open_page: Any, page_file: Path) -> None:
    page = open_page(page_file)
    start = visible(page)
    assert start["step"] == "0" and start["counter"] == "step 0 of 3"
    assert start["active"] == ["sg-n4"] and start["fill"] == "rgb(255, 224, 138)"  # e, drawn highlighted
    assert start["grads"] == {"a": "0", "b": "0", "c": "0", "d": "0", "e": "1"}
    assert start["order"] == ["a", "b", "c", "d", "e"]  # inputs first, first operand first

    page.keyboard.press("ArrowRight")  # step 1: e = c * d sends d = 2 to c and c = 3 to d
    first = visible(page)
    assert first["step"] == "1" and first["active"] == ["sg-n4"]
    assert first["grads"] == {"a": "0", "b": "0", "c": "2", "d": "3", "e": "1"}
    assert sorted(first["receiving"]) == ["sg-n2", "sg-n3"]
    assert "∂(c * d)/∂c = d = 2" in first["caption"] and "c += 1 × 2 = 2 → 2" in first["caption"]
    assert slot_text(page, "sg-n4w0-p") == "∂ 2"  # the local partial on the wire from c

    page.click("#next")  # step 2: c or d, whichever backward visits first; b gets its first share
    second = visible(page)
    label = {"sg-n2": "c", "sg-n3": "d"}[second["active"][0]]
    share = {"c": "2", "d": "3"}[label]
    assert second["grads"]["b"] == share

    page.keyboard.press("ArrowRight")  # step 3: the other one; b's two paths add up to 5 (seed 003)
    third = visible(page)
    assert {label, {"sg-n2": "c", "sg-n3": "d"}[third["active"][0]]} == {"c", "d"}
    assert third["grads"] == {"a": "2", "b": "5", "c": "2", "d": "3", "e": "1"}
    assert page.is_disabled("#next") and third["counter"] == "step 3 of 3"
    # The last caption ends in its own sentence, after the list (it used to run into it).
    assert third["caption"].rstrip().endswith("Every gradient is now complete.")
    assert "derivative: Every" not in third["caption"]

    page.keyboard.press("ArrowRight")  # no step 4
    assert visible(page)["step"] == "3"
    page.keyboard.press("ArrowLeft")
    assert visible(page) == second
    page.click("#prev")
    page.keyboard.press("Home")
    assert visible(page) == start and page.is_disabled("#prev")

    # Space plays and pauses (checked through the button's text, not by waiting). The clicked Prev button,
    # disabled now, may still hold the focus: Space must not be lost on it.
    page.keyboard.press("Space")
    assert "Pause" in page.inner_text("#play")
    page.keyboard.press("Space")
    assert "Play" in page.inner_text("#play")
    page.keyboard.press("End")
    assert visible(page)["step"] == "3"
    assert page.requests == [page_file.as_uri()], "the page fetched something besides itself"


@pytest.mark.parametrize("style", ["nodes", "circuit"])
def test_nothing_moves_or_changes_size_between_steps(open_page: Any, tmp_path: Path, style: str) -> None:
    """The graph is laid out once: every number keeps its place and its size, every node its box."""
    neuron = examples.sigmoid_neuron()
    page = open_page(animate_backward(neuron, tmp_path / "n.html", style=style))
    before = geometry(page)
    texts_before = {key: slot_text(page, key) for key in before if key.endswith("-g")}
    page.keyboard.press("End")
    after = geometry(page)
    assert before == after
    assert len(before) > 20
    changed = [key for key in texts_before if slot_text(page, key) != texts_before[key]]
    assert changed, "the gradients should have changed while nothing moved"
    assert len({value[3] for key, value in after.items() if key.endswith(("-d", "-g"))}) == 1  # one text size


def test_captions_state_the_local_derivative_formula(open_page: Any, tmp_path: Path) -> None:
    x = Value(1.368, "x")
    page = open_page(animate_backward(1 / x, tmp_path / "r.html"))
    page.keyboard.press("ArrowRight")
    assert "∂(1/x)/∂x = -1/x^2 = -0.5344" in visible(page)["caption"]


def test_unnamed_nodes_have_distinct_names_in_captions_and_diagram(open_page: Any, tmp_path: Path) -> None:
    x, y = Value(2.0, "x"), Value(3.0, "y")
    out = (x * y) * (x * 0.5)
    page = open_page(animate_backward(out, tmp_path / "t.html"))
    page.keyboard.press("ArrowRight")
    caption = visible(page)["caption"]
    assert "out = t1 * t2" in caption and "t1 +=" in caption and "t2 +=" in caption
    assert "(*)" not in visible(page)["body"]
    texts = page.evaluate("() => Array.from(document.querySelectorAll('svg text')).map((t) => t.textContent)")
    assert {"t1", "t2", "out"} <= set(texts)


def test_circuit_page_steps_through_the_neuron(open_page: Any, tmp_path: Path) -> None:
    neuron = examples.sigmoid_neuron()
    page = open_page(animate_backward(neuron, tmp_path / "c.html", style="circuit"))
    page.keyboard.press("End")
    grads = visible(page)["grads"]
    assert grads == {"w0": "-0.1966", "x0": "0.3932", "w1": "-0.3932", "x1": "-0.5898", "w2": "0.1966", "f": "1"}


@pytest.mark.parametrize(("seed", "result"), [("b", "5"), ("a", "2")])
def test_forward_mode_carries_the_derivative_from_the_seed(
    open_page: Any, tmp_path: Path, seed: str, result: str
) -> None:
    """Seed 003 forward: seeded at b, e's derivative is 5; at a, 2. And the page says what that cost."""
    v = colah()
    page = open_page(animate_forward(v["e"], tmp_path / "f.html", {v[seed]: 1.0}))
    start = visible(page)
    assert start["grads"][seed] == "1" and start["grads"]["e"] == "?"
    assert "one input per sweep" in start["body"] and "One backward sweep" in start["body"]
    page.keyboard.press("End")
    end = visible(page)
    assert end["grads"]["e"] == result
    assert f"∂e/∂{seed} = {result}" in end["caption"]
    assert slot_text(page, "sg-n4-g") == f"∂/∂{seed} {result}"
    assert slot_text(page, "sg-n4w0-p") == "∂ 2"  # each edge labelled with its local partial


def english_words() -> set[str]:
    """Every English word of four letters or more that the English page texts use."""
    words = set()
    for text in EN.values():
        words |= {w.lower() for w in re.findall(r"[A-Za-z]{4,}", re.sub(r"<[^>]+>|\{\w+\}", " ", text))}
    # HTML in the templates, and the names printed on keyboard keys (Home, End), which Japanese keeps.
    return words - {"span", "class", "swatch", "home"}


@pytest.mark.parametrize("forward", [False, True])
def test_a_japanese_page_has_no_english_sentence(open_page: Any, tmp_path: Path, forward: bool) -> None:
    v = colah()
    path = tmp_path / "ja.html"
    if forward:
        animate_forward(v["e"], path, {v["b"]: 1.0}, lang="ja", style="circuit")
    else:
        animate_backward(v["e"], path, lang="ja", style="circuit")
    page = open_page(path)
    english = english_words()
    assert {"gradient", "step", "node", "derivative", "complete"} <= english
    for _ in range(4):
        shown = visible(page)
        svg = " ".join(page.evaluate("() => Array.from(document.querySelectorAll('svg text'), (t) => t.textContent)"))
        found = {w.lower() for w in re.findall(r"[A-Za-z]{4,}", shown["body"] + " " + svg)} & english
        assert not found, found
        page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.documentElement.lang") == "ja"
    body = visible(page)["body"]
    terms = ["順伝播", "微分", "連鎖律", "局所的な微分"] if forward else ["逆伝播", "勾配", "連鎖律", "局所的な微分"]
    for term in terms:
        assert term in body, term


def test_japanese_text_is_drawn_in_a_cjk_font(open_page: Any, tmp_path: Path) -> None:
    v = colah()
    page = open_page(animate_backward(v["e"], tmp_path / "ja.html", lang="ja"))
    families = page.evaluate(
        "() => Array.from(document.querySelectorAll('svg text'), (t) => t.getAttribute('font-family'))"
    )
    assert families and all("Noto Sans CJK JP" in family for family in families)
    assert "Noto Sans CJK JP" in page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert sg.viz.FONT.count("Noto Sans CJK JP") == 1


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_circuits_legend_says_what_is_below_its_wires_in_each_direction(
    open_page: Any, tmp_path: Path, lang: str
) -> None:
    """Backward: the gradient sent back; forward: local derivative × the input's derivative (a test of the words)."""
    v = colah()
    words = TEXTS[lang]
    backward = open_page(animate_backward(v["e"], tmp_path / "b.html", lang=lang, style="circuit"))
    assert slot_text(backward, "sg-legend") == words["legend"]
    forward = open_page(animate_forward(v["e"], tmp_path / "f.html", {v["b"]: 1.0}, lang=lang, style="circuit"))
    for _ in range(4):
        assert slot_text(forward, "sg-legend") == words["legend_forward"]
        forward.keyboard.press("ArrowRight")

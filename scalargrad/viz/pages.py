"""The step-through pages: backpropagation, or forward-mode differentiation, one node at a time.

`animate_backward` and `animate_forward` write one self-contained HTML file
(inline SVG, CSS, script and data; nothing is fetched from the network). The
graph is laid out once (`scalargrad.viz.layout`); the page's data holds, for
each step, only the texts that change, the nodes to highlight and a caption,
and its script writes those into the SVG. So nothing moves or changes size
from step to step. Prev/Next/Play buttons and the keyboard (← →, Space,
Home, End) move through it. ``lang="ja"`` writes every word in Japanese.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping
from pathlib import Path

from scalargrad.engine import NodeNames, Value, backward_steps, forward_steps, reading_order
from scalargrad.engine.steps import _real
from scalargrad.files import atomic_write_bytes
from scalargrad.viz.draw import STYLES, check_fontsize
from scalargrad.viz.frames import Frame, backward_frames, forward_frames, table_rows
from scalargrad.viz.labels import Look, Slots, check_fmt
from scalargrad.viz.layout import Layout
from scalargrad.viz.palette import ACTIVE_FILL, CSS_FONT, DATA_COLOR, GRAD_COLOR, NOTE_COLOR, RECEIVING_FILL
from scalargrad.viz.text import texts


def animate_backward(
    root: Value,
    path: str | os.PathLike[str],
    *,
    names: Mapping[str, object] | None = None,
    rankdir: str = "LR",
    style: str = "nodes",
    fmt: str = ".4g",
    grad: float = 1.0,
    title: str | None = None,
    lang: str = "en",
    fontsize: float = 14,
    max_nodes: int = 100,
) -> Path:
    """Write the step-through page of ``root.backward(grad)`` to ``path`` (atomically) and return it.

    ``names`` (e.g. ``locals()``), ``rankdir``, ``style`` ("nodes" or
    "circuit") and ``fmt`` are as in `draw_dot`; ``title`` heads the page;
    ``lang`` is "en" or "ja". The ``.grad`` fields of the graph are not
    touched: the gradients shown come from `backward_steps`. Graphs above
    ``max_nodes`` Values are refused: a page is for following by eye.
    """
    words = texts(lang, "animate_backward")
    seed = _real(grad, "animate_backward(grad)")
    look, layout = _prepare("animate_backward", root, names, rankdir, style, fmt, fontsize, max_nodes, words)
    steps = list(backward_steps(root, seed, names=names))
    frames, seen = backward_frames(layout, look, steps, seed, words)
    heading = words["title_backward"].format(
        title=title if title is not None else words["default_backward"].format(root=look.names(root))
    )
    legend = words["legend_page_backward"].format(root=html.escape(look.names(root)))
    page = _page(words, lang, heading, legend, "", layout.svg(seen), look, frames, words["table_grad"])
    return _write(path, page)


def animate_forward(
    root: Value,
    path: str | os.PathLike[str],
    seeds: Mapping[Value, float],
    *,
    names: Mapping[str, object] | None = None,
    rankdir: str = "LR",
    style: str = "nodes",
    fmt: str = ".4g",
    title: str | None = None,
    lang: str = "en",
    fontsize: float = 14,
    max_nodes: int = 100,
) -> Path:
    """Write the step-through page of forward mode from one seeded input to ``root``; return its path.

    ``seeds`` names the input to differentiate with respect to, with its
    tangent: ``{b: 1.0}``. Each step computes one node's derivative with
    respect to that input, from its inputs' (`forward_steps`), and the last
    shows d(root)/d(seed): on seed 003's ``e = (a + b)(b + 1)`` at a = 2,
    b = 1 that is 5 for ``b`` and 2 for ``a``. The page also says what that
    cost: one forward sweep per input, where one backward sweep gives them all.
    The other arguments are `animate_backward`'s.
    """
    words = texts(lang, "animate_forward")
    if not isinstance(seeds, Mapping) or len(seeds) != 1:
        raise ValueError("animate_forward(seeds=...) needs one input and its tangent, such as {b: 1.0}")
    ((seed, tangent),) = seeds.items()
    if not isinstance(seed, Value) or seed.parents:
        raise ValueError("animate_forward(seeds=...): the seed must be an input (a leaf Value) of the graph")
    tangent = _real(tangent, "animate_forward(seeds)")
    look, layout = _prepare("animate_forward", root, names, rankdir, style, fmt, fontsize, max_nodes, words)
    if seed not in set(reading_order(root)):
        raise ValueError(f"animate_forward(): the seed {look.names(seed)!r} is not an input of this graph")
    steps = list(forward_steps(root, {seed: tangent}, names=names))
    frames, seen = forward_frames(layout, look, steps, seed, tangent, words)
    seed_name = look.names(seed)
    heading = words["title_forward"].format(
        title=title if title is not None else words["default_forward"].format(root=look.names(root), seed=seed_name)
    )
    legend = words["legend_page_forward"].format(seed=html.escape(seed_name))
    inputs = sum(1 for v in reading_order(root) if not v.parents and look.given(v)) or 1
    cost = words["cost"].format(inputs=inputs)
    header = words["table_tangent"].format(seed=html.escape(seed_name))
    page = _page(words, lang, heading, legend, cost, layout.svg(seen), look, frames, header)
    return _write(path, page)


def _prepare(
    who: str,
    root: Value,
    names: Mapping[str, object] | None,
    rankdir: str,
    style: str,
    fmt: str,
    fontsize: float,
    max_nodes: int,
    words: Mapping[str, str],
) -> tuple[Look, Layout]:
    """Check the arguments, then draw the graph once with slots for every number."""
    if not isinstance(root, Value):
        raise TypeError(f"{who}() needs a Value as root, got {type(root).__name__}")
    if style not in STYLES:
        raise ValueError(f"{who}(style={style!r}): choose one of {', '.join(map(repr, STYLES))}")
    check_fmt(fmt, who)
    count = len(reading_order(root))
    if count > max_nodes:
        raise ValueError(
            f"{who}(): the graph has {count} Values, more than max_nodes={max_nodes}; a page is for following "
            "step by step, so animate a smaller piece (one neuron, say) or raise max_nodes"
        )
    look = Look(
        names=NodeNames(root, names),
        fmt=fmt,
        prefix="sg-",
        fontsize=check_fontsize(fontsize, who),
        words=words,
        slots=Slots(),
        every_name=True,
    )
    return look, Layout(root, look, rankdir=rankdir, style=style)


def _write(path: str | os.PathLike[str], page: str) -> Path:
    path = Path(path)
    atomic_write_bytes(path, page.encode("utf-8"))
    return path


def _table(look: Look, words: Mapping[str, str], header: str) -> str:
    """Every named Value in reading order (inputs first) with its value and its derivative so far."""
    rows = table_rows(look)
    body = "".join(
        f'<tr id="tr{i}"><th scope="row">{html.escape(look.names(v))}</th>'
        f'<td class="data">{look.num(v.data)}</td><td class="grad" id="row{i}"></td></tr>'
        for i, v in enumerate(rows)
    )
    return (
        f'<table class="grads"><thead><tr><th>{words["table_node"]}</th><th>{words["table_data"]}</th>'
        f"<th>{header}</th></tr></thead><tbody>{body}</tbody></table>"
    )


_STYLE = f"""
body {{ font-family: {CSS_FONT}; margin: 1.5em; color: #1f2328; }}
h1 {{ font-size: 1.3em; }}
.controls {{ display: flex; gap: .5em; align-items: center; flex-wrap: wrap; margin-bottom: .8em; }}
.controls button {{ font-size: 1em; padding: .3em .9em; }}
.keys, .legend, .cost {{ color: {NOTE_COLOR}; font-size: .9em; }}
.data {{ color: {DATA_COLOR}; }} .grad {{ color: {GRAD_COLOR}; }} .partial {{ color: {NOTE_COLOR}; }}
.swatch {{ display: inline-block; width: .9em; height: .9em; border: 1px solid #888; vertical-align: middle; }}
.swatch.active {{ background: {ACTIVE_FILL}; border-width: 2px; }} .swatch.receiving {{ background: {RECEIVING_FILL}; }}
#caption {{ min-height: 7em; }}
#caption ul {{ margin: .3em 0; }}
.diagram svg {{ max-width: 100%; height: auto; }}
.diagram g.node.active polygon[fill="white"], .diagram g.node.active path[fill="white"],
.diagram g.node.active ellipse[fill="white"] {{ fill: {ACTIVE_FILL}; }}
.diagram g.node.active > polygon[fill="none"], .diagram g.node.active > path[fill="none"],
.diagram g.node.active > ellipse {{ stroke-width: 2.5px; }}
.diagram g.node.receiving polygon[fill="white"], .diagram g.node.receiving path[fill="white"],
.diagram g.node.receiving ellipse[fill="white"] {{ fill: {RECEIVING_FILL}; }}
table.grads {{ border-collapse: collapse; margin-top: .8em; }}
table.grads th, table.grads td {{ border: 1px solid #d0d7de; padding: .2em .7em; text-align: right; }}
table.grads tr.changed {{ background: {RECEIVING_FILL}; }}
"""

_SCRIPT = """
(() => {
  const data = JSON.parse(document.getElementById("frames").textContent);
  const words = data.words;
  const last = data.frames.length - 1;
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");
  const play = document.getElementById("play");
  const stepper = sweepStepper(data.frames, {}, {
    find: (id) => document.getElementById(id),
    nodes: (selector) => document.querySelectorAll(selector),
    caption: document.getElementById("caption"),
    counter: document.getElementById("counter"),
    prev,
    next,
    words,
  });
  // Graphviz anchors table text at its left edge; centre each slot on the place laid out for its widest text.
  document.querySelectorAll("text.slot").forEach((text) => {
    const box = text.getBBox();
    text.setAttribute("x", String(box.x + box.width / 2));
    text.setAttribute("text-anchor", "middle");
  });
  let timer = null;
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = words.play;
  }
  function show(i) {
    const frame = stepper.show(i);
    const current = stepper.current;
    // The table's rows whose derivative this step changed.
    document.querySelectorAll("table.grads tr").forEach((row) => row.classList.remove("changed"));
    if (current > 0) Object.keys(frame.texts).forEach((id) => {
      if (id.startsWith("row")) document.getElementById("tr" + id.slice(3)).classList.add("changed");
    });
    document.body.dataset.step = String(current);
    if (current === last) stop();
  }
  function toggle() {
    if (timer !== null) { stop(); return; }
    if (stepper.current === last) show(0);
    timer = setInterval(() => show(stepper.current + 1), DELAY);
    play.textContent = words.pause;
  }
  prev.addEventListener("click", () => { stop(); show(stepper.current - 1); });
  next.addEventListener("click", () => { stop(); show(stepper.current + 1); });
  play.addEventListener("click", toggle);
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowRight") { stop(); show(stepper.current + 1); }
    else if (event.key === "ArrowLeft") { stop(); show(stepper.current - 1); }
    else if (event.key === "Home") { stop(); show(0); }
    else if (event.key === "End") { stop(); show(last); }
    // Space on a focused button presses that button; elsewhere (or on a disabled one) it plays or pauses.
    else if (event.key === " " && !(event.target instanceof HTMLButtonElement && !event.target.disabled)) {
      toggle();
    }
    else return;
    event.preventDefault();
  });
  show(0);
})();
"""


def stepper_js() -> str:
    """The stepper the step-through pages and the live views both run (``scalargrad/viz/stepper.js``)."""
    from importlib import resources

    return resources.files("scalargrad.viz").joinpath("stepper.js").read_text(encoding="utf-8")


def _page(
    words: Mapping[str, str],
    lang: str,
    heading: str,
    legend: str,
    cost: str,
    svg: str,
    look: Look,
    frames: list[Frame],
    header: str,
) -> str:
    e = html.escape
    data = {
        "words": {key: words[key] for key in ("play", "pause", "counter")},
        "frames": [frame.json() for frame in frames],
    }
    # Inside <script>, "</" would end the element: JSON allows "<\\/" for it.
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    script = stepper_js() + _SCRIPT.replace("DELAY", json.dumps(1500))
    total = len(frames) - 1
    cost_html = f'<p class="cost">{cost}</p>' if cost else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scalargrad: {e(heading)}</title>
<style>{_STYLE}</style>
</head>
<body data-step="0">
<h1>{e(heading)}</h1>
<div class="controls">
<button id="prev" type="button">{words["prev"]}</button>
<button id="play" type="button">{words["play"]}</button>
<button id="next" type="button">{words["next"]}</button>
<span id="counter" aria-live="polite">{words["counter"].format(index=0, total=total)}</span>
<span class="keys">{words["keys"]}</span>
</div>
<p class="legend">{legend}</p>
{cost_html}
<div id="caption" aria-live="polite"></div>
<div class="diagram">{svg}</div>
{_table(look, words, header)}
<script type="application/json" id="frames">{payload}</script>
<script>{script}</script>
</body>
</html>
"""

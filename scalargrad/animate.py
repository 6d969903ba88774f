"""The backward pass as a page to step through: one diagram per step, in one HTML file.

`animate_backward` writes a self-contained page (inline SVG, CSS and script;
nothing is fetched from the network) that shows the graph once the forward
pass is done and then after each step of `backward_steps`: the node whose
turn it is in yellow, the inputs it sends gradients to in blue, and every
gradient as accumulated so far. Prev/Next/Play buttons and the keyboard
(← →, Space to play or pause, Home, End) move through it.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from scalargrad.engine import Value, consumers_first
from scalargrad.engine.steps import Step, backward_steps
from scalargrad.files import atomic_write_bytes
from scalargrad.viz import (
    ACTIVE_FILL,
    DATA_COLOR,
    GRAD_COLOR,
    RECEIVING_FILL,
    Look,
    draw,
    render,
    variable_names,
)


def animate_backward(
    root: Value,
    path: str | os.PathLike[str],
    *,
    names: Mapping[str, object] | None = None,
    rankdir: str = "LR",
    fmt: str = ".4g",
    grad: float = 1.0,
    title: str | None = None,
    max_nodes: int = 100,
) -> Path:
    """Write the step-through page of ``root.backward(grad)`` to ``path`` (atomically) and return it.

    ``names`` (e.g. ``locals()``), ``rankdir`` and ``fmt`` are as in `draw_dot`;
    ``title`` heads the page. The ``.grad`` fields of the graph are not
    touched: the gradients shown come from `backward_steps`. Every step redraws
    the whole graph, so graphs above ``max_nodes`` Values are refused.
    """
    if not isinstance(root, Value):
        raise TypeError(f"animate_backward() needs a Value as root, got {type(root).__name__}")
    order = consumers_first(root)
    if len(order) > max_nodes:
        raise ValueError(
            f"animate_backward(): the graph has {len(order)} Values, more than max_nodes={max_nodes}; "
            "every step redraws the whole graph, so animate a smaller piece (one neuron, say) or raise max_nodes"
        )
    known = variable_names(names)
    base = Look(fmt=fmt, names=known)
    steps = list(backward_steps(root, grad))
    grads = dict.fromkeys(order, 0.0)
    grads[root] = float(grad)
    frames = [_frame(0, root, base, grads, None, rankdir, len(steps))]
    for step in steps:
        for update in step.updates:
            grads[update.parent] = update.grad_after
        frames.append(_frame(step.index, root, base, grads, step, rankdir, len(steps)))
    heading = title if title is not None else f"backward from {base.name(root) or 'the output'}"
    page = _page(heading, frames)
    path = Path(path)
    atomic_write_bytes(path, page.encode("utf-8"))
    return path


def _frame(
    index: int, root: Value, base: Look, grads: Mapping[Value, float], step: Step | None, rankdir: str, total: int
) -> str:
    """One ``<section>``: caption, diagram and gradient table after ``index`` steps."""
    active = step.node if step else root
    receiving = frozenset(u.parent for u in step.updates) if step else frozenset()
    look = Look(
        fmt=base.fmt,
        names=base.names,
        grads=dict(grads),
        active=frozenset([active]),
        receiving=receiving,
        prefix=f"f{index}_",
    )
    graph, ids = draw(root, look, rankdir=rankdir)
    svg = _inline(render(graph, "svg").decode("utf-8"), look.prefix, ids[active])
    caption = _caption(look, root, step, total)
    rows = _grad_rows(look, root, receiving)
    hidden = " hidden" if index else ""
    return (
        f'<section class="frame" data-step="{index}" data-active="{ids[active]}"{hidden}>\n'
        f'<div class="caption">{caption}</div>\n<div class="diagram">{svg}</div>\n{rows}\n</section>'
    )


def _name(look: Look, value: Value) -> str:
    return look.name(value) or (f"({value.op})" if value.op else "(constant)")


def _caption(look: Look, root: Value, step: Step | None, total: int) -> str:
    """What happens at this step, in words and numbers."""
    e = html.escape
    if step is None:
        return (
            f"<b>Step 0 of {total}.</b> The forward pass is done. The backward pass starts at the output "
            f"<b>{e(_name(look, root))}</b>, whose gradient with respect to itself is "
            f"<b>{look.num(look.grad(root))}</b>; every other gradient starts at 0."
        )
    node = step.node
    items = "".join(
        f"<li><b>{e(_name(look, u.parent))}</b> += {look.num(step.upstream)} × {look.num(u.local)} "
        f"= {look.num(u.contribution)} → grad {look.num(u.grad_after)}</li>"
        for u in step.updates
    )
    done = " Every gradient is now complete." if step.index == total else ""
    return (
        f"<b>Step {step.index} of {total}:</b> node <b>{e(_name(look, node))}</b> (op <code>{e(node.op)}</code>). "
        f"Its gradient {look.num(step.upstream)} is complete, as every node that uses it went before. "
        f"It sends each input <i>upstream × local derivative</i>:{done}<ul>{items}</ul>"
    )


def _grad_rows(look: Look, root: Value, receiving: frozenset[Value]) -> str:
    """A table of every named Value's data and gradient so far (the inputs just updated marked)."""
    named = [v for v in reversed(consumers_first(root)) if look.name(v)]
    if not named:
        return '<p class="note">Label Values, or pass names=locals(), to list their gradients here.</p>'
    rows = []
    for v in named:
        name = html.escape(look.name(v))
        changed = ' class="changed"' if v in receiving else ""
        rows.append(
            f'<tr{changed}><th scope="row">{name}</th><td class="data">{look.num(v.data)}</td>'
            f'<td class="grad" data-name="{name}">{look.num(look.grad(v))}</td></tr>'
        )
    return (
        '<table class="grads"><thead><tr><th>value</th><th>data</th><th>grad so far</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _inline(svg: str, prefix: str, active: str) -> str:
    """An SVG document as an element of the page.

    Drops the XML declaration, DOCTYPE and comments; gives the ids Graphviz
    numbers itself (node3, edge2, graph0: the same in every frame) the frame's
    prefix, so ids are unique on the page; and marks the active node with the
    class "active" (older Graphviz does not write DOT's class attribute).
    """
    svg = re.sub(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\bid="(?!' + re.escape(prefix) + ")", f'id="{prefix}', svg)
    svg = svg.replace(f'<g id="{active}" class="node">', f'<g id="{active}" class="node active">')
    # Drawn at 1.5 times Graphviz's size (the viewBox keeps the proportions); CSS shrinks it to fit.
    svg = re.sub(
        r'<svg width="([\d.]+)pt" height="([\d.]+)pt"',
        lambda m: f'<svg width="{float(m[1]) * 1.5:g}pt" height="{float(m[2]) * 1.5:g}pt"',
        svg,
        count=1,
    )
    return svg.strip()


_STYLE = f"""
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #1f2328; }}
h1 {{ font-size: 1.3em; }}
.controls {{ display: flex; gap: .5em; align-items: center; flex-wrap: wrap; margin-bottom: .8em; }}
.controls button {{ font-size: 1em; padding: .3em .9em; }}
.keys, .legend {{ color: #57606a; font-size: .9em; }}
.legend .data {{ color: {DATA_COLOR}; }} .legend .grad {{ color: {GRAD_COLOR}; }}
.swatch {{ display: inline-block; width: .9em; height: .9em; border: 1px solid #888; vertical-align: middle; }}
.caption {{ min-height: 6.5em; }}
.caption ul {{ margin: .3em 0; }}
.diagram svg {{ max-width: 100%; height: auto; }}
table.grads {{ border-collapse: collapse; margin-top: .8em; }}
table.grads th, table.grads td {{ border: 1px solid #d0d7de; padding: .2em .7em; text-align: right; }}
table.grads td.data {{ color: {DATA_COLOR}; }} table.grads td.grad {{ color: {GRAD_COLOR}; }}
table.grads tr.changed {{ background: {RECEIVING_FILL}; }}
"""

_SCRIPT = """
(() => {
  const frames = Array.from(document.querySelectorAll("section.frame"));
  const last = frames.length - 1;
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");
  const play = document.getElementById("play");
  const counter = document.getElementById("counter");
  let current = 0;
  let timer = null;
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "\\u25b6 Play";
  }
  function show(i) {
    current = Math.max(0, Math.min(last, i));
    frames.forEach((frame, k) => { frame.hidden = k !== current; });
    counter.textContent = "step " + current + " of " + last;
    prev.disabled = current === 0;
    next.disabled = current === last;
    if (current === last) stop();
  }
  function toggle() {
    if (timer !== null) { stop(); return; }
    if (current === last) show(0);
    timer = setInterval(() => show(current + 1), DELAY);
    play.textContent = "\\u275a\\u275a Pause";
  }
  prev.addEventListener("click", () => { stop(); show(current - 1); });
  next.addEventListener("click", () => { stop(); show(current + 1); });
  play.addEventListener("click", toggle);
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowRight") { stop(); show(current + 1); }
    else if (event.key === "ArrowLeft") { stop(); show(current - 1); }
    else if (event.key === "Home") { stop(); show(0); }
    else if (event.key === "End") { stop(); show(last); }
    // Space on a focused button presses that button; elsewhere it plays or pauses.
    else if (event.key === " " && !(event.target instanceof HTMLButtonElement)) { toggle(); }
    else return;
    event.preventDefault();
  });
  show(0);
})();
"""


def _page(title: str, frames: list[str]) -> str:
    e = html.escape
    script = _SCRIPT.replace("DELAY", json.dumps(1200))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scalargrad: {e(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Backpropagation step by step: {e(title)}</h1>
<div class="controls">
<button id="prev" type="button">\u25c0 Prev</button>
<button id="play" type="button">\u25b6 Play</button>
<button id="next" type="button">Next \u25b6</button>
<span id="counter" aria-live="polite">step 0 of {len(frames) - 1}</span>
<span class="keys">keys: \u2190 \u2192 step, Space play/pause, Home/End</span>
</div>
<p class="legend"><span class="data">data</span> is each value from the forward pass,
<span class="grad">grad</span> the gradient of the output with respect to it, as accumulated so far;
<span class="swatch" style="background:{ACTIVE_FILL}"></span> the node whose turn it is,
<span class="swatch" style="background:{RECEIVING_FILL}"></span> the inputs it sends gradients to.</p>
<main>
{chr(10).join(frames)}
</main>
<script>{script}</script>
</body>
</html>
"""

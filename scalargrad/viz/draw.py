"""`draw_dot`: the graph under a Value as a Graphviz diagram, with every value and gradient.

The drawing is deterministic: nodes are numbered in `reading_order` (inputs
first, the first operand's subtree before the second's, so the first operand
is drawn on top), and the same expression gives the same DOT text every
time. Big graphs can be folded into one box per neuron or layer
(``collapse=``), and are refused beyond ``max_nodes`` rather than left to
``dot`` for minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from scalargrad.engine import NodeNames, Value, reading_order
from scalargrad.marks import mark_of
from scalargrad.viz.grouping import Box, Group, boxes
from scalargrad.viz.labels import Look, check_fmt, html_text
from scalargrad.viz.palette import FONT
from scalargrad.viz.render import FORMATS, Diagram, check_dpi
from scalargrad.viz.styles import Circuit, Nodes
from scalargrad.viz.text import texts

RANKDIRS = ("LR", "RL", "TB", "BT")
STYLES = ("nodes", "circuit")
COLLAPSES = ("neuron", "layer")

Style = Literal["nodes", "circuit"]
Collapse = Literal["neuron", "layer"] | None


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    style: Style = "nodes",
    fmt: str = ".4g",
    names: Mapping[str, object] | None = None,
    max_nodes: int = 500,
    collapse: Collapse = None,
    group: Group | None = None,
    highlight: Value | Iterable[Value] | None = None,
    fontsize: float = 11,
    dpi: float | None = None,
    title: str = "",
    lang: str = "en",
) -> Diagram:
    """Draw the graph under ``root`` with its values and gradients.

    Args:
        root: the output Value; everything it was computed from is drawn.
        format: the format graphviz's own ``.render()`` and ``.view()`` write
            ("svg", "png", "pdf"), as in micrograd's ``draw_dot(root,
            format='svg', rankdir='LR')``; `save` takes it from the file name.
        rankdir: "LR" (inputs on the left), "TB" (inputs on top), "RL" or "BT".
        style: "nodes" (a box per Value, a circle per op) or "circuit" (ops as
            gates, value above and gradient below each wire, as in CS231n).
        fmt: format spec for numbers, e.g. ".4g" or ".2f".
        names: a mapping such as ``locals()``: unlabeled Values found in it are
            drawn with their variable name (their ``.label`` is left alone).
            Other unlabeled Values are ``out`` (the root) and ``t1, t2, ...``,
            as `backward_steps` names them (`scalargrad.engine.NodeNames`).
        max_nodes: refuse (ValueError) to draw more boxes than this.
        collapse: "neuron" or "layer" folds each neuron or layer of
            `scalargrad.nn` into one box showing its output value and gradient.
        group: how to tell which module made a Value, for ``collapse``; by
            default the marks `scalargrad.nn` leaves (`scalargrad.marks.mark_of`).
        highlight: Value(s) to draw with a yellow background.
        fontsize: the text size in points (11 by default; 14 or more for slides).
        dpi: the resolution of this diagram as a PNG (`render`, `save`): 96 by
            default, 192 for twice the pixels. SVG and PDF are the same at any size.
        title: a line drawn above the diagram (say what it shows).
        lang: "en" or "ja": the words the diagram writes (``data``/``値``,
            ``grad``/``勾配``, the circuit's legend).

    Returns:
        A `Diagram` (a `graphviz.Digraph`): ``.source`` is the DOT text, a
        notebook displays it, `save` writes it to a file.
    """
    highlighted = frozenset([highlight] if isinstance(highlight, Value) else highlight or ())
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot() needs a Value as root, got {type(root).__name__}")
    look = Look(
        names=NodeNames(root, names),
        fmt=fmt,
        active=highlighted,
        fontsize=check_fontsize(fontsize),
        every_name=style == "nodes",
        words=texts(lang, "draw_dot"),
    )
    graph = draw(root, look, rankdir=rankdir, style=style, max_nodes=max_nodes, collapse=collapse, group=group)[0]
    _check_choice("format", format, [f for f in FORMATS if f != "dot"])
    graph.format = format
    graph.dpi = None if dpi is None else check_dpi(dpi, "draw_dot")
    if title:
        graph.attr(label=f"<<b>{html_text(title)}</b>>", labelloc="t", labeljust="l", fontsize=f"{look.fontsize:g}")
    return graph


def check_fontsize(fontsize: object, who: str = "draw_dot") -> float:
    """``fontsize`` in points, or ValueError: between 4 and 72."""
    if isinstance(fontsize, bool) or not isinstance(fontsize, int | float) or not 4 <= fontsize <= 72:
        raise ValueError(f"{who}(fontsize={fontsize!r}): give a text size between 4 and 72 points (default 11)")
    return float(fontsize)


def draw(
    root: Value,
    look: Look,
    *,
    rankdir: str = "LR",
    style: str = "nodes",
    max_nodes: int = 500,
    collapse: str | None = None,
    group: Group | None = None,
) -> tuple[Diagram, dict[Value, str]]:
    """`draw_dot` with every knob (the pages use it): the diagram and each shown Value's node id."""
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot() needs a Value as root, got {type(root).__name__}")
    _check_choice("rankdir", rankdir, RANKDIRS)
    _check_choice("style", style, STYLES)
    if collapse is not None:
        _check_choice("collapse", collapse, COLLAPSES)
    check_fmt(look.fmt)
    boxes_, where = boxes(reading_order(root), collapse, group or mark_of)
    if len(boxes_) > max_nodes:
        hint = "collapse='layer'" if collapse == "neuron" else "collapse='neuron' or collapse='layer'"
        raise ValueError(
            f"draw_dot(): the graph has {len(boxes_)} nodes to draw, more than max_nodes={max_nodes}; "
            f"dot would take minutes and the picture would be unreadable. For networks pass {hint} "
            f"(one box per neuron or layer of scalargrad.nn), or raise max_nodes."
        )
    size = f"{look.fontsize:g}"
    graph = Diagram(
        name="scalargrad",
        graph_attr={
            "rankdir": rankdir,
            "bgcolor": "white",
            "nodesep": "0.25",
            "ranksep": "0.35",
            # Each op's inputs in operand order (w0 above x0), not wherever dot likes.
            "ordering": "in",
            "fontname": FONT,
            "fontsize": size,
        },
        node_attr={"fontname": FONT, "fontsize": size},
        edge_attr={"fontname": FONT, "fontsize": size, "arrowsize": "0.7", "color": "#444444"},
    )
    drawer = (Circuit if style == "circuit" else Nodes)(graph, look, rankdir, boxes_, where)
    for box in boxes_:
        drawer.box(box)
    drawer.finish(root)
    return graph, _shown(boxes_, where, look)


def _shown(boxes_: list[Box], where: Mapping[Value, Box], look: Look) -> dict[Value, str]:
    return {v: look.prefix + box.id for v, box in where.items() if v in box.heads}


def _check_choice(what: str, value: object, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"draw_dot({what}={value!r}): choose one of {', '.join(map(repr, choices))}")

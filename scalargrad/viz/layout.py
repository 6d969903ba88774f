"""A graph laid out once, with a stable id on every number, for a page to update in place.

`Layout` draws the graph with slots (`scalargrad.viz.labels.Slots`) where the
numbers go, and `Layout.svg` renders it with Graphviz *once*: each slot is
laid out with the widest text it will ever hold, and comes out as an SVG
``<text class="slot" id="...">`` element. A page (or any live view: a
notebook widget, a training monitor) then changes only those texts and a few
classes, so nothing moves or changes size from one step to the next.

The ids, for a node drawn with id ``N`` (``Layout.nodes[value]``):

* ``N-d``: the value, ``N-g``: its gradient or tangent (``nodes`` style;
  a circuit's inputs used more than once have ``N-g`` for their total);
* ``Nw{k}-p``: the local partial derivative on the wire into operand ``k``;
* ``Nw{k}-d`` and ``Nw{k}-g``: a circuit wire's value and the share sent along it.

`Layout.slots` says what each id stands for: ``(value_or_wire, kind)``.
"""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

from scalargrad.engine import Value, reading_order
from scalargrad.viz.draw import draw
from scalargrad.viz.labels import MARKER, Look, Slots, html_text
from scalargrad.viz.render import render

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
#: Beyond this many rank steps along the edges (see `spans`), dot is told to place nodes quickly rather than best.
BIG = 600
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)


class Layout:
    """The graph under ``root`` drawn with slots; `svg` lays it out once the slots' texts are known."""

    def __init__(
        self, root: Value, look: Look, *, rankdir: str = "LR", style: str = "nodes", max_nodes: int = 500
    ) -> None:
        if look.slots is None:
            raise ValueError("Layout needs a Look with slots")
        self.look = look
        graph, self.nodes = draw(root, look, rankdir=rankdir, style=style, max_nodes=max_nodes)
        if spans(root) > BIG:
            # dot spends almost all its time on such a graph placing nodes along the ranks (network simplex,
            # over a node per rank an edge crosses); a few iterations there take a 2,000-node graph from 36 s
            # to 3, and a 30-step recurrence reading x at every step from 45 s to 4, looser but readable.
            graph.graph_attr["nslimit"] = "0.05"
        self.source: str = graph.source
        self.slots: Mapping[str, tuple[Value | tuple[Value, int], str]] = look.slots.owner

    def svg(self, texts: Mapping[str, Iterable[str]]) -> str:
        """The laid-out SVG element, each slot sized for the widest of the texts it will show.

        ``texts`` gives, for each slot id, every text it will hold. A slot
        holds its widest text until a script says otherwise, so that the
        script can measure where that text was laid out (its centre) first.
        """
        widest = {slot: max(texts.get(slot, [""]), key=_width, default="") for slot in self.slots}
        source = MARKER.sub(lambda m: html_text(widest[m[1]]), self.source)
        document = ET.fromstring(render(source, "svg"))
        parents = {child: parent for parent in document.iter() for child in parent}
        _unwrap_slots(parents, widest)
        for title in list(document.iter(f"{{{SVG}}}title")):
            parents[title].remove(title)  # hover tooltips naming internal node ids
        return ET.tostring(document, encoding="unicode")


def spans(root: Value) -> int:
    """How many ranks the graph's edges cross in all, about: what dot's placement costs grow with.

    A node's rank is its depth (the longest path from an input); an edge
    from depth 2 to depth 9 crosses 7 ranks, and dot adds a hidden node in
    each. An input that many ops far apart read (``x`` in every step of a
    recurrence) makes this large even in a small graph.
    """
    depth: dict[Value, int] = {}
    total = 0
    for node in reading_order(root):
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
        total += sum(depth[node] - depth[p] for p in node.parents)
    return total


def _width(text: str) -> float:
    """A text's width in digit widths, near enough to pick the widest of a slot's texts."""
    narrow = ".,-:;|ilI1 ()"
    return sum(2.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 if ch in narrow else 1.0 for ch in text)


def _unwrap_slots(parents: dict[ET.Element, ET.Element], widest: Mapping[str, str]) -> None:
    """Graphviz draws a slot's cell as ``<g><a xlink:href="#slot"><text>``: make it ``<text id="slot">``."""
    for group in [g for g in parents if g.tag == f"{{{SVG}}}g"]:
        link = group.find(f"{{{SVG}}}a")
        href = link.get(f"{{{XLINK}}}href", "") if link is not None else ""
        if link is None or not href.startswith("#"):
            continue
        slot = href[1:]
        parent = parents[group]
        position = list(parent).index(group)
        parent.remove(group)
        texts = [child for child in link if child.tag == f"{{{SVG}}}text"]
        for child in link:
            if child.tag != f"{{{SVG}}}text":
                parent.insert(position, child)
                position += 1
        if texts:
            text = texts[0]
            text.set("id", slot)
            text.set("class", "slot")
            text.text = widest.get(slot, "")
            parent.insert(position, text)


__all__ = ["Layout", "Slots"]

"""The two styles: micrograd's boxes and circles, and the CS231n circuit of gates and wires.

Both draw the same `Box` list (`scalargrad.viz.grouping`) with the same `Look`
(`scalargrad.viz.labels`); they differ only in what a box and a wire look like.
When the look has slots (a step-through page), every number that a page
changes is drawn as a slot with a stable id: ``{node}-d`` (a value),
``{node}-g`` (its gradient or tangent), and for the wire into operand ``k``
of a node ``{node}w{k}-d``, ``{node}w{k}-g`` (the share sent along it) and
``{node}w{k}-p`` (the local partial derivative).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import graphviz  # type: ignore[import-untyped]

from scalargrad.engine import Value
from scalargrad.viz.grouping import Box
from scalargrad.viz.labels import Look, html_text, op_text, table
from scalargrad.viz.palette import DATA_COLOR, GRAD_COLOR, NOTE_COLOR

# Ops whose inputs can be swapped without changing anything: no operand numbers on their edges.
_COMMUTATIVE = frozenset({"+", "*", "sum"})
# Where a wire enters and leaves the label it passes through, for each rankdir.
_WIRE_ENDS = {"LR": ("w", "e"), "RL": ("e", "w"), "TB": ("n", "s"), "BT": ("s", "n")}
_EDGE_COLOR = "#444444"
# The cell that is the wire inside a circuit's wire label: a border in the edges' colour, nothing else.
_WIRE_CELL = f'cellpadding="0" border="1" color="{_EDGE_COLOR}"'


class Style:
    """What both styles share: node ids, module boxes, and how edges find their source."""

    def __init__(
        self, graph: graphviz.Digraph, look: Look, rankdir: str, boxes: list[Box], where: Mapping[Value, Box]
    ) -> None:
        self.graph = graph
        self.look = look
        self.rankdir = rankdir
        self.where = where
        # How many wires leave each Value (two for the a in a + a).
        self.uses = Counter(v for box in boxes for v in box.inputs if not box.folded)
        self.uses.update(v for box in boxes if box.folded for v in box.inputs)

    def node_id(self, box: Box) -> str:
        return self.look.prefix + box.id

    def source(self, value: Value) -> str:
        """The node an edge carrying ``value`` starts from (a folded box as a whole: every neuron feeds on)."""
        return self.node_id(self.where[value])

    def node(self, box: Box, label: str, **attrs: str) -> None:
        node_id = self.node_id(box)
        if self.look.prefix:
            attrs["id"] = node_id  # lands in the SVG, where the page's script looks for it
        self.graph.node(node_id, label=label, **attrs)

    def name_row(self, value: Value) -> list[str]:
        """The name in bold if it is the Value's own, in grey if generated (``t1``); nothing if not shown."""
        name = self.look.name(value)
        if not name:
            return []
        if self.look.given(value):
            return [f"<tr><td><b>{html_text(name)}</b></td></tr>"]
        return [f'<tr><td><font color="{NOTE_COLOR}">{html_text(name)}</font></td></tr>']

    def module_label(self, box: Box) -> str:
        """A folded neuron or layer: its name, its output value(s) and gradient(s), and what it stands for."""
        look = self.look
        fill = next((look.fill(v) for v in box.heads if look.fill(v)), "")
        n = len(box.members)
        count = f"<tr><td>{look.note(f'{n} node' + 's' * (n != 1))}</td></tr>"
        rows = [f"<tr><td><b>{html_text(box.title)}</b></td></tr>"]
        if len(box.heads) == 1:
            head = box.heads[0]
            rows += [f"<tr><td>{look.data(head)}</td></tr>", f"<tr><td>{look.grad_font(head)}</td></tr>"]
        else:
            for head in box.heads:
                short = str(head.label).rpartition(".")[2]
                text = f"{html_text(short)}  {look.data(head)}  {look.grad_font(head)}"
                rows.append(f'<tr><td align="left">{text}</td></tr>')
        rows.append(count)
        return table(rows, fill=fill)

    def module_edges(self, box: Box) -> None:
        """Edges into a folded box: one per source box, labelled with how many weights it stands for.

        A layer reads every output of the layer before it, so one arrow from
        box to box (not one per neuron, which would read as neuron i feeding
        neuron i only) says "fully connected", and its label says how many
        weights carry it.
        """
        counts: dict[str, int] = {}
        for value in box.inputs:
            source = self.source(value)
            counts[source] = counts.get(source, 0) + box.uses[value]
        for source, count in counts.items():
            label = self.look.note(f"{count} {self.look.words['weights']}") if count > 1 else ""
            attrs = {"label": f"<{label}>"} if label else {}
            self.graph.edge(source, self.node_id(box), **attrs)

    def box(self, box: Box) -> None:
        raise NotImplementedError

    def finish(self, root: Value) -> None:
        """Anything drawn after all boxes (the circuit's output wire and legend)."""


class Nodes(Style):
    """micrograd's picture: a box per Value, a circle per op."""

    def box(self, box: Box) -> None:
        if box.folded:
            self.node(box, self.module_label(box), shape="plain")
            self.module_edges(box)
            return
        value = box.heads[0]
        look = self.look
        nid = self.node_id(box)
        rows = self.name_row(value)
        rows.append(f"<tr>{look.cell(look.data(value, f'{nid}-d'), f'{nid}-d')}</tr>")
        rows.append(f"<tr>{look.cell(look.grad_font(value, f'{nid}-g'), f'{nid}-g')}</tr>")
        self.node(box, table(rows, fill=look.fill(value)), shape="plain")
        if not value.parents:
            return
        op_id = nid + "op"
        attrs = {"id": op_id} if look.prefix else {}
        self.graph.node(
            op_id, label=f"<{html_text(op_text(value))}>", shape="circle", width="0.3", margin="0.02", **attrs
        )
        self.graph.edge(op_id, nid)
        # Operand numbers where order matters (b / d); a + a needs none: its two edges show.
        numbered = len(value.parents) > 1 and value.op not in _COMMUTATIVE
        for k, parent in enumerate(value.parents):
            parts = [str(k)] if numbered else []
            edge: dict[str, str] = {}
            if look.slots is not None:
                slot = f"{nid}w{k}-p"
                parts.append(look.slots.text(slot, (value, k), "partial"))
                edge["id"] = f"{nid}w{k}"
            if parts:
                cell = look.cell(look.note("  ".join(parts)), f"{nid}w{k}-p")
                edge["label"] = f'<<table border="0" cellpadding="0" cellspacing="0"><tr>{cell}</tr></table>>'
            self.graph.edge(self.source(parent), op_id, **edge)


class Circuit(Style):
    """The CS231n picture: gates, inputs lined up on the left, wires with the value above and the gradient below."""

    def __init__(
        self, graph: graphviz.Digraph, look: Look, rankdir: str, boxes: list[Box], where: Mapping[Value, Box]
    ) -> None:
        super().__init__(graph, look, rankdir, boxes, where)
        self.leaves: list[str] = []

    def box(self, box: Box) -> None:
        look = self.look
        if box.folded:
            self.node(box, self.module_label(box), shape="plain")
            single = [v for v in box.inputs if not self.where[v].folded]
            for k, value in enumerate(single):
                self.wire(f"{self.node_id(box)}w{k}", value, self.node_id(box), None, sent=box)
            bundled = Box(box.id, box.heads, box.title, box.members, [v for v in box.inputs if v not in single])
            bundled.uses = box.uses
            self.module_edges(bundled)
            return
        value = box.heads[0]
        if not value.parents:
            self.leaf(box)
            return
        fill = look.fill(value)
        self.node(
            box, f"<{html_text(op_text(value))}>", shape="circle", width="0.4", margin="0.02",
            style="filled", fillcolor=fill or "white",
        )
        for k, parent in enumerate(value.parents):
            self.wire(f"{self.node_id(box)}w{k}", parent, self.node_id(box), (value, k))

    def leaf(self, box: Box) -> None:
        """An input, written as its name on the left; with fan-out, its total gradient too."""
        value = box.heads[0]
        look = self.look
        nid = self.node_id(box)
        rows = self.name_row(value)
        if self.uses[value] > 1:
            rows.append(f"<tr>{look.cell(look.grad_font(value, f'{nid}-g'), f'{nid}-g')}</tr>")
        if not rows:
            rows.append(f"<tr><td>{look.note(look.words['const'])}</td></tr>")
        self.node(box, table(rows, fill=look.fill(value), border=0), shape="plain")
        self.leaves.append(nid)

    def wire(
        self, wire_id: str, value: Value, head: str, operand: tuple[Value, int] | None, sent: Box | None = None
    ) -> None:
        """An edge broken by a label node whose middle row is the wire itself.

        The edge enters the middle cell on one side and leaves on the other,
        and that cell draws a line in the edges' colour between them, wider
        than the numbers, so the wire runs on through with the value above it
        and the gradient below it (left and right of it when rankdir is TB or
        BT, the gradient then marked ``grad``).
        """
        look = self.look
        grad = self._share(value, operand, sent)
        data = look.wire_data_text(value)
        share = look.num(grad)
        vertical = self.rankdir in ("TB", "BT")
        if vertical:
            share = f"{look.words['grad']} {share}"
        if look.slots is not None:
            data = look.slots.text(f"{wire_id}-d", value, "wire-data")
            share = look.slots.text(f"{wire_id}-g", operand or value, "share-v" if vertical else "share")
        data_cell = look.cell(f'<font color="{DATA_COLOR}">{html_text(data)}</font>', f"{wire_id}-d")
        grad_cell = look.cell(f'<font color="{GRAD_COLOR}">{html_text(share)}</font>', f"{wire_id}-g")
        partial = ""
        if look.slots is not None and operand is not None:
            partial = look.cell(look.note(look.slots.text(f"{wire_id}-p", operand, "partial")), f"{wire_id}-p")
        if not vertical:
            # The wire runs a little beyond the numbers on both sides, so they read as above and below
            # a wire, not as the two halves of a fraction.
            pad = '<td width="8"></td>'
            line = f'<td port="m" colspan="3" height="1" {_WIRE_CELL} sides="b"></td>'
            rows = f"<tr>{pad}{data_cell}{pad}</tr><tr>{line}</tr><tr>{pad}{grad_cell}{pad}</tr>"
            rows += f"<tr>{pad}{partial}{pad}</tr>" if partial else ""
            attrs = ' cellpadding="1"'
        else:
            line = f'<td port="m" width="1" {_WIRE_CELL} sides="r"></td>'
            rows = f"<tr>{data_cell}{line}{grad_cell}</tr>"
            rows += f"<tr><td></td><td></td>{partial}</tr>" if partial else ""
            attrs = ' cellpadding="2"'
        label = f'<<table border="0" cellspacing="0"{attrs}>{rows}</table>>'
        node = look.prefix + wire_id if not wire_id.startswith(look.prefix) else wire_id
        self.graph.node(node, label=label, shape="plain")
        enter, leave = _WIRE_ENDS[self.rankdir]
        self.graph.edge(self.source(value), f"{node}:m:{enter}", arrowhead="none")
        self.graph.edge(f"{node}:m:{leave}", head)

    def _share(self, value: Value, operand: tuple[Value, int] | None, sent: Box | None) -> float:
        """The gradient sent back along a wire: upstream × the local partial, by the chain rule.

        A folded box sends the sum over its members' uses of the input; the
        output wire carries the root's own gradient.
        """
        look = self.look
        if operand is not None:
            node, k = operand
            return look.grad(node) * node.partials[k]
        if sent is not None:
            return sum(
                look.grad(member) * local
                for member in sent.members
                for parent, local in zip(member.parents, member.partials)
                if parent is value
            )
        return look.grad(value)

    def finish(self, root: Value) -> None:
        """The output wire (the root's value and its gradient), the inputs in one column, and a legend."""
        look = self.look
        out = look.prefix + "out"
        self.graph.node(out, label=f"<<b>{html_text(look.names(root))}</b>>", shape="plaintext")
        self.wire(look.prefix + "outw", root, out, None)
        if self.leaves:
            with self.graph.subgraph(name=f"{look.prefix}inputs") as column:
                column.attr(rank="min")
                for leaf in self.leaves:
                    column.node(leaf)
        key = "legend_vertical" if self.rankdir in ("TB", "BT") else "legend"
        if look.slots is None:
            legend = look.note(look.words[key])
        else:  # a slot, as a page says something else below the wires while it steps forward
            slot = look.prefix + "legend"
            note = look.note(look.slots.text(slot, root, key))
            legend = f'<table border="0" cellborder="0" cellpadding="0"><tr>{look.cell(note, slot)}</tr></table>'
        self.graph.attr(label=f"<{legend}>", labelloc="b", labeljust="l")

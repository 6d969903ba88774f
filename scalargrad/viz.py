"""Diagrams of computation graphs: every value, every gradient, every op between them.

`draw_dot` turns the graph under a `Value` into a Graphviz diagram, in one of two styles:

* ``style="nodes"`` (micrograd's picture): each Value is a box with its label in
  bold, ``data`` in green and ``grad`` in red (words as well as colours, for
  colour-blind readers); each op is a small circle between its inputs and its output.
* ``style="circuit"`` (the CS231n picture of seed 000): ops are gates, inputs are
  names on the left, and each wire carries the value flowing forward above it
  (green) and the gradient flowing back along it below (red). Where a value
  fans out, each wire shows its own share: the value's gradient is their sum.

The drawing is deterministic: node ids follow a topological order and inputs
keep their operand order, so the same expression gives the same DOT text every
time (``a + a`` draws two edges). Big graphs can be folded into one box per
neuron or layer of `scalargrad.nn` (``collapse=``), and are refused beyond
``max_nodes`` rather than left to ``dot`` for minutes.

Rendering (`render`, `save`, and inline display in Jupyter) uses Graphviz's
``dot`` program when it is on PATH, else pygraphviz in-process (``pip install
scalargrad[render]``: its wheels bundle Graphviz), else raises `GraphvizNotFound`
with install hints; a notebook then shows the DOT text and the hints instead.
"""

from __future__ import annotations

import html
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import graphviz  # type: ignore[import-untyped]

from scalargrad.engine import Value, consumers_first
from scalargrad.files import atomic_write_bytes

DATA_COLOR = "#1a7f37"  # green: values flowing forward
GRAD_COLOR = "#cf222e"  # red: gradients flowing back
ACTIVE_FILL = "#ffe08a"  # the node whose turn it is (step-through, highlight=)
RECEIVING_FILL = "#d6e8ff"  # the inputs it is sending gradients to
NOTE_COLOR = "#57606a"
FONT = "Helvetica,Arial,sans-serif"

FORMATS = ("svg", "png", "pdf", "dot")
RANKDIRS = ("LR", "RL", "TB", "BT")
STYLES = ("nodes", "circuit")
COLLAPSES = ("neuron", "layer")
# Ops whose inputs can be swapped without changing anything: no operand numbers on their edges.
_COMMUTATIVE = frozenset({"+", "*", "sum"})

Style = Literal["nodes", "circuit"]
Collapse = Literal["neuron", "layer"] | None

INSTALL_HINT = """\
Drawing needs Graphviz: either its `dot` program on PATH, or the pygraphviz package.
Install one of them:
  pip install "scalargrad[render]"          pygraphviz; its wheels bundle Graphviz, nothing else needed
  Debian/Ubuntu:  sudo apt install graphviz
  macOS:          brew install graphviz
  Windows:        winget install graphviz   (then open a new terminal so PATH includes Graphviz)
  conda:          conda install -c conda-forge graphviz
`scalargrad doctor` shows which renderer works. Without one, DOT text still saves: save(root, "graph.dot")."""


class GraphvizNotFound(RuntimeError):  # noqa: N818 - named like graphviz.ExecutableNotFound
    """Neither Graphviz's ``dot`` program nor pygraphviz is available to render a diagram."""

    def __init__(self, message: str = INSTALL_HINT) -> None:
        super().__init__(message)


# ---------------------------------------------------------------------------
# The diagram object: a graphviz.Digraph that displays itself with a fallback.
# ---------------------------------------------------------------------------


class Diagram(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no type information
    """A `graphviz.Digraph` that renders in Jupyter through `render`'s fallbacks.

    A notebook shows it as SVG; with no renderer installed it shows the DOT
    text and the install hints instead of a traceback.
    """

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **_: Any
    ) -> dict[str, str]:
        try:
            bundle = {"image/svg+xml": render(self, "svg").decode("utf-8")}
        except GraphvizNotFound as missing:
            return Unrendered(self.source, str(missing))._repr_mimebundle_(include, exclude)
        return _select(bundle, include, exclude)

    def _repr_svg_(self) -> str | None:
        # Notebooks ask every _repr_*_ method; None (not an exception) means "not available".
        try:
            return render(self, "svg").decode("utf-8")
        except GraphvizNotFound:
            return None


class Unrendered:
    """What a notebook shows when nothing can render: the DOT text and how to get pictures."""

    def __init__(self, source: str, hint: str = INSTALL_HINT) -> None:
        self.source = source
        self.hint = hint

    def _repr_html_(self) -> str:
        return (
            '<div class="scalargrad-unrendered"><p><b>No Graphviz renderer found</b>: showing the DOT text.</p>'
            f"<pre>{html.escape(self.hint)}</pre><details><summary>DOT source</summary>"
            f"<pre>{html.escape(self.source)}</pre></details></div>"
        )

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **_: Any
    ) -> dict[str, str]:
        return _select({"text/html": self._repr_html_(), "text/plain": repr(self)}, include, exclude)

    def __repr__(self) -> str:
        return f"{self.hint}\n\n{self.source}"


def _select(bundle: dict[str, str], include: Iterable[str] | None, exclude: Iterable[str] | None) -> dict[str, str]:
    keep = set(bundle) if include is None else set(include)
    keep -= set(exclude or ())
    return {mime: data for mime, data in bundle.items() if mime in keep}


# ---------------------------------------------------------------------------
# Rendering and saving.
# ---------------------------------------------------------------------------


def render(graph: graphviz.Digraph | str, format: str = "svg") -> bytes:
    """The diagram (a Digraph or DOT text) rendered as ``format``: svg, png, pdf or dot.

    Tries Graphviz's ``dot`` program, then pygraphviz; raises `GraphvizNotFound`
    when neither is there. Everything happens in memory: no files are written.
    """
    if format not in FORMATS:
        raise ValueError(f"render(): unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    source = graph if isinstance(graph, str) else graph.source
    if format == "dot":
        return source.encode("utf-8")
    try:
        data: bytes = graphviz.pipe("dot", format, source.encode("utf-8"), quiet=True)
        return data
    except graphviz.ExecutableNotFound:
        pass
    try:
        import pygraphviz  # type: ignore[import-untyped]  # optional: only needed when dot is missing
    except ImportError:
        raise GraphvizNotFound() from None
    data = pygraphviz.AGraph(string=source).draw(format=format, prog="dot")
    return data


def save(root_or_graph: Value | graphviz.Digraph | str, path: str | os.PathLike[str], **options: Any) -> Path:
    """Draw (if given a Value) and write the diagram to ``path``; its suffix picks the format.

    ``.svg``, ``.png``, ``.pdf`` or ``.dot``; ``options`` go to `draw_dot`. The file
    is rendered in memory first and then written atomically, so a failure
    leaves neither a half-written file nor a stray intermediate one.
    """
    path = Path(path)
    fmt = format_for(path)
    if isinstance(root_or_graph, Value):
        graph: graphviz.Digraph | str = draw_dot(root_or_graph, **options)
    elif options:
        raise TypeError(f"save(): drawing options {sorted(options)} only apply when given a Value to draw")
    else:
        graph = root_or_graph
    atomic_write_bytes(path, render(graph, fmt))
    return path


def format_for(path: str | os.PathLike[str]) -> str:
    """The output format a file name asks for, from its suffix."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"cannot tell the diagram format from {os.fspath(path)!r}: use a .svg, .png, .pdf or .dot file name"
        )
    return fmt


@dataclass(frozen=True)
class RendererStatus:
    """Which renderers work here (what `scalargrad doctor` reports)."""

    dot: str | None  # `dot` version, e.g. "2.43.0", or None when it is not on PATH
    pygraphviz: str | None  # pygraphviz version when it imports and renders, else None
    pygraphviz_error: str | None = None

    @property
    def renderer(self) -> str | None:
        """What `render` will use: "dot", "pygraphviz" or None."""
        return "dot" if self.dot else "pygraphviz" if self.pygraphviz else None


def renderer_status() -> RendererStatus:
    """Probe the ``dot`` program and pygraphviz by actually running them on a tiny graph."""
    try:
        dot: str | None = ".".join(map(str, graphviz.version()))
    except (graphviz.ExecutableNotFound, RuntimeError, OSError):
        dot = None
    try:
        import pygraphviz

        pygraphviz.AGraph(string="digraph { a -> b }").draw(format="svg", prog="dot")
        return RendererStatus(dot, str(pygraphviz.__version__))
    except Exception as error:  # any failure means "does not work here"; say why
        return RendererStatus(dot, None, f"{type(error).__name__}: {error}")


# ---------------------------------------------------------------------------
# Drawing.
# ---------------------------------------------------------------------------


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    style: Style = "nodes",
    fmt: str = ".4g",
    names: Mapping[str, object] | None = None,
    max_nodes: int = 500,
    collapse: Collapse = None,
    highlight: Value | Iterable[Value] | None = None,
) -> Diagram:
    """Draw the graph under ``root`` with its values and gradients.

    Args:
        root: the output Value; everything it was computed from is drawn.
        rankdir: "LR" (inputs on the left), "TB" (inputs on top), "RL" or "BT".
        style: "nodes" (a box per Value, a circle per op) or "circuit" (ops as
            gates, value above and gradient below each wire, as in CS231n).
        fmt: format spec for numbers, e.g. ".4g" or ".2f".
        names: a mapping such as ``locals()``: unlabeled Values found in it are
            drawn with their variable name (their ``.label`` is left alone).
        max_nodes: refuse (ValueError) to draw more boxes than this.
        collapse: "neuron" or "layer" folds each neuron or layer of
            `scalargrad.nn` into one box showing its output value and gradient.
        highlight: Value(s) to draw with a yellow background.

    Returns:
        A `Diagram` (a `graphviz.Digraph`): ``.source`` is the DOT text, a
        notebook displays it, `save` writes it to a file.
    """
    highlighted = frozenset([highlight] if isinstance(highlight, Value) else highlight or ())
    look = Look(fmt=fmt, names=variable_names(names), active=highlighted)
    return draw(root, look, rankdir=rankdir, style=style, max_nodes=max_nodes, collapse=collapse)[0]


@dataclass(frozen=True)
class Look:
    """How values are shown: number format, names, gradients and highlighting.

    ``grads`` overrides the ``.grad`` fields (the step-through shows gradients
    accumulated so far); ``prefix`` goes before every node id and, when set,
    ids and classes are written into the SVG so a page can find the nodes.
    """

    fmt: str = ".4g"
    names: Mapping[int, str] = field(default_factory=dict)  # id(Value) -> variable name
    grads: Mapping[Value, float] | None = None
    active: frozenset[Value] = frozenset()
    receiving: frozenset[Value] = frozenset()
    prefix: str = ""

    def num(self, x: float) -> str:
        return format(x + 0.0, self.fmt)  # + 0.0 turns -0.0 into 0.0

    def grad(self, value: Value) -> float:
        return value.grad if self.grads is None else self.grads.get(value, 0.0)

    def name(self, value: Value) -> str:
        return value.label or self.names.get(id(value), "")

    def fill(self, value: Value) -> str:
        return ACTIVE_FILL if value in self.active else RECEIVING_FILL if value in self.receiving else ""


def variable_names(names: Mapping[str, object] | None) -> dict[int, str]:
    """id(Value) -> the first variable name bound to it (private names skipped)."""
    found: dict[int, str] = {}
    for name, obj in (names or {}).items():
        if isinstance(obj, Value) and not name.startswith("_"):
            found.setdefault(id(obj), name)
    return found


@dataclass
class _Box:
    """One box of the diagram: a single Value, or a folded neuron or layer."""

    id: str
    heads: list[Value]  # what the box shows: the Value itself, or the module's output(s)
    title: str = ""  # a folded module's name; "" for a single Value
    members: list[Value] = field(default_factory=list)
    # What feeds the box from outside, with the gradient sent back along each wire.
    inputs: list[Value] = field(default_factory=list)

    @property
    def folded(self) -> bool:
        return bool(self.title)


def draw(
    root: Value,
    look: Look,
    *,
    rankdir: str = "LR",
    style: str = "nodes",
    max_nodes: int = 500,
    collapse: str | None = None,
) -> tuple[Diagram, dict[Value, str]]:
    """`draw_dot` with every knob (used by the step-through): the diagram and each shown Value's node id."""
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot() needs a Value as root, got {type(root).__name__}")
    _check_choice("rankdir", rankdir, RANKDIRS)
    _check_choice("style", style, STYLES)
    if collapse is not None:
        _check_choice("collapse", collapse, COLLAPSES)
    try:
        look.num(1.0)
    except (ValueError, TypeError):
        raise ValueError(f"draw_dot(fmt={look.fmt!r}) is not a number format such as '.4g' or '.2f'") from None
    order = consumers_first(root)
    order.reverse()  # inputs first: a topological order
    boxes, where = _boxes(order, collapse)
    if len(boxes) > max_nodes:
        hint = "collapse='layer'" if collapse == "neuron" else "collapse='neuron' or collapse='layer'"
        raise ValueError(
            f"draw_dot(): the graph has {len(boxes)} nodes to draw, more than max_nodes={max_nodes}; "
            f"dot would take minutes and the picture would be unreadable. For networks pass {hint} "
            f"(one box per neuron or layer of scalargrad.nn), or raise max_nodes."
        )
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
        },
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"fontname": FONT, "arrowsize": "0.7", "color": "#444444"},
    )
    drawer = (_Circuit if style == "circuit" else _Nodes)(graph, look, rankdir, boxes, where)
    for box in boxes:
        drawer.box(box)
    drawer.finish(root)
    return graph, {v: look.prefix + box.id for v, (box, _) in where.items() if v in box.heads}


def _check_choice(what: str, value: object, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"draw_dot({what}={value!r}): choose one of {', '.join(map(repr, choices))}")


# ---------------------------------------------------------------------------
# Boxes: one per Value, or one per folded neuron/layer (the module view).
# ---------------------------------------------------------------------------

# scalargrad.nn labels each neuron's output "layer{i}.neuron{j}" and its parameters
# "layer{i}.neuron{j}.w{k}" and ".b"; the module view needs nothing else from it.
_NEURON = re.compile(r"layer(\d+)\.neuron(\d+)")
_PARAMETER = re.compile(r"(layer\d+\.neuron\d+)\.(?:w\d+|b)")


def _boxes(order: list[Value], collapse: str | None) -> tuple[list[_Box], dict[Value, tuple[_Box, int]]]:
    """The boxes in topological order, and for each Value its box and port (-1: none)."""
    owner, hidden = _owners(order, collapse)
    index = {v: i for i, v in enumerate(order)}
    boxes: list[_Box] = []
    groups: dict[Value, _Box] = {}
    where: dict[Value, tuple[_Box, int]] = {}
    for i, value in enumerate(order):
        key = owner.get(value)
        if value in hidden:
            continue
        if key is None:
            box = _Box(f"n{i}", [value], inputs=list(value.parents), members=[value])
            boxes.append(box)
            where[value] = (box, -1)
            continue
        if key not in groups:
            title = key.label if collapse == "neuron" else f"layer{_neuron_number(key)[0]}"
            groups[key] = _Box("", [], title=title)
        groups[key].members.append(value)
        if _is_head(value) and not groups[key].id:
            # A module's box goes where its first output is, after everything it reads.
            groups[key].id = f"m{sum(1 for b in boxes if b.folded)}"
            boxes.append(groups[key])
    # Wires into a box in drawing order, with a layer's outputs in neuron order.
    rank: dict[Value, float] = dict(index)
    for box in groups.values():
        box.heads = sorted((v for v in box.members if _is_head(v)), key=_neuron_number)
        first = min(index[head] for head in box.heads)
        for port, head in enumerate(box.heads):
            rank[head] = first + port / len(box.heads)
    for box in groups.values():
        ports = len(box.heads) > 1
        for port, head in enumerate(box.heads):
            where[head] = (box, port if ports else -1)
        for member in box.members:
            where.setdefault(member, (box, -1))
        inside = set(box.members)
        outside = {p for m in box.members for p in m.parents if p not in inside and p not in hidden}
        box.inputs = sorted(outside, key=rank.__getitem__)
    return boxes, where


def _is_head(value: Value) -> bool:
    """Whether ``value`` is a neuron's output, as scalargrad.nn labels it."""
    return bool(value.parents) and _NEURON.fullmatch(value.label) is not None


def _is_parameter(value: Value) -> bool:
    return not value.parents and _PARAMETER.fullmatch(value.label) is not None


def _neuron_number(value: Value) -> tuple[int, int]:
    match = _NEURON.fullmatch(value.label)
    assert match is not None
    return int(match[1]), int(match[2])


def _owners(order: list[Value], collapse: str | None) -> tuple[dict[Value, Value], set[Value]]:
    """For each Value folded into a module, the neuron output that stands for its module.

    Groups are keyed by the output node itself, not its label, so each forward
    call of a network (one per sample of a batch) gets boxes of its own.
    Working back from the outputs (each node after all its consumers), a node
    joins a neuron when all its consumers are in it and it is one of the
    neuron's parameters or an op with an input already in the neuron. Inputs,
    other neurons' outputs, and parameters used outside the network (by a
    weight penalty) stay outside. A parameter used by several calls of its
    own neuron (every sample of a batch) belongs to all of them: it is hidden,
    returned in the second set, rather than drawn with an edge to every box.
    """
    if collapse is None:
        return {}, set()
    consumers: dict[Value, list[Value]] = {}
    for node in order:
        for parent in node.parents:
            consumers.setdefault(parent, []).append(node)
    owner: dict[Value, Value] = {}
    shared: set[Value] = set()
    for node in reversed(order):  # consumers first
        if _is_head(node):
            owner[node] = node
            continue
        users = consumers.get(node, [])
        if not users or any(c not in owner for c in users):
            continue
        heads = {owner[c] for c in users}
        if _is_parameter(node):
            if all(node.label.startswith(h.label + ".") for h in heads):
                if len(heads) == 1:
                    owner[node] = heads.pop()
                else:
                    shared.add(node)
        elif node.parents and len(heads) == 1:
            owner[node] = heads.pop()
    # An op joins only if it works on the neuron's own values: an input's
    # preprocessing (x * 2 feeding one neuron) stays outside.
    for node in order:
        head = owner.get(node)
        if head is None or node is head or not node.parents:
            continue
        own = head.label + "."
        if all(owner.get(p) is not head and not (p in shared and p.label.startswith(own)) for p in node.parents):
            del owner[node]
    return (_layers(order, owner) if collapse == "layer" else owner), shared


def _layers(order: list[Value], owner: dict[Value, Value]) -> dict[Value, Value]:
    """Neurons merged into layer calls: same layer and reading the same inputs, or feeding the same next neuron."""
    leader = {head: head for head in owner.values()}

    def find(head: Value) -> Value:
        while leader[head] is not head:
            head = leader[head]
        return head

    def union(a: Value, b: Value) -> None:
        a, b = find(a), find(b)
        if a is not b:
            leader[b] = a

    first_reader: dict[tuple[int, Value], Value] = {}
    first_feeder: dict[Value, Value] = {}
    for node in order:
        head = owner.get(node)
        if head is None:
            continue
        for parent in node.parents:
            if owner.get(parent) is head or _is_parameter(parent):
                continue
            layer = _neuron_number(head)[0]
            union(first_reader.setdefault((layer, parent), head), head)
            feeder = owner.get(parent)
            if feeder is not None and feeder is parent:
                # Every neuron of the previous layer call feeds this one.
                union(first_feeder.setdefault(head, feeder), feeder)
    return {node: find(head) for node, head in owner.items()}


def _inputs_with_grads(box: _Box, look: Look) -> list[tuple[Value, float]]:
    """Each wire into the box with the gradient sent back along it (summed over a folded box's uses)."""
    sent: dict[Value, float] = {}
    shares: list[tuple[Value, float]] = []
    for member in box.members:
        upstream = look.grad(member)
        # The chain rule on each wire: what this member sends back to that input.
        for parent, share in zip(member.parents, [upstream * local for local in member.partials]):
            if box.folded:
                sent[parent] = sent.get(parent, 0.0) + share
            else:
                shares.append((parent, share))
    return shares if not box.folded else [(v, sent[v]) for v in box.inputs]


# ---------------------------------------------------------------------------
# The two styles.
# ---------------------------------------------------------------------------


def _html(text: str) -> str:
    """User text made safe inside an HTML-like label (control characters shown escaped)."""
    text = "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)
    return html.escape(text, quote=True)


def _table(rows: Iterable[str], *, fill: str = "", border: int = 1, extra: str = "") -> str:
    bg = f' bgcolor="{fill}"' if fill else ""
    body = "".join(rows)
    return (
        f'<<table border="{border}" cellborder="0" cellspacing="0" cellpadding="3" '
        f'style="rounded"{bg}{extra}>{body}</table>>'
    )


def _data(look: Look, value: Value) -> str:
    return f'<font color="{DATA_COLOR}">data {look.num(value.data)}</font>'


def _grad(look: Look, value: Value) -> str:
    return f'<font color="{GRAD_COLOR}">grad {look.num(look.grad(value))}</font>'


def _data_grad_rows(look: Look, value: Value) -> list[str]:
    return [f"<tr><td>{_data(look, value)}</td></tr>", f"<tr><td>{_grad(look, value)}</td></tr>"]


class _Style:
    """What both styles share: node ids, module boxes, and how edges find their source."""

    def __init__(
        self, graph: Diagram, look: Look, rankdir: str, boxes: list[_Box], where: Mapping[Value, tuple[_Box, int]]
    ) -> None:
        self.graph = graph
        self.look = look
        self.rankdir = rankdir
        self.where = where
        # How many wires leave each Value (two for the a in a + a).
        self.uses = Counter(v for box in boxes for v in box.inputs)

    def node_id(self, box: _Box) -> str:
        return self.look.prefix + box.id

    def source(self, value: Value) -> str:
        """The node (and port) an edge carrying ``value`` starts from."""
        box, port = self.where[value]
        return self.node_id(box) + (f":p{port}" if port >= 0 else "")

    def node(self, box: _Box, label: str, **attrs: str) -> None:
        node_id = self.node_id(box)
        if self.look.prefix:
            # Ids and classes land in the SVG, where the step-through page looks for them.
            attrs["id"] = node_id
            if any(v in self.look.active for v in box.heads):
                attrs["class"] = "active"
        self.graph.node(node_id, label=label, **attrs)

    def module_label(self, box: _Box) -> str:
        """A folded neuron or layer: its name, its output value(s) and gradient(s)."""
        look = self.look
        fill = next((look.fill(v) for v in box.heads if look.fill(v)), "")
        n = len(box.members)
        count = f'<tr><td><font point-size="9" color="{NOTE_COLOR}">{n} node{"s" * (n != 1)}</font></td></tr>'
        if len(box.heads) == 1:
            rows = [f"<tr><td><b>{_html(box.title)}</b></td></tr>", *_data_grad_rows(look, box.heads[0]), count]
            return _table(rows, fill=fill)
        rows = [f"<tr><td><b>{_html(box.title)}</b></td></tr>"]
        for port, head in enumerate(box.heads):
            short = head.label.partition(".")[2]
            text = f"{_html(short)}  {_data(look, head)}  {_grad(look, head)}"
            rows.append(f'<tr><td port="p{port}" align="left">{text}</td></tr>')
        rows.append(count)
        return _table(rows, fill=fill)

    def box(self, box: _Box) -> None:
        raise NotImplementedError

    def finish(self, root: Value) -> None:
        """Anything drawn after all boxes (the circuit's output wire)."""


class _Nodes(_Style):
    """micrograd's picture: a box per Value, a circle per op."""

    def box(self, box: _Box) -> None:
        if box.folded:
            self.node(box, self.module_label(box), shape="plain")
            for value in box.inputs:
                self.graph.edge(self.source(value), self.node_id(box))
            return
        value = box.heads[0]
        look = self.look
        name = look.name(value)
        rows = [f"<tr><td><b>{_html(name)}</b></td></tr>"] if name else []
        rows += _data_grad_rows(look, value)
        self.node(box, _table(rows, fill=look.fill(value)), shape="plain")
        if not value.parents:
            return
        op_id = self.node_id(box) + "op"
        self.graph.node(op_id, label=f"<{_html(value.op)}>", shape="circle", width="0.3", margin="0.02")
        self.graph.edge(op_id, self.node_id(box))
        # Operand numbers where order matters (b / d); a + a needs none: its two edges show.
        numbered = len(value.parents) > 1 and value.op not in _COMMUTATIVE
        for k, parent in enumerate(value.parents):
            attrs = {"label": f'<<font point-size="8" color="{NOTE_COLOR}">{k}</font>>'} if numbered else {}
            self.graph.edge(self.source(parent), op_id, **attrs)


# Where a wire enters and leaves the label it passes through, for each rankdir.
_WIRE_ENDS = {"LR": ("w", "e"), "RL": ("e", "w"), "TB": ("n", "s"), "BT": ("s", "n")}


class _Circuit(_Style):
    """The CS231n picture: gates, and wires with the value above and the gradient below."""

    def box(self, box: _Box) -> None:
        look = self.look
        if box.folded:
            self.node(box, self.module_label(box), shape="plain")
        elif box.heads[0].parents:
            value = box.heads[0]
            fill = look.fill(value)
            attrs = {"style": "filled", "fillcolor": fill} if fill else {}
            self.node(box, f"<{_html(value.op)}>", shape="circle", width="0.35", margin="0.02", **attrs)
        else:
            self.leaf(box)
            return
        for k, (value, grad) in enumerate(_inputs_with_grads(box, look)):
            self.wire(f"{self.node_id(box)}w{k}", self.source(value), self.node_id(box), value, grad)

    def leaf(self, box: _Box) -> None:
        """An input, written as its name on the left; with fan-out, its total gradient too."""
        value = box.heads[0]
        look = self.look
        name = look.name(value)
        rows = [f"<tr><td><b>{_html(name)}</b></td></tr>"] if name else []
        if self.uses[value] > 1:
            rows.append(f"<tr><td>{_grad(look, value)}</td></tr>")
        if not rows:
            rows.append(f'<tr><td><font color="{NOTE_COLOR}">const</font></td></tr>')
        self.node(box, _table(rows, fill=look.fill(value), border=0), shape="plain")

    def wire(self, wire_id: str, tail: str, head: str, value: Value, grad: float, named: bool = True) -> None:
        """An edge broken by a label node whose middle cell is the wire itself.

        The edge enters the middle cell on one side and leaves on the other, and
        that cell draws a line between them, so the value sits above the wire
        and the gradient below it (left and right of it when rankdir is TB/BT).
        """
        look = self.look
        name = look.name(value)
        # An intermediate with a name (q in CS231n's q = x + y) gets it on its wire.
        shown = f"{_html(name)} = {look.num(value.data)}" if named and name and value.parents else look.num(value.data)
        data = f'<font color="{DATA_COLOR}">{shown}</font>'
        grad_text = f'<font color="{GRAD_COLOR}">{look.num(grad)}</font>'
        if self.rankdir in ("LR", "RL"):
            line = '<td port="m" height="1" cellpadding="0" border="1" sides="b"></td>'
            rows = f"<tr><td>{data}</td></tr><tr>{line}</tr><tr><td>{grad_text}</td></tr>"
        else:
            line = '<td port="m" width="1" cellpadding="0" border="1" sides="r"></td>'
            rows = f"<tr><td>{data}</td>{line}<td>{grad_text}</td></tr>"
        label = f'<<table border="0" cellspacing="0" cellpadding="1">{rows}</table>>'
        self.graph.node(look.prefix + wire_id, label=label, shape="plain")
        enter, leave = _WIRE_ENDS[self.rankdir]
        self.graph.edge(tail, f"{look.prefix}{wire_id}:m:{enter}", arrowhead="none")
        self.graph.edge(f"{look.prefix}{wire_id}:m:{leave}", head)

    def finish(self, root: Value) -> None:
        """The output wire: the root's value and its gradient (1 after root.backward())."""
        out = self.look.prefix + "out"
        name = self.look.name(root)
        self.graph.node(out, label=f"<<b>{_html(name or 'out')}</b>>", shape="plaintext")
        self.wire("outw", self.source(root), out, root, self.look.grad(root), named=False)

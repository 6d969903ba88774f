"""How a diagram writes things: numbers, names, ops, and the HTML-like labels Graphviz draws them in.

`Look` gathers every choice about what a diagram shows (number format, names,
which gradients, highlights, font size, words) so that the two styles, the
module view and the step-through pages all write a number the same way.

A diagram for a page is drawn once with *slots* instead of the numbers that
change from step to step (`Slots`): each slot is a table cell that Graphviz
turns into a link, which `scalargrad.viz.layout` then turns into a ``<text>``
element with a stable id for the page's script to fill in.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from scalargrad.engine import NodeNames, Value
from scalargrad.viz.palette import ACTIVE_FILL, DATA_COLOR, GRAD_COLOR, NOTE_COLOR, RECEIVING_FILL
from scalargrad.viz.text import EN

# A float format spec without fill or alignment (those would put arbitrary characters around a number).
_NUMBER_FORMAT = re.compile(r"[+\- ]?z?#?0?\d{0,3}[,_]?(?:\.\d{1,3})?[eEfFgG%]?")


def check_fmt(fmt: object, who: str = "draw_dot") -> str:
    """``fmt`` if it is a number format such as ``.4g``, ``.2f`` or ``+.3e``, else ValueError naming it.

    Fill and alignment (``<^9``) are refused: they pad numbers with any
    character, which would then have to survive HTML labels, and a diagram
    has no columns to align.
    """
    if not isinstance(fmt, str) or not _NUMBER_FORMAT.fullmatch(fmt):
        raise ValueError(
            f"{who}(fmt={fmt!r}) is not a number format such as '.4g', '.2f' or '.3e' "
            "(a sign, width, precision and type; no fill or alignment)"
        )
    try:
        format(1.5, fmt)
    except (ValueError, TypeError):
        raise ValueError(f"{who}(fmt={fmt!r}) is not a number format such as '.4g' or '.2f'") from None
    return fmt


def html_text(text: str) -> str:
    """User text made safe inside an HTML-like label (control characters shown escaped)."""
    # Spaces of every width (the ideographic space of Japanese text) are text; other invisibles are shown escaped.
    text = "".join(ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else repr(ch)[1:-1] for ch in text)
    return html.escape(text, quote=True)


def op_text(value: Value) -> str:
    """The op as a gate shows it: ``1/`` reads ``1/x``, ``2**`` reads ``2**x``, others as they are."""
    op = value.op
    if op and op[-1] in "+-*/" and len(value.parents) == 1 and op not in ("+", "-", "*", "/"):
        return f"{op}x"  # a constant on the left of the one input: 1/x, 5-x, 2**x
    return op


@dataclass
class Slots:
    """The numbers of a diagram that a page fills in later, by id.

    `text` gives a slot's cell a marker instead of a number, and records
    which Value, wire and kind it stands for; `scalargrad.viz.layout`
    replaces the markers with the widest text the slot will hold, so that
    the layout fits every step.
    """

    #: slot id -> (what, kind): what is a Value or a wire (consumer, operand position).
    owner: dict[str, tuple[Value | tuple[Value, int], str]] = field(default_factory=dict)

    def text(self, slot: str, what: Value | tuple[Value, int], kind: str) -> str:
        self.owner[slot] = (what, kind)
        return marker(slot)


def marker(slot: str) -> str:
    """What stands in a label for the slot's text until the page's layout is made."""
    return f"@@{slot}@@"


MARKER = re.compile(r"@@([A-Za-z0-9_\-]+)@@")


@dataclass(frozen=True)
class Look:
    """How values are shown: number format, names, gradients, highlighting, size and words.

    ``grads`` overrides the ``.grad`` fields; ``prefix`` goes before every node
    id and, when set, ids and classes are written into the SVG so a page can
    find the nodes. ``slots``, when given, turns the changing numbers into
    slots a page fills in (see `Slots`); ``every_name`` writes generated
    names (``t1``) as well as given ones, as a page's captions refer to them.
    """

    names: NodeNames
    fmt: str = ".4g"
    grads: Mapping[Value, float] | None = None
    active: frozenset[Value] = frozenset()
    receiving: frozenset[Value] = frozenset()
    prefix: str = ""
    fontsize: float = 11.0
    #: The words a diagram writes (``data``, ``grad``, the circuit's legend): `scalargrad.viz.text`'s table.
    words: Mapping[str, str] = field(default_factory=lambda: EN)
    slots: Slots | None = None
    every_name: bool = False

    def num(self, x: float) -> str:
        return format(x + 0.0, self.fmt)  # + 0.0 turns -0.0 into 0.0

    def grad(self, value: Value) -> float:
        return value.grad if self.grads is None else self.grads.get(value, 0.0)

    def name(self, value: Value) -> str:
        """The name drawn for ``value``: a given one always, the root's always, others where ``every_name``."""
        if self.every_name or value is self.names.root or self.names.given(value):
            return self.names(value)
        return ""

    def given(self, value: Value) -> bool:
        """Whether the name is the Value's own (label or variable), as opposed to generated (``t1``)."""
        return self.names.given(value)

    def fill(self, value: Value) -> str:
        return ACTIVE_FILL if value in self.active else RECEIVING_FILL if value in self.receiving else ""

    def small(self) -> str:
        """The point size of small print (operand numbers, node counts): four fifths of the text."""
        return f"{max(6.0, self.fontsize * 0.8):g}"

    # -- the numbers, in words and colours ------------------------------------

    def data_text(self, value: Value) -> str:
        return f"{self.words['data']} {self.num(value.data)}"

    def wire_data_text(self, value: Value) -> str:
        """A circuit wire's value: ``q = 3`` for a named result of an op (CS231n's q = x + y), else ``3``."""
        name = self.name(value)
        return f"{name} = {self.num(value.data)}" if name and value.parents else self.num(value.data)

    def grad_text(self, grad: float) -> str:
        return f"{self.words['grad']} {self.num(grad)}"

    def data(self, value: Value, slot: str = "") -> str:
        text = self.data_text(value) if self.slots is None else self.slots.text(slot, value, "data")
        return f'<font color="{DATA_COLOR}">{html_text(text)}</font>'

    def grad_font(self, value: Value, slot: str = "") -> str:
        text = self.grad_text(self.grad(value)) if self.slots is None else self.slots.text(slot, value, "grad")
        return f'<font color="{GRAD_COLOR}">{html_text(text)}</font>'

    def cell(self, content: str, slot: str = "", **attrs: str) -> str:
        """A table cell; a slot's cell links to ``#slot``, which the page's layout turns into the text's id."""
        if slot and self.slots is not None:
            attrs["href"] = f"#{slot}"
        extra = "".join(f' {key}="{value}"' for key, value in attrs.items())
        return f"<td{extra}>{content}</td>"

    def note(self, text: str) -> str:
        return f'<font point-size="{self.small()}" color="{NOTE_COLOR}">{html_text(text)}</font>'


def table(rows: Iterable[str], *, fill: str = "", border: int = 1, extra: str = "") -> str:
    """An HTML-like label: a rounded table of ``rows`` (white unless ``fill``, so pages can recolour it)."""
    bg = f' bgcolor="{fill or "white"}"'
    body = "".join(rows)
    return (
        f'<<table border="{border}" cellborder="0" cellspacing="0" cellpadding="3" '
        f'style="rounded"{bg}{extra}>{body}</table>>'
    )

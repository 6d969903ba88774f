"""What each step of a sweep shows: the numbers in every slot, the highlights, the caption, the table.

`backward_frames` follows `backward_steps` and `forward_frames` follows
`forward_steps`, so every gradient, tangent and share shown is the engine's:
a wire's share is the step's ``contribution`` (upstream × local, or local ×
tangent), and a local derivative is the op's recorded partial. A frame is
plain data (texts by element id, ids to highlight, an HTML caption), turned
into JSON by `scalargrad.viz.pages`.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from scalargrad.engine import Value, reading_order
from scalargrad.engine.steps import Step, TangentStep, _formula
from scalargrad.viz.formulas import local_formulas
from scalargrad.viz.labels import Look
from scalargrad.viz.layout import Layout

Owner = Value | tuple[Value, int]


@dataclass
class Frame:
    """One step as the page shows it."""

    caption: str
    #: element id -> text, for every slot and table cell whose text differs from the frame before.
    texts: dict[str, str] = field(default_factory=dict)
    active: list[str] = field(default_factory=list)
    receiving: list[str] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        """The frame as a page's script reads it (the step-through page's, and the live view's)."""
        return {"caption": self.caption, "texts": self.texts, "active": self.active, "receiving": self.receiving}


@dataclass
class Sweep:
    """The state a sweep has reached: derivatives so far, and what each wire has carried."""

    #: Value -> gradient (backward) or tangent (forward) known so far.
    known: dict[Value, float]
    #: (node, operand) -> the share that has gone along that wire (upstream × local, or local × tangent).
    carried: dict[tuple[Value, int], float] = field(default_factory=dict)

    def take(self, step: Step | TangentStep) -> None:
        """Move the sweep on by one step: what it sent (backward) or summed (forward), as the engine computed it."""
        node = step.node
        if isinstance(step, Step):
            for k, update in enumerate(step.updates):
                self.known[update.parent] = update.grad_after
                self.carried[(node, k)] = update.contribution
            return
        for k, term in enumerate(step.terms):
            self.carried[(node, k)] = term.contribution
        self.known[node] = step.tangent

    @classmethod
    def backward(cls, root: Value, steps: Iterable[Step], grad: float = 1.0) -> Sweep:
        """The state after every step of the backward pass: each node's gradient, each wire's share."""
        sweep = cls({root: grad})
        for step in steps:
            sweep.take(step)
        return sweep


def table_rows(look: Look) -> list[Value]:
    """The Values the page's table lists: those with a name of their own, and the output; inputs first."""
    return [v for v in reading_order(look.names.root) if look.given(v) or v is look.names.root]


class Writer:
    """Writes every slot's text for a state of the sweep, in the words of a language."""

    def __init__(self, layout: Layout, look: Look, words: Mapping[str, str], derivative_word: str, forward: bool):
        self.layout = layout
        self.look = look
        self.words = words
        self.derivative_word = derivative_word
        self.forward = forward

    def derivative(self, sweep: Sweep, value: Value) -> str:
        if value in sweep.known:
            return self.look.num(sweep.known[value])
        return "0" if not self.forward else self.words["unknown"]

    def slot(self, owner: Owner, kind: str, sweep: Sweep) -> str:
        look = self.look
        if kind == "partial":
            node, k = owner  # type: ignore[misc]
            return f"∂ {look.num(node.partials[k])}"
        if kind.startswith("legend"):  # what the numbers below the wires are, in this direction
            return self.words[kind.replace("legend", "legend_forward") if self.forward else kind]
        if isinstance(owner, Value):
            if kind == "data":
                return f"{self.words['data']} {look.num(owner.data)}"
            if kind == "wire-data":
                return look.wire_data_text(owner)
            number = self.derivative(sweep, owner)
            if kind == "grad":
                return f"{self.derivative_word} {number}"
            return number if kind == "share" else f"{self.derivative_word} {number}"
        shared = sweep.carried.get(owner)
        number = "" if shared is None else look.num(shared)
        return f"{self.derivative_word} {number}" if kind == "share-v" and number else number

    def texts(self, sweep: Sweep, rows: list[Value]) -> dict[str, str]:
        out = {slot: self.slot(owner, kind, sweep) for slot, (owner, kind) in self.layout.slots.items()}
        for i, value in enumerate(rows):
            out[f"row{i}"] = self.derivative(sweep, value)
        return out


def _diff(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, str]:
    return {key: text for key, text in after.items() if before.get(key) != text}


def local_derivative(look: Look, node: Value, k: int) -> str:
    """``∂(1/x)/∂x = -1/x^2 = -0.5344``: the formula, then the op's recorded partial (escaped HTML)."""
    names = look.names
    inputs = _formula(node.op, [names(p) for p in node.parents])
    whole = inputs if len(inputs.split()) == 1 and "(" in inputs else f"({inputs})"
    formula = local_formulas(node, names)[k]
    number = look.num(node.partials[k])
    shown = f"∂{whole}/∂{names(node.parents[k])} = {formula}"
    return html.escape(shown if formula == number else f"{shown} = {number}")


def named(look: Look, value: Value) -> str:
    """The node's name, escaped for a caption's HTML."""
    return html.escape(look.names(value))


def formula_of(look: Look, node: Value) -> str:
    """How the node was computed, in its inputs' names (``c * d``), escaped for a caption's HTML."""
    return html.escape(_formula(node.op, [look.names(p) for p in node.parents]))


def backward_frames(
    layout: Layout, look: Look, steps: list[Step], grad: float, words: Mapping[str, str]
) -> tuple[list[Frame], dict[str, list[str]]]:
    """The start and one frame per step of the backward pass; and every text each element will hold."""
    root = look.names.root
    sweep = Sweep({root: grad})

    def describe(step: Step) -> tuple[str, list[Value]]:
        node = step.node
        sweep.take(step)
        upstream = look.num(step.upstream)
        caption = words["step_backward"].format(
            index=step.index,
            total=len(steps),
            node=named(look, node),
            formula=formula_of(look, node),
            upstream=upstream,
        )
        caption += _list(
            words["update_backward"].format(
                parent=named(look, u.parent),
                local=local_derivative(look, node, k),
                upstream=upstream,
                partial=look.num(u.local),
                contribution=look.num(u.contribution),
                after=look.num(u.grad_after),
            )
            for k, u in enumerate(step.updates)
        )
        if step.index == len(steps):
            caption += f"<p>{words['done_backward']}</p>"
        return caption, [u.parent for u in step.updates]

    start = words["start_backward"].format(total=len(steps), root=named(look, root), grad=look.num(grad))
    writer = Writer(layout, look, words, words["grad"], forward=False)
    return _frames(layout, writer, sweep, (start, [root]), ((describe(step), step.node) for step in steps))


def forward_frames(
    layout: Layout,
    look: Look,
    steps: list[TangentStep],
    seed: Value,
    tangent: float,
    words: Mapping[str, str],
) -> tuple[list[Frame], dict[str, list[str]]]:
    """The start and one frame per step of forward mode from ``seed``; and every text each element will hold."""
    root = look.names.root
    seed_name = named(look, seed)
    # Every input's derivative is known from the start: 1 (the tangent) for the seed, 0 for the others.
    sweep = Sweep({leaf: 0.0 for leaf in reading_order(root) if not leaf.parents} | {seed: tangent})

    def describe(step: TangentStep) -> tuple[str, list[Value]]:
        node = step.node
        sweep.take(step)
        total = look.num(step.tangent)
        caption = words["step_forward"].format(
            index=step.index, total=len(steps), node=named(look, node), formula=formula_of(look, node)
        )
        caption += _list(
            words["term_forward"].format(
                parent=named(look, t.parent),
                seed=seed_name,
                local=local_derivative(look, node, k),
                partial=look.num(t.local),
                tangent=look.num(t.tangent),
                contribution=look.num(t.contribution),
            )
            for k, t in enumerate(step.terms)
        )
        caption += words["sum_forward"].format(node=named(look, node), seed=seed_name, tangent=total)
        if step.index == len(steps):
            done = words["done_forward"].format(root=named(look, root), seed=seed_name, tangent=total)
            caption += f"<p>{done}</p>"
        return caption, list(node.parents)

    start = words["start_forward"].format(total=len(steps), seed=seed_name, tangent=look.num(tangent))
    writer = Writer(layout, look, words, f"∂/∂{look.names(seed)}", forward=True)
    return _frames(layout, writer, sweep, (start, [seed]), ((describe(step), step.node) for step in steps))


def _list(items: Iterable[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _frames(
    layout: Layout,
    writer: Writer,
    sweep: Sweep,
    start: tuple[str, list[Value]],
    steps: Iterator[tuple[tuple[str, list[Value]], Value]],
) -> tuple[list[Frame], dict[str, list[str]]]:
    """The frames of a sweep: the start, then after each step (which ``steps`` takes on ``sweep``) what changed.

    Also returns every text each element holds in some frame, for the layout to make room for the widest.
    """
    rows = table_rows(writer.look)

    def ids(values: list[Value]) -> list[str]:
        return sorted({layout.nodes[v] for v in values if v in layout.nodes})

    state = writer.texts(sweep, rows)
    frames = [Frame(start[0], dict(state), ids(start[1]))]
    seen = {key: [text] for key, text in state.items()}
    for (caption, others), node in steps:
        after = writer.texts(sweep, rows)
        for key, text in after.items():
            if text not in seen.setdefault(key, []):
                seen[key].append(text)
        frames.append(Frame(caption, _diff(state, after), ids([node]), ids(others)))
        state = after
    return frames, seen

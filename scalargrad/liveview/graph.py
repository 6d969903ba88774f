"""The Python side of a live graph: change a leaf, and every value and gradient is recomputed by the engine.

The user's graph is recorded once as a `scalargrad.Tape` and drawn once by
Graphviz (`scalargrad.viz.layout.Layout`), each number in a slot with a
stable id. Then, for new leaf numbers:

1. ``tape.forward()`` replays every op with the engine's own rules, and
   ``tape.sync()`` copies the values and local partials into the graph's
   interior Values (an op that fails raises here, naming it);
2. `scalargrad.backward_steps` walks the backward pass on those partials,
   giving every node's gradient and every wire's share (upstream × local)
   without reading or writing a single ``.grad``;
3. `scalargrad.viz.frames.Writer` writes each slot's text from that, as the
   step-through pages do, so a number reads the same in a page, a diagram and
   here.

No op and no derivative is computed anywhere else: the front-end only puts
the texts where the ids say. The step buttons get the frames of
`scalargrad.viz.frames.backward_frames` and ``forward_frames`` on the
current numbers, and hovering an op shows the captions' local-derivative
lines (``∂(c * d)/∂c = d = 2``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from scalargrad.engine import NodeNames, Value, backward_steps, forward_steps, reading_order
from scalargrad.engine.value import is_constant
from scalargrad.finite import finite
from scalargrad.liveview.session import Publish
from scalargrad.liveview.text import words as live_words
from scalargrad.replay import compile as compile_tape
from scalargrad.viz.draw import STYLES, check_fontsize
from scalargrad.viz.frames import (
    Sweep,
    Writer,
    backward_frames,
    formula_of,
    forward_frames,
    local_derivative,
    named,
    table_rows,
)
from scalargrad.viz.labels import Look, Slots, check_fmt
from scalargrad.viz.layout import Layout
from scalargrad.viz.palette import (
    ACTIVE_FILL,
    CLASS_COLORS,
    CLASS_FILLS,
    DATA_COLOR,
    GRAD_COLOR,
    NEGATIVE_COLOR,
    NOTE_COLOR,
    POSITIVE_COLOR,
    RECEIVING_FILL,
)

#: The most Values a graph may have for its step buttons: every frame rewrites every slot.
MAX_STEP_VALUES = 200
#: A number as wide as any a slot shows in the default format: each slot is laid out to hold it.
WIDEST_NUMBER = "-8.888e+88"
_NUMBER = re.compile(r"(?<![\w.])-?(?:\d+(?:\.\d*)?(?:e[+-]?\d+)?|inf|nan)(?![\w.])")


def colors() -> dict[str, Any]:
    """The palette, for the front-end's style sheet and plots (`scalargrad.viz.palette`: every colour in one place)."""
    return {
        "data": DATA_COLOR,
        "grad": GRAD_COLOR,
        "note": NOTE_COLOR,
        "active": ACTIVE_FILL,
        "receiving": RECEIVING_FILL,
        "positive": POSITIVE_COLOR,
        "negative": NEGATIVE_COLOR,
        "classes": list(CLASS_COLORS),
        "classes_light": list(CLASS_FILLS),
    }


class LiveGraph:
    """A graph whose named leaves can be set from a page, with every number recomputed by the engine.

    ``names`` (e.g. ``locals()``), ``style`` ("nodes" or "circuit"),
    ``rankdir``, ``fmt``, ``fontsize`` and ``lang`` ("en" or "ja") are as in
    `scalargrad.viz.animate_backward`; ``title`` heads the page (by default
    the root's name). The inputs a page can change are the leaves with a name
    of their own: a label, or a variable name in ``names``. Constants the
    engine made for plain numbers (``x * 3`` folds the 3; ``maximum(x, 0.0)``
    makes a leaf of 0.0) and unnamed leaves keep their numbers.

    The graph is the user's own: setting an input writes that leaf's
    ``.data``, and each recompute refreshes the interior Values' data and
    partials (`scalargrad.Tape.sync`, which also zeroes their ``.grad``). No
    leaf's ``.grad`` is read or written: the gradients shown come from
    `scalargrad.backward_steps`.
    """

    def __init__(
        self,
        root: Value,
        *,
        names: Mapping[str, object] | None = None,
        style: str = "nodes",
        rankdir: str = "LR",
        fmt: str = ".4g",
        fontsize: float = 14,
        lang: str = "en",
        title: str | None = None,
        max_nodes: int = 5000,
    ) -> None:
        if not isinstance(root, Value):
            raise TypeError(f"live() needs a Value as root, got {type(root).__name__}")
        if style not in STYLES:
            raise ValueError(f"live(style={style!r}): choose one of {', '.join(map(repr, STYLES))}")
        self.words = live_words(lang, "live")
        self.lang = lang
        self.root = root
        self._names = names
        self.look = Look(
            names=NodeNames(root, names),
            fmt=check_fmt(fmt, "live"),
            prefix="sg-",
            fontsize=check_fontsize(fontsize, "live"),
            words=self.words,
            slots=Slots(),
            every_name=True,
        )
        self.layout = Layout(root, self.look, rankdir=rankdir, style=style, max_nodes=max_nodes)
        self.style = style
        self.title = title if title is not None else self.look.names(root)
        order = reading_order(root)
        self.count = len(order)
        given = self.look.names
        #: The inputs a page can set, by name, in reading order.
        self.inputs: dict[str, Value] = {
            given(v): v for v in order if not v.parents and not is_constant(v) and given.given(v)
        }
        for name, leaf in self.inputs.items():  # a page's controls hold finite numbers, and so does JSON
            if finite(leaf.data) is None:
                raise ValueError(f"live(): input {name!r} is {leaf.data}; a live view starts from finite numbers")
        self._ops = {self._op_id(v): v for v in order if v.parents and v in self.layout.nodes}
        self.rows = table_rows(self.look)
        self._writer = Writer(self.layout, self.look, self.words, self.words["grad"], forward=False)
        self.tape = compile_tape(root)
        self.error: str | None = None
        self._texts: dict[str, str] = {}
        self._recompute()
        self._svg = self.layout.svg(self._room())

    # -- numbers -------------------------------------------------------------

    def _recompute(self) -> None:
        """Replay the graph on the leaves' numbers and write every text; raises if an op fails."""
        self.tape.forward()
        self.tape.sync()
        sweep = Sweep.backward(self.root, backward_steps(self.root, names=self._names))
        texts = self._writer.texts(sweep, self.rows)
        for i, value in enumerate(self.rows):
            texts[f"rowdata{i}"] = self.look.num(value.data)
        texts["rowhead"] = self.words["grad"]  # the table's derivative column, which forward mode renames
        self._texts = texts

    def _op_id(self, node: Value) -> str:
        """The element a pointer rests on to see the op: the op's circle (nodes style) or its gate (circuit)."""
        box = self.layout.nodes[node]
        return f"{box}op" if self.style == "nodes" else box

    def hover(self, element: str) -> dict[str, Any]:
        """What hovering over an op shows: its formula, then each input's local derivative at the current numbers.

        ``element`` is the id of the op's circle (nodes style) or gate
        (circuit); the lines are the step captions' (``∂(c * d)/∂c = d = 2``),
        as HTML. Asked for one op at a time, when the pointer rests on it: a
        big graph's every op, at every recompute, would cost more than the recompute.
        """
        node = self._ops.get(element)
        if node is None:
            return {"element": element, "lines": []}
        title = self.words["hover_title"].format(node=named(self.look, node), formula=formula_of(self.look, node))
        lines = [local_derivative(self.look, node, k) for k in range(len(node.parents))]
        return {"element": element, "lines": [title, *lines]}

    def set(self, values: Mapping[str, object]) -> dict[str, Any]:
        """Give inputs new numbers (name -> number) and recompute; return the new `state`.

        When an op fails on the new numbers (``log`` of a negative), the inputs
        go back to the numbers they had, the texts stay the last good ones,
        and the state's ``error`` says which op failed and why.
        """
        numbers: dict[str, float] = {}
        for name, given in values.items():
            number = finite(given)
            if name not in self.inputs or number is None:
                self.error = self._refusal(name)
                return self.state()
            numbers[name] = number
        before = {name: self.inputs[name].data for name in numbers}
        for name, number in numbers.items():
            self.inputs[name].data = number
        try:
            self._recompute()
        except (ArithmeticError, ValueError, TypeError) as failure:
            for name, number in before.items():
                self.inputs[name].data = number
            tried = ", ".join(f"{name} = {self.look.num(number)}" for name, number in numbers.items())
            self.error = self.words["error"].format(values=tried, error=failure)
            return self.state()
        self.error = None
        return self.state()

    def _refusal(self, name: str) -> str:
        """Why a message's input cannot be set: it names no input of this graph, or its number is not finite."""
        if name in self.inputs:
            return self.words["bad_input"].format(name=name)
        return self.words["no_input"].format(name=name, inputs=", ".join(self.inputs) or "—")

    def state(self) -> dict[str, Any]:
        """What the page shows now: every slot's text by id, the inputs' numbers, hover lines, any error."""
        return {
            "texts": self._texts,
            "values": {name: leaf.data for name, leaf in self.inputs.items()},
            "error": self.error,
        }

    # -- stepping through ------------------------------------------------------

    def frames(self, sweep: str, seed: str | None = None) -> dict[str, Any]:
        """The frames of the backward pass, or of forward mode from input ``seed``, on the current numbers."""
        if self.count > MAX_STEP_VALUES:
            return {"error": self.words["steps_too_big"].format(limit=MAX_STEP_VALUES, count=self.count)}
        if sweep == "forward":
            if seed not in self.inputs:
                return {"error": self._refusal(str(seed))}
            leaf = self.inputs[seed]
            steps = list(forward_steps(self.root, {leaf: 1.0}, names=self._names))
            made, _ = forward_frames(self.layout, self.look, steps, leaf, 1.0, self.words)
            made[0].texts["rowhead"] = f"∂/∂{seed}"
        else:
            made, _ = backward_frames(
                self.layout, self.look, list(backward_steps(self.root, names=self._names)), 1.0, self.words
            )
        return {"sweep": sweep, "seed": seed, "frames": [frame.json() for frame in made], "error": None}

    # -- the page ----------------------------------------------------------------

    def _room(self) -> dict[str, list[str]]:
        """For each slot, texts as wide as any it will hold, backward or forward: each number at its widest."""
        room = {slot: [text] for slot, text in self._texts.items()}
        longest = max(self.inputs, key=len, default="")
        everything = reading_order(self.root)
        # Forward mode writes "∂/∂seed" and a number in every derivative slot: a sweep where all are known.
        sweep = Sweep({v: 0.0 for v in everything}, {(v, k): 0.0 for v in everything for k in range(len(v.parents))})
        forward = Writer(self.layout, self.look, self.words, f"∂/∂{longest}", forward=True)
        for slot, text in forward.texts(sweep, []).items():
            room.setdefault(slot, []).append(text)
        for texts in room.values():
            texts += [_NUMBER.sub(WIDEST_NUMBER, text) for text in texts]
        return room

    def page(self) -> dict[str, Any]:
        """What never changes: the laid-out SVG, the inputs and their ranges, the words, the colours."""
        inputs = []
        for name, leaf in self.inputs.items():
            span = 2.0 * max(1.0, abs(leaf.data))
            inputs.append(
                {"name": name, "value": leaf.data, "min": leaf.data - span, "max": leaf.data + span, "step": span / 100}
            )
        return {
            "kind": "graph",
            "lang": self.lang,
            "title": self.words["live_title"].format(title=self.title),
            "words": self.words,
            "colors": colors(),
            "svg": self._svg,
            "style": self.style,
            "inputs": inputs,
            "rows": [self.look.names(v) for v in self.rows],
            "ops": list(self._ops),
            "steps": self.count <= MAX_STEP_VALUES,
            "steps_note": ""
            if self.count <= MAX_STEP_VALUES
            else self.words["steps_too_big"].format(limit=MAX_STEP_VALUES, count=self.count),
        }

    # -- as an App (scalargrad.liveview.session) -----------------------------------

    def handle(self, message: Mapping[str, Any]) -> dict[str, Any]:
        kind = message.get("type")
        if kind == "set":
            return {"state": self.set(message.get("values") or {})}
        if kind == "frames":
            sweep, seed = message.get("sweep"), message.get("seed")
            made = self.frames("forward" if sweep == "forward" else "backward", seed if isinstance(seed, str) else None)
            return {"frames": {**made, "id": message.get("id", "")}}
        if kind == "hover":  # the id tells the asking view its answer, even one equal to the last
            element = message.get("element")
            return {"hover": {**self.hover(element), "id": message.get("id", "")}} if isinstance(element, str) else {}
        return {}

    def start(self, publish: Publish) -> None:
        """Nothing to run between messages: a live graph only answers them."""

    def close(self) -> None:
        """Nothing to stop."""


"""The live graph's Python side against independent oracles: an eager rebuild, the engine's steps, the words.

Every number a live graph shows (each slot's text, the inputs, the table)
must be what a fresh eager build of the same expression at the same input
numbers shows, after ``backward()``: for the seeds' examples and for random
graphs, and after several changes in a row. A failing number keeps the last
good ones; the step frames carry `backward_steps`' and `forward_steps`'
numbers; messages arriving during a recompute are coalesced into one
recompute of the latest numbers.
"""

from __future__ import annotations

import math
import os
import shutil
import string
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest
from backends import SCALARGRAD_OPS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import conditioned, evaluate, problems

import scalargrad as sg
from scalargrad import Value, examples
from scalargrad.engine import backward_steps, forward_steps, reading_order
from scalargrad.expr import evaluate as evaluate_text
from scalargrad.liveview import LiveGraph, Session
from scalargrad.liveview.text import LIVE_TEXTS
from scalargrad.viz.text import TEXTS

pytestmark = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"), reason="Graphviz `dot` is not installed"
)

#: The seeds' examples, each with the expression that builds the same graph (for the eager rebuild) and new numbers.
SEEDS = [
    (examples.add_mul_circuit, "(x+y)*z", [{"x": 3.0}, {"y": -0.5, "z": 2.25}, {"x": -7.0}]),
    (
        examples.sigmoid_neuron,
        "1/(1+exp((w0*x0+w1*x1+w2)*-1))",
        [{"w0": 0.5}, {"x1": 1.5, "w2": 0.25}, {"x0": -3.0, "w1": 2.0}],
    ),
    (
        examples.staged_sigmoid,
        "(x + sigmoid(y)) * (1 / (sigmoid(x) + (x + y)**2))",
        [{"x": 1.0}, {"y": 0.5}, {"x": -2.0, "y": 1.25}],
    ),
    (examples.two_paths, "(a+b)*(b+1)", [{"b": 3.0}, {"a": -1.0}, {"a": 0.1, "b": 0.2}]),
    (examples.apple_shopping, "apple*apple_num*tax", [{"apple": 150.0}, {"tax": 1.08}]),
    (
        examples.apple_orange_shopping,
        "(apple*apple_num + orange*orange_num)*tax",
        [{"orange_num": 5.0}, {"apple": 90.0, "tax": 1.08}],
    ),
]


def num(x: float, fmt: str = ".4g") -> str:
    return format(x + 0.0, fmt)


def expected_texts(graph: LiveGraph, eager_root: Value) -> dict[str, str]:
    """Every slot's text as an eager build, after ``backward()``, says it: the oracle, from the slots' meaning."""
    eager_root.backward()
    ours, theirs = reading_order(graph.root), reading_order(eager_root)
    assert [v.op for v in ours] == [v.op for v in theirs], "the rebuild is not the same graph"
    twin = dict(zip(ours, theirs))
    words = graph.words
    out: dict[str, str] = {}
    for slot, (owner, kind) in graph.layout.slots.items():
        if isinstance(owner, Value):
            eager = twin[owner]
            if kind == "data":
                out[slot] = f"{words['data']} {num(eager.data)}"
            elif kind == "grad":
                out[slot] = f"{words['grad']} {num(eager.grad)}"
            elif kind == "wire-data":
                out[slot] = num(eager.data)  # compared by its number: a named wire reads "q = 3"
            elif kind.startswith("legend"):  # the circuit's legend: what the numbers below the wires are
                out[slot] = words[kind]
            else:  # the output wire's share: the root's own gradient
                out[slot] = num(eager.grad)
        else:
            node, k = owner
            eager = twin[node]
            if kind == "partial":
                out[slot] = f"∂ {num(eager.partials[k])}"
            else:  # a circuit wire's share: upstream × local, as eager backward computed both
                out[slot] = num(eager.grad * eager.partials[k])
    out["rowhead"] = words["grad"]
    for i, value in enumerate(graph.rows):
        out[f"row{i}"] = num(twin[value].grad)
        out[f"rowdata{i}"] = num(twin[value].data)
    return out


def check_against_eager(graph: LiveGraph, state: Mapping[str, Any], eager_root: Value) -> None:
    want = expected_texts(graph, eager_root)
    texts = state["texts"]
    for slot, text in want.items():
        kind = graph.layout.slots.get(slot, (None, ""))[1]
        shown = texts[slot].rpartition(" ")[2] if kind == "wire-data" else texts[slot]
        assert shown == text, (slot, texts[slot], text)
    assert set(texts) == set(want)


@pytest.mark.parametrize("style", ["nodes", "circuit"])
@pytest.mark.parametrize(("build", "text", "changes"), SEEDS, ids=[s[1] for s in SEEDS])
def test_the_seeds_examples_show_what_an_eager_rebuild_shows(build: Any, text: str, changes: Any, style: str) -> None:
    root = build()
    graph = LiveGraph(root, style=style)
    numbers = {name: leaf.data for name, leaf in graph.inputs.items()}
    check_against_eager(graph, graph.state(), evaluate_text(text, numbers)[0])
    for change in changes:  # several changes in a row, each checked
        numbers.update(change)
        state = graph.set(change)
        assert state["error"] is None
        assert state["values"] == numbers
        check_against_eager(graph, state, evaluate_text(text, numbers)[0])


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.data())
def test_random_graphs_show_what_an_eager_rebuild_shows(problem: Any, data: st.DataObject) -> None:
    expr, point = problem
    leaves = [Value(x, f"x{i}") for i, x in enumerate(point)]
    root = evaluate(expr, leaves, SCALARGRAD_OPS)
    assume(isinstance(root, Value) and root.parents)
    graph = LiveGraph(root)
    assert set(graph.inputs) == {leaf.label for leaf in leaves if leaf in set(reading_order(root))}
    eager = evaluate(expr, [Value(x, f"x{i}") for i, x in enumerate(point)], SCALARGRAD_OPS)
    check_against_eager(graph, graph.state(), eager)
    for _ in range(2):
        new = data.draw(st.lists(st.floats(-2.0, 2.0, allow_subnormal=False), min_size=len(point), max_size=len(point)))
        assume(conditioned(expr, new))
        state = graph.set({f"x{i}": x for i, x in enumerate(new) if f"x{i}" in graph.inputs})
        assert state["error"] is None, state["error"]
        eager = evaluate(expr, [Value(x, f"x{i}") for i, x in enumerate(new)], SCALARGRAD_OPS)
        check_against_eager(graph, state, eager)


def test_a_failing_number_keeps_the_last_good_ones_and_names_the_op() -> None:
    x, y = Value(2.0, "x"), Value(3.0, "y")
    out = (x * y).log() + y
    graph = LiveGraph(out)
    good = graph.set({"x": 1.5})
    assert good["error"] is None
    bad = graph.set({"x": -1.0})
    assert "'log'" in bad["error"] and "math domain error" in bad["error"] and "x = -1" in bad["error"]
    assert bad["texts"] == good["texts"]  # the last good numbers, every one
    assert bad["values"] == {"x": 1.5, "y": 3.0} and x.data == 1.5  # the leaf went back to its last good number
    after = graph.set({"y": 2.0})  # and it keeps working
    assert after["error"] is None
    check_against_eager(graph, after, evaluate_text("log(x*y)+y", {"x": 1.5, "y": 2.0})[0])


@pytest.mark.parametrize("value", ["2", None, True, math.inf, math.nan, [1.0], 10**400])
def test_a_number_that_is_not_a_finite_number_changes_nothing(value: object) -> None:
    graph = LiveGraph(examples.two_paths())
    before = graph.state()
    state = graph.set({"b": value})
    assert state["error"] == "b: not a finite number"
    assert state["texts"] == before["texts"] and state["values"] == before["values"]
    assert graph.set({"nope": 1.0})["error"] == "nope: no input of that name (the inputs: a, b)"


def test_only_named_leaves_are_inputs_and_no_grad_is_touched() -> None:
    x, y, z = Value(1.0, "x"), Value(2.0, "y"), Value(0.5)
    out = sg.maximum(x, 0.0) * 3 + y * z  # 0.0 becomes an engine constant, 3 is folded, z is unnamed
    for leaf in (x, y, z):
        leaf.grad = -9.0
    graph = LiveGraph(out)
    assert list(graph.inputs) == ["x", "y"]
    assert list(LiveGraph(out, names={"z": z}).inputs) == ["x", "y", "z"]
    graph.set({"x": -2.0, "y": 4.0})
    graph.frames("backward")
    assert [leaf.grad for leaf in (x, y, z)] == [-9.0, -9.0, -9.0]
    assert out.data == 2.0 and x.data == -2.0  # the graph itself follows the inputs (Tape.sync)


def test_step_frames_carry_the_engines_steps_at_the_current_numbers() -> None:
    graph = LiveGraph(examples.two_paths())
    graph.set({"a": 1.5, "b": -2.0})
    eager, leaves = evaluate_text("(a+b)*(b+1)", {"a": 1.5, "b": -2.0})
    twin = dict(zip(reading_order(eager), reading_order(graph.root)))

    def cumulative(frames: list[dict[str, Any]]) -> list[dict[str, str]]:
        states, texts = [], dict(graph.state()["texts"])
        for frame in frames:
            texts.update(frame["texts"])
            states.append(dict(texts))
        return states

    backward = graph.frames("backward")
    steps = list(backward_steps(eager))
    states = cumulative(backward["frames"])
    assert len(states) == len(steps) + 1
    for step, texts in zip(steps, states[1:]):
        for update in step.updates:
            assert texts[graph.layout.nodes[twin[update.parent]] + "-g"] == f"grad {num(update.grad_after)}"
    forward = graph.frames("forward", "b")
    tangents = list(forward_steps(eager, {leaves["b"]: 1.0}))
    states = cumulative(forward["frames"])
    for step, texts in zip(tangents, states[1:]):
        assert texts[graph.layout.nodes[twin[step.node]] + "-g"] == f"∂/∂b {num(step.tangent)}"
    assert tangents[-1].tangent == (-2.0 + 1) + (1.5 - 2.0)  # de/db = (b + 1) + (a + b) at a = 1.5, b = -2
    assert graph.frames("forward", "nope")["error"] == "nope: no input of that name (the inputs: a, b)"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_forward_mode_says_what_its_numbers_are(lang: str) -> None:
    """Below a wire forward mode shows local × input's derivative, not a gradient sent back; the table says ∂/∂b."""
    graph = LiveGraph(examples.two_paths(), style="circuit", lang=lang)
    words = TEXTS[lang]
    legend = "sg-legend"  # the circuit's legend: a slot, as its words change with the direction
    assert graph.state()["texts"][legend] == words["legend"]
    assert graph.state()["texts"]["rowhead"] == graph.words["grad"]
    first = graph.frames("forward", "b")["frames"][0]["texts"]
    assert first[legend] == words["legend_forward"] and first["rowhead"] == "∂/∂b"
    backward = graph.frames("backward")["frames"][0]["texts"]
    assert backward.get(legend, words["legend"]) == words["legend"] and backward.get("rowhead", "grad") != "∂/∂b"
    assert words["legend"] in graph.page()["svg"] or words["legend_forward"] in graph.page()["svg"]


def test_big_graphs_have_no_step_buttons_but_stay_live() -> None:
    x = Value(0.5, "x")
    y = x
    for _ in range(70):  # a chain: a Value read far from where it was made would make dot slow (viz.layout.spans)
        y = (y * 1.01).tanh() + 0.1
    graph = LiveGraph(y)
    assert graph.count > 200 and not graph.page()["steps"]
    assert "up to 200 Values" in graph.frames("backward")["error"]
    assert graph.set({"x": 0.25})["error"] is None


def test_hover_shows_the_ops_local_derivatives_at_the_current_numbers() -> None:
    graph = LiveGraph(examples.two_paths())
    graph.set({"b": 3.0})
    op = graph.layout.nodes[graph.root] + "op"
    assert op in graph.page()["ops"]
    assert graph.hover(op)["lines"] == ["local derivatives of e = c * d", "∂(c * d)/∂c = d = 4", "∂(c * d)/∂d = c = 5"]
    assert graph.hover("sg-n0")["lines"] == []  # a leaf is no op
    circuit = LiveGraph(examples.two_paths(), style="circuit", lang="ja")
    gate = circuit.layout.nodes[circuit.root]
    assert circuit.hover(gate)["lines"][0] == "e = c * d の局所的な微分"


def test_each_slot_has_room_for_the_widest_number_backward_and_forward() -> None:
    graph = LiveGraph(examples.apple_shopping())
    room = graph._room()
    apple = graph.layout.nodes[graph.inputs["apple"]]
    assert "data -8.888e+88" in room[f"{apple}-d"] and "grad -8.888e+88" in room[f"{apple}-g"]
    assert "∂/∂apple_num -8.888e+88" in room[f"{apple}-g"]  # forward mode, seeded at the longest name


class SlowApp:
    """An app whose recompute takes a while, recording what it was asked."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def page(self) -> dict[str, Any]:
        return {}

    def state(self) -> dict[str, Any]:
        return {}

    def handle(self, message: Mapping[str, Any]) -> dict[str, Any]:
        self.seen.append(dict(message))
        time.sleep(0.05)
        return {"state": {"values": dict(message.get("values", {}))}}

    def start(self, publish: Any) -> None:
        pass

    def close(self) -> None:
        pass


def test_messages_arriving_during_a_recompute_are_coalesced_into_the_latest() -> None:
    app = SlowApp()
    published: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def publish(key: str, value: Any) -> None:
        with lock:
            published.append((key, value))

    session = Session(app, publish)
    try:
        for i in range(1, 101):  # a dragged slider: a message per pixel, a for a while, then b too
            values = {"a": float(i)} if i <= 60 else {"b": float(i)}
            assert session.submit({"type": "set", "id": f"v-{i}", "values": values})
        session.submit({"type": "frames", "id": "v-101", "sweep": "backward"})
        assert session.idle()
        assert session.submitted == 101
        assert session.handled <= 4, app.seen  # the first, then the latest of each type
        sets = [m for m in app.seen if m["type"] == "set"]
        assert sets[-1]["values"] == {"a": 60.0, "b": 100.0}  # a's latest kept when b's came
        # Every message is acknowledged, those replaced by newer ones too: a page waits on the one it sent.
        acked = [i for key, ids in published if key == "ack" for i in ids]
        assert sorted(acked) == sorted(f"v-{i}" for i in range(1, 102)) and "v-101" in published[-1][1]
        assert not session.submit({"id": "x"}) and not session.submit(["set"]) and not session.submit({"type": 1})
        assert not session.submit({"type": "set", "id": 3}) and not session.submit({"type": "set", "values": 2})
        assert not session.submit({"type": "set", "id": "x" * 65})
    finally:
        session.close()


def test_a_live_graph_under_a_session_recomputes_the_latest_numbers_once_per_burst() -> None:
    graph = LiveGraph(examples.two_paths())
    recomputes = 0
    original = graph._recompute

    def counted() -> None:
        nonlocal recomputes
        recomputes += 1
        time.sleep(0.02)
        original()

    graph._recompute = counted  # type: ignore[method-assign]
    states: list[dict[str, Any]] = []
    session = Session(graph, lambda key, value: states.append(value) if key == "state" else None)
    try:
        for i in range(50):
            session.submit({"type": "set", "id": f"p-{i + 1}", "values": {"b": i / 10}})
        assert session.idle()
        assert recomputes <= 3
        check_against_eager(graph, states[-1], evaluate_text("(a+b)*(b+1)", {"a": 2.0, "b": 4.9})[0])
    finally:
        session.close()


def test_both_languages_have_every_live_word_with_the_same_placeholders() -> None:
    assert set(LIVE_TEXTS) == set(TEXTS)
    en, ja = LIVE_TEXTS["en"], LIVE_TEXTS["ja"]
    assert set(en) == set(ja)
    for key in en:
        fields = {name for _, name, _, _ in string.Formatter().parse(en[key]) if name}
        assert fields == {name for _, name, _, _ in string.Formatter().parse(ja[key]) if name}, key
    assert not set(en) & set(TEXTS["en"]), "a live word would hide a diagram word of the same key"
    page = LiveGraph(examples.two_paths(), lang="ja").page()
    assert page["title"] == "ライブ計算グラフ：e" and page["words"]["grad"] == "勾配"
    with pytest.raises(ValueError, match="lang='fr'"):
        LiveGraph(examples.two_paths(), lang="fr")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="Value as root"):
        LiveGraph(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="style='boxes'"):
        LiveGraph(examples.two_paths(), style="boxes")
    with pytest.raises(ValueError, match="fmt"):
        LiveGraph(examples.two_paths(), fmt="<9")
    with pytest.raises(ValueError, match="input 'x' is inf"):  # the page could not show it, nor JSON carry it
        LiveGraph(Value(math.inf, "x") * 0.0 + Value(1.0, "y"))


def test_the_function_and_its_package_have_different_names() -> None:
    """`scalargrad.live` is the function; the package is `scalargrad.liveview`, so importing a module of it works."""
    import scalargrad.liveview.session as session

    assert callable(sg.live) and sg.live.__module__ == "scalargrad.liveview"
    assert session.Session is Session

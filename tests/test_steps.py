"""backward_steps: the seeds' worked numbers, step by step, and local derivatives against central differences."""

from __future__ import annotations

import math
from typing import Any

import pytest

import scalargrad as sg
from scalargrad import Value, examples
from scalargrad.engine import ParentUpdate, Step, backward_steps, consumers_first, on_floats, recipe


def colah() -> tuple[Value, dict[str, Value]]:
    """Seed 003: e = (a + b)(b + 1) at a=2, b=1."""
    e = examples.two_paths()
    return e, examples.nodes_by_label(e)


def test_colah_two_paths_add_up_to_five() -> None:
    e, v = colah()
    steps = list(backward_steps(e))
    assert [s.index for s in steps] == [1, 2, 3]
    first = steps[0]
    assert first.node is v["e"] and first.upstream == 1.0
    # e = c * d: de/dc = d = 2, de/dd = c = 3 (seed 003's edge labels).
    assert [(u.parent, u.local, u.contribution, u.grad_after) for u in first.updates] == [
        (v["c"], 2.0, 2.0, 2.0),
        (v["d"], 3.0, 3.0, 3.0),
    ]
    # Then c and d, in whichever order backward visits them; b collects 2 from c's path and 3 from d's.
    by_node = {s.node.label: s for s in steps[1:]}
    assert set(by_node) == {"c", "d"}
    assert [(u.parent.label, u.local, u.contribution) for u in by_node["c"].updates] == [("a", 1, 2), ("b", 1, 2)]
    assert [(u.parent.label, u.local, u.contribution) for u in by_node["d"].updates] == [("b", 1, 3)]
    b_updates = [u for s in steps for u in s.updates if u.parent is v["b"]]
    assert sorted(u.contribution for u in b_updates) == [2.0, 3.0]
    assert [u.grad_after for u in b_updates][-1] == 5.0  # de/db = 5
    assert b_updates[0].grad_after in (2.0, 3.0)


def test_apples_and_oranges_match_the_seed() -> None:
    """Seed 004: 2 apples at 100, 3 oranges at 150, tax 1.1: 715; dApple 2.2, dApple_num 110, dOrange 3.3,
    dOrange_num 165, dTax 650."""
    apple, apple_num = Value(100, "apple"), Value(2, "apple_num")
    orange, orange_num = Value(150, "orange"), Value(3, "orange_num")
    tax = Value(1.1, "tax")
    total = (apple * apple_num + orange * orange_num) * tax
    assert total.data == pytest.approx(715)
    final = {u.parent.label: u.grad_after for s in backward_steps(total) for u in s.updates if u.parent.label}
    expected = {"apple": 2.2, "apple_num": 110, "orange": 3.3, "orange_num": 165, "tax": 650}
    assert final == pytest.approx(expected, rel=1e-12)


def test_order_and_results_are_those_of_value_backward() -> None:
    x, y = Value(0.7, "x"), Value(-1.3, "y")
    z = x * y
    out = (z.tanh() + z.sigmoid() * x) / (1 + y**2) + sg.maximum(x, y).exp()
    steps = list(backward_steps(out))
    assert [s.node for s in steps] == [n for n in consumers_first(out) if n.parents]
    shown = {}
    for s in steps:
        for u in s.updates:
            shown[u.parent] = u.grad_after
    out.backward()
    for node in consumers_first(out):
        if node is not out:
            assert shown[node] == node.grad, node


def test_the_graph_gradients_are_left_alone() -> None:
    e, v = colah()
    for node in v.values():
        node.grad = 7.0
    steps = list(backward_steps(e))
    assert all(node.grad == 7.0 for node in v.values())
    assert steps[-1].updates[-1].grad_after in (2.0, 5.0)  # fresh gradients, not 7 + ...


def test_a_plus_a_sends_two_contributions() -> None:
    a = Value(3.0, "a")
    b = a + a
    (step,) = backward_steps(b)
    assert step.updates == (ParentUpdate(a, 1.0, 1.0, 1.0), ParentUpdate(a, 1.0, 1.0, 2.0))
    c = a * a  # d(a*a)/da = 2a = 6, as a + a shows it: 3 then 3 more
    (step,) = backward_steps(c)
    assert [(u.local, u.grad_after) for u in step.updates] == [(3.0, 3.0), (3.0, 6.0)]


def test_local_derivative_is_reported_when_no_gradient_arrives() -> None:
    """relu(x*y) with x*y < 0: the product gets upstream 0, yet d(x*y)/dx = y is still shown."""
    x, y = Value(2.0, "x"), Value(-3.0, "y")
    out = (x * y).relu()
    steps = list(backward_steps(out))
    product = steps[1]
    assert product.upstream == 0.0
    assert [(u.local, u.contribution) for u in product.updates] == [(-3.0, 0.0), (2.0, 0.0)]


def test_the_seed_gradient_scales_everything() -> None:
    e, _ = colah()
    final = {u.parent.label: u.grad_after for s in backward_steps(e, 2.0) for u in s.updates}
    assert final["a"] == 4.0 and final["b"] == 10.0


def central(rule: Any, args: list[float], consts: tuple[float, ...], k: int, h: float = 1e-6) -> float:
    up = list(args)
    down = list(args)
    up[k] += h
    down[k] -= h
    return (rule(up, consts, on_floats)[0] - rule(down, consts, on_floats)[0]) / (2 * h)  # type: ignore[no-any-return]


def test_every_local_derivative_matches_central_differences_of_the_forward_rule() -> None:
    """The oracle uses only each op's forward value (recipe), never its backward closure."""
    x, y, w = Value(0.8, "x"), Value(-0.6, "y"), Value(1.7, "w")
    parts = [
        x * y,
        x / y,
        x - y,
        x**3,
        w**x,
        2**x,
        3 / x,
        5 - y,
        -x,
        x.exp(),
        w.log(),
        w.sqrt(),
        y.sin(),
        y.cos(),
        x.tanh(),
        y.sigmoid(),
        x.relu(),
        abs(y),
        sg.maximum(x, y),
        sg.minimum(x, y),
        sg.sum([x, y, w], start=2.0),
        sg.dot([x, y], [w, x], bias=y),
        sg.dot([x, y], [0.5, -2.0]),
    ]
    out = sg.sum(parts)
    checked = 0
    for step in backward_steps(out):
        rule, consts = recipe(step.node)
        args = [p.data for p in step.node.parents]
        for k, update in enumerate(step.updates):
            assert update.local == pytest.approx(central(rule, args, consts, k), rel=1e-6, abs=1e-8), step.node.op
            assert math.isclose(update.contribution, step.upstream * update.local, rel_tol=1e-15)
            checked += 1
    assert checked >= 30


def test_describe_reads_like_the_chain_rule() -> None:
    e, _ = colah()
    first = next(backward_steps(e))
    assert isinstance(first, Step)
    assert first.describe() == "step 1: e = c * d, upstream 1: c += 1 × 2 = 2 → 2; d += 1 × 3 = 3 → 3"
    x = Value(4.0)
    y = x * 3
    (step,) = backward_steps(y)
    names = {id(x): "x", id(y): "y"}
    assert step.describe(name=lambda v: names[id(v)]) == "step 1: y = x*3, upstream 1: x += 1 × 3 = 3 → 3"
    (step,) = backward_steps(1 / x)
    assert step.describe(fmt=".2f") == "step 1: out = 1/v1, upstream 1.00: v1 += 1.00 × -0.06 = -0.06 → -0.06"
    (step,) = backward_steps(1 / x, names={"x": x})
    assert step.describe(fmt=".2f") == "step 1: out = 1/x, upstream 1.00: x += 1.00 × -0.06 = -0.06 → -0.06"


def test_unlabelled_nodes_get_unique_stable_names() -> None:
    """Two different unlabelled products are t1 and t2, not both (*); the numbering follows operand order."""
    x, y = Value(2.0, "x"), Value(3.0, "y")
    out = (x * y) * (x * 0.5) + y
    lines = [step.describe() for step in backward_steps(out)]
    assert lines[0] == "step 1: out = t3 + y, upstream 1: t3 += 1 × 1 = 1 → 1; y += 1 × 1 = 1 → 1"
    assert lines[1] == "step 2: t3 = t1 * t2, upstream 1: t1 += 1 × 1 = 1 → 1; t2 += 1 × 6 = 6 → 6"
    assert {line.split(" = ")[0].split(": ")[1] for line in lines} == {"out", "t1", "t2", "t3"}
    # The same in every run, and the same names in forward mode.
    assert [s.describe() for s in backward_steps(out)] == lines
    forward = [s.describe().split(" = ")[0].split(": ")[1] for s in sg.forward_steps(out, {x: 1.0})]
    assert sorted(forward) == ["out", "t1", "t2", "t3"] and forward[-1] == "out"


def test_generated_names_never_repeat_a_label_and_shared_labels_are_numbered() -> None:
    a, b = Value(1.0, "t1"), Value(2.0, "t1")
    names = sg.engine.NodeNames(a * b + 1)
    assert [names(v) for v in names] == ["t1", "t1#2", "t2", "out"]
    assert names.given(a) and names.given(b) and not names.given(next(iter(reversed(list(names)))))


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="Value"):
        backward_steps(2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="real number"):
        backward_steps(Value(1.0), "1")  # type: ignore[arg-type]
    assert list(backward_steps(Value(1.0))) == []  # a leaf: nothing to do

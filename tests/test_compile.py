"""Compiled replay (`scalargrad.compile`) against eager execution and independent oracles.

Replay must reproduce eager execution exactly: the same floats for the output
and for every leaf gradient, because it runs the same rules in the same order
(eager execution is the specification here). Where a number can be known
without scalargrad, it is checked against that too: plain-float formulas and
central differences per op, hand-derived gradients for branch flips and
accumulation, a closed form for a long chain, and PyTorch float64 for an MLP.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence

import pytest
from backends import OPS, Op
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import scalargrad as sg
from scalargrad import Value
from scalargrad.engine import consumers_first, recipe
from scalargrad.engine.rules import registered as rules
from scalargrad.replay import GraphChangedError, Tape, compile


def rule_of(node: Value) -> object:
    return recipe(node)[0]


def same(a: float, b: float) -> bool:
    """The same float: NaN equals NaN, 0.0 differs from -0.0."""
    return repr(a) == repr(b)


# ---------------------------------------------------------------------------
# Every registered rule replays, and matches its float reference.
# ---------------------------------------------------------------------------

POINT_A = [0.7, 1.3, 0.4, 1.1, 0.9]
POINT_B = [1.9, 0.6, 1.2, 0.35, 1.5]  # x0 > x1 here, x0 < x1 at A: max and min switch input
CONSTS = [2.0, 0.5, 1.25]


def build_op(op: Op, leaves: Sequence[Value]) -> Value:
    return op.build(leaves[: op.values], CONSTS[: op.consts])


def central_difference(f: Callable[[list[float]], float], x: list[float], i: int, h: float = 1e-6) -> float:
    up, down = list(x), list(x)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)


def test_every_registered_rule_is_exercised_by_replay() -> None:
    """Enumerates the engine's rules, so an op added there without a replay test fails here."""
    covered: dict[object, list[str]] = {}
    for name, op in OPS.items():
        covered.setdefault(rule_of(build_op(op, [Value(x) for x in POINT_A])), []).append(name)
    missing = [symbol for rule, symbol in rules().items() if rule not in covered]
    assert not missing, f"rules with no replay test (add them to OPS): {missing}"


@pytest.mark.parametrize("codegen", [True, False], ids=["code", "interpreted"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_each_op_replays_on_new_values(name: str, codegen: bool) -> None:
    """Each op, replayed as code and op by op: its float reference, central differences, and eager bit for bit."""
    op = OPS[name]
    leaves = [Value(x) for x in POINT_A[: op.values]]
    tape = compile(build_op(op, leaves), codegen=codegen)
    assert tape.codegen is codegen
    for leaf, x in zip(leaves, POINT_B):
        leaf.data = x
    value = tape.forward()
    tape.backward()

    point = POINT_B[: op.values]
    consts = CONSTS[: op.consts]
    assert math.isclose(value, op.ref(point, consts), rel_tol=1e-13)
    for i, leaf in enumerate(leaves):
        expected = central_difference(lambda x: op.ref(x, consts), point, i)
        assert math.isclose(leaf.grad, expected, rel_tol=1e-6, abs_tol=1e-8), (name, i, leaf.grad, expected)

    # And exactly what an eager build at the new point gives.
    replayed = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0
    eager = build_op(op, leaves)
    eager.backward()
    assert same(value, eager.data)
    assert all(same(g, leaf.grad) for g, leaf in zip(replayed, leaves))


# ---------------------------------------------------------------------------
# Random graphs over every op: replay == eager, bit for bit.
# ---------------------------------------------------------------------------

Program = tuple[int, list[tuple[str, list[int], list[float]]]]

plain_numbers = st.one_of(
    st.sampled_from([0.0, -0.0, 0.5, -1.0, 1.0, 2.0, 3.0, -2.5]),
    st.floats(-3.0, 3.0, allow_subnormal=False),
)


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """Leaves, then ops each reading any earlier node: shared subexpressions and ``a + a`` fan-out."""
    n_leaves = draw(st.integers(1, 4))
    steps = []
    for k in range(draw(st.integers(1, 10))):
        name = draw(st.sampled_from(sorted(OPS)))
        op = OPS[name]
        operands = [draw(st.integers(0, n_leaves + k - 1)) for _ in range(op.values)]
        steps.append((name, operands, [draw(plain_numbers) for _ in range(op.consts)]))
    return n_leaves, steps


def run(program: Program, leaves: Sequence[Value]) -> Value:
    """Build the program eagerly; the output sums every op's node so all of them are in the graph."""
    pool = list(leaves)
    for name, operands, consts in program[1]:
        pool.append(OPS[name].build([pool[i] for i in operands], consts))
    return sg.sum(pool[len(leaves) :])


def eager_and_replay_grads(
    eager: Value, tape: Tape, leaves: Sequence[Value], start: Sequence[float]
) -> tuple[list[float], list[float]]:
    """Leaf gradients after each backward, both starting from ``start`` (leaves accumulate)."""
    for leaf, g in zip(leaves, start):
        leaf.grad = g
    eager.backward()
    expected = [leaf.grad for leaf in leaves]
    for leaf, g in zip(leaves, start):
        leaf.grad = g
    tape.backward()
    return expected, [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("codegen", [True, False], ids=["code", "interpreted"])
@settings(max_examples=150)
@given(programs(), st.data())
def test_random_graphs_replay_exactly_like_eager(codegen: bool, program: Program, data: st.DataObject) -> None:
    """Random graphs, replayed as code and op by op, with and without ``sync``: eager's floats, bit for bit.

    Oracle: the graph built eagerly at the new point (``repr`` equality of
    the output, every leaf gradient, and every interior Value once synced).
    """
    n_leaves = program[0]
    points = st.lists(st.floats(-3.0, 3.0, allow_subnormal=False), min_size=n_leaves, max_size=n_leaves)
    leaves = [Value(x) for x in data.draw(points, label="recorded at")]
    sync = data.draw(st.booleans(), label="sync")
    try:
        tape = compile(run(program, leaves), sync=sync, codegen=codegen)
    except (ArithmeticError, ValueError):
        assume(False)  # no graph to record where the first build fails
    for leaf, x in zip(leaves, data.draw(points, label="replayed at")):
        leaf.data = x
    try:
        eager = run(program, leaves)
    except (ArithmeticError, ValueError):
        # Eager fails at the new point, so replay must fail too (perhaps at another op first).
        event("the new point is outside an op's domain")
        with pytest.raises((ArithmeticError, ValueError), match=r"Tape\.forward\(\)"):
            tape.forward()
        return
    assert same(tape.forward(), eager.data)
    try:
        start = data.draw(points, label="leaf gradients before backward")
        expected, replayed = eager_and_replay_grads(eager, tape, leaves, start)
    except (ArithmeticError, ValueError) as error:  # a local derivative out of float range
        event("a derivative fails")
        with pytest.raises(type(error)):  # replay meets the same closure first
            tape.backward()
        return
    assert [repr(g) for g in replayed] == [repr(g) for g in expected]

    # sync() makes every interior Value what the eager build holds; sync=True did so already.
    if not sync:
        tape.sync()
    synced, fresh = consumers_first(tape.output), consumers_first(eager)
    assert len(synced) == len(fresh)
    for a, b in zip(synced, fresh):
        assert same(a.data, b.data) and rule_of(a) is rule_of(b)
        if a.parents:
            assert same(a.grad, b.grad)


# ---------------------------------------------------------------------------
# Training: replay step for step against eager, and one gradient against PyTorch.
# ---------------------------------------------------------------------------

SIZES = (2, 4, 3, 1)


def make_params(seed: int) -> list[list[tuple[list[Value], Value]]]:
    rng = random.Random(seed)
    return [
        [([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(rng.uniform(-0.1, 0.1))) for _ in range(nout)]
        for nin, nout in itertools.pairwise(SIZES)
    ]


def flat(layers: list[list[tuple[list[Value], Value]]]) -> list[Value]:
    return [p for layer in layers for ws, b in layer for p in [*ws, b]]


def mlp_loss(layers: list[list[tuple[list[Value], Value]]], xs: list[list[Value]], ys: list[Value]) -> Value:
    """tanh then relu hidden layers, linear output; hinge + squared error + L2."""
    scores = []
    for x in xs:
        h: list[Value] = list(x)
        for depth, layer in enumerate(layers):
            z = [sg.dot(ws, h, b) for ws, b in layer]
            h = [v.tanh() for v in z] if depth == 0 else z if depth == len(layers) - 1 else [v.relu() for v in z]
        scores.append(h[0])
    hinge = sg.sum((1 - y * s).relu() for y, s in zip(ys, scores)) / len(xs)
    squared = sg.sum((s - y) ** 2 for y, s in zip(ys, scores)) * (0.1 / len(xs))
    return hinge + squared + 1e-3 * sg.sum(p * p for p in flat(layers))


def toy_data() -> tuple[list[list[float]], list[float]]:
    rng = random.Random(7)
    points = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(12)]
    return points, [1.0 if x * x + y * y < 1.5 else -1.0 for x, y in points]


@pytest.mark.parametrize("sync", [False, True], ids=["no sync", "sync"])
@pytest.mark.parametrize("codegen", [True, False], ids=["code", "interpreted"])
def test_training_matches_eager_step_by_step(codegen: bool, sync: bool) -> None:
    """20 SGD steps on minibatches written into input leaves: loss and parameters are eager's floats, every step.

    Replayed as code and op by op, with and without ``sync``; oracle: the
    graph rebuilt eagerly every step (exact equality).
    """
    points, labels = toy_data()
    batch = 4
    eager_layers, tape_layers = make_params(3), make_params(3)
    # The tape's inputs are leaves too: each step writes the next minibatch into them.
    xs = [[Value(0.0), Value(0.0)] for _ in range(batch)]
    ys = [Value(0.0) for _ in range(batch)]
    eager_xs = [[Value(0.0), Value(0.0)] for _ in range(batch)]
    eager_ys = [Value(0.0) for _ in range(batch)]
    tape = compile(mlp_loss(tape_layers, xs, ys), codegen=codegen, sync=sync)
    eager_params, tape_params = flat(eager_layers), flat(tape_layers)
    for step in range(20):
        start = step * batch % len(points)
        for inputs, targets in ((xs, ys), (eager_xs, eager_ys)):
            for x, y, point, label in zip(inputs, targets, points[start:], labels[start:]):
                x[0].data, x[1].data = point
                y.data = label
        eager_loss = mlp_loss(eager_layers, eager_xs, eager_ys)
        for p in eager_params + tape_params:
            p.grad = 0.0
        eager_loss.backward()
        assert same(tape.forward(), eager_loss.data), step
        tape.backward()
        if sync:  # every interior Value holds what the eager build holds
            for a, b in zip(consumers_first(tape.output), consumers_first(eager_loss), strict=True):
                assert same(a.data, b.data) and (not a.parents or same(a.grad, b.grad)), step
        for p in eager_params + tape_params:
            p.data -= 0.1 * p.grad
        assert [p.data for p in tape_params] == [p.data for p in eager_params], step
    assert eager_params[0].data != make_params(3)[0][0][0][0].data  # training did move the parameters


@pytest.mark.parametrize("codegen", [True, False], ids=["code", "interpreted"])
def test_replayed_mlp_gradient_matches_pytorch(codegen: bool) -> None:
    torch = pytest.importorskip("torch")
    points, labels = toy_data()
    layers = make_params(5)
    xs = [[Value(a), Value(b)] for a, b in points[:4]]
    ys = [Value(y) for y in labels[:4]]
    tape = compile(mlp_loss(layers, xs, ys), codegen=codegen)
    # Move the parameters, so the replay (not the recording build) is what gets checked.
    for p in flat(layers):
        p.data *= 0.9
    loss = tape.forward()
    tape.backward()

    t_layers = [[(torch.tensor([w.data for w in ws], dtype=torch.float64, requires_grad=True),
                  torch.tensor(b.data, dtype=torch.float64, requires_grad=True)) for ws, b in layer]
                for layer in layers]  # fmt: skip
    t_x = torch.tensor(points[:4], dtype=torch.float64)
    t_y = torch.tensor(labels[:4], dtype=torch.float64)
    h = t_x
    for depth, layer in enumerate(t_layers):
        z = torch.stack([h @ w + b for w, b in layer], dim=1)
        h = torch.tanh(z) if depth == 0 else z if depth == len(t_layers) - 1 else torch.relu(z)
    s = h[:, 0]
    t_params = [t for layer in t_layers for w, b in layer for t in (w, b)]
    t_loss = (
        torch.relu(1 - t_y * s).mean()
        + ((s - t_y) ** 2).sum() * (0.1 / 4)
        + 1e-3 * sum((t * t).sum() for t in t_params)
    )
    t_loss.backward()
    assert math.isclose(loss, t_loss.item(), rel_tol=1e-12)
    expected = [g for layer in t_layers for w, b in layer for g in [*w.grad.tolist(), b.grad.item()]]
    for got, want in zip([p.grad for p in flat(layers)], expected, strict=True):
        assert math.isclose(got, want, rel_tol=1e-10, abs_tol=1e-14)


# ---------------------------------------------------------------------------
# Semantics.
# ---------------------------------------------------------------------------


def test_value_dependent_ops_take_the_new_branch() -> None:
    x, w = Value(1.0, "x"), Value(2.0, "w")
    out = (w * x).relu() + abs(x - 0.5) + sg.maximum(w, x)
    tape = compile(out)
    assert tape.forward() == 2.0 + 0.5 + 2.0

    # w < 0: relu is off, and max now passes x through. By hand:
    # out = 0 + |1 - 0.5| + x = 1.5; d/dw = 0; d/dx = 1 (abs, positive side) + 1 (max) = 2.
    w.data = -2.0
    assert tape.forward() == 1.5
    tape.backward()
    assert (w.grad, x.grad) == (0.0, 2.0)

    # And back: out = w x + |x - 0.5| + w at x = 0.25, w = 3: 0.75 + 0.25 + 3;
    # d/dw = x + 1 = 1.25, d/dx = w - 1 = 2 (abs on its negative side).
    w.data, x.data = 3.0, 0.25
    w.grad = x.grad = 0.0
    assert tape.forward() == 4.0
    tape.backward()
    assert (w.grad, x.grad) == (1.25, 2.0)


def test_leaves_accumulate_like_value_backward() -> None:
    x, y = Value(3.0), Value(4.0)
    tape = compile(x * y + x)
    x.grad = 1.0  # accumulates on top of what is there
    tape.forward()
    tape.backward()
    assert (x.grad, y.grad) == (1.0 + 5.0, 3.0)
    tape.backward(grad=2.0)  # again, without a new forward: the closures are kept
    assert (x.grad, y.grad) == (1.0 + 5.0 + 10.0, 3.0 + 6.0)


def test_backward_before_forward_is_a_clear_error() -> None:
    tape = compile(Value(2.0) * Value(3.0))
    with pytest.raises(RuntimeError, match=r"Tape\.backward\(\) needs Tape\.forward\(\) first"):
        tape.backward()
    with pytest.raises(RuntimeError, match=r"forward\(\) first"):
        tape.sync()


@pytest.mark.parametrize("codegen", [True, False], ids=["code", "interpreted"])
def test_failing_forward_names_the_op_and_leaves_no_stale_closures(codegen: bool) -> None:
    x = Value(2.0, "x")
    tape = compile((x.log() * 3.0).tanh(), codegen=codegen)
    tape.forward()
    x.data = -1.0
    with pytest.raises(ValueError, match=r"Tape\.forward\(\): op 0: 'log' on \(leaf 0 'x'\), arguments \(-1\.0\)"):
        tape.forward()
    with pytest.raises(RuntimeError, match="first"):
        tape.backward()


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(TypeError, match=r"compile\(\) needs a Value"):
        compile(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rebuild"):
        compile(Value(1.0), rebuild=5)  # type: ignore[arg-type]
    tape = compile(Value(1.0) + 1)
    tape.forward()
    with pytest.raises(TypeError, match=r"backward\(grad\) needs a real number"):
        tape.backward("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rebuild=fn"):
        tape.check()


def test_a_leaf_compiles_to_an_empty_tape() -> None:
    x = Value(5.0)
    tape = compile(x)
    assert len(tape) == 0 and tape.leaves == (x,) and tape.output is x
    x.data = 6.0
    assert tape.forward() == 6.0
    tape.backward(grad=2.0)
    tape.backward()
    assert x.grad == 3.0


def test_sync_writes_current_numbers_into_the_graph() -> None:
    a, b = Value(2.0, "a"), Value(-1.0, "b")
    c = a * b
    out = (c + a).relu()
    tape = compile(out, sync=True)
    a.data, b.data = 3.0, 2.0
    assert tape.forward() == 9.0
    # By hand: c = 6, out = relu(9) = 9, dout/dc = 1, dout/da = b + 1 = 3, dout/db = a = 3.
    assert (c.data, out.data, c.grad) == (6.0, 9.0, 0.0)  # grads are zero until backward, as in a fresh build
    tape.backward()
    assert (c.grad, out.grad, a.grad, b.grad) == (1.0, 1.0, 3.0, 3.0)
    # The synced graph is a working eager graph: its own backward gives the same numbers.
    a.grad = b.grad = 0.0
    out.backward()
    assert (a.grad, b.grad) == (3.0, 3.0)


def test_leaves_len_and_repr() -> None:
    x, w = Value(1.0, "x"), Value(2.0, "w")
    out = (w * x + w).relu() * 3
    tape = compile(out)
    assert len(tape) == 4
    assert set(tape.leaves) == {x, w} and len(tape.leaves) == 2
    # A stable order: the same structure built again lists its leaves the same way.
    assert compile((w * x + w).relu() * 3).leaves == tape.leaves
    assert repr(tape) == "<Tape: 4 ops (1 *, 1 +, 1 relu, 1 *c) over 2 leaves, not run>"
    tape.forward()
    assert repr(tape).endswith("over 2 leaves, output 12>")


# ---------------------------------------------------------------------------
# Size: a million nodes, no recursion.
# ---------------------------------------------------------------------------


def test_a_million_node_chain_compiles_and_replays() -> None:
    a, b, steps = 0.999999, 1e-6, 500_000
    x0 = Value(0.5)
    x = x0
    for _ in range(steps):
        x = x * a + b  # two nodes per step
    tape = compile(x)
    del x
    assert len(tape) == 2 * steps
    x0.data = 2.0
    value = tape.forward()
    tape.backward()
    # Closed form of x <- a x + b repeated n times: a^n x0 + b (1 - a^n) / (1 - a); d/dx0 = a^n.
    an = a**steps
    assert math.isclose(value, an * 2.0 + b * (1 - an) / (1 - a), rel_tol=1e-9)
    assert math.isclose(x0.grad, an, rel_tol=1e-9)


# ---------------------------------------------------------------------------
# check(): structure changed by Python control flow.
# ---------------------------------------------------------------------------


def test_check_passes_when_only_values_changed() -> None:
    x, w = Value(1.0), Value(2.0)

    def build() -> Value:
        return (w * x).relu() + sg.maximum(x, 0.0)  # maximum lifts 0.0 into a new leaf each build

    tape = compile(build(), rebuild=build)
    w.data = -5.0
    tape.check()
    tape.check(build())


def test_check_names_a_changed_op() -> None:
    x = Value(1.0, "x")

    def build() -> Value:
        y = x * 2 if x.data > 0 else x.tanh()  # Python branching on a value
        return y + 1

    tape = compile(build(), rebuild=build)
    x.data = -1.0
    with pytest.raises(GraphChangedError, match=r"op 0 \(a different op\)[\s\S]*'\*2'[\s\S]*'tanh'"):
        tape.check()


def test_check_names_a_changed_constant_and_wiring_and_size() -> None:
    a, b = Value(1.0), Value(2.0)
    tape = compile(a * b * 3)
    with pytest.raises(GraphChangedError, match=r"different constants \(3\.0,\) -> \(4\.0,\)"):
        tape.check(a * b * 4)
    with pytest.raises(GraphChangedError, match="different inputs"):
        tape.check(a * a * 3)
    with pytest.raises(GraphChangedError, match="the tape has 2 ops, the new graph 3"):
        tape.check(a * b * 3 + 1)


def test_check_rejects_new_input_values() -> None:
    def build(x: float) -> Value:
        return Value(x) * 2  # a fresh input leaf: replay would never see its number

    tape = compile(build(1.0))
    with pytest.raises(GraphChangedError, match=r"Set \.data on the recorded leaves"):
        tape.check(build(2.0))
    # The same number is no excuse: the next change to it would go unseen by the tape.
    with pytest.raises(GraphChangedError, match=r"Set \.data on the recorded leaves"):
        tape.check(build(1.0))


def test_check_rejects_a_parameter_replaced_by_a_new_value_of_the_same_number() -> None:
    """Issue 13: replay kept reading the old parameter (2.0 where eager gives 10.0), and check() let it pass."""
    params = {"w": Value(1.0, "w")}
    x = Value(2.0, "x")

    def build() -> Value:
        return params["w"] * x

    tape = compile(build(), rebuild=build)
    params["w"] = Value(1.0, "w")  # a new Value holding the same number
    with pytest.raises(GraphChangedError, match=r"leaf \d+ of the new graph is a new Value"):
        tape.check()
    params["w"].data = 5.0  # what the silent acceptance led to: eager gives 10, the tape 2
    assert build().data == 10.0 and tape.forward() == 2.0


def test_check_accepts_the_constants_the_engine_makes_for_plain_numbers() -> None:
    x = Value(-1.5, "x")

    def build() -> Value:
        # maximum() and logsumexp() make a leaf for each plain number, afresh in every build.
        return sg.maximum(x, 0.0) + sg.logsumexp([x, 2.0]) + sg.dot([x, 3.0], [0.5, x])

    tape = compile(build(), rebuild=build)
    tape.check()
    x.data = 4.0
    tape.check()
    assert tape.forward() == build().data

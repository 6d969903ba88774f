"""The training helpers of `scalargrad.train` against eager training written out here, and hand-derived numbers.

`TrainingStep` must train exactly as the loop everybody writes by hand does:
build the loss, clear the gradients, ``backward()``, update. The oracle loop
below builds a fresh graph every step from fresh Values and never touches the
helper, the tape or the input leaves; both of the helper's modes must leave
the parameters bit-for-bit where it leaves them, after every step.
"""

from __future__ import annotations

import doctest
import math
import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from scalargrad import GraphChangedError, Value, dot
from scalargrad.losses import mse_loss
from scalargrad.nn import MLP
from scalargrad.optim import SGD, Adam
from scalargrad.train import ModelOutputs, TrainingStep, input_leaves, load_rows, one_hot

BATCH, NIN, NOUT = 4, 3, 2
LR = 0.05
Rows = list[list[float]]


def make_batches(steps: int, seed: int = 11) -> list[tuple[Rows, Rows]]:
    """``steps`` minibatches of ``BATCH`` rows drawn from 12 fixed samples, reshuffled each pass."""
    rng = random.Random(seed)
    xs = [[rng.uniform(-2, 2) for _ in range(NIN)] for _ in range(12)]
    ts = [[math.sin(sum(x)), x[0] * x[1]] for x in xs]
    order: list[int] = []
    batches = []
    for _ in range(steps):
        if not order:
            order = list(range(12))
            rng.shuffle(order)
        chunk, order = order[:BATCH], order[BATCH:]
        batches.append(([xs[i] for i in chunk], [ts[i] for i in chunk]))
    return batches


def batch_loss(model: MLP, xs: Sequence[Sequence[Value]], ts: Sequence[Sequence[Value]]) -> Value:
    """The loss both sides build: mean over the batch of each sample's mean squared error."""
    total = mse_loss(model(xs[0]), ts[0])
    for x, t in zip(xs[1:], ts[1:]):
        total = total + mse_loss(model(x), t)
    return total / len(xs)


def fresh_model() -> MLP:
    return MLP(NIN, [6, 6, NOUT], seed=7)


def bits(values: Sequence[float]) -> list[str]:
    """Floats as their exact text, so -0.0 and 0.0 differ and the comparison is bit for bit."""
    return [repr(float(v)) for v in values]


def eager_by_hand(optimizer: str, batches: list[tuple[Rows, Rows]]) -> list[tuple[list[str], str]]:
    """The oracle: plain eager training, a new graph from new Values every step."""
    model = fresh_model()
    params = model.parameters()
    adam = Adam(params, lr=LR) if optimizer == "adam" else None
    trajectory = []
    for rows, targets in batches:
        loss = batch_loss(model, [[Value(v) for v in r] for r in rows], [[Value(v) for v in t] for t in targets])
        for p in params:
            p.grad = 0.0
        loss.backward()
        if adam is not None:
            adam.step()  # Adam itself is held to torch.optim.Adam in test_optim.py
        else:
            for p in params:
                p.data -= LR * p.grad
        trajectory.append((bits([p.data for p in params]), repr(loss.data)))
    return trajectory


def with_helper(optimizer: str, batches: list[tuple[Rows, Rows]], compiled: bool) -> list[tuple[list[str], str]]:
    model = fresh_model()
    params = model.parameters()
    opt = Adam(params, lr=LR) if optimizer == "adam" else SGD(params, lr=LR)
    x, t = input_leaves(BATCH, NIN), input_leaves(BATCH, NOUT, label="t")
    step = TrainingStep(lambda: batch_loss(model, x, t), opt, compile=compiled)
    trajectory = []
    for rows, targets in batches:
        load_rows(x, rows)
        load_rows(t, targets)
        loss = step()
        trajectory.append((bits([p.data for p in params]), repr(loss)))
    assert (step.tape is not None) == compiled
    return trajectory


# ---------------------------------------------------------------------------
# Bit-identical to eager training.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "eager"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_helper_trains_exactly_as_eager_training_by_hand(optimizer: str, compiled: bool) -> None:
    batches = make_batches(9)
    expected = eager_by_hand(optimizer, batches)
    got = with_helper(optimizer, batches, compiled)
    for k, ((params, loss), (want_params, want_loss)) in enumerate(zip(got, expected, strict=True)):
        assert loss == want_loss, f"step {k}"
        assert params == want_params, f"step {k}"
    # Training did something: the loss fell and the parameters moved.
    losses = [float(loss) for _, loss in expected]
    assert min(losses[-3:]) < losses[0]
    assert expected[-1][0] != bits([p.data for p in fresh_model().parameters()])


def test_relu_branches_flip_during_the_compared_run() -> None:
    """The run above exercises value-dependent ops: some hidden ReLU changes side between batches."""
    model = fresh_model()
    batches = make_batches(9)
    sides = set()
    for rows, _ in batches:
        for row in rows:
            z = [v.data for v in model.layers[0](row)]
            sides.add(tuple(v > 0 for v in z))
    assert len(sides) > 1


# ---------------------------------------------------------------------------
# Refilling the input leaves: a linear model whose numbers are known by hand.
# ---------------------------------------------------------------------------


def test_each_step_reads_the_batch_loaded_into_the_leaves() -> None:
    w, b = [Value(0.5, "w0"), Value(-1.0, "w1")], Value(0.25, "b")
    x, t = input_leaves(2, 2), input_leaves(2, 1, label="t")

    def build() -> tuple[Value, list[Value]]:
        preds = [dot(w, row, b) for row in x]
        return mse_loss(preds, [row[0] for row in t]), preds

    step = TrainingStep(build, SGD([*w, b], lr=0.1), sync=True)
    for rows, targets in [([[1.0, 2.0], [3.0, -1.0]], [2.0, 0.0]), ([[0.5, 0.5], [-2.0, 1.0]], [1.0, -3.0])]:
        load_rows(x, rows)
        load_rows(t, [[v] for v in targets])
        ws, bias = [p.data for p in w], b.data
        # By hand: p_i = w . x_i + b, loss = mean (p_i - t_i)^2, d/dw_j = 2/n sum (p_i - t_i) x_ij,
        # d/db = 2/n sum (p_i - t_i), d/dx_ij = 2/n (p_i - t_i) w_j.
        preds = [ws[0] * r[0] + ws[1] * r[1] + bias for r in rows]
        errors = [p - y for p, y in zip(preds, targets)]
        grad_w = [sum(2 / 2 * e * r[j] for e, r in zip(errors, rows)) for j in range(2)]
        grad_b = sum(2 / 2 * e for e in errors)
        loss = step()
        assert math.isclose(loss, sum(e * e for e in errors) / 2, rel_tol=1e-12)
        # sync=True: the prediction Values show this step's numbers.
        assert [p.data for p in step.outputs] == pytest.approx(preds, rel=1e-12)
        assert [p.data for p in w] == pytest.approx([a - 0.1 * g for a, g in zip(ws, grad_w)], rel=1e-12)
        assert b.data == pytest.approx(bias - 0.1 * grad_b, rel=1e-12)
        # The input leaves hold this batch's gradient only: load_rows reset them.
        got_x = [[leaf.grad for leaf in row] for row in x]
        want_x = [[2 / 2 * e * ws[j] for j in range(2)] for e in errors]
        assert got_x == [pytest.approx(r, rel=1e-12) for r in want_x]


def test_without_sync_the_recorded_outputs_keep_their_first_numbers() -> None:
    w = Value(2.0, "w")
    x = input_leaves(1, 1)
    step = TrainingStep(lambda: ((w * x[0][0]) ** 2, [w * x[0][0]]), SGD([w], lr=0.0))
    load_rows(x, [[1.0]])
    assert step() == 4.0
    load_rows(x, [[3.0]])
    assert step() == 36.0  # the tape read the new input...
    assert step.outputs[0].data == 2.0  # ...but the Values of the recording build are as they were
    assert step.loss is not None and step.loss.data == 4.0


def test_eager_mode_builds_every_step_and_compiled_mode_once() -> None:
    w = Value(1.0)
    builds = []

    def build() -> Value:
        builds.append(1)
        return w * w

    # Compiled: the recording build, then one check (step 2); eager: a build per step, nothing to check.
    for compiled, expected in [(True, 2), (False, 4)]:
        builds.clear()
        step = TrainingStep(build, SGD([w], lr=0.1), compile=compiled, check_every=2)
        for _ in range(4):
            step()
        assert len(builds) == expected, compiled
        assert step.steps == 4


# ---------------------------------------------------------------------------
# check_every: Python control flow over values.
# ---------------------------------------------------------------------------


def test_check_every_catches_a_graph_whose_shape_follows_the_data() -> None:
    w = Value(1.0, "w")
    x = input_leaves(1, 1)
    builds = []

    def build() -> Value:
        builds.append(1)
        xv = x[0][0]
        # Python branching on a value: which graph gets built depends on the data.
        y = w * xv if xv.data > 0 else (w * xv).tanh()
        return y * y

    step = TrainingStep(build, SGD([w], lr=0.01), check_every=2)
    load_rows(x, [[1.0]])
    step()  # step 0 records
    step()  # step 1 replays
    assert len(builds) == 1
    step()  # step 2 checks first: same shape, fine
    assert len(builds) == 2
    load_rows(x, [[-1.0]])
    w_before = w.data
    # Step 3 is not checked and replays the recorded branch: (w x)^2, where eager gives tanh(w x)^2.
    assert step() == pytest.approx((w_before * -1.0) ** 2, rel=1e-15)
    assert (w_before * -1.0) ** 2 != pytest.approx(math.tanh(w_before * -1.0) ** 2, rel=0.1)
    w_before = w.data
    with pytest.raises(GraphChangedError, match=r"Tape\.check\(\): the graph changed at op 1"):
        step()  # step 4: checked, and the new graph has a tanh where the tape has a '*'
    assert w.data == w_before and step.steps == 4  # the failed step changed nothing


# ---------------------------------------------------------------------------
# Bad input.
# ---------------------------------------------------------------------------


def test_input_leaves_are_labelled_zeros_of_the_asked_shape() -> None:
    x = input_leaves(2, 3, label="img")
    assert [[leaf.data for leaf in row] for row in x] == [[0.0] * 3] * 2
    assert x[1][2].label == "img[1][2]" and x[1][2].op == ""
    with pytest.raises(ValueError, match=r"input_leaves\(\): n_rows must be at least 1, got 0"):
        input_leaves(0, 3)
    with pytest.raises(TypeError, match=r"input_leaves\(\): n_cols must be a whole number, got float"):
        input_leaves(2, 1.5)  # type: ignore[arg-type]


def test_load_rows_rejects_a_wrong_shape_and_writes_nothing() -> None:
    x = input_leaves(2, 3)
    load_rows(x, [[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError, match=r"load_rows\(\): the data has 1 rows, the leaves 2"):
        load_rows(x, [[7, 8, 9]])
    with pytest.raises(ValueError, match=r"load_rows\(\): row 1 of the data has 2 numbers, of the leaves 3"):
        load_rows(x, [[7, 8, 9], [10, 11]])
    with pytest.raises(TypeError, match=r"load_rows\(\): row 1, column 0 must be a number, got str"):
        load_rows(x, [[7, 8, 9], ["a", 11, 12]])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"row 0, column 2 must be a number, got Value"):
        load_rows(x, [[7, 8, Value(9.0)], [10, 11, 12]])  # type: ignore[list-item]
    # Every failure came before any write: the first batch is still there.
    assert [[leaf.data for leaf in row] for row in x] == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


def test_one_hot() -> None:
    assert one_hot(2, 4) == [0.0, 0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match=r"one_hot\(\): index 4 is out of range for 4 classes"):
        one_hot(4, 4)
    with pytest.raises(TypeError, match=r"one_hot\(\): index must be an integer"):
        one_hot(1.0, 4)  # type: ignore[arg-type]


def test_training_step_rejects_bad_arguments() -> None:
    w = Value(1.0)
    opt = SGD([w], lr=0.1)
    for bad in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match=r"check_every must be a whole number >= 1 or None"):
            TrainingStep(lambda: w * w, opt, check_every=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"optimizer must be an Optimizer, got list"):
        TrainingStep(lambda: w * w, [w])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="build_loss must be a function"):
        TrainingStep(w, opt)  # type: ignore[arg-type]
    for compiled in (True, False):
        step = TrainingStep(lambda: 3.0, opt, compile=compiled)  # type: ignore[arg-type,return-value]
        with pytest.raises(TypeError, match=r"build_loss\(\) must return the loss Value .* got float: 3\.0"):
            step()
    assert w.data == 1.0


def test_docs_compile_page_runs_as_printed() -> None:
    pytest.importorskip("numpy", reason="docs/compile.md shows batched replay, the `fast` extra's")
    page = Path(__file__).resolve().parent.parent / "docs" / "compile.md"
    failures, tried = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried > 20
    assert failures == 0


# ---------------------------------------------------------------------------
# TrainingStep(batch=...): one example's graph replayed over the batch.
# ---------------------------------------------------------------------------


def test_batched_step_trains_as_the_eager_loop_on_the_mean_loss() -> None:
    """``TrainingStep(..., batch=[x0, x1, y])`` against the eager loop written out, on minibatches of 5, 3 and 1.

    Oracle: a fresh graph through the minibatch every step, ``sum(losses) / n``,
    ``zero_grad``, ``backward()``, Adam's update. The batched step sums the same
    terms in another order, so losses, predictions and parameters agree to
    1e-12 (relative, against the largest parameter for those near zero).
    """
    pytest.importorskip("numpy")
    eager_model, batch_model = MLP(2, [5, 1], activation="tanh", seed=3), MLP(2, [5, 1], activation="tanh", seed=3)
    eager_opt, batch_opt = Adam(eager_model.parameters(), lr=0.05), Adam(batch_model.parameters(), lr=0.05)
    x0, x1, y = Value(0.0, "x0"), Value(0.0, "x1"), Value(0.0, "y")

    def build_loss() -> tuple[Value, Value]:
        prediction = batch_model([x0, x1])
        assert isinstance(prediction, Value)
        return (prediction - y) ** 2, prediction

    step = TrainingStep(build_loss, batch_opt, batch=[x0, x1, y])
    rng = random.Random(5)
    for k, n in enumerate([5, 3, 1] * 5):
        rows = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(n)]
        targets = [math.sin(a) * b for a, b in rows]

        predictions = [eager_model(row) for row in rows]
        loss = sum(((p - t) ** 2 for p, t in zip(predictions, targets)), Value(0.0)) / n  # type: ignore[operator]
        eager_opt.zero_grad()
        loss.backward()
        eager_opt.step()

        got = step([[a for a, _ in rows], [b for _, b in rows], targets])
        assert math.isclose(got, loss.data, rel_tol=1e-12), k
        assert step.outputs.tolist() == pytest.approx([p.data for p in predictions], rel=1e-12)
        scale = max(abs(p.data) for p in eager_model.parameters())
        for mine, theirs in zip(batch_model.parameters(), eager_model.parameters(), strict=True):
            assert abs(mine.data - theirs.data) <= 1e-12 * max(abs(theirs.data), scale), k
    assert step.steps == 15 and repr(step) == "<TrainingStep batched, 15 steps, Adam>"
    assert x0.grad == 0.0  # a batch leaf's gradient is per example, so the tape leaves it alone


def test_batched_step_keeps_a_list_of_outputs_as_arrays() -> None:
    pytest.importorskip("numpy")
    w = Value(2.0, "w")
    x = Value(0.0, "x")

    def build_loss() -> tuple[Value, list[Value]]:
        a, b = w * x, x + 1.0
        return a * b, [a, b]  # the outputs kept must be nodes of the loss's graph

    step = TrainingStep(build_loss, SGD([w], lr=0.0), batch=[x])
    assert step([[1.0, 2.0, 3.0]]) == pytest.approx((4 + 12 + 24) / 3)
    assert [column.tolist() for column in step.outputs] == [[2.0, 4.0, 6.0], [2.0, 3.0, 4.0]]
    assert w.grad == pytest.approx((2 + 6 + 12) / 3)  # d(mean of w x (x + 1))/dw


def test_batched_step_is_called_with_columns_and_takes_no_eager_options() -> None:
    w, x = Value(1.0, "w"), Value(0.0, "x")
    opt = SGD([w], lr=0.1)
    for options in ({"compile": False}, {"sync": True}, {"check_every": 2}):
        with pytest.raises(ValueError, match=r"always replays, and takes no compile=False, check_every or sync"):
            TrainingStep(lambda: w * x, opt, batch=[x], **options)  # type: ignore[arg-type]
    plain = TrainingStep(lambda: w * x, opt)
    with pytest.raises(TypeError, match=r"takes columns \(one per batch leaf\) exactly when it was made with batch"):
        plain([[1.0]])
    pytest.importorskip("numpy")
    batched = TrainingStep(lambda: w * x, opt, batch=[x])
    with pytest.raises(TypeError, match=r"exactly when it was made with batch"):
        batched()
    assert w.data == 1.0  # nothing stepped


def test_training_step_docstring_runs_as_printed() -> None:
    pytest.importorskip("numpy")
    from scalargrad import train

    failures, tried = doctest.testmod(train, optionflags=doctest.ELLIPSIS)
    assert tried >= 10
    assert failures == 0


@pytest.mark.parametrize("batched", [False, True])
def test_model_outputs_are_the_models_own_on_every_row(batched: bool) -> None:
    """Each row's outputs as the model computes them eagerly, replayed over all rows or built one by one."""
    if batched:
        pytest.importorskip("numpy")
    model = MLP(2, [4, 3], seed=7)
    rows = [[0.5, -1.0], [2.0, 0.25], [-0.75, 0.0]]
    got = ModelOutputs(model, batched=batched)(rows)
    want = [[v.data for v in model([Value(x) for x in row])] for row in rows]
    assert got == [pytest.approx(w, rel=1e-12) for w in want]
    assert all(p.grad == 0.0 for p in model.parameters())  # evaluating trains nothing

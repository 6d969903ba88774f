"""The training dashboard's Python side: the same floats as an eager training loop, and controls that work.

The oracle for the numbers is eager training written out here: build every
example's loss, average, ``backward()``, ``SGD.step()``. The session, with
NumPy's batched replay or with a tape of the whole data set, must give each
step's loss to 1e-12 relative (batched replay sums in another order) and the
same weights; the neurons' numbers must be an eager build's on the shown
point, and the boundary the model's class at each cell.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from typing import Any

import pytest

import scalargrad as sg
from scalargrad import Value
from scalargrad.liveview import TrainingSession
from scalargrad.losses import cross_entropy, l2_penalty
from scalargrad.nn import MLP
from scalargrad.optim import SGD


def moons(n: int = 24, seed: int = 3) -> tuple[list[list[float]], list[float]]:
    """Two noisy interleaving half circles, labelled -1 and +1 (the moons demo's shape, made here)."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            xs.append([math.cos(t) + rng.gauss(0, 0.1), math.sin(t) + rng.gauss(0, 0.1)])
            ys.append(-1.0)
        else:
            xs.append([1 - math.cos(t) + rng.gauss(0, 0.1), 0.5 - math.sin(t) + rng.gauss(0, 0.1)])
            ys.append(1.0)
    return xs, ys


def hinge_for(model: MLP) -> Callable[[Any, Any], Value]:
    params = model.parameters()
    return lambda score, y: (1 - y * score).relu() + l2_penalty(params, 1e-4)


def eager_losses(seed: int, xs: list[list[float]], ys: list[float], steps: int, lr: float) -> tuple[list[float], MLP]:
    """The oracle: an eager training loop minimising the mean of the per-example losses."""
    model = MLP(2, [8, 8, 1], seed=seed)
    loss = hinge_for(model)
    optimizer = SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        total = sg.sum([loss(model(x), Value(y)) for x, y in zip(xs, ys)]) / len(xs)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        losses.append(total.data)
    return losses, model


def run(session: TrainingSession, until: Callable[[], bool], timeout: float = 30.0) -> list[dict[str, Any]]:
    """Start the session's loop, wait for ``until()``, and return what it published."""
    states: list[dict[str, Any]] = []
    session.start(lambda key, value: states.append(value) if key == "state" else None)
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, f"timed out at step {session.step_count}"
        time.sleep(0.01)
    return states


def wait(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


@pytest.mark.parametrize("batched", [True, False])
def test_the_loss_after_n_steps_is_an_eager_training_runs(batched: bool) -> None:
    if batched:
        pytest.importorskip("numpy")
    xs, ys = moons()
    want, trained = eager_losses(7, xs, ys, steps=15, lr=0.3)
    model = MLP(2, [8, 8, 1], seed=7)
    session = TrainingSession(model, xs, ys, hinge_for(model), lr=0.3, steps=15, interval=0.0, batched=batched)
    try:
        states = run(session, lambda: session.step_count == 15 and not session.running)
    finally:
        session.close()
    assert session.losses == pytest.approx(want, rel=1e-12, abs=0)
    for ours, theirs in zip(model.parameters(), trained.parameters()):
        assert ours.data == pytest.approx(theirs.data, rel=1e-10, abs=1e-14)
    last = states[-1]
    assert last["step"] == 15 and not last["running"]
    assert last["texts"]["step"] == "step 15"
    assert last["texts"]["loss"] == f"loss {want[-1]:.4g}"
    assert [point[0] for point in last["losses"]] == list(range(1, 16))
    json.dumps(last, allow_nan=False)  # what both transports send


def test_the_shown_points_neurons_and_the_boundary_are_the_models() -> None:
    xs, ys = moons()
    model = MLP(2, [8, 8, 1], seed=2)
    loss = hinge_for(model)
    session = TrainingSession(model, xs, ys, loss, lr=0.5, steps=5, interval=0.0, sample=3, grid=12)
    try:
        run(session, lambda: not session.running and session.step_count == 5)
        state = session.state()
    finally:
        session.close()
    # The oracle: an eager build of point 3's loss, backpropagated.
    inputs = [Value(v) for v in xs[3]]
    out = model(inputs)
    point = loss(out, Value(ys[3]))
    point.backward()
    texts = state["texts"]
    assert texts["nn-0-1-a"] == format(xs[3][1], ".3g") and texts["nn-0-1-g"] == f"∂ {inputs[1].grad + 0.0:.3g}"
    hidden = [n for n in sg.engine.reading_order(point) if n.label == "layer2.neuron5"]
    assert texts["nn-2-5-a"] == format(hidden[0].data + 0.0, ".3g")
    assert texts["nn-2-5-g"] == f"∂ {hidden[0].grad + 0.0:.3g}"
    assert texts["nn-3-0-a"] == format(out.data + 0.0, ".3g")
    assert "training point 3" in texts["network"]
    weights = [w.data for layer in model.layers for neuron in layer.neurons for w in neuron.w]
    largest = max(map(abs, weights))
    assert state["weights"] == [w / largest for w in weights]
    assert len(state["weights"]) == len(session.page()["network"]["edges"]) == 2 * 8 + 8 * 8 + 8
    # The boundary: the model's class (score > 0) at each cell's centre, rows from the lowest y.
    x0, x1, y0, y1 = session.page()["bounds"]
    cells = state["boundary"]
    assert len(cells) == 12 * 12
    with sg.no_grad():
        for row in range(12):
            for col in range(12):
                u, v = x0 + (x1 - x0) * (col + 0.5) / 12, y0 + (y1 - y0) * (row + 0.5) / 12
                assert cells[row * 12 + col] == str(int(model([u, v]).data > 0))


def test_pause_step_and_resume() -> None:
    xs, ys = moons(12)
    model = MLP(2, [4, 1], seed=1)
    session = TrainingSession(model, xs, ys, hinge_for(model), running=False, interval=0.0, refresh=0.0)
    states = run(session, lambda: True)
    try:
        time.sleep(0.2)
        assert session.step_count == 0  # made paused: nothing happens
        session.handle({"type": "step"})
        wait(lambda: session.step_count == 1)
        session.handle({"type": "step"})
        wait(lambda: session.step_count == 2)
        wait(lambda: bool(states) and states[-1]["step"] == 2)
        assert states[-1]["texts"]["status"] == "paused" and not states[-1]["running"]
        session.handle({"type": "resume"})
        wait(lambda: session.step_count > 10)
        assert session.running
        session.handle({"type": "pause"})
        wait(lambda: not session.running)
        time.sleep(0.05)
        stopped = session.step_count
        time.sleep(0.3)
        assert session.step_count == stopped
        wait(lambda: states[-1]["step"] == stopped and not states[-1]["running"])
        session.handle({"type": "step"})  # one more, while paused
        wait(lambda: session.step_count == stopped + 1)
        time.sleep(0.2)
        assert session.step_count == stopped + 1
    finally:
        session.close()


def test_the_learning_rate_control_sets_the_optimizers_rate_and_drops_a_schedule() -> None:
    xs, ys = moons(12)
    model = MLP(2, [4, 1], seed=1)
    optimizer = SGD(model.parameters(), lr=1.0, schedule=lambda step: 1.0 / (step + 1))
    session = TrainingSession(model, xs, ys, hinge_for(model), optimizer=optimizer, running=False, interval=0.0)
    states = run(session, lambda: True)
    try:
        session.handle({"type": "lr", "value": 0.05})
        assert optimizer.lr == 0.05 and optimizer.schedule is None
        for bad in (-1.0, "0.1", True, math.nan, math.inf, None):
            session.handle({"type": "lr", "value": bad})
            assert optimizer.lr == 0.05
        session.handle({"type": "step"})
        wait(lambda: bool(states) and states[-1]["step"] == 1)
        assert states[-1]["lr"] == 0.05 and optimizer.lr == 0.05  # the step used it, no schedule overrode it
    finally:
        session.close()


def test_a_diverging_run_stops_and_says_why() -> None:
    xs, ys = moons(12)
    model = MLP(2, [4, 1], seed=1)
    session = TrainingSession(
        model, xs, ys, lambda out, y: ((out - y) ** 2) ** 4, lr=1e6, interval=0.0, steps=200, refresh=0.0
    )
    try:
        states = run(session, lambda: not session.running)
    finally:
        session.close()
    wait(lambda: bool(states) and states[-1]["error"] is not None)
    assert states[-1]["error"].startswith("Training stopped: ")
    json.dumps(states[-1], allow_nan=False)


def test_several_outputs_train_with_one_hot_targets_and_show_argmax_classes() -> None:
    rng = random.Random(0)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(30)]
    classes = [0 if x < -0.3 else 1 if x < 0.3 else 2 for x, _ in xs]
    ys = [[1.0 if k == c else 0.0 for k in range(3)] for c in classes]
    model = MLP(2, [6, 3], seed=4)
    session = TrainingSession(model, xs, ys, cross_entropy, lr=0.5, steps=40, interval=0.0, grid=8)
    try:
        run(session, lambda: not session.running and session.step_count == 40)
        state = session.state()
    finally:
        session.close()
    assert session.losses[-1] < session.losses[0]
    assert state["texts"]["accuracy"].startswith("accuracy ")
    assert set(state["boundary"]) <= {"0", "1", "2"} and len(state["boundary"]) == 64
    assert [p[2] for p in session.page()["points"]] == classes


def test_bad_arguments_are_refused() -> None:
    xs, ys = moons(6)
    model = MLP(2, [3, 1], seed=0)
    loss = hinge_for(model)
    with pytest.raises(TypeError, match="MLP"):
        TrainingSession(object(), xs, ys, loss)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rows of 2 numbers"):
        TrainingSession(model, [[1.0]], [1.0], loss)
    with pytest.raises(ValueError, match="one target"):
        TrainingSession(model, xs, ys[:-1], loss)
    with pytest.raises(ValueError, match="sample=6"):
        TrainingSession(model, xs, ys, loss, sample=6)
    with pytest.raises(TypeError, match="finite numbers"):
        TrainingSession(model, [[1.0, math.nan]], [1.0], loss)
    with pytest.raises(ValueError, match="lang='fr'"):
        TrainingSession(model, xs, ys, loss, lang="fr")
    with pytest.raises(ValueError, match="fmt"):  # the numbers would vanish from the page, with no error
        TrainingSession(model, xs, ys, loss, fmt="<9z")
    for setting, bad in [("interval", "fast"), ("refresh", -1.0), ("grid", 1), ("steps", 0), ("steps", 2.5)]:
        with pytest.raises(ValueError, match=f"{setting}="):
            TrainingSession(model, xs, ys, loss, **{setting: bad})


def test_a_failing_schedule_pauses_training_and_says_so_and_the_loop_lives_on() -> None:
    xs, ys = moons(6)
    model = MLP(2, [3, 1], seed=0)
    rates = [0.1, 0.1]  # a schedule that runs out after two steps: IndexError at the third
    optimizer = SGD(model.parameters(), lr=0.1, schedule=lambda step: rates[step])
    session = TrainingSession(model, xs, ys, hinge_for(model), optimizer=optimizer, interval=0.0, refresh=0.0)
    states: list[dict[str, Any]] = []
    session.start(lambda key, value: states.append(value) if key == "state" else None)
    try:
        wait(lambda: bool(states) and states[-1]["error"] is not None)
        assert "IndexError" in states[-1]["error"] and not states[-1]["running"]
        assert session.step_count == 2
        optimizer.schedule = None  # mended: the same loop resumes
        session.handle({"type": "resume"})
        wait(lambda: session.step_count > 4)
    finally:
        session.close()

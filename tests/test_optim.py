"""SGD and Adam against torch.optim, step by step on the same gradients."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest

from scalargrad import Value
from scalargrad.optim import SGD, Adam, Optimizer

START = [0.5, -1.25, 2.0, 0.0, -0.03]
RNG = random.Random(99)
# Gradients for each step, some of them zero and of mixed scale, fed to both sides.
GRADIENTS = [[RNG.uniform(-2, 2) * 10 ** RNG.randint(-3, 1) for _ in START] for _ in range(6)]
GRADIENTS[2][1] = 0.0


def run_ours(make: Callable[[list[Value]], Optimizer], lrs: list[float] | None = None) -> list[list[float]]:
    params = [Value(x) for x in START]
    opt = make(params)
    trajectory = []
    for step, grads in enumerate(GRADIENTS):
        if lrs is not None:
            opt.lr = lrs[step]
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()
        trajectory.append([p.data for p in params])
    return trajectory


def run_torch(make: Callable[[list[Any]], Any], lrs: list[float] | None = None) -> list[list[float]]:
    torch = pytest.importorskip("torch")
    param = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = make([param])
    trajectory = []
    for step, grads in enumerate(GRADIENTS):
        if lrs is not None:
            opt.param_groups[0]["lr"] = lrs[step]
        param.grad = torch.tensor(grads, dtype=torch.float64)
        opt.step()
        trajectory.append(param.detach().tolist())
    return trajectory


def assert_same_trajectory(ours: list[list[float]], theirs: list[list[float]]) -> None:
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for i, (x, y) in enumerate(zip(a, b)):
            assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-14), f"step {step}, parameter {i}: {x!r} vs {y!r}"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.05, "weight_decay": 0.01},
        {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1},
    ],
)
def test_sgd_matches_torch(kwargs: dict[str, float]) -> None:
    torch = pytest.importorskip("torch")
    assert_same_trajectory(run_ours(lambda ps: SGD(ps, **kwargs)), run_torch(lambda ps: torch.optim.SGD(ps, **kwargs)))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"lr": 0.01},
        {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6},
        {"lr": 0.01, "weight_decay": 0.05},
    ],
)
def test_adam_matches_torch(kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    assert_same_trajectory(
        run_ours(lambda ps: Adam(ps, **kwargs)), run_torch(lambda ps: torch.optim.Adam(ps, **kwargs))
    )


def test_schedule_sets_lr_before_each_step_from_index_0() -> None:
    torch = pytest.importorskip("torch")
    lrs = [1.0 - 0.9 * k / len(GRADIENTS) for k in range(len(GRADIENTS))]  # micrograd's decay
    seen: list[int] = []

    def schedule(k: int) -> float:
        seen.append(k)
        return 1.0 - 0.9 * k / len(GRADIENTS)

    for ours, theirs in [
        (lambda ps: SGD(ps, lr=5.0, momentum=0.9, schedule=schedule), lambda ps: torch.optim.SGD(ps, 5.0, 0.9)),
        (lambda ps: Adam(ps, lr=5.0, schedule=schedule), lambda ps: torch.optim.Adam(ps, 5.0)),
    ]:
        seen.clear()
        assert_same_trajectory(run_ours(ours), run_torch(theirs, lrs))
        assert seen == list(range(len(GRADIENTS)))


def test_lr_is_writable_between_steps() -> None:
    torch = pytest.importorskip("torch")
    lrs = [0.1, 0.1, 0.01, 0.5, 0.0, 0.2]
    assert_same_trajectory(
        run_ours(lambda ps: Adam(ps, lr=0.1), lrs), run_torch(lambda ps: torch.optim.Adam(ps, lr=0.1), lrs)
    )


def test_plain_sgd_step_by_hand_and_no_graph_is_built() -> None:
    p, q = Value(1.0), Value(-2.0)
    opt = SGD([p, q], lr=0.5)
    (p * q).backward()  # dp = q = -2, dq = p = 1
    opt.step()
    assert (p.data, q.data) == (2.0, -2.5)
    assert p.parents == () and p.op == "" and q.parents == ()
    assert opt.step_count == 1
    opt.zero_grad()
    assert (p.grad, q.grad) == (0.0, 0.0)


def test_adam_first_step_moves_each_parameter_by_lr() -> None:
    # m̂ = g and v̂ = g² after one step, so the step is lr * g / (|g| + eps) ~ lr * sign(g) at any scale.
    params = [Value(0.0), Value(0.0), Value(0.0)]
    for p, g in zip(params, [1e-4, -3.0, 250.0]):
        p.grad = g
    Adam(params, lr=0.01, eps=0.0).step()
    assert [p.data for p in params] == pytest.approx([-0.01, 0.01, -0.01], rel=1e-15)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ps: SGD(ps, lr=-0.1), r"SGD\(\): lr must be a finite number >= 0, got -0.1"),
        (lambda ps: SGD(ps, lr=math.nan), r"SGD\(\): lr must be a finite number >= 0, got nan"),
        (lambda ps: SGD(ps, lr=0.1, momentum=-1), r"SGD\(\): momentum must be a finite number >= 0"),
        (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), r"SGD\(\): weight_decay must be a finite number >= 0"),
        (lambda ps: Adam(ps, betas=(0.9, 1.0)), r"Adam\(\): betas\[1\] must be in \[0, 1\), got 1.0"),
        (lambda ps: Adam(ps, betas=(0.9,)), r"Adam\(\): betas must be a pair of numbers"),
        (lambda ps: Adam(ps, eps=-1e-8), r"Adam\(\): eps must be a finite number >= 0"),
        (lambda ps: SGD([], lr=0.1), r"SGD\(\): params is empty"),
        (lambda ps: SGD([ps[0], ps[0]], lr=0.1), r"SGD\(\): a parameter appears more than once"),
    ],
)
def test_bad_hyperparameters_raise_value_error(make: Callable[[list[Value]], Optimizer], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


def test_bad_lr_from_the_user_or_the_schedule_is_refused() -> None:
    p = Value(1.0)
    opt = SGD([p], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD\(\): lr must be a finite number >= 0, got -1"):
        opt.lr = -1
    assert opt.lr == 0.1
    opt = SGD([p], lr=0.1, schedule=lambda k: 0.1 - k)
    p.grad = 1.0
    opt.step()
    with pytest.raises(ValueError, match=r"SGD.step\(\): schedule\(1\) returned -0.9, not a learning rate"):
        opt.step()
    assert p.data == pytest.approx(0.9)
    with pytest.raises(TypeError, match=r"SGD\(\): params must be Values, got float at index 0"):
        SGD([1.0], lr=0.1)  # type: ignore[list-item]

"""SGD and Adam against torch.optim, step by step on the same gradients."""

from __future__ import annotations

import json
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


# ---------------------------------------------------------------------------
# The optimizer's own state: state_dict() / load_state_dict().
# ---------------------------------------------------------------------------


def stepped(make: Callable[[list[Value]], Optimizer], steps: int) -> tuple[list[Value], Optimizer]:
    """Fresh parameters at START and an optimizer over them, after ``steps`` of GRADIENTS."""
    params = [Value(x) for x in START]
    opt = make(params)
    for grads in GRADIENTS[:steps]:
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()
    return params, opt


def test_state_dict_holds_what_torch_keeps() -> None:
    torch = pytest.importorskip("torch")
    param = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    adam = torch.optim.Adam([param], lr=0.01, betas=(0.8, 0.99))
    for grads in GRADIENTS[:4]:
        param.grad = torch.tensor(grads, dtype=torch.float64)
        adam.step()
    ours = stepped(lambda ps: Adam(ps, lr=0.01, betas=(0.8, 0.99)), 4)[1].state_dict()
    theirs = adam.state[param]
    assert ours["class"] == "Adam" and ours["step_count"] == int(theirs["step"]) == 4
    assert ours["lr"] == 0.01
    assert ours["hyperparameters"] == {"betas": [0.8, 0.99], "eps": 1e-8, "weight_decay": 0.0}
    assert_same_trajectory([ours["buffers"]["m"]], [theirs["exp_avg"].tolist()])
    assert_same_trajectory([ours["buffers"]["v"]], [theirs["exp_avg_sq"].tolist()])

    param = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    sgd = torch.optim.SGD([param], lr=0.1, momentum=0.9, weight_decay=0.01)
    for grads in GRADIENTS[:4]:
        param.grad = torch.tensor(grads, dtype=torch.float64)
        sgd.step()
    ours = stepped(lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01), 4)[1].state_dict()
    assert ours["hyperparameters"] == {"momentum": 0.9, "weight_decay": 0.01}
    assert_same_trajectory([ours["buffers"]["velocity"]], [sgd.state[param]["momentum_buffer"].tolist()])


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05),
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    ],
)
def test_loading_the_state_continues_the_same_trajectory_bit_for_bit(make: Callable[[list[Value]], Optimizer]) -> None:
    straight, _ = stepped(make, len(GRADIENTS))
    # Interrupted after 2 steps: the numbers (parameters and state) go through JSON, into new objects.
    params, opt = stepped(make, 2)
    saved = json.loads(json.dumps({"params": [p.data for p in params], "state": opt.state_dict()}))
    fresh = [Value(x) for x in saved["params"]]
    rebuild: Any = type(opt)
    resumed = rebuild(fresh, lr=0.5)  # the constructor's hyperparameters are replaced by the saved ones
    resumed.load_state_dict(saved["state"])
    assert resumed.state_dict() == opt.state_dict()
    for grads in GRADIENTS[2:]:
        for p, g in zip(fresh, grads):
            p.grad = g
        resumed.step()
    assert [p.data for p in fresh] == [p.data for p in straight]
    assert repr([p.data for p in fresh]) == repr([p.data for p in straight])


def test_without_the_state_the_trajectory_differs() -> None:
    # The control for the test above: weights alone do not resume Adam.
    straight, _ = stepped(lambda ps: Adam(ps, lr=0.02), len(GRADIENTS))
    params, _ = stepped(lambda ps: Adam(ps, lr=0.02), 2)
    restarted = Adam(params, lr=0.02)
    for grads in GRADIENTS[2:]:
        for p, g in zip(params, grads):
            p.grad = g
        restarted.step()
    assert [p.data for p in params] != [p.data for p in straight]


def adam_state() -> dict[str, Any]:
    return stepped(lambda ps: Adam(ps, lr=0.01), 3)[1].state_dict()


DELETE = object()


def changed(state: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``state`` with the entry at ``path`` ("buffers.m.2") set to ``value`` (or deleted if DELETE)."""
    copy = json.loads(json.dumps(state))
    *parents, last = path.split(".")
    node: Any = copy
    for name in parents:
        node = node[int(name)] if isinstance(node, list) else node[name]
    key = int(last) if isinstance(node, list) else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return copy  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("class", "SGD", r"the state is from an optimizer of class 'SGD', not Adam"),
        ("lr", DELETE, r"the state does not have the expected keys: missing 'lr'"),
        ("extra", 1, r"the state does not have the expected keys: unexpected 'extra'"),
        ("step_count", -1, r"step_count must be a whole number >= 0, got -1"),
        ("step_count", 2.0, r"step_count must be a whole number >= 0, got 2.0"),
        ("step_count", True, r"step_count must be a whole number >= 0, got True"),
        ("lr", math.nan, r"lr must be a finite number >= 0, got nan"),
        ("lr", "0.1", r"lr must be a finite number >= 0, got '0.1'"),
        ("hyperparameters", [], r"hyperparameters must be a mapping, got list"),
        ("hyperparameters.betas", [0.9], r"betas must be a pair of numbers, got \[0.9\]"),
        ("hyperparameters.betas", [0.9, 1.0], r"betas\[1\] must be in \[0, 1\), got 1.0"),
        ("hyperparameters.eps", -1e-8, r"eps must be a finite number >= 0"),
        ("hyperparameters.weight_decay", math.inf, r"weight_decay must be a finite number >= 0, got inf"),
        ("hyperparameters.momentum", 0.9, r"hyperparameters does not have the expected keys: unexpected 'momentum'"),
        ("buffers.v", DELETE, r"buffers does not have the expected keys: missing 'v'"),
        ("buffers.m", "12345", r"buffer 'm' must be a list of 5 numbers, got str"),
        ("buffers.m", [0.0] * 4, r"buffer 'm' holds 4 numbers, but this optimizer has 5 parameters"),
        ("buffers.m", [0.0] * 6, r"buffer 'm' holds 6 numbers, but this optimizer has 5 parameters"),
        ("buffers.m.2", math.nan, r"m\[2\] must be a finite number, got nan"),
        ("buffers.m.4", -math.inf, r"m\[4\] must be a finite number, got -inf"),
        ("buffers.m.0", "0.5", r"m\[0\] must be a finite number, got '0.5'"),
        ("buffers.m.0", None, r"m\[0\] must be a finite number, got None"),
        ("buffers.m.0", False, r"m\[0\] must be a finite number, got False"),
        ("buffers.m.0", 10**400, r"m\[0\] must be a finite number, got 1000"),
        ("buffers.v.1", -1e-300, r"v\[1\] must be a finite number >= 0, got -1e-300"),
    ],
)
def test_a_bad_state_is_refused_naming_the_problem_and_nothing_changes(path: str, value: Any, message: str) -> None:
    _, stepped_opt = stepped(lambda ps: Adam(ps, lr=0.5, betas=(0.5, 0.5)), 1)
    assert isinstance(stepped_opt, Adam)
    opt = stepped_opt
    before = opt.state_dict()
    with pytest.raises(ValueError, match=r"^Adam\.load_state_dict\(\): " + message):
        opt.load_state_dict(changed(adam_state(), path, value))
    assert opt.state_dict() == before
    assert (opt.lr, opt.betas, opt.step_count) == (0.5, (0.5, 0.5), 1)


def test_sgd_state_is_checked_too_and_a_non_mapping_is_refused() -> None:
    _, opt = stepped(lambda ps: SGD(ps, lr=0.1, momentum=0.9), 2)
    state = opt.state_dict()
    with pytest.raises(ValueError, match=r"SGD.load_state_dict\(\): momentum must be a finite number >= 0, got -0.5"):
        opt.load_state_dict(changed(state, "hyperparameters.momentum", -0.5))
    with pytest.raises(ValueError, match=r"SGD.load_state_dict\(\): velocity\[3\] must be a finite number, got inf"):
        opt.load_state_dict(changed(state, "buffers.velocity.3", math.inf))
    with pytest.raises(ValueError, match=r"the state is from an optimizer of class 'Adam', not SGD"):
        opt.load_state_dict(adam_state())
    with pytest.raises(
        ValueError, match=r"SGD.load_state_dict\(\): needs a mapping as state_dict\(\) returns, got list"
    ):
        opt.load_state_dict([])  # type: ignore[arg-type]
    assert opt.state_dict() == state


def test_state_dict_is_a_copy() -> None:
    _, opt = stepped(lambda ps: Adam(ps), 2)
    state = opt.state_dict()
    state["buffers"]["m"][0] = 123.0
    assert opt.state_dict()["buffers"]["m"][0] != 123.0

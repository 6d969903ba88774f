"""Saving a training run (model and optimizer in one file) and resuming it exactly.

The oracle is the run that was never interrupted: training N steps straight
must give, bit for bit, the parameters of training k steps, saving with
`save_training`, loading into a freshly built model and optimizer with
`load_training`, and training the remaining N - k steps.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scalargrad import Value
from scalargrad.nn import MLP, mse_loss
from scalargrad.optim import SGD, Adam, Optimizer
from scalargrad.train import load_training, save_training

XS = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0], [0.0, -0.5], [2.0, 1.0]]
YS = [math.sin(a) + 0.5 * b for a, b in XS]
N, K = 12, 5
MakeOptimizer = Callable[[list[Value]], Optimizer]

OPTIMIZERS: dict[str, MakeOptimizer] = {
    "adam": lambda ps: Adam(ps, lr=0.03),
    "adam-decay-schedule": lambda ps: Adam(
        ps, lr=0.03, betas=(0.8, 0.95), weight_decay=0.01, schedule=lambda k: 0.03 * 0.9**k
    ),
    "sgd-momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9),
    "sgd-momentum-decay-schedule": lambda ps: SGD(
        ps, lr=0.05, momentum=0.5, weight_decay=0.02, schedule=lambda k: 0.05 / (1 + k)
    ),
}


def model(seed: int = 0) -> MLP:
    return MLP(2, [6, 4, 1], activation="tanh", seed=seed)


def train(net: MLP, opt: Optimizer, start: int, stop: int) -> None:
    """Full-batch steps ``start`` to ``stop - 1``; at step 3, lr is halved by hand (when there is no schedule)."""
    for step in range(start, stop):
        if step == 3 and opt.schedule is None:
            opt.lr = opt.lr / 2  # a change only the saved lr remembers
        loss = mse_loss([net(x) for x in XS], YS)  # type: ignore[misc]  # one output: a Value
        opt.zero_grad()
        loss.backward()
        opt.step()


def parameters(net: MLP) -> list[float]:
    return [p.data for p in net.parameters()]


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_an_interrupted_run_resumes_bit_for_bit(tmp_path: Path, kind: str) -> None:
    make = OPTIMIZERS[kind]
    straight = model()
    straight_opt = make(straight.parameters())
    train(straight, straight_opt, 0, N)

    first = model()
    first_opt = make(first.parameters())
    train(first, first_opt, 0, K)
    path = tmp_path / "run.json"
    save_training(path, first, first_opt)
    del first, first_opt  # as if the process had ended

    resumed = model(seed=99)  # other weights: everything must come from the file
    resumed_opt = make(resumed.parameters())
    load_training(path, resumed, resumed_opt)
    assert resumed_opt.step_count == K
    train(resumed, resumed_opt, K, N)

    assert parameters(resumed) == parameters(straight)
    assert repr(parameters(resumed)) == repr(parameters(straight))
    assert resumed_opt.state_dict() == straight_opt.state_dict()


@pytest.mark.parametrize("kind", ["adam", "sgd-momentum"])
def test_resuming_from_the_weights_alone_takes_another_path(tmp_path: Path, kind: str) -> None:
    # The control: what the test above would see if the optimizer's state were lost.
    make = OPTIMIZERS[kind]
    straight = model()
    train(straight, make(straight.parameters()), 0, N)
    first = model()
    train(first, make(first.parameters()), 0, K)
    first.save(tmp_path / "weights.json")
    resumed = model(seed=99)
    resumed.load(tmp_path / "weights.json")
    train(resumed, make(resumed.parameters()), K, N)
    assert parameters(resumed) != parameters(straight)


def test_the_file_is_a_version_2_checkpoint_that_model_load_also_reads(tmp_path: Path) -> None:
    net = model()
    opt = Adam(net.parameters(), lr=0.01)
    train(net, opt, 0, 2)
    path = tmp_path / "run.json"
    save_training(path, net, opt)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "scalargrad-checkpoint" and document["version"] == 2
    assert document["parameters"] == net.state_dict()
    names = [name for name, _ in net.named_parameters()]
    assert document["optimizer"] == {"parameters": names, **opt.state_dict()}
    assert sorted(os.listdir(tmp_path)) == ["run.json"]
    weights_only = model(seed=5)
    weights_only.load(path)
    assert weights_only.state_dict() == net.state_dict()
    # A model-only file is still version 1, byte for byte what earlier releases wrote.
    net.save(tmp_path / "model.json")
    assert json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))["version"] == 1


def test_an_optimizer_over_some_of_the_parameters_resumes_too(tmp_path: Path) -> None:
    # Fine-tuning the last layer only: the file names the parameters the optimizer updates.
    def last_layer(net: MLP) -> list[Value]:
        return net.layers[-1].parameters()

    straight = model()
    straight_opt = Adam(last_layer(straight), lr=0.05)
    train(straight, straight_opt, 0, N)
    first = model()
    first_opt = Adam(last_layer(first), lr=0.05)
    train(first, first_opt, 0, K)
    save_training(tmp_path / "run.json", first, first_opt)
    resumed = model(seed=3)
    resumed_opt = Adam(last_layer(resumed), lr=0.05)
    load_training(tmp_path / "run.json", resumed, resumed_opt)
    train(resumed, resumed_opt, K, N)
    assert parameters(resumed) == parameters(straight)

    other = model()
    with pytest.raises(ValueError, match=r"the saved optimizer updated 5 \(layer3.neuron0.w0, .*\), .* updates 51 "):
        load_training(tmp_path / "run.json", other, Adam(other.parameters()))


# ---------------------------------------------------------------------------
# Refusals: ValueError naming the file and the problem; model and optimizer untouched.
# ---------------------------------------------------------------------------


def saved_run(tmp_path: Path, make: MakeOptimizer = OPTIMIZERS["adam"]) -> Path:
    net = model(seed=1)
    opt = make(net.parameters())
    train(net, opt, 0, 3)
    path = tmp_path / "run.json"
    save_training(path, net, opt)
    return path


def assert_refused(path: Path, message: str, net: MLP | None = None, opt: Optimizer | None = None) -> None:
    net = net or model(seed=7)
    opt = opt or Adam(net.parameters(), lr=0.2)
    weights, state = net.state_dict(), opt.state_dict()
    with pytest.raises(ValueError, match=message):
        load_training(path, net, opt)
    assert net.state_dict() == weights
    assert opt.state_dict() == state


def test_a_file_for_another_architecture_is_refused(tmp_path: Path) -> None:
    path = saved_run(tmp_path)
    other = MLP(2, [5, 1], activation="tanh", seed=0)
    assert_refused(
        path, r"run\.json: the checkpoint holds MLP\(nin=2, nouts=\[6, 4, 1\].*but this model is MLP", net=other
    )


def test_a_file_for_another_optimizer_is_refused(tmp_path: Path) -> None:
    path = saved_run(tmp_path, OPTIMIZERS["sgd-momentum"])
    assert_refused(path, r"run\.json: the checkpoint holds the state of a SGD optimizer, but this optimizer is Adam")
    net = model()
    assert_refused(
        saved_run(tmp_path), r"state of a Adam optimizer, but this optimizer is SGD", net, SGD(net.parameters(), 0.1)
    )


def test_a_model_only_checkpoint_is_refused_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    model(seed=1).save(path)
    assert_refused(path, r"model\.json: the checkpoint holds a model but no optimizer state")


def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def test_a_bad_optimizer_state_leaves_the_model_untouched_too(tmp_path: Path) -> None:
    # The weights in the file are fine; loading must still change nothing, as the optimizer part is not.
    path = saved_run(tmp_path)
    edit(path, lambda d: d["optimizer"]["buffers"]["m"].pop())
    assert_refused(path, r"run\.json: Adam\.load_state_dict\(\): buffer 'm' holds 50 numbers, but .* 51 parameters")
    path = saved_run(tmp_path)
    edit(path, lambda d: d["optimizer"].update(step_count=-3))
    assert_refused(path, r"step_count must be a whole number >= 0, got -3")


def test_bad_weights_leave_the_optimizer_untouched(tmp_path: Path) -> None:
    path = saved_run(tmp_path)
    edit(path, lambda d: d["parameters"].update({"layer2.neuron1.b": "0.5"}))
    assert_refused(path, r"run\.json: MLP\.load_state_dict\(\): parameter 'layer2.neuron1.b' must be a finite number")


def test_a_malformed_optimizer_entry_is_refused(tmp_path: Path) -> None:
    path = saved_run(tmp_path)
    edit(path, lambda d: d["optimizer"].pop("parameters"))
    assert_refused(path, r'run\.json: checkpoint has no valid "optimizer"')
    path = saved_run(tmp_path)
    edit(path, lambda d: d.update(version=1))  # version 1 files have no optimizer
    assert_refused(path, r'checkpoint has no valid "optimizer"')


def test_saving_refuses_what_json_cannot_hold_and_what_is_not_the_models(tmp_path: Path) -> None:
    path = saved_run(tmp_path)
    before = path.read_bytes()
    net = model()
    opt = Adam(net.parameters())
    opt._m[4] = math.inf  # what an overflowing gradient leaves behind
    with pytest.raises(
        ValueError, match=r"save_training\(\): the optimizer's 'm' for parameter 'layer1.neuron1.w1' is inf"
    ):
        save_training(path, net, opt)
    net.layers[0].neurons[0].b.data = math.nan
    with pytest.raises(ValueError, match=r"save_training\(\): parameter 'layer1.neuron0.b' is nan"):
        save_training(path, net, Adam(net.parameters()))
    stranger = Value(1.0, "stranger")
    with pytest.raises(
        ValueError, match=r"the optimizer's parameter 51 \(Value\('stranger'.*\) is not a parameter of MLP"
    ):
        save_training(path, net, Adam([*net.parameters(), stranger]))
    with pytest.raises(TypeError, match=r"save_training\(\): optimizer must be an Optimizer"):
        save_training(path, net, net.parameters())  # type: ignore[arg-type]
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["run.json"]

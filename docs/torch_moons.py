"""The moons model trained in scalargrad and in PyTorch from the same weights, compared step by step.

docs/torch.md quotes what this prints. Both sides follow the moons demo
(``demos/moons.py``): its 100 points and its initial weights (seed 1337),
``MLP(2, [16, 16, 1])``, the hinge loss plus an L2 penalty of 1e-4, and plain
SGD (no momentum) whose learning rate falls from 1.0 to 0.1, on the whole data
set every step. The PyTorch network is ``model.to_torch()``, a float64 copy,
so both start from the same 337 numbers and compute in the same precision.
The two run in lockstep: each step computes the loss on both sides, then
updates both.

From the repository root (needs PyTorch, ``pip install 'scalargrad[torch]'``)::

    python docs/torch_moons.py              # 100 steps: a table, the final accuracies, the check
    python docs/torch_moons.py --steps 20
    python docs/torch_moons.py --float32    # PyTorch in float32, its usual type
    python docs/torch_moons.py --points 1000 --width 64 --steps 3   # how the time per step grows

It exits with status 1 if the losses of any step differ by more than 1e-9
relative. ``tests/test_torch_bridge.py`` runs `compare` for a few steps.
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

import scalargrad
from scalargrad import Value
from scalargrad.demo_runner import PACKAGE, demos_package
from scalargrad.losses import hinge_loss, l2_penalty
from scalargrad.nn import MLP
from scalargrad.optim import SGD

#: The L2 penalty's weight, as in the moons demo.
ALPHA = 1e-4
#: Largest relative difference between the two losses of a step that counts as agreement.
TOLERANCE = 1e-9


@dataclass
class Comparison:
    """What the two runs produced, step by step, and how far apart they are."""

    steps: int
    #: The loss each step computed (before its update), on each side.
    losses_scalargrad: list[float] = field(default_factory=list)
    losses_torch: list[float] = field(default_factory=list)
    #: Training accuracy of each trained model.
    accuracy_scalargrad: float = 0.0
    accuracy_torch: float = 0.0
    #: The largest difference between a trained weight of one model and the same weight of the other.
    max_weight_difference: float = 0.0
    #: Wall-clock seconds each step took on each side (forward, backward and update).
    times_scalargrad: list[float] = field(default_factory=list)
    times_torch: list[float] = field(default_factory=list)

    @property
    def loss_differences(self) -> list[float]:
        """``|scalargrad loss - torch loss|`` for every step."""
        return [abs(a - b) for a, b in zip(self.losses_scalargrad, self.losses_torch)]

    @property
    def max_loss_difference(self) -> float:
        return max(self.loss_differences)

    @property
    def max_relative_loss_difference(self) -> float:
        return max(d / abs(b) for d, b in zip(self.loss_differences, self.losses_torch))


def moons_setup(seed: int = 1337, points: int = 100, width: int = 16) -> tuple[list[list[float]], list[int], MLP]:
    """The moons demo's data and its untrained model: one generator draws the points, then the weights.

    ``width`` is the size of both hidden layers (16 in the demo).
    """
    demos_package()  # the demos/ folder, importable as scalargrad._demos from a checkout or a wheel
    data = importlib.import_module(f"{PACKAGE}._data")
    rng = random.Random(seed)
    xs, ys = data.make_moons(points, 0.1, rng)
    return xs, ys, MLP(2, [width, width, 1], rng=rng)


def score(model: MLP, x: Sequence[float]) -> Value:
    """The model's one output for the point ``x``."""
    out = model(x)
    assert isinstance(out, Value), "the moons model has one output"
    return out


def compare(
    steps: int = 100, seed: int = 1337, points: int = 100, width: int = 16, dtype: torch.dtype = torch.float64
) -> Comparison:
    """Train the moons model for ``steps`` steps in both frameworks from the same start; see the module docstring.

    ``dtype`` is PyTorch's: with ``torch.float32`` its copy of the weights,
    the data and all its arithmetic are rounded to float32, while scalargrad
    stays in float64, which shows how far apart single and double precision drift.
    """
    xs, ys, model = moons_setup(seed, points, width)
    net = model.to_torch(dtype)  # the same weights (rounded, if dtype is not float64)

    def rate(step: int) -> float:
        return 1.0 - 0.9 * step / steps  # from 1.0 to 0.1, micrograd's schedule

    params = model.parameters()
    optimizer = SGD(params, lr=1.0, schedule=rate)
    x_t = torch.tensor(xs, dtype=dtype)
    y_t = torch.tensor(ys, dtype=dtype)
    optimizer_t = torch.optim.SGD(net.parameters(), lr=1.0)
    schedule_t = torch.optim.lr_scheduler.LambdaLR(optimizer_t, rate)

    result = Comparison(steps)
    for _ in range(steps):
        start = time.perf_counter()
        loss = hinge_loss([score(model, x) for x in xs], ys) + l2_penalty(params, ALPHA)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        result.losses_scalargrad.append(loss.data)
        middle = time.perf_counter()
        scores = net(x_t).squeeze(1)
        loss_t = torch.relu(1.0 - y_t * scores).mean() + ALPHA * sum((p * p).sum() for p in net.parameters())
        optimizer_t.zero_grad()
        torch.autograd.backward(loss_t)  # loss_t.backward(), which has no type hints
        optimizer_t.step()
        schedule_t.step()
        result.losses_torch.append(loss_t.item())
        result.times_scalargrad.append(middle - start)
        result.times_torch.append(time.perf_counter() - middle)

    with scalargrad.no_grad():
        right = sum((score(model, x).data > 0) == (y > 0) for x, y in zip(xs, ys))
    result.accuracy_scalargrad = right / len(ys)
    with torch.no_grad():
        result.accuracy_torch = ((net(x_t).squeeze(1) > 0) == (y_t > 0)).double().mean().item()
    trained_t = MLP.from_torch(net).state_dict()
    result.max_weight_difference = max(abs(v - trained_t[name]) for name, v in model.state_dict().items())
    return result


def report(result: Comparison) -> str:
    """A table of the losses at some steps, then the summary docs/torch.md quotes."""
    shown = sorted({1, 2, 5, 10, 20, 50, result.steps} & set(range(1, result.steps + 1)))
    lines = [f"{'step':>5}  {'scalargrad loss':>22}  {'PyTorch loss':>22}  {'difference':>10}"]
    for step in shown:
        a, b = result.losses_scalargrad[step - 1], result.losses_torch[step - 1]
        lines.append(f"{step:>5}  {a:>22.17f}  {b:>22.17f}  {abs(a - b):>10.1e}")
    lines += [
        "",
        f"largest loss difference over {result.steps} steps: {result.max_loss_difference:.1e} "
        f"({result.max_relative_loss_difference:.1e} relative)",
        f"largest difference between trained weights: {result.max_weight_difference:.1e}",
        f"training accuracy: scalargrad {result.accuracy_scalargrad:.0%}, PyTorch {result.accuracy_torch:.0%}",
        # The median: the first steps include one-off costs, and the machine may be busy for a moment.
        f"time per step (median): scalargrad {1000 * statistics.median(result.times_scalargrad):.1f} ms, "
        f"PyTorch {1000 * statistics.median(result.times_torch):.2f} ms",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=100, help="training steps (default: 100)")
    parser.add_argument("--seed", type=int, default=1337, help="seed of the data and weights (default: 1337)")
    parser.add_argument("--points", type=int, default=100, help="number of data points (default: 100)")
    parser.add_argument("--width", type=int, default=16, help="size of both hidden layers (default: 16)")
    parser.add_argument("--float32", action="store_true", help="PyTorch in float32 (no agreement check then)")
    args = parser.parse_args(argv)
    for option in ("steps", "points", "width"):
        if getattr(args, option) < 1 + (option == "points"):
            parser.error(f"--{option} is too small: {getattr(args, option)}")
    # One thread: on tensors this small, splitting the work costs more than it saves, and times vary less.
    torch.set_num_threads(1)
    dtype = torch.float32 if args.float32 else torch.float64
    result = compare(args.steps, args.seed, args.points, args.width, dtype)
    print(report(result))
    if not args.float32 and result.max_relative_loss_difference > TOLERANCE:
        print(f"the losses disagree by more than {TOLERANCE:g} relative", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

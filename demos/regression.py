"""Seed 001's report task: regression with a neural network, fitting y = sin(x) from noisy samples.

Classification picks one of a few answers; regression predicts a number. The
network is ``MLP(1, [16, 16, 1])`` with tanh hidden layers, so its output is
a smooth curve, and a linear last layer, so the curve can take any value. It
learns from 64 points ``x`` drawn from [-pi, pi] with ``y = sin(x)`` plus
Gaussian noise of 0.1, minimising the mean squared error with Adam on the
whole data set every step. How close it gets to the true ``sin(x)``, which it
never sees, is measured on a clean grid.

Run ``python -m demos.regression`` (or ``scalargrad demo regression``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import scalargrad
from scalargrad.losses import mse_loss
from scalargrad.nn import MLP
from scalargrad.optim import Adam

from ._common import (
    Progress,
    Stopwatch,
    demo_parser,
    non_negative_float,
    output,
    positive_float,
    positive_int,
    pyplot,
    run_main,
    save_outputs,
)
from ._data import linspace, make_sine


@dataclass
class RegressionRun:
    """The model, its training data, the loss after every step, and its error against the true curve."""

    model: MLP
    xs: list[float]
    ys: list[float]
    losses: list[float] = field(default_factory=list)
    true_mse: float = math.nan


@scalargrad.no_grad()
def predict(model: MLP, xs: Sequence[float]) -> list[float]:
    """The model's outputs for many inputs, without building graphs."""
    return [output(model, [x]).data for x in xs]


def true_error(model: MLP, n: int = 200) -> float:
    """Mean squared distance between the fit and the noiseless ``sin(x)`` on a grid over [-pi, pi]."""
    grid = linspace(-math.pi, math.pi, n)
    return math.fsum((p - math.sin(x)) ** 2 for p, x in zip(predict(model, grid), grid)) / n


def train(
    *, steps: int = 300, seed: int = 0, n: int = 64, noise: float = 0.1, lr: float = 0.01, show: bool = True
) -> RegressionRun:
    """Fit sin(x) + noise with a tanh MLP, MSE and Adam; ``show`` draws a progress bar."""
    rng = random.Random(seed)
    xs, ys = make_sine(n, noise, rng)
    model = MLP(1, [16, 16, 1], activation="tanh", rng=rng)
    optimizer = Adam(model.parameters(), lr=lr)
    run = RegressionRun(model, xs, ys)
    with Progress(steps, "regression", enabled=show) as progress:
        for _ in range(steps):
            loss = mse_loss([output(model, [x]) for x in xs], ys)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            run.losses.append(loss.data)
            progress.update(loss=loss.data)
    run.true_mse = true_error(model)
    return run


def draw(plt: Any, run: RegressionRun) -> Any:
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    grid = linspace(-math.pi, math.pi, 200)
    left.scatter(run.xs, run.ys, s=14, color="#7f7f7f", label="noisy samples")
    left.plot(grid, [math.sin(x) for x in grid], color="k", linestyle="--", linewidth=1, label="sin(x)")
    left.plot(grid, predict(run.model, grid), color="#d62728", linewidth=2, label="network")
    left.set_title(f"fit (MSE against sin(x): {run.true_mse:.4f})")
    left.set_xlabel("x")
    left.legend(loc="upper left")
    right.plot(range(1, len(run.losses) + 1), run.losses, color="#d62728")
    right.set_yscale("log")
    right.set_xlabel("step")
    right.set_ylabel("training MSE")
    right.set_title("training loss")
    figure.tight_layout()
    return figure


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    parser = demo_parser(
        "regression", "Seed 001's report task: fit sin(x) + noise with a tanh MLP.", prog=prog, steps=300
    )
    parser.add_argument("--points", type=positive_int, default=64, help="number of training points (default: 64)")
    parser.add_argument(
        "--noise", type=non_negative_float, default=0.1, help="standard deviation of the noise (default: 0.1)"
    )
    parser.add_argument("--lr", type=positive_float, default=0.01, help="Adam's learning rate (default: 0.01)")
    args = parser.parse_args(argv)

    def body() -> int:
        plt = None if args.no_plot else pyplot("regression")
        clock = Stopwatch()
        run = train(steps=args.steps, seed=args.seed, n=args.points, noise=args.noise, lr=args.lr, show=not args.quiet)
        seconds = clock.seconds
        print(
            f"regression: training MSE {run.losses[0]:.4f} -> {run.losses[-1]:.4f}, "
            f"MSE against the true sin(x) {run.true_mse:.4f}, in {seconds:.1f} s"
        )
        metrics = {
            "steps": args.steps,
            "seed": args.seed,
            "points": args.points,
            "noise": args.noise,
            "loss": run.losses,
            "first_loss": run.losses[0],
            "final_loss": run.losses[-1],
            "true_mse": run.true_mse,
            "train_seconds": seconds,
        }
        save_outputs(args.out, "regression", metrics=metrics, model=run.model, plt=plt, draw=lambda: draw(plt, run))
        return 0

    return run_main("regression", body)


if __name__ == "__main__":
    raise SystemExit(main())

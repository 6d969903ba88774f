"""Seed 001's report task: regression with a neural network, fitting y = sin(x) from noisy samples.

Classification picks one of a few answers; regression predicts a number. The
network is ``MLP(1, [16, 16, 1])`` with tanh hidden layers, so its output is
a smooth curve, and a linear last layer, so the curve can take any value. It
learns from 64 points ``x`` drawn from [-pi, pi] with ``y = sin(x)`` plus
Gaussian noise of 0.1, minimising the mean squared error with Adam on the
whole data set every step. How close it gets to the true ``sin(x)``, which it
never sees, is measured on a clean grid.

Every step is the four steps of any training loop: (1) forward, the loss;
(2) zero the gradients; (3) backward; (4) the optimizer's update. The
``eager`` engine builds the graph through all 64 points and calls
``loss.backward()``; the ``batched`` engine (the default when NumPy is
installed) records the graph of *one* point's squared error once and replays
it over all 64 at NumPy speed.

Run ``python -m demos.regression`` (or ``scalargrad demo regression``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import scalargrad
from scalargrad import Value
from scalargrad.losses import mse_loss
from scalargrad.nn import MLP
from scalargrad.optim import Adam
from scalargrad.train import ModelOutputs

from ._common import (
    Engine,
    Progress,
    Stopwatch,
    choose_engine,
    demo_parser,
    non_negative_float,
    output,
    positive_float,
    positive_int,
    pyplot,
    report_files,
    run_main,
    save_figure,
    save_json,
    save_model,
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


def predict(model: MLP, xs: Sequence[float]) -> list[float]:
    """The model's outputs for many inputs, in one batched replay (matplotlib, for the picture, brings NumPy)."""
    return [y for (y,) in ModelOutputs(model, batched=True)([[x] for x in xs])]


@scalargrad.no_grad()
def true_error(model: MLP, n: int = 200) -> float:
    """Mean squared distance between the fit and the noiseless ``sin(x)`` on a grid over [-pi, pi].

    Under ``no_grad()``: 200 forward passes that keep no graph, so it needs no NumPy.
    """
    grid = linspace(-math.pi, math.pi, n)
    return math.fsum((output(model, [x]).data - math.sin(x)) ** 2 for x in grid) / n


def train(
    *,
    steps: int = 300,
    seed: int = 0,
    n: int = 64,
    noise: float = 0.1,
    lr: float = 0.01,
    engine: Engine = "eager",
    show: bool = True,
) -> RegressionRun:
    """Fit sin(x) + noise with a tanh MLP, MSE and Adam, with ``engine``; ``show`` draws a progress bar."""
    # The data: n points x in [-pi, pi] and y = sin(x) + noise.
    rng = random.Random(seed)
    xs, ys = make_sine(n, noise, rng)
    # The model: one input, two hidden layers of 16 tanh units, one linear output.
    model = MLP(1, [16, 16, 1], activation="tanh", rng=rng)
    optimizer = Adam(model.parameters(), lr=lr)

    if engine == "batched":
        # Record the graph of ONE point's squared error once; x and y are leaves every replay
        # fills with a column of the data. The mean of the squared errors is the MSE.
        x, y = Value(0.0, "x"), Value(0.0, "y")
        tape = scalargrad.compile(mse_loss([output(model, [x])], [y]), batch=[x, y])

    run = RegressionRun(model, xs, ys)
    with Progress(steps, "regression", enabled=show) as progress:
        for _ in range(steps):
            if engine == "batched":
                losses = tape.forward([xs, ys])  # (1) forward: every point's squared error, in one replay
                optimizer.zero_grad()  # (2) zero the gradients
                tape.backward()  # (3) backward: d(mean loss)/d(parameter) into every .grad
                run.losses.append(float(losses.mean()))
            else:
                loss = mse_loss([output(model, [x]) for x in xs], ys)  # (1) forward: a graph through all the points
                optimizer.zero_grad()  # (2) zero the gradients
                loss.backward()  # (3) backward: d(loss)/d(node) for every node, into .grad
                run.losses.append(loss.data)
            optimizer.step()  # (4) update: Adam moves every parameter
            progress.update(loss=run.losses[-1])
    run.true_mse = true_error(model)
    return run


def draw(plt: Any, run: RegressionRun) -> Any:
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    grid = linspace(-math.pi, math.pi, 200)
    left.scatter(run.xs, run.ys, s=22, color="#888888", label="noisy samples")
    left.plot(grid, [math.sin(x) for x in grid], color="black", linestyle="--", linewidth=1.5, label="sin(x)")
    left.plot(grid, predict(run.model, grid), color="#D55E00", linewidth=2.5, label="network")
    left.set_title(f"fit (MSE against sin(x): {run.true_mse:.4f})")
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.legend(loc="upper left")
    right.plot(range(1, len(run.losses) + 1), run.losses, color="black")
    right.set_yscale("log")
    right.set_xlabel("step")
    right.set_ylabel("training MSE")
    right.set_title("training loss")
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
        engine = choose_engine(args.engine)
        plt = None if args.no_plot else pyplot("regression")
        clock = Stopwatch()
        run = train(
            steps=args.steps,
            seed=args.seed,
            n=args.points,
            noise=args.noise,
            lr=args.lr,
            engine=engine,
            show=not args.quiet,
        )
        seconds = clock.seconds
        print(
            f"regression: training MSE {run.losses[0]:.4f} -> {run.losses[-1]:.4f}, "
            f"MSE against the true sin(x) {run.true_mse:.4f}, {seconds:.1f} s of training ({engine})"
        )
        metrics = {
            "steps": args.steps,
            "seed": args.seed,
            "points": args.points,
            "noise": args.noise,
            "engine": engine,
            "loss": run.losses,
            "first_loss": run.losses[0],
            "final_loss": run.losses[-1],
            "true_mse": run.true_mse,
            "train_seconds": seconds,
        }
        written = [save_json(metrics, args.out / "metrics.json"), save_model(run.model, args.out / "model.json")]
        if plt is not None:
            written.append(save_figure(plt, draw(plt, run), args.out / "regression.png"))
        report_files(written)
        return 0

    return run_main("regression", body)


if __name__ == "__main__":
    raise SystemExit(main())

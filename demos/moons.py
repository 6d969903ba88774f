"""micrograd's demo: an MLP learns to separate two interleaving moons, to 100% training accuracy.

The recipe is micrograd's: 100 points of two-moons data with noise 0.1,
``MLP(2, [16, 16, 1])`` (337 parameters), the SVM max-margin (hinge) loss with
labels -1/+1 plus an L2 penalty of 1e-4, and plain SGD whose learning rate falls
from 1.0 to 0.1 over the run (``1 - 0.9 * step / steps``), on the whole data set
every step. The picture shows the decision boundary the network drew and how
the loss and the accuracy went.

Every step is the four steps of any training loop: (1) forward, the loss;
(2) zero the gradients; (3) backward; (4) the optimizer's update. The
``eager`` engine builds the graph of all 100 points every step and calls
``loss.backward()``, as micrograd does. The ``batched`` engine (the default
when NumPy is installed) records the graph of *one* point's loss once and
replays it over all 100 at NumPy speed: the same steps, the same numbers to
about 1e-15, several times faster.

Run ``python -m demos.moons`` (or ``scalargrad demo moons``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import scalargrad
from scalargrad import Value
from scalargrad.cli import port_argument, serve_live
from scalargrad.liveview import TrainingSession
from scalargrad.losses import hinge_loss, l2_penalty
from scalargrad.nn import MLP
from scalargrad.optim import SGD
from scalargrad.train import ModelOutputs, accuracy

from ._common import (
    Engine,
    Progress,
    Stopwatch,
    at_least,
    choose_engine,
    demo_parser,
    output,
    pyplot,
    report_files,
    run_main,
    save_diagram,
    save_figure,
    save_json,
    save_model,
)
from ._data import linspace, make_moons

ALPHA = 1e-4  # the L2 penalty's weight


@dataclass
class MoonsRun:
    """What training left: the model, the data, and the loss and accuracy after every step."""

    model: MLP
    xs: list[list[float]]
    ys: list[int]
    losses: list[float] = field(default_factory=list)
    #: Training accuracy measured at each step's forward pass, before its update.
    accuracies: list[float] = field(default_factory=list)
    #: Accuracy of the trained model, after the last update.
    final_accuracy: float = 0.0


def problem(seed: int, n: int, noise: float = 0.1) -> tuple[list[list[float]], list[int], MLP]:
    """The data and the model, drawn from one generator seeded with ``seed``."""
    # The data: n points in the plane, labelled -1 (upper moon) or +1 (lower moon).
    rng = random.Random(seed)
    xs, ys = make_moons(n, noise, rng)
    # The model: 2 inputs, two hidden layers of 16 ReLUs, and one score whose sign is the class.
    model = MLP(2, [16, 16, 1], rng=rng)
    return xs, ys, model


def train(
    *, steps: int = 100, seed: int = 1337, n: int = 100, noise: float = 0.1, engine: Engine = "eager", show: bool = True
) -> MoonsRun:
    """Train micrograd's moons classifier with ``engine`` (``"batched"`` needs NumPy); ``show`` draws a progress bar."""
    xs, ys, model = problem(seed, n, noise)
    # The optimizer: plain SGD, its learning rate falling from 1.0 to 0.1 across the run (micrograd's schedule).
    optimizer = SGD(model.parameters(), lr=1.0, schedule=lambda step: 1.0 - 0.9 * step / steps)

    if engine == "batched":
        # Record the graph of ONE point's loss once. The point and its label sit in leaves
        # (x0, x1, y) that every replay fills with a whole column of the data set.
        x0, x1, y = Value(0.0, "x0"), Value(0.0, "x1"), Value(1.0, "y")
        score = output(model, [x0, x1])
        # That point's hinge plus the L2 penalty. The penalty is the same for every point, so
        # the mean over the points is micrograd's loss: mean hinge + L2.
        point_loss = (1.0 - y * score).relu() + l2_penalty(model.parameters(), ALPHA)
        tape = scalargrad.compile(point_loss, batch=[x0, x1, y])
        columns = [[x[0] for x in xs], [x[1] for x in xs], ys]

    run = MoonsRun(model, xs, ys)
    with Progress(steps, "moons", enabled=show) as progress:
        for _ in range(steps):
            if engine == "batched":
                losses = tape.forward(columns)  # (1) forward: every point's loss, in one replay
                optimizer.zero_grad()  # (2) zero the gradients
                tape.backward()  # (3) backward: d(mean loss)/d(parameter) into every .grad
                run.losses.append(float(losses.mean()))
                scores = tape.values(score)  # every point's score, from that replay
            else:
                scores = [output(model, x) for x in xs]  # (1) forward: a graph through all the points
                loss = hinge_loss(scores, ys) + l2_penalty(model.parameters(), ALPHA)
                optimizer.zero_grad()  # (2) zero the gradients
                loss.backward()  # (3) backward: d(loss)/d(node) for every node, into .grad
                run.losses.append(loss.data)
            optimizer.step()  # (4) update: every parameter takes a step down its gradient
            run.accuracies.append(accuracy(scores, ys))
            progress.update(loss=run.losses[-1], acc=run.accuracies[-1])
    # The trained model's one output, per point.
    scores = [row[0] for row in ModelOutputs(model, batched=engine == "batched")(xs)]
    run.final_accuracy = accuracy(scores, ys)
    return run


def decision_grid(
    model: MLP, xs: Sequence[Sequence[float]], size: int = 250
) -> tuple[list[float], list[float], list[list[float]]]:
    """The model's score on a ``size`` x ``size`` grid around the data: ``(gx, gy, scores[row][column])``.

    A fine grid, so that the contour at score 0 is a smooth curve. Its 62,500
    points are one batched replay (matplotlib brings NumPy, so it is there).
    """
    lo = [min(x[i] for x in xs) - 0.5 for i in (0, 1)]
    hi = [max(x[i] for x in xs) + 0.5 for i in (0, 1)]
    gx, gy = linspace(lo[0], hi[0], size), linspace(lo[1], hi[1], size)
    scores = ModelOutputs(model, batched=True)([[u, v] for v in gy for u in gx])
    return gx, gy, [[s for (s,) in scores[k * size : (k + 1) * size]] for k in range(size)]


# Okabe and Ito's colours, told apart under every colour-vision deficiency; the classes differ in shape too.
CLASS_STYLE = {-1: ("#D55E00", "o", "upper moon (y = -1)"), 1: ("#0072B2", "s", "lower moon (y = +1)")}
REGION_COLOURS = ["#FBE4D5", "#B9D5EA"]  # tints of the same two, of different lightness (so in grey too)


def draw(plt: Any, run: MoonsRun) -> Any:
    """The decision boundary over the data (left), the loss and the accuracy during training (right)."""
    figure = plt.figure(figsize=(12, 5.2), layout="constrained")
    grid = figure.add_gridspec(2, 2, width_ratios=[1.5, 1])
    boundary = figure.add_subplot(grid[:, 0])
    gx, gy, scores = decision_grid(run.model, run.xs)
    boundary.contourf(gx, gy, scores, levels=[-1e9, 0.0, 1e9], colors=REGION_COLOURS)
    boundary.contour(gx, gy, scores, levels=[-1.0, 1.0], colors="#555555", linewidths=1, linestyles="dashed")
    boundary.contour(gx, gy, scores, levels=[0.0], colors="black", linewidths=2)
    for label, (colour, marker, name) in CLASS_STYLE.items():
        points = [x for x, y in zip(run.xs, run.ys) if y == label]
        boundary.scatter(
            [p[0] for p in points],
            [p[1] for p in points],
            c=colour,
            marker=marker,
            s=40,
            edgecolors="black",
            linewidths=0.6,
            label=name,
            zorder=3,
        )
    boundary.plot([], [], color="black", linewidth=2, label="boundary: score = 0")
    boundary.plot([], [], color="#555555", linewidth=1, linestyle="dashed", label="margin: score = ±1")
    boundary.set_xlabel("$x_1$")
    boundary.set_ylabel("$x_2$", rotation=0, labelpad=12)
    boundary.set_aspect("equal")
    boundary.set_title(f"decision boundary (training accuracy {run.final_accuracy:.0%})")
    # Below the picture, not on it: a legend inside would hide points or the boundary.
    boundary.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)

    steps = range(1, len(run.losses) + 1)
    loss, acc = figure.add_subplot(grid[0, 1]), figure.add_subplot(grid[1, 1])
    loss.plot(steps, run.losses, color="black", linewidth=1.5)
    loss.set_yscale("log")
    loss.set_ylabel("loss (hinge + L2)")
    loss.set_title("training")
    acc.plot(steps, run.accuracies, color="black", linewidth=1.5)
    acc.set_ylim(0.0, 1.05)
    acc.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    acc.set_ylabel("training accuracy")
    acc.set_xlabel("step")
    loss.sharex(acc)
    loss.tick_params(labelbottom=False)
    return figure


def network_diagram(model: MLP, x: Sequence[float], path: Path, sample: int = 0) -> Path | None:
    """The trained network scoring one point, a box per layer, with every neuron's value and gradient.

    The gradients are of that point's score, not of the training loss (which
    sums a hinge over every point): the title says so, and which point it is.
    """
    inputs = [Value(v, f"x{i}") for i, v in enumerate(x)]
    score = output(model, inputs)  # keeps nn's label and mark, so layer3 folds like the others
    score.backward()
    point = ", ".join(f"{v:.3g}" for v in x)
    title = f"{model!r} scoring training point {sample}, x = ({point}); grad = ∂score/∂node, not of the loss"
    return save_diagram(score, path, collapse="layer", title=title)


def live(args: Any) -> int:
    """``--live``: the same data, network, loss and schedule, trained while a page served on 127.0.0.1 watches."""
    xs, ys, model = problem(args.seed, args.points)
    params = model.parameters()
    # The schedule stops falling at 0.1, so that resuming past --steps goes on at the last rate.
    optimizer = SGD(params, lr=1.0, schedule=lambda step: max(0.1, 1.0 - 0.9 * step / args.steps))

    def hinge(score: Value, y: Value) -> Value:  # one point's share of hinge_loss, its label a leaf
        return (1 - y * score).relu() + l2_penalty(params, ALPHA)

    def session() -> TrainingSession:
        batched = choose_engine(args.engine) == "batched"
        return TrainingSession(model, xs, ys, hinge, optimizer=optimizer, steps=args.steps, batched=batched)

    return serve_live(args, session, "moons")


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    # micrograd's demo seeds its generators with 1337; 13 of the seeds 0-19 also reach 100% in 100 steps.
    parser = demo_parser(
        "moons", "micrograd's two-moons demo: MLP(2,[16,16,1]), hinge + L2, SGD.", prog=prog, steps=100, seed=1337
    )
    parser.add_argument("--points", type=at_least(2), default=100, help="number of data points (default: 100)")
    parser.add_argument("--live", action="store_true", help="train in a live dashboard on 127.0.0.1 (Ctrl-C stops)")
    port_argument(parser)
    args = parser.parse_args(argv)
    if args.live:
        return live(args)

    def body() -> int:
        engine = choose_engine(args.engine)
        plt = None if args.no_plot else pyplot("moons")
        clock = Stopwatch()
        run = train(steps=args.steps, seed=args.seed, n=args.points, engine=engine, show=not args.quiet)
        seconds = clock.seconds
        print(
            f"moons: final loss {run.losses[-1]:.4f}, training accuracy {run.final_accuracy:.1%}, "
            f"{seconds:.1f} s of training ({engine})"
        )
        metrics = {
            "steps": args.steps,
            "seed": args.seed,
            "points": args.points,
            "engine": engine,
            "loss": run.losses,
            "accuracy": run.accuracies,
            "final_loss": run.losses[-1],
            "final_accuracy": run.final_accuracy,
            "train_seconds": seconds,
        }
        written = [save_json(metrics, args.out / "metrics.json"), save_model(run.model, args.out / "model.json")]
        if plt is not None:
            written.append(save_figure(plt, draw(plt, run), args.out / "moons.png"))
            written.append(network_diagram(run.model, run.xs[0], args.out / "network.svg", sample=0))
        report_files(written)
        return 0

    return run_main("moons", body)


if __name__ == "__main__":
    raise SystemExit(main())

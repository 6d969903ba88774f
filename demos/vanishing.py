"""Seed 001's lesson "easy to implement is not easy to train": gradients vanish through sigmoid layers.

Backpropagation multiplies the gradient, layer by layer on its way back to
the input, by each activation's derivative. The sigmoid's derivative
``s(1 - s)`` is at most 0.25, so after a few sigmoid layers the first layers'
gradients have all but vanished and those layers hardly learn; the ReLU's
derivative is 1 wherever the unit is active, and the gradient survives.

Two copies of the same deep network, ``MLP(2, [12] * 6 + [1])``, differ only
in their hidden activation: sigmoid or ReLU. Their initial weights come from
the same random draws, scaled as `scalargrad.nn.init_bound` suits each
activation (He for ReLU, LeCun for sigmoid), so each starts as well as it can.
Both train on 64 two-moons points with binary cross-entropy and the same plain
SGD, each step the four steps of any training loop: (1) forward, the loss;
(2) zero the gradients; (3) backward, which fills in the gradients this demo
is about, read before (4) the optimizer's update. The ``eager`` engine builds
each network's graph through all 64 points; the ``batched`` engine (the
default when NumPy is installed) records the graph of one point's loss and
replays it over all 64. The picture shows the mean gradient magnitude ``mean |dL/dw|`` of each
layer's weights at initialisation and during training, and the two losses.

Run ``python -m demos.vanishing`` (or ``scalargrad demo vanishing``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import scalargrad
from scalargrad import Value
from scalargrad.losses import binary_cross_entropy_with_logits
from scalargrad.nn import MLP
from scalargrad.optim import SGD

from ._common import (
    Engine,
    Progress,
    Stopwatch,
    choose_engine,
    demo_parser,
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
from ._data import make_moons

ACTIVATIONS = ("sigmoid", "relu")


@dataclass
class Trace:
    """One network's training: per step, the loss and each layer's mean |gradient| (first layer first)."""

    activation: str
    model: MLP
    losses: list[float] = field(default_factory=list)
    grads: list[list[float]] = field(default_factory=list)


def layer_grad_means(model: MLP) -> list[float]:
    """Each layer's mean ``|dL/dw|`` over its weights (biases left out), first layer first."""
    means = []
    for layer in model.layers:
        weights = [w for neuron in layer.neurons for w in neuron.w]
        means.append(sum(abs(w.grad) for w in weights) / len(weights))
    return means


def train(
    *,
    steps: int = 100,
    seed: int = 0,
    depth: int = 6,
    width: int = 12,
    n: int = 64,
    lr: float = 0.2,
    engine: Engine = "eager",
    show: bool = True,
) -> dict[str, Trace]:
    """Train the sigmoid and the ReLU network side by side; ``traces[a].grads[0]`` is the picture at initialisation."""
    # The data: n two-moons points, labelled 0 or 1 (binary cross-entropy's targets).
    xs, labels = make_moons(n, 0.1, random.Random(seed))
    targets = [(y + 1) / 2 for y in labels]
    # The models: the same deep MLP twice, from the same random draws, with sigmoid or ReLU hidden layers.
    traces = {a: Trace(a, MLP(2, [width] * depth + [1], activation=a, seed=seed)) for a in ACTIVATIONS}
    optimizers = {a: SGD(t.model.parameters(), lr=lr) for a, t in traces.items()}

    if engine == "batched":
        # For each network, the graph of ONE point's loss, recorded once; the point and its
        # target are leaves that every replay fills with a column of the data.
        x0, x1, t = Value(0.0, "x0"), Value(0.0, "x1"), Value(0.0, "t")
        tapes = {
            a: scalargrad.compile(
                binary_cross_entropy_with_logits([output(trace.model, [x0, x1])], [t]), batch=[x0, x1, t]
            )
            for a, trace in traces.items()
        }
        columns = [[x[0] for x in xs], [x[1] for x in xs], targets]

    with Progress(steps, "vanishing", enabled=show) as progress:
        for _ in range(steps):
            for activation, trace in traces.items():
                optimizer = optimizers[activation]
                if engine == "batched":
                    losses = tapes[activation].forward(columns)  # (1) forward: every point's loss, in one replay
                    optimizer.zero_grad()  # (2) zero the gradients
                    tapes[activation].backward()  # (3) backward: d(mean loss)/d(parameter) into every .grad
                    trace.losses.append(float(losses.mean()))
                else:
                    logits = [output(trace.model, x) for x in xs]  # (1) forward: a graph through all the points
                    loss = binary_cross_entropy_with_logits(logits, targets)
                    optimizer.zero_grad()  # (2) zero the gradients
                    loss.backward()  # (3) backward: d(loss)/d(node) for every node, into .grad
                    trace.losses.append(loss.data)
                trace.grads.append(layer_grad_means(trace.model))  # the lesson: how much gradient each layer got
                optimizer.step()  # (4) update: every parameter takes a step down its gradient
            progress.update(sigmoid_loss=traces["sigmoid"].losses[-1], relu_loss=traces["relu"].losses[-1])
    return traces


# Okabe and Ito's vermillion and blue, and a marker and a dash each: told apart in any colour vision, and in grey.
STYLE = {
    "sigmoid": {"color": "#D55E00", "marker": "s", "linestyle": "--"},
    "relu": {"color": "#0072B2", "marker": "o", "linestyle": "-"},
}


def draw(plt: Any, traces: dict[str, Trace]) -> Any:
    figure, axes = plt.subplots(2, 2, figsize=(12, 9), layout="constrained")
    profile, losses = axes[0]
    n_layers = len(traces["relu"].grads[0])
    layers = range(1, n_layers + 1)
    for activation, trace in traces.items():
        profile.plot(layers, trace.grads[0], **STYLE[activation], markersize=7, lw=2, label=activation)
        steps = range(1, len(trace.losses) + 1)
        line = {key: STYLE[activation][key] for key in ("color", "linestyle")}
        losses.plot(steps, trace.losses, **line, lw=2, label=activation)
    profile.set_yscale("log")
    profile.set_xticks(list(layers))
    profile.set_xlabel("layer (1 = next to the input)")
    profile.set_ylabel("mean |dL/dw|")
    profile.set_title("gradient per layer at initialisation")
    profile.legend()
    losses.set_xlabel("step")
    losses.set_ylabel("binary cross-entropy")
    losses.set_title("training loss")
    losses.legend()
    cmap = plt.get_cmap("viridis")
    # One scale for both panels, so the gap between them shows.
    seen = [g for t in traces.values() for step in t.grads for g in step if g > 0.0]
    limits = (min(seen) / 2, max(seen) * 2) if seen else (1e-8, 1.0)
    for axis, activation in zip(axes[1], ACTIVATIONS):
        history = traces[activation].grads
        for layer in range(n_layers):
            axis.plot(
                range(1, len(history) + 1),
                [g[layer] for g in history],
                # Dark to light from layer 1 to the last, stopping short of viridis's yellow, faint on white.
                color=cmap(0.85 * layer / max(1, n_layers - 1)),
                lw=1.8,
                label=f"layer {layer + 1}",
            )
        axis.set_yscale("log")
        axis.set_ylim(*limits)
        axis.set_xlabel("step")
        axis.set_ylabel("mean |dL/dw|")
        axis.set_title(f"{activation}: gradient per layer during training")
    axes[1][1].legend(fontsize="small", ncol=2)
    return figure


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    parser = demo_parser(
        "vanishing", "Seed 001's vanishing gradients: one deep MLP with sigmoid or ReLU.", prog=prog, steps=100
    )
    parser.add_argument("--depth", type=positive_int, default=6, help="hidden layers (default: 6)")
    parser.add_argument("--width", type=positive_int, default=12, help="units per hidden layer (default: 12)")
    parser.add_argument("--points", type=positive_int, default=64, help="number of data points (default: 64)")
    parser.add_argument("--lr", type=positive_float, default=0.2, help="SGD learning rate (default: 0.2)")
    args = parser.parse_args(argv)

    def body() -> int:
        engine = choose_engine(args.engine)
        plt = None if args.no_plot else pyplot("vanishing")
        clock = Stopwatch()
        traces = train(
            steps=args.steps,
            seed=args.seed,
            depth=args.depth,
            width=args.width,
            n=args.points,
            lr=args.lr,
            engine=engine,
            show=not args.quiet,
        )
        seconds = clock.seconds
        print("mean |dL/dw| per layer at initialisation (layer 1 next to the input):")
        for activation, trace in traces.items():
            print(f"  {activation:>7}: " + "  ".join(f"{g:.1e}" for g in trace.grads[0]))
        sigmoid, relu = traces["sigmoid"], traces["relu"]
        ratio = relu.grads[0][0] / sigmoid.grads[0][0]
        print(f"  layer 1 gets {ratio:.0f}x less gradient with sigmoid than with ReLU")
        for activation, trace in traces.items():
            print(f"  {activation:>7}: loss {trace.losses[0]:.4f} -> {trace.losses[-1]:.4f}")
        print(f"vanishing: {args.steps} steps for both networks, {seconds:.1f} s of training ({engine})")
        metrics = {
            "steps": args.steps,
            "seed": args.seed,
            "depth": args.depth,
            "width": args.width,
            "points": args.points,
            "lr": args.lr,
            "engine": engine,
            "init_grads": {a: t.grads[0] for a, t in traces.items()},
            "grads": {a: t.grads for a, t in traces.items()},
            "loss": {a: t.losses for a, t in traces.items()},
            "first_layer_ratio_relu_over_sigmoid": ratio,
            "train_seconds": seconds,
        }
        written = [save_json(metrics, args.out / "metrics.json")]
        written += [save_model(t.model, args.out / f"model_{a}.json") for a, t in traces.items()]
        if plt is not None:
            written.append(save_figure(plt, draw(plt, traces), args.out / "vanishing.png"))
        report_files(written)
        return 0

    return run_main("vanishing", body)


if __name__ == "__main__":
    raise SystemExit(main())

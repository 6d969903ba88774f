"""The seeds' handwritten-digit classifier: a two-layer network, softmax and cross-entropy, on 8x8 digits.

Seed 001 classifies digits with a sigmoid network and seed 004 builds the same
``TwoLayerNet`` (Affine, ReLU, Affine, Softmax-with-Loss) for MNIST. Here the
data are scikit-learn's bundled 1797 digits of 8x8 pixels (no download; the
``demos`` extra installs scikit-learn), scaled to [0, 1]. A fifth of them are
held out as a test set the network never trains on.

The network is ``MLP(64, [32, 10])``: 64 pixels in, 32 ReLU units, 10 scores
(logits) out. The loss is the cross-entropy of ``softmax(logits)`` against the
true digit, whose gradient with respect to the logits is the seeds'
"probabilities minus one-hot". Adam (learning rate 0.02) updates the
weights after every mini-batch of 64 digits, for 10 epochs. At the end the
demo prints the test accuracy and a confusion matrix, and the picture shows
digits it got wrong.

Every mini-batch is the four steps of any training loop: (1) forward, the
loss; (2) zero the gradients; (3) backward; (4) the optimizer's update. The
``eager`` engine builds a graph through all 64 digits of the batch, every
pixel product a scalar op (about 4,900 ops and 178,000 edges), and calls
``loss.backward()``. The ``batched`` engine (the default when NumPy is
installed) records the graph of *one* digit's loss once (79 ops) and replays
it over the batch at NumPy speed: the same steps, the same numbers up to
rounding, and the whole run in a couple of seconds.

Run ``python -m demos.digits`` (or ``scalargrad demo digits``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import scalargrad
from scalargrad import Value
from scalargrad.losses import cross_entropy
from scalargrad.nn import MLP
from scalargrad.optim import Adam
from scalargrad.train import ModelOutputs, argmax, one_hot

from ._common import (
    INSTALL_HINT,
    Engine,
    MissingExtraError,
    Progress,
    Stopwatch,
    choose_engine,
    demo_parser,
    outputs,
    positive_float,
    positive_int,
    pyplot,
    report_files,
    run_main,
    save_figure,
    save_json,
    save_model,
)

CLASSES = 10
PIXELS = 64


@dataclass
class Digits:
    """Flattened 8x8 images scaled to [0, 1], and their labels, split into training and test sets."""

    train_x: list[list[float]]
    train_y: list[int]
    test_x: list[list[float]]
    test_y: list[int]


def load_digits(seed: int, test_fraction: float = 0.2, train_size: int | None = None) -> Digits:
    """scikit-learn's 8x8 digits, shuffled with ``seed`` and split; ``train_size`` keeps only that many for training."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise MissingExtraError(
            "the digits demo loads scikit-learn's bundled 8x8 digits, and scikit-learn is not installed: "
            + INSTALL_HINT
        ) from None
    bunch = sklearn_digits()
    images = [[float(p) / 16.0 for p in row] for row in bunch.data.tolist()]
    labels = [int(t) for t in bunch.target.tolist()]
    order = list(range(len(images)))
    random.Random(seed).shuffle(order)
    n_test = round(len(order) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    if train_size is not None:
        train = train[:train_size]
    return Digits(
        [images[i] for i in train], [labels[i] for i in train], [images[i] for i in test], [labels[i] for i in test]
    )


def confusion_matrix(truth: Sequence[int], predicted: Sequence[int]) -> list[list[int]]:
    """``m[t][p]``: how many digits ``t`` were classified as ``p`` (the diagonal is right)."""
    m = [[0] * CLASSES for _ in range(CLASSES)]
    for t, p in zip(truth, predicted):
        m[t][p] += 1
    return m


def format_confusion(m: Sequence[Sequence[int]]) -> str:
    lines = ["true \\ predicted " + " ".join(f"{p:>4}" for p in range(CLASSES))]
    lines += [f"{t:>16} " + " ".join(f"{n:>4}" for n in row) for t, row in enumerate(m)]
    return "\n".join(lines)


@dataclass
class DigitsRun:
    """The model and data, the loss of every batch, and the test accuracy and predictions after every epoch."""

    model: MLP
    data: Digits
    batch_losses: list[float] = field(default_factory=list)
    test_accuracies: list[float] = field(default_factory=list)
    predictions: list[int] = field(default_factory=list)

    @property
    def test_accuracy(self) -> float:
        return self.test_accuracies[-1]


def train(
    data: Digits,
    *,
    epochs: int = 10,
    hidden: int = 32,
    batch: int = 64,
    lr: float = 0.02,
    seed: int = 0,
    engine: Engine = "eager",
    show: bool = True,
) -> DigitsRun:
    """Train ``MLP(64, [hidden, 10])`` with mini-batch Adam on the cross-entropy; ``show`` draws a progress bar.

    Each epoch goes through the training digits in a new random order, in
    batches of ``batch`` (the last one smaller when ``batch`` does not divide
    their number). After each epoch the model classifies the test digits.
    """
    if batch > len(data.train_x):
        raise ValueError(f"digits: the batch of {batch} is larger than the {len(data.train_x)} training digits")
    rng = random.Random(seed)
    # The model: 64 pixels in, `hidden` ReLU units, 10 logits out (a score for each digit).
    model = MLP(PIXELS, [hidden, CLASSES], rng=rng)
    # The optimizer: Adam, whose steps are about `lr` whatever the scale of each gradient.
    optimizer = Adam(model.parameters(), lr=lr)

    if engine == "batched":
        # Record the graph of ONE digit's loss once. Its 64 pixels and its label sit in leaves that
        # every replay fills with a column of the batch. The label is a one-hot row of 10 leaves:
        # a class index would be folded into the graph as a constant, and replayed as recorded.
        pixels = [Value(0.0, f"x{i}") for i in range(PIXELS)]
        target = [Value(0.0, f"t{k}") for k in range(CLASSES)]
        logits = outputs(model, pixels)
        tape = scalargrad.compile(cross_entropy(logits, target), batch=[*pixels, *target])

    test_outputs = ModelOutputs(model, batched=engine == "batched")
    order = list(range(len(data.train_x)))
    batches = math.ceil(len(order) / batch)  # per epoch, the last one perhaps smaller
    run = DigitsRun(model, data)
    with Progress(epochs * batches, "digits", unit="batch", enabled=show) as progress:
        for epoch in range(1, epochs + 1):
            progress.describe(f"digits epoch {epoch}/{epochs}")
            rng.shuffle(order)
            for start in range(0, len(order), batch):
                chunk = order[start : start + batch]
                images, labels = [data.train_x[i] for i in chunk], [data.train_y[i] for i in chunk]
                if engine == "batched":
                    columns = [*zip(*images), *zip(*[one_hot(y, CLASSES) for y in labels])]  # a column per leaf
                    losses = tape.forward(columns)  # (1) forward: every digit's loss, in one replay
                    optimizer.zero_grad()  # (2) zero the gradients
                    tape.backward()  # (3) backward: d(mean loss)/d(parameter) into every .grad
                    run.batch_losses.append(float(losses.mean()))
                else:
                    batch_logits = [outputs(model, x) for x in images]  # (1) forward: a graph through the batch
                    losses = [cross_entropy(z, y) for z, y in zip(batch_logits, labels)]  # y: a class index
                    loss = scalargrad.sum(losses) / len(chunk)
                    optimizer.zero_grad()  # (2) zero the gradients
                    loss.backward()  # (3) backward: d(loss)/d(node) for every node, into .grad
                    run.batch_losses.append(loss.data)
                optimizer.step()  # (4) update: Adam moves every parameter
                progress.update(loss=run.batch_losses[-1])
            # After each epoch, the held-out digits: the largest of the 10 logits is the model's answer.
            run.predictions = [argmax(z) for z in test_outputs(data.test_x)]
            run.test_accuracies.append(sum(p == t for p, t in zip(run.predictions, data.test_y)) / len(data.test_y))
            progress.update(0, test_acc=run.test_accuracy)
    return run


# Okabe and Ito's blue and vermillion, and grey: told apart under every colour-vision deficiency.
LOSS_COLOUR, ACCURACY_COLOUR, WRONG_COLOUR = "#555555", "#0072B2", "#D55E00"


def draw(plt: Any, run: DigitsRun, confusion: Sequence[Sequence[int]]) -> Any:
    """The confusion matrix large (top left), digits it got wrong (top right), training curves (bottom)."""
    figure = plt.figure(figsize=(12, 10.5), layout="constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=[2.1, 1])
    left, right = top.subfigures(1, 2, width_ratios=[1.25, 1])
    draw_confusion(left.subplots(), confusion)
    draw_mistakes(right, run)
    draw_curves(bottom.subplots(1, 2), run)
    return figure


def draw_confusion(matrix: Any, confusion: Sequence[Sequence[int]]) -> None:
    """Counts as numbers, shaded by a single-hue scale (light to dark: readable in any colour vision, and in grey).

    The right answers fill the diagonal; the mistakes, off it, are framed in
    vermillion so that a count of 1 catches the eye as well as 40 does.
    """
    from matplotlib.patches import Rectangle

    largest = max(max(row) for row in confusion)
    shading = matrix.imshow(confusion, cmap="Blues", vmin=0, vmax=largest)
    for t, row in enumerate(confusion):
        for p, n in enumerate(row):
            if not n:
                continue
            red, green, blue, _ = shading.to_rgba(n)
            dark = 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.45  # relative luminance, roughly
            matrix.text(p, t, str(n), ha="center", va="center", fontsize=13, color="white" if dark else "black")
            if t != p:
                frame = Rectangle((p - 0.45, t - 0.45), 0.9, 0.9, fill=False, edgecolor=WRONG_COLOUR, linewidth=2.5)
                matrix.add_patch(frame)
    matrix.set_xticks(range(CLASSES))
    matrix.set_yticks(range(CLASSES))
    matrix.tick_params(labelsize=13)
    matrix.set_xlabel("predicted digit", fontsize=13)
    matrix.set_ylabel("true digit", fontsize=13)
    right = sum(confusion[i][i] for i in range(CLASSES))
    total = sum(map(sum, confusion))
    matrix.set_title(f"confusion matrix: {right} of {total} test digits right", fontsize=14)


def draw_mistakes(panel: Any, run: DigitsRun, shown: int = 12) -> None:
    """The first ``shown`` misclassified test digits, each titled with its true digit and what the model read."""
    wrong = [i for i, (p, t) in enumerate(zip(run.predictions, run.data.test_y)) if p != t]
    panel.suptitle(f"misclassified test digits ({min(shown, len(wrong))} of {len(wrong)})", fontsize=14)
    for k, axis in enumerate(panel.subplots(4, 3).flat):
        if k >= min(shown, len(wrong)):
            axis.axis("off")
        else:
            i = wrong[k]
            axis.set_xticks([])
            axis.set_yticks([])  # no ticks, but the frame: it shows the 8 x 8 square a digit is drawn in
            pixels = run.data.test_x[i]
            axis.imshow([pixels[r * 8 : r * 8 + 8] for r in range(8)], cmap="gray_r", vmin=0.0, vmax=1.0)
            axis.set_title(f"{run.data.test_y[i]} read as {run.predictions[i]}", fontsize=13)


def draw_curves(axes: Any, run: DigitsRun) -> None:
    """The loss of every batch (left) and the test accuracy after every epoch (right)."""
    loss, test = axes
    per_epoch = len(run.batch_losses) / len(run.test_accuracies)
    loss.plot([(i + 1) / per_epoch for i in range(len(run.batch_losses))], run.batch_losses, color=LOSS_COLOUR, lw=0.8)
    loss.set_yscale("log")
    loss.set_xlabel("epoch")
    loss.set_ylabel("cross-entropy")
    loss.set_title("training loss, batch by batch")
    epochs = range(1, len(run.test_accuracies) + 1)
    test.plot(epochs, run.test_accuracies, color=ACCURACY_COLOUR, marker="o", lw=2)
    test.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    test.set_xticks(list(epochs))
    test.set_xlabel("epoch")
    test.set_ylabel("test accuracy")
    test.set_title(f"held-out digits (last: {run.test_accuracy:.1%})")


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    parser = demo_parser(
        "digits", "The seeds' digit classifier: MLP(64,[32,10]), softmax + cross-entropy, Adam.", prog=prog, epochs=10
    )
    parser.add_argument("--hidden", type=positive_int, default=32, help="hidden units (default: 32)")
    parser.add_argument("--batch", type=positive_int, default=64, help="mini-batch size (default: 64)")
    parser.add_argument("--lr", type=positive_float, default=0.02, help="Adam's learning rate (default: 0.02)")
    parser.add_argument(
        "--train-size", type=positive_int, default=None, help="train on only this many digits (default: all 1438)"
    )
    args = parser.parse_args(argv)

    def body() -> int:
        engine = choose_engine(args.engine)
        plt = None if args.no_plot else pyplot("digits")
        data = load_digits(args.seed, train_size=args.train_size)
        if args.batch > len(data.train_y):
            parser.error(f"--batch {args.batch} is larger than the training set ({len(data.train_y)} digits)")
        clock = Stopwatch()
        run = train(
            data,
            epochs=args.epochs,
            hidden=args.hidden,
            batch=args.batch,
            lr=args.lr,
            seed=args.seed,
            engine=engine,
            show=not args.quiet,
        )
        seconds = clock.seconds
        confusion = confusion_matrix(data.test_y, run.predictions)
        print(format_confusion(confusion))
        print(
            f"digits: test accuracy {run.test_accuracy:.1%} on {len(data.test_y)} held-out digits "
            f"after {args.epochs} epochs on {len(data.train_y)}, {seconds:.1f} s of training ({engine})"
        )
        metrics = {
            "epochs": args.epochs,
            "seed": args.seed,
            "hidden": args.hidden,
            "batch": args.batch,
            "lr": args.lr,
            "engine": engine,
            "train_size": len(data.train_y),
            "test_size": len(data.test_y),
            "batch_losses": run.batch_losses,
            "test_accuracies": run.test_accuracies,
            "test_accuracy": run.test_accuracy,
            "confusion": confusion,
            "train_seconds": seconds,
        }
        written = [save_json(metrics, args.out / "metrics.json"), save_model(run.model, args.out / "model.json")]
        if plt is not None:
            written.append(save_figure(plt, draw(plt, run, confusion), args.out / "digits.png"))
        report_files(written)
        return 0

    return run_main("digits", body)


if __name__ == "__main__":
    raise SystemExit(main())

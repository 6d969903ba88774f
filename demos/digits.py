"""The seeds' handwritten-digit classifier: a two-layer network, softmax and cross-entropy, on 8x8 digits.

Seed 001 classifies digits with a sigmoid network and seed 004 builds the same
``TwoLayerNet`` (Affine, ReLU, Affine, Softmax-with-Loss) for MNIST. Here the
data are scikit-learn's bundled 1797 digits of 8x8 pixels (no download; the
``demos`` extra installs scikit-learn), scaled to [0, 1]. A fifth of them are
held out as a test set the network never trains on.

The network is ``MLP(64, [32, 10])``: 64 pixels in, 32 ReLU units, 10 scores
(logits) out. The loss is the cross-entropy of ``softmax(logits)`` against the
true digit, whose gradient with respect to the logits is the seeds'
"probabilities minus one-hot". Adam updates the weights after every
mini-batch of 32 digits, for 10 epochs. At the end the demo prints the test
accuracy and a confusion matrix, and the picture shows digits it got wrong.

Every scalar is a Value: a batch of 32 is a graph of 2,530 ops over 4,778
leaves (2,410 weights, 2,048 pixels, 320 one-hot targets) with 155,000 edges.
The loss is `scalargrad.losses.cross_entropy` with each label as a one-hot row
of leaves, so a recorded graph reads every batch's labels afresh.
Its shape is the same for every batch, so by default it is recorded once and
replayed (`scalargrad.train.TrainingStep`): the default run takes about 20
seconds, against about 40 when ``--no-compile`` rebuilds the graph every batch.

Run ``python -m demos.digits`` (or ``scalargrad demo digits``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import scalargrad
from scalargrad import Value
from scalargrad.losses import cross_entropy
from scalargrad.nn import MLP
from scalargrad.optim import Adam
from scalargrad.train import TrainingStep, argmax, input_leaves, load_rows, one_hot

from ._common import (
    INSTALL_HINT,
    MissingExtraError,
    Progress,
    Stopwatch,
    add_compile_option,
    demo_parser,
    outputs,
    positive_float,
    positive_int,
    pyplot,
    run_main,
    save_outputs,
)

CLASSES = 10


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


@scalargrad.no_grad()
def predict(model: MLP, xs: Sequence[Sequence[float]]) -> list[int]:
    """The predicted digit (the largest logit) for each image, without building graphs."""
    return [argmax(outputs(model, x)) for x in xs]


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
    """The model and data, the loss of every batch, and the test accuracy after every epoch."""

    model: MLP
    data: Digits
    batch_losses: list[float] = field(default_factory=list)
    test_accuracies: list[float] = field(default_factory=list)
    predictions: list[int] = field(default_factory=list)

    @property
    def test_accuracy(self) -> float:
        return self.test_accuracies[-1]


def test_accuracy(model: MLP, data: Digits) -> tuple[float, list[int]]:
    predicted = predict(model, data.test_x)
    return sum(p == t for p, t in zip(predicted, data.test_y)) / len(predicted), predicted


def train(
    data: Digits,
    *,
    epochs: int = 10,
    hidden: int = 32,
    batch: int = 32,
    lr: float = 0.01,
    seed: int = 0,
    show: bool = True,
    compile: bool = True,
) -> DigitsRun:
    """Train ``MLP(64, [hidden, 10])`` with mini-batch Adam on the cross-entropy; ``show`` draws a progress bar.

    Every batch has ``batch`` digits: the graph has one row of input leaves per
    digit, so each epoch drops the last ``len(train) % batch`` of its shuffled
    order (a different few each epoch) rather than build a second graph for them.
    ``compile`` replays one recorded graph (`TrainingStep`); the numbers are the same either way.
    """
    if batch > len(data.train_x):
        raise ValueError(f"digits: the batch of {batch} is larger than the {len(data.train_x)} training digits")
    rng = random.Random(seed)
    model = MLP(64, [hidden, CLASSES], rng=rng)
    order = list(range(len(data.train_x)))
    batches = len(order) // batch
    images = input_leaves(batch, 64, label="x")
    targets = input_leaves(batch, CLASSES, label="t")

    def build_loss() -> tuple[Value, list[list[Value]]]:
        logits = [outputs(model, x) for x in images]
        # The targets as one-hot rows of leaves, not an index: the tape reads each batch's labels from them.
        losses = [cross_entropy(z, t) for z, t in zip(logits, targets)]
        return scalargrad.sum(losses) / batch, logits

    # sync: the logits show each batch's numbers, for the running accuracy.
    step = TrainingStep(build_loss, Adam(model.parameters(), lr=lr), compile=compile, sync=True)
    run = DigitsRun(model, data)
    with Progress(epochs * batches, "digits", unit="batch", enabled=show) as progress:
        for _ in range(epochs):
            rng.shuffle(order)
            right = seen = 0
            for start in range(0, batches * batch, batch):
                chunk = order[start : start + batch]
                labels = [data.train_y[i] for i in chunk]
                load_rows(images, [data.train_x[i] for i in chunk])
                load_rows(targets, [one_hot(y, CLASSES) for y in labels])
                run.batch_losses.append(step())
                right += sum(argmax(z) == y for z, y in zip(step.outputs, labels))
                seen += batch
                progress.update(loss=run.batch_losses[-1], acc=right / seen)
            accuracy, run.predictions = test_accuracy(model, data)
            run.test_accuracies.append(accuracy)
    return run


def draw(plt: Any, run: DigitsRun, confusion: Sequence[Sequence[int]]) -> Any:
    figure = plt.figure(figsize=(14, 4.3), layout="constrained")
    left, right = figure.subfigures(1, 2, width_ratios=[2, 1.1])
    curves, matrix = left.subplots(1, 2)
    per_epoch = len(run.batch_losses) / len(run.test_accuracies)
    curves.plot([(i + 1) / per_epoch for i in range(len(run.batch_losses))], run.batch_losses, color="#d62728", lw=0.8)
    curves.set_yscale("log")
    curves.set_xlabel("epoch")
    curves.set_ylabel("training loss (cross-entropy)", color="#d62728")
    twin = curves.twinx()
    twin.plot(range(1, len(run.test_accuracies) + 1), run.test_accuracies, color="#1f77b4", marker="o")
    twin.set_ylabel("test accuracy", color="#1f77b4")
    twin.yaxis.set_major_formatter(lambda y, _: f"{y:.0%}")
    curves.set_title(f"training (test accuracy {run.test_accuracy:.1%})")
    matrix.imshow(confusion, cmap="Blues")
    for t, row in enumerate(confusion):
        for p, n in enumerate(row):
            if n:
                matrix.text(p, t, str(n), ha="center", va="center", fontsize=7, color="white" if t == p else "black")
    matrix.set_xticks(range(CLASSES))
    matrix.set_yticks(range(CLASSES))
    matrix.set_xlabel("predicted")
    matrix.set_ylabel("true")
    matrix.set_title("confusion matrix (test set)")
    wrong = [i for i, (p, t) in enumerate(zip(run.predictions, run.data.test_y)) if p != t][:12]
    right.suptitle(f"misclassified test digits ({len(wrong)} shown)")
    for k, axis in enumerate(right.subplots(3, 4).flat):
        axis.axis("off")
        if k < len(wrong):
            i = wrong[k]
            pixels = run.data.test_x[i]
            axis.imshow([pixels[r * 8 : r * 8 + 8] for r in range(8)], cmap="gray_r", vmin=0.0, vmax=1.0)
            axis.set_title(f"{run.data.test_y[i]} read as {run.predictions[i]}", fontsize=9)
    return figure


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    parser = demo_parser(
        "digits", "The seeds' digit classifier: MLP(64,[32,10]), softmax + cross-entropy, Adam.", prog=prog, epochs=10
    )
    parser.add_argument("--hidden", type=positive_int, default=32, help="hidden units (default: 32)")
    parser.add_argument("--batch", type=positive_int, default=32, help="mini-batch size (default: 32)")
    parser.add_argument("--lr", type=positive_float, default=0.01, help="Adam's learning rate (default: 0.01)")
    parser.add_argument(
        "--train-size", type=positive_int, default=None, help="train on only this many digits (default: all 1438)"
    )
    add_compile_option(parser)
    args = parser.parse_args(argv)

    def body() -> int:
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
            show=not args.quiet,
            compile=args.compile,
        )
        seconds = clock.seconds
        confusion = confusion_matrix(data.test_y, run.predictions)
        print(format_confusion(confusion))
        print(
            f"digits: test accuracy {run.test_accuracy:.1%} on {len(data.test_y)} held-out digits "
            f"after {args.epochs} epochs on {len(data.train_y)}, in {seconds:.1f} s "
            f"({'compiled' if args.compile else 'eager'})"
        )
        metrics = {
            "epochs": args.epochs,
            "seed": args.seed,
            "hidden": args.hidden,
            "batch": args.batch,
            "lr": args.lr,
            "compile": args.compile,
            "train_size": len(data.train_y),
            "test_size": len(data.test_y),
            "batch_losses": run.batch_losses,
            "test_accuracies": run.test_accuracies,
            "test_accuracy": run.test_accuracy,
            "confusion": confusion,
            "train_seconds": seconds,
        }
        save_outputs(
            args.out, "digits", metrics=metrics, model=run.model, plt=plt, draw=lambda: draw(plt, run, confusion)
        )
        return 0

    return run_main("digits", body)


if __name__ == "__main__":
    raise SystemExit(main())

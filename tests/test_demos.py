"""The demos, run in-process at small sizes, judged on what they produce.

Each demo writes ``metrics.json`` and a checkpoint; the checks recompute the
claims from those files with code that shares nothing with scalargrad: a
plain-float forward pass written here from the checkpoint's weights, PyTorch
for gradients, the seed's printed numbers for the shopping bill.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from scalargrad import demo_runner, viz

ROOT = Path(__file__).resolve().parent.parent
DEMOS = ["digits", "moons", "regression", "shopping", "vanishing"]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _agg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")


def demo(name: str) -> Any:
    """The demo module as the runner loads it (``scalargrad._demos.NAME``)."""
    import importlib

    demo_runner.demos_package()
    return importlib.import_module(f"{demo_runner.PACKAGE}.{name}")


def run(name: str, *argv: str) -> int:
    return demo_runner.run(name, list(argv))


def metrics(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "metrics.json").read_text())
    return data


# ---------------------------------------------------------------------------
# An independent forward pass: the checkpoint's weights, plain floats.
# ---------------------------------------------------------------------------

ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "relu": lambda z: max(z, 0.0),
    "tanh": math.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
}


def float_mlp(checkpoint: Path) -> Callable[[Sequence[float]], list[float]]:
    """The network saved at ``checkpoint`` as a function of plain floats (hidden layers activated, last linear)."""
    document = json.loads(checkpoint.read_text())
    config, params = document["architecture"]["config"], document["parameters"]
    sizes = [config["nin"], *config["nouts"]]
    act = ACTIVATIONS[config["activation"]]

    def forward(x: Sequence[float]) -> list[float]:
        h = list(x)
        for k in range(1, len(sizes)):
            h = [
                sum(params[f"layer{k}.neuron{j}.w{i}"] * h[i] for i in range(sizes[k - 1]))
                + params[f"layer{k}.neuron{j}.b"]
                for j in range(sizes[k])
            ]
            if k < len(sizes) - 1:
                h = [act(z) for z in h]
        return h

    return forward


# ---------------------------------------------------------------------------
# The runner.
# ---------------------------------------------------------------------------


def test_runner_lists_the_demos_from_the_checkout() -> None:
    assert demo_runner.available() == DEMOS
    package = demo_runner.demos_package()
    assert package.__name__ == "scalargrad._demos"
    # In a checkout the folder beside the package is what runs, not a stale copy elsewhere.
    assert Path(package.__path__[0]).resolve() == ROOT / "demos"


def test_runner_rejects_unknown_names_and_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("nope") == 2
    assert "unknown demo 'nope'; available: digits, moons, regression, shopping, vanishing" in capsys.readouterr().err
    assert run("moons", "--steps", "0") == 2
    assert "--steps: expected a number of at least 1, got 0" in capsys.readouterr().err
    assert run("moons", "--engine", "fast") == 2
    assert "--engine: invalid choice: 'fast' (choose from 'batched', 'eager')" in capsys.readouterr().err
    assert run("moons", "--help") == 0
    assert "usage: scalargrad demo moons" in capsys.readouterr().out


def test_a_bad_output_folder_fails_before_training(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert run("moons", "--out", str(blocker / "sub")) == 2
    captured = capsys.readouterr()
    assert "cannot use" in captured.err and "output folder" in captured.err
    assert "moons:" not in captured.out  # no training happened


def test_python_m_demos_runs_from_the_repository_root(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "demos.shopping", "--no-plot", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "price: 715" in done.stdout


def test_runner_module_runs_from_any_directory(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scalargrad.demo_runner", "shopping", "--no-plot", "--out", "here"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "price: 220" in done.stdout
    assert (tmp_path / "here" / "results.json").is_file()


# ---------------------------------------------------------------------------
# shopping: seed 004's numbers.
# ---------------------------------------------------------------------------


def test_shopping_prints_the_seeds_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("shopping", "--out", str(tmp_path)) == 0
    printed = capsys.readouterr().out
    # The seed's buy_apple.py and buy_apple_orange.py print these (int() around price and counts).
    apple, both = printed.split("Problem 2")
    for line in ["price: 220", "dApple: 2.2", "dApple_num: 110", "dTax: 200"]:
        assert f"  {line}\n" in apple
    for line in ["price: 715", "dApple: 2.2", "dApple_num: 110", "dOrange: 3.3", "dOrange_num: 165", "dTax: 650"]:
        assert f"  {line}\n" in both
    results = json.loads((tmp_path / "results.json").read_text())
    # By hand: price = (a n_a + o n_o) t, so dprice/da = n_a t, dprice/dn_a = a t, dprice/dt = a n_a + o n_o.
    assert results["apple"] == pytest.approx(
        {"price": 220, "dApple": 2 * 1.1, "dApple_num": 100 * 1.1, "dTax": 200}, rel=1e-12
    )
    assert results["apple_orange"] == pytest.approx(
        {"price": 715, "dApple": 2.2, "dApple_num": 110, "dOrange": 3.3, "dOrange_num": 165, "dTax": 650}, rel=1e-12
    )


def test_shopping_follows_its_options(tmp_path: Path) -> None:
    assert (
        run("shopping", "--no-plot", "--apple", "120", "--orange-num", "4", "--tax", "1.08", "--out", str(tmp_path))
        == 0
    )
    both = json.loads((tmp_path / "results.json").read_text())["apple_orange"]
    assert both["price"] == pytest.approx((120 * 2 + 150 * 4) * 1.08)
    assert both["dOrange"] == pytest.approx(4 * 1.08)
    assert both["dTax"] == pytest.approx(120 * 2 + 150 * 4)
    assert not (tmp_path / "apple.svg").exists()


def test_shopping_draws_both_graphs_when_graphviz_is_there(tmp_path: Path) -> None:
    if viz.renderer_status().renderer is None:
        pytest.skip("no Graphviz renderer here")
    assert run("shopping", "--out", str(tmp_path)) == 0
    svg = (tmp_path / "apple_orange.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "orange_num" in svg and "715" in svg


# ---------------------------------------------------------------------------
# moons: micrograd's demo at its full default size.
# ---------------------------------------------------------------------------


def test_moons_reaches_full_training_accuracy(tmp_path: Path) -> None:
    assert run("moons", "--quiet", "--out", str(tmp_path)) == 0
    m = metrics(tmp_path)
    assert m["steps"] == 100 and m["points"] == 100 and len(m["loss"]) == 100
    assert m["final_accuracy"] == 1.0
    assert m["loss"][-1] < m["loss"][0] / 20
    # The saved model, run by plain-float code, classifies every training point right.
    forward = float_mlp(tmp_path / "model.json")
    moons = demo("moons")
    xs, ys = moons.make_moons(100, 0.1, __import__("random").Random(m["seed"]))
    assert all((forward(x)[0] > 0) == (y > 0) for x, y in zip(xs, ys))
    assert (tmp_path / "moons.png").read_bytes().startswith(PNG)
    from scalargrad import viz

    if viz.renderer_status().renderer is not None:
        network = (tmp_path / "network.svg").read_text()
        assert "layer1" in network
        # It says which point it scores, and whose gradient it shows: the score's, not the loss's.
        assert "scoring training point 0" in network and "grad = ∂score/∂node, not of the loss" in network


def test_moons_data_lie_on_two_half_circles() -> None:
    import random

    xs, ys = demo("moons").make_moons(200, 0.0, random.Random(3))
    assert sorted(ys) == [-1] * 100 + [1] * 100
    for (x, y), label in zip(xs, ys):
        # Upper moon: unit circle about (0, 0), y >= 0; lower moon: unit circle about (1, 0.5), y <= 0.5.
        cx, cy = (0.0, 0.0) if label == -1 else (1.0, 0.5)
        assert math.hypot(x - cx, y - cy) == pytest.approx(1.0)
        assert (y >= -1e-12) if label == -1 else (y <= 0.5 + 1e-12)


# ---------------------------------------------------------------------------
# regression, digits, vanishing: small sizes.
# ---------------------------------------------------------------------------


def test_regression_fits_the_sine(tmp_path: Path) -> None:
    assert run("regression", "--quiet", "--steps", "200", "--points", "32", "--out", str(tmp_path)) == 0
    m = metrics(tmp_path)
    assert m["final_loss"] < m["first_loss"] / 10
    # Against the noiseless curve, with the saved weights run by plain-float code.
    forward = float_mlp(tmp_path / "model.json")
    grid = [-math.pi + 2 * math.pi * i / 99 for i in range(100)]
    error = sum((forward([x])[0] - math.sin(x)) ** 2 for x in grid) / len(grid)
    assert error < 0.05
    assert error == pytest.approx(m["true_mse"], rel=0.2)
    assert (tmp_path / "regression.png").read_bytes().startswith(PNG)


def test_digits_at_its_defaults_classifies_96_percent_of_the_held_out_digits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default run (batched where NumPy is, as here): 10 epochs, batches of 64, Adam at 0.02.

    Its time is measured and reported in docs/demos.md, not asserted here:
    a shared machine's clock is no test of correctness.
    """
    pytest.importorskip("sklearn")
    assert run("digits", "--quiet", "--out", str(tmp_path)) == 0
    printed = capsys.readouterr().out
    m = metrics(tmp_path)
    assert m["engine"] == "batched" and m["epochs"] == 10 and m["batch"] == 64 and m["lr"] == 0.02
    assert m["train_size"] == 1438 and m["test_size"] == 359
    # Every training digit is used: 22 batches of 64 and one of 30 an epoch.
    assert len(m["batch_losses"]) == 10 * 23
    data = demo("digits").load_digits(m["seed"])
    forward = float_mlp(tmp_path / "model.json")
    predicted = [max(range(10), key=forward(x).__getitem__) for x in data.test_x]
    right = sum(p == t for p, t in zip(predicted, data.test_y))
    assert right / len(predicted) == pytest.approx(m["test_accuracy"])
    assert m["test_accuracy"] >= 0.96
    confusion = m["confusion"]
    assert sum(map(sum, confusion)) == 359 and sum(confusion[i][i] for i in range(10)) == right
    assert f"test accuracy {m['test_accuracy']:.1%}" in printed and "true \\ predicted" in printed
    assert "s of training (batched)" in printed
    assert (tmp_path / "digits.png").read_bytes().startswith(PNG)


def test_digits_trains_on_a_last_smaller_batch_and_rejects_a_batch_larger_than_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sklearn")
    argv = ["--quiet", "--no-plot", "--epochs", "2", "--hidden", "4", "--batch", "8", "--train-size", "20"]
    for engine in ("batched", "eager"):
        assert run("digits", *argv, "--engine", engine, "--out", str(tmp_path / engine)) == 0
        assert len(metrics(tmp_path / engine)["batch_losses"]) == 2 * 3  # batches of 8, 8 and 4 an epoch
    assert run("digits", "--batch", "21", "--train-size", "20", "--no-plot", "--out", str(tmp_path / "x")) == 2
    assert "--batch 21 is larger than the training set (20 digits)" in capsys.readouterr().err


def relative_difference(a: Sequence[float], b: Sequence[float]) -> float:
    assert len(a) == len(b)
    return max(abs(x - y) / max(abs(y), 1e-300) for x, y in zip(a, b))


@pytest.mark.parametrize(
    ("name", "argv", "losses"),
    [
        ("moons", [], "loss"),  # the defaults: both engines must reach 100%
        (
            "digits",
            ["--epochs", "2", "--hidden", "16", "--batch", "8", "--train-size", "400", "--lr", "0.02"],
            "batch_losses",
        ),
        ("regression", ["--steps", "40", "--points", "24"], "loss"),
        ("vanishing", ["--steps", "5", "--width", "6", "--points", "24"], "loss"),
    ],
)
def test_batched_and_eager_engines_train_alike(name: str, argv: list[str], losses: str, tmp_path: Path) -> None:
    """The same run with either engine: the same accuracy, and losses and weights equal up to rounding.

    Oracle: the eager engine, which builds every example's graph and calls
    ``backward()``. The batched engine replays one example's graph over the
    batch and averages its gradients; the two sum the same terms in another
    order, so they agree to rounding (about 1e-15 a step, grown by Adam's
    division by small running averages to about 1e-11 over a run).
    """
    if name == "digits":
        pytest.importorskip("sklearn")
    runs = {}
    for engine in ("batched", "eager"):
        out = tmp_path / engine
        assert run(name, "--quiet", "--no-plot", "--engine", engine, *argv, "--out", str(out)) == 0
        runs[engine] = metrics(out)
    batched, eager = runs["batched"], runs["eager"]
    assert (batched["engine"], eager["engine"]) == ("batched", "eager")
    if name == "vanishing":
        for activation in ("sigmoid", "relu"):
            assert relative_difference(batched["loss"][activation], eager["loss"][activation]) < 1e-9
            for b, e in zip(batched["grads"][activation], eager["grads"][activation]):
                assert relative_difference(b, e) < 1e-9
    else:
        assert relative_difference(batched[losses], eager[losses]) < 1e-9
        assert batched[losses][-1] < batched[losses][0]  # and it did train
    if name == "moons":
        assert batched["final_accuracy"] == eager["final_accuracy"] == 1.0
        assert batched["accuracy"] == eager["accuracy"]
    if name == "digits":
        # One digit of the 359 either way at most: a logit pair within rounding of a tie could flip.
        assert abs(batched["test_accuracy"] - eager["test_accuracy"]) <= 1 / 359
        assert batched["test_accuracy"] > 0.75  # 83% at seed 0 after 2 short epochs; chance is 10%
    for model in (tmp_path / "batched").glob("model*.json"):
        mine = json.loads(model.read_text())["parameters"]
        theirs = json.loads((tmp_path / "eager" / model.name).read_text())["parameters"]
        assert mine.keys() == theirs.keys()
        assert all(math.isclose(mine[k], theirs[k], rel_tol=1e-9, abs_tol=1e-12) for k in mine)


def test_without_numpy_the_demos_train_eagerly_and_batched_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)  # `import numpy` now fails as if it were not installed
    assert run("moons", "--engine", "batched", "--no-plot", "--out", str(tmp_path)) == 1
    err = capsys.readouterr().err
    assert "NumPy, which is not installed: pip install 'scalargrad[fast]' (or pass --engine eager)" in err
    assert not any(tmp_path.iterdir())  # reported before any work
    assert run("moons", "--quiet", "--steps", "2", "--points", "10", "--no-plot", "--out", str(tmp_path)) == 0
    assert metrics(tmp_path)["engine"] == "eager"
    assert "s of training (eager)" in capsys.readouterr().out


def test_digits_split_keeps_test_and_training_apart() -> None:
    pytest.importorskip("sklearn")
    data = demo("digits").load_digits(0)
    assert len(data.train_x) + len(data.test_x) == 1797
    train = {tuple(x) for x in data.train_x}
    # The 8x8 digits hold a few exact duplicates; nearly all test images are unseen.
    assert sum(tuple(x) in train for x in data.test_x) < 5
    assert all(0.0 <= p <= 1.0 for x in data.test_x for p in x)


def test_vanishing_sigmoid_starves_the_first_layer(tmp_path: Path) -> None:
    argv = ["--quiet", "--steps", "3", "--width", "8", "--points", "24", "--out", str(tmp_path)]
    assert run("vanishing", *argv) == 0
    m = metrics(tmp_path)
    sigmoid, relu = m["init_grads"]["sigmoid"], m["init_grads"]["relu"]
    assert len(sigmoid) == len(relu) == 7
    assert relu[0] > 100 * sigmoid[0]
    # Through sigmoid layers the gradient shrinks layer after layer on its way back to the input.
    assert sigmoid[0] < sigmoid[3] < sigmoid[6]
    assert (tmp_path / "vanishing.png").read_bytes().startswith(PNG)
    assert (tmp_path / "model_relu.json").is_file() and (tmp_path / "model_sigmoid.json").is_file()


def test_vanishing_measures_the_gradients_pytorch_finds() -> None:
    torch = pytest.importorskip("torch")
    import random

    from scalargrad.nn import MLP

    vanishing = demo("vanishing")
    traces = vanishing.train(steps=1, depth=4, width=6, n=20, seed=5, show=False)
    xs, labels = vanishing.make_moons(20, 0.1, random.Random(5))
    for activation, trace in traces.items():
        fresh = MLP(2, [6] * 4 + [1], activation=activation, seed=5)  # the same initial weights
        h = torch.tensor(xs, dtype=torch.float64)
        weights = []
        for k, layer in enumerate(fresh.layers):
            w = torch.tensor([[v.data for v in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
            b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64)
            weights.append(w)
            h = h @ w.T + b
            if k < len(fresh.layers) - 1:
                h = torch.relu(h) if activation == "relu" else torch.sigmoid(h)
        targets = torch.tensor([(y + 1) / 2 for y in labels], dtype=torch.float64)
        torch.nn.functional.binary_cross_entropy_with_logits(h[:, 0], targets).backward()
        expected = [w.grad.abs().mean().item() for w in weights]
        assert trace.grads[0] == pytest.approx(expected, rel=1e-9)


# ---------------------------------------------------------------------------
# Missing extras, progress without tqdm, safe files.
# ---------------------------------------------------------------------------


def test_missing_matplotlib_is_reported_before_training(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert run("moons", "--out", str(tmp_path)) == 1
    err = capsys.readouterr().err
    assert "matplotlib, which is not installed: pip install 'scalargrad[demos]' (or pass --no-plot)" in err
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
    assert run("moons", "--quiet", "--steps", "2", "--no-plot", "--out", str(tmp_path)) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "model.json"]


def test_missing_sklearn_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    assert run("digits", "--no-plot", "--out", str(tmp_path)) == 1
    assert "scikit-learn is not installed: pip install 'scalargrad[demos]'" in capsys.readouterr().err


def test_progress_without_tqdm_prints_every_tenth(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    common = demo("_common")
    with common.Progress(25, "fit") as progress:
        for i in range(25):
            progress.update(loss=1.0 / (i + 1), acc=i / 25)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "fit: 3/25  loss 0.3333  acc 8.0%"
    assert [line.split()[1] for line in lines] == [
        "3/25",
        "6/25",
        "9/25",
        "12/25",
        "15/25",
        "18/25",
        "21/25",
        "24/25",
        "25/25",
    ]


def test_progress_names_the_epoch_and_keeps_what_it_was_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    common = demo("_common")
    with common.Progress(4, "digits", unit="batch") as progress:
        for epoch in (1, 2):
            progress.describe(f"digits epoch {epoch}/2")
            for _ in range(2):
                progress.update(loss=0.5)
            progress.update(0, test_acc=0.25 * epoch)  # a new number, no step: nothing printed
    assert capsys.readouterr().out.splitlines() == [
        "digits epoch 1/2: 1/4  loss 0.5",
        "digits epoch 1/2: 2/4  loss 0.5",
        "digits epoch 2/2: 3/4  loss 0.5  test_acc 25.0%",
        "digits epoch 2/2: 4/4  loss 0.5  test_acc 25.0%",
    ]


def test_a_progress_bar_names_the_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    with demo("_common").Progress(4, "digits", unit="batch") as progress:
        progress.describe("digits epoch 3/10")
        progress.update(loss=0.5)
    assert "digits epoch 3/10:" in capsys.readouterr().err  # tqdm draws on stderr


def test_a_failed_picture_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    common = demo("_common")
    target = tmp_path / "moons.png"
    target.write_bytes(b"the old picture")
    closed = []

    class Figure:
        def savefig(self, temporary: Path, **options: object) -> None:
            Path(temporary).write_bytes(b"half a pict")
            raise OSError("disk full")

    class Pyplot:
        def close(self, figure: object) -> None:
            closed.append(figure)

    figure = Figure()
    with pytest.raises(OSError, match="disk full"):
        common.save_figure(Pyplot(), figure, target)
    assert target.read_bytes() == b"the old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["moons.png"]
    assert closed == [figure]  # closed all the same: a long session does not pile up figures
    common.save_json({"a": 1}, tmp_path / "metrics.json")
    assert json.loads((tmp_path / "metrics.json").read_text()) == {"a": 1}
    assert os.stat(tmp_path / "metrics.json").st_mode & 0o644 == 0o644

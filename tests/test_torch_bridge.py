"""`MLP.to_torch` and `MLP.from_torch` against PyTorch's own forward and autograd in float64.

Every check compares with something that shares no code with scalargrad:
PyTorch's ``Linear`` layers and activations for outputs, its autograd for
gradients (with the loss written again in torch functions), the float32
rounding ``struct`` does for the float32 copy, and a fresh interpreter's
``sys.modules`` for "scalargrad never imports torch".

Under CI (``CI`` set, as ``.ci/run`` does) a missing torch fails this module
instead of skipping it, so the bridge cannot go untested unnoticed.
"""

from __future__ import annotations

import math
import os
import random
import struct
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from scalargrad import Value
from scalargrad.losses import l2_penalty, mse_loss
from scalargrad.nn import MLP

ROOT = Path(__file__).resolve().parent.parent

try:
    import torch
except ImportError:  # pragma: no cover - the CI machine has torch
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail("CI is set but torch is not installed: the torch bridge must be tested in CI", pytrace=False)
    pytest.skip("torch is not installed (pip install 'scalargrad[torch]')", allow_module_level=True)

F64 = torch.float64
nn = torch.nn

#: (nin, nouts, activation): one-layer, deep, narrow, wide, one-wide hidden layers, every activation.
SHAPES = [
    (2, [16, 16, 1], "relu"),
    (3, [5, 4, 2], "tanh"),
    (4, [6, 6, 6, 3], "sigmoid"),
    (5, [7, 3], "linear"),
    (2, [16, 1, 1], "tanh"),
    (3, [1], "relu"),
    (1, [8, 2], "relu"),
]
SHAPE_IDS = [f"{nin}-{'-'.join(map(str, nouts))}-{act}" for nin, nouts, act in SHAPES]


def random_mlp(nin: int, nouts: list[int], activation: str, seed: int) -> MLP:
    """An MLP with its usual random weights and random biases too (they start at 0), so the biases are tested."""
    model = MLP(nin, nouts, activation=activation, seed=seed)
    rng = random.Random(seed + 1)
    for layer in model.layers:
        for neuron in layer.neurons:
            neuron.b.data = rng.uniform(-0.5, 0.5)
    return model


def random_inputs(nin: int, n: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.gauss(0.0, 1.5) for _ in range(nin)] for _ in range(n)]


def outputs_of(model: MLP, x: Sequence[float | Value]) -> list[Value]:
    out = model(x)
    return out if isinstance(out, list) else [out]


def relative_difference(a: float, b: float) -> float:
    """``|a - b|`` over the larger magnitude; 0 when both are 0."""
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale else 0.0


def assert_gradients_agree(ours: Sequence[float], theirs: Sequence[float], names: Sequence[str]) -> None:
    """Each gradient equal to 1e-12 relative, or within 1e-15 of the largest gradient.

    The floor is for a gradient that is a sum of terms nearly cancelling: it
    carries the rounding of those terms (about 1e-16 of the largest gradient),
    which is large relative to itself. Measured over 140 random models, one
    gradient in thousands needs it (4.3e-6 beside a largest of 6.7, off by 1.6e-17).
    """
    assert len(ours) == len(theirs) == len(names)
    scale = max(abs(g) for g in theirs)
    for name, a, b in zip(names, ours, theirs):
        assert abs(a - b) <= 1e-12 * abs(b) + 1e-15 * scale, (name, a, b)


def torch_gradients(net: nn.Sequential) -> list[float]:
    """Every parameter gradient of ``net`` in scalargrad's order: layer, neuron (row), weights then bias."""
    grads: list[float] = []
    for linear in net:
        if isinstance(linear, nn.Linear):
            assert linear.weight.grad is not None and linear.bias.grad is not None
            for row, b in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
                grads += [*row, b]
    return grads


# ---------------------------------------------------------------------------
# to_torch: the structure, the outputs and the gradients.
# ---------------------------------------------------------------------------


def test_moons_model_becomes_linear_relu_linear_relu_linear_with_each_weight_in_its_place() -> None:
    model = random_mlp(2, [16, 16, 1], "relu", seed=0)
    net = model.to_torch()
    assert [type(m) for m in net] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    linears = [net[0], net[2], net[4]]
    assert [(m.in_features, m.out_features) for m in linears] == [(2, 16), (16, 16), (16, 1)]
    assert all(p.dtype == F64 and p.requires_grad for p in net.parameters())
    # Parameter layer{k}.neuron{j}.w{i} is weight[j, i] of the k-th Linear, exactly; .b is bias[j].
    state = model.state_dict()
    for k, linear in enumerate(linears, start=1):
        for j in range(linear.out_features):
            assert linear.bias[j].item() == state[f"layer{k}.neuron{j}.b"]
            for i in range(linear.in_features):
                assert linear.weight[j, i].item() == state[f"layer{k}.neuron{j}.w{i}"]


@pytest.mark.parametrize(("nin", "nouts", "activation"), SHAPES, ids=SHAPE_IDS)
def test_to_torch_gives_the_same_modules_and_outputs(nin: int, nouts: list[int], activation: str) -> None:
    model = random_mlp(nin, nouts, activation, seed=len(nouts) * 10 + nin)
    net = model.to_torch()
    want = {"relu": [nn.ReLU], "tanh": [nn.Tanh], "sigmoid": [nn.Sigmoid], "linear": []}[activation]
    assert [type(m) for m in net] == [*([nn.Linear, *want] * (len(nouts) - 1)), nn.Linear]
    xs = random_inputs(nin, 25, seed=nin)
    theirs = net(torch.tensor(xs, dtype=F64)).tolist()
    for x, row in zip(xs, theirs):
        ours = [v.data for v in outputs_of(model, x)]
        assert len(ours) == len(row) == nouts[-1]
        for a, b in zip(ours, row):
            assert abs(a - b) <= 1e-12 * max(1.0, abs(b)), (x, ours, row)


@pytest.mark.parametrize(("nin", "nouts", "activation"), SHAPES, ids=SHAPE_IDS)
def test_gradients_match_torch_autograd(nin: int, nouts: list[int], activation: str) -> None:
    """The same loss built in scalargrad (backward) and in torch (autograd): every parameter's gradient agrees."""
    model = random_mlp(nin, nouts, activation, seed=nin + 7)
    net = model.to_torch()
    xs = random_inputs(nin, 12, seed=nin + 100)
    rng = random.Random(5)
    targets = [[rng.uniform(-1.0, 1.0) for _ in range(nouts[-1])] for _ in xs]

    # scalargrad: mean squared error over every output of every sample, plus an L2 term on the weights.
    inputs = [[Value(v) for v in x] for x in xs]
    outs = [v for x in inputs for v in outputs_of(model, x)]
    loss = mse_loss(outs, [t for row in targets for t in row]) + l2_penalty(model.parameters(), 1e-3)
    model.zero_grad()
    loss.backward()

    # torch: the same loss from torch's own functions.
    x_t = torch.tensor(xs, dtype=F64, requires_grad=True)
    torch_loss = nn.functional.mse_loss(net(x_t), torch.tensor(targets, dtype=F64))
    torch_loss = torch_loss + 1e-3 * sum((p * p).sum() for p in net.parameters())
    torch_loss.backward()

    assert relative_difference(loss.data, torch_loss.item()) <= 1e-12
    names = [name for name, _ in model.named_parameters()]
    assert_gradients_agree([p.grad for p in model.parameters()], torch_gradients(net), names)
    assert x_t.grad is not None
    input_names = [f"x{n}[{i}]" for n in range(len(xs)) for i in range(nin)]
    assert_gradients_agree([v.grad for x in inputs for v in x], x_t.grad.flatten().tolist(), input_names)


def test_float32_copy_holds_each_weight_rounded_to_float32() -> None:
    model = random_mlp(3, [4, 2], "tanh", seed=2)
    net = model.to_torch(torch.float32)
    assert all(p.dtype == torch.float32 for p in net.parameters())
    as_float32 = [struct.unpack("f", struct.pack("f", v))[0] for v in model.state_dict().values()]
    back = MLP.from_torch(net)
    assert list(back.state_dict().values()) == as_float32
    assert list(back.state_dict().values()) != list(model.state_dict().values())


def test_the_copy_is_independent_and_leaves_torchs_random_generator_alone() -> None:
    model = random_mlp(2, [3, 1], "relu", seed=4)
    before = model.state_dict()
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    net = model.to_torch()
    assert torch.equal(torch.rand(3), expected_next)  # building the copy drew nothing
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    assert model.state_dict() == before
    model.layers[0].neurons[0].w[0].data = 42.0
    assert net[0].weight[0, 0].item() == before["layer1.neuron0.w0"] + 1.0


# ---------------------------------------------------------------------------
# Round trips and from_torch.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("nin", "nouts", "activation"), SHAPES, ids=SHAPE_IDS)
def test_round_trip_gives_identical_weights_and_outputs(nin: int, nouts: list[int], activation: str) -> None:
    model = random_mlp(nin, nouts, activation, seed=3)
    back = MLP.from_torch(model.to_torch())
    assert back.state_dict() == model.state_dict()
    assert back.nin == nin and back.nouts == nouts
    # A one-layer MLP has no hidden layer to carry an activation; it comes back "linear".
    assert back.activation == (activation if len(nouts) > 1 else "linear")
    for x in random_inputs(nin, 10, seed=9):
        assert [v.data for v in outputs_of(back, x)] == [v.data for v in outputs_of(model, x)]
    # And the other way: torch -> MLP -> torch gives the same tensors.
    net = model.to_torch()
    again = MLP.from_torch(net).to_torch()
    assert [type(m) for m in again] == [type(m) for m in net]
    for p, q in zip(net.parameters(), again.parameters()):
        assert torch.equal(p, q)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(
    ("activation", "module"), [("relu", nn.ReLU), ("tanh", nn.Tanh), ("sigmoid", nn.Sigmoid), ("linear", None)]
)
def test_from_torch_of_a_torch_initialised_sequential_matches_its_forward_and_gradients(
    activation: str, module: Callable[[], nn.Module] | None, dtype: torch.dtype
) -> None:
    torch.manual_seed(7)
    act: list[nn.Module] = [module()] if module else []
    net = nn.Sequential(nn.Linear(3, 8), *act, nn.Linear(8, 5), *([module()] if module else []), nn.Linear(5, 2))
    net = net.to(dtype)
    model = MLP.from_torch(net)
    assert model.config() == {"nin": 3, "nouts": [8, 5, 2], "activation": activation}
    # The oracle computes in float64 from the very same numbers (widening float32 is exact).
    reference = net.to(F64)
    xs = random_inputs(3, 10, seed=1)
    out = reference(torch.tensor(xs, dtype=F64))
    for x, row in zip(xs, out.tolist()):
        for a, b in zip([v.data for v in outputs_of(model, x)], row):
            assert abs(a - b) <= 1e-12 * max(1.0, abs(b))
    # The gradient of the summed outputs, both ways.
    out.sum().backward()
    total = Value(0.0)
    for x in xs:
        for v in outputs_of(model, x):
            total = total + v
    total.backward()
    names = [name for name, _ in model.named_parameters()]
    assert_gradients_agree([p.grad for p in model.parameters()], torch_gradients(reference), names)


def test_from_torch_copies_and_shares_nothing() -> None:
    net = nn.Sequential(nn.Linear(2, 2, dtype=F64))
    model = MLP.from_torch(net)
    with torch.no_grad():
        net[0].weight.fill_(9.0)
    assert 9.0 not in model.state_dict().values()


def test_from_torch_as_a_classmethod_builds_the_subclass() -> None:
    class Wide(MLP):
        pass

    model = Wide.from_torch(nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)))
    assert type(model) is Wide and model.activation == "tanh"


def test_from_torch_does_not_draw_from_pythons_random_generator() -> None:
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    random.seed(5)
    expected = random.random()
    random.seed(5)
    MLP.from_torch(net)
    assert random.random() == expected


# ---------------------------------------------------------------------------
# What is refused, and how.
# ---------------------------------------------------------------------------


def unsupported() -> list[tuple[str, nn.Module, str]]:
    L = nn.Linear  # noqa: N806 - short, for a table of Sequentials
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that initialising a 0 x 3 weight does nothing
        zero_width = L(0, 3)
    return [
        ("empty", nn.Sequential(), r"the Sequential is empty"),
        (
            "mixed activations",
            nn.Sequential(L(2, 3), nn.ReLU(), L(3, 3), nn.Tanh(), L(3, 1)),
            r"hidden layer 2 \(Sequential\[2\]\) is followed by a Tanh \(Sequential\[3\]\), but hidden layer 1 "
            r"\(Sequential\[0\]\) is followed by a ReLU \(Sequential\[1\]\); an MLP uses one activation",
        ),
        (
            "a hidden layer without activation",
            nn.Sequential(L(2, 3), nn.Sigmoid(), L(3, 3), L(3, 1)),
            r"hidden layer 2 \(Sequential\[2\]\) has no activation, but hidden layer 1 .* Sigmoid",
        ),
        (
            "activation after the last layer",
            nn.Sequential(L(2, 3), nn.ReLU(), L(3, 1), nn.Sigmoid()),
            r"Sequential\[3\] is a Sigmoid after the last Linear layer, but an MLP's last layer is linear",
        ),
        ("activation first", nn.Sequential(nn.ReLU(), L(3, 1)), r"Sequential\[0\] is a ReLU at the start"),
        (
            "two activations in a row",
            nn.Sequential(L(2, 3), nn.ReLU(), nn.ReLU(), L(3, 1)),
            r"Sequential\[2\] is a ReLU after a ReLU; an activation can only follow a Linear layer",
        ),
        ("another activation", nn.Sequential(L(2, 3), nn.GELU(), L(3, 1)), r"Sequential\[1\] is a GELU, which"),
        ("dropout", nn.Sequential(L(2, 3), nn.ReLU(), nn.Dropout(), L(3, 1)), r"Sequential\[2\] is a Dropout"),
        ("a nested Sequential", nn.Sequential(nn.Sequential(L(2, 1))), r"Sequential\[0\] is a Sequential, which"),
        (
            "sizes that do not chain",
            nn.Sequential(L(2, 3), nn.ReLU(), L(4, 1)),
            r"Sequential\[2\] is a Linear taking 4 inputs, but the Linear before it, Sequential\[0\], gives 3",
        ),
        ("no bias", nn.Sequential(L(2, 3, bias=False)), r"Sequential\[0\] is a Linear without a bias"),
        ("a lazy layer", nn.Sequential(L(2, 3), nn.LazyLinear(1)), r"Sequential\[1\] is a LazyLinear whose sizes"),
        ("a zero-width layer", nn.Sequential(zero_width), r"Sequential\[0\] is a Linear of size 0 -> 3"),
    ]


UNSUPPORTED = unsupported()


@pytest.mark.parametrize(("seq", "message"), [c[1:] for c in UNSUPPORTED], ids=[c[0] for c in UNSUPPORTED])
def test_unsupported_shapes_are_refused_naming_the_module(seq: nn.Sequential, message: str) -> None:
    with pytest.raises(ValueError, match=r"^MLP\.from_torch\(\): " + message):
        MLP.from_torch(seq)


def test_a_subclass_of_linear_is_refused_by_its_full_name() -> None:
    class Scaled(nn.Linear):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return 2 * super().forward(x)

    with pytest.raises(ValueError, match=r"Sequential\[0\] is a test_torch_bridge\..*Scaled, which"):
        MLP.from_torch(nn.Sequential(Scaled(2, 1)))


@pytest.mark.parametrize(("where", "value"), [("weight", math.nan), ("bias", math.inf)])
def test_non_finite_weights_are_refused_with_their_position(where: str, value: float) -> None:
    linear = nn.Linear(2, 3)
    with torch.no_grad():
        getattr(linear, where)[1, ...] = value
    at = "1, 0" if where == "weight" else "1"
    with pytest.raises(ValueError, match=rf"Sequential\[2\] is a Linear whose {where}\[{at}\] is {value}"):
        MLP.from_torch(nn.Sequential(nn.Linear(3, 2), nn.ReLU(), linear))


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (nn.Linear(2, 1), r"got Linear \(wrap the layers"),
        ([nn.Linear(2, 1)], r"got list \(wrap the layers: torch\.nn\.Sequential\(\*layers\)\)"),
        (nn.ModuleList([nn.Linear(2, 1)]), r"got ModuleList"),
        (MLP(2, [1], seed=0), r"got MLP \(it is already a scalargrad MLP; model\.to_torch\(\) goes the other way\)"),
        ("Sequential", r"got str$"),
    ],
)
def test_from_torch_wants_a_sequential(argument: Any, message: str) -> None:
    with pytest.raises(TypeError, match=r"^MLP\.from_torch\(\): needs a torch\.nn\.Sequential, " + message):
        MLP.from_torch(argument)


def test_the_module_function_to_torch_wants_an_mlp() -> None:
    from scalargrad.nn import Layer
    from scalargrad.torch_bridge import to_torch

    with pytest.raises(TypeError, match=r"^to_torch\(\): needs a scalargrad MLP, got Layer$"):
        to_torch(Layer(2, 3, seed=0))  # type: ignore[arg-type]


def test_to_torch_wants_a_floating_point_torch_dtype() -> None:
    model = MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match=r"dtype must be a torch\.dtype such as torch\.float64, got 'float64'"):
        model.to_torch("float64")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"dtype must be a floating-point type .* got torch\.int64"):
        model.to_torch(torch.int64)
    assert model.to_torch(torch.bfloat16)[0].weight.dtype == torch.bfloat16


# ---------------------------------------------------------------------------
# PyTorch stays out of scalargrad until asked for.
# ---------------------------------------------------------------------------


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter that imports this checkout's scalargrad."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_scalargrad_imports_and_trains_without_importing_torch() -> None:
    done = run_python(
        """
        import importlib, pkgutil, sys, tempfile
        from pathlib import Path

        import scalargrad
        import scalargrad.nn
        from scalargrad.nn import MLP, hinge_loss, l2_penalty
        from scalargrad.optim import SGD

        for info in pkgutil.walk_packages(scalargrad.__path__, "scalargrad."):
            if info.name != "scalargrad.__main__":  # every module, scalargrad.torch_bridge included
                importlib.import_module(info.name)
        model = MLP(2, [8, 8, 1], seed=0)
        optimizer = SGD(model.parameters(), lr=0.1)
        xs, ys = [[0.5, 1.0], [-1.0, 0.2], [0.3, -0.7]], [1, -1, 1]
        for _ in range(3):
            loss = hinge_loss([model(x) for x in xs], ys) + l2_penalty(model.parameters(), 1e-4)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        tape = scalargrad.compile(loss)
        with tempfile.TemporaryDirectory() as folder:
            model.save(Path(folder) / "m.json")
            model.load(Path(folder) / "m.json")
        print("before:", "torch" in sys.modules)
        model.to_torch()
        print("after:", "torch" in sys.modules)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["before: False", "after: True"]


@pytest.mark.parametrize("call", ["MLP(2, [1], seed=0).to_torch()", "MLP.from_torch(None)"])
def test_without_torch_the_calls_say_how_to_install_it(call: str) -> None:
    # sys.modules["torch"] = None makes `import torch` fail as if it were not installed.
    done = run_python(
        f"""
        import sys
        sys.modules["torch"] = None
        from scalargrad.nn import MLP
        try:
            {call}
        except ImportError as error:
            print(type(error).__name__, error)
        """
    )
    assert done.returncode == 0, done.stderr
    function = "to_torch" if "to_torch" in call else "from_torch"
    assert done.stdout.startswith(f"ImportError MLP.{function}() needs PyTorch, which is not installed")
    assert "pip install 'scalargrad[torch]'" in done.stdout


# ---------------------------------------------------------------------------
# docs/torch.md and docs/torch_moons.py: the page's code runs, and its numbers hold.
# ---------------------------------------------------------------------------

PAGE = ROOT / "docs" / "torch.md"


def load_torch_moons(monkeypatch: pytest.MonkeyPatch) -> Any:
    """docs/torch_moons.py as a module (it is a script, not part of a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("torch_moons", ROOT / "docs" / "torch_moons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "torch_moons", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_docs_page_examples_print_what_the_page_says() -> None:
    import doctest

    failures, tried = doctest.testfile(str(PAGE), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried >= 12
    assert failures == 0


def test_docs_page_trains_both_models_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's plain python blocks, run in order as one script: 100 steps on each side, full size."""
    import re

    monkeypatch.syspath_prepend(str(ROOT))  # `from demos._data import ...`, as from the repository root
    blocks = re.findall(r"^```python\n(.*?)^```$", PAGE.read_text(encoding="utf-8"), flags=re.S | re.M)
    script = [block for block in blocks if not block.lstrip().startswith(">>>")]
    assert len(script) == 4
    namespace: dict[str, Any] = {"__name__": "docs_torch_md"}
    for i, block in enumerate(script):
        exec(compile(block, f"docs/torch.md, script block {i + 1}", "exec"), namespace)
    # The page's own asserts ran; these restate the claims its text makes.
    assert len(namespace["losses"]) == len(namespace["losses_t"]) == 100
    assert namespace["accuracy"] == namespace["accuracy_t"] == 1.0
    assert namespace["gap"] < 1e-12
    assert round(namespace["losses"][-1], 4) == 0.0188


def test_torch_moons_script_agrees_step_by_step_and_is_the_moons_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    script = load_torch_moons(monkeypatch)
    result = script.compare(steps=5)
    assert len(result.losses_scalargrad) == len(result.losses_torch) == 5
    assert result.max_relative_loss_difference < 1e-13  # measured: about 1e-15
    assert result.max_weight_difference < 1e-13
    assert result.accuracy_scalargrad == result.accuracy_torch
    # The scalargrad side is the moons demo's run: the demo's own training code gives the same losses.
    from scalargrad import demo_runner

    demo_runner.demos_package()
    import importlib

    run = importlib.import_module(f"{demo_runner.PACKAGE}.moons").train(steps=5, show=False)
    for a, b in zip(result.losses_scalargrad, run.losses):
        assert abs(a - b) <= 1e-12 * abs(b)
    assert result.accuracy_scalargrad == run.final_accuracy
    # Steps 1 and 2 do not depend on the run's length (the rate of step 0 is 1.0 however many steps follow),
    # so the page's table must show exactly these two lines.
    page = PAGE.read_text(encoding="utf-8")
    for line in script.report(result).splitlines()[1:3]:
        assert line in page


def test_torch_moons_script_sees_float32_drift(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is not vacuous: PyTorch in float32 is visibly off, by what float32 rounding gives."""
    script = load_torch_moons(monkeypatch)
    result = script.compare(steps=3, dtype=torch.float32)
    assert 1e-9 < result.max_relative_loss_difference < 1e-5


def test_torch_moons_script_main_prints_and_checks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = load_torch_moons(monkeypatch)
    threads = torch.get_num_threads()
    try:
        assert script.main(["--steps", "2", "--points", "20", "--width", "4"]) == 0
    finally:
        torch.set_num_threads(threads)  # main() runs PyTorch on one thread
    out = capsys.readouterr().out
    assert "largest loss difference over 2 steps" in out and "training accuracy: scalargrad" in out

"""Neuron, Layer and MLP against PyTorch float64, micrograd, the seeds and hand-derived counts."""

from __future__ import annotations

import doctest
import math
import random
from pathlib import Path
from typing import Any

import pytest

from scalargrad import Value, grad
from scalargrad.engine import consumers_first
from scalargrad.nn import MLP, Layer, Module, Neuron, accuracy, cross_entropy, init_bound, mse_loss
from scalargrad.optim import Adam
from scalargrad.train import argmax

DOCS = Path(__file__).resolve().parent.parent / "docs" / "nn.md"


def close(a: float, b: float, tol: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def weights_of(model: MLP) -> list[tuple[list[list[float]], list[float]]]:
    return [
        ([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons]) for layer in model.layers
    ]


def torch_mlp(model: MLP, inputs: list[float]) -> tuple[Any, Any, list[Any]]:
    """The same network written with float64 tensors: output, input tensor, and [W, b] per layer."""
    torch = pytest.importorskip("torch")
    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda t: t}
    x = torch.tensor(inputs, dtype=torch.float64, requires_grad=True)
    h, params = x, []
    for layer, (w, b) in zip(model.layers, weights_of(model)):
        wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
        params += [wt, bt]
        h = act[layer.activation](wt @ h + bt)
    return h, x, params


# ---------------------------------------------------------------------------
# Forward and backward against independent implementations.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nouts", "activation"),
    [([5, 4, 2], "relu"), ([5, 4, 3], "tanh"), ([6, 1], "sigmoid"), ([16, 1, 1], "tanh"), ([3], "relu")],
)
def test_mlp_forward_and_backward_match_torch(nouts: list[int], activation: str) -> None:
    model = MLP(3, nouts, activation=activation, seed=11)
    inputs = [0.4, -1.3, 0.8]
    out, x, params = torch_mlp(model, inputs)
    # A weighted sum of the outputs, so every output's path back is checked.
    coefs = [1.0, -2.0, 0.5][: nouts[-1]]
    (out * out.new_tensor(coefs)).sum().backward()

    xs = [Value(v) for v in inputs]
    ours = model(xs)
    outputs = ours if isinstance(ours, list) else [ours]
    assert len(outputs) == nouts[-1]
    for o, t in zip(outputs, out.tolist()):
        assert close(o.data, t)
    total = sum((c * o for c, o in zip(coefs, outputs)), Value(0.0))
    model.zero_grad()
    total.backward()
    for layer, (wt, bt) in zip(model.layers, zip(params[0::2], params[1::2])):
        for j, neuron in enumerate(layer.neurons):
            assert [w.grad for w in neuron.w] == pytest.approx(wt.grad[j].tolist(), rel=1e-12, abs=1e-12)
            assert close(neuron.b.grad, bt.grad[j].item())
    assert [v.grad for v in xs] == pytest.approx(x.grad.tolist(), rel=1e-12, abs=1e-12)


def test_mlp_2_16_16_1_matches_micrograd_with_copied_weights() -> None:
    micrograd_nn = pytest.importorskip("micrograd.nn")
    ours = MLP(2, [16, 16, 1], seed=3)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    assert len(ours.parameters()) == len(theirs.parameters()) == 337
    for p, q in zip(ours.parameters(), theirs.parameters()):
        q.data = p.data
    for point in [[0.5, -1.0], [-2.0, 1.5], [0.1, 0.2]]:
        ours.zero_grad()
        theirs.zero_grad()
        a, b = ours(point), theirs(point)
        assert close(a.data, b.data)
        a.backward()
        b.backward()
        for p, q in zip(ours.parameters(), theirs.parameters()):
            assert close(p.grad, q.grad), p.label


def test_seed_000_sigmoid_neuron() -> None:
    # CS231n (seed 000): w = [2, -3], b = -3, x = [-1, -2]: w.x + b = 1, f = sigmoid(1) ~ 0.73,
    # ddot = (1 - f) f, dx = w ddot, dw = x ddot.
    neuron = Neuron(2, activation="sigmoid")
    neuron.load_state_dict({"w0": 2.0, "w1": -3.0, "b": -3.0})
    x = [Value(-1.0), Value(-2.0)]
    f = neuron(x)
    assert round(f.data, 2) == 0.73
    want_f = 1.0 / (1.0 + math.exp(-1.0))
    assert close(f.data, want_f)
    f.backward()
    ddot = (1.0 - want_f) * want_f
    assert [v.grad for v in x] == pytest.approx([2 * ddot, -3 * ddot], rel=1e-12)
    assert [w.grad for w in neuron.w] == pytest.approx([-1 * ddot, -2 * ddot], rel=1e-12)
    assert close(neuron.b.grad, ddot)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_expand_builds_primitive_gates_with_the_same_values_and_gradients(activation: str) -> None:
    fused = MLP(3, [4, 4, 2], activation=activation, seed=5)
    expanded = MLP(3, [4, 4, 2], activation=activation, seed=5, expand=True)
    assert fused.state_dict() == expanded.state_dict()
    xs_a, xs_b = [Value(v) for v in (0.3, -0.7, 1.1)], [Value(v) for v in (0.3, -0.7, 1.1)]
    out_a, out_b = fused(xs_a), expanded(xs_b)
    assert isinstance(out_a, list) and isinstance(out_b, list)
    loss_a, loss_b = out_a[0] * out_a[1], out_b[0] * out_b[1]
    assert close(loss_a.data, loss_b.data)
    leaves_a, leaves_b = fused.parameters() + xs_a, expanded.parameters() + xs_b
    assert grad(loss_a, leaves_a) == pytest.approx(grad(loss_b, leaves_b), rel=1e-12, abs=1e-12)

    ops = {node.op for node in consumers_first(loss_b)}
    assert "dot" not in ops
    assert ops <= {"", "*", "+", activation}


def test_graph_sizes_one_dot_gate_per_neuron_versus_primitive_gates() -> None:
    # MLP(2, [16, 16, 1]) on two Value inputs. With dot: one dot per neuron plus a relu per hidden
    # neuron: 16*2 + 16*2 + 1 = 65 op nodes. Expanded: a neuron with n inputs has n '*' and n '+'
    # (n - 1 between products, one for the bias): 16*(2+2+1) + 16*(16+16+1) + (16+16) = 640.
    def op_nodes(expand: bool) -> int:
        model = MLP(2, [16, 16, 1], seed=0, expand=expand)
        out = model([Value(0.5), Value(-0.5)])
        assert isinstance(out, Value)
        return sum(1 for node in consumers_first(out) if node.op)

    assert op_nodes(expand=False) == 65
    assert op_nodes(expand=True) == 640


# ---------------------------------------------------------------------------
# Shape, names and labels.
# ---------------------------------------------------------------------------


def test_parameter_count_names_and_labels() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    named = model.named_parameters()
    assert len(model.parameters()) == len(named) == 337 == 16 * 3 + 16 * 17 + 17
    assert [p for _, p in named] == model.parameters()
    assert [name for name, _ in named[:3]] == ["layer1.neuron0.w0", "layer1.neuron0.w1", "layer1.neuron0.b"]
    assert named[-1][0] == "layer3.neuron0.b"
    assert len({name for name, _ in named}) == 337
    assert all(p.label == name for name, p in named)
    assert model.layers[0].neurons[3].w[1] is dict(named)["layer1.neuron3.w1"]
    assert list(model.state_dict()) == [name for name, _ in named]


def test_neuron_outputs_are_labelled_by_position() -> None:
    model = MLP(2, [3, 2], seed=0)
    out = model([1.0, -1.0])
    assert isinstance(out, list)
    assert [o.label for o in out] == ["layer2.neuron0", "layer2.neuron1"]
    assert [o.op for o in out] == ["dot", "dot"]  # the last layer is linear: the sum is the output
    hidden = out[0].parents[1:6:2]  # a dot node's parents interleave weights and inputs: w0 x0 w1 x1 ...
    assert [h.label for h in hidden] == ["layer1.neuron0", "layer1.neuron1", "layer1.neuron2"]
    assert [h.op for h in hidden] == ["relu"] * 3
    assert [h.parents[0].label for h in hidden] == ["layer1.neuron0.z", "layer1.neuron1.z", "layer1.neuron2.z"]

    lone = Neuron(2, activation="tanh", seed=1)
    assert [name for name, _ in lone.named_parameters()] == ["w0", "w1", "b"]
    y = lone([1.0, 2.0])
    assert (y.label, y.op, y.parents[0].label) == ("", "tanh", "z")


def test_output_shapes_and_one_wide_hidden_layers() -> None:
    assert isinstance(MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    assert len(MLP(2, [4, 3], seed=0)([1.0, 2.0])) == 3  # type: ignore[arg-type]
    layer = Layer(2, 1, seed=0)
    assert isinstance(layer([1.0, 2.0]), list) and len(layer([1.0, 2.0])) == 1
    # micrograd's MLP(2, [16, 1, 1]) fails: its 1-wide layer returns a bare Value the next layer cannot zip.
    model = MLP(2, [16, 1, 1], activation="tanh", seed=2)
    out = model([0.3, -0.4])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in model.layers[0].parameters())


def test_inputs_may_be_numbers_values_tuples_or_a_bare_scalar() -> None:
    model = MLP(2, [3, 1], seed=4)
    a = model([0.5, -1.5])
    b = model((Value(0.5), -1.5))
    c = model(iter([0.5, Value(-1.5)]))
    assert isinstance(a, Value) and isinstance(b, Value) and isinstance(c, Value)
    assert a.data == b.data == c.data
    one = MLP(1, [4, 1], seed=4)
    assert one(0.25).data == one([0.25]).data  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("module", "inputs", "message"),
    [
        (MLP(2, [3, 1], seed=0), [1.0, 2.0, 3.0], r"MLP\(2, \[3, 1\], activation='relu'\) expects 2 inputs, got 3"),
        (Layer(3, 2, seed=0), [1.0], r"Layer\(3, 2, activation='relu'\) expects 3 inputs, got 1"),
        (Neuron(2, seed=0), 1.0, r"Neuron\(2, activation='relu'\) expects 2 inputs, got 1"),
    ],
)
def test_wrong_input_length_raises_value_error(module: Module, inputs: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        module(inputs)


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(TypeError, match=r"input 1 must be a number or a Value, got str"):
        MLP(2, [1], seed=0)([1.0, "x"])
    with pytest.raises(ValueError, match=r"MLP\(\): activation must be one of 'relu', 'tanh', 'sigmoid', 'linear'"):
        MLP(2, [1], activation="gelu")
    with pytest.raises(ValueError, match=r"MLP\(\): nouts is empty"):
        MLP(2, [])
    with pytest.raises(ValueError, match=r"Layer\(\): nout must be at least 1, got 0"):
        Layer(2, 0)
    with pytest.raises(TypeError, match=r"Neuron\(\): nin must be an integer, got float"):
        Neuron(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"MLP\(\): pass seed or rng, not both"):
        MLP(2, [1], seed=1, rng=random.Random(1))


def test_activation_choices() -> None:
    assert Neuron(2, seed=0).activation == "relu"
    assert Neuron(2, nonlin=False, seed=0).activation == "linear"
    assert not Neuron(2, nonlin=False, seed=0).nonlin
    assert Neuron(2, activation=None, seed=0).activation == "linear"
    layer = Layer(2, 3, activation="sigmoid", seed=0)
    assert all(0.0 < v.data < 1.0 for v in layer([5.0, -5.0]))
    assert [layer.activation for layer in MLP(2, [3, 3, 2], activation="tanh").layers] == ["tanh", "tanh", "linear"]


# ---------------------------------------------------------------------------
# Initialisation.
# ---------------------------------------------------------------------------


def test_seed_and_rng_reproduce_the_initialisation() -> None:
    first = MLP(3, [4, 2], seed=42).state_dict()
    assert MLP(3, [4, 2], seed=42).state_dict() == first
    assert MLP(3, [4, 2], rng=random.Random(42)).state_dict() == first
    assert MLP(3, [4, 2], seed=43).state_dict() != first
    random.seed(7)
    a = MLP(3, [4, 2]).state_dict()
    random.seed(7)
    assert MLP(3, [4, 2]).state_dict() == a
    assert MLP(3, [4, 2]).state_dict() != a


@pytest.mark.parametrize(("activation", "variance_times_nin"), [("relu", 2.0), ("tanh", 1.0), ("sigmoid", 1.0)])
def test_initial_weights_are_uniform_with_the_documented_bound(activation: str, variance_times_nin: float) -> None:
    nin = 50
    layer = Layer(nin, 300, activation=activation, seed=0)
    weights = [w.data for n in layer.neurons for w in n.w]
    bound = math.sqrt(3.0 * variance_times_nin / nin)  # uniform(-a, a) has variance a²/3
    assert init_bound(nin, activation) == pytest.approx(bound, rel=1e-15)
    assert max(abs(w) for w in weights) <= bound
    assert max(abs(w) for w in weights) > 0.99 * bound
    variance = math.fsum(w * w for w in weights) / len(weights)
    assert variance == pytest.approx(variance_times_nin / nin, rel=0.05)
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_relu_init_keeps_the_signal_size_through_a_deep_stack() -> None:
    # He et al.: with Var(w) = 2/nin, E[h²] after a ReLU layer equals E[h²] before it (biases 0), so
    # the mean square after 6 layers should be that of the input, up to the spread between random
    # networks. A bound of 1/sqrt(nin) would shrink it about (1/6)^6 ~ 2e-5 times, micrograd's 1
    # grow it about (48/6)^6 ~ 3e5 times.
    width, depth = 48, 6
    rng = random.Random(0)
    batch = [[rng.gauss(0, 1) for _ in range(width)] for _ in range(8)]
    ratios = []
    for seed in range(8):
        model = MLP(width, [width] * depth + [1], seed=seed)
        squares = 0.0
        for x in batch:
            h: list[Any] = x
            for layer in model.layers[:-1]:
                h = layer(h)
            squares += sum(v.data**2 for v in h)
        ratios.append(squares / sum(v * v for x in batch for v in x))
    assert 0.5 < sum(ratios) / len(ratios) < 2.0, ratios


def test_deep_relu_mlp_trains_on_a_toy_regression() -> None:
    xs = [-3.0 + 6.0 * i / 19 for i in range(20)]
    ys = [math.sin(x) for x in xs]
    model = MLP(1, [8, 8, 8, 8, 1], seed=0)
    opt = Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(300):
        loss = mse_loss([model(x) for x in xs], ys)  # type: ignore[misc]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    assert losses[-1] < losses[0] / 100, (losses[0], losses[-1])


# ---------------------------------------------------------------------------
# Module basics.
# ---------------------------------------------------------------------------


def test_zero_grad_and_a_micrograd_style_subclass() -> None:
    class Pair(Module):
        def __init__(self) -> None:
            self.a, self.b = Value(1.0), Value(2.0)

        def forward(self, x: float) -> Value:
            return self.a * x + self.b

        def parameters(self) -> list[Value]:
            return [self.a, self.b]

    pair = Pair()
    out = pair(3.0)
    assert out.data == 5.0
    out.backward()
    assert (pair.a.grad, pair.b.grad) == (3.0, 1.0)
    pair.zero_grad()
    assert (pair.a.grad, pair.b.grad) == (0.0, 0.0)
    assert pair.state_dict() == {"p0": 1.0, "p1": 2.0}
    assert Module().parameters() == []


def test_docs_examples_print_what_the_page_says() -> None:
    if not DOCS.exists():
        pytest.skip("docs/nn.md not present")
    pytest.importorskip("numpy", reason="docs/nn.md trains with TrainingStep(batch=...), the `fast` extra's")
    failures, tried = doctest.testfile(str(DOCS), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried > 10
    assert failures == 0


def test_accuracy_for_single_scores_and_class_scores() -> None:
    # Single scores: positive when > 0; labels -1/+1 or 0/1. Here 3 of 4 right either way.
    scores = [Value(0.5), Value(-0.1), Value(2.0), Value(0.0)]
    assert accuracy(scores, [1, -1, -1, -1]) == 0.75
    assert accuracy(scores, [1, 0, 0, 0]) == 0.75
    # Class scores: argmax against the class index (ties go to the first class).
    assert accuracy([[0.1, 0.7, 0.2], [Value(1.0), Value(1.0), Value(0.0)], [5.0, 6.0, 7.0]], [1, 0, 0]) == 2 / 3
    with pytest.raises(ValueError, match=r"accuracy\(\): outputs and labels differ in length: 2 and 1"):
        accuracy([1.0, 2.0], [1])
    with pytest.raises(ValueError, match=r"accuracy\(\): no outputs"):
        accuracy([], [])


def test_numpy_rows_and_labels_work_as_inputs() -> None:
    np = pytest.importorskip("numpy")
    model = MLP(3, [4, 3], seed=0)
    row = np.array([0.25, -1.0, 2.0])
    out = model(row)
    assert isinstance(out, list)
    assert [o.data for o in out] == [o.data for o in model([0.25, -1.0, 2.0])]  # type: ignore[union-attr]
    loss = cross_entropy(out, np.int64(2))
    assert loss.data == cross_entropy(out, 2).data
    best = max(range(3), key=lambda k: out[k].data)
    assert accuracy([out, out], np.array([best, (best + 1) % 3])) == 0.5
    # A batched replay's scores come as an array: one score each, or a row of class scores each.
    assert accuracy(np.array([0.5, -0.1, 2.0, 0.0]), [1, -1, -1, -1]) == 0.75
    assert accuracy(np.array([[0.1, 0.7, 0.2], [5.0, 6.0, 7.0]]), [1, 0]) == 0.5
    with pytest.raises(ValueError, match=r"accuracy\(\): no outputs"):
        accuracy(np.array([]), [])


NAN = math.nan


def test_accuracy_counts_a_nan_output_as_wrong() -> None:
    # A diverged model outputs NaN; it predicts nothing, whatever the label.
    assert accuracy([NAN], [-1]) == 0.0
    assert accuracy([NAN], [1]) == 0.0
    assert accuracy([Value(NAN), Value(1.0)], [0, 1]) == 0.5
    assert accuracy([[NAN, 1.0]], [0]) == 0.0
    assert accuracy([[NAN, 1.0]], [1]) == 0.0
    assert accuracy([[1.0, Value(NAN), 0.0], [0.0, 2.0, 1.0]], [0, 1]) == 0.5
    # Infinities are numbers: they still predict.
    assert accuracy([math.inf, -math.inf, [0.0, math.inf]], [1, -1, 1]) == 1.0


def test_accuracy_of_a_diverged_model_is_zero() -> None:
    model = MLP(2, [4, 3], seed=0)
    for p in model.parameters():
        p.data = NAN
    outputs = [model([0.5, -1.0]), model([2.0, 0.0])]
    assert accuracy(outputs, [0, 2]) == 0.0


def test_argmax_puts_nan_first_as_numpy_and_pytorch_do() -> None:
    np = pytest.importorskip("numpy")
    rng = random.Random(3)
    for _ in range(200):
        row = [
            rng.choice([NAN, rng.choice([-1.0, 0.0, 1.0, 2.0]), rng.uniform(-3, 3)]) for _ in range(rng.randint(1, 5))
        ]
        assert argmax(row) == int(np.argmax(row)), row
        assert argmax([Value(x) for x in row]) == int(np.argmax(row)), row


def test_accuracy_and_argmax_read_a_values_number_without_float(monkeypatch: pytest.MonkeyPatch) -> None:
    # float(Value) is about to raise TypeError (so that math.exp(v) cannot cut the graph silently).
    def refuse(self: Value) -> float:
        raise TypeError("float() of a Value")

    monkeypatch.setattr(Value, "__float__", refuse)
    assert accuracy([Value(0.5), Value(-1.0)], [1, 1]) == 0.5
    assert accuracy([[Value(0.1), Value(0.9)]], [1]) == 1.0
    assert argmax([Value(0.1), Value(0.9), Value(0.3)]) == 1


@pytest.mark.parametrize(
    ("who", "make"), [("Neuron", lambda name: Neuron(2, name=name)), ("Layer", lambda name: Layer(2, 3, name=name))]
)
@pytest.mark.parametrize("bad", [5, None, b"n", ["n"]])
def test_a_name_that_is_not_a_str_is_refused_naming_the_argument(who: str, make: Any, bad: object) -> None:
    # Labels must be str (Value(label=) refuses anything else); a name becomes every label's prefix.
    with pytest.raises(TypeError, match=rf"^{who}\(name\) needs a str, got {type(bad).__name__}$"):
        make(bad)
    assert make("n").name == "n"

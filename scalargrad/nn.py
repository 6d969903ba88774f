"""Neural networks made of Values: `Neuron`, `Layer`, `MLP`, and the `Module` they share.

A neuron computes ``act(w · x + b)``; a layer is neurons reading the same
inputs; an MLP is layers in a row, the last one linear. The signatures follow
micrograd's ``nn.py``, so its demo runs unchanged, with these additions:

* The pre-activation ``w · x + b`` is one ``dot`` node per neuron. With
  ``expand=True`` it is built from primitive ``*`` and ``+`` gates instead, the
  same numbers in a graph about nine times larger, to draw a single neuron.
* Weights start uniform in ``[-a, a]`` with ``a = sqrt(6 / nin)`` before a ReLU
  (He/Kaiming) and ``a = sqrt(3 / nin)`` otherwise (LeCun), biases at zero; see
  `init_bound`. ``seed`` or ``rng`` make the draw reproducible.
* Every parameter has a readable name, also its ``label`` for diagrams:
  ``layer1.neuron3.w0`` is weight 0 of neuron 3 in the first layer. Layers
  count from 1, as the lecture notes count layers with the input as layer 0;
  neurons and weights count from 0, as the Python lists ``mlp.layers[0].neurons[3].w[0]``.
* A `Module` saves and loads its weights as JSON (`Module.save`, `Module.load`);
  `scalargrad.train.save_training` saves a model together with its optimizer.

The loss functions of `scalargrad.losses` and `scalargrad.metrics.accuracy` are
importable from here too; nothing here depends on replay or optimizers.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self, cast

from scalargrad.checkpoint import read_checkpoint, write_checkpoint
from scalargrad.engine import Value, dot
from scalargrad.files import StrPath
from scalargrad.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l2_penalty,
    log_softmax,
    mse_loss,
    softmax,
    softplus,
)
from scalargrad.marks import marked
from scalargrad.metrics import accuracy

if TYPE_CHECKING:
    import torch

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "accuracy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "init_bound",
    "l2_penalty",
    "log_softmax",
    "mse_loss",
    "softmax",
    "softplus",
]

#: One input to a network: a Value, or a plain number.
Input = Value | float
_ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


class Module:
    """What every network piece has: its parameters, their gradients, and saving them.

    A subclass defines ``forward`` and ``named_parameters`` (or, micrograd
    style, only ``parameters``: its parameters are then named ``p0, p1, ...``).
    To be saved with a record of its shape, it also defines ``config``.
    """

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, parameter)`` pairs in a fixed order, the order `parameters` lists."""
        if type(self).parameters is Module.parameters:
            return []
        return [(f"p{i}", p) for i, p in enumerate(self.parameters())]

    def parameters(self) -> list[Value]:
        """Every trainable Value, in a fixed order (what an optimizer updates)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0; ``backward`` accumulates into it otherwise."""
        for p in self.parameters():
            p.grad = 0.0

    def config(self) -> dict[str, Any]:
        """The constructor arguments that fix the shape and function (JSON values), for checkpoints."""
        return {}

    def architecture(self) -> dict[str, Any]:
        """The class name and `config`: what a checkpoint must match to load into this model."""
        return {"class": type(self).__name__, "config": self.config()}

    def state_dict(self) -> dict[str, float]:
        """Parameter name -> current value."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set the parameters from ``state`` (name -> number), all or none.

        Everything is checked first: the names must be exactly this model's and
        every value a finite number. Any mismatch raises ValueError naming it,
        with no parameter changed.
        """
        who = f"{type(self).__name__}.load_state_dict()"
        if not isinstance(state, Mapping):
            raise ValueError(f"{who}: needs a mapping of parameter name -> number, got {type(state).__name__}")
        named = self.named_parameters()
        own = {name for name, _ in named}
        missing = [name for name, _ in named if name not in state]
        unexpected = [str(key) for key in state if key not in own]
        if missing or unexpected:
            parts = [f"missing {some_names(missing)}"] if missing else []
            parts += [f"unexpected {some_names(unexpected)}"] if unexpected else []
            raise ValueError(f"{who}: parameter names do not match this {self!r}: " + "; ".join(parts))
        values = []
        for name, _ in named:
            v = state[name]
            try:
                number = float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool) else math.nan
            except OverflowError:  # an int beyond a float's range
                number = math.inf
            if not math.isfinite(number):
                raise ValueError(f"{who}: parameter {name!r} must be a finite number, got {_short(v)}")
            values.append(number)
        for (_, p), v in zip(named, values):
            p.data = v

    def save(self, path: StrPath) -> None:
        """Write the architecture and weights to ``path`` as JSON, atomically.

        An existing file at ``path`` is replaced only once the new one is
        completely written (see `scalargrad.files.atomic_write`).
        """
        write_checkpoint(path, self.architecture(), finite_weights(self, f"{type(self).__name__}.save()"))

    def load(self, path: StrPath) -> None:
        """Put the weights saved at ``path`` into this model.

        Raises ValueError, naming the file and the mismatch, if the file is not a
        checkpoint, holds another architecture, or holds wrong parameters; the
        model's weights are then left as they were.
        """
        architecture, parameters = read_checkpoint(path)
        check_architecture(path, architecture, self)
        try:
            self.load_state_dict(parameters)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None


class Neuron(Module):
    """One neuron: ``act(w0 x0 + ... + w_{n-1} x_{n-1} + b)``.

    ``activation`` is "relu" (the default, as micrograd), "tanh", "sigmoid", or
    "linear" (also ``None``); ``nonlin=False`` means linear, as in micrograd.
    Weights are drawn uniform in ``[-a, a]`` with ``a = init_bound(nin, activation)``
    from ``random.Random(seed)``, from ``rng`` if given (to share one stream
    across a network), else from the global ``random`` module (so
    ``random.seed(...)`` reproduces it, as with micrograd). The bias starts at 0.

    Labels: parameters are ``{name}.w0 ... {name}.b``; each call labels its
    output ``{name}`` and, if there is an activation, the pre-activation node
    ``{name}.z``. With ``name=""`` they are ``w0``, ``b``, ``z`` and an unlabelled output.
    The output's and the parameters' labels also carry a `scalargrad.marks.Mark`
    (the module path ``name.split(".")`` and the role), by which diagrams fold
    a network into neurons and layers; ``index`` is the neuron's position in
    its layer (`Layer` sets it).
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        *,
        activation: str | None = "relu",
        seed: int | None = None,
        rng: random.Random | None = None,
        expand: bool = False,
        name: str = "",
        index: int = 0,
    ) -> None:
        self.nin = _positive_int(nin, "Neuron", "nin")
        self.activation = _activation(activation, "Neuron") if nonlin else "linear"
        self.expand = expand
        self.name = _name(name, "Neuron")
        rng = _make_rng(seed, rng, "Neuron")
        prefix = f"{name}." if name else ""
        bound = init_bound(self.nin, self.activation)
        # Made once here, so a forward call labels its output exactly as cheaply as with a plain str.
        path = tuple(name.split(".")) if name else ("neuron",)
        self.w = [
            Value(rng.uniform(-bound, bound), marked(f"{prefix}w{i}", path, "parameter", index))
            for i in range(self.nin)
        ]
        self.b = Value(0.0, marked(f"{prefix}b", path, "parameter", index))
        self._act = _ACTIVATIONS[self.activation]
        self._z_label = f"{prefix}z"
        self._out_label: str = marked(name, path, "output", index) if name else ""

    @property
    def nonlin(self) -> bool:
        """Whether an activation follows the sum (micrograd's attribute)."""
        return self._act is not None

    def forward(self, x: Input | Iterable[Input]) -> Value:
        """The neuron's output for the ``nin`` inputs ``x`` (a bare number or Value when ``nin`` is 1)."""
        return self._forward(_inputs(x, self.nin, self))

    def __call__(self, x: Input | Iterable[Input]) -> Value:
        return self.forward(x)

    def _forward(self, xs: Sequence[Input]) -> Value:
        if self.expand:
            z = self.w[0] * xs[0]
            for w, x in zip(self.w[1:], xs[1:]):
                z = z + w * x
            z = z + self.b
        else:
            z = dot(self.w, xs, self.b)
        if self._act is None:
            z.label = self._out_label
            return z
        z.label = self._z_label
        out = self._act(z)
        out.label = self._out_label
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        prefix = f"{self.name}." if self.name else ""
        return [*((f"{prefix}w{i}", w) for i, w in enumerate(self.w)), (f"{prefix}b", self.b)]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; a call returns a list of ``nout`` Values.

    The list has one entry even when ``nout`` is 1 (micrograd returns a bare
    Value there, which is why its ``MLP(2, [16, 1, 1])`` crashes). Neuron ``j``
    is named ``{name}.neuron{j}``; the other arguments are `Neuron`'s, and one
    random stream initialises the neurons in order.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        *,
        activation: str | None = "relu",
        nonlin: bool = True,
        seed: int | None = None,
        rng: random.Random | None = None,
        expand: bool = False,
        name: str = "",
    ) -> None:
        self.nin = _positive_int(nin, "Layer", "nin")
        self.nout = _positive_int(nout, "Layer", "nout")
        self.name = _name(name, "Layer")
        rng = _make_rng(seed, rng, "Layer")
        prefix = f"{name}." if name else ""
        self.neurons = [
            Neuron(nin, nonlin, activation=activation, rng=rng, expand=expand, name=f"{prefix}neuron{j}", index=j)
            for j in range(self.nout)
        ]
        self.activation = self.neurons[0].activation

    def forward(self, x: Input | Iterable[Input]) -> list[Value]:
        """Every neuron's output for the inputs ``x``."""
        return self._forward(_inputs(x, self.nin, self))

    def __call__(self, x: Input | Iterable[Input]) -> list[Value]:
        return self.forward(x)

    def _forward(self, xs: Sequence[Input]) -> list[Value]:
        return [n._forward(xs) for n in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [pair for n in self.neurons for pair in n.named_parameters()]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes ``nouts`` after ``nin`` inputs; the last layer is linear.

    Hidden layers use ``activation``. A call returns a single Value when the last
    layer has one neuron, else a list. Layer ``k`` (``mlp.layers[k - 1]``) is
    named ``layer{k}``, so parameters read ``layer1.neuron3.w0`` and neuron
    outputs ``layer1.neuron3``. ``MLP(2, [16, 16, 1])`` has 337 parameters:
    ``16 (2 + 1) + 16 (16 + 1) + 1 (16 + 1)``.
    """

    def __init__(
        self,
        nin: int,
        nouts: Iterable[int],
        *,
        activation: str | None = "relu",
        seed: int | None = None,
        rng: random.Random | None = None,
        expand: bool = False,
    ) -> None:
        self.nin = _positive_int(nin, "MLP", "nin")
        try:
            self.nouts = [_positive_int(n, "MLP", "each of nouts") for n in nouts]
        except TypeError:
            raise TypeError(f"MLP(): nouts must be a list of layer sizes, got {nouts!r}") from None
        if not self.nouts:
            raise ValueError("MLP(): nouts is empty; give at least the output layer's size")
        self.activation = _activation(activation, "MLP")
        rng = _make_rng(seed, rng, "MLP")
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation=self.activation if i < last else "linear",
                rng=rng,
                expand=expand,
                name=f"layer{i + 1}",
            )
            for i in range(len(self.nouts))
        ]

    def forward(self, x: Input | Iterable[Input]) -> Value | list[Value]:
        """The network's output for the inputs ``x``: one Value if the last layer is 1 wide, else a list."""
        out = self.layers[0]._forward(_inputs(x, self.nin, self))
        for layer in self.layers[1:]:
            out = layer._forward(out)
        return out[0] if len(out) == 1 else out

    def __call__(self, x: Input | Iterable[Input]) -> Value | list[Value]:
        return self.forward(x)

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [pair for layer in self.layers for pair in layer.named_parameters()]

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nouts": list(self.nouts), "activation": self.activation}

    def to_torch(self, dtype: torch.dtype | None = None) -> torch.nn.Sequential:
        """The same network as a ``torch.nn.Sequential`` with a copy of these weights, float64 by default.

        Linear layers, each hidden one followed by ``torch.nn.ReLU``, ``Tanh`` or
        ``Sigmoid``. Imports PyTorch; see `scalargrad.torch_bridge.to_torch`.
        """
        from scalargrad.torch_bridge import to_torch

        return to_torch(self, dtype)

    @classmethod
    def from_torch(cls, seq: torch.nn.Sequential) -> Self:
        """The MLP a ``torch.nn.Sequential`` of Linear layers and ReLU/Tanh/Sigmoid describes, with its weights.

        Imports PyTorch; see `scalargrad.torch_bridge.from_torch` for the shapes it accepts.
        """
        from scalargrad.torch_bridge import from_torch

        return from_torch(seq, cls)

    def __repr__(self) -> str:
        return f"MLP({self.nin}, {self.nouts}, activation={self.activation!r})"


def init_bound(nin: int, activation: str | None = "relu") -> float:
    """The half-width ``a`` of the uniform ``[-a, a]`` a neuron's initial weights are drawn from.

    A weight uniform in ``[-a, a]`` has variance ``a² / 3``. A sum of ``nin``
    inputs of mean square ``q`` times such weights then has variance
    ``nin a² q / 3``. A ReLU passes on half of that mean square, so
    ``a = sqrt(6 / nin)`` keeps the signal's size from layer to layer (He et
    al. 2015) and a deep ReLU net starts neither dead nor exploding.
    For tanh, sigmoid and linear neurons ``a = sqrt(3 / nin)`` (variance
    ``1 / nin``, LeCun). micrograd's ``uniform(-1, 1)`` ignores ``nin``, so wide
    layers start with large sums and deep stacks blow up or die.
    """
    gain_squared = 2.0 if _activation(activation, "init_bound") == "relu" else 1.0
    return math.sqrt(3.0 * gain_squared / _positive_int(nin, "init_bound", "nin"))


# ---------------------------------------------------------------------------
# Checking arguments.
# ---------------------------------------------------------------------------


def _inputs(x: Input | Iterable[Input], nin: int, module: Module) -> list[Input]:
    """``x`` as a list of ``nin`` Values and numbers, or a clear error naming the module."""
    if isinstance(x, Value | numbers.Real):
        xs: list[object] = [x]
    elif isinstance(x, Iterable):
        xs = list(x)
    else:
        raise TypeError(f"{module!r} needs a sequence of {nin} inputs, got {type(x).__name__}")
    if len(xs) != nin:
        raise ValueError(f"{module!r} expects {nin} inputs, got {len(xs)}")
    for i, v in enumerate(xs):
        if not isinstance(v, Value | numbers.Real):
            raise TypeError(f"{module!r}: input {i} must be a number or a Value, got {type(v).__name__}: {v!r}")
    return cast(list[Input], xs)


def _short(v: object) -> str:
    text = repr(v)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _positive_int(n: object, who: str, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{who}(): {what} must be an integer, got {type(n).__name__}: {n!r}")
    if n < 1:
        raise ValueError(f"{who}(): {what} must be at least 1, got {n}")
    return int(n)


def _name(name: object, who: str) -> str:
    # The name prefixes every label, and labels are str (Value refuses anything else, and diagrams need text);
    # an int slipped through here used to fail only later, inside a drawing.
    if not isinstance(name, str):
        raise TypeError(f"{who}(name) needs a str, got {type(name).__name__}")
    return name


def _activation(activation: str | None, who: str) -> str:
    name = "linear" if activation is None else activation
    if name not in _ACTIVATIONS:
        choices = ", ".join(map(repr, _ACTIVATIONS))
        raise ValueError(f"{who}(): activation must be one of {choices} or None, got {activation!r}")
    return name


def _make_rng(seed: int | None, rng: random.Random | None, who: str) -> random.Random:
    if seed is not None and rng is not None:
        raise ValueError(f"{who}(): pass seed or rng, not both")
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"{who}(): rng must be a random.Random, got {type(rng).__name__}")
        return rng
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"{who}(): seed must be an int, got {type(seed).__name__}: {seed!r}")
        return random.Random(seed)
    # Drawn from the global generator, so random.seed() before building a model reproduces it.
    return random.Random(random.getrandbits(64))


def finite_weights(model: Module, who: str) -> dict[str, float]:
    """``model.state_dict()``, or ValueError naming the first weight JSON cannot hold."""
    state = model.state_dict()
    for name, v in state.items():
        if not math.isfinite(v):
            raise ValueError(f"{who}: parameter {name!r} is {v}, which JSON cannot hold")
    return state


def some_names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{len(names)} ({shown}{more})"


def check_architecture(path: StrPath, saved: Mapping[str, Any], model: Module) -> None:
    """Raise ValueError naming both if the architecture ``saved`` in ``path`` is not ``model``'s."""
    # Compared as JSON has it: the file went through JSON, which keeps no tuples (a config's
    # (2, 3) comes back as [2, 3]), so the model's own must go through it too.
    own = json.loads(json.dumps(model.architecture()))
    if saved != own:
        raise ValueError(
            f"{os.fspath(path)}: the checkpoint holds {_describe(saved)}, but this model is {_describe(own)}"
        )


def _describe(architecture: Mapping[str, Any]) -> str:
    config = architecture.get("config", {})
    args = ", ".join(f"{key}={value!r}" for key, value in config.items()) if isinstance(config, Mapping) else "?"
    return f"{architecture.get('class')}({args})"

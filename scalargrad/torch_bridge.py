"""Move an `MLP` to PyTorch and back: ``torch.nn.Sequential`` with the same weights.

scalargrad keeps one `Value` per weight; PyTorch keeps one tensor per layer.
The two hold the same numbers in a different arrangement. Layer ``k`` of an
``MLP`` (``mlp.layers[k]``, named ``layer{k + 1}``) becomes a
``torch.nn.Linear(nin, nout)`` whose matrix row ``j`` is neuron ``j``'s weights
and whose bias entry ``j`` is neuron ``j``'s bias::

    linear.weight[j, i] == mlp.layers[k].neurons[j].w[i].data   # parameter layer{k+1}.neuron{j}.w{i}
    linear.bias[j]      == mlp.layers[k].neurons[j].b.data      # parameter layer{k+1}.neuron{j}.b

so ``linear(x)`` computes ``W x + b``, every neuron's ``w · x + b`` at once.
A hidden layer's activation becomes a module of its own after the Linear
(``torch.nn.ReLU``, ``torch.nn.Tanh`` or ``torch.nn.Sigmoid``); the last layer
of an MLP is linear, so nothing follows it. ``MLP(2, [16, 16, 1])`` becomes::

    Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(), Linear(16, 1))

With float64 parameters (PyTorch's default is float32) both sides compute with
the same doubles, and outputs and gradients agree to rounding, about 1e-15
relative: the only difference is the order in which the terms of a sum are
added.

PyTorch is imported when `to_torch` or `from_torch` is called, never when this
module or the rest of scalargrad is imported: scalargrad itself does not depend
on it. Without it, both raise ImportError saying how to install it
(``pip install 'scalargrad[torch]'``). Call them as ``MLP.to_torch()`` and
``MLP.from_torch(seq)``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, overload

from scalargrad.nn import MLP

if TYPE_CHECKING:
    import torch

__all__ = ["INSTALL_HINT", "from_torch", "to_torch"]

#: How to get PyTorch for these functions: the ``torch`` extra.
INSTALL_HINT = "pip install 'scalargrad[torch]'"

#: Names of scalargrad activations and of the torch.nn module classes that compute them.
_MODULE_NAMES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}

M = TypeVar("M", bound=MLP)


def to_torch(model: MLP, dtype: torch.dtype | None = None) -> torch.nn.Sequential:
    """A ``torch.nn.Sequential`` computing what ``model`` computes, with a copy of its weights.

    ``dtype`` is the parameters' type, ``torch.float64`` when None: a Python
    float is a float64, so the copy is exact and the two models agree to
    rounding. ``torch.float32`` (PyTorch's usual type) rounds every weight to
    about 7 significant digits. The copy is independent: training one model
    leaves the other as it was. Building it does not draw from PyTorch's random
    generator (the layers are not initialised before the weights are copied in).
    The layers are on the CPU; ``net.to(device)`` moves them.
    """
    try:
        import torch
    except ImportError as error:
        raise _torch_missing("to_torch") from error
    if not isinstance(model, MLP):
        raise TypeError(f"to_torch(): needs a scalargrad MLP, got {type(model).__name__}")
    if dtype is None:
        dtype = torch.float64
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"MLP.to_torch(): dtype must be a torch.dtype such as torch.float64, got {dtype!r}")
    if not dtype.is_floating_point:
        raise ValueError(f"MLP.to_torch(): dtype must be a floating-point type such as torch.float64, got {dtype}")
    modules: list[torch.nn.Module] = []
    for layer in model.layers:
        # Made on the "meta" device, which holds shapes but no numbers, then given uninitialised memory:
        # no random initial weights (which would advance torch's generator) only to be overwritten.
        linear = torch.nn.Linear(layer.nin, layer.nout, device="meta", dtype=dtype).to_empty(device="cpu")
        with torch.no_grad():
            weights = [[w.data for w in neuron.w] for neuron in layer.neurons]
            linear.weight.copy_(torch.tensor(weights, dtype=torch.float64))
            linear.bias.copy_(torch.tensor([neuron.b.data for neuron in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        if layer.activation != "linear":
            modules.append(getattr(torch.nn, _MODULE_NAMES[layer.activation])())
    return torch.nn.Sequential(*modules)


@overload
def from_torch(seq: torch.nn.Sequential) -> MLP: ...
@overload
def from_torch(seq: torch.nn.Sequential, cls: type[M]) -> M: ...
def from_torch(seq: torch.nn.Sequential, cls: type[MLP] = MLP) -> MLP:
    """The `MLP` a ``torch.nn.Sequential`` of Linear layers and activations describes, with its weights.

    ``seq`` must have the shape an MLP has: ``Linear`` layers whose sizes chain
    (each takes as many inputs as the one before gives outputs), every layer
    but the last followed by the same one of ``ReLU``, ``Tanh`` or ``Sigmoid``
    (or all of them by none: a linear MLP), and nothing after the last layer.
    Every Linear needs its bias, as a scalargrad neuron always has one. The
    module types must be exactly these (a subclass may compute something else).
    A Sequential with no activation at all gives ``activation="linear"``.

    The weights are read as float64 (exactly, from any floating-point type) and
    the new model shares nothing with ``seq``. Anything else raises ValueError
    naming the module by its index in ``seq`` and its type; an argument that is
    not a Sequential raises TypeError. ``cls`` is the class to build, `MLP`
    or a subclass with the same constructor (``MLP.from_torch`` passes its own).
    """
    try:
        import torch
    except ImportError as error:
        raise _torch_missing("from_torch") from error
    who = f"{cls.__name__}.from_torch()"
    if not isinstance(seq, torch.nn.Sequential):
        hint = ""
        if isinstance(seq, torch.nn.Module | list):
            hint = " (wrap the layers: torch.nn.Sequential(*layers))"
        elif isinstance(seq, MLP):
            hint = " (it is already a scalargrad MLP; model.to_torch() goes the other way)"
        raise TypeError(f"{who}: needs a torch.nn.Sequential, got {type(seq).__name__}{hint}")
    modules = list(seq)
    if not modules:
        raise ValueError(f"{who}: the Sequential is empty; it needs at least one Linear layer")
    activation_types = {getattr(torch.nn, cls_name): name for name, cls_name in _MODULE_NAMES.items()}

    # Read the Sequential into layers: a Linear and the activation after it, if any.
    layers: list[_Layer] = []
    for i, module in enumerate(modules):
        kind = type(module)
        where = f"{who}: Sequential[{i}] is a {_type_name(kind)}"
        if kind is torch.nn.Linear:
            assert isinstance(module, torch.nn.Linear)  # for mypy: `type(x) is` does not narrow
            _check_linear(module, where)
            layers.append(_Layer(i, module))
        elif kind in activation_types:
            if not layers or layers[-1].act_index is not None:
                place = "at the start" if i == 0 else f"after a {_type_name(type(modules[i - 1]))}"
                raise ValueError(f"{where} {place}; an activation can only follow a Linear layer")
            layers[-1].act_index, layers[-1].activation = i, activation_types[kind]
        elif isinstance(module, torch.nn.modules.lazy.LazyModuleMixin):
            raise ValueError(f"{where} whose sizes are not known yet; run the model once before converting it")
        else:
            raise ValueError(
                f"{where}, which scalargrad's MLP does not have; it holds only Linear layers, "
                "each but the last followed by the same one of ReLU, Tanh or Sigmoid"
            )

    # The sizes chain.
    for before, after in itertools.pairwise(layers):
        if after.linear.in_features != before.linear.out_features:
            raise ValueError(
                f"{who}: Sequential[{after.index}] is a Linear taking {after.linear.in_features} inputs, "
                f"but the Linear before it, Sequential[{before.index}], gives {before.linear.out_features} outputs"
            )

    # The activations: none after the last layer, the same one after every hidden layer.
    last = layers[-1]
    if last.act_index is not None:
        raise ValueError(
            f"{who}: Sequential[{last.act_index}] is a {_MODULE_NAMES[last.activation]} after the last Linear "
            f"layer, but an MLP's last layer is linear; apply the {last.activation} to the MLP's output instead "
            "(or train on its logits, e.g. with binary_cross_entropy_with_logits)"
        )
    hidden = layers[:-1]
    activation = hidden[0].activation if hidden else "linear"
    for number, layer in enumerate(hidden, start=1):
        if layer.activation != activation:
            raise ValueError(
                f"{who}: {layer.describe(number)}, but {hidden[0].describe(1)}; "
                "an MLP uses one activation for all its hidden layers"
            )

    nouts = [layer.linear.out_features for layer in layers]
    model = cls(layers[0].linear.in_features, nouts, activation=activation, seed=0)
    with torch.no_grad():
        for ours, theirs in zip(model.layers, layers):
            weights = theirs.linear.weight.detach().to("cpu", torch.float64).tolist()
            biases = theirs.linear.bias.detach().to("cpu", torch.float64).tolist()
            for neuron, row, b in zip(ours.neurons, weights, biases):
                for w, value in zip(neuron.w, row):
                    w.data = value
                neuron.b.data = b
    return model


# ---------------------------------------------------------------------------
# Shared pieces.
# ---------------------------------------------------------------------------


@dataclass
class _Layer:
    """One layer as read from a Sequential: its Linear at ``index``, and its activation module, if any."""

    index: int
    linear: torch.nn.Linear
    act_index: int | None = None
    activation: str = "linear"

    def describe(self, number: int) -> str:
        """What follows hidden layer ``number``, naming the module."""
        if self.act_index is None:
            return f"hidden layer {number} (Sequential[{self.index}]) has no activation"
        name = _MODULE_NAMES[self.activation]
        return (
            f"hidden layer {number} (Sequential[{self.index}]) is followed by a {name} (Sequential[{self.act_index}])"
        )


def _torch_missing(function: str) -> ImportError:
    """The error for a call that needs PyTorch when it is not installed: how to install it."""
    return ImportError(
        f"MLP.{function}() needs PyTorch, which is not installed; install it with {INSTALL_HINT} "
        "(or pick a build for your machine at https://pytorch.org)"
    )


def _type_name(kind: type) -> str:
    """``Linear`` for torch.nn's own classes, the qualified name for anything else."""
    module = kind.__module__
    return kind.__name__ if module.startswith("torch.nn.") else f"{module}.{kind.__qualname__}"


def _check_linear(linear: torch.nn.Linear, where: str) -> None:
    """A Linear scalargrad can copy: with a bias, and real finite weights of the declared shape."""
    import torch  # already imported by the caller

    weight, bias = linear.weight, linear.bias
    if bias is None:
        raise ValueError(f"{where} without a bias (bias=False), but every scalargrad neuron has one")
    if linear.in_features < 1 or linear.out_features < 1:
        raise ValueError(
            f"{where} of size {linear.in_features} -> {linear.out_features}; an MLP layer needs at least 1"
        )
    if tuple(weight.shape) != (linear.out_features, linear.in_features) or tuple(bias.shape) != (linear.out_features,):
        raise ValueError(
            f"{where} whose weight has shape {tuple(weight.shape)} and bias {tuple(bias.shape)}, "
            f"not ({linear.out_features}, {linear.in_features}) and ({linear.out_features},)"
        )
    for name, tensor in (("weight", weight), ("bias", bias)):
        if not tensor.is_floating_point():
            raise ValueError(f"{where} whose {name} has dtype {tensor.dtype}; scalargrad holds real floats")
        bad = (~torch.isfinite(tensor.detach())).nonzero().tolist()
        if bad:
            at = ", ".join(map(str, bad[0]))
            value = tensor.detach()[tuple(bad[0])].item()
            raise ValueError(f"{where} whose {name}[{at}] is {value}; scalargrad's parameters must be finite")

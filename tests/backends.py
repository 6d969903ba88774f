"""The ops of `strategies`' trees on each backend, and every way to make one scalargrad node.

Shared by the oracle tests so that each table is written once:

* `SCALARGRAD_OPS`: the tree ops as scalargrad builds them (the code under test);
* `SYMPY_OPS`: the same ops as sympy expressions (the symbolic oracle, any order);
* `torch_ops`: the same ops on PyTorch tensors (the float64 oracle; written with
  functions that ``torch.func`` transforms can differentiate to any order);
* `OPS`: one entry per way of making a node (every registered rule, each shape
  of ``dot``), with a plain-float reference: what the per-rule catalogues run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import sympy
from strategies import OPERATOR_OPS, UNARY_METHODS

import scalargrad as sg
from scalargrad import Value
from scalargrad.engine.value import identity

SCALARGRAD_OPS: dict[str, Callable[..., Any]] = {
    **OPERATOR_OPS,
    **{name: getattr(Value, name) for name in UNARY_METHODS},
    "max": sg.maximum,
    "min": sg.minimum,
    "sum": lambda start, *terms: sg.sum(terms, start=start),
    "dot": lambda bias, *pairs: sg.dot(pairs[0::2], pairs[1::2], bias),
    "logsumexp": lambda *terms: sg.logsumexp(terms),
}

SYMPY_OPS: dict[str, Callable[..., Any]] = {
    **OPERATOR_OPS,
    **{name: getattr(sympy, name) for name in ("exp", "log", "sqrt", "sin", "cos", "tanh")},
    "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
    "softplus": lambda a: sympy.log(1 + sympy.exp(a)),
    "logsumexp": lambda *terms: sympy.log(sympy.Add(*[sympy.exp(t) for t in terms])),
    "relu": lambda a: sympy.Max(a, 0),
    "max": sympy.Max,
    "min": sympy.Min,
    # A whole exponent as a sympy Integer: with a Float, sympy differentiates x**2.0
    # as 2.0*x**2.0/x, which is 0/0 at x = 0.
    "pow_c": lambda a, c: a ** (sympy.Integer(int(c)) if float(c).is_integer() else c),
}


def torch_ops(torch: ModuleType) -> dict[str, Callable[..., Any]]:
    """The tree ops on float64 tensors, given the imported ``torch`` module (imported only by its tests).

    A tensor may hold one number, or a batch along its first dimension (a shared number stays 0-d):
    ``logsumexp`` broadcasts its terms to one shape before stacking them.
    """

    def logsumexp(*terms: Any) -> Any:
        tensors = torch.broadcast_tensors(*[torch.as_tensor(t, dtype=torch.float64) for t in terms])
        return torch.logsumexp(torch.stack(tensors), dim=0)

    return {
        **OPERATOR_OPS,
        **{name: getattr(torch, name) for name in UNARY_METHODS if hasattr(torch, name)},
        "max": torch.maximum,
        "min": torch.minimum,
        # torch's own softplus returns x itself above x = 20, so not this one: log(e^x + e^0).
        "softplus": lambda a: torch.logaddexp(a, torch.zeros_like(a)),
        "logsumexp": logsumexp,
    }


# ---------------------------------------------------------------------------
# Every way to make a node, with a plain-float reference for each.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """How to build one node from ``values`` Values and ``consts`` plain numbers, and its float reference."""

    values: int
    consts: int
    build: Callable[[Sequence[Value], Sequence[float]], Value]
    ref: Callable[[Sequence[float], Sequence[float]], float]


def _fsum_dot(pairs: Sequence[tuple[float, float]], bias: float) -> float:
    return math.fsum([*(w * x for w, x in pairs), bias])


OPS: dict[str, Op] = {
    "add": Op(2, 0, lambda v, c: v[0] + v[1], lambda x, c: x[0] + x[1]),
    "add_c": Op(1, 1, lambda v, c: v[0] + c[0], lambda x, c: x[0] + c[0]),
    "radd_c": Op(1, 1, lambda v, c: c[0] + v[0], lambda x, c: c[0] + x[0]),
    "sub": Op(2, 0, lambda v, c: v[0] - v[1], lambda x, c: x[0] - x[1]),
    "sub_c": Op(1, 1, lambda v, c: v[0] - c[0], lambda x, c: x[0] - c[0]),
    "rsub_c": Op(1, 1, lambda v, c: c[0] - v[0], lambda x, c: c[0] - x[0]),
    "neg": Op(1, 0, lambda v, c: -v[0], lambda x, c: -x[0]),
    # The node jvp gives each input: the input itself, as a node of its own.
    "identity": Op(1, 0, lambda v, c: identity(v[0]), lambda x, c: x[0]),
    "mul": Op(2, 0, lambda v, c: v[0] * v[1], lambda x, c: x[0] * x[1]),
    "mul_c": Op(1, 1, lambda v, c: v[0] * c[0], lambda x, c: x[0] * c[0]),
    "rmul_c": Op(1, 1, lambda v, c: c[0] * v[0], lambda x, c: c[0] * x[0]),
    "div": Op(2, 0, lambda v, c: v[0] / v[1], lambda x, c: x[0] / x[1]),
    "div_c": Op(1, 1, lambda v, c: v[0] / c[0], lambda x, c: x[0] / c[0]),
    "rdiv_c": Op(1, 1, lambda v, c: c[0] / v[0], lambda x, c: c[0] / x[0]),
    "pow": Op(2, 0, lambda v, c: v[0] ** v[1], lambda x, c: math.pow(x[0], x[1])),
    "pow_c": Op(1, 1, lambda v, c: v[0] ** c[0], lambda x, c: math.pow(x[0], c[0])),
    "rpow_c": Op(1, 1, lambda v, c: c[0] ** v[0], lambda x, c: math.pow(c[0], x[0])),
    "exp": Op(1, 0, lambda v, c: v[0].exp(), lambda x, c: math.exp(x[0])),
    "log": Op(1, 0, lambda v, c: sg.log(v[0]), lambda x, c: math.log(x[0])),
    "sqrt": Op(1, 0, lambda v, c: v[0].sqrt(), lambda x, c: math.sqrt(x[0])),
    "sin": Op(1, 0, lambda v, c: sg.sin(v[0]), lambda x, c: math.sin(x[0])),
    "cos": Op(1, 0, lambda v, c: v[0].cos(), lambda x, c: math.cos(x[0])),
    "tanh": Op(1, 0, lambda v, c: v[0].tanh(), lambda x, c: math.tanh(x[0])),
    "sigmoid": Op(1, 0, lambda v, c: v[0].sigmoid(), lambda x, c: 0.5 + 0.5 * math.tanh(0.5 * x[0])),
    "softplus": Op(1, 0, lambda v, c: v[0].softplus(), lambda x, c: math.log1p(math.exp(x[0]))),
    "relu": Op(1, 0, lambda v, c: v[0].relu(), lambda x, c: max(x[0], 0.0)),
    "abs": Op(1, 0, lambda v, c: abs(v[0]), lambda x, c: abs(x[0])),
    "max": Op(2, 0, lambda v, c: sg.maximum(v[0], v[1]), lambda x, c: max(x[0], x[1])),
    "min": Op(2, 0, lambda v, c: sg.minimum(v[0], v[1]), lambda x, c: min(x[0], x[1])),
    # A plain number lifted into a fresh leaf on every build.
    "max_c": Op(1, 1, lambda v, c: sg.maximum(v[0], c[0]), lambda x, c: max(x[0], c[0])),
    "sum": Op(
        2,
        2,
        lambda v, c: sg.sum([v[0], c[0], v[1], v[0]], start=c[1]),
        lambda x, c: math.fsum([x[0], c[0], x[1], x[0], c[1]]),
    ),
    # Fan-out inside the op (v[0] twice), and a plain number lifted into a fresh leaf on every build.
    "logsumexp": Op(
        3,
        1,
        lambda v, c: sg.logsumexp([v[0], c[0], v[1], v[2], v[0]]),
        lambda x, c: math.log(math.fsum(map(math.exp, [x[0], c[0], x[1], x[2], x[0]]))),
    ),
    "dot": Op(
        5,
        0,
        lambda v, c: sg.dot([v[0], v[1]], [v[2], v[3]], v[4]),
        lambda x, c: _fsum_dot([(x[0], x[2]), (x[1], x[3])], x[4]),
    ),
    "dot_weights_are_numbers": Op(
        2,
        3,
        lambda v, c: sg.dot([c[0], c[1]], [v[0], v[1]], c[2]),
        lambda x, c: _fsum_dot([(c[0], x[0]), (c[1], x[1])], c[2]),
    ),
    "dot_inputs_are_numbers": Op(
        3,
        2,
        lambda v, c: sg.dot([v[0], v[1]], [c[0], c[1]], v[2]),
        lambda x, c: _fsum_dot([(x[0], c[0]), (x[1], c[1])], x[2]),
    ),
    "dot_mixed": Op(
        3,
        3,
        lambda v, c: sg.dot([v[0], c[0], v[1], c[2]], [c[1], v[2], v[1], c[0]]),
        lambda x, c: _fsum_dot([(x[0], c[1]), (c[0], x[2]), (x[1], x[1]), (c[2], c[0])], 0.0),
    ),
}

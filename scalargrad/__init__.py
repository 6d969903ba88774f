"""scalargrad: a scalar reverse-mode autodiff engine for seeing backpropagation.

Build expressions from `Value`, call ``backward()``, draw the graph with its
values and gradients (`draw_dot`, `animate_backward`), and train tiny networks
with `scalargrad.nn` and `scalargrad.optim`.
"""

from scalargrad import examples, nn, optim
from scalargrad.animate import animate_backward
from scalargrad.compile import GraphChangedError, Tape, compile
from scalargrad.engine import (
    Value,
    cos,
    dot,
    exp,
    grad,
    is_grad_enabled,
    log,
    logsumexp,
    maximum,
    minimum,
    no_grad,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    sum,
    tanh,
)
from scalargrad.gradcheck import GradcheckError, gradcheck
from scalargrad.steps import backward_steps
from scalargrad.viz import GraphvizNotFound, draw_dot

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "GraphChangedError",
    "GraphvizNotFound",
    "Tape",
    "Value",
    "animate_backward",
    "backward_steps",
    "compile",
    "cos",
    "dot",
    "draw_dot",
    "examples",
    "exp",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "log",
    "logsumexp",
    "maximum",
    "minimum",
    "nn",
    "no_grad",
    "optim",
    "relu",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "sum",
    "tanh",
]

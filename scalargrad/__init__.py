"""scalargrad: a scalar reverse-mode autodiff engine for seeing backpropagation.

Build expressions from `Value`, call ``backward()``, draw the graph with its
values and gradients (`draw_dot`, `animate_backward`), take derivatives of
any order in either direction (`grad`, `jvp`, `jacobian`, `hessian`), and
train tiny networks with `scalargrad.nn` and `scalargrad.optim`.
"""

from scalargrad import examples, marks, nn, optim
from scalargrad.engine import (
    GradcheckError,
    Value,
    backward_steps,
    cos,
    dot,
    exp,
    forward_steps,
    grad,
    gradcheck,
    hessian,
    is_grad_enabled,
    jacobian,
    jvp,
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
    tanh,
)
from scalargrad.engine import sum as sum
from scalargrad.liveview import live, live_training
from scalargrad.replay import GraphChangedError, Tape
from scalargrad.replay import compile as compile
from scalargrad.viz import GraphvizNotFound, animate_backward, animate_forward, draw_dot

__version__ = "0.1.0"

# `sum` and `compile` are scalargrad.sum and scalargrad.compile, but not in __all__:
# `from scalargrad import *` must not shadow the builtins of those names.
__all__ = [
    "GradcheckError",
    "GraphChangedError",
    "GraphvizNotFound",
    "Tape",
    "Value",
    "animate_backward",
    "animate_forward",
    "backward_steps",
    "cos",
    "dot",
    "draw_dot",
    "examples",
    "exp",
    "forward_steps",
    "grad",
    "gradcheck",
    "hessian",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "live",
    "live_training",
    "log",
    "logsumexp",
    "marks",
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
    "tanh",
]

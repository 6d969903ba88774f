"""scalargrad: a scalar reverse-mode autodiff engine for seeing backpropagation."""

from scalargrad.engine import (
    Value,
    cos,
    dot,
    exp,
    grad,
    is_grad_enabled,
    log,
    maximum,
    minimum,
    no_grad,
    relu,
    sigmoid,
    sin,
    sqrt,
    sum,
    tanh,
)
from scalargrad.gradcheck import GradcheckError, gradcheck

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "Value",
    "cos",
    "dot",
    "exp",
    "grad",
    "gradcheck",
    "is_grad_enabled",
    "log",
    "maximum",
    "minimum",
    "no_grad",
    "relu",
    "sigmoid",
    "sin",
    "sqrt",
    "sum",
    "tanh",
]

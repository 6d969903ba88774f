"""The engine: `Value`, every op's rule, and differentiation in both directions.

How it is built, module by module (each imports only those above it):

* `rules`: every op once, its value and its local partial derivatives,
  written against a number namespace;
* `on_floats`: that namespace for plain floats (eager execution);
* `graph`: the orders a graph is walked in;
* `accumulate`: the accumulation core, reverse and forward mode;
* `value`: `Value`, the ops that make nodes, ``backward()``, `no_grad`;
* `on_values`: the namespace of Values, for gradients of gradients;
* `transforms`: `grad`, `jvp`, `jacobian`, `hessian`;
* `steps`: both sweeps one step at a time; `gradcheck`: backprop against central differences.

``from scalargrad.engine import Value`` works as ``from micrograd.engine import Value`` does.
"""

from scalargrad.engine.gradcheck import GradcheckError, gradcheck, numerical_grad
from scalargrad.engine.graph import consumers_first, parents_first, reading_order
from scalargrad.engine.steps import (
    NodeNames,
    ParentUpdate,
    Step,
    TangentStep,
    TangentTerm,
    backward_steps,
    forward_steps,
)
from scalargrad.engine.transforms import grad, hessian, jacobian, jvp
from scalargrad.engine.value import (
    Value,
    cos,
    dot,
    exp,
    is_grad_enabled,
    log,
    logsumexp,
    maximum,
    minimum,
    no_grad,
    recipe,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    sum,
    tanh,
)

__all__ = [
    "GradcheckError",
    "NodeNames",
    "ParentUpdate",
    "Step",
    "TangentStep",
    "TangentTerm",
    "Value",
    "backward_steps",
    "consumers_first",
    "cos",
    "dot",
    "exp",
    "forward_steps",
    "grad",
    "gradcheck",
    "hessian",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "log",
    "logsumexp",
    "maximum",
    "minimum",
    "no_grad",
    "numerical_grad",
    "parents_first",
    "reading_order",
    "recipe",
    "relu",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "sum",
    "tanh",
]

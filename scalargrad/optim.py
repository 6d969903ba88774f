"""Optimizers: how parameters move once ``backward()`` has filled in their gradients.

A training step is ``opt.zero_grad(); loss = ...; loss.backward(); opt.step()``.
``step()`` changes each parameter's ``.data`` with plain float arithmetic, so an
update never builds graph. Both optimizers compute what ``torch.optim.SGD`` and
``torch.optim.Adam`` compute (their default, non-Nesterov, non-AMSGrad forms),
and the tests hold them to it step by step.

``lr`` may be changed between steps, or set by a ``schedule``: a function of
the step index (0 for the first step) returning the learning rate, called
before each step, e.g. micrograd's ``lambda k: 1.0 - 0.9 * k / 100``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable

from scalargrad.engine import Value

__all__ = ["SGD", "Adam", "Optimizer", "Schedule"]

#: Step index (0, 1, ...) -> learning rate for that step.
Schedule = Callable[[int], float]


class Optimizer:
    """What SGD and Adam share: the parameter list, ``lr`` and its schedule, and the step count."""

    def __init__(self, params: Iterable[Value], lr: float, weight_decay: float, schedule: Schedule | None) -> None:
        who = type(self).__name__
        self.params = list(params)
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{who}(): params must be Values, got {type(p).__name__} at index {i}")
        if not self.params:
            raise ValueError(f"{who}(): params is empty")
        if len({id(p) for p in self.params}) != len(self.params):
            # It would be updated twice per step.
            raise ValueError(f"{who}(): a parameter appears more than once in params")
        self.lr = lr
        self.weight_decay = _non_negative(weight_decay, who, "weight_decay")
        if schedule is not None and not callable(schedule):
            raise TypeError(f"{who}(): schedule must be a function of the step index, got {type(schedule).__name__}")
        self.schedule = schedule
        #: Steps taken so far, which is also the index of the next step.
        self.step_count = 0

    @property
    def lr(self) -> float:
        """The learning rate of the next step (overwritten by the schedule, if any)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _non_negative(value, type(self).__name__, "lr")

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (``backward`` adds to it)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad``, without building graph."""
        if self.schedule is not None:
            value = self.schedule(self.step_count)
            try:
                self.lr = value
            except ValueError:
                raise ValueError(
                    f"{type(self).__name__}.step(): schedule({self.step_count}) returned {value!r}, "
                    "not a learning rate (a finite number >= 0)"
                ) from None
        self._update(self.lr)
        self.step_count += 1

    def _update(self, lr: float) -> None:
        raise NotImplementedError

    def _gradients(self) -> list[float]:
        """Each parameter's gradient plus ``weight_decay * p``, the derivative of ``(weight_decay / 2) p²``."""
        wd = self.weight_decay
        if wd == 0.0:
            return [p.grad for p in self.params]
        return [p.grad + wd * p.data for p in self.params]


class SGD(Optimizer):
    """Stochastic gradient descent: ``p -= lr * g``, with optional momentum.

    With ``momentum`` μ, each parameter keeps a velocity ``v = μ v + g`` and
    moves by ``lr * v``: a running sum of past gradients that speeds up along
    directions where they agree and damps zig-zags where they do not.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        schedule: Schedule | None = None,
    ) -> None:
        super().__init__(params, lr, weight_decay, schedule)
        self.momentum = _non_negative(momentum, "SGD", "momentum")
        self._velocity = [0.0] * len(self.params)

    def _update(self, lr: float) -> None:
        mu, velocity = self.momentum, self._velocity
        for i, (p, g) in enumerate(zip(self.params, self._gradients())):
            if mu:
                g = velocity[i] = mu * velocity[i] + g
            p.data -= lr * g


class Adam(Optimizer):
    """Adam: steps scaled per parameter by running averages of the gradient and its square.

    ``m = β1 m + (1 - β1) g`` and ``v = β2 v + (1 - β2) g²``; both start at 0,
    so they are divided by ``1 - β^t`` (bias correction) before the step
    ``p -= lr * m̂ / (sqrt(v̂) + eps)``. The step is about ``lr`` in size whatever
    the gradient's scale, which makes ``lr`` easy to choose. ``weight_decay``
    adds ``weight_decay * p`` to the gradient (PyTorch's Adam, not AdamW).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        schedule: Schedule | None = None,
    ) -> None:
        super().__init__(params, lr, weight_decay, schedule)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"Adam(): betas must be a pair of numbers, got {betas!r}")
        for i, beta in enumerate(betas):
            if not _non_negative(beta, "Adam", f"betas[{i}]") < 1.0:
                raise ValueError(f"Adam(): betas[{i}] must be in [0, 1), got {beta!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _non_negative(eps, "Adam", "eps")
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def _update(self, lr: float) -> None:
        b1, b2 = self.betas
        t = self.step_count + 1
        step_size = lr / (1.0 - b1**t)
        root_correction = math.sqrt(1.0 - b2**t)
        m, v, eps = self._m, self._v, self.eps
        for i, (p, g) in enumerate(zip(self.params, self._gradients())):
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / root_correction + eps)


def _non_negative(x: object, who: str, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or x < 0:
        raise ValueError(f"{who}(): {what} must be a finite number >= 0, got {x!r}")
    return float(x)

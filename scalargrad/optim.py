"""Optimizers: how parameters move once ``backward()`` has filled in their gradients.

A training step is ``opt.zero_grad(); loss = ...; loss.backward(); opt.step()``.
``step()`` changes each parameter's ``.data`` with plain float arithmetic, so an
update never builds graph. Both optimizers compute what ``torch.optim.SGD`` and
``torch.optim.Adam`` compute (their default, non-Nesterov, non-AMSGrad forms),
and the tests hold them to it step by step.

``lr`` may be changed between steps, or set by a ``schedule``: a function of
the step index (0 for the first step) returning the learning rate, called
before each step, e.g. micrograd's ``lambda k: 1.0 - 0.9 * k / 100``.

An optimizer has state of its own beside the parameters: the step count and
Adam's running averages, SGD's momentum. `Optimizer.state_dict` and
`Optimizer.load_state_dict` save and restore it, so that a run interrupted and
resumed computes exactly the floats of a run never interrupted;
`scalargrad.train.save_training` writes it to a file together with the model.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from scalargrad.engine import Value
from scalargrad.finite import finite

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

    # -- saving and restoring the optimizer's own state -----------------------

    #: Lower bounds of buffers that cannot be negative (Adam's running average of g²), by buffer name.
    _BUFFER_FLOORS: ClassVar[dict[str, float]] = {}

    def state_dict(self) -> dict[str, Any]:
        """Everything the next ``step()`` depends on besides the parameters' own numbers, as JSON values.

        ``{"class": "Adam", "step_count": 5, "lr": 0.01, "hyperparameters": {...},
        "buffers": {"m": [...], "v": [...]}}``: the class name, the steps taken
        (Adam's bias correction and the ``schedule`` read it), the current ``lr``
        (it may have been changed by hand), the hyperparameters, and the
        per-parameter buffers in the order of ``params`` (SGD's ``velocity``,
        Adam's ``m`` and ``v``). The ``schedule`` is code, not data: give the
        same one to the optimizer you load this into. The lists are copies.
        """
        return {
            "class": type(self).__name__,
            "step_count": self.step_count,
            "lr": self.lr,
            "hyperparameters": self._hyperparameters(),
            "buffers": {name: list(values) for name, values in self._buffers().items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from ``state`` (what `state_dict` returned), all or nothing.

        Restores the step count, ``lr``, the hyperparameters (as
        ``torch.optim`` does: the saved ones replace those given to the
        constructor) and the buffers. Everything is checked first: the class,
        the keys, whole-number step count, finite numbers, a buffer's length
        against this optimizer's parameter count. Any problem raises ValueError
        naming it, with nothing changed.
        """
        self._apply_state(self._check_state(state))

    def _hyperparameters(self) -> dict[str, Any]:
        """Hyperparameters besides ``lr``, as JSON values (a subclass adds its own)."""
        return {"weight_decay": self.weight_decay}

    def _check_hyperparameters(self, given: Mapping[str, object], who: str) -> dict[str, Any]:
        """``given`` (with exactly `_hyperparameters`' keys) checked and converted; attribute name -> value."""
        return {"weight_decay": _non_negative(given["weight_decay"], who, "weight_decay")}

    def _buffers(self) -> dict[str, list[float]]:
        """The live per-parameter lists the update reads and writes, by name (a subclass adds its own)."""
        return {}

    def _check_state(self, state: object) -> _State:
        """``state`` checked and converted, changing nothing; raises ValueError naming the first problem."""
        cls = type(self).__name__
        who = f"{cls}.load_state_dict"
        if not isinstance(state, Mapping):
            raise ValueError(f"{who}(): needs a mapping as state_dict() returns, got {type(state).__name__}")
        _check_keys(state, ["class", "step_count", "lr", "hyperparameters", "buffers"], who, "the state")
        if state["class"] != cls:
            raise ValueError(f"{who}(): the state is from an optimizer of class {_short(state['class'])}, not {cls}")
        step_count = state["step_count"]
        if isinstance(step_count, bool) or not isinstance(step_count, numbers.Integral) or step_count < 0:
            raise ValueError(f"{who}(): step_count must be a whole number >= 0, got {_short(step_count)}")
        lr = _non_negative(state["lr"], who, "lr")
        given = _mapping(state["hyperparameters"], who, "hyperparameters")
        _check_keys(given, list(self._hyperparameters()), who, "hyperparameters")
        hyperparameters = self._check_hyperparameters(given, who)
        saved_buffers = _mapping(state["buffers"], who, "buffers")
        _check_keys(saved_buffers, list(self._buffers()), who, "buffers")
        buffers = {name: self._check_buffer(name, saved_buffers[name], who) for name in self._buffers()}
        return _State(int(step_count), lr, hyperparameters, buffers)

    def _check_buffer(self, name: str, values: object, who: str) -> list[float]:
        n = len(self.params)
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            raise ValueError(f"{who}(): buffer {name!r} must be a list of {n} numbers, got {type(values).__name__}")
        if len(values) != n:
            raise ValueError(
                f"{who}(): buffer {name!r} holds {len(values)} numbers, but this optimizer has {n} parameters"
            )
        floor = self._BUFFER_FLOORS.get(name, -math.inf)
        checked = []
        for i, v in enumerate(values):
            number = finite(v)
            if number is None or number < floor:
                bound = f" >= {floor:g}" if floor > -math.inf else ""
                raise ValueError(f"{who}(): {name}[{i}] must be a finite number{bound}, got {_short(v)}")
            checked.append(number)
        return checked

    def _apply_state(self, state: _State) -> None:
        """Put a checked state in place; it cannot fail, which is what makes loading all-or-nothing."""
        self.step_count = state.step_count
        self._lr = state.lr
        for name, value in state.hyperparameters.items():
            setattr(self, name, value)
        live = self._buffers()
        for name, values in state.buffers.items():
            live[name][:] = values

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

    def _hyperparameters(self) -> dict[str, Any]:
        return {"momentum": self.momentum, **super()._hyperparameters()}

    def _check_hyperparameters(self, given: Mapping[str, object], who: str) -> dict[str, Any]:
        return {
            "momentum": _non_negative(given["momentum"], who, "momentum"),
            **super()._check_hyperparameters(given, who),
        }

    def _buffers(self) -> dict[str, list[float]]:
        # Kept (all zero) without momentum too, so that the state's shape does not depend on a number.
        return {"velocity": self._velocity}

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
        self.betas = _betas(betas, "Adam")
        self.eps = _non_negative(eps, "Adam", "eps")
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    # v is a running average of squares: a negative one would make sqrt fail mid-step.
    _BUFFER_FLOORS: ClassVar[dict[str, float]] = {"v": 0.0}

    def _hyperparameters(self) -> dict[str, Any]:
        return {"betas": list(self.betas), "eps": self.eps, **super()._hyperparameters()}

    def _check_hyperparameters(self, given: Mapping[str, object], who: str) -> dict[str, Any]:
        return {
            "betas": _betas(given["betas"], who),
            "eps": _non_negative(given["eps"], who, "eps"),
            **super()._check_hyperparameters(given, who),
        }

    def _buffers(self) -> dict[str, list[float]]:
        return {"m": self._m, "v": self._v}

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


@dataclass(frozen=True)
class _State:
    """An optimizer state that passed every check, ready to be put in place."""

    step_count: int
    lr: float
    hyperparameters: dict[str, Any]
    buffers: dict[str, list[float]]


def _betas(betas: object, who: str) -> tuple[float, float]:
    if isinstance(betas, str | bytes) or not isinstance(betas, Sequence) or len(betas) != 2:
        raise ValueError(f"{who}(): betas must be a pair of numbers, got {_short(betas)}")
    for i, beta in enumerate(betas):
        if not _non_negative(beta, who, f"betas[{i}]") < 1.0:
            raise ValueError(f"{who}(): betas[{i}] must be in [0, 1), got {beta!r}")
    return (float(betas[0]), float(betas[1]))


def _mapping(x: object, who: str, what: str) -> Mapping[str, object]:
    if not isinstance(x, Mapping):
        raise ValueError(f"{who}(): {what} must be a mapping, got {type(x).__name__}")
    return x


def _check_keys(given: Mapping[str, object], expected: list[str], who: str, what: str) -> None:
    missing = [key for key in expected if key not in given]
    unexpected = [str(key) for key in given if key not in expected]
    if missing or unexpected:
        parts = [f"missing {', '.join(map(repr, missing))}"] if missing else []
        parts += [f"unexpected {', '.join(map(repr, unexpected))}"] if unexpected else []
        raise ValueError(f"{who}(): {what} does not have the expected keys: " + "; ".join(parts))


def _short(v: object) -> str:
    text = repr(v)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _non_negative(x: object, who: str, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or x < 0:
        raise ValueError(f"{who}(): {what} must be a finite number >= 0, got {x!r}")
    return float(x)

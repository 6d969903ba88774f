"""Compiled replay's program: the rules and the accumulation core, run once on numbers that write Python.

A `Code` is a number whose arithmetic writes source text instead of computing:
``t3 * t7`` for the product of the numbers named ``t3`` and ``t7``. Running
every op's rule on Codes (with `Writer` as its number namespace) writes the
forward pass as straight-line Python, one statement per op; running the
engine's accumulation core (`backpropagate`) on Codes writes the backward pass,
one statement per edge. No derivative and no accumulation order is restated
here: the code is what the rules and the core did, written down.

The functions the code calls (``exp``, ``where``, ``positive``, ...) are the
names of a number namespace, bound when the code is executed: `on_floats` for
one number per slot (`Tape`), `on_arrays` for a whole batch per slot
(`BatchedTape`). Operators and ``sum`` are Python's own, as in the rules, so
the replayed floats are those of eager execution, bit for bit.

Only slot names, the namespace's function names and ``repr`` of floats go into
the text: never a label or anything else a user wrote.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from scalargrad.engine.accumulate import Arithmetic, backpropagate
from scalargrad.engine.rules import NUMBER_FUNCTIONS
from scalargrad.replay.recording import Recording

#: The functions generated code calls: a rule's number functions, but for ``total``, which is Python's ``sum``.
FUNCTIONS = tuple(name for name in NUMBER_FUNCTIONS if name != "total")


def literal(x: object) -> str:
    """A plain number as Python source (``inf`` and ``nan`` are names the code is given)."""
    if isinstance(x, Code):
        return x.operand()
    if isinstance(x, bool) or not isinstance(x, float | int):
        raise TypeError(f"compile(): cannot write {type(x).__name__} into a tape's code")
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


class Code:
    """A number in the program being written: a name, or an expression not yet given one.

    ``varies`` marks, in a batched program, a number with one entry per example
    (anything computed from a batch leaf); the rest are shared by all examples.
    """

    __slots__ = ("name", "text", "varies")

    def __init__(self, text: str, name: str | None = None, varies: bool = False) -> None:
        self.text = text
        self.name = name
        self.varies = varies

    def operand(self) -> str:
        """How this number reads inside a larger expression."""
        return self.name if self.name is not None else f"({self.text})"

    def _op(self, symbol: str, other: object, reflected: bool = False) -> Code:
        left, right = (literal(other), self.operand()) if reflected else (self.operand(), literal(other))
        return Code(f"{left} {symbol} {right}", varies=_varies(self, other))

    def __add__(self, other: object) -> Code:
        return self._op("+", other)

    def __radd__(self, other: object) -> Code:
        return self._op("+", other, reflected=True)

    def __sub__(self, other: object) -> Code:
        return self._op("-", other)

    def __rsub__(self, other: object) -> Code:
        return self._op("-", other, reflected=True)

    def __mul__(self, other: object) -> Code:
        return self._op("*", other)

    def __rmul__(self, other: object) -> Code:
        return self._op("*", other, reflected=True)

    def __truediv__(self, other: object) -> Code:
        return self._op("/", other)

    def __rtruediv__(self, other: object) -> Code:
        return self._op("/", other, reflected=True)

    def __and__(self, other: object) -> Code:
        return self._op("&", other)

    def __rand__(self, other: object) -> Code:
        return self._op("&", other, reflected=True)

    def __neg__(self) -> Code:
        return Code(f"-{self.operand()}", varies=self.varies)


def _varies(*xs: object) -> bool:
    return any(isinstance(x, Code) and x.varies for x in xs)


def _tuple_code(xs: Sequence[object]) -> Code:
    """A tuple of numbers, as one argument of a call."""
    return Code("".join(literal(x) + ", " for x in xs).join("()"), varies=_varies(*xs))


class Writer:
    """Statements of one function being written, and the number namespace rules see while it is.

    Every call of a namespace function is written as a statement of its own
    (``t9 = tanh(t3)``), so its result is computed once however often it is
    used; arithmetic stays an expression until something names it.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.lines: list[str] = []
        self.count = 0

    def bind(self, x: Any) -> Any:
        """Give ``x`` a name with a statement of its own, if it is an expression; return it."""
        if isinstance(x, Code) and x.name is None:
            name = f"{self.prefix}{self.count}"
            self.count += 1
            self.lines.append(f"{name} = {x.text}")
            x.name = x.text = name
        return x

    def _call(self, function: str, *args: object) -> Code:
        return self.bind(Code(f"{function}({', '.join(map(literal, args))})", varies=_varies(*args)))  # type: ignore[no-any-return]

    # The number namespace: what a rule calls as m.exp(...), m.where(...).

    def __getattr__(self, function: str) -> Callable[..., Any]:
        if function not in FUNCTIONS:
            raise AttributeError(function)
        return lambda *args: self._call(function, *args)

    def where(self, decision: object, this: Any, that: Any) -> Any:
        if not isinstance(decision, Code):  # decided already: a plain bool
            return this if decision else that
        if isinstance(this, tuple):  # a rule's shared partials: choose element by element
            return tuple(self.where(decision, a, b) for a, b in zip(this, that))
        return self._call("where", decision, this, that)

    def largest(self, xs: Sequence[object]) -> Code:
        return self._call("largest", _tuple_code(xs))

    def dot(self, a: Sequence[object], b: Sequence[object], start: object) -> Any:
        return self._call("dot", _tuple_code(a), _tuple_code(b), start)

    def total(self, xs: Iterable[object], start: object) -> Any:
        terms = list(xs)
        text = "".join(literal(t) + ", " for t in terms)
        # Python's own sum, as in the rule: the same additions in the same order.
        return self.bind(Code(f"sum(({text}), {literal(start)})", varies=_varies(start, *terms)))

    def reduce(self, x: Code) -> Code:
        """A batched number summed over the batch (a statement calling the namespace's ``reduce``)."""
        return self.bind(Code(f"reduce({self.bind(x).name})"))  # type: ignore[no-any-return]


class Split:
    """A shared node's gradient in a batched program, while it collects: per-example contributions, not
    yet summed over the batch, and contributions already summed (from the shared part of the graph).

    Kept apart until the gradient is read, so that the per-example part is summed once: at a leaf
    (a weight), together with every other leaf's, in one ``reduce_rows``.
    """

    __slots__ = ("_total", "per_example", "summed")

    def __init__(self) -> None:
        self.per_example: Code | None = None
        self.summed: Any = None
        self._total: Code | None = None

    def add(self, writer: Writer, contribution: Any) -> Split:
        if _varies(contribution):
            before = self.per_example
            self.per_example = contribution if before is None else writer.bind(before) + contribution
        else:
            self.summed = contribution if self.summed is None else writer.bind(self.summed) + contribution
        return self

    def total(self, writer: Writer) -> Code:
        """The whole gradient, summed over the batch (written once, however often it is read)."""
        if self._total is None:
            parts = [writer.reduce(self.per_example)] if self.per_example is not None else []
            parts += [self.summed] if self.summed is not None else []
            self._total = writer.bind(parts[0] + parts[1] if len(parts) == 2 else parts[0])
        return self._total


def _arithmetic(writer: Writer) -> Arithmetic:
    def times(upstream: Any, partial: Any) -> Any:
        # A fresh Code per contribution: renaming one gradient (a reduce) never renames another.
        bound = writer.bind(upstream.total(writer) if isinstance(upstream, Split) else upstream)
        up = Code(bound.name, bound.name, bound.varies)
        # x * 1.0 is x to the bit, and x * -1.0 is -x: no statement for either.
        if type(partial) is float and partial in (1.0, -1.0):
            return up if partial == 1.0 else -up
        return up * partial

    def plus(before: Any, contribution: Any) -> Any:
        # In a batched program a shared node collects per-example contributions and ones already
        # summed over the batch: kept apart (`Split`) until read, as the two cannot simply be added.
        if isinstance(before, Split):
            return before.add(writer, contribution)
        if before.varies != contribution.varies:
            return Split().add(writer, before).add(writer, contribution)
        return writer.bind(before) + contribution

    return Arithmetic(times, plus)


class Program:
    """The forward and backward pass of a recorded graph, as Python source.

    ``forward(leaves) -> (values, extras)`` takes the leaves' numbers in slot
    order and returns every slot's value and the intermediate numbers the
    backward pass reads. ``backward(seed, values, extras) -> grads`` returns
    every slot's gradient (0.0 where none flowed) for an output gradient ``seed``.

    ``varying``, for a batched program, are the leaf slots that hold one number
    per example. A node computed from shared numbers only is then computed once
    for the batch, and its gradient, which collects from every example, is
    summed over the batch (``reduce``) where it meets the varying part of the
    graph: from there back it is one number again. The shared leaves' gradients
    come out summed over the batch (``reduce_rows``, for all of them at once).
    """

    def __init__(self, recording: Recording, varying: Collection[int] = ()) -> None:
        base, n = recording.base, recording.base + len(recording.rules)
        forward, backward = Writer("t"), Writer("u")
        values: list[Any] = [Code(f"t{i}", f"t{i}", i in varying) for i in range(base)]
        forward.count = base
        partials: list[Sequence[Any]] = [()] * base
        for rule, inputs, constants in zip(recording.rules, recording.parents, recording.consts):
            value, local = rule([values[i] for i in inputs], constants, forward)
            values.append(forward.bind(value) if isinstance(value, Code) else value)
            partials.append(local)

        inputs_of = [()] * base + list(recording.parents)

        def reduce_where_shared(slot: int, upstream: Code, _: object) -> None:
            # A shared node's gradient is summed over the batch before it goes further back,
            # so the shared part of the graph is differentiated once, not once per example.
            if upstream.varies and not (isinstance(values[slot], Code) and values[slot].varies):
                total = backward.reduce(upstream)
                upstream.name, upstream.text, upstream.varies = total.name, total.text, False

        # The seed, like everything computed from a batch leaf, has one entry per example.
        grads: dict[int, Any] = {recording.output: Code("g", "g", varies=bool(varying))}
        slots = range(n - 1, base - 1, -1)
        visit = reduce_where_shared if varying else None
        backpropagate(slots, inputs_of.__getitem__, partials.__getitem__, grads, _arithmetic(backward), visit)
        # A batched program returns the shared leaves' gradients only (the batch leaves' are per
        # example and wanted by no one); a single one returns every slot's, for `Tape.sync`.
        wanted = [slot for slot in range(base) if slot not in varying] if varying else range(n)
        results: list[Any] = [0.0] * n
        already: dict[int, Any] = {}  # leaf slot -> the part of its gradient summed over the batch already
        for slot in wanted:
            grad = grads.get(slot)
            if isinstance(grad, Split) and slot < base:
                already[slot] = grad.summed
                grad = grad.per_example
            elif isinstance(grad, Split):
                grad = grad.total(backward)
            if grad is not None:
                results[slot] = backward.bind(grad)
        summed = [slot for slot in wanted if slot < base and _varies(results[slot])]
        if summed:
            names = [f"{backward.prefix}{backward.count + k}" for k in range(len(summed))]
            backward.count += len(summed)
            backward.lines.append(f"{_unpack(names)} = reduce_rows({_tuple([results[s].name for s in summed])})")
            for slot, name in zip(summed, names):
                results[slot] = Code(name, name)
        for slot, part in already.items():
            if part is not None:
                results[slot] = part if results[slot] == 0.0 else Code(results[slot].name, results[slot].name) + part

        returned = [literal(r) for r in results]
        backward.lines = _live(backward.lines, returned)
        value_names = [literal(v) for v in values]
        body = "\n".join(backward.lines)
        # What the backward statements read from the forward pass, besides the slots' values.
        extras = sorted(_names(body, forward.prefix) - set(value_names), key=_index)
        self.source = "\n".join(
            [
                "def forward(leaves):",
                f"    {_unpack(value_names[:base])} = leaves",
                *(f"    {line}" for line in forward.lines),
                f"    return {_tuple(value_names)}, {_tuple(extras)}",
                "",
                "def backward(g, values, extras):",
                f"    {_unpack(value_names)} = values",
                f"    {_unpack(extras)} = extras",
                *(f"    {line}" for line in backward.lines),
                f"    return {_tuple(returned)}",
            ]
        )

    def functions(self, namespace: object) -> tuple[Callable[..., Any], Callable[..., Any]]:
        """``forward`` and ``backward``, calling ``namespace``'s number functions."""
        scope: dict[str, Any] = {name: getattr(namespace, name) for name in FUNCTIONS}
        for name in ("reduce", "reduce_rows"):
            if hasattr(namespace, name):
                scope[name] = getattr(namespace, name)
        scope.update(sum=sum, inf=math.inf, nan=math.nan)
        exec(compile(self.source, "<scalargrad tape>", "exec"), scope)
        return scope["forward"], scope["backward"]


def _names(text: str, prefix: str) -> set[str]:
    return set(re.findall(rf"\b{prefix}\d+\b", text))


def _live(lines: list[str], returned: Sequence[str]) -> list[str]:
    """The statements the returned names depend on: the rest compute gradients no one reads."""
    needed = {name for text in returned for name in re.findall(r"\b[a-z]\w*\b", text)}
    kept: list[str] = []
    for line in reversed(lines):
        targets, _, expression = line.partition(" = ")
        if needed.intersection(targets.replace(",", " ").split()):
            needed.update(re.findall(r"\b[a-z]\w*\b", expression))
            kept.append(line)
    kept.reverse()
    return kept


def _index(name: str) -> int:
    return int(name.lstrip("tu"))


def _unpack(names: Sequence[str], placeholder: str = "_") -> str:
    """A target list for unpacking: ``a, b,`` (a literal number in ``names`` takes a throwaway name)."""
    targets = [name if name.isidentifier() else placeholder for name in names]
    return "".join(f"{t}, " for t in targets) if targets else placeholder


def _tuple(items: Sequence[str]) -> str:
    return f"({''.join(item + ', ' for item in items)})"

"""Each op's local derivatives written as formulas, so a caption can say ``∂(1/x)/∂x = -1/x^2 = -0.5344``.

These are words for the reader, never used to compute anything: the number
after the last ``=`` is always the partial the op recorded (`Value.partials`).
`scalargrad.engine.rules.registered()` lists every op; the tests check that
each one has a formula here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from scalargrad.engine import Value, recipe
from scalargrad.engine import rules as ops

#: (input names, folded constants) -> one formula per input.
Formulas = Callable[[Sequence[str], Sequence[float]], list[str]]


def _c(constants: Sequence[float], i: int = 0) -> str:
    return format(constants[i], "g")


def _group(name: str) -> str:
    """A name as an operand: ``t1`` as it is, anything with an operator in it in brackets."""
    return name if name.replace("_", "").replace(".", "").replace("#", "").isalnum() else f"({name})"


def _dot(x: Sequence[str], c: Sequence[float]) -> list[str]:
    # dot(w0, x0, w1, x1, ..., bias): each weight's partial is its input, each input's its weight.
    pairs = len(x) // 2
    out = []
    for i in range(pairs):
        out += [x[2 * i + 1], x[2 * i]]
    return out + ["1"] * (len(x) - 2 * pairs)


def _extreme(x: Sequence[str], test: str) -> list[str]:
    a, b = x
    other = "<" if test == ">=" else ">"
    return [f"1 if {a} {test} {b} else 0", f"1 if {b} {other} {a} else 0"]


_FORMULAS: dict[object, Formulas] = {
    ops.add: lambda x, c: ["1", "1"],
    ops.add_const: lambda x, c: ["1"],
    ops.sub: lambda x, c: ["1", "-1"],
    ops.sub_const: lambda x, c: ["1"],
    ops.rsub_const: lambda x, c: ["-1"],
    ops.neg: lambda x, c: ["-1"],
    ops.mul: lambda x, c: [x[1], x[0]],
    ops.mul_const: lambda x, c: [_c(c)],
    ops.div: lambda x, c: [f"1/{_group(x[1])}", f"-{_group(x[0])}/{_group(x[1])}^2"],
    ops.div_const: lambda x, c: [f"1/{_c(c)}"],
    ops.rdiv_const: lambda x, c: [f"-{_c(c)}/{_group(x[0])}^2"],
    ops.pow_: lambda x, c: [
        f"{_group(x[1])}·{_group(x[0])}^({x[1]} - 1)",
        f"log({x[0]})·{_group(x[0])}^{_group(x[1])}",
    ],
    ops.pow_const: lambda x, c: [f"{_c(c)}·{_group(x[0])}^{format(c[0] - 1, 'g')}"],
    ops.rpow_const: lambda x, c: [f"log({_c(c)})·{_c(c)}^{_group(x[0])}"],
    ops.exp: lambda x, c: [f"exp({x[0]})"],
    ops.log: lambda x, c: [f"1/{_group(x[0])}"],
    ops.sqrt: lambda x, c: [f"1/(2·sqrt({x[0]}))"],
    ops.sin: lambda x, c: [f"cos({x[0]})"],
    ops.cos: lambda x, c: [f"-sin({x[0]})"],
    ops.tanh: lambda x, c: [f"1 - tanh({x[0]})^2"],
    ops.sigmoid: lambda x, c: [f"sigmoid({x[0]})·(1 - sigmoid({x[0]}))"],
    ops.softplus: lambda x, c: [f"sigmoid({x[0]})"],
    ops.relu: lambda x, c: [f"1 if {x[0]} > 0 else 0"],
    ops.abs_: lambda x, c: [f"sign({x[0]})"],
    ops.maximum: lambda x, c: _extreme(x, ">="),
    ops.minimum: lambda x, c: _extreme(x, "<="),
    ops.sum_: lambda x, c: ["1"] * len(x),
    ops.dot: lambda x, c: _dot(x, c),
    ops.lincomb: lambda x, c: [format(k, "g") for k in c[: len(x)]],
    ops.logsumexp: lambda x, c: [f"softmax_{i}" for i in range(len(x))],
    ops.identity: lambda x, c: ["1"],
}


def has_formula(rule: object) -> bool:
    """Whether `local_formulas` can write this rule's derivatives (every registered op can)."""
    return rule in _FORMULAS


def local_formulas(node: Value, names: Callable[[Value], str]) -> list[str]:
    """``∂node/∂input`` for each input of ``node``, as formulas in the inputs' names (``["d", "c"]`` for ``c * d``)."""
    rule, constants = recipe(node)
    if rule is None:
        return []
    write = _FORMULAS.get(rule)
    if write is None:
        return ["?"] * len(node.parents)
    return write([names(p) for p in node.parents], constants)

"""The safe expression parser: the seeds' numbers, refusals, and Hypothesis fuzzing against Python's arithmetic."""

from __future__ import annotations

import ast
import builtins
import contextlib
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalargrad.expr import FUNCTIONS, ExpressionError, evaluate, parse_bindings


def test_colah_expression_gives_the_seed_gradients() -> None:
    out, leaves = evaluate("(a+b)*(b+1)", {"a": 2, "b": 1})
    out.backward()
    assert out.data == 6.0
    assert (leaves["a"].grad, leaves["b"].grad) == (2.0, 5.0)
    assert leaves["a"].label == "a"
    assert out.op == "*" and [p.op for p in out.parents] == ["+", "+1"]


def test_cs231n_neuron_expression() -> None:
    text = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
    out, v = evaluate(text, {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
    out.backward()
    s = 1 / (1 + math.exp(-1.0))
    assert out.data == pytest.approx(s)
    # d sigma / d(w.x+b) = s (1 - s); times the other factor of each product (seed 000: -0.20, 0.39, -0.39, -0.59).
    ds = s * (1 - s)
    assert v["w0"].grad == pytest.approx(ds * -1) and v["x0"].grad == pytest.approx(ds * 2)
    assert v["w1"].grad == pytest.approx(ds * -2) and v["x1"].grad == pytest.approx(ds * -3)
    assert v["w2"].grad == pytest.approx(ds)


def test_numbers_fold_into_the_ops_that_use_them() -> None:
    out, _ = evaluate("2*3*a - 4/2", {"a": 1.5})
    assert out.op == "-2" or out.op == "+-2"
    assert out.parents[0].op == "*6"
    constant, _ = evaluate("2**0.5 * exp(1)", {"a": 1})
    assert constant.data == pytest.approx(math.sqrt(2) * math.e) and not constant.parents


def test_every_function_can_be_called() -> None:
    a, b = 0.7, -0.4
    expected = {
        "exp": math.exp(a),
        "log": math.log(a),
        "sin": math.sin(a),
        "cos": math.cos(a),
        "tanh": math.tanh(a),
        "sigmoid": 1 / (1 + math.exp(-a)),
        "relu": a,
        "sqrt": math.sqrt(a),
        "abs": a,
        "maximum": a,
        "minimum": b,
    }
    assert set(expected) == set(FUNCTIONS)
    for name, value in expected.items():
        args = "a, b" if FUNCTIONS[name][1] == 2 else "a"
        out, _ = evaluate(f"{name}({args})", {"a": a, "b": b})
        assert out.data == pytest.approx(value, rel=1e-15), name
    assert evaluate("relu(b) + abs(b) + sigmoid(-a)", {"a": a, "b": b})[0].data == pytest.approx(
        0.4 + 1 / (1 + math.exp(a))
    )


REFUSED = {
    "a.real": "attribute",
    "a[0]": "indexing",
    "(lambda: 1)()": "call of",
    "lambda: a": "lambda",
    "__import__('os').system('echo hi')": "call of",
    "__import__": "unknown name",
    "open('pwned', 'w')": "call of 'open'",
    "pow(a, 2)": "call of 'pow'",
    "exp(x=a)": "keyword",
    "exp(*[a])": "arguments",
    "exp(a, a)": "takes 1 argument",
    "maximum(a)": "takes 2 arguments",
    "exp": "is a function",
    "c + 1": "unknown name 'c'",
    "'text'": "str literal",
    "b'x'": "bytes literal",
    "True + a": "bool literal",
    "None": "NoneType literal",
    "1j * a": "complex literal",
    "...": "ellipsis",
    "[a for a in b]": "comprehension",
    "[a, b]": "List",
    "{a: b}": "Dict",
    "(a, b)": "Tuple",
    "a if b else a": "if/else",
    "a < b": "comparison",
    "a and b": "and/or",
    "not a": "operator not",
    "~a": "operator ~",
    "a // b": "operator //",
    "a % b": "operator %",
    "a @ b": "operator @",
    "(a := 3)": "assignment",
    "f'{a}'": "f-string",
    "a.__class__.__bases__[0].__subclasses__()": "call of",
    "a +": "not valid syntax",
    "a = 1": "not valid syntax",
    "import os": "not valid syntax",
    "": "empty",
    "   ": "empty",
    "(" * 250 + "a" + ")" * 250: "",
    "a" + "+a" * 6000: "longer than",
}


@pytest.mark.parametrize("text", list(REFUSED))
def test_refused_with_a_clear_message(text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExpressionError, match="expression refused") as caught:
        evaluate(text, {"a": 1.0, "b": 2.0})
    assert REFUSED[text].lower() in str(caught.value).lower()
    assert list(tmp_path.iterdir()) == []  # open('pwned', 'w') did not run


def test_nothing_is_handed_to_eval_or_exec(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert evaluate("exp(a) * (a + 2) ** 2", {"a": 0.5})[0].data == pytest.approx(math.exp(0.5) * 6.25)
    with pytest.raises(ExpressionError):
        evaluate("__import__('os')", {"a": 0.5})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("log(a - 1)", "cannot evaluate 'log(a - 1)'"),
        ("a / (a - 1)", "cannot evaluate"),
        ("(-a) ** 0.5", "cannot evaluate"),
        ("exp(1000 * a)", "cannot evaluate"),
        ("1 / 0", "cannot evaluate '1 / 0'"),
        ("10 ** 400", "cannot evaluate"),
        ("1" + "0" * 400, "cannot evaluate"),
    ],
)
def test_evaluation_errors_are_expression_errors(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        evaluate(text, {"a": 1.0})


def test_bindings() -> None:
    assert parse_bindings(["a=2", "b = -1.5e-3"]) == {"a": 2.0, "b": -0.0015}
    for bad, why in [
        ("a", "NAME=NUMBER"),
        ("a=x", "'x' is not a number"),
        ("a=", "'' is not a number"),
        ("1a=2", "not a plain variable name"),
        ("lambda=2", "not a plain variable name"),
        ("__import__=1", "not a plain variable name"),
        ("exp=1", "name of a function"),
        ("a=nan", "nan is not a finite number"),
        # 1e400 reads as infinity: refused as nan is, not silently accepted.
        ("b=1e400", "1e400 is not a finite number"),
        ("b=inf", "inf is not a finite number"),
        ("b=-inf", "-inf is not a finite number"),
    ]:
        with pytest.raises(ExpressionError, match=why):
            parse_bindings([bad])
    with pytest.raises(ExpressionError, match="bound twice"):
        parse_bindings(["a=1", "a=2"])


@pytest.mark.parametrize("name", ["ａ", "ｘ１", "ﬁt", "ℌ", "µ", "Ａｂｃ"])
def test_binding_names_are_normalised_as_python_normalises_identifiers(name: str) -> None:
    # The oracle is Python's own parser: the name an identifier in an expression becomes.
    python_name = ast.parse(name, mode="eval").body
    assert isinstance(python_name, ast.Name) and python_name.id != name
    assert parse_bindings([f"{name}=2"]) == {python_name.id: 2.0}
    out, leaves = evaluate(name + " * 3", parse_bindings([f"{name}=2"]))
    assert out.data == 6.0 and list(leaves) == [python_name.id]


def test_two_bindings_of_one_normalised_name_are_refused() -> None:
    with pytest.raises(
        ExpressionError, match=r"'ａ=2': ａ is a, bound already by 'a=1' \(Python reads them as one name\)"
    ):
        parse_bindings(["a=1", "ａ=2"])
    with pytest.raises(ExpressionError, match=r"'ｘ１=2': ｘ１ is x1, bound already by 'x1=1'"):
        parse_bindings(["x1=1", "ｘ１=2"])
    for bad, why in [("ｌａｍｂｄａ=1", "not a plain variable name"), ("ｅｘｐ=1", "name of a function")]:
        with pytest.raises(ExpressionError, match=why):
            parse_bindings([bad])


def test_deep_but_legal_nesting_evaluates_without_recursion() -> None:
    text = "a" + " + a" * 2000  # 2000 levels of left-nested +
    out, leaves = evaluate(text, {"a": 0.5})
    out.backward()
    assert out.data == 1000.5 and leaves["a"].grad == 2001.0


# ---------------------------------------------------------------------------
# Fuzzing.
# ---------------------------------------------------------------------------

VARIABLES = {"a": 1.25, "b": -0.75, "c": 3.0}
UNARY = ["exp", "log", "sin", "cos", "tanh", "sqrt", "abs", "relu"]
# Python's own functions and arithmetic: the oracle. relu/maximum/minimum as documented.
ORACLE_ENV: dict[str, Any] = {
    "exp": math.exp,
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    "sqrt": math.sqrt,
    "abs": abs,
    "relu": lambda x: x if x > 0 else 0.0,
    "maximum": lambda x, y: x if x >= y else y,
    "minimum": lambda x, y: x if x <= y else y,
    **VARIABLES,
}

numbers = st.one_of(
    st.integers(-12, 12),
    st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 0.5, 2, 1e-300, 1e300]),
)
leaves = st.one_of(st.sampled_from(sorted(VARIABLES)).map(lambda n: ("var", n)), numbers.map(lambda x: ("num", x)))
trees = st.recursive(
    leaves,
    lambda kids: st.one_of(
        st.tuples(st.just("bin"), st.sampled_from(["+", "-", "*", "/", "**"]), kids, kids),
        st.tuples(st.just("unary"), st.sampled_from(["-", "+"]), kids),
        st.tuples(st.just("call"), st.sampled_from(UNARY), kids),
        st.tuples(st.just("call2"), st.sampled_from(["maximum", "minimum"]), kids, kids),
    ),
    max_leaves=10,
)


def source(tree: tuple[Any, ...]) -> str:
    """The tree as fully parenthesised text."""
    kind = tree[0]
    if kind == "var":
        return str(tree[1])
    if kind == "num":
        return f"({tree[1]!r})"
    if kind == "bin":
        return f"({source(tree[2])} {tree[1]} {source(tree[3])})"
    if kind == "unary":
        return f"({tree[1]}{source(tree[2])})"
    if kind == "call":
        return f"{tree[1]}({source(tree[2])})"
    return f"{tree[1]}({source(tree[2])}, {source(tree[3])})"


class LeftTheRealsError(Exception):
    """Python's arithmetic failed, or gave a complex number (``(-8.0) ** (1/3)``)."""


BINARY = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
    "**": lambda x, y: x**y,
}


def python_says(tree: tuple[Any, ...]) -> float:
    """Python's own float arithmetic and math functions on the tree (iterating, not via our parser)."""
    kind = tree[0]
    try:
        if kind == "var":
            result: Any = VARIABLES[tree[1]]
        elif kind == "num":
            result = float(tree[1])
        elif kind == "bin":
            result = BINARY[tree[1]](python_says(tree[2]), python_says(tree[3]))
        elif kind == "unary":
            x = python_says(tree[2])
            result = -x if tree[1] == "-" else +x
        elif kind == "call":
            result = ORACLE_ENV[tree[1]](python_says(tree[2]))
        else:
            result = ORACLE_ENV[tree[1]](python_says(tree[2]), python_says(tree[3]))
    except (ArithmeticError, ValueError) as error:
        raise LeftTheRealsError from error
    if isinstance(result, complex):
        raise LeftTheRealsError
    return float(result)


@given(trees)
def test_fuzz_results_match_python_float_arithmetic(tree: tuple[Any, ...]) -> None:
    text = source(tree)
    try:
        expected = python_says(tree)
    except LeftTheRealsError:
        with pytest.raises(ExpressionError, match="cannot evaluate"):
            evaluate(text, VARIABLES)
        return
    out, _ = evaluate(text, VARIABLES)
    assert out.data == expected or (math.isnan(out.data) and math.isnan(expected)), text
    out.backward()  # and backpropagating through it never raises


REFUSED_PARTS = [k for k in REFUSED if k.strip() and len(k) < 60 and "not valid syntax" not in REFUSED[k]]


@given(trees, st.sampled_from(REFUSED_PARTS), st.data())
def test_fuzz_any_refused_part_refuses_the_whole(tree: tuple[Any, ...], part: str, data: st.DataObject) -> None:
    text = source(tree)
    where = data.draw(st.sampled_from(["left", "right", "arg"]))
    whole = {"left": f"({part}) + {text}", "right": f"{text} * ({part})", "arg": f"exp({text} - ({part}))"}[where]
    with pytest.raises(ExpressionError, match="expression refused"):
        evaluate(whole, {"a": 1.0, "b": 2.0})


TOKENS = [*"abcx019.e+-*/()[]{},:;'\"_ <>=!%@~^&|\\\n\t", *FUNCTIONS, "**", "__import__", "lambda", "open"]


@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_fuzz_random_text_is_computed_or_refused(text: str) -> None:
    try:
        out, _ = evaluate(text, VARIABLES)
    except ExpressionError:
        return
    assert isinstance(out.data, float)


@given(st.text(max_size=30))
def test_fuzz_any_unicode_is_computed_or_refused(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        evaluate(text, VARIABLES)

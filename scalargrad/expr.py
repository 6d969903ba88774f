"""Arithmetic expressions typed on the command line, turned into a graph of Values safely.

``evaluate("(a+b)*(b+1)", {"a": 2, "b": 1})`` builds the graph seed 003 draws.
The text is parsed with Python's `ast` module and checked against a whitelist
before anything is computed: numbers, bound variable names, ``+ - * / **``,
unary ``-`` and ``+``, and calls of the engine's functions (``exp log sin cos
tanh sigmoid relu sqrt abs maximum minimum``). Anything else (attribute access,
indexing, other calls, ``__import__``, lambdas, strings, keyword arguments, ...)
is refused with an `ExpressionError` naming it. Nothing is ever handed to
`eval`: the checked tree is walked by the small evaluator below, so no Python
code from the expression can run.

Sub-expressions of plain numbers are folded (``2*3*a`` is one ``*6`` gate), as
the engine folds a number into the op that uses it.
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from scalargrad import engine
from scalargrad.engine import Value


class ExpressionError(ValueError):
    """An expression or variable binding was refused, or could not be evaluated; the message says why."""


#: The functions an expression may call, with how many arguments each takes.
FUNCTIONS: dict[str, tuple[Callable[..., Value], int]] = {
    "exp": (engine.exp, 1),
    "log": (engine.log, 1),
    "sin": (engine.sin, 1),
    "cos": (engine.cos, 1),
    "tanh": (engine.tanh, 1),
    "sigmoid": (engine.sigmoid, 1),
    "relu": (engine.relu, 1),
    "sqrt": (engine.sqrt, 1),
    "abs": (lambda x: abs(x if isinstance(x, Value) else Value(x)), 1),
    "maximum": (engine.maximum, 2),
    "minimum": (engine.minimum, 2),
}

_BINARY: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.Pow: ("**", operator.pow),
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
# Python spellings of refused operators, for the message.
_REFUSED_OPERATORS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Not: "not",
    ast.Invert: "~",
}
_ALLOWED: tuple[type[ast.AST], ...] = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant)
_ALLOWED += (ast.Load, *_BINARY, *_UNARY)
_WHAT = "numbers, variable names, + - * / **, unary - and +, and the functions " + ", ".join(FUNCTIONS)
MAX_LENGTH = 10_000


def evaluate(text: str, variables: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
    """Build the graph of ``text`` with each variable a leaf Value labelled by its name.

    Returns the output Value and the leaves by name (one per bound variable,
    used or not). Raises `ExpressionError` for anything outside the whitelist,
    an unbound name, or an expression that cannot be evaluated (``log(0)``).
    """
    tree = parse(text, variables)
    leaves = {name: Value(float(x), label=name) for name, x in variables.items()}
    out = _run(tree, text, leaves)
    return (out if isinstance(out, Value) else Value(out)), leaves


def parse(text: str, variables: Iterable[str]) -> ast.Expression:
    """Parse ``text`` and check every node against the whitelist; nothing is evaluated."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression refused: longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ExpressionError("expression refused: it is empty")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"expression refused: not valid syntax ({error.msg})") from None
    except (RecursionError, MemoryError):
        # CPython's parser gives up on very deep nesting this way.
        raise ExpressionError("expression refused: nested too deeply to parse") from None
    except (ValueError, OverflowError) as error:
        raise ExpressionError(f"expression refused: cannot be parsed ({error})") from None
    bound = set(variables)
    called: set[int] = set()  # id() of the Name nodes in call position
    for node in ast.walk(tree):  # breadth first, so a Call is checked before the name it calls
        _check(node, bound, called)
    return tree


def _check(node: ast.AST, bound: set[str], called: set[int]) -> None:
    where = f" at column {node.col_offset + 1}" if isinstance(node, ast.expr) else ""
    if isinstance(node, ast.Call):
        _check_call(node, where, called)
    elif isinstance(node, ast.Name):
        if id(node) in called:
            return
        if node.id in FUNCTIONS:
            raise ExpressionError(f"expression refused: {node.id}{where} is a function; call it, as {node.id}(x)")
        if node.id not in bound:
            known = ", ".join(sorted(bound)) or "none"
            raise ExpressionError(
                f"expression refused: unknown name {node.id!r}{where} (bound variables: {known}); "
                f"bind it on the command line as {node.id}=VALUE"
            )
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ExpressionError(f"expression refused: {type(node.value).__name__} literal {node.value!r}{where}")
    elif type(node) in _REFUSED_OPERATORS:
        raise ExpressionError(f"expression refused: operator {_REFUSED_OPERATORS[type(node)]} is not allowed")
    elif not isinstance(node, _ALLOWED):
        raise ExpressionError(f"expression refused: {_describe(node)}{where} is not allowed; use only {_WHAT}")


def _check_call(node: ast.Call, where: str, called: set[int]) -> None:
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        callee = ast.unparse(node.func)
        raise ExpressionError(
            f"expression refused: call of {callee!r}{where}; only {', '.join(FUNCTIONS)} may be called"
        )
    name = node.func.id
    if node.keywords:
        raise ExpressionError(f"expression refused: keyword arguments in {name}(){where}")
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        raise ExpressionError(f"expression refused: *arguments in {name}(){where}")
    arity = FUNCTIONS[name][1]
    if len(node.args) != arity:
        raise ExpressionError(
            f"expression refused: {name}() takes {arity} argument{'s' * (arity > 1)}, got {len(node.args)}{where}"
        )
    called.add(id(node.func))


def _describe(node: ast.AST) -> str:
    special = {
        ast.Attribute: "attribute access (.name)",
        ast.Subscript: "indexing ([...])",
        ast.Lambda: "lambda",
        ast.Compare: "comparison",
        ast.BoolOp: "and/or",
        ast.IfExp: "if/else",
        ast.NamedExpr: "assignment (:=)",
        ast.JoinedStr: "f-string",
    }
    for kind, text in special.items():
        if isinstance(node, kind):
            return text
    if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
        return "comprehension"
    return type(node).__name__


def _run(tree: ast.Expression, text: str, leaves: Mapping[str, Value]) -> Value | float:
    """Evaluate a checked tree, children before parents, with an explicit stack (any depth)."""
    results: list[Value | float] = []
    stack: list[tuple[ast.expr, bool]] = [(tree.body, False)]
    while stack:
        node, ready = stack.pop()
        children = _children(node)
        if not ready:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        args = results[len(results) - len(children) :] if children else []
        del results[len(results) - len(children) :]
        try:
            results.append(_apply(node, args, leaves))
        except (ArithmeticError, ValueError) as error:
            part = ast.get_source_segment(text.strip(), node) or ast.unparse(node)
            raise ExpressionError(f"cannot evaluate {part!r}: {error}") from None
    return results[0]


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _apply(node: ast.expr, args: list[Value | float], leaves: Mapping[str, Value]) -> Value | float:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, int | float)  # parse() refused the rest
        return float(node.value)
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.BinOp):
        left, right = args
        op = _BINARY[type(node.op)][1]
        if isinstance(left, Value) or isinstance(right, Value):
            return op(left, right)  # type: ignore[no-any-return]
        # Two plain numbers: fold them with the engine's own op (math.pow's errors, not a complex number).
        return float(op(Value(left), right).data)
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](args[0])  # type: ignore[no-any-return]
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        result = FUNCTIONS[node.func.id][0](*args)
        return result if any(isinstance(a, Value) for a in args) else result.data
    raise AssertionError(f"unchecked node {type(node).__name__}")  # parse() refused it already


def parse_bindings(items: Iterable[str]) -> dict[str, float]:
    """``["a=2", "b=1"]`` -> ``{"a": 2.0, "b": 1.0}``, refusing anything unclear with `ExpressionError`.

    Names are normalised as Python normalises identifiers (NFKC, PEP 3131):
    Python reads ``ａ`` (fullwidth a) or ``ﬁ`` (a ligature) in the expression
    as ``a`` and ``fi``, so ``ａ=1`` binds ``a``; otherwise no expression
    could ever reach it. Two bindings that normalise to one name are refused.
    """
    bindings: dict[str, float] = {}
    given: dict[str, str] = {}  # normalised name -> the binding that set it, for the message
    for item in items:
        name, sep, text = item.partition("=")
        name = unicodedata.normalize("NFKC", name.strip())
        if not sep:
            raise ExpressionError(f"bad variable binding {item!r}: write NAME=NUMBER, e.g. a=2")
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("__"):
            raise ExpressionError(f"bad variable binding {item!r}: {name!r} is not a plain variable name")
        if name in FUNCTIONS:
            raise ExpressionError(f"bad variable binding {item!r}: {name} is the name of a function")
        if name in bindings:
            written = item.partition("=")[0].strip()
            if given[name].partition("=")[0].strip() == written:
                raise ExpressionError(f"bad variable binding {item!r}: {written} is bound twice")
            raise ExpressionError(
                f"bad variable binding {item!r}: {written} is {name}, bound already by {given[name]!r} "
                "(Python reads them as one name)"
            )
        try:
            value = float(text.strip())
        except ValueError:
            raise ExpressionError(f"bad variable binding {item!r}: {text.strip()!r} is not a number") from None
        if not math.isfinite(value):
            # 1e400 reads as inf: refused as nan is, rather than silently turned into infinity.
            raise ExpressionError(f"bad variable binding {item!r}: {text.strip()} is not a finite number")
        bindings[name] = value
        given[name] = item
    return bindings

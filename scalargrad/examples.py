"""The seed documents' worked examples as ready-made graphs, to draw, step through or poke at.

Each function builds the example with the seed's numbers and labels and
returns its output, not yet backpropagated::

    >>> from scalargrad.examples import two_paths, nodes_by_label
    >>> e = two_paths()
    >>> e.backward()
    >>> v = nodes_by_label(e)
    >>> e.data, v["a"].grad, v["b"].grad
    (6.0, 2.0, 5.0)

"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real

from scalargrad.engine import Value, consumers_first


def _labelled(value: Value, label: str) -> Value:
    value.label = label
    return value


def add_mul_circuit() -> Value:
    """Seed 000 (CS231n): ``f = (x + y) z`` at x=-2, y=5, z=-4. f=-12; df/dx=-4, df/dy=-4, df/dz=3."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = _labelled(x + y, "q")
    return _labelled(q * z, "f")


def sigmoid_neuron() -> Value:
    """Seed 000: the 2-D neuron ``1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))`` gate by gate.

    w=[2, -3, -3], x=[-1, -2]: f=0.73, and the gates are the notes' ``*-1``,
    ``exp``, ``+1`` and ``1/x``; the sigmoid's local gradient is (1 - 0.73) 0.73 = 0.2.
    """
    w0, x0, w1, x1, w2 = (Value(2.0, "w0"), Value(-1.0, "x0"), Value(-3.0, "w1"), Value(-2.0, "x1"), Value(-3.0, "w2"))
    return _labelled(1 / (1 + ((w0 * x0 + w1 * x1 + w2) * -1).exp()), "f")


def staged_sigmoid() -> Value:
    """Seed 000: ``f = (x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)`` at x=3, y=-4, in the notes' stages."""
    x, y = Value(3.0, "x"), Value(-4.0, "y")
    sigy = _labelled(y.sigmoid(), "sigy")
    num = _labelled(x + sigy, "num")
    sigx = _labelled(x.sigmoid(), "sigx")
    xpy = _labelled(x + y, "xpy")
    xpysqr = _labelled(xpy**2, "xpysqr")
    den = _labelled(sigx + xpysqr, "den")
    invden = _labelled(1 / den, "invden")
    return _labelled(num * invden, "f")


def two_paths() -> Value:
    """Seed 003: ``e = (a + b)(b + 1)`` at a=2, b=1. e=6, de/da=2, de/db=5 (2 + 3: two paths add up)."""
    a, b = Value(2.0, "a"), Value(1.0, "b")
    c = _labelled(a + b, "c")
    d = _labelled(b + 1, "d")
    return _labelled(c * d, "e")


def apple_shopping() -> Value:
    """Seed 004: 2 apples at 100 yen, 10% tax. price=220; dapple=2.2, dapple_num=110, dtax=200."""
    apple, apple_num, tax = Value(100.0, "apple"), Value(2.0, "apple_num"), Value(1.1, "tax")
    apple_price = _labelled(apple * apple_num, "apple_price")
    return _labelled(apple_price * tax, "price")


def apple_orange_shopping() -> Value:
    """Seed 004: 2 apples at 100 and 3 oranges at 150 yen, 10% tax.

    price=715; dapple=2.2, dapple_num=110, dorange=3.3, dorange_num=165, dtax=650.
    """
    apple, apple_num = Value(100.0, "apple"), Value(2.0, "apple_num")
    orange, orange_num = Value(150.0, "orange"), Value(3.0, "orange_num")
    tax = Value(1.1, "tax")
    apple_price = _labelled(apple * apple_num, "apple_price")
    orange_price = _labelled(orange * orange_num, "orange_price")
    all_price = _labelled(apple_price + orange_price, "all_price")
    return _labelled(all_price * tax, "price")


def nodes_by_label(root: Value) -> dict[str, Value]:
    """Every labelled node under ``root`` by its label (the last one wins if two share a label)."""
    return {node.label: node for node in consumers_first(root) if node.label}


_VERDICTS = {
    "en": ("Correct!", "Not yet: {got} is not the answer.", "Write your answer in place of ..."),
    "ja": (
        "正解です！",
        "残念、{got} ではありません。もう一度考えてみましょう。",
        "... のところに答えを書いてください。",
    ),
}


def checker(lang: str = "en") -> Callable[..., None]:
    """The course's answer checker in ``lang`` ("en" or "ja"): ``check(answer, expected, tolerance=1e-9)``.

    It prints whether ``answer`` (a number, a Value, or a list, tuple or array
    of them; NumPy's numbers and arrays too) equals ``expected`` within the
    tolerance, or, for an answer still ``...``, how to give one.
    """
    if lang not in _VERDICTS:
        raise ValueError(f"checker(lang={lang!r}): choose 'en' or 'ja'")
    right, wrong, missing = _VERDICTS[lang]

    def check(answer: object, expected: float | Sequence[float], tolerance: float = 1e-9) -> None:
        if answer is ...:
            print(missing)
            return
        if isinstance(expected, list | tuple):
            # A sequence or an array (anything with a length to iterate over), a string excepted.
            many = hasattr(answer, "__len__") and hasattr(answer, "__iter__") and not isinstance(answer, str | bytes)
            got, want = (list(answer) if many else [answer]), list(expected)  # type: ignore[call-overload]
        else:
            got, want = [answer], [expected]
        numbers = [x.data if isinstance(x, Value) else x for x in got]
        ok = len(numbers) == len(want) and all(
            isinstance(g, Real) and not isinstance(g, bool) and math.isclose(g, w, rel_tol=tolerance, abs_tol=tolerance)
            for g, w in zip(numbers, want)
        )
        print(right if ok else wrong.format(got=answer))

    return check

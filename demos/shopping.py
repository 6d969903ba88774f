"""Seed 004's shopping problems: backpropagation on a bill, one Value per quantity.

Problem 1: Taro buys 2 apples at 100 yen each, with 10% consumption tax.
Problem 2: he buys 2 apples at 100 yen and 3 oranges at 150 yen, with the same tax.

The bill is a small computational graph (multiply, add, multiply by the tax),
and one ``backward()`` from the price gives how the price moves with every
input at once: if an apple costs 1 yen more, the bill grows by dApple = 2.2 yen.
The seed's answers are 220 (dApple 2.2, dApple_num 110, dTax 200) and 715
(dApple 2.2, dApple_num 110, dOrange 3.3, dOrange_num 165, dTax 650).

Run ``python -m demos.shopping`` (or ``scalargrad demo shopping``); with
scalargrad's diagrams and Graphviz's ``dot`` installed it also draws both graphs.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scalargrad import Value

from ._common import demo_parser, positive_float, report_files, run_main, save_diagram, save_json


@dataclass
class Bill:
    """A shopping graph after backward: the price node and the inputs, in the order printed."""

    title: str
    price: Value
    inputs: list[Value]

    def derivatives(self) -> dict[str, float]:
        """d(price)/d(input) for every input, keyed by the seed's names (``dApple``, ``dTax``, ...)."""
        return {f"d{_capitalised(v.label)}": v.grad for v in self.inputs}


def _capitalised(label: str) -> str:
    return label[:1].upper() + label[1:]


def shopping_bill(title: str, items: Sequence[tuple[str, float, float]], tax_rate: float) -> Bill:
    """Build the bill ``(sum of unit price * count) * tax`` from Values and backpropagate from it.

    ``items`` are ``(name, unit_price, count)``. The items' subtotals are added
    with ``+`` gates one at a time, as the seed's AddLayer does, so the graph
    matches the seed's figures 5-16 and 5-17.
    """
    if not items:
        raise ValueError("shopping_bill() needs at least one item")
    inputs: list[Value] = []
    subtotals: list[Value] = []
    for name, unit_price, count in items:
        unit, number = Value(unit_price, label=name), Value(count, label=f"{name}_num")
        subtotal = unit * number
        subtotal.label = f"{name}_price"
        inputs += (unit, number)
        subtotals.append(subtotal)
    total = functools.reduce(operator.add, subtotals)
    if len(subtotals) > 1:
        total.label = "all_price"
    tax = Value(tax_rate, label="tax")
    price = total * tax
    price.label = "price"
    price.backward()
    return Bill(title, price, [*inputs, tax])


def format_number(x: float) -> str:
    """Ten significant digits: float noise such as 1.1 * 3 = 3.3000000000000003 prints as 3.3."""
    return f"{x:.10g}"


def print_bill(bill: Bill) -> None:
    print(bill.title)
    print(f"  price: {format_number(bill.price.data)}")
    for name, value in bill.derivatives().items():
        print(f"  {name}: {format_number(value)}")


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    parser = demo_parser(
        "shopping", "Seed 004's apple and orange shopping: the price and every derivative.", prog=prog, seed=None
    )
    parser.add_argument("--apple", type=positive_float, default=100.0, help="price of one apple (default: 100)")
    parser.add_argument("--apple-num", type=positive_float, default=2.0, help="number of apples (default: 2)")
    parser.add_argument("--orange", type=positive_float, default=150.0, help="price of one orange (default: 150)")
    parser.add_argument("--orange-num", type=positive_float, default=3.0, help="number of oranges (default: 3)")
    parser.add_argument("--tax", type=positive_float, default=1.1, help="tax multiplier (default: 1.1, i.e. 10%%)")
    args = parser.parse_args(argv)

    def body() -> int:
        apple = ("apple", args.apple, args.apple_num)
        orange = ("orange", args.orange, args.orange_num)
        bills = {
            "apple": shopping_bill("Problem 1: apples, with tax", [apple], args.tax),
            "apple_orange": shopping_bill("Problem 2: apples and oranges, with tax", [apple, orange], args.tax),
        }
        written: list[Path] = []
        for name, bill in bills.items():
            print_bill(bill)
            if not args.no_plot:
                # Seed 004's figures: values above each wire, gradients below.
                picture = save_diagram(bill.price, args.out / f"{name}.svg", style="circuit", fmt=".10g")
                if picture is not None:
                    written.append(picture)
        results = {name: {"price": bill.price.data, **bill.derivatives()} for name, bill in bills.items()}
        written.append(save_json(results, args.out / "results.json"))
        report_files(written)
        return 0

    return run_main("shopping", body)


if __name__ == "__main__":
    raise SystemExit(main())

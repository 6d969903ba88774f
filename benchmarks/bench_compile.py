"""Replay speed: one moons training step in several engines, in one process, interleaved.

Run: ``python benchmarks/bench_compile.py [--repeats N]``. The step is the one in
``bench_engine.py``: full batch of 100 points, MLP(2, [16, 16, 1]) with relu,
hinge loss + L2, forward + backward + SGD. The contenders:

- micrograd 0.1.0, a ``*`` and ``+`` node per weight (its own MLP style);
- scalargrad eager, one ``dot`` node per neuron, the graph rebuilt every step;
- scalargrad compiled: a graph recorded once by `scalargrad.compile` and
  replayed (forward, then backward into the parameters), as code (the default)
  and op by op (``codegen=False``); for the ``dot`` graph (the ``nn`` one) and
  for micrograd's own graph of ``*`` and ``+`` nodes (65,000 of them);
- scalargrad batched: the graph of *one* point, replayed over all 100 with
  NumPy (``compile(loss, batch=[x0, x1, y])``);
- plain floats: the same network's forward and backward written out by hand,
  no graph at all. This is the floor a pure-Python, one-number-at-a-time engine can approach.

Each sample is timed after an untimed ``gc.collect()``; the table shows medians.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from operator import add, mul
from typing import Any

import micrograd.engine
from bench_engine import make_points, make_weights, measure, mlp_dot, mlp_primitive, moons_loss, moons_step, parameters

import scalargrad
from scalargrad.replay import compile as compile_tape

LEARNING_RATE = 0.01
L2 = 1e-4
Step = Callable[[], Any]


def compiled_step(forward: Callable[..., Any], total: Callable[..., Any], **options: Any) -> tuple[Step, float]:
    """A replayed training step over the graph ``forward`` builds, and how long compiling it took (seconds)."""
    layers = make_weights(scalargrad.Value)
    params = parameters(layers)
    loss = moons_loss(*make_points(), layers, params, forward, total)
    start = time.perf_counter()
    tape = compile_tape(loss, **options)
    seconds = time.perf_counter() - start
    return sgd_step(tape.forward, tape.backward, params), seconds


def sgd_step(forward: Callable[[], Any], backward: Callable[[], Any], params: list[Any]) -> Step:
    """A training step from a replayed forward and backward: forward, zero the gradients, backward, update."""

    def step() -> None:
        forward()
        for p in params:
            p.grad = 0.0
        backward()
        for p in params:
            p.data -= LEARNING_RATE * p.grad

    return step


def batched_step() -> tuple[Step, float]:
    """The same step with the graph of one point replayed over the batch (NumPy), and its compile time."""
    import numpy as np

    xs, ys = make_points()
    layers = make_weights(scalargrad.Value)
    params = parameters(layers)
    x0, x1, y = scalargrad.Value(0.0, "x0"), scalargrad.Value(0.0, "x1"), scalargrad.Value(0.0, "y")
    # One point's loss: its hinge plus the L2 penalty, whose mean over the points is moons_loss.
    loss = (1 + -y * mlp_dot(layers, [x0, x1])).relu() + L2 * scalargrad.sum(p * p for p in params)
    start = time.perf_counter()
    tape = compile_tape(loss, batch=[x0, x1, y])
    seconds = time.perf_counter() - start
    columns = [np.array([x[0] for x in xs]), np.array([x[1] for x in xs]), np.array(ys)]
    return sgd_step(lambda: tape.forward(columns), tape.backward, params), seconds


class PlainFloatMLP:
    """The benchmark network by hand: lists of floats, forward and backward written out."""

    def __init__(self) -> None:
        layers = make_weights(float)
        self.weights = [[list(ws) for ws, _ in layer] for layer in layers]
        self.biases = [[b for _, b in layer] for layer in layers]
        self.xs, self.ys = make_points()

    def step(self) -> float:
        """One SGD step; returns the loss before the update."""
        weights, biases, last = self.weights, self.biases, len(self.weights) - 1
        grad_w = [[[0.0] * len(row) for row in layer] for layer in weights]
        grad_b = [[0.0] * len(layer) for layer in biases]
        n, data_loss = len(self.xs), 0.0
        for x, y in zip(self.xs, self.ys):
            acts = [x]  # each layer's input
            for depth, (rows, bs) in enumerate(zip(weights, biases)):
                z = [sum(map(mul, row, acts[-1])) + b for row, b in zip(rows, bs)]
                acts.append(z if depth == last else [v if v > 0.0 else 0.0 for v in z])
            margin = 1.0 - y * acts[-1][0]
            if margin <= 0.0:  # the hinge is flat here: no loss, no gradient
                continue
            data_loss += margin
            delta = [-y / n]  # d(loss)/d(pre-activation) of the current layer
            for depth in range(last, -1, -1):
                inputs, rows = acts[depth], weights[depth]
                for j, d in enumerate(delta):
                    grad_w[depth][j] = list(map(add, grad_w[depth][j], [d * a for a in inputs]))
                    grad_b[depth][j] += d
                if depth:
                    back = [sum(map(mul, delta, column)) for column in zip(*rows)]
                    delta = [g if a > 0.0 else 0.0 for g, a in zip(back, inputs)]
        loss = data_loss / n
        for rows, bs, g_rows, g_bs in zip(weights, biases, grad_w, grad_b):
            for j, (row, g_row) in enumerate(zip(rows, g_rows)):
                loss += L2 * sum(w * w for w in row) + L2 * bs[j] * bs[j]
                row[:] = [w - LEARNING_RATE * (g + 2 * L2 * w) for w, g in zip(row, g_row)]
                bs[j] -= LEARNING_RATE * (g_bs[j] + 2 * L2 * bs[j])
        return loss


def check_floor_matches() -> None:
    """The hand-written network must compute what the graph computes, or it is no floor."""
    layers = make_weights(scalargrad.Value)
    params = parameters(layers)
    loss = moons_loss(*make_points(), layers, params, mlp_dot, scalargrad.sum)
    loss.backward()
    floor = PlainFloatMLP()
    floor_loss = floor.step()
    updated = [w for layer in floor.weights for row in layer for w in row]
    updated_b = [b for layer in floor.biases for b in layer]
    expected = [p.data - LEARNING_RATE * p.grad for layer in layers for ws, b in layer for p in ws]
    expected_b = [b.data - LEARNING_RATE * b.grad for layer in layers for _, b in layer]
    assert math.isclose(floor_loss, loss.data, rel_tol=1e-12), (floor_loss, loss.data)
    for got, want in zip(updated + updated_b, expected + expected_b, strict=True):
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-15), (got, want)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    sys.setrecursionlimit(100_000)  # micrograd's topological sort is recursive

    check_floor_matches()
    value, sg_sum = scalargrad.Value, scalargrad.sum
    dot_code, dot_seconds = compiled_step(mlp_dot, sg_sum)
    dot_interpreted, dot_interpreted_seconds = compiled_step(mlp_dot, sg_sum, codegen=False)
    primitive_code, primitive_seconds = compiled_step(mlp_primitive, sum)
    batched, batched_seconds = batched_step()
    contenders: dict[str, Step] = {
        "micrograd": moons_step(micrograd.engine.Value, mlp_primitive, sum),
        "scalargrad eager (dot + sum)": moons_step(value, mlp_dot, sg_sum),
        "compiled, dot graph, as code": dot_code,
        "compiled, dot graph, op by op": dot_interpreted,
        "compiled, * and + graph, as code": primitive_code,
        "batched (NumPy), one point's graph": batched,
        "plain floats, by hand": PlainFloatMLP().step,
    }
    medians = measure(contenders, args.repeats)
    base = medians["micrograd"]
    print(f"moons step, MLP(2,[16,16,1]) x 100 points: median of {args.repeats} interleaved samples\n")
    print(f"{'engine':<38} {'median ms':>10} {'vs micrograd':>13}")
    for name, seconds in medians.items():
        print(f"{name:<38} {seconds * 1e3:>10.2f} {base / seconds:>12.1f}x")
    floor = medians["plain floats, by hand"]
    print()
    for name, target in (
        ("compiled, dot graph, as code", 50),
        ("compiled, * and + graph, as code", 30),
        ("batched (NumPy), one point's graph", 200),
    ):
        ratio, to_floor = base / medians[name], medians[name] / floor
        print(f"{name}: {ratio:.1f}x micrograd (target >= {target}x), {to_floor:.2f}x the floor")
    print("\ncompile() once:")
    for name, seconds in (
        ("dot graph, as code", dot_seconds),
        ("dot graph, op by op", dot_interpreted_seconds),
        ("* and + graph, as code", primitive_seconds),
        ("batched, one point's graph", batched_seconds),
    ):
        print(f"  {name:<28} {seconds * 1e3:>8.0f} ms")


if __name__ == "__main__":
    main()

"""Eager engine speed: scalargrad vs micrograd 0.1.0, in one process, interleaved.

Run: ``python benchmarks/bench_engine.py [--repeats N]``. Each sample is timed
after an untimed ``gc.collect()``, so one engine's cyclic garbage is never
charged to the other; the engines alternate sample by sample, and the table
shows medians and the ratio micrograd / scalargrad (higher is better for us).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import micrograd.engine

import scalargrad

MLP_SIZES = (2, 16, 16, 1)
N_POINTS = 100


def make_points(seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """100 points of two interleaved half-moons, labels -1/+1 (shape, not accuracy, matters here)."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(N_POINTS):
        t = math.pi * rng.random()
        if i % 2:
            xs.append([math.cos(t), math.sin(t)])
            ys.append(1.0)
        else:
            xs.append([1.0 - math.cos(t), 0.5 - math.sin(t)])
            ys.append(-1.0)
    return xs, ys


def make_weights(value: Callable[[float], Any], seed: int = 1) -> list[list[tuple[list[Any], Any]]]:
    """Per layer, per neuron: (weights, bias), the same numbers for every engine."""
    rng = random.Random(seed)
    return [
        [([value(rng.uniform(-1, 1)) for _ in range(nin)], value(0.0)) for _ in range(nout)]
        for nin, nout in itertools.pairwise(MLP_SIZES)
    ]


def mlp_primitive(layers: list[Any], x: list[Any]) -> Any:
    """micrograd's MLP forward: ``sum((wi * xi for ...), b)`` and relu on all but the last layer."""
    for depth, layer in enumerate(layers):
        last = depth == len(layers) - 1
        outs = []
        for ws, b in layer:
            act = sum((wi * xi for wi, xi in zip(ws, x)), b)
            outs.append(act if last else act.relu())
        x = outs
    return x[0]


def mlp_dot(layers: list[Any], x: list[Any]) -> Any:
    """The same network with one n-ary ``dot`` gate per neuron."""
    for depth, layer in enumerate(layers):
        last = depth == len(layers) - 1
        outs = []
        for ws, b in layer:
            act = scalargrad.dot(ws, x, b)
            outs.append(act if last else act.relu())
        x = outs
    return x[0]


def moons_loss(
    xs: list[list[float]],
    ys: list[float],
    layers: list[Any],
    params: list[Any],
    forward: Callable[..., Any],
    total: Callable[..., Any],
) -> Any:
    """The step's loss graph: mean hinge loss over the points plus 1e-4 * L2, as micrograd's demo."""
    scores = [forward(layers, x) for x in xs]
    losses = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
    return total(losses) * (1.0 / len(losses)) + 1e-4 * total(p * p for p in params)


def moons_step(
    value: Callable[[float], Any], forward: Callable[..., Any], total: Callable[..., Any]
) -> Callable[[], None]:
    """A closure running one full-batch step: forward, hinge + L2, backward, SGD update."""
    xs, ys = make_points()
    layers = make_weights(value)
    params = parameters(layers)

    def step() -> None:
        for p in params:
            p.grad = 0.0
        moons_loss(xs, ys, layers, params, forward, total).backward()
        for p in params:
            p.data -= 0.01 * p.grad

    return step


def parameters(layers: list[Any]) -> list[Any]:
    return [p for layer in layers for ws, b in layer for p in [*ws, b]]


def deep_chain(value: Callable[[float], Any], n: int = 100_000) -> Callable[[], None]:
    def run() -> None:
        x0 = value(1.0)
        x = x0
        for _ in range(n):
            x = x * 1.0001 + 0.0001
        x.backward()

    return run


def wide_sum(value: Callable[[float], Any], total: Callable[..., Any], n: int = 100_000) -> Callable[[], None]:
    rng = random.Random(2)
    a = [value(rng.random()) for _ in range(n)]
    b = [value(rng.random()) for _ in range(n)]

    def run() -> None:
        for v in a + b:
            v.grad = 0.0
        total(x * y for x, y in zip(a, b)).backward()

    return run


def chain_memory(value: Callable[[float], Any], n: int = 100_000) -> float:
    """Bytes held per op by a live n-deep chain (after backward), by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    x = value(1.0)
    for _ in range(n):
        x = x * 1.0001 + 0.0001
    x.backward()
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del x
    return held / (2 * n)


def second_order(repeats: int) -> dict[str, float]:
    """Medians (s) of first-order and Value-mode gradients of the moons loss (the ``dot`` graph).

    ``grad(loss, params)`` gives floats; ``create_graph=True`` evaluates every
    op's rule again on Values, building the gradient's own graph; one more
    ``grad`` of one of those gradients is a row of the Hessian.
    """
    layers = make_weights(scalargrad.Value)
    params = parameters(layers)
    loss = moons_loss(*make_points(), layers, params, mlp_dot, scalargrad.sum)

    def hessian_row() -> None:
        first = scalargrad.grad(loss, params, create_graph=True)
        scalargrad.grad(first[0], params)

    return measure(
        {
            "grad(loss, params)": lambda: scalargrad.grad(loss, params),
            "loss.backward()": loss.backward,
            "grad(..., create_graph=True)": lambda: scalargrad.grad(loss, params, create_graph=True),
            "create_graph, then grad of one entry": hessian_row,
        },
        repeats,
    )


def measure(contenders: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Median seconds per contender; contenders alternate within each round."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():  # warm-up, untimed
        fn()
    for _ in range(repeats):
        for name, fn in contenders.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    sys.setrecursionlimit(1_000_000)  # micrograd's topological sort is recursive

    mg, sg = micrograd.engine.Value, scalargrad.Value
    workloads: dict[str, dict[str, Callable[[], None]]] = {
        "moons step, MLP(2,[16,16,1]) x 100 points": {
            "micrograd": moons_step(mg, mlp_primitive, sum),
            "scalargrad, same * and + graph": moons_step(sg, mlp_primitive, sum),
            "scalargrad, dot + sum": moons_step(sg, mlp_dot, scalargrad.sum),
        },
        "deep chain x = x*1.0001 + 0.0001, 100,000 deep": {
            "micrograd": deep_chain(mg),
            "scalargrad": deep_chain(sg),
        },
        "wide sum of 100,000 products": {
            "micrograd": wide_sum(mg, sum),
            "scalargrad, builtin sum (chain of +)": wide_sum(sg, sum),
            "scalargrad, scalargrad.sum (one node)": wide_sum(sg, scalargrad.sum),
        },
    }
    print(f"median of {args.repeats} interleaved samples, gc.collect() untimed before each\n")
    print(f"{'workload / engine':<48} {'median ms':>10} {'vs micrograd':>13}")
    for workload, contenders in workloads.items():
        medians = measure(contenders, args.repeats)
        print(workload)
        for name, seconds in medians.items():
            ratio = medians["micrograd"] / seconds
            print(f"  {name:<46} {seconds * 1e3:>10.1f} {ratio:>12.2f}x")
    print("\ngradients of gradients: the moons loss (dot graph), 337 parameters")
    medians = second_order(args.repeats)
    first = medians["grad(loss, params)"]
    for name, seconds in medians.items():
        print(f"  {name:<46} {seconds * 1e3:>10.1f} {seconds / first:>12.2f}x first order")
    print("\nmemory held by a live 100,000-deep chain, per op (tracemalloc)")
    held = {"micrograd": chain_memory(mg), "scalargrad": chain_memory(sg)}
    for name, per_op in held.items():
        print(f"  {name:<46} {per_op:>8.0f} B {held['micrograd'] / per_op:>12.2f}x less")


if __name__ == "__main__":
    main()

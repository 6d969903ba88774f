"""Batched replay: how a training step's time grows with the batch and the network, and where it goes.

Run: ``python benchmarks/bench_batched.py [--repeats N]``. The step is the moons
one of ``bench_engine.py`` (hinge loss + L2, forward + backward + SGD) with the
graph of one point replayed over the batch (``compile(loss, batch=[x0, x1, y])``):

- batch sizes from 10 to 10,000 points at ``MLP(2, [16, 16, 1])``;
- hidden widths 8 to 64 at 100 points;
- and, for the 100-point, 16-wide step, the time in the forward pass, the
  backward pass, and the rest (the SGD update and zeroing gradients in Python).

Times are medians of interleaved samples in one process; eager scalargrad on the
same step is timed alongside, for the ratio.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from bench_engine import mlp_dot, moons_loss

import scalargrad
from scalargrad import Value

L2 = 1e-4
LEARNING_RATE = 0.01


def points(n: int, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        xs.append([math.cos(t), math.sin(t)] if i % 2 else [1.0 - math.cos(t), 0.5 - math.sin(t)])
        ys.append(1.0 if i % 2 else -1.0)
    return xs, ys


def layers(width: int, seed: int = 1) -> list[list[tuple[list[Value], Value]]]:
    rng = random.Random(seed)
    sizes = (2, width, width, 1)
    return [
        [([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(0.0)) for _ in range(nout)]
        for nin, nout in itertools.pairwise(sizes)
    ]


class Batched:
    """The batched step, with its forward and backward passes timed separately."""

    def __init__(self, n: int, width: int) -> None:
        self.layers = layers(width)
        self.params = [p for layer in self.layers for ws, b in layer for p in [*ws, b]]
        x0, x1, y = Value(0.0, "x0"), Value(0.0, "x1"), Value(0.0, "y")
        loss = (1 + -y * mlp_dot(self.layers, [x0, x1])).relu() + L2 * scalargrad.sum(p * p for p in self.params)
        self.tape = scalargrad.compile(loss, batch=[x0, x1, y])
        xs, ys = points(n)
        self.columns = [np.array([x[0] for x in xs]), np.array([x[1] for x in xs]), np.array(ys)]
        self.parts: dict[str, list[float]] = {"forward": [], "backward": [], "update": []}

    def step(self) -> None:
        t0 = time.perf_counter()
        self.tape.forward(self.columns)
        t1 = time.perf_counter()
        for p in self.params:
            p.grad = 0.0
        t2 = time.perf_counter()
        self.tape.backward()
        t3 = time.perf_counter()
        for p in self.params:
            p.data -= LEARNING_RATE * p.grad
        t4 = time.perf_counter()
        self.parts["forward"].append(t1 - t0)
        self.parts["backward"].append(t3 - t2)
        self.parts["update"].append((t2 - t1) + (t4 - t3))


def eager(n: int, width: int) -> Callable[[], None]:
    net = layers(width)
    params = [p for layer in net for ws, b in layer for p in [*ws, b]]
    xs, ys = points(n)

    def step() -> None:
        for p in params:
            p.grad = 0.0
        moons_loss(xs, ys, net, params, mlp_dot, scalargrad.sum).backward()
        for p in params:
            p.data -= LEARNING_RATE * p.grad

    return step


def median_ms(fn: Callable[[], Any], repeats: int) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    print("batch size, MLP(2,[16,16,1])           batched ms   per point us   eager ms   eager/batched")
    for n in (10, 100, 1_000, 10_000):
        batched = Batched(n, 16)
        b = median_ms(batched.step, args.repeats)
        e = median_ms(eager(n, 16), max(3, args.repeats // 5)) if n <= 1_000 else math.nan
        print(f"  {n:>6} points {'':<23} {b:>10.2f} {b * 1e3 / n:>14.1f} {e:>10.1f} {e / b:>14.1f}x")
    print("\nhidden width, 100 points           ops per example   batched ms   eager ms   eager/batched")
    for width in (8, 16, 32, 64):
        batched = Batched(100, width)
        b = median_ms(batched.step, args.repeats)
        e = median_ms(eager(100, width), max(3, args.repeats // 5))
        print(f"  {width:>6} wide {len(batched.tape):>32} {b:>12.2f} {e:>10.1f} {e / b:>14.1f}x")
    batched = Batched(100, 16)
    for _ in range(args.repeats):
        batched.step()
    print("\nwhere a 100-point, 16-wide step goes (median ms)")
    for part, samples in batched.parts.items():
        print(f"  {part:<10} {statistics.median(samples) * 1e3:>8.3f}")


if __name__ == "__main__":
    main()

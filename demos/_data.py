"""Small data sets the demos generate themselves, from a seed and plain Python."""

from __future__ import annotations

import math
import random


def linspace(start: float, stop: float, n: int) -> list[float]:
    """``n`` evenly spaced numbers from ``start`` to ``stop``, both included."""
    if n == 1:
        return [start]
    step = (stop - start) / (n - 1)
    return [start + i * step for i in range(n)]


def make_moons(n: int, noise: float, rng: random.Random) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles in the plane, the data of micrograd's demo.

    The upper moon is the arc ``(cos t, sin t)`` for ``t`` in ``[0, pi]``,
    labelled -1; the lower moon, shifted right and down by ``(1, 0.5)`` and
    turned over, is ``(1 - cos t, 0.5 - sin t)``, labelled +1. Each point gets
    Gaussian noise of standard deviation ``noise`` in both coordinates, and the
    points come shuffled. Labels are -1/+1 because the hinge loss wants them so.
    """
    if n < 2:
        raise ValueError(f"make_moons() needs at least 2 points, got {n}")
    if noise < 0:
        raise ValueError(f"make_moons() needs noise >= 0, got {noise}")
    n_upper = n // 2
    points = [([math.cos(t), math.sin(t)], -1) for t in linspace(0.0, math.pi, n_upper)]
    points += [([1.0 - math.cos(t), 0.5 - math.sin(t)], 1) for t in linspace(0.0, math.pi, n - n_upper)]
    rng.shuffle(points)
    xs = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for (x, y), _ in points]
    return xs, [label for _, label in points]


def make_sine(
    n: int, noise: float, rng: random.Random, low: float = -math.pi, high: float = math.pi
) -> tuple[list[float], list[float]]:
    """``n`` points ``x`` drawn uniformly from ``[low, high]`` with ``y = sin(x)`` plus Gaussian noise."""
    if n < 1:
        raise ValueError(f"make_sine() needs at least 1 point, got {n}")
    if noise < 0:
        raise ValueError(f"make_sine() needs noise >= 0, got {noise}")
    xs = sorted(rng.uniform(low, high) for _ in range(n))
    return xs, [math.sin(x) + rng.gauss(0.0, noise) for x in xs]

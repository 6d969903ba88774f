"""One question asked of numbers from outside (a file, a page, a message): is this a finite real number?"""

from __future__ import annotations

import math
import numbers


def finite(x: object) -> float | None:
    """``x`` as a float if it is a finite real number (not a bool), else None; a 400-digit int is None too."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return None
    try:
        number = float(x)
    except OverflowError:  # an int beyond a float's range
        return None
    return number if math.isfinite(number) else None

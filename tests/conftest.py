"""Shared Hypothesis settings.

Profiles: ``ci`` (the default: few examples, so the suite stays fast on a shared
two-core machine) and ``thorough`` for a deeper local run::

    HYPOTHESIS_PROFILE=thorough .venv/bin/pytest tests/test_gradients.py

No example database: nothing is written into the repository, and a run is
reproducible from the seed Hypothesis prints on failure.
"""

from __future__ import annotations

import os

from hypothesis import settings

# deadline=None: sympy's first differentiation of a tree, and a garbage collection
# landing inside one example, make single examples slow without anything being wrong.
settings.register_profile("ci", max_examples=60, deadline=None, database=None, print_blob=True)
settings.register_profile("thorough", max_examples=2000, deadline=None, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

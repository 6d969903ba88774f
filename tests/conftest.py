"""Shared Hypothesis settings, and no silent skips in CI.

Profiles: ``ci`` (the default: few examples, so the suite stays fast on a shared
two-core machine) and ``thorough`` for a deeper local run::

    HYPOTHESIS_PROFILE=thorough .venv/bin/pytest tests/test_gradients.py

No example database: nothing is written into the repository, and a run is
reproducible from the seed Hypothesis prints on failure.

Skips. On a developer's machine a test whose oracle or tool is missing (torch,
sympy, micrograd, Graphviz, a browser) is skipped, with the reason in the
summary. In CI (``CI`` set to anything but ``""``, ``0`` or ``false``) every
oracle must be there, so a skip fails the run instead, naming what was
missing: a check that silently did not run would read as a check that passed.
Expected failures (``xfail``) are not skips and are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import settings

# deadline=None: sympy's first differentiation of a tree, and a garbage collection
# landing inside one example, make single examples slow without anything being wrong.
settings.register_profile("ci", max_examples=60, deadline=None, database=None, print_blob=True)
settings.register_profile("thorough", max_examples=2000, deadline=None, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def in_ci() -> bool:
    """Whether this run is CI's, where nothing may be skipped."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def _skip_reason(longrepr: Any) -> str:
    """The message of a skip report: ``(path, line, "Skipped: why")`` or already text."""
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return text.removeprefix("Skipped: ")


def _fail_instead(report: pytest.CollectReport | pytest.TestReport) -> None:
    reason = _skip_reason(report.longrepr)
    report.outcome = "failed"
    report.longrepr = (
        f"skipped in CI, which counts as a failure: {reason}\n"
        "In CI every oracle and tool a test checks against must be installed (.ci/run installs them: "
        "'.[dev,demos,render]', torch, Graphviz, Chromium), so that no check is silently left out."
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        _fail_instead(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    """A whole module skipped while it is imported (``pytest.skip(allow_module_level=True)``) fails in CI too."""
    report = yield
    if in_ci() and report.skipped:
        _fail_instead(report)
    return report

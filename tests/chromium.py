"""Debian's Chromium driven by Playwright: the one way the tests open a page in a real browser.

Used by the step-through pages' tests, the live views' tests and the
JupyterLab widget test. Outside CI a missing browser (or Graphviz, which
every page here needs) skips; in CI it fails, as tests/conftest.py makes
every skip.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def unavailable() -> str | None:
    """Why a browser test cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (Debian package `chromium`)"
    if shutil.which("dot") is None:
        return "Graphviz `dot` is not installed"
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched headless Chromium (a Playwright ``Browser``), or a skip saying what is missing."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)  # in CI, tests/conftest.py turns this into a failure
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

"""The CI rule of tests/conftest.py: a skip fails the run in CI, names what was missing, and leaves xfail alone.

Run on a throwaway suite with `pytester`, once as a developer's machine runs
it and once as CI does (the oracle here is pytest's own outcome count).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

SUITE = """
import pytest

def test_needs_a_missing_oracle():
    pytest.importorskip("no_such_oracle_here")

@pytest.mark.skipif(True, reason="Graphviz `dot` is not installed")
def test_marked():
    pass

@pytest.mark.xfail(strict=True, reason="a known bug")
def test_known_bug():
    assert False

def test_passes():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(Path(__file__).with_name("conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_suite=SUITE)
    return pytester


@pytest.mark.parametrize("ci", ["", "0", "false"])
def test_off_ci_a_missing_oracle_is_a_skip(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    result = suite.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_in_ci_a_skip_fails_and_names_the_missing_oracle(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=1, errors=1, xfailed=1)  # a skipif marker fails at setup: an error
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*skipped in CI*could not import 'no_such_oracle_here'*"])
    result.stdout.fnmatch_lines(["*skipped in CI*Graphviz `dot` is not installed*"])


def test_in_ci_a_module_skipped_on_import_fails_the_run(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makepyfile(test_module='import pytest\npytest.importorskip("missing_oracle_module")\n')
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("test_module.py")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*skipped in CI*could not import 'missing_oracle_module'*"])

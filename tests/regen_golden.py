"""Rewrite the reviewed DOT files in tests/expected/ from the current drawing code. Run by hand, never by CI.

After a deliberate change to how diagrams are drawn::

    .venv/bin/python tests/regen_golden.py      # rewrites tests/expected/*.dot, lists what changed
    git diff tests/expected/                    # review every change; render the changed ones

It runs tests/test_viz.py with its ``check_expected`` replaced by a writer, so
each file is exactly the DOT text that test compares with, and a golden test
added there later is covered without a change here. The tests themselves only
compare: no environment variable or option of a test run can rewrite an
expectation and so make its own test pass.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


class Writer:
    """A pytest plugin: in every collected module that has ``check_expected``, it writes instead of comparing."""

    def __init__(self) -> None:
        self.changed: list[str] = []
        self.unchanged: list[str] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            module = getattr(item, "module", None)
            if module is not None and hasattr(module, "check_expected"):
                expected: Path = module.EXPECTED
                module.check_expected = lambda name, source, folder=expected: self.write(folder, name, source)

    def write(self, folder: Path, name: str, source: str) -> None:
        path = folder / f"{name}.dot"
        if path.exists() and path.read_text(encoding="utf-8") == source:
            self.unchanged.append(name)
            return
        folder.mkdir(exist_ok=True)
        path.write_text(source, encoding="utf-8")
        self.changed.append(name)


def main(argv: list[str]) -> int:
    writer = Writer()
    code = pytest.main([str(HERE / "test_viz.py"), "-q", "-p", "no:cacheprovider", *argv], plugins=[writer])
    print(f"tests/expected: {len(writer.changed)} rewritten, {len(writer.unchanged)} unchanged")
    for name in writer.changed:
        print(f"  rewritten: {name}.dot (review: git diff tests/expected/{name}.dot)")
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

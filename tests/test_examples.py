"""scalargrad.examples and the README example run as written.

The seeds' numbers for each example graph are asserted once, in test_seeds.py, which
builds its graphs from `scalargrad.examples`.
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
from pathlib import Path

import pytest

from scalargrad import Value, examples


def test_module_docstring_example_runs_as_written() -> None:
    failures, tried = doctest.testmod(examples)
    assert tried >= 4
    assert failures == 0


def test_readme_example_prints_seed003_numbers_and_writes_only_its_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    code = readme.split("## In ten lines", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) <= 10
    monkeypatch.chdir(tmp_path)
    if shutil.which("dot") is None and not os.environ.get("CI"):
        code = code.replace('save(e, "e.svg")', "")  # no renderer on this machine; CI has one
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out.split()[:3] == ["6.0", "2.0", "5.0"]
    assert sorted(p.name for p in tmp_path.iterdir()) == (["e.svg"] if "e.svg" in code else [])


def test_the_course_checker_says_right_wrong_and_missing(capsys: pytest.CaptureFixture[str]) -> None:
    check = examples.checker("ja")
    check(..., 3)
    check(Value(2.2000000000000002), 2.2)
    check([702, 2.16], [702, 2.16])
    check([702, 2.15], [702, 2.16])
    check("702", 702)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "... のところに答えを書いてください。",
        "正解です！",
        "正解です！",
        "残念、[702, 2.15] ではありません。もう一度考えてみましょう。",
        "残念、702 ではありません。もう一度考えてみましょう。",
    ]


def test_the_course_checker_takes_numpy_answers(capsys: pytest.CaptureFixture[str]) -> None:
    np = pytest.importorskip("numpy")  # a learner's answer may well be NumPy's (lessons 8 and 11 found it so)
    check = examples.checker("en")
    check(np.int64(10), 10)
    check(np.float32(0.25), 0.25)
    check(np.array([1.0, 2.0, 3.0]), [1, 2, 3])
    check((Value(1.0), 2), [1, 2])
    check(np.array([1.0, 2.5]), [1, 2])
    check(True, 1)
    assert capsys.readouterr().out.splitlines() == [
        "Correct!",
        "Correct!",
        "Correct!",
        "Correct!",
        "Not yet: [1.  2.5] is not the answer.",
        "Not yet: True is not the answer.",
    ]
    with pytest.raises(ValueError, match="checker"):
        examples.checker("de")


def test_the_japanese_readme_mirrors_the_readme() -> None:
    """README.ja.md: the same sections, commands and links as README.md, and no sentence broken across lines."""
    root = Path(__file__).resolve().parent.parent
    english = (root / "README.md").read_text(encoding="utf-8")
    japanese = (root / "README.ja.md").read_text(encoding="utf-8")

    def commands(text: str) -> list[str]:
        """The shell blocks, their comments aside (those are in the page's language)."""
        shell = [block for i, block in enumerate(text.split("```")) if i % 2 == 1 and block.startswith("bash")]
        return [re.sub(r"\s+#.*", "", block) for block in shell]

    assert commands(english) == commands(japanese)
    assert english.count("\n## ") == japanese.count("\n## ")
    assert set(re.findall(r"\]\((docs/[^)]+)\)", english)) == set(re.findall(r"\]\((docs/[^)]+)\)", japanese))
    prose = re.sub(r"```.*?```", "", japanese, flags=re.S)
    assert not re.search(r"[\u3001-\u30ff\u4e00-\u9fff）。]\n[\u3001-\u30ff\u4e00-\u9fff（]", prose)

"""The course (docs/course): notebooks up to date with their sources, both languages, executed for real.

Each lesson's notebooks are executed top to bottom in a fresh kernel here, and
the numbers of the seed's worked example (as the seed writes them) must appear
in what they print and draw: the oracle is the seed document. An exercise's
solution cell must say its answer is right.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import nbformat
import pytest

COURSE = Path(__file__).resolve().parent.parent / "docs" / "course"
sys.path.insert(0, str(COURSE))

import build  # noqa: E402 - docs/course is on the path now
from course import INTRO, LANGUAGES, Lesson, Text, lessons  # noqa: E402

LESSONS = lessons()
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
VERDICTS = {"en": "Correct!", "ja": "正解です！"}


def test_the_course_has_its_lessons_numbered_in_order() -> None:
    assert [lesson.number for lesson in LESSONS] == list(range(1, len(LESSONS) + 1))
    assert len({lesson.name for lesson in LESSONS}) == len(LESSONS)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.filename)
def test_the_notebooks_on_disk_are_the_ones_the_source_gives(lesson: Lesson) -> None:
    assert build.stale(lesson) == [], "run: python docs/course/build.py --only {lesson.number}"


def test_the_course_front_pages_list_every_lesson() -> None:
    assert build.stale_indexes() == [], "run: python docs/course/build.py"
    written_in_both_languages(INTRO)


def written_in_both_languages(text: Text) -> None:
    assert text.en.strip() and text.ja.strip()
    assert JAPANESE.search(text.ja), f"not Japanese: {text.ja[:60]!r}"
    # Markdown turns a line break inside a paragraph into a space: in Japanese, a stray one.
    broken = re.search(r"[\u3001-\u30ff\u4e00-\u9fff\uff01-\uff5e]\n[^\n\-*>#\d]", text.ja)
    where = text.ja[broken.start() - 20 : broken.end() + 20] if broken else ""
    assert not broken, f"a Japanese sentence broken across lines: {where!r}"
    assert not JAPANESE.search(text.en), f"Japanese in the English text: {text.en[:60]!r}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.filename)
def test_every_explanation_is_written_in_both_languages(lesson: Lesson) -> None:
    for text in [lesson.title, *(cell for cell in lesson.cells if isinstance(cell, Text))]:
        written_in_both_languages(text)


def outputs(book: nbformat.NotebookNode) -> str:
    """Everything the executed notebook printed or showed, as text (SVG included, its entities decoded)."""
    parts = []
    for cell in book.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                parts.extend(html.unescape(str(v)) for v in output.data.values())  # Graphviz writes - as &#45;
            elif output.output_type == "error":
                parts.append(f"{output.ename}: {output.evalue}")
    return "\n".join(parts)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.filename)
def test_the_lesson_runs_and_shows_the_seeds_numbers(lesson: Lesson, lang: str) -> None:
    from course import notebook

    book = build.execute(notebook(lesson, lang))  # raises if a cell fails
    shown = outputs(book)
    missing = [n for n in lesson.expect if not re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", shown)]
    assert not missing, f"the seed's numbers {missing} do not appear in {lesson.filename} ({lang})"
    verdicts = shown.count(VERDICTS[lang])
    # An exercise is a cell `answer = ...` checked, then its solution checked: half the checks of answers.
    exercises = sum("check(answer" in cell.source for cell in book.cells if cell.cell_type == "code")
    assert verdicts >= exercises // 2 and verdicts >= 1, "an exercise's solution is not checked right"

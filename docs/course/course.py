"""The course's source format, and how the notebooks are made from it.

A lesson is written once, in ``lessons/NN_name.py``, as a `Lesson`: its cells
in order, each explanation (`Text`) in English and Japanese side by side, each
code cell (`Code`) once, for both languages. `build` writes the two notebooks
``en/NN-name.ipynb`` and ``ja/NN-name.ipynb`` from it, so their code, names and
numbers cannot drift apart. The only thing a code cell may know about the
language is ``LANG`` (``"en"`` or ``"ja"``), set by the first cell, for the
diagrams' and pages' own text (``animate_backward(..., lang=LANG)``).

Every notebook starts with the same set-up cell: ``LANG``, and `check`
(`scalargrad.examples.checker`), which tells a learner whether an exercise's answer is right.

Run ``python docs/course/build.py`` to write the notebooks and execute them
(their outputs are what the docs site shows); ``--check`` only verifies that
the notebooks on disk are the ones the sources give.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import nbformat

HERE = Path(__file__).resolve().parent
LANGUAGES: tuple[Literal["en", "ja"], ...] = ("en", "ja")


@dataclass(frozen=True)
class Text:
    """An explanation, in both languages (Markdown; the Japanese written as a Japanese teacher writes it)."""

    en: str
    ja: str


@dataclass(frozen=True)
class Code:
    """A code cell, the same in both notebooks."""

    source: str


@dataclass(frozen=True)
class Lesson:
    """One lesson: its number, file name, title, the seed it teaches from, and its cells.

    ``expect`` are numbers from the seed's worked example (as the seed writes
    them: "220", "2.2") that must appear in the executed notebook's outputs:
    the lesson reproduces the seed, and a test holds it to that.
    """

    number: int
    name: str
    title: Text
    seed: str
    cells: tuple[Text | Code, ...]
    expect: tuple[str, ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.number:02d}-{self.name}.ipynb"


#: The first code cell of every notebook, after ``LANG = "..."``.
SETUP = """\
import math

import scalargrad
from scalargrad import Value

check = scalargrad.examples.checker(LANG)  # check(answer, expected): says whether an exercise's answer is right"""


#: The course's front page in each language; build.py adds the list of lessons.
INTRO = Text(
    en="""# The course

Backpropagation, taught through the worked examples of the seed documents: five Japanese lecture notes
(CS231n's backpropagation notes in translation, a university lecture, the formal algorithm, a
computational-graph primer after colah, and chapter 5 of *Deep Learning from Scratch*). Each lesson
builds the seed's example with scalargrad, checks it against the seed's own numbers, draws it, and ends
with an exercise whose answer the notebook checks. The same lessons are [in Japanese](ja/index.md).

Run a lesson yourself, from a clone of the repository: `python3 -m venv .venv && .venv/bin/pip install -e
'.[demos]' jupyterlab`, then `.venv/bin/jupyter lab docs/course/en` (the `scalargrad` on PyPI is another
project). The pages here show each notebook as it ran.
""",
    ja="""# 講座

誤差逆伝播法を、5つの講義資料（CS231n の誤差逆伝播法のノートの翻訳、大学の講義、アルゴリズムのまとめ、colah にならった計算グラフの入門、『ゼロから作る Deep Learning』5章）の例題にそって学びます。各回では資料の例題を scalargrad で組み立て、資料の数値と一致することを確かめ、計算グラフを描き、最後に答え合わせのできる練習問題に取り組みます。同じ内容の[英語版](../index.md)もあります。

自分で動かすには、リポジトリを clone したフォルダで `python3 -m venv .venv && .venv/bin/pip install -e '.[demos]' jupyterlab` としてから、`.venv/bin/jupyter lab docs/course/ja` でノートブックを開いてください（PyPI にある `scalargrad` は別のプロジェクトです）。このサイトには、各ノートブックを実行した結果を載せています。
""",
)


def index_page(lang: Literal["en", "ja"], all_lessons: list[Lesson]) -> tuple[Path, str]:
    """The course's front page in ``lang``: the introduction and a link to every lesson."""
    folder = "en/" if lang == "en" else ""
    links = "".join(
        f"{lesson.number}. [{getattr(lesson.title, lang)}]({folder}{lesson.filename})\n" for lesson in all_lessons
    )
    path = HERE / "index.md" if lang == "en" else HERE / "ja" / "index.md"
    return path, f"{getattr(INTRO, lang)}\n{links}"


def lessons() -> list[Lesson]:
    """Every lesson in ``lessons/``, in order."""
    import lessons as package  # docs/course/lessons, with docs/course on sys.path

    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"lessons.{info.name}")
        found.append(module.LESSON)
    return found


def notebook(lesson: Lesson, lang: Literal["en", "ja"]) -> nbformat.NotebookNode:
    """The lesson's notebook in ``lang``, without outputs."""
    setup = nbformat.v4.new_code_cell(f'LANG = "{lang}"\n\n{SETUP}')
    setup.metadata["tags"] = ["setup"]  # the docs site shows its output only (mkdocs.yml)
    cells = [nbformat.v4.new_markdown_cell(f"# {lesson.number}. {getattr(lesson.title, lang)}"), setup]
    for cell in lesson.cells:
        if isinstance(cell, Text):
            cells.append(nbformat.v4.new_markdown_cell(getattr(cell, lang).strip("\n")))
        else:
            cells.append(nbformat.v4.new_code_cell(cell.source.strip("\n")))
    book = nbformat.v4.new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.metadata["language_info"] = {"name": "python"}
    # Stable ids: a rebuild changes a cell's id only if its position does.
    for i, cell in enumerate(book.cells):
        cell.id = f"{lang}-{lesson.number:02d}-{i:02d}"
    return book


def sources(book: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(type, source) of every cell: what the sources fix, outputs aside."""
    return [(cell.cell_type, cell.source) for cell in book.cells]

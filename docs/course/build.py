"""Write the course's notebooks from ``lessons/`` and execute them: ``python docs/course/build.py``.

Options: ``--only 03`` builds one lesson; ``--check`` writes nothing and exits
with status 1 if a notebook on disk is not the one its source gives (cell for
cell; outputs aside). Executing runs each notebook top to bottom in a fresh
kernel in a scratch folder, so a lesson that writes a file leaves nothing here.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import nbclient
import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

from course import HERE, LANGUAGES, Lesson, index_page, lessons, notebook, sources


def execute(book: nbformat.NotebookNode, timeout: int = 600) -> nbformat.NotebookNode:
    """Run ``book`` top to bottom in a new kernel; a cell that raises stops it with the error."""
    with tempfile.TemporaryDirectory() as scratch:
        # No timestamps: a rebuild that changes nothing leaves the notebooks as they were.
        client = nbclient.NotebookClient(
            book,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": scratch}},
        )
        client.execute()
    return book


def build(lesson: Lesson, *, run: bool = True) -> list[Path]:
    written = []
    for lang in LANGUAGES:
        book = notebook(lesson, lang)
        if run:
            execute(book)
        path = HERE / lang / lesson.filename
        path.parent.mkdir(exist_ok=True)
        nbformat.write(book, path)
        written.append(path)
    return written


def stale(lesson: Lesson) -> list[Path]:
    """The lesson's notebooks whose cells differ from what the source gives (or that are missing)."""
    found = []
    for lang in LANGUAGES:
        path = HERE / lang / lesson.filename
        if not path.exists() or sources(nbformat.read(path, as_version=4)) != sources(notebook(lesson, lang)):
            found.append(path)
    return found


def stale_indexes() -> list[Path]:
    """The course's front pages that differ from what the lessons give."""
    everything = lessons()
    return [path for path, text in map(lambda lang: index_page(lang, everything), LANGUAGES) if _read(path) != text]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="the lesson number to build, e.g. 03")
    parser.add_argument("--check", action="store_true", help="only check that the notebooks match the sources")
    parser.add_argument("--no-execute", action="store_true", help="write the notebooks without running them")
    args = parser.parse_args(argv)
    chosen = [lesson for lesson in lessons() if args.only is None or lesson.number == int(args.only)]
    if args.check:
        out_of_date = [path for lesson in chosen for path in stale(lesson)] + stale_indexes()
        for path in out_of_date:
            print(f"out of date: {path.relative_to(HERE)} (run python docs/course/build.py)", file=sys.stderr)
        return 1 if out_of_date else 0
    for lesson in chosen:
        for path in build(lesson, run=not args.no_execute):
            print(f"wrote {path.relative_to(HERE)}")
    for lang in LANGUAGES:
        path, text = index_page(lang, lessons())
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

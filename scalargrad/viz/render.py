"""Rendering a diagram: finding a renderer, turning DOT text into SVG, PNG or PDF, saving, Jupyter display.

`render` uses Graphviz's ``dot`` program when it is on PATH, else pygraphviz
in-process (``pip install scalargrad[render]``: its wheels bundle Graphviz),
else raises `GraphvizNotFound` with install hints; a notebook then shows the
DOT text and the hints instead of a traceback. Everything happens in memory,
and `save` writes the file atomically.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz  # type: ignore[import-untyped]

from scalargrad.engine import Value
from scalargrad.files import atomic_write_bytes

FORMATS = ("svg", "png", "pdf", "dot")
#: Graphviz's PNG resolution when none is asked for: 96 pixels per inch.
DEFAULT_DPI = 96

INSTALL_HINT = """\
Drawing needs Graphviz: either its `dot` program on PATH, or the pygraphviz package.
Install one of them:
  pip install "scalargrad[render]"          pygraphviz; its wheels bundle Graphviz, nothing else needed
  Debian/Ubuntu:  sudo apt install graphviz
  macOS:          brew install graphviz
  Windows:        winget install graphviz   (then open a new terminal so PATH includes Graphviz)
  conda:          conda install -c conda-forge graphviz
`scalargrad doctor` shows which renderer works. Without one, DOT text still saves: save(root, "graph.dot")."""


class GraphvizNotFound(RuntimeError):  # noqa: N818 - named like graphviz.ExecutableNotFound
    """Neither Graphviz's ``dot`` program nor pygraphviz is available to render a diagram."""

    def __init__(self, message: str = INSTALL_HINT) -> None:
        super().__init__(message)


# ---------------------------------------------------------------------------
# The diagram object: a graphviz.Digraph that displays itself with a fallback.
# ---------------------------------------------------------------------------


class Diagram(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no type information
    """A `graphviz.Digraph` that renders in Jupyter through `render`'s fallbacks.

    A notebook shows it as SVG; with no renderer installed it shows the DOT
    text and the install hints instead of a traceback. ``dpi`` is the PNG
    resolution `render` and `save` use for it when not told otherwise.
    """

    dpi: float | None = None

    def __repr__(self) -> str:
        # Stable text (no memory address): what a notebook stores beside the picture.
        return f"<scalargrad diagram: {self.source.count(chr(10))} lines of DOT>"

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **_: Any
    ) -> dict[str, str]:
        try:
            bundle = {"image/svg+xml": render(self, "svg").decode("utf-8")}
        except GraphvizNotFound as missing:
            return Unrendered(self.source, str(missing))._repr_mimebundle_(include, exclude)
        return _select(bundle, include, exclude)

    def _repr_svg_(self) -> str | None:
        # Notebooks ask every _repr_*_ method; None (not an exception) means "not available".
        try:
            return render(self, "svg").decode("utf-8")
        except GraphvizNotFound:
            return None


class Unrendered:
    """What a notebook shows when nothing can render: the DOT text and how to get pictures."""

    def __init__(self, source: str, hint: str = INSTALL_HINT) -> None:
        self.source = source
        self.hint = hint

    def _repr_html_(self) -> str:
        return (
            '<div class="scalargrad-unrendered"><p><b>No Graphviz renderer found</b>: showing the DOT text.</p>'
            f"<pre>{html.escape(self.hint)}</pre><details><summary>DOT source</summary>"
            f"<pre>{html.escape(self.source)}</pre></details></div>"
        )

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None, **_: Any
    ) -> dict[str, str]:
        return _select({"text/html": self._repr_html_(), "text/plain": repr(self)}, include, exclude)

    def __repr__(self) -> str:
        return f"{self.hint}\n\n{self.source}"


def _select(bundle: dict[str, str], include: Iterable[str] | None, exclude: Iterable[str] | None) -> dict[str, str]:
    keep = set(bundle) if include is None else set(include)
    keep -= set(exclude or ())
    return {mime: data for mime, data in bundle.items() if mime in keep}


# ---------------------------------------------------------------------------
# Rendering and saving.
# ---------------------------------------------------------------------------


def render(graph: graphviz.Digraph | str, format: str = "svg", *, dpi: float | None = None) -> bytes:
    """The diagram (a Digraph or DOT text) rendered as ``format``: svg, png, pdf or dot.

    ``dpi`` sets a PNG's resolution: Graphviz draws 96 pixels per inch by
    default, so ``dpi=192`` gives twice the pixels in each direction, for
    slides and high-density screens. SVG and PDF are vector formats, the same
    at any size, and ignore it. Tries Graphviz's ``dot`` program, then
    pygraphviz; raises `GraphvizNotFound` when neither is there. Everything
    happens in memory: no files are written.
    """
    if format not in FORMATS:
        raise ValueError(f"render(): unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    source = graph if isinstance(graph, str) else graph.source
    if dpi is None:
        dpi = getattr(graph, "dpi", None)  # what draw_dot(dpi=...) asked for
    if dpi is not None:
        check_dpi(dpi, "render")
        if format == "png":
            source = _with_graph_attribute(source, f"dpi={float(dpi):g}")
    if format == "dot":
        return source.encode("utf-8")
    try:
        data: bytes = graphviz.pipe("dot", format, source.encode("utf-8"), quiet=True)
        return data
    except graphviz.ExecutableNotFound:
        pass
    try:
        import pygraphviz  # type: ignore[import-untyped]  # optional: only needed when dot is missing
    except ImportError:
        raise GraphvizNotFound() from None
    data = pygraphviz.AGraph(string=source).draw(format=format, prog="dot")
    return data


def check_dpi(dpi: object, who: str) -> float:
    """``dpi`` as a float, or ValueError: a resolution between 10 and 2400 pixels per inch."""
    if isinstance(dpi, bool) or not isinstance(dpi, int | float) or not 10 <= dpi <= 2400:
        raise ValueError(f"{who}(dpi={dpi!r}): give a resolution between 10 and 2400 pixels per inch (default 96)")
    return float(dpi)


# The opening of a DOT graph: `strict`, `digraph` or `graph`, an optional (possibly quoted) name, and `{`.
_OPENING = re.compile(r'^\s*(?:strict\s+)?(?:di)?graph\s*(?:"(?:[^"\\]|\\.)*"|[^\s{]*)\s*\{', re.IGNORECASE)


def _with_graph_attribute(source: str, attribute: str) -> str:
    """DOT text with a graph attribute set first in its body (as ``dot -G`` would set it)."""
    opening = _OPENING.match(source)
    if opening is None:
        raise ValueError("render(): the DOT text does not start with a graph or digraph")
    return f"{source[: opening.end()]}\n\t{attribute}{source[opening.end() :]}"


def save(
    root_or_graph: Value | graphviz.Digraph | str,
    path: str | os.PathLike[str],
    *,
    dpi: float | None = None,
    **options: Any,
) -> Path:
    """Draw (if given a Value) and write the diagram to ``path``; its suffix picks the format.

    ``.svg``, ``.png``, ``.pdf`` or ``.dot``; ``dpi`` is a PNG's resolution
    (`render`), and the other ``options`` go to `draw_dot` (``fontsize=14``,
    ``style="circuit"``, ...). The file is rendered in memory first and then
    written atomically, so a failure leaves neither a half-written file nor a
    stray intermediate one.
    """
    from scalargrad.viz.draw import draw_dot  # draw imports this module

    path = Path(path)
    fmt = format_for(path)
    if isinstance(root_or_graph, Value):
        graph: graphviz.Digraph | str = draw_dot(root_or_graph, **options)
    elif options:
        raise TypeError(f"save(): drawing options {sorted(options)} only apply when given a Value to draw")
    else:
        graph = root_or_graph
    atomic_write_bytes(path, render(graph, fmt, dpi=dpi))
    return path


def format_for(path: str | os.PathLike[str]) -> str:
    """The output format a file name asks for, from its suffix."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"cannot tell the diagram format from {os.fspath(path)!r}: use a .svg, .png, .pdf or .dot file name"
        )
    return fmt


@dataclass(frozen=True)
class RendererStatus:
    """Which renderers work here (what `scalargrad doctor` reports)."""

    dot: str | None  # `dot` version, e.g. "2.43.0", or None when it is not on PATH
    pygraphviz: str | None  # pygraphviz version when it imports and renders, else None
    pygraphviz_error: str | None = None

    @property
    def renderer(self) -> str | None:
        """What `render` will use: "dot", "pygraphviz" or None."""
        return "dot" if self.dot else "pygraphviz" if self.pygraphviz else None


def renderer_status() -> RendererStatus:
    """Probe the ``dot`` program and pygraphviz by actually running them on a tiny graph."""
    try:
        dot: str | None = ".".join(map(str, graphviz.version()))
    except (graphviz.ExecutableNotFound, RuntimeError, OSError):
        dot = None
    try:
        import pygraphviz

        pygraphviz.AGraph(string="digraph { a -> b }").draw(format="svg", prog="dot")
        return RendererStatus(dot, str(pygraphviz.__version__))
    except Exception as error:  # any failure means "does not work here"; say why
        return RendererStatus(dot, None, f"{type(error).__name__}: {error}")



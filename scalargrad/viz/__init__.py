"""Diagrams of computation graphs: every value, every gradient, every op between them.

`draw_dot` turns the graph under a `Value` into a Graphviz diagram, in one of two styles:

* ``style="nodes"`` (micrograd's picture): each Value is a box with its name,
  ``data`` in blue and ``grad`` in vermillion (words as well as colours); each
  op is a small circle between its inputs and its output.
* ``style="circuit"`` (the CS231n picture of seed 000): ops are gates, inputs
  are names lined up on the left, and each wire carries the value flowing
  forward above it and the gradient flowing back below it.

`animate_backward` and `animate_forward` write a page that steps through
backpropagation, or through forward-mode differentiation, on a graph laid out
once, in English or Japanese.

The package, file by file:

* `palette`: the colours (`DATA_COLOR`, `GRAD_COLOR`, ...) and fonts;
* `render`: finding a renderer, `render`, `save`, Jupyter display;
* `labels`: how numbers, names and ops are written (`Look`), HTML-like labels;
* `grouping`: boxes, and folding a network into neurons or layers;
* `styles`: the two styles;
* `draw`: `draw_dot`;
* `layout`: a graph laid out once, with a stable id on every number, for pages
  (and any live view) to update by id;
* `formulas`: each op's local derivative as a formula, for captions;
* `text`: every word the pages write, in English and Japanese;
* `frames`: what each step of either sweep shows;
* `pages`: the step-through pages, `animate_backward` and `animate_forward`.
"""

from scalargrad.viz.draw import COLLAPSES, RANKDIRS, STYLES, draw, draw_dot
from scalargrad.viz.labels import Look
from scalargrad.viz.layout import Layout
from scalargrad.viz.pages import animate_backward, animate_forward
from scalargrad.viz.palette import ACTIVE_FILL, DATA_COLOR, FONT, GRAD_COLOR, NOTE_COLOR, RECEIVING_FILL
from scalargrad.viz.render import (
    FORMATS,
    INSTALL_HINT,
    Diagram,
    GraphvizNotFound,
    RendererStatus,
    Unrendered,
    format_for,
    render,
    renderer_status,
    save,
)

__all__ = [
    "ACTIVE_FILL",
    "COLLAPSES",
    "DATA_COLOR",
    "FONT",
    "FORMATS",
    "GRAD_COLOR",
    "INSTALL_HINT",
    "NOTE_COLOR",
    "RANKDIRS",
    "RECEIVING_FILL",
    "STYLES",
    "Diagram",
    "GraphvizNotFound",
    "Layout",
    "Look",
    "RendererStatus",
    "Unrendered",
    "animate_backward",
    "animate_forward",
    "draw",
    "draw_dot",
    "format_for",
    "render",
    "renderer_status",
    "save",
]

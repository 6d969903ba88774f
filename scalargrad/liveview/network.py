"""An MLP drawn as columns of neurons joined by their weights, for the training dashboard to recolour in place.

Unlike a computation graph, a network's picture needs no layout engine: a
column per layer, the neurons evenly down it, a line per weight. It is drawn
once, as SVG with an id on everything that changes while training:

* ``nn-{l}-{j}-a`` and ``nn-{l}-{j}-g``: neuron ``j`` of column ``l``'s
  activation and gradient texts (column 0 is the inputs, column ``l`` is
  ``model.layers[l - 1]``);
* ``nn-w{l}-{j}-{i}``: the line of weight ``i`` of that neuron (from
  neuron ``i`` of the column before), whose colour and width the dashboard
  sets from the weight's sign and size. Biases have no line; they are in
  the activations.
"""

from __future__ import annotations

from html import escape

from scalargrad.nn import MLP

_GAP_X = 190
_GAP_Y = 46
_RADIUS = 17
_TOP = 40


def neuron_id(column: int, j: int) -> str:
    """The id stem of neuron ``j`` in ``column`` (0: the inputs)."""
    return f"nn-{column}-{j}"


def weight_id(column: int, j: int, i: int) -> str:
    """The id of the line carrying weight ``i`` of neuron ``j`` in ``column``."""
    return f"nn-w{column}-{j}-{i}"


def network_svg(model: MLP, inputs: list[str], inputs_word: str) -> tuple[str, list[str]]:
    """The SVG of ``model`` (inputs named ``inputs``), and its weights' line ids in `parameters` order."""
    sizes = [model.nin, *model.nouts]
    tallest = max(sizes)
    width = 2 * _GAP_X // 3 + _GAP_X * (len(sizes) - 1) + 60
    height = _TOP + tallest * _GAP_Y + 10

    def where(column: int, j: int) -> tuple[float, float]:
        offset = (tallest - sizes[column]) * _GAP_Y / 2
        return 50 + column * _GAP_X, _TOP + offset + j * _GAP_Y + _RADIUS

    lines, circles, edges = [], [], []
    for column, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons):
            x2, y2 = where(column, j)
            for i in range(len(neuron.w)):
                x1, y1 = where(column - 1, i)
                edge = weight_id(column, j, i)
                edges.append(edge)
                lines.append(
                    f'<line id="{edge}" class="sg-weight" x1="{x1 + _RADIUS:.1f}" y1="{y1:.1f}" '
                    f'x2="{x2 - _RADIUS:.1f}" y2="{y2:.1f}" stroke-width="1"/>'
                )
    names = [inputs_word, *(layer.name for layer in model.layers)]
    for column, size in enumerate(sizes):
        x, _ = where(column, 0)
        name = escape(names[column])
        circles.append(f'<text class="sg-layer-name" x="{x:.1f}" y="14" text-anchor="middle">{name}</text>')
        for j in range(size):
            cx, cy = where(column, j)
            stem = neuron_id(column, j)
            title = inputs[j] if column == 0 else f"{names[column]}.neuron{j}"
            circles.append(
                f'<g id="{stem}"><title>{escape(title)}</title>'
                f'<circle class="sg-neuron" cx="{cx:.1f}" cy="{cy:.1f}" r="{_RADIUS}"/>'
                f'<text id="{stem}-a" class="sg-activation" x="{cx:.1f}" y="{cy + 3.5:.1f}" '
                f'text-anchor="middle"></text>'
                f'<text id="{stem}-g" class="sg-neuron-grad" x="{cx:.1f}" y="{cy + _RADIUS + 10:.1f}" '
                f'text-anchor="middle"></text></g>'
            )
    body = "".join(lines + circles)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="Helvetica, Arial, sans-serif">{body}</svg>'
    )
    return svg, edges

"""Colours and fonts every diagram and page uses, chosen so that no reader depends on telling hues apart.

Values are dark blue and derivatives (gradients backward, tangents forward)
vermillion: the blue/orange pair of Okabe and Ito's palette, darkened until
both read as text on white. Measured with colorspacious (CAM02-UCS, full
severity simulations; ``tests/test_palette.py`` checks the thresholds):

=====================  ==========================================
ΔE normal vision       64
ΔE deuteranopia        59   (the old green/red pair: 9)
ΔE protanopia          51   (old: 15)
ΔE tritanopia          59
ΔL* in grayscale       16   (old: 1)
contrast on white      8.4 : 1 (data), 4.6 : 1 (grad); WCAG AA is 4.5
=====================  ==========================================

Colour is never the only cue: a box writes ``data`` and ``grad`` in words,
and a circuit wire has its value above it and its gradient below.
"""

from __future__ import annotations

#: Values flowing forward (dark blue).
DATA_COLOR = "#004C99"
#: Gradients flowing back, and tangents carried forward (vermillion).
GRAD_COLOR = "#C75000"
#: Small print: local partial derivatives on edges, node counts, constants.
NOTE_COLOR = "#57606a"
#: The node whose turn it is (step-through pages, ``highlight=``).
ACTIVE_FILL = "#ffe08a"
#: The nodes it sends to (backward) or reads from (forward).
RECEIVING_FILL = "#d6e8ff"
#: Font families in order of preference; Noto Sans CJK JP draws Japanese where the others lack it.
FONT = "Helvetica,Arial,Noto Sans CJK JP,sans-serif"
#: The same list for CSS, where multi-word names are quoted.
CSS_FONT = 'Helvetica, Arial, "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", sans-serif'
#: A network's weights by sign (the live training dashboard): Okabe and Ito's blue and vermillion.
POSITIVE_COLOR = "#0072B2"
NEGATIVE_COLOR = "#D55E00"
#: Classes in a decision-boundary plot: the dots (Okabe and Ito's), and the lighter regions around them.
CLASS_COLORS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
CLASS_FILLS = ("#f6d5c2", "#c6dbef", "#c2e8d8", "#f0d6e6", "#fae3b8", "#d4ebf9")

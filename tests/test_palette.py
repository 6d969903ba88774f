"""The diagram colours stay apart for readers with the common colour-vision deficiencies, and in grayscale.

Simulated with colorspacious (Machado et al. 2009, full severity) and
compared in CAM02-UCS, where a difference of about 1 is just noticeable.
The thresholds: ΔE of at least 40 under deuteranopia, protanopia and
tritanopia, a lightness difference of at least 12 L* in grayscale, and
contrast on white of at least 4.5 : 1 (WCAG AA for text). The old
green/red pair is checked to fail, so the test would have caught it.
"""

from __future__ import annotations

import pytest

from scalargrad.viz import DATA_COLOR, GRAD_COLOR

colorspacious = pytest.importorskip("colorspacious")
np = pytest.importorskip("numpy")

DEFICIENCIES = ("deuteranomaly", "protanomaly", "tritanomaly")
MIN_DELTA_E = 40.0
MIN_LIGHTNESS_GAP = 12.0
MIN_CONTRAST = 4.5


def rgb(color: str) -> object:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)]) / 255


def simulated(color: str, deficiency: str) -> object:
    space = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
    return np.clip(colorspacious.cspace_convert(rgb(color), space, "sRGB1"), 0, 1)


def delta_e(a: object, b: object) -> float:
    return float(colorspacious.deltaE(a, b, input_space="sRGB1", uniform_space="CAM02-UCS"))


def lightness(color: str) -> float:
    return float(colorspacious.cspace_convert(rgb(color), "sRGB1", "CIELab")[0])


def contrast_on_white(color: str) -> float:
    channels = rgb(color)
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ [0.2126, 0.7152, 0.0722])
    return 1.05 / (luminance + 0.05)


def worst(data: str, grad: str) -> tuple[float, float]:
    """The smallest simulated ΔE over the deficiencies, and the grayscale lightness gap."""
    smallest = min(delta_e(simulated(data, d), simulated(grad, d)) for d in DEFICIENCIES)
    return smallest, abs(lightness(data) - lightness(grad))


def test_value_and_gradient_colours_stay_apart_under_every_simulated_deficiency() -> None:
    smallest, gap = worst(DATA_COLOR, GRAD_COLOR)
    assert smallest >= MIN_DELTA_E, smallest
    assert gap >= MIN_LIGHTNESS_GAP, gap
    for color in (DATA_COLOR, GRAD_COLOR):
        assert contrast_on_white(color) >= MIN_CONTRAST, color


def test_the_old_green_and_red_would_have_failed() -> None:
    smallest, gap = worst("#1a7f37", "#cf222e")
    assert smallest < MIN_DELTA_E and gap < MIN_LIGHTNESS_GAP


def test_the_live_dashboards_weight_signs_and_two_classes_stay_apart() -> None:
    """A weight's sign is its edge's colour alone, so blue and orange must stay apart for every reader.

    The decision boundary's pale fills need less (the dots on them carry the strong colours), but a
    reader must still tell the two regions apart: 15 ΔE, many times a just-noticeable difference.
    """
    from scalargrad.viz.palette import CLASS_COLORS, CLASS_FILLS, NEGATIVE_COLOR, POSITIVE_COLOR

    smallest, _ = worst(POSITIVE_COLOR, NEGATIVE_COLOR)
    assert smallest >= MIN_DELTA_E, smallest
    assert worst(CLASS_COLORS[0], CLASS_COLORS[1])[0] >= MIN_DELTA_E
    assert worst(CLASS_FILLS[0], CLASS_FILLS[1])[0] >= 15.0

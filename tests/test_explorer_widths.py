"""Every explorer fits a notebook cell: a 1400 px window with JupyterLab's file browser open
leaves a cell about 900-950 px wide, and a wider explorer scrolls sideways (lesson 07's was
1,052 px, its loss curve cut off).

The widths here are the pictures' own (``Frame.widths``, in CSS px, as the Panels row lays them
out with 16 px gaps) and, for the linked views, the canvases' sizes as ``linked.js`` computes
them; the browser test measures the page itself.  Titles are measured in DejaVu Sans Bold at
14 px (wider than JupyterLab's UI fonts): one line each, or its picture drops out of line.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import ImageFont

from course_utils.widgets import (
    FilterLearningExplorer,
    KernelExplorer,
    MaskMetricsExplorer,
    PoolingExplorer,
    ReluExplorer,
    SkipExplorer,
)
from course_utils.widgets.transpose import CheckerboardExplorer, ScatterExplorer

#: the widest row of pictures we allow: a 900 px cell less some room for the output prompt
CELL_PX = 880
GAP_PX = 16  # panels.css: .course-panels { gap: 16px }


def _row_width(explorer) -> int:
    widths, _ = explorer._layout(explorer.frame)
    return sum(widths.values()) + GAP_PX * (len(widths) - 1)


def _extremes(explorer) -> list[dict]:
    """The lesson's state, then each slider at its minimum and its maximum."""
    states = [{}]
    for name, ctrl in explorer.controls.items():
        if hasattr(ctrl, "min") and hasattr(ctrl, "max"):
            states += [{name: ctrl.min}, {name: ctrl.max}]
        elif hasattr(ctrl, "options") and name not in ("image", "preset", "kernel"):
            states += [{name: value} for _, value in _options(ctrl)]
    return states


def _options(ctrl):
    return [(o, o) if not isinstance(o, tuple) else o for o in ctrl.options]


EXPLORERS = {  # as the lessons create them
    "01 KernelExplorer": lambda: KernelExplorer(image="camera", preset="Sobel x (vertical edges)"),
    "02 ReluExplorer": lambda: ReluExplorer(image="camera", preset="Sobel x (vertical edges)"),
    "03 PoolingExplorer": lambda: PoolingExplorer(image="camera", pool_size=2, stride=2),
    "04 ScatterExplorer": lambda: ScatterExplorer(size=4, kernel="ones 3x3", stride=2, count=6),
    "04 CheckerboardExplorer": CheckerboardExplorer,
    "05 SkipExplorer": lambda: SkipExplorer(image="shapes", poolings=3),
    "06 MaskMetricsExplorer": lambda: MaskMetricsExplorer(radius=40, shift_x=12),
    "07 FilterLearningExplorer": lambda: FilterLearningExplorer(lr=0.1, step=20, steps=20),
    "08 UNetWalkExplorer": lambda: _walk(),
    "09 FeatureMapExplorer": lambda: _features(),
    "10 ElasticExplorer": lambda: _elastic(),
}


def _elastic():
    from course_utils.widgets import ElasticExplorer

    return ElasticExplorer(sigma=10, grid=3, seed=0)


def _walk():
    """Lesson 08's walk through the seed U-Net's layers (fewer filters: the same pictures)."""
    from course_utils.models import unet
    from course_utils.widgets import UNetWalkExplorer

    return UNetWalkExplorer(unet((128, 128, 3), base_filters=4), image="cat", layer=9)


def _features():
    from course_utils.models import unet
    from course_utils.widgets import FeatureMapExplorer

    x = np.random.default_rng(0).random((2, 128, 128, 3)).astype("float32")
    net = unet((128, 128, 3), base_filters=2)
    return FeatureMapExplorer(net, net, x)


@pytest.mark.parametrize("name", list(EXPLORERS))
def test_pictures_fit_a_notebook_cell(name):
    ex = EXPLORERS[name]()
    seen = []
    for state in _extremes(ex):
        ex.set(**state)
        width = _row_width(ex)
        seen.append(width)
        assert width <= CELL_PX, f"{name} {state}: pictures {width} px wide"
    assert max(seen) > 300  # the widths were measured, not skipped


def _title_px(text: str) -> float:
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    return ImageFont.truetype(str(path), 14).getlength(text)


@pytest.mark.parametrize("name", ["05 SkipExplorer", "07 FilterLearningExplorer"])
def test_titles_fit_on_one_line(name):
    """Lesson 05: a wrapped title pushed its picture below the others."""
    ex = EXPLORERS[name]()
    widths, _ = ex._layout(ex.frame)
    for picture, caption in zip(ex.panels.names, ex.panels.captions, strict=True):
        assert _title_px(caption) <= widths[picture], (name, caption, widths[picture])


def _linked_width(view) -> float:
    """The linked view's row as linked.js lays it out: input, operation, output, 18 px gaps."""
    h, w = view.x_shape
    t, b, left, r = view.margin
    oh, ow = view.out_shape
    cell = min(40, view.size / max(h + t + b, w + left + r, oh, ow))
    op_panel = 220  # .linked-op { max-width: 220px }
    return (w + left + r) * cell + op_panel + ow * cell + 2 * 18


@pytest.mark.parametrize(
    ("make", "states"),
    [
        (
            lambda: KernelExplorer(),
            [{"stride": s, "padding": p} for s in (1, 2, 4) for p in ("valid", "same")]
            + [{"preset": "gaussian blur 5x5"}],
        ),
        (
            lambda: PoolingExplorer(),
            [{"pool_size": p, "stride": s} for p in (1, 2, 8) for s in (1, 3, 8)],
        ),
        (lambda: ScatterExplorer(), [{"size": 8, "stride": 4}, {"size": 2, "stride": 1}]),
    ],
)
def test_linked_views_fit_a_notebook_cell(make, states):
    ex = make()
    widths = []
    for state in states:
        ex.set(**state)
        widths.append(_linked_width(ex.linked))
    assert max(widths) <= CELL_PX, widths
    assert np.min(widths) > 200

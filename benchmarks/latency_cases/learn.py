"""FilterLearningExplorer: 256x256 photo, 60 precomputed gradient-descent steps per learning rate."""

from __future__ import annotations

import numpy as np

from course_utils.widgets import FilterLearningExplorer

from . import Case, naive_figure_png
from .kernel import naive_conv2d


def cases() -> list[Case]:
    ex = FilterLearningExplorer(steps=60)
    photo = ex.photo
    run = ex.runs[0.1]
    steps = iter(range(10**9))

    def fast():
        # a new step every call (and now and then another learning rate), as slider moves give
        i = next(steps)
        return ex.step(step=i % 61, lr=0.1 if i % 7 else 0.3)

    def naive():
        # the naive pattern: recompute the output with loops, redraw kernel, maps and loss curve
        i = next(steps) % 61
        k = run.kernels[i]
        out = naive_conv2d(photo, k)
        target = naive_conv2d(photo, run.target_kernel)
        curve = np.tile(np.log10(run.losses[: i + 1])[None, :], (8, 1))
        return naive_figure_png(k, out, out - target, curve, cmap="RdBu_r")

    return [Case("FilterLearningExplorer (256x256, step slider)", fast, naive)]

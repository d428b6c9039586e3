"""ReluExplorer: 256x256 photo, 3x3 kernel, bias slider."""

from __future__ import annotations

import numpy as np

from course_utils.data import sample_image
from course_utils.ops import KERNEL_PRESETS
from course_utils.widgets import ReluExplorer

from . import Case, naive_figure_png
from .kernel import naive_conv2d


def naive_relu(fmap: np.ndarray, bias: float) -> np.ndarray:
    """Per-pixel Python loop: add the bias, keep the value if positive."""
    out = np.zeros_like(fmap)
    for y in range(fmap.shape[0]):
        for x in range(fmap.shape[1]):
            v = fmap[y, x] + bias
            out[y, x] = v if v > 0 else 0.0
    return out


def cases() -> list[Case]:
    ex = ReluExplorer(preset="Sobel x (vertical edges)")
    img = sample_image("camera", gray=True).astype(np.float64)
    k = KERNEL_PRESETS["Sobel x (vertical edges)"]
    biases = iter(range(10**9))

    def fast():
        # a new bias every call, as a slider move gives
        return ex.step(
            image="camera",
            preset="Sobel x (vertical edges)",
            bias=-1.0 + (next(biases) % 40) * 0.05,
        )

    def naive():
        # the naive pattern recomputes the convolution on every move as well
        pre = naive_conv2d(img, k) - 0.1
        return naive_figure_png(pre, naive_relu(pre, 0.0))

    return [Case("ReluExplorer (256x256, bias slider)", fast, naive)]

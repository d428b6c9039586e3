"""KernelExplorer: 256x256 photo, 5x5 kernel, with the linked view of the detail."""

from __future__ import annotations

import numpy as np

from course_utils.data import sample_image
from course_utils.ops import KERNEL_PRESETS
from course_utils.widgets import KernelExplorer

from . import Case, naive_figure_png


def naive_conv2d(img: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per-pixel Python loops ('same' zero padding, stride 1): what a first tutorial writes."""
    kh, kw = k.shape
    p = kh // 2
    padded = np.pad(img, p)
    out = np.zeros_like(img)
    for y in range(img.shape[0]):
        for x in range(img.shape[1]):
            acc = 0.0
            for i in range(kh):
                for j in range(kw):
                    acc += padded[y + i, x + j] * k[i, j]
            out[y, x] = acc
    return out


def cases() -> list[Case]:
    ex = KernelExplorer(preset="gaussian blur 5x5")
    img = sample_image("camera", gray=True).astype(np.float64)
    k = KERNEL_PRESETS["gaussian blur 5x5"]
    strides = iter(range(10**9))

    def fast():
        # alternate stride 1/2 so every call really recomputes, as a slider move does;
        # set() = step + the pictures + the linked view's update
        return ex.set(
            image="camera", preset="gaussian blur 5x5", stride=1 + next(strides) % 2, padding="same"
        )

    def naive():
        return naive_figure_png(img, k, naive_conv2d(img, k))

    return [Case("KernelExplorer (256x256, 5x5 kernel)", fast, naive, target_ms=15.0)]

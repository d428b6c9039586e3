"""PoolingExplorer: 256x256 photo, window grid drawn on the detail, pooled map, linked view."""

from __future__ import annotations

import numpy as np

from course_utils.data import sample_image
from course_utils.widgets import PoolingExplorer

from . import Case, naive_figure_png


def naive_max_pool(img: np.ndarray, p: int, s: int) -> np.ndarray:
    """Per-pixel Python loops over output positions and window offsets."""
    oh, ow = (img.shape[0] - p) // s + 1, (img.shape[1] - p) // s + 1
    out = np.zeros((oh, ow))
    for y in range(oh):
        for x in range(ow):
            best = img[s * y, s * x]
            for i in range(p):
                for j in range(p):
                    best = max(best, img[s * y + i, s * x + j])
            out[y, x] = best
    return out


def cases() -> list[Case]:
    ex = PoolingExplorer()
    img = sample_image("camera", gray=True).astype(np.float64)
    settings = [(2, 2), (3, 1), (4, 4), (8, 1)]  # (pool size, stride); (8, 1) is the slowest
    calls = iter(range(10**9))

    def fast():
        # a different setting on every call, as a slider move gives; set() = step + the
        # pictures + the linked view's update (what a slider move costs in the kernel)
        p, s = settings[next(calls) % len(settings)]
        return ex.set(image="camera", pool_size=p, stride=s, mode="max")

    def naive():
        return naive_figure_png(img, naive_max_pool(img, 3, 2))

    return [Case("PoolingExplorer (256x256, 2-8 px windows)", fast, naive)]

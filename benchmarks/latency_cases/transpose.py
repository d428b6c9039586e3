"""ScatterExplorer (8x8 input, tent 4x4 kernel, stride 2) and CheckerboardExplorer (256x256)."""

from __future__ import annotations

import numpy as np

from course_utils.toys import checkerboard_photo
from course_utils.widgets import SCATTER_KERNELS, CheckerboardExplorer, ScatterExplorer
from course_utils.widgets.transpose import _scatter_input

from . import Case, naive_figure_png


def naive_scatter(x: np.ndarray, k: np.ndarray, s: int, count: int | None = None) -> np.ndarray:
    """Per-pixel Python loops: every output cell of every stamp added one at a time."""
    h, w = x.shape
    kh, kw = k.shape
    out = np.zeros(((h - 1) * s + kh, (w - 1) * s + kw))
    for m in range(h * w if count is None else count):
        i, j = divmod(m, w)
        for a in range(kh):
            for b in range(kw):
                out[s * i + a, s * j + b] += x[i, j] * k[a, b]
    return out


def cases() -> list[Case]:
    kname = "tent 4x4 (= bilinear upsampling at stride 2)"
    scatter = ScatterExplorer(size=8, kernel=kname)
    x, k = _scatter_input(8), SCATTER_KERNELS[kname]
    counts = iter(range(10**9))

    def scatter_fast():
        # a new "pixels stamped" value every call, as dragging the slider does; set() = step +
        # the pictures + the linked view's update
        return scatter.set(size=8, kernel=kname, stride=2, count=1 + next(counts) % 64)

    def scatter_naive():
        n = 1 + next(counts) % 64
        return naive_figure_png(x, k, naive_scatter(x, k, 2, n), cmap="viridis")

    board = CheckerboardExplorer()
    sizes = iter(range(10**9))
    photo = checkerboard_photo("camera", 3, 2)[0]  # the photo pooled by 2

    def board_fast():
        return board.step(kernel_size=3 + next(sizes) % 2, stride=2, image="camera")

    def board_naive():
        kk = 3 + next(sizes) % 2
        ones = np.ones((8, 8))
        cnt = naive_scatter(ones, np.ones((kk, kk)), 2)
        up = naive_scatter(photo, np.full((kk, kk), 4 / kk**2), 2)
        return naive_figure_png(cnt, up)

    return [
        Case("ScatterExplorer (8x8 -> 18x18, tent 4x4, s=2)", scatter_fast, scatter_naive),
        Case("CheckerboardExplorer (128 -> 256x256, k=3/4)", board_fast, board_naive),
    ]

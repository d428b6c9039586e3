"""ElasticExplorer: 128x128 nuclei crop shown at 256x256, warp strength slider."""

from __future__ import annotations

import numpy as np

from course_utils.widgets import ElasticExplorer

from . import Case, naive_figure_png


def naive_elastic(image: np.ndarray, mask: np.ndarray, sigma: float, seed: int):
    """Per-pixel Python loop: the 3x3 lattice's displacements interpolated bilinearly at each
    pixel, the image sampled there by nearest neighbour (what a tutorial would write first)."""
    rng = np.random.default_rng(seed)
    lattice = rng.normal(0.0, sigma, (2, 3, 3))
    h, w = image.shape
    out, out_mask = np.zeros_like(image), np.zeros_like(mask)
    for y in range(h):
        for x in range(w):
            gy, gx = y * 2 / (h - 1), x * 2 / (w - 1)
            i, j = min(int(gy), 1), min(int(gx), 1)
            fy, fx = gy - i, gx - j
            d = (
                lattice[:, i, j] * (1 - fy) * (1 - fx)
                + lattice[:, i + 1, j] * fy * (1 - fx)
                + lattice[:, i, j + 1] * (1 - fy) * fx
                + lattice[:, i + 1, j + 1] * fy * fx
            )
            sy = min(max(int(round(y + d[0])), 0), h - 1)
            sx = min(max(int(round(x + d[1])), 0), w - 1)
            out[y, x], out_mask[y, x] = image[sy, sx], mask[sy, sx]
    return out, out_mask


def cases() -> list[Case]:
    ex = ElasticExplorer()
    sigmas = iter(range(10**9))
    from course_utils.widgets.elastic import nuclei_crop

    image, labels = nuclei_crop()

    def fast():
        # a new strength every call, as a slider move gives
        return ex.step(sigma=1 + next(sigmas) % 20, grid=3, seed=0, flip_rotate=False)

    def naive():
        warped, warped_mask = naive_elastic(image, labels, 10.0, 0)
        return naive_figure_png(image, warped, warped_mask)

    return [Case("ElasticExplorer (128x128 shown 256, sigma slider)", fast, naive)]

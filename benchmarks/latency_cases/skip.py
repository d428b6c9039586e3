"""SkipExplorer: 256x256 photo, pool down and up, fit the 1x1 blend with and without the skip."""

from __future__ import annotations

import numpy as np

from course_utils.data import sample_image
from course_utils.toys import encoder_features
from course_utils.widgets import SkipExplorer

from . import Case, naive_figure_png


def naive_round_trip(feats: np.ndarray, poolings: int, skip: bool, img: np.ndarray) -> np.ndarray:
    """Per-pixel Python loops for pooling and upsampling, then the same least-squares blend."""
    x = feats
    for _ in range(poolings):
        h, w, c = x.shape
        out = np.zeros((h // 2, w // 2, c))
        for y in range(h // 2):
            for xx in range(w // 2):
                for ch in range(c):
                    out[y, xx, ch] = max(x[2 * y, 2 * xx, ch], x[2 * y + 1, 2 * xx, ch],
                                         x[2 * y, 2 * xx + 1, ch], x[2 * y + 1, 2 * xx + 1, ch])
        x = out
    f = 2**poolings
    up = np.zeros(feats.shape)
    for y in range(feats.shape[0]):
        for xx in range(feats.shape[1]):
            up[y, xx] = x[y // f, xx // f]
    chans = np.concatenate([feats, up], axis=-1) if skip else up
    a = np.concatenate([chans.reshape(-1, chans.shape[-1]), np.ones((img.size, 1))], axis=1)
    wts = np.linalg.lstsq(a, img.ravel(), rcond=None)[0]
    return (a @ wts).reshape(img.shape)


def cases() -> list[Case]:
    ex = SkipExplorer()
    img = sample_image("camera", gray=True).astype(np.float64)
    feats = encoder_features(img)
    calls = iter(range(10**9))

    def fast():
        # alternate poolings and skip so every call really recomputes, as a control change does
        i = next(calls)
        return ex.step(image="camera", poolings=1 + i % 3, skip=bool(i % 2),
                       interpolation="nearest")

    def naive():
        rec = naive_round_trip(feats, 2, True, img)
        return naive_figure_png(img, rec, np.abs(rec - img))

    return [Case("SkipExplorer (256x256, 1-3 poolings)", fast, naive, target_ms=20.0)]

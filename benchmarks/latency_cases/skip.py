"""SkipExplorer: 256x256 input, pool down and up, fit the 1x1 decoder without and with the skip."""

from __future__ import annotations

import numpy as np

from course_utils.data import sample_image
from course_utils.toys import CONTEXT_KERNEL, encoder_features
from course_utils.widgets import SkipExplorer

from . import Case, naive_figure_png


def naive_decoder_map(feats: np.ndarray, poolings: int) -> np.ndarray:
    """Per-pixel Python loops for pooling, the 3x3 context average and upsampling."""
    x = feats
    for _ in range(poolings):
        h, w, c = x.shape
        out = np.zeros((h // 2, w // 2, c))
        for y in range(h // 2):
            for xx in range(w // 2):
                for ch in range(c):
                    out[y, xx, ch] = max(
                        x[2 * y, 2 * xx, ch],
                        x[2 * y + 1, 2 * xx, ch],
                        x[2 * y, 2 * xx + 1, ch],
                        x[2 * y + 1, 2 * xx + 1, ch],
                    )
        x = out
    h, w, c = x.shape
    padded = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    ctx = np.zeros_like(x)
    for y in range(h):
        for xx in range(w):
            for ch in range(c):
                ctx[y, xx, ch] = np.sum(padded[y : y + 3, xx : xx + 3, ch] * CONTEXT_KERNEL)
    f = 2**poolings
    up = np.zeros(feats.shape)
    for y in range(feats.shape[0]):
        for xx in range(feats.shape[1]):
            up[y, xx] = ctx[y // f, xx // f]
    return up


def naive_fit(chans: np.ndarray, target: np.ndarray) -> np.ndarray:
    a = np.concatenate([chans.reshape(-1, chans.shape[-1]), np.ones((target.size, 1))], axis=1)
    wts = np.linalg.lstsq(a, target.ravel(), rcond=None)[0]
    return np.clip(a @ wts, 0, 1).reshape(target.shape)


def cases() -> list[Case]:
    ex = SkipExplorer(image="camera")
    img = sample_image("camera", gray=True).astype(np.float64)
    feats = encoder_features(img)
    calls = iter(range(10**9))

    def fast():
        # alternate the poolings so every call really refits, as a control change does
        return ex.step(image="camera", poolings=1 + next(calls) % 3, interpolation="nearest")

    def naive():
        up = naive_decoder_map(feats, 2)
        without = naive_fit(up, img)
        with_skip = naive_fit(np.concatenate([feats, up], axis=-1), img)
        return naive_figure_png(img, without, with_skip, with_skip - without)

    return [Case("SkipExplorer (256x256, 1-3 poolings, side by side)", fast, naive, target_ms=20.0)]

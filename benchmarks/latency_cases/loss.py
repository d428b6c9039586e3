"""MaskMetricsExplorer: 256x256 masks, soft prediction, CE, accuracy, IoU and Dice."""

from __future__ import annotations

import math

import numpy as np

from course_utils.data import disc_mask
from course_utils.widgets import MaskMetricsExplorer

from . import Case, naive_figure_png


def naive_scores(size: int, radius: float, shift_x: float, softness: float, threshold: float):
    """Per-pixel Python loops: soft disc, cross-entropy and the confusion counts."""
    c = (size - 1) / 2
    p = np.zeros((size, size))
    truth = disc_mask(size, radius)
    ce = 0.0
    tp = fp = fn = tn = 0
    for y in range(size):
        for x in range(size):
            d = math.hypot(y - c, x - c - shift_x)
            q = 1 / (1 + math.exp(-(radius - d) / softness))
            p[y, x] = q
            qc = min(max(q, 1e-7), 1 - 1e-7)
            t = truth[y, x]
            ce -= t * math.log(qc) + (1 - t) * math.log(1 - qc)
            pred = q > threshold
            tp += bool(pred and t)
            fp += bool(pred and not t)
            fn += bool(t and not pred)
            tn += bool(not pred and not t)
    iou = tp / max(tp + fp + fn, 1)
    return p, truth, ce / size**2, iou


def cases() -> list[Case]:
    ex = MaskMetricsExplorer()
    shifts = iter(range(10**9))

    def fast():
        # vary the shift so every call really recomputes, as a slider move does
        return ex.step(radius=40, shift_x=next(shifts) % 40, shift_y=5, softness=3.0, threshold=0.5)

    def naive():
        p, truth, _ce, _iou = naive_scores(256, 40, 12, 3.0, 0.5)
        return naive_figure_png(truth.astype(float), p, (p > 0.5) != truth)

    return [Case("MaskMetricsExplorer (256x256)", fast, naive, target_ms=20.0)]

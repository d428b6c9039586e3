"""MaskMetricsExplorer: move and blur a predicted mask, watch CE, accuracy, IoU and Dice together.

The ground truth is a disc (the object, class 1) on background (class 0).  The "network output"
is a soft disc of the same radius: ``p = sigmoid((r - d) / softness)`` with ``d`` the distance to
its (shifted) centre, i.e. the probability of "object" per pixel.  Thresholding ``p`` gives the
predicted label map, scored with :mod:`course_utils.metrics`; the cross-entropy is scored on ``p``
itself with :func:`course_utils.ops.binary_cross_entropy`.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import metrics, ops
from ..viz import to_png
from ._base import Explorer, Frame

__all__ = [
    "OUTCOME_COLORS",
    "disc_mask",
    "soft_disc",
    "outcome_rgb",
    "mask_scores",
    "mask_metrics_step",
    "MaskMetricsExplorer",
]

#: RGB uint8 colours of the overlay: true negative, true positive, false positive, false negative
OUTCOME_COLORS: dict[str, tuple[int, int, int]] = {
    "TN": (235, 235, 235),
    "TP": (46, 160, 67),
    "FP": (240, 130, 20),
    "FN": (40, 90, 220),
}
_LUT = np.array([OUTCOME_COLORS[k] for k in ("TN", "FN", "FP", "TP")], dtype=np.uint8)


def _check_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 4:
        raise ValueError(f"size must be an integer >= 4 (pixels), got {size!r}.")
    return int(size)


def _distance(size: int, cx: float, cy: float) -> np.ndarray:
    yy = (np.arange(size) - cy)[:, None]
    xx = (np.arange(size) - cx)[None, :]
    return np.sqrt(yy * yy + xx * xx)


def disc_mask(size: int = 256, radius: float = 40, shift_x: float = 0,
              shift_y: float = 0) -> np.ndarray:
    """Binary mask (uint8 0/1, shape (size, size)) of a disc around the centre, shifted.

    Examples
    --------
    >>> int(disc_mask(9, 2).sum())
    13
    """
    size = _check_size(size)
    if not radius > 0:
        raise ValueError(f"radius must be > 0, got {radius!r}.")
    c = (size - 1) / 2
    return (_distance(size, c + shift_x, c + shift_y) <= radius).astype(np.uint8)


def soft_disc(size: int = 256, radius: float = 40, shift_x: float = 0, shift_y: float = 0,
              softness: float = 3.0) -> np.ndarray:
    """Soft prediction ``p = sigmoid((radius - d) / softness)`` in (0, 1), shape (size, size).

    ``softness`` (pixels) sets how blurred / unsure the edge is: 0.5 is almost a hard 0/1 mask,
    20 a wide ramp where many pixels sit near 0.5.

    Examples
    --------
    >>> p = soft_disc(9, 2, softness=1.0)
    >>> float(p[4, 4].round(3)), float(p[0, 0].round(3))
    (0.881, 0.025)
    """
    size = _check_size(size)
    if not radius > 0:
        raise ValueError(f"radius must be > 0, got {radius!r}.")
    if not softness > 0:
        raise ValueError(f"softness must be > 0 pixels, got {softness!r}.")
    c = (size - 1) / 2
    return ops.sigmoid((radius - _distance(size, c + shift_x, c + shift_y)) / softness)


def outcome_rgb(y_true, y_pred) -> np.ndarray:
    """RGB uint8 picture of the outcome per pixel: TP green, FP orange, FN blue, TN light grey.

    Examples
    --------
    >>> outcome_rgb([[1, 0]], [[1, 1]]).tolist()
    [[[46, 160, 67], [240, 130, 20]]]
    """
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if t.shape != p.shape or t.ndim != 2:
        raise ValueError(f"y_true and y_pred must be 2-D maps of one shape, got {t.shape} and "
                         f"{p.shape}.")
    return _LUT[2 * (p > 0) + (t > 0)]


def mask_scores(y_true, p, threshold: float = 0.5) -> dict:
    """Cross-entropy of the soft map ``p`` and accuracy / IoU / Dice of ``p > threshold``.

    Parameters
    ----------
    y_true : array of 0/1, shape (H, W)
    p : array of probabilities of class 1, shape (H, W)
    threshold : float in (0, 1)

    Returns
    -------
    dict
        ``ce``, ``accuracy``, ``iou`` (object class), ``iou_background``, ``mean_iou``, ``dice``
        (object class), ``tp``, ``fp``, ``fn``, ``tn`` (pixel counts), ``y_pred`` (label map).

    Examples
    --------
    >>> s = mask_scores([[1, 0, 0, 0]], [[0.9, 0.6, 0.2, 0.1]])
    >>> round(s["accuracy"], 2), round(s["iou"], 2), round(s["dice"], 3)
    (0.75, 0.5, 0.667)
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be between 0 and 1 (exclusive), got {threshold!r}.")
    t = np.asarray(y_true)
    pr = np.asarray(p, dtype=np.float64)
    if t.shape != pr.shape:
        raise ValueError(f"y_true {t.shape} and p {pr.shape} must have the same shape.")
    y_pred = (pr > threshold).astype(np.uint8)
    cm = metrics.confusion_matrix(t, y_pred, 2)
    ious = metrics.iou(t, y_pred, 2)
    return {
        "ce": float(ops.binary_cross_entropy(t, pr)),
        "accuracy": metrics.pixel_accuracy(t, y_pred),
        "iou": float(np.nan_to_num(ious[1])),
        "iou_background": float(ious[0]),
        "mean_iou": float(np.nanmean(ious)),
        "dice": float(np.nan_to_num(metrics.dice(t, y_pred, 2)[1])),
        "tn": int(cm[0, 0]), "fp": int(cm[0, 1]), "fn": int(cm[1, 0]), "tp": int(cm[1, 1]),
        "y_pred": y_pred,
    }


def mask_metrics_step(radius: float = 40, shift_x: float = 0, shift_y: float = 0,
                      softness: float = 3.0, threshold: float = 0.5, size: int = 256,
                      truth_png: bytes | None = None) -> Frame:
    """The pure update of :class:`MaskMetricsExplorer`.

    Returns
    -------
    Frame
        ``images``: ``"truth"``, ``"prob"``, ``"outcome"``; ``data``: :func:`mask_scores` plus
        ``"y_true"``, ``"p"`` and ``"object_fraction"``.

    Examples
    --------
    >>> f = mask_metrics_step(radius=20, shift_x=10, size=64)
    >>> sorted(f.images), f.data["tp"] > 0
    (['outcome', 'prob', 'truth'], True)
    """
    y_true = disc_mask(size, radius)
    p = soft_disc(size, radius, shift_x, shift_y, softness)
    s = mask_scores(y_true, p, threshold)
    frac = float(y_true.mean())
    sw = "&#9632;"
    legend = " ".join(
        f'<span style="color:rgb{OUTCOME_COLORS[k]}">{sw}</span> {k} {s[k.lower()]:,}'
        for k in ("TP", "FP", "FN", "TN")
    )
    info = (
        f"object = <b>{100 * frac:.1f}%</b> of the pixels &nbsp; | &nbsp; {legend}<br>"
        f"cross-entropy <b>{s['ce']:.4f}</b> (lower is better) &nbsp; "
        f"pixel accuracy <b>{s['accuracy']:.4f}</b> &nbsp; IoU(object) <b>{s['iou']:.4f}</b> "
        f"&nbsp; Dice(object) <b>{s['dice']:.4f}</b> &nbsp; mean IoU {s['mean_iou']:.4f}"
    )
    return Frame(
        images={
            "truth": truth_png if truth_png is not None else to_png(y_true, "gray", (0, 1)),
            "prob": to_png(p, "viridis", (0.0, 1.0)),
            "outcome": to_png(outcome_rgb(y_true, s["y_pred"])),
        },
        info=info,
        data={**s, "y_true": y_true, "p": p, "object_fraction": frac},
    )


class MaskMetricsExplorer(Explorer):
    """A disc to segment and a soft prediction you shift, blur and threshold.

    Examples
    --------
    >>> ex = MaskMetricsExplorer()
    >>> round(ex.set(shift_x=0, shift_y=0).data["iou"], 2)
    1.0
    """

    def __init__(self, radius: int = 40, shift_x: int = 12, shift_y: int = 0,
                 softness: float = 3.0, threshold: float = 0.5, size: int = 256) -> None:
        self.size = _check_size(size)
        self._truth_png: dict[int, bytes] = {}
        controls = {
            "radius": W.IntSlider(value=radius, min=3, max=100, description="object radius"),
            "shift_x": W.IntSlider(value=shift_x, min=-80, max=80, description="shift x"),
            "shift_y": W.IntSlider(value=shift_y, min=-80, max=80, description="shift y"),
            "softness": W.FloatSlider(value=softness, min=0.5, max=20.0, step=0.5,
                                      description="blur (px)"),
            "threshold": W.FloatSlider(value=threshold, min=0.05, max=0.95, step=0.05,
                                       description="threshold"),
        }
        self._build(controls, {"truth": "ground truth", "prob": "predicted p(object)",
                               "outcome": "p > threshold: TP / FP / FN"})

    def step(self, radius: int, shift_x: int, shift_y: int, softness: float,
             threshold: float) -> Frame:
        if radius not in self._truth_png:
            self._truth_png[radius] = to_png(disc_mask(self.size, radius), "gray", (0, 1))
        return mask_metrics_step(radius, shift_x, shift_y, softness, threshold, self.size,
                                 truth_png=self._truth_png[radius])

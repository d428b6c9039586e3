"""MaskMetricsExplorer: move and blur a predicted mask, watch CE, accuracy, IoU and Dice together.

The ground truth is a disc (the object, class 1) on background (class 0), ``data.disc_mask``.
The "network output" is a soft disc of the same radius, ``data.soft_disc``: the probability of
"object" per pixel.  :func:`course_utils.metrics.mask_scores` scores the thresholded map with
accuracy / IoU / Dice and the soft map itself with the cross-entropy.
"""

from __future__ import annotations

import ipywidgets as W

from .._memo import memo
from .._validate import check_int
from ..data import disc_mask, soft_disc
from ..metrics import mask_scores
from ..viz import OUTCOME_COLORS, outcome_rgb, to_png
from ._base import Explorer, Frame, float_slider

__all__ = ["mask_metrics_step", "MaskMetricsExplorer"]


@memo(maxsize=64)
def _truth(size: int, radius: float):
    """The ground-truth disc, remembered per size and radius (read-only, so its PNG is too)."""
    return disc_mask(size, radius)


def mask_metrics_step(
    radius: float = 40,
    shift_x: float = 0,
    shift_y: float = 0,
    softness: float = 3.0,
    threshold: float = 0.5,
    size: int = 256,
) -> Frame:
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
    y_true = _truth(size, radius)
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
            "truth": to_png(y_true, "gray", (0, 1)),
            "prob": to_png(p, "viridis", (0.0, 1.0)),
            "outcome": to_png(outcome_rgb(y_true, s["y_pred"])),
        },
        info=info,
        data={**s, "y_true": y_true, "p": p, "object_fraction": frac},
        # the outcome picture is categorical: its legend is in the info line, not a colour bar
        colorbars={"truth": ("gray", 0.0, 1.0), "prob": ("viridis", 0.0, 1.0)},
    )


class MaskMetricsExplorer(Explorer):
    """A disc to segment and a soft prediction you shift, blur and threshold.

    The blur and threshold sliders move on exact grids (0.5 px and 0.05, :func:`float_slider`).
    For demonstrations in a lesson call :meth:`step`: it returns the frame of any setting and
    leaves the displayed explorer as it is.

    Examples
    --------
    >>> ex = MaskMetricsExplorer()
    >>> round(ex.step(40, 0, 0, 3.0, 0.5).data["iou"], 2), ex.values()["shift_x"]
    (1.0, 12)
    >>> _ = ex.set(threshold=0.3)
    >>> ex.values()["threshold"], ex.controls["threshold"].label
    (0.3, '0.30')
    """

    def __init__(
        self,
        radius: int = 40,
        shift_x: int = 12,
        shift_y: int = 0,
        softness: float = 3.0,
        threshold: float = 0.5,
        size: int = 256,
    ) -> None:
        self.size = check_int("size", size, 4)
        controls = {
            "radius": W.IntSlider(value=radius, min=3, max=100, description="object radius"),
            "shift_x": W.IntSlider(value=shift_x, min=-80, max=80, description="shift x"),
            "shift_y": W.IntSlider(value=shift_y, min=-80, max=80, description="shift y"),
            "softness": float_slider("blur (px)", 0.5, 20.0, 0.5, softness, fmt=".1f"),
            "threshold": float_slider("threshold", 0.05, 0.95, 0.05, threshold),
        }
        self._build(
            controls,
            {
                "truth": "ground truth",
                "prob": "predicted p(object)",
                "outcome": "p > threshold: TP / FP / FN",
            },
        )

    def step(
        self, radius: int, shift_x: int, shift_y: int, softness: float, threshold: float
    ) -> Frame:
        return mask_metrics_step(radius, shift_x, shift_y, softness, threshold, self.size)

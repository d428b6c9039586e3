"""Segmentation metrics on integer label maps (NumPy), plus Keras metric versions.

The NumPy part imports without Keras; ``MeanIoUFromProbs`` and ``DiceFromProbs`` (for
``model.compile``) start Keras the first time they are used.

All NumPy functions take ``y_true`` and ``y_pred`` as integer label maps of the same shape
(any rank: one image ``(H, W)`` or a batch ``(N, H, W)``).  To turn a network's softmax output
``(N, H, W, C)`` into labels use ``probs.argmax(-1)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import ops
from ._validate import check_int

if TYPE_CHECKING:  # defined in _keras_metrics, loaded on first use (see __getattr__ below)
    from ._keras_metrics import DiceFromProbs, MeanIoUFromProbs

__all__ = [
    "pixel_accuracy",
    "confusion_matrix",
    "iou",
    "mean_iou",
    "dice",
    "mean_dice",
    "mask_scores",
    "MeanIoUFromProbs",
    "DiceFromProbs",
]


def _labels(y_true, y_pred, num_classes: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    for name, a in (("y_true", t), ("y_pred", p)):
        if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.bool_)):
            if np.issubdtype(a.dtype, np.floating) and a.size and np.all(a == np.round(a)):
                continue
            raise ValueError(
                f"{name} must be an integer label map, got dtype {a.dtype}. For probabilities "
                "of shape (..., C) pass probs.argmax(-1); for a binary probability map pass "
                "(p > 0.5).astype(int)."
            )
    if t.shape != p.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got {t.shape} and {p.shape}. "
            "Did you pass softmax probabilities? Use probs.argmax(-1)."
        )
    t = t.astype(np.int64)
    p = p.astype(np.int64)
    if num_classes is None:
        num_classes = int(max(t.max(initial=0), p.max(initial=0))) + 1
    num_classes = check_int("num_classes", num_classes)
    for name, a in (("y_true", t), ("y_pred", p)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise ValueError(
                f"{name} has labels outside 0..{num_classes - 1} (found {a.min()}..{a.max()}); "
                "check num_classes or the mask encoding."
            )
    return t, p, int(num_classes)


def pixel_accuracy(y_true, y_pred) -> float:
    """Fraction of pixels whose predicted label equals the true label.

    Examples
    --------
    >>> pixel_accuracy([0, 0, 0, 1], [0, 0, 0, 0])
    0.75
    """
    t, p, _ = _labels(y_true, y_pred)
    if t.size == 0:
        raise ValueError("y_true is empty: there are no pixels to score.")
    return float(np.mean(t == p))


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """``cm[i, j]`` = number of pixels of true class ``i`` predicted as ``j``.

    Examples
    --------
    >>> confusion_matrix([0, 1, 1], [0, 0, 1], 2)
    array([[1, 0],
           [1, 1]])
    """
    t, p, c = _labels(y_true, y_pred, num_classes)
    return np.bincount(t.ravel() * c + p.ravel(), minlength=c * c).reshape(c, c)


def iou(y_true, y_pred, num_classes: int) -> np.ndarray:
    """Intersection over union per class: ``|T_c & P_c| / |T_c | P_c|``.

    A class absent from both maps has no defined IoU and gets ``nan`` (``mean_iou`` skips it).

    Examples
    --------
    >>> iou([0, 0, 1, 1], [0, 1, 1, 1], 2)
    array([0.5       , 0.66666667])
    """
    cm = confusion_matrix(y_true, y_pred, num_classes).astype(np.float64)
    inter = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), np.nan)


def mean_iou(y_true, y_pred, num_classes: int) -> float:
    """Mean of the per-class IoU over classes present in either map (like ``keras.metrics.MeanIoU``).

    Examples
    --------
    >>> round(mean_iou([0, 0, 1, 1], [0, 1, 1, 1], 2), 4)
    0.5833
    """
    return float(np.nanmean(iou(y_true, y_pred, num_classes)))


def dice(y_true, y_pred, num_classes: int) -> np.ndarray:
    """Dice coefficient per class: ``2 |T_c & P_c| / (|T_c| + |P_c|)``; ``nan`` if absent in both.

    Dice and IoU rank predictions the same way: ``dice = 2 iou / (1 + iou)``.

    Examples
    --------
    >>> dice([0, 0, 1, 1], [0, 1, 1, 1], 2)
    array([0.66666667, 0.8       ])
    """
    cm = confusion_matrix(y_true, y_pred, num_classes).astype(np.float64)
    inter = np.diag(cm)
    total = cm.sum(0) + cm.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 2 * inter / np.where(total > 0, total, 1), np.nan)


def mean_dice(y_true, y_pred, num_classes: int) -> float:
    """Mean Dice over the classes present in either map.

    Examples
    --------
    >>> round(mean_dice([0, 0, 1, 1], [0, 1, 1, 1], 2), 4)
    0.7333
    """
    return float(np.nanmean(dice(y_true, y_pred, num_classes)))


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
    cm = confusion_matrix(t, y_pred, 2)
    ious = iou(t, y_pred, 2)
    return {
        "ce": float(ops.binary_cross_entropy(t, pr)),
        "accuracy": pixel_accuracy(t, y_pred),
        "iou": float(np.nan_to_num(ious[1])),
        "iou_background": float(ious[0]),
        "mean_iou": float(np.nanmean(ious)),
        "dice": float(np.nan_to_num(dice(t, y_pred, 2)[1])),
        "tn": int(cm[0, 0]),
        "fp": int(cm[0, 1]),
        "fn": int(cm[1, 0]),
        "tp": int(cm[1, 1]),
        "y_pred": y_pred,
    }


def __getattr__(name: str):
    """``MeanIoUFromProbs`` and ``DiceFromProbs`` need Keras: load them on first use."""
    if name in ("MeanIoUFromProbs", "DiceFromProbs"):
        from . import _keras_metrics

        return getattr(_keras_metrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

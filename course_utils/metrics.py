"""Segmentation metrics on integer label maps (NumPy), plus Keras metric versions.

All NumPy functions take ``y_true`` and ``y_pred`` as integer label maps of the same shape
(any rank: one image ``(H, W)`` or a batch ``(N, H, W)``).  To turn a network's softmax output
``(N, H, W, C)`` into labels use ``probs.argmax(-1)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pixel_accuracy", "confusion_matrix", "iou", "mean_iou", "dice", "mean_dice"]


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
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or (
        num_classes < 1
    ):
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}.")
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

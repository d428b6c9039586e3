"""Segmentation metrics on integer label maps (NumPy), plus Keras metric versions.

All NumPy functions take ``y_true`` and ``y_pred`` as integer label maps of the same shape
(any rank: one image ``(H, W)`` or a batch ``(N, H, W)``).  To turn a network's softmax output
``(N, H, W, C)`` into labels use ``probs.argmax(-1)``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "pixel_accuracy",
    "confusion_matrix",
    "iou",
    "mean_iou",
    "dice",
    "mean_dice",
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


# --------------------------------------------------------------------------------------------
# Keras metrics for model.compile (backend-agnostic: keras.ops only)
# --------------------------------------------------------------------------------------------
import keras  # noqa: E402  (after the NumPy part, which must work without a backend)
from keras import ops  # noqa: E402


class _ConfusionFromProbs(keras.metrics.Metric):
    """Accumulates a confusion matrix from integer labels and softmax probabilities.

    ``y_true``: sparse labels ``(N, H, W)`` or ``(N, H, W, 1)``, or one-hot ``(N, H, W, C)``.
    ``y_pred``: probabilities ``(N, H, W, C)``; the predicted label is ``argmax`` over ``C``.
    The matrix is summed over every batch of an epoch, so the result equals the NumPy function
    applied to the whole epoch's labels at once.
    """

    def __init__(self, num_classes: int = 2, name: str | None = None, dtype=None):
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or (
            num_classes < 2
        ):
            raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}.")
        super().__init__(name=name, dtype=dtype)
        self.num_classes = int(num_classes)
        self.cm = self.add_variable(
            shape=(self.num_classes, self.num_classes), initializer="zeros",
            dtype="float32", name="confusion_matrix",
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        c = self.num_classes
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.convert_to_tensor(y_true)
        if y_pred.shape[-1] != c:
            raise ValueError(
                f"{self.name}: y_pred must end with {c} class probabilities, got shape "
                f"{tuple(y_pred.shape)}. Check num_classes."
            )
        if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == c and c > 1:
            y_true = ops.argmax(y_true, axis=-1)  # one-hot masks
        elif len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
            y_true = ops.squeeze(y_true, axis=-1)
        t = ops.one_hot(ops.reshape(ops.cast(y_true, "int32"), (-1,)), c, dtype="float32")
        p = ops.one_hot(ops.reshape(ops.argmax(y_pred, axis=-1), (-1,)), c, dtype="float32")
        if sample_weight is not None:
            # one weight per pixel, shape (N, H, W): weighted pixel counts
            t = t * ops.reshape(ops.cast(sample_weight, "float32"), (-1, 1))
        self.cm.assign_add(ops.matmul(ops.transpose(t), p))

    def _per_class(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def result(self):
        inter = ops.diagonal(self.cm)
        rows, cols = ops.sum(self.cm, axis=1), ops.sum(self.cm, axis=0)
        num, den = self._per_class(inter, rows, cols)
        present = ops.cast(den > 0, "float32")
        per_class = ops.where(den > 0, num / ops.maximum(den, 1e-12), 0.0)
        return ops.sum(per_class) / ops.maximum(ops.sum(present), 1.0)

    def reset_state(self):
        self.cm.assign(ops.zeros((self.num_classes, self.num_classes), dtype="float32"))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="course_utils")
class MeanIoUFromProbs(_ConfusionFromProbs):
    """Mean IoU for ``model.compile``: sparse (or one-hot) labels vs softmax probabilities.

    Same number as :func:`mean_iou` on ``(y_true, probs.argmax(-1))``: classes absent from both
    maps are skipped.  ``keras.metrics.MeanIoU(num_classes, sparse_y_pred=False)`` gives the same
    number on softmax output (add ``sparse_y_true=False`` for one-hot masks; with the defaults it
    expects label maps and fails on probabilities); this class accepts sparse or one-hot labels
    without flags and shares its confusion matrix code with :class:`DiceFromProbs`.

    Examples
    --------
    >>> import numpy as np
    >>> m = MeanIoUFromProbs(num_classes=2)
    >>> probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.4, 0.6]], "float32")
    >>> m.update_state(np.array([0, 0, 1, 1]), probs)
    >>> round(float(m.result()), 4)
    0.5833
    """

    def __init__(self, num_classes: int = 2, name: str = "mean_iou", dtype=None):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype)

    def _per_class(self, inter, rows, cols):
        return inter, rows + cols - inter


@keras.saving.register_keras_serializable(package="course_utils")
class DiceFromProbs(_ConfusionFromProbs):
    """Mean Dice for ``model.compile``: sparse (or one-hot) labels vs softmax probabilities.

    Same number as :func:`mean_dice` on ``(y_true, probs.argmax(-1))``.

    Examples
    --------
    >>> import numpy as np
    >>> m = DiceFromProbs(num_classes=2)
    >>> probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.4, 0.6]], "float32")
    >>> m.update_state(np.array([0, 0, 1, 1]), probs)
    >>> round(float(m.result()), 4)
    0.7333
    """

    def __init__(self, num_classes: int = 2, name: str = "dice", dtype=None):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype)

    def _per_class(self, inter, rows, cols):
        return 2 * inter, rows + cols

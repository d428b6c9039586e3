"""Keras metric versions of :mod:`course_utils.metrics`, for ``model.compile`` (``keras.ops`` only).

Kept apart so that ``course_utils.metrics`` imports without Keras; ``metrics.MeanIoUFromProbs``
and ``metrics.DiceFromProbs`` load this module (and start Keras quietly) on first use.
"""

from __future__ import annotations

import keras
from keras import ops

from ._validate import check_int

__all__ = ["MeanIoUFromProbs", "DiceFromProbs"]


class _ConfusionFromProbs(keras.metrics.Metric):
    """Accumulates a confusion matrix from integer labels and softmax probabilities.

    ``y_true``: sparse labels ``(N, H, W)`` or ``(N, H, W, 1)``, or one-hot ``(N, H, W, C)``.
    ``y_pred``: probabilities ``(N, H, W, C)``; the predicted label is ``argmax`` over ``C``.
    The matrix is summed over every batch of an epoch, so the result equals the NumPy function
    applied to the whole epoch's labels at once.
    """

    def __init__(self, num_classes: int = 2, name: str | None = None, dtype=None):
        num_classes = check_int("num_classes", num_classes, 2)
        super().__init__(name=name, dtype=dtype)
        self.num_classes = num_classes
        self.cm = self.add_variable(
            shape=(self.num_classes, self.num_classes),
            initializer="zeros",
            dtype="float32",
            name="confusion_matrix",
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

"""Checkers for lesson 09 (training): steps per epoch, and the best epoch of a history."""

from __future__ import annotations

import math
import numbers

from ._base import Feedback, StudentError, call_student

__all__ = ["check_steps_per_epoch", "check_best_epoch"]


def check_steps_per_epoch(fn) -> Feedback:
    """``fn(n_images, batch_size)`` -> number of batches (steps) in one epoch: ``ceil(n / b)``.

    Examples
    --------
    >>> bool(check_steps_per_epoch(lambda n, b: -(-n // b)))
    True
    """
    cases = [(768, 16), (100, 32), (32, 32), (1, 8), (1000, 7)]
    for n, b in cases:
        want = math.ceil(n / b)
        try:
            got = call_student(fn, n, b)
        except StudentError as err:
            return Feedback(False, str(err))
        if got == want and isinstance(got, numbers.Integral):
            continue
        hint = ""
        if isinstance(got, float):
            hint = " Return a whole number of steps (an int), not a float."
        elif got == n // b:
            hint = (" That is n // b, which drops the last, smaller batch: Keras still trains on "
                    "those images, so round up (ceil).")
        return Feedback(False, f"steps_per_epoch({n}, {b}) returned {got!r}, expected {want}.{hint}")
    return Feedback(True, "Right: an epoch of 768 images in batches of 16 is 48 steps, and 100 "
                          "images in batches of 32 are 4 steps (the last one has 4 images).")


def check_best_epoch(fn) -> Feedback:
    """``fn(history)`` -> the 1-based epoch with the highest ``val_mean_iou``.

    Examples
    --------
    >>> bool(check_best_epoch(lambda h: h["epoch"][h["val_mean_iou"].index(max(h["val_mean_iou"]))]))
    True
    """
    hist = {
        "epoch": [1, 2, 3, 4, 5],
        "mean_iou": [0.50, 0.70, 0.85, 0.92, 0.95],
        "val_mean_iou": [0.48, 0.71, 0.90, 0.88, 0.89],
    }
    try:
        got = call_student(fn, {k: list(v) for k, v in hist.items()})
    except StudentError as err:
        return Feedback(False, str(err))
    if got == 3:
        return Feedback(True, "Right: epoch 3 has the best validation IoU (0.90); later epochs fit "
                              "the training data better (0.92, 0.95) but generalise slightly worse.")
    hints = {
        2: "That is the 0-based index; epochs are counted from 1 (history['epoch']).",
        5: "Epoch 5 is best on the *training* metric ('mean_iou'); choose by 'val_mean_iou'.",
        0.9: "You returned the best value; the question asks for the epoch at which it happened.",
    }
    hint = hints.get(got, "Look for the position of max(history['val_mean_iou']).")
    return Feedback(False, f"on a history whose val_mean_iou is {hist['val_mean_iou']} you "
                           f"returned {got!r}, expected 3. {hint}")

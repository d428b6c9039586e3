"""Checker for lesson 00 (how exercises work)."""

from __future__ import annotations

import numpy as np

from ._base import Feedback

__all__ = ["check_image_numbers"]


def check_image_numbers(answer) -> Feedback:
    """Check the number of values stored in one 128x128 RGB image (128 * 128 * 3 = 49,152).

    Examples
    --------
    >>> check_image_numbers(49152).passed
    True
    """
    want = 128 * 128 * 3
    if answer is None or answer is ...:
        return Feedback(False, "replace `...` with your answer, a whole number.")
    if isinstance(answer, bool) or not isinstance(answer, (int, np.integer, float)):
        return Feedback(False, f"expected a number, got {type(answer).__name__}.")
    if answer == want:
        return Feedback(True, "128 x 128 pixels x 3 colour channels = 49,152 numbers per image.")
    if answer == 128 * 128:
        return Feedback(False, f"{answer} counts pixels; each pixel holds 3 numbers (R, G, B).")
    if answer == 128 * 3:
        return Feedback(False, "that is one row of pixels; the image has 128 rows.")
    return Feedback(False, f"{answer} is not it: multiply height x width x channels.")

"""Checkers for lesson 06 (loss and metrics)."""

from __future__ import annotations

import math

import numpy as np

from .. import data, metrics, ops
from ._base import Feedback, dict_answer, student_check, student_value

__all__ = [
    "check_binary_iou",
    "check_margin_iou",
    "MARGIN_CASE",
    "check_weighted_bce",
    "check_all_background",
    "ALL_BACKGROUND_CASE",
]


def _iou_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    a = np.zeros((6, 6), np.uint8)
    a[1:4, 1:4] = 1  # 9 pixels
    b = np.zeros((6, 6), np.uint8)
    b[2:6, 2:6] = 1  # 16 pixels, 4 shared with a
    c = np.zeros((6, 6), np.uint8)
    c[4:, 4:] = 1  # disjoint from a
    d = np.zeros((6, 6), np.uint8)
    d[1:4, 1:3] = 1  # inside a
    return [(a, b), (a, a.copy()), (a, c), (a, d), (b.astype(bool), a.astype(bool))]


@student_check
def check_binary_iou(fn) -> Feedback:
    """Check ``fn(y_true, y_pred)`` = IoU of the object (pixels equal to 1) of two binary masks.

    Examples
    --------
    >>> check_binary_iou(lambda t, p: ((t > 0) & (p > 0)).sum() / ((t > 0) | (p > 0)).sum()).passed
    True
    """
    for t, p in _iou_cases():
        got = student_value(fn, t.copy(), p.copy())
        want = float(metrics.iou(t, p, 2)[1])
        try:
            val = float(got)
        except (TypeError, ValueError):
            return Feedback(False, f"return one number (the IoU), got {type(got).__name__}.")
        if math.isclose(val, want, abs_tol=1e-9):
            continue
        inter = int(((t > 0) & (p > 0)).sum())
        nt, np_ = int((t > 0).sum()), int((p > 0).sum())
        union = nt + np_ - inter
        hint = "IoU = |T and P| / |T or P| (pixels in both / pixels in either)."
        if nt + np_ and math.isclose(val, 2 * inter / (nt + np_)):
            hint = (
                "That is the Dice coefficient 2|T and P| / (|T| + |P|); IoU divides by the union."
            )
        elif nt + np_ and math.isclose(val, inter / (nt + np_)):
            hint = (
                "You divided by |T| + |P|, which counts the overlap twice; the union is "
                "|T| + |P| - |T and P|."
            )
        elif math.isclose(val, float(np.mean((t > 0) == (p > 0)))):
            hint = "That is the pixel accuracy; IoU ignores the true-negative background pixels."
        elif nt and math.isclose(val, inter / nt):
            hint = "You divided by |T| only (that is the recall); divide by the union |T or P|."
        elif val == inter or val == union:
            hint = "Return the ratio intersection / union, not a pixel count."
        return Feedback(
            False,
            f"on a 6x6 case with |T| = {nt}, |P| = {np_}, overlap {inter} you returned {val:.4g}; "
            f"expected {inter}/{union} = {want:.4g}. {hint}",
        )
    return Feedback(
        True,
        "correct on all 5 cases (overlap, identical, disjoint, nested, booleans). "
        "course_utils.metrics.iou does the same for every class at once.",
    )


#: the question of the first exercise: discs of radius 30 and 10 in a 128x128 mask, each
#: predicted as a concentric disc 5 px larger (the object plus a margin)
MARGIN_CASE = {"size": 128, "radii": (30, 10), "margin": 5}


def _margin_truth() -> dict[str, float]:
    """IoU / Dice of the margin predictions, counted on the pixel grid with ``course_utils.metrics``."""
    n, m = MARGIN_CASE["size"], MARGIN_CASE["margin"]
    want = {}
    for r in MARGIN_CASE["radii"]:
        t, p = data.disc_mask(n, r), data.disc_mask(n, r + m)
        want[f"iou_r{r}"] = float(metrics.iou(t, p, 2)[1])
        want[f"dice_r{r}"] = float(metrics.dice(t, p, 2)[1])
    return want


def check_margin_iou(answer) -> Feedback:
    """Check predicted IoU / Dice of a prediction that covers the object plus a 5 px margin.

    The object is a disc of radius ``r`` (30 or 10 px), the prediction the concentric disc of
    radius ``r + 5``.  ``answer`` is a dict with ``"iou_r30"``, ``"iou_r10"`` and ``"dice_r10"``
    (fractions; within 0.01 of the pixel-exact values counts: ``(r / R)**2`` is close enough).

    Examples
    --------
    >>> check_margin_iou({"iou_r30": (30 / 35) ** 2, "iou_r10": (10 / 15) ** 2,
    ...                   "dice_r10": 2 * 100 / (100 + 225)}).passed
    True
    """
    want = _margin_truth()
    keys = ["iou_r30", "iou_r10", "dice_r10"]
    bad = dict_answer(answer, keys)
    if bad is not None:
        return bad
    got = {}
    for k in keys:
        try:
            got[k] = float(answer[k])
        except (TypeError, ValueError):
            return Feedback(False, f"answer[{k!r}] must be a number, got {answer[k]!r}.")
        if not math.isfinite(got[k]):
            return Feedback(False, f"answer[{k!r}] must be a finite number, got {got[k]}.")
    m = MARGIN_CASE["margin"]
    for k in keys:
        r = int(k.split("_r")[1])
        big = r + m
        w, g = want[k], got[k]
        if abs(g - w) <= 0.01:
            continue
        iou_here, ratio = want[f"iou_r{r}"], r / big
        if abs(g - 100 * w) <= 1.0:
            hint = "give fractions (0 to 1), not percentages."
        elif abs(g - ratio) <= 0.01:
            hint = (
                f"{r}/{big} compares the radii, but IoU and Dice compare areas, and an area "
                f"grows with the square of the radius: |T| / |P| = ({r}/{big})^2."
            )
        elif k.startswith("dice") and abs(g - iou_here) <= 0.01:
            hint = (
                "that is the IoU. Dice counts the overlap twice: 2|T and P| / (|T| + |P|), "
                "or 2 IoU / (1 + IoU)."
            )
        elif abs(g - (1 - ratio**2)) <= 0.01:
            hint = (
                "that is the share of the prediction that is margin (false positives). IoU "
                "is the share that is object: the object lies inside the prediction, so "
                "|T and P| = |T| and |T or P| = |P|."
            )
        elif abs(g - (2 - 1 / ratio**2)) <= 0.01:
            hint = (
                "you subtracted the margin from the object area and divided by |T|; the "
                "object lies inside the prediction, so IoU = |T| / |P|."
            )
        elif k.startswith("iou"):
            hint = (
                f"the disc of radius {r} lies inside the one of radius {big}: the overlap is "
                f"the small disc, the union the big one, so IoU = pi {r}^2 / (pi {big}^2)."
            )
        else:
            hint = f"Dice = 2|T and P| / (|T| + |P|) with |T| = pi {r}^2 and |P| = pi {big}^2."
        return Feedback(False, f"answer[{k!r}] = {g:.4g} is not right: {hint}")
    return Feedback(
        True,
        f"correct: the same 5 px margin costs the large object little (IoU {want['iou_r30']:.3f}) "
        f"and the small one a lot (IoU {want['iou_r10']:.3f}, Dice {want['dice_r10']:.3f}): "
        "overlap scores punish a fixed error more on small objects.",
    )


#: (y, p, w_object) cases of the second exercise; the last has p = 0 at a background pixel
_WEIGHTED_BCE_CASES = [
    (np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.9, 0.2, 0.6, 0.3]), 4.0),
    (np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[0.1, 0.7], [0.3, 0.05]]), 10.0),
    (np.array([0.0, 0.0, 0.0]), np.array([0.2, 0.1, 0.4]), 5.0),  # no object pixel at all
    (np.array([1.0, 0.0, 0.0]), np.array([0.8, 0.0, 0.3]), 2.0),  # p = 0 where y = 0
]


def _class_weights(y: np.ndarray, w_object: float) -> np.ndarray:
    """``w_object`` at object pixels (``y == 1``), 1 at background pixels."""
    return np.where(y == 1, w_object, 1.0)


@student_check
def check_weighted_bce(fn) -> Feedback:
    """Check ``fn(y, p, w_object)`` = class-weighted binary cross-entropy.

    Each pixel's loss ``-[y log p + (1 - y) log(1 - p)]`` is multiplied by its weight
    (``w_object`` where ``y = 1``, 1 elsewhere) and the products are averaged over all ``N``
    pixels: Keras' ``BinaryCrossentropy()(y, p, sample_weight=w)`` with one weight per pixel.
    The last case has ``p = 0`` at a background pixel, so ``p`` must be clipped as Keras does.

    Examples
    --------
    >>> def weighted_bce(y, p, w_object):
    ...     p = np.clip(p, 1e-7, 1 - 1e-7)
    ...     w = np.where(y == 1, w_object, 1.0)
    ...     return -np.mean(w * (y * np.log(p) + (1 - y) * np.log(1 - p)))
    >>> check_weighted_bce(weighted_bce).passed
    True
    """
    for y, p, w_object in _WEIGHTED_BCE_CASES:
        with np.errstate(all="ignore"):
            got = student_value(fn, y.copy(), p.copy(), w_object)
        w = _class_weights(y, w_object)
        want = float(ops.binary_cross_entropy(y, p, sample_weight=w))
        try:
            val = float(np.asarray(got))
        except (TypeError, ValueError):
            return Feedback(
                False,
                f"return one number (the mean loss), got an array of shape "
                f"{np.shape(got)}: take the mean over all pixels.",
            )
        case = f"y={y.ravel().tolist()}, p={p.ravel().tolist()}, w_object={w_object:g}"
        if math.isclose(val, want, rel_tol=1e-5, abs_tol=1e-7):
            continue
        plain = float(ops.binary_cross_entropy(y, p))
        swapped = float(
            ops.binary_cross_entropy(y, p, sample_weight=_class_weights(1 - y, w_object))
        )
        if not math.isfinite(val):
            hint = (
                "You got nan/inf: log(0) = -inf, and 0 * -inf = nan. Clip p first, as Keras "
                "does (section 1 says to what)."
            )
        elif math.isclose(val, plain, rel_tol=1e-5):
            hint = (
                "That is the unweighted loss: every pixel counts once. Multiply each object "
                "pixel's loss by w_object first."
            )
        elif math.isclose(val, swapped, rel_tol=1e-5):
            hint = "You weighted the background pixels; the object pixels (y = 1) get w_object."
        elif math.isclose(val, want * y.size / float(w.sum()), rel_tol=1e-5):
            hint = (
                "You divided by the sum of the weights. Keras' sample_weight, the convention "
                "asked for here, divides the weighted sum by the number of pixels N."
            )
        elif math.isclose(val, -want, rel_tol=1e-5):
            hint = "Sign: log p is negative, so the loss needs the leading minus to be >= 0."
        elif math.isclose(val, want * y.size, rel_tol=1e-5):
            hint = "You summed; average over the N pixels instead."
        else:
            hint = (
                "Per pixel: the loss of lesson 06's formula times that pixel's weight; then the "
                "mean over all pixels."
            )
        return Feedback(False, f"for {case} you returned {val:.6g}; expected {want:.6g}. {hint}")
    y, p, w_object = _WEIGHTED_BCE_CASES[0]
    plain = float(ops.binary_cross_entropy(y, p))
    weighted = float(ops.binary_cross_entropy(y, p, sample_weight=_class_weights(y, w_object)))
    return Feedback(
        True,
        f"correct, including the p = 0 pixel. On the first case the object pixels' mistakes now "
        f"weigh {w_object:g} times as much: loss {weighted:.4f} instead of {plain:.4f}. With "
        "w_object = (background pixels) / (object pixels), a small object weighs as much in "
        "the loss as the whole background.",
    )


#: the question of the third exercise: a 100x100 mask with a 10x10 object, all-background predictor
ALL_BACKGROUND_CASE = {"size": 100, "object": 10}


def check_all_background(answer) -> Feedback:
    """Check predicted scores of the all-background predictor on a 100x100 mask, 10x10 object.

    ``answer`` is a dict with ``"accuracy"``, ``"iou_object"``, ``"iou_background"`` and
    ``"mean_iou"`` (numbers; 3 decimals are enough).

    Examples
    --------
    >>> check_all_background({"accuracy": 0.99, "iou_object": 0.0, "iou_background": 0.99,
    ...                       "mean_iou": 0.495}).passed
    True
    """
    n, k = ALL_BACKGROUND_CASE["size"], ALL_BACKGROUND_CASE["object"]
    t = np.zeros((n, n), np.uint8)
    t[:k, :k] = 1
    pred = np.zeros_like(t)
    ious = metrics.iou(t, pred, 2)
    want = {
        "accuracy": metrics.pixel_accuracy(t, pred),
        "iou_object": float(ious[1]),
        "iou_background": float(ious[0]),
        "mean_iou": metrics.mean_iou(t, pred, 2),
    }
    bad = dict_answer(answer, want)
    if bad is not None:
        return bad
    hints = {
        "accuracy": "Which pixels does 'background everywhere' get right? Count them, and "
        "divide by all the pixels of the mask.",
        "iou_object": "How many pixels does the predictor call object? Then how large is the "
        "overlap with the true object, and how large the union?",
        "iou_background": "For the background class: how many pixels are truly background, "
        "how many are predicted background, how many are both? IoU = overlap / union.",
        "mean_iou": "Mean IoU averages the per-class IoUs over the classes.",
    }
    for key, w in want.items():
        try:
            got = float(answer[key])
        except (TypeError, ValueError):
            return Feedback(False, f"answer[{key!r}] must be a number, got {answer[key]!r}.")
        if abs(got - w) <= 5e-3:
            continue
        if key != "iou_object" and abs(got - 100 * w) < 0.5:
            return Feedback(
                False,
                f"answer[{key!r}] = {got}: give fractions (between zero and one), not percentages.",
            )
        return Feedback(False, f"answer[{key!r}] = {got} is not right. {hints[key]}")
    return Feedback(
        True,
        f"correct: 99% accuracy while the object is missed completely (IoU 0). Mean IoU "
        f"{want['mean_iou']:.3f} halves the praise, and the object's own IoU tells the truth.",
    )

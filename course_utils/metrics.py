"""Segmentation metrics on integer label maps (NumPy), plus Keras metric versions.

The NumPy part imports without Keras; ``MeanIoUFromProbs`` and ``DiceFromProbs`` (for
``model.compile``) start Keras the first time they are used.

All NumPy functions take ``y_true`` and ``y_pred`` as integer label maps of the same shape
(any rank: one image ``(H, W)`` or a batch ``(N, H, W)``).  To turn a network's softmax output
``(N, H, W, C)`` into labels use ``probs.argmax(-1)``.

**A class absent from both maps** (no true and no predicted pixel) has no IoU and no Dice: its
score is ``nan``, never 0 (a failure) nor 1 (a success), and every mean skips it (``mean_iou``,
``mean_dice``, and the Keras versions, like ``keras.metrics.MeanIoU``).  This is the course's one
convention; :func:`mask_scores` and the lessons' toy fits use it too.
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
    "border_weight_map",
    "label_components",
    "otsu_threshold",
    "match_instances",
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

    A class absent from both maps has no defined IoU and gets ``nan`` (the module's one
    convention: ``mean_iou`` skips it).

    Examples
    --------
    >>> iou([0, 0, 1, 1], [0, 1, 1, 1], 2)
    array([0.5       , 0.66666667])
    >>> iou([0, 0, 1, 1], [0, 1, 1, 1], 3)  # class 2 is in neither map
    array([0.5       , 0.66666667,        nan])
    """
    cm = confusion_matrix(y_true, y_pred, num_classes).astype(np.float64)
    inter = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), np.nan)


def mean_iou(y_true, y_pred, num_classes: int) -> float:
    """Mean of the per-class IoU over classes present in either map (like ``keras.metrics.MeanIoU``).

    The ``nan`` of a class absent from both maps is skipped, not counted as 0 or 1.

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
        A class absent from both maps scores ``nan`` (the module's convention).

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
        "iou": float(ious[1]),
        "iou_background": float(ious[0]),
        "mean_iou": float(np.nanmean(ious)),
        "dice": float(dice(t, y_pred, 2)[1]),
        "tn": int(cm[0, 0]),
        "fp": int(cm[0, 1]),
        "fn": int(cm[1, 0]),
        "tp": int(cm[1, 1]),
        "y_pred": y_pred,
    }


# --------------------------------------------------------------------------------------------
# instances: touching objects, their border weights, matching (lesson 10)
# --------------------------------------------------------------------------------------------
def _instance_map(name: str, labels) -> np.ndarray:
    a = np.asarray(labels)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D label map (H, W), got shape {a.shape}.")
    if not (np.issubdtype(a.dtype, np.integer) or a.dtype == bool):
        raise ValueError(
            f"{name} must hold integer labels (0 = background, 1..n = objects), got dtype "
            f"{a.dtype}. For a foreground map use label_components(mask)."
        )
    a = a.astype(np.int64)
    if a.size and a.min() < 0:
        raise ValueError(f"{name} has negative labels; use 0 for background and 1..n for objects.")
    return a


def border_weight_map(labels, w0: float = 10.0, sigma: float = 5.0) -> np.ndarray:
    """Ronneberger et al.'s (2015) pixel weights, eq. 2: heavy on the thin gaps between cells.

    .. math:: w(x) = w_c(x) + w_0 \\exp\\left(-\\frac{(d_1(x) + d_2(x))^2}{2\\sigma^2}\\right)

    - ``d1(x)``, ``d2(x)``: Euclidean distance from pixel ``x`` to the nearest pixel of the
      nearest cell and of the second-nearest cell (one distance transform per cell,
      ``scipy.ndimage.distance_transform_edt``).
    - The border term is added on **background** pixels: the separation lines between touching
      or nearly touching cells, where it is close to ``w0``.  (Inside a cell ``d1`` would be 0;
      the paper's Fig. 3d shows the weights on the gaps.)
    - ``w_c`` balances the class frequencies: with ``N`` pixels of which ``N_fg`` are foreground
      (label > 0) and ``N_bg`` background, ``w_c = N / (2 N_fg)`` on foreground and
      ``N / (2 N_bg)`` on background, so ``w_c`` averages to 1 and each class carries half the
      total weight.  An image with one class only gets ``w_c = 1``.

    Only cells near a pixel matter: each cell's distance transform is computed in its bounding
    box grown by ``6 sigma``.  ``d1`` and ``d2`` are exact wherever the second-nearest cell is
    closer than ``6 sigma``; elsewhere the border term is set to 0 (its exact value there is below
    ``w0 * exp(-18)``, about ``1.5e-7 * w0``).  With one cell or none the border term is 0.

    Pass the result as per-pixel ``sample_weight`` to ``model.fit`` (shape ``(N, H, W)``).

    Parameters
    ----------
    labels : integer array, shape (H, W)
        Instance labels: 0 = background, one id per cell (need not be consecutive).
    w0 : float
        Height of the border term (>= 0; the paper uses 10).
    sigma : float
        Width of the border term in pixels (> 0; the paper uses about 5).

    Returns
    -------
    ndarray, float32, shape (H, W)

    Examples
    --------
    Two cells with a 2-pixel gap: on the gap ``d1 = 1``, ``d2 = 2``, the border term is
    ``10 exp(-9 / 50) = 8.35``; ``w_c`` is ``21 / 12 = 1.75`` on the 6 background pixels and
    ``21 / 30 = 0.7`` on the 15 cell pixels.

    >>> lab = np.zeros((3, 7), int); lab[:, :2] = 1; lab[:, 4:] = 2
    >>> border_weight_map(lab)[0].round(2)
    array([ 0.7,  0.7, 10.1, 10.1,  0.7,  0.7,  0.7], dtype=float32)
    """
    from scipy import ndimage

    lab = _instance_map("labels", labels)
    if not (isinstance(w0, (int, float, np.number)) and np.isfinite(w0) and w0 >= 0):
        raise ValueError(f"w0 must be a number >= 0, got {w0!r}.")
    if not (isinstance(sigma, (int, float, np.number)) and np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a number > 0 (pixels), got {sigma!r}.")
    fg = lab > 0
    n, n_fg = lab.size, int(fg.sum())
    n_bg = n - n_fg
    if n_fg and n_bg:
        weights = np.where(fg, n / (2.0 * n_fg), n / (2.0 * n_bg))
    else:
        weights = np.ones(lab.shape)
    reach = int(np.ceil(6 * sigma))
    d1 = np.full(lab.shape, np.inf)
    d2 = np.full(lab.shape, np.inf)
    h, w = lab.shape
    for cell, box in enumerate(ndimage.find_objects(lab), start=1):
        if box is None:  # label not used
            continue
        r0, r1 = max(box[0].start - reach, 0), min(box[0].stop + reach, h)
        c0, c1 = max(box[1].start - reach, 0), min(box[1].stop + reach, w)
        dist = ndimage.distance_transform_edt(lab[r0:r1, c0:c1] != cell)
        near1, near2 = d1[r0:r1, c0:c1], d2[r0:r1, c0:c1]  # views: updated in place
        np.minimum(near2, np.maximum(near1, dist), out=near2)  # uses the old d1
        np.minimum(near1, dist, out=near1)
    border = np.zeros(lab.shape)
    near = ~fg & (d2 < reach)
    border[near] = w0 * np.exp(-((d1[near] + d2[near]) ** 2) / (2.0 * sigma**2))
    return (weights + border).astype(np.float32)


def label_components(mask, connectivity: int = 1, min_size: int = 1) -> np.ndarray:
    """Turn a foreground map into instances: one label per connected component.

    This is how a *semantic* prediction (each pixel: nucleus or not) becomes objects, and why
    touching nuclei merge: if no background pixel separates them, they form one component.

    Parameters
    ----------
    mask : array, shape (H, W)
        Foreground where ``mask > 0`` (0/1, bool, or a label map).
    connectivity : {1, 2}
        1: pixels touching by an edge are connected (4-neighbourhood); 2: by an edge or a corner
        (8-neighbourhood).
    min_size : int
        Components with fewer pixels are dropped (set to background).

    Returns
    -------
    ndarray, int32, shape (H, W): 0 = background, 1..n = components (row-major order of their
    first pixel).

    Examples
    --------
    >>> m = np.array([[1, 1, 0, 0], [0, 0, 0, 1], [1, 0, 1, 1]])
    >>> label_components(m)
    array([[1, 1, 0, 0],
           [0, 0, 0, 2],
           [3, 0, 2, 2]], dtype=int32)
    >>> int(label_components(m, min_size=2).max())
    2
    """
    from scipy import ndimage

    m = np.asarray(mask)
    if m.ndim != 2:
        raise ValueError(f"mask must be a 2-D map (H, W), got shape {m.shape}.")
    connectivity = check_int("connectivity", connectivity, 1, 2)
    min_size = check_int("min_size", min_size, 1)
    structure = ndimage.generate_binary_structure(2, connectivity)
    lab, n = ndimage.label(m > 0, structure=structure)
    if min_size > 1 and n:
        sizes = np.bincount(lab.ravel(), minlength=n + 1)
        keep = sizes >= min_size
        keep[0] = False
        new_ids = np.zeros(n + 1, np.int64)
        new_ids[keep] = np.arange(1, int(keep.sum()) + 1)
        lab = new_ids[lab]
    return lab.astype(np.int32)


def otsu_threshold(image, bins: int = 256) -> float:
    """Otsu's (1979) threshold: the cut that maximises the between-class variance of the histogram.

    The classic baseline for bright objects on a dark background: ``image > t`` is the
    foreground.  For every cut between histogram bins, with ``w0, w1`` the fractions of pixels
    below / above and ``m0, m1`` their means, the between-class variance is
    ``w0 w1 (m0 - m1)^2``; the threshold is the centre of the last bin below the best cut.

    Parameters
    ----------
    image : array
        Any shape, finite values, not constant.
    bins : int
        Number of histogram bins over ``[min, max]`` (>= 2).

    Returns
    -------
    float

    Examples
    --------
    >>> x = np.array([0.1, 0.12, 0.11, 0.8, 0.82])
    >>> t = otsu_threshold(x)
    >>> 0.12 <= t < 0.8, (x > t).tolist()
    (True, [False, False, False, True, True])
    """
    a = np.asarray(image, dtype=np.float64).ravel()
    bins = check_int("bins", bins, 2)
    if a.size == 0 or not np.isfinite(a).all():
        raise ValueError("image must be non-empty with finite values (no NaN or inf).")
    lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        raise ValueError(f"image is constant ({lo}); there is nothing to threshold.")
    hist, edges = np.histogram(a, bins=bins, range=(lo, hi))
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)[:-1].astype(np.float64)  # pixels in bins 0..k
    w1 = a.size - w0
    s0 = np.cumsum(hist * centres)[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        m0 = s0 / w0
        m1 = (np.sum(hist * centres) - s0) / w1
        between = w0 * w1 * (m0 - m1) ** 2
    return float(centres[int(np.nanargmax(between))])


def match_instances(true_labels, pred_labels, iou_threshold: float = 0.5) -> dict:
    """Match predicted objects to true objects one-to-one by IoU, and count hits and misses.

    A true object and a predicted object *match* when their IoU (pixels in both / pixels in
    either) is above ``iou_threshold``.  For thresholds >= 0.5 a match is unique: an IoU above
    0.5 means the two share more than half of their union, so an object cannot match two
    disjoint objects, and no assignment step is needed.  Thresholds below 0.5 are refused for
    that reason.

    - ``tp``: matched pairs; ``fp``: predicted objects with no match (spurious or merged);
      ``fn``: true objects with no match (missed, or merged into a neighbour).
    - ``precision = tp / (tp + fp)``, ``recall = tp / (tp + fn)``,
      ``f1 = 2 tp / (2 tp + fp + fn)``; ``nan`` when the denominator is 0 (no objects at all).
    - ``matched_iou``: mean IoU of the matched pairs (``nan`` if none).

    Two touching nuclei of similar size predicted as one blob each cover about half of it or
    less: no match, so ``fn = 2`` and ``fp = 1``; merging costs three errors.

    Parameters
    ----------
    true_labels, pred_labels : integer arrays, shape (H, W)
        Instance label maps: 0 = background, one id per object (ids need not be consecutive or
        agree between the maps). For a foreground map use :func:`label_components` first.
    iou_threshold : float in [0.5, 1)

    Returns
    -------
    dict
        ``tp``, ``fp``, ``fn``, ``n_true``, ``n_pred`` (ints), ``precision``, ``recall``,
        ``f1``, ``matched_iou`` (floats).

    Examples
    --------
    >>> t = np.array([[1, 1, 0, 2, 2]])
    >>> p = np.array([[5, 5, 0, 0, 7]])
    >>> r = match_instances(t, p)
    >>> r["tp"], r["fp"], r["fn"], r["f1"]
    (1, 1, 1, 0.5)
    """
    t = _instance_map("true_labels", true_labels)
    p = _instance_map("pred_labels", pred_labels)
    if t.shape != p.shape:
        raise ValueError(
            f"true_labels and pred_labels must have the same shape, got {t.shape} and {p.shape}."
        )
    if not (isinstance(iou_threshold, (int, float, np.number)) and 0.5 <= float(iou_threshold) < 1):
        raise ValueError(
            f"iou_threshold must be in [0.5, 1), got {iou_threshold!r}; below 0.5 one object "
            "could match several and matching would need an assignment step."
        )

    def compact(a):  # ids -> 0 (background), 1..n
        ids = np.unique(a[a > 0])
        return np.where(a > 0, np.searchsorted(ids, a) + 1, 0), len(ids)

    ti, nt = compact(t)
    pi, npred = compact(p)
    counts = np.bincount((ti * (npred + 1) + pi).ravel(), minlength=(nt + 1) * (npred + 1))
    counts = counts.reshape(nt + 1, npred + 1).astype(np.float64)
    inter = counts[1:, 1:]
    union = counts.sum(1)[1:, None] + counts.sum(0)[None, 1:] - inter
    ious = inter / np.where(union > 0, union, 1)
    matched = ious > float(iou_threshold)
    tp = int(matched.sum())
    fp, fn = npred - tp, nt - tp

    def ratio(num, den):
        return float(num / den) if den else float("nan")

    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "n_true": nt,
        "n_pred": npred,
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
        "matched_iou": float(ious[matched].mean()) if tp else float("nan"),
    }


def __getattr__(name: str):
    """``MeanIoUFromProbs`` and ``DiceFromProbs`` need Keras: load them on first use."""
    if name in ("MeanIoUFromProbs", "DiceFromProbs"):
        from . import _keras_metrics

        return getattr(_keras_metrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Checkers for lesson 10 (real data): which split leaks, where the border weight map is largest,
and padding an image to a multiple of the network's stride.

The first two are *predict first* exercises: the student names an answer, the checker measures
the truth on the nuclei image and says it with numbers.
"""

from __future__ import annotations

import numpy as np

from ..data import load_nuclei, nuclei_split, split_indices
from ._base import Feedback, call_student, student_check

__all__ = [
    "LEAK_CHOICES",
    "random_tile_split",
    "tile_leak",
    "leak_report",
    "check_leak_prediction",
    "WEIGHT_PLACES",
    "weight_places",
    "check_weight_peak_prediction",
    "check_pad_to_multiple",
]

LEAK_CHOICES = ("random tiles", "region split")


def random_tile_split(
    shape=(512, 512), tile: int = 64, stride: int = 32, seed: int = 0, val: float = 0.15, test=0.15
) -> dict:
    """The split lesson 10 warns against: every tile of the image, shuffled, cut 70/15/15.

    Returns
    -------
    dict
        ``"train"``, ``"val"``, ``"test"``: int arrays ``(n, 2)`` of tile corners.

    Examples
    --------
    >>> s = random_tile_split()
    >>> len(s["train"]), len(s["val"]), len(s["test"])
    (157, 34, 34)
    """
    h, w = shape
    rows, cols = np.meshgrid(
        np.arange(0, h - tile + 1, stride), np.arange(0, w - tile + 1, stride), indexing="ij"
    )
    corners = np.stack([rows.ravel(), cols.ravel()], axis=1)
    train, val_idx, test_idx = split_indices(len(corners), seed, val, test)
    return {"train": corners[train], "val": corners[val_idx], "test": corners[test_idx]}


def _covered(corners, tile: int, shape) -> np.ndarray:
    m = np.zeros(shape, bool)
    for r, c in np.asarray(corners).reshape(-1, 2):
        m[r : r + tile, c : c + tile] = True
    return m


def tile_leak(train_corners, test_pixels: np.ndarray, tile: int) -> float:
    """Fraction of the test pixels (a bool map) that also lie inside some training tile.

    Examples
    --------
    >>> test = np.zeros((4, 4), bool); test[:, 2:] = True
    >>> tile_leak([(0, 0)], test, 3)
    0.375
    """
    test = np.asarray(test_pixels, bool)
    return float(_covered(train_corners, tile, test.shape)[test].mean())


def leak_report(tile: int = 64, stride: int = 32, seed: int = 0) -> dict:
    """For both splits of the nuclei image: the share of test pixels inside a training tile, and
    how many of the nuclei the test pixels show also have pixels in a training tile.

    Returns
    -------
    dict
        ``{"random tiles": {...}, "region split": {...}}``, each with ``pixels`` (fraction),
        ``nuclei`` (test nuclei seen in training) and ``test_nuclei``.
    """
    _, labels = load_nuclei()
    shape = labels.shape
    random = random_tile_split(shape, tile, stride, seed)
    region = nuclei_split(shape, tile=tile, stride=stride)
    report = {}
    for name, train, test in (
        ("random tiles", random["train"], _covered(random["test"], tile, shape)),
        ("region split", region["train"], region["regions"] == 2),
    ):
        seen = _covered(train, tile, shape)
        test_ids = set(np.unique(labels[test])) - {0}
        seen_ids = set(np.unique(labels[seen])) - {0}
        report[name] = {
            "pixels": float(seen[test].mean()),
            "nuclei": len(test_ids & seen_ids),
            "test_nuclei": len(test_ids),
        }
    return report


def check_leak_prediction(prediction: str) -> Feedback:
    """Which split leaks: ``"random tiles"`` or ``"region split"``?  Measured on the nuclei image.

    Examples
    --------
    >>> bool(check_leak_prediction("random tiles"))
    True
    """
    if prediction not in LEAK_CHOICES:
        return Feedback(
            False,
            f"set prediction to one of {list(LEAK_CHOICES)} before running the check "
            f"(got {prediction!r}).",
        )
    r = leak_report()
    rnd, reg = r["random tiles"], r["region split"]
    numbers = (
        f"Measured: with random tiles {rnd['pixels']:.0%} of the test pixels lie inside a "
        f"training tile, and {rnd['nuclei']} of the {rnd['test_nuclei']} nuclei in the test "
        f"tiles were also seen in training; with the region split {reg['pixels']:.0%} of the "
        f"pixels (only the {reg['nuclei']} of its {reg['test_nuclei']} nuclei that the "
        "quadrant's edge cuts have another part in training, never the part scored). "
        "Overlapping tiles (stride 32 < tile 64) share pixels, and even side by side tiles "
        "share the nuclei cut by their border: a random split scores the network on what it "
        "has seen."
    )
    if prediction == "random tiles":
        return Feedback(True, f"Right: random tiles leak. {numbers}")
    return Feedback(
        False,
        f"Not {prediction}. Think of one test tile: can a training tile overlap it (stride 32 "
        "< tile 64), or lie beside it and hold the other half of a nucleus its border cuts? "
        "Which split makes that impossible?",
    )


WEIGHT_PLACES = (
    "inside the nuclei",
    "far out in the background",
    "in the thin gaps between touching nuclei",
    "along the image border",
)


def weight_places(labels, weights, reach: int = 3) -> dict:
    """The mean weight in each of :data:`WEIGHT_PLACES`, and the place of the largest weights.

    A *gap* pixel is a background pixel with two different nuclei within ``reach`` pixels
    (a ``2 reach + 1`` square around it); *far* background has no nucleus within ``3 reach``;
    the *border* is the outermost 3 pixels of the image.

    Returns
    -------
    dict
        ``place -> mean weight`` for the four places, plus ``"top"``: the place holding most of
        the largest 1 % of the weights, and ``"top_share"``: which share of them it holds.
    """
    from scipy import ndimage

    lab = np.asarray(labels)
    w = np.asarray(weights, dtype=np.float64)
    size = 2 * reach + 1
    biggest = ndimage.maximum_filter(lab, size=size)
    smallest = ndimage.minimum_filter(np.where(lab > 0, lab, lab.max() + 1), size=size)
    gap = (lab == 0) & (biggest > 0) & (smallest <= lab.max()) & (smallest != biggest)
    far = ndimage.maximum_filter(lab, size=3 * size) == 0
    border = np.zeros(lab.shape, bool)
    border[:3, :] = border[-3:, :] = border[:, :3] = border[:, -3:] = True
    places = dict(zip(WEIGHT_PLACES, (lab > 0, far, gap, border), strict=True))
    means = {name: float(w[m].mean()) if m.any() else float("nan") for name, m in places.items()}
    top = w >= np.quantile(w, 0.99)
    shares = {name: float((m & top).sum() / top.sum()) for name, m in places.items()}
    best = max(shares, key=shares.get)
    return {**means, "top": best, "top_share": shares[best]}


def check_weight_peak_prediction(prediction: str, labels, weights) -> Feedback:
    """Where is the border weight map largest?  One of :data:`WEIGHT_PLACES`, measured on
    ``weights`` (the map of ``labels``)."""
    if prediction not in WEIGHT_PLACES:
        return Feedback(
            False,
            f"set prediction to one of {list(WEIGHT_PLACES)} before running the check "
            f"(got {prediction!r}).",
        )
    r = weight_places(labels, weights)
    numbers = (
        "Mean weight: "
        + ", ".join(f"{place} {r[place]:.2f}" for place in WEIGHT_PLACES)
        + f". {r['top_share']:.0%} of the largest 1 % of the weights lie {r['top']}. "
        "There d1 + d2, the distances to the two nearest nuclei, is smallest, so the border "
        "term w0 exp(-(d1 + d2)^2 / (2 sigma^2)) is close to w0 = 10: the loss pays most for "
        "the few background pixels that separate two nuclei."
    )
    if prediction == r["top"]:
        return Feedback(True, f"Right: {prediction}. {numbers}")
    return Feedback(
        False,
        f"Not {prediction}: the mean weight there is {r[prediction]:.2f}. Read the formula "
        "again: w_c(x) balances the classes, and the border term w0 exp(-(d1 + d2)^2 / "
        "(2 sigma^2)) is largest where d1 + d2, the distances to the two nearest nuclei, is "
        "smallest. Where is a pixel close to two nuclei at once?",
    )


@student_check
def check_pad_to_multiple(fn) -> Feedback:
    """Check ``fn(image, multiple)``: pad an ``(H, W)`` image at the bottom and right by mirroring
    (``np.pad(..., mode="reflect")``) until H and W are multiples of ``multiple``.

    Examples
    --------
    >>> def pad(image, multiple):
    ...     h, w = image.shape
    ...     return np.pad(image, ((0, -h % multiple), (0, -w % multiple)), mode="reflect")
    >>> bool(check_pad_to_multiple(pad))
    True
    """
    rng = np.random.default_rng(0)
    for h, w, m in ((37, 50, 4), (64, 64, 4), (5, 3, 4), (30, 31, 8)):
        image = rng.random((h, w))
        got = np.asarray(call_student(fn, image.copy(), m))
        want = np.pad(image, ((0, -h % m), (0, -w % m)), mode="reflect")
        if got.shape != want.shape:
            return Feedback(
                False,
                f"for a {h}x{w} image and multiple {m} your result has shape {got.shape}; "
                f"expected {want.shape}: each side grows to the smallest multiple of {m} that "
                "is at least as long, and a side that already divides stays as it is.",
            )
        if not np.allclose(got[:h, :w], image):
            return Feedback(
                False,
                f"for a {h}x{w} image the top-left {h}x{w} of your result is not the image: "
                "pad only at the bottom and on the right, and keep the image as it is.",
            )
        if not np.allclose(got, want):
            zeros = np.allclose(got[h:], 0) and np.allclose(got[:, w:], 0)
            return Feedback(
                False,
                f"for a {h}x{w} image the added rows or columns are not the mirrored image"
                + (
                    " (they are zeros: a black band the network would take for background)"
                    if zeros
                    else ""
                )
                + ": row H must repeat row H - 2, row H + 1 row H - 3, ... (a mirror at the "
                "last row, which itself is not repeated), and the same for the columns.",
            )
    return Feedback(
        True,
        "Right: each side rounded up to the multiple, the extra rows and columns mirror the "
        "image. training.predict_image pads the same way, split between both sides.",
    )

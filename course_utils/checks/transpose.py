"""Checkers for lesson 04 (transposed convolution)."""

from __future__ import annotations

import numpy as np

from .. import ops
from ._base import (
    Feedback,
    call_student,
    check_size_formula,
    refuse_library_answer,
    student_check,
    student_value,
)

__all__ = [
    "check_transpose_output_size",
    "check_scatter_add",
    "check_checkerboard",
    "check_doubling_choices",
]

_SIZE_CASES = [  # (n, k, s, p)
    (4, 3, 2, 0),
    (4, 2, 2, 0),
    (64, 2, 2, 0),
    (5, 3, 1, 1),
    (7, 4, 2, 1),
    (10, 5, 3, 2),
    (32, 3, 2, 1),
    (8, 1, 2, 0),  # k < s: the formula's 15 (Keras' padding="valid" would keep n * s = 16)
]


def check_transpose_output_size(fn) -> Feedback:
    """Check ``fn(n, k, s, p)`` returns ``(n - 1) * s + k - 2p`` for several cases.

    The convention of an integer padding ``p`` (``ops.conv2d_transpose``, PyTorch), also for
    ``k < s``, where Keras' ``padding="valid"`` keeps ``n * s`` instead.

    Examples
    --------
    >>> check_transpose_output_size(lambda n, k, s, p: (n - 1) * s + k - 2 * p).passed
    True
    >>> check_transpose_output_size(lambda n, k, s, p: n * s).passed
    False
    """
    wrong = [
        (
            lambda n, k, s, p: n * s,
            "n*s is UpSampling2D's size (and Keras' padding='same', and Keras' 'valid' when "
            "k < s, which pads the end with zeros). With a padding p as in the formula, the "
            "output ends where the last stamp ends: it starts at (n-1)*s and is k wide.",
        ),
        (
            lambda n, k, s, p: (n - 1) * s + k,
            "Close: padding p crops p pixels from *each* side: subtract 2p.",
        ),
        (lambda n, k, s, p: (n - 1) * s + k - p, "Padding crops both sides: subtract 2p, not p."),
        (
            lambda n, k, s, p: (n - 1) * s + k + 2 * p,
            "In a transposed conv padding *removes* pixels: subtract 2p, don't add.",
        ),
        (
            lambda n, k, s, p: n * s + k - 2 * p,
            "n pixels are n-1 strides apart: the last stamp starts at (n-1)*s, so use (n-1)*s, "
            "not n*s.",
        ),
        (
            lambda n, k, s, p: (n + 2 * p - k) // s + 1,
            "that is the ordinary convolution's size (it shrinks); the transposed conv runs the "
            "formula backwards: n = (out + 2p - k)/s + 1, solve for out.",
        ),
    ]
    bad = check_size_formula(
        fn,
        _SIZE_CASES,
        ops.conv_transpose_output_size,
        names="n k s p",
        float_hint="use only integer arithmetic (no `/`).",
        wrong=wrong,
        fallback="Think of the stamps: the last one starts at (n-1)*s and is k wide.",
    )
    if bad is not None:
        return bad
    return Feedback(
        True,
        f"correct on all {len(_SIZE_CASES)} cases, e.g. k=2, s=2, p=0 doubles the size exactly "
        "(64 -> 128): the usual U-Net decoder choice.",
    )


_SCATTER_CASES = [  # (x shape, kernel shape, stride)
    ((3, 3), (3, 3), 2),
    ((3, 4), (2, 3), 1),
    ((3, 2), (2, 2), 3),
    ((4, 3), (3, 2), 2),
]


def _scatter_variants(x: np.ndarray, k: np.ndarray, s: int) -> dict[str, np.ndarray]:
    """Common wrong answers, each computed correctly so a match identifies the mistake."""
    h, w = x.shape
    kh, kw = k.shape
    out = {"flipped": ops.conv2d_transpose(x, k[::-1, ::-1], s, padding=0)}
    over = np.zeros(((h - 1) * s + kh, (w - 1) * s + kw))
    for i in range(h):
        for j in range(w):
            over[s * i : s * i + kh, s * j : s * j + kw] = x[i, j] * k
    out["overwrite"] = over
    if s > 1:  # stamps at (i, j) instead of (s*i, s*j), in an output of the right size
        packed = ops.conv2d_transpose(x, k, 1, padding=0)
        out["stride1"] = np.zeros_like(over)
        out["stride1"][: packed.shape[0], : packed.shape[1]] = packed
    return out


@student_check
def check_scatter_add(fn) -> Feedback:
    """Check ``fn(x, kernel, s)``: transposed conv of a 2-D ``x`` by scatter-add, no padding.

    Expected shape ``((H-1)*s + kh, (W-1)*s + kw)``, equal to
    ``ops.conv2d_transpose(x, kernel, s, padding=0)``.

    Examples
    --------
    >>> import numpy as np
    >>> def scatter_add(x, k, s):
    ...     out = np.zeros(((x.shape[0] - 1) * s + k.shape[0], (x.shape[1] - 1) * s + k.shape[1]))
    ...     for (i, j), v in np.ndenumerate(x):
    ...         out[s * i : s * i + k.shape[0], s * j : s * j + k.shape[1]] += v * k
    ...     return out
    >>> check_scatter_add(scatter_add).passed
    True
    >>> from course_utils import ops
    >>> check_scatter_add(lambda x, k, s: ops.conv2d_transpose(x, k, s, padding=0)).passed
    False
    """
    refuse_library_answer(
        fn,
        ["conv2d_transpose", "Conv2DTranspose"],
        "stamp the kernel yourself, one input pixel at a time (scatter_add_1d in two dimensions).",
    )
    rng = np.random.default_rng(0)
    for xs, ks, s in _SCATTER_CASES:
        x = rng.integers(1, 6, xs).astype(np.float64)
        k = rng.integers(-2, 4, ks).astype(np.float64)
        want = ops.conv2d_transpose(x, k, s, padding=0)
        case = f"for x of shape {xs}, kernel of shape {ks}, stride {s}"
        got = student_value(fn, x.copy(), k.copy(), s, forgot="`return out`")
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return Feedback(False, f"{case} you returned {type(got).__name__}, not an array.")
        if got.shape != want.shape:
            hint = (
                "the output has (H-1)*s + kh rows and (W-1)*s + kw columns: the last "
                "stamp starts at (H-1)*s and is kh tall."
            )
            if got.shape == (xs[0] * s, xs[1] * s):
                hint = "H*s x W*s is too small: " + hint
            elif s > 1 and got.shape == (xs[0] - 1 + ks[0], xs[1] - 1 + ks[1]):
                hint = "that is the stride-1 size: " + hint
            return Feedback(
                False,
                f"{case} your output has shape {got.shape}; expected {want.shape}. Hint: {hint}",
            )
        if np.allclose(got, want):
            continue
        hints = {
            "overwrite": "where stamps overlap you kept only the last one: use `+=`, not `=`.",
            "flipped": "you flipped the kernel: stamp K as it is, K[a, b] lands at "
            "(s*i + a, s*j + b).",
            "stride1": "stamps must start at (s*i, s*j): multiply the position by the stride.",
        }
        for name, arr in _scatter_variants(x, k, s).items():
            if arr.shape == got.shape and np.allclose(got, arr):
                return Feedback(False, f"{case} your output is wrong: {hints[name]}")
        r, c = np.argwhere(~np.isclose(got, want))[0]
        return Feedback(
            False,
            f"{case} out[{r}, {c}] is {got[r, c]:.4g}; expected {want[r, c]:.4g}. Which "
            f"stamps cover out[{r}, {c}]? Each input pixel's stamp starts at s times its row and "
            "column and is as large as the kernel; where stamps overlap, all of them add up.",
        )
    return Feedback(
        True,
        f"correct on all {len(_SCATTER_CASES)} cases, overlaps included: this "
        "is exactly what Conv2DTranspose computes (before cropping for padding).",
    )


_CB_CASES = [(3, 2), (4, 2), (2, 2), (1, 2), (3, 1), (5, 2), (6, 3), (4, 3), (3, 3), (8, 4)]


@student_check
def check_checkerboard(fn) -> Feedback:
    """Check ``fn(k, s)`` predicts whether a k x k, stride-s transposed conv covers unevenly.

    Uneven (``True``) means the interior overlap counts differ (``k % s != 0``), including the
    case ``k < s`` that leaves holes.

    Examples
    --------
    >>> check_checkerboard(lambda k, s: k % s != 0).passed
    True
    >>> check_checkerboard(lambda k, s: k % 2 == 1).passed
    False
    """
    refuse_library_answer(
        fn,
        ["overlap_map", "conv2d_transpose"],
        "predict from k and s alone; count stamps in CheckerboardExplorer to find the rule.",
    )
    wrong = []
    for k, s in _CB_CASES:
        got = call_student(fn, k, s)
        if not isinstance(got, (bool, np.bool_)):
            return Feedback(
                False,
                f"for k={k}, s={s} you returned {got!r}; return True "
                "(uneven, checkerboard) or False (even).",
            )
        lo, hi = ops.overlap_map(k, s)[1]
        if bool(got) != (lo != hi):
            wrong.append((k, s, bool(got), lo, hi))
    if not wrong:
        return Feedback(
            True,
            f"correct on all {len(_CB_CASES)} pairs: the cover is even exactly "
            "when the stride divides the kernel size (k % s == 0). That is why "
            "decoders use k=2 or k=4 with s=2.",
        )
    k, s, got, lo, hi = wrong[0]
    if len(wrong) == len(_CB_CASES):
        hint = "your answers are all inverted: return True when the cover is *uneven*."
    elif lo == 0:
        hint = "k < s leaves holes (some pixels get no stamp at all): that is uneven too."
    elif s == 1:
        hint = "with stride 1 every interior pixel is covered k*k times: always even."
    else:
        hint = (
            "count the stamps per pixel along one axis (CheckerboardExplorer writes them in the "
            "cells) for a few kernel sizes at this stride: which kernel sizes give every "
            "interior pixel the same count?"
        )
    return Feedback(
        False,
        f"{len(wrong)} of {len(_CB_CASES)} pairs wrong, e.g. k={k}, s={s}: you "
        f"said {'uneven' if got else 'even'}, but the interior counts run from "
        f"{lo} to {hi}. {hint}",
    )


def check_doubling_choices(answer) -> Feedback:
    """Check the set of ``(k, p)`` with ``1 <= k <= 6`` for which a stride-2 transposed conv doubles.

    ``p`` is the size formula's padding, ``(n - 1) * s + k - 2p`` (``ops.conv2d_transpose`` with an
    integer padding, PyTorch's ``ConvTranspose2d(padding=p)``). "Doubles" means an output of
    exactly ``2 n`` for *every* input size ``n``: ``(n - 1) * 2 + k - 2p = 2n``, i.e. ``k - 2p = 2``.

    Keras' ``padding="valid"`` differs when ``k < s``: it keeps ``n * s`` (a zero row after the last
    stamp), so ``Conv2DTranspose(1, 1, strides=2, padding="valid")`` turns 8 into 16 where the
    formula's ``k=1, p=0`` gives 15. The feedback on ``(1, 0)`` explains both conventions.

    Examples
    --------
    >>> check_doubling_choices({(2, 0), (4, 1), (6, 2)}).passed
    True
    >>> "output_padding" in check_doubling_choices({(2, 0), (3, 1), (4, 1), (6, 2)}).message
    True
    >>> "Keras" in check_doubling_choices({(1, 0), (2, 0), (4, 1), (6, 2)}).message
    True
    """
    want = {(k, p) for k in range(1, 7) for p in range(k) if k - 2 * p == 2}
    if answer is ...:
        return Feedback(False, "replace `...` with a set of (k, p) pairs, e.g. {(1, 0), (5, 3)}.")
    try:
        got = {(int(k), int(p)) for k, p in answer}
    except (TypeError, ValueError):
        return Feedback(False, f"expected a set of (k, p) pairs of whole numbers, got {answer!r}.")
    if got == want:
        return Feedback(
            True,
            "correct: (2, 0), (4, 1) and (6, 2), all with k - 2p = 2, so the formula gives "
            "(n - 1) * 2 + 2 = 2n for every n. All three have k divisible by 2 (an even cover). "
            "An odd k never doubles by padding alone: k=3, p=1 gives 2n - 1, and Keras' "
            "padding='same' adds output_padding=1 to reach 2n.",
        )
    extra, missing = sorted(got - want), sorted(want - got)
    if extra:
        k, p = extra[0]
        n, s = 8, 2
        size = (n - 1) * s + k - 2 * p  # the exercise's convention (ops, integer padding)
        hint = f"(k={k}, p={p}) turns n=8 into {size}, not 16."
        if k < s and p == 0:
            valid = ops.conv_transpose_output_size(n, k, s, "valid")
            hint += (
                f" This exercise counts with the formula (n - 1) * s + k - 2p, the convention of "
                f"ops.conv2d_transpose with an integer padding and of PyTorch's ConvTranspose2d: "
                f"the last stamp starts at (n - 1) * s = {(n - 1) * s} and is {k} wide, so the "
                f"output ends there. Keras' padding='valid' gives {valid} instead: when k < s it "
                f"keeps n * s positions and fills the gap after the last stamp with zeros (and "
                f"every other row is a hole). Same stamps, different crop; with p as in the "
                f"formula, k={k} does not double."
            )
        elif size == 2 * n - 1:
            hint += (
                " One short: an odd kernel cannot double with padding alone; that is "
                "what output_padding=1 is for."
            )
        elif p >= k:
            hint += " The padding crops more than the kernel adds."
        return Feedback(False, hint + " Solve (n - 1) * 2 + k - 2p = 2n for k and p.")
    return Feedback(
        False,
        f"all your pairs work, but you missed {len(missing)} (k from 1 to 6): try each k and "
        "solve (n - 1) * 2 + k - 2p = 2n for p (a padding is a whole number, 0 or more).",
    )

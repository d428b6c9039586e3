"""Checkers for lesson 03 (pooling)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import ops
from ._base import (
    Feedback,
    check_number,
    check_size_formula,
    refuse_library_answer,
    student_check,
    student_value,
)

__all__ = [
    "POOL_EXERCISE_X",
    "check_pool_output_size",
    "check_max_pool_by_hand",
    "check_surviving_positions",
    "surviving_positions",
    "check_encoder_receptive_field",
    "SEED_ENCODER",
]

#: the 4x4 array of the "max-pool by hand" exercise (pool size 2, stride 2)
POOL_EXERCISE_X = np.array([[1, 3, 2, 0], [4, 6, 5, 1], [7, 2, 9, 8], [3, 0, 4, 6]])

_SIZE_CASES = [  # (n, p, s)
    (128, 2, 2),
    (7, 3, 2),
    (6, 2, 1),
    (9, 2, 2),
    (256, 3, 3),
    (10, 4, 3),
    (5, 5, 1),
]


_WRONG_SIZE_FORMULAS = [
    (
        lambda n, p, s: (n - p) // s,
        "Close: you forgot the `+ 1` (the window at position 0 counts too).",
    ),
    (
        lambda n, p, s: -(-(n - p) // s) + 1,
        "You rounded up. 'valid' pooling (Keras' default) rounds down: leftover pixels are dropped.",
    ),
    (
        lambda n, p, s: -(-n // s),
        "That is the size with padding='same', which pads so no pixel is left over; 'valid' "
        "pooling (Keras' default) drops a window that would run off the edge.",
    ),
    (
        lambda n, p, s: n // p,  # equals (n - p) // p + 1
        "Your answer uses the window size where the stride belongs: windows start every s pixels.",
    ),
    (
        lambda n, p, s: n // s,
        "The last window must fit inside the n pixels: where can it start at the latest?",
    ),
]


@student_check
def check_pool_output_size(fn) -> Feedback:
    """Check ``fn(n, p, s)`` returns ``floor((n - p) / s) + 1`` ("valid" pooling).

    Examples
    --------
    >>> check_pool_output_size(lambda n, p, s: (n - p) // s + 1).passed
    True
    >>> check_pool_output_size(lambda n, p, s: n // p).passed
    False
    """
    bad = check_size_formula(
        fn,
        _SIZE_CASES,
        ops.pool_output_size,
        names="n p s",
        float_hint="use floor division `//`: a window that would run off the edge is dropped.",
        wrong=_WRONG_SIZE_FORMULAS,
        fallback="Count window positions: 0, s, 2s, ... as long as start + p <= n.",
        whole=True,  # name the mistake by the formula that explains *all* the answers
    )
    if bad is not None:
        return bad
    return Feedback(
        True,
        f"correct on all {len(_SIZE_CASES)} cases. Note 9 pixels with p=s=2 give 4: the last "
        "row is dropped. The seed's U-Net uses 128 -> 64 -> 32, which always divides evenly.",
    )


def check_max_pool_by_hand(answer) -> Feedback:
    """Check the 2x2 result of max-pooling ``POOL_EXERCISE_X`` (pool 2, stride 2) worked by hand.

    Examples
    --------
    >>> check_max_pool_by_hand([[6, 5], [7, 9]]).passed
    True
    """
    x = POOL_EXERCISE_X
    want = ops.max_pool2d(x, 2)
    try:
        a = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return Feedback(
            False, "write the answer as a nested list of numbers, e.g. [[a, b], [c, d]]."
        )
    if a.shape == (3, 3) and np.allclose(a, ops.max_pool2d(x, 2, stride=1)):
        return Feedback(
            False,
            "you slid the window one pixel at a time (stride 1, a 3x3 result). With "
            "stride 2 the four windows do not overlap, so the answer is 2x2.",
        )
    if a.shape != (2, 2):
        return Feedback(
            False,
            f"your answer has shape {a.shape}; a 4x4 input with 2x2 windows and stride 2 "
            "gives (4 - 2) // 2 + 1 = 2 rows and 2 columns: [[a, b], [c, d]].",
        )
    if np.allclose(a, want):
        return Feedback(
            True,
            "correct: [[6, 5], [7, 9]]. 12 of the 16 numbers are gone, and so is where in "
            "each window the winner sat.",
        )
    if np.allclose(a, ops.avg_pool2d(x, 2)):
        hint = "those are the window *averages*; max pooling keeps the largest value."
    elif np.allclose(a, want.T):
        hint = (
            "rows and columns are swapped: the top-right output comes from the top-right "
            "window X[0:2, 2:4]."
        )
    elif np.allclose(a, sliding_window_view(x, (2, 2))[::2, ::2].min(axis=(-2, -1))):
        hint = "those are the window *minima*; max pooling keeps the largest value."
    else:
        wrong = [(r, c) for r in range(2) for c in range(2) if not np.isclose(a[r, c], want[r, c])]
        r, c = wrong[0]
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        hint = (
            f"output[{r}, {c}] is not right{more}. It is the largest value of its window: "
            f"rows {2 * r}-{2 * r + 1} and columns {2 * c}-{2 * c + 1} of X."
        )
    shown = a.astype(int).tolist() if np.allclose(a, a.round()) else a.tolist()
    return Feedback(False, f"your answer {shown} is not it: {hint}")


def surviving_positions(x) -> np.ndarray:
    """Boolean mask of the pixels whose value max pooling (2x2, stride 2) passes on.

    One ``True`` per window: where its maximum sits (the first one in row-major order if
    there is a tie: the course's one tie rule, :func:`course_utils.ops.max_pool2d_argmax`).

    Examples
    --------
    >>> surviving_positions([[1, 2], [4, 3]]).astype(int).tolist()
    [[0, 0], [1, 0]]
    >>> surviving_positions([[5, 5], [5, 5]]).astype(int).tolist()
    [[1, 0], [0, 0]]
    """
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] % 2 or a.shape[1] % 2:
        raise ValueError(f"x must be 2-D with even height and width, got shape {a.shape}.")
    rows, cols = ops.max_pool2d_argmax(a, 2)
    mask = np.zeros(a.shape, bool)
    mask[rows, cols] = True
    return mask


@student_check
def check_surviving_positions(fn) -> Feedback:
    """Check ``fn(x)`` marks, for 2x2/stride-2 max pooling, the position of each window's max.

    Examples
    --------
    >>> import numpy as np
    >>> def survivors(x):
    ...     windows = x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2)
    ...     return x == np.repeat(np.repeat(windows.max(axis=(1, 3)), 2, 0), 2, 1)
    >>> check_surviving_positions(survivors).passed
    True
    >>> check_surviving_positions(surviving_positions).passed  # the course's answer is refused
    False
    """
    refuse_library_answer(
        fn,
        ["surviving_positions", "max_pool2d_argmax"],
        "find each window's maximum and mark where it sits, yourself.",
    )
    rng = np.random.default_rng(4)
    cases = [POOL_EXERCISE_X.astype(float)] + [
        rng.permutation(h * w).reshape(h, w).astype(float) for h, w in ((4, 6), (6, 4), (8, 8))
    ]
    for x in cases:
        want = surviving_positions(x)
        got = student_value(fn, x.copy())
        g = np.asarray(got)
        if g.shape != x.shape:
            hint = ""
            if g.shape == want[::2, ::2].shape:
                hint = (
                    " That is the pooled size; the mask has the *input's* shape, with True "
                    "where a window's maximum sits."
                )
            return Feedback(
                False, f"for an input of shape {x.shape} you returned shape {g.shape}.{hint}"
            )
        if g.dtype != bool and not np.isin(g, (0, 1)).all():
            return Feedback(False, "return a mask: True/False (or 1/0) per input pixel.")
        g = g.astype(bool)
        if np.array_equal(g, want):
            continue
        n_win = want.sum()
        if np.array_equal(g, x >= np.sort(x, axis=None)[-n_win]):
            hint = (
                "you took the largest values of the whole array; pooling keeps the largest "
                "value of *each* 2x2 window (even a small one)."
            )
        elif g.sum() != n_win:
            hint = f"there are {n_win} windows, so exactly {n_win} pixels survive, one per window."
        else:
            hint = (
                "compare each pixel with the maximum of its own window (not a neighbouring "
                "one): how can every pixel get its window's maximum next to it?"
            )
        return Feedback(
            False,
            f"for x =\n{x.astype(int)}\nyou marked {np.argwhere(g).tolist()}; the maxima sit at "
            f"{np.argwhere(want).tolist()}. Hint: {hint}",
        )
    return Feedback(
        True,
        "correct: one survivor per window, 25% of the pixels. The pooled map forgets *where* in "
        "the window they were; U-Net's skip connections bring that detail back (lesson 05).",
    )


#: the seed U-Net's encoder up to the bottleneck: (name, kernel or window size, stride) per layer
SEED_ENCODER = [
    ("conv", 3, 1),
    ("conv", 3, 1),
    ("pool", 2, 2),
    ("conv", 3, 1),
    ("conv", 3, 1),
    ("pool", 2, 2),
    ("conv", 3, 1),
    ("conv", 3, 1),
]


def check_encoder_receptive_field(answer) -> Feedback:
    """Check the receptive field of one bottleneck pixel of the seed's encoder (:data:`SEED_ENCODER`).

    Examples
    --------
    >>> check_encoder_receptive_field(32).passed
    True
    >>> "pooling" in check_encoder_receptive_field(13).message
    True
    """
    _, kernels, strides = zip(*SEED_ENCODER, strict=True)
    want = ops.receptive_field(kernels, strides)
    convs = [k for name, k, _ in SEED_ENCODER if name == "conv"]
    return check_number(
        answer,
        want,
        case="for the seed's encoder",
        float_hint="the receptive field counts pixels.",
        right=f"correct: {want} = 1 + 2 + 2 + 1 + 4 + 4 + 2 + 8 + 8. Each layer adds (k - 1) "
        "times the spacing of its inputs (1, then 2 after the first pooling, then 4), so one "
        f"bottleneck pixel sees {want}x{want} input pixels, a quarter of a 128x128 image's side.",
        hints={
            ops.receptive_field(convs): "that counts the six convolutions only: the poolings "
            "matter twice, with their own 2-pixel window and with their stride.",
            ops.receptive_field(kernels): "that treats the poolings as stride-1 layers: after a "
            "pooling, neighbouring pixels sit 2 input pixels apart.",
            2 * len(kernels) + 1: "that counts every layer as a 3x3 at stride 1; pooling windows "
            "are 2 wide and their stride spreads every later layer.",
            want - 1 - 2: "close: the pooling windows themselves widen the view too, by (2 - 1) "
            "times their input spacing (1 for the first pooling, 2 for the second).",
            1 + 2 + 2 + 1 + 4 + 4 + 2 + 4 + 4: "the spacing multiplies: after two poolings "
            "neighbouring pixels are 2 * 2 = 4 input pixels apart.",
        },
        fallback="go layer by layer: add (k - 1) times the current spacing, then "
        "multiply the spacing by the layer's stride.",
    )

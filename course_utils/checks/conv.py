"""Checkers for lesson 01 (convolution)."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..data import sample_image
from ._base import (
    Feedback,
    call_student,
    check_number,
    check_size_formula,
    integer_answer,
    refuse_library_answer,
    student_check,
    student_value,
)

__all__ = [
    "check_conv_output_size",
    "check_vertical_edge_kernel",
    "check_receptive_field",
    "check_same_padding",
    "check_strided_receptive_field",
    "STRIDED_STACK",
]

_SIZE_CASES = [  # (n, k, s, p)
    (5, 3, 1, 0),
    (128, 3, 1, 1),
    (7, 3, 2, 0),
    (8, 3, 2, 1),
    (32, 5, 1, 2),
    (10, 4, 3, 0),
    (224, 7, 2, 3),
]


def check_conv_output_size(fn) -> Feedback:
    """Check ``fn(n, k, s, p)`` returns ``floor((n + 2p - k) / s) + 1`` for several cases.

    Examples
    --------
    >>> check_conv_output_size(lambda n, k, s, p: (n + 2 * p - k) // s + 1).passed
    True
    """
    wrong = [
        (
            lambda n, k, s, p: (n + 2 * p - k) // s,
            "Close: you forgot the `+ 1` (the first window position counts too).",
        ),
        (lambda n, k, s, p: n - k + 1, "Your answer ignores the stride and/or padding."),
        (
            lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1,
            "Round *down* (floor): a window that runs off the edge is not used.",
        ),
    ]
    bad = check_size_formula(
        fn,
        _SIZE_CASES,
        ops.conv_output_size,
        names="n k s p",
        float_hint="use floor division `//`: a window that runs off the edge is dropped.",
        wrong=wrong,
        fallback="Remember the padding appears on both sides: n + 2p.",
    )
    if bad is not None:
        return bad
    return Feedback(
        True,
        f"correct on all {len(_SIZE_CASES)} cases, e.g. a 128-pixel image with a 3x3 kernel, "
        "stride 1 and padding 1 stays 128 wide: that is why the seed's U-Net uses padding='same'.",
    )


def check_vertical_edge_kernel(kernel) -> Feedback:
    """Check a 3x3 kernel responds to vertical edges (left-right changes) and not to flat areas.

    The test: zero response on a constant image, a strong response on a vertical step edge, and
    a much weaker one on a horizontal step edge.

    Examples
    --------
    >>> check_vertical_edge_kernel([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]).passed
    True
    """
    try:
        k = np.asarray(kernel, dtype=float)
    except (TypeError, ValueError):
        return Feedback(False, "the kernel must be a 3x3 array of numbers.")
    if k.shape != (3, 3):
        return Feedback(False, f"the kernel must be 3x3, got shape {k.shape}.")
    flat = ops.conv2d(np.full((9, 9), 0.7), k)
    if np.abs(flat).max() > 1e-6:
        return Feedback(
            False,
            f"on a flat grey image your kernel gives {flat[0, 0]:.3g}, not 0. An edge detector "
            "must ignore flat areas: make the weights sum to 0.",
        )
    step_v = np.zeros((9, 9))
    step_v[:, 5:] = 1.0  # dark left, bright right: a vertical edge
    step_h = step_v.T
    rv = np.abs(ops.conv2d(step_v, k)).max()
    rh = np.abs(ops.conv2d(step_h, k)).max()
    if rv < 1e-6:
        return Feedback(
            False,
            "your kernel gives 0 on a vertical edge (dark left, bright right). Give the left "
            "and right columns opposite signs.",
        )
    if rh > 0.5 * rv:
        return Feedback(
            False,
            f"your kernel answers horizontal edges ({rh:.3g}) about as strongly as vertical ones "
            f"({rv:.3g}). A vertical edge changes from left to right, the same in every row: "
            "give every row the same left-to-right pattern, and no top-to-bottom change.",
        )
    photo = sample_image("camera", gray=True)
    resp = np.abs(ops.conv2d(photo, k, padding="same"))
    return Feedback(
        True,
        f"vertical edge response {rv:.3g}, horizontal {rh:.3g}, flat 0. On the camera photo its "
        f"strongest response is {resp.max():.2f}: run it through KernelExplorer to see where.",
    )


@student_check
def check_receptive_field(fn) -> Feedback:
    """Check ``fn(num_layers)`` = receptive field of ``num_layers`` stacked 3x3 stride-1 convs.

    Examples
    --------
    >>> check_receptive_field(lambda n: 2 * n + 1).passed
    True
    """
    for n in (1, 2, 3, 5, 10):
        got = call_student(fn, n)
        want = ops.receptive_field([3] * n)
        if got != want:
            hint = (
                "Each extra 3x3 layer widens the view by 2 pixels (one on each side)."
                if got != 3 * n
                else "The views overlap: a second 3x3 layer adds 2 pixels, not 3."
            )
            return Feedback(False, f"for {n} layer(s) you returned {got}; expected {want}. {hint}")
    return Feedback(True, "correct: n stacked 3x3 convolutions see (2n + 1) x (2n + 1) pixels.")


_SAME_CASES = [  # (n, k, s): odd and even totals, stride 1 to 3, a kernel smaller than the stride
    (5, 3, 1),
    (6, 3, 2),
    (5, 3, 2),
    (256, 3, 2),
    (7, 5, 3),
    (8, 4, 1),
    (6, 1, 2),
]


@student_check
def check_same_padding(fn) -> Feedback:
    """Check ``fn(n, k, s)`` returns the zeros ``(before, after)`` Keras adds for ``padding="same"``.

    The right answer is what :func:`course_utils.ops.pad_amounts` ``(n, k, s, "same")`` computes:
    the output has ``ceil(n / s)`` positions, the total padding is ``max((out - 1) * s + k - n, 0)``
    and an odd zero goes *after*. A function that calls ``pad_amounts`` is refused: the library
    would answer the exercise for the student.

    Examples
    --------
    >>> def same_padding(n, k, s):
    ...     total = max((-(-n // s) - 1) * s + k - n, 0)
    ...     return total // 2, total - total // 2
    >>> check_same_padding(same_padding).passed
    True
    >>> check_same_padding(lambda n, k, s: ((k - 1) // 2, (k - 1) // 2)).passed
    False
    >>> from course_utils import ops
    >>> "calls `pad_amounts`" in check_same_padding(lambda n, k, s: ops.pad_amounts(n, k, s, "same")).message
    True
    """
    refuse_library_answer(
        fn,
        ["pad_amounts"],
        "work the rule out from where the windows start (whole-number arithmetic is all it takes).",
    )
    for n, k, s in _SAME_CASES:
        case = f"for n={n}, k={k}, s={s}"
        got = student_value(fn, n, k, s)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return Feedback(
                False,
                f"{case} you returned {got!r}; return a pair (before, after): "
                "the zeros added before and after the row.",
            )
        before, after = got
        want = ops.pad_amounts(n, k, s, "same")
        for v in (before, after):
            bad = integer_answer(v, v, case, "use `//`.")
            if bad is not None:
                return bad
        if (before, after) == want:
            continue
        out = ops.conv_output_size(n, k, s, "same")  # ceil(n / s)
        total = (out - 1) * s + k - n  # before ops.pad_amounts' max(., 0): a slip's sign shows
        hint = (
            "Start from the output size, ceil(n / s): how many input positions must its last "
            "window reach?"
        )
        if (before, after) == ((k - 1) // 2, (k - 1) // 2) or (before, after) == (
            (k - 1) // 2,
            k // 2,
        ):
            hint = (
                "that is the stride-1 rule (k - 1 zeros in all). At stride s there are only "
                "ceil(n / s) windows: where does the last one start, and how far past the end "
                "of the row does it reach?"
            )
        elif before + after == total and before > after:
            hint = "right total; TensorFlow/Keras put the odd zero *after*, not before."
        elif before + after == total < 0 or min(before, after) < 0:
            hint = (
                "a padding cannot be negative: when the windows already fit, pad 0 (max(..., 0))."
            )
        elif (before, after) == (total, 0) or (before, after) == (0, total):
            hint = "right total, but Keras splits it: half before, the rest (the odd one) after."
        return Feedback(False, f"{case} you returned ({before}, {after}); expected {want}. {hint}")
    return Feedback(
        True,
        f"correct on all {len(_SAME_CASES)} cases, e.g. n=6, k=3, s=2 pads (0, 1): 3 outputs need "
        "windows at 0, 2, 4, and the last one reaches one pixel past the edge. PyTorch refuses "
        "padding='same' with stride > 1 rather than pad unevenly.",
    )


#: the stack of the "receptive field with a stride" exercise: (kernel size, stride) per layer
STRIDED_STACK = [(3, 2), (3, 1), (3, 1)]


def check_strided_receptive_field(answer) -> Feedback:
    """Check the receptive field of :data:`STRIDED_STACK` (a stride-2 3x3 conv, then two 3x3).

    Examples
    --------
    >>> check_strided_receptive_field(11).passed
    True
    >>> "stride" in check_strided_receptive_field(7).message
    True
    """
    kernels, strides = zip(*STRIDED_STACK, strict=True)
    want = ops.receptive_field(kernels, strides)
    return check_number(
        answer,
        want,
        case="for this stack",
        float_hint="the receptive field counts pixels.",
        right=f"correct: {want} = 1 + 2 + 2*2 + 2*2. After the stride-2 layer, neighbouring "
        "outputs sit 2 input pixels apart, so each later 3x3 layer widens the view by "
        "2 * 2 = 4 pixels instead of 2. ops.receptive_field([3, 3, 3], [2, 1, 1]) says the same.",
        hints={
            ops.receptive_field(kernels): "that ignores the stride: 2n + 1 holds only at stride 1.",
            1 + 2 * 2 * 3: "the first layer's own window is still 3 wide; the stride only spreads "
            "the *later* layers' windows.",
            1 + 2 + 2 + 2 * 2: "only the layers *after* the stride see spaced inputs, but both of "
            "them do: each adds 2 * 2 = 4 pixels.",
        },
        fallback="add, layer by layer, (k - 1) times the spacing of that layer's "
        "inputs in pixels; the spacing multiplies by each stride.",
    )

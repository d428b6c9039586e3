"""Checkers for lesson 01 (convolution)."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..data import sample_image
from ._base import Feedback, StudentError, call_student, integer_answer

__all__ = ["check_conv_output_size", "check_vertical_edge_kernel", "check_receptive_field"]

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
    for n, k, s, p in _SIZE_CASES:
        try:
            got = call_student(fn, n, k, s, p)
        except StudentError as err:
            return Feedback(False, str(err))
        want = ops.conv_output_size(n, k, s, p)
        bad = integer_answer(got, want, f"for n={n}, k={k}, s={s}, p={p}",
                             "use floor division `//`: a window that runs off the edge is dropped.")
        if bad is not None:  # a Feedback (falsy: it did not pass)
            return bad
        if got != want:
            hint = "Remember the padding appears on both sides: n + 2p."
            if got == (n + 2 * p - k) // s:
                hint = "Close: you forgot the `+ 1` (the first window position counts too)."
            elif got == n - k + 1 and (s != 1 or p != 0):
                hint = "Your answer ignores the stride and/or padding."
            elif got == -(-(n + 2 * p - k) // s) + 1:
                hint = "Round *down* (floor): a window that runs off the edge is not used."
            return Feedback(
                False, f"for n={n}, k={k}, s={s}, p={p} you returned {got}; expected {want}. {hint}"
            )
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
            f"({rv:.3g}). Make each row the same left-to-right pattern, e.g. [-1, 0, 1].",
        )
    photo = sample_image("camera", gray=True)
    resp = np.abs(ops.conv2d(photo, k, padding="same"))
    return Feedback(
        True,
        f"vertical edge response {rv:.3g}, horizontal {rh:.3g}, flat 0. On the camera photo its "
        f"strongest response is {resp.max():.2f}: run it through KernelExplorer to see where.",
    )


def check_receptive_field(fn) -> Feedback:
    """Check ``fn(num_layers)`` = receptive field of ``num_layers`` stacked 3x3 stride-1 convs.

    Examples
    --------
    >>> check_receptive_field(lambda n: 2 * n + 1).passed
    True
    """
    for n in (1, 2, 3, 5, 10):
        try:
            got = call_student(fn, n)
        except StudentError as err:
            return Feedback(False, str(err))
        want = ops.receptive_field([3] * n)
        if got != want:
            hint = (
                "Each extra 3x3 layer widens the view by 2 pixels (one on each side)."
                if got != 3 * n
                else "The views overlap: a second 3x3 layer adds 2 pixels, not 3."
            )
            return Feedback(False, f"for {n} layer(s) you returned {got}; expected {want}. {hint}")
    return Feedback(True, "correct: n stacked 3x3 convolutions see (2n + 1) x (2n + 1) pixels.")

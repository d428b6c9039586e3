"""Checkers for lesson 02 (ReLU, the activation function)."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..data import sample_image
from ..ops import KERNEL_PRESETS
from ._base import Feedback, refuse_library_answer, student_check, student_value

__all__ = ["check_relu", "check_combined_kernel", "check_sparsity_bias", "check_abs_from_relu"]


def _relu_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(2)
    return [
        np.array([-2.0, -0.5, 0.0, 0.5, 3.0]),
        rng.normal(size=(4, 5)),
        rng.normal(size=(3, 4, 2)),
        np.array([[-3, 0], [2, -1]]),  # integers
    ]


def _call_on_cases(fn) -> list | Feedback:
    """``[(x, fn(x)), ...]`` on the test inputs, or the Feedback for an input changed in place
    (an exception or no return value raises :class:`StudentError`, reported by the checker)."""
    calls = []
    for x in _relu_cases():
        before = x.copy()
        got = student_value(fn, x)
        if not np.array_equal(x, before):
            return Feedback(
                False,
                f"your function changed its input array in place (x was {before.tolist()}, "
                f"afterwards {x.tolist()}). A layer must not overwrite its input: compute a new "
                "array instead of assigning into x[...].",
            )
        calls.append((before, got))
    return calls


@student_check
def check_relu(fn) -> Feedback:
    """Check ``fn(x)`` computes ``max(0, x)`` element-wise, for any shape, without changing ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> check_relu(lambda x: np.maximum(x, 0)).passed
    True
    >>> check_relu(lambda x: np.max(x, 0)).passed
    False
    """
    calls = _call_on_cases(fn)
    if isinstance(calls, Feedback):
        return calls
    for before, got in calls:
        want = np.maximum(before, 0)
        try:
            g = np.asarray(got)
        except Exception:  # noqa: BLE001 - any odd return value becomes feedback
            return Feedback(False, f"expected an array, got {type(got).__name__}.")
        if g.shape != want.shape:
            hint = "ReLU acts on every element, so the output has the input's shape."
            if g.shape == np.max(before, axis=0).shape or g.ndim == 0:
                hint = (
                    "np.max(x, 0) *reduces* (it finds the largest value along axis 0). ReLU "
                    "compares every element with 0 on its own: an element-wise maximum."
                )
            return Feedback(
                False, f"for an input of shape {before.shape} you returned shape {g.shape}. {hint}"
            )
        if g.dtype == bool:
            return Feedback(
                False,
                "you returned True/False values (the mask x > 0). Keep the positive values "
                "themselves, with 0 in place of the negative ones.",
            )
        if not np.issubdtype(g.dtype, np.number) or not np.allclose(g, want):
            hint = "ReLU keeps positive values and replaces negative ones by 0."
            if np.issubdtype(g.dtype, np.number):
                if np.allclose(g, np.abs(before)):
                    hint = "abs(x) flips negatives to positive; ReLU sets them to 0 instead."
                elif np.allclose(g, np.minimum(before, 0)):
                    hint = "that keeps the negative part; ReLU keeps the positive part."
            return Feedback(
                False,
                f"for x = {np.round(before, 3).tolist()} you returned "
                f"{np.round(g, 3).tolist()}; expected {np.round(want, 3).tolist()}. {hint}",
            )
    return Feedback(
        True,
        "correct on 1-D, 2-D, 3-D and integer arrays, and your input stays untouched. "
        "This is exactly ops.relu and keras.activations.relu.",
    )


_KERNEL_CASES = [
    (
        np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0], [1.0, 0.0, -2.0]]),
        np.array([[0.0, 1.0, -1.0], [2.0, 0.0, 1.0], [-1.0, 1.0, 0.0]]),
    ),
    (
        np.array([[1.0, -1.0], [2.0, 0.5]]),
        np.array([[1.0, 0.0, 2.0], [0.0, -1.0, 0.0], [3.0, 1.0, 1.0]]),
    ),
    (KERNEL_PRESETS["Sobel x (vertical edges)"], KERNEL_PRESETS["box blur 3x3"]),
]


@student_check
def check_combined_kernel(fn) -> Feedback:
    """Check ``fn(k1, k2)`` returns the one kernel that replaces two stacked "valid" convolutions.

    Examples
    --------
    >>> import numpy as np
    >>> def combine(k1, k2):
    ...     out = np.zeros((k1.shape[0] + k2.shape[0] - 1, k1.shape[1] + k2.shape[1] - 1))
    ...     for (i, j), w in np.ndenumerate(k2):
    ...         out[i : i + k1.shape[0], j : j + k1.shape[1]] += w * k1
    ...     return out
    >>> check_combined_kernel(combine).passed
    True
    >>> from course_utils import ops
    >>> "answers this exercise" in check_combined_kernel(ops.combined_kernel).message
    True
    """
    refuse_library_answer(
        fn, ["combined_kernel"], "build the kernel yourself from the two kernels' weights."
    )
    x = np.random.default_rng(3).normal(size=(12, 12))
    for k1, k2 in _KERNEL_CASES:
        want = ops.combined_kernel(k1, k2)
        got = student_value(fn, k1.copy(), k2.copy())
        try:
            g = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return Feedback(False, f"expected a 2-D array of numbers, got {type(got).__name__}.")
        case = f"for a {k1.shape[0]}x{k1.shape[1]} k1 and a {k2.shape[0]}x{k2.shape[1]} k2"
        if g.shape != want.shape:
            return Feedback(
                False,
                f"{case} you returned shape {g.shape}; expected {want.shape}. Two stacked "
                "'valid' convolutions see k1 + k2 - 1 pixels per side (3x3 then 3x3 -> 5x5), "
                "like the receptive field of lesson 01.",
            )
        if np.allclose(g, want):
            continue
        hint = (
            "Work out a small case on paper first: 1-D kernels [a, b] then [c, d]. Which input "
            "pixels does one output of the second layer read, and with which products of "
            "weights? Every weight of k1 meets every weight of k2 once."
        )
        if np.allclose(g, want[::-1, ::-1]):
            hint = (
                "your kernel is rotated by 180 degrees. Both layers correlate (no flip): a "
                "weight at offset (i, j) of k2 reads k1's output at offset (i, j)."
            )
        two = ops.conv2d(ops.conv2d(x, k1), k2)
        one = ops.conv2d(x, g)
        return Feedback(
            False,
            f"{case} your kernel does not reproduce the two convolutions: on a random 12x12 "
            f"input they differ by up to {np.abs(two - one).max():.3g}. {hint}",
        )
    return Feedback(
        True,
        "correct: without an activation, conv(conv(x, k1), k2) is one convolution with a "
        "(k1 + k2 - 1)-sized kernel. Depth buys nothing until a ReLU sits in between.",
    )


def _camera_sobel() -> np.ndarray:
    return ops.conv2d(sample_image("camera", gray=True), KERNEL_PRESETS["Sobel x (vertical edges)"])


def check_sparsity_bias(bias) -> Feedback:
    """Check ``bias`` makes ReLU zero about 90% (88-92%) of the camera's Sobel-x feature map.

    The feature map is ``conv2d(sample_image("camera", gray=True), Sobel x)`` ("valid")
    and the share is ``mean(relu(f + bias) == 0)``.

    Examples
    --------
    >>> check_sparsity_bias(-0.17).passed
    True
    """
    if isinstance(bias, bool) or not isinstance(bias, (int, float, np.integer, np.floating)):
        return Feedback(False, f"give one number (a float), got {type(bias).__name__} {bias!r}.")
    if not np.isfinite(bias):
        return Feedback(False, f"the bias must be a finite number, got {bias!r}.")
    f = _camera_sobel()
    frac = float(np.mean(ops.relu(f + bias) == 0))
    if 0.88 <= frac <= 0.92:
        q = float(np.quantile(f, 0.9))
        return Feedback(
            True,
            f"bias {bias:+.3f} zeroes {100 * frac:.1f}% of the pixels. 90% needs about "
            f"bias = -quantile(f, 0.9) = {-q:+.3f}: a negative bias is a threshold that only "
            "strong edges pass.",
        )
    if bias > 0 and 0.88 <= float(np.mean(ops.relu(f - bias) == 0)) <= 0.92:
        return Feedback(
            False,
            f"with bias {bias:+.3f} ReLU zeroes {100 * frac:.1f}%. Right size, wrong sign: "
            "relu(f + b) is 0 where f <= -b, so a *negative* bias zeroes more.",
        )
    more = "more negative" if frac < 0.88 else "less negative (closer to 0)"
    return Feedback(
        False,
        f"with bias {bias:+.3f} ReLU zeroes {100 * frac:.1f}% of the pixels; the target is "
        f"90%. Make the bias {more}. Tip: np.quantile(f, 0.9) is the value below which 90% "
        "of f lies.",
    )


@student_check
def check_abs_from_relu(fn) -> Feedback:
    """Check ``fn(x)`` returns ``|x|`` element-wise (to be built from ReLUs), leaving ``x`` untouched.

    A function that calls ``abs`` (``np.abs``, ``np.absolute``, ``np.fabs``) is refused: the
    exercise is to build it from ReLUs.

    Examples
    --------
    >>> from course_utils import ops
    >>> check_abs_from_relu(lambda x: ops.relu(x) + ops.relu(-x)).passed
    True
    >>> "x itself" in check_abs_from_relu(lambda x: ops.relu(x) - ops.relu(-x)).message
    True
    >>> import numpy as np
    >>> check_abs_from_relu(lambda x: np.abs(x)).passed
    False
    """
    refuse_library_answer(fn, ["abs", "absolute", "fabs"], "build |x| from ops.relu, + and - only.")
    calls = _call_on_cases(fn)
    if isinstance(calls, Feedback):
        return calls
    for before, got in calls:
        g = np.asarray(got, dtype=float)
        want = np.abs(before)
        if g.shape == want.shape and np.allclose(g, want):
            continue
        hint = "|x| keeps positive values and flips the sign of negative ones."
        if g.shape != want.shape:
            hint = f"the output must have the input's shape {before.shape}, got {g.shape}."
        elif np.allclose(g, before):
            hint = (
                "relu(x) - relu(-x) is x itself (the pair loses nothing). For |x| both "
                "parts must count as positive."
            )
        elif np.allclose(g, np.maximum(before, 0)):
            hint = (
                "that is relu(x): the negative values are lost. relu(-x) holds them, as positives."
            )
        elif np.allclose(g, np.maximum(-before, 0)):
            hint = "that is relu(-x) alone: the positive values are missing."
        elif np.allclose(g, -want):
            hint = "the sign is flipped: |x| is never negative."
        return Feedback(
            False,
            f"for x = {np.round(before, 3).tolist()} you returned "
            f"{np.round(g, 3).tolist()}; expected {np.round(want, 3).tolist()}. "
            f"{hint}",
        )
    return Feedback(
        True,
        "correct: |x| = relu(x) + relu(-x), two ReLU units with opposite weights. A network that "
        "needs both signs of an edge learns such a pair of filters.",
    )

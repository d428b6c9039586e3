"""Checkers for lesson 07 (backpropagation).

Each checker runs the student's function on fresh random inputs, compares it with a numeric
gradient (central differences, :func:`course_utils.backprop.numeric_gradient`) and, when they
differ, looks for the usual mistakes: wrong sign, a missing sum over positions, a flipped kernel,
forgetting to divide by N, giving a tied maximum the gradient twice.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backprop, ops
from ._base import Feedback, StudentError, call_student, refuse_library_answer, student_check
from .pooling import surviving_positions

__all__ = [
    "check_relu_backward",
    "check_max_pool_backward",
    "check_kernel_gradient",
    "check_sgd_step",
]


def _student_array(fn, args: tuple, shape: tuple[int, ...], what: str) -> np.ndarray | Feedback:
    """Call the student's ``fn(*args)``; its answer as a float array of ``shape``, or the
    Feedback explaining why not (no return value, a wrong shape; an exception raises
    :class:`StudentError`, reported by the checker)."""
    got = call_student(fn, *args)
    return _as_array(got, shape, what)


def _as_array(got, shape: tuple[int, ...], what: str) -> np.ndarray | Feedback:
    """The student's answer as a float array of ``shape``, or the Feedback explaining why not."""
    if got is None:
        return Feedback(False, "your function returned None: did you forget `return`?")
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Feedback(
            False, f"return a NumPy array of numbers ({what}), got {type(got).__name__}."
        )
    if arr.shape != shape:
        return Feedback(
            False,
            f"your answer has shape {arr.shape}; {what} has shape {shape}: one gradient value "
            "per element of the thing you differentiate with respect to.",
        )
    return arr


def _close(a, b) -> bool:
    return bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def _err(a, b) -> str:
    """A right answer's relative error, as its order of magnitude (its last digits vary between
    machines): "below 1e-9"."""
    err = backprop.relative_error(a, b)
    return "0" if err == 0 else f"below 1e{math.floor(math.log10(err)) + 1}"


def _off(a, b) -> str:
    """How far a wrong answer is: its relative error next to what a right one gets (an order of
    magnitude alone, "below 1e0", would read like praise)."""
    return (
        f"relative error {backprop.relative_error(a, b):.2g}, where a right answer gets below 1e-7"
    )


# --------------------------------------------------------------------------------------------
@student_check
def check_relu_backward(fn, negative_slope: float = 0.0) -> Feedback:
    """Check ``fn(x, grad_out)`` = gradient through (leaky) ReLU with ``negative_slope``.

    ``negative_slope=0`` is ReLU; ``0.1`` is ``keras.layers.LeakyReLU(negative_slope=0.1)``,
    ``f(x) = x`` for ``x > 0`` and ``0.1 x`` otherwise.  At ``x = 0`` the left slope is used,
    as Keras (TensorFlow) does.

    Examples
    --------
    >>> import numpy as np
    >>> check_relu_backward(lambda x, g: np.where(x > 0, g, 0.0)).passed
    True
    >>> check_relu_backward(lambda x, g: np.where(x > 0, g, 0.0), negative_slope=0.1).passed
    False
    """
    a = float(negative_slope)
    name = "ReLU" if a == 0 else f"leaky ReLU (slope {a:g} for x <= 0)"
    rng = np.random.default_rng(7)
    x = rng.normal(size=(6, 7)).round(2)
    x[x == 0] = 0.5
    g = rng.normal(size=x.shape)

    def forward(v):
        return np.where(v > 0, v, a * v)

    num = backprop.numeric_gradient(lambda v: np.sum(forward(v) * g), x)  # smooth: no x at 0
    want = np.where(x > 0, g, a * g)
    got = _student_array(fn, (x.copy(), g.copy()), x.shape, "x")
    if isinstance(got, Feedback):
        return got
    if not _close(got, want):
        slope = np.where(x > 0, 1.0, a)
        if _close(got, -want):
            hint = "every value has the wrong sign. The slope of ReLU is +1 (or +slope), not -1."
        elif _close(got, slope):
            hint = (
                "you returned the local slope f'(x) but forgot to multiply it by grad_out: "
                "chain rule, dL/dx = dL/df * f'(x)."
            )
        elif _close(got, forward(x)) or _close(got, forward(x) * g):
            hint = (
                "you used the forward output f(x); the backward pass multiplies grad_out by f'(x)."
            )
        elif _close(got, np.where(g > 0, g, a * g)):
            hint = "you tested the sign of grad_out; the slope depends on the *input* x."
        elif a and _close(got, np.where(x > 0, g, 0.0)):
            hint = (
                f"this is plain ReLU's gradient: for x <= 0 the leaky version still passes "
                f"{a:g} * grad_out."
            )
        else:
            hint = "for x > 0 pass grad_out through unchanged, otherwise scale it by the slope."
        return Feedback(
            False,
            f"{name}: your gradient differs from the numeric one ({_off(got, num)}): {hint}",
        )
    x0 = np.array([[-1.0, 0.0, 2.0]])
    try:
        got0 = np.asarray(call_student(fn, x0, np.ones((1, 3))), dtype=np.float64)
    except (StudentError, TypeError, ValueError) as err:
        return Feedback(False, f"on x = [[-1, 0, 2]]: {err}")
    if got0.shape == x0.shape and got0[0, 1] != a:
        return Feedback(
            False,
            f"right everywhere except at the kink x = 0, where you give {got0[0, 1]:g}. The "
            "derivative does not exist there; Keras uses the slope on its left (test x > 0, not "
            "x >= 0).",
        )
    return Feedback(
        True,
        f"correct: {name}'s gradient matches central differences (relative "
        f"error {_err(got, num)}).",
    )


# --------------------------------------------------------------------------------------------
@student_check
def check_max_pool_backward(fn) -> Feedback:
    """Check ``fn(x, grad_out)`` = gradient through 2x2 max pooling with stride 2.

    Ties go to the first maximum in row-major order, like Keras (see
    :func:`course_utils.backprop.max_pool2d_backward`).

    The course's own answers (``backprop.max_pool2d_backward``, ``ops.max_pool2d_argmax``,
    ``surviving_positions``) are refused: they would skip the exercise.

    Examples
    --------
    >>> from course_utils import backprop
    >>> print(check_max_pool_backward(backprop.max_pool2d_backward).message)
    that is `max_pool2d_backward`, which answers this exercise for you: find where each window's maximum sits and route its gradient there, yourself.
    """
    refuse_library_answer(
        fn,
        ["max_pool2d_backward", "max_pool2d_argmax", "surviving_positions"],
        "find where each window's maximum sits and route its gradient there, yourself.",
    )
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 8))
    g = rng.normal(size=(3, 4))
    num = backprop.numeric_gradient(lambda v: np.sum(ops.max_pool2d(v) * g), x)
    up = ops.upsample2d(g)
    got = call_student(fn, x.copy(), g.copy())
    if got is not None and np.shape(got) == g.shape:
        return Feedback(
            False,
            f"your answer has the pooled shape {g.shape}; the gradient "
            f"w.r.t. the input has the input's shape {x.shape}.",
        )
    got = _as_array(got, x.shape, "x")
    if isinstance(got, Feedback):
        return got
    if not _close(got, num):
        winner = surviving_positions(x)  # the tie rule of ops.max_pool2d_argmax
        if _close(got, -num):
            hint = "right places, wrong sign: the window's maximum passes grad_out on unchanged."
        elif _close(got, up):
            hint = (
                "every pixel of a window got its gradient. Only the maximum influenced the "
                "output (nudge another pixel a little and the output does not move)."
            )
        elif _close(got, up / 4):
            hint = "you spread each gradient evenly over its window: that is *average* pooling's backward."
        elif _close(got, winner):
            hint = "you marked the maxima but forgot to multiply by grad_out."
        else:
            hint = (
                "put grad_out[i, j] at the position of the maximum of window (i, j), 0 elsewhere."
            )
        return Feedback(
            False,
            f"your gradient differs from the numeric one ({_off(got, num)}): {hint}",
        )
    tie = np.array([[2.0, 2.0, 0.0, 1.0], [1.0, 2.0, 1.0, 1.0]])
    gt = np.array([[1.0, 10.0]])
    try:
        got_t = np.asarray(call_student(fn, tie, gt), dtype=np.float64)
    except (StudentError, TypeError, ValueError) as err:
        return Feedback(False, f"with a tie ({tie.tolist()}): {err}")
    want_t = backprop.max_pool2d_backward(tie, gt)
    if got_t.shape != tie.shape or not _close(got_t, want_t):
        extra = ""
        if got_t.shape == tie.shape and got_t.sum() > want_t.sum() + 1e-9:
            extra = (
                " Your gradients add up to more than grad_out does: a tied maximum got the "
                "gradient more than once."
            )
        return Feedback(
            False,
            f"right without ties, but not for x = {tie.tolist()} with grad_out = {gt.tolist()} "
            f"(you return {got_t.tolist()}).{extra} Keras gives a window's gradient to one "
            "pixel only: its *first* maximum in row-major order.",
        )
    return Feedback(
        True,
        f"correct, ties included: matches central differences (relative "
        f"error {_err(got, num)}) and Keras' tie rule.",
    )


# --------------------------------------------------------------------------------------------
@student_check
def check_kernel_gradient(fn, stride: int = 1) -> Feedback:
    """Check ``fn(x, grad_out)`` = ``dL/dK`` for ``out = ops.conv2d(x, K, stride)`` (2-D, "valid").

    ``grad_out = dL/d out``; the kernel is 3x3.  ``backprop.conv2d_backward``, which answers the
    exercise, is refused.

    Examples
    --------
    >>> from course_utils import ops
    >>> check_kernel_gradient(lambda x, g: ops.conv2d(x, g)).passed
    True
    """
    refuse_library_answer(
        fn,
        ["conv2d_backward"],
        "for each weight, add up what it met at every output position, yourself.",
    )
    s = int(stride)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(9, 8) if s == 1 else (3 + s * 4, 3 + s * 3))
    k = rng.normal(size=(3, 3))
    g = rng.normal(size=ops.conv2d(x, k, s).shape)
    num = backprop.numeric_gradient(lambda v: np.sum(ops.conv2d(x, v, s) * g), k)
    got = call_student(fn, x.copy(), g.copy())
    if (
        s > 1
        and got is not None
        and np.shape(got) == (x.shape[0] - g.shape[0] + 1, x.shape[1] - g.shape[1] + 1)
    ):
        return Feedback(
            False,
            f"your answer has shape {np.shape(got)}, not the kernel's (3, 3): that is the "
            f"stride-1 recipe, sliding grad_out over x one pixel at a time. With stride {s} the "
            f"windows start every {s} pixels: for each weight, which input pixels did it meet?",
        )
    got = _as_array(got, k.shape, "the 3x3 kernel")
    if isinstance(got, Feedback):
        return got
    if not _close(got, num):
        positions = [(i, j) for i in range(g.shape[0]) for j in range(g.shape[1])]
        if _close(got, -num):
            hint = "wrong sign: out = sum of x * K, so d out / dK = +x."
        elif _close(got, num[::-1, ::-1]):
            hint = (
                "your kernel gradient is flipped (rotated 180 degrees): that is a true "
                "convolution. Conv2D correlates: weight (i, j) sits at offset (i, j) from "
                "its window's top-left corner."
            )
        elif _close(got, num / g.size):
            hint = (
                "you averaged over the output positions. The same weight is used at every "
                "position, so their contributions add up: sum, do not average."
            )
        elif any(
            _close(got, x[s * i : s * i + 3, s * j : s * j + 3] * g[i, j]) for i, j in positions
        ):
            hint = (
                "that is the contribution of a single output position. The weight is used at "
                f"all {g.size} positions, and each of them adds its own contribution."
            )
        else:
            hint = (
                "go weight by weight: which input pixel did K[i, j] multiply at each output "
                f"position (windows start every {s} pixel{'s' if s > 1 else ''}), and how much "
                "does the loss care about that output?"
            )
        return Feedback(
            False,
            f"your kernel gradient differs from the numeric one ({_off(got, num)}): {hint}",
        )
    return Feedback(
        True,
        f"correct (relative error {_err(got, num)} to central differences): the "
        "kernel's gradient is the input correlated with the upstream gradient"
        + (f", read every {s} pixels." if s > 1 else "."),
    )


# --------------------------------------------------------------------------------------------
@student_check
def check_sgd_step(fn) -> Feedback:
    """Check ``fn(kernel, image, target, lr)`` = the kernel after one gradient-descent step.

    The loss is ``L(K) = mean((ops.conv2d(image, K) - target)**2)`` ("valid" padding).

    Examples
    --------
    >>> fb = check_sgd_step(lambda kernel, image, target, lr: kernel)  # no step at all
    >>> fb.passed, fb.message.startswith("your new kernel is off")
    (False, True)
    """
    rng = np.random.default_rng(11)
    img = rng.random((10, 9))
    k = rng.normal(size=(3, 3))
    target = ops.conv2d(img, rng.normal(size=(3, 3)))
    lr = 0.05

    def loss(kk):
        return float(np.mean((ops.conv2d(img, kk) - target) ** 2))

    grad = backprop.numeric_gradient(loss, k)
    want = k - lr * grad
    got = _student_array(fn, (k.copy(), img.copy(), target.copy(), lr), k.shape, "the kernel")
    if isinstance(got, Feedback):
        return got
    if not _close(got, want):
        n = target.size
        if _close(got, k + lr * grad):
            hint = (
                "you stepped *up* the slope: the loss grows. Gradient descent subtracts: "
                "K - lr * dL/dK."
            )
        elif _close(got, k - lr * grad * n):
            hint = (
                f"your step is {n} times too large: the loss is a *mean* over the {n} output "
                "pixels, so divide the gradient by N."
            )
        elif _close(got, k - lr * grad / 2):
            hint = "your step is half the right size: d(e^2)/de = 2e."
        elif _close(got, k - lr * grad[::-1, ::-1]):
            hint = "your gradient is flipped (rotated 180 degrees): Conv2D correlates, it does not flip."
        elif _close(got, k - grad):
            hint = "you forgot the learning rate: K - lr * dL/dK."
        elif _close(got, grad) or _close(got, -lr * grad):
            hint = "return the *new kernel* K - lr * dL/dK, not the gradient or the step."
        else:
            hint = (
                "work backwards from the loss: first dL/d(out) for a mean of squared errors "
                "(differentiate one term, then mind the mean), then the kernel's gradient from "
                "it, then one step downhill."
            )
        return Feedback(
            False,
            f"your new kernel is off (compared with one step along the numeric gradient: "
            f"{_off(got, want)}): {hint}",
        )
    return Feedback(
        True,
        f"correct: the loss goes from {loss(k):.4f} to {loss(got):.4f} in one "
        f"step (relative error {_err(got, want)} to the numeric step).",
    )

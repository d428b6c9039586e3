"""Lesson 07 checkers: right answers pass; each usual mistake gets its own diagnosis."""

import numpy as np
import pytest

from course_utils import backprop, checks, ops


def _raise(*args):
    raise NotImplementedError


# ---- (leaky) ReLU backward -------------------------------------------------------------------
def leaky(x, g, a=0.1):
    return np.where(x > 0, g, a * g)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda x, g: -leaky(x, g), "wrong sign"),
        (lambda x, g: np.where(x > 0, 1.0, 0.1), "forgot to multiply it by grad_out"),
        (lambda x, g: np.where(x > 0, x, 0.1 * x), "forward output"),
        (lambda x, g: np.where(g > 0, g, 0.1 * g), "sign of grad_out"),
        (lambda x, g: np.where(x > 0, g, 0.0), "plain ReLU's gradient"),
        (lambda x, g: np.where(x >= 0, g, 0.1 * g), "kink x = 0"),
        (lambda x, g: g[:2], "shape"),
        (lambda x, g: None, "forget `return`"),
        (_raise, "NotImplementedError"),
        (lambda x, g: 2 * leaky(x, g), "relative error"),
    ],
)
def test_relu_backward_checker_diagnoses(answer, expected):
    fb = checks.check_relu_backward(answer, negative_slope=0.1)
    assert not fb
    assert expected in fb.message, fb.message


def test_relu_backward_checker_passes_right_answers():
    assert checks.check_relu_backward(leaky, negative_slope=0.1)
    assert checks.check_relu_backward(backprop.relu_backward)
    assert "relative error" in checks.check_relu_backward(backprop.relu_backward).message


# ---- max-pool backward -----------------------------------------------------------------------
def _first_max(x, g):  # written out (the library's own answer is refused)
    h, w = x.shape
    windows = x.reshape(h // 2, 2, w // 2, 2).transpose(0, 2, 1, 3).reshape(h // 2, w // 2, 4)
    grad = np.zeros((h // 2, w // 2, 4))
    np.put_along_axis(grad, windows.argmax(-1)[..., None], np.asarray(g)[..., None], axis=-1)
    return grad.reshape(h // 2, w // 2, 2, 2).transpose(0, 2, 1, 3).reshape(h, w)


def _all_tied_maxima(x, g):  # lesson 03's survivors mask: duplicates the gradient on ties
    return ops.upsample2d(g) * (x == ops.upsample2d(ops.max_pool2d(x)))


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda x, g: -_first_max(x, g), "wrong sign"),
        (lambda x, g: ops.upsample2d(g), "every pixel of a window"),
        (lambda x, g: ops.upsample2d(g) / 4, "average"),
        (
            lambda x, g: (x == ops.upsample2d(ops.max_pool2d(x))).astype(float),
            "multiply by grad_out",
        ),
        (lambda x, g: g, "pooled shape"),
        (_all_tied_maxima, "more than once"),
        (lambda x, g: np.zeros_like(x), "position of the maximum"),
    ],
)
def test_max_pool_backward_checker_diagnoses(answer, expected):
    fb = checks.check_max_pool_backward(answer)
    assert not fb
    assert expected in fb.message, fb.message


def test_max_pool_backward_checker_passes():
    assert checks.check_max_pool_backward(_first_max)


@pytest.mark.parametrize(
    "answer",
    [
        backprop.max_pool2d_backward,
        lambda x, g: backprop.max_pool2d_backward(x, g),
        lambda x, g: checks.surviving_positions(x) * ops.upsample2d(g),
    ],
)
def test_max_pool_backward_checker_refuses_the_librarys_answer(answer):
    fb = checks.check_max_pool_backward(answer)
    assert not fb and "answers this exercise for you" in fb.message, fb.message


# ---- kernel gradient -------------------------------------------------------------------------
def _one_position(x, g):
    return x[:3, :3] * g[0, 0]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda x, g: -ops.conv2d(x, g), "wrong sign"),
        (lambda x, g: ops.conv2d(x, g)[::-1, ::-1], "flipped"),
        (lambda x, g: ops.conv2d(x, g) / g.size, "averaged"),
        (_one_position, "single output position"),
        (lambda x, g: ops.conv2d(x, np.ones_like(g)), "relative error"),
        (lambda x, g: g, "shape"),
    ],
)
def test_kernel_gradient_checker_diagnoses(answer, expected):
    fb = checks.check_kernel_gradient(answer)
    assert not fb
    assert expected in fb.message, fb.message


def _strided(x, g, s=2):
    return np.array(
        [
            [
                np.sum(
                    x[i : i + s * g.shape[0] : s, j : j + s * g.shape[1] : s][
                        : g.shape[0], : g.shape[1]
                    ]
                    * g
                )
                for j in range(3)
            ]
            for i in range(3)
        ]
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda x, g: ops.conv2d(x, g), "stride-1 recipe"),
        (lambda x, g: -_strided(x, g), "wrong sign"),
        (lambda x, g: _strided(x, g)[::-1, ::-1], "flipped"),
        (lambda x, g: x[2:5, 2:5] * g[1, 1], "single output position"),
    ],
)
def test_kernel_gradient_checker_with_stride_2(answer, expected):
    fb = checks.check_kernel_gradient(answer, stride=2)
    assert not fb
    assert expected in fb.message, fb.message


def test_kernel_gradient_checker_passes():
    assert checks.check_kernel_gradient(_strided, stride=2)
    assert checks.check_kernel_gradient(lambda x, g: ops.conv2d(x, g))


def test_kernel_gradient_checker_refuses_the_librarys_answer():
    fb = checks.check_kernel_gradient(
        lambda x, g: backprop.conv2d_backward(x, np.zeros((3, 3)), g, stride=2)[1], stride=2
    )
    assert not fb and "`conv2d_backward`, which answers this exercise" in fb.message, fb.message


# ---- one SGD step ----------------------------------------------------------------------------
def _grad(k, img, t):
    err = ops.conv2d(img, k) - t
    return backprop.conv2d_backward(img, k, 2 * err / err.size)[1]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda k, img, t, lr: k + lr * _grad(k, img, t), "loss grows"),
        (lambda k, img, t, lr: k - lr * _grad(k, img, t) * t.size, "divide the gradient by N"),
        (lambda k, img, t, lr: k - lr * _grad(k, img, t) / 2, "2e"),
        (lambda k, img, t, lr: k - lr * _grad(k, img, t)[::-1, ::-1], "flipped"),
        (lambda k, img, t, lr: k - _grad(k, img, t), "forgot the learning rate"),
        (lambda k, img, t, lr: -lr * _grad(k, img, t), "new kernel"),
        (lambda k, img, t, lr: k, "relative error"),
    ],
)
def test_sgd_step_checker_diagnoses(answer, expected):
    fb = checks.check_sgd_step(answer)
    assert not fb
    assert expected in fb.message, fb.message


def test_sgd_step_checker_passes_and_reports_the_loss():
    fb = checks.check_sgd_step(lambda k, img, t, lr: k - lr * _grad(k, img, t))
    assert fb and "the loss goes from" in fb.message


# ---- wording ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("check", "wrong"),
    [
        (
            lambda fn: checks.check_relu_backward(fn, negative_slope=0.1),
            lambda x, g: 2 * leaky(x, g),
        ),
        (checks.check_max_pool_backward, lambda x, g: np.zeros_like(x)),
        (checks.check_kernel_gradient, lambda x, g: ops.conv2d(x, np.ones_like(g))),
        (checks.check_sgd_step, lambda k, img, t, lr: k),
    ],
)
def test_a_wrong_answers_relative_error_does_not_read_like_praise(check, wrong):
    """'relative error below 1e0' sounded like a pass: a wrong answer gets its error's value
    next to what a right answer gets."""
    fb = check(wrong)
    assert not fb
    assert "below 1e0" not in fb.message and "where a right answer gets below 1e-7" in fb.message
    err = float(fb.message.split("relative error ")[1].split(",")[0])
    assert 1e-3 < err <= 1, fb.message


def test_the_tie_message_shows_the_students_answer_not_keras():
    def all_tied(x, g):  # gives every tied maximum the window's gradient
        return ops.upsample2d(g) * (x == ops.upsample2d(ops.max_pool2d(x)))

    fb = checks.check_max_pool_backward(all_tied)
    want = backprop.max_pool2d_backward(
        np.array([[2.0, 2.0, 0.0, 1.0], [1.0, 2.0, 1.0, 1.0]]), np.array([[1.0, 10.0]])
    )
    assert not fb and "more than once" in fb.message
    assert str(want.tolist()) not in fb.message and "Keras returns" not in fb.message

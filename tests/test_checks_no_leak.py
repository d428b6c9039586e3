"""No checker gives the answer away (issue 24, items 7 and 15).

On a wrong answer a checker says what is wrong and how to think, never the answer:

* an exercise that asks for a value (a number, a shape, a set or a dict of them, worked out by
  hand): no message on a wrong answer contains the expected value, however it is written
  (``49152``, ``49,152``, ``0.44``, ``44%``, ``(2, 0)``). A value the student wrote themselves may
  come back in the message (it is theirs).
* an exercise that asks for a function: the answer is the code. A message may show what the
  function should return for one test input (a failing test), but not the solution's code, its
  formula written out, or the library call that answers the exercise.

Every checker in ``course_utils.checks`` has a case below (a new checker without one fails
``test_every_checker_has_a_case``), with wrong answers that reach its different hints: the usual
slips, and one no hint expects.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from course_utils import backprop, checks, data, metrics, ops
from course_utils.checks import relu as relu_checks


@dataclass
class Case:
    """How to call one checker, a right answer, wrong answers, and the forms of the answer that
    must not appear in the messages on the wrong ones (numbers are looked for as numbers in the
    text, within ``tol``; strings as text, ignoring spaces and case)."""

    check: Callable[[Any], checks.Feedback]
    right: Any
    wrong: list
    answer: list
    tol: float = 0.0
    notes: str = field(default="")


_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:e[-+]?\d+)?(%?)")


def _numbers(text: str) -> list[float]:
    """The numbers written in ``text``; a percentage counts as its fraction too."""
    found = []
    for m in _NUMBER.finditer(text):
        token = m.group(0).rstrip("%").replace(",", "")
        value = float(token)
        found.append(value)
        if m.group(1):
            found.append(value / 100)
    return found


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).lower()


def leaks(message: str, answer: list, given, tol: float = 0.0) -> list:
    """The forms of ``answer`` that ``message`` contains, except those the student ``given``
    wrote themselves."""
    written = "" if callable(given) else repr(given)  # a function's repr holds its address
    said, gave, text, gave_text = (
        _numbers(message),
        _numbers(written),
        _squash(message),
        _squash(written),
    )
    out = []
    for a in answer:
        if isinstance(a, str):
            if _squash(a) in text and _squash(a) not in gave_text:
                out.append(a)
        elif any(abs(v - a) <= tol for v in said) and not any(abs(v - a) <= tol for v in gave):
            out.append(a)
    return out


# --- right answers written out (not the library's), and wrong ones ------------------------------
def _same_padding(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def _combine(k1, k2):
    (h1, w1), (h2, w2) = k1.shape, k2.shape
    out = np.zeros((h1 + h2 - 1, w1 + w2 - 1))
    for i in range(h2):
        for j in range(w2):
            out[i : i + h1, j : j + w1] += k2[i, j] * k1
    return out


def _survivors(x):
    pooled = ops.max_pool2d(x, 2)
    return x == np.repeat(np.repeat(pooled, 2, axis=0), 2, axis=1)


def _scatter(x, kernel, s):
    (h, w), (kh, kw) = x.shape, kernel.shape
    out = np.zeros(((h - 1) * s + kh, (w - 1) * s + kw))
    for i in range(h):
        for j in range(w):
            out[s * i : s * i + kh, s * j : s * j + kw] += x[i, j] * kernel
    return out


def _relu_in_place(x):
    x[x < 0] = 0
    return x


def _max_pool_backward(x, g):
    h, w = x.shape
    windows = x.reshape(h // 2, 2, w // 2, 2).transpose(0, 2, 1, 3).reshape(h // 2, w // 2, 4)
    grad = np.zeros((h // 2, w // 2, 4))
    np.put_along_axis(grad, windows.argmax(-1)[..., None], np.asarray(g)[..., None], axis=-1)
    return grad.reshape(h // 2, w // 2, 2, 2).transpose(0, 2, 1, 3).reshape(h, w)


def _sgd_step(k, img, t, lr):
    err = ops.conv2d(img, k) - t
    return k - lr * backprop.conv2d_backward(img, k, 2 * err / err.size)[1]


def _weighted_bce(y, p, w_object):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    w = np.where(y == 1, w_object, 1.0)
    return -np.mean(w * (y * np.log(p) + (1 - y) * np.log(1 - p)))


def _one_wrong(right: dict, wrong: dict) -> list[dict]:
    """One answer per key of ``wrong``: the right dict with that key's value replaced."""
    return [{**right, key: value} for key, value in wrong.items()]


_MARGIN = {"iou_r30": 0.7342, "iou_r10": 0.4413, "dice_r10": 0.6124}
_BACKGROUND = {"accuracy": 0.99, "iou_object": 0.0, "iou_background": 0.99, "mean_iou": 0.495}
_PREDICTIONS = {"first_block_2015": 37568, "up_conv_2015": 2097664, "halving_factor": 4}
_CONCAT = {"concat": (64, 64, 384), "add": None, "add_after_1x1": (64, 64, 128)}
_BASE_RUN = {"val_mean_iou": [0.44, 0.44, 0.70], "loss": [0.37, 0.30, 0.19]}
_FAST_RUN = {"val_mean_iou": [0.44, 0.44, 0.44], "loss": [0.5, 0.36, 0.36]}  # says "worse"
_KEPT = {"one_fit": 3, "resumed": 5, "val_loss": 4}
_X = checks.POOL_EXERCISE_X


def _pad_reflect(image, multiple):
    h, w = image.shape
    return np.pad(image, ((0, -h % multiple), (0, -w % multiple)), mode="reflect")


def _pad_zeros(image, multiple):
    h, w = image.shape
    return np.pad(image, ((0, -h % multiple), (0, -w % multiple)))


def _pad_edge(image, multiple):
    h, w = image.shape
    return np.pad(image, ((0, -h % multiple), (0, -w % multiple)), mode="edge")


def _pad_full_block(image, multiple):
    return np.pad(image, ((0, multiple), (0, multiple)), mode="reflect")


def _pad_top_left(image, multiple):
    h, w = image.shape
    return np.pad(image, ((-h % multiple, 0), (-w % multiple, 0)), mode="reflect")


def _nuclei_weights():
    labels = data.load_nuclei()[1]
    return labels, metrics.border_weight_map(labels, w0=10, sigma=5)


_NUCLEI = _nuclei_weights()
_PLACES = checks.WEIGHT_PLACES

CASES: dict[str, Case] = {
    # lesson 00
    "check_image_numbers": Case(
        checks.check_image_numbers, 49152, [128 * 128, 128 * 3, 1000, 3 * 128 * 127], [49152]
    ),
    # lesson 01
    "check_conv_output_size": Case(
        checks.check_conv_output_size,
        lambda n, k, s, p: (n + 2 * p - k) // s + 1,
        [
            lambda n, k, s, p: (n + 2 * p - k) // s,
            lambda n, k, s, p: n - k + 1,
            lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1,
            lambda n, k, s, p: (n + p - k) // s + 1,
            lambda n, k, s, p: (n + 2 * p - k) / s + 1,
        ],
        ["(n+2*p-k)//s+1", "(n+2p-k)//s+1"],
    ),
    "check_vertical_edge_kernel": Case(
        checks.check_vertical_edge_kernel,
        [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        [np.eye(3), np.zeros((3, 3)), ops.SOBEL_X.T, [[0, 2, 2], [-2, 0, 2], [-2, -2, 0]]],
        ["[-1, 0, 1]", "[1, 0, -1]", "[-2, 0, 2]"],
    ),
    "check_receptive_field": Case(
        checks.check_receptive_field,
        lambda n: 2 * n + 1,
        [lambda n: 3 * n, lambda n: 2 * n, lambda n: n + 2],
        ["2*n+1", "2n+1"],
    ),
    "check_same_padding": Case(
        checks.check_same_padding,
        _same_padding,
        [
            lambda n, k, s: ((k - 1) // 2, (k - 1) // 2),
            lambda n, k, s: tuple(reversed(_same_padding(n, k, s))),
            lambda n, k, s: (0, (-(-n // s) - 1) * s + k - n),
            lambda n, k, s: ((k - 1) // 2, k // 2),
            lambda n, k, s: ops.pad_amounts(n, k, s, "same"),  # the library's answer
        ],
        ["(out-1)*s+k-n", "-(-n//s)", "pad_amounts(n"],
    ),
    "check_strided_receptive_field": Case(
        checks.check_strided_receptive_field, 11, [7, 13, 9, 10, 15], [11]
    ),
    # lesson 02
    "check_relu": Case(
        checks.check_relu,
        lambda x: np.maximum(x, 0),
        [
            lambda x: np.max(x, 0),
            np.abs,
            lambda x: x > 0,
            lambda x: np.minimum(x, 0),
            _relu_in_place,
        ],
        ["np.maximum(x,0", "x*(x>0)"],
    ),
    "check_combined_kernel": Case(
        checks.check_combined_kernel,
        _combine,
        [
            lambda k1, k2: _combine(k1, k2)[::-1, ::-1],
            lambda k1, k2: k1 * k2.sum(),
            lambda k1, k2: _combine(k1, k2) + 0.1,
            ops.combined_kernel,  # the library's answer
        ],
        ["k2[i,j]*k1", "out[i:i+", "np.pad(k2", "[::-1,::-1]"],
    ),
    "check_sparsity_bias": Case(
        checks.check_sparsity_bias, -0.17, [0.0, 0.1686, -0.1, -0.5], [-0.1686, -0.17], tol=0.006
    ),
    "check_abs_from_relu": Case(
        checks.check_abs_from_relu,
        lambda x: ops.relu(x) + ops.relu(-x),
        [
            lambda x: ops.relu(x) - ops.relu(-x),
            ops.relu,
            lambda x: ops.relu(-x),
            lambda x: -np.abs(x),
            np.abs,  # not built from ReLUs
        ],
        ["relu(x)+relu(-x)", "relu(x)+ops.relu(-x)", "relu(-x)+relu(x)"],
    ),
    # lesson 03
    "check_pool_output_size": Case(
        checks.check_pool_output_size,
        lambda n, p, s: (n - p) // s + 1,
        [
            lambda n, p, s: (n - p) // s,
            lambda n, p, s: -(-(n - p) // s) + 1,
            lambda n, p, s: -(-n // s),
            lambda n, p, s: n // p,
            lambda n, p, s: n // s,
            lambda n, p, s: n - p + 1,
        ],
        ["(n-p)//s+1"],
    ),
    "check_max_pool_by_hand": Case(
        checks.check_max_pool_by_hand,
        [[6, 5], [7, 9]],
        [
            [[0, 0], [0, 0]],
            [[6, 5], [7, 8]],
            [[6, 0], [7, 9]],
            [[3.5, 2.0], [3.0, 6.75]],  # averages
            [[6, 7], [5, 9]],  # transposed
            [[1, 0], [0, 4]],  # minima
            [[6, 6, 5], [7, 9, 9], [7, 9, 9]],  # stride 1
        ],
        [6, 5, 7, 9, "[[6, 5], [7, 9]]"],
    ),
    "check_surviving_positions": Case(
        checks.check_surviving_positions,
        _survivors,
        [
            lambda x: x >= np.sort(x, axis=None)[-x.size // 4],
            lambda x: ops.max_pool2d(x, 2) > 0,
            lambda x: np.ones(x.shape, bool),
            lambda x: _survivors(x.T).T if x.shape[0] == x.shape[1] else _survivors(x)[::-1],
            checks.surviving_positions,  # the course's own answer
        ],
        ["np.repeat(np.repeat(", "==back", "surviving_positions(x"],
    ),
    "check_encoder_receptive_field": Case(
        checks.check_encoder_receptive_field, 32, [13, 15, 17, 29, 24, 30, 64], [32]
    ),
    # lesson 04
    "check_transpose_output_size": Case(
        checks.check_transpose_output_size,
        lambda n, k, s, p: (n - 1) * s + k - 2 * p,
        [
            lambda n, k, s, p: n * s,
            lambda n, k, s, p: (n - 1) * s + k,
            lambda n, k, s, p: (n - 1) * s + k - p,
            lambda n, k, s, p: (n - 1) * s + k + 2 * p,
            lambda n, k, s, p: n * s + k - 2 * p,
            lambda n, k, s, p: (n + 2 * p - k) // s + 1,
            lambda n, k, s, p: (n - 1) * s + k - 2 * p + 1,
        ],
        ["(n-1)*s+k-2*p", "(n-1)*s+k-2p"],
    ),
    "check_scatter_add": Case(
        checks.check_scatter_add,
        _scatter,
        [
            lambda x, k, s: _scatter(x, k[::-1, ::-1], s),
            lambda x, k, s: _scatter(x, k, s) * (np.arange(_scatter(x, k, s).shape[1]) != 1),
            lambda x, k, s: np.zeros((x.shape[0] * s, x.shape[1] * s)),
            lambda x, k, s: ops.conv2d_transpose(x, k, s, padding=0),  # the library's answer
        ],
        ["x[i,j]*k", "out[s*i:s*i+kh", "conv2d_transpose(x,k"],
    ),
    "check_checkerboard": Case(
        checks.check_checkerboard,
        lambda k, s: k % s != 0,
        [
            lambda k, s: k % 2 == 1,
            lambda k, s: k % s == 0,
            lambda k, s: k < s,
            lambda k, s: k > s and k % s != 0,
            lambda k, s: ops.overlap_map(k, s)[1][0] != ops.overlap_map(k, s)[1][1],
        ],
        ["k%s!=0", "k%s==0", "sdividesk", "dividesthekernel", "floor(k/s)", "ceil(k/s)"],
    ),
    "check_doubling_choices": Case(
        checks.check_doubling_choices,
        {(2, 0), (4, 1), (6, 2)},
        [
            {(2, 0)},
            {(2, 0), (1, 0)},
            {(2, 0), (3, 1), (4, 1), (6, 2)},
            {(4, 1), (6, 2), (5, 1)},
            {(2, 1)},
        ],
        ["(2, 0)", "(4, 1)", "(6, 2)", "k=2, p=0", "k=4, p=1", "k=6, p=2", "evenk"],
    ),
    # lesson 05
    "check_merge_channels": Case(
        checks.check_merge_channels,
        lambda f: (6 * f, 3 * f),
        [
            lambda f: (3 * f, 6 * f),
            lambda f: (4 * f, 2 * f),
            lambda f: (2 * f, f),
            lambda f: (4 * f, 3 * f),
            lambda f: (5 * f, 3 * f),
        ],
        [384, 192, "6f", "3f", "6*f", "3*f"],
        notes="at the seed's f=64 the expected (384, 192) is the prediction itself",
    ),
    "check_round_trip_size": Case(
        checks.check_round_trip_size,
        lambda n, k: (n // 2**k) * 2**k,
        [
            lambda n, k: n,
            lambda n, k: n // 2**k,
            lambda n, k: n - n % 2,
            lambda n, k: n / 2**k * 2**k,
        ],
        ["(n//2**k)*2**k", "n//2**k*2**k"],
    ),
    "check_concat_vs_add": Case(
        checks.check_concat_vs_add,
        _CONCAT,
        _one_wrong(_CONCAT, {"concat": (64, 64, 256), "add": (64, 64, 256)})
        + _one_wrong(_CONCAT, {"add_after_1x1": (64, 64, 256), "concat": (128, 64, 384)}),
        [384, "(64, 64, 384)", "(64, 64, 128)", "answer None", "None."],
    ),
    # lesson 06
    "check_binary_iou": Case(
        checks.check_binary_iou,
        lambda t, p: ((t > 0) & (p > 0)).sum() / ((t > 0) | (p > 0)).sum(),
        [
            lambda t, p: 2 * ((t > 0) & (p > 0)).sum() / ((t > 0).sum() + (p > 0).sum()),
            lambda t, p: np.mean((t > 0) == (p > 0)),
            lambda t, p: ((t > 0) & (p > 0)).sum(),
        ],
        ["&(p>0)).sum()/((t>0)|(p>0)).sum()"],
    ),
    "check_margin_iou": Case(
        checks.check_margin_iou,
        _MARGIN,
        _one_wrong(_MARGIN, {"iou_r30": 30 / 35, "iou_r10": 10 / 15, "dice_r10": 0.4413})
        + [{"iou_r30": 73.4, "iou_r10": 0.2, "dice_r10": 0.3}],
        [0.7342, 0.4413, 0.6124],
        tol=0.01,
    ),
    "check_weighted_bce": Case(
        checks.check_weighted_bce,
        _weighted_bce,
        [
            lambda y, p, w: -np.mean(y * np.log(np.clip(p, 1e-7, 1)) + (1 - y) * np.log(1 - p)),
            lambda y, p, w: float(ops.binary_cross_entropy(y, p)),  # unweighted
            lambda y, p, w: _weighted_bce(1 - y, 1 - p, w),  # the background weighted
            lambda y, p, w: _weighted_bce(y, p, w) * y.size / np.where(y == 1, w, 1.0).sum(),
        ],
        ["np.where(y==1,w_object", "w*(y*np.log(p)", "sample_weight=w"],
    ),
    "check_all_background": Case(
        checks.check_all_background,
        _BACKGROUND,
        _one_wrong(
            _BACKGROUND,
            {"accuracy": 0.5, "iou_object": 0.5, "iou_background": 0.5, "mean_iou": 0.2},
        ),
        [0.99, 0.495, 0.0],
        tol=0.003,
    ),
    # lesson 07
    "check_relu_backward": Case(
        lambda fn: checks.check_relu_backward(fn, negative_slope=0.1),
        lambda x, g: np.where(x > 0, g, 0.1 * g),
        [
            lambda x, g: np.where(x > 0, g, 0.0),
            lambda x, g: np.where(x > 0, 1.0, 0.1),
            lambda x, g: -np.where(x > 0, g, 0.1 * g),
            lambda x, g: np.where(x >= 0, g, 0.1 * g),
        ],
        ["np.where(x>0,g", "np.where(x>0,grad_out"],
    ),
    "check_max_pool_backward": Case(
        checks.check_max_pool_backward,
        _max_pool_backward,
        [
            lambda x, g: ops.upsample2d(g),
            lambda x, g: ops.upsample2d(g) / 4,
            lambda x, g: -backprop.max_pool2d_backward(x, g),
        ],
        ["max_pool2d_backward(x"],
    ),
    "check_kernel_gradient": Case(
        checks.check_kernel_gradient,
        lambda x, g: ops.conv2d(x, g),
        [
            lambda x, g: -ops.conv2d(x, g),
            lambda x, g: ops.conv2d(x, g)[::-1, ::-1],
            lambda x, g: ops.conv2d(x, g) / g.size,
        ],
        ["conv2d(x,grad_out", "conv2d(x,g)"],
    ),
    "check_sgd_step": Case(
        checks.check_sgd_step,
        _sgd_step,
        [
            lambda k, img, t, lr: 2 * k - _sgd_step(k, img, t, lr),
            lambda k, img, t, lr: k - (k - _sgd_step(k, img, t, lr)) / lr,
            lambda k, img, t, lr: k,
        ],
        ["2*err/", "conv2d_backward(image,k,2"],
    ),
    # lesson 08
    "check_conv_params": Case(
        checks.check_conv_params,
        lambda k, cin, cout: k * k * cin * cout + cout,
        [
            lambda k, cin, cout: k * k * cin * cout,
            lambda k, cin, cout: k * cin * cout + cout,
            lambda k, cin, cout: k * k * (cin + cout),
        ],
        ["k*k*cin*cout+cout"],
    ),
    "check_unet_params": Case(
        checks.check_unet_params,
        None,  # the right count is the whole net's; see test_models.py
        [lambda f, c, k: 1883202 if (f, c, k) == (64, 3, 2) else 0, lambda f, c, k: 9 * f * f],
        [],
    ),
    "check_unet_predictions": Case(
        checks.check_unet_predictions,
        _PREDICTIONS,
        _one_wrong(
            _PREDICTIONS, {"first_block_2015": 38720, "up_conv_2015": 2097152, "halving_factor": 2}
        )
        + _one_wrong(_PREDICTIONS, {"halving_factor": 8, "first_block_2015": 1000}),
        [37568, 2097664, 4],
    ),
    # lesson 09
    "check_learning_rate_prediction": Case(
        lambda p: checks.check_learning_rate_prediction(p, _FAST_RUN, _BASE_RUN),
        "worse",
        [..., None, "better"],  # no prediction yet: the run's outcome must not show
        ["says 'worse'", "the fast run's validation mean IoU"],
        notes="a *wrong* prediction is answered with what the run did: that is the experiment",
    ),
    "check_kept_epochs": Case(
        checks.check_kept_epochs,
        _KEPT,
        _one_wrong(_KEPT, {"one_fit": 6, "resumed": 3, "val_loss": 3})
        + _one_wrong(_KEPT, {"one_fit": 2, "resumed": 6, "val_loss": 1})
        + [{"one_fit": 4, "resumed": 4, "val_loss": 5}],
        [3, 5, 4],
    ),
    "check_leak_prediction": Case(
        checks.check_leak_prediction,
        "random tiles",
        ["region split", None, "random"],
        ["random tiles leak", "random tiles do"],
    ),
    "check_weight_peak_prediction": Case(
        lambda answer: checks.check_weight_peak_prediction(answer, *_NUCLEI),
        "in the thin gaps between touching nuclei",
        [p for p in _PLACES if "gaps" not in p] + [None, "gaps"],
        ["largest in the thin gaps", "largest between touching"],
    ),
    "check_pad_to_multiple": Case(
        checks.check_pad_to_multiple,
        _pad_reflect,
        [lambda image, m: image, _pad_zeros, _pad_edge, _pad_full_block, _pad_top_left],
        ['mode="reflect"', "-h % m", "np.pad(image", "% multiple"],
    ),
}


def test_every_checker_has_a_case():
    checkers = {name for name in checks.__all__ if name.startswith("check_")}
    assert checkers == set(CASES), (
        "give every checker a case here (and none that does not exist): "
        f"missing {sorted(checkers - set(CASES))}, unknown {sorted(set(CASES) - checkers)}"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_message_on_a_wrong_answer_contains_the_answer(name):
    case = CASES[name]
    if case.right is not None:
        assert case.check(case.right), f"{name}: the case's right answer must pass"
    found = []
    for wrong in case.wrong:
        fb = case.check(wrong)
        assert not fb, f"{name}: {wrong!r} must not pass"
        shown = leaks(fb.message, case.answer, wrong, case.tol)
        if shown:
            found.append(f"{shown} in {fb.message!r}")
    assert not found, f"{name} gives the answer away:\n" + "\n".join(found)


def test_leaks_finds_the_answer_in_its_usual_forms():
    """The detector itself: a message that gives the answer is caught, however it is written."""
    assert leaks("you answered 5; expected 49,152.", [49152], 5) == [49152]
    assert leaks("the mean IoU is 0.50 here", [0.495], 0.1, tol=0.006) == [0.495]
    assert leaks("about 44% of it", [0.4413], 0.6, tol=0.01) == [0.4413]
    assert leaks("add (4, 1) too", ["(4, 1)"], {(2, 0)}) == ["(4, 1)"]
    assert leaks("use x * (x>0) here", ["x*(x>0)"], None) == ["x*(x>0)"]
    # what the student wrote may come back; other numbers are not the answer
    assert leaks("you answered [[6, 5], [7, 8]]", [6, 5, 7, 9], [[6, 5], [7, 8]]) == []
    assert leaks("rows 0-1, columns 2-3 of X", [6, 5, 7, 9], [[0, 0], [0, 0]]) == []


def test_a_leaking_checker_fails_the_test():
    """A checker that prints the expected value is caught by the same test."""

    def leaky(answer):
        return checks.Feedback(answer == 11, f"you answered {answer}; expected 11.")

    CASES["_leaky"] = Case(leaky, 11, [7], [11])
    try:
        with pytest.raises(AssertionError, match="gives the answer away"):
            test_no_message_on_a_wrong_answer_contains_the_answer("_leaky")
    finally:
        del CASES["_leaky"]


def test_relu_checks_camera_quantile_is_the_case_above():
    """The sparsity case's answer is the 90 % quantile the checker uses (kept in step)."""
    q = float(np.quantile(relu_checks._camera_sobel(), 0.9))
    assert abs(q - 0.1686) < 1e-3

"""Lesson 02 helpers: ReluExplorer's step and the ReLU checkers."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import ops
from course_utils.checks import (
    check_combined_kernel,
    check_relu,
    check_sparsity_bias,
)
from course_utils.ops import KERNEL_PRESETS, combined_kernel
from course_utils.viz import robust_scale
from course_utils.widgets import ReluExplorer, relu_step


@pytest.fixture(scope="module")
def explorer():
    return ReluExplorer()


# ---- explorer ---------------------------------------------------------------------------------
def test_relu_step_values_and_zero_fraction():
    f = relu_step(np.array([[-1.0, 0.5], [2.0, -3.0]]), bias=0.5)
    np.testing.assert_array_equal(f.data["pre"], [[-0.5, 1.0], [2.5, -2.5]])
    np.testing.assert_array_equal(f.data["post"], [[0.0, 1.0], [2.5, 0.0]])
    assert f.data["zero_fraction"] == 0.5
    assert "50.0%" in f.info
    assert f.images["pre"][:4] == b"\x89PNG"


def test_relu_step_rejects_bad_input():
    with pytest.raises(ValueError, match=r"shape \(H, W\)"):
        relu_step(np.zeros((2, 2, 2)), 0.0)
    with pytest.raises(ValueError, match="finite"):
        relu_step(np.zeros((2, 2)), float("nan"))


def test_explorer_shapes_and_bias_changes_pictures(explorer):
    f0 = explorer.set(image="camera", preset="Sobel x (vertical edges)", bias=0.0)
    assert f0.data["pre"].shape == (254, 254)  # "valid" 3x3 convolution of 256x256
    f1 = explorer.set(bias=-0.3)
    assert f1.images["post"] != f0.images["post"]
    assert f1.images["pre"] != f0.images["pre"]
    assert f1.data["zero_fraction"] > f0.data["zero_fraction"]
    assert explorer.set(bias=-4.0).data["zero_fraction"] == 1.0
    assert explorer.set(bias=4.0).data["zero_fraction"] == 0.0


def test_explorer_kernel_and_photo_change_the_map(explorer):
    a = explorer.set(image="camera", preset="Sobel x (vertical edges)", bias=0.0)
    b = explorer.set(preset="edge (Laplacian)")
    c = explorer.set(image="coins")
    assert not np.allclose(a.data["pre"], b.data["pre"])
    assert not np.allclose(b.data["pre"], c.data["pre"])
    np.testing.assert_allclose(
        c.data["pre"], ops.conv2d(explorer.feature_map("coins", "edge (Laplacian)"), [[1.0]])
    )


def test_explorer_matches_ops(explorer):
    f = explorer.set(image="camera", preset="Sobel y (horizontal edges)", bias=-0.1)
    from course_utils.data import sample_image

    want = ops.relu(ops.conv2d(sample_image("camera", gray=True),
                               KERNEL_PRESETS["Sobel y (horizontal edges)"]) - 0.1)
    np.testing.assert_allclose(f.data["post"], want)


def test_explorer_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown preset"):
        ReluExplorer(preset="nope")
    with pytest.raises(ValueError, match="unknown image"):
        ReluExplorer(image="nope")


def test_robust_scale_ignores_outliers():
    a = np.zeros(1000)
    a[:10] = np.linspace(0.1, 1.0, 10)
    a[0] = 100.0
    assert robust_scale(a) < 2.0


# ---- checkers -----------------------------------------------------------------------------------
def test_check_relu_accepts_right_answers():
    assert check_relu(lambda x: np.maximum(x, 0))
    assert check_relu(lambda x: x * (x > 0))
    assert check_relu(lambda x: np.clip(x, 0, None))


def _inplace(x):
    x[x < 0] = 0
    return x


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (lambda x: np.max(x, 0), "np.maximum"),
        (np.abs, "abs(x)"),
        (lambda x: np.minimum(x, 0), "negative part"),
        (lambda x: x > 0, "True/False"),
        (_inplace, "in place"),
        (lambda x: None, "return"),
        (lambda x: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_check_relu_rejects_wrong_answers(fn, hint):
    fb = check_relu(fn)
    assert not fb.passed
    assert hint in fb.message


def test_check_relu_not_implemented():
    def stub(x):
        raise NotImplementedError

    assert "NotImplementedError" in check_relu(stub).message


def test_combined_kernel_replaces_two_convolutions():
    rng = np.random.default_rng(0)
    x, k1, k2 = rng.normal(size=(20, 20)), rng.normal(size=(3, 3)), rng.normal(size=(2, 4))
    k = combined_kernel(k1, k2)
    assert k.shape == (4, 6)
    np.testing.assert_allclose(ops.conv2d(ops.conv2d(x, k1), k2), ops.conv2d(x, k), atol=1e-12)


def _scatter(k1, k2):
    out = np.zeros((k1.shape[0] + k2.shape[0] - 1, k1.shape[1] + k2.shape[1] - 1))
    for i in range(k2.shape[0]):
        for j in range(k2.shape[1]):
            out[i:i + k1.shape[0], j:j + k1.shape[1]] += k2[i, j] * k1
    return out


def test_check_combined_kernel():
    assert check_combined_kernel(_scatter)
    fb = check_combined_kernel(lambda k1, k2: k1 * k2)
    assert not fb.passed and "5x5" in fb.message
    fb = check_combined_kernel(lambda k1, k2: _scatter(k1, k2)[::-1, ::-1])
    assert not fb.passed and "rotated by 180" in fb.message
    fb = check_combined_kernel(lambda k1, k2: _scatter(k1, k2) + 0.1)
    assert not fb.passed and "differ by up to" in fb.message


def test_check_sparsity_bias():
    assert check_sparsity_bias(-0.17)
    fb = check_sparsity_bias(0.17)
    assert not fb.passed and "wrong sign" in fb.message
    fb = check_sparsity_bias(-0.05)
    assert not fb.passed and "more negative" in fb.message
    fb = check_sparsity_bias(-1.0)
    assert not fb.passed and "less negative" in fb.message
    assert "one number" in check_sparsity_bias([0.1]).message
    assert "finite" in check_sparsity_bias(float("inf")).message

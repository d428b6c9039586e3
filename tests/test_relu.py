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
from course_utils.widgets import ReluExplorer, map_histogram, relu_step


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
    assert f1.images["hist"] != f0.images["hist"]  # the threshold line moved
    lo = explorer.set(bias=-0.5).data["zero_fraction"]
    hi = explorer.set(bias=0.5).data["zero_fraction"]
    assert 0.9 < lo < 1.0 and 0.0 < hi < 0.1  # +-0.5 is the useful range for Sobel x


def test_bias_slider_is_an_exact_grid_of_plus_minus_half(explorer):
    slider = explorer.controls["bias"]
    values = [v for _, v in slider.options]
    assert values[0] == -0.5 and values[-1] == 0.5 and len(values) == 101
    assert -0.3 in values and 0.0 in values  # exact decimals, no -0.29999
    assert explorer.set(bias=-0.3).data["threshold"] == 0.3
    assert explorer.set(bias=-4.0).data["pre"].min() == pytest.approx(
        explorer.feature_map("camera", "Sobel x (vertical edges)").min() - 0.5
    )  # snapped
    explorer.set(bias=0.0)
    assert slider.value == 0.0 and explorer.frame.data["threshold"] == 0.0
    with pytest.raises(ValueError, match=r"\[-0.5, 0.5\]"):
        ReluExplorer(bias=2.0)


def test_step_leaves_the_shown_state_alone():
    ex = ReluExplorer(bias=0.1)
    shown = ex.static_png()
    frame = ex.step(image="coins", preset="emboss", bias=-0.4)
    assert frame.data["threshold"] == 0.4
    assert ex.values()["bias"] == 0.1 and ex.values()["image"] == "camera"
    assert ex.static_png() == shown and ex.frame.data["threshold"] == -0.1


def test_histogram_counts_every_pixel_and_splits_at_minus_bias(explorer):
    f = explorer.set(image="camera", preset="Sobel x (vertical edges)", bias=-0.2)
    counts, edges = f.data["counts"], f.data["edges"]
    assert counts.sum() == f.data["pre"].size
    assert edges[0] < f.data["threshold"] < edges[-1]
    # the pixels left of the line are the ones ReLU zeroes
    fmap = explorer.feature_map("camera", "Sobel x (vertical edges)")
    assert f.data["zero_fraction"] == pytest.approx(np.mean(fmap <= 0.2))
    assert f.images["hist"][:4] == b"\x89PNG"
    assert set(f.colorbars) == {"pre", "post"}
    m = f.colorbars["pre"][2]
    assert f.colorbars["pre"] == ("RdBu_r", -m, m) and f.colorbars["post"] == ("gray", 0.0, m)


def test_map_histogram_axis_covers_the_data():
    counts, edges = map_histogram(np.array([-3.0, 0.0, 0.4, 3.6]))
    assert edges[0] == -3.0 and edges[-1] == 3.6 and counts.sum() == 4
    assert counts[0] == 1 and counts[-1] == 1  # each extreme in the bin where it lies
    counts, edges = map_histogram(np.array([0.1, 0.2]))  # a small map: the bias range stays in
    assert edges[0] == -0.5 and edges[-1] == 0.5


def test_explorer_histogram_shows_the_tails_where_they_are(explorer):
    """Lesson 02: Sobel x on camera reaches about +-3.6; the axis must reach there too (an axis
    cut at the colour scale piled the tails into the last bar, which looked like a peak)."""
    f = explorer.set(image="camera", preset="Sobel x (vertical edges)", bias=0.0)
    fmap = explorer.feature_map("camera", "Sobel x (vertical edges)")
    counts, edges = f.data["counts"], f.data["edges"]
    assert edges[0] == fmap.min() and edges[-1] == fmap.max()
    assert fmap.max() > 1.2 * f.colorbars["pre"][2]  # the axis goes past the colour scale
    assert counts[-1] < counts[len(counts) // 2 + 2] and counts[0] < counts[len(counts) // 2 - 2]
    assert counts.sum() == fmap.size


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

    want = ops.relu(
        ops.conv2d(sample_image("camera", gray=True), KERNEL_PRESETS["Sobel y (horizontal edges)"])
        - 0.1
    )
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
        (lambda x: np.max(x, 0), "element-wise maximum"),
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
            out[i : i + k1.shape[0], j : j + k1.shape[1]] += k2[i, j] * k1
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


# ---- pictures used by the explorer ------------------------------------------------------------
def test_histogram_png_colours_split_at_threshold():
    import io

    from PIL import Image

    from course_utils.viz import histogram_png

    counts, edges = np.full(10, 5), np.linspace(-1.0, 1.0, 11)
    img = np.asarray(Image.open(io.BytesIO(histogram_png(counts, edges, 0.5, 200, 80))))
    bars = img[40]  # a row through the (equal) bars
    assert tuple(bars[20]) == (150, 150, 150)  # left of the threshold: zeroed, grey
    assert tuple(bars[190]) == (214, 39, 40)  # right of it: kept, red
    assert (img[15:60, 149:151] == 0).all()  # the black line at x = 0.5 -> column 149.25
    with pytest.raises(ValueError, match="np.histogram"):
        histogram_png(np.ones(3), np.arange(3.0))
    with pytest.raises(ValueError, match="increasing"):
        histogram_png(np.ones(2), np.array([0.0, 0.0, 1.0]))


@pytest.mark.parametrize("cmap", ["gray", "RdBu_r", "viridis"])
def test_to_png_palette_encoding_matches_to_rgb8(cmap):
    import io

    from PIL import Image

    from course_utils.viz import to_png, to_rgb8

    a = np.random.default_rng(0).normal(size=(9, 7))
    shown = np.asarray(Image.open(io.BytesIO(to_png(a, cmap, (-1, 1), scale=2))).convert("RGB"))
    np.testing.assert_array_equal(shown, to_rgb8(a, cmap, (-1, 1), 2))

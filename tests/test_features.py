"""FeatureMapExplorer: the pure step and the wiring (no browser)."""

import numpy as np
import pytest

from course_utils.models import unet
from course_utils.widgets import FeatureMapExplorer, feature_step


@pytest.fixture(scope="module")
def explorer():
    import keras

    keras.utils.set_random_seed(0)
    untrained = unet((16, 16, 3), base_filters=2)
    trained = unet((16, 16, 3), base_filters=2)  # a different init stands in for training
    x = np.random.default_rng(0).random((3, 16, 16, 3)).astype("float32")
    masks = (x[..., 0] > 0.5).astype(np.uint8)
    return FeatureMapExplorer(trained, untrained, x, masks=masks)


def test_step_shapes_and_pictures_change(explorer):
    a = explorer.set(layer="enc1_conv1", channel=0, image=0)
    assert a.data["trained"].shape == (16, 16)
    assert set(a.images) == {"input", "untrained", "trained"}
    assert not np.array_equal(a.data["trained"], a.data["untrained"])
    b = explorer.set(channel=1)
    assert b.images["trained"] != a.images["trained"]
    c = explorer.set(image=2)
    assert c.images["input"] != b.images["input"]
    d = explorer.set(layer="pool2")
    assert d.data["trained"].shape == (4, 4)
    assert "channel <b>1</b> of 4" in d.info


def test_channel_slider_follows_layer(explorer):
    explorer.set(layer="bottleneck_conv1", channel=7)  # 8 channels
    explorer.set(layer="enc1_conv1")  # 2 channels: the slider is clamped, no error shown
    assert explorer.controls["channel"].max == 1
    assert explorer.controls["channel"].value == 1
    assert explorer.error.value == ""


def test_bad_input():
    with pytest.raises(ValueError, match="channel must be an integer from 0 to 1"):
        feature_step(np.zeros((4, 4, 3)), np.zeros((4, 4, 2)), np.zeros((4, 4, 2)), 2)
    with pytest.raises(ValueError, match="same shape"):
        feature_step(np.zeros((4, 4, 3)), np.zeros((4, 4, 2)), np.zeros((2, 2, 2)), 0)
    m = unet((16, 16, 3), base_filters=2)
    with pytest.raises(ValueError, match="images must be"):
        FeatureMapExplorer(m, m, np.zeros((16, 16, 3)))
    with pytest.raises(ValueError, match="unknown layer"):
        FeatureMapExplorer(m, m, np.zeros((1, 16, 16, 3)), layer="nope")


def test_true_sizes_robust_scale_and_colour_bars(explorer):
    f = explorer.set(layer="pool2", channel=0, image=0)  # 4x4 map of a 16x16 input
    assert f.widths["input"] == 192 and f.data["width"] == 48  # a quarter of the input's width
    assert f.widths["trained"] == f.widths["untrained"] == 128  # on a canvas for the bar
    for name in ("untrained", "trained"):
        m = f.data[name]
        cmap, lo, hi = f.colorbars[name]
        assert (lo, hi) == f.data["vrange"][name]
        assert hi == pytest.approx(np.quantile(np.abs(m), 0.995), rel=1e-4, abs=1e-6)
    g = explorer.set(layer="enc1_conv1")
    assert g.data["width"] == 192 and g.widths["trained"] == 192
    h = explorer.set(layer="classifier")
    assert h.colorbars["trained"] == ("magma", 0.0, 1.0)
    png = explorer.static_png()
    assert png[:4] == b"\x89PNG"


def test_robust_scale_ignores_one_extreme_pixel():
    t = np.tile(np.linspace(0, 1, 16), (16, 1))[:, :, None].repeat(2, axis=2)
    t[0, 0, 0] = 1e3
    f = feature_step(np.zeros((16, 16, 3)), t, t, 0)
    assert f.data["vrange"]["trained"][1] < 2  # not 1000: the rest stays visible
    assert f.colorbars["trained"][0] == "viridis"
    g = feature_step(np.zeros((16, 16, 3)), t - 0.5, t - 0.5, 1)
    assert g.colorbars["trained"][0] == "RdBu_r" and g.data["vrange"]["trained"][0] < 0

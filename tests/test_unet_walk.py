"""UNetWalkExplorer (lesson 08): layer wiring, the pure step, and the widget logic."""

import keras
import numpy as np
import pytest

from course_utils import data, models
from course_utils.widgets import UNetWalkExplorer, u_picture, walk_layers, walk_step

ORANGE = np.array([230, 120, 20], np.uint8)


@pytest.fixture(scope="module")
def small():
    keras.utils.set_random_seed(0)
    return models.unet((32, 32, 3), base_filters=4)


def test_seed_network_layers_shapes_and_wiring():
    layers = walk_layers(models.unet())
    assert len(layers) == 17 and layers[0].name == "enc1_conv1" and layers[-1].name == "classifier"
    assert sum(ly.params for ly in layers) == 1_883_202
    by = {ly.name: ly for ly in layers}
    assert by["skip4"].inputs == ("enc2_conv2", "up4")
    assert (by["enc2_conv2"].shape[-1], by["up4"].shape[-1]) == (128, 256)
    assert by["skip4"].role == "concat" and by["skip4"].shape == (64, 64, 384)
    assert by["skip5"].inputs == ("enc1_conv2", "up5") and by["skip5"].shape == (128, 128, 192)
    assert by["bottleneck_conv2"].shape == (32, 32, 256)
    assert by["dec4_conv1"].inputs == ("skip4",) and by["dec4_conv1"].params == 442_496


def test_walk_step_picks_the_channel_and_names_the_skip_source(small):
    layers = walk_layers(small)
    i = [ly.name for ly in layers].index("skip4")  # enc2_conv2 (8) + up4 (16) = 24 channels
    fmap = np.random.default_rng(0).random(layers[i].shape)
    img = np.zeros((32, 32, 3))
    f = walk_step(img, fmap, layers, i, 3)
    np.testing.assert_array_equal(f.data["map"], fmap[:, :, 3])
    assert "channel 3 is channel 3 of <b>enc2_conv2</b>" in f.info
    f = walk_step(img, fmap, layers, i, 10)
    assert "channel 10 is channel 2 of <b>up4</b>" in f.info
    f = walk_step(img, fmap, layers, i, 99)  # clamped to the last channel
    assert f.data["channel"] == 23 and "showing channel <b>23</b> of 0..23" in f.info
    with pytest.raises(ValueError, match="shape"):
        walk_step(img, fmap[:, :, :5], layers, i, 0)
    with pytest.raises(ValueError, match="layer index must be an integer from 0"):
        walk_step(img, fmap, layers, len(layers), 0)


def test_u_picture_marks_the_current_layer(small):
    layers = walk_layers(small)
    a, b = u_picture(layers, 0, 32), u_picture(layers, 8, 32)
    assert a.shape == b.shape and not np.array_equal(a, b)
    cols = np.nonzero((a == ORANGE).all(-1).any(0))[0]
    assert (
        cols.min() < a.shape[1] // 5
    )  # the first layer sits at the left of the U (after the sizes)
    rows_b = np.nonzero((b == ORANGE).all(-1).any(1))[0]
    rows_a = np.nonzero((a == ORANGE).all(-1).any(1))[0]
    assert rows_b.min() > rows_a.max()  # the bottleneck sits lower than the first layer


def test_explorer_updates_pictures_and_channel_range(small):
    ex = UNetWalkExplorer(small, image="cat", layer=0, order="index")
    first = ex.frame.images["map"]
    assert ex.frame.data["map"].shape == (32, 32)
    f = ex.set(layer=6)  # bottleneck_conv1: 8x8x16
    assert f.data["map"].shape == (8, 8) and f.images["map"] != first
    assert ex.controls["channel"].max == 15
    expected = models.feature_maps(small, data.photo("cat", size=32), ["bottleneck_conv1"])
    np.testing.assert_allclose(f.data["map"], expected["bottleneck_conv1"][0, :, :, 0], rtol=1e-5)
    f2 = ex.set(channel=5)
    assert f2.images["map"] != f.images["map"] and "bottleneck_conv1" in f2.info
    ex.controls["layer"].value = len(ex.layers) - 1  # a slider move: classifier, 2 channels
    assert ex.controls["channel"].max == 1 and ex.frame.data["channel"] == 1
    ex.controls["image"].value = "coins"
    assert ex.frame.images["input"] != f2.images["input"]


def test_most_active_channels_first(small):
    ex = UNetWalkExplorer(small, image="cat", layer=6)  # default order: most active first
    maps = models.feature_maps(small, data.photo("cat", size=32), ["bottleneck_conv1"])
    fmap = maps["bottleneck_conv1"][0]
    std = fmap.reshape(-1, 16).std(axis=0)
    shown = [ex.set(channel=r).data["channel"] for r in range(16)]
    assert sorted(shown) == list(range(16))  # every channel once
    assert shown[0] == int(np.argmax(std)) and ex.set(channel=0).data["rank"] == 0
    np.testing.assert_allclose(std[shown], np.sort(std)[::-1], rtol=1e-5)  # decreasing
    np.testing.assert_allclose(ex.set(channel=0).data["map"], fmap[:, :, shown[0]], rtol=1e-5)
    assert (
        f"showing channel <b>{shown[0]}</b>" in ex.frame.info
        and "no. 1 most active" in ex.frame.info
    )
    ex.set(order="index", channel=3)
    assert ex.frame.data["channel"] == 3


def test_robust_scale_colour_bar_and_true_sizes(small):
    layers = walk_layers(small)
    img = np.zeros((32, 32, 3))
    i = [ly.name for ly in layers].index("bottleneck_conv1")  # 8x8x16
    fmap = np.zeros(layers[i].shape)
    fmap[:, :, 0] = np.linspace(0, 1, 64).reshape(8, 8)
    fmap[0, 0, 0] = 1000.0  # one extreme pixel must not make the rest dark
    f = walk_step(img, fmap, layers, i, 0, display=256)
    lo, hi = f.data["vrange"]
    assert lo == 0 and hi < 1000 and hi == pytest.approx(np.quantile(np.abs(fmap[:, :, 0]), 0.995))
    assert f.colorbars["map"] == ("viridis", lo, hi)
    # true sizes: input 32 px -> 256 screen px, so an 8x8 map is 64 px wide (on a 128-px canvas)
    assert f.data["width"] == 64 and f.widths["input"] == 256 and f.widths["map"] == 128
    assert "8 screen pixels per map pixel" in f.info
    j = [ly.name for ly in layers].index("enc2_conv2")  # 16x16: 128 screen px, no canvas
    g = walk_step(img, np.ones(layers[j].shape), layers, j, 0, display=256)
    assert g.data["width"] == g.widths["map"] == 128
    c = walk_step(img, np.full(layers[-1].shape, 0.5), layers, len(layers) - 1, 0)
    assert c.data["vrange"] == (0.0, 1.0)  # probabilities keep their fixed scale
    neg = walk_step(img, fmap - 0.5, layers, i, 0)
    assert neg.colorbars["map"][0] == "RdBu_r" and neg.data["vrange"][0] == -neg.data["vrange"][1]


def test_u_picture_is_labelled(small):
    layers = walk_layers(small)
    u = u_picture(layers, 0, 32)
    assert u.shape[1] > 300  # wide enough for its labels, shown at natural size
    f = walk_step(np.zeros((32, 32, 3)), np.zeros(layers[0].shape), layers, 0, 0)
    assert f.widths["u"] == u.shape[1]
    # labels are dark text below the boxes: rows under the lowest box hold dark pixels
    orange_rows = np.nonzero((u_picture(layers, 6, 32) == ORANGE).all(-1).any(1))[0]
    dark = (u.max(-1) < 100).any(1)
    assert dark[orange_rows.max() + 5 :].any()  # "encoder", "bottleneck", "decoder"
    green = (u == np.array([60, 160, 80], np.uint8)).all(-1)
    assert green.any(1)[:34].any()  # the skip line above the top row


def test_state_after_set_is_shown(small):
    ex = UNetWalkExplorer(small, image="cat", layer=9, channel=2)
    assert ex.controls["layer"].value == 9 and ex.controls["channel"].value == 2
    ex.set(layer=3, channel=0)
    assert ex.frame.data["map"].shape == (16, 16) and "layer 3 of" in ex.frame.info
    png = ex.static_png()
    assert png[:4] == b"\x89PNG"


def test_explorer_bad_input_says_what_to_do(small):
    with pytest.raises(ValueError, match="square"):
        UNetWalkExplorer(models.unet((32, 64, 3), base_filters=2))
    with pytest.raises(ValueError, match="unknown photo"):
        UNetWalkExplorer(small, image="dog")
    with pytest.raises(ValueError, match="layer must be"):
        UNetWalkExplorer(small, layer=99)


def test_maps_are_the_layers_outputs(small):
    ex = UNetWalkExplorer(small, image="cat")
    maps = ex.maps("coins")
    assert list(maps) == [ly.name for ly in ex.layers]
    assert maps["pool1"].shape == (16, 16, 4) and not maps["pool1"].flags.writeable
    with pytest.raises(ValueError, match="unknown photo"):
        ex.maps("dog")

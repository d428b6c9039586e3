"""Lesson 05: SkipExplorer's step, the toy reconstruction, and the skip checkers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course_utils import ops
from course_utils.checks import check_concat_vs_add, check_merge_channels, check_round_trip_size
from course_utils.data import sample_image
from course_utils.toys import (
    bottleneck,
    compare_skip_inputs,
    encoder_features,
    size_scene,
    skip_fit,
    skip_reconstruction,
)
from course_utils.widgets import SkipExplorer, skip_step

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def photo():
    return sample_image("camera", gray=True).astype(np.float64)


def test_encoder_features_shape_and_relu(photo):
    f = encoder_features(photo)
    assert f.shape == (256, 256, 5)
    assert f.min() >= 0.0  # ReLU
    np.testing.assert_allclose(f[..., 0], ops.conv2d(photo, np.full((3, 3), 1 / 9), padding="same"))


@pytest.mark.parametrize("poolings", [1, 2, 3])
def test_skip_lowers_error(photo, poolings):
    without = skip_reconstruction(photo, poolings, skip=False)
    with_skip = skip_reconstruction(photo, poolings, skip=True)
    assert without["channels"] == 5 and with_skip["channels"] == 10
    assert with_skip["mae"] < 0.9 * without["mae"]
    assert with_skip["psnr"] > without["psnr"] + 1.0
    assert without["sizes"] == [256 // 2**i for i in range(poolings + 1)] + [256]


def test_more_poolings_blur_more_without_skip(photo):
    maes = [skip_reconstruction(photo, k, skip=False)["mae"] for k in (1, 2, 3)]
    assert maes[0] < maes[1] < maes[2]


def test_step_shows_both_sides_and_their_difference(photo):
    a = skip_step(photo, photo, 2)
    c = skip_step(photo, photo, 3)
    assert set(a.images) == {"input", "target", "without", "with", "diff"}
    assert all(png.startswith(PNG) for png in a.images.values())
    assert a.images["without"] != c.images["without"] and a.images["input"] == c.images["input"]
    np.testing.assert_allclose(a.data["diff"], a.data["concat"]["out"] - a.data["decoder"]["out"])
    assert set(a.colorbars) == set(a.images) and a.colorbars["diff"][0] == "RdBu_r"
    assert a.data["decoder"]["channels"] == 5 and a.data["concat"]["channels"] == 10
    assert f"{a.data['encoder']['mae']:.4f}" in a.info  # the honest third row


def test_remembered_photo_gives_the_same_step(photo):
    """A read-only photo (data.photo) is computed once and remembered: same pictures, same numbers."""
    from course_utils.data import photo as cached_photo

    ro = cached_photo("camera", gray=True)
    assert encoder_features(ro) is encoder_features(ro)  # remembered, not recomputed
    a, b = skip_step(photo, photo, 1), skip_step(ro, ro, 1)
    np.testing.assert_allclose(a.data["concat"]["out"], b.data["concat"]["out"])
    assert a.images == b.images


def test_photo_copy_needs_no_context(photo):
    """Honest: to copy a photo the encoder map alone is as good as concat(E, D)."""
    rows = compare_skip_inputs(photo, photo, 2)
    assert rows["encoder"]["mae"] < 0.6 * rows["decoder"]["mae"]
    assert abs(rows["encoder"]["mae"] - rows["concat"]["mae"]) < 0.002


def test_big_shapes_need_both_halves():
    """Marking the big shapes needs E's outlines and D's context: concat beats both halves."""
    img, target = size_scene()
    rows = compare_skip_inputs(img, target, 3)
    assert rows["concat"]["iou"] > rows["decoder"]["iou"] + 0.1
    assert rows["concat"]["iou"] > rows["encoder"]["iou"] + 0.1
    # the encoder alone marks every shape: its IoU is about big area / all shapes' area
    assert rows["encoder"]["iou"] < 0.7 and rows["concat"]["iou"] > 0.8


def test_size_scene_is_deterministic_and_well_formed():
    img, target = size_scene()
    assert img.shape == target.shape == (256, 256) and not img.flags.writeable
    assert set(np.unique(img)) == {0.15, 0.85} and set(np.unique(target)) == {0.0, 1.0}
    assert np.all(img[target == 1] == 0.85)  # every target pixel is on a shape
    a, b = size_scene(128, seed=1), size_scene(128, 1, 4, 40)  # two calls, same scene
    assert a[0] is not b[0]
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(size_scene(128, seed=2)[0], a[0])
    assert 0.05 < target.mean() < 0.5 * np.mean(img == 0.85) + 0.1


def test_bottleneck_averages_each_channel():
    x = np.zeros((4, 4, 2))
    x[1, 1, 0] = 9.0
    out = bottleneck(x)
    assert out.shape == (4, 4, 2) and out[0, 0, 0] == 1.0 and out[:, :, 1].sum() == 0
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        bottleneck(np.zeros((4, 4)))


def test_skip_fit_checks_its_arguments(photo):
    with pytest.raises(ValueError, match="unknown inputs"):
        skip_fit(photo, photo, 2, "both")
    with pytest.raises(ValueError, match="target must have"):
        skip_fit(photo, photo[:8], 2)


@pytest.mark.parametrize("bad", [0, 6, 1.5, True])
def test_bad_poolings_raise(bad):
    with pytest.raises(ValueError, match="poolings"):
        skip_reconstruction(np.zeros((32, 32)), bad)


def test_size_not_divisible_raises_clear_error():
    with pytest.raises(ValueError, match="not divisible by 2\\*\\*2 = 4"):
        skip_reconstruction(np.zeros((50, 50)), 2)


def test_bad_image_rank_raises():
    with pytest.raises(ValueError, match="image must be"):
        skip_reconstruction(np.zeros((4, 4, 4, 4)), 1)


def test_explorer_state_and_step():
    ex = SkipExplorer(poolings=1)
    assert ex.frame.data["concat"]["sizes"] == [256, 128, 256]
    shown = ex.static_png()
    f = ex.step(image="camera", poolings=3, interpolation="bilinear")  # a demonstration ...
    assert f.data["concat"]["sizes"][-2] == 32
    assert ex.values() == {"image": "shapes", "poolings": 1, "interpolation": "nearest"}
    assert ex.static_png() == shown  # ... leaves the explorer as it was created
    g = ex.set(poolings=3)
    assert ex.info == g.info and g.data["concat"]["iou"] > 0.8
    bil = ex.set(interpolation="bilinear")
    assert not np.array_equal(bil.data["decoder"]["up"], g.data["decoder"]["up"])
    assert repr(ex).startswith("SkipExplorer(image='shapes', poolings=3")
    with pytest.raises(ValueError, match="unknown input"):
        SkipExplorer(image="nope")


def test_concat_skip_matches_keras():
    rng = np.random.default_rng(0)
    e = rng.random((2, 8, 8, 3)).astype("float32")
    d = rng.random((2, 8, 8, 5)).astype("float32")
    k = keras.ops.convert_to_numpy(keras.layers.Concatenate(axis=-1)([e, d]))
    np.testing.assert_allclose(ops.concat_skip(e, d), k)


# ---- checkers ------------------------------------------------------------------------------
def _raise(*_):
    raise NotImplementedError


def test_check_merge_channels():
    assert check_merge_channels(lambda f: (6 * f, 3 * f))
    assert "442,496" in check_merge_channels(lambda f: (6 * f, 3 * f)).message
    assert "swapped" in check_merge_channels(lambda f: (3 * f, 6 * f)).message
    assert "only the upsampled half" in check_merge_channels(lambda f: (4 * f, 2 * f)).message
    assert "only the encoder" in check_merge_channels(lambda f: (2 * f, f)).message
    assert "bottleneck" in check_merge_channels(lambda f: (4 * f, 3 * f)).message
    assert "NotImplementedError" in check_merge_channels(_raise).message
    assert "pair" in check_merge_channels(lambda f: 6 * f).message
    assert "return" in check_merge_channels(lambda f: None).message


def test_check_round_trip_size():
    assert check_round_trip_size(lambda n, k: (n // 2**k) * 2**k)
    assert check_round_trip_size(lambda n, k: (n >> k) << k)
    fb = check_round_trip_size(lambda n, k: n)
    assert not fb and "25 -> 12" in fb.message
    assert "bottom" in check_round_trip_size(lambda n, k: n // 2**k).message
    assert "float" in check_round_trip_size(lambda n, k: float((n // 2**k) * 2**k)).message
    assert "floor" in check_round_trip_size(lambda n, k: n / 2**k * 2**k + 0.5).message
    assert "NotImplementedError" in check_round_trip_size(_raise).message


def test_check_concat_vs_add():
    good = {"concat": (64, 64, 384), "add": None, "add_after_1x1": (64, 64, 128)}
    assert check_concat_vs_add(good)
    assert check_concat_vs_add({**good, "concat": [64, 64, 384]})
    assert "only D" in check_concat_vs_add({**good, "concat": (64, 64, 256)}).message
    assert "broadcast" in check_concat_vs_add({**good, "add": (64, 64, 256)}).message
    fb = check_concat_vs_add({**good, "add_after_1x1": (64, 64, 256)})
    assert "128 filters" in fb.message and "not right" in fb.message
    assert "Concat needs" in check_concat_vs_add({**good, "concat": None}).message
    assert "misses" in check_concat_vs_add({"concat": (64, 64, 384)}).message
    assert not check_concat_vs_add(None)
    assert "shape tuple" in check_concat_vs_add({**good, "concat": "big"}).message


def test_check_concat_vs_add_placeholders():
    fb = check_concat_vs_add({"concat": ..., "add": ..., "add_after_1x1": ...})
    assert not fb and "not answered yet" in fb.message

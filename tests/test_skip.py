"""Lesson 05: SkipExplorer's step, the toy reconstruction, and the skip checkers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from course_utils import ops
from course_utils.checks import check_concat_vs_add, check_merge_channels, check_round_trip_size
from course_utils.data import sample_image
from course_utils.toys import encoder_features, skip_reconstruction
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


def test_step_frame_changes_with_controls(photo):
    a = skip_step(photo, 2, False)
    b = skip_step(photo, 2, True)
    c = skip_step(photo, 3, False)
    assert set(a.images) == {"input", "decoder", "recon", "edges"}
    assert all(png.startswith(PNG) for png in a.images.values())
    assert a.images["recon"] != b.images["recon"]
    assert a.images["decoder"] != c.images["decoder"]
    assert a.images["input"] == b.images["input"]
    assert a.data["recon"].shape == (256, 256) and a.data["edges"].shape == (256, 256)
    assert "10</b> channels" in b.info and "5</b> channels" in a.info


def test_remembered_photo_gives_the_same_step(photo):
    """A read-only photo (data.photo) is computed once and remembered: same pictures, same numbers."""
    from course_utils.data import photo as cached_photo

    ro = cached_photo("camera", gray=True)
    assert encoder_features(ro) is encoder_features(ro)  # remembered, not recomputed
    a, b = skip_step(photo, 1, True), skip_step(ro, 1, True)
    np.testing.assert_allclose(a.data["recon"], b.data["recon"])
    assert a.images == b.images


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


def test_explorer_set_and_error_display():
    ex = SkipExplorer(poolings=1)
    assert ex.frame.data["channels"] == 5
    f = ex.set(skip=True, poolings=3)
    assert f.data["channels"] == 10 and f.data["sizes"][-2] == 32
    assert ex.info.value == f.info
    bil = ex.set(interpolation="bilinear")
    assert not np.array_equal(bil.data["up"], f.data["up"])
    assert repr(ex).startswith("SkipExplorer(image='camera', poolings=3, skip=True")
    with pytest.raises(ValueError, match="unknown photo"):
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
    assert "128, not 256" in check_concat_vs_add({**good, "add_after_1x1": (64, 64, 256)}).message
    assert "misses" in check_concat_vs_add({"concat": (64, 64, 384)}).message
    assert not check_concat_vs_add(None)
    assert "shape tuple" in check_concat_vs_add({**good, "concat": "big"}).message


def test_check_concat_vs_add_placeholders():
    fb = check_concat_vs_add({"concat": ..., "add": ..., "add_after_1x1": ...})
    assert not fb and "not answered yet" in fb.message

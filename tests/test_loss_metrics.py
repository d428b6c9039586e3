"""Lesson 06: MaskMetricsExplorer's step, its helpers, and the loss/metric checkers."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import metrics, ops
from course_utils.checks import (
    ALL_BACKGROUND_CASE,
    MARGIN_CASE,
    check_all_background,
    check_binary_iou,
    check_margin_iou,
    check_weighted_bce,
)
from course_utils.data import disc_mask, soft_disc
from course_utils.metrics import mask_scores
from course_utils.viz import OUTCOME_COLORS, outcome_rgb
from course_utils.widgets import MaskMetricsExplorer, mask_metrics_step

PNG = b"\x89PNG\r\n\x1a\n"


def test_disc_and_soft_disc():
    m = disc_mask(64, 10)
    assert m.dtype == np.uint8 and m.shape == (64, 64)
    assert abs(int(m.sum()) - np.pi * 100) < 20
    p = soft_disc(64, 10, softness=2.0)
    assert 0 < p.min() and p.max() < 1
    np.testing.assert_array_equal((p > 0.5).astype(np.uint8), (disc_mask(64, 10 - 1e-9)))
    shifted = disc_mask(64, 10, shift_x=5)
    assert shifted[31, 43] == 1 and m[31, 43] == 0


@pytest.mark.parametrize("kw", [dict(size=2), dict(radius=0), dict(softness=0)])
def test_bad_shapes_raise(kw):
    with pytest.raises(ValueError):
        soft_disc(**kw)


def test_outcome_colours():
    rgb = outcome_rgb(np.array([[1, 1], [0, 0]]), np.array([[1, 0], [1, 0]]))
    assert rgb[0, 0].tolist() == list(OUTCOME_COLORS["TP"])
    assert rgb[0, 1].tolist() == list(OUTCOME_COLORS["FN"])
    assert rgb[1, 0].tolist() == list(OUTCOME_COLORS["FP"])
    assert rgb[1, 1].tolist() == list(OUTCOME_COLORS["TN"])
    with pytest.raises(ValueError, match="same shape|one shape"):
        outcome_rgb(np.zeros((2, 2)), np.zeros((3, 3)))


def test_mask_scores_match_metrics_and_ops():
    rng = np.random.default_rng(0)
    t = (rng.random((32, 32)) > 0.7).astype(np.uint8)
    p = rng.random((32, 32))
    s = mask_scores(t, p, 0.4)
    y_pred = (p > 0.4).astype(int)
    assert s["accuracy"] == metrics.pixel_accuracy(t, y_pred)
    assert s["iou"] == pytest.approx(metrics.iou(t, y_pred, 2)[1])
    assert s["dice"] == pytest.approx(metrics.dice(t, y_pred, 2)[1])
    assert s["dice"] == pytest.approx(2 * s["iou"] / (1 + s["iou"]))
    assert s["ce"] == pytest.approx(float(ops.binary_cross_entropy(t, p)))
    assert s["tp"] + s["fp"] + s["fn"] + s["tn"] == 32 * 32
    with pytest.raises(ValueError, match="threshold"):
        mask_scores(t, p, 1.0)


def test_step_perfect_and_shifted():
    perfect = mask_metrics_step(radius=30, shift_x=0, shift_y=0, softness=2.0, size=128)
    assert perfect.data["iou"] == 1.0 and perfect.data["accuracy"] == 1.0
    moved = mask_metrics_step(radius=30, shift_x=20, shift_y=0, softness=2.0, size=128)
    assert moved.data["iou"] < 0.6 < moved.data["accuracy"]
    assert moved.data["ce"] > perfect.data["ce"]
    assert moved.images["outcome"] != perfect.images["outcome"]
    assert moved.images["truth"] == perfect.images["truth"]
    assert all(png.startswith(PNG) for png in moved.images.values())


def test_small_object_accuracy_misleads():
    f = mask_metrics_step(radius=8, shift_x=0, softness=20.0, threshold=0.95, size=256)
    assert f.data["tp"] == 0 and f.data["iou"] == 0.0 and f.data["dice"] == 0.0
    assert f.data["accuracy"] > 0.99


def test_blur_raises_ce_at_fixed_iou():
    sharp = mask_metrics_step(radius=40, softness=1.0, size=128)
    blurry = mask_metrics_step(radius=40, softness=10.0, size=128)
    assert sharp.data["iou"] == blurry.data["iou"] == 1.0
    assert blurry.data["ce"] > 3 * sharp.data["ce"]


def test_explorer_set_updates_widgets():
    ex = MaskMetricsExplorer(size=128)
    f = ex.set(shift_x=0, shift_y=0)
    assert f.data["iou"] == 1.0 and ex.info == f.info
    g = ex.set(threshold=0.95, softness=20.0, radius=5)
    assert g.data["iou"] == 0.0
    assert ex.panels.picture("outcome") == g.images["outcome"]
    assert repr(ex) == (
        "MaskMetricsExplorer(radius=5, shift_x=0, shift_y=0, softness=20.0, threshold=0.95)"
    )
    with pytest.raises(ValueError):
        MaskMetricsExplorer(size=1)


def test_explorer_sliders_on_exact_grids_and_colour_bars():
    ex = MaskMetricsExplorer(size=128)
    soft, thr = ex.controls["softness"], ex.controls["threshold"]
    assert [v for _, v in soft.options][:3] == [0.5, 1.0, 1.5] and soft.value == 3.0
    assert 0.35 in [v for _, v in thr.options] and thr.value == 0.5
    f = ex.set(threshold=0.349999)  # snapped to the grid, as the slider shows it
    assert thr.value == 0.35 and thr.label == "0.35" and f.data["y_pred"].sum() > 0
    assert set(f.colorbars) == {"truth", "prob"}  # the outcome picture is categorical
    assert f.colorbars["prob"] == ("viridis", 0.0, 1.0)
    assert ex.controls["radius"].style.description_width == "initial"  # "object radius" in full


def test_step_leaves_the_shown_state_alone():
    ex = MaskMetricsExplorer(size=128)
    shown, values = ex.static_png(), ex.values()
    for radius in (60, 5):
        d = ex.step(radius, 12, 0, 3.0, 0.5).data
        assert d["object_fraction"] > 0
    assert ex.values() == values and ex.static_png() == shown
    assert ex.frame.data["iou"] == mask_metrics_step(40, 12, 0, 3.0, 0.5, 128).data["iou"]


# ---- checkers ------------------------------------------------------------------------------
def _raise(*_):
    raise NotImplementedError


def test_check_binary_iou():
    def good(t, p):
        t, p = np.asarray(t) > 0, np.asarray(p) > 0
        return (t & p).sum() / (t | p).sum()

    assert check_binary_iou(good)
    assert "Dice" in check_binary_iou(lambda t, p: 2 * (t * p).sum() / (t.sum() + p.sum())).message
    assert (
        "counts the overlap twice"
        in check_binary_iou(lambda t, p: (t * p).sum() / (t.sum() + p.sum())).message
    )
    assert "recall" in check_binary_iou(lambda t, p: (t * p).sum() / t.sum()).message
    assert "pixel accuracy" in check_binary_iou(lambda t, p: np.mean(t == p)).message
    assert "NotImplementedError" in check_binary_iou(_raise).message


def test_check_margin_iou():
    assert MARGIN_CASE == {"size": 128, "radii": (30, 10), "margin": 5}
    good = {"iou_r30": (30 / 35) ** 2, "iou_r10": (10 / 15) ** 2, "dice_r10": 200 / 325}
    fb = check_margin_iou(good)
    assert fb and "0.734" in fb.message and "0.441" in fb.message
    # exact pixel counts pass too
    t, p = disc_mask(128, 10), disc_mask(128, 15)
    exact = {**good, "iou_r10": metrics.iou(t, p, 2)[1], "dice_r10": metrics.dice(t, p, 2)[1]}
    assert check_margin_iou(exact)
    assert "square of the radius" in check_margin_iou({**good, "iou_r30": 30 / 35}).message
    assert "square of the radius" in check_margin_iou({**good, "iou_r10": 10 / 15}).message
    assert "that is the IoU" in check_margin_iou({**good, "dice_r10": 4 / 9}).message
    assert (
        "margin (false positives)"
        in check_margin_iou({**good, "iou_r30": 1 - (30 / 35) ** 2}).message
    )
    assert "percentages" in check_margin_iou({**good, "iou_r30": 73.4}).message
    assert "inside the one of radius 15" in check_margin_iou({**good, "iou_r10": 0.9}).message
    wrong = check_margin_iou({**good, "iou_r30": 0.5})
    assert not wrong and "0.734" not in wrong.message  # no answer given away
    assert "not answered yet" in check_margin_iou(dict.fromkeys(good, ...)).message
    assert "misses" in check_margin_iou({"iou_r30": 0.7}).message
    assert "must be a number" in check_margin_iou({**good, "dice_r10": "big"}).message
    assert "finite" in check_margin_iou({**good, "dice_r10": float("nan")}).message
    assert not check_margin_iou([0.7])


def test_check_weighted_bce():
    def good(y, p, w_object):
        p = np.clip(p, 1e-7, 1 - 1e-7)
        w = np.where(y == 1, w_object, 1.0)
        return -np.mean(w * (y * np.log(p) + (1 - y) * np.log(1 - p)))

    def noclip(y, p, w_object):
        w = np.where(y == 1, w_object, 1.0)
        return -np.mean(w * (y * np.log(p) + (1 - y) * np.log(1 - p)))

    def plain(y, p, w_object):
        return float(ops.binary_cross_entropy(y, p))

    fb = check_weighted_bce(good)
    assert fb and "p = 0 pixel" in fb.message
    assert check_weighted_bce(lambda y, p, w: good(y, p, w) + 0.0)
    assert "unweighted" in check_weighted_bce(plain).message
    assert "background" in check_weighted_bce(lambda y, p, w: good(1 - y, 1 - p, w)).message
    weights_sum = check_weighted_bce(
        lambda y, p, w: good(y, p, w) * y.size / np.where(y == 1, w, 1.0).sum()
    )
    assert "sum of the weights" in weights_sum.message
    assert "Sign" in check_weighted_bce(lambda y, p, w: -good(y, p, w)).message
    assert "summed" in check_weighted_bce(lambda y, p, w: good(y, p, w) * y.size).message
    assert "Clip" in check_weighted_bce(noclip).message
    assert "shape" in check_weighted_bce(lambda y, p, w: y * p).message
    assert "NotImplementedError" in check_weighted_bce(_raise).message


def test_weighted_bce_is_keras_sample_weight():
    """ops.binary_cross_entropy(sample_weight=...) and the checker's convention are Keras'."""
    import keras

    rng = np.random.default_rng(0)
    y = (rng.random((2, 8, 8)) < 0.2).astype("float32")
    p = rng.random((2, 8, 8)).astype("float32")
    w = np.where(y == 1, 7.0, 1.0).astype("float32")
    k = keras.losses.BinaryCrossentropy()(y[..., None], p[..., None], sample_weight=w)
    np.testing.assert_allclose(float(k), ops.binary_cross_entropy(y, p, sample_weight=w), rtol=1e-5)
    with pytest.raises(ValueError, match="one weight per pixel"):
        ops.binary_cross_entropy(y, p, sample_weight=w[0])


def test_check_all_background():
    assert ALL_BACKGROUND_CASE == {"size": 100, "object": 10}
    good = {"accuracy": 0.99, "iou_object": 0.0, "iou_background": 0.99, "mean_iou": 0.495}
    assert check_all_background(good)
    assert "percentages" in check_all_background({**good, "accuracy": 99}).message
    assert "overlap" in check_all_background({**good, "iou_object": 0.01}).message
    assert "averages the per-class" in check_all_background({**good, "mean_iou": 0.99}).message
    assert "truly background" in check_all_background({**good, "iou_background": 1.0}).message
    assert "misses" in check_all_background({"accuracy": 0.99}).message
    assert not check_all_background([0.99])


def test_check_all_background_placeholders():
    fb = check_all_background(
        {"accuracy": ..., "iou_object": ..., "iou_background": ..., "mean_iou": ...}
    )
    assert not fb and "not answered yet" in fb.message

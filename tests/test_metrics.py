"""Keras metrics (for model.compile) agree with the NumPy metrics."""

import keras
import numpy as np
import pytest

from course_utils import metrics as M


def _probs(rng, labels_pred, c):
    """Random softmax-like probabilities whose argmax is labels_pred."""
    p = rng.random(labels_pred.shape + (c,)).astype("float32") * 0.4
    np.put_along_axis(p, labels_pred[..., None], 1.0, axis=-1)
    return p / p.sum(-1, keepdims=True)


@pytest.mark.parametrize("c", [2, 3, 5])
def test_keras_metrics_equal_numpy_over_batches(c):
    rng = np.random.default_rng(c)
    y_true = rng.integers(0, c, (6, 8, 8))
    y_pred = np.where(rng.random((6, 8, 8)) < 0.7, y_true, rng.integers(0, c, (6, 8, 8)))
    probs = _probs(rng, y_pred, c)
    miou, dice = M.MeanIoUFromProbs(c), M.DiceFromProbs(c)
    for i in range(0, 6, 2):  # accumulated over three batches
        miou.update_state(y_true[i : i + 2], probs[i : i + 2])
        dice.update_state(y_true[i : i + 2], probs[i : i + 2])
    np.testing.assert_allclose(float(miou.result()), M.mean_iou(y_true, y_pred, c), rtol=1e-6)
    np.testing.assert_allclose(float(dice.result()), M.mean_dice(y_true, y_pred, c), rtol=1e-6)
    miou.reset_state()
    miou.update_state(y_true[:1], probs[:1])
    np.testing.assert_allclose(
        float(miou.result()), M.mean_iou(y_true[:1], y_pred[:1], c), rtol=1e-6
    )


def test_absent_class_is_skipped_like_numpy():
    y_true = np.zeros((1, 4, 4), int)
    y_true[0, 0, :2] = 1  # class 2 never appears in either map
    y_pred = np.zeros_like(y_true)
    y_pred[0, 0, 0] = 1
    probs = _probs(np.random.default_rng(0), y_pred, 3)
    m = M.MeanIoUFromProbs(3)
    m.update_state(y_true, probs)
    expected = M.mean_iou(y_true, y_pred, 3)
    assert np.isnan(M.iou(y_true, y_pred, 3)[2])
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-6)


def test_one_hot_and_trailing_axis_labels():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, (2, 5, 5))
    y_pred = rng.integers(0, 2, (2, 5, 5))
    probs = _probs(rng, y_pred, 2)
    want = M.mean_iou(y_true, y_pred, 2)
    for labels in (np.eye(2, dtype="float32")[y_true], y_true[..., None]):
        m = M.MeanIoUFromProbs(2)
        m.update_state(labels, probs)
        np.testing.assert_allclose(float(m.result()), want, rtol=1e-6)


def test_metrics_in_compile_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.random((8, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 2, (8, 8, 8)).astype("uint8")
    inp = keras.Input((8, 8, 3))
    model = keras.Model(inp, keras.layers.Conv2D(2, 3, padding="same", activation="softmax")(inp))
    model.compile(
        loss="sparse_categorical_crossentropy", metrics=[M.MeanIoUFromProbs(2), M.DiceFromProbs(2)]
    )
    res = model.evaluate(x, y, batch_size=3, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0).argmax(-1)
    np.testing.assert_allclose(res["mean_iou"], M.mean_iou(y, pred, 2), rtol=1e-5)
    np.testing.assert_allclose(res["dice"], M.mean_dice(y, pred, 2), rtol=1e-5)


def test_config_round_trip_and_errors():
    m = M.MeanIoUFromProbs(4, name="iou4")
    clone = M.MeanIoUFromProbs.from_config(m.get_config())
    assert clone.num_classes == 4 and clone.name == "iou4"
    with pytest.raises(ValueError, match="num_classes"):
        M.DiceFromProbs(1)
    with pytest.raises(ValueError, match="class probabilities"):
        M.MeanIoUFromProbs(3).update_state(np.zeros((1, 2, 2)), np.zeros((1, 2, 2, 2), "float32"))


def test_one_convention_for_a_class_absent_from_both_maps():
    """nan (no IoU, no Dice), skipped by every mean: metrics, mask_scores and the toy fits."""
    from course_utils import toys

    t = np.zeros((8, 8), int)
    t[:2, :3] = 1
    p = t.copy()
    p[0, 0] = 0
    assert np.isnan(M.iou(t, p, 3)[2]) and np.isnan(M.dice(t, p, 3)[2])
    assert M.mean_iou(t, p, 3) == pytest.approx(np.mean(M.iou(t, p, 2)))
    assert M.mean_dice(t, p, 3) == pytest.approx(np.mean(M.dice(t, p, 2)))
    empty = M.mask_scores(np.zeros((8, 8), int), np.full((8, 8), 0.2))  # no object anywhere
    assert np.isnan(empty["iou"]) and np.isnan(empty["dice"])
    assert empty["iou_background"] == empty["mean_iou"] == 1.0
    missed = M.mask_scores(t, np.full((8, 8), 0.2))  # an object, none found: 0, not nan
    assert missed["iou"] == 0.0 and missed["dice"] == 0.0
    img = np.random.default_rng(0).random((16, 16))
    fit = toys.skip_fit(img, np.zeros((16, 16)), 2)
    assert np.isnan(fit["iou"]) and fit["accuracy"] == 1.0

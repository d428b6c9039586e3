"""Lesson 09's exercise checkers: the 10x learning rate, and which epoch a run keeps."""

from __future__ import annotations

import pytest

from course_utils.checks.training import (
    KEPT_EPOCH_HISTORY,
    KEPT_EPOCH_RESUMED_AFTER,
    check_kept_epochs,
    check_learning_rate_prediction,
    kept_epochs,
    learning_rate_outcome,
)

BASE = {
    "epoch": [1, 2, 3, 4],
    "loss": [0.37, 0.30, 0.19, 0.09],
    "mean_iou": [0.44, 0.44, 0.62, 0.85],
    "val_mean_iou": [0.44, 0.44, 0.70, 0.91],
}


def test_learning_rate_outcome_reads_the_histories():
    stuck = {"loss": [0.6, 0.36, 0.36], "val_mean_iou": [0.4412, 0.4412, 0.4412]}
    outcome, text = learning_rate_outcome(stuck, BASE)
    assert outcome == "worse" and "stuck" in text
    assert "0.44 (loss 0.360)" in text and "had 0.70 (loss 0.190)" in text  # the real numbers
    quick = {"loss": [0.3, 0.1], "val_mean_iou": [0.6, 0.8]}
    assert learning_rate_outcome(quick, BASE)[0] == "faster"
    assert (
        learning_rate_outcome({"loss": [0.3, 0.3], "val_mean_iou": [0.44, 0.45]}, BASE)[0] == "same"
    )
    # both on the all-background plateau (IoU 0.44): the loss still tells them apart
    plateau = {"loss": [3.7, 0.36], "val_mean_iou": [0.4412, 0.4412]}
    assert learning_rate_outcome(plateau, BASE)[0] == "worse"
    nan = {"loss": [0.5, float("nan")], "val_mean_iou": [0.44, 0.44]}
    assert learning_rate_outcome(nan, BASE)[0] == "worse"
    assert "diverged" in learning_rate_outcome(nan, BASE)[1]
    with pytest.raises(ValueError, match="only 4"):
        learning_rate_outcome({"loss": [0.1] * 5, "val_mean_iou": [0.5] * 5}, BASE)
    with pytest.raises(ValueError, match="non-empty 'val_mean_iou'"):
        learning_rate_outcome({"loss": [0.1]}, BASE)

    fb = check_learning_rate_prediction("worse", stuck, BASE)
    assert fb and "0.44" in fb.message and "background" in fb.message
    fb = check_learning_rate_prediction("faster", stuck, BASE)
    assert not fb and "this run says 'worse'" in fb.message
    assert check_learning_rate_prediction("faster", quick, BASE)
    fb = check_learning_rate_prediction("?", stuck, BASE)
    assert not fb and "one of ['faster', 'same', 'worse']" in fb.message


def test_kept_epochs_of_the_exercise_history():
    """The history has its twists: the best validation epoch comes before the interruption, the
    training metric peaks last, and val_loss has its minimum at yet another epoch."""
    want = kept_epochs()
    assert want == {"one_fit": 3, "resumed": 5, "val_loss": 4}
    h = KEPT_EPOCH_HISTORY
    assert KEPT_EPOCH_RESUMED_AFTER < want["resumed"] < h["epoch"][-1]
    assert want["one_fit"] <= KEPT_EPOCH_RESUMED_AFTER  # its weights left with its checkpoint
    assert h["mean_iou"].index(max(h["mean_iou"])) + 1 == h["epoch"][-1]
    assert len(set(want.values())) == 3
    assert all(len(v) == len(h["epoch"]) for v in h.values())


def test_kept_epochs_is_what_keras_early_stopping_keeps():
    """Keras' own EarlyStopping, fed the history's epochs, keeps the same epochs."""
    import keras

    def keras_keeps(monitor, mode, after=0):
        stop = keras.callbacks.EarlyStopping(
            monitor=monitor, mode=mode, patience=10, restore_best_weights=True
        )
        stop.set_model(keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)]))
        stop.on_train_begin()
        for i, epoch in enumerate(KEPT_EPOCH_HISTORY["epoch"]):
            if epoch > after:
                logs = {k: v[i] for k, v in KEPT_EPOCH_HISTORY.items()}
                stop.on_epoch_end(epoch - 1, logs)
        return stop.best_epoch + 1

    assert kept_epochs() == {
        "one_fit": keras_keeps("val_mean_iou", "max"),
        "resumed": keras_keeps("val_mean_iou", "max", KEPT_EPOCH_RESUMED_AFTER),
        "val_loss": keras_keeps("val_loss", "min"),
    }


def test_kept_epochs_on_another_history():
    h = {"epoch": [1, 2, 3, 4], "val_mean_iou": [0.5, 0.9, 0.8, 0.85], "val_loss": [1, 2, 3, 0]}
    assert kept_epochs(h, resumed_after=2) == {"one_fit": 2, "resumed": 4, "val_loss": 4}
    with pytest.raises(ValueError, match="no epoch"):
        kept_epochs(h, resumed_after=4)


@pytest.mark.parametrize(
    "key, got, hint",
    [
        ("one_fit", 4, "lowest val_loss"),
        ("one_fit", 5, "best epoch after the interruption"),
        ("one_fit", 6, "*training* metric"),
        ("one_fit", 2, "count from 1"),
        ("one_fit", 0.915, "not its score"),
        ("one_fit", 9, "not in the history"),
        ("resumed", 3, "gone"),
        ("resumed", 6, "checkpoint a resume would continue from"),
        ("resumed", 1, "after the interruption"),
        ("resumed", 4, "first epoch after resuming"),
        ("val_loss", 3, "mode='min'"),
        ("val_loss", 1, "lowest val_loss"),
    ],
)
def test_check_kept_epochs_hints(key, got, hint):
    fb = check_kept_epochs({**kept_epochs(), key: got})
    assert not fb and key in fb.message and hint in fb.message


def test_check_kept_epochs_right_and_unanswered():
    fb = check_kept_epochs(kept_epochs())
    assert fb and "started afresh" in fb.message
    assert check_kept_epochs({k: float(v) for k, v in kept_epochs().items()})
    fb = check_kept_epochs({"one_fit": ..., "resumed": ..., "val_loss": ...})
    assert not fb and "not answered yet" in fb.message
    assert "misses" in check_kept_epochs({"one_fit": 3}).message
    assert "epoch number" in check_kept_epochs({**kept_epochs(), "resumed": "five"}).message
    assert not check_kept_epochs([3, 5, 4])

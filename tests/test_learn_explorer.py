"""Lesson 07's FilterLearningExplorer: the pure step, the pictures, divergence, speed."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image

from course_utils import backprop, ops
from course_utils.widgets import FilterLearningExplorer, learn_step, loss_curve_picture
from course_utils.widgets.learn import kernel_picture


@pytest.fixture(scope="module")
def explorer():
    return FilterLearningExplorer(steps=40)


def _size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size


def test_step_shows_the_state_of_the_trajectory(explorer):
    run = explorer.runs[0.2]
    f = explorer.set(step=25, lr=0.2)
    np.testing.assert_array_equal(f.data["kernel"], run.kernels[25])
    np.testing.assert_allclose(f.data["output"], ops.conv2d(explorer.photo, run.kernels[25]))
    assert f.data["loss"] == run.losses[25] < run.losses[0]
    assert "step <b>25</b> of 40, learning rate 0.2" in f.info and "too large" not in f.info
    assert set(f.images) == {"target", "kernel", "output", "error", "loss"}
    assert _size(f.images["output"]) == _size(f.images["error"]) == (254, 254)
    assert _size(f.images["kernel"]) == (126, 126)  # drawn at the size it is shown


def test_a_larger_learning_rate_learns_faster_until_it_diverges(explorer):
    final = {lr: run.losses[-1] for lr, run in explorer.runs.items()}
    assert final[0.01] > final[0.1] > final[0.3]
    assert explorer.runs[0.4].diverged and not explorer.runs[0.3].diverged
    f = explorer.set(step=40, lr=0.4)
    assert "diverged" in f.info or "the loss grows" in f.info


def test_moving_the_step_changes_the_pictures(explorer):
    a = explorer.set(step=0, lr=0.1)
    b = explorer.set(step=10)
    for name in ("kernel", "output", "error", "loss"):
        assert a.images[name] != b.images[name], name
    assert a.images["target"] == b.images["target"]
    assert explorer.panels.picture("loss") == b.images["loss"]


def test_step_rejects_a_step_outside_the_run():
    img = np.random.default_rng(0).random((10, 10))
    run = backprop.learn_kernel(img, np.eye(3), 0.1, steps=3)
    with pytest.raises(ValueError, match=r"step must be in 0..3"):
        learn_step(img, run, 4)
    with pytest.raises(ValueError, match="lr must be one of"):
        FilterLearningExplorer(lr=0.05, steps=2)


def test_kernel_picture_writes_the_numbers():
    a = kernel_picture(np.zeros((3, 3)), 1.0)
    b = kernel_picture(np.full((3, 3), 0.004), 1.0)  # same colour (~white), other digits
    c = kernel_picture(np.full((3, 3), 0.0), 1.0)
    assert (a == c).all() and (a != b).any()


def test_loss_curve_picture_marks_the_step_and_survives_overflow():
    losses = np.array([1.0, 0.5, 0.2, np.inf])
    a, b = loss_curve_picture(losses, 0), loss_curve_picture(losses, 3)
    assert a.shape == (150, 220, 3) and (a != b).any()
    orange = np.all(b == (230, 120, 20), axis=-1)
    assert orange[:, 180:].any()  # the dot at the last (overflowed) step is drawn, at the right


def test_step_is_fast(explorer):
    explorer.step(step=1, lr=0.1)
    times = []
    for s in range(0, 40, 4):
        t0 = time.perf_counter()
        explorer.step(step=s, lr=0.1)
        times.append(time.perf_counter() - t0)
    assert np.median(times) < 0.1, times  # about 10 ms; the benchmark holds the 20 ms target


def test_colour_bars_and_true_sizes(explorer):
    f = explorer.set(step=5, lr=0.1)
    kmax = float(np.abs(explorer.runs[0.1].target_kernel).max())
    assert f.colorbars["kernel"] == f.colorbars["target"] == ("RdBu_r", -kmax, kmax)
    cmap, lo, hi = f.colorbars["output"]
    assert f.colorbars["error"] == (cmap, lo, hi) and lo == -hi and hi > 0
    target = explorer.runs[0.1].target_map
    assert hi == pytest.approx(4 * np.sqrt(np.mean(target**2)))
    assert "loss" not in f.colorbars  # a curve, not a map of values
    # 254 of the photo's 256 pixels: drawn 254/256 as wide as a 168-px photo
    assert f.widths["output"] == f.widths["error"] == round(168 * 254 / 256)
    assert f.widths["kernel"] == 126 and f.widths["loss"] == 220
    assert explorer.panels.colorbar("output").startswith(b"\x89PNG")  # the bar is shown
    assert explorer.static_png()[:4] == b"\x89PNG"


def test_state_after_construction_is_the_code_s(explorer):
    ex = FilterLearningExplorer(lr=0.3, step=7, steps=10)
    assert ex.controls["step"].value == 7 and ex.controls["lr"].value == 0.3
    np.testing.assert_array_equal(ex.frame.data["kernel"], ex.runs[0.3].kernels[7])


def test_fits_a_notebook_cell(explorer):
    """Lesson 07's five pictures side by side fit a ~900 px notebook cell (1400 px window with
    JupyterLab's file browser open); they were 1,052 px wide."""
    f = explorer.set(step=5, lr=0.1)
    gaps = 16 * (len(f.images) - 1)  # panels.css: 16 px between pictures
    assert sum(f.widths.values()) + gaps <= 880
    for name, png in f.images.items():  # every picture drawn at the size it is shown
        assert _size(png)[0] in (f.widths[name], 254), name


def test_loss_axis_ticks_are_readable_values():
    """Ticks at 1-2-5 values or whole decades, written 0.1, 0.2, 1e-5: never "1e-0.5"."""
    from course_utils.widgets.learn import curve_ticks

    labels = [label for _, label in curve_ticks([0.158, 0.14, 0.12])]  # lesson 07 at lr 0.1
    assert labels == ["0.2", "0.1"]
    labels = [label for _, label in curve_ticks([0.3, 0.2, 0.15])]
    assert labels == ["0.5", "0.2", "0.1"]
    labels = [label for _, label in curve_ticks(np.geomspace(0.5, 2e-6, 40))]
    assert labels == ["1", "0.1", "0.01", "0.001", "1e-4", "1e-5", "1e-6"]
    labels = [label for _, label in curve_ticks([1.0, 10.0, np.inf])]  # diverged: 1e6 at top
    assert labels[0] == "1e6" and labels[-1] == "1" and len(labels) == 7
    labels = [label for _, label in curve_ticks([1.0, 1e-9])]  # 9 decades: every second one
    assert labels == ["1", "0.01", "1e-4", "1e-6", "1e-8"]
    for run in FilterLearningExplorer(steps=60).runs.values():  # lesson 07's curves
        ticks = curve_ticks(run.losses)
        assert len(ticks) >= 2
        ys = [y for y, _ in ticks]
        assert ys == sorted(ys) and ys[0] >= 0 and ys[-1] <= 150  # top first, inside
        for _, label in ticks:
            mantissa, _, exponent = label.partition("e")
            v = float(label)
            assert exponent == "" or exponent.lstrip("-").isdigit(), label
            assert round(v / 10 ** np.floor(np.log10(v) + 1e-9), 6) in (1, 2, 5), label

"""Lesson 03 helpers: PoolingExplorer's step, the window drawing and the pooling checkers."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import ops
from course_utils.checks import (
    POOL_EXERCISE_X,
    check_max_pool_by_hand,
    check_pool_output_size,
    check_surviving_positions,
    surviving_positions,
)
from course_utils.data import sample_image
from course_utils.ops import window_coverage
from course_utils.widgets import PoolingExplorer, draw_window_grid, pooling_step


@pytest.fixture(scope="module")
def explorer():
    return PoolingExplorer()


# ---- explorer ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("p", "s"), [(2, 2), (3, 2), (2, 3), (4, 4), (3, 1), (1, 1), (8, 8), (8, 1), (5, 7)]
)
def test_step_shape_matches_formula_and_ops(explorer, p, s):
    f = explorer.set(pool_size=p, stride=s, mode="max")
    n = ops.pool_output_size(256, p, s)
    assert f.data["output"].shape == (n, n)
    assert f"output <b>{n}&times;{n}</b>" in f.info
    img = sample_image("camera", gray=True)
    np.testing.assert_array_equal(f.data["output"], ops.max_pool2d(img, p, s))
    assert f.data["windows"].shape == (256, 256, 3) and f.data["windows"].dtype == np.uint8


def test_mode_and_parameters_change_pictures(explorer):
    a = explorer.set(image="camera", pool_size=2, stride=2, mode="max")
    b = explorer.set(mode="average")
    np.testing.assert_allclose(
        b.data["output"], ops.avg_pool2d(sample_image("camera", gray=True), 2)
    )
    assert a.images["output"] != b.images["output"]
    assert a.images["windows"] == b.images["windows"]  # same windows, other reduction
    c = explorer.set(pool_size=3)
    assert c.images["windows"] != b.images["windows"]
    d = explorer.set(image="cat")
    assert d.images["input"] != c.images["input"]


def test_gaps_are_dimmed_and_reported():
    img = np.full((32, 32), 0.9)
    f = pooling_step(img, pool_size=2, stride=4)
    cov = f.data["coverage"]
    assert cov.mean() == pytest.approx(0.25)  # 2 of every 4 rows and columns
    assert "75.0% of the input pixels are never read" in f.info
    grid = f.data["windows"]
    # pixel (2, 2) is in a gap: dimmed; the centre of its 8x8 block has no line on it
    assert grid[2 * 8 + 4, 2 * 8 + 4].max() < grid[0 * 8 + 4, 0 * 8 + 4].max()
    assert "windows leave gaps" in f.info


def test_window_lines_are_drawn_at_window_borders():
    rgb = draw_window_grid(np.full((8, 8), 0.5), (0, 0), 2, 2, (8, 8), zoom=4)
    line = np.array([0, 200, 255])
    for b in (8, 16, 24):  # window borders every 2 pixels = 8 zoomed pixels
        assert (rgb[b, :, :] == line).all(axis=-1).mean() > 0.5
    assert not (rgb[5, 5] == line).all()  # inside a window: no line


def test_window_coverage():
    assert window_coverage(7, 2, 3).tolist() == [True, True, False, True, True, False, False]
    assert window_coverage(5, 2, 2).tolist() == [True, True, True, True, False]
    assert window_coverage(6, 3, 1).all()


def test_bad_parameters_raise_or_show_error(explorer):
    with pytest.raises(ValueError, match="mode"):
        pooling_step(np.zeros((8, 8)), 2, 2, mode="min")
    with pytest.raises(ValueError, match=r"shape \(H, W\)"):
        pooling_step(np.zeros((8, 8, 3)), 2, 2)
    with pytest.raises(ValueError, match="larger than"):
        pooling_step(np.zeros((4, 4)), 5, 1)
    with pytest.raises(ValueError, match="unknown image"):
        PoolingExplorer(image="nope")


# ---- checkers -----------------------------------------------------------------------------------
def test_check_pool_output_size():
    assert check_pool_output_size(lambda n, p, s: (n - p) // s + 1)
    assert check_pool_output_size(ops.pool_output_size)
    cases = [
        (lambda n, p, s: (n - p) // s, "forgot the `+ 1`"),
        (lambda n, p, s: -(-(n - p) // s) + 1, "rounded up"),
        (lambda n, p, s: -(-n // s), "padding='same'"),
        (lambda n, p, s: n // p, "start every s pixels"),
        (lambda n, p, s: n * 0 + 3, "Count window positions"),
        (lambda n, p, s: (n - p) / s + 1, "floor division"),
        (lambda n, p, s: (n - p) // p + 1, "where the stride belongs"),
        (lambda n, p, s: None, "return"),
        (lambda n, p, s: "64", "expected an integer"),
    ]
    for fn, hint in cases:
        fb = check_pool_output_size(fn)
        assert not fb.passed, hint
        assert hint in fb.message


def test_check_max_pool_by_hand():
    assert check_max_pool_by_hand([[6, 5], [7, 9]])
    assert check_max_pool_by_hand(ops.max_pool2d(POOL_EXERCISE_X, 2))
    cases = [
        (ops.avg_pool2d(POOL_EXERCISE_X, 2), "averages"),
        ([[6, 7], [5, 9]], "swapped"),
        ([[1, 0], [0, 4]], "minima"),
        (ops.max_pool2d(POOL_EXERCISE_X, 2, 1), "stride 1"),
        ([6, 5, 7, 9], "shape"),
        (
            [[6, 5], [7, 8]],
            "output[1, 1] is not right. It is the largest value of its window: rows 2-3 and columns 2-3",
        ),
        ([[0, 0], [0, 0]], "output[0, 0] is not right (and 3 more)"),
        ("six", "nested list"),
    ]
    for answer, hint in cases:
        fb = check_max_pool_by_hand(answer)
        assert not fb.passed, hint
        assert hint in fb.message


def test_surviving_positions_reference():
    m = surviving_positions(POOL_EXERCISE_X)
    assert m.sum() == 4
    np.testing.assert_array_equal(POOL_EXERCISE_X[m], [6, 5, 7, 9])
    with pytest.raises(ValueError, match="even"):
        surviving_positions(np.zeros((3, 4)))


def test_check_surviving_positions():
    for library in (surviving_positions, lambda x: surviving_positions(x)):
        fb = check_surviving_positions(library)  # the course's own answer is refused
        assert not fb and "answers this exercise" in fb.message
    assert check_surviving_positions(
        lambda x: (x == np.repeat(np.repeat(ops.max_pool2d(x, 2), 2, 0), 2, 1)).astype(int)
    )
    cases = [
        (lambda x: x >= np.sort(x, axis=None)[-(x.size // 4)], "whole array"),
        (lambda x: ops.max_pool2d(x, 2) > 0, "pooled size"),
        (lambda x: x > 100, "exactly 4 pixels"),
        (lambda x: x * 2, "True/False"),
    ]
    for fn, hint in cases:
        fb = check_surviving_positions(fn)
        assert not fb.passed, hint
        assert hint in fb.message


@pytest.mark.parametrize(("shape", "p", "s"), [((17, 23), 3, 2), ((9, 9), 9, 1), ((12, 8), 2, 5)])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling_equals_window_by_window(shape, p, s, padding):
    """ops pools rows then columns (fast); the result is each window's max / mean of real pixels."""
    x = np.random.default_rng(1).normal(size=(*shape, 2))
    (t, b), (left, r) = (
        ops.pad_amounts(shape[0], p, s, padding),
        ops.pad_amounts(shape[1], p, s, padding),
    )
    oh, ow = (shape[0] + t + b - p) // s + 1, (shape[1] + left + r - p) // s + 1
    want_max, want_avg = np.empty((oh, ow, 2)), np.empty((oh, ow, 2))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = s * i - t, s * j - left  # window corner in unpadded coordinates
            win = x[max(r0, 0) : r0 + p, max(c0, 0) : c0 + p]
            want_max[i, j], want_avg[i, j] = win.max(axis=(0, 1)), win.mean(axis=(0, 1))
    np.testing.assert_array_equal(ops.max_pool2d(x, p, s, padding), want_max)
    np.testing.assert_allclose(ops.avg_pool2d(x, p, s, padding), want_avg, rtol=1e-12, atol=1e-12)


def test_true_size_colour_bars_and_linked_view_follow_the_controls():

    ex = PoolingExplorer()
    f = ex.set(pool_size=2, stride=2, mode="max")
    assert f.widths == {"input": 256, "windows": 256, "output": 128}
    assert f.colorbars["input"] == ("gray", 0.0, 1.0) and "output" in f.colorbars
    assert ex.set(pool_size=4, stride=4).widths["output"] == 64
    assert ex.linked.op == "maxpool" and ex.linked.out_shape == [8, 8]
    d = ex.detail()
    y0, x0, zs = ex.frame.data["detail"]
    img = sample_image("camera", gray=True)
    np.testing.assert_array_equal(d, img[y0 : y0 + zs, x0 : x0 + zs])
    # the detail's part of the real pooled map (its corner is a multiple of 4: the same windows)
    np.testing.assert_allclose(ex.linked.output, ops.max_pool2d(d, 4, 4), atol=1e-6)
    assert ex.linked.out_origin == [y0 // 4, x0 // 4]
    ex.set(mode="average", pool_size=3, stride=2)
    assert ex.linked.op == "avgpool" and ex.linked.stride == 2 and ex.linked.pool_size == 3
    r, c = y0 // 2 + 2, x0 // 2 + 5  # window anchored at detail (5, 11): rows 4..6, cols 10..12
    a = ex.linked.explain(r, c)
    assert a.window == (y0 + 4, x0 + 10, y0 + 7, x0 + 13)
    assert a.value == pytest.approx(ops.avg_pool2d(img, 3, 2)[r, c], abs=1e-6)


def test_linked_view_at_stride_3_is_the_photo_s_windows_and_dims_the_gaps():
    """Pool 2, stride 3: the windows start at multiples of 3 of the photo (as the windows
    picture draws them), the rows and columns between them are never read."""
    from course_utils import linked_math

    ex = PoolingExplorer()
    ex.set(pool_size=2, stride=3, mode="max")
    y0, x0, zs = ex.frame.data["detail"]
    img = sample_image("camera", gray=True)
    v = ex.linked
    full = ops.max_pool2d(img, 2, 3)
    (r0, c0), (oh, ow) = v.out_origin, v.out_shape
    np.testing.assert_allclose(v.output, full[r0 : r0 + oh, c0 : c0 + ow], atol=1e-6)
    assert all(3 * r >= y0 for r in range(r0, r0 + oh)) and 3 * (r0 - 1) < y0
    # dimmed = never read, exactly the windows picture's dimmed pixels
    oy, ox = v.origin
    read = np.outer(v.read_rows, v.read_cols).astype(bool)
    want = np.outer(ops.window_coverage(256, 2, 3), ops.window_coverage(256, 2, 3))
    np.testing.assert_array_equal(read, want[oy : oy + v.x_shape[0], ox : ox + v.x_shape[1]])
    gap = next(i for i in range(y0, y0 + zs) if i % 3 == 2)
    assert v.projective_field(gap, x0 + 1) == []
    assert not v.read_rows[gap - oy]
    hit = next(i for i in range(y0, y0 + zs) if i % 3 == 0)
    col = next(j for j in range(x0, x0 + zs) if j % 3 == 0)
    assert v.projective_field(hit, col) == [(hit // 3, col // 3)]
    assert linked_math.output_shape("maxpool", (32, 32), pool_size=2, stride=3) == (11, 11)

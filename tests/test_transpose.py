"""Lesson 04: ScatterExplorer / CheckerboardExplorer steps, figures and checkers."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import ops  # noqa: E402
from course_utils.checks import (  # noqa: E402
    check_checkerboard,
    check_doubling_choices,
    check_scatter_add,
    check_transpose_output_size,
)
from course_utils.ops import overlap_map  # noqa: E402
from course_utils.viz import plot_checkerboard, plot_scatter_steps  # noqa: E402
from course_utils.widgets import (  # noqa: E402
    CheckerboardExplorer,
    ScatterExplorer,
    checkerboard_step,
    scatter_step,
)

PNG = b"\x89PNG\r\n\x1a\n"


# ---- scatter ------------------------------------------------------------------------------
def test_scatter_step_partial_sums_and_shapes():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    k = np.ones((3, 3))
    f0 = scatter_step(x, k, 2, 0)
    assert f0.data["partial"].shape == (5, 5) and not f0.data["partial"].any()
    f2 = scatter_step(x, k, 2, 2)
    assert f2.data["current"] == (0, 1)
    assert f2.data["partial"].sum() == pytest.approx(9 * (1 + 2))
    assert f2.data["partial"][0, 2] == 3  # the two stamps overlap in column 2
    f4 = scatter_step(x, k, 2, 4)
    np.testing.assert_allclose(f4.data["partial"], ops.conv2d_transpose(x, k, 2, padding=0))
    assert f4.data["partial"][2, 2] == 10
    for f in (f0, f2, f4):
        assert set(f.images) == {"input", "kernel", "output"}
        assert all(png.startswith(PNG) for png in f.images.values())
    assert f2.images["output"] != f4.images["output"]
    assert f2.images["input"] != f4.images["input"]


@pytest.mark.parametrize("count", [-1, 5, 2.5])
def test_scatter_step_bad_count(count):
    with pytest.raises(ValueError, match="count"):
        scatter_step(np.ones((2, 2)), np.ones((3, 3)), 2, count)


def test_scatter_explorer_controls():
    ex = ScatterExplorer()
    assert repr(ex) == ("ScatterExplorer(size=4, kernel='ones 3x3', stride=2, count=1)")
    before = ex.frame.images["output"]
    f = ex.set(count=16)
    assert f.images["output"] != before
    np.testing.assert_allclose(f.data["partial"], f.data["full"])
    f = ex.set(stride=1)
    assert f.data["partial"].shape == (6, 6)
    f = ex.set(size=8, count=64)  # count beyond the old 16 works since size is applied first
    assert f.data["partial"].shape == (10, 10) and ex.controls["count"].max == 64
    ex.set(size=2)
    assert ex.controls["count"].value == 4 and ex.frame.data["partial"].shape == (4, 4)
    f = ex.set(kernel="ones 2x2 (= nearest upsampling at stride 2)", stride=2)
    x = f.data["full"]
    np.testing.assert_allclose(x, np.repeat(np.repeat(x[::2, ::2], 2, 0), 2, 1))
    with pytest.raises(ValueError, match="unknown kernel"):
        ScatterExplorer(kernel="nope")


# ---- checkerboard -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("k", "s", "lo", "hi"),
    [(3, 2, 1, 4), (4, 2, 4, 4), (2, 2, 1, 1), (1, 2, 0, 1), (3, 1, 9, 9), (5, 3, 1, 4)],
)
def test_overlap_map(k, s, lo, hi):
    counts, (a, b) = overlap_map(k, s)
    assert (a, b) == (lo, hi)
    assert counts.shape[0] == (counts.shape[0] - k) // s * s + k  # (n-1)*s + k


def test_checkerboard_step_and_explorer():
    f = checkerboard_step(3, 2)
    assert f.data["uneven"] and f.data["photo"].shape == (256, 256)
    assert "checkerboard" in f.info
    g = checkerboard_step(4, 2)
    assert not g.data["uneven"] and "even" in g.info
    assert f.images["photo"] != g.images["photo"]
    # even cover keeps a flat photo region flat; an uneven one makes it oscillate
    assert np.ptp(g.data["photo"][100:110, 100:110]) < np.ptp(f.data["photo"][100:110, 100:110])
    assert "holes" in checkerboard_step(1, 3).info
    ex = CheckerboardExplorer()
    assert ex.frame.data["uneven"]
    assert not ex.set(kernel_size=6, stride=3).data["uneven"]
    assert ex.set(image="brick").data["photo"].shape == (255, 255)
    with pytest.raises(ValueError, match="unknown image"):
        checkerboard_step(3, 2, "nope")
    with pytest.raises(ValueError, match=">= 1"):
        checkerboard_step(0, 2)


def test_figures():
    import matplotlib.pyplot as plt

    fig = plot_scatter_steps(np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((3, 3)))
    assert len(fig.axes) == 7 and fig.axes[-1].get_title() == "sum = output"
    plt.close(fig)
    fig = plot_checkerboard([(3, 2), (4, 2), (1, 2)])
    titles = [ax.get_title() for ax in fig.axes]
    assert "photo, uneven: checkerboard" in titles and "photo, even: clean" in titles
    assert "photo, holes (k < s)" in titles
    plt.close(fig)
    with pytest.raises(ValueError):
        plot_scatter_steps(np.ones((4, 4)), np.ones((3, 3)))


# ---- checkers -----------------------------------------------------------------------------
def test_check_transpose_output_size():
    assert check_transpose_output_size(lambda n, k, s, p: (n - 1) * s + k - 2 * p)
    cases = {
        "UpSampling2D": lambda n, k, s, p: n * s,
        "subtract 2p": lambda n, k, s, p: (n - 1) * s + k,
        "not p": lambda n, k, s, p: (n - 1) * s + k - p,
        "don't add": lambda n, k, s, p: (n - 1) * s + k + 2 * p,
        "(n-1)*s, not n*s": lambda n, k, s, p: n * s + k - 2 * p,
        "ordinary convolution": lambda n, k, s, p: (n + 2 * p - k) // s + 1,
        "a float": lambda n, k, s, p: float((n - 1) * s + k - 2 * p),
        "forget `return`": lambda n, k, s, p: None,
    }
    for hint, fn in cases.items():
        fb = check_transpose_output_size(fn)
        assert not fb and hint in fb.message, (hint, fb.message)

    def todo(n, k, s, p):
        raise NotImplementedError

    assert "NotImplementedError" in check_transpose_output_size(todo).message


def _scatter(x, k, s, op="add", flip=False, use_stride=True):
    h, w = x.shape
    kh, kw = k.shape
    k = k[::-1, ::-1] if flip else k
    out = np.zeros(((h - 1) * s + kh, (w - 1) * s + kw))
    t = s if use_stride else 1
    for i in range(h):
        for j in range(w):
            if op == "add":
                out[t * i : t * i + kh, t * j : t * j + kw] += x[i, j] * k
            else:
                out[t * i : t * i + kh, t * j : t * j + kw] = x[i, j] * k
    return out


def test_check_scatter_add():
    assert check_scatter_add(_scatter)
    fb = check_scatter_add(lambda x, k, s: ops.conv2d_transpose(x, k, s, padding=0))
    assert not fb and "calls `conv2d_transpose`" in fb.message  # the library answers it
    assert "`+=`" in check_scatter_add(lambda x, k, s: _scatter(x, k, s, op="set")).message
    assert "flipped" in check_scatter_add(lambda x, k, s: _scatter(x, k, s, flip=True)).message
    fb = check_scatter_add(lambda x, k, s: _scatter(x, k, s, use_stride=False))
    assert not fb and "multiply the position by the stride" in fb.message
    fb = check_scatter_add(lambda x, k, s: _scatter(x, k, 1))
    assert not fb and "stride-1 size" in fb.message
    fb = check_scatter_add(lambda x, k, s: np.zeros((x.shape[0] * s, x.shape[1] * s)))
    assert not fb and "H*s x W*s is too small" in fb.message
    fb = check_scatter_add(lambda x, k, s: _scatter(x, k, s) + (np.arange(3) == 99).sum() + 1)
    assert not fb and "out[0, 0]" in fb.message
    assert "return out" in check_scatter_add(lambda x, k, s: None).message


def test_check_checkerboard():
    assert check_checkerboard(lambda k, s: k % s != 0)
    fb = check_checkerboard(lambda k, s: k % s == 0)
    assert not fb and "inverted" in fb.message
    fb = check_checkerboard(lambda k, s: k % 2 == 1)
    assert not fb and "k=3, s=1" in fb.message and "always even" in fb.message
    fb = check_checkerboard(lambda k, s: k > s and k % s != 0)
    assert not fb and "holes" in fb.message
    fb = check_checkerboard(lambda k, s: k % s)
    assert not fb and "return True" in fb.message


def test_scatter_true_sizes_values_in_cells_and_linked_view():
    ex = ScatterExplorer(size=4, kernel="ones 3x3", stride=2, count=6)
    f = ex.frame
    assert "<table" not in f.info  # the values are inside the cells now
    # one pixel scale: input 4 px and output 9 px wide in map pixels
    assert (
        f.widths["output"] == 9 * f.widths["input"] // 4
        and f.widths["kernel"] * 4 == 3 * f.widths["input"]
    )
    assert set(f.colorbars) == {"input", "kernel", "output"}
    # the linked view shows the output so far: the stamped pixels, the others count as 0
    np.testing.assert_allclose(ex.linked.output, f.data["partial"], atol=1e-6)
    assert ex.linked.op == "transpose" and ex.linked.stride == 2
    a = ex.linked.explain(2, 2)  # covered by the stamps of (0, 0), (0, 1), (1, 0), (1, 1)
    assert sorted((t.i, t.j) for t in a.terms) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert a.value == pytest.approx(f.data["partial"][2, 2])
    ex.set(count=16, stride=3, kernel="tent 3x3")
    np.testing.assert_allclose(ex.linked.output, ex.frame.data["full"], atol=1e-6)
    assert ex.linked.stride == 3 and ex.linked.out_shape == [12, 12]


@pytest.mark.parametrize("size", [2, 5, 8])
@pytest.mark.parametrize("stride", [1, 4])
def test_scatter_every_setting_draws_without_error(size, stride):
    ex = ScatterExplorer(size=size, stride=stride, count=size * size)
    for kernel in (
        "ones 2x2 (= nearest upsampling at stride 2)",
        "tent 4x4 (= bilinear upsampling at stride 2)",
    ):
        f = ex.set(kernel=kernel)
        assert f is not None and ex.error.value == ""
        assert all(w >= 64 for name, w in f.widths.items() if name in f.colorbars)


def test_checkerboard_colour_bars_and_counts_in_cells():
    f = checkerboard_step(3, 2)
    assert f.colorbars["counts"] == ("magma", 0.0, 4.0)
    assert f.colorbars["photo"] == ("gray", 0.0, 1.0)
    assert f.widths["photo"] == 256 and f.widths["counts"] >= 240


def test_kernel_smaller_than_stride_two_conventions():
    """k < s (issue 24, item 1): the size formula (n - 1) * s + k - 2p, which ops uses with an
    integer padding (PyTorch's ConvTranspose2d too), ends with the last stamp; Keras'
    padding="valid" keeps n * s. Same stamps, different crop. The exercise counts with the
    formula, and the checker's message on (k=1, p=0) explains both."""
    import keras

    x = np.arange(1.0, 65.0).reshape(8, 8)
    one = np.ones((1, 1))
    formula = ops.conv2d_transpose(x, one, stride=2, padding=0)
    assert formula.shape == (15, 15) == (ops.conv_transpose_output_size(8, 1, 2, 0),) * 2
    layer = keras.layers.Conv2DTranspose(
        1, 1, strides=2, padding="valid", use_bias=False, kernel_initializer="ones"
    )
    got = keras.ops.convert_to_numpy(layer(x[None, :, :, None].astype("float32")))[0, :, :, 0]
    assert got.shape == (16, 16) == (ops.conv_transpose_output_size(8, 1, 2, "valid"),) * 2
    np.testing.assert_allclose(got, ops.conv2d_transpose(x, one, 2, "valid"))
    np.testing.assert_allclose(got[:15, :15], formula)  # the same stamps
    assert not got[15].any() and not got[:, 15].any()  # Keras' extra row and column: zeros
    assert not got[1::2].any() and (got[::2, ::2] == x).all()  # holes between the stamps

    fb = check_doubling_choices({(1, 0), (2, 0), (4, 1), (6, 2)})
    assert not fb and "turns n=8 into 15, not 16" in fb.message
    assert "PyTorch" in fb.message and "Keras' padding='valid' gives 16" in fb.message
    assert "output_padding" not in fb.message  # the odd-kernel hint is for k >= s
    fb = check_transpose_output_size(lambda n, k, s, p: n * s if k < s else (n - 1) * s + k - 2 * p)
    assert not fb and "k=1, s=2, p=0" in fb.message and "'valid' when k < s" in fb.message

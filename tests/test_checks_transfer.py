"""Checkers of the predict/transfer exercises (lessons 01-04): right answers pass, the usual
mistakes get their specific hint."""

import numpy as np
import pytest

from course_utils import checks, ops, viz


def test_same_padding_checker():
    def right(n, k, s):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        return total // 2, total - total // 2

    assert checks.check_same_padding(right)
    fb = checks.check_same_padding(lambda n, k, s: ((k - 1) // 2, (k - 1) // 2))
    assert not fb and "stride-1 rule" in fb.message and "n=6, k=3, s=2" in fb.message

    def odd_zero_before(n, k, s):
        before, after = right(n, k, s)
        return after, before

    fb = checks.check_same_padding(odd_zero_before)
    assert not fb and "odd zero *after*" in fb.message

    def no_max(n, k, s):
        total = (-(-n // s) - 1) * s + k - n
        return total // 2, total - total // 2

    fb = checks.check_same_padding(no_max)
    assert not fb and "cannot be negative" in fb.message
    assert "pair (before, after)" in checks.check_same_padding(lambda n, k, s: 1).message
    assert "float" in checks.check_same_padding(lambda n, k, s: (1.0, 1.0)).message
    assert "forget `return`" in checks.check_same_padding(lambda n, k, s: None).message


def test_same_padding_refuses_the_librarys_answer():
    """ops.pad_amounts answers the exercise: a function that calls it is refused (item 15),
    however it is written, and the message says what to do instead."""

    def via_library(n, k, s):
        return ops.pad_amounts(n, k, s, "same")

    def nested(n, k, s):
        def helper():
            return ops.pad_amounts(n, k, s, padding="same")

        return helper()

    for fn in (via_library, nested, lambda n, k, s: ops.pad_amounts(n, k, s, "same")):
        fb = checks.check_same_padding(fn)
        assert not fb and "calls `pad_amounts`" in fb.message and "windows start" in fb.message


def test_strided_receptive_field_checker():
    kernels, strides = zip(*checks.STRIDED_STACK, strict=True)
    right = ops.receptive_field(kernels, strides)
    assert right == 11 and checks.check_strided_receptive_field(right)
    assert "ignores the stride" in checks.check_strided_receptive_field(7).message
    assert "own window is still 3 wide" in checks.check_strided_receptive_field(13).message
    assert "both of them" in checks.check_strided_receptive_field(9).message
    assert "replace `...`" in checks.check_strided_receptive_field(...).message
    assert "float" in checks.check_strided_receptive_field(11.0).message


def test_encoder_receptive_field_checker():
    assert checks.check_encoder_receptive_field(32)
    assert "six convolutions only" in checks.check_encoder_receptive_field(13).message
    assert "stride-1 layers" in checks.check_encoder_receptive_field(15).message
    assert "pooling windows themselves" in checks.check_encoder_receptive_field(29).message
    assert "spacing multiplies" in checks.check_encoder_receptive_field(24).message
    assert not checks.check_encoder_receptive_field(31)
    assert "replace `...`" in checks.check_encoder_receptive_field(...).message


def test_abs_from_relu_checker():
    assert checks.check_abs_from_relu(lambda x: ops.relu(x) + ops.relu(-x))
    assert "x itself" in checks.check_abs_from_relu(lambda x: ops.relu(x) - ops.relu(-x)).message
    assert "negative values are lost" in checks.check_abs_from_relu(ops.relu).message
    flipped = checks.check_abs_from_relu(lambda x: -(ops.relu(x) + ops.relu(-x)))
    assert "sign is flipped" in flipped.message
    for numpy_abs in (np.abs, lambda x: np.abs(x), lambda x: abs(x), lambda x: np.fabs(x)):
        fb = checks.check_abs_from_relu(numpy_abs)
        assert not fb and "answers this exercise" in fb.message and "ops.relu" in fb.message

    def in_place(x):
        x[...] = ops.relu(x) + ops.relu(-x)
        return x

    assert "in place" in checks.check_abs_from_relu(in_place).message


def test_doubling_choices_checker():
    assert checks.check_doubling_choices({(2, 0), (4, 1), (6, 2)})
    assert checks.check_doubling_choices([(2, 0), (4, 1), (6, 2)])  # any iterable of pairs
    fb = checks.check_doubling_choices({(2, 0), (3, 1), (4, 1), (6, 2)})
    assert not fb and "output_padding" in fb.message and "15, not 16" in fb.message
    assert "you missed 1" in checks.check_doubling_choices({(2, 0), (4, 1)}).message
    assert "k=1" not in checks.check_doubling_choices({(2, 0), (4, 1)}).message
    assert "set of (k, p) pairs" in checks.check_doubling_choices(3).message
    assert "replace `...`" in checks.check_doubling_choices(...).message


@pytest.mark.parametrize("n, k, s, pads", [(5, 3, 2, (1, 1)), (6, 3, 2, (0, 1)), (6, 3, 1, (1, 1))])
def test_padding_diagram_draws_the_windows(n, k, s, pads):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = viz.padding_diagram(n, k, s, "same")
    ax = fig.axes[0]
    n_out = -(-n // s)
    assert f"pad {pads}" in ax.get_title() and f"{n_out} outputs" in ax.get_title()
    # one cell per padded input pixel, one window and one output cell per output position
    assert len(ax.patches) == sum(pads) + n + 2 * n_out
    plt.close(fig)
    with pytest.raises(ValueError, match="larger than the padded input"):
        viz.padding_diagram(2, 5, 1, "valid")

"""Lesson 00/01 checkers: right answers pass, typical mistakes get their specific hint."""

from pathlib import Path

import matplotlib
import numpy as np
from fontTools.ttLib import TTFont

from course_utils import checks
from course_utils.checks._base import FAIL_MARK, PASS_MARK


def test_conv_output_size_checker():
    assert checks.check_conv_output_size(lambda n, k, s, p: (n + 2 * p - k) // s + 1)
    fb = checks.check_conv_output_size(lambda n, k, s, p: (n + 2 * p - k) / s + 1)
    assert not fb and "floor division" in fb.message
    fb = checks.check_conv_output_size(lambda n, k, s, p: (n + 2 * p - k) // s)
    assert not fb and "forgot the `+ 1`" in fb.message
    fb = checks.check_conv_output_size(lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1)
    assert not fb and "Round *down*" in fb.message

    def stub(n, k, s, p):
        raise NotImplementedError

    assert "NotImplementedError" in checks.check_conv_output_size(stub).message
    fb = checks.check_conv_output_size(lambda n, k, s, p: None)
    assert not fb and "forget `return`" in fb.message
    fb = checks.check_conv_output_size(lambda n, k, s, p: 1 / 0)
    assert not fb and "ZeroDivisionError" in fb.message


def test_vertical_edge_checker():
    assert checks.check_vertical_edge_kernel([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    assert checks.check_vertical_edge_kernel(np.array([[1, 0, -1]] * 3))  # sign does not matter
    assert "sum to 0" in checks.check_vertical_edge_kernel(np.eye(3)).message
    assert (
        "horizontal"
        in checks.check_vertical_edge_kernel([[-1, -1, 0], [-1, 0, 1], [0, 1, 1]]).message
    )
    assert "3x3" in checks.check_vertical_edge_kernel(np.ones((2, 2))).message
    assert (
        "opposite signs"
        in checks.check_vertical_edge_kernel([[1, 1, 1], [0, 0, 0], [-1, -1, -1]]).message
    )


def test_receptive_field_and_warmup_checkers():
    assert checks.check_receptive_field(lambda n: 2 * n + 1)
    assert "overlap" in checks.check_receptive_field(lambda n: 3 * n).message
    assert checks.check_image_numbers(49152)
    assert "counts pixels" in checks.check_image_numbers(128 * 128).message
    assert "replace `...`" in checks.check_image_numbers(...).message


def test_feedback_renders_as_text_and_html():
    fb = checks.Feedback(False, "a < b")
    assert repr(fb) == "\u2717 a < b"
    assert "\u2717 a &lt; b" in fb._repr_html_()
    assert repr(checks.Feedback(True, "ok")) == "\u2713 ok"


def test_feedback_marks_are_in_dejavu_sans():
    """The marks are drawn by a plain font (issue 24, item 17): DejaVu Sans, shipped with
    matplotlib (and most Linux systems), has both; the emoji they replaced are in no such font."""
    font = Path(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf")
    cmap = TTFont(font).getBestCmap()  # fontTools comes with matplotlib
    assert ord(PASS_MARK) in cmap and ord(FAIL_MARK) in cmap
    assert ord("\u2705") not in cmap and ord("\u274c") not in cmap  # the old emoji marks


SIZE_CHECKERS = {  # checker -> the right answer, all sizes as whole numbers
    "check_conv_output_size": lambda n, k, s, p: (n + 2 * p - k) // s + 1,
    "check_transpose_output_size": lambda n, k, s, p: (n - 1) * s + k - 2 * p,
    "check_pool_output_size": lambda n, p, s: (n - p) // s + 1,
    "check_round_trip_size": lambda n, k: (n // 2**k) * 2**k,
}


def test_size_checkers_share_the_whole_number_feedback():
    for name, right in SIZE_CHECKERS.items():
        check = getattr(checks, name)
        assert check(right), name
        assert check(lambda *a, f=right: np.int64(f(*a))), name  # NumPy integers are fine
        fb = check(lambda *a, f=right: float(f(*a)))
        assert not fb and "a float. Sizes are whole numbers" in fb.message, (name, fb.message)
        fb = check(lambda *a, f=right: f(*a) + 0.5)
        assert not fb and "expected" in fb.message and "whole numbers" in fb.message, name
        fb = check(lambda *a: True)
        assert not fb and "expected an integer, got bool" in fb.message, (name, fb.message)
        fb = check(lambda *a, f=right: str(f(*a)))
        assert not fb and "expected an integer, got str" in fb.message, (name, fb.message)

"""KernelExplorer: its pure update step and its wiring, without a browser."""

import hashlib

import numpy as np
import pytest

from course_utils import ops
from course_utils.data import sample_image
from course_utils.ops import KERNEL_PRESETS
from course_utils.widgets import KernelExplorer, kernel_step
from course_utils.widgets.kernel import CUSTOM


def digest(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_step_output_equals_ops_conv2d():
    img = sample_image("camera", gray=True)
    frame = kernel_step(img, KERNEL_PRESETS["sharpen"], 2, "valid")
    np.testing.assert_allclose(
        frame.data["output"], ops.conv2d(img, KERNEL_PRESETS["sharpen"], 2, "valid")
    )
    assert set(frame.images) == {"input", "kernel", "output"}
    assert all(png.startswith(b"\x89PNG") for png in frame.images.values())
    assert "127&times;127" in frame.info


def test_changing_a_weight_changes_the_output_image_and_switches_to_custom():
    ex = KernelExplorer(preset="box blur 3x3")
    before = digest(ex.panels.picture("output"))
    ex.weights[4].value = 5.0
    assert ex.controls["preset"].value == CUSTOM
    assert digest(ex.panels.picture("output")) != before
    assert ex.frame.data["kernel"][1, 1] == 5.0


def test_changing_stride_changes_image_bytes_and_shape():
    ex = KernelExplorer()
    before = digest(ex.panels.picture("output"))
    frame = ex.set(stride=2)
    assert frame.data["output"].shape == (128, 128)
    assert digest(ex.panels.picture("output")) != before
    # moving the slider as a student would (the observer path), not via set()
    ex.controls["stride"].value = 4
    assert ex.frame.data["output"].shape == (64, 64)


def test_changing_preset_image_and_padding_all_update():
    ex = KernelExplorer()
    seen = {digest(ex.panels.picture("output"))}
    ex.controls["preset"].value = "Sobel y (horizontal edges)"
    seen.add(digest(ex.panels.picture("output")))
    ex.controls["image"].value = "coins"
    seen.add(digest(ex.panels.picture("output")))
    ex.controls["padding"].value = "valid"
    seen.add(digest(ex.panels.picture("output")))
    assert len(seen) == 4
    assert ex.frame.data["output"].shape == (254, 254)


def test_5x5_preset_disables_weight_editing_and_3x3_enables_it():
    ex = KernelExplorer()
    ex.controls["preset"].value = "gaussian blur 5x5"
    assert all(w.disabled for w in ex.weights)
    assert ex.frame.data["kernel"].shape == (5, 5)
    ex.controls["preset"].value = "sharpen"
    assert not any(w.disabled for w in ex.weights)
    assert [w.value for w in ex.weights] == [0, -1, 0, -1, 5, -1, 0, -1, 0]


def test_bad_combination_shows_message_in_widget_and_keeps_last_picture(monkeypatch):
    import course_utils.widgets.kernel as kernel_widget

    ex = KernelExplorer(preset="box blur 3x3")
    good = ex.panels.picture("output")
    with pytest.raises(ValueError):
        kernel_step(np.zeros((2, 2)), np.ones((3, 3)), 1, "valid")
    # a tiny photo: a 3x3 'valid' window cannot fit
    monkeypatch.setattr(kernel_widget, "photo", lambda name, gray: np.zeros((2, 2)))
    ex.set(padding="valid")
    assert "larger than the padded input" in ex.error.value
    assert ex.panels.picture("output") == good
    ex.set(padding="same")
    assert ex.error.value == ""


def test_repr_is_short_and_stable_for_nbval():
    ex = KernelExplorer()
    assert repr(ex) == (
        "KernelExplorer(image='camera', preset='Sobel x (vertical edges)', "
        "stride=1, padding='same', scale='per map')"
    )
    data, _ = ex._repr_mimebundle_()
    assert data["text/plain"] == repr(ex)
    assert "application/vnd.jupyter.widget-view+json" in data


def test_unknown_preset_and_control_are_clear_errors():
    with pytest.raises(ValueError, match="unknown preset"):
        KernelExplorer(preset="nope")
    with pytest.raises(ValueError, match="unknown control"):
        KernelExplorer().set(strid=2)


def _mean_grey(png: bytes) -> float:
    import io

    from PIL import Image

    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), float).mean())


def test_true_sizes_colour_bars_and_weights_in_the_kernel_picture():
    ex = KernelExplorer()
    f = ex.set(stride=4)
    assert f.widths["input"] == 256 and f.widths["output"] == 64  # a quarter as wide
    assert set(f.colorbars) == {"input", "kernel", "output"}
    assert f.colorbars["output"][0] == "RdBu_r" and f.colorbars["output"][1] < 0  # Sobel: signed
    assert ex.panels.colorbar("output").startswith(b"\x89PNG")  # shown under the picture
    f = ex.set(stride=1, padding="valid")
    assert f.widths["output"] == 254
    # the kernel picture is 3 x 40 px wide and has text in its cells (more than 3 grey levels)
    import io

    from PIL import Image

    kimg = np.asarray(Image.open(io.BytesIO(f.images["kernel"])).convert("L"))
    assert kimg.shape == (120, 120) and len(np.unique(kimg)) > 10


def test_shared_colour_scale_shows_that_all_ones_weights_make_the_output_brighter():
    img = sample_image("camera", gray=True)
    ones = np.ones((3, 3))
    own = kernel_step(img, ones, 1, "same")
    shared = kernel_step(img, ones, 1, "same", scale="shared")
    # each map on its own scale: both pictures about equally bright
    assert abs(_mean_grey(own.images["output"]) - _mean_grey(own.images["input"])) < 40
    # one scale for both: the output (values up to 9) is much brighter than the photo (up to 1)
    assert _mean_grey(shared.images["output"]) > 3 * _mean_grey(shared.images["input"])
    assert shared.colorbars["input"] == shared.colorbars["output"]
    assert shared.colorbars["output"][2] == pytest.approx(shared.data["output"].max())
    with pytest.raises(ValueError, match="scale"):
        kernel_step(img, ones, 1, "same", scale="log")


def test_linked_view_follows_the_controls_and_computes_like_ops():
    from course_utils import linked_math
    from course_utils.widgets.kernel import detail_corner

    ex = KernelExplorer(preset="sharpen")
    k = KERNEL_PRESETS["sharpen"]
    img = sample_image("camera", gray=True)
    y0, x0 = detail_corner("camera", img.shape)
    # the 16x16 detail, the photo's real pixels around it (1 for a 3x3 kernel), its 16x16 outputs
    assert ex.linked.op == "conv" and ex.linked.x_shape == [18, 18]
    assert ex.linked.origin == [y0 - 1, x0 - 1] and ex.linked.margin == [0, 0, 0, 0]
    assert ex.linked.detail == [y0, x0, y0 + 16, x0 + 16] and ex.linked.out_origin == [y0, x0]
    np.testing.assert_array_equal(ex.detail(), img[y0 : y0 + 16, x0 : x0 + 16])
    full = ops.conv2d(img, k, 1, "same")
    np.testing.assert_allclose(ex.linked.output, full[y0 : y0 + 16, x0 : x0 + 16], atol=1e-5)
    ex.set(stride=2, padding="valid", image="coins", scale="shared")
    img = sample_image("coins", gray=True)
    y0, x0 = detail_corner("coins", img.shape)
    full = ops.conv2d(img, k, 2, "valid")
    (r0, c0), (oh, ow) = ex.linked.out_origin, ex.linked.out_shape
    assert (oh, ow) == (8, 8) and ex.linked.stride == 2
    assert ex.linked.fixed_range == pytest.approx(list(ex.frame.data["range"]))
    np.testing.assert_allclose(ex.linked.output, full[r0 : r0 + oh, c0 : c0 + ow], atol=1e-5)
    a = ex.linked.explain(r0 + 3, c0 + 4)
    assert a.value == pytest.approx(full[r0 + 3, c0 + 4], abs=1e-5)
    assert (
        a.window
        == linked_math.conv_arithmetic(img, k, r0 + 3, c0 + 4, stride=2).window
        == (2 * (r0 + 3), 2 * (c0 + 4), 2 * (r0 + 3) + 3, 2 * (c0 + 4) + 3)
    )
    ex.weights[0].value = 2.0  # editing a weight reaches the linked view too
    assert ex.linked.explain(r0, c0).terms[0].w == 2.0
    ex.set(scale="per map")
    assert ex.linked.fixed_range == []


@pytest.mark.parametrize(
    ("image", "stride", "padding"),
    [("camera", 1, "same"), ("camera", 2, "same"), ("astronaut", 3, "valid"), ("coins", 4, "same")],
)
def test_linked_value_at_the_details_border_is_the_real_feature_maps(image, stride, padding):
    """Lesson 01's linked view tells the truth at the detail's border: every output it shows,
    the border rows and columns included, equals ops.conv2d on the whole photo there (the
    window reads the photo's real pixels around the detail, not zeros)."""
    from course_utils.widgets.kernel import detail_corner

    ex = KernelExplorer(
        image=image, preset="Sobel x (vertical edges)", stride=stride, padding=padding
    )
    img = sample_image(image, gray=True)
    k = KERNEL_PRESETS["Sobel x (vertical edges)"]
    full = ops.conv2d(img, k, stride, padding)
    v = ex.linked
    (r0, c0), (oh, ow) = v.out_origin, v.out_shape
    y0, x0 = detail_corner(image, img.shape)
    border = [(r, c) for r in range(r0, r0 + oh) for c in (c0, c0 + ow - 1)]
    border += [(r, c) for r in (r0, r0 + oh - 1) for c in range(c0, c0 + ow)]
    for r, c in border:
        a = v.explain(r, c)
        assert a.value == pytest.approx(full[r, c], abs=1e-5), (r, c)
        assert v.output[r - r0, c - c0] == pytest.approx(full[r, c], abs=1e-5)
        # a zero only where the photo itself ends (its "same" padding), never around the detail
        assert all(t.pad is not (0 <= t.i < 256 and 0 <= t.j < 256) for t in a.terms)
    if (image, stride) == ("camera", 1):  # the pixel: the detail's output[2, 0]
        a = v.explain(y0 + 2, x0)
        assert not any(t.pad for t in a.terms)
        assert a.value == pytest.approx(full[y0 + 2, x0], abs=1e-5)

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
    np.testing.assert_allclose(frame.data["output"],
                               ops.conv2d(img, KERNEL_PRESETS["sharpen"], 2, "valid"))
    assert set(frame.images) == {"input", "kernel", "output"}
    assert all(png.startswith(b"\x89PNG") for png in frame.images.values())
    assert "127&times;127" in frame.info


def test_changing_a_weight_changes_the_output_image_and_switches_to_custom():
    ex = KernelExplorer(preset="box blur 3x3")
    before = digest(ex.images["output"].value)
    ex.weights[4].value = 5.0
    assert ex.controls["preset"].value == CUSTOM
    assert digest(ex.images["output"].value) != before
    assert ex.frame.data["kernel"][1, 1] == 5.0


def test_changing_stride_changes_image_bytes_and_shape():
    ex = KernelExplorer()
    before = digest(ex.images["output"].value)
    frame = ex.set(stride=2)
    assert frame.data["output"].shape == (128, 128)
    assert digest(ex.images["output"].value) != before
    # moving the slider as a student would (the observer path), not via set()
    ex.controls["stride"].value = 4
    assert ex.frame.data["output"].shape == (64, 64)


def test_changing_preset_image_and_padding_all_update():
    ex = KernelExplorer()
    seen = {digest(ex.images["output"].value)}
    ex.controls["preset"].value = "Sobel y (horizontal edges)"
    seen.add(digest(ex.images["output"].value))
    ex.controls["image"].value = "coins"
    seen.add(digest(ex.images["output"].value))
    ex.controls["padding"].value = "valid"
    seen.add(digest(ex.images["output"].value))
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
    good = ex.images["output"].value
    with pytest.raises(ValueError):
        kernel_step(np.zeros((2, 2)), np.ones((3, 3)), 1, "valid")
    # a tiny photo: a 3x3 'valid' window cannot fit
    monkeypatch.setattr(kernel_widget, "photo", lambda name, gray: np.zeros((2, 2)))
    ex.set(padding="valid")
    assert "larger than the padded input" in ex.error.value
    assert ex.images["output"].value == good
    ex.set(padding="same")
    assert ex.error.value == ""


def test_repr_is_short_and_stable_for_nbval():
    ex = KernelExplorer()
    assert repr(ex) == ("KernelExplorer(image='camera', preset='Sobel x (vertical edges)', "
                        "stride=1, padding='same')")
    data, _ = ex._repr_mimebundle_()
    assert data["text/plain"] == repr(ex)
    assert "application/vnd.jupyter.widget-view+json" in data


def test_unknown_preset_and_control_are_clear_errors():
    with pytest.raises(ValueError, match="unknown preset"):
        KernelExplorer(preset="nope")
    with pytest.raises(ValueError, match="unknown control"):
        KernelExplorer().set(strid=2)

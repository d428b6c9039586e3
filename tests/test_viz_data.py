"""viz encoding and figures; data.sample_image."""

import io

import numpy as np
import pytest
from PIL import Image

from course_utils import data, viz


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))  # as a browser shows it


def test_to_png_round_trips_gray_with_fixed_and_auto_range():
    a = np.array([[0.0, 0.5], [1.0, 2.0]])
    fixed = decode(viz.to_png(a, "gray", (0, 1)))
    assert fixed.shape == (2, 2, 3)
    assert fixed[..., 0].tolist() == [[0, 127], [255, 255]]  # clipped above 1
    auto = decode(viz.to_png(a, "gray", "auto"))
    assert auto[..., 0].tolist() == [[0, 63], [127, 255]]


def test_symmetric_range_keeps_zero_in_the_middle_and_scale_enlarges():
    a = np.array([[-1.0, 0.0, 3.0]])
    assert viz.value_range(a, "symmetric") == (-3.0, 3.0)
    img = decode(viz.to_png(a, "RdBu_r", "symmetric", scale=4))
    assert img.shape == (4, 12, 3)
    np.testing.assert_array_equal(img[0, 4], img[3, 7])  # pixel repetition, no blur


def test_to_png_rgb_and_errors():
    rgb = np.zeros((3, 4, 3))
    rgb[..., 1] = 1.0
    assert decode(viz.to_png(rgb))[0, 0].tolist() == [0, 255, 0]
    with pytest.raises(ValueError, match="unknown colormap"):
        viz.to_png(np.zeros((2, 2)), "not-a-map")
    with pytest.raises(ValueError, match="expected"):
        viz.to_png(np.zeros((2, 2, 2, 2)))
    with pytest.raises(ValueError, match="vrange"):
        viz.to_png(np.zeros((2, 2)), vrange="weird")


def test_figures_have_the_expected_panels():
    fig = viz.feature_map_grid(np.random.default_rng(0).random((8, 8, 20)), max_channels=16, cols=8)
    assert len([ax for ax in fig.axes if ax.images]) == 16
    fig = viz.show_images([np.zeros((4, 4)), np.ones((4, 4, 3))], ["a", "b"])
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    fig = viz.plot_history({"loss": [1, 0.5], "val_loss": [1.2, 0.6], "iou": [0.1, 0.5]})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="titles"):
        viz.show_images([np.zeros((2, 2))], ["a", "b"])


@pytest.mark.parametrize("name", sorted(data.SAMPLE_IMAGES))
def test_every_sample_image_loads_in_range(name):
    img = data.sample_image(name)
    assert img.dtype == np.float32 and img.shape[:2] == (256, 256)
    assert 0.0 <= img.min() and img.max() <= 1.0 and img.std() > 0.05


def test_sample_image_options_and_errors(tmp_path, monkeypatch):
    assert data.sample_image("cat", gray=True).shape == (256, 256)
    assert data.sample_image("camera", gray=False, size=64).shape == (64, 64, 3)
    with pytest.raises(ValueError, match="unknown sample image 'dog'"):
        data.sample_image("dog")
    monkeypatch.setattr(data, "DATASETS_DIR", tmp_path)
    data.photo.cache_clear()  # photos are decoded once per process: forget those read so far
    with pytest.raises(FileNotFoundError, match="is missing"):
        data.sample_image("camera")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "camera.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="not a readable image"):
        data.sample_image("camera")

"""course_utils.data: make_shapes (synthetic and photo composites) and load_oxford_pets."""

import warnings

import numpy as np
import pytest
from PIL import Image

from course_utils.data import TEXTURES, load_oxford_pets, make_shapes, texture
from course_utils.metrics import mean_iou


def test_make_shapes_shapes_dtypes_range():
    x, y = make_shapes(5, size=48, seed=3)
    assert x.shape == (5, 48, 48, 3) and x.dtype == np.float32
    assert y.shape == (5, 48, 48) and y.dtype == np.uint8
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert set(np.unique(y)) == {0, 1}
    assert 0.03 < y.mean() < 0.5  # shapes present, background dominates


def test_make_shapes_deterministic_and_seed_dependent():
    a = make_shapes(4, size=32, seed=1)
    b = make_shapes(4, size=32, seed=1)
    c = make_shapes(4, size=32, seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])
    # image i depends only on (seed, i): a prefix of a bigger set is the smaller set
    big = make_shapes(6, size=32, seed=1)
    np.testing.assert_array_equal(big[0][:4], a[0])


def test_multiclass_labels_match_binary():
    x2, y2 = make_shapes(6, size=32, seed=0)
    x4, y4 = make_shapes(6, size=32, seed=0, num_classes=4)
    np.testing.assert_array_equal(x2, x4)
    np.testing.assert_array_equal(y4 > 0, y2 == 1)
    assert set(np.unique(y4)) <= {0, 1, 2, 3} and len(np.unique(y4)) >= 3


def test_trivial_models_score_low():
    """All-background and the best brightness threshold both stay far below a trained net."""
    x, y = make_shapes(64, size=64, seed=5)
    assert mean_iou(y, np.zeros_like(y), 2) < 0.5
    gray = x.mean(-1)
    best = max(
        max(
            mean_iou(y, (gray > t).astype(np.uint8), 2), mean_iou(y, (gray < t).astype(np.uint8), 2)
        )
        for t in np.linspace(0.1, 0.9, 17)
    )
    assert best < 0.6, best


def test_photo_composites():
    x, y = make_shapes(4, size=40, seed=0, source="photos", noise=0.0)
    assert x.shape == (4, 40, 40, 3) and set(np.unique(y)) == {0, 1}
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert len(TEXTURES) >= 4
    assert texture("grass").shape == (192, 192, 3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "n must be"),
        ({"n": 2, "size": 8}, "size must be"),
        ({"n": 2, "num_classes": 3}, "num_classes must be 2"),
        ({"n": 2, "source": "camera"}, "source must be"),
        ({"n": 2, "seed": -1}, "seed must be"),
        ({"n": 2, "noise": 2.0}, "noise must be"),
    ],
)
def test_make_shapes_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_shapes(**kwargs)


# ---- Oxford-IIIT Pet ---------------------------------------------------------------------------
def _fake_pets(root, n_good=3):
    """A tiny folder with the Oxford-IIIT Pet layout, one corrupt and two unpaired files."""
    (root / "images").mkdir(parents=True)
    (root / "annotations" / "trimaps").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n_good):
        img = (rng.random((30, 40, 3)) * 255).astype(np.uint8)
        Image.fromarray(img).save(root / "images" / f"Cat_{i}.jpg")
        tri = np.full((30, 40), 2, np.uint8)  # background
        tri[5:25, 10:30] = 3  # border band
        tri[8:22, 13:27] = 1  # pet
        Image.fromarray(tri).save(root / "annotations" / "trimaps" / f"Cat_{i}.png")
    (root / "images" / "Dog_corrupt.jpg").write_bytes(b"not a jpeg at all")
    Image.fromarray(np.full((30, 40), 2, np.uint8)).save(
        root / "annotations" / "trimaps" / "Dog_corrupt.png"
    )
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(root / "images" / "Dog_noTrimap.jpg")
    Image.fromarray(np.full((30, 40), 1, np.uint8)).save(
        root / "annotations" / "trimaps" / "Dog_noImage.png"
    )
    return root


def test_load_oxford_pets_fake_folder(tmp_path):
    root = _fake_pets(tmp_path / "pets")
    with pytest.warns(UserWarning, match=r"skipped 3 file\(s\).*1 unreadable.*2 without") as rec:
        x, y = load_oxford_pets(root, size=32)
    assert len(rec) == 1  # one warning that counts them all
    assert x.shape == (3, 32, 32, 3) and x.dtype == np.float32 and 0 <= x.min() <= x.max() <= 1
    assert y.shape == (3, 32, 32) and y.dtype == np.uint8
    assert set(np.unique(y)) == {0, 1}  # pet and border -> 1, background -> 0
    assert y[0, 0, 0] == 0 and y[0, 16, 16] == 1


def test_load_oxford_pets_three_classes_and_limit(tmp_path):
    root = _fake_pets(tmp_path / "pets")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, y = load_oxford_pets(root, size=40, limit=2, num_classes=3)
    assert x.shape[0] == 2
    assert set(np.unique(y)) == {0, 1, 2}
    # the border band (trimap 3) becomes class 2, the pet class 1
    assert y[0, 8, 11] == 2 and y[0, 20, 20] == 1


def test_load_oxford_pets_clean_folder_no_warning(tmp_path):
    root = tmp_path / "clean"
    _fake_pets(root, n_good=2)
    for p in [
        root / "images" / "Dog_corrupt.jpg",
        root / "images" / "Dog_noTrimap.jpg",
        root / "annotations" / "trimaps" / "Dog_corrupt.png",
        root / "annotations" / "trimaps" / "Dog_noImage.png",
    ]:
        p.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, _ = load_oxford_pets(root, size=16)
    assert x.shape == (2, 16, 16, 3)


def test_load_oxford_pets_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"robots\.ox\.ac\.uk.*images/\*\.jpg"):
        load_oxford_pets(tmp_path / "nowhere")
    (tmp_path / "half" / "images").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="trimaps"):
        load_oxford_pets(tmp_path / "half")


def test_load_oxford_pets_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="num_classes"):
        load_oxford_pets(tmp_path, num_classes=4)
    with pytest.raises(ValueError, match="size"):
        load_oxford_pets(tmp_path, size=0)

"""Lesson 10's domain parts: the nuclei data and its split, elastic deformation, the border weight
map, instance matching, Otsu's baseline, load_folder, fair Pets sampling, a U-Net of any size."""

import numpy as np
import pytest
from PIL import Image

from course_utils import data, metrics
from course_utils.data import (
    elastic_deform,
    extract_tiles,
    load_folder,
    load_image,
    load_nuclei,
    load_oxford_pets,
    nuclei_split,
)
from course_utils.metrics import (
    border_weight_map,
    label_components,
    match_instances,
    otsu_threshold,
)


# ---- the shipped nuclei image ------------------------------------------------------------------
def test_load_nuclei_shape_range_and_count():
    image, labels = load_nuclei()
    assert image.shape == labels.shape == (512, 512)
    assert image.dtype == np.float32 and labels.dtype == np.int32
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.max() > 0.9  # 235 / 255
    assert np.array_equal(np.unique(labels), np.arange(126))  # background + 125 nuclei, 1..125
    # the image shows the nuclei: brighter inside than outside
    assert image[labels > 0].mean() > 2 * image[labels == 0].mean()


def test_load_nuclei_missing_and_corrupt_files(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DATASETS_DIR", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"nuclei image .*image\.png is missing"):
        load_nuclei()
    (tmp_path / "nuclei").mkdir()
    (tmp_path / "nuclei" / "image.png").write_bytes(b"not a png")
    Image.fromarray(np.zeros((512, 512), np.uint16)).save(tmp_path / "nuclei" / "labels.png")
    with pytest.raises(ValueError, match="not a readable image"):
        load_nuclei()
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / "nuclei" / "image.png")
    with pytest.raises(ValueError, match=r"not the shipped file .*size \(64, 64\)"):
        load_nuclei()


def test_nuclei_split_regions_never_overlap():
    tile = 64
    split = nuclei_split(tile=tile, stride=16)
    regions = split["regions"]
    assert regions.shape == (512, 512)
    # the test region is exactly the bottom-right quadrant
    test = np.zeros((512, 512), bool)
    test[split["test"]] = True
    assert test[256:, 256:].all() and test.sum() == 256 * 256
    assert np.array_equal(regions == 2, test)
    seen = {}
    for name, label in (("train", 0), ("val", 1)):
        corners = split[name]
        assert len(corners) > 0
        covered = np.zeros((512, 512), bool)
        for r, c in corners:
            window = regions[r : r + tile, c : c + tile]
            assert window.shape == (tile, tile) and (window == label).all(), (name, r, c)
            covered[r : r + tile, c : c + tile] = True
        assert not (covered & test).any()  # no tile touches the test quadrant
        seen[name] = covered
    assert not (seen["train"] & seen["val"]).any()  # training and validation share no pixel
    # validation tiles do not overlap each other: they cover exactly tiles x tile^2 pixels
    assert seen["val"].sum() == len(split["val"]) * tile * tile
    # tiles are cut where the corners say
    image, labels = load_nuclei()
    x = extract_tiles(image, split["train"], tile)
    r, c = split["train"][5]
    assert x.shape == (len(split["train"]), tile, tile)
    assert np.array_equal(x[5], image[r : r + tile, c : c + tile])


def test_nuclei_split_bad_arguments():
    with pytest.raises(ValueError, match=r"tile 200 does not fit .*tile <= 128"):
        nuclei_split(tile=200)
    with pytest.raises(ValueError, match="stride"):
        nuclei_split(stride=0)
    with pytest.raises(ValueError, match="shape"):
        nuclei_split(shape=(512,))
    with pytest.raises(ValueError, match="leaves the 8x8 image"):
        extract_tiles(np.zeros((8, 8)), [(0, 6)], 4)


# ---- elastic deformation -----------------------------------------------------------------------
def _nuclei_tile():
    image, labels = load_nuclei()
    return image[:96, :96].copy(), labels[:96, :96].copy()


def test_elastic_deform_keeps_labels_and_is_deterministic():
    image, labels = _nuclei_tile()
    out1, m1 = elastic_deform(image, labels, seed=3)
    out2, m2 = elastic_deform(image, labels, seed=3)
    out3, m3 = elastic_deform(image, labels, seed=4)
    assert np.array_equal(out1, out2) and np.array_equal(m1, m2)  # same seed, same warp
    assert not np.array_equal(m1, m3)  # another seed, another warp
    assert out1.shape == image.shape and out1.dtype == np.float32
    assert m1.shape == labels.shape and m1.dtype == labels.dtype
    assert set(np.unique(m1)) <= set(np.unique(labels))  # labels stay labels (no blends)
    assert not np.array_equal(m1, labels)  # and it did warp
    # most nuclei survive a 10-pixel warp of a 96-pixel tile
    assert len(np.unique(m1)) >= 0.7 * len(np.unique(labels))


def test_elastic_deform_moves_image_and_mask_together():
    _, labels = _nuclei_tile()
    mask = (labels > 0).astype(np.uint8)
    image = np.where(mask > 0, 0.8, 0.1).astype(np.float32)  # the image *is* the mask
    for seed in range(4):
        warped, m = elastic_deform(image, mask, sigma=10, seed=seed)
        agree = np.mean((warped > 0.45) == (m > 0))
        assert agree > 0.98, (seed, agree)  # only pixels on the outlines may differ
    # a colour image: every channel warped the same way
    rgb = np.stack([image, image, image], axis=-1)
    warped_rgb, m_rgb = elastic_deform(rgb, mask, seed=1)
    warped_gray, m_gray = elastic_deform(image, mask, seed=1)
    assert warped_rgb.shape == rgb.shape
    assert np.allclose(warped_rgb[..., 2], warped_gray) and np.array_equal(m_rgb, m_gray)


def test_elastic_deform_flips_and_rotations_only():
    rng = np.random.default_rng(0)
    image = rng.random((8, 8)).astype(np.float32)
    mask = rng.integers(0, 5, (8, 8)).astype(np.uint8)
    dihedral = [np.rot90(image, k) for k in range(4)]
    dihedral += [d[:, ::-1] for d in dihedral]
    seen = set()
    for seed in range(30):
        out, m = elastic_deform(image, mask, sigma=0, seed=seed)
        which = [i for i, d in enumerate(dihedral) if np.array_equal(out, d)]
        assert len(which) == 1
        k, flipped = which[0] % 4, which[0] >= 4
        expected = np.rot90(mask, k)
        assert np.array_equal(m, expected[:, ::-1] if flipped else expected)  # same transform
        seen.add(which[0])
    assert len(seen) == 8  # all eight orientations occur
    out, m = elastic_deform(image, mask, sigma=0, flip=False, rotate=False)
    assert np.array_equal(out, image) and np.array_equal(m, mask)
    # a non-square image keeps its shape (rotations by 0 or 180 degrees only)
    for seed in range(8):
        out, m = elastic_deform(np.zeros((6, 10)), np.zeros((6, 10), int), seed=seed)
        assert out.shape == m.shape == (6, 10)


@pytest.mark.parametrize(
    "image, mask, kwargs, match",
    [
        (np.zeros(4), np.zeros(4, int), {}, r"image must be \(H, W\)"),
        (np.zeros((4, 4)), np.zeros((4, 5), int), {}, "mask must be"),
        (np.zeros((4, 4)), np.zeros((4, 4)), {}, "integer labels"),
        (np.zeros((4, 4)), np.zeros((4, 4), int), {"sigma": -1}, "sigma"),
        (np.zeros((4, 4)), np.zeros((4, 4), int), {"grid": 1}, "grid"),
        (np.zeros((4, 4)), np.zeros((4, 4), int), {"seed": -1}, "seed"),
    ],
)
def test_elastic_deform_bad_input(image, mask, kwargs, match):
    with pytest.raises(ValueError, match=match):
        elastic_deform(image, mask, **kwargs)


# ---- the border weight map ---------------------------------------------------------------------
def test_border_weight_map_hand_computed_gap():
    # Two cells, 5 rows x 8 columns: cell 1 in columns 0-2, a gap of 2 columns (3, 4), cell 2 in
    # columns 5-7.
    #   class weights: N = 40 pixels, 30 foreground, 10 background:
    #     w_c = 40 / (2 * 30) = 2/3 on the cells, 40 / (2 * 10) = 2 on the gap.
    #   gap column 3: nearest cell 1 at column 2 (d1 = 1), cell 2 at column 5 (d2 = 2);
    #   gap column 4: cell 2 at column 5 (d1 = 1), cell 1 at column 2 (d2 = 2).
    #     border term = 10 * exp(-(1 + 2)^2 / (2 * 5^2)) = 10 * exp(-0.18) = 8.35270211
    #   so w = 2 + 8.35270211 = 10.35270211 on the gap, 0.66666667 on the cells.
    labels = np.zeros((5, 8), np.int32)
    labels[:, 0:3] = 1
    labels[:, 5:8] = 2
    w = border_weight_map(labels, w0=10, sigma=5)
    assert w.shape == (5, 8) and w.dtype == np.float32
    np.testing.assert_allclose(w[:, 3:5], 10.35270211, rtol=1e-6)
    np.testing.assert_allclose(w[:, [0, 1, 2, 5, 6, 7]], 2 / 3, rtol=1e-6)
    # w0 = 0: only the class balance; weighted pixel counts are then equal for both classes
    w_c = border_weight_map(labels, w0=0)
    assert w_c[labels > 0].sum() == pytest.approx(w_c[labels == 0].sum())


def test_border_weight_map_equals_brute_force_on_nuclei():
    from scipy import ndimage

    _, labels = load_nuclei()
    labels = labels[300:428, 40:200]  # a crop with touching and separate nuclei
    w = border_weight_map(labels, w0=10, sigma=5)
    ids = np.unique(labels)[1:]
    dist = np.sort(np.stack([ndimage.distance_transform_edt(labels != i) for i in ids]), axis=0)
    n, n_fg = labels.size, (labels > 0).sum()
    w_c = np.where(labels > 0, n / (2 * n_fg), n / (2 * (n - n_fg)))
    expected = w_c + 10 * np.exp(-((dist[0] + dist[1]) ** 2) / 50) * (labels == 0)
    np.testing.assert_allclose(w, expected, atol=1e-5)
    assert w.max() > 8  # touching nuclei: the gaps carry almost w0 + w_c


def test_border_weight_map_one_cell_and_bad_input():
    labels = np.zeros((6, 6), int)
    labels[1:3, 1:3] = 7
    w = border_weight_map(labels)
    assert np.allclose(w[labels == 0], 36 / (2 * 32)) and np.allclose(w[labels > 0], 36 / 8)
    assert np.allclose(border_weight_map(np.zeros((4, 4), int)), 1.0)
    with pytest.raises(ValueError, match="integer labels"):
        border_weight_map(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="sigma"):
        border_weight_map(labels, sigma=0)
    with pytest.raises(ValueError, match="2-D"):
        border_weight_map(np.zeros((2, 4, 4), int))


# ---- instances: components, Otsu, matching ---------------------------------------------------
def test_match_instances_constructed_case():
    # true objects (4x4 squares): A at columns 0-3, B at 5-8 touching C at 9-12, D at 15-18
    true = np.zeros((4, 24), np.int32)
    true[:, 0:4], true[:, 5:9], true[:, 9:13], true[:, 15:19] = 11, 12, 13, 14
    pred = np.zeros_like(true)
    pred[:, 1:5] = 3  # A shifted by one column: IoU 12 / 20 = 0.6 -> a match
    pred[:, 5:13] = 1  # B and C merged: IoU 16 / 32 = 0.5 each, not above 0.5 -> no match
    pred[:, 21:23] = 9  # a spurious object
    # D (columns 15-18) is missed
    r = match_instances(true, pred)
    assert (r["tp"], r["fp"], r["fn"]) == (1, 2, 3)
    assert (r["n_true"], r["n_pred"]) == (4, 3)
    assert r["f1"] == pytest.approx(2 / 7)  # 2 tp / (2 tp + fp + fn)
    assert r["precision"] == pytest.approx(1 / 3) and r["recall"] == pytest.approx(1 / 4)
    assert r["matched_iou"] == pytest.approx(0.6)
    assert match_instances(true, pred, iou_threshold=0.7)["tp"] == 0
    perfect = match_instances(true, np.where(true > 0, true * 2 + 1, 0))  # other ids
    assert (perfect["tp"], perfect["fp"], perfect["fn"], perfect["f1"]) == (4, 0, 0, 1.0)
    empty = match_instances(np.zeros((3, 3), int), np.zeros((3, 3), int))
    assert empty["tp"] == 0 and np.isnan(empty["f1"])


def test_match_instances_bad_input():
    with pytest.raises(ValueError, match=r"iou_threshold must be in \[0.5, 1\)"):
        match_instances(np.zeros((2, 2), int), np.zeros((2, 2), int), iou_threshold=0.3)
    with pytest.raises(ValueError, match="same shape"):
        match_instances(np.zeros((2, 2), int), np.zeros((2, 3), int))
    with pytest.raises(ValueError, match="label_components"):
        match_instances(np.zeros((2, 2)), np.zeros((2, 2), int))


def test_label_components_and_min_size():
    m = np.zeros((6, 6), np.uint8)
    m[0:2, 0:2] = 1  # 4 pixels
    m[2, 2] = 1  # touches the first only by a corner
    m[4:6, 3:6] = 255  # 6 pixels (any non-zero value is foreground)
    four = label_components(m)
    assert four.dtype == np.int32 and four.max() == 3
    assert label_components(m, connectivity=2).max() == 2  # corner contact joins
    big = label_components(m, min_size=4)
    assert big.max() == 2 and big[2, 2] == 0 and set(np.unique(big)) == {0, 1, 2}


def test_otsu_threshold_equals_brute_force():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.integers(10, 60, 300), rng.integers(120, 200, 100)]).astype(float)
    t = otsu_threshold(x, bins=256)

    def between(cut):
        lo, hi = x[x <= cut], x[x > cut]
        return len(lo) * len(hi) * (lo.mean() - hi.mean()) ** 2

    cuts = np.unique(x)[:-1]
    best = max(between(c) for c in cuts)
    assert between(t) == pytest.approx(best)
    assert 59 <= t < 120  # between the two groups (10..59 and 120..199)
    with pytest.raises(ValueError, match="constant"):
        otsu_threshold(np.ones(5))


def test_otsu_on_nuclei_merges_and_fragments():
    """The baseline lesson 10 beats: fine pixels, poor objects (many specks, merged nuclei)."""
    image, labels = load_nuclei()
    q = nuclei_split()["test"]
    pred = label_components(image[q] > otsu_threshold(image))
    iou = metrics.iou(labels[q] > 0, pred > 0, 2)[1]
    r = match_instances(labels[q], pred)
    assert iou > 0.75 and r["n_pred"] > 3 * r["n_true"] and r["f1"] < 0.5


# ---- your own folder ---------------------------------------------------------------------------
def _folder(root, n=3, size=(20, 30)):
    """images/ and masks/ with n pairs: a PNG, a JPEG and a 16-bit TIFF; 0/255, 0/1, instance masks."""
    imgs, masks = root / "images", root / "masks"
    imgs.mkdir(parents=True)
    masks.mkdir(parents=True)
    h, w = size
    obj = np.zeros((h, w), bool)
    obj[5:15, 8:20] = True
    for i in range(n):
        kind = i % 3
        if kind == 0:
            Image.fromarray(np.where(obj, 200, 30).astype(np.uint8)).save(imgs / f"s{i}.png")
            Image.fromarray(obj.astype(np.uint8) * 255).save(masks / f"s{i}.png")
        elif kind == 1:
            rgb = np.stack([np.where(obj, 220, 20)] * 3, axis=-1).astype(np.uint8)
            Image.fromarray(rgb).save(imgs / f"s{i}.jpg", quality=95)
            Image.fromarray(obj.astype(np.uint8)).save(masks / f"s{i}.png")
        else:
            Image.fromarray(np.where(obj, 3000, 1000).astype(np.uint16)).save(imgs / f"s{i}.tif")
            inst = np.zeros((h, w), np.uint16)
            inst[5:15, 8:14], inst[5:15, 14:20] = 300, 301  # two touching instances
            Image.fromarray(inst).save(masks / f"s{i}.tif")
    return imgs, masks


def test_load_folder_reads_every_convention(tmp_path):
    imgs, masks = _folder(tmp_path)
    (imgs / "notes.txt").write_text("ignored")
    (imgs / ".hidden.png").write_bytes(b"ignored")
    x, y = load_folder(imgs, masks)
    assert x.shape == (3, 20, 30, 3) and x.dtype == np.float32
    assert y.shape == (3, 20, 30) and y.dtype == np.uint8
    assert 0 <= x.min() and x.max() <= 1
    # every mask convention becomes the same 0/1 foreground
    for i in range(3):
        assert np.array_equal(y[i], y[0]) and set(np.unique(y[i])) == {0, 1}
    # 8-bit: /255; 16-bit: per-image min-max (1000 -> 0, 3000 -> 1)
    assert x[0, 0, 0, 0] == pytest.approx(30 / 255)
    assert x[2, 0, 0, 0] == 0.0 and x[2, 10, 10, 0] == 1.0
    assert np.array_equal(load_image(imgs / "s2.tif"), x[2])


def test_load_folder_resizes_and_multiclass(tmp_path):
    imgs, masks = _folder(tmp_path)
    x, y = load_folder(imgs, masks, size=(40, 60))
    assert x.shape == (3, 40, 60, 3) and y.shape == (3, 40, 60)
    assert set(np.unique(y)) == {0, 1}  # nearest neighbour: no in-between labels
    x, y = load_folder(imgs, masks, size=16)
    assert x.shape == (3, 16, 16, 3)
    # class indices with num_classes=3
    root = tmp_path / "multi"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(root / "images" / "a.png")
    Image.fromarray(np.array([[0, 1], [2, 2]], np.uint8)).save(root / "masks" / "a.png")
    _, y = load_folder(root / "images", root / "masks", num_classes=3)
    assert y[0].tolist() == [[0, 1], [2, 2]]
    _, y = load_folder(root / "images", root / "masks")  # 2 classes: every non-zero value is 1
    assert y[0].tolist() == [[0, 1], [1, 1]]


def _break(kind, imgs, masks):
    """Make one bad input; return the regex its error must match."""
    if kind == "no image folder":
        return imgs.parent / "nope", masks, FileNotFoundError, r"images folder .*nope not found"
    if kind == "no mask folder":
        return imgs, masks.parent / "nope", FileNotFoundError, r"masks folder .*nope not found"
    if kind == "no images":
        for p in imgs.iterdir():
            p.rename(p.with_suffix(".bmp"))
        return imgs, masks, FileNotFoundError, r"no image files in .*\.png, \.jpg"
    if kind == "no masks":
        for p in masks.iterdir():
            p.rename(p.with_suffix(".jpg"))
        return imgs, masks, FileNotFoundError, r"no mask files .*must not be JPEG"
    if kind == "image without mask":
        (masks / "s1.png").unlink()
        return (
            imgs,
            masks,
            ValueError,
            r"1 image\(s\) without a mask: s1\.jpg\. Add a mask .*s1\.png",
        )
    if kind == "mask without image":
        Image.fromarray(np.zeros((20, 30), np.uint8)).save(masks / "extra.png")
        return imgs, masks, ValueError, r"1 mask\(s\) without an image: extra\.png"
    if kind == "unreadable image":
        (imgs / "s0.png").write_bytes(b"not a png")
        return imgs, masks, ValueError, r"cannot read .*s0\.png.*export it\s+again"
    if kind == "unreadable mask":
        (masks / "s1.png").write_bytes(b"\x89PNG broken")
        return imgs, masks, ValueError, r"cannot read .*masks/s1\.png"
    if kind == "size mismatch":
        Image.fromarray(np.zeros((20, 31), np.uint8)).save(masks / "s0.png")
        return imgs, masks, ValueError, r"s0\.png is 20x30 .* its mask .*s0\.png is 20x31"
    if kind == "class value":
        Image.fromarray(np.full((20, 30), 5, np.uint8)).save(masks / "s0.png")
        return imgs, masks, ValueError, r"s0\.png has value 5 but num_classes=3 allows 0\.\.2"
    if kind == "differing sizes":
        Image.fromarray(np.zeros((24, 30), np.uint8)).save(imgs / "s0.png")
        Image.fromarray(np.zeros((24, 30), np.uint8)).save(masks / "s0.png")
        return (
            imgs,
            masks,
            ValueError,
            r"differ in size: s0\.png is 24x30 but s1\.jpg is 20x30.*size=",
        )
    if kind == "colour mask":
        rgb = np.zeros((20, 30, 3), np.uint8)
        rgb[..., 0] = 255
        Image.fromarray(rgb).save(masks / "s0.png")
        return imgs, masks, ValueError, r"s0\.png is a colour image .*class index"
    if kind == "duplicate stem":
        Image.fromarray(np.zeros((20, 30), np.uint8)).save(imgs / "s0.tif")
        return imgs, masks, ValueError, r"two image files share the name 's0'"
    raise AssertionError(kind)


BAD_INPUTS = [
    "no image folder",
    "no mask folder",
    "no images",
    "no masks",
    "image without mask",
    "mask without image",
    "unreadable image",
    "unreadable mask",
    "size mismatch",
    "class value",
    "differing sizes",
    "colour mask",
    "duplicate stem",
]


@pytest.mark.parametrize("kind", BAD_INPUTS)
def test_load_folder_refuses_bad_input(tmp_path, kind):
    imgs, masks = _folder(tmp_path)
    images_dir, masks_dir, error, match = _break(kind, imgs, masks)
    num_classes = 3 if kind == "class value" else 2
    with pytest.raises(error, match=match):
        load_folder(images_dir, masks_dir, num_classes=num_classes)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"size": 0}, "size"),
        ({"size": (10,)}, "size must be None"),
        ({"size": "big"}, "size must be None"),
        ({"num_classes": 1}, "num_classes must be an integer from 2 to 256"),
        ({"num_classes": 300}, "num_classes"),
    ],
)
def test_load_folder_bad_arguments(tmp_path, kwargs, match):
    imgs, masks = _folder(tmp_path)
    with pytest.raises(ValueError, match=match):
        load_folder(imgs, masks, **kwargs)


# ---- Oxford-IIIT Pet: a small limit draws from many breeds -----------------------------------
def test_load_oxford_pets_limit_draws_from_many_breeds(tmp_path):
    root = tmp_path / "pets"
    (root / "images").mkdir(parents=True)
    (root / "annotations" / "trimaps").mkdir(parents=True)
    breeds = [f"breed{b:02d}" for b in range(12)]
    for b, breed in enumerate(breeds):  # each breed's images have their own grey level
        for i in range(1, 9):
            Image.fromarray(np.full((8, 8, 3), 20 * b, np.uint8)).save(
                root / "images" / f"{breed}_{i}.jpg"
            )
            Image.fromarray(np.full((8, 8), 2, np.uint8)).save(
                root / "annotations" / "trimaps" / f"{breed}_{i}.png"
            )
    x, _ = load_oxford_pets(root, size=8, limit=12)
    drawn = {int(round(v * 255 / 20)) for v in x[:, 4, 4, 0]}
    # in file-name order the first 12 files are 2 breeds; a seeded shuffle reaches most of them
    assert len(drawn) >= 6, drawn
    x2, _ = load_oxford_pets(root, size=8, limit=12)
    assert np.array_equal(x, x2)  # reproducible
    x3, _ = load_oxford_pets(root, size=8, limit=12, seed=1)
    assert not np.array_equal(x, x3)


# ---- a U-Net for any image size ----------------------------------------------------------------
def test_unet_with_none_dims_predicts_any_padded_size():
    import course_utils  # noqa: F401  (its environment defaults, before Keras loads TensorFlow)
    from course_utils import models

    assert models.unet((None, None, 3)).count_params() == 1_883_202  # same network
    fixed = models.unet((64, 64, 3), base_filters=4)
    free = models.unet((None, None, 3), base_filters=4)
    free.set_weights(fixed.get_weights())  # the weights do not depend on the size
    x64 = np.random.default_rng(0).random((1, 64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(
        free.predict(x64, verbose=0), fixed.predict(x64, verbose=0), rtol=1e-5, atol=1e-6
    )
    # a non-square, odd-sized image: pad to multiples of 4 (mirror), predict, crop back
    image = np.random.default_rng(1).random((37, 50, 3)).astype(np.float32)
    padded = np.pad(image, ((0, 3), (0, 2), (0, 0)), mode="reflect")
    probs = free.predict(padded[None], verbose=0)[0, :37, :50]
    assert probs.shape == (37, 50, 2)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)
    with pytest.raises(ValueError, match="divisible by 4"):
        models.unet((None, 30, 3))
    with pytest.raises(ValueError, match=r"H and W may be None"):
        models.unet((None, None, None))

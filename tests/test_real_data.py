"""Lesson 10's machinery: training on arrays and folders, augmentation batches, prediction on any
size, instance scores, contour overlays, the elastic explorer, and the CLI train -> predict."""

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from course_utils import data, metrics, models, viz
from course_utils import training as T
from course_utils.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
TINY = {"base_filters": 4, "batch_size": 8}


def _discs(n, h, w, seed):
    """n gray-on-dark images (h, w, 3) with one bright disc each, and its 0/1 mask."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    x = rng.uniform(0.0, 0.2, (n, h, w, 3)).astype("float32")
    y = np.zeros((n, h, w), "uint8")
    for i in range(n):
        cy, cx, r = rng.uniform(0.3 * h, 0.7 * h), rng.uniform(0.3 * w, 0.7 * w), min(h, w) / 5
        disc = (yy - cy) ** 2 + (xx - cx) ** 2 < r**2
        x[i][disc] += 0.7
        y[i][disc] = 1
    return x, y


# ---- predict_image ----------------------------------------------------------------------------
def test_predict_image_any_size_with_a_fixed_size_model():
    keras.utils.set_random_seed(0)
    model = models.unet((64, 64, 3), base_filters=2)
    image = np.random.default_rng(0).random((37, 50, 3)).astype("float32")  # odd, not square
    labels = T.predict_image(model, image)
    assert labels.shape == (37, 50) and labels.dtype == np.uint8
    # the same as the None-dims twin on the mirrored padding (40 x 52), cropped back
    twin = models.unet((None, None, 3), base_filters=2)
    twin.set_weights(model.get_weights())
    padded = np.pad(image, ((1, 2), (1, 1), (0, 0)), mode="reflect")
    probs = twin.predict(padded[None], verbose=0)[0, 1:38, 1:51]
    np.testing.assert_array_equal(labels, probs.argmax(-1))
    # a size the model takes as it is: model.predict itself
    square = image[:32, :32].repeat(2, 0).repeat(2, 1)
    np.testing.assert_array_equal(
        T.predict_image(model, square), model.predict(square[None], verbose=0)[0].argmax(-1)
    )
    # a gray image is repeated into the 3 channels
    np.testing.assert_array_equal(
        T.predict_image(model, image[..., 0]),
        T.predict_image(model, np.repeat(image[..., :1], 3, axis=2)),
    )


def test_predict_image_twin_follows_new_weights_and_resizes():
    model = models.unet((32, 32, 3), base_filters=2, num_classes=3)
    image = np.random.default_rng(1).random((21, 30, 3)).astype("float32")
    first = T.predict_image(model, image)
    bias = model.get_layer("classifier").bias
    bias.assign(np.array([0.0, 0.0, 50.0], "float32"))  # class 2 wins everywhere
    assert (T.predict_image(model, image) == 2).all() and not (first == 2).all()
    resized = T.predict_image(model, image, size=(32, 32))  # as trained on resized images
    assert resized.shape == (21, 30) and (resized == 2).all()


def test_predict_image_bad_input():
    model = models.unet((None, None, 3), base_filters=2)
    with pytest.raises(ValueError, match="channel"):
        T.predict_image(model, np.zeros((8, 8, 2)))
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        T.predict_image(model, np.zeros((2, 8, 8, 3)))
    with pytest.raises(ValueError, match="NaN"):
        T.predict_image(model, np.full((8, 8), np.nan))


def test_network_stride_and_any_size_model():
    assert T.network_stride(models.unet((None, None, 3), base_filters=2)) == 4
    dense = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Dense(2)])
    assert T.network_stride(dense) == 1
    fixed = models.unet((16, 16, 3), base_filters=2)
    twin = T.any_size_model(fixed)
    assert twin.input_shape == (None, None, None, 3) and twin is not fixed
    assert T.any_size_model(twin) is twin


# ---- instance scores --------------------------------------------------------------------------
def test_instance_scores_merged_pair_and_specks():
    truth = np.zeros((10, 12), int)
    truth[1:5, 1:5], truth[1:5, 6:10] = 1, 2
    fg = truth > 0
    r = T.instance_scores(truth, fg, min_size=1)
    assert (r["components"], r["true_components"], r["tp"], r["f1"]) == (2, 2, 2, 1.0)
    merged = fg.copy()
    merged[2:4, 5] = True  # a 2-pixel bridge joins them
    speck = merged.copy()
    speck[8, 11] = True  # and a 1-pixel speck
    r = T.instance_scores(truth, speck, min_size=1)
    assert (r["components"], r["tp"], r["fp"], r["fn"]) == (2, 0, 2, 2)
    r10 = T.instance_scores(truth, speck, min_size=10)
    assert (r10["components"], r10["fp"]) == (1, 1)  # the speck is dropped, the merge stays
    assert r10["iou"] == pytest.approx(32 / 34)


# ---- splits and batches -----------------------------------------------------------------------
def test_split_arrays_is_seeded_and_complete():
    x = np.arange(20, dtype="float32")[:, None, None, None] * np.ones((1, 4, 4, 3), "float32")
    y = np.zeros((20, 4, 4), "uint8")
    (a, _), (b, _), (c, _) = T.split_arrays(x, y, seed=5)
    assert (len(a), len(b), len(c)) == (14, 3, 3)
    ids = np.concatenate([a[:, 0, 0, 0], b[:, 0, 0, 0], c[:, 0, 0, 0]])
    assert sorted(ids.tolist()) == list(range(20))  # each image in exactly one split
    (a2, _), _, _ = T.split_arrays(x, y, seed=5)
    np.testing.assert_array_equal(a, a2)
    with pytest.raises(ValueError, match="at least 3 images"):
        T.split_arrays(x[:2], y[:2])


def test_augmented_batches_keep_weights_on_their_pixels():
    x, y = _discs(6, 32, 32, seed=0)
    weights = x[..., 0] * 10  # a weight map equal to the image: must stay equal after the warp
    batches = T.AugmentedBatches(x, y, weights, batch_size=4, seed=3)
    assert len(batches) == 2
    bx, by, bw = batches[0]
    assert bx.shape == (4, 32, 32, 3) and by.shape == (4, 32, 32) and bw.shape == (4, 32, 32)
    np.testing.assert_allclose(bw, bx[..., 0] * 10, rtol=1e-5, atol=1e-5)
    assert set(np.unique(by)) <= {0, 1}
    # warped: not the original images; the same seed and epoch give the same batch
    assert not any(np.allclose(bx[0], xi) for xi in x)
    np.testing.assert_array_equal(T.AugmentedBatches(x, y, weights, 4, seed=3)[0][0], bx)
    # a resumed run (epoch=1) sees what the uninterrupted run saw after its first epoch
    batches.on_epoch_end()
    resumed = T.AugmentedBatches(x, y, weights, 4, seed=3, epoch=1)
    np.testing.assert_array_equal(resumed[1][0], batches[1][0])
    # without augmentation: the same images, shuffled
    plain = T.AugmentedBatches(x, y, batch_size=6, seed=3, augment=False)[0]
    assert len(plain) == 2 and sorted(plain[0][:, 0, 0, 0].tolist()) == sorted(x[:, 0, 0, 0])


def test_nuclei_data_keeps_the_test_quadrant_out():
    d = T.nuclei_data(tile=64)
    regions = d["split"]["regions"]
    for corners in (d["split"]["train"], d["split"]["val"]):
        for r, c in corners:
            assert (regions[r : r + 64, c : c + 64] != 2).all()
    image, labels = data.load_nuclei()
    q = d["split"]["test"]
    np.testing.assert_array_equal(d["test"][0][0, ..., 1], image[q])
    np.testing.assert_array_equal(d["test_labels"], labels[q])
    x, y, w = d["train"]
    assert w.shape == y.shape and w.max() > 5  # the border term is on the gaps
    r, c = d["split"]["train"][3]
    np.testing.assert_allclose(w[3], metrics.border_weight_map(labels)[r : r + 64, c : c + 64])


# ---- train on arrays ----------------------------------------------------------------------------
def test_train_on_arrays_split_resume_and_fingerprint(tmp_path):
    x, y = _discs(20, 24, 32, seed=0)  # not square: the network is built for 24x32
    out = tmp_path / "run"
    res = T.train("quick", data=(x, y), out_dir=out, epochs=1, verbose=0, **TINY)
    assert res.model.input_shape == (None, 24, 32, 3)
    assert res.data.startswith("arrays:") and len(res.data) == len("arrays:") + 16
    settings = json.loads((out / "run.json").read_text())
    assert settings["data"] == res.data and settings["resize"] is None
    (_, _), (_, _), (x_te, y_te) = T.split_arrays(x, y, seed=0)
    assert T.evaluate(res.model, x_te, y_te, batch_size=8) == res.test  # the seeded test split
    res2 = T.train("quick", data=(x, y), out_dir=out, epochs=2, resume=True, verbose=0, **TINY)
    assert res2.history["epoch"] == [1, 2]
    with pytest.raises(ValueError, match="different settings"):
        T.train("quick", data=(x[::-1], y[::-1]), out_dir=out, epochs=3, resume=True, verbose=0)


def test_train_on_three_given_splits_with_augmentation(tmp_path):
    x, y = _discs(14, 16, 16, seed=1)
    y[-1, 0, 0] = 2  # a third class anywhere: the network gets 3 outputs
    splits = ((x[:10], y[:10]), (x[10:12], y[10:12]), (x[12:], y[12:]))
    res = T.train("quick", data=splits, out_dir=tmp_path / "r", epochs=1, augment=True, verbose=0)
    assert res.model.output_shape[-1] == 3 and len(res.test["iou"]) == 3
    with pytest.raises(ValueError, match="num_classes=3"):
        T.train("quick", data=splits, out_dir=tmp_path / "s", num_classes=2, verbose=0)


@pytest.mark.parametrize(
    "bad, message",
    [
        ((np.zeros((5, 30, 32, 3)), np.zeros((5, 30, 32), "uint8")), "divisible by 4"),
        ((np.zeros((5, 32, 32, 3)), np.zeros((5, 32, 30), "uint8")), "masks must be"),
        ((np.zeros((5, 32, 32, 3)), np.full((5, 32, 32), 0.5)), "class indices"),
        ((np.zeros((5, 32, 32, 3)),), "pair|images, masks"),
    ],
)
def test_train_refuses_bad_arrays_before_any_work(bad, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        T.train("quick", data=bad, out_dir=tmp_path / "o", verbose=0)
    assert not (tmp_path / "o").exists()


def test_train_nuclei_reports_instances_beside_otsu(tmp_path):
    res = T.train(
        data="nuclei", out_dir=tmp_path / "n", epochs=1, base_filters=2, verbose=0, seed=1
    )
    assert res.profile.name == "nuclei"
    for key in ("instances", "otsu"):
        r = res.test[key]
        assert r["true_components"] == 29 and 0 <= r["f1"] <= 1
    # Otsu's figures are those of the threshold on the quadrant, whatever the network did
    image, labels = data.load_nuclei()
    q = image[256:, 256:]
    assert res.test["otsu"] == T.instance_scores(labels[256:, 256:], q > metrics.otsu_threshold(q))
    assert "Otsu" in res.summary() and "held-out quadrant" in res.summary()
    assert json.loads((tmp_path / "n" / "run.json").read_text())["augment"] is True


# ---- the CLI: train on a folder, then predict -----------------------------------------------------
def _write_folder(root: Path, n: int = 12) -> None:
    x, y = _discs(n, 40, 40, seed=2)
    for sub in ("images", "masks"):
        (root / sub).mkdir(parents=True)
    for i in range(n):
        Image.fromarray((x[i] * 255).astype("uint8")).save(root / "images" / f"cell{i:02d}.png")
        Image.fromarray(y[i] * 255).save(root / "masks" / f"cell{i:02d}.png")


def test_cli_train_on_a_folder_then_predict(tmp_path, capsys):
    _write_folder(tmp_path / "mine")
    run = tmp_path / "run"
    argv = ["train", "--data", f"folder:{tmp_path / 'mine'}", "--image-size", "32"]
    argv += ["--epochs", "2", "--base-filters", "4", "--out", str(run), "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "done: 2 epochs" in out and "test split: object IoU" in out
    settings = json.loads((run / "run.json").read_text())
    assert settings["resize"] == [32, 32] and settings["data"].startswith("folder:")
    # predict: an odd-sized image of another size, and a 16-bit gray TIFF
    odd = (np.random.default_rng(0).random((45, 31, 3)) * 255).astype("uint8")
    Image.fromarray(odd).save(tmp_path / "odd one.png")
    Image.fromarray((np.arange(33 * 27).reshape(33, 27) * 60).astype("uint16")).save(
        tmp_path / "deep.tif"
    )
    preds = tmp_path / "preds"
    images = [str(tmp_path / "odd one.png"), str(tmp_path / "deep.tif")]
    assert main(["predict", "--run", str(run), *images, "--out", str(preds)]) == 0
    out = capsys.readouterr().out
    assert "45x31" in out and "33x27" in out
    for stem, hw in (("odd one", (45, 31)), ("deep", (33, 27))):
        mask = np.asarray(Image.open(preds / f"{stem}_mask.png"))
        overlay = np.asarray(Image.open(preds / f"{stem}_overlay.png"))
        assert mask.shape == hw and set(np.unique(mask)) <= {0, 255}
        assert overlay.shape == (*hw, 3)
    # the mask is the model's prediction at the training scale, resized back
    model = keras.saving.load_model(run / "model.keras", safe_mode=True)
    expected = T.predict_image(model, data.load_image(tmp_path / "odd one.png"), size=(32, 32))
    mask = np.asarray(Image.open(preds / "odd one_mask.png"))
    np.testing.assert_array_equal(mask, expected * 255)


def test_cli_predict_errors(tmp_path, capsys):
    assert main(["predict", "--run", str(tmp_path / "none"), "x.png"]) == 2
    assert "model.keras" in capsys.readouterr().err
    run = tmp_path / "run"
    run.mkdir()
    models.unet((None, None, 3), base_filters=2).save(run / "model.keras")
    assert main(["predict", "--run", str(run), str(tmp_path / "missing.png")]) == 2
    assert "not found" in capsys.readouterr().err


def test_cli_missing_folder_says_what_to_do(tmp_path, capsys):
    code = main(["train", "--data", f"folder:{tmp_path / 'nope'}", "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "images folder" in err and "not found" in err
    assert not (tmp_path / "o").exists()  # nothing written for a run that never started


def test_cli_predict_help_imports_no_keras():
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "course_utils", "predict", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert res.returncode == 0 and "--run" in res.stdout and "IMAGE" in res.stdout
    imported = [
        line.rsplit("|", 1)[-1].strip()
        for line in res.stderr.splitlines()
        if line.startswith("import time:")
    ]
    assert [m for m in imported if m.split(".")[0] in ("keras", "tensorflow", "jax")] == []


# ---- pictures -----------------------------------------------------------------------------------
def test_contour_overlay_outlines_touching_instances_separately():
    truth = np.zeros((8, 12), int)
    truth[2:6, 1:6], truth[2:6, 6:11] = 1, 2  # two touching objects
    rgb = viz.contour_overlay(np.zeros((8, 12)), truth=truth)
    cyan = (rgb == viz.CONTOUR_COLORS["truth"]).all(-1)
    assert cyan[3, 5] and cyan[3, 6]  # each side of the shared border is an outline
    assert not cyan[3, 3] and not cyan[0, 0]
    merged = viz.contour_overlay(np.zeros((8, 12)), prediction=truth > 0)
    yellow = (merged == viz.CONTOUR_COLORS["prediction"]).all(-1)
    assert not yellow[3, 5] and not yellow[3, 6]  # one object: no line between
    both = viz.contour_overlay(np.zeros((8, 12)), prediction=truth > 0, truth=truth)
    assert (both[2, 3] == viz.CONTOUR_COLORS["prediction"]).all()  # prediction drawn on top
    with pytest.raises(ValueError, match="height and width"):
        viz.contour_overlay(np.zeros((8, 12)), truth=truth[:4])


# ---- the elastic explorer -----------------------------------------------------------------------
def test_elastic_explorer_step_warps_image_and_mask_together():
    from course_utils.widgets import ElasticExplorer, elastic_step, nuclei_crop

    image, labels = nuclei_crop()
    still = elastic_step(image, labels, sigma=0, grid=3, seed=0)
    np.testing.assert_array_equal(still.data["labels"], labels)
    np.testing.assert_allclose(still.data["image"], image)
    f = elastic_step(image, labels, sigma=12, grid=4, seed=2)
    assert f.data["labels_kept"] and not np.array_equal(f.data["labels"], labels)
    # aligned: the warped image is bright where the warped mask says nucleus
    inside, outside = f.data["image"][f.data["labels"] > 0], f.data["image"][f.data["labels"] == 0]
    assert inside.mean() > 2 * outside.mean()
    # the same warp as data.elastic_deform with the same settings
    expect_img, expect_lab = data.elastic_deform(
        image, labels, sigma=12, grid=4, seed=2, flip=False, rotate=False
    )
    np.testing.assert_array_equal(f.data["labels"], expect_lab)
    np.testing.assert_allclose(f.data["image"], expect_img, atol=1e-6)
    ex = ElasticExplorer(sigma=10, grid=3, seed=0)
    assert sum(ex.frame.widths.values()) + 16 <= 880  # fits a notebook cell
    ex.set(flip_rotate=True, seed=5)
    assert "flip" in ex.info and ex.frame.data["labels_kept"]
    with pytest.raises(ValueError, match="sigma"):
        ElasticExplorer(sigma=30)

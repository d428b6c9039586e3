"""course_utils.training: profiles, atomic checkpoints, resume (also after SIGKILL), the CLI."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from course_utils import training as T
from course_utils.__main__ import main

TINY = {"image_size": 32, "base_filters": 4, "n_train": 32, "n_val": 16, "batch_size": 16}


def _rows(out):
    with open(Path(out) / "history.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_choose_profile():
    assert T.choose_profile("auto", device="cpu").name == "quick"
    assert T.choose_profile("auto", device="gpu").name == "full"
    full = T.choose_profile("full")
    assert (full.image_size, full.base_filters, full.batch_size) == (128, 64, 32)  # the seed's
    quick = T.choose_profile("quick")
    assert quick.image_size < full.image_size and quick.base_filters < full.base_filters
    with pytest.raises(ValueError, match="unknown profile"):
        T.choose_profile("huge")


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "model.keras"
    target.write_bytes(b"old complete file")

    def crash(tmp):
        Path(tmp).write_bytes(b"half a fi")
        raise KeyboardInterrupt("killed while saving")

    with pytest.raises(KeyboardInterrupt):
        T._atomic_write(target, crash)
    assert target.read_bytes() == b"old complete file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]  # no temp file left


def test_train_tiny_writes_checkpoint_csv_and_loads_safely(tmp_path):
    out = tmp_path / "run"
    res = T.train("quick", out_dir=out, epochs=2, verbose=0, **TINY)
    assert [int(r["epoch"]) for r in _rows(out)] == [1, 2]
    assert {"loss", "val_loss", "mean_iou", "val_mean_iou", "val_dice"} <= set(_rows(out)[0])
    for row in _rows(out):  # every column filled for every epoch (no shifted or missing values)
        assert all(v not in ("", "nan") for v in row.values()), row
    assert T.latest_checkpoint(out)[0] == 2
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["epoch_002.keras"]
    assert res.history["epoch"] == [1, 2] and res.epochs_run == 2
    assert set(res.metrics) == {"val_pixel_accuracy", "val_mean_iou", "val_mean_dice"}
    # the CSV's last val_mean_iou (Keras metric) equals the NumPy metric of the saved model
    np.testing.assert_allclose(res.history["val_mean_iou"][-1], res.metrics["val_mean_iou"],
                               rtol=1e-4)
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    assert model.count_params() == res.model.count_params()
    with pytest.raises(ValueError, match="already holds a training run"):
        T.train("quick", out_dir=out, epochs=2, verbose=0, **TINY)
    with pytest.raises(ValueError, match="different settings"):
        T.train("quick", out_dir=out, epochs=3, resume=True, verbose=0, **{**TINY, "n_train": 48})


def test_resume_drops_csv_rows_newer_than_checkpoint(tmp_path):
    """Killed after history.csv was written but before the checkpoint: that epoch is redone once."""
    out = tmp_path / "run"
    T.train("quick", out_dir=out, epochs=2, verbose=0, **TINY)
    with open(out / "history.csv", "a") as f:
        f.write("3" + ",999" * (len(_rows(out)[0]) - 1) + "\n")  # the orphan row of epoch 3
    res = T.train("quick", out_dir=out, epochs=3, resume=True, verbose=0, **TINY)
    rows = _rows(out)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["loss"]) != 999
    assert res.initial_epoch == 2 and res.epochs_run == 1


def test_overwrite_and_bad_arguments(tmp_path):
    out = tmp_path / "run"
    T.train("quick", out_dir=out, epochs=1, verbose=0, **TINY)
    T.train("quick", out_dir=out, epochs=1, overwrite=True, verbose=0, **TINY)
    assert [int(r["epoch"]) for r in _rows(out)] == [1]
    with pytest.raises(ValueError, match="image_size must be divisible by 4"):
        T.train("quick", out_dir=tmp_path / "x", verbose=0, **{**TINY, "image_size": 30})
    with pytest.raises(ValueError, match="unknown profile field"):
        T.train("quick", out_dir=tmp_path / "x", verbose=0, filters=3)
    with pytest.raises(ValueError, match="contradict"):
        T.train("quick", out_dir=out, resume=True, overwrite=True, verbose=0)
    with pytest.raises(ValueError, match="data must be"):
        T.train("quick", data="mnist", out_dir=tmp_path / "x", verbose=0)


# ---- command line -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv, message",
    [
        (["--profile", "huge"], "invalid choice: 'huge'"),
        (["--epochs", "0"], "expected a positive integer"),
        (["--epochs", "ten"], "expected a positive integer"),
        (["--data", "mnist"], "data must be 'shapes', 'photos' or 'pets:PATH'"),
        (["--seed", "-3"], "expected an integer >= 0"),
    ],
)
def test_cli_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", *argv])
    assert exc.value.code != 0
    assert message in capsys.readouterr().err


def test_cli_missing_pets_folder(tmp_path, capsys):
    code = main(["train", "--data", f"pets:{tmp_path / 'nope'}", "--out", str(tmp_path / "o"),
                 "--quiet"])
    assert code != 0
    err = capsys.readouterr().err
    assert "error:" in err and "robots.ox.ac.uk" in err


def test_cli_help_lists_options():
    r = subprocess.run([sys.executable, "-m", "course_utils", "train", "--help"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0
    for opt in ("--profile", "--data", "--epochs", "--out", "--resume"):
        assert opt in r.stdout


def test_cli_killed_mid_run_resumes_without_losing_epochs(tmp_path):
    """SIGKILL after the first checkpoint appears; --resume finishes with epochs 1..N exactly once."""
    out = tmp_path / "run"
    epochs = 6
    cmd = [sys.executable, "-m", "course_utils", "train", "--profile", "quick", "--epochs",
           str(epochs), "--n-train", "192", "--base-filters", "4", "--out", str(out)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while T.latest_checkpoint(out) is None and proc.poll() is None:
            assert time.monotonic() < deadline, "no checkpoint within 120 s"
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    done, _ = T.latest_checkpoint(out)
    assert 1 <= done < epochs
    assert not (out / "model.keras").exists()  # it really stopped mid-run
    r = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"resuming {out} after epoch {done}" in r.stdout
    rows = _rows(out)
    assert [int(row["epoch"]) for row in rows] == list(range(1, epochs + 1))
    assert T.latest_checkpoint(out)[0] == epochs
    assert not [p for p in out.rglob("*.tmp*")]  # no temp files left behind
    keras.saving.load_model(out / "model.keras", safe_mode=True)


# ---- exercise checkers of lesson 09 ----------------------------------------------------------
def test_check_steps_per_epoch():
    from course_utils.checks.training import check_steps_per_epoch

    assert check_steps_per_epoch(lambda n, b: -(-n // b))
    fb = check_steps_per_epoch(lambda n, b: n // b)
    assert not fb and "drops the last" in fb.message
    fb = check_steps_per_epoch(lambda n, b: n / b)
    assert not fb and "(an int)" in fb.message

    def todo(n, b):
        raise NotImplementedError

    assert "NotImplementedError" in check_steps_per_epoch(todo).message


def test_check_best_epoch():
    from course_utils.checks.training import check_best_epoch

    def right(h):
        v = h["val_mean_iou"]
        return h["epoch"][v.index(max(v))]

    assert check_best_epoch(right)
    fb = check_best_epoch(lambda h: h["val_mean_iou"].index(max(h["val_mean_iou"])))
    assert not fb and "0-based" in fb.message
    fb = check_best_epoch(lambda h: h["epoch"][h["mean_iou"].index(max(h["mean_iou"]))])
    assert not fb and "training" in fb.message
    fb = check_best_epoch(lambda h: max(h["val_mean_iou"]))
    assert not fb and "best value" in fb.message


def test_mixed_precision_model_outputs_float32_and_saves(tmp_path):
    """The GPU path: float16 layers, float32 probabilities; it trains a step and reloads safely."""
    from dataclasses import replace

    prof = replace(T.PROFILES["quick"], **TINY)
    model = T.build_model(prof, mixed_precision=True)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    assert model.get_layer("enc1_conv1").compute_dtype == "float16"
    x = np.random.default_rng(0).random((4, 32, 32, 3)).astype("float32")
    y = (x[..., 0] > 0.5).astype("uint8")
    model.fit(x, y, epochs=1, verbose=0)
    assert str(model.predict(x, verbose=0).dtype) == "float32"
    model.save(tmp_path / "m.keras")
    keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)

"""course_utils.training: profiles, atomic checkpoints, resume (also after SIGKILL), the CLI."""

import csv
import json
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
from course_utils._env import xla_cpu_threads

TINY = {
    "image_size": 32,
    "base_filters": 4,
    "n_train": 32,
    "n_val": 16,
    "n_test": 16,
    "batch_size": 16,
}


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
    assert set(res.test) == {
        "pixel_accuracy",
        "iou",
        "dice",
        "mean_iou",
        "mean_dice",
        "object_iou",
        "object_dice",
    }
    # validation chose the epoch: the model holds the weights of the best val_mean_iou epoch ...
    v = res.history["val_mean_iou"]
    assert res.best_epoch == res.history["epoch"][v.index(max(v))]
    # ... and its NumPy validation score is that epoch's Keras metric in the CSV
    (_, _), (x_va, y_va), (x_te, y_te) = T.load_data(res.profile, "shapes", 0)
    np.testing.assert_allclose(T.evaluate(res.model, x_va, y_va)["mean_iou"], max(v), rtol=1e-4)
    # the test score is of the same model on the test split
    assert T.evaluate(res.model, x_te, y_te) == res.test
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    assert model.count_params() == res.model.count_params()
    np.testing.assert_allclose(
        model.predict(x_te, verbose=0), res.model.predict(x_te, verbose=0), rtol=1e-5, atol=1e-6
    )
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
        (["--seed", "-3"], "expected an integer >= 0"),
    ],
)
def test_cli_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", *argv])
    assert exc.value.code != 0
    assert message in capsys.readouterr().err


def test_cli_bad_data_is_refused_before_any_work(tmp_path, capsys):
    code = main(["train", "--data", "mnist", "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 2
    assert "data must be 'shapes', 'photos', 'nuclei', 'pets:PATH'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_choices_are_the_training_modules_names():
    """The parser builds without Keras, so it keeps the names; they must stay training's."""
    from course_utils import __main__ as cli

    assert cli.PROFILE_CHOICES == ("auto", *T.PROFILES)
    assert cli.PRECISION_CHOICES == ("auto", *T.PRECISIONS)


def test_cli_missing_pets_folder(tmp_path, capsys):
    code = main(
        ["train", "--data", f"pets:{tmp_path / 'nope'}", "--out", str(tmp_path / "o"), "--quiet"]
    )
    assert code != 0
    err = capsys.readouterr().err
    assert "error:" in err and "robots.ox.ac.uk" in err


def test_cli_help_lists_options():
    r = subprocess.run(
        [sys.executable, "-m", "course_utils", "train", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0
    for opt in ("--profile", "--data", "--epochs", "--out", "--resume"):
        assert opt in r.stdout


def test_cli_killed_mid_run_resumes_without_losing_epochs(tmp_path):
    """SIGKILL after the first checkpoint appears; --resume finishes with epochs 1..N exactly once."""
    out = tmp_path / "run"
    epochs = 6
    cmd = [
        sys.executable,
        "-m",
        "course_utils",
        "train",
        "--profile",
        "quick",
        "--epochs",
        str(epochs),
        "--n-train",
        "192",
        "--base-filters",
        "4",
        "--out",
        str(out),
    ]
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


# ---- data splits and evaluation -------------------------------------------------------------
def test_load_data_three_independent_splits():
    from dataclasses import replace

    from course_utils.data import make_shapes

    prof = replace(T.PROFILES["quick"], **TINY)
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = T.load_data(prof, "shapes", seed=3)
    assert (len(x_tr), len(x_va), len(x_te)) == (32, 16, 16)
    np.testing.assert_array_equal(x_te, make_shapes(16, size=32, seed=2003)[0])  # a third seed
    for a, b in ((x_tr, x_va), (x_tr, x_te), (x_va, x_te)):  # no image shared between splits
        flat_a, flat_b = a.reshape(len(a), -1), b.reshape(len(b), -1)
        assert not (np.abs(flat_a[:, None, :] - flat_b[None, :, :]).max(-1) == 0).any()
    assert T.PROFILES["quick"].n_test > 0 and T.PROFILES["full"].n_test > 0


class _Fixed(keras.Model):
    """A "model" whose predict returns given probabilities (for evaluate)."""

    def __init__(self, probs):
        super().__init__()
        self.probs = probs

    def predict(self, x, batch_size=None, verbose=0):
        return self.probs


def test_evaluate_per_class_iou_names_the_object():
    y = np.zeros((1, 4, 4), "uint8")
    y[0, :2, :2] = 1  # 4 object pixels, 12 background
    pred = np.zeros_like(y)
    pred[0, :2, :1] = 1  # 2 of them found, no false positive
    probs = np.eye(2, dtype="float32")[pred]
    m = T.evaluate(_Fixed(probs), np.zeros((1, 4, 4, 3)), y)
    np.testing.assert_allclose(m["iou"], [12 / 14, 2 / 4])
    np.testing.assert_allclose(m["dice"], [24 / 26, 4 / 6])
    assert m["object_iou"] == m["iou"][1] and m["object_dice"] == m["dice"][1]
    np.testing.assert_allclose(m["mean_iou"], (12 / 14 + 0.5) / 2)
    np.testing.assert_allclose(m["pixel_accuracy"], 14 / 16)
    # all background: background IoU high, the object's 0 (the number that tells the truth)
    m0 = T.evaluate(_Fixed(np.eye(2, dtype="float32")[np.zeros_like(y)]), np.zeros((1, 4, 4, 3)), y)
    assert m0["object_iou"] == 0 and m0["iou"][0] == 0.75


# ---- precision --------------------------------------------------------------------------------
def test_choose_precision_by_device_and_compute_capability():
    assert T.choose_precision("cpu") == "float32"
    assert T.choose_precision("cpu", (9, 0)) == "float32"
    assert T.choose_precision("gpu", (7, 0)) == "mixed_float16"  # V100
    assert T.choose_precision("gpu", (7, 5)) == "mixed_float16"  # T4, RTX 20xx
    assert T.choose_precision("gpu", (8, 0)) == "mixed_bfloat16"  # A100
    assert T.choose_precision("gpu", (8, 6)) == "mixed_bfloat16"  # RTX 30xx
    assert T.choose_precision("gpu", (9, 0)) == "mixed_bfloat16"  # H100
    with pytest.raises(ValueError, match="device must be"):
        T.choose_precision("tpu")
    # on this machine: what the backend sees decides
    want = "float32" if T.detect_device() == "cpu" else T.choose_precision("gpu")
    assert T.choose_precision() == want


@pytest.mark.parametrize(
    "precision, compute, optimizer",
    [
        ("float32", "float32", "Adam"),
        ("mixed_float16", "float16", "LossScaleOptimizer"),
        ("mixed_bfloat16", "bfloat16", "Adam"),
    ],
)
def test_build_model_precision_policies(precision, compute, optimizer):
    from dataclasses import replace

    prof = replace(T.PROFILES["quick"], **TINY)
    model = T.build_model(prof, precision=precision)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    assert model.dtype_policy.name == precision  # the outer model carries it: compile sees it
    assert model.get_layer("enc1_conv1").compute_dtype == compute
    assert model.get_layer("enc1_conv1").variable_dtype == "float32"  # weights stay float32
    clf = model.get_layer("classifier")  # the softmax that feeds the loss runs in float32
    assert clf.compute_dtype == "float32" and clf.dtype_policy.name == "float32"
    assert type(model.optimizer).__name__ == optimizer
    if precision == "mixed_float16":
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(model.optimizer.inner_optimizer, keras.optimizers.Adam)
    with pytest.raises(ValueError, match="unknown precision"):
        T.build_model(prof, precision="float16")


def test_mixed_bfloat16_steps_lower_the_loss(tmp_path):
    """A few steps under mixed_bfloat16 on CPU: float32 probabilities, the loss goes down."""
    from dataclasses import replace

    keras.utils.set_random_seed(0)
    prof = replace(T.PROFILES["quick"], **TINY, learning_rate=3e-3)
    model = T.build_model(prof, precision="mixed_bfloat16", steps_per_execution=1)
    (x, y), _, _ = T.load_data(prof)
    x, y = x[:16], y[:16]
    before = float(model.evaluate(x, y, verbose=0)[0])
    model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    after = float(model.evaluate(x, y, verbose=0)[0])
    assert after < 0.9 * before, (before, after)
    assert str(model.predict(x[:2], verbose=0).dtype) == "float32"
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    # (Keras does not store the outer Functional model's policy; the layers keep theirs)
    assert again.get_layer("enc1_conv1").dtype_policy.name == "mixed_bfloat16"
    assert again.get_layer("classifier").compute_dtype == "float32"


def test_mixed_float16_trains_and_saves(tmp_path):
    from dataclasses import replace

    prof = replace(T.PROFILES["quick"], **TINY)
    model = T.build_model(prof, precision="mixed_float16")
    x = np.random.default_rng(0).random((4, 32, 32, 3)).astype("float32")
    y = (x[..., 0] > 0.5).astype("uint8")
    model.fit(x, y, epochs=1, verbose=0)
    assert str(model.predict(x, verbose=0).dtype) == "float32"
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(again.optimizer, keras.optimizers.LossScaleOptimizer)


def test_train_records_precision_and_resume_keeps_it(tmp_path):
    out = tmp_path / "run"
    res = T.train("quick", out_dir=out, epochs=1, verbose=0, precision="mixed_bfloat16", **TINY)
    assert res.precision == "mixed_bfloat16" and res.model.dtype_policy.name == "mixed_bfloat16"
    res = T.train("quick", out_dir=out, epochs=2, verbose=0, resume=True, **TINY)
    assert res.precision == "mixed_bfloat16"
    with pytest.raises(ValueError, match="unknown precision"):
        T.train("quick", out_dir=tmp_path / "x", verbose=0, precision="half", **TINY)


def test_doctor_reports_precision(capsys):
    from course_utils.diagnostics import doctor

    doctor()
    out = capsys.readouterr().out
    assert f"precision     {T.choose_precision()}" in out


# ---- several devices (each in a subprocess: device counts are fixed at backend start) ----------
_DIST_SCRIPT = r"""
import json, os, sys
backend = os.environ["KERAS_BACKEND"]
if backend == "tensorflow":
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
import numpy as np
from course_utils import training as T

tiny = dict(image_size=32, base_filters=4, n_train=128, n_val=32, n_test=32, batch_size=16)
out = sys.argv[1]
times = {}
for distribute in (False, True):  # epoch 2's time: after compilation, the steady state
    res = T.train("quick", out_dir=f"{out}/{distribute}", epochs=2, verbose=1,
                  distribute=distribute, **tiny)
    times[distribute] = res.history["seconds"][1]
replicas = []
for v in res.model.trainable_variables:
    val = v.value
    if backend == "jax":
        shards = [np.asarray(s.data) for s in val.addressable_shards]
    else:
        shards = [np.asarray(c) for c in getattr(val, "values", (val,))]
    replicas.append(len(shards))
    for s in shards[1:]:
        np.testing.assert_array_equal(s, shards[0])
print(json.dumps({"devices": res.devices, "replicas": sorted(set(replicas)),
                  "ratio": times[True] / times[False], "epochs": res.history["epoch"],
                  "object_iou": res.test["object_iou"]}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
def test_data_parallel_on_two_simulated_devices(backend, tmp_path):
    """Two short epochs data-parallel on 2 CPU devices: replicas hold identical weights."""
    if backend == "jax":
        pytest.importorskip("jax", reason="jax is in the [test] extra: pip install -e .[test]")
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONUNBUFFERED": "1",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "PJRT_NPROC": "4",  # XLA's CPU thread pool: 2 threads per simulated device
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    r = subprocess.run(
        [sys.executable, "-c", _DIST_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "data-parallel over 2 devices" in r.stdout
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["devices"] == 2 and result["replicas"] == [2], result
    assert result["epochs"] == [1, 2]
    print(
        f"{backend}: one epoch on 2 simulated CPU devices / on 1: time ratio "
        f"{result['ratio']:.2f} (the devices share this machine's cores: a check that it "
        "works, not a speed-up)"
    )


@pytest.mark.slow
def test_cli_distribute_on_two_simulated_devices_trains_the_quick_profile(tmp_path):
    """The command a student tries on a laptop (issue 22): JAX, 2 simulated CPU devices, the
    quick profile as it is.  On a machine with fewer than 4 cores the CLI gives XLA's CPU thread
    pool 2 threads per device (PJRT_NPROC) and trains the epoch; with one thread per core XLA
    aborted after 40 s on 2 cores ("Termination timeout for all reduce")."""
    pytest.importorskip("jax", reason="jax is in the [test] extra: pip install -e .[test]")
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "PYTHONUNBUFFERED": "1",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
    }
    env.pop("PJRT_NPROC", None)
    cmd = [sys.executable, "-m", "course_utils", "train", "--profile", "quick", "--epochs", "1"]
    r = subprocess.run(
        [*cmd, "--distribute", "--out", str(tmp_path / "RUN")],
        capture_output=True,
        text=True,
        env=env,
        timeout=400,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    if xla_cpu_threads({}) < 4:
        assert "2 simulated CPU devices: PJRT_NPROC=4" in r.stdout
    assert "data-parallel over 2 devices" in r.stdout
    assert "training quick: 64x64 input, base_filters 8, batch 8, 1 epochs on 512" in r.stdout
    assert [int(row["epoch"]) for row in _rows(tmp_path / "RUN")] == [1]
    print(next(line for line in r.stdout.splitlines() if line.startswith("epoch  1/1")))


def test_train_refuses_simulated_devices_with_too_few_threads(tmp_path):
    """From Python (XLA already started) the pool can no longer grow: a clear error, before any
    work, that says why and what to do."""
    pytest.importorskip("jax", reason="jax is in the [test] extra: pip install -e .[test]")
    code = (
        "import sys\n"
        "from course_utils import training as T\n"
        "try:\n"
        "    T.train('quick', epochs=1, out_dir=sys.argv[1], distribute=True)\n"
        "except ValueError as err:\n"
        "    print(err)\n"
    )
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "PJRT_NPROC": "2",  # one thread per device, as XLA sizes it on 2 cores
    }
    out = tmp_path / "RUN"
    r = subprocess.run(
        [sys.executable, "-c", code, str(out)], capture_output=True, text=True, env=env, timeout=300
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert (
        "data-parallel training on 2 simulated CPU devices (JAX) needs at least 4 threads in "
        "XLA's CPU thread pool; it has 2." in r.stdout
    )
    assert "start Python with PJRT_NPROC=4" in r.stdout
    assert not out.exists()  # refused before the run folder was made


def test_distribute_on_torch_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises(ValueError, match="not supported on the 'torch' backend"):
        T.train("quick", out_dir=tmp_path / "x", verbose=0, distribute=True, **TINY)
    assert not (tmp_path / "x").exists()


def test_cli_has_precision_and_distribute(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--precision", "float8"])
    assert "invalid choice: 'float8'" in capsys.readouterr().err
    r = subprocess.run(
        [sys.executable, "-m", "course_utils", "train", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "--distribute" in r.stdout and "mixed_bfloat16" in r.stdout


# ---- benchmarks/gpu_training.py ----------------------------------------------------------------
BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "gpu_training.py"


def _bench(*args, **env):
    env = {**os.environ, "PYTHONPATH": str(BENCH.parent.parent), **env}
    return subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, env=env, timeout=600
    )


def test_gpu_benchmark_without_gpu_says_so_and_exits_0():
    r = _bench(CUDA_VISIBLE_DEVICES="")  # hides any GPU
    assert r.returncode == 0, r.stderr[-2000:]
    assert "no GPU visible" in r.stdout and "img/s" not in r.stdout


@pytest.mark.slow
def test_gpu_benchmark_code_path_on_cpu():
    """--allow-cpu runs the same measurement on a tiny budget: two precisions, a ratio."""
    r = _bench(
        "--allow-cpu", "--profile", "quick", "--steps", "2", "--reps", "1", CUDA_VISIBLE_DEVICES=""
    )
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "float32" in r.stdout and "mixed_bfloat16" in r.stdout
    assert "ratio mixed_bfloat16 / float32:" in r.stdout

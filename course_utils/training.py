"""Training the U-Net: profiles, data splits, precision, devices, checkpoints, CSV history, resume.

Two named profiles:

========= ============ ============= ===== ==========================================
profile   input        base filters  batch meant for
========= ============ ============= ===== ==========================================
``quick`` 64x64x3      8             8     a laptop CPU (2 cores): under a minute
``full``  128x128x3    64 (seed)     32    a GPU: the seed note's network, 1,883,202 parameters
========= ============ ============= ===== ==========================================

``train()`` picks ``"full"`` when Keras sees a GPU and ``"quick"`` otherwise (``profile=`` overrides).

:func:`train` is the ``model.compile`` + ``model.fit`` that lesson 09 shows in the open, plus a run
folder, resume, a precision and, optionally, several devices. Its steps are separate functions:
:func:`load_data` (train / validation / test), :func:`build_model` (U-Net + ``compile``),
:func:`make_callbacks`, ``fit``, :func:`evaluate` (on the **test** split, which nothing is chosen
on: validation picks the epoch) and the run folder.

Labels are **sparse** (an integer class per pixel, ``(N, H, W)``) with
``sparse_categorical_crossentropy``.  The seed note one-hot encodes its masks and uses
``categorical_crossentropy``: the loss value is the same, but one-hot masks cost ``C`` floats per
pixel instead of one byte and must be converted first.

A run folder ``out_dir`` holds::

    run.json                    the settings (a resumed run must use the same ones)
    history.csv                 one row per finished epoch (rewritten atomically each epoch)
    checkpoints/epoch_007.keras the last finished epoch: model + optimizer state (atomic)
    model.keras                 the final model: the weights of the epoch validation chose

Every file is written to a temporary file in the same folder and moved into place with
``os.replace``: a run killed at any moment leaves either the old or the new file, never half a
file.  ``history.csv`` is written *before* the checkpoint of the same epoch; on resume the
checkpoint decides where to continue and any newer CSV row is dropped, so no epoch is lost or
counted twice.

Precision: ``"float32"`` everywhere on a CPU; on a GPU :func:`choose_precision` picks
``"mixed_bfloat16"`` (compute capability >= 8.0: A100, H100, RTX 30xx and later) or
``"mixed_float16"`` (older GPUs, always with loss scaling).  Several devices: ``distribute=True``
trains data-parallel with Keras' own engines (``keras.distribution.DataParallel`` on JAX,
``tf.distribute.MirroredStrategy`` on TensorFlow).

Apart from that last engine, everything uses ``keras`` / ``keras.ops`` only, so it runs on the
TensorFlow, JAX or PyTorch backend (``KERAS_BACKEND=jax``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import keras
import numpy as np

from . import metrics as _metrics
from ._env import THREADS_PER_SIMULATED_DEVICE, xla_cpu_threads
from ._validate import check_choice, check_int
from .data import load_oxford_pets, make_shapes
from .models import unet
from .widgets.live import LivePlot

__all__ = [
    "Profile",
    "PROFILES",
    "PRECISIONS",
    "TrainResult",
    "detect_device",
    "gpu_compute_capability",
    "choose_precision",
    "choose_profile",
    "runs_dir",
    "load_data",
    "build_model",
    "AtomicCheckpoint",
    "EpochLog",
    "make_callbacks",
    "evaluate",
    "latest_checkpoint",
    "read_history",
    "train",
]

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@dataclass(frozen=True)
class Profile:
    """Everything that sets the size and length of a training run.

    ``batch_size`` is per device: data-parallel training on N devices uses N times as many
    images per step.
    """

    name: str
    image_size: int
    base_filters: int
    batch_size: int
    epochs: int
    n_train: int
    n_val: int
    learning_rate: float
    description: str = ""
    n_test: int = 256

    def describe(self) -> str:
        return (
            f"{self.name}: {self.image_size}x{self.image_size} input, base_filters "
            f"{self.base_filters}, batch {self.batch_size}, {self.epochs} epochs on "
            f"{self.n_train} images (validation {self.n_val}, test {self.n_test})"
        )


PROFILES: dict[str, Profile] = {
    "quick": Profile(
        "quick",
        64,
        8,
        8,
        4,
        512,
        128,
        5e-3,
        "CPU-sized: a 64x64 input and 8 base filters (about 250x fewer operations per image)",
        n_test=256,
    ),
    "full": Profile(
        "full",
        128,
        64,
        32,
        20,
        2000,
        256,
        1e-3,
        "the seed note's network: 128x128 input, 64 base filters, batch 32",
        n_test=512,
    ),
}


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    model: keras.Model  # holds the weights of best_epoch (validation chose it)
    history: dict[str, list[float]]  # every finished epoch of the run, resumed ones included
    test: dict  # :func:`evaluate` of ``model`` on the test split (nothing was chosen on it)
    profile: Profile
    out_dir: Path
    seconds: float  # wall time of the fit call(s) in this process
    epochs_run: int  # epochs trained in this call (0 if the run was already complete)
    initial_epoch: int = 0  # where this call started (> 0 after a resume)
    best_epoch: int = 0  # the epoch whose weights ``model`` holds (best val_mean_iou of this call)
    data: str = "shapes"
    precision: str = "float32"
    devices: int = 1  # devices the data-parallel run used (1 without distribute)

    def summary(self) -> str:
        """Two lines: where the run is and which epoch was kept; the test split's scores."""
        t = self.test
        per_class = "  ".join(f"class {c} {v:.4f}" for c, v in enumerate(t["iou"]))
        return (
            f"done: {len(self.history.get('epoch', []))} epochs in {_shown(self.out_dir)} "
            f"({self.seconds:.1f} s); kept epoch {self.best_epoch} (best validation mean IoU)\n"
            f"test split: object IoU {t['object_iou']:.4f}  object Dice {t['object_dice']:.4f}  "
            f"mean IoU {t['mean_iou']:.4f}  pixel accuracy {t['pixel_accuracy']:.4f}  "
            f"(IoU per class: {per_class}; class 0 is the background)"
        )


# --------------------------------------------------------------------------------------------
# device, precision, profile, folders
# --------------------------------------------------------------------------------------------
def detect_device() -> str:
    """``"gpu"`` if the Keras backend sees a GPU, else ``"cpu"``.

    Examples
    --------
    >>> detect_device() in ("cpu", "gpu")
    True
    """
    try:
        devices = keras.distribution.list_devices()
    except Exception:  # noqa: BLE001 - a backend without device listing: assume CPU
        return "cpu"
    return "gpu" if any(str(d).lower().startswith(("gpu", "cuda")) for d in devices) else "cpu"


def gpu_compute_capability() -> tuple[int, int] | None:
    """CUDA compute capability ``(major, minor)`` of the first GPU of the active backend, or ``None``.

    Asks whichever backend Keras runs on: TensorFlow's ``get_device_details``, the JAX device's
    ``compute_capability`` or ``torch.cuda.get_device_capability``. ``None`` when there is no GPU
    or the backend cannot tell (e.g. a non-CUDA GPU).

    Examples
    --------
    >>> cc = gpu_compute_capability()
    >>> cc is None or len(cc) == 2
    True
    """
    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            cc = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability")
            return (int(cc[0]), int(cc[1])) if cc else None
        if backend == "jax":
            import jax

            gpus = [d for d in jax.devices() if d.platform == "gpu"]
            major, minor = str(gpus[0].compute_capability).split(".")[:2]
            return int(major), int(minor)
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return tuple(int(v) for v in torch.cuda.get_device_capability(0))
    except Exception:  # noqa: BLE001 - no GPU, or a backend that cannot tell: unknown
        return None
    return None


def choose_precision(
    device: str | None = None, compute_capability: tuple[int, int] | None = None
) -> str:
    """The precision :func:`train` uses: float32 on a CPU, mixed bfloat16 or float16 on a GPU.

    bfloat16 keeps float32's exponent range (no loss scaling needed) and runs on the tensor cores
    of GPUs with compute capability >= 8.0 (A100, H100, RTX 30xx and later); older GPUs (T4, V100)
    get float16 with loss scaling. A GPU whose capability is unknown gets float16 (always correct
    thanks to loss scaling). ``device`` and ``compute_capability`` default to what the backend sees.

    Examples
    --------
    >>> choose_precision("cpu")
    'float32'
    >>> choose_precision("gpu", (7, 5)), choose_precision("gpu", (8, 0))
    ('mixed_float16', 'mixed_bfloat16')
    """
    device = device or detect_device()
    if device not in ("cpu", "gpu"):
        raise ValueError(f"device must be 'cpu' or 'gpu', got {device!r}.")
    if device == "cpu":
        return "float32"
    cc = compute_capability if compute_capability is not None else gpu_compute_capability()
    return "mixed_bfloat16" if cc is not None and tuple(cc) >= (8, 0) else "mixed_float16"


def choose_profile(profile: str | Profile = "auto", device: str | None = None) -> Profile:
    """``"auto"`` -> ``"full"`` on a GPU, ``"quick"`` on a CPU; a name or a Profile is returned as is.

    Examples
    --------
    >>> choose_profile("auto", device="cpu").name
    'quick'
    >>> choose_profile("full").base_filters
    64
    """
    if isinstance(profile, Profile):
        return profile
    if profile == "auto":
        return PROFILES["full" if (device or detect_device()) == "gpu" else "quick"]
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {['auto', *PROFILES]}.")
    return PROFILES[profile]


def runs_dir() -> Path:
    """Where lessons write runs: ``$COURSE_RUNS_DIR``, default ``./runs``."""
    return Path(os.environ.get("COURSE_RUNS_DIR", "runs"))


# --------------------------------------------------------------------------------------------
# step 1: data
# --------------------------------------------------------------------------------------------
def _parse_data(data: str) -> tuple[str, str | None]:
    if not isinstance(data, str):
        raise ValueError(f"data must be a string, got {type(data).__name__}.")
    if data in ("shapes", "photos"):
        return data, None
    if data.startswith("pets:") and len(data) > 5:
        return "pets", data[5:]
    raise ValueError(
        f"data must be 'shapes', 'photos' or 'pets:PATH' (PATH = your Oxford-IIIT Pet folder), "
        f"got {data!r}."
    )


def load_data(profile: Profile, data: str = "shapes", seed: int = 0):
    """Training, validation and test arrays for a profile.

    Three roles: the network trains on *train*; *validation* chooses (the epoch to keep, the
    settings); *test* is scored once at the end and chooses nothing, so its score is not biased by
    the choices.  ``"shapes"`` / ``"photos"``: ``make_shapes`` with three independent seeds,
    ``seed`` (train), ``seed + 1000`` (validation) and ``seed + 2000`` (test).  ``"pets:PATH"``:
    the Oxford-IIIT Pet folder at PATH, shuffled with ``seed``; validation and test take the last
    ``n_val`` and ``n_test`` images (each at most 10 %).

    Returns
    -------
    (x_train, y_train), (x_val, y_val), (x_test, y_test)
        images float32 ``(n, s, s, 3)``, masks uint8 ``(n, s, s)``.

    Examples
    --------
    >>> prof = replace(PROFILES["quick"], n_train=4, n_val=2, n_test=3, image_size=16)
    >>> [x.shape[0] for x, _ in load_data(prof)]
    [4, 2, 3]
    """
    kind, path = _parse_data(data)
    s = profile.image_size
    if kind in ("shapes", "photos"):
        source = "synthetic" if kind == "shapes" else "photos"
        return tuple(
            make_shapes(n, size=s, seed=seed + offset, source=source)
            for n, offset in ((profile.n_train, 0), (profile.n_val, 1000), (profile.n_test, 2000))
        )
    x, y = load_oxford_pets(path, size=s, limit=profile.n_train + profile.n_val + profile.n_test)
    if len(x) < 3:
        raise ValueError(f"need at least 3 images under {path}, found {len(x)}.")
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, min(profile.n_val, len(x) // 10))
    n_test = max(1, min(profile.n_test, len(x) // 10))
    tr, va, te = order[: -(n_val + n_test)], order[-(n_val + n_test) : -n_test], order[-n_test:]
    return (x[tr], y[tr]), (x[va], y[va]), (x[te], y[te])


# --------------------------------------------------------------------------------------------
# step 2: model and compile
# --------------------------------------------------------------------------------------------
def build_model(
    profile: Profile,
    num_classes: int = 2,
    precision: str = "float32",
    jit_compile: bool | str = False,
    steps_per_execution: int = 8,
) -> keras.Model:
    """The course U-Net for a profile, compiled as lesson 09 shows: Adam, sparse CE, accuracy, IoU, Dice.

    ``precision`` is a Keras dtype policy, see :data:`PRECISIONS`. Under ``"mixed_float16"`` and
    ``"mixed_bfloat16"`` the layers compute in 16 bits with float32 weights, the classifier's
    softmax computes in float32 (so the loss sees float32 probabilities), and the model itself
    carries the policy.  float16 comes with a ``LossScaleOptimizer``: the loss is multiplied by a
    large factor before the gradients are taken (and the gradients divided by it after), so small
    gradients do not underflow to zero in float16.  bfloat16 has float32's range and needs no
    scaling.  ``steps_per_execution`` runs that many training steps per call into the backend:
    the same updates, less Python overhead per step.

    Examples
    --------
    >>> tiny = replace(PROFILES["quick"], image_size=16, base_filters=2)
    >>> type(build_model(tiny, precision="mixed_float16").optimizer).__name__
    'LossScaleOptimizer'
    """
    check_choice("precision", precision, PRECISIONS)
    shape = (profile.image_size, profile.image_size, 3)
    model = unet(
        shape, num_classes=num_classes, base_filters=profile.base_filters, dtype_policy=precision
    )
    optimizer = keras.optimizers.Adam(learning_rate=profile.learning_rate)
    if precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
            _metrics.MeanIoUFromProbs(num_classes),
            _metrics.DiceFromProbs(num_classes),
        ],
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


# --------------------------------------------------------------------------------------------
# step 3: callbacks (and the files they write atomically)
# --------------------------------------------------------------------------------------------
def _atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)``, then move the temp file over ``path`` (same folder: atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.stem}-", suffix=".tmp" + path.suffix, dir=path.parent
    )
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _write_text(path: Path, text: str) -> None:
    def w(tmp):
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    _atomic_write(path, w)


_CKPT = re.compile(r"^epoch_(\d+)\.keras$")


def latest_checkpoint(out_dir) -> tuple[int, Path] | None:
    """``(epoch, path)`` of the newest finished-epoch checkpoint in ``out_dir``, or ``None``."""
    folder = Path(out_dir) / "checkpoints"
    found = []
    if folder.is_dir():
        for p in folder.iterdir():
            m = _CKPT.match(p.name)
            if m:
                found.append((int(m.group(1)), p))
    return max(found) if found else None


def read_history(out_dir, upto: int | None = None) -> dict[str, list[float]]:
    """``history.csv`` as a dict column -> list (``epoch`` is 1-based); rows after ``upto`` dropped."""
    path = Path(out_dir) / "history.csv"
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    if upto is not None:
        rows = [r for r in rows if int(r["epoch"]) <= upto]
    hist: dict[str, list[float]] = {}
    for r in rows:
        for k, v in r.items():
            hist.setdefault(k, []).append(int(v) if k == "epoch" else float(v))
    return hist


def _history_csv(hist: dict[str, list]) -> str:
    keys = ["epoch"] + [k for k in hist if k != "epoch"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(keys)
    for i in range(len(hist.get("epoch", []))):
        w.writerow([hist[k][i] if k == "epoch" else f"{hist[k][i]:.6g}" for k in keys])
    return buf.getvalue()


class AtomicCheckpoint(keras.callbacks.Callback):
    """After each epoch: rewrite ``history.csv``, then save ``checkpoints/epoch_NNN.keras``.

    Both writes are atomic (temp file + ``os.replace``); older epoch checkpoints are deleted after
    the new one is in place, so there is always at least one complete checkpoint.
    """

    def __init__(self, out_dir, history: dict | None = None):
        super().__init__()
        self.out_dir = Path(out_dir)
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self._t0 = None

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        done = epoch + 1  # Keras counts from 0; the files count finished epochs from 1
        row = {
            "epoch": done,
            **{k: float(v) for k, v in logs.items()},
            "seconds": time.perf_counter() - (self._t0 or time.perf_counter()),
        }
        n_before = len(self.history.get("epoch", []))
        for k, v in row.items():  # a metric new in this epoch gets nan for the earlier ones
            self.history.setdefault(k, [float("nan")] * n_before).append(v)
        _write_text(self.out_dir / "history.csv", _history_csv(self.history))
        ckpt = self.out_dir / "checkpoints" / f"epoch_{done:03d}.keras"
        _atomic_write(ckpt, lambda tmp: self.model.save(tmp))
        for p in ckpt.parent.iterdir():
            m = _CKPT.match(p.name)
            if m and int(m.group(1)) < done:
                p.unlink(missing_ok=True)


class EpochLog(keras.callbacks.Callback):
    """One readable line per epoch: ``epoch  3/8  loss 0.2104  val_mean_iou 0.8123  9.8 s``."""

    KEYS = ("loss", "mean_iou", "val_loss", "val_accuracy", "val_mean_iou")

    def __init__(self, epochs: int, stream=None):
        super().__init__()
        self.epochs, self.stream = epochs, stream
        self._t0 = None

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        parts = [f"{k} {float(logs[k]):.4f}" for k in self.KEYS if k in logs]
        dt = time.perf_counter() - (self._t0 or time.perf_counter())
        print(
            f"epoch {epoch + 1:>2}/{self.epochs}  " + "  ".join(parts) + f"  {dt:.1f} s",
            file=self.stream or sys.stdout,
            flush=True,
        )


def make_callbacks(
    out_dir,
    epochs: int,
    history: dict | None = None,
    verbose: int = 1,
    live_plot: bool = False,
    extra: list | None = None,
) -> list:
    """The callbacks :func:`train` passes to ``fit``.

    ``AtomicCheckpoint`` (history + checkpoint per epoch), Keras' ``EarlyStopping`` with
    ``restore_best_weights`` and a patience of ``epochs`` (it never stops early here: it lets
    validation choose the epoch whose weights the model keeps), ``EpochLog`` when ``verbose``,
    ``LivePlot`` when ``live_plot``, then ``extra``.
    """
    cbs = [
        AtomicCheckpoint(out_dir, history),
        keras.callbacks.EarlyStopping(
            monitor="val_mean_iou", mode="max", patience=epochs, restore_best_weights=True
        ),
    ]
    if verbose:
        cbs.append(EpochLog(epochs))
    if live_plot:
        cbs.append(LivePlot())
    return cbs + list(extra or [])


# --------------------------------------------------------------------------------------------
# step 5: evaluate (step 4 is model.fit itself, in train)
# --------------------------------------------------------------------------------------------
def evaluate(
    model: keras.Model, x: np.ndarray, y: np.ndarray, num_classes: int = 2, batch_size: int = 32
) -> dict:
    """Scores of ``model`` on ``(x, y)`` with the NumPy metrics of lesson 06.

    Returns
    -------
    dict
        ``pixel_accuracy``, ``iou`` and ``dice`` (per class, lists: class 0 is the background),
        ``mean_iou`` and ``mean_dice`` (over the classes, background included), and
        ``object_iou`` / ``object_dice``: the mean over the object classes 1.. only, the number
        that says whether the objects were found (for two classes: the shape's own IoU / Dice).

    Examples
    --------
    >>> m = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Dense(2, activation="softmax")])
    >>> sorted(evaluate(m, np.zeros((2, 4, 4, 1)), np.zeros((2, 4, 4), "uint8")))[:3]
    ['dice', 'iou', 'mean_dice']
    """
    pred = np.asarray(model.predict(x, batch_size=batch_size, verbose=0)).argmax(-1)
    iou = _metrics.iou(y, pred, num_classes)
    dice = _metrics.dice(y, pred, num_classes)
    objects = slice(1, None) if num_classes > 1 else slice(None)
    with _quiet_nanmean():
        obj_iou, obj_dice = float(np.nanmean(iou[objects])), float(np.nanmean(dice[objects]))
    return {
        "pixel_accuracy": _metrics.pixel_accuracy(y, pred),
        "iou": [float(v) for v in iou],
        "dice": [float(v) for v in dice],
        "mean_iou": _metrics.mean_iou(y, pred, num_classes),
        "mean_dice": _metrics.mean_dice(y, pred, num_classes),
        "object_iou": obj_iou,
        "object_dice": obj_dice,
    }


@contextlib.contextmanager
def _quiet_nanmean():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan slice: no object anywhere
        yield


# --------------------------------------------------------------------------------------------
# several devices: Keras' own engines
# --------------------------------------------------------------------------------------------
def _distribution(distribute: bool):
    """``(scope, devices, engine)``: inside ``scope`` models are built and trained data-parallel.

    Called before any work starts, so a set-up that cannot work is refused at once.  JAX:
    ``keras.distribution.DataParallel`` over all devices (each holds a replica of the weights and
    a slice of every batch; the gradients are averaged).  TensorFlow:
    ``tf.distribute.MirroredStrategy`` over all GPUs (or all CPUs when there is no GPU), the same
    idea.  PyTorch: not supported by Keras' distribution API, so a clear error.  Without
    ``distribute``: no scope, 1 device.
    """
    if not distribute:
        return contextlib.nullcontext(), 1, ""
    backend = keras.backend.backend()
    if backend == "jax":
        devices = keras.distribution.list_devices()
        _check_simulated_cpu_devices(devices)
        scope = keras.distribution.DataParallel(devices=devices).scope()
        return scope, len(devices), "JAX, keras.distribution.DataParallel"
    if backend == "tensorflow":
        import tensorflow as tf

        kind = "GPU" if tf.config.list_logical_devices("GPU") else "CPU"
        devices = [d.name for d in tf.config.list_logical_devices(kind)]
        scope = tf.distribute.MirroredStrategy(devices=devices).scope()
        return scope, len(devices), "TensorFlow, tf.distribute.MirroredStrategy"
    raise ValueError(
        f"distribute=True is not supported on the {backend!r} backend: Keras' data-parallel "
        "engines are keras.distribution (JAX) and tf.distribute (TensorFlow). Run with "
        "KERAS_BACKEND=jax or KERAS_BACKEND=tensorflow, or train without --distribute."
    )


def _check_simulated_cpu_devices(devices: list) -> None:
    """Refuse JAX data-parallel training on several CPU devices of one process (the simulated
    devices of ``--xla_force_host_platform_device_count``) when XLA's CPU thread pool has fewer
    than :data:`~course_utils._env.THREADS_PER_SIMULATED_DEVICE` threads per device: its
    all-reduce deadlocks then (measured on 2 cores at the quick profile)."""
    n = sum(str(d).lower().startswith("cpu") for d in devices)
    need, have = THREADS_PER_SIMULATED_DEVICE * n, xla_cpu_threads()
    if n < 2 or have >= need:
        return
    raise ValueError(
        f"data-parallel training on {n} simulated CPU devices (JAX) needs at least {need} threads "
        f"in XLA's CPU thread pool; it has {have}. Each device's step runs "
        "on a pool thread and waits in the all-reduce that averages the gradients until every "
        "device's step has joined it: with too few threads one never gets a thread and XLA ends "
        "the process after 40 s ('Termination timeout for all reduce'). XLA sizes the pool once, "
        f"when JAX starts, from PJRT_NPROC: start Python with PJRT_NPROC={need} (python -m "
        "course_utils train --distribute sets it itself). Simulated devices share this "
        "machine's cores: they show how data-parallel training works, they do not make it faster."
    )


# --------------------------------------------------------------------------------------------
# train = the steps above, plus the run folder and resume
# --------------------------------------------------------------------------------------------
def _shown(path) -> str:
    """``path`` relative to the working directory when it lies below it (shorter, and no user's
    home folder in a committed notebook), else as given."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _resolve_profile(profile, overrides: dict) -> Profile:
    """The profile with ``overrides`` applied, validated."""
    prof = choose_profile(profile)
    unknown = set(overrides) - set(Profile.__dataclass_fields__) - {"name", "description"}
    if unknown:
        raise ValueError(
            f"unknown profile field(s) {sorted(unknown)}; "
            f"have {sorted(Profile.__dataclass_fields__)}."
        )
    if overrides:
        prof = replace(prof, **overrides)
    for k in ("image_size", "base_filters", "batch_size", "epochs", "n_train", "n_val", "n_test"):
        check_int(k, getattr(prof, k))
    if prof.image_size % 4:
        raise ValueError(f"image_size must be divisible by 4, got {prof.image_size}.")
    return prof


def _prepare_run_folder(out: Path, settings: dict, resume: bool, overwrite: bool):
    """Check ``out`` against resume/overwrite, write ``run.json``; return the latest checkpoint."""
    ckpt = latest_checkpoint(out)
    existing = ckpt is not None or (out / "history.csv").exists()
    if existing and not resume:
        if not overwrite:
            raise ValueError(
                f"{out} already holds a training run. Pass resume=True (CLI: --resume) to continue "
                "it, overwrite=True to start again, or choose another output folder."
            )
        for name in ("checkpoints", "history.csv", "model.keras", "run.json"):
            p = out / name
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
        ckpt = None
    if resume and (out / "run.json").is_file():
        old = json.loads((out / "run.json").read_text(encoding="utf-8"))
        if old != settings:
            raise ValueError(
                f"cannot resume {out}: it was started with different settings ({old}); now "
                f"{settings}. Use the same profile/data/seed, or another output folder."
            )
    out.mkdir(parents=True, exist_ok=True)
    _write_text(out / "run.json", json.dumps(settings, indent=1, sort_keys=True))
    return ckpt if resume else None


def _resume_model(out: Path, ckpt, epochs: int, verbose: int):
    """Load the checkpoint ``(epoch, path)`` (safe mode) and the history up to it."""
    initial_epoch, path = ckpt
    model = keras.saving.load_model(path, safe_mode=True)
    history = read_history(out, upto=initial_epoch)
    if len(history.get("epoch", [])) != initial_epoch:
        raise ValueError(
            f"{out / 'history.csv'} has {len(history.get('epoch', []))} rows up to epoch "
            f"{initial_epoch}, expected {initial_epoch}; the run folder was edited by hand."
        )
    _write_text(out / "history.csv", _history_csv(history))  # drop rows past the checkpoint
    if verbose:
        print(f"resuming {_shown(out)} after epoch {initial_epoch} of {epochs}")
    return model, initial_epoch, history


def train(
    profile: str | Profile = "auto",
    data: str = "shapes",
    epochs: int | None = None,
    out_dir=None,
    resume: bool = False,
    overwrite: bool = False,
    seed: int = 0,
    verbose: int = 1,
    callbacks: list | None = None,
    precision: str = "auto",
    distribute: bool = False,
    live_plot: bool = False,
    **overrides,
) -> TrainResult:
    """Train the course U-Net: ``compile`` + ``fit`` as in lesson 09, plus run folder and resume.

    Parameters
    ----------
    profile : "auto", "quick", "full" or Profile
        ``"auto"``: ``"full"`` on a GPU, ``"quick"`` on a CPU.
    data : "shapes", "photos" or "pets:PATH"
        See :func:`load_data`.
    epochs : int, optional
        Total number of epochs of the run (a resumed run continues up to it); default from profile.
    out_dir : path, optional
        Run folder; default ``runs_dir() / profile.name``.
    resume : bool
        Continue from the newest checkpoint in ``out_dir`` (settings must match ``run.json``).
    overwrite : bool
        Delete an earlier run in ``out_dir`` first.  Without ``resume`` or ``overwrite`` an
        existing run is an error (nothing is silently lost).
    seed : int
        Seeds Keras (weights and the shuffled batch order) and the data.
    verbose : int
        0 silent, 1 one line per epoch.
    callbacks : list, optional
        Extra Keras callbacks.
    precision : "auto", "float32", "mixed_float16" or "mixed_bfloat16"
        ``"auto"``: :func:`choose_precision`.  A resumed run keeps its checkpoint's precision.
    distribute : bool
        Train data-parallel over all visible devices (JAX or TensorFlow backend); the global
        batch is ``batch_size`` x devices.
    live_plot : bool
        Redraw the loss / IoU curves after every epoch (in a notebook).
    **overrides
        Profile fields to change, e.g. ``n_train=256, base_filters=8`` (tests use tiny runs).

    Returns
    -------
    TrainResult
        ``model`` (weights of the epoch with the best validation mean IoU in this call), ``history``
        (all finished epochs), ``test`` (:func:`evaluate` on the test split), ``seconds``, ...
    """
    if resume and overwrite:
        raise ValueError("resume and overwrite contradict each other: pass only one of them.")
    prof = _resolve_profile(profile, overrides)
    epochs = prof.epochs if epochs is None else check_int("epochs", epochs)
    seed = check_int("seed", seed, 0)
    check_choice("precision", precision, ("auto", *PRECISIONS))
    kind, _ = _parse_data(data)
    scope, n_devices, engine = _distribution(distribute)  # refuses a set-up that cannot work
    out = Path(out_dir) if out_dir is not None else runs_dir() / prof.name
    settings = {"profile": asdict(prof) | {"epochs": None}, "data": data, "seed": seed}
    ckpt = _prepare_run_folder(out, settings, resume, overwrite)

    # 1. data
    keras.utils.set_random_seed(seed)
    gpu = detect_device() == "gpu"
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = load_data(prof, data, seed)
    num_classes = max(2, int(max(y_tr.max(), y_va.max())) + 1 if kind == "pets" else 2)
    precision = choose_precision() if precision == "auto" else precision

    if distribute and verbose:
        print(f"data-parallel over {n_devices} devices ({engine})")
    with scope:
        # 2. model and compile (or the checkpoint, which holds both)
        if ckpt is not None:
            model, initial_epoch, history = _resume_model(out, ckpt, epochs, verbose)
            # the layers keep their policy in the file (the outer model's is not stored)
            precision = next(la for la in model.layers if la.weights).dtype_policy.name
        else:
            # XLA (jit_compile) speeds up GPUs; on CPU it is slower than TensorFlow's own kernels.
            model = build_model(prof, num_classes, precision=precision, jit_compile=gpu)
            initial_epoch, history = 0, {}
        if distribute and keras.backend.backend() == "tensorflow":
            # Keras' TensorFlow loop of several steps per call fails under MirroredStrategy
            # ("You must feed a value for placeholder tensor"): one step per call there.
            model.steps_per_execution = 1
        # 3. callbacks, 4. fit
        cbs = make_callbacks(out, epochs, history, verbose, live_plot, callbacks)
        t0 = time.perf_counter()
        if initial_epoch < epochs:
            if verbose:
                print(
                    f"training {replace(prof, epochs=epochs).describe()} on {kind}, "
                    f"{'GPU' if gpu else 'CPU'}, {precision}"
                )
            model.fit(
                x_tr,
                y_tr,
                batch_size=prof.batch_size * n_devices,
                epochs=epochs,
                validation_data=(x_va, y_va),
                initial_epoch=initial_epoch,
                callbacks=cbs,
                shuffle=True,
                verbose=0,
            )
        seconds = time.perf_counter() - t0
    stopper = cbs[1]
    best_epoch = stopper.best_epoch + 1 if initial_epoch < epochs else epochs  # Keras: 0-based
    # 5. the run folder's final model: the chosen epoch; 6. the test score
    _atomic_write(out / "model.keras", lambda tmp: model.save(tmp))
    test = evaluate(model, x_te, y_te, num_classes, batch_size=prof.batch_size)
    return TrainResult(
        model=model,
        history=cbs[0].history,
        test=test,
        profile=prof,
        out_dir=out,
        seconds=seconds,
        epochs_run=max(0, epochs - initial_epoch),
        initial_epoch=initial_epoch,
        best_epoch=best_epoch,
        data=data,
        precision=precision,
        devices=n_devices,
    )

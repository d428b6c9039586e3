"""Training the U-Net: profiles, data, checkpoints written atomically, CSV history, resume.

Two named profiles:

========= ============ ============= ===== ==========================================
profile   input        base filters  batch meant for
========= ============ ============= ===== ==========================================
``quick`` 64x64x3      16            16    a laptop CPU (2 cores): about a minute
``full``  128x128x3    64 (seed)     32    a GPU: the seed note's network, 1,883,202 parameters
========= ============ ============= ===== ==========================================

``train()`` picks ``"full"`` when Keras sees a GPU and ``"quick"`` otherwise (``profile=`` overrides).

Labels are **sparse** (an integer class per pixel, ``(N, H, W)``) with
``sparse_categorical_crossentropy``.  The seed note one-hot encodes its masks and uses
``categorical_crossentropy``: the loss value is the same, but one-hot masks cost ``C`` floats per
pixel instead of one byte and must be converted first.

A run folder ``out_dir`` holds::

    run.json                    the settings (a resumed run must use the same ones)
    history.csv                 one row per finished epoch (rewritten atomically each epoch)
    checkpoints/epoch_007.keras the last finished epoch: model + optimizer state (atomic)
    model.keras                 the final model when training ends

Every file is written to a temporary file in the same folder and moved into place with
``os.replace``: a run killed at any moment leaves either the old or the new file, never half a
file.  ``history.csv`` is written *before* the checkpoint of the same epoch; on resume the
checkpoint decides where to continue and any newer CSV row is dropped, so no epoch is lost or
counted twice.

Everything uses ``keras`` / ``keras.ops`` only, so it runs on the TensorFlow, JAX or PyTorch
backend (``KERAS_BACKEND=jax``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import keras
import numpy as np

from . import metrics as _metrics
from ._validate import check_int
from .data import load_oxford_pets, make_shapes
from .models import unet

__all__ = [
    "Profile",
    "PROFILES",
    "TrainResult",
    "detect_device",
    "choose_profile",
    "runs_dir",
    "load_data",
    "build_model",
    "AtomicCheckpoint",
    "EpochLog",
    "StopAtQuality",
    "latest_checkpoint",
    "read_history",
    "train",
    "add_cli_arguments",
    "run_cli",
]


@dataclass(frozen=True)
class Profile:
    """Everything that sets the size and length of a training run."""

    name: str
    image_size: int
    base_filters: int
    batch_size: int
    epochs: int
    n_train: int
    n_val: int
    learning_rate: float
    description: str = ""

    def describe(self) -> str:
        return (f"{self.name}: {self.image_size}x{self.image_size} input, base_filters "
                f"{self.base_filters}, batch {self.batch_size}, {self.epochs} epochs on "
                f"{self.n_train} images (validation {self.n_val})")


PROFILES: dict[str, Profile] = {
    "quick": Profile("quick", 64, 16, 16, 6, 768, 128, 2e-3,
                     "CPU-sized: a 64x64 input and 16 base filters (about 63x fewer operations)"),
    "full": Profile("full", 128, 64, 32, 20, 2000, 256, 1e-3,
                    "the seed note's network: 128x128 input, 64 base filters, batch 32"),
}


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    model: keras.Model
    history: dict[str, list[float]]  # every finished epoch of the run, resumed ones included
    metrics: dict[str, float]  # NumPy metrics of the final model on the validation set
    profile: Profile
    out_dir: Path
    seconds: float  # wall time of the fit call(s) in this process
    epochs_run: int  # epochs trained in this call (0 if the run was already complete)
    initial_epoch: int = 0  # where this call started (> 0 after a resume)
    data: str = "shapes"
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# device, profile, folders
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
# data and model
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
    """Training and validation arrays for a profile.

    ``"shapes"`` / ``"photos"``: ``make_shapes`` with seed ``seed`` for training and the
    independent seed ``seed + 1000`` for validation (held out: never seen in training).
    ``"pets:PATH"``: the Oxford-IIIT Pet folder at PATH, shuffled with ``seed`` and split (the last
    ``n_val`` images, at most 10 %, for validation).

    Returns
    -------
    (x_train, y_train), (x_val, y_val)
        images float32 ``(n, s, s, 3)``, masks uint8 ``(n, s, s)``.
    """
    kind, path = _parse_data(data)
    s = profile.image_size
    if kind in ("shapes", "photos"):
        source = "synthetic" if kind == "shapes" else "photos"
        train = make_shapes(profile.n_train, size=s, seed=seed, source=source)
        val = make_shapes(profile.n_val, size=s, seed=seed + 1000, source=source)
        return train, val
    x, y = load_oxford_pets(path, size=s, limit=profile.n_train + profile.n_val)
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, min(profile.n_val, len(x) // 10))
    if len(x) < 2:
        raise ValueError(f"need at least 2 images under {path}, found {len(x)}.")
    tr, va = order[:-n_val], order[-n_val:]
    return (x[tr], y[tr]), (x[va], y[va])


def build_model(profile: Profile, num_classes: int = 2, mixed_precision: bool = False,
                jit_compile: bool | str = False, steps_per_execution: int = 8) -> keras.Model:
    """The course U-Net for a profile, compiled with sparse CE, Adam, pixel accuracy, IoU, Dice.

    With ``mixed_precision`` the layers compute in float16 and a float32 identity is appended so
    that the softmax probabilities reach the loss in float32.  ``steps_per_execution`` runs that
    many training steps per call into the backend: the same updates, less Python overhead per step
    (it pays for the IoU and Dice metrics, which the seed's recipe does not compute).
    """
    shape = (profile.image_size, profile.image_size, 3)
    if mixed_precision:
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy("mixed_float16")
        try:
            model = unet(shape, num_classes=num_classes, base_filters=profile.base_filters)
        finally:
            keras.config.set_dtype_policy(previous)
        out = keras.layers.Activation("linear", dtype="float32", name="probs_float32")(
            model.outputs[0])
        model = keras.Model(model.inputs, out, name="unet")
    else:
        model = unet(shape, num_classes=num_classes, base_filters=profile.base_filters)
    model.compile(
        optimizer=keras.optimizers.Adam(profile.learning_rate),
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
# files: atomic writes, history, checkpoints
# --------------------------------------------------------------------------------------------
def _atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)``, then move the temp file over ``path`` (same folder: atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp" + path.suffix,
                               dir=path.parent)
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
        row = {"epoch": done, **{k: float(v) for k, v in logs.items()},
               "seconds": time.perf_counter() - (self._t0 or time.perf_counter())}
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
        print(f"epoch {epoch + 1:>2}/{self.epochs}  " + "  ".join(parts) + f"  {dt:.1f} s",
              file=self.stream or sys.stdout, flush=True)


class StopAtQuality(keras.callbacks.Callback):
    """Stop when ``monitor`` reaches ``threshold`` or when ``time_limit`` seconds have passed.

    ``reached_at`` is the wall time (seconds since training began) of the first epoch whose
    ``monitor`` was >= ``threshold`` (``None`` if never).
    """

    def __init__(self, threshold: float = 0.9, monitor: str = "val_mean_iou",
                 time_limit: float | None = None):
        super().__init__()
        self.threshold, self.monitor, self.time_limit = threshold, monitor, time_limit
        self.reached_at = None
        self.reached_epoch = None
        self.elapsed = 0.0

    def on_train_begin(self, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.elapsed = time.perf_counter() - self._t0
        if (logs or {}).get(self.monitor, -np.inf) >= self.threshold:
            self.reached_at, self.reached_epoch = self.elapsed, epoch + 1
            self.model.stop_training = True
        elif self.time_limit is not None and self.elapsed >= self.time_limit:
            self.model.stop_training = True


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------
def _shown(path) -> str:
    """``path`` relative to the working directory when it lies below it (shorter, and no user's
    home folder in a committed notebook), else as given."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


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
    **overrides,
) -> TrainResult:
    """Train the course U-Net with checkpoints, CSV history and resume.

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
    **overrides
        Profile fields to change, e.g. ``n_train=256, base_filters=8`` (tests use tiny runs).

    Returns
    -------
    TrainResult
        ``model``, ``history`` (all finished epochs), ``metrics`` (NumPy pixel accuracy, mean IoU,
        mean Dice on the validation set), ``seconds`` and more.
    """
    if resume and overwrite:
        raise ValueError("resume and overwrite contradict each other: pass only one of them.")
    prof = choose_profile(profile)
    unknown = set(overrides) - set(Profile.__dataclass_fields__) - {"name", "description"}
    if unknown:
        raise ValueError(f"unknown profile field(s) {sorted(unknown)}; "
                         f"have {sorted(Profile.__dataclass_fields__)}.")
    if overrides:
        prof = replace(prof, **overrides)
    for k in ("image_size", "base_filters", "batch_size", "epochs", "n_train", "n_val"):
        check_int(k, getattr(prof, k))
    if prof.image_size % 4:
        raise ValueError(f"image_size must be divisible by 4, got {prof.image_size}.")
    epochs = prof.epochs if epochs is None else check_int("epochs", epochs)
    seed = check_int("seed", seed, 0)
    kind, _ = _parse_data(data)
    out = Path(out_dir) if out_dir is not None else runs_dir() / prof.name
    settings = {"profile": asdict(prof) | {"epochs": None}, "data": data, "seed": seed}

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

    keras.utils.set_random_seed(seed)
    gpu = detect_device() == "gpu"
    (x_tr, y_tr), (x_va, y_va) = load_data(prof, data, seed)
    num_classes = int(max(y_tr.max(), y_va.max())) + 1 if kind == "pets" else 2
    num_classes = max(num_classes, 2)

    initial_epoch = 0
    history: dict[str, list[float]] = {}
    if resume and ckpt is not None:
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
    else:
        # XLA (jit_compile) speeds up GPUs; on CPU it is slower than TensorFlow's own kernels.
        model = build_model(prof, num_classes, mixed_precision=gpu, jit_compile=gpu)

    saver = AtomicCheckpoint(out, history)
    cbs = [saver] + ([EpochLog(epochs)] if verbose else []) + list(callbacks or [])
    t0 = time.perf_counter()
    if initial_epoch < epochs:
        if verbose:
            print(f"training {replace(prof, epochs=epochs).describe()} on {kind}, "
                  f"{'GPU' if gpu else 'CPU'}")
        model.fit(x_tr, y_tr, batch_size=prof.batch_size, shuffle=True,
                  validation_data=(x_va, y_va), epochs=epochs,
                  initial_epoch=initial_epoch, callbacks=cbs, verbose=0)
    seconds = time.perf_counter() - t0
    _atomic_write(out / "model.keras", lambda tmp: model.save(tmp))

    probs = model.predict(x_va, batch_size=prof.batch_size, verbose=0)
    pred = probs.argmax(-1)
    final = {
        "val_pixel_accuracy": _metrics.pixel_accuracy(y_va, pred),
        "val_mean_iou": _metrics.mean_iou(y_va, pred, num_classes),
        "val_mean_dice": _metrics.mean_dice(y_va, pred, num_classes),
    }
    return TrainResult(model=model, history=saver.history, metrics=final, profile=prof,
                       out_dir=out, seconds=seconds, epochs_run=max(0, epochs - initial_epoch),
                       initial_epoch=initial_epoch, data=data)


# --------------------------------------------------------------------------------------------
# command line: python -m course_utils train ...
# --------------------------------------------------------------------------------------------
def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return v


def _non_negative(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return int(text)


def _data_arg(text: str) -> str:
    try:
        _parse_data(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def add_cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``train`` options to ``parser``."""
    parser.add_argument("--profile", choices=["auto", *PROFILES], default="auto",
                        help="quick: 64x64, 16 filters, for a CPU (about a minute); full: the "
                             "seed's 128x128 net with 64 filters, for a GPU; auto (default) "
                             "picks full when a GPU is visible")
    parser.add_argument("--data", type=_data_arg, default="shapes",
                        help="shapes (synthetic, default), photos (shapes cut from real photos) "
                             "or pets:PATH (your Oxford-IIIT Pet folder)")
    parser.add_argument("--epochs", type=_positive, default=None,
                        help="total epochs (default: the profile's)")
    parser.add_argument("--out", default=None,
                        help="run folder (default: $COURSE_RUNS_DIR/PROFILE or runs/PROFILE)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last finished epoch")
    parser.add_argument("--overwrite", action="store_true",
                        help="delete an earlier run in --out and start again")
    parser.add_argument("--seed", type=_non_negative, default=0, help="random seed (default 0)")
    parser.add_argument("--n-train", type=_positive, default=None, dest="n_train",
                        help="number of training images (default: the profile's)")
    parser.add_argument("--base-filters", type=_positive, default=None, dest="base_filters",
                        help="filters of the first level (default: the profile's)")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")


def run_cli(args: argparse.Namespace) -> int:
    """Run ``python -m course_utils train`` with parsed ``args``; returns the exit status."""
    overrides = {k: getattr(args, k) for k in ("n_train", "base_filters")
                 if getattr(args, k, None) is not None}
    try:
        res = train(profile=args.profile, data=args.data, epochs=args.epochs, out_dir=args.out,
                    resume=args.resume, overwrite=args.overwrite, seed=args.seed,
                    verbose=0 if args.quiet else 1, **overrides)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    m = res.metrics
    print(f"done: {len(res.history.get('epoch', []))} epochs in {_shown(res.out_dir)}  "
          f"val mean IoU {m['val_mean_iou']:.4f}  val Dice {m['val_mean_dice']:.4f}  "
          f"val pixel accuracy {m['val_pixel_accuracy']:.4f}  ({res.seconds:.1f} s)")
    return 0

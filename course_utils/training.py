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
from .data import (
    _resize_float,
    elastic_deform,
    extract_tiles,
    load_folder,
    load_nuclei,
    load_oxford_pets,
    make_shapes,
    nuclei_split,
    split_indices,
)
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
    "NUCLEI_PROFILE",
    "DATA_CHOICES",
    "load_data",
    "split_arrays",
    "nuclei_data",
    "AugmentedBatches",
    "build_model",
    "AtomicCheckpoint",
    "EpochLog",
    "make_callbacks",
    "evaluate",
    "latest_checkpoint",
    "read_history",
    "network_stride",
    "any_size_model",
    "predict_image",
    "predict_files",
    "instance_scores",
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

#: Lesson 10's recipe for the real nuclei image (``data="nuclei"``; ``profile="auto"`` picks it
#: there): 64x64 tiles, 8 base filters, batch 8, Adam at 3e-3, 40 epochs (18 s of fit on an idle
#: 2-core CPU, up to about 45 s on a loaded one), elastic deformation and the border weight map.
#: Measured on the held-out quadrant (TensorFlow seeds 0-2, JAX seed 0): object IoU 0.88-0.90,
#: instance F1 0.88-0.93; Otsu's threshold 0.81 and 0.79.  ``n_train`` / ``n_val`` / ``n_test``
#: are the numbers of tiles and quadrants the split gives (129, 8, 1), for the description only.
NUCLEI_PROFILE = Profile(
    "nuclei",
    64,
    8,
    8,
    40,
    129,
    8,
    3e-3,
    "lesson 10's real cells on a CPU: 64x64 tiles, 8 base filters, elastic deformation and the "
    "border weight map",
    n_test=1,
)


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
        """Where the run is and which epoch was kept; the test split's scores (for the nuclei
        also objects found and matched, beside Otsu's threshold)."""
        t = self.test
        per_class = "  ".join(f"class {c} {v:.4f}" for c, v in enumerate(t["iou"]))
        lines = [
            f"done: {len(self.history.get('epoch', []))} epochs in {_shown(self.out_dir)} "
            f"({self.seconds:.1f} s); kept epoch {self.best_epoch} (best validation mean IoU)",
            f"test split: object IoU {t['object_iou']:.4f}  object Dice {t['object_dice']:.4f}  "
            f"mean IoU {t['mean_iou']:.4f}  pixel accuracy {t['pixel_accuracy']:.4f}  "
            f"(IoU per class: {per_class}; class 0 is the background)",
        ]
        for name, key in (("U-Net", "instances"), ("Otsu ", "otsu")):
            if key in t:
                r = t[key]
                lines.append(
                    f"{name} on the held-out quadrant: object IoU {r['iou']:.4f}  Dice "
                    f"{r['dice']:.4f}  {r['components']} objects ({r['true_components']} true)  "
                    f"matched {r['tp']}, false {r['fp']}, missed {r['fn']}  instance F1 {r['f1']:.4f}"
                )
        if "otsu" in t:
            lines.append("(both after dropping specks under 10 pixels; objects match at IoU > 0.5)")
        return "\n".join(lines)


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
#: what ``data=`` accepts as a string (``PATH``: a folder of yours)
DATA_CHOICES = ("shapes", "photos", "nuclei", "pets:PATH", "folder:PATH")


def _parse_data(data) -> tuple[str, object]:
    """``(kind, detail)``: a named source and its PATH, or ``"arrays"`` and the arrays."""
    if isinstance(data, (tuple, list)):
        return "arrays", _check_arrays(data)
    if not isinstance(data, str):
        raise ValueError(
            f"data must be a string ({', '.join(DATA_CHOICES)}) or arrays (images, masks), got "
            f"{type(data).__name__}."
        )
    if data in ("shapes", "photos", "nuclei"):
        return data, None
    for kind in ("pets", "folder"):
        if data.startswith(f"{kind}:") and len(data) > len(kind) + 1:
            return kind, data[len(kind) + 1 :]
    raise ValueError(
        "data must be 'shapes', 'photos', 'nuclei', 'pets:PATH' (PATH = your Oxford-IIIT Pet "
        "folder) or 'folder:PATH' (PATH/images and PATH/masks: your own images), or arrays "
        f"(images, masks); got {data!r}."
    )


def _check_pair(name: str, pair) -> tuple[np.ndarray, np.ndarray]:
    """``(images (n, h, w, c) float32, masks (n, h, w) uint8)`` from a user's pair, checked."""
    try:
        x, y = pair
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (images, masks), got {type(pair).__name__}."
        ) from None
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 3:  # gray images (n, h, w): one channel
        x = x[..., None]
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(
            f"{name}: images must be (n, height, width, channels) with n >= 1, got shape {x.shape}."
        )
    if y.shape != x.shape[:3]:
        raise ValueError(
            f"{name}: masks must be (n, height, width) = {x.shape[:3]}, one label per pixel; got "
            f"{y.shape}. For one-hot masks pass masks.argmax(-1)."
        )
    if not (np.issubdtype(y.dtype, np.integer) or y.dtype == bool) or (y.size and y.min() < 0):
        raise ValueError(
            f"{name}: masks must hold class indices 0, 1, ... (integers), got dtype {y.dtype}"
            + (f" with minimum {y.min()}" if y.size and np.issubdtype(y.dtype, np.number) else "")
            + "; e.g. (mask > 0).astype('uint8') for 0/255 masks."
        )
    if y.max() > 255:
        raise ValueError(f"{name}: masks hold class {int(y.max())}; at most 256 classes (0..255).")
    if x.shape[1] % 4 or x.shape[2] % 4:
        raise ValueError(
            f"{name}: image height and width must be divisible by 4 (the U-Net pools twice), got "
            f"{x.shape[1]}x{x.shape[2]}; crop or resize them, e.g. to "
            f"{x.shape[1] - x.shape[1] % 4}x{x.shape[2] - x.shape[2] % 4}."
        )
    if not np.isfinite(x).all():
        raise ValueError(f"{name}: images contain NaN or infinite values.")
    return x.astype(np.float32), y.astype(np.uint8)


def _check_arrays(data) -> tuple:
    """``(images, masks)`` -> one checked pair; three pairs (train, val, test) -> three."""
    if len(data) == 3:
        pairs = tuple(
            _check_pair(f"data[{i}] ({role})", pair)
            for i, (role, pair) in enumerate(
                zip(("train", "validation", "test"), data, strict=True)
            )
        )
        shapes = {x.shape[1:] for x, _ in pairs}
        if len(shapes) > 1:
            raise ValueError(
                f"train, validation and test images must share (height, width, channels), got "
                f"{sorted(shapes)}."
            )
        return pairs
    if len(data) == 2:
        return (_check_pair("data", data),)
    raise ValueError(
        f"data as arrays must be (images, masks) or three such pairs (train, validation, test), "
        f"got a sequence of {len(data)}."
    )


def _fingerprint(pairs: tuple) -> str:
    """A short hash of the arrays, recorded in ``run.json`` (a resumed run must get the same)."""
    import hashlib

    h = hashlib.sha1()
    for a in (a for pair in pairs for a in pair):
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def split_arrays(
    images,
    masks,
    seed: int = 0,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
):
    """Split images and masks into train / validation / test by a seeded shuffle.

    The order is ``numpy.random.default_rng(seed).permutation(n)``: the same seed gives the same
    split on every machine.  Validation and test get ``round(fraction * n)`` images each, at least
    1; training keeps the rest (at least 1), so at least 3 images are needed.

    The split is by *image*: parts of one image never land in two sets.  If your images come in
    groups that resemble each other (one patient, one slide, one video), a random split still
    leaks between sets; split by group yourself and pass the three pairs to :func:`train`.

    Returns
    -------
    (x_train, y_train), (x_val, y_val), (x_test, y_test)

    Examples
    --------
    >>> x, y = np.zeros((20, 8, 8, 3), "float32"), np.zeros((20, 8, 8), "uint8")
    >>> [len(a) for a, _ in split_arrays(x, y)]
    [14, 3, 3]
    """
    x, y = np.asarray(images), np.asarray(masks)
    if len(x) != len(y):
        raise ValueError(f"got {len(x)} images but {len(y)} masks.")
    tr, va, te = split_indices(len(x), seed, val_fraction, test_fraction)
    return (x[tr], y[tr]), (x[va], y[va]), (x[te], y[te])


def nuclei_data(
    tile: int = 64, stride: int | None = None, w0: float = 10.0, sigma: float = 5.0
) -> dict:
    """Lesson 10's nuclei image ready to train on: tiles, their border weights, the held-out quadrant.

    The split is :func:`course_utils.data.nuclei_split`'s (by region: the bottom-right quadrant
    is never seen in training or validation).  The border weight map
    (:func:`course_utils.metrics.border_weight_map`, Ronneberger et al.'s eq. 2) is computed on
    the whole image's instance labels *before* cutting tiles, so cells cut by a tile's edge still
    see their neighbours.  Images are gray repeated into 3 channels (the course's U-Net and
    :func:`course_utils.data.load_folder` use RGB); masks are 0 background, 1 nucleus.

    Parameters
    ----------
    tile : int
        Tile side in pixels (divisible by 4).
    stride : int, optional
        Step between training tiles; default ``tile // 2`` (overlapping tiles).
    w0, sigma : float
        The weight map's parameters (the paper's 10 and 5 pixels).

    Returns
    -------
    dict
        ``"train"``: ``(x (n, t, t, 3) float32, y (n, t, t) uint8, w (n, t, t) float32)``;
        ``"val"``: the same for the validation tiles; ``"test"``: ``(x (1, 256, 256, 3), y (1, 256,
        256))``, the quadrant; ``"test_labels"``: its instance labels (256, 256); ``"split"``:
        the :func:`~course_utils.data.nuclei_split` dict.

    Examples
    --------
    >>> d = nuclei_data()
    >>> [a.shape for a in d["train"]]
    [(129, 64, 64, 3), (129, 64, 64), (129, 64, 64)]
    >>> d["test"][0].shape, int(d["test_labels"].max() > 0)
    ((1, 256, 256, 3), 1)
    """
    tile = check_int("tile", tile, 4)
    if tile % 4:
        raise ValueError(f"tile must be divisible by 4 (the U-Net pools twice), got {tile}.")
    stride = tile // 2 if stride is None else check_int("stride", stride)
    image, labels = load_nuclei()
    split = nuclei_split(image.shape, tile=tile, stride=stride)
    weights = _metrics.border_weight_map(labels, w0=w0, sigma=sigma)
    rgb = np.repeat(image[..., None], 3, axis=-1)
    fg = (labels > 0).astype(np.uint8)

    def cut(corners):
        return tuple(extract_tiles(a, corners, tile) for a in (rgb, fg, weights))

    q = split["test"]
    return {
        "train": cut(split["train"]),
        "val": cut(split["val"]),
        "test": (rgb[q][None], fg[q][None]),
        "test_labels": labels[q],
        "split": split,
    }


def load_data(profile: Profile, data="shapes", seed: int = 0, num_classes: int = 2):
    """Training, validation and test arrays for a profile.

    Three roles: the network trains on *train*; *validation* chooses (the epoch to keep, the
    settings); *test* is scored once at the end and chooses nothing, so its score is not biased by
    the choices.

    - ``"shapes"`` / ``"photos"``: ``make_shapes`` with three independent seeds, ``seed``
      (train), ``seed + 1000`` (validation) and ``seed + 2000`` (test).
    - ``"pets:PATH"``: the Oxford-IIIT Pet folder at PATH, shuffled with ``seed``; validation and
      test take the last ``n_val`` and ``n_test`` images (each at most 10 %).
    - ``"folder:PATH"``: your own images, ``PATH/images`` and ``PATH/masks`` read by
      :func:`course_utils.data.load_folder` (paired by file name, resized to the profile's
      ``image_size`` square, masks with ``num_classes`` classes), then :func:`split_arrays`:
      70 % train, 15 % validation, 15 % test by a shuffle seeded with ``seed``.
    - ``"nuclei"``: :func:`nuclei_data` with ``tile = image_size``: overlapping training tiles,
      validation tiles from their own region, the held-out quadrant whole as the test image.
    - arrays ``(images, masks)``: :func:`split_arrays` as for a folder; three pairs
      ``((x, y), (x, y), (x, y))``: used as train, validation and test as they are.

    Returns
    -------
    (x_train, y_train), (x_val, y_val), (x_test, y_test)
        images float32 ``(n, h, w, c)``, masks uint8 ``(n, h, w)``.

    Examples
    --------
    >>> prof = replace(PROFILES["quick"], n_train=4, n_val=2, n_test=3, image_size=16)
    >>> [x.shape[0] for x, _ in load_data(prof)]
    [4, 2, 3]
    """
    kind, detail = _parse_data(data)
    s = profile.image_size
    if kind in ("shapes", "photos"):
        source = "synthetic" if kind == "shapes" else "photos"
        return tuple(
            make_shapes(n, size=s, seed=seed + offset, source=source)
            for n, offset in ((profile.n_train, 0), (profile.n_val, 1000), (profile.n_test, 2000))
        )
    if kind == "nuclei":
        d = nuclei_data(tile=s)
        return d["train"][:2], d["val"][:2], d["test"]
    if kind == "arrays":
        return detail if len(detail) == 3 else split_arrays(*detail[0], seed=seed)
    if kind == "folder":
        root = Path(detail).expanduser()
        x, y = load_folder(root / "images", root / "masks", size=s, num_classes=num_classes)
        return split_arrays(x, y, seed=seed)
    x, y = load_oxford_pets(detail, size=s, limit=profile.n_train + profile.n_val + profile.n_test)
    if len(x) < 3:
        raise ValueError(f"need at least 3 images under {detail}, found {len(x)}.")
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = max(1, min(profile.n_val, len(x) // 10))
    n_test = max(1, min(profile.n_test, len(x) // 10))
    tr, va, te = order[: -(n_val + n_test)], order[-(n_val + n_test) : -n_test], order[-n_test:]
    return (x[tr], y[tr]), (x[va], y[va]), (x[te], y[te])


class AugmentedBatches(keras.utils.PyDataset):
    """Training batches with Ronneberger et al.'s augmentation, drawn anew every epoch.

    Every epoch the images are shuffled; each image of a batch is then warped by
    :func:`course_utils.data.elastic_deform` (a smooth random warp, a left-right flip with
    probability 1/2 and a rotation by a multiple of 90 degrees): the image by linear
    interpolation, its mask by nearest neighbour (labels stay labels), and its weight map, when
    given, *with the image* as an extra channel, so each weight stays on its pixel.

    Deterministic: the shuffle of epoch ``e`` comes from ``(seed, e)`` and the warp of image
    ``i`` in epoch ``e`` from ``(seed, e, i)``, so the same seed gives the same batches, and a run
    resumed at epoch ``e`` (``epoch=e``) sees what an uninterrupted run would have seen.  With
    ``augment=False`` the batches are the same images unwarped, in the same shuffled order: the
    like-for-like comparison without augmentation.

    Parameters
    ----------
    images : (n, h, w, c) float array
    masks : (n, h, w) integer array
    weights : (n, h, w) float array, optional
        Per-pixel loss weights (e.g. the border weight map); yielded as ``sample_weight``.
    batch_size, seed : int
    augment : bool
    sigma, grid : the warp's strength (pixels) and lattice size, see ``elastic_deform``.
    epoch : int
        The epoch the first batch belongs to (a resumed run's ``initial_epoch``).

    Examples
    --------
    >>> x, y = np.random.default_rng(0).random((5, 16, 16, 3)), np.zeros((5, 16, 16), "uint8")
    >>> batches = AugmentedBatches(x, y, batch_size=2)
    >>> len(batches), [a.shape for a in batches[2]]
    (3, [(1, 16, 16, 3), (1, 16, 16)])
    """

    def __init__(
        self,
        images,
        masks,
        weights=None,
        batch_size: int = 8,
        seed: int = 0,
        augment: bool = True,
        sigma: float = 10.0,
        grid: int = 3,
        epoch: int = 0,
    ):
        super().__init__()
        self.images, self.masks = _check_pair("images, masks", (images, masks))
        self.weights = None if weights is None else np.asarray(weights, np.float32)
        if self.weights is not None and self.weights.shape != self.masks.shape:
            raise ValueError(
                f"weights must have the masks' shape {self.masks.shape}, got {self.weights.shape}."
            )
        self.batch_size = check_int("batch_size", batch_size)
        self.seed = check_int("seed", seed, 0)
        self.augment, self.sigma, self.grid = bool(augment), sigma, grid
        self.epoch = check_int("epoch", epoch, 0)

    def __len__(self) -> int:
        return -(-len(self.images) // self.batch_size)

    def on_epoch_end(self) -> None:
        self.epoch += 1

    def __getitem__(self, index: int):
        order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.images))
        picked = order[index * self.batch_size : (index + 1) * self.batch_size]
        xs, ys, ws = [], [], []
        for i in picked:
            x, y = self.images[i], self.masks[i]
            w = None if self.weights is None else self.weights[i]
            if self.augment:
                stacked = x if w is None else np.concatenate([x, w[..., None]], axis=-1)
                s = int(np.random.default_rng([self.seed, self.epoch, int(i)]).integers(2**31))
                stacked, y = elastic_deform(stacked, y, sigma=self.sigma, grid=self.grid, seed=s)
                x, w = (stacked, None) if w is None else (stacked[..., :-1], stacked[..., -1])
            xs.append(x)
            ys.append(y)
            ws.append(w)
        batch = (np.stack(xs).astype(np.float32), np.stack(ys))
        return batch if self.weights is None else (*batch, np.stack(ws).astype(np.float32))


# --------------------------------------------------------------------------------------------
# step 2: model and compile
# --------------------------------------------------------------------------------------------
def build_model(
    profile: Profile,
    num_classes: int = 2,
    precision: str = "float32",
    jit_compile: bool | str = False,
    steps_per_execution: int = 8,
    input_shape: tuple | None = None,
) -> keras.Model:
    """The course U-Net for a profile, compiled as lesson 09 shows: Adam, sparse CE, accuracy, IoU, Dice.

    ``precision`` is a Keras dtype policy, see :data:`PRECISIONS`. Under ``"mixed_float16"`` and
    ``"mixed_bfloat16"`` the layers compute in 16 bits with float32 weights, the classifier's
    softmax computes in float32 (so the loss sees float32 probabilities), and the model itself
    carries the policy.  float16 comes with a ``LossScaleOptimizer``: the loss is multiplied by a
    scale before the gradients are taken (and the gradients divided by it after), so small
    gradients do not underflow to zero in float16; the scale is dynamic (a step whose gradients
    overflow is skipped and the scale halved; after a run of good steps it doubles).  bfloat16 has float32's range and needs no
    scaling.  ``steps_per_execution`` runs that many training steps per call into the backend:
    the same updates, less Python overhead per step.  ``input_shape`` ``(H, W, C)`` replaces the
    profile's ``(image_size, image_size, 3)`` (your own arrays' size).

    Examples
    --------
    >>> tiny = replace(PROFILES["quick"], image_size=16, base_filters=2)
    >>> type(build_model(tiny, precision="mixed_float16").optimizer).__name__
    'LossScaleOptimizer'
    """
    check_choice("precision", precision, PRECISIONS)
    shape = input_shape or (profile.image_size, profile.image_size, 3)
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

    Images of another size than the model's input (the nuclei quadrant for a model trained on
    tiles) go through :func:`predict_image`, one by one.
    """
    if _accepts(model, x.shape[1:3]):
        pred = np.asarray(model.predict(x, batch_size=batch_size, verbose=0)).argmax(-1)
    else:
        pred = np.stack([predict_image(model, image) for image in x])
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
# prediction on an image of any size; instance scores
# --------------------------------------------------------------------------------------------
_DOWNSAMPLING = ("MaxPooling2D", "AveragePooling2D", "Conv2D", "DepthwiseConv2D", "SeparableConv2D")


def network_stride(model: keras.Model) -> int:
    """How many input pixels one pixel of the network's coarsest map covers: the product of the
    strides of its pooling and strided convolution layers (2 x 2 = 4 for the course's U-Net).

    The U-Net halves the image twice and doubles it back twice, then joins each decoder map to
    the encoder map of the same size (skip connections): that only works when height and width
    divide by this number.

    Examples
    --------
    >>> from course_utils.models import unet
    >>> network_stride(unet((None, None, 3), base_filters=2))
    4
    """
    stride = 1
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # a model used as a layer: its own layers count
            stride *= network_stride(layer)
        elif type(layer).__name__ in _DOWNSAMPLING:
            stride *= max(int(v) for v in layer.strides)
    return stride


def _accepts(model: keras.Model, hw) -> bool:
    """Does ``model``'s input take images of height and width ``hw`` as they are?  (A model
    without a declared input, e.g. a subclassed one, is taken at its word.)"""
    try:
        want = tuple(model.input_shape[1:3])
    except (AttributeError, ValueError):
        return True
    return all(m is None or m == n for m, n in zip(want, hw, strict=True))


_TWINS: dict[int, tuple] = {}


def any_size_model(model: keras.Model) -> keras.Model:
    """``model`` itself if its input takes any height and width, else a twin that does.

    A model built for a fixed size (e.g. ``unet((64, 64, 3))``, as training on 64x64 tiles
    builds it) holds the same weights as one built for ``(None, None, 3)``: convolutions,
    pooling and upsampling do not depend on the image size.  The twin is
    ``keras.models.clone_model`` with a ``(None, None, C)`` input, and the model's current
    weights copied in (every call: the weights may have changed since).

    Examples
    --------
    >>> from course_utils.models import unet
    >>> any_size_model(unet((64, 64, 3), base_filters=2)).input_shape
    (None, None, None, 3)
    """
    if all(d is None for d in model.input_shape[1:3]):
        return model
    cached = _TWINS.get(id(model))
    if cached is None or cached[0]() is not model:
        import weakref

        image = keras.Input((None, None, model.input_shape[-1]), name=model.inputs[0].name)
        try:
            twin = keras.models.clone_model(model, input_tensors=image)
        except Exception as err:  # noqa: BLE001 - a layer that needs a fixed size
            raise ValueError(
                f"cannot rebuild {model.name!r} for images of any size ({err}); build it with "
                "height and width None, e.g. models.unet((None, None, 3)), and copy the weights."
            ) from err
        _TWINS[id(model)] = cached = (weakref.ref(model), twin)
    twin = cached[1]
    twin.set_weights(model.get_weights())
    return twin


def predict_image(model: keras.Model, image, size=None) -> np.ndarray:
    """The label map of one image of any height and width: ``(H, W)``, the image's own size.

    The U-Net needs a height and width divisible by :func:`network_stride` (4 for the course's:
    two 2x2 poolings, and the skip connections join maps of equal size), so:

    1. the image is padded by mirroring (``np.pad(mode="reflect")``: nuclei near the border get
       a plausible neighbourhood, not a black band) up to the next multiple of the stride, the
       same amount on both sides;
    2. the network predicts the padded image in one piece (a model built for a fixed size
       predicts through :func:`any_size_model`, its twin for any size);
    3. the probabilities are cropped back to the image's pixels and ``argmax`` gives the class.

    One piece needs memory for the whole image's feature maps (for the course's quick U-Net about
    200 bytes per pixel).  For images too large for that, Ronneberger et al.'s *overlap-tile*
    strategy predicts tiles whose borders overlap and keeps each tile's centre; this function
    does not.

    Parameters
    ----------
    model : keras.Model
        Input ``(N, h, w, C)``, output softmax ``(N, h, w, classes)``.
    image : array (H, W) or (H, W, C)
        Values as in training (the course's loaders give floats in [0, 1]).  A gray image is
        repeated into the model's channels.
    size : (height, width), optional
        Resize the image to this first (bilinear) and the labels back to ``(H, W)`` (nearest
        neighbour): for a model trained on images resized to ``size`` (a folder or the Pets), so
        that it sees objects at the scale it learned.

    Returns
    -------
    ndarray, uint8, (H, W): the class of each pixel.

    Examples
    --------
    >>> from course_utils.models import unet
    >>> predict_image(unet((None, None, 3), base_filters=2), np.zeros((37, 50))).shape
    (37, 50)
    """
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or min(img.shape) < 1:
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {np.shape(image)}.")
    channels = model.input_shape[-1]
    if img.shape[2] == 1 and channels != 1:
        img = np.repeat(img, channels, axis=2)
    if img.shape[2] != channels:
        raise ValueError(
            f"the model takes {channels} channel(s), the image has {img.shape[2]}; convert it "
            "(e.g. data.load_image gives RGB) before predicting."
        )
    if not np.isfinite(img).all():
        raise ValueError("image contains NaN or infinite values.")
    h, w = img.shape[:2]
    if size is not None:
        try:
            size = (check_int("size (height)", size[0]), check_int("size (width)", size[1]))
        except (TypeError, IndexError):
            raise ValueError(f"size must be (height, width), got {size!r}.") from None
        if size != (h, w):
            img = _resize_float(img, size)
    stride = network_stride(model)
    ih, iw = img.shape[:2]
    pads = [(p // 2, p - p // 2) for p in (-ih % stride, -iw % stride)]
    padded = np.pad(img, [*pads, (0, 0)], mode="reflect" if min(ih, iw) > 1 else "edge")
    net = model if _accepts(model, padded.shape[:2]) else any_size_model(model)
    # a direct call, not net.predict: predict compiles a graph per new image size (TensorFlow
    # warns after a few), a plain call just runs the layers on this one image
    probs = keras.ops.convert_to_numpy(net(padded[None], training=False))[0]
    labels = probs[pads[0][0] : pads[0][0] + ih, pads[1][0] : pads[1][0] + iw].argmax(-1)
    labels = labels.astype(np.uint8)
    if (ih, iw) != (h, w):
        from PIL import Image

        labels = np.asarray(Image.fromarray(labels).resize((w, h), Image.NEAREST))
    return labels


def predict_files(run_dir, images, out_dir=None):
    """Segment image files with a trained run; yield, per image, what was written.

    What ``python -m course_utils predict --run RUN IMAGE... --out DIR`` does.  The model is
    ``RUN/model.keras``, loaded with ``safe_mode=True``; ``RUN/run.json`` says whether training
    resized its images (a folder, the Pets, the shapes: then each image is resized the same way
    for the network and its labels back to the image's size) or not (the nuclei tiles, arrays).
    Each image is read with :func:`course_utils.data.load_image` (8-bit divided by 255, 16-bit
    and float scaled per image) and predicted with :func:`predict_image`.  Written to ``out_dir``
    (default ``RUN/predictions``):

    - ``STEM_mask.png``: the label map, the image's own height and width; with 2 classes 0 and
      255 (background, foreground: visible in any viewer, and read back by ``load_folder``),
      with more classes the class indices 0, 1, 2, ...
    - ``STEM_overlay.png``: the image with the predicted regions' outlines
      (:func:`course_utils.viz.contour_overlay`).

    Yields
    ------
    dict
        ``image``, ``mask``, ``overlay`` (paths), ``size`` ``(H, W)``, ``foreground`` (fraction
        of pixels not background).
    """
    from PIL import Image

    from .data import load_image
    from .viz import contour_overlay

    run = Path(run_dir).expanduser()
    model_path = run / "model.keras"
    if not model_path.is_file():
        raise FileNotFoundError(
            f"{model_path} not found: --run must be a folder that train finished "
            f"(python -m course_utils train --out {run}); an interrupted run has only "
            "checkpoints: finish it with --resume."
        )
    paths = [Path(p).expanduser() for p in images]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"image(s) not found: {', '.join(missing)}.")
    stems = [p.stem for p in paths]
    twice = sorted({s for s in stems if stems.count(s) > 1})
    if twice:
        raise ValueError(
            f"several images are named {twice[0]!r} (in different folders or formats); their "
            "masks would overwrite each other. Predict them in separate --out folders."
        )
    settings_file = run / "run.json"
    settings = json.loads(settings_file.read_text("utf-8")) if settings_file.is_file() else {}
    resize = settings.get("resize")
    model = keras.saving.load_model(model_path, safe_mode=True)
    out = Path(out_dir).expanduser() if out_dir is not None else run / "predictions"
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        image = load_image(path)
        labels = predict_image(model, image, size=resize)
        classes = model.output_shape[-1]
        mask = labels * np.uint8(255) if classes == 2 else labels
        written = {
            "mask": out / f"{path.stem}_mask.png",
            "overlay": out / f"{path.stem}_overlay.png",
        }
        Image.fromarray(mask.astype(np.uint8)).save(written["mask"])
        Image.fromarray(contour_overlay(image, prediction=labels)).save(written["overlay"])
        yield {
            "image": path,
            **written,
            "size": labels.shape,
            "foreground": float(np.mean(labels > 0)),
        }


def instance_scores(true_labels, foreground, min_size: int = 10) -> dict:
    """How well a foreground map finds *objects*: its connected components against the true ones.

    The foreground (a U-Net's ``argmax``, or ``image > otsu_threshold(image)``) becomes objects
    with :func:`course_utils.metrics.label_components` (4-connected, components smaller than
    ``min_size`` pixels dropped as specks); those objects are scored with
    :func:`course_utils.metrics.match_instances` (IoU > 0.5 pairs), and their union against the
    true foreground with IoU and Dice.  Use the same ``min_size`` for every method you compare.

    Returns
    -------
    dict
        ``iou``, ``dice`` (of the foreground after dropping specks), ``components`` (found),
        ``true_components``, ``tp``, ``fp``, ``fn``, ``f1``.

    Examples
    --------
    >>> t = np.zeros((6, 6), int); t[:2, :2] = 1; t[:2, 3:5] = 2
    >>> fg = t > 0; fg[:2, 2] = True  # the two objects merged into one
    >>> r = instance_scores(t, fg, min_size=1)
    >>> r["components"], r["true_components"], r["tp"], r["f1"]
    (1, 2, 0, 0.0)
    """
    truth = np.asarray(true_labels)
    objects = _metrics.label_components(foreground, min_size=min_size)
    if objects.shape != truth.shape:
        raise ValueError(
            f"true_labels {truth.shape} and foreground {objects.shape} must have the same shape."
        )
    matched = _metrics.match_instances(truth, objects)
    t, p = (truth > 0).astype(np.uint8), (objects > 0).astype(np.uint8)
    return {
        "iou": float(_metrics.iou(t, p, 2)[1]),
        "dice": float(_metrics.dice(t, p, 2)[1]),
        "components": matched["n_pred"],
        "true_components": matched["n_true"],
        **{k: matched[k] for k in ("tp", "fp", "fn", "f1")},
    }


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
    data="shapes",
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
    augment: bool | None = None,
    num_classes: int | None = None,
    **overrides,
) -> TrainResult:
    """Train the course U-Net: ``compile`` + ``fit`` as in lesson 09, plus run folder and resume.

    Parameters
    ----------
    profile : "auto", "quick", "full" or Profile
        ``"auto"``: ``"full"`` on a GPU, ``"quick"`` on a CPU; with ``data="nuclei"``:
        :data:`NUCLEI_PROFILE`.
    data : "shapes", "photos", "nuclei", "pets:PATH", "folder:PATH" or arrays
        See :func:`load_data`.  Arrays: ``(images, masks)`` (split 70/15/15 by a shuffle seeded
        with ``seed``) or ``((x_train, y_train), (x_val, y_val), (x_test, y_test))``; images
        ``(n, h, w, c)`` floats, masks ``(n, h, w)`` class indices; the network is built for
        their ``(h, w, c)``.  ``run.json`` records a hash of the arrays, so a resumed run must
        get the same ones.
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
    augment : bool, optional
        Warp every training image anew each epoch (:class:`AugmentedBatches`: elastic
        deformation, flips, 90-degree rotations).  Default: on for ``"nuclei"``, off otherwise.
        ``"nuclei"`` also weights the loss with the border weight map (``sample_weight``, in
        training and validation).
    num_classes : int, optional
        Classes of the network's output.  Default: 2, or more if the masks hold higher labels.
        A folder's masks are read with it (2: any non-zero value is foreground).
    **overrides
        Profile fields to change, e.g. ``n_train=256, base_filters=8`` (tests use tiny runs).

    Returns
    -------
    TrainResult
        ``model`` (weights of the epoch with the best validation mean IoU in this call), ``history``
        (all finished epochs), ``test`` (:func:`evaluate` on the test split; for ``"nuclei"`` also
        ``test["instances"]`` and, for comparison, ``test["otsu"]``: :func:`instance_scores` of
        the U-Net and of Otsu's threshold on the held-out quadrant), ``seconds``, ...
    """
    if resume and overwrite:
        raise ValueError("resume and overwrite contradict each other: pass only one of them.")
    kind, detail = _parse_data(data)
    if kind == "nuclei" and profile == "auto":
        profile = NUCLEI_PROFILE
    prof = _resolve_profile(profile, overrides)
    epochs = prof.epochs if epochs is None else check_int("epochs", epochs)
    seed = check_int("seed", seed, 0)
    check_choice("precision", precision, ("auto", *PRECISIONS))
    augment = kind == "nuclei" if augment is None else bool(augment)
    if num_classes is not None:
        num_classes = check_int("num_classes", num_classes, 2, 256)
    scope, n_devices, engine = _distribution(distribute)  # refuses a set-up that cannot work
    out = Path(out_dir) if out_dir is not None else runs_dir() / prof.name

    # 1. data (before the run folder is touched: a bad folder leaves nothing behind)
    keras.utils.set_random_seed(seed)
    gpu = detect_device() == "gpu"
    w_tr = w_va = None
    if kind == "nuclei":
        nuclei = nuclei_data(tile=prof.image_size)
        (x_tr, y_tr, w_tr), (x_va, y_va, w_va) = nuclei["train"], nuclei["val"]
        x_te, y_te = nuclei["test"]
    else:
        splits = load_data(prof, data, seed, num_classes=num_classes or 2)
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = splits
    found = 1 + int(max(y.max(initial=0) for y in (y_tr, y_va, y_te)))
    if num_classes is not None and found > num_classes:
        raise ValueError(
            f"the masks hold class {found - 1} but num_classes={num_classes}; pass "
            f"num_classes={found} (or more)."
        )
    num_classes = num_classes or max(2, found)
    shape = x_tr.shape[1:]
    label = f"arrays:{_fingerprint(splits)}" if kind == "arrays" else data
    settings = {
        "profile": asdict(prof) | {"epochs": None},
        "data": label,
        "seed": seed,
        "augment": augment,
        "num_classes": num_classes,
        "input_shape": list(shape),
        # images are resized to this before the network sees them (predict does the same)
        "resize": [prof.image_size] * 2 if kind in ("shapes", "photos", "pets", "folder") else None,
    }
    ckpt = _prepare_run_folder(out, settings, resume, overwrite)
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
            model = build_model(
                prof, num_classes, precision=precision, jit_compile=gpu, input_shape=shape
            )
            initial_epoch, history = 0, {}
        if distribute and keras.backend.backend() == "tensorflow":
            # Keras' TensorFlow loop of several steps per call fails under MirroredStrategy
            # ("You must feed a value for placeholder tensor"): one step per call there.
            model.steps_per_execution = 1
        # 3. callbacks, 4. fit
        cbs = make_callbacks(out, epochs, history, verbose, live_plot, callbacks)
        batch = prof.batch_size * n_devices
        if augment or w_tr is not None:  # batches warped (or only weighted) anew every epoch
            batches = AugmentedBatches(
                x_tr, y_tr, w_tr, batch_size=batch, seed=seed, augment=augment, epoch=initial_epoch
            )
            inputs = {"x": batches}
        else:
            inputs = {"x": x_tr, "y": y_tr, "batch_size": batch, "shuffle": True}
        t0 = time.perf_counter()
        if initial_epoch < epochs:
            if verbose:
                counts = {"n_train": len(x_tr), "n_val": len(x_va), "n_test": len(x_te)}
                what = replace(prof, epochs=epochs, **counts).describe()
                if shape[:2] != (prof.image_size,) * 2:
                    square = f"{prof.image_size}x{prof.image_size} input"
                    what = what.replace(square, f"{shape[0]}x{shape[1]} input", 1)
                extras = [
                    "elastic deformation" if augment else "",
                    "weight map" if w_tr is not None else "",
                ]
                extras = ", ".join(e for e in extras if e)
                print(
                    f"training {what} on {label.split(':')[0] if kind == 'arrays' else kind}"
                    f"{f' ({extras})' if extras else ''}, {'GPU' if gpu else 'CPU'}, {precision}"
                )
            model.fit(
                **inputs,
                epochs=epochs,
                validation_data=(x_va, y_va) if w_va is None else (x_va, y_va, w_va),
                initial_epoch=initial_epoch,
                callbacks=cbs,
                verbose=0,
            )
        seconds = time.perf_counter() - t0
    stopper = cbs[1]
    best_epoch = stopper.best_epoch + 1 if initial_epoch < epochs else epochs  # Keras: 0-based
    # 5. the run folder's final model: the chosen epoch; 6. the test score
    _atomic_write(out / "model.keras", lambda tmp: model.save(tmp))
    test = evaluate(model, x_te, y_te, num_classes, batch_size=prof.batch_size)
    if kind == "nuclei":
        quadrant = x_te[0, ..., 0]
        test["instances"] = instance_scores(nuclei["test_labels"], predict_image(model, quadrant))
        otsu = quadrant > _metrics.otsu_threshold(quadrant)
        test["otsu"] = instance_scores(nuclei["test_labels"], otsu)
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
        data=label,
        precision=precision,
        devices=n_devices,
    )

"""Small fixed-weight NumPy networks that the lessons take apart (no Keras, no training).

* Lesson 04: :func:`checkerboard_photo`, a photo average-pooled by ``s`` and upsampled back by a
  uniform ``k x k`` transposed convolution (uneven overlaps draw a checkerboard), and the
  lesson's two figures of it: :func:`plot_scatter_steps` (the stamps one by one) and
  :func:`plot_checkerboard` (overlap counts and the photo).
* Lesson 05: the skip-connection toy, with fixed weights so that the only difference between the
  two settings is the skip connection itself:

  - **encoder** (full resolution): one 3x3 convolution layer with five fixed filters + ReLU
    (a 3x3 blur and four one-sided Sobel edge detectors), :func:`encoder_features`;
  - **down path**: ``poolings`` times 2x2 max pooling of those five channels,
    :func:`encoder_pyramid`;
  - **bottleneck**: a fixed 3x3 average of each channel at the lowest resolution,
    :func:`bottleneck` (a wide view: after 3 poolings it spans 24x24 input pixels);
  - **up path**: upsampling by ``2 ** poolings`` (nearest or bilinear): the decoder map ``D``;
  - **decoder**: a 1x1 convolution (a per-pixel linear blend + bias) fitted by least squares to
    a target, :func:`skip_fit`.  It sees the 5 channels of ``D`` (no skip), the 5 channels of
    ``E`` (the encoder map alone), or ``concat(E, D)`` = 10 channels, exactly like the seed's
    U-Net.

  Two targets: the photo itself (:func:`skip_reconstruction`: a copy needs no context, so ``E``
  alone nearly suffices), and :func:`size_scene`'s "mark the big shapes" (``E``'s 3x3 view sees
  *that* a pixel is inside a shape but not *how big* the shape is; ``D`` knows the size but not
  the exact outline; only ``concat(E, D)`` gets both), compared by :func:`compare_skip_inputs`.

Functions that explorers call on every slider move are memoised (:mod:`course_utils._memo`):
given a read-only photo (``data.photo``) they compute once per photo.
"""

from __future__ import annotations

import numpy as np

from . import metrics, ops
from ._memo import memo
from ._validate import check_choice, check_int
from .data import SAMPLE_IMAGES, photo, to_gray

__all__ = [
    "ENCODER_KERNELS",
    "encoder_features",
    "encoder_pyramid",
    "edge_magnitude",
    "bottleneck",
    "decoder_map",
    "skip_fit",
    "skip_reconstruction",
    "size_scene",
    "compare_skip_inputs",
    "SKIP_INPUTS",
    "checkerboard_photo",
    "plot_scatter_steps",
    "plot_checkerboard",
]

#: name -> 3x3 kernel of the toy encoder layer (each followed by ReLU); the edges are
#: ``ops.SOBEL_X`` / 4 and its transpose, with both signs (ReLU keeps one side each)
ENCODER_KERNELS: dict[str, np.ndarray] = {
    "blur": np.full((3, 3), 1 / 9),
    "edge +x": ops.SOBEL_X / 4.0,
    "edge -x": -ops.SOBEL_X / 4.0,
    "edge +y": ops.SOBEL_X.T / 4.0,
    "edge -y": -ops.SOBEL_X.T / 4.0,
}
for _k in ENCODER_KERNELS.values():
    _k.setflags(write=False)


def _gray(image) -> np.ndarray:
    """A gray float64 version of an (H, W) or (H, W, 3) image (``data.to_gray``'s weights)."""
    return np.asarray(to_gray(image), dtype=np.float64)


@memo(maxsize=16)
def encoder_features(image) -> np.ndarray:
    """The toy encoder layer: five fixed 3x3 'same' convolutions + ReLU.

    Parameters
    ----------
    image : array (H, W) or (H, W, 3), float in [0, 1]

    Returns
    -------
    ndarray, shape (H, W, 5)
        Channels in the order of :data:`ENCODER_KERNELS`.

    Examples
    --------
    >>> encoder_features(np.zeros((8, 8))).shape
    (8, 8, 5)
    """
    img = _gray(image)
    return np.stack(
        [ops.relu(ops.conv2d(img, k, padding="same")) for k in ENCODER_KERNELS.values()], axis=-1
    )


@memo(maxsize=16)
def _pyramid(features, levels: int) -> tuple[np.ndarray, ...]:
    out = []
    x = np.asarray(features, dtype=np.float64)
    for _ in range(levels):
        x = ops.max_pool2d(x, 2)
        out.append(x)
    return tuple(out)


def encoder_pyramid(features, levels: int = 3) -> list[np.ndarray]:
    """The encoder map after 1, 2, ... ``levels`` 2x2 max poolings (what the down path computes).

    Examples
    --------
    >>> [p.shape for p in encoder_pyramid(np.zeros((16, 16, 5)), 2)]
    [(8, 8, 5), (4, 4, 5)]
    """
    return list(_pyramid(features, check_int("levels", levels)))


def edge_magnitude(image) -> np.ndarray:
    """Sobel gradient magnitude of a gray image (H, W), 'same' size; used for edge-map panels.

    Examples
    --------
    >>> step = np.zeros((6, 6)); step[:, 3:] = 1.0
    >>> float(edge_magnitude(step)[3, 0]), float(edge_magnitude(step)[3, 2])
    (0.0, 1.0)
    """
    p = np.pad(_gray(image), 1, mode="edge")  # replicate the border: no edge at the frame
    return np.hypot(ops.conv2d(p, ops.SOBEL_X), ops.conv2d(p, ops.SOBEL_X.T)) / 4.0


@memo(maxsize=8)
def _is_mask(a) -> bool:
    """Only 0s and 1s?  (Remembered for a read-only ``a``.)"""
    return bool(np.isin(a, (0.0, 1.0)).all())


@memo(maxsize=8)
def _float64(a) -> np.ndarray:
    """``a`` as float64, remembered for a read-only ``a`` (so results keyed on it are too)."""
    return np.asarray(a, dtype=np.float64)


#: the 3x3 average the bottleneck applies to each channel at the lowest resolution
CONTEXT_KERNEL = np.full((3, 3), 1 / 9)
CONTEXT_KERNEL.setflags(write=False)

#: what the 1x1 decoder may see: name -> description
SKIP_INPUTS: dict[str, str] = {
    "decoder": "D only (no skip)",
    "encoder": "E only (the skip alone)",
    "concat": "concat(E, D) (U-Net)",
}


def bottleneck(level) -> np.ndarray:
    """The toy bottleneck: a 3x3 average ('same') of every channel of the lowest level (H, W, C).

    After ``k`` poolings one of its pixels stands for ``2**k x 2**k`` input pixels, so its 3x3
    view spans ``3 * 2**k`` of them: the decoder map learns how much "shape" there is around a
    pixel, i.e. context, which no 3x3 view at full resolution has.

    Examples
    --------
    >>> ctx = bottleneck(np.ones((4, 4, 2)))
    >>> ctx.shape, np.round(ctx[:2, :2, 0], 3).tolist()  # the corner sees 4 of 9 ones
    ((4, 4, 2), [[0.444, 0.667], [0.667, 1.0]])
    """
    x = np.asarray(level, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"bottleneck expects a map (H, W, C), got shape {x.shape}.")
    return np.stack(
        [ops.conv2d(x[:, :, c], CONTEXT_KERNEL, padding="same") for c in range(x.shape[2])],
        axis=-1,
    )


@memo(maxsize=32)
def decoder_map(features, poolings: int, interpolation: str = "nearest") -> np.ndarray:
    """``D``: the encoder map pooled ``poolings`` times, through :func:`bottleneck`, upsampled back.

    Examples
    --------
    >>> decoder_map(np.zeros((16, 16, 5)), 2).shape
    (16, 16, 5)
    """
    poolings = check_int("poolings", poolings, 1, 5)
    check_choice("interpolation", interpolation, ("nearest", "bilinear"))
    level = encoder_pyramid(features, poolings)[-1]
    return ops.upsample2d(bottleneck(level), 2**poolings, interpolation)


def _check_round_trip(h: int, w: int, poolings: int) -> None:
    f = 2**poolings
    if h % f or w % f:
        raise ValueError(
            f"a {h}x{w} image does not survive {poolings} poolings: {h}x{w} is not divisible by "
            f"2**{poolings} = {f}, so the upsampled map would not match the encoder map. "
            f"Crop it to {h - h % f}x{w - w % f}."
        )


def skip_fit(
    image, target, poolings: int = 2, inputs: str = "concat", interpolation: str = "nearest"
) -> dict:
    """Run the toy network on ``image`` and fit its 1x1 decoder to ``target``.

    Parameters
    ----------
    image : array (H, W) or (H, W, 3), float in [0, 1]
        H and W must be divisible by ``2 ** poolings``.
    target : array (H, W)
        What the decoder must output: the gray image itself, or a 0/1 mask.
    poolings : int
        Number of 2x2 max poolings (1 to 5).
    inputs : "decoder", "encoder" or "concat"
        What the 1x1 convolution sees (:data:`SKIP_INPUTS`): ``D``, ``E`` or ``concat(E, D)``.
    interpolation : "nearest" or "bilinear"
        The upsampling rule (the seed's ``UpSampling2D`` uses "nearest").

    Returns
    -------
    dict
        ``out`` (H, W) the decoder's output clipped to [0, 1], ``up`` (H, W, 5) the decoder map
        ``D``, ``weights`` (1x1 conv weights, bias last), ``mae`` and ``psnr`` (dB) against the
        target, ``sizes`` (the spatial sizes along the way), ``channels`` (input channels of the
        1x1 conv); for a 0/1 target also ``iou`` (object class, :mod:`~course_utils.metrics`'
        convention: ``nan`` when neither map has an object) and ``accuracy`` of ``out > 0.5``.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((16, 16))
    >>> [skip_fit(img, img, 2, inputs)["channels"] for inputs in SKIP_INPUTS]
    [5, 5, 10]
    """
    check_choice("inputs", inputs, SKIP_INPUTS)
    return _skip_fits(image, target, poolings, interpolation, (inputs,))[inputs]


def _skip_fits(image, target, poolings, interpolation, names) -> dict:
    """:func:`skip_fit` for several ``inputs`` at once, from one least-squares design matrix
    ``[E, D, 1]`` (each fit solves its own block of the shared normal equations)."""
    poolings = check_int("poolings", poolings, 1, 5)
    img = _gray(image)
    tgt = _float64(target)
    if tgt.shape != img.shape:
        raise ValueError(f"target must have the image's shape {img.shape}, got {tgt.shape}.")
    h, w = img.shape
    _check_round_trip(h, w, poolings)
    enc = encoder_features(image)  # remembered per read-only photo, like the pyramid
    up = decoder_map(enc, poolings, interpolation)
    ce = enc.shape[-1]
    columns = {
        "decoder": list(range(ce, 2 * ce)),
        "encoder": list(range(ce)),
        "concat": list(range(2 * ce)),
    }
    # normal equations of the 1x1 conv on concat(E, D) + bias, fitted on every second pixel
    # in each direction (a quarter of the pixels: same answer to a few decimals, 4x faster)
    fit = np.concatenate([enc[::2, ::2], up[::2, ::2]], axis=-1).reshape(-1, 2 * ce)
    a = np.concatenate([fit, np.ones((len(fit), 1))], axis=1)
    gram, rhs = a.T @ a, a.T @ tgt[::2, ::2].ravel()
    is_mask = _is_mask(tgt)
    sizes = [h] + [h // 2**i for i in range(1, poolings + 1)] + [up.shape[0]]
    rows = {}
    for name in names:
        idx = columns[name] + [2 * ce]  # the chosen channels and the bias
        g = gram[np.ix_(idx, idx)]
        g[np.diag_indices_from(g)] += 1e-6 * (np.trace(g) / len(g))  # tiny ridge
        wts = np.linalg.solve(g, rhs[idx])
        out = np.full((h, w), wts[-1])
        if name != "decoder":
            out += enc @ wts[:ce]
        if name != "encoder":
            out += up @ wts[-1 - ce : -1]
        out = np.clip(out, 0.0, 1.0)
        err = out - tgt
        mse = float(np.mean(err**2))
        res = {
            "out": out,
            "up": up,
            "weights": wts,
            "mae": float(np.mean(np.abs(err))),
            "psnr": float(10 * np.log10(1.0 / max(mse, 1e-12))),
            "sizes": sizes,
            "channels": len(wts) - 1,
        }
        if is_mask:
            pred, truth = out > 0.5, tgt > 0.5
            res["iou"] = float(metrics.iou(truth, pred, 2)[1])  # nan if neither has an object
            res["accuracy"] = metrics.pixel_accuracy(truth, pred)
        rows[name] = res
    return rows


def skip_reconstruction(
    image, poolings: int = 2, skip: bool = True, interpolation: str = "nearest"
) -> dict:
    """:func:`skip_fit` with the photo as its own target: rebuild the gray image from ``D`` alone
    (``skip=False``) or from ``concat(E, D)`` (``skip=True``).

    Returns
    -------
    dict
        :func:`skip_fit`'s dict, with the output also under ``recon``.

    Examples
    --------
    >>> img = np.random.default_rng(0).random((16, 16))
    >>> r0 = skip_reconstruction(img, 2, skip=False)
    >>> r1 = skip_reconstruction(img, 2, skip=True)
    >>> r1["mae"] < r0["mae"], r1["channels"]
    (True, 10)
    """
    target = image if np.ndim(image) == 2 else _gray(image)
    res = skip_fit(image, target, poolings, "concat" if skip else "decoder", interpolation)
    res["recon"] = res["out"]
    return res


@memo(maxsize=4)
def size_scene(
    size: int = 256, seed: int = 0, big: int = 4, small: int = 40
) -> tuple[np.ndarray, np.ndarray]:
    """A scene where the target needs context: bright discs and squares of two sizes on a dark
    background, and the mask of the **big** ones.

    All shapes have the same brightness and both kinds come in both sizes, so nothing in a 3x3
    window tells a big shape from a small one: only a wider view (the decoder path) can.
    Big shapes have radius 20-28 px, small ones 5-8 px (a square's side matches the disc's area);
    shapes keep 6 px apart.  Deterministic per ``seed``.

    Returns
    -------
    image : ndarray (size, size), float64 in [0, 1]: shapes 0.85, background 0.15
    target : ndarray (size, size), float64: 1 on the big shapes, 0 elsewhere

    Examples
    --------
    >>> img, target = size_scene(64, big=1, small=3)
    >>> img.shape, sorted(np.unique(img).tolist()), sorted(np.unique(target).tolist())
    ((64, 64), [0.15, 0.85], [0.0, 1.0])
    """
    size = check_int("size", size, 64)
    big, small = check_int("big", big, 0), check_int("small", small, 0)
    rng = np.random.default_rng(check_int("seed", seed, 0))
    yy, xx = np.mgrid[:size, :size].astype(np.float64)
    img = np.full((size, size), 0.15)
    target = np.zeros((size, size))
    placed: list[tuple[float, float, float]] = []
    for is_big in [True] * big + [False] * small:
        r = rng.uniform(20, 28) if is_big else rng.uniform(5, 8)
        r = min(r, size / 4)
        for _ in range(500):  # try places until one keeps its distance from the others
            cy, cx = rng.uniform(r + 2, size - r - 2, 2)
            if all(np.hypot(cy - y, cx - x) > r + q + 6 for y, x, q in placed):
                break
        else:
            continue  # no room left: leave this shape out
        placed.append((cy, cx, r))
        if rng.random() < 0.5:
            inside = np.hypot(yy - cy, xx - cx) <= r
        else:
            half = r * np.sqrt(np.pi) / 2  # same area as the disc
            inside = (np.abs(yy - cy) <= half) & (np.abs(xx - cx) <= half)
        img[inside] = 0.85
        if is_big:
            target[inside] = 1.0
    return img, target


def compare_skip_inputs(image, target, poolings: int = 3, interpolation: str = "nearest") -> dict:
    """Fit the 1x1 decoder on ``D``, on ``E`` and on ``concat(E, D)``: one :func:`skip_fit` dict
    per entry of :data:`SKIP_INPUTS`.

    Examples
    --------
    >>> img, target = size_scene(64, big=1, small=3)
    >>> rows = compare_skip_inputs(img, target, 2)
    >>> list(rows), rows["concat"]["channels"]
    (['decoder', 'encoder', 'concat'], 10)
    """
    return _skip_fits(image, target, poolings, interpolation, tuple(SKIP_INPUTS))


@memo(maxsize=32)
def checkerboard_photo(image: str, kernel_size: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """A sample photo average-pooled by ``s``, then upsampled by a uniform transposed conv.

    The ``k x k`` kernel is all ones divided by the mean overlap ``k^2 / s^2``, so an even cover
    would keep the brightness everywhere (``padding="same"``: back to about the photo's size).

    Returns
    -------
    small : ndarray, the pooled photo
    photo : ndarray, the upsampled result

    Examples
    --------
    >>> small, up = checkerboard_photo("camera", 3, 2)
    >>> small.shape, up.shape
    ((128, 128), (256, 256))
    """
    check_choice("image", image, SAMPLE_IMAGES)
    k, s = check_int("kernel_size", kernel_size), check_int("stride", stride)
    img = photo(image, gray=True)
    small = ops.avg_pool2d(img, s) if s > 1 else np.asarray(img, dtype=np.float64)
    up = ops.conv2d_transpose(small, np.full((k, k), s * s / (k * k)), stride=s, padding="same")
    return small, up


# --------------------------------------------------------------------------------------------
# lesson 04's figures, beside its toy (matplotlib is imported when a figure is drawn)
# --------------------------------------------------------------------------------------------
def _numbers(ax, arr: np.ndarray, title: str, vmax: float, cmap: str = "viridis") -> None:
    ax.imshow(arr, cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
    for (r, c), v in np.ndenumerate(arr):
        ax.text(
            c,
            r,
            f"{v:.3g}",
            ha="center",
            va="center",
            fontsize=9,
            color="white" if v < 0.6 * vmax else "black",
        )
    ax.set_xticks(np.arange(-0.5, arr.shape[1], 1), minor=True)
    ax.set_yticks(np.arange(-0.5, arr.shape[0], 1), minor=True)
    ax.grid(which="minor", color="w", lw=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=10)


def plot_scatter_steps(x, kernel, stride: int = 2):
    """Figure: input, kernel, one panel per stamp ``x[i, j] * K`` at ``(s*i, s*j)``, and the sum.

    Examples
    --------
    >>> fig = plot_scatter_steps(np.ones((2, 2)), np.ones((3, 3)))
    >>> len(fig.axes)
    7
    """
    import matplotlib.pyplot as plt

    x = np.asarray(x, dtype=np.float64)
    k = np.asarray(kernel, dtype=np.float64)
    if x.ndim != 2 or x.size > 9:
        raise ValueError(f"x must be a small 2-D array (at most 9 pixels), got shape {x.shape}.")
    full = ops.conv2d_transpose(x, k, stride=stride, padding=0)
    vmax = float(full.max())
    n = x.size
    fig, axes = plt.subplots(
        1,
        n + 3,
        figsize=(1.9 * (n + 3), 2.3),
        gridspec_kw={"width_ratios": [1, 1] + [1.4] * (n + 1)},
    )
    _numbers(axes[0], x, "input x", float(x.max()))
    _numbers(axes[1], k, "kernel K", float(k.max()))
    for m, ax in enumerate(axes[2 : 2 + n]):
        i, j = divmod(m, x.shape[1])
        one = np.zeros_like(x)
        one[i, j] = x[i, j]
        stamp = ops.conv2d_transpose(one, k, stride=stride, padding=0)
        _numbers(ax, stamp, f"x[{i},{j}]·K at ({stride * i},{stride * j})", vmax)
    _numbers(axes[-1], full, "sum = output", vmax)
    fig.suptitle(
        f"transposed convolution, stride {stride}: every input pixel stamps a scaled "
        "kernel; overlaps add up",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def plot_checkerboard(pairs=((3, 2), (4, 2)), image: str = "camera"):
    """Figure: for each ``(k, s)`` the overlap-count map and the upsampled photo (a crop).

    Examples
    --------
    >>> fig = plot_checkerboard([(3, 2)])
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    pairs = list(pairs)
    if not pairs:
        raise ValueError("give at least one (kernel_size, stride) pair.")
    fig, axes = plt.subplots(2, len(pairs), figsize=(3.6 * len(pairs), 7.2), squeeze=False)
    for col, (k, s) in enumerate(pairs):
        counts, (lo, hi) = ops.overlap_map(k, s)
        _numbers(
            axes[0, col],
            counts,
            f"k={k}, s={s}: overlap count\ninterior min {lo}, max {hi}",
            float(counts.max()),
            cmap="magma",
        )
        for t in axes[0, col].texts:
            t.set_fontsize(6)
        up = checkerboard_photo(image, k, s)[1]
        axes[1, col].imshow(
            up[40:120, 96:176], cmap="gray", vmin=0, vmax=1, interpolation="nearest"
        )
        verdict = (
            "holes (k < s)" if lo == 0 else "uneven: checkerboard" if lo != hi else "even: clean"
        )
        axes[1, col].set_title(f"photo, {verdict}", fontsize=10)
        axes[1, col].axis("off")
    fig.tight_layout()
    return fig

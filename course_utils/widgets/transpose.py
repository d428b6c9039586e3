"""Lesson 04 (transposed convolution): ScatterExplorer, CheckerboardExplorer and static figures.

* :class:`ScatterExplorer` stamps a small input into the output one pixel at a time: every input
  pixel adds ``x[i, j] * K`` at ``(s*i, s*j)``; overlaps add up.
* :class:`CheckerboardExplorer` shows how evenly the stamps cover the output for a kernel size
  ``k`` and stride ``s`` (the overlap-count map of an all-ones input and kernel) and what that
  does to a photo: uneven coverage (``k % s != 0``) draws a checkerboard.
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as W
import numpy as np

from .. import ops
from ..data import SAMPLE_IMAGES, sample_image
from ..viz import to_png, to_rgb8
from ._base import Explorer, Frame

__all__ = [
    "SCATTER_KERNELS",
    "ScatterExplorer",
    "scatter_step",
    "CheckerboardExplorer",
    "checkerboard_step",
    "overlap_map",
    "plot_scatter_steps",
    "plot_checkerboard",
]

_tent3 = np.outer([1, 2, 1], [1, 2, 1]) / 4.0
_tent4 = np.outer([1, 3, 3, 1], [1, 3, 3, 1]) / 16.0

#: name -> kernel stamped by :class:`ScatterExplorer`
SCATTER_KERNELS: dict[str, np.ndarray] = {
    "ones 3x3": np.ones((3, 3)),
    "ones 2x2 (= nearest upsampling at stride 2)": np.ones((2, 2)),
    "tent 3x3": _tent3,
    "tent 4x4 (= bilinear upsampling at stride 2)": _tent4,
}

_RED = np.array([230, 30, 30], np.uint8)
_WHITE = np.array([255, 255, 255], np.uint8)


def _scatter_input(size: int) -> np.ndarray:
    """The explorer's fixed input: small whole numbers 1..4, the same for every session."""
    return np.random.default_rng(4).integers(1, 5, (size, size)).astype(np.float64)


def _outline(rgb: np.ndarray, r0: int, c0: int, r1: int, c1: int, cell: int, color) -> None:
    """Draw a 2-pixel frame in place around cells ``[r0, r1) x [c0, c1)`` of an enlarged image."""
    h, w = rgb.shape[:2]
    y0, y1 = max(r0 * cell, 0), min(r1 * cell, h)
    x0, x1 = max(c0 * cell, 0), min(c1 * cell, w)
    t = max(1, min(2, cell // 4))
    rgb[y0 : y0 + t, x0:x1] = color
    rgb[max(y1 - t, 0) : y1, x0:x1] = color
    rgb[y0:y1, x0 : x0 + t] = color
    rgb[y0:y1, max(x1 - t, 0) : x1] = color


def _grid(rgb: np.ndarray, cell: int) -> np.ndarray:
    """Thin dark lines between cells so the pixels of a small map can be counted."""
    if cell >= 6:
        rgb[::cell, :] = rgb[::cell, :] // 2
        rgb[:, ::cell] = rgb[:, ::cell] // 2
    return rgb


def _fmt(v: float) -> str:
    return str(int(round(v))) if abs(v - round(v)) < 1e-9 else f"{v:.2f}"


def scatter_step(x: np.ndarray, kernel: np.ndarray, stride: int, count: int) -> Frame:
    """Stamp the first ``count`` input pixels (row by row) into the output of a transposed conv.

    Parameters
    ----------
    x : array (H, W)
        The (small) input.
    kernel : array (kh, kw)
    stride : int >= 1
    count : int in ``0 .. H*W``
        How many pixels have been stamped; pixel number ``count - 1`` is highlighted.

    Returns
    -------
    Frame
        ``images``: ``"input"``, ``"kernel"``, ``"output"``; ``data["partial"]`` is the output
        so far, shape ``((H-1)*s + kh, (W-1)*s + kw)``, ``data["full"]`` the finished one.

    Examples
    --------
    >>> import numpy as np
    >>> f = scatter_step(np.ones((2, 2)), np.ones((3, 3)), 2, 1)
    >>> f.data["partial"].shape
    (5, 5)
    >>> float(f.data["partial"].sum()), float(f.data["full"].sum())
    (9.0, 36.0)
    """
    x = np.asarray(x, dtype=np.float64)
    k = np.asarray(kernel, dtype=np.float64)
    if x.ndim != 2 or k.ndim != 2:
        raise ValueError(f"x and kernel must be 2-D, got shapes {x.shape} and {k.shape}.")
    h, w = x.shape
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or not 0 <= count <= h * w:
        raise ValueError(f"count must be an integer in 0..{h * w} (pixels of a {h}x{w} input), "
                         f"got {count!r}.")
    s = int(stride)
    if s < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}.")
    done = (np.arange(h * w) < count).reshape(h, w)
    full = ops.conv2d_transpose(x, k, stride=s, padding=0)
    partial = ops.conv2d_transpose(np.where(done, x, 0.0), k, stride=s, padding=0)
    kh, kw = k.shape
    oh, ow = partial.shape

    top = max(float(full.max()), 1e-12)
    cell_in, cell_out, cell_k = max(1, 256 // max(h, w)), max(1, 256 // max(oh, ow)), 256 // max(kh, kw)
    rgb_in = to_rgb8(x, "viridis", (0.0, float(x.max()) or 1.0))
    rgb_in = np.where(done[:, :, None], rgb_in, (rgb_in * 0.3 + 0.7 * 255).astype(np.uint8))
    rgb_in = _grid(np.repeat(np.repeat(rgb_in, cell_in, axis=0), cell_in, axis=1), cell_in)
    rgb_out = _grid(to_rgb8(partial, "viridis", (0.0, top), scale=cell_out), cell_out)
    if count:
        i, j = divmod(count - 1, w)
        _outline(rgb_in, i, j, i + 1, j + 1, cell_in, _RED)
        _outline(rgb_out, s * i, s * j, s * i + kh, s * j + kw, cell_out, _RED)
        what = (f"stamp {count} of {h * w}: pixel ({i}, {j}) = {_fmt(x[i, j])} adds "
                f"{_fmt(x[i, j])} &times; K to output rows {s * i}..{s * i + kh - 1}, "
                f"columns {s * j}..{s * j + kw - 1} (red frame)")
    else:
        i = j = -1
        what = f"nothing stamped yet: move <i>pixels stamped</i> (0..{h * w})"
    rgb_k = _grid(to_rgb8(k, "viridis", (0.0, float(k.max()) or 1.0), scale=cell_k), cell_k)

    rows = []
    for r in range(oh):
        cells = []
        for c in range(ow):
            hot = count and s * i <= r < s * i + kh and s * j <= c < s * j + kw
            style = "color:#c00;font-weight:bold" if hot else ("color:#999" if not partial[r, c] else "")
            cells.append(f'<td style="padding:0 3px;{style}">{_fmt(partial[r, c])}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    info = (
        f"input {h}&times;{w}, kernel {kh}&times;{kw}, stride {s} &rarr; output "
        f"<b>{oh}&times;{ow}</b> = ({h}&minus;1)&middot;{s} + {kh}<br>{what}"
        f'<table style="font-family:monospace;font-size:11px;border-collapse:collapse">'
        f'{"".join(rows)}</table>'
    )
    return Frame(
        images={"input": to_png(rgb_in), "kernel": to_png(rgb_k), "output": to_png(rgb_out)},
        info=info,
        data={"partial": partial, "full": full, "current": (i, j) if count else None},
    )


class ScatterExplorer(Explorer):
    """Watch a transposed convolution being built, one stamp per input pixel.

    Controls: input size (a fixed pattern of small whole numbers), kernel, stride and
    *pixels stamped*.  The input pixel just stamped and the output cells it touched are framed
    in red; the table below lists the output values so far (overlaps add up).

    Examples
    --------
    >>> ex = ScatterExplorer()
    >>> ex.frame.data["partial"].shape
    (9, 9)
    >>> bool(ex.set(count=16).data["partial"].sum() == ex.frame.data["full"].sum())
    True
    """

    def __init__(self, size: int = 4, kernel: str = "ones 3x3", stride: int = 2,
                 count: int = 1) -> None:
        if kernel not in SCATTER_KERNELS:
            raise ValueError(f"unknown kernel {kernel!r}; choose one of {list(SCATTER_KERNELS)}.")
        if not 2 <= size <= 8:
            raise ValueError(f"size must be between 2 and 8 (a small input), got {size!r}.")
        controls = {
            "size": W.IntSlider(value=size, min=2, max=8, description="input size"),
            "kernel": W.Dropdown(options=list(SCATTER_KERNELS), value=kernel, description="kernel"),
            "stride": W.IntSlider(value=stride, min=1, max=4, description="stride"),
            "count": W.IntSlider(value=min(count, size * size), min=0, max=size * size,
                                 description="pixels stamped"),
        }
        # registered before _build's observers, so the count slider is clamped first
        controls["size"].observe(self._on_size, names="value")
        self._build(controls, {"input": "input x (pale = not stamped yet)", "kernel": "kernel K",
                               "output": "output so far"})

    def _on_size(self, change) -> None:
        self.controls["count"].max = change["new"] ** 2

    def set(self, **values) -> Frame | None:
        """Like :meth:`Explorer.set`; ``size`` is applied first so ``count`` can use its range."""
        if "size" in values:
            values = {"size": values.pop("size"), **values}
        return super().set(**values)

    def step(self, size: int, kernel: str, stride: int, count: int) -> Frame:
        if kernel not in SCATTER_KERNELS:
            raise ValueError(f"unknown kernel {kernel!r}; choose one of {list(SCATTER_KERNELS)}.")
        return scatter_step(_scatter_input(size), SCATTER_KERNELS[kernel], stride, count)


# --------------------------------------------------------------------------------------------
# checkerboard
# --------------------------------------------------------------------------------------------
def overlap_map(kernel_size: int, stride: int, n: int = 8) -> tuple[np.ndarray, tuple[int, int]]:
    """How many kernel stamps cover each output pixel, for an ``n x n`` input.

    It is the transposed convolution of an all-ones input with an all-ones ``k x k`` kernel
    (no padding, shape ``(n-1)*s + k``).  Away from the borders the count repeats with period
    ``s``; it is the same everywhere exactly when ``k % s == 0``.

    Returns
    -------
    counts : ndarray (n', n')
    (lo, hi) : the smallest and largest count in the interior (borders excluded)

    Examples
    --------
    >>> overlap_map(3, 2)[1]
    (1, 4)
    >>> overlap_map(4, 2)[1]
    (4, 4)
    """
    k = int(kernel_size)
    s = int(stride)
    if k < 1 or s < 1:
        raise ValueError(f"kernel_size and stride must be >= 1, got {kernel_size!r}, {stride!r}.")
    n = max(int(n), -(-k // s) + 2 * s + 1)  # large enough to have an interior
    counts = ops.conv2d_transpose(np.ones((n, n)), np.ones((k, k)), stride=s, padding=0)
    # interior: rows every stamp position could reach, i.e. [k - 1, (n - 1) * s]
    inner = counts[k - 1 : (n - 1) * s + 1, k - 1 : (n - 1) * s + 1]
    return counts, (int(round(inner.min())), int(round(inner.max())))


@lru_cache(maxsize=16)
def _small_photo(name: str, stride: int) -> np.ndarray:
    """The photo shrunk by ``stride`` (average pooling), so the output is about 256x256."""
    img = sample_image(name, gray=True).astype(np.float64)
    small = ops.avg_pool2d(img, stride) if stride > 1 else img
    small.setflags(write=False)
    return small


def checkerboard_step(kernel_size: int, stride: int, image: str = "camera") -> Frame:
    """Overlap counts and a photo upsampled by a uniform ``k x k`` transposed conv, stride ``s``.

    The photo is average-pooled by ``s`` and upsampled back (about 256x256, ``padding="same"``)
    with the all-ones kernel divided by the mean overlap ``k^2 / s^2``, so an even cover would
    keep its brightness everywhere.

    Returns
    -------
    Frame
        ``images``: ``"counts"`` (overlap map of an 8x8 input), ``"photo"``; ``data`` has
        ``counts``, ``lo``, ``hi``, ``uneven`` and ``photo``.

    Examples
    --------
    >>> f = checkerboard_step(3, 2)
    >>> f.data["lo"], f.data["hi"], f.data["uneven"]
    (1, 4, True)
    >>> f.data["photo"].shape
    (256, 256)
    """
    k, s = int(kernel_size), int(stride)
    if k < 1 or s < 1:
        raise ValueError(f"kernel size and stride must be >= 1, got {kernel_size!r}, {stride!r}.")
    if image not in SAMPLE_IMAGES:
        raise ValueError(f"unknown image {image!r}; choose one of {list(SAMPLE_IMAGES)}.")
    counts, (lo, hi) = overlap_map(k, s)
    cell = max(1, 256 // counts.shape[0])
    rgb = _grid(to_rgb8(counts, "magma", (0.0, float(max(counts.max(), 1))), scale=cell), cell)
    small = _small_photo(image, s)
    photo = ops.conv2d_transpose(small, np.full((k, k), s * s / (k * k)), stride=s, padding="same")
    uneven = lo != hi
    if lo == 0:
        verdict = ("<b style='color:#c00'>holes</b>: k &lt; s, some output pixels get no stamp "
                   "at all (a grid of black lines)")
    elif uneven:
        verdict = (f"<b style='color:#c00'>uneven &rarr; checkerboard</b>: k % s = {k % s} "
                   "&ne; 0, so neighbouring pixels get different numbers of stamps")
    else:
        verdict = (f"<b style='color:#1a7f37'>even</b>: k % s = 0, every interior pixel gets "
                   f"exactly {lo} stamp{'s' if lo != 1 else ''}")
    info = (
        f"kernel {k}&times;{k}, stride {s}: interior overlap count min <b>{lo}</b>, max "
        f"<b>{hi}</b> &mdash; {verdict}.<br>Photo: pooled to {small.shape[0]}&times;"
        f"{small.shape[1]}, upsampled to {photo.shape[0]}&times;{photo.shape[1]} with the "
        f"all-ones kernel / (k&sup2;/s&sup2;)."
    )
    return Frame(
        images={"counts": to_png(rgb), "photo": to_png(photo, "gray", (0.0, 1.0))},
        info=info,
        data={"counts": counts, "lo": lo, "hi": hi, "uneven": uneven, "photo": photo},
    )


class CheckerboardExplorer(Explorer):
    """Kernel size vs stride: when do transposed convolutions paint a checkerboard?

    Examples
    --------
    >>> ex = CheckerboardExplorer()
    >>> ex.frame.data["uneven"]
    True
    >>> ex.set(kernel_size=4).data["uneven"]
    False
    """

    def __init__(self, kernel_size: int = 3, stride: int = 2, image: str = "camera") -> None:
        controls = {
            "kernel_size": W.IntSlider(value=kernel_size, min=1, max=7, description="kernel size"),
            "stride": W.IntSlider(value=stride, min=1, max=4, description="stride"),
            "image": W.Dropdown(options=list(SAMPLE_IMAGES), value=image, description="photo"),
        }
        self._build(controls, {"counts": "overlap count (8x8 input of ones)",
                               "photo": "photo, pooled then upsampled"})

    def step(self, kernel_size: int, stride: int, image: str) -> Frame:
        return checkerboard_step(kernel_size, stride, image)


# --------------------------------------------------------------------------------------------
# static figures
# --------------------------------------------------------------------------------------------
def _numbers(ax, arr: np.ndarray, title: str, vmax: float, cmap: str = "viridis") -> None:
    ax.imshow(arr, cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
    for (r, c), v in np.ndenumerate(arr):
        ax.text(c, r, _fmt(v), ha="center", va="center", fontsize=9,
                color="white" if v < 0.6 * vmax else "black")
    ax.set_xticks(np.arange(-0.5, arr.shape[1], 1), minor=True)
    ax.set_yticks(np.arange(-0.5, arr.shape[0], 1), minor=True)
    ax.grid(which="minor", color="w", lw=0.5)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_title(title, fontsize=10)


def plot_scatter_steps(x, kernel, stride: int = 2):
    """Figure: input, kernel, one panel per stamp ``x[i, j] * K`` at ``(s*i, s*j)``, and the sum.

    Examples
    --------
    >>> import numpy as np
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
    fig, axes = plt.subplots(1, n + 3, figsize=(1.9 * (n + 3), 2.3),
                             gridspec_kw={"width_ratios": [1, 1] + [1.4] * (n + 1)})
    _numbers(axes[0], x, "input x", float(x.max()))
    _numbers(axes[1], k, "kernel K", float(k.max()))
    for m, ax in enumerate(axes[2 : 2 + n]):
        i, j = divmod(m, x.shape[1])
        one = np.zeros_like(x)
        one[i, j] = x[i, j]
        stamp = ops.conv2d_transpose(one, k, stride=stride, padding=0)
        _numbers(ax, stamp, f"x[{i},{j}]·K at ({stride * i},{stride * j})", vmax)
    _numbers(axes[-1], full, "sum = output", vmax)
    fig.suptitle(f"transposed convolution, stride {stride}: every input pixel stamps a scaled "
                 "kernel; overlaps add up", fontsize=11)
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
        f = checkerboard_step(k, s, image)
        counts = f.data["counts"]
        _numbers(axes[0, col], counts, f"k={k}, s={s}: overlap count\ninterior min {f.data['lo']}, "
                 f"max {f.data['hi']}", float(counts.max()), cmap="magma")
        for t in axes[0, col].texts:
            t.set_fontsize(6)
        axes[1, col].imshow(f.data["photo"][40:120, 96:176], cmap="gray", vmin=0, vmax=1,
                            interpolation="nearest")
        verdict = ("holes (k < s)" if f.data["lo"] == 0
                   else "uneven: checkerboard" if f.data["uneven"] else "even: clean")
        axes[1, col].set_title(f"photo, {verdict}", fontsize=10)
        axes[1, col].axis("off")
    fig.tight_layout()
    return fig

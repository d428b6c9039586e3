"""Lesson 04 (transposed convolution): ScatterExplorer and CheckerboardExplorer.

* :class:`ScatterExplorer` stamps a small input into the output one pixel at a time: every input
  pixel adds ``x[i, j] * K`` at ``(s*i, s*j)``; overlaps add up.
* :class:`CheckerboardExplorer` shows how evenly the stamps cover the output for a kernel size
  ``k`` and stride ``s`` (the overlap-count map of an all-ones input and kernel) and what that
  does to a photo: uneven coverage (``k % s != 0``) draws a checkerboard.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import ops, toys
from .._validate import check_choice, check_image, check_int
from ..data import SAMPLE_IMAGES
from ..viz import grid_lines, outline, short_number, to_png, to_rgb8, write_values
from ._base import Explorer, Frame
from .linked import LinkedView

__all__ = [
    "SCATTER_KERNELS",
    "ScatterExplorer",
    "scatter_step",
    "CheckerboardExplorer",
    "checkerboard_step",
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
_VALUES_MIN_CELL = 18  # px per cell from which values are written into the cells
_MIN_BAR = 64  # narrowest picture (px) that gets a colour bar


def _scatter_input(size: int) -> np.ndarray:
    """The explorer's fixed input: small whole numbers 1..4, the same for every session."""
    return np.random.default_rng(4).integers(1, 5, (size, size)).astype(np.float64)


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
    x = check_image("x", x, ranks=(2,)).astype(np.float64)
    k = check_image("kernel", kernel, ranks=(2,)).astype(np.float64)
    h, w = x.shape
    count = check_int("count", count, 0, h * w)
    s = check_int("stride", stride)
    done = (np.arange(h * w) < count).reshape(h, w)
    full = ops.conv2d_transpose(x, k, stride=s, padding=0)
    partial = ops.conv2d_transpose(np.where(done, x, 0.0), k, stride=s, padding=0)
    kh, kw = k.shape
    oh, ow = partial.shape

    top = max(float(full.max()), 1e-12)
    # one pixel scale for all three pictures: true relative sizes (the output is ~s times wider)
    cell = max(1, 256 // max(oh, ow))
    rgb_in = to_rgb8(x, "viridis", (0.0, float(x.max()) or 1.0))
    rgb_in = np.where(done[:, :, None], rgb_in, (rgb_in * 0.3 + 0.7 * 255).astype(np.uint8))
    rgb_in = grid_lines(np.repeat(np.repeat(rgb_in, cell, axis=0), cell, axis=1), cell)
    rgb_out = grid_lines(to_rgb8(partial, "viridis", (0.0, top), scale=cell), cell)
    rgb_k = grid_lines(to_rgb8(k, "viridis", (0.0, float(k.max()) or 1.0), scale=cell), cell)
    if cell >= _VALUES_MIN_CELL:  # the numbers inside the cells (no separate table)
        rgb_in, rgb_out = write_values(rgb_in, x, cell), write_values(rgb_out, partial, cell)
        rgb_k = write_values(rgb_k, k, cell)
    if count:
        i, j = divmod(count - 1, w)
        rgb_in, rgb_out = rgb_in.copy(), rgb_out.copy()
        frame = max(1, min(2, cell // 4))
        outline(rgb_in, i * cell, j * cell, (i + 1) * cell, (j + 1) * cell, _RED, frame)
        outline(
            rgb_out,
            s * i * cell,
            s * j * cell,
            (s * i + kh) * cell,
            (s * j + kw) * cell,
            _RED,
            frame,
        )
        what = (
            f"stamp {count} of {h * w}: pixel ({i}, {j}) = {short_number(x[i, j])} adds "
            f"{short_number(x[i, j])} &times; K to output rows {s * i}..{s * i + kh - 1}, "
            f"columns {s * j}..{s * j + kw - 1} (red frame)"
        )
    else:
        what = f"nothing stamped yet: move <i>pixels stamped</i> (0..{h * w})"
    info = (
        f"input {h}&times;{w}, kernel {kh}&times;{kw}, stride {s} &rarr; output "
        f"<b>{oh}&times;{ow}</b> = ({h}&minus;1)&middot;{s} + {kh}<br>{what}"
    )
    widths = {"input": w * cell, "kernel": kw * cell, "output": ow * cell}
    bars = {
        "input": ("viridis", 0.0, float(x.max()) or 1.0),
        "kernel": ("viridis", 0.0, float(k.max()) or 1.0),
        "output": ("viridis", 0.0, top),
    }
    return Frame(
        images={"input": to_png(rgb_in), "kernel": to_png(rgb_k), "output": to_png(rgb_out)},
        info=info,
        data={
            "partial": partial,
            "full": full,
            "current": (i, j) if count else None,
            "stamped": np.where(done, x, 0.0),
        },
        widths=widths,
        # a bar needs some width to be read; the values are in the cells (and the linked view)
        colorbars={name: bar for name, bar in bars.items() if widths[name] >= _MIN_BAR},
    )


class ScatterExplorer(Explorer):
    """Watch a transposed convolution being built, one stamp per input pixel.

    Controls: input size (a fixed pattern of small whole numbers), kernel, stride and
    *pixels stamped*.  The input pixel just stamped and the output cells it touched are framed
    in red; the values are written in the cells (overlaps add up), and the pictures share one
    pixel scale (true relative sizes).  Below, a linked view of the output so far: hover an
    output pixel to see the stamps that add up to it.

    Examples
    --------
    >>> ex = ScatterExplorer()
    >>> ex.frame.data["partial"].shape
    (9, 9)
    >>> bool(ex.set(count=16).data["partial"].sum() == ex.frame.data["full"].sum())
    True
    """

    def __init__(
        self, size: int = 4, kernel: str = "ones 3x3", stride: int = 2, count: int = 1
    ) -> None:
        check_choice("kernel", kernel, SCATTER_KERNELS)
        check_int("size", size, 2, 8)
        controls = {
            "size": W.IntSlider(value=size, min=2, max=8, description="input size"),
            "kernel": W.Dropdown(options=list(SCATTER_KERNELS), value=kernel, description="kernel"),
            "stride": W.IntSlider(value=stride, min=1, max=4, description="stride"),
            "count": W.IntSlider(
                value=min(count, size * size), min=0, max=size * size, description="pixels stamped"
            ),
        }
        # registered before _build's observers, so the count slider is clamped first
        controls["size"].observe(self._on_size, names="value")
        self.linked: LinkedView | None = None
        self._build(
            controls,
            {
                "input": "input x (pale = not stamped yet)",
                "kernel": "kernel K",
                "output": "output so far",
            },
        )
        self.linked = LinkedView(np.zeros((2, 2)), "transpose", kernel=np.ones((1, 1)), size=384)
        self._update_linked(self.frame)
        self.widget.children = (
            *self.widget.children,
            W.HTML(
                "<b>Output so far, linked</b> (pixels not stamped yet count as 0): hover an "
                "output pixel to see the stamps that add up to it; click an input pixel to "
                "see its stamp."
            ),
            self.linked,
        )

    def refresh(self) -> Frame | None:
        frame = super().refresh()
        self._update_linked(frame)
        return frame

    def _update_linked(self, frame: Frame | None) -> None:
        if self.linked is None or frame is None:
            return
        v = self.values()
        self.linked.update(
            frame.data["stamped"],
            "transpose",
            kernel=SCATTER_KERNELS[v["kernel"]],
            stride=v["stride"],
            labels=("input stamped so far", "output so far"),
        )

    def _on_size(self, change) -> None:
        self.controls["count"].max = change["new"] ** 2

    def set(self, **values) -> Frame | None:
        """Like :meth:`Explorer.set`; ``size`` is applied first so ``count`` can use its range."""
        if "size" in values:
            values = {"size": values.pop("size"), **values}
        return super().set(**values)

    def step(self, size: int, kernel: str, stride: int, count: int) -> Frame:
        check_choice("kernel", kernel, SCATTER_KERNELS)
        return scatter_step(_scatter_input(size), SCATTER_KERNELS[kernel], stride, count)


# --------------------------------------------------------------------------------------------
# checkerboard
# --------------------------------------------------------------------------------------------
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
    k, s = check_int("kernel_size", kernel_size), check_int("stride", stride)
    check_choice("image", image, SAMPLE_IMAGES)
    counts, (lo, hi) = ops.overlap_map(k, s)
    cell = max(1, 256 // counts.shape[0])
    top = float(max(counts.max(), 1))
    rgb = grid_lines(to_rgb8(counts, "magma", (0.0, top), scale=cell), cell)
    if cell >= 14:  # the counts inside the cells
        rgb = write_values(rgb, counts, cell)
    small, photo = toys.checkerboard_photo(image, k, s)
    uneven = lo != hi
    if lo == 0:
        verdict = (
            "<b style='color:#c00'>holes</b>: k &lt; s, some output pixels get no stamp "
            "at all (a grid of black lines)"
        )
    elif uneven:
        verdict = (
            f"<b style='color:#c00'>uneven &rarr; checkerboard</b>: k % s = {k % s} "
            "&ne; 0, so neighbouring pixels get different numbers of stamps"
        )
    else:
        verdict = (
            f"<b style='color:#1a7f37'>even</b>: k % s = 0, every interior pixel gets "
            f"exactly {lo} stamp{'s' if lo != 1 else ''}"
        )
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
        widths={"counts": counts.shape[1] * cell, "photo": photo.shape[1]},
        colorbars={"counts": ("magma", 0.0, top), "photo": ("gray", 0.0, 1.0)},
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
        self._build(
            controls,
            {
                "counts": "overlap count (8x8 input of ones)",
                "photo": "photo, pooled then upsampled",
            },
        )

    def step(self, kernel_size: int, stride: int, image: str) -> Frame:
        return checkerboard_step(kernel_size, stride, image)

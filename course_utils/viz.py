"""Pictures: fast array -> PNG encoding for widgets, and static matplotlib figures.

The widgets call :func:`to_png` on every slider move, so it avoids matplotlib entirely: a colormap
lookup table (256 entries) indexes the scaled array, Pillow encodes the PNG at low compression.
The PNG of a read-only array (a photo from ``data.photo``, a remembered toy map) is encoded once.
This module imports without Keras; ``unet_diagram`` reads a model through ``models.describe``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image

from . import ops, toys
from ._memo import memo
from ._validate import check_int

__all__ = [
    "to_png",
    "cells_png",
    "cell_text",
    "write_values",
    "to_rgb8",
    "colorbar_png",
    "histogram_png",
    "side_by_side_png",
    "value_range",
    "robust_scale",
    "boxed_png",
    "map_colours",
    "MIN_COLUMN",
    "short_number",
    "OUTCOME_COLORS",
    "outcome_rgb",
    "plot_scatter_steps",
    "plot_checkerboard",
    "show_images",
    "feature_map_grid",
    "overlay_mask",
    "plot_history",
    "unet_diagram",
    "u_picture",
    "channel_activity",
    "padding_diagram",
]


@memo(maxsize=32)
def _lut(cmap: str) -> np.ndarray:
    """256x3 uint8 lookup table for a matplotlib colormap name."""
    from matplotlib import colormaps

    try:
        cm = colormaps[cmap]
    except KeyError:
        raise ValueError(
            f"unknown colormap {cmap!r}; try 'gray', 'viridis', 'magma' or 'RdBu_r'."
        ) from None
    return (cm(np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)


@memo(maxsize=64)
def colorbar_png(cmap: str, vmin: float, vmax: float, width: int = 256) -> bytes:
    """A colour bar as PNG: the colormap from ``vmin`` to ``vmax`` with the two ends and the middle
    written under it, so a picture carries its numbers.

    Parameters
    ----------
    cmap : str
        Matplotlib colormap name (the same one the picture uses).
    vmin, vmax : float
        The values drawn with the first and the last colour.
    width : int
        Width in pixels (match the picture's displayed width).

    Examples
    --------
    >>> from PIL import Image
    >>> import io
    >>> Image.open(io.BytesIO(colorbar_png("gray", 0.0, 1.0, 200))).size
    (200, 26)
    """
    from PIL import ImageDraw

    width = check_int("width", width, 40)
    vmin, vmax = value_range([0.0], (vmin, vmax))
    strip = _lut(cmap)[np.linspace(0, 255, width).round().astype(int)]
    img = Image.new("RGB", (width, 26), (255, 255, 255))
    img.paste(Image.fromarray(np.repeat(strip[None], 10, axis=0)), (0, 0))
    draw = ImageDraw.Draw(img)
    labels = [short_number(vmin), short_number((vmin + vmax) / 2), short_number(vmax)]
    for label, anchor in zip(labels, ("la", "ma", "ra"), strict=True):
        x = {"la": 0, "ma": width // 2, "ra": width - 1}[anchor]
        draw.text((x, 12), label, fill=(40, 40, 40), anchor=anchor, font=_font(11))
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def side_by_side_png(columns: Sequence[Sequence[tuple[bytes, int]]], gap: int = 12) -> bytes:
    """Compose pictures into one PNG: columns left to right, each a stack of ``(png, width)``
    drawn at ``width`` pixels (nearest-neighbour, so small maps stay crisp), tops aligned.

    Used for the static picture an explorer leaves in a saved notebook, for readers without a
    running kernel (GitHub, nbviewer).

    Examples
    --------
    >>> from PIL import Image
    >>> import io
    >>> a = to_png(np.zeros((4, 4)))
    >>> Image.open(io.BytesIO(side_by_side_png([[(a, 40)], [(a, 20)]]))).size
    (72, 40)
    """
    tiles = []
    for column in columns:
        stack = []
        for png, width in column:
            im = Image.open(io.BytesIO(png)).convert("RGB")
            height = max(1, round(im.height * width / im.width))
            stack.append(im.resize((width, height), Image.NEAREST))
        tiles.append(stack)
    widths = [max((im.width for im in stack), default=0) for stack in tiles]
    heights = [
        sum(im.height for im in stack) + gap // 2 * max(len(stack) - 1, 0) for stack in tiles
    ]
    out = Image.new(
        "RGB", (sum(widths) + gap * max(len(tiles) - 1, 0), max(heights, default=1)), "white"
    )
    x = 0
    for stack, w in zip(tiles, widths, strict=True):
        y = 0
        for im in stack:
            out.paste(im, (x, y))
            y += im.height + gap // 2
        x += w + gap
    buf = io.BytesIO()
    out.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def value_range(arr, vrange="auto") -> tuple[float, float]:
    """The ``(vmin, vmax)`` used to map values to colours.

    ``"auto"`` uses the array's min and max; ``"symmetric"`` uses ``(-m, m)`` with ``m`` the
    largest absolute value (zero stays in the middle of a diverging colormap); a pair is used as
    given.

    Examples
    --------
    >>> value_range([[-1.0, 3.0]], "symmetric")
    (-3.0, 3.0)
    """
    a = np.asarray(arr, dtype=np.float64)
    if isinstance(vrange, str):
        if a.size == 0:
            return 0.0, 1.0
        if vrange == "auto":
            return float(a.min()), float(a.max())
        if vrange == "symmetric":
            m = float(np.abs(a).max())
            return -m, m
        raise ValueError(f'vrange must be "auto", "symmetric" or (vmin, vmax), got {vrange!r}.')
    try:
        lo, hi = (float(v) for v in vrange)
    except (TypeError, ValueError):
        raise ValueError(
            f'vrange must be "auto", "symmetric" or (vmin, vmax), got {vrange!r}.'
        ) from None
    if not hi >= lo:
        raise ValueError(f"vrange needs vmin <= vmax, got {vrange!r}.")
    return lo, hi


def to_rgb8(arr, cmap: str = "gray", vrange="auto", scale: int = 1) -> np.ndarray:
    """Map a 2-D array to an RGB uint8 image ``(H*scale, W*scale, 3)``; pass RGB through.

    A 3-channel float array in [0, 1] (or uint8) is taken as a colour image and ``cmap`` is ignored.
    ``scale`` enlarges by pixel repetition, so small maps stay crisp (no blur).

    Examples
    --------
    >>> to_rgb8([[0.0, 1.0]]).tolist()
    [[[0, 0, 0], [255, 255, 255]]]
    """
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 3 and a.shape[2] == 3:
        rgb = a if a.dtype == np.uint8 else (np.clip(a, 0, 1) * 255).round().astype(np.uint8)
    elif a.ndim == 2:
        rgb = _lut(cmap)[_indices(a, vrange)]
    else:
        raise ValueError(f"expected (H, W), (H, W, 1) or (H, W, 3), got shape {a.shape}.")
    if scale != 1:
        scale = check_int("scale", scale)
        rgb = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
    return rgb


@memo(maxsize=64)
def to_png(arr, cmap: str = "gray", vrange="auto", scale: int = 1, min_width: int = 0) -> bytes:
    """Encode an array as PNG bytes (for ``ipywidgets.Image(value=...)``).

    Parameters
    ----------
    arr : array, shape (H, W), (H, W, 1) or (H, W, 3)
    cmap : str
        Matplotlib colormap name for 2-D arrays.
    vrange : "auto", "symmetric" or (vmin, vmax)
        Fixed ranges keep colours comparable between slider positions.
    scale : int
        Integer enlargement by pixel repetition.
    min_width : int
        A 2-D map narrower than this (after enlarging) keeps its size and sits at the left of a
        white canvas ``min_width`` wide: a small map drawn at its true size still gets a column
        wide enough for the numbers of its colour bar.

    A 2-D map is stored as an 8-bit palette PNG (the colormap is the palette) with zlib's fastest
    level: a 256x256 map encodes in about a millisecond.  A read-only array (it cannot change) is encoded
    once per argument set: the photos of ``data.photo`` cost nothing on the next slider move.

    Examples
    --------
    >>> to_png([[0.0, 1.0]])[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    >>> from PIL import Image
    >>> im = Image.open(io.BytesIO(to_png(np.arange(4.0).reshape(2, 2), scale=3)))
    >>> im.size, im.mode
    ((6, 6), 'P')
    >>> Image.open(io.BytesIO(to_png(np.zeros((2, 2)), scale=3, min_width=10))).size
    (10, 6)
    """
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 2:  # one byte per pixel + the colormap as palette: a third of the encoding work
        idx = _indices(a, vrange)
        if scale != 1:
            scale = check_int("scale", scale)
            idx = np.repeat(np.repeat(idx, scale, axis=0), scale, axis=1)
        if idx.shape[1] < min_width:
            rgb = np.full((idx.shape[0], int(min_width), 3), 255, np.uint8)
            rgb[:, : idx.shape[1]] = _lut(cmap)[idx]
            img = Image.fromarray(rgb)
        else:
            img = Image.fromarray(np.ascontiguousarray(idx), mode="L").convert("P")
            img.putpalette(_lut(cmap).tobytes())
        # zlib's fastest level: 4-30x fewer bytes for 0.1-1.5 ms; fewer bytes reach the browser
        # sooner (measured: each uncompressed 256x256 picture added 3-4 ms to a slider move)
        level = 1
    else:
        img, level = Image.fromarray(to_rgb8(a, cmap, vrange, scale)), 1
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=level)
    return buf.getvalue()


def cell_text(v: float) -> str:
    """Short text for a value written inside a cell: whole numbers bare, else 2-3 decimals.

    Examples
    --------
    >>> cell_text(-2.0), cell_text(1 / 9), cell_text(1 / 256), cell_text(0.0)
    ('-2', '0.11', '0.004', '0')
    """
    v = float(v)
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    text = f"{v:.2f}" if abs(v) >= 0.1 else f"{v:.3f}"
    return text[1:] if text.startswith("-0.0") and float(text) == 0 else text


@memo(maxsize=8)
def _font(size: int):
    """DejaVu Sans (shipped with matplotlib, so always there offline; it has "×") at ``size`` px."""
    from pathlib import Path

    import matplotlib
    from PIL import ImageFont

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:  # pragma: no cover - a matplotlib without its fonts
        return ImageFont.load_default(size=size)


def write_values(rgb: np.ndarray, values, cell: int) -> np.ndarray:
    """Write each value of ``values`` (h, w) into its ``cell x cell`` block of ``rgb`` (a copy).

    ``rgb`` is the map enlarged ``cell`` times (``(h * cell, w * cell, 3)`` uint8).  Text is
    black on light cells, white on dark ones.

    Examples
    --------
    >>> write_values(np.zeros((20, 40, 3), np.uint8), [[1.0, 2.0]], 20).shape
    (20, 40, 3)
    """
    a = np.asarray(values, dtype=np.float64)
    rgb = np.asarray(rgb, dtype=np.uint8)
    if a.ndim != 2 or rgb.shape[:2] != (a.shape[0] * cell, a.shape[1] * cell):
        raise ValueError(
            f"rgb must be the values enlarged {cell} times: values {a.shape}, rgb {rgb.shape}."
        )
    img = Image.fromarray(rgb)
    size = max(8, min(14, cell * 3 // 8))
    for (r, c), v in np.ndenumerate(a):
        pr, pg, pb = (int(q) for q in rgb[r * cell + cell // 2, c * cell + cell // 2])
        ink = (17, 17, 17) if 0.299 * pr + 0.587 * pg + 0.114 * pb > 140 else (255, 255, 255)
        mask = _label_mask(cell_text(v), size)  # each distinct label is rendered once
        x0 = round((c + 0.5) * cell - mask.width / 2)
        y0 = round((r + 0.5) * cell - mask.height / 2)
        img.paste(ink, (x0, y0, x0 + mask.width, y0 + mask.height), mask)
    return np.asarray(img)


@memo(maxsize=1024)
def _label_mask(text: str, size: int) -> Image.Image:
    """``text`` rendered once as an 8-bit mask, tightly cropped (pasted into many cells)."""
    from PIL import ImageDraw

    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=font)
    return mask


@memo(maxsize=32)
def cells_png(arr, cmap: str = "gray", vrange="auto", cell: int = 32) -> bytes:
    """A small map as PNG, ``cell`` pixels per value, each value written in its cell (grid lines).

    For kernels and small grids (at most 32 x 32): the numbers are part of the picture, so they
    line up with their pixels (no separate table).

    Examples
    --------
    >>> png = cells_png(np.array([[1.0, -1.0]]), "RdBu_r", (-1, 1), cell=20)
    >>> Image.open(io.BytesIO(png)).size
    (40, 20)
    """
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim != 2 or max(a.shape) > 32:
        raise ValueError(
            f"cells_png draws a 2-D map of at most 32 x 32 values, got shape "
            f"{a.shape}; use to_png for larger maps."
        )
    cell = check_int("cell", cell, 8)
    rgb = to_rgb8(a, cmap, vrange, scale=cell).copy()
    rgb[::cell, :] = rgb[::cell, :] // 2 + 64  # grid lines between the cells
    rgb[:, ::cell] = rgb[:, ::cell] // 2 + 64
    buf = io.BytesIO()
    Image.fromarray(write_values(rgb, a, cell)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _indices(a: np.ndarray, vrange) -> np.ndarray:
    """uint8 colormap indices of a 2-D array: ``vrange`` mapped to 0..255, clipped."""
    lo, hi = value_range(a, vrange)
    span = hi - lo if hi > lo else 1.0
    return np.clip((a.astype(np.float64) - lo) * (255.0 / span), 0, 255).astype(np.uint8)


def robust_scale(feature_map) -> float:
    """99.5th percentile of ``|feature_map|`` (a few extreme pixels must not make the rest faint).

    Values at ``+-robust_scale`` get the strongest colours of a diverging map.

    Examples
    --------
    >>> robust_scale(np.arange(1001.0))
    995.0
    """
    return round(float(np.quantile(np.abs(feature_map), 0.995)), 6) or 1.0


_BOX = np.array([255, 220, 0], np.uint8)  # a detail's box on the full photo: yellow


@memo(maxsize=32)
def boxed_png(
    img: np.ndarray, corner: tuple[int, int], size: int, cmap: str = "gray", vrange=(0.0, 1.0)
) -> bytes:
    """The photo as RGB PNG (``cmap`` over ``vrange``) with a yellow box around a detail.

    Examples
    --------
    >>> import numpy as np
    >>> boxed_png(np.zeros((8, 8)), (2, 2), 4)[:4]
    b'\\x89PNG'
    """
    rgb = to_rgb8(img, cmap, vrange).copy()
    y0, x0 = corner
    y1, x1 = y0 + size - 1, x0 + size - 1
    rgb[[y0, y1], x0 : x1 + 1] = _BOX
    rgb[y0 : y1 + 1, [x0, x1]] = _BOX
    return to_png(rgb)


@memo(maxsize=1024)
def map_colours(m: np.ndarray, probabilities: bool = False) -> tuple[str, tuple[float, float]]:
    """Colormap and value range of a map: probabilities on 0-1 (magma); otherwise a robust
    scale (:func:`viz.robust_scale`), 0 to s (viridis) or -s to s (RdBu_r) if values are negative.

    Remembered per read-only map, so moving back to a channel costs nothing.

    Examples
    --------
    >>> map_colours(np.array([[0.0, 2.0]]))
    ('viridis', (0.0, 1.99))
    """
    if probabilities:
        return "magma", (0.0, 1.0)
    s = robust_scale(m)
    return ("viridis", (0.0, s)) if float(m.min()) >= 0 else ("RdBu_r", (-s, s))


MIN_COLUMN = 128  # narrower maps keep their true size on a white canvas this wide, so that
# the colour bar under them (as wide as the column) has room for its numbers


def short_number(v: float) -> str:
    """A whole number without decimals, anything else with two.

    Examples
    --------
    >>> short_number(3.0), short_number(0.125)
    ('3', '0.12')
    """
    return str(int(round(v))) if abs(v - round(v)) < 1e-9 else f"{v:.2f}"


#: RGB uint8 colours of the outcome overlay: true negative, true positive, false positive, false negative
OUTCOME_COLORS: dict[str, tuple[int, int, int]] = {
    "TN": (235, 235, 235),
    "TP": (46, 160, 67),
    "FP": (240, 130, 20),
    "FN": (40, 90, 220),
}
_OUTCOME_LUT = np.array([OUTCOME_COLORS[k] for k in ("TN", "FN", "FP", "TP")], dtype=np.uint8)


def outcome_rgb(y_true, y_pred) -> np.ndarray:
    """RGB uint8 picture of the outcome per pixel: TP green, FP orange, FN blue, TN light grey.

    Examples
    --------
    >>> outcome_rgb([[1, 0]], [[1, 1]]).tolist()
    [[[46, 160, 67], [240, 130, 20]]]
    """
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if t.shape != p.shape or t.ndim != 2:
        raise ValueError(
            f"y_true and y_pred must be 2-D maps of one shape, got {t.shape} and {p.shape}."
        )
    return _OUTCOME_LUT[2 * (p > 0) + (t > 0)]


def histogram_png(
    counts,
    edges,
    threshold: float | None = None,
    width: int = 256,
    height: int = 96,
    log: bool = True,
) -> bytes:
    """A histogram as PNG, drawn with NumPy (no matplotlib): fast enough for every slider move.

    Bars left of ``threshold`` are grey (what a ReLU after ``+ bias`` zeroes when
    ``threshold = -bias``), bars right of it red; the threshold is a black line with its value
    written above it; the value range is written under the axis.

    Parameters
    ----------
    counts : array (B,)
        Counts per bin (``np.histogram``'s first result).
    edges : array (B + 1,)
        Bin edges, increasing.
    threshold : float, optional
        Where to draw the line.  Clipped to the drawn range.
    width, height : int
        Size of the picture in pixels (the bars get ``height - 26``).
    log : bool
        Bar heights proportional to ``log(1 + count)`` (a peak at 0 must not flatten the rest).

    Examples
    --------
    >>> from PIL import Image
    >>> import io
    >>> c, e = np.histogram(np.linspace(-1, 1, 100), bins=20)
    >>> Image.open(io.BytesIO(histogram_png(c, e, threshold=0.3, width=200))).size
    (200, 96)
    """
    from PIL import ImageDraw

    counts = np.asarray(counts, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.float64)
    if counts.ndim != 1 or edges.shape != (counts.size + 1,) or counts.size == 0:
        raise ValueError(
            f"expected counts (B,) and edges (B + 1,) as np.histogram returns them, got shapes "
            f"{counts.shape} and {edges.shape}."
        )
    if not np.all(np.diff(edges) > 0):
        raise ValueError("edges must be strictly increasing (as np.histogram returns them).")
    width, height = check_int("width", width, 40), check_int("height", height, 40)
    lo, hi = float(edges[0]), float(edges[-1])
    plot_h = height - 26  # room for the threshold label above and the axis labels below
    top = 12
    h = np.log1p(counts) if log else counts
    h = h / h.max() if h.max() > 0 else h
    cols = np.minimum((np.arange(width) + 0.5) * counts.size / width, counts.size - 1).astype(int)
    bar = np.round(h[cols] * plot_h).astype(int)  # bar height per pixel column
    x_val = lo + (np.arange(width) + 0.5) * (hi - lo) / width
    rows = np.arange(plot_h)[:, None]
    filled = rows >= plot_h - bar[None, :]
    kept = np.ones(width, bool) if threshold is None else x_val > threshold
    colour = np.where(kept[:, None], np.array([214, 39, 40]), np.array([150, 150, 150]))
    img = np.full((height, width, 3), 255, np.uint8)
    img[top : top + plot_h] = np.where(filled[:, :, None], colour[None].astype(np.uint8), 255)
    img[top + plot_h - 1, :] = 90  # the axis
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    draw.font = _font(11)
    for value, anchor in ((lo, "la"), (hi, "ra")):
        x = 0 if anchor == "la" else width - 1
        draw.text((x, top + plot_h + 1), short_number(value), fill=(40, 40, 40), anchor=anchor)
    if lo < 0 < hi:
        x0 = int(round((0 - lo) / (hi - lo) * (width - 1)))
        draw.line([(x0, top + plot_h - 1), (x0, top + plot_h + 2)], fill=(90, 90, 90))
        draw.text((x0, top + plot_h + 1), "0", fill=(40, 40, 40), anchor="ma")
    if threshold is not None:
        t = min(max(float(threshold), lo), hi)
        xt = int(round((t - lo) / (hi - lo) * (width - 1)))
        draw.line([(xt, top - 1), (xt, top + plot_h - 1)], fill=(0, 0, 0), width=2)
        anchor = "la" if xt < width // 4 else ("ra" if xt > 3 * width // 4 else "ma")
        draw.text((xt, 0), f"{float(threshold):+.2f}", fill=(0, 0, 0), anchor=anchor)
    buf = io.BytesIO()
    pil.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# static figures
# --------------------------------------------------------------------------------------------
def show_images(
    images: Sequence,
    titles: Sequence[str] | None = None,
    cmap: str = "gray",
    vrange="auto",
    size: float = 3.0,
):
    """A row of images with titles; returns the matplotlib ``Figure``.

    Examples
    --------
    >>> import numpy as np
    >>> fig = show_images([np.zeros((4, 4)), np.ones((4, 4))], ["a", "b"])
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    n = len(images)
    if n == 0:
        raise ValueError("show_images needs at least one image.")
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {n} images but {len(titles)} titles.")
    fig, axes = plt.subplots(1, n, figsize=(size * n, size), squeeze=False)
    for i, (ax, img) in enumerate(zip(axes[0], images, strict=True)):
        a = np.asarray(img)
        if a.ndim == 3 and a.shape[2] == 3:
            ax.imshow(np.clip(a, 0, 1) if a.dtype != np.uint8 else a)
        else:
            a = a[:, :, 0] if a.ndim == 3 else a
            lo, hi = value_range(a, vrange)
            ax.imshow(a, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[i])
        ax.axis("off")
    fig.tight_layout()
    return fig


def feature_map_grid(
    fmap,
    max_channels: int = 16,
    cols: int = 8,
    cmap: str = "viridis",
    title: str | None = None,
    size: float = 1.6,
):
    """Grid of the channels of one feature map ``(H, W, C)`` (or ``(1, H, W, C)``).

    Each channel gets its own colour range, so weak channels stay visible.

    Examples
    --------
    >>> import numpy as np
    >>> fig = feature_map_grid(np.random.default_rng(0).random((8, 8, 4)), cols=2)
    >>> len([ax for ax in fig.axes if ax.images])
    4
    """
    import matplotlib.pyplot as plt

    a = np.asarray(fmap)
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise ValueError(f"fmap must be (H, W, C) or (1, H, W, C), got shape {np.shape(fmap)}.")
    n = min(a.shape[2], max_channels)
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(a[:, :, i], cmap=cmap, interpolation="nearest")
            ax.set_title(f"ch {i}", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def overlay_mask(image, mask, alpha: float = 0.45, color=(1.0, 0.2, 0.2)) -> np.ndarray:
    """Blend a binary/label mask onto an RGB image in [0, 1]; returns float RGB ``(H, W, 3)``.

    Pixels with ``mask > 0`` are tinted with ``color``.

    Examples
    --------
    >>> import numpy as np
    >>> overlay_mask(np.zeros((2, 2, 3)), np.eye(2), alpha=1.0)[0, 0].tolist()
    [1.0, 0.2, 0.2]
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    m = np.asarray(mask)
    if img.shape[:2] != m.shape[:2]:
        raise ValueError(f"image {img.shape[:2]} and mask {m.shape[:2]} sizes differ.")
    out = img.copy()
    sel = m > 0
    out[sel] = (1 - alpha) * img[sel] + alpha * np.asarray(color, dtype=np.float64)
    return out


def plot_history(history: Mapping[str, Sequence[float]], keys: Sequence[str] | None = None):
    """Training curves from a Keras ``History.history``-like dict (one panel per metric).

    ``val_*`` entries are drawn in the same panel as their training metric.

    Examples
    --------
    >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    >>> len(fig.axes)
    1
    """
    import matplotlib.pyplot as plt

    base = [k for k in history if not k.startswith("val_") and k not in ("epoch", "lr")]
    keys = list(keys) if keys is not None else base
    if not keys:
        raise ValueError(f"no metrics to plot in history with keys {list(history)}.")
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3), squeeze=False)
    for ax, k in zip(axes[0], keys, strict=True):
        if k not in history:
            raise ValueError(f"{k!r} is not in the history; available: {list(history)}.")
        epochs = np.arange(1, len(history[k]) + 1)
        ax.plot(epochs, history[k], "o-", label="train")
        if f"val_{k}" in history:
            ax.plot(epochs, history[f"val_{k}"], "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(k)
        ax.legend()
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# the U-Net as a "U" (appended for lesson 08)
# --------------------------------------------------------------------------------------------
_UNET_KINDS = ("input", "conv", "pool", "up", "concat", "classifier")
_UNET_ROLE_COLORS = {
    "input": "#d9d9d9",
    "encoder": "#9ecae1",
    "bottleneck": "#fdd0a2",
    "decoder": "#a1d99b",
    "classifier": "#fc9272",
}


def _unet_rows(model_or_layers) -> list[tuple[str, str, tuple[int, int, int]]]:
    """``(name, kind, (H, W, C))`` for every layer of a model, or validated rows as given."""
    if hasattr(model_or_layers, "layers") and hasattr(model_or_layers, "count_params"):
        from .models import describe  # a model exists, so Keras is loaded already

        rows = [
            (ly.name, "conv" if ly.role == "other" else ly.role, ly.shape)
            for ly in describe(model_or_layers)
        ]
    else:
        try:
            rows = [(str(n), str(k), tuple(s)) for n, k, s in model_or_layers]
        except (TypeError, ValueError):
            raise ValueError(
                "unet_diagram needs a keras.Model or a list of (name, kind, (H, W, C)) rows."
            ) from None
    if not rows:
        raise ValueError("unet_diagram needs at least one layer.")
    for name, kind, shape in rows:
        if kind not in _UNET_KINDS:
            raise ValueError(
                f"layer {name!r}: kind must be one of {sorted(_UNET_KINDS)}, got {kind!r}."
            )
        if len(shape) != 3 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in shape):
            raise ValueError(f"layer {name!r}: shape must be (H, W, C) integers, got {shape!r}.")
    return rows


def unet_diagram(model_or_layers, title: str | None = None, size: float = 1.3):
    """Draw a U-Net as a "U": one box per conv block, at a height set by its resolution.

    Consecutive layers with the same name prefix (``enc1_conv1``, ``enc1_conv2`` -> ``enc1``),
    kind and output shape form one block. Convolution blocks (and the input and the classifier)
    are boxes showing the block name, what it does and its output shape ``H×W×C``; a box drawn
    lower has a smaller feature map (one row per 2x downsampling). Pooling and upsampling are the
    labelled arrows between the boxes, and each concatenation is the dashed skip line that copies
    the encoder block of the same resolution into the decoder (its label gives the channel sum).
    Encoder, bottleneck and decoder boxes have their own colours (see the legend). The text is
    10-11 pt: at the default ``size`` the seed's network is about 950 pixels wide, so a notebook
    shows it at (almost) its natural size, with the box text at body size.

    Parameters
    ----------
    model_or_layers : keras.Model or list of (name, kind, (H, W, C))
        A model (e.g. ``models.unet()``) or rows with ``kind`` in ``"input"``, ``"conv"``,
        ``"pool"``, ``"up"``, ``"concat"``, ``"classifier"``.
    title : str, optional
    size : float
        Width in inches per box.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rows = [("image", "input", (8, 8, 3)), ("enc1", "conv", (8, 8, 4)),
    ...         ("pool1", "pool", (4, 4, 4)), ("up1", "up", (8, 8, 4)),
    ...         ("skip1", "concat", (8, 8, 8)), ("dec1", "conv", (8, 8, 4))]
    >>> fig = unet_diagram(rows)
    >>> sorted(t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("skip"))
    ['skip1: concat 4 + 4 = 8 channels']
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyBboxPatch, Patch

    blocks = _unet_blocks(_unet_rows(model_or_layers))
    boxes = [b for b in blocks if b["box"]]
    depth = max(b["level"] for b in blocks)
    dy = 1.45  # vertical distance between levels (data units; a box is 0.66 high)
    bw, bh = 0.86, 0.66
    fig, ax = plt.subplots(figsize=(max(size * len(boxes) + 0.3, 5.0), 1.45 * depth + 2.3))
    for b in boxes:
        x, y = b["x"], -b["level"] * dy
        ax.add_patch(
            FancyBboxPatch(
                (x - bw / 2, y - bh / 2),
                bw,
                bh,
                boxstyle="round,pad=0.02,rounding_size=0.06",
                fc=_UNET_ROLE_COLORS[b["role"]],
                ec="#444444",
                lw=0.9,
            )
        )
        h, w, c = b["shape"]
        ax.text(x, y + 0.19, b["prefix"], ha="center", va="center", fontsize=11, fontweight="bold")
        ax.text(x, y - 0.01, b["what"], ha="center", va="center", fontsize=10)
        ax.text(x, y - 0.2, f"{h}×{w}×{c}", ha="center", va="center", fontsize=10)
    for a, b in zip(boxes, boxes[1:], strict=False):  # arrows between consecutive boxes
        ya, yb = -a["level"] * dy, -b["level"] * dy
        if ya == yb:
            start, end = (a["x"] + bw / 2, ya), (b["x"] - bw / 2, yb)
        else:  # pooling goes down, upsampling up: from box edge to box edge, diagonally
            d = 1 if ya > yb else -1
            start, end = (a["x"] + 0.2, ya - d * bh / 2), (b["x"] - 0.2, yb + d * bh / 2)
        ax.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#444444",
                "lw": 1.1,
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
        label = b["via"]
        if label:
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            if ya > yb:  # down: the label left of the arrow
                ax.text(mx - 0.08, my, label, ha="right", va="center", fontsize=10, color="#8c4a00")
            elif ya < yb:  # up: right of it
                ax.text(mx + 0.08, my, label, ha="left", va="center", fontsize=10, color="#2b6e2b")
            else:
                ax.text(mx, my + 0.08, label, ha="center", va="bottom", fontsize=10)
    for b in boxes:  # skip connections: a dashed line above the level, into the decoder box
        src = b.get("skip")
        if src is None:
            continue
        y = -b["level"] * dy
        yb = y + bh / 2 + 0.2
        ax.plot(
            [src["x"], src["x"], b["x"], b["x"]],
            [y + bh / 2, yb, yb, y + bh / 2 + 0.02],
            ls="--",
            color="#756bb1",
            lw=1.4,
        )
        ax.annotate(
            "",
            xy=(b["x"], y + bh / 2),
            xytext=(b["x"], yb),
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#756bb1",
                "lw": 1.4,
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
        ax.text(
            (src["x"] + b["x"]) / 2,
            yb + 0.06,
            b["skip_label"],
            ha="center",
            va="bottom",
            fontsize=10,
            color="#54278f",
        )
    ax.set_xlim(-0.55, len(boxes) - 0.45)
    ax.set_ylim(-depth * dy - 0.5, 1.05)
    ax.axis("off")
    roles = [r for r in _UNET_ROLE_COLORS if any(b["role"] == r for b in boxes)]
    legend = [Patch(fc=_UNET_ROLE_COLORS[r], ec="#444444", label=r) for r in roles]
    if any("skip" in b for b in boxes):
        legend.append(
            Line2D([], [], ls="--", color="#756bb1", lw=1.4, label="skip (copy + concat)")
        )
    ax.legend(
        handles=legend,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=len(legend),
        fontsize=10,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.2,
    )
    if title:
        ax.set_title(title, fontsize=12)
    fig.tight_layout()
    return fig


def _unet_blocks(rows) -> list[dict]:
    """Group rows into blocks and lay them out for :func:`unet_diagram`.

    Each block gets ``prefix``, ``kind``, ``shape``, ``n`` (layers), ``level`` (number of 2x
    downsamplings), ``role`` (input / encoder / bottleneck / decoder / classifier) and ``box``
    (drawn as a box; pooling and upsampling become the labelled arrow ``via`` into the next box,
    a concatenation followed by a conv block becomes that box's skip line).
    """
    blocks: list[dict] = []
    for name, kind, shape in rows:
        prefix = name.split("_")[0] if kind == "conv" else name
        last = blocks[-1] if blocks else None
        if last and last["prefix"] == prefix and last["kind"] == kind and last["shape"] == shape:
            last["n"] += 1
        else:
            blocks.append({"prefix": prefix, "kind": kind, "shape": shape, "n": 1})
    top = max(b["shape"][0] for b in blocks)
    for b in blocks:
        b["level"] = int(round(np.log2(top / b["shape"][0])))
    depth = max(b["level"] for b in blocks)
    deepest = next(i for i, b in enumerate(blocks) if b["level"] == depth)
    n = len(blocks)
    for i, b in enumerate(blocks):
        if b["kind"] in ("pool", "up"):  # an arrow, unless there is no box on one side of it
            before = any(blocks[j]["kind"] not in ("pool", "up") for j in range(i))
            after = any(blocks[j]["kind"] not in ("pool", "up") for j in range(i + 1, n))
            b["box"] = not (before and after)
        elif b["kind"] == "concat":  # the skip line into the following conv block
            nxt = blocks[i + 1] if i + 1 < n else None
            b["box"] = not (nxt and nxt["kind"] == "conv" and nxt["level"] == b["level"])
        else:
            b["box"] = True
    x, via, pending_skip = 0, [], None
    for i, b in enumerate(blocks):
        if not b["box"]:
            if b["kind"] == "pool":
                via.append("max pool 2×2")
            elif b["kind"] == "up":
                via.append("upsample 2×")
            else:
                pending_skip = (i, b)
            continue
        b["x"], b["via"], x, via = x, ", ".join(via), x + 1, []
        if b["kind"] == "concat":
            pending_skip = (i, b)
        if pending_skip is not None:
            j, cat = pending_skip
            src = [
                s
                for s in blocks[: min(j, deepest)]
                if s["box"] and s["level"] == cat["level"] and s["kind"] in ("conv", "input")
            ]
            if j > deepest and src:
                c_src, c_all = src[-1]["shape"][2], cat["shape"][2]
                b["skip"] = src[-1]
                b["skip_label"] = (
                    f"{cat['prefix']}: concat {c_src} + {c_all - c_src} = {c_all} channels"
                )
            pending_skip = None
        if b["kind"] == "conv":
            b["what"] = f"{b['n']}× conv 3×3"
            b["role"] = (
                "bottleneck"
                if b["level"] == depth and depth > 0
                else "encoder"
                if i < deepest
                else "decoder"
            )
        else:
            b["what"] = {
                "input": "input",
                "classifier": "1×1, softmax",
                "pool": "max pool",
                "up": "upsample",
                "concat": "concat",
            }[b["kind"]]
            b["role"] = {"input": "input", "classifier": "classifier"}.get(
                b["kind"], "encoder" if i < deepest else "decoder"
            )
    return blocks


@memo(maxsize=256)
def channel_activity(fmap) -> np.ndarray:
    """How much each channel of a feature map ``(H, W, C)`` varies: its standard deviation over
    the pixels, shape ``(C,)``. A flat channel (all zeros after ReLU, or a constant) scores 0 and
    shows nothing; ``np.argsort(-channel_activity(m))`` lists the most active channels first.

    Examples
    --------
    >>> m = np.zeros((4, 4, 3)); m[0, 0, 2] = 4.0; m[:2, :, 1] = 1.0
    >>> channel_activity(m).round(2).tolist()
    [0.0, 0.5, 0.97]
    """
    a = np.asarray(fmap)
    if a.ndim != 3:
        raise ValueError(f"fmap must be (H, W, C), got shape {a.shape}.")
    return a.reshape(-1, a.shape[2]).astype(np.float64).std(axis=0)


def u_picture(layers, current: int, input_size: int) -> np.ndarray:
    """The "where in the U" map: a labelled RGB drawing of a U-Net's layers, about 380 px wide.

    One box per layer (each ``layers[i]`` has ``name``, ``role``, ``shape`` (h, w, C) and
    ``inputs``, as :func:`course_utils.models.describe` gives), drawn lower for smaller maps
    (one row per 2x pooling, the row's map size written on the left) and taller for more
    channels. The current layer is orange, concatenations green with their skip lines (labelled
    "skip"), and the encoder, bottleneck and decoder are named under the boxes they span.

    Examples
    --------
    >>> from types import SimpleNamespace as L
    >>> ly = [L(name="a", role="conv", shape=(8, 8, 2), inputs=()),
    ...       L(name="p", role="pool", shape=(4, 4, 2), inputs=("a",)),
    ...       L(name="u", role="up", shape=(8, 8, 2), inputs=("p",)),
    ...       L(name="s", role="concat", shape=(8, 8, 4), inputs=("a", "u"))]
    >>> u_picture(ly, 0, 8).shape[2]
    3
    """
    from PIL import ImageDraw

    if not layers:
        raise ValueError("u_picture needs at least one layer.")
    current = check_int("current", current, 0, len(layers) - 1)
    box, gap, left, top, level_h = 14, 4, 62, 30, 34
    depth = [max(0, round(float(np.log2(input_size / ly.shape[0])))) for ly in layers]
    deepest = max(depth)
    first_deep = depth.index(deepest)
    last_deep = len(depth) - 1 - depth[::-1].index(deepest)
    max_c = max(ly.shape[2] for ly in layers)
    width = left + len(layers) * (box + gap) + 8
    height = top + (deepest + 1) * level_h + 24
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    font = _font(12)
    ink, grey, green = (40, 40, 40), (110, 110, 110), (60, 160, 80)

    def x_of(i: int) -> int:
        return left + i * (box + gap)

    for d in range(deepest + 1):  # the map size of each row, on the left
        side = input_size // 2**d
        draw.text(
            (4, top + d * level_h + level_h // 2),
            f"{side}×{side}",
            fill=grey,
            font=font,
            anchor="lm",
        )
    for i, (ly, d) in enumerate(zip(layers, depth, strict=True)):
        frac = 0.35 + 0.65 * np.log2(1 + ly.shape[2]) / np.log2(1 + max_c)
        h = max(4, round((level_h - 8) * frac))
        y0 = top + d * level_h + (level_h - h) // 2
        colour = (
            (230, 120, 20) if i == current else green if ly.role == "concat" else (120, 140, 180)
        )
        draw.rectangle([x_of(i), y0, x_of(i) + box - 1, y0 + h - 1], fill=colour)
    index = {ly.name: i for i, ly in enumerate(layers)}
    for i, ly in enumerate(layers):  # skip connections: a green line over the U, labelled
        if ly.role != "concat":
            continue
        for src in ly.inputs:
            j = index.get(src)
            if j is not None and j < i - 1 and depth[j] == depth[i]:
                y = top + depth[i] * level_h + 1
                xa, xb = x_of(j) + box // 2, x_of(i) + box // 2
                draw.line([(xa, y + 3), (xa, y), (xb, y), (xb, y + 3)], fill=green, width=2)
                draw.text(((xa + xb) // 2, y - 2), "skip", fill=green, font=font, anchor="md")
    y = top + (deepest + 1) * level_h + 4  # encoder, bottleneck, decoder under their boxes
    spans = [
        ("encoder", 0, first_deep - 1),
        ("bottleneck", first_deep, last_deep),
        ("decoder", last_deep + 1, len(layers) - 1),
    ]
    for label, a, b in spans:
        if b < a:
            continue
        xa, xb = x_of(a), x_of(b) + box - 1
        draw.line([(xa, y), (xb, y)], fill=grey, width=1)
        draw.text(((xa + xb) // 2, y + 3), label, fill=ink, font=font, anchor="ma")
    return np.asarray(img)


def padding_diagram(n: int, k: int, stride: int, padding="same", ax=None):
    """Draw where a 1-D window of size ``k`` slides over ``n`` pixels (Dumoulin & Visin style).

    The top row is the input: blue cells ``0 .. n-1`` with the zeros that ``padding`` adds drawn
    as dashed white cells (before and after, as :func:`course_utils.ops.pad_amounts` computes
    them). Below it, one row per output position shows the window that output reads (shaded)
    and the output cell (teal) with its index. Pixels no window reads keep a plain outline.

    Parameters
    ----------
    n, k, stride : int
        Input length, kernel (window) size and stride, all >= 1.
    padding : "valid", "same" or int
        As in :func:`course_utils.ops.conv2d`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = padding_diagram(6, 3, 2, "same")
    >>> fig.axes[0].get_title()
    "n=6, k=3, stride 2, padding='same': pad (0, 1), 3 outputs"
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from . import ops
    from ._validate import check_int

    n, k, stride = check_int("n", n), check_int("k", k), check_int("stride", stride)
    before, after = ops.pad_amounts(n, k, stride, padding)
    total = before + n + after
    if total < k:
        raise ValueError(
            f"the window (k={k}) is larger than the padded input ({total} pixels): "
            "use a smaller k or more padding."
        )
    n_out = (total - k) // stride + 1
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.42 * total + 1.6, 0.42 * (n_out + 2) + 0.5))
    else:
        fig = ax.figure
    blue, teal, shade = "#9ecae1", "#41b6a6", "#fdae6b"
    for c in range(total):
        x = c - before  # input index; outside [0, n) it is a padded zero
        inside = 0 <= x < n
        ax.add_patch(
            Rectangle(
                (c, 0),
                1,
                1,
                facecolor=blue if inside else "white",
                edgecolor="0.3",
                ls="-" if inside else "--",
                lw=1,
            )
        )
        ax.text(
            c + 0.5,
            0.5,
            str(x) if inside else "0",
            ha="center",
            va="center",
            fontsize=9,
            color="black" if inside else "0.5",
        )
    for o in range(n_out):
        y = -(o + 1.3)
        start = o * stride
        ax.add_patch(Rectangle((start, y), k, 1, facecolor=shade, edgecolor="0.2", alpha=0.8))
        ax.plot([start + k / 2, start + k / 2], [y + 1, 0], color="0.6", lw=0.6, zorder=0)
        ax.add_patch(Rectangle((total + 0.6, y), 1, 1, facecolor=teal, edgecolor="0.2"))
        ax.text(total + 1.1, y + 0.5, str(o), ha="center", va="center", fontsize=9)
        ax.annotate(
            "",
            xy=(total + 0.6, y + 0.5),
            xytext=(start + k, y + 0.5),
            arrowprops=dict(arrowstyle="->", color="0.4", lw=0.8),
        )
    ax.text(-0.2, 0.5, "input", ha="right", va="center", fontsize=9)
    ax.text(total + 1.1, 1.3, "output", ha="center", va="center", fontsize=9)
    ax.set_xlim(-1.6, total + 2)
    ax.set_ylim(-(n_out + 0.6), 1.8)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(
        f"n={n}, k={k}, stride {stride}, padding={padding!r}: pad ({before}, {after}), "
        f"{n_out} outputs",
        fontsize=10,
    )
    return fig


# --------------------------------------------------------------------------------------------
# transposed convolution (lesson 04)
# --------------------------------------------------------------------------------------------
def _numbers(ax, arr: np.ndarray, title: str, vmax: float, cmap: str = "viridis") -> None:
    ax.imshow(arr, cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
    for (r, c), v in np.ndenumerate(arr):
        ax.text(
            c,
            r,
            short_number(v),
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
        up = toys.checkerboard_photo(image, k, s)[1]
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

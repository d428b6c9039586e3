"""Fast array -> picture -> PNG for the explorers (NumPy and Pillow, no matplotlib figure).

The widgets call :func:`to_png` on every slider move, so it avoids matplotlib entirely: a colormap
lookup table (256 entries) indexes the scaled array, Pillow encodes the PNG at low compression.
The PNG of a read-only array (a photo from ``data.photo``, a remembered toy map) is encoded once.

One home each for what every explorer's pictures share:

* the colour rule of a map: :func:`colour_scale` (a signed map is blue-white-red around 0),
  :func:`map_colours` (feature maps, on a robust scale), :func:`value_range`;
* a small map with its values written in the cells (a kernel): :func:`cells_rgb`, :func:`cells_png`;
* outlines and grid lines drawn into an enlarged map: :func:`outline`, :func:`grid_lines`;
* PNG encoding: :func:`to_png` (any map or RGB array), :func:`side_by_side_png` (composed
  pictures), :func:`colorbar_png`.

This module imports nothing from the course but ``_validate`` and ``_memo``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from .._memo import memo
from .._validate import check_int

__all__ = [
    "to_png",
    "cells_png",
    "cells_rgb",
    "write_values",
    "to_rgb8",
    "colorbar_png",
    "histogram_png",
    "side_by_side_png",
    "value_range",
    "colour_scale",
    "robust_scale",
    "outline",
    "grid_lines",
    "boxed_png",
    "map_colours",
    "palette",
    "MIN_COLUMN",
    "short_number",
    "OUTCOME_COLORS",
    "outcome_rgb",
    "overlay_mask",
    "channel_activity",
    "CONTOUR_COLORS",
    "label_edges",
    "contour_overlay",
]


def _encode(img: Image.Image, level: int = 1) -> bytes:
    """PNG bytes of a Pillow image; zlib level 1 (fast) unless a saved picture wants smaller."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=level)
    return buf.getvalue()


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
    return _encode(img)


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
    return _encode(out, level=6)


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
    return _encode(img, level)


def short_number(v: float) -> str:
    """Short text for a number in a picture (a cell, a colour bar, an axis): whole numbers bare,
    else 2-3 decimals, very large ones in powers of ten.

    Examples
    --------
    >>> short_number(-2.0), short_number(1 / 9), short_number(1 / 256), short_number(0.0)
    ('-2', '0.11', '0.004', '0')
    >>> short_number(3.0), short_number(0.125), short_number(-2.5e7)
    ('3', '0.12', '-2e+07')
    """
    v = float(v)
    if abs(v) >= 1e4:
        return f"{v:.0e}"
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
    black on light cells, white on dark ones, at most 14 px and small enough (down to 8 px) for
    the longest label to fit its cell with 2 px either side.

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
    widest = max((short_number(v) for v in a.ravel()), key=len, default="")
    while size > 8 and _font(size).getlength(widest) > cell - 4:  # "-0.074" in a 42-px cell
        size -= 1
    for (r, c), v in np.ndenumerate(a):
        pr, pg, pb = (int(q) for q in rgb[r * cell + cell // 2, c * cell + cell // 2])
        ink = (17, 17, 17) if 0.299 * pr + 0.587 * pg + 0.114 * pb > 140 else (255, 255, 255)
        mask = _label_mask(short_number(v), size)  # each distinct label is rendered once
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


def cells_rgb(arr, cmap: str = "gray", vrange="auto", cell: int = 32) -> np.ndarray:
    """A small map as RGB uint8, ``cell`` pixels per value, each value written in its cell.

    For kernels and small grids (at most 32 x 32): the numbers are part of the picture, so they
    line up with their pixels (no separate table); grid lines separate the cells.

    Examples
    --------
    >>> cells_rgb(np.eye(3), "RdBu_r", (-1, 1), cell=56).shape
    (168, 168, 3)
    """
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim != 2 or max(a.shape) > 32:
        raise ValueError(
            f"a map with its values written in the cells has at most 32 x 32 values, got shape "
            f"{a.shape}; use to_png for larger maps."
        )
    cell = check_int("cell", cell, 8)
    return write_values(grid_lines(to_rgb8(a, cmap, vrange, scale=cell).copy(), cell), a, cell)


@memo(maxsize=32)
def cells_png(arr, cmap: str = "gray", vrange="auto", cell: int = 32) -> bytes:
    """:func:`cells_rgb` as PNG (remembered for a read-only ``arr``).

    Examples
    --------
    >>> png = cells_png(np.array([[1.0, -1.0]]), "RdBu_r", (-1, 1), cell=20)
    >>> Image.open(io.BytesIO(png)).size
    (40, 20)
    """
    return _encode(Image.fromarray(cells_rgb(arr, cmap, vrange, cell)))


def grid_lines(rgb: np.ndarray, cell: int) -> np.ndarray:
    """Draw, in place, thin lines between the ``cell x cell`` blocks of an enlarged map (from
    6 px per cell: smaller cells would drown in lines); return ``rgb``.

    Examples
    --------
    >>> grid_lines(np.full((12, 12, 3), 255, np.uint8), 6)[1, :8, 0].tolist()  # a line at 0 and 6
    [191, 255, 255, 255, 255, 255, 191, 255]
    """
    if cell >= 6:
        rgb[::cell, :] = rgb[::cell, :] // 2 + 64
        rgb[:, ::cell] = rgb[:, ::cell] // 2 + 64
    return rgb


def outline(rgb: np.ndarray, y0: int, x0: int, y1: int, x1: int, color, width: int = 1):
    """Draw, in place, a frame ``width`` pixels thick just inside the pixel box
    ``[y0, y1) x [x0, x1)`` of an RGB picture (clipped to the picture); return ``rgb``.

    A window of an enlarged map is the box ``[r0 * cell, r1 * cell) x [c0 * cell, c1 * cell)``.

    Examples
    --------
    >>> rgb = outline(np.zeros((5, 5, 3), np.uint8), 1, 1, 4, 4, (255, 0, 0))
    >>> (rgb[:, :, 0] > 0).astype(int).tolist()
    [[0, 0, 0, 0, 0], [0, 1, 1, 1, 0], [0, 1, 0, 1, 0], [0, 1, 1, 1, 0], [0, 0, 0, 0, 0]]
    """
    h, w = rgb.shape[:2]
    y0, y1, x0, x1 = max(y0, 0), min(y1, h), max(x0, 0), min(x1, w)
    if y1 <= y0 or x1 <= x0:
        return rgb
    t = max(1, int(width))
    colour = np.asarray(color, np.uint8)
    rgb[y0 : min(y0 + t, y1), x0:x1] = colour
    rgb[max(y1 - t, y0) : y1, x0:x1] = colour
    rgb[y0:y1, x0 : min(x0 + t, x1)] = colour
    rgb[y0:y1, max(x1 - t, x0) : x1] = colour
    return rgb


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
    y0, x0 = corner
    return to_png(outline(to_rgb8(img, cmap, vrange).copy(), y0, x0, y0 + size, x0 + size, _BOX))


def colour_scale(lo: float, hi: float, mode: str = "auto", sequential: str = "gray"):
    """The course's one colour rule for a map whose values run from ``lo`` to ``hi``.

    A signed map (``mode="auto"`` and negative values, or ``mode="diverging"``) is drawn
    blue-white-red (``"RdBu_r"``) on a range symmetric about 0, ``(-m, m)`` with
    ``m = max(|lo|, |hi|)``: white is 0, blue negative, red positive, and equal magnitudes get
    equal strength.  Any other map (or ``mode="grey"``) is drawn with ``sequential`` over
    ``(lo, hi)``.  Returns ``(cmap, (vmin, vmax))`` with ``vmin < vmax``.

    Examples
    --------
    >>> colour_scale(-0.5, 2.0)
    ('RdBu_r', (-2.0, 2.0))
    >>> colour_scale(0.0, 2.0), colour_scale(3.0, 3.0, sequential="viridis")
    (('gray', (0.0, 2.0)), ('viridis', (3.0, 4.0)))
    """
    if mode not in ("auto", "diverging", "grey"):
        raise ValueError(f'mode must be "auto", "diverging" or "grey", got {mode!r}.')
    lo, hi = float(lo), float(hi)
    if mode == "diverging" or (mode == "auto" and lo < -1e-9):
        m = max(abs(lo), abs(hi)) or 1.0
        return "RdBu_r", (-m, m)
    return sequential, (lo, hi if hi > lo else lo + 1.0)


@memo(maxsize=1024)
def map_colours(m: np.ndarray, probabilities: bool = False) -> tuple[str, tuple[float, float]]:
    """Colormap and value range of a feature map: probabilities on 0-1 (magma); otherwise
    :func:`colour_scale` on a robust scale ``s`` (:func:`robust_scale`): 0 to s (viridis), or
    -s to s (RdBu_r) if values are negative.

    Remembered per read-only map, so moving back to a channel costs nothing.

    Examples
    --------
    >>> map_colours(np.array([[0.0, 2.0]]))
    ('viridis', (0.0, 1.99))
    >>> map_colours(np.array([[-1.0, 2.0]]))[0]
    'RdBu_r'
    """
    if probabilities:
        return "magma", (0.0, 1.0)
    s = robust_scale(m)
    return colour_scale(-s if float(m.min()) < 0 else 0.0, s, sequential="viridis")


def palette(cmap: str) -> list[int]:
    """The 256 colours of ``cmap`` as a flat ``[r, g, b, r, g, b, ...]`` list (768 ints): what a
    browser front-end needs to colour a map exactly as :func:`to_png` does.

    Examples
    --------
    >>> p = palette("gray"); len(p), p[:3], p[-3:]
    (768, [0, 0, 0], [255, 255, 255])
    """
    return _lut(cmap).ravel().tolist()


MIN_COLUMN = 128  # narrower maps keep their true size on a white canvas this wide, so that
# the colour bar under them (as wide as the column) has room for its numbers


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
    return _encode(pil)


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


#: RGB uint8 colours of :func:`contour_overlay`: the true objects' outlines and the predicted
#: ones' (cyan and yellow: apart for every common kind of colour blindness, and bright on dark)
CONTOUR_COLORS: dict[str, tuple[int, int, int]] = {
    "truth": (0, 200, 255),
    "prediction": (255, 215, 0),
}


def label_edges(labels, width: int = 1) -> np.ndarray:
    """The outline of every object of a label map: a bool map, True on an object's pixels that
    lie within ``width`` pixels of another label (a neighbour object, the background or the
    image's border).

    Touching objects with different labels each get their own outline, so instance maps show
    where one nucleus ends and the next begins; a class map shows its regions' outlines.

    Examples
    --------
    >>> lab = np.array([[0, 0, 0, 0, 0], [0, 1, 1, 2, 2], [0, 1, 1, 2, 2]])
    >>> label_edges(lab).astype(int)
    array([[0, 0, 0, 0, 0],
           [0, 1, 1, 1, 1],
           [0, 1, 1, 1, 1]])
    >>> label_edges(np.pad(np.ones((5, 5), int), 1))[3].astype(int).tolist()  # the middle stays open
    [0, 1, 0, 0, 0, 1, 0]
    """
    lab = np.asarray(labels)
    if lab.ndim != 2:
        raise ValueError(f"labels must be a 2-D label map (H, W), got shape {lab.shape}.")
    width = check_int("width", width)
    padded = np.pad(lab, 1, mode="constant", constant_values=-1)  # outside: another label
    centre = padded[1:-1, 1:-1]
    edge = np.zeros(lab.shape, bool)
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):  # 4-neighbours
        edge |= padded[dy : dy + lab.shape[0], dx : dx + lab.shape[1]] != centre
    edge &= lab > 0
    for _ in range(width - 1):  # grow inwards, inside the same object
        grown = np.pad(edge, 1)
        near = np.zeros_like(edge)
        for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
            shifted = padded[dy : dy + lab.shape[0], dx : dx + lab.shape[1]] == centre
            near |= grown[dy : dy + lab.shape[0], dx : dx + lab.shape[1]] & shifted
        edge |= near & (lab > 0)
    return edge


def contour_overlay(image, prediction=None, truth=None, width: int = 1) -> np.ndarray:
    """An image with the outlines of the true objects (cyan) and of the predicted ones (yellow).

    Drawn with NumPy only (the CLI writes it as a PNG without matplotlib).  Where the two
    outlines fall on the same pixel the prediction's is drawn last, on top; a true object the
    prediction missed keeps a lone cyan outline, a merged pair of nuclei shows two cyan outlines
    inside one yellow one.  Pass instance maps (``metrics.label_components`` of a prediction) to
    see objects, class maps to see regions.

    Parameters
    ----------
    image : array (H, W) or (H, W, 3)
        Floats in [0, 1] or uint8.
    prediction, truth : integer arrays (H, W), optional
        Label maps (0 = background).
    width : int
        Outline thickness in pixels, drawn inside each object.

    Returns
    -------
    ndarray, uint8, (H, W, 3)

    Examples
    --------
    >>> truth = np.zeros((6, 6), int); truth[1:5, 1:5] = 1
    >>> rgb = contour_overlay(np.zeros((6, 6)), prediction=truth * 0, truth=truth)
    >>> rgb[1, 1].tolist(), rgb[2, 2].tolist()
    ([0, 200, 255], [0, 0, 0])
    """
    img = np.asarray(image)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
        raise ValueError(f"image must be (H, W) or (H, W, 3), got shape {img.shape}.")
    if img.dtype != np.uint8:
        img = np.round(np.clip(np.asarray(img, np.float64), 0.0, 1.0) * 255).astype(np.uint8)
    rgb = np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else img.copy()
    for name, labels in (("truth", truth), ("prediction", prediction)):
        if labels is None:
            continue
        if np.shape(labels) != rgb.shape[:2]:
            raise ValueError(
                f"{name} must have the image's height and width {rgb.shape[:2]}, got "
                f"{np.shape(labels)}."
            )
        rgb[label_edges(labels, width)] = CONTOUR_COLORS[name]
    return rgb

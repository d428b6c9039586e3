"""PoolingExplorer: choose window size, stride and max/average; see the windows and the result."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import ops
from .._validate import check_choice, check_image
from ..data import DETAIL_CORNERS, SAMPLE_IMAGES, photo
from ..ops import window_coverage
from ..viz import boxed_png, outline, to_png, to_rgb8
from ._base import Explorer, Frame
from .linked import LinkedView

__all__ = ["PoolingExplorer", "pooling_step", "draw_window_grid"]

_ZOOM_SIZE, _ZOOM = 32, 8
#: the linked view's larger map, CSS px (the detail and its pooled map fit a 900 px cell)
LINKED_SIZE = 300
_LINE = np.array([0, 200, 255], np.uint8)  # window borders: cyan
_FIRST = np.array([255, 140, 0], np.uint8)  # one whole window: orange


def draw_window_grid(
    crop: np.ndarray,
    origin: tuple[int, int],
    pool_size: int,
    stride: int,
    image_shape: tuple[int, int],
    zoom: int = _ZOOM,
) -> np.ndarray:
    """Enlarge a gray crop ``zoom`` times and draw the pooling windows into it (NumPy only).

    Cyan lines mark where windows start (and end, when they do not overlap); one whole window is outlined in orange;
    pixels no window reads are dimmed.  The windows are those of the full image (they start at
    multiples of ``stride`` counted from the image's corner), seen through the crop.

    Parameters
    ----------
    crop : array (h, w), float in [0, 1]
    origin : (row, col) of the crop's corner in the full image
    pool_size, stride : int
    image_shape : (H, W) of the full image
    zoom : int
        Enlargement factor.

    Returns
    -------
    ndarray, uint8, shape (h * zoom, w * zoom, 3)

    Examples
    --------
    >>> import numpy as np
    >>> draw_window_grid(np.zeros((4, 4)), (0, 0), 2, 2, (4, 4), zoom=3).shape
    (12, 12, 3)
    """
    h, w = crop.shape
    y0, x0 = origin
    rgb = to_rgb8(crop, "gray", (0.0, 1.0), scale=zoom).copy()
    cov_r = window_coverage(image_shape[0], pool_size, stride)[y0 : y0 + h]
    cov_c = window_coverage(image_shape[1], pool_size, stride)[x0 : x0 + w]
    dim = ~np.repeat(np.repeat(np.outer(cov_r, cov_c), zoom, 0), zoom, 1)
    rgb[dim] = rgb[dim] // 3
    n_out_r = ops.pool_output_size(image_shape[0], pool_size, stride)
    n_out_c = ops.pool_output_size(image_shape[1], pool_size, stride)

    def borders(n_out: int, start: int, length: int) -> np.ndarray:
        starts = stride * np.arange(n_out)
        if stride >= pool_size:  # ends too; when windows overlap, starts alone stay readable
            starts = np.unique(np.concatenate([starts, starts + pool_size]))
        edges = starts - start
        edges = edges[(edges >= 0) & (edges <= length)]
        return np.clip(edges * zoom, 0, length * zoom - 1)

    rows, cols = borders(n_out_r, y0, h), borders(n_out_c, x0, w)
    rgb[rows, :] = _LINE
    rgb[:, cols] = _LINE
    # outline the first window that starts inside the crop, so its size p is visible
    fy = -(-y0 // stride) * stride - y0
    fx = -(-x0 // stride) * stride - x0
    if fy + pool_size <= h and fx + pool_size <= w:
        end_y, end_x = (fy + pool_size) * zoom + 1, (fx + pool_size) * zoom + 1  # on the line
        outline(rgb, fy * zoom, fx * zoom, end_y, end_x, _FIRST, 2)
    return rgb


def pooling_step(
    image: np.ndarray,
    pool_size: int,
    stride: int,
    mode: str = "max",
    corner: tuple[int, int] = (0, 0),
) -> Frame:
    """The pure update: pool the image, draw the windows on an enlarged detail, describe shapes.

    Parameters
    ----------
    image : array (H, W), float in [0, 1]
    pool_size, stride : int
        Window size ``p`` and step ``s`` ("valid" pooling).
    mode : {"max", "average"}
    corner : (row, col)
        Corner of the 32x32 detail that is shown enlarged 8 times.

    Returns
    -------
    Frame
        ``images``: ``"input"`` (photo, detail boxed), ``"windows"`` (detail with the window grid),
        ``"output"`` (pooled map, drawn at its true size: half as wide for stride 2); ``data``:
        ``"output"``, ``"windows"`` (RGB uint8), ``"coverage"``, ``"detail"`` (row, col, side).

    Examples
    --------
    >>> import numpy as np
    >>> f = pooling_step(np.zeros((64, 64)), 2, 2)
    >>> f.data["output"].shape, f.widths["output"]
    ((32, 32), 128)
    """
    check_choice("mode", mode, ("max", "average"))
    img = check_image("image", image, ranks=(2,))
    pool = ops.max_pool2d if mode == "max" else ops.avg_pool2d
    out = pool(img, pool_size, stride)  # validates the sizes
    h, w = img.shape
    zs = min(_ZOOM_SIZE, h, w)
    y0, x0 = min(max(corner[0], 0), h - zs), min(max(corner[1], 0), w - zs)
    grid = draw_window_grid(
        img[y0 : y0 + zs, x0 : x0 + zs],
        (y0, x0),
        pool_size,
        stride,
        (h, w),
        zoom=_ZOOM * _ZOOM_SIZE // zs,
    )
    cov = np.outer(window_coverage(h, pool_size, stride), window_coverage(w, pool_size, stride))
    word = "largest" if mode == "max" else "mean"
    overlap = (
        "windows overlap"
        if stride < pool_size
        else "windows tile without overlap"
        if stride == pool_size
        else "windows leave gaps"
    )
    info = (
        f"input <b>{h}&times;{w}</b>, window {pool_size}&times;{pool_size}, stride {stride} "
        f"&rarr; output <b>{out.shape[0]}&times;{out.shape[1]}</b>"
        f"<br>rows: &lfloor;({h} &minus; {pool_size}) / {stride}&rfloor; + 1 = {out.shape[0]}; "
        f"each output value is the {word} of {pool_size * pool_size} pixels"
        f"<br>{overlap}; {100 * (1 - cov.mean()):.1f}% of the input pixels are never read "
        "(dimmed in the detail)"
    )
    width = int(Explorer.image_width.removesuffix("px"))
    out_width = max(1, round(width * out.shape[1] / w))
    bars = {"input": ("gray", 0.0, 1.0)}
    if out_width >= 96:  # narrower maps share the input's bar (pooling keeps the grey scale)
        bars["output"] = ("gray", 0.0, 1.0)
    return Frame(
        images={
            "input": boxed_png(img, (y0, x0), zs),
            "windows": to_png(grid),
            "output": to_png(out, "gray", (0.0, 1.0)),
        },
        info=info,
        data={"output": out, "windows": grid, "coverage": cov, "detail": (y0, x0, zs)},
        widths={"input": width, "windows": width, "output": out_width},
        colorbars=bars,
    )


class PoolingExplorer(Explorer):
    """Change window size, stride and max/average pooling; see the windows and the pooled map.

    Left: the photo (yellow box = the detail); middle: the detail enlarged 8 times with the
    pooling windows drawn in (cyan borders, one window in orange, unread pixels dimmed);
    right: the pooled map at its true size (half as wide for stride 2).  Below, a
    :class:`~course_utils.widgets.linked.LinkedView` of the same detail and its part of the
    real pooled map (the photo's windows; pixels no window reads dimmed): hover a pooled pixel
    to see its window and the maximum (or the mean); click an input pixel to see which pooled
    pixels read it (a dimmed one says it is never read).

    Examples
    --------
    >>> ex = PoolingExplorer()
    >>> ex.frame.data["output"].shape
    (128, 128)
    >>> ex.set(pool_size=3, stride=1).data["output"].shape
    (254, 254)
    >>> ex.linked.op, ex.linked.out_shape
    ('maxpool', [32, 32])
    """

    def __init__(
        self, image: str = "camera", pool_size: int = 2, stride: int = 2, mode: str = "max"
    ) -> None:
        check_choice("image", image, SAMPLE_IMAGES)
        check_choice("mode", mode, ("max", "average"))
        controls = {
            "image": W.Dropdown(options=list(SAMPLE_IMAGES), value=image, description="photo"),
            "pool_size": W.IntSlider(value=pool_size, min=1, max=8, description="pool size"),
            "stride": W.IntSlider(value=stride, min=1, max=8, description="stride"),
            "mode": W.ToggleButtons(options=["max", "average"], value=mode, description="pooling"),
        }
        self.linked: LinkedView | None = None
        self._build(
            controls,
            {
                "input": "input (yellow box = detail)",
                "windows": "detail x8 with the windows",
                "output": "pooled map (true size, same grey scale)",
            },
        )
        self.linked = LinkedView(np.zeros((4, 4)), "maxpool", size=LINKED_SIZE)
        self._update_linked(self.frame)
        self.widget.children = (
            *self.widget.children,
            W.HTML(
                "<b>The detail, linked</b>: hover a pooled pixel to see its window and the "
                "value it keeps; click an input pixel to see which pooled pixels read it."
            ),
            self.linked,
        )

    def step(self, image: str, pool_size: int, stride: int, mode: str) -> Frame:
        return pooling_step(
            photo(image, gray=True), pool_size, stride, mode, DETAIL_CORNERS.get(image, (0, 0))
        )

    def refresh(self) -> Frame | None:
        frame = super().refresh()
        self._update_linked(frame)
        return frame

    def detail(self) -> np.ndarray:
        """The detail of the current photo that the windows picture and the linked view show."""
        y0, x0, zs = self.frame.data["detail"]
        return photo(self.controls["image"].value, gray=True)[y0 : y0 + zs, x0 : x0 + zs]

    def _update_linked(self, frame: Frame | None) -> None:
        """The linked view: the detail's part of the real pooled map (the photo's windows, as
        the windows picture draws them; pixels no window reads are dimmed)."""
        if self.linked is None or frame is None:
            return
        v = self.values()
        op = "maxpool" if v["mode"] == "max" else "avgpool"
        self.linked.update(
            photo(v["image"], gray=True),
            op,
            pool_size=v["pool_size"],
            stride=v["stride"],
            labels=("detail", "pooled"),
            detail=(*frame.data["detail"][:2], frame.data["detail"][2], frame.data["detail"][2]),
        )

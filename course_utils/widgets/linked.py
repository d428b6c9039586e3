"""LinkedView: an input map and an output map, linked by the arithmetic (CNN Explainer style).

Hover (or click) an output pixel: its input window is outlined on the input and the computation
is written out, computed in the browser from the arrays Python sent (no kernel round trip).
Click an input pixel: every output pixel it reaches (its projective field) lights up; a pixel
no window reads is dimmed and says so.  Both maps are drawn at the same pixel scale, so a
stride-4 output looks 1/4 the size of its input.

A view of a *detail* (``detail=(row, col, height, width)`` of a larger map) shows the real
numbers: the output pixels are the full map's (those whose window is anchored in the detail,
:func:`course_utils.linked_math.detail_outputs`), and the input shows, around the detail, the
real neighbouring pixels their windows read (pale cells), never zeros the full map does not
have.  Zero padding (grey "0" cells) appears only where the full map's own padding is.

Python computes the output with :mod:`course_utils.ops` and sends float32 arrays, the
parameters and what ``ops`` decides: the padding (``pads``), the output shape and, for max
pooling, each window's winner (``argmax``, ops' tie rule); ``static/linked.js`` only draws and
adds up the terms.  The window arithmetic the front-end does on hover is mirrored in
:mod:`course_utils.linked_math` (tested against ``ops``).
"""

from __future__ import annotations

import base64
import pathlib

import anywidget
import numpy as np
import traitlets as t

from .. import linked_math, ops, viz
from .._arrays import as_float
from .._validate import check_int

__all__ = ["LinkedView"]

_STATIC = pathlib.Path(__file__).parent / "static"
MAX_SIDE = 1024  # larger maps would make every update a multi-megabyte message
CMAPS = ("auto", "grey", "diverging")


def _f32_bytes(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype="<f4").tobytes()


def _map2d(name: str, a, max_side: int = MAX_SIDE) -> np.ndarray:
    """A finite 2-D float array, rounded to float32 (what the browser sees), as float64."""
    arr = np.asarray(a)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D map (H, W), got shape {arr.shape}; "
            f"for a multi-channel map pass one channel, e.g. {name}[..., 0]."
        )
    if 0 in arr.shape or max(arr.shape) > max_side:
        raise ValueError(
            f"{name} must have between 1 and {max_side} rows and columns, got "
            f"shape {arr.shape}; crop or downsample it first."
        )
    return as_float(arr, name, np.float32).astype(np.float64)


class LinkedView(anywidget.AnyWidget):
    """Input and output of one operation side by side, linked on hover and click.

    Parameters
    ----------
    x : array (H, W)
        The input map (a 2-D image or one channel), at most 1024 x 1024.
    op : {"conv", "maxpool", "avgpool", "transpose"}
        ``ops.conv2d`` (cross-correlation, + ``bias``), ``ops.max_pool2d`` ("valid"),
        ``ops.avg_pool2d`` ("valid") or ``ops.conv2d_transpose`` ("valid").
    kernel : array (kh, kw)
        Weights for "conv" and "transpose" (at most 16 x 16).
    stride : int, optional
        Step between windows (conv, pooling) or stamps (transpose).  Default: 1 for conv,
        ``pool_size`` for pooling, 2 for transpose.
    padding : {"valid", "same"} or int
        Conv only; "same" pads like Keras (the odd extra zero goes bottom/right).
    pool_size : int
        Pooling window side.
    bias : float
        Conv only: added to every output pixel.
    fixed_range : (lo, hi), optional
        One colour scale for input and output (compare brightness); default: each map its own.
    cmap : {"auto", "grey", "diverging"}
        "auto": diverging (blue-white-red, centred on 0) when a map has both signs, else grey.
    size : int
        Width in CSS pixels of the larger map; the other is drawn at the same pixel scale.
    show_values : bool, optional
        Write each value inside its cell; default: for maps of at most 16 x 16.
    labels : (str, str)
        Captions of the input and the output map.
    detail : (row, col, height, width), optional
        Show only this part of ``x`` (conv and pooling): the output pixels of the *full* map
        whose window is anchored in it, and the real input pixels around it that their windows
        read.  Coordinates in the arithmetic, in :meth:`explain` and in the synced state are
        those of the full maps.

    Synced state the front-end writes back: ``hover`` (the output pixel where the mouse rests,
    sent 150 ms after it stops, its window, the sum computed in the browser and the time from
    the mouse event to the drawn highlight, ``ms``) and ``selected`` (the last clicked input
    pixel and its projective field); all in the full maps' coordinates.

    Examples
    --------
    >>> import numpy as np
    >>> v = LinkedView(np.arange(16.0).reshape(4, 4), op="maxpool", pool_size=2)
    >>> v.out_shape, v.stride
    ([2, 2], 2)
    >>> v.explain(1, 1).value
    15.0
    >>> photo = np.arange(64.0).reshape(8, 8)
    >>> d = LinkedView(photo, "conv", kernel=np.ones((3, 3)), padding="same", detail=(2, 2, 4, 4))
    >>> d.x_shape, d.origin, d.out_origin, d.out_shape  # the detail and its real neighbours
    ([6, 6], [1, 1], [2, 2], [4, 4])
    >>> bool(d.explain(2, 2).value == ops.conv2d(photo, np.ones((3, 3)), 1, "same")[2, 2])
    True
    """

    _esm = _STATIC / "linked.js"
    _css = _STATIC / "linked.css"

    op = t.Unicode("conv").tag(sync=True)
    x = t.Bytes(b"").tag(sync=True)  # the input pixels drawn (the detail and its neighbours)
    x_shape = t.List(t.Int(), [0, 0]).tag(sync=True)
    origin = t.List(t.Int(), [0, 0]).tag(sync=True)  # full-map (row, col) of x[0, 0]
    full_shape = t.List(t.Int(), [0, 0]).tag(sync=True)  # the full input's (H, W)
    margin = t.List(t.Int(), [0, 0, 0, 0]).tag(sync=True)  # padding zeros drawn: t, b, l, r
    detail = t.List(t.Int(), []).tag(sync=True)  # [] or the detail box [r0, c0, r1, c1], full map
    read_rows = t.List(t.Int(), []).tag(sync=True)  # 1 where some window reads x's row
    read_cols = t.List(t.Int(), []).tag(sync=True)
    kernel = t.Bytes(b"").tag(sync=True)
    kernel_shape = t.List(t.Int(), [0, 0]).tag(sync=True)
    out = t.Bytes(b"").tag(sync=True)
    out_shape = t.List(t.Int(), [0, 0]).tag(sync=True)
    out_origin = t.List(t.Int(), [0, 0]).tag(sync=True)  # full-map (row, col) of out[0, 0]
    argmax = t.Bytes(b"").tag(sync=True)  # maxpool: row * w + col in x of each winner (int32)
    stride = t.Int(1).tag(sync=True)
    pads = t.List(t.Int(), [0, 0, 0, 0]).tag(sync=True)  # the op's padding: t, b, l, r
    pool_size = t.Int(2).tag(sync=True)
    bias = t.Float(0.0).tag(sync=True)
    fixed_range = t.List(t.Float(), []).tag(sync=True)  # [] or [lo, hi]
    cmap = t.Unicode("auto").tag(sync=True)
    # what viz.colour_scale chose per map, [cmap, lo, hi], and those colormaps' 256 colours
    scales = t.Dict({}).tag(sync=True)
    palettes = t.Dict({}).tag(sync=True)
    size = t.Int(384).tag(sync=True)
    show_values = t.Unicode("auto").tag(sync=True)  # "auto", "yes", "no"
    labels = t.List(t.Unicode(), ["input", "output"]).tag(sync=True)
    # written by the browser
    hover = t.Dict({}).tag(sync=True)
    selected = t.Dict({}).tag(sync=True)

    def __init__(
        self,
        x,
        op: str = "conv",
        *,
        kernel=None,
        stride: int | None = None,
        padding="valid",
        pool_size: int = 2,
        bias: float = 0.0,
        fixed_range=None,
        cmap: str = "auto",
        size: int = 384,
        show_values: bool | None = None,
        labels=("input", "output"),
        detail=None,
    ) -> None:
        super().__init__()
        self.update(
            x,
            op,
            kernel=kernel,
            stride=stride,
            padding=padding,
            pool_size=pool_size,
            bias=bias,
            fixed_range=fixed_range,
            cmap=cmap,
            size=size,
            show_values=show_values,
            labels=labels,
            detail=detail,
        )

    # ---- state ------------------------------------------------------------------------------
    def update(
        self,
        x=None,
        op: str | None = None,
        *,
        kernel=None,
        stride: int | None = None,
        padding=None,
        pool_size: int | None = None,
        bias: float | None = None,
        fixed_range=None,
        cmap: str | None = None,
        size: int | None = None,
        show_values: bool | None = None,
        labels=None,
        detail=None,
    ) -> LinkedView:
        """Change any of the constructor's arguments (``None`` keeps the current value).

        Everything is validated and computed first, then sent in one message. ``fixed_range``
        goes back to per-map scales with ``fixed_range=()``, ``detail=()`` to the whole of
        ``x``. Returns ``self``.
        """
        op = self.op if op is None else op
        if op not in linked_math.OPS:
            raise ValueError(f"op must be one of {linked_math.OPS}, got {op!r}.")
        xa = self._x if x is None else _map2d("x", x)
        if op in ("conv", "transpose"):
            if kernel is None and getattr(self, "_k", None) is None:
                raise ValueError(f'op="{op}" needs a kernel, e.g. kernel=np.ones((3, 3)) / 9.')
            ka = self._k if kernel is None else _map2d("kernel", kernel, max_side=16)
        else:
            ka = None
        pool = self.pool_size if pool_size is None else check_int("pool_size", pool_size)
        if stride is None:
            stride = (
                {"conv": 1, "maxpool": pool, "avgpool": pool, "transpose": 2}[op]
                if (op != self.op or not hasattr(self, "_x"))
                else self.stride
            )
        stride = check_int("stride", stride)
        if padding is None:  # kept while the op stays the same
            padding = getattr(self, "_padding", "valid") if op == self.op else "valid"
        if op != "conv" and padding not in ("valid", 0, "VALID"):
            raise ValueError(f'op="{op}" supports padding="valid" only, got {padding!r}.')
        bias = self.bias if bias is None else float(bias)
        if op != "conv" and bias != 0.0:
            raise ValueError(f'bias is for op="conv" only, got bias={bias} with op="{op}".')
        if fixed_range is None:
            rng = list(self.fixed_range)
        else:
            rng = [float(v) for v in fixed_range]
            if rng and (len(rng) != 2 or not np.all(np.isfinite(rng)) or rng[0] >= rng[1]):
                raise ValueError(f"fixed_range must be (lo, hi) with lo < hi, got {fixed_range!r}.")
        cmap = self.cmap if cmap is None else cmap
        if cmap not in CMAPS:
            raise ValueError(f"cmap must be one of {CMAPS}, got {cmap!r}.")
        size = self.size if size is None else check_int("size", size, 32)
        labels = list(self.labels if labels is None else labels)
        if len(labels) != 2 or not all(isinstance(s, str) for s in labels):
            raise ValueError(f"labels must be two strings (input, output), got {labels!r}.")
        if detail is None:
            det = getattr(self, "_detail", None)
        else:
            det = tuple(detail) or None
            if det is not None and len(det) != 4:
                raise ValueError(f"detail must be (row, col, height, width) or (), got {detail!r}.")
        if det is not None and op == "transpose":
            raise ValueError('detail=... is for "conv" and pooling, not "transpose".')

        pads, argmax, kshape = (0, 0, 0, 0), None, None  # sent: the browser computes none
        if op == "conv":
            (t, b), (left, r) = (
                ops.pad_amounts(n, k, stride, padding)
                for n, k in zip(xa.shape, ka.shape, strict=True)
            )
            pads, kshape = (t, b, left, r), ka.shape
            out = ops.conv2d(xa, ka, stride, padding) + bias
        elif op == "maxpool":
            out = ops.max_pool2d(xa, pool, stride)
            argmax = ops.max_pool2d_argmax(xa, pool, stride)  # the tie rule, from ops
        elif op == "avgpool":
            out = ops.avg_pool2d(xa, pool, stride)
        else:
            out = ops.conv2d_transpose(xa, ka, stride, "valid")
        if max(out.shape) > 4 * MAX_SIDE:
            raise ValueError(f"the output {out.shape} is too large to draw; use a smaller input.")
        geometry = {"kernel_shape": kshape, "pool_size": pool, "stride": stride, "pads": pads}
        h, w = xa.shape
        if det is None:  # the whole input, with the op's padding drawn around it
            (r0, r1), (c0, c1) = (0, out.shape[0]), (0, out.shape[1])
            box = (-pads[0], -pads[2], h + pads[1], w + pads[3])
        else:
            (r0, r1), (c0, c1) = linked_math.detail_outputs(op, xa.shape, det, **geometry)
            if r1 <= r0 or c1 <= c0:
                raise ValueError(
                    f"no output window is anchored in the detail {det} with stride {stride}; "
                    "use a larger detail or a smaller stride."
                )
            box = linked_math.detail_crop(det, (r0, r1), (c0, c1), op=op, **geometry)
        # the real pixels drawn, and the padding zeros around them (outside the input only)
        y0, x0, y1, x1 = max(box[0], 0), max(box[1], 0), min(box[2], h), min(box[3], w)
        margin = (y0 - box[0], box[2] - y1, x0 - box[1], box[3] - x1)
        crop, shown = xa[y0:y1, x0:x1], out[r0:r1, c0:c1]
        if op == "transpose":
            read_rows, read_cols = np.ones(h, bool), np.ones(w, bool)
        else:
            read_rows, read_cols = linked_math.coverage(op, xa.shape, **geometry)
        if argmax is not None:  # each shown window's winner, as an index into the crop
            rows, cols = (a[r0:r1, c0:c1] for a in argmax)
            argmax = (rows - y0) * crop.shape[1] + (cols - x0)

        def colours(a, mode, own=False):
            lo, hi = (a.min(), a.max()) if own or not rng else rng
            cmap_name, (lo, hi) = viz.colour_scale(lo, hi, mode)
            return [cmap_name, lo, hi]

        scales = {"input": colours(crop, cmap), "output": colours(shown, cmap)}
        if ka is not None:  # weights: blue-white-red around 0 on their own range, always
            scales["kernel"] = colours(ka, "diverging", own=True)
        self._x, self._k, self._padding, self._out = xa, ka, padding, out
        self._detail, self._shown = det, ((r0, r1), (c0, c1))
        self._crop = crop
        with self.hold_sync():
            self.op = op
            self.x, self.x_shape = _f32_bytes(crop), list(crop.shape)
            self.origin, self.full_shape, self.margin = [y0, x0], [h, w], list(margin)
            self.detail = [] if det is None else [det[0], det[1], det[0] + det[2], det[1] + det[3]]
            self.read_rows = read_rows[y0:y1].astype(int).tolist()
            self.read_cols = read_cols[x0:x1].astype(int).tolist()
            self.kernel = b"" if ka is None else _f32_bytes(ka)
            self.kernel_shape = [0, 0] if ka is None else list(ka.shape)
            self.out, self.out_shape = _f32_bytes(shown), list(shown.shape)
            self.out_origin = [r0, c0]
            self.argmax = b"" if argmax is None else np.ascontiguousarray(argmax, "<i4").tobytes()
            self.stride, self.pads, self.pool_size, self.bias = stride, list(pads), pool, bias
            self.fixed_range, self.cmap, self.size, self.labels = rng, cmap, size, labels
            self.scales = scales
            self.palettes = {name: viz.palette(name) for name, _, _ in scales.values()}
            if show_values is not None:
                self.show_values = "yes" if show_values else "no"
            self.hover, self.selected = {}, {}
        return self

    @property
    def output(self) -> np.ndarray:
        """The output pixels shown (float64 copy of what the browser draws, before float32
        rounding); ``out_origin`` is where they sit in the full output map."""
        (r0, r1), (c0, c1) = self._shown
        return self._out[r0:r1, c0:c1].copy()

    @property
    def full_output(self) -> np.ndarray:
        """The operation's whole output map (the view shows ``output``, a part of it)."""
        return self._out.copy()

    # ---- the same math the browser does ----------------------------------------------------
    def explain(self, r: int, c: int) -> linked_math.Arithmetic:
        """The arithmetic of output pixel ``(r, c)`` (full-map coordinates), as the browser
        shows it on hover."""
        (r0, r1), (c0, c1) = self._shown
        if not (r0 <= r < r1 and c0 <= c < c1):
            raise ValueError(
                f"output pixel ({r}, {c}) is not in this view: rows {r0}..{r1 - 1}, "
                f"cols {c0}..{c1 - 1}."
            )
        return linked_math.arithmetic(
            self.op,
            self._x,
            r,
            c,
            kernel=self._k,
            stride=self.stride,
            pads=tuple(self.pads),
            pool_size=self.pool_size,
            bias=self.bias,
        )

    def projective_field(self, i: int, j: int) -> list[tuple[int, int]]:
        """The output pixels in view that input pixel ``(i, j)`` reaches (full-map coordinates),
        as the browser highlights them on click."""
        kshape = None if self._k is None else self._k.shape
        (r0, r1), (c0, c1) = self._shown
        field = linked_math.projective_field(
            self.op,
            self._x.shape,
            i,
            j,
            kernel_shape=kshape,
            pool_size=self.pool_size,
            stride=self.stride,
            pads=tuple(self.pads),
        )
        return [(r, c) for r, c in field if r0 <= r < r1 and c0 <= c < c1]

    # ---- a picture for readers without a kernel ---------------------------------------------
    def static_png(self) -> bytes:
        """PNG of input and output side by side at one pixel scale (the current state).

        Saved notebooks carry it next to the widget, so viewers without a kernel (GitHub,
        nbviewer) show the maps instead of ``LinkedView(...)`` text.
        """
        h, w = self._crop.shape
        oh, ow = self.out_shape
        scale = max(1, int(min(40, self.size / max(h, w, oh, ow))))
        columns = []
        for arr, name in ((self._crop, "input"), (self.output, "output")):
            cmap, lo, hi = self.scales[name]  # the browser's colours (viz.colour_scale)
            columns.append([(viz.to_png(arr, cmap, (lo, hi), scale), arr.shape[1] * scale)])
        return viz.side_by_side_png(columns, gap=24)

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data["image/png"] = base64.b64encode(self.static_png()).decode("ascii")
        return data, metadata

    def __repr__(self) -> str:  # stable text (nbval compares text/plain): no memory address
        h, w = self.full_shape
        oh, ow = self.out_shape
        detail = {
            "conv": f"kernel {self.kernel_shape[0]}x{self.kernel_shape[1]}, stride {self.stride}, "
            f"padding {self._padding!r}",
            "maxpool": f"pool {self.pool_size}, stride {self.stride}",
            "avgpool": f"pool {self.pool_size}, stride {self.stride}",
            "transpose": f"kernel {self.kernel_shape[0]}x{self.kernel_shape[1]}, "
            f"stride {self.stride}",
        }[self.op]
        if self._detail is not None:
            y, x, dh, dw = self._detail
            r0, c0 = self.out_origin
            return (
                f"LinkedView({self.op}: detail {dh}x{dw} at ({y}, {x}) of {h}x{w} -> output "
                f"{oh}x{ow} at ({r0}, {c0}), {detail})"
            )
        return f"LinkedView({self.op}: {h}x{w} -> {oh}x{ow}, {detail})"

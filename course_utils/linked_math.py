"""Index math behind the linked views: which input pixels one output pixel reads, and the sum.

For one output pixel of a convolution, a max-pooling or a transposed convolution these functions
return the input window (or the input pixels whose stamps reach it), every term of the
arithmetic and the result, exactly as the browser front-end of
:class:`course_utils.widgets.linked.LinkedView` computes them on hover (``static/linked.js``
mirrors this module's window arithmetic; the tests check both against :mod:`course_utils.ops`).
Sizes, paddings and the max-pool tie rule are not computed here: they come from ``ops``
(:func:`~course_utils.ops.pad_amounts`, the ``*_output_size`` functions,
:func:`~course_utils.ops.max_pool2d_argmax`), and the widget sends them to the browser.
:func:`projective_field` answers the opposite question: which output pixels one input pixel
reaches.

All maps are 2-D ``(H, W)``; indices are ``(row, col)``; windows are half-open
``(row0, col0, row1, col1)`` in input coordinates and may stick out of the input where padding
adds zeros (those taps are marked ``pad=True`` and read 0).

A view of a *detail* of a large map (a 16x16 box of a photo) shows the output pixels that belong
to the detail (:func:`detail_outputs`: those whose window is anchored in it) with the real input
pixels their windows read (:func:`detail_crop`), never a convolution of the detail alone: the
numbers are the full map's.  :func:`coverage` says which input pixels no window reads.

Examples
--------
>>> import numpy as np
>>> x = np.arange(16.0).reshape(4, 4)
>>> a = conv_arithmetic(x, np.ones((2, 2)), 0, 1, stride=2)
>>> a.window, a.value
((0, 2, 2, 4), 18.0)
>>> pool_arithmetic(x, 1, 1, pool_size=2).value
15.0
>>> pool_arithmetic(x, 1, 1, pool_size=2, mode="average").value
12.5
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import ops
from ._validate import check_int

__all__ = [
    "Term",
    "Arithmetic",
    "output_shape",
    "conv_arithmetic",
    "pool_arithmetic",
    "transpose_arithmetic",
    "arithmetic",
    "projective_field",
    "coverage",
    "detail_outputs",
    "detail_crop",
]

OPS = ("conv", "maxpool", "avgpool", "transpose")
POOLS = ("maxpool", "avgpool")


@dataclass(frozen=True)
class Term:
    """One term of the arithmetic: input pixel ``(i, j)`` (value ``x``), kernel tap ``(a, b)``.

    ``w`` and ``product`` are ``None`` for pooling (no weights); ``pad`` is True for a tap that
    falls on a padding zero (``x == 0``; ``i``/``j`` lie outside the input).
    """

    i: int
    j: int
    x: float
    a: int | None = None
    b: int | None = None
    w: float | None = None
    product: float | None = None
    pad: bool = False


@dataclass(frozen=True)
class Arithmetic:
    """What one output pixel computes.

    op : "conv", "maxpool", "avgpool" or "transpose"
    out : (row, col) of the output pixel
    window : (row0, col0, row1, col1), half-open, in input coordinates: the input window
        (conv, max-pool) or the bounding box of the contributing input pixels (transpose;
        ``(0, 0, 0, 0)`` when none reaches it)
    terms : the products (conv, transpose) or the window values (max-pool), row-major
    value : the sum of the products plus ``bias`` (conv), the sum (transpose), the maximum
        (max-pool), the mean (average pool)
    bias : added to the sum (conv only)
    argmax : (row, col) in the input of the maximum (max-pool; first one in row-major order)
    """

    op: str
    out: tuple[int, int]
    window: tuple[int, int, int, int]
    terms: list[Term] = field(default_factory=list)
    value: float = 0.0
    bias: float = 0.0
    argmax: tuple[int, int] | None = None


def _shape2(name: str, shape) -> tuple[int, int]:
    shape = tuple(shape)
    if len(shape) != 2:
        raise ValueError(f"{name} must be 2-D (rows, cols), got shape {shape}.")
    return check_int(f"{name}[0]", shape[0]), check_int(f"{name}[1]", shape[1])


def output_shape(
    op: str, in_shape, *, kernel_shape=None, pool_size: int = 2, stride: int = 1, pads=(0, 0, 0, 0)
) -> tuple[int, int]:
    """Output ``(rows, cols)`` of ``op`` on a 2-D input: ``ops``' size functions, per axis.

    conv: :func:`~course_utils.ops.conv_output_size` of the padded length; maxpool, avgpool
    ("valid"): :func:`~course_utils.ops.pool_output_size`; transpose ("valid"):
    :func:`~course_utils.ops.conv_transpose_output_size`.

    Examples
    --------
    >>> output_shape("conv", (256, 256), kernel_shape=(3, 3), stride=4, pads=(0, 1, 0, 1))
    (64, 64)
    >>> output_shape("transpose", (4, 4), kernel_shape=(3, 3), stride=2)
    (9, 9)
    """
    h, w = _shape2("in_shape", in_shape)
    if op in POOLS:
        return ops.pool_output_size(h, pool_size, stride), ops.pool_output_size(
            w, pool_size, stride
        )
    if op not in OPS:
        raise ValueError(f"op must be one of {OPS}, got {op!r}.")
    kh, kw = _shape2("kernel_shape", kernel_shape)
    if op == "transpose":
        return (
            ops.conv_transpose_output_size(h, kh, stride, "valid"),
            ops.conv_transpose_output_size(w, kw, stride, "valid"),
        )
    t, b, left, r = pads
    return ops.conv_output_size(h + t + b, kh, stride), ops.conv_output_size(
        w + left + r, kw, stride
    )


def _check_out(r: int, c: int, out_shape: tuple[int, int]) -> tuple[int, int]:
    r, c = check_int("row", r, 0), check_int("col", c, 0)
    if r >= out_shape[0] or c >= out_shape[1]:
        raise ValueError(
            f"output pixel ({r}, {c}) is outside the output {out_shape[0]}x{out_shape[1]}."
        )
    return r, c


def conv_arithmetic(
    x, kernel, r: int, c: int, *, stride: int = 1, pads=(0, 0, 0, 0), bias: float = 0.0
) -> Arithmetic:
    """Output pixel ``(r, c)`` of ``ops.conv2d(x, kernel, stride, padding) + bias``, term by term.

    The window starts at input ``(r * stride - top, c * stride - left)`` and is ``kh x kw``;
    tap ``(a, b)`` multiplies weight ``kernel[a, b]`` with the input pixel under it (0 on padding).

    Examples
    --------
    >>> import numpy as np
    >>> a = conv_arithmetic(np.ones((3, 3)), np.full((3, 3), 2.0), 0, 0, pads=(1, 1, 1, 1))
    >>> a.window, len(a.terms), sum(t.pad for t in a.terms), a.value
    ((-1, -1, 2, 2), 9, 5, 8.0)
    """
    x, k = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    (h, w), (kh, kw) = x.shape, k.shape
    stride = check_int("stride", stride)
    t, _, left, _ = pads
    out_shape = output_shape("conv", (h, w), kernel_shape=(kh, kw), stride=stride, pads=pads)
    r, c = _check_out(r, c, out_shape)
    r0, c0 = r * stride - t, c * stride - left
    terms, total = [], 0.0
    for a in range(kh):
        for b in range(kw):
            i, j = r0 + a, c0 + b
            pad = not (0 <= i < h and 0 <= j < w)
            xv = 0.0 if pad else float(x[i, j])
            p = float(k[a, b]) * xv
            total += p
            terms.append(Term(i, j, xv, a, b, float(k[a, b]), p, pad))
    return Arithmetic(
        "conv", (r, c), (r0, c0, r0 + kh, c0 + kw), terms, total + float(bias), float(bias)
    )


def pool_arithmetic(
    x, r: int, c: int, *, pool_size: int = 2, stride: int | None = None, mode: str = "max"
) -> Arithmetic:
    """Output pixel ``(r, c)`` of ``ops.max_pool2d`` (``mode="max"``) or ``ops.avg_pool2d``.

    The window starts at ``(r * stride, c * stride)`` and is ``pool_size`` wide; max pooling
    keeps its largest value (``argmax``: where it sits, by :func:`course_utils.ops.max_pool2d_argmax`'s
    tie rule, the first of equal values in row-major order), average pooling
    the sum of its values divided by ``pool_size ** 2``.

    Examples
    --------
    >>> import numpy as np
    >>> a = pool_arithmetic(np.arange(16.0).reshape(4, 4), 0, 1, pool_size=2)
    >>> a.window, a.argmax, a.value
    ((0, 2, 2, 4), (1, 3), 7.0)
    >>> pool_arithmetic(np.arange(16.0).reshape(4, 4), 0, 1, pool_size=2, mode="average").value
    4.5
    """
    if mode not in ("max", "average"):
        raise ValueError(f'mode must be "max" or "average", got {mode!r}.')
    x = np.asarray(x, np.float64)
    p = check_int("pool_size", pool_size)
    s = p if stride is None else check_int("stride", stride)
    out_shape = output_shape("maxpool", x.shape, pool_size=p, stride=s)
    r, c = _check_out(r, c, out_shape)
    r0, c0 = r * s, c * s
    terms = [Term(i, j, float(x[i, j])) for i in range(r0, r0 + p) for j in range(c0, c0 + p)]
    window = (r0, c0, r0 + p, c0 + p)
    if mode == "average":
        total = 0.0
        for term in terms:  # row-major, as the browser adds them
            total += term.x
        return Arithmetic("avgpool", (r, c), window, terms, total / (p * p))
    rows, cols = ops.max_pool2d_argmax(x[r0 : r0 + p, c0 : c0 + p], p)  # ops' tie rule
    i, j = r0 + int(rows[0, 0]), c0 + int(cols[0, 0])
    return Arithmetic("maxpool", (r, c), window, terms, float(x[i, j]), argmax=(i, j))


def _sources(n_in: int, k: int, s: int, r: int) -> list[tuple[int, int]]:
    """``(input index, kernel tap)`` pairs with ``s * i + a == r`` along one axis."""
    return [((r - a) // s, a) for a in range(k) if (r - a) % s == 0 and 0 <= (r - a) // s < n_in]


def transpose_arithmetic(x, kernel, r: int, c: int, *, stride: int = 2) -> Arithmetic:
    """Output pixel ``(r, c)`` of ``ops.conv2d_transpose(x, kernel, stride, "valid")``.

    Input pixel ``(i, j)`` stamps ``x[i, j] * kernel`` with its corner at ``(s*i, s*j)``; the
    output pixel sums the stamps that cover it: ``x[i, j] * kernel[r - s*i, c - s*j]``.

    Examples
    --------
    >>> import numpy as np
    >>> a = transpose_arithmetic(np.array([[1.0, 2.0]]), np.ones((3, 3)), 0, 2, stride=2)
    >>> [(t.i, t.j, t.a, t.b) for t in a.terms], a.value
    ([(0, 0, 0, 2), (0, 1, 0, 0)], 3.0)
    """
    x, k = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    (h, w), (kh, kw) = x.shape, k.shape
    s = check_int("stride", stride)
    out_shape = output_shape("transpose", (h, w), kernel_shape=(kh, kw), stride=s)
    r, c = _check_out(r, c, out_shape)
    terms, total = [], 0.0
    for i, a in sorted(_sources(h, kh, s, r)):
        for j, b in sorted(_sources(w, kw, s, c)):
            p = float(x[i, j]) * float(k[a, b])
            total += p
            terms.append(Term(i, j, float(x[i, j]), a, b, float(k[a, b]), p))
    if terms:
        window = (
            min(t.i for t in terms),
            min(t.j for t in terms),
            max(t.i for t in terms) + 1,
            max(t.j for t in terms) + 1,
        )
    else:
        window = (0, 0, 0, 0)
    return Arithmetic("transpose", (r, c), window, terms, total)


def arithmetic(
    op: str,
    x,
    r: int,
    c: int,
    *,
    kernel=None,
    stride: int = 1,
    pads=(0, 0, 0, 0),
    pool_size: int = 2,
    bias: float = 0.0,
) -> Arithmetic:
    """Dispatch to :func:`conv_arithmetic`, :func:`pool_arithmetic` or :func:`transpose_arithmetic`.

    ``op`` is one of ``"conv"``, ``"maxpool"``, ``"avgpool"``, ``"transpose"``.

    Examples
    --------
    >>> import numpy as np
    >>> arithmetic("maxpool", np.eye(4), 1, 1, pool_size=2, stride=2).value
    1.0
    """
    if op == "conv":
        return conv_arithmetic(x, kernel, r, c, stride=stride, pads=pads, bias=bias)
    if op in POOLS:
        return pool_arithmetic(
            x,
            r,
            c,
            pool_size=pool_size,
            stride=stride,
            mode="max" if op == "maxpool" else "average",
        )
    if op == "transpose":
        return transpose_arithmetic(x, kernel, r, c, stride=stride)
    raise ValueError(f"op must be one of {OPS}, got {op!r}.")


def projective_field(
    op: str,
    in_shape,
    i: int,
    j: int,
    *,
    kernel_shape=None,
    pool_size: int = 2,
    stride: int = 1,
    pads=(0, 0, 0, 0),
) -> list[tuple[int, int]]:
    """Every output pixel ``(r, c)`` whose computation reads input pixel ``(i, j)``, row-major.

    conv / max-pool / average pool: the outputs whose window contains ``(i, j)``; transpose: the pixels of
    ``(i, j)``'s stamp (``s*i + a, s*j + b``).

    Examples
    --------
    >>> projective_field("conv", (8, 8), 4, 4, kernel_shape=(3, 3), stride=2)
    [(1, 1), (1, 2), (2, 1), (2, 2)]
    >>> len(projective_field("transpose", (4, 4), 0, 0, kernel_shape=(3, 3), stride=2))
    9
    """
    h, w = _shape2("in_shape", in_shape)
    i, j = check_int("row", i, 0), check_int("col", j, 0)
    if i >= h or j >= w:
        raise ValueError(f"input pixel ({i}, {j}) is outside the input {h}x{w}.")
    if op in POOLS:
        kernel_shape, pads = (pool_size, pool_size), (0, 0, 0, 0)
    oh, ow = output_shape(
        op, (h, w), kernel_shape=kernel_shape, pool_size=pool_size, stride=stride, pads=pads
    )
    kh, kw = kernel_shape
    if op == "transpose":
        rows = [stride * i + a for a in range(kh) if stride * i + a < oh]
        cols = [stride * j + b for b in range(kw) if stride * j + b < ow]
    else:
        t, _, left, _ = pads
        rows = list(range(*_span(i, t, kh, stride, oh)))
        cols = list(range(*_span(j, left, kw, stride, ow)))
    return [(r, c) for r in rows for c in cols]


def _span(p, pad: int, k: int, s: int, n_out: int):
    """Half-open range ``[lo, hi)`` of the outputs whose window (``k`` wide, starting at
    ``r * s - pad``) covers position ``p`` of one axis; ``p`` may be an int array."""
    lo = np.maximum(0, -((p + pad - k + 1) // -s))  # ceil((p + pad - k + 1) / s)
    hi = np.minimum(n_out - 1, (p + pad) // s) + 1
    if np.ndim(lo) == 0:
        return int(lo), max(int(lo), int(hi))
    return lo, np.maximum(lo, hi)


def _geometry(op: str, kernel_shape, pool_size: int, pads) -> tuple[tuple[int, int], tuple]:
    """The window size ``(kh, kw)`` and the padding ``(t, b, l, r)`` of a window operation."""
    if op in POOLS:
        return (pool_size, pool_size), (0, 0, 0, 0)
    if op != "conv":
        raise ValueError(f'op must be "conv", "maxpool" or "avgpool" here, got {op!r}.')
    return _shape2("kernel_shape", kernel_shape), tuple(pads)


def coverage(
    op: str,
    in_shape,
    *,
    kernel_shape=None,
    pool_size: int = 2,
    stride: int = 1,
    pads=(0, 0, 0, 0),
) -> tuple[np.ndarray, np.ndarray]:
    """Which input rows and columns at least one window reads: two boolean arrays ``(H,)``, ``(W,)``.

    Pixel ``(i, j)`` is read iff ``rows[i] and cols[j]``.  With a stride larger than the window
    (pool 2, stride 3; a 3x3 kernel with stride 4) the windows leave gaps; with "valid" the last
    positions are skipped when the windows do not fit exactly.  For pooling this is
    :func:`course_utils.ops.window_coverage` on each axis.

    Examples
    --------
    >>> rows, cols = coverage("maxpool", (7, 4), pool_size=2, stride=3)
    >>> rows.astype(int).tolist(), cols.astype(int).tolist()
    ([1, 1, 0, 1, 1, 0, 0], [1, 1, 0, 0])
    """
    h, w = _shape2("in_shape", in_shape)
    if op == "transpose":  # every input pixel stamps its kernel
        return np.ones(h, bool), np.ones(w, bool)
    (kh, kw), (t, _, left, _) = _geometry(op, kernel_shape, pool_size, pads)
    oh, ow = output_shape(
        op, (h, w), kernel_shape=(kh, kw), pool_size=pool_size, stride=stride, pads=pads
    )
    lo_r, hi_r = _span(np.arange(h), t, kh, stride, oh)
    lo_c, hi_c = _span(np.arange(w), left, kw, stride, ow)
    return hi_r > lo_r, hi_c > lo_c


def detail_outputs(
    op: str,
    in_shape,
    detail,
    *,
    kernel_shape=None,
    pool_size: int = 2,
    stride: int = 1,
    pads=(0, 0, 0, 0),
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The output pixels that belong to a detail of the input: half-open row and column ranges.

    ``detail`` is ``(row, col, height, width)`` in input coordinates.  An output pixel belongs
    to it when its window's *anchor*, the tap ``((kh - 1) // 2, (kw - 1) // 2)`` (the centre of
    an odd kernel, the top-left pixel of a 2x2 pool window), lies in the detail.  With a 3x3
    kernel, stride 1 and "same" padding these are the outputs at the detail's own positions.

    Examples
    --------
    >>> detail_outputs("conv", (256, 256), (88, 120, 16, 16), kernel_shape=(3, 3),
    ...                pads=(1, 1, 1, 1))
    ((88, 104), (120, 136))
    >>> detail_outputs("maxpool", (256, 256), (80, 112, 32, 32), pool_size=2, stride=3)
    ((27, 38), (38, 48))
    """
    h, w = _shape2("in_shape", in_shape)
    y0, x0, dh, dw = (check_int(f"detail[{q}]", v, 0) for q, v in enumerate(detail))
    if dh < 1 or dw < 1 or y0 + dh > h or x0 + dw > w:
        raise ValueError(
            f"detail (row, col, height, width) = {tuple(detail)} must lie inside the input {h}x{w}."
        )
    (kh, kw), (t, _, left, _) = _geometry(op, kernel_shape, pool_size, pads)
    oh, ow = output_shape(
        op, (h, w), kernel_shape=(kh, kw), pool_size=pool_size, stride=stride, pads=pads
    )

    def axis(p0: int, n: int, pad: int, k: int, n_out: int) -> tuple[int, int]:
        shift = pad - (k - 1) // 2  # anchor of output r: r * s - pad + (k - 1) // 2
        lo = max(0, -((p0 + shift) // -stride))
        hi = min(n_out, (p0 + n - 1 + shift) // stride + 1)
        return lo, max(lo, hi)

    return axis(y0, dh, t, kh, oh), axis(x0, dw, left, kw, ow)


def detail_crop(
    detail,
    rows: tuple[int, int],
    cols: tuple[int, int],
    *,
    kernel_shape=None,
    pool_size: int = 2,
    stride: int = 1,
    pads=(0, 0, 0, 0),
    op: str = "conv",
) -> tuple[int, int, int, int]:
    """The input box a detail's view must show: the detail and every window of its outputs.

    ``rows``, ``cols`` are :func:`detail_outputs`' ranges.  Returns ``(row0, col0, row1, col1)``,
    half-open, in input coordinates; it reaches outside the input only where the operation's
    own padding puts zeros.

    Examples
    --------
    >>> detail_crop((88, 120, 16, 16), (88, 104), (120, 136), kernel_shape=(3, 3),
    ...             pads=(1, 1, 1, 1))
    (87, 119, 105, 137)
    """
    y0, x0, dh, dw = detail
    (kh, kw), (t, _, left, _) = _geometry(op, kernel_shape, pool_size, pads)

    def axis(p0: int, n: int, span: tuple[int, int], pad: int, k: int) -> tuple[int, int]:
        lo, hi = span
        if hi <= lo:
            return p0, p0 + n
        return min(p0, lo * stride - pad), max(p0 + n, (hi - 1) * stride - pad + k)

    (r0, r1), (c0, c1) = axis(y0, dh, rows, t, kh), axis(x0, dw, cols, left, kw)
    return r0, c0, r1, c1

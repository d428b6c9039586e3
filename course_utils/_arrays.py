"""Private array helpers that ``ops`` and ``backprop`` share (one home each).

* :func:`as_float`: any array-like -> a finite float array, or a ``ValueError`` that says why not;
* :func:`image_and_channels`: an ``(H, W)`` or ``(H, W, C)`` map as ``(H, W, C)`` float64;
* :func:`pad_amounts`: the zeros a window operation adds before and after one axis (Keras' rule;
  public as :func:`course_utils.ops.pad_amounts`);
* :func:`conv_setup` and :func:`pool_setup`: the validated, padded input of a convolution or a
  pooling, the same for the forward pass (``ops``) and the backward pass (``backprop``);
* :func:`first_max`: **the max-pooling tie rule**, the one place it is written down (public as
  :func:`course_utils.ops.max_pool2d_argmax`).

Only ``_validate`` is below this module; everything here is NumPy.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validate import check_image, check_int, check_padding

__all__ = [
    "as_float",
    "image_and_channels",
    "pad_amounts",
    "filter_bank",
    "conv_setup",
    "pool_setup",
    "first_max",
]


def as_float(x, name: str, dtype=np.float64) -> np.ndarray:
    """Return ``x`` as a finite float array (``dtype``) or raise a ValueError that says why not.

    Examples
    --------
    >>> as_float([1, 2], "x")
    array([1., 2.])
    >>> as_float([1.0, float("nan")], "x")
    Traceback (most recent call last):
    ...
    ValueError: x contains NaN or infinite values; fix the data (e.g. np.nan_to_num) first.
    """
    arr = np.asarray(x)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(
            f"{name} must be a numeric array, got dtype {arr.dtype}. "
            "Convert it first, e.g. np.asarray(x, dtype=float)."
        )
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real-valued, got complex dtype {arr.dtype}.")
    with np.errstate(over="ignore"):  # a value too large for dtype becomes inf, reported below
        arr = arr.astype(dtype, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} contains NaN or infinite values; fix the data (e.g. np.nan_to_num) first."
        )
    return arr


def image_and_channels(x, name: str = "x") -> tuple[np.ndarray, bool]:
    """Return ``(x as (H, W, C) float64, was_2d)``.

    Examples
    --------
    >>> img, was_2d = image_and_channels(np.zeros((4, 5)))
    >>> img.shape, was_2d
    ((4, 5, 1), True)
    """
    arr = check_image(name, as_float(x, name))
    return (arr[:, :, None], True) if arr.ndim == 2 else (arr, False)


def pad_amounts(n: int, k: int, stride: int, padding) -> tuple[int, int]:
    """Zeros added before and after one spatial axis of length ``n``.

    ``"valid"`` adds none; ``"same"`` pads like Keras/TensorFlow so that the output has
    ``ceil(n / stride)`` positions (the extra zero, if the total is odd, goes *after*);
    an integer ``p`` adds ``p`` zeros on both sides.

    Examples
    --------
    >>> pad_amounts(5, 3, 1, "same")
    (1, 1)
    >>> pad_amounts(6, 3, 2, "same")
    (0, 1)
    """
    padding = check_padding(padding)
    if padding == "valid":
        return 0, 0
    if padding == "same":
        out = math.ceil(n / stride)
        total = max((out - 1) * stride + k - n, 0)
        return total // 2, total - total // 2
    return padding, padding


def filter_bank(kernel, cin: int, transpose: bool) -> tuple[np.ndarray, bool]:
    """Validate a kernel; return it as a 4-D bank in its Keras layout and whether it was 2-D.

    ``Conv2D`` banks are ``(kh, kw, Cin, Cout)``; ``Conv2DTranspose`` banks ``(kh, kw, Cout, Cin)``.

    Examples
    --------
    >>> bank, was_2d = filter_bank(np.ones((3, 3)), 1, transpose=False)
    >>> bank.shape, was_2d
    ((3, 3, 1, 1), True)
    """
    k = as_float(kernel, "kernel")
    layout, cin_axis = ("(kh, kw, Cout, Cin)", 3) if transpose else ("(kh, kw, Cin, Cout)", 2)
    if k.ndim == 2:
        if cin != 1:
            raise ValueError(
                f"a 2-D kernel (kh, kw) needs a 2-D image, but x has {cin} channels. Convert the "
                f"image to grayscale, or pass a filter bank in the layout {layout} with Cin={cin}."
            )
        bank, squeeze = k[:, :, None, None], True
    elif k.ndim == 4:
        bank, squeeze = k, False
        if bank.shape[cin_axis] != cin:
            raise ValueError(
                f"channel mismatch: x has {cin} channels but the kernel expects "
                f"{bank.shape[cin_axis]} (Keras layout is {layout}). "
                f"Make kernel.shape[{cin_axis}] equal x.shape[-1]."
            )
    else:
        raise ValueError(f"kernel must have shape (kh, kw) or {layout}, got {k.shape}.")
    if 0 in bank.shape[:2]:
        raise ValueError(f"kernel must not be empty, got shape {k.shape}.")
    return bank, squeeze


def conv_setup(x, kernel, stride, padding):
    """Validated, zero-padded input ``(H', W', Cin)``, filter bank ``(kh, kw, Cin, Cout)``,
    whether the kernel was 2-D, the stride, and the pads ``(top, bottom, left, right)``: the
    set-up ``ops.conv2d`` and ``backprop.conv2d_backward`` share.

    Examples
    --------
    >>> img, bank, squeeze, stride, pads = conv_setup(np.ones((5, 5)), np.ones((3, 3)), 2, "same")
    >>> img.shape, pads
    ((7, 7, 1), (1, 1, 1, 1))
    """
    img, _ = image_and_channels(x, "x")
    stride = check_int("stride", stride)
    bank, squeeze = filter_bank(kernel, img.shape[2], transpose=False)
    kh, kw = bank.shape[:2]
    (t, b), (left, r) = (
        pad_amounts(img.shape[0], kh, stride, padding),
        pad_amounts(img.shape[1], kw, stride, padding),
    )
    if t or b or left or r:
        img = np.pad(img, ((t, b), (left, r), (0, 0)))
    if img.shape[0] < kh or img.shape[1] < kw:
        raise ValueError(
            f"kernel {kh}x{kw} is larger than the padded input {img.shape[0]}x{img.shape[1]}; "
            'use a smaller kernel, a larger image or padding="same".'
        )
    return img, bank, squeeze, stride, (t, b, left, r)


def pool_setup(x, pool_size, stride, padding, fill: float):
    """The set-up every pooling shares (``ops.max_pool2d``, ``ops.avg_pool2d``, the tie rule).

    Returns ``(padded (H', W', C), was_2d, p, s, (top, bottom, left, right))``: the input padded
    with ``fill`` (``-inf`` for max pooling: a padded cell never wins; ``0`` for averages), the
    window size ``p`` and the stride ``s`` (``p`` when ``stride`` is None, as in Keras).

    Examples
    --------
    >>> padded, was_2d, p, s, pads = pool_setup(np.ones((5, 5)), 2, None, "same", -np.inf)
    >>> padded.shape, (p, s), pads
    ((6, 6, 1), (2, 2), (0, 1, 0, 1))
    """
    img, was_2d = image_and_channels(x, "x")
    p = check_int("pool_size", pool_size)
    s = p if stride is None else check_int("stride", stride)
    mode = check_padding(padding, allow_int=False)
    (t, b), (left, r) = pad_amounts(img.shape[0], p, s, mode), pad_amounts(img.shape[1], p, s, mode)
    if img.shape[0] + t + b < p or img.shape[1] + left + r < p:
        raise ValueError(
            f"pool_size {p} is larger than the input {img.shape[0]}x{img.shape[1]}; "
            "use a smaller pool or a larger input."
        )
    if t + b + left + r:
        img = np.pad(img, ((t, b), (left, r), (0, 0)), constant_values=fill)
    return img, was_2d, p, s, (t, b, left, r)


def first_max(padded: np.ndarray, p: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each ``p x p`` window (stride ``s``) of ``padded`` ``(H, W, C)`` has its maximum.

    **The tie rule of the course:** when a window's maximum occurs more than once, the winner is
    the *first* of them in row-major window order (top row first, then left to right), the
    position ``np.argmax`` returns on the flattened window.  TensorFlow's and JAX's
    ``MaxPooling2D`` gradients route to the same pixel.

    Returns
    -------
    rows, cols : int arrays, shape (oh, ow, C)
        Coordinates in ``padded``.

    Examples
    --------
    >>> rows, cols = first_max(np.ones((2, 2, 1)), 2, 2)  # a four-way tie
    >>> int(rows[0, 0, 0]), int(cols[0, 0, 0])
    (0, 0)
    """
    win = sliding_window_view(padded, (p, p), axis=(0, 1))[::s, ::s]  # (oh, ow, C, p, p)
    oh, ow, c = win.shape[:3]
    first = win.reshape(oh, ow, c, p * p).argmax(axis=-1)  # argmax: the first maximum
    rows = s * np.arange(oh)[:, None, None] + first // p
    cols = s * np.arange(ow)[None, :, None] + first % p
    return rows, cols

"""NumPy reference implementations of the operations of a segmentation CNN.

Every function takes NumPy arrays (or anything ``np.asarray`` accepts), validates its input with
a message that says what to do, computes in float64 and returns a NumPy array.  Images and feature
maps are channels-last, as in Keras: ``(H, W)`` or ``(H, W, C)``.

All functions are vectorised: the only Python loops run over kernel offsets (at most ``kh * kw``
iterations), never over pixels.  The lessons show slower loop versions for teaching.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._arrays import as_float as _as_float
from ._arrays import (
    conv_setup,
    filter_bank,
    first_max,
    image_and_channels,
    pad_amounts,  # public here: the padding rule every window operation uses
    pool_setup,
)
from ._validate import check_int, check_padding

__all__ = [
    "conv2d",
    "conv_output_size",
    "pad_amounts",
    "relu",
    "max_pool2d",
    "max_pool2d_argmax",
    "avg_pool2d",
    "pool_output_size",
    "conv2d_transpose",
    "conv_transpose_output_size",
    "upsample2d",
    "concat_skip",
    "sigmoid",
    "softmax",
    "binary_cross_entropy",
    "categorical_cross_entropy",
    "sparse_categorical_cross_entropy",
    "receptive_field",
    "combined_kernel",
    "KERNEL_PRESETS",
    "SOBEL_X",
    "window_coverage",
    "window_counts",
    "overlap_map",
]

EPSILON = 1e-7  # Keras' default fuzz factor for clipping probabilities.


def conv_output_size(n: int, k: int, stride: int = 1, padding=0) -> int:
    """Output length of a convolution: ``floor((n + before + after - k) / s) + 1``.

    ``padding`` is an integer ``p`` (``before = after = p``: ``floor((n + 2p - k) / s) + 1``),
    ``"valid"`` (no zeros) or ``"same"`` (Keras' zeros from :func:`pad_amounts`:
    ``ceil(n / s)``).  The one formula every output size of a convolution in the course uses.

    Examples
    --------
    >>> conv_output_size(128, 3, 1, 1)
    128
    >>> conv_output_size(7, 3, 2, 0)
    3
    >>> conv_output_size(8, 3, 2, "same")
    4
    """
    n = check_int("n", n)
    k = check_int("k", k)
    stride = check_int("stride", stride)
    before, after = pad_amounts(n, k, stride, padding)
    if n + before + after < k:
        raise ValueError(
            f"kernel size {k} is larger than the padded input {n} + {before} + {after}; "
            "use a smaller kernel or more padding."
        )
    return (n + before + after - k) // stride + 1


# --------------------------------------------------------------------------------------------
# convolution
# --------------------------------------------------------------------------------------------
def conv2d(x, kernel, stride: int = 1, padding="valid") -> np.ndarray:
    """2-D cross-correlation, exactly what ``keras.layers.Conv2D`` computes (no bias).

    ``out[y, x, o] = sum_{i, j, c} x_padded[s*y + i, s*x + j, c] * kernel[i, j, c, o]``

    Parameters
    ----------
    x : array, shape (H, W) or (H, W, Cin)
        Image or feature map, channels last.
    kernel : array, shape (kh, kw) or (kh, kw, Cin, Cout)
        A single 2-D filter (with a 2-D image) or a Keras-layout filter bank.
    stride : int
        Step between neighbouring windows (same in both directions).
    padding : {"valid", "same"} or int
        ``"valid"`` (no padding), ``"same"`` (Keras' rule) or a number of zeros on each side.

    Returns
    -------
    out : ndarray, float64, shape (H', W') for a 2-D kernel, (H', W', Cout) for a filter bank
        ``H' = floor((H + pad_before + pad_after - kh) / stride) + 1``.

    Examples
    --------
    >>> import numpy as np
    >>> conv2d(np.arange(16.0).reshape(4, 4), np.ones((2, 2)), stride=2)
    array([[10., 18.],
           [42., 50.]])
    """
    img, bank, squeeze, stride, _ = conv_setup(x, kernel, stride, padding)
    kh, kw = bank.shape[:2]
    oh, ow = conv_output_size(img.shape[0], kh, stride), conv_output_size(img.shape[1], kw, stride)
    out = np.zeros((oh, ow, bank.shape[3]))
    # One vectorised step per kernel offset (i, j): every output pixel at once takes the input
    # pixel it sees through weight (i, j).  kh * kw steps in all, none per pixel.
    for i in range(kh):
        for j in range(kw):
            patch = img[
                i : i + stride * (oh - 1) + 1 : stride, j : j + stride * (ow - 1) + 1 : stride
            ]
            if bank.shape[2] == 1 and bank.shape[3] == 1:
                out[:, :, 0] += bank[i, j, 0, 0] * patch[:, :, 0]
            else:
                out += patch @ bank[i, j]
    return out[:, :, 0] if squeeze else out


#: the Sobel kernel that responds to left-to-right brightening (vertical edges); ``.T`` is its
#: top-to-bottom twin.  Both classic filter presets below and the toy encoder of lesson 05 use it.
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float)
SOBEL_X.setflags(write=False)

#: name -> kernel, applied as cross-correlation like ``conv2d`` and Keras (the classic filters)
KERNEL_PRESETS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], float),
    "box blur 3x3": np.full((3, 3), 1 / 9),
    "gaussian blur 5x5": np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float),
    "edge (Laplacian)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float),
    "Sobel x (vertical edges)": SOBEL_X,
    "Sobel y (horizontal edges)": SOBEL_X.T,
    "emboss": np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], float),
}
for _k in KERNEL_PRESETS.values():
    _k.setflags(write=False)


def combined_kernel(k1, k2) -> np.ndarray:
    """The single kernel ``K`` with ``conv2d(conv2d(x, k1), k2) == conv2d(x, K)`` ("valid").

    ``K`` is the *full* true convolution of ``k1`` and ``k2``, of size
    ``(k1h + k2h - 1, k1w + k2w - 1)``: pad ``k2`` and cross-correlate with the flipped ``k1``.

    Examples
    --------
    >>> combined_kernel([[1.0, 2.0]], [[1.0, 1.0]]).tolist()
    [[1.0, 3.0, 2.0]]
    """
    a = np.asarray(k1, dtype=np.float64)
    b = np.asarray(k2, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.size == 0 or b.size == 0:
        raise ValueError(f"k1 and k2 must be non-empty 2-D kernels, got {a.shape} and {b.shape}.")
    (h, w) = a.shape
    return conv2d(np.pad(b, ((h - 1, h - 1), (w - 1, w - 1))), a[::-1, ::-1])


def receptive_field(kernel_sizes: Sequence[int], strides: Sequence[int] | None = None) -> int:
    """Receptive field (in input pixels) of one output pixel after a stack of layers.

    ``r_L = 1 + sum_l (k_l - 1) * prod_{m<l} s_m``.  Pooling counts as a layer with
    ``k = s = pool size``.

    Examples
    --------
    >>> receptive_field([3, 3])
    5
    >>> receptive_field([3, 3, 2, 3, 3], strides=[1, 1, 2, 1, 1])
    14
    """
    ks = [check_int("kernel size", k) for k in kernel_sizes]
    ss = [1] * len(ks) if strides is None else [check_int("stride", s) for s in strides]
    if len(ss) != len(ks):
        raise ValueError(
            f"give one stride per kernel size: {len(ks)} kernel sizes but {len(ss)} strides."
        )
    r, jump = 1, 1
    for k, s in zip(ks, ss, strict=True):
        r += (k - 1) * jump
        jump *= s
    return r


# --------------------------------------------------------------------------------------------
# activation
# --------------------------------------------------------------------------------------------
def relu(x) -> np.ndarray:
    """Rectified linear unit, ``max(0, x)`` element-wise.

    Examples
    --------
    >>> relu([-2.0, 0.0, 3.0])
    array([0., 0., 3.])
    """
    return np.maximum(_as_float(x, "x"), 0.0)


def sigmoid(z) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-z))``, computed without overflow.

    Examples
    --------
    >>> sigmoid([0.0])
    array([0.5])
    """
    z = _as_float(z, "z")
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def softmax(z, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` (numerically stable).

    Examples
    --------
    >>> softmax([0.0, 0.0])
    array([0.5, 0.5])
    """
    z = _as_float(z, "z")
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --------------------------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------------------------
def pool_output_size(n: int, pool_size: int, stride: int | None = None) -> int:
    """Output length of "valid" pooling: ``floor((n - p) / s) + 1``.

    Examples
    --------
    >>> pool_output_size(128, 2)
    64
    >>> pool_output_size(7, 3, 2)
    3
    """
    n = check_int("n", n)
    p = check_int("pool_size", pool_size)
    s = p if stride is None else check_int("stride", stride)
    if p > n:
        raise ValueError(f"pool_size {p} is larger than the input length {n}.")
    return (n - p) // s + 1


def _pool(x, pool_size, stride, padding, reducer: str) -> np.ndarray:
    fill = -np.inf if reducer == "max" else 0.0
    padded, was_2d, p, s, (t, b, left, r) = pool_setup(x, pool_size, stride, padding, fill)
    # A p x p window's max (or sum) is the max (sum) of its p row results: reduce the rows of
    # every window first, then the columns, 2p steps per output value instead of p * p.
    reduce = np.max if reducer == "max" else np.sum
    rows = reduce(sliding_window_view(padded, p, axis=0)[::s], axis=-1)  # (H', W, C)
    out = reduce(sliding_window_view(rows, p, axis=1)[:, ::s], axis=-1)  # (H', W', C)
    if reducer != "max":  # average over the real pixels of each window (padding not counted)
        h, w = padded.shape[0] - t - b, padded.shape[1] - left - r
        count_r = window_counts(h, p, s, (t, b))
        count_c = window_counts(w, p, s, (left, r))
        out = out / (count_r[:, None, None] * count_c[None, :, None])
    return out[:, :, 0] if was_2d else out


def window_counts(n: int, pool_size: int, stride: int, pad: tuple[int, int] = (0, 0)) -> np.ndarray:
    """How many real (not padded) positions each pooling window covers along one axis.

    Examples
    --------
    >>> window_counts(5, 2, 2, (0, 1)).tolist()
    [2.0, 2.0, 1.0]
    """
    real = np.pad(np.ones(n), pad)
    return sliding_window_view(real, pool_size)[::stride].sum(axis=-1)


def window_coverage(n: int, pool_size: int, stride: int) -> np.ndarray:
    """Boolean ``(n,)``: which positions along one axis at least one "valid" window reads.

    With ``stride > pool_size`` the windows leave gaps; the last ``(n - p) % s`` positions are
    never read when windows do not fit exactly.

    Examples
    --------
    >>> window_coverage(7, 2, 3).astype(int).tolist()
    [1, 1, 0, 1, 1, 0, 0]
    """
    out = pool_output_size(n, pool_size, stride)
    idx = np.arange(n)
    return (idx < stride * (out - 1) + pool_size) & (idx % stride < pool_size)


def max_pool2d(x, pool_size: int = 2, stride: int | None = None, padding="valid") -> np.ndarray:
    """Max pooling, ``P(x, y) = max_{0 <= i, j < p} I(s*x + i, s*y + j)``, like ``MaxPooling2D``.

    Parameters
    ----------
    x : array, shape (H, W) or (H, W, C)
    pool_size : int
        Window size ``p`` (square).
    stride : int, optional
        Step ``s`` between windows; defaults to ``pool_size`` (non-overlapping windows), as in Keras.
    padding : {"valid", "same"}
        ``"valid"`` drops windows that would run off the edge.

    Returns
    -------
    ndarray, float64, shape (floor((H - p) / s) + 1, floor((W - p) / s) + 1[, C]) for "valid"

    Examples
    --------
    >>> import numpy as np
    >>> max_pool2d(np.arange(16.0).reshape(4, 4))
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return _pool(x, pool_size, stride, padding, "max")


def max_pool2d_argmax(
    x, pool_size: int = 2, stride: int | None = None, padding="valid"
) -> tuple[np.ndarray, np.ndarray]:
    """Where each max-pooling window's maximum sits: ``x[rows, cols] == max_pool2d(x)``.

    **Ties** (a window's maximum occurs more than once): the *first* of them in row-major
    window order (top row first, then left to right) wins, as the gradients of TensorFlow's and
    JAX's ``MaxPooling2D`` route it.  This is the course's one tie rule: ``backprop``'s gradient,
    the pooling checkers and the linked view's highlighted pixel all use it.

    Parameters
    ----------
    x, pool_size, stride, padding
        As in :func:`max_pool2d`.

    Returns
    -------
    rows, cols : int ndarrays, the shape of ``max_pool2d(x, ...)``
        Input coordinates of each window's winner (for ``(H, W, C)`` input, per channel:
        ``x[rows, cols, np.arange(C)] == max_pool2d(x)``).

    Examples
    --------
    >>> import numpy as np
    >>> rows, cols = max_pool2d_argmax([[1.0, 2.0], [4.0, 3.0]])
    >>> rows.tolist(), cols.tolist()
    ([[1]], [[0]])
    >>> [a.tolist() for a in max_pool2d_argmax(np.ones((2, 2)))]  # a tie: the first one
    [[[0]], [[0]]]
    """
    padded, was_2d, p, s, (t, _, left, _) = pool_setup(x, pool_size, stride, padding, -np.inf)
    rows, cols = first_max(padded, p, s)
    rows, cols = rows - t, cols - left  # padded cells (-inf) never win: back in x's coordinates
    return (rows[:, :, 0], cols[:, :, 0]) if was_2d else (rows, cols)


def avg_pool2d(x, pool_size: int = 2, stride: int | None = None, padding="valid") -> np.ndarray:
    """Average pooling, like ``keras.layers.AveragePooling2D`` (same arguments as ``max_pool2d``).

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d(np.arange(16.0).reshape(4, 4))
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    return _pool(x, pool_size, stride, padding, "avg")


# --------------------------------------------------------------------------------------------
# upsampling
# --------------------------------------------------------------------------------------------
def conv_transpose_output_size(n: int, k: int, stride: int = 2, padding=0) -> int:
    """Output length of a transposed convolution.

    The stamps of ``n`` input pixels cover ``(n - 1) * s + k`` positions; padding crops them:
    an integer ``p`` gives ``(n - 1) * s + k - 2p``; Keras' ``"valid"`` gives
    ``n * s + max(k - s, 0)`` and ``"same"`` gives ``n * s`` (these two add zero rows at the end
    when ``k < s``).

    Examples
    --------
    >>> conv_transpose_output_size(4, 3, 2)
    9
    >>> conv_transpose_output_size(4, 2, 2)
    8
    >>> conv_transpose_output_size(4, 1, 3, "valid"), conv_transpose_output_size(4, 3, 2, "same")
    (12, 8)
    """
    n = check_int("n", n)
    k = check_int("k", k)
    s = check_int("stride", stride)
    padding = check_padding(padding)
    if padding == "valid":
        return n * s + max(k - s, 0)
    if padding == "same":
        return n * s
    out = (n - 1) * s + k - 2 * padding
    if out < 1:
        raise ValueError(f"padding {padding} crops away the whole output; use less padding.")
    return out


def conv2d_transpose(x, kernel, stride: int = 2, padding="valid") -> np.ndarray:
    """Transposed convolution as scatter-add, what ``keras.layers.Conv2DTranspose`` computes.

    Every input pixel stamps a scaled copy of the kernel into the output:
    ``out[s*i + a, s*j + b, o] += sum_c x[i, j, c] * kernel[a, b, o, c]``.
    The full result has ``(n - 1) * s + k`` rows; padding crops it:

    * an integer ``p`` removes ``p`` rows/columns on each side: ``(n - 1) * s + k - 2p``;
    * ``"same"`` keeps ``n * s`` (Keras' rule), ``"valid"`` keeps ``n * s + max(k - s, 0)``
      (these two add zero rows at the end when ``k < s``, as Keras does).

    Parameters
    ----------
    x : array, shape (H, W) or (H, W, Cin)
    kernel : array, shape (kh, kw) or Keras ``Conv2DTranspose`` layout (kh, kw, Cout, Cin)
    stride : int
    padding : {"valid", "same"} or int

    Returns
    -------
    ndarray, float64, shape (H', W') for a 2-D kernel, (H', W', Cout) for a filter bank

    Examples
    --------
    >>> import numpy as np
    >>> conv2d_transpose(np.array([[1.0, 2.0]]), np.ones((2, 2)), stride=2)
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    """
    img, _ = image_and_channels(x, "x")
    s = check_int("stride", stride)
    pad = check_padding(padding)
    bank, squeeze = filter_bank(kernel, img.shape[2], transpose=True)
    h, w, _ = img.shape
    kh, kw, cout, _ = bank.shape
    full = np.zeros(((h - 1) * s + kh, (w - 1) * s + kw, cout))
    for a in range(kh):  # loop over kernel offsets only; each step moves every pixel at once
        for b in range(kw):
            full[a : a + (h - 1) * s + 1 : s, b : b + (w - 1) * s + 1 : s] += img @ bank[a, b].T

    def crop(axis_len_in: int, kk: int, length: int, arr: np.ndarray, axis: int) -> np.ndarray:
        target = conv_transpose_output_size(axis_len_in, kk, s, pad)
        start = {"valid": 0, "same": max(kk - s, 0) // 2}.get(pad, pad)
        piece = np.take(arr, range(start, min(start + target, length)), axis=axis)
        missing = target - piece.shape[axis]
        if missing > 0:
            widths = [(0, 0)] * arr.ndim
            widths[axis] = (0, missing)
            piece = np.pad(piece, widths)
        return piece

    out = crop(h, kh, full.shape[0], full, 0)
    out = crop(w, kw, full.shape[1], out, 1)
    return out[:, :, 0] if squeeze else out


def overlap_map(kernel_size: int, stride: int, n: int = 8) -> tuple[np.ndarray, tuple[int, int]]:
    """How many kernel stamps of a transposed convolution cover each output pixel (``n x n`` input).

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
    k = check_int("kernel_size", kernel_size)
    s = check_int("stride", stride)
    n = max(check_int("n", n), -(-k // s) + 2 * s + 1)  # large enough to have an interior
    counts = conv2d_transpose(np.ones((n, n)), np.ones((k, k)), stride=s, padding=0)
    # interior: rows every stamp position could reach, i.e. [k - 1, (n - 1) * s]
    inner = counts[k - 1 : (n - 1) * s + 1, k - 1 : (n - 1) * s + 1]
    return counts, (int(round(inner.min())), int(round(inner.max())))


def upsample2d(x, size: int = 2, interpolation: str = "nearest") -> np.ndarray:
    """Upsample by an integer factor, like ``keras.layers.UpSampling2D``.

    ``"nearest"`` repeats every pixel ``size x size`` times; ``"bilinear"`` interpolates with
    half-pixel centres (TensorFlow's ``tf.image.resize`` rule, which Keras uses).

    Examples
    --------
    >>> import numpy as np
    >>> upsample2d(np.array([[1.0, 2.0]]))
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    """
    img, was_2d = image_and_channels(x, "x")
    size = check_int("size", size)
    if interpolation == "nearest":
        out = np.repeat(np.repeat(img, size, axis=0), size, axis=1)
    elif interpolation == "bilinear":
        out = img
        for axis in (0, 1):
            n = out.shape[axis]
            pos = (np.arange(n * size) + 0.5) / size - 0.5
            pos = np.clip(pos, 0, n - 1)
            lo = np.floor(pos).astype(int)
            hi = np.minimum(lo + 1, n - 1)
            frac = (pos - lo).reshape([-1 if a == axis else 1 for a in range(3)])
            out = np.take(out, lo, axis=axis) * (1 - frac) + np.take(out, hi, axis=axis) * frac
    else:
        raise ValueError(f'interpolation must be "nearest" or "bilinear", got {interpolation!r}.')
    return out[:, :, 0] if was_2d else out


def concat_skip(encoder, decoder) -> np.ndarray:
    """Concatenate an encoder feature map and a decoder feature map along channels.

    Same order as the seed note's ``concatenate([conv2, up4], axis=3)``: encoder first.

    Parameters
    ----------
    encoder : array, shape (H, W, C1) or (N, H, W, C1)
    decoder : array, shape (H, W, C2) or (N, H, W, C2)

    Returns
    -------
    ndarray, float64, shape (H, W, C1 + C2) (or with the batch axis)

    Examples
    --------
    >>> import numpy as np
    >>> concat_skip(np.zeros((4, 4, 64)), np.ones((4, 4, 128))).shape
    (4, 4, 192)
    """
    e = _as_float(encoder, "encoder")
    d = _as_float(decoder, "decoder")
    if e.ndim not in (3, 4) or d.ndim != e.ndim:
        raise ValueError(
            "encoder and decoder must both be (H, W, C) or both (N, H, W, C); "
            f"got shapes {e.shape} and {d.shape}."
        )
    if e.shape[:-1] != d.shape[:-1]:
        eh, ew = e.shape[-3:-1]
        dh, dw = d.shape[-3:-1]
        hint = ""
        if (eh % 2 or ew % 2) and (dh, dw) == (2 * (eh // 2), 2 * (ew // 2)):
            hint = (
                f" The encoder map is {eh}x{ew}, an odd size: 2x2 pooling floors it to "
                f"{eh // 2}x{ew // 2} and 2x upsampling gives {dh}x{dw}, one pixel short."
            )
        raise ValueError(
            f"cannot concatenate: encoder {e.shape} and decoder {d.shape} differ in spatial "
            f"size (or batch).{hint} Use input sizes divisible by 2**(number of poolings) "
            "(e.g. 128 for two poolings), or crop/pad one map to the other's size."
        )
    return np.concatenate([e, d], axis=-1)


# --------------------------------------------------------------------------------------------
# losses
# --------------------------------------------------------------------------------------------
def _probabilities(p, name: str) -> np.ndarray:
    arr = _as_float(p, name)
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got values in "
            f"[{arr.min():.3g}, {arr.max():.3g}]. Apply a sigmoid/softmax to logits first."
        )
    return arr


def binary_cross_entropy(y, p, sample_weight=None) -> np.ndarray:
    """Mean binary cross-entropy ``-(1/N) sum [y log p + (1 - y) log(1 - p)]``.

    ``p`` is clipped to ``[1e-7, 1 - 1e-7]`` like Keras, so a confident mistake costs about 16.1
    instead of infinity.  ``sample_weight`` (same shape as ``y``, optional) multiplies each
    pixel's loss before the mean over all ``N`` pixels, as Keras' ``sample_weight`` does:
    ``(1/N) sum w_i l_i`` (a class weight or a per-pixel weight map).

    Examples
    --------
    >>> round(float(binary_cross_entropy([1, 0], [0.9, 0.1])), 4)
    0.1054
    >>> round(float(binary_cross_entropy([1, 0], [0.9, 0.1], sample_weight=[3, 1])), 4)
    0.2107
    """
    y = _probabilities(y, "y")
    p = _probabilities(p, "p")
    if y.shape != p.shape:
        raise ValueError(f"y and p must have the same shape, got {y.shape} and {p.shape}.")
    p = np.clip(p, EPSILON, 1 - EPSILON)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.shape != y.shape:
            raise ValueError(
                f"sample_weight must have the shape of y, {y.shape}, got {w.shape}: one weight "
                "per pixel."
            )
        loss = w * loss
    return np.asarray(np.mean(loss))


def categorical_cross_entropy(y_onehot, p) -> np.ndarray:
    """Mean categorical cross-entropy ``-(1/N) sum_i sum_c y_ic log p_ic`` over pixels.

    The last axis holds the classes.  Like Keras, ``p`` is renormalised to sum to 1 along it and
    clipped to ``[1e-7, 1 - 1e-7]``.

    Examples
    --------
    >>> round(float(categorical_cross_entropy([[0, 1]], [[0.1, 0.9]])), 4)
    0.1054
    """
    y = _probabilities(y_onehot, "y_onehot")
    p = _probabilities(p, "p")
    if y.shape != p.shape:
        raise ValueError(
            f"y_onehot and p must have the same shape (..., num_classes), got {y.shape} and "
            f"{p.shape}. To use integer labels call sparse_categorical_cross_entropy."
        )
    p = p / np.maximum(p.sum(axis=-1, keepdims=True), EPSILON)
    p = np.clip(p, EPSILON, 1 - EPSILON)
    return np.asarray(-np.mean(np.sum(y * np.log(p), axis=-1)))


def sparse_categorical_cross_entropy(labels, p) -> np.ndarray:
    """Cross-entropy with integer labels: ``-(1/N) sum_i log p_{i, label_i}``.

    Same value as ``categorical_cross_entropy(one_hot(labels), p)`` without building the one-hot
    array.

    Examples
    --------
    >>> round(float(sparse_categorical_cross_entropy([1], [[0.1, 0.9]])), 4)
    0.1054
    """
    lab = np.asarray(labels)
    if not np.issubdtype(lab.dtype, np.integer):
        if np.issubdtype(lab.dtype, np.floating) and np.all(lab == np.round(lab)):
            lab = lab.astype(np.int64)
        else:
            raise ValueError(f"labels must be integers (class ids), got dtype {lab.dtype}.")
    p = _probabilities(p, "p")
    if p.shape[:-1] != lab.shape:
        raise ValueError(
            f"p must have shape labels.shape + (num_classes,), got {p.shape} for labels "
            f"{lab.shape}."
        )
    c = p.shape[-1]
    if lab.size and (lab.min() < 0 or lab.max() >= c):
        raise ValueError(
            f"labels must lie in [0, {c - 1}] for {c} classes, got values in "
            f"[{lab.min()}, {lab.max()}]."
        )
    p = p / np.maximum(p.sum(axis=-1, keepdims=True), EPSILON)
    p = np.clip(p, EPSILON, 1 - EPSILON)
    picked = np.take_along_axis(p, lab[..., None], axis=-1)[..., 0]
    return np.asarray(-np.mean(np.log(picked)))

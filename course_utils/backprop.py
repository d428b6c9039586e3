"""Backward passes of the operations in :mod:`course_utils.ops`, with the tools to check them.

Every ``*_backward`` function takes the forward pass's input and the *upstream gradient*
``grad_out = dL/d(output)`` (same shape as the forward output) and returns ``dL/d(input)``
(and ``dL/d(kernel)`` for the convolution): the chain rule, one operation at a time.  Same
conventions as ``ops``: NumPy in, NumPy out, float64, channels last, ``(H, W)`` or ``(H, W, C)``
maps, ``(kh, kw)`` or Keras-layout ``(kh, kw, Cin, Cout)`` kernels, ``"valid"``/``"same"``/int
padding (TensorFlow's asymmetric ``"same"`` at stride 2 included), any stride; vectorised (Python
loops run over kernel taps only, never over pixels).

Checking tools: :func:`numeric_gradient` (central differences), :func:`relative_error`
(cs231n's measure, over the whole array) and :func:`autodiff_gradient` (the active Keras backend's own autodiff).
:func:`learn_kernel` runs gradient descent on a 3x3 kernel (the lesson's "watch a filter learn").

This module imports without Keras; only :func:`autodiff_gradient` imports it, when called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._arrays import as_float as _as_float
from ._arrays import conv_setup, image_and_channels
from ._validate import check_int
from .ops import conv2d, conv_output_size, max_pool2d_argmax, softmax

__all__ = [
    "relu_backward",
    "max_pool2d_backward",
    "conv2d_backward",
    "upsample2d_backward",
    "concat_skip_backward",
    "softmax_cross_entropy_backward",
    "numeric_gradient",
    "relative_error",
    "autodiff_gradient",
    "KernelTrajectory",
    "learn_kernel",
]


def _grad_like(grad_out, expected: tuple[int, ...], what: str) -> np.ndarray:
    """``grad_out`` as float64, or a ValueError naming the shape it must have."""
    g = _as_float(grad_out, "grad_out")
    if g.shape != tuple(expected):
        raise ValueError(
            f"grad_out must have the shape of the forward output {what}, {tuple(expected)}; "
            f"got {g.shape}. Pass dL/d(output), one value per output element."
        )
    return g


# --------------------------------------------------------------------------------------------
# activation
# --------------------------------------------------------------------------------------------
def relu_backward(x, grad_out) -> np.ndarray:
    """Gradient through ReLU: ``grad_out`` where ``x > 0``, zero elsewhere.

    ``relu(x) = max(0, x)`` has slope 1 for ``x > 0`` and 0 for ``x < 0``; at the kink ``x = 0``
    the slope is taken as 0, as TensorFlow, JAX and PyTorch do.

    Parameters
    ----------
    x : array, any shape
        The input of the forward ReLU (not its output).
    grad_out : array, same shape as ``x``
        ``dL/d relu(x)``.

    Returns
    -------
    ndarray, float64, shape of ``x``: ``dL/dx``

    Examples
    --------
    >>> relu_backward([-2.0, 0.0, 3.0], [5.0, 5.0, 5.0])
    array([0., 0., 5.])
    """
    x = _as_float(x, "x")
    g = _grad_like(grad_out, x.shape, "relu(x)")
    return np.where(x > 0, g, 0.0)


# --------------------------------------------------------------------------------------------
# pooling
# --------------------------------------------------------------------------------------------
def max_pool2d_backward(
    x, grad_out, pool_size: int = 2, stride: int | None = None, padding="valid"
) -> np.ndarray:
    """Gradient through max pooling: each window's gradient goes to its maximum, the rest get 0.

    Only the pixel that won a window influenced the output, so it alone receives that window's
    upstream gradient; with overlapping windows (stride < pool size) a pixel that wins several
    windows receives the sum.  **Ties:** the winner is the one :func:`course_utils.ops.max_pool2d_argmax`
    names, the first maximum in row-major window order, as Keras' ``MaxPooling2D`` on TensorFlow
    and JAX: the gradient is never duplicated.

    Parameters
    ----------
    x : array, shape (H, W) or (H, W, C)
        The input of the forward pooling.
    grad_out : array, shape of ``ops.max_pool2d(x, pool_size, stride, padding)``
    pool_size, stride, padding
        As in :func:`course_utils.ops.max_pool2d`.

    Returns
    -------
    ndarray, float64, shape of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [4.0, 3.0]])
    >>> max_pool2d_backward(x, [[10.0]])
    array([[ 0.,  0.],
           [10.,  0.]])
    >>> max_pool2d_backward(np.ones((2, 2)), [[1.0]])  # a tie: the first maximum gets it all
    array([[1., 0.],
           [0., 0.]])
    """
    img, was_2d = image_and_channels(x, "x")
    rows, cols = max_pool2d_argmax(img, pool_size, stride, padding)  # the tie rule: ops' one
    h, w, c = img.shape
    oh, ow = rows.shape[:2]
    g = _grad_like(grad_out, (oh, ow) if was_2d else (oh, ow, c), "max_pool2d(x)")
    flat = (rows * w + cols) * c + np.arange(c)  # each window's winner, as an index into x
    grad = np.bincount(flat.ravel(), weights=g.reshape(oh, ow, c).ravel(), minlength=img.size)
    grad = grad.reshape(img.shape)
    return grad[:, :, 0] if was_2d else grad


# --------------------------------------------------------------------------------------------
# convolution
# --------------------------------------------------------------------------------------------
def conv2d_backward(
    x, kernel, grad_out, stride: int = 1, padding="valid"
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of ``ops.conv2d(x, kernel, stride, padding)`` w.r.t. its input and its kernel.

    With ``out[y, x, o] = sum_{i, j, c} xp[s*y + i, s*x + j, c] * K[i, j, c, o]`` (``xp``: the
    padded input) and ``g = dL/d out``:

    * ``dL/dK[i, j, c, o] = sum_{y, x} xp[s*y + i, s*x + j, c] * g[y, x, o]``: the input
      cross-correlated with the upstream gradient (a sum over all output positions, because the
      same weight is used at every position);
    * ``dL/dxp[s*y + i, s*x + j, c] += sum_o g[y, x, o] * K[i, j, c, o]``: every output pixel
      scatters its gradient back through the kernel, a transposed convolution of ``g``
      (``ops.conv2d_transpose(g, K, stride)`` with the bank read in ``Conv2DTranspose`` layout);
      the padding is then cut off.

    Parameters
    ----------
    x : array, shape (H, W) or (H, W, Cin)
    kernel : array, shape (kh, kw) or (kh, kw, Cin, Cout)
    grad_out : array, shape of ``ops.conv2d(x, kernel, stride, padding)``
    stride, padding
        As in :func:`course_utils.ops.conv2d`.

    Returns
    -------
    grad_x : ndarray, float64, shape of ``x``
    grad_kernel : ndarray, float64, shape of ``kernel``

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(9.0).reshape(3, 3)
    >>> gx, gk = conv2d_backward(x, np.ones((2, 2)), np.ones((2, 2)))
    >>> gk                        # each weight saw 4 input pixels
    array([[ 8., 12.],
           [20., 24.]])
    >>> gx                        # how many windows covered each pixel
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    was_2d = np.ndim(x) == 2
    xp, bank, squeeze, stride, (t, b, left, r) = conv_setup(x, kernel, stride, padding)
    kh, kw, cin, cout = bank.shape
    h, w = xp.shape[0] - t - b, xp.shape[1] - left - r
    oh, ow = conv_output_size(xp.shape[0], kh, stride), conv_output_size(xp.shape[1], kw, stride)
    g = _grad_like(grad_out, (oh, ow) if squeeze else (oh, ow, cout), "conv2d(x, kernel)")
    g = g.reshape(oh, ow, cout)
    one = cin == 1 and cout == 1  # one channel: 2-D products are faster than matmuls
    if one:
        xp, g, bank = xp[:, :, 0], g[:, :, 0], bank[:, :, 0, 0]
    g2 = g.reshape(-1, cout)
    grad_xp = np.zeros(xp.shape)
    grad_k = np.zeros(bank.shape)
    # One vectorised step per kernel tap (i, j), as in ops.conv2d: kh * kw steps, none per pixel.
    for i in range(kh):
        rows = slice(i, i + stride * (oh - 1) + 1, stride)
        for j in range(kw):
            cols = slice(j, j + stride * (ow - 1) + 1, stride)
            patch = xp[rows, cols]  # (oh, ow[, Cin]): the input pixels weight (i, j) touched
            if one:
                grad_k[i, j] = np.einsum("yx,yx->", patch, g)
                grad_xp[rows, cols] += bank[i, j] * g
            else:
                grad_k[i, j] = patch.reshape(-1, cin).T @ g2
                grad_xp[rows, cols] += g @ bank[i, j].T
    if one:
        grad_xp, grad_k = grad_xp[:, :, None], grad_k[:, :, None, None]
    grad_x = grad_xp[t : t + h, left : left + w]
    if was_2d:
        grad_x = grad_x[:, :, 0]
    return grad_x, (grad_k[:, :, 0, 0] if squeeze else grad_k)


# --------------------------------------------------------------------------------------------
# upsampling and skip connections
# --------------------------------------------------------------------------------------------
def upsample2d_backward(grad_out, size: int = 2) -> np.ndarray:
    """Gradient through nearest-neighbour ``ops.upsample2d``: sum each ``size x size`` block.

    Every input pixel was copied into one block of the output, so it collects the gradients of
    all the copies.

    Parameters
    ----------
    grad_out : array, shape (size*H, size*W) or (size*H, size*W, C)
    size : int

    Returns
    -------
    ndarray, float64, shape (H, W) or (H, W, C)

    Examples
    --------
    >>> import numpy as np
    >>> upsample2d_backward(np.arange(8.0).reshape(2, 4))
    array([[10., 18.]])
    """
    g, was_2d = image_and_channels(grad_out, "grad_out")
    size = check_int("size", size)
    h, w, c = g.shape
    if h % size or w % size:
        raise ValueError(
            f"grad_out must have the shape of an upsampled map, a multiple of size={size} in both "
            f"directions; got {g.shape[:2]}. Pass dL/d(upsample2d(x, {size}))."
        )
    out = g.reshape(h // size, size, w // size, size, c).sum(axis=(1, 3))
    return out[:, :, 0] if was_2d else out


def concat_skip_backward(grad_out, encoder_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Gradient through ``ops.concat_skip``: split it back along the channels.

    The first ``encoder_channels`` channels came from the encoder, the rest from the decoder.

    Parameters
    ----------
    grad_out : array, shape (H, W, C1 + C2) or (N, H, W, C1 + C2)
    encoder_channels : int
        ``C1``, the encoder map's channel count.

    Returns
    -------
    grad_encoder : ndarray, shape (..., C1)
    grad_decoder : ndarray, shape (..., C2)

    Examples
    --------
    >>> import numpy as np
    >>> ge, gd = concat_skip_backward(np.zeros((4, 4, 192)), 64)
    >>> ge.shape, gd.shape
    ((4, 4, 64), (4, 4, 128))
    """
    g = _as_float(grad_out, "grad_out")
    if g.ndim not in (3, 4):
        raise ValueError(
            f"grad_out must be (H, W, C) or (N, H, W, C), the concatenated map's shape; got {g.shape}."
        )
    c = g.shape[-1]
    if (
        isinstance(encoder_channels, bool)
        or not isinstance(encoder_channels, (int, np.integer))
        or not 0 < encoder_channels < c
    ):
        raise ValueError(
            f"encoder_channels must be an integer between 1 and {c - 1} (grad_out has {c} "
            f"channels: encoder's first, then decoder's), got {encoder_channels!r}."
        )
    return g[..., :encoder_channels].copy(), g[..., encoder_channels:].copy()


# --------------------------------------------------------------------------------------------
# loss
# --------------------------------------------------------------------------------------------
def softmax_cross_entropy_backward(logits, labels) -> np.ndarray:
    """Gradient of the mean pixel cross-entropy of ``softmax(logits)`` w.r.t. the logits.

    With ``p = softmax(z)`` over the last axis and ``L = -(1/N) sum_pixels log p[label]``, the
    softmax's and the logarithm's derivatives cancel to ``dL/dz = (p - y) / N``, ``y`` the
    one-hot labels and ``N`` the number of pixels (all axes but the last).

    Parameters
    ----------
    logits : array, shape (..., K)
        Scores before the softmax, ``K`` classes on the last axis.
    labels : array
        Integer class ids of shape ``logits.shape[:-1]``, or one-hot (or soft) targets of the
        same shape as ``logits``.

    Returns
    -------
    ndarray, float64, shape of ``logits``

    Examples
    --------
    >>> softmax_cross_entropy_backward([[0.0, 0.0], [0.0, 0.0]], [1, 0])
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    z = _as_float(logits, "logits")
    if z.ndim < 1 or z.shape[-1] < 2:
        raise ValueError(
            f"logits must have the classes on the last axis (at least 2), got shape {z.shape}."
        )
    k = z.shape[-1]
    lab = np.asarray(labels)
    if lab.shape == z.shape:
        y = _as_float(lab, "labels")
    elif lab.shape == z.shape[:-1]:
        if not (
            np.issubdtype(lab.dtype, np.integer)
            or np.issubdtype(lab.dtype, np.bool_)
            or (np.issubdtype(lab.dtype, np.floating) and np.all(lab == np.round(lab)))
        ):
            raise ValueError(f"integer labels must be class ids, got dtype {lab.dtype}.")
        lab = lab.astype(np.int64)
        if lab.size and (lab.min() < 0 or lab.max() >= k):
            raise ValueError(
                f"labels must lie in [0, {k - 1}] for {k} classes, got values in "
                f"[{lab.min()}, {lab.max()}]."
            )
        y = np.eye(k)[lab]
    else:
        raise ValueError(
            f"labels must be class ids of shape {z.shape[:-1]} or one-hot of shape {z.shape}; "
            f"got {lab.shape}."
        )
    n = z.size // k
    return (softmax(z) - y) / n


# --------------------------------------------------------------------------------------------
# checking gradients
# --------------------------------------------------------------------------------------------
def numeric_gradient(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function: ``(f(x + eps e_k) - f(x - eps e_k)) / 2eps``.

    Two calls of ``f`` per element of ``x`` (slow: meant for small checks).  ``x`` is copied as
    float64; the error is about ``eps**2`` (truncation) plus ``1e-16 * |f| / eps`` (rounding),
    so the check is only meaningful if ``f`` computes in float64 too, and only where ``f`` is
    smooth (not at a ReLU kink or a max-pool tie).

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x``, returns a scalar.
    x : array
    eps : float

    Returns
    -------
    ndarray, float64, shape of ``x``

    Examples
    --------
    >>> numeric_gradient(lambda v: (v ** 2).sum(), [1.0, -2.0]).round(6)
    array([ 2., -4.])
    """
    x = _as_float(x, "x").copy()
    if not (isinstance(eps, (float, int, np.floating)) and eps > 0):
        raise ValueError(f"eps must be a positive number, e.g. 1e-6; got {eps!r}.")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for k in range(flat.size):  # one element at a time: this is the slow, obviously right way
        old = flat[k]
        flat[k] = old + eps
        up = float(f(x))
        flat[k] = old - eps
        down = float(f(x))
        flat[k] = old
        gflat[k] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b, tiny: float = 1e-12) -> float:
    """Relative error of two gradients: ``max |a - b| / max(|a| + |b|)`` (``tiny`` if that is 0).

    The largest disagreement, measured against the largest gradient element (cs231n's measure
    taken over the whole array, so that an element that happens to be almost zero, where rounding
    noise dominates, does not decide).  In float64, about 1e-7 or less: the gradients agree;
    1e-3 or more: a bug, a kink, or a float32 computation.

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> round(relative_error([1.0, 2.0], [1.1, 2.0]), 4)
    0.025
    """
    a = _as_float(a, "a")
    b = _as_float(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}.")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), tiny))


def autodiff_gradient(f: Callable, x) -> np.ndarray:
    """Gradient of a scalar function written with ``keras.ops``, by the active backend's autodiff.

    TensorFlow: ``tf.GradientTape``; JAX: ``jax.grad``; PyTorch: ``torch.autograd``.  ``x`` is
    passed to ``f`` as a float64 backend tensor (on JAX only if ``JAX_ENABLE_X64=1``; otherwise
    JAX computes in float32).  Keras layers used inside ``f`` should be built with
    ``dtype="float64"`` for a float64 gradient.

    Parameters
    ----------
    f : callable
        Takes a backend tensor shaped like ``x``, returns a scalar tensor.
    x : array

    Returns
    -------
    ndarray, shape of ``x``: ``df/dx``

    Examples
    --------
    >>> import keras
    >>> autodiff_gradient(lambda v: keras.ops.sum(v ** 2), [1.0, -2.0])
    array([ 2., -4.])
    """
    import keras  # lazily: the rest of this module works without Keras

    x = _as_float(x, "x")
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = f(xt)
        g = tape.gradient(y, xt)
        return np.zeros_like(x) if g is None else np.asarray(g.numpy(), dtype=np.float64)
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        g = jax.grad(lambda v: jnp.reshape(f(v), ()))(jnp.asarray(x))
        return np.asarray(g, dtype=np.float64)
    if backend == "torch":
        import torch

        xt = torch.tensor(x, requires_grad=True)
        y = f(xt)
        (g,) = torch.autograd.grad(y, xt, allow_unused=True)
        return np.zeros_like(x) if g is None else g.detach().cpu().numpy().astype(np.float64)
    raise ValueError(
        f"autodiff_gradient supports the tensorflow, jax and torch backends; the active Keras "
        f"backend is {backend!r}. Set KERAS_BACKEND before starting Python."
    )


# --------------------------------------------------------------------------------------------
# gradient descent on a kernel
# --------------------------------------------------------------------------------------------
@dataclass
class KernelTrajectory:
    """Every state of :func:`learn_kernel`'s gradient descent.

    ``kernels[t]`` and ``losses[t]`` are the kernel and its loss after ``t`` steps
    (``t = 0``: the start); ``target_map = conv2d(image, target_kernel)``.
    """

    kernels: np.ndarray  # (steps + 1, kh, kw)
    losses: np.ndarray  # (steps + 1,)
    lr: float
    target_kernel: np.ndarray
    target_map: np.ndarray

    @property
    def diverged(self) -> bool:
        """True when the loss grew, or overflowed, instead of falling."""
        last = self.losses[-1]
        return bool(not np.isfinite(last) or last > self.losses[0])


def learn_kernel(
    image, target_kernel, lr: float, steps: int = 50, init=None, padding="valid"
) -> KernelTrajectory:
    """Gradient descent on a kernel ``K`` so that ``conv2d(image, K)`` matches a hidden target.

    Loss: ``L(K) = mean((conv2d(image, K) - conv2d(image, target_kernel))**2)``; its gradient
    ``dL/dK`` comes from :func:`conv2d_backward` (deriving the upstream gradient it needs is
    lesson 07's exercise 4) and each step is ``K <- K - lr * dL/dK``.  All ``steps`` are computed at once (an explorer then only looks
    them up).  A learning rate that is too large makes the loss grow: the run stops early once it
    exceeds ``1e12`` and the remaining steps repeat the last finite state as ``inf``.

    Parameters
    ----------
    image : array, shape (H, W)
    target_kernel : array, shape (kh, kw)
        The kernel to rediscover (e.g. a Sobel filter).
    lr : float
        Learning rate, > 0.
    steps : int
    init : array (kh, kw), optional
        Starting kernel; zeros by default.
    padding : "valid", "same" or int

    Returns
    -------
    KernelTrajectory

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((16, 16))
    >>> run = learn_kernel(img, [[1.0, -1.0]], lr=0.5, steps=200)
    >>> bool(run.losses[-1] < 1e-3 * run.losses[0])
    True
    """
    img = _as_float(image, "image")
    if img.ndim != 2:
        raise ValueError(f"image must be 2-D (H, W), got shape {img.shape}; convert to grayscale.")
    target_k = _as_float(target_kernel, "target_kernel")
    if target_k.ndim != 2:
        raise ValueError(f"target_kernel must be 2-D (kh, kw), got shape {target_k.shape}.")
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not lr > 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}.")
    steps = check_int("steps", steps)
    k = np.zeros(target_k.shape) if init is None else _as_float(init, "init").copy()
    if k.shape != target_k.shape:
        raise ValueError(
            f"init must have the target kernel's shape {target_k.shape}, got {k.shape}."
        )
    target = conv2d(img, target_k, padding=padding)
    n = target.size
    kernels = np.full((steps + 1, *k.shape), np.nan)
    losses = np.full(steps + 1, np.inf)
    for t in range(steps + 1):
        err = conv2d(img, k, padding=padding) - target
        loss = float(np.mean(err**2))
        kernels[t], losses[t] = k, loss
        if t == steps or not loss < 1e12:
            kernels[t + 1 :] = k
            break
        _, grad = conv2d_backward(img, k, 2.0 * err / n, padding=padding)
        k = k - lr * grad
    return KernelTrajectory(kernels, losses, float(lr), target_k, target)

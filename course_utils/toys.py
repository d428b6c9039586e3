"""Small fixed-weight NumPy networks that the lessons take apart (no Keras, no training).

* Lesson 04: :func:`checkerboard_photo`, a photo average-pooled by ``s`` and upsampled back by a
  uniform ``k x k`` transposed convolution (uneven overlaps draw a checkerboard).
* Lesson 05: the skip-connection toy, with fixed weights so that the only difference between the
  two settings is the skip connection itself:

  - **encoder** (full resolution): one 3x3 convolution layer with five fixed filters + ReLU
    (a 3x3 blur and four one-sided Sobel edge detectors), :func:`encoder_features`;
  - **down path**: ``poolings`` times 2x2 max pooling of those five channels,
    :func:`encoder_pyramid`;
  - **up path**: upsampling by ``2 ** poolings`` (nearest or bilinear);
  - **decoder**: a 1x1 convolution (a per-pixel linear blend + bias) fitted by least squares to
    reproduce the photo.  Without the skip it sees the 5 upsampled channels; with the skip it
    sees ``concat(E, D)`` = 5 encoder + 5 upsampled channels, exactly like the seed's U-Net.

Functions that explorers call on every slider move are memoised (:mod:`course_utils._memo`):
given a read-only photo (``data.photo``) they compute once per photo.
"""

from __future__ import annotations

import numpy as np

from . import ops
from ._memo import memo
from ._validate import check_choice, check_int
from .data import SAMPLE_IMAGES, photo, to_gray

__all__ = [
    "ENCODER_KERNELS",
    "encoder_features",
    "encoder_pyramid",
    "edge_magnitude",
    "skip_reconstruction",
    "checkerboard_photo",
]

#: name -> 3x3 kernel of the toy encoder layer (each followed by ReLU); the edges are
#: ``ops.SOBEL_X`` / 4 and its transpose, with both signs (ReLU keeps one side each)
ENCODER_KERNELS: dict[str, np.ndarray] = {
    "blur": np.full((3, 3), 1 / 9),
    "edge +x": ops.SOBEL_X / 4.0,
    "edge -x": -ops.SOBEL_X / 4.0,
    "edge +y": ops.SOBEL_X.T / 4.0,
    "edge -y": -ops.SOBEL_X.T / 4.0,
}
for _k in ENCODER_KERNELS.values():
    _k.setflags(write=False)


def _gray(image) -> np.ndarray:
    """A gray float64 version of an (H, W) or (H, W, 3) image (``data.to_gray``'s weights)."""
    return np.asarray(to_gray(image), dtype=np.float64)


@memo(maxsize=16)
def encoder_features(image) -> np.ndarray:
    """The toy encoder layer: five fixed 3x3 'same' convolutions + ReLU.

    Parameters
    ----------
    image : array (H, W) or (H, W, 3), float in [0, 1]

    Returns
    -------
    ndarray, shape (H, W, 5)
        Channels in the order of :data:`ENCODER_KERNELS`.

    Examples
    --------
    >>> encoder_features(np.zeros((8, 8))).shape
    (8, 8, 5)
    """
    img = _gray(image)
    return np.stack(
        [ops.relu(ops.conv2d(img, k, padding="same")) for k in ENCODER_KERNELS.values()], axis=-1
    )


@memo(maxsize=16)
def _pyramid(features, levels: int) -> tuple[np.ndarray, ...]:
    out = []
    x = np.asarray(features, dtype=np.float64)
    for _ in range(levels):
        x = ops.max_pool2d(x, 2)
        out.append(x)
    return tuple(out)


def encoder_pyramid(features, levels: int = 3) -> list[np.ndarray]:
    """The encoder map after 1, 2, ... ``levels`` 2x2 max poolings (what the down path computes).

    Examples
    --------
    >>> [p.shape for p in encoder_pyramid(np.zeros((16, 16, 5)), 2)]
    [(8, 8, 5), (4, 4, 5)]
    """
    return list(_pyramid(features, check_int("levels", levels)))


def edge_magnitude(image) -> np.ndarray:
    """Sobel gradient magnitude of a gray image (H, W), 'same' size; used for edge-map panels.

    Examples
    --------
    >>> step = np.zeros((6, 6)); step[:, 3:] = 1.0
    >>> float(edge_magnitude(step)[3, 0]), float(edge_magnitude(step)[3, 2])
    (0.0, 1.0)
    """
    p = np.pad(_gray(image), 1, mode="edge")  # replicate the border: no edge at the frame
    return np.hypot(ops.conv2d(p, ops.SOBEL_X), ops.conv2d(p, ops.SOBEL_X.T)) / 4.0


def _fit_1x1(channels: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares 1x1 convolution (weights + bias) mapping (H, W, C) channels to target.

    Fitted on every second pixel in each direction (a quarter of the pixels: same answer to a few
    decimals, four times faster), applied to all pixels.
    """
    c = channels.shape[-1]
    fit = channels[::2, ::2].reshape(-1, c)
    a = np.concatenate([fit, np.ones((len(fit), 1))], axis=1)
    gram = a.T @ a
    gram[np.diag_indices_from(gram)] += 1e-6 * (np.trace(gram) / len(gram))  # tiny ridge
    wts = np.linalg.solve(gram, a.T @ target[::2, ::2].ravel())
    return channels @ wts[:-1] + wts[-1], wts


@memo(maxsize=32)
def _upsampled(level: np.ndarray, factor: int, interpolation: str) -> np.ndarray:
    return ops.upsample2d(level, factor, interpolation)


def skip_reconstruction(
    image, poolings: int = 2, skip: bool = True, interpolation: str = "nearest"
) -> dict:
    """Down (max pool), up (upsample), optionally concat the encoder map, then a fitted 1x1 conv.

    Parameters
    ----------
    image : array (H, W) or (H, W, 3), float in [0, 1]
        H and W must be divisible by ``2 ** poolings``.
    poolings : int
        Number of 2x2 max poolings (1 to 5).
    skip : bool
        Concatenate the full-resolution encoder map before the 1x1 conv.
    interpolation : "nearest" or "bilinear"
        The upsampling rule (the seed's ``UpSampling2D`` uses "nearest").

    Returns
    -------
    dict
        ``recon`` (H, W) reconstruction, ``up`` (H, W, 5) upsampled decoder map, ``weights``
        (1x1 conv weights, bias last), ``mae`` and ``psnr`` (dB) against the image,
        ``sizes`` (the spatial sizes along the way), ``channels`` (input channels of the 1x1 conv).

    Examples
    --------
    >>> img = np.random.default_rng(0).random((16, 16))
    >>> r0 = skip_reconstruction(img, 2, skip=False)
    >>> r1 = skip_reconstruction(img, 2, skip=True)
    >>> r1["mae"] < r0["mae"], r1["channels"]
    (True, 10)
    """
    poolings = check_int("poolings", poolings, 1, 5)
    img = _gray(image)
    f = 2**poolings
    h, w = img.shape
    if h % f or w % f:
        raise ValueError(
            f"a {h}x{w} image does not survive {poolings} poolings: {h}x{w} is not divisible by "
            f"2**{poolings} = {f}, so the upsampled map would not match the encoder map. "
            f"Crop it to {h - h % f}x{w - w % f}."
        )
    enc = encoder_features(image)  # remembered per read-only photo, like the pyramid
    pyramid = encoder_pyramid(enc, poolings)
    up = _upsampled(pyramid[-1], f, interpolation)
    chans = ops.concat_skip(enc, up) if skip else up
    recon, wts = _fit_1x1(chans, img)
    recon = np.clip(recon, 0.0, 1.0)
    err = recon - img
    mse = float(np.mean(err**2))
    return {
        "recon": recon,
        "up": up,
        "weights": wts,
        "mae": float(np.mean(np.abs(err))),
        "psnr": float(10 * np.log10(1.0 / max(mse, 1e-12))),
        "sizes": [h] + [lvl.shape[0] for lvl in pyramid] + [up.shape[0]],
        "channels": chans.shape[-1],
    }


@memo(maxsize=32)
def checkerboard_photo(image: str, kernel_size: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """A sample photo average-pooled by ``s``, then upsampled by a uniform transposed conv.

    The ``k x k`` kernel is all ones divided by the mean overlap ``k^2 / s^2``, so an even cover
    would keep the brightness everywhere (``padding="same"``: back to about the photo's size).

    Returns
    -------
    small : ndarray, the pooled photo
    photo : ndarray, the upsampled result

    Examples
    --------
    >>> small, up = checkerboard_photo("camera", 3, 2)
    >>> small.shape, up.shape
    ((128, 128), (256, 256))
    """
    check_choice("image", image, SAMPLE_IMAGES)
    k, s = check_int("kernel_size", kernel_size), check_int("stride", stride)
    img = photo(image, gray=True)
    small = ops.avg_pool2d(img, s) if s > 1 else np.asarray(img, dtype=np.float64)
    up = ops.conv2d_transpose(small, np.full((k, k), s * s / (k * k)), stride=s, padding="same")
    return small, up

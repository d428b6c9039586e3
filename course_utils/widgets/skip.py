"""SkipExplorer: pool a photo down, upsample it back, and see what a skip connection restores.

The toy "network" has fixed weights so that the only difference between the two settings is the
skip connection itself:

* **encoder** (full resolution): one 3x3 convolution layer with five fixed filters + ReLU
  (a 3x3 blur and four one-sided Sobel edge detectors), see :func:`encoder_features`;
* **down path**: ``poolings`` times 2x2 max pooling of those five channels;
* **up path**: upsampling by ``2 ** poolings`` (nearest or bilinear);
* **decoder**: a 1x1 convolution (a per-pixel linear blend + bias) fitted by least squares to
  reproduce the photo.  Without the skip it sees the 5 upsampled channels; with the skip it sees
  ``concat(E, D)`` = 5 encoder + 5 upsampled channels, exactly like the seed's U-Net.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import ops
from ..data import SAMPLE_IMAGES, sample_image, to_gray
from ..viz import to_png
from ._base import Explorer, Frame
from .kernel import KERNEL_PRESETS

__all__ = [
    "ENCODER_KERNELS",
    "encoder_features",
    "encoder_pyramid",
    "edge_magnitude",
    "skip_reconstruction",
    "skip_step",
    "SkipExplorer",
]

_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], float) / 4.0

#: name -> 3x3 kernel of the toy encoder layer (each followed by ReLU)
ENCODER_KERNELS: dict[str, np.ndarray] = {
    "blur": np.full((3, 3), 1 / 9),
    "edge +x": _SOBEL_X,
    "edge -x": -_SOBEL_X,
    "edge +y": _SOBEL_X.T.copy(),
    "edge -y": -_SOBEL_X.T,
}


def _gray(image) -> np.ndarray:
    """A gray float64 copy of an (H, W) or (H, W, 3) image (``data.to_gray``'s weights)."""
    return np.asarray(to_gray(image), dtype=np.float64)


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
    >>> import numpy as np
    >>> encoder_features(np.zeros((8, 8))).shape
    (8, 8, 5)
    """
    img = _gray(image)
    return np.stack(
        [ops.relu(ops.conv2d(img, k, padding="same")) for k in ENCODER_KERNELS.values()], axis=-1
    )


def edge_magnitude(image) -> np.ndarray:
    """Sobel gradient magnitude of a gray image (H, W), 'same' size; used for edge-map panels.

    Examples
    --------
    >>> import numpy as np
    >>> step = np.zeros((6, 6)); step[:, 3:] = 1.0
    >>> float(edge_magnitude(step)[3, 0]), float(edge_magnitude(step)[3, 2])
    (0.0, 1.0)
    """
    p = np.pad(_gray(image), 1, mode="edge")  # replicate the border: no edge at the frame
    gx = ops.conv2d(p, KERNEL_PRESETS["Sobel x (vertical edges)"])
    gy = ops.conv2d(p, KERNEL_PRESETS["Sobel y (horizontal edges)"])
    return np.hypot(gx, gy) / 4.0


def _fit_1x1(channels: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares 1x1 convolution (weights + bias) mapping (H, W, C) channels to target.

    Fitted on every second pixel in each direction (a quarter of the pixels: same answer to a few
    decimals, four times faster), applied to all pixels.
    """
    h, w, c = channels.shape
    fit = channels[::2, ::2].reshape(-1, c)
    a = np.concatenate([fit, np.ones((len(fit), 1))], axis=1)
    gram = a.T @ a
    gram[np.diag_indices_from(gram)] += 1e-6 * (np.trace(gram) / len(gram))  # tiny ridge
    wts = np.linalg.solve(gram, a.T @ target[::2, ::2].ravel())
    return channels @ wts[:-1] + wts[-1], wts


def encoder_pyramid(features, levels: int = 3) -> list[np.ndarray]:
    """The encoder map after 1, 2, ... ``levels`` 2x2 max poolings (what the down path computes).

    Examples
    --------
    >>> import numpy as np
    >>> [p.shape for p in encoder_pyramid(np.zeros((16, 16, 5)), 2)]
    [(8, 8, 5), (4, 4, 5)]
    """
    out = []
    x = np.asarray(features, dtype=np.float64)
    for _ in range(levels):
        x = ops.max_pool2d(x, 2)
        out.append(x)
    return out


def skip_reconstruction(image, poolings: int = 2, skip: bool = True,
                        interpolation: str = "nearest", features=None,
                        pyramid: list | None = None) -> dict:
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
    features : array (H, W, 5), optional
        Precomputed :func:`encoder_features` of ``image`` (widgets cache them).
    pyramid : list of arrays, optional
        Precomputed :func:`encoder_pyramid` of ``features`` (at least ``poolings`` levels).

    Returns
    -------
    dict
        ``recon`` (H, W) reconstruction, ``up`` (H, W, 5) upsampled decoder map, ``weights``
        (1x1 conv weights, bias last), ``mae`` and ``psnr`` (dB) against the image,
        ``sizes`` (the spatial sizes along the way), ``channels`` (input channels of the 1x1 conv).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).random((16, 16))
    >>> r0 = skip_reconstruction(img, 2, skip=False)
    >>> r1 = skip_reconstruction(img, 2, skip=True)
    >>> r1["mae"] < r0["mae"], r1["channels"]
    (True, 10)
    """
    img = _gray(image)
    if isinstance(poolings, bool) or not isinstance(poolings, (int, np.integer)) or not (
        1 <= poolings <= 5
    ):
        raise ValueError(f"poolings must be an integer from 1 to 5, got {poolings!r}.")
    f = 2 ** int(poolings)
    h, w = img.shape
    if h % f or w % f:
        raise ValueError(
            f"a {h}x{w} image does not survive {poolings} poolings: {h}x{w} is not divisible by "
            f"2**{poolings} = {f}, so the upsampled map would not match the encoder map. "
            f"Crop it to {h - h % f}x{w - w % f}."
        )
    enc = encoder_features(img) if features is None else np.asarray(features, dtype=np.float64)
    if enc.shape[:2] != img.shape:
        raise ValueError(f"features {enc.shape} do not match the image {img.shape}.")
    if pyramid is None or len(pyramid) < poolings:
        pyramid = encoder_pyramid(enc, int(poolings))
    sizes = [h] + [lvl.shape[0] for lvl in pyramid[: int(poolings)]]
    up = ops.upsample2d(pyramid[int(poolings) - 1], f, interpolation)
    sizes.append(up.shape[0])
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
        "sizes": sizes,
        "channels": chans.shape[-1],
    }


def skip_step(image, poolings: int, skip: bool, interpolation: str = "nearest",
              features=None, pyramid: list | None = None, input_png: bytes | None = None,
              decoder_png: bytes | None = None) -> Frame:
    """The pure update of :class:`SkipExplorer`.

    ``features``, ``pyramid``, ``input_png`` and ``decoder_png`` are optional precomputed parts
    that do not change when only ``skip`` changes (the explorer caches them).

    Returns
    -------
    Frame
        ``images``: ``"input"``, ``"decoder"`` (blur channel of the upsampled map),
        ``"recon"`` (the 1x1 conv output), ``"edges"`` (edge map of the reconstruction);
        ``data``: the dict of :func:`skip_reconstruction` plus ``"edges"``.

    Examples
    --------
    >>> import numpy as np
    >>> f = skip_step(np.zeros((16, 16)), 2, skip=True)
    >>> sorted(f.images)
    ['decoder', 'edges', 'input', 'recon']
    """
    res = skip_reconstruction(image, poolings, skip, interpolation, features, pyramid)
    img = _gray(image)
    edges = edge_magnitude(res["recon"])
    s = res["sizes"]
    path = " &rarr; ".join(str(v) for v in s[:-1])
    label = "with skip: concat(E, D)" if skip else "without skip: D only"
    info = (
        f"<b>{label}</b> &nbsp; sizes {path} &rarr; upsample &times;{2 ** poolings} &rarr; {s[-1]}"
        f" &nbsp; | 1&times;1 conv sees <b>{res['channels']}</b> channels"
        f"<br>mean abs error <b>{res['mae']:.4f}</b> &nbsp; PSNR <b>{res['psnr']:.1f} dB</b>"
        " (higher is better)"
    )
    return Frame(
        images={
            "input": input_png if input_png is not None else to_png(img, "gray", (0.0, 1.0)),
            "decoder": (decoder_png if decoder_png is not None
                        else to_png(res["up"][:, :, 0], "gray", (0.0, 1.0))),
            "recon": to_png(res["recon"], "gray", (0.0, 1.0)),
            "edges": to_png(edges, "magma", (0.0, 0.5)),
        },
        info=info,
        data={**res, "edges": edges},
    )


class SkipExplorer(Explorer):
    """Pool a photo 1-3 times, upsample back, and switch the skip connection on and off.

    Examples
    --------
    >>> ex = SkipExplorer()
    >>> ex.set(skip=False).data["channels"], ex.set(skip=True).data["channels"]
    (5, 10)
    """

    def __init__(self, image: str = "camera", poolings: int = 2, skip: bool = False,
                 interpolation: str = "nearest") -> None:
        if image not in SAMPLE_IMAGES:
            raise ValueError(f"unknown photo {image!r}; choose one of {list(SAMPLE_IMAGES)}.")
        self._cache: dict[str, tuple] = {}
        self._decoder_png: dict[tuple, bytes] = {}
        controls = {
            "image": W.Dropdown(options=list(SAMPLE_IMAGES), value=image, description="photo"),
            "poolings": W.IntSlider(value=poolings, min=1, max=3, description="poolings"),
            "skip": W.ToggleButtons(options=[("without skip", False), ("with skip", True)],
                                    value=skip, description="skip"),
            "interpolation": W.ToggleButtons(options=["nearest", "bilinear"],
                                             value=interpolation, description="upsampling"),
        }
        self._build(controls, {"input": "input", "decoder": "upsampled (decoder path)",
                               "recon": "1x1 conv output", "edges": "its edge map"})

    def _photo(self, name: str) -> tuple:
        """Photo, encoder map, pooled pyramid and input PNG: fixed per photo, computed once."""
        if name not in self._cache:
            img = sample_image(name, gray=True).astype(np.float64)
            feats = encoder_features(img)
            self._cache[name] = (img, feats, encoder_pyramid(feats, 3),
                                 to_png(img, "gray", (0.0, 1.0)))
        return self._cache[name]

    def step(self, image: str, poolings: int, skip: bool, interpolation: str) -> Frame:
        img, feats, pyramid, png = self._photo(image)
        key = (image, poolings, interpolation)
        frame = skip_step(img, poolings, skip, interpolation, features=feats, pyramid=pyramid,
                          input_png=png, decoder_png=self._decoder_png.get(key))
        self._decoder_png[key] = frame.images["decoder"]
        return frame

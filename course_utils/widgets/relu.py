"""ReluExplorer: filter a photo, add a bias, and watch ReLU zero out everything below 0."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import ops
from .._memo import memo
from .._validate import check_choice, check_image
from ..data import SAMPLE_IMAGES, photo
from ..ops import KERNEL_PRESETS
from ..viz import robust_scale, to_png
from ._base import Explorer, Frame

__all__ = ["ReluExplorer", "relu_step"]


def relu_step(feature_map: np.ndarray, bias: float, scale: float | None = None) -> Frame:
    """The pure update: ``pre = feature_map + bias``, ``post = relu(pre)``, both as PNG.

    Parameters
    ----------
    feature_map : array (H, W)
        A convolution output (the pre-activation without bias).
    bias : float
        Added to every pixel before ReLU, as ``Conv2D``'s bias does.
    scale : float, optional
        Values at ``+-scale`` get the strongest colours (larger ones saturate).  Default: the
        99.5th percentile of ``|feature_map|``; the explorer fixes it per photo and kernel so
        colours stay comparable while the bias moves.

    Returns
    -------
    Frame
        ``images`` has ``"pre"`` (diverging colours: blue < 0 < red) and ``"post"``;
        ``data`` has ``"pre"``, ``"post"`` and ``"zero_fraction"`` (share of pixels ReLU set to 0).

    Examples
    --------
    >>> import numpy as np
    >>> f = relu_step(np.array([[-1.0, 0.5], [2.0, -3.0]]), bias=0.0)
    >>> f.data["zero_fraction"]
    0.5
    >>> f.data["post"].tolist()
    [[0.0, 0.5], [2.0, 0.0]]
    """
    fmap = check_image("feature_map", feature_map, ranks=(2,)).astype(np.float64, copy=False)
    if not np.isfinite(bias):
        raise ValueError(f"bias must be a finite number, got {bias!r}.")
    pre = fmap + float(bias)
    post = ops.relu(pre)
    if scale is None:
        scale = robust_scale(fmap)
    m = float(scale) if scale > 0 else 1.0  # one scale for both panels: same value, same colour
    zero = float(np.mean(post == 0.0))
    info = (
        f"bias <b>{bias:+.2f}</b>: pre-activation in [{pre.min():.2f}, {pre.max():.2f}] "
        f"(blue negative, red positive) &rarr; ReLU zeroed <b>{100 * zero:.1f}%</b> of the "
        f"pixels; {100 * (1 - zero):.1f}% pass unchanged."
    )
    return Frame(
        images={"pre": to_png(pre, "RdBu_r", (-m, m)), "post": to_png(post, "gray", (0.0, m))},
        info=info,
        data={"pre": pre, "post": post, "zero_fraction": zero},
    )


@memo(maxsize=64)
def _feature_map(image: str, preset: str) -> tuple[np.ndarray, float]:
    """``conv2d(gray photo, preset kernel)`` ("valid": no artificial edges) and its colour scale."""
    check_choice("preset", preset, KERNEL_PRESETS)
    fmap = ops.conv2d(photo(image, gray=True), KERNEL_PRESETS[preset])
    return fmap, robust_scale(fmap)


class ReluExplorer(Explorer):
    """Pick a photo and a kernel, slide the bias, see what ReLU keeps.

    Left: the pre-activation ``conv(photo, kernel) + bias`` (blue negative, red positive);
    right: ``relu`` of it (black = zeroed).  The info line gives the share of zeroed pixels.

    Examples
    --------
    >>> ex = ReluExplorer(preset="Sobel x (vertical edges)")
    >>> 0.0 < ex.frame.data["zero_fraction"] < 1.0
    True
    >>> ex.set(bias=-4.0).data["zero_fraction"]
    1.0
    """

    def __init__(self, image: str = "camera", preset: str = "Sobel x (vertical edges)",
                 bias: float = 0.0) -> None:
        check_choice("image", image, SAMPLE_IMAGES)
        check_choice("preset", preset, KERNEL_PRESETS)
        controls = {
            "image": W.Dropdown(options=list(SAMPLE_IMAGES), value=image, description="photo"),
            "preset": W.Dropdown(options=list(KERNEL_PRESETS), value=preset,
                                 description="kernel"),
            "bias": W.FloatSlider(value=bias, min=-4.0, max=4.0, step=0.05, description="bias",
                                  readout_format="+.2f", continuous_update=True),
        }
        self._build(controls, {"pre": "pre-activation conv + bias",
                               "post": "after ReLU = max(0, ·)"})

    def feature_map(self, image: str, preset: str) -> np.ndarray:
        """``conv2d(gray photo, kernel)`` ("valid": no artificial edges at the border)."""
        return _feature_map(image, preset)[0]

    def step(self, image: str, preset: str, bias: float) -> Frame:
        fmap, scale = _feature_map(image, preset)  # remembered: the bias slider only adds to it
        return relu_step(fmap, bias, scale)

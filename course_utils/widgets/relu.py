"""ReluExplorer: filter a photo, add a bias, and watch ReLU zero out everything below 0.

Three pictures side by side: the pre-activation ``conv + bias``, what ReLU keeps, and the
histogram of the convolution's values with the threshold ``-bias`` (everything left of the line
becomes 0).  The convolution and its histogram are computed once per photo and kernel; a bias
move only adds, compares and encodes.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import ops
from .._memo import memo
from .._validate import check_choice, check_image
from ..data import SAMPLE_IMAGES, photo
from ..ops import KERNEL_PRESETS
from ..viz import histogram_png, robust_scale, to_png
from ._base import Explorer, Frame, float_slider

__all__ = ["ReluExplorer", "relu_step", "map_histogram"]


#: bins of the explorer's histogram (over the map's whole range: about 0.1 wide for Sobel x)
HIST_BINS = 72


def map_histogram(feature_map: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts and edges of ``feature_map`` over an axis that covers all of its values.

    The axis runs from ``min(map.min(), -0.5)`` to ``max(map.max(), 0.5)``: every value has a
    bar where it really lies (no end bin piling up the clipped tails), and every threshold of
    the explorer's bias slider (+-0.5) lies inside.

    Examples
    --------
    >>> counts, edges = map_histogram(np.array([-3.6, 0.1, 0.2]))
    >>> int(counts.sum()), float(edges[0]), float(edges[-1])
    (3, -3.6, 0.5)
    """
    fmap = np.asarray(feature_map, dtype=np.float64)
    lo, hi = min(float(fmap.min()), -0.5), max(float(fmap.max()), 0.5)
    return np.histogram(fmap, bins=HIST_BINS, range=(lo, hi))


def relu_step(
    feature_map: np.ndarray,
    bias: float,
    scale: float | None = None,
    hist: tuple[np.ndarray, np.ndarray] | None = None,
) -> Frame:
    """The pure update: ``pre = feature_map + bias``, ``post = relu(pre)``, and the histogram of
    ``feature_map`` with the threshold ``-bias``, each as PNG.

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
    hist : (counts, edges), optional
        :func:`map_histogram` of ``feature_map``, if already known (the explorer remembers it).
        Its axis covers every value of the map; the colours saturate at ``+-scale``.

    Returns
    -------
    Frame
        ``images`` has ``"pre"`` (diverging colours: blue < 0 < red), ``"post"`` and ``"hist"``
        (grey bars: values ReLU will zero, red: values it keeps, black line at ``-bias``);
        ``colorbars`` gives the value range of the two maps;
        ``data`` has ``"pre"``, ``"post"``, ``"zero_fraction"`` (share of pixels ReLU set to 0),
        ``"threshold"`` (``-bias``) and ``"counts"``, ``"edges"`` of the histogram.

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
    counts, edges = hist if hist is not None else map_histogram(fmap)
    threshold = -float(bias) + 0.0  # + 0.0: no "-0.00"
    info = (
        f"bias <b>{bias:+.2f}</b>: pre-activation in [{pre.min():.2f}, {pre.max():.2f}] "
        f"(blue negative, red positive) &rarr; ReLU zeroed <b>{100 * zero:.1f}%</b> of the "
        f"pixels (every value of the map below the threshold &minus;bias = "
        f"{threshold:+.2f}); {100 * (1 - zero):.1f}% pass unchanged."
    )
    return Frame(
        images={
            "pre": to_png(pre, "RdBu_r", (-m, m)),
            "post": to_png(post, "gray", (0.0, m)),
            "hist": histogram_png(counts, edges, threshold, width=256, height=110),
        },
        info=info,
        data={
            "pre": pre,
            "post": post,
            "zero_fraction": zero,
            "threshold": threshold,
            "counts": counts,
            "edges": edges,
        },
        colorbars={"pre": ("RdBu_r", -m, m), "post": ("gray", 0.0, m)},
    )


@memo(maxsize=64)
def _feature_map(image: str, preset: str) -> tuple[np.ndarray, float, tuple]:
    """``conv2d(gray photo, preset kernel)`` ("valid": no artificial edges), its colour scale
    and its histogram: all that does not depend on the bias."""
    check_choice("preset", preset, KERNEL_PRESETS)
    fmap = ops.conv2d(photo(image, gray=True), KERNEL_PRESETS[preset])
    scale = robust_scale(fmap)
    return fmap, scale, map_histogram(fmap)


class ReluExplorer(Explorer):
    """Pick a photo and a kernel, slide the bias, see what ReLU keeps.

    Left: the pre-activation ``conv(photo, kernel) + bias`` (blue negative, red positive);
    middle: ``relu`` of it (black = zeroed); right: the histogram of the convolution's values with
    the threshold ``-bias``: the grey part is what ReLU zeroes.  The bias slider spans +-0.5 in
    steps of 0.01 (exact values: see :func:`float_slider`).

    Examples
    --------
    >>> ex = ReluExplorer(preset="Sobel x (vertical edges)")
    >>> 0.0 < ex.frame.data["zero_fraction"] < 1.0
    True
    >>> ex.set(bias=-0.3).data["threshold"]
    0.3
    """

    def __init__(
        self, image: str = "camera", preset: str = "Sobel x (vertical edges)", bias: float = 0.0
    ) -> None:
        check_choice("image", image, SAMPLE_IMAGES)
        check_choice("preset", preset, KERNEL_PRESETS)
        if not (isinstance(bias, (int, float)) and -0.5 <= bias <= 0.5):
            raise ValueError(
                f"bias must be a number in [-0.5, 0.5] (the slider's range), got {bias!r}."
            )
        controls = {
            "image": W.Dropdown(options=list(SAMPLE_IMAGES), value=image, description="photo"),
            "preset": W.Dropdown(options=list(KERNEL_PRESETS), value=preset, description="kernel"),
            "bias": float_slider("bias", -0.5, 0.5, 0.01, bias, fmt="+.2f"),
        }
        self._build(
            controls,
            {
                "pre": "pre-activation conv + bias",
                "post": "after ReLU = max(0, ·)",
                "hist": "histogram of conv (log count), line at −bias",
            },
        )

    def feature_map(self, image: str, preset: str) -> np.ndarray:
        """``conv2d(gray photo, kernel)`` ("valid": no artificial edges at the border)."""
        return _feature_map(image, preset)[0]

    def step(self, image: str, preset: str, bias: float) -> Frame:
        fmap, scale, hist = _feature_map(image, preset)  # remembered: the bias only adds to it
        return relu_step(fmap, bias, scale, hist)

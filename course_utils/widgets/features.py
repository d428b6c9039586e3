"""FeatureMapExplorer: one channel of one layer, trained net beside the same net untrained."""

from __future__ import annotations

import html
import math

import ipywidgets as W
import numpy as np

from .._memo import freeze
from .._validate import check_choice, check_int
from ..models import describe, feature_maps
from ..viz import MIN_COLUMN, map_colours, overlay_mask, to_png
from ._base import Explorer, Frame

__all__ = ["FeatureMapExplorer", "feature_step"]


def feature_step(
    image: np.ndarray,
    untrained: np.ndarray,
    trained: np.ndarray,
    channel: int,
    layer: str = "",
    mask: np.ndarray | None = None,
    display: int = 192,
) -> Frame:
    """The pure update: pick ``channel`` of two feature maps and encode input + both maps as PNG.

    Parameters
    ----------
    image : array (H, W, 3) in [0, 1]
    untrained, trained : arrays (h, w, C)
        The same layer's output for ``image`` in the untrained and the trained network.
    channel : int
        0 <= channel < C.
    mask : array (H, W), optional
        Ground-truth mask, drawn over the input.
    display : int
        Width of the input picture in screen pixels; the maps are drawn at the same scale.

    Returns
    -------
    Frame
        ``images``: ``"input"``, ``"untrained"``, ``"trained"``; ``data`` holds both 2-D maps,
        their colour ``"vrange"`` and the maps' screen ``"width"``. The maps are drawn at their
        true size next to the input (``display`` pixels wide), each on its own robust colour
        scale (:func:`viz.robust_scale`) with a colour bar; the classifier on 0 to 1.

    Examples
    --------
    >>> import numpy as np
    >>> f = feature_step(np.zeros((8, 8, 3)), np.zeros((4, 4, 2)), np.ones((4, 4, 2)), 1)
    >>> f.data["trained"].shape
    (4, 4)
    """
    u, t = np.asarray(untrained), np.asarray(trained)
    if u.ndim != 3 or t.ndim != 3 or u.shape != t.shape:
        raise ValueError(
            f"untrained and trained must be (h, w, C) maps of the same shape, got {u.shape} and "
            f"{t.shape}."
        )
    c = u.shape[2]
    channel = check_int("channel", channel, 0, c - 1)
    um, tm = u[:, :, channel], t[:, :, channel]
    img = np.asarray(image)
    if mask is not None:
        img = overlay_mask(img, mask, alpha=0.35)
    px = display / img.shape[0]  # screen pixels per input pixel, the same for the maps
    width = max(1, round(um.shape[1] * px))
    scale = max(1, math.ceil(width / um.shape[1]))
    canvas = math.ceil(MIN_COLUMN * scale * um.shape[1] / width)
    images = {"input": to_png(img, scale=max(1, math.ceil(px)))}
    colorbars, ranges = {}, {}
    for name, m in (("untrained", um), ("trained", tm)):
        cmap, vrange = map_colours(m, layer == "classifier")
        ranges[name] = vrange
        colorbars[name] = (cmap, *vrange)
        images[name] = to_png(m, cmap, vrange, scale=scale, min_width=canvas)

    def stats(a):
        return f"range [{a.min():.3g}, {a.max():.3g}], {100 * np.mean(a > 0):.0f}% of pixels &gt; 0"

    how = (
        "probabilities on the fixed scale 0 to 1"
        if layer == "classifier"
        else "each map on its own robust scale (0 or &minus;s to s, s = its 99.5th percentile of "
        "|value|: the brightest pixels saturate)"
    )
    info = (
        f"layer <b>{html.escape(layer)}</b>, channel <b>{channel}</b> of {c}, map "
        f"{um.shape[0]}&times;{um.shape[1]}, drawn at {px:g} screen pixel"
        f"{'s' if px != 1 else ''} per map pixel (true size next to the input); colours: {how}"
        f"<br>untrained: {stats(um)}<br>trained: {stats(tm)}"
    )
    col = max(width, MIN_COLUMN)
    return Frame(
        images=images,
        info=info,
        data={"untrained": um, "trained": tm, "vrange": ranges, "width": width},
        widths={"input": display, "untrained": col, "trained": col},
        colorbars=colorbars,
    )


class FeatureMapExplorer(Explorer):
    """Compare what a layer computes before and after training.

    Controls: layer, channel, image.  All feature maps of both networks are computed once when the
    explorer is created; a control change only picks a channel and encodes PNGs.

    Parameters
    ----------
    trained, untrained : keras.Model
        The same architecture (same layer names), trained and freshly initialised.
    images : array (N, H, W, 3)
        The images to choose from (keep N small, e.g. 4-8).
    masks : array (N, H, W), optional
        Their ground-truth masks, drawn over the input.
    layers : list of str, optional
        Default: every convolution, pooling and upsampling layer, in network order.

    Examples
    --------
    >>> import numpy as np
    >>> from course_utils.models import unet
    >>> m0, m1 = unet((16, 16, 3), base_filters=2), unet((16, 16, 3), base_filters=2)
    >>> ex = FeatureMapExplorer(m1, m0, np.zeros((2, 16, 16, 3), "float32"), layers=["enc1_conv1"])
    >>> ex.set(channel=1).data["trained"].shape
    (16, 16)
    """

    image_width = "192px"

    def __init__(
        self,
        trained,
        untrained,
        images,
        masks=None,
        layers=None,
        layer=None,
        channel: int = 0,
        image: int = 0,
    ):
        x = np.asarray(images, dtype="float32")
        if x.ndim != 4 or x.shape[-1] != 3:
            raise ValueError(f"images must be (N, H, W, 3), got shape {x.shape}.")
        if masks is not None and np.shape(masks) != x.shape[:3]:
            raise ValueError(f"masks must be (N, H, W) = {x.shape[:3]}, got {np.shape(masks)}.")
        if layers is None:
            shown = ("conv", "pool", "up", "classifier")
            layers = [ly.name for ly in describe(trained) if ly.role in shown]
        layers = list(layers)
        if not layers:
            raise ValueError("no layers to show; pass layers=[...] with layer names.")
        self.x, self.masks = x, None if masks is None else np.asarray(masks)
        # the input pictures (mask tinted) once, read-only: their PNGs are then encoded once
        self._shown = freeze(
            np.stack(
                [
                    img if self.masks is None else overlay_mask(img, self.masks[i], alpha=0.35)
                    for i, img in enumerate(x)
                ]
            )
        )
        self.maps = {  # read-only copies: a map's colour scale is then remembered (memo)
            kind: {k: freeze(np.array(v)) for k, v in feature_maps(model, x, layers).items()}
            for kind, model in (("trained", trained), ("untrained", untrained))
        }
        for name in layers:
            if self.maps["trained"][name].shape != self.maps["untrained"][name].shape:
                raise ValueError(
                    f"layer {name!r} has different shapes in the two models; pass the same "
                    "architecture twice (one trained, one untrained)."
                )
        layer = layers[0] if layer is None else layer
        check_choice("layer", layer, layers)
        controls = {
            "layer": W.Dropdown(options=layers, value=layer, description="layer"),
            "channel": W.IntSlider(
                value=channel,
                min=0,
                max=self._channels(layer) - 1,
                description="channel",
                continuous_update=True,
            ),
            "image": W.IntSlider(value=image, min=0, max=len(x) - 1, description="image"),
        }
        controls["layer"].observe(self._on_layer, names="value")
        self._build(
            controls,
            {
                "input": "input (true mask tinted)",
                "untrained": "untrained net",
                "trained": "trained net",
            },
        )

    def _channels(self, layer: str) -> int:
        return int(self.maps["trained"][layer].shape[-1])

    def _on_layer(self, change) -> None:
        slider = self.controls["channel"]
        slider.max = self._channels(change["new"]) - 1  # clamps the value too

    def step(self, layer: str, channel: int, image: int) -> Frame:
        check_choice("layer", layer, self.maps["trained"])
        image = check_int("image", image, 0, len(self.x) - 1)
        return feature_step(
            self._shown[image],
            self.maps["untrained"][layer][image],
            self.maps["trained"][layer][image],
            channel,
            layer,
        )

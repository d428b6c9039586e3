"""UNetWalkExplorer: walk through a U-Net layer by layer and watch the feature maps shrink and grow.

The layers, their shapes, parameters and wiring come from :func:`course_utils.models.describe`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import ipywidgets as W
import numpy as np

from .._memo import freeze, memo
from .._validate import check_choice, check_int
from ..data import SAMPLE_IMAGES, photo, to_gray
from ..models import LayerInfo, describe, feature_maps
from ..viz import MIN_COLUMN, channel_activity, map_colours, to_png, u_picture
from ._base import Explorer, Frame

__all__ = ["UNetWalkExplorer", "walk_layers", "u_picture", "walk_step", "ORDERS"]


def walk_layers(model) -> tuple[LayerInfo, ...]:
    """The layers a walk visits: every layer of ``model`` after its input, each an (h, w, C) map.

    Examples
    --------
    >>> from course_utils.models import unet
    >>> [ly.name for ly in walk_layers(unet((16, 16, 3), base_filters=2))][:3]
    ['enc1_conv1', 'enc1_conv2', 'pool1']
    """
    layers = tuple(ly for ly in describe(model) if ly.role != "input")
    for ly in layers:
        if len(ly.shape) != 3:
            raise ValueError(
                f"layer {ly.name!r} outputs shape {ly.shape}; the walk needs (h, w, C) maps."
            )
    if not layers:
        raise ValueError("the model has no layers after its input.")
    return layers


@memo(maxsize=256)
def _u_png(layers: tuple[LayerInfo, ...], index: int, input_size: int) -> tuple[bytes, int]:
    """:func:`viz.u_picture` encoded as PNG, and its width (remembered per model and layer)."""
    rgb = u_picture(layers, index, input_size)
    return to_png(rgb), int(rgb.shape[1])


ORDERS = {"most active first": "activity", "channel number": "index"}


def walk_step(
    image: np.ndarray,
    fmap: np.ndarray,
    layers: Sequence[LayerInfo],
    index: int,
    channel: int,
    display: int = 256,
    order: str = "index",
) -> Frame:
    """The pure update: one channel of layer ``index``'s map, the "U" and a description, as PNGs.

    The map is drawn at its true size relative to the input (the input ``display`` pixels wide,
    so a map with half the input's height is drawn half as wide) on a robust colour scale:
    0 to the 99.5th percentile of the channel (:func:`viz.robust_scale`), so a few bright
    pixels do not leave the rest dark; the classifier's probabilities on their own scale 0 to 1.

    Parameters
    ----------
    image : array (H, W, 3) in [0, 1]
    fmap : array (h, w, C)
        Layer ``index``'s output for ``image``.
    layers : sequence of LayerInfo
        From :func:`walk_layers`.
    index : int
        Which layer.
    channel : int
        Which channel (clamped to ``C - 1``): with ``order="index"`` the channel number, with
        ``order="activity"`` the position in the list of channels sorted by
        :func:`viz.channel_activity`, most active first (0 = the most active channel).
    display : int
        Width of the input picture in screen pixels; maps are drawn at the same scale.
    order : "index" or "activity"

    Returns
    -------
    Frame
        ``images``: ``"input"``, ``"map"``, ``"u"``; ``data``: ``"map"`` (2-D), ``"channel"``
        (the channel number shown), ``"rank"`` (0 = most active), ``"vrange"``, ``"width"``
        (the map's screen width: its true size); ``widths`` and ``colorbars`` for the pictures
        (a map narrower than 128 px sits on a white canvas 128 px wide, with room for the bar).

    Examples
    --------
    >>> from course_utils.models import unet
    >>> ly = walk_layers(unet((16, 16, 3), base_filters=2))
    >>> f = walk_step(np.zeros((16, 16, 3)), np.ones((8, 8, 2)), ly, 2, 5)
    >>> f.data["map"].shape, f.data["channel"], f.data["width"]
    ((8, 8), 1, 128)
    """
    layers = tuple(layers)
    index = check_int("layer index", index, 0, len(layers) - 1)
    check_choice("order", order, ORDERS.values())
    info = layers[index]
    fm = np.asarray(fmap)
    if fm.shape != info.shape:
        raise ValueError(
            f"fmap must have layer {info.name!r}'s shape {info.shape}, got {fm.shape}."
        )
    h, w, cs = info.shape
    position = min(max(int(channel), 0), cs - 1)
    activity = channel_activity(fm)
    ranking = np.argsort(-activity, kind="stable")
    c = int(ranking[position]) if order == "activity" else position
    rank = int(np.nonzero(ranking == c)[0][0])
    m = fm[:, :, c]
    img = np.asarray(image)
    px = display / img.shape[0]  # screen pixels per input pixel, the same for every map
    width = max(1, round(w * px))
    cmap, vrange = map_colours(m, info.role == "classifier")
    how = {
        "magma": "probabilities on the fixed scale 0 to 1",
        "viridis": "0 to this channel's 99.5th percentile (robust scale: brighter pixels saturate)",
        "RdBu_r": "&plusmn;this channel's 99.5th percentile of |value|",
    }[cmap]
    images = {
        "input": to_png(img, scale=max(1, math.ceil(px))),
        "map": to_png(
            m,
            cmap,
            vrange,
            scale=max(1, math.ceil(width / w)),
            min_width=math.ceil(MIN_COLUMN * math.ceil(width / w) * w / width),
        ),
    }
    images["u"], u_px = _u_png(layers, index, img.shape[0])
    source = ""
    channels = {ly.name: ly.shape[-1] for ly in layers}
    if info.role == "concat" and len(info.inputs) > 1 and all(n in channels for n in info.inputs):
        parts = " + ".join(f"{n} ({channels[n]})" for n in info.inputs)
        start = 0
        for n in info.inputs:
            k = channels[n]
            if start <= c < start + k:
                source = (
                    f"<br>channels: {parts} = {cs}; channel {c} is channel {c - start} "
                    f"of <b>{html.escape(n)}</b>"
                )
            start += k
    elif info.inputs:
        source = f"<br>reads: {html.escape(', '.join(info.inputs))}"
    flat = int(np.sum(activity == 0))
    text = (
        f"layer {index} of 0..{len(layers) - 1}: <b>{html.escape(info.name)}</b> ({info.kind}) "
        f"&rarr; output <b>{h}&times;{w}&times;{cs}</b>, {info.params:,} parameters<br>"
        f"showing channel <b>{c}</b> of 0..{cs - 1}, the no. {rank + 1} most active of {cs} "
        f"(std {activity[c]:.3g}; {flat} channel{'s' if flat != 1 else ''} flat); values "
        f"[{m.min():.3g}, {m.max():.3g}]; colours: {how}; drawn at {px:g} screen pixel"
        f"{'s' if px != 1 else ''} per map pixel, so sizes compare" + source
    )
    return Frame(
        images=images,
        info=text,
        data={"map": m, "channel": c, "rank": rank, "vrange": vrange, "width": width},
        widths={"input": display, "map": max(width, MIN_COLUMN), "u": u_px},
        colorbars={"map": (cmap, vrange[0], vrange[1])},
    )


class UNetWalkExplorer(Explorer):
    """Walk a U-Net from the input to the classifier: the map of every layer, and where it sits.

    Controls: photo, channel order, layer (a slider over the layers in order), channel. With
    the order "most active first" (the default), channel position 0 is the layer's most varied
    channel (:func:`viz.channel_activity`), so an untrained net's flat channels come last. Maps
    are drawn at their true size relative to the input, on a robust colour scale with a colour
    bar. The feature maps of a photo are computed once, the first time it is picked; a move
    only picks a map and encodes it.

    Parameters
    ----------
    model : keras.Model
        A functional image model with square input, e.g. ``models.unet()``.
    image : str
        One of ``data.SAMPLE_IMAGES``, resized to the model's input size.
    layer, channel : int
        Start position (layer index counted from 0 after the input; channel position in the
        chosen order).
    order : "activity" or "index"
        Channels sorted by activity (most active first) or by their number.

    Examples
    --------
    >>> from course_utils.models import unet
    >>> ex = UNetWalkExplorer(unet((16, 16, 3), base_filters=2), image="cat")
    >>> ex.set(layer=2).data["map"].shape
    (8, 8)
    """

    image_width = "256px"

    def __init__(
        self, model, image: str = "cat", layer: int = 0, channel: int = 0, order: str = "activity"
    ) -> None:
        shape = tuple(model.inputs[0].shape)[1:] if getattr(model, "inputs", None) else ()
        if len(shape) != 3 or shape[0] != shape[1] or shape[2] not in (1, 3):
            raise ValueError(
                f"the walk needs a functional model with a square (n, n, 1 or 3) input, got "
                f"{shape}; build one with models.unet((128, 128, 3))."
            )
        check_choice("photo", image, SAMPLE_IMAGES)
        check_choice("order", order, ORDERS.values())
        self.model, self.size, self.in_channels = model, int(shape[0]), int(shape[2])
        self.layers = walk_layers(model)
        check_int("layer", layer, 0, len(self.layers) - 1)
        self._maps: dict[str, dict] = {}  # photo -> every layer's map (depends on the model)
        for i in range(len(self.layers)):  # the "where in the U" pictures, drawn once
            _u_png(self.layers, i, self.size)
        controls = {
            "image": W.Dropdown(options=list(SAMPLE_IMAGES), value=image, description="photo"),
            "order": W.Dropdown(options=list(ORDERS.items()), value=order, description="channels"),
            "layer": W.IntSlider(
                value=layer,
                min=0,
                max=len(self.layers) - 1,
                description="layer",
                continuous_update=True,
            ),
            "channel": W.IntSlider(
                value=channel,
                min=0,
                max=self.layers[layer].shape[2] - 1,
                description="channel",
                continuous_update=True,
            ),
        }
        controls["layer"].observe(self._on_layer, names="value")
        self._build(
            controls, {"input": "input", "map": "feature map (true size)", "u": "where in the U"}
        )

    def _on_layer(self, change) -> None:
        self.controls["channel"].max = self.layers[change["new"]].shape[2] - 1  # clamps value

    def _layer_maps(self, name: str) -> dict:
        """Every layer's map for the photo at the model's size, computed once per photo."""
        if name not in self._maps:
            img = photo(name, gray=False, size=self.size)
            x = to_gray(img)[:, :, None] if self.in_channels == 1 else img
            maps = feature_maps(self.model, x, [ly.name for ly in self.layers])
            self._maps[name] = {k: freeze(np.array(v[0])) for k, v in maps.items()}
            for m in self._maps[name].values():  # ranked now, so that a move only looks it up
                channel_activity(m)
        return self._maps[name]

    def maps(self, image: str) -> dict[str, np.ndarray]:
        """Every walked layer's map ``(h, w, C)`` for one of the photos (read-only arrays)."""
        check_choice("photo", image, SAMPLE_IMAGES)
        return dict(self._layer_maps(image))

    def step(self, image: str, layer: int, channel: int, order: str = "activity") -> Frame:
        layer = check_int("layer", layer, 0, len(self.layers) - 1)  # negative must not wrap
        fmap = self._layer_maps(image)[self.layers[layer].name]
        return walk_step(
            photo(image, gray=False, size=self.size),
            fmap,
            self.layers,
            layer,
            channel,
            order=order,
        )

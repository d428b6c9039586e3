"""UNetWalkExplorer: walk through a U-Net layer by layer and watch the feature maps shrink and grow.

The layers, their shapes, parameters and wiring come from :func:`course_utils.models.describe`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import ipywidgets as W
import numpy as np

from .._memo import memo
from .._validate import check_choice, check_int
from ..data import SAMPLE_IMAGES, photo, to_gray
from ..models import LayerInfo, describe, feature_maps
from ..viz import to_png
from ._base import Explorer, Frame

__all__ = ["UNetWalkExplorer", "walk_layers", "u_picture", "walk_step"]


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


_BOX, _GAP, _PAD = 10, 3, 6  # box width, gap between boxes, margin (pixels)


def u_picture(layers: Sequence[LayerInfo], current: int, input_size: int) -> np.ndarray:
    """A small RGB drawing of the "U": one box per layer, lower for smaller maps, taller for more
    channels; the current layer in orange, concatenations and their skip lines in green.

    Examples
    --------
    >>> from course_utils.models import unet
    >>> u_picture(walk_layers(unet((16, 16, 3), base_filters=2)), 0, 16).shape[2]
    3
    """
    depth = [max(0, round(math.log2(input_size / ly.shape[0]))) for ly in layers]
    max_c = max(ly.shape[2] for ly in layers)
    level_h = 30
    width = 2 * _PAD + len(layers) * (_BOX + _GAP)
    height = 2 * _PAD + (max(depth) + 1) * level_h
    img = np.full((height, width, 3), 255, np.uint8)
    for i, (ly, d) in enumerate(zip(layers, depth, strict=True)):
        h = max(
            4,
            round(
                (level_h - 6) * (0.35 + 0.65 * math.log2(1 + ly.shape[2]) / math.log2(1 + max_c))
            ),
        )
        top = _PAD + d * level_h + (level_h - h) // 2
        left = _PAD + i * (_BOX + _GAP)
        colour = (
            (230, 120, 20)
            if i == current
            else ((60, 160, 80) if ly.role == "concat" else (120, 140, 180))
        )
        img[top : top + h, left : left + _BOX] = colour
    index = {ly.name: i for i, ly in enumerate(layers)}
    for i, ly in enumerate(layers):  # skip connections: a green line across the U
        if ly.role != "concat":
            continue
        for src in ly.inputs:
            j = index.get(src)
            if j is not None and j < i - 1 and depth[j] == depth[i]:
                y = _PAD + depth[i] * level_h + 1
                img[
                    y : y + 2,
                    _PAD + j * (_BOX + _GAP) + _BOX // 2 : _PAD + i * (_BOX + _GAP) + _BOX // 2,
                ] = (60, 160, 80)
    return img


@memo(maxsize=256)
def _u_png(layers: tuple[LayerInfo, ...], index: int, input_size: int) -> bytes:
    """:func:`u_picture` encoded as PNG, enlarged 2x (remembered per model and layer)."""
    return to_png(u_picture(layers, index, input_size), scale=2)


def walk_step(
    image: np.ndarray,
    fmap: np.ndarray,
    layers: Sequence[LayerInfo],
    index: int,
    channel: int,
    display: int = 256,
) -> Frame:
    """The pure update: one channel of layer ``index``'s map, the "U" and a description, as PNGs.

    Parameters
    ----------
    image : array (H, W, 3) in [0, 1]
    fmap : array (h, w, C)
        Layer ``index``'s output for ``image``.
    layers : sequence of LayerInfo
        From :func:`walk_layers`.
    index, channel : int
        Which layer and which of its channels (clamped to ``C - 1``).
    display : int
        Maps are enlarged by pixel repetition to about this many pixels.

    Returns
    -------
    Frame
        ``images``: ``"input"``, ``"map"``, ``"u"``; ``data``: ``"map"`` (2-D), ``"channel"``.

    Examples
    --------
    >>> from course_utils.models import unet
    >>> ly = walk_layers(unet((16, 16, 3), base_filters=2))
    >>> f = walk_step(np.zeros((16, 16, 3)), np.ones((8, 8, 2)), ly, 2, 5)
    >>> f.data["map"].shape, f.data["channel"]
    ((8, 8), 1)
    """
    layers = tuple(layers)
    index = check_int("layer index", index, 0, len(layers) - 1)
    info = layers[index]
    fm = np.asarray(fmap)
    if fm.shape != info.shape:
        raise ValueError(
            f"fmap must have layer {info.name!r}'s shape {info.shape}, got {fm.shape}."
        )
    c = min(max(int(channel), 0), info.shape[2] - 1)
    m = fm[:, :, c]
    h, w, cs = info.shape
    img = np.asarray(image)
    images = {
        "input": to_png(img, scale=max(1, display // img.shape[0])),
        "map": to_png(m, "viridis", scale=max(1, display // h)),
        "u": _u_png(layers, index, img.shape[0]),
    }
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
    text = (
        f"layer {index} of 0..{len(layers) - 1}: <b>{html.escape(info.name)}</b> ({info.kind}) "
        f"&rarr; output <b>{h}&times;{w}&times;{cs}</b>, {info.params:,} parameters; "
        f"showing channel {c} of 0..{cs - 1} (range [{m.min():.3f}, {m.max():.3f}])" + source
    )
    return Frame(images=images, info=text, data={"map": m, "channel": c})


class UNetWalkExplorer(Explorer):
    """Walk a U-Net from the input to the classifier: the map of every layer, and where it sits.

    Controls: photo, layer (a slider over the layers in order), channel. The feature maps of a
    photo are computed once, the first time it is picked; a move only picks a map and encodes it.

    Parameters
    ----------
    model : keras.Model
        A functional image model with square input, e.g. ``models.unet()``.
    image : str
        One of ``data.SAMPLE_IMAGES``, resized to the model's input size.
    layer, channel : int
        Start position (layer index counted from 0 after the input).

    Examples
    --------
    >>> from course_utils.models import unet
    >>> ex = UNetWalkExplorer(unet((16, 16, 3), base_filters=2), image="cat")
    >>> ex.set(layer=2).data["map"].shape
    (8, 8)
    """

    image_width = "256px"

    def __init__(self, model, image: str = "cat", layer: int = 0, channel: int = 0) -> None:
        shape = tuple(model.inputs[0].shape)[1:] if getattr(model, "inputs", None) else ()
        if len(shape) != 3 or shape[0] != shape[1] or shape[2] not in (1, 3):
            raise ValueError(
                f"the walk needs a functional model with a square (n, n, 1 or 3) input, got "
                f"{shape}; build one with models.unet((128, 128, 3))."
            )
        check_choice("photo", image, SAMPLE_IMAGES)
        self.model, self.size, self.in_channels = model, int(shape[0]), int(shape[2])
        self.layers = walk_layers(model)
        check_int("layer", layer, 0, len(self.layers) - 1)
        self._maps: dict[str, dict] = {}  # photo -> every layer's map (depends on the model)
        controls = {
            "image": W.Dropdown(options=list(SAMPLE_IMAGES), value=image, description="photo"),
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
        self._build(controls, {"input": "input", "map": "feature map", "u": "where in the U"})

    def _on_layer(self, change) -> None:
        self.controls["channel"].max = self.layers[change["new"]].shape[2] - 1  # clamps value

    def _layer_maps(self, name: str) -> dict:
        """Every layer's map for the photo at the model's size, computed once per photo."""
        if name not in self._maps:
            img = photo(name, gray=False, size=self.size)
            x = to_gray(img)[:, :, None] if self.in_channels == 1 else img
            maps = feature_maps(self.model, x, [ly.name for ly in self.layers])
            self._maps[name] = {k: v[0] for k, v in maps.items()}
        return self._maps[name]

    def step(self, image: str, layer: int, channel: int) -> Frame:
        layer = check_int("layer", layer, 0, len(self.layers) - 1)  # negative must not wrap
        fmap = self._layer_maps(image)[self.layers[layer].name]
        return walk_step(
            photo(image, gray=False, size=self.size), fmap, self.layers, layer, channel
        )

"""UNetWalkExplorer: walk through a U-Net layer by layer and watch the feature maps shrink and grow."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import ipywidgets as W
import numpy as np

from ..data import SAMPLE_IMAGES, sample_image
from ..models import feature_maps
from ..viz import to_png
from ._base import Explorer, Frame

__all__ = ["UNetWalkExplorer", "LayerInfo", "unet_layers", "u_picture", "walk_step"]


@dataclass(frozen=True)
class LayerInfo:
    """One layer on the walk: its name, type, output shape (h, w, C), parameters and inputs."""

    name: str
    kind: str
    shape: tuple[int, int, int]
    params: int
    inputs: tuple[str, ...]
    input_channels: tuple[int, ...]


def _sources(obj) -> list[str]:
    """Names of the layers a Keras 3 ``inbound_nodes`` config entry reads from, in order."""
    if isinstance(obj, dict):
        if "keras_history" in obj:
            return [obj["keras_history"][0]]
        return [n for v in obj.values() for n in _sources(v)]
    if isinstance(obj, (list, tuple)):
        return [n for v in obj for n in _sources(v)]
    return []


def unet_layers(model) -> list[LayerInfo]:
    """Every layer of a functional image model after its input, with shapes and wiring.

    Parameters
    ----------
    model : keras.Model
        A functional model whose layers output ``(batch, h, w, C)`` (e.g. ``models.unet()``).

    Returns
    -------
    list of LayerInfo, in the model's layer order.

    Examples
    --------
    >>> from course_utils.models import unet
    >>> info = {ly.name: ly for ly in unet_layers(unet((16, 16, 3), base_filters=2))}
    >>> info["skip4"].inputs, info["skip4"].input_channels, info["skip4"].shape
    (('enc2_conv2', 'up4'), (4, 8), (8, 8, 12))
    """
    config = {ly["name"]: ly for ly in model.get_config().get("layers", [])}
    out = []
    shapes: dict[str, tuple] = {}
    for layer in model.layers:
        shape = tuple(layer.output.shape)[1:]
        shapes[layer.name] = shape
        if type(layer).__name__ == "InputLayer":
            continue
        if len(shape) != 3:
            raise ValueError(
                f"layer {layer.name!r} outputs shape {shape}; the walk needs (h, w, C) maps."
            )
        inputs = tuple(_sources(config.get(layer.name, {}).get("inbound_nodes", [])))
        out.append(LayerInfo(
            name=layer.name, kind=type(layer).__name__, shape=tuple(int(s) for s in shape),
            params=int(layer.count_params()), inputs=inputs,
            input_channels=tuple(int(shapes[n][-1]) for n in inputs if n in shapes),
        ))
    if not out:
        raise ValueError("the model has no layers after its input.")
    return out


_BOX, _GAP, _PAD = 10, 3, 6  # box width, gap between boxes, margin (pixels)


def u_picture(layers: list[LayerInfo], current: int, input_size: int) -> np.ndarray:
    """A small RGB drawing of the "U": one box per layer, lower for smaller maps, taller for more
    channels; the current layer in orange, concatenations and their skip lines in green.

    Examples
    --------
    >>> from course_utils.models import unet
    >>> u_picture(unet_layers(unet((16, 16, 3), base_filters=2)), 0, 16).shape[2]
    3
    """
    depth = [max(0, round(math.log2(input_size / ly.shape[0]))) for ly in layers]
    max_c = max(ly.shape[2] for ly in layers)
    level_h = 30
    width = 2 * _PAD + len(layers) * (_BOX + _GAP)
    height = 2 * _PAD + (max(depth) + 1) * level_h
    img = np.full((height, width, 3), 255, np.uint8)
    for i, (ly, d) in enumerate(zip(layers, depth, strict=True)):
        h = max(4, round((level_h - 6) * (0.35 + 0.65 * math.log2(1 + ly.shape[2])
                                                   / math.log2(1 + max_c))))
        top = _PAD + d * level_h + (level_h - h) // 2
        left = _PAD + i * (_BOX + _GAP)
        colour = (230, 120, 20) if i == current else (
            (60, 160, 80) if ly.kind == "Concatenate" else (120, 140, 180))
        img[top:top + h, left:left + _BOX] = colour
    index = {ly.name: i for i, ly in enumerate(layers)}
    for i, ly in enumerate(layers):  # skip connections: a green line across the U
        if ly.kind != "Concatenate":
            continue
        for src in ly.inputs:
            j = index.get(src)
            if j is not None and j < i - 1 and depth[j] == depth[i]:
                y = _PAD + depth[i] * level_h + 1
                img[y:y + 2, _PAD + j * (_BOX + _GAP) + _BOX // 2:
                    _PAD + i * (_BOX + _GAP) + _BOX // 2] = (60, 160, 80)
    return img


def _u_png(layers: list[LayerInfo], index: int, input_size: int) -> bytes:
    """:func:`u_picture` encoded as PNG, enlarged 2x."""
    return to_png(u_picture(layers, index, input_size), scale=2)


def walk_step(image: np.ndarray, fmap: np.ndarray, layers: list[LayerInfo], index: int,
              channel: int, u_png: bytes | None = None, display: int = 256) -> Frame:
    """The pure update: one channel of layer ``index``'s map, the "U" and a description, as PNGs.

    Parameters
    ----------
    image : array (H, W, 3) in [0, 1]
    fmap : array (h, w, C)
        Layer ``index``'s output for ``image``.
    layers : list of LayerInfo
        From :func:`unet_layers`.
    index, channel : int
        Which layer and which of its channels (clamped to ``C - 1``).
    u_png : bytes, optional
        The "U" picture for ``index``, already encoded (the explorer caches them).
    display : int
        Maps are enlarged by pixel repetition to about this many pixels.

    Returns
    -------
    Frame
        ``images``: ``"input"``, ``"map"``, ``"u"``; ``data``: ``"map"`` (2-D), ``"channel"``.

    Examples
    --------
    >>> from course_utils.models import unet
    >>> ly = unet_layers(unet((16, 16, 3), base_filters=2))
    >>> f = walk_step(np.zeros((16, 16, 3)), np.ones((8, 8, 2)), ly, 2, 5)
    >>> f.data["map"].shape, f.data["channel"]
    ((8, 8), 1)
    """
    if not 0 <= index < len(layers):
        raise ValueError(f"layer index must be in 0..{len(layers) - 1}, got {index}.")
    info = layers[index]
    fm = np.asarray(fmap)
    if fm.shape != info.shape:
        raise ValueError(f"fmap must have layer {info.name!r}'s shape {info.shape}, got {fm.shape}.")
    c = min(max(int(channel), 0), info.shape[2] - 1)
    m = fm[:, :, c]
    h, w, cs = info.shape
    img = np.asarray(image)
    images = {
        "input": to_png(img, scale=max(1, display // img.shape[0])),
        "map": to_png(m, "viridis", scale=max(1, display // h)),
        "u": u_png or _u_png(layers, index, img.shape[0]),
    }
    source = ""
    if info.kind == "Concatenate" and len(info.inputs) == len(info.input_channels) > 1:
        parts = " + ".join(f"{n} ({k})" for n, k in zip(info.inputs, info.input_channels,
                                                          strict=True))
        start = 0
        for n, k in zip(info.inputs, info.input_channels, strict=True):
            if start <= c < start + k:
                source = (f"<br>channels: {parts} = {cs}; channel {c} is channel {c - start} "
                          f"of <b>{html.escape(n)}</b>")
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
        if image not in SAMPLE_IMAGES:
            raise ValueError(f"unknown photo {image!r}; choose one of {list(SAMPLE_IMAGES)}.")
        self.model, self.size, self.in_channels = model, int(shape[0]), int(shape[2])
        self.layers = unet_layers(model)
        if not 0 <= layer < len(self.layers):
            raise ValueError(f"layer must be in 0..{len(self.layers) - 1}, got {layer}.")
        self._maps: dict[str, tuple[np.ndarray, dict]] = {}
        self._u = [_u_png(self.layers, i, self.size) for i in range(len(self.layers))]
        controls = {
            "image": W.Dropdown(options=list(SAMPLE_IMAGES), value=image, description="photo"),
            "layer": W.IntSlider(value=layer, min=0, max=len(self.layers) - 1,
                                 description="layer", continuous_update=True),
            "channel": W.IntSlider(value=channel, min=0,
                                   max=self.layers[layer].shape[2] - 1, description="channel",
                                   continuous_update=True),
        }
        controls["layer"].observe(self._on_layer, names="value")
        self._build(controls, {"input": "input", "map": "feature map", "u": "where in the U"})

    def _on_layer(self, change) -> None:
        self.controls["channel"].max = self.layers[change["new"]].shape[2] - 1  # clamps value

    def _photo(self, name: str) -> tuple[np.ndarray, dict]:
        """The photo at the model's size and every layer's map for it, computed once."""
        if name not in self._maps:
            img = sample_image(name, gray=False, size=self.size)
            x = img.mean(-1, keepdims=True) if self.in_channels == 1 else img
            maps = feature_maps(self.model, x, [ly.name for ly in self.layers])
            self._maps[name] = (img, {k: v[0] for k, v in maps.items()})
        return self._maps[name]

    def step(self, image: str, layer: int, channel: int) -> Frame:
        # an unknown photo is refused by sample_image; a negative index must not wrap around
        if not 0 <= layer < len(self.layers):
            raise ValueError(f"layer must be in 0..{len(self.layers) - 1}, got {layer}.")
        img, maps = self._photo(image)
        return walk_step(img, maps[self.layers[layer].name], self.layers, layer, channel,
                         u_png=self._u[layer])

"""KernelExplorer: pick a photo and a kernel, change stride and padding, see the feature map."""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from .. import ops
from .._validate import check_choice
from ..data import SAMPLE_IMAGES, photo
from ..ops import KERNEL_PRESETS
from ..viz import to_png
from ._base import Explorer, Frame

__all__ = ["KernelExplorer", "kernel_step"]

CUSTOM = "custom (edit the 3x3 weights)"


def _size_formula(n: int, k: int, s: int, padding) -> str:
    before, after = ops.pad_amounts(n, k, s, padding)
    out = (n + before + after - k) // s + 1
    return f"&lfloor;({n} + {before} + {after} &minus; {k}) / {s}&rfloor; + 1 = {out}"


def kernel_step(image: np.ndarray, kernel: np.ndarray, stride: int, padding) -> Frame:
    """The pure update: convolve, encode input, kernel and output as PNG, describe the shapes.

    Parameters
    ----------
    image : array (H, W), float in [0, 1]
    kernel : array (kh, kw)
    stride : int
    padding : "valid", "same" or int

    Returns
    -------
    Frame
        ``images`` has ``"input"``, ``"kernel"``, ``"output"``; ``data["output"]`` is the map.

    Examples
    --------
    >>> import numpy as np
    >>> f = kernel_step(np.zeros((8, 8)), np.ones((3, 3)), 1, "valid")
    >>> f.data["output"].shape
    (6, 6)
    """
    k = np.asarray(kernel, dtype=np.float64)
    out = ops.conv2d(image, k, stride=stride, padding=padding)
    # Kernels whose weights sum to 1 (blur, sharpen, emboss) keep brightness: show them like the
    # photo, in gray on [0, 1].  Others (edges) give signed maps: blue negative, red positive.
    keeps_brightness = abs(float(k.sum()) - 1.0) < 1e-6
    signed = not keeps_brightness and out.min() < -1e-9
    if keeps_brightness:
        out_png = to_png(out, "gray", (0.0, 1.0))
    else:
        out_png = to_png(out, "RdBu_r" if signed else "gray", "symmetric" if signed else "auto")
    kmax = float(np.abs(k).max()) or 1.0
    k_png = to_png(k, "RdBu_r", (-kmax, kmax), scale=max(1, 96 // max(k.shape)))
    h, w = np.shape(image)[:2]
    info = (
        f"input <b>{h}&times;{w}</b> &rarr; kernel {k.shape[0]}&times;{k.shape[1]}, stride {stride}, "
        f"padding {html.escape(repr(padding))} &rarr; output <b>{out.shape[0]}&times;{out.shape[1]}</b>"
        f"<br>rows: {_size_formula(h, k.shape[0], stride, padding)}"
        f"<br>output values in [{out.min():.2f}, {out.max():.2f}]"
        + (" (blue negative, red positive)" if signed else "")
    )
    return Frame(
        images={"input": to_png(image, "gray", (0.0, 1.0)), "kernel": k_png, "output": out_png},
        info=info,
        data={"output": out, "kernel": k},
    )


class KernelExplorer(Explorer):
    """Slide a kernel over a real photo and watch the feature map.

    Controls: photo, preset kernel (or edit the 3x3 weights), stride, padding.
    ``KernelExplorer().set(stride=2)`` changes a control from code, exactly like the slider.

    Examples
    --------
    >>> ex = KernelExplorer(preset="Sobel x (vertical edges)")
    >>> ex.frame.data["output"].shape
    (256, 256)
    >>> ex.set(stride=2).data["output"].shape
    (128, 128)
    """

    def __init__(self, image: str = "camera", preset: str = "Sobel x (vertical edges)",
                 stride: int = 1, padding: str = "same") -> None:
        check_choice("preset", preset, KERNEL_PRESETS)
        self.weights = [
            W.FloatText(value=0.0, step=0.5, layout=W.Layout(width="64px"),
                        description="", tooltip=f"w[{i // 3},{i % 3}]")
            for i in range(9)
        ]
        self._load_weights(KERNEL_PRESETS[preset] if KERNEL_PRESETS[preset].shape == (3, 3)
                           else np.zeros((3, 3)))
        controls = {
            "image": W.Dropdown(options=list(SAMPLE_IMAGES), value=image, description="photo"),
            "preset": W.Dropdown(options=[*KERNEL_PRESETS, CUSTOM], value=preset,
                                 description="kernel"),
            "stride": W.IntSlider(value=stride, min=1, max=4, description="stride",
                                  continuous_update=True),
            "padding": W.ToggleButtons(options=["valid", "same"], value=padding,
                                       description="padding"),
        }
        self._grid = W.GridBox(self.weights, layout=W.Layout(
            grid_template_columns="repeat(3, 68px)", width="220px"))
        self._build(controls, {"input": "input", "kernel": "kernel", "output": "feature map"})
        for wgt in self.weights:
            wgt.observe(self._on_weight, names="value")
        controls["preset"].observe(self._on_preset, names="value")
        style, control_row, *rest = self.widget.children
        self.widget.children = (
            style,
            control_row,
            W.HBox([W.HTML("<b>3&times;3 weights</b> (editing switches to custom)"), self._grid]),
            *rest,
        )

    # -- helpers ---------------------------------------------------------------------------------
    def _load_weights(self, k: np.ndarray) -> None:
        self._loading = True
        try:
            for wgt, v in zip(self.weights, np.asarray(k).ravel(), strict=True):
                wgt.value = float(round(v, 4))
        finally:
            self._loading = False

    def _on_preset(self, change) -> None:
        k = KERNEL_PRESETS.get(change["new"])
        if k is not None and k.shape == (3, 3):
            self._load_weights(k)
        for wgt in self.weights:
            wgt.disabled = k is not None and k.shape != (3, 3)

    def _on_weight(self, _change) -> None:
        if self._loading:
            return
        if self.controls["preset"].value != CUSTOM:
            self.controls["preset"].value = CUSTOM  # triggers refresh via the observer
        else:
            self.refresh()

    def kernel(self, preset: str | None = None) -> np.ndarray:
        """The kernel currently selected (a preset or the edited 3x3 weights)."""
        preset = self.controls["preset"].value if preset is None else preset
        if preset == CUSTOM:
            return np.array([w.value for w in self.weights], float).reshape(3, 3)
        return KERNEL_PRESETS[preset]

    def step(self, image: str, preset: str, stride: int, padding: str) -> Frame:
        return kernel_step(photo(image, gray=True), self.kernel(preset), stride, padding)

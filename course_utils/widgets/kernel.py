"""KernelExplorer: pick a photo and a kernel, change stride and padding, see the feature map."""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from .. import ops
from .._validate import check_choice
from ..data import DETAIL_CORNERS, SAMPLE_IMAGES, photo
from ..ops import KERNEL_PRESETS
from ..viz import boxed_png, cells_png, colour_scale, to_png
from ._base import Explorer, Frame
from .linked import LinkedView

__all__ = ["KernelExplorer", "kernel_step", "detail_corner"]

CUSTOM = "custom (edit the 3x3 weights)"


def _size_formula(n: int, k: int, s: int, padding) -> str:
    before, after = ops.pad_amounts(n, k, s, padding)
    out = ops.conv_output_size(n, k, s, padding)
    return f"&lfloor;({n} + {before} + {after} &minus; {k}) / {s}&rfloor; + 1 = {out}"


#: side of the detail (yellow box) shown in the linked view; 16 x 16 leaves room for the values
DETAIL = 16
#: the linked view's larger map, CSS px: the detail and its neighbours (18 cells for a 3x3
#: kernel) at 18 px a cell, the size at which the values are written in; the whole row fits a
#: 900 px cell
LINKED_SIZE = 324
SCALES = ("per map", "shared")


def detail_corner(image: str, shape: tuple[int, int], size: int = DETAIL) -> tuple[int, int]:
    """Top-left corner of the ``size x size`` detail of a sample photo (somewhere with edges).

    Examples
    --------
    >>> detail_corner("camera", (256, 256))
    (88, 120)
    """
    y0, x0 = DETAIL_CORNERS.get(image, (0, 0))
    y0, x0 = y0 + (32 - size) // 2, x0 + (32 - size) // 2  # the middle of lesson 03's detail
    return max(min(y0, shape[0] - size), 0), max(min(x0, shape[1] - size), 0)


def _ranges(image: np.ndarray, out: np.ndarray, k: np.ndarray, scale: str):
    """(cmap, (lo, hi)) for the input and the output picture, and whether the output is signed.

    Both follow :func:`viz.colour_scale` (a signed map blue-white-red around 0, else grey).
    "per map": the photo in grey on [0, 1]; an output whose kernel sums to 1 (blur, sharpen,
    emboss: brightness kept) too, any other output on its own range.  "shared": one scale for
    both, covering both, so a brighter output *looks* brighter (all-ones weights: values up to 9
    against the photo's 1).
    """
    if scale == "shared":
        lo = min(0.0, float(out.min()), float(image.min()))
        hi = max(1.0, float(out.max()), float(image.max()))
        shared = colour_scale(lo, hi)
        return shared, shared, shared[0] == "RdBu_r"
    photo_scale = ("gray", (0.0, 1.0))
    if abs(float(k.sum()) - 1.0) < 1e-6:
        return photo_scale, photo_scale, False
    own = colour_scale(float(out.min()), float(out.max()))
    return photo_scale, own, own[0] == "RdBu_r"


def kernel_step(
    image: np.ndarray,
    kernel: np.ndarray,
    stride: int,
    padding,
    scale: str = "per map",
    detail: tuple[int, int] | None = None,
) -> Frame:
    """The pure update: convolve, encode input, kernel and output as PNG, describe the shapes.

    Parameters
    ----------
    image : array (H, W), float in [0, 1]
    kernel : array (kh, kw)
    stride : int
    padding : "valid", "same" or int
    scale : {"per map", "shared"}
        Colour scales: each picture its own, or one scale shared by input and output (compare
        brightness).  Every picture has a colour bar with its range.
    detail : (row, col), optional
        Corner of the 16x16 detail outlined in yellow on the input (the linked view's input).

    Returns
    -------
    Frame
        ``images`` has ``"input"``, ``"kernel"`` (weights written in the cells), ``"output"``
        (drawn at its true size: a stride-2 output half as wide as the input);
        ``data["output"]`` is the map, ``data["range"]`` the output's colour range.

    Examples
    --------
    >>> import numpy as np
    >>> f = kernel_step(np.zeros((8, 8)), np.ones((3, 3)), 1, "valid")
    >>> f.data["output"].shape, f.widths["output"]
    ((6, 6), 192)
    """
    check_choice("scale", scale, SCALES)
    k = np.asarray(kernel, dtype=np.float64)
    out = ops.conv2d(image, k, stride=stride, padding=padding)
    (in_cmap, in_range), (out_cmap, out_range), signed = _ranges(image, out, k, scale)
    k_cmap, (_, kmax) = colour_scale(float(k.min()), float(k.max()), "diverging")
    h, w = np.shape(image)[:2]
    k_cell = max(32, 120 // max(k.shape))  # 3x3: 40 px per weight, 5x5: 32
    k_png = cells_png(k, k_cmap, (-kmax, kmax), cell=k_cell)
    if detail is None:
        in_png = to_png(image, in_cmap, in_range)
    else:
        in_png = boxed_png(image, tuple(detail), min(DETAIL, h, w), in_cmap, in_range)
    width = int(Explorer.image_width.removesuffix("px"))
    shared = (
        f"<br>shared colour scale {in_range[0]:.2f} to {in_range[1]:.2f} for input and output"
        if scale == "shared"
        else ""
    )
    info = (
        f"input <b>{h}&times;{w}</b> &rarr; kernel {k.shape[0]}&times;{k.shape[1]}, stride {stride}, "
        f"padding {html.escape(repr(padding))} &rarr; output <b>{out.shape[0]}&times;{out.shape[1]}</b>"
        f"<br>rows: {_size_formula(h, k.shape[0], stride, padding)}"
        f"<br>output values in [{out.min():.2f}, {out.max():.2f}]"
        + (" (blue negative, red positive)" if signed else "")
        + shared
    )
    return Frame(
        images={"input": in_png, "kernel": k_png, "output": to_png(out, out_cmap, out_range)},
        info=info,
        data={"output": out, "kernel": k, "range": out_range, "input_range": in_range},
        widths={
            "input": width,
            "kernel": k_cell * k.shape[1],
            "output": max(1, round(width * out.shape[1] / w)),
        },
        colorbars={
            "input": (in_cmap, *in_range),
            "kernel": (k_cmap, -kmax, kmax),
            "output": (out_cmap, *out_range),
        },
    )


class KernelExplorer(Explorer):
    """Slide a kernel over a real photo and watch the feature map.

    Controls: photo, preset kernel (or edit the 3x3 weights), stride, padding, colour scale
    (each map its own, or one shared scale to compare brightness).  The pictures carry colour
    bars and are drawn at their true relative sizes (a stride-2 output is half as wide).  Below,
    a :class:`~course_utils.widgets.linked.LinkedView` of the 16x16 detail in the yellow box and
    its part of the feature map (the real map's values: border windows read the photo's pixels
    around the detail, drawn pale): hover an output pixel to see its window and the products
    that add up to it; click an input pixel to see every output pixel it reaches.
    ``KernelExplorer().set(stride=2)`` changes a control from code, exactly like the slider.

    Examples
    --------
    >>> ex = KernelExplorer(preset="Sobel x (vertical edges)")
    >>> ex.frame.data["output"].shape
    (256, 256)
    >>> ex.set(stride=2).data["output"].shape
    (128, 128)
    >>> ex.linked.out_shape
    [8, 8]
    """

    def __init__(
        self,
        image: str = "camera",
        preset: str = "Sobel x (vertical edges)",
        stride: int = 1,
        padding: str = "same",
        scale: str = "per map",
    ) -> None:
        check_choice("preset", preset, KERNEL_PRESETS)
        check_choice("image", image, SAMPLE_IMAGES)
        check_choice("scale", scale, SCALES)
        self.weights = [
            W.FloatText(
                value=0.0,
                step=0.5,
                layout=W.Layout(width="64px"),
                description="",
                tooltip=f"w[{i // 3},{i % 3}]",
            )
            for i in range(9)
        ]
        self._load_weights(
            KERNEL_PRESETS[preset] if KERNEL_PRESETS[preset].shape == (3, 3) else np.zeros((3, 3))
        )
        controls = {
            "image": W.Dropdown(options=list(SAMPLE_IMAGES), value=image, description="photo"),
            "preset": W.Dropdown(
                options=[*KERNEL_PRESETS, CUSTOM], value=preset, description="kernel"
            ),
            "stride": W.IntSlider(
                value=stride, min=1, max=4, description="stride", continuous_update=True
            ),
            "padding": W.ToggleButtons(
                options=["valid", "same"], value=padding, description="padding"
            ),
            "scale": W.ToggleButtons(options=list(SCALES), value=scale, description="colour scale"),
        }
        self._grid = W.GridBox(
            self.weights, layout=W.Layout(grid_template_columns="repeat(3, 68px)", width="220px")
        )
        self.linked: LinkedView | None = None
        # before _build's observers: a preset's weights are in place when the pictures update
        controls["preset"].observe(self._on_preset, names="value")
        self._build(
            controls,
            {
                "input": "input (yellow box = detail below)",
                "kernel": "kernel",
                "output": "feature map",
            },
            keyed=self.weights,  # the custom kernel's weights decide its pictures too
        )
        for wgt in self.weights:
            wgt.observe(self._on_weight, names="value")
        self.linked = LinkedView(
            np.zeros((DETAIL, DETAIL)), "conv", kernel=np.zeros((3, 3)), size=LINKED_SIZE
        )
        self._update_linked(self.frame)
        control_row, *rest = self.widget.children
        self.widget.children = (
            control_row,
            W.HBox([W.HTML("<b>3&times;3 weights</b> (editing switches to custom)"), self._grid]),
            *rest,
            W.HTML(
                "<b>The detail in the yellow box, linked</b>: hover an output pixel to see "
                "its window and the arithmetic; click an input pixel to see every output "
                "pixel it reaches."
            ),
            self.linked,
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
            self._update()

    def kernel(self, preset: str | None = None) -> np.ndarray:
        """The kernel currently selected (a preset or the edited 3x3 weights)."""
        preset = self.controls["preset"].value if preset is None else preset
        if preset == CUSTOM:
            return np.array([w.value for w in self.weights], float).reshape(3, 3)
        return KERNEL_PRESETS[preset]

    def step(
        self, image: str, preset: str, stride: int, padding: str, scale: str = "per map"
    ) -> Frame:
        img = photo(image, gray=True)
        return kernel_step(
            img, self.kernel(preset), stride, padding, scale, detail=detail_corner(image, img.shape)
        )

    def refresh(self) -> Frame | None:
        frame = super().refresh()
        self._update_linked(frame)
        return frame

    def detail(self) -> np.ndarray:
        """The 16x16 detail of the current photo that the linked view shows."""
        img = photo(self.controls["image"].value, gray=True)
        y0, x0 = detail_corner(self.controls["image"].value, img.shape)
        return img[y0 : y0 + DETAIL, x0 : x0 + DETAIL]

    def _update_linked(self, frame: Frame | None) -> None:
        """The linked view: the detail's part of the real feature map.  Its windows read the
        photo's real pixels around the detail; zeros only where the photo itself ends."""
        if self.linked is None or frame is None:
            return
        v = self.values()
        img = photo(v["image"], gray=True)
        y0, x0 = detail_corner(v["image"], img.shape)
        shared = v["scale"] == "shared"
        self.linked.update(
            img,
            "conv",
            kernel=self.kernel(),
            stride=v["stride"],
            padding=v["padding"],
            fixed_range=frame.data["range"] if shared else (),
            labels=("detail", "feature map"),
            detail=(y0, x0, min(DETAIL, img.shape[0]), min(DETAIL, img.shape[1])),
        )

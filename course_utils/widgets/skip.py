"""SkipExplorer: the same toy network without and with its skip connection, side by side.

The toy network (fixed encoder filters, max pooling, a context bottleneck, upsampling, a fitted 1x1
convolution) lives in :mod:`course_utils.toys`; this module only shows it.  Two kinds of input:
a photo, which the decoder must copy, and :func:`toys.size_scene`, where it must mark the big
shapes (a target that needs context).
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .._validate import check_choice
from ..data import SAMPLE_IMAGES, photo, to_gray
from ..toys import compare_skip_inputs, size_scene
from ..viz import to_png
from ._base import Explorer, Frame

__all__ = ["skip_step", "SkipExplorer", "SKIP_EXPLORER_INPUTS"]

#: the explorer's inputs: the shapes scene (target: the big shapes) and the sample photos
SKIP_EXPLORER_INPUTS: dict[str, str] = {
    "shapes": "shapes: mark the big ones",
    **{name: f"photo: {name} (copy it)" for name in SAMPLE_IMAGES},
}

#: displayed width of each of the five pictures, CSS pixels (all maps are the same size); five
#: of them and their gaps fit a 900 px notebook cell
PICTURE_WIDTH = 160

#: the pictures' titles: one line each at PICTURE_WIDTH (a wrapped title would push its picture
#: below the others); the info line and the lesson say what D and concat(E, D) are
CAPTIONS = {
    "input": "input",
    "target": "target",
    "without": "no skip: D",
    "with": "skip: concat(E, D)",
    "diff": "skip − no skip",
}

#: the difference panel's colour range: -DIFF_RANGE (blue) .. +DIFF_RANGE (red)
DIFF_RANGE = 0.5


def _scores(res: dict) -> str:
    extra = f", IoU <b>{res['iou']:.3f}</b>" if "iou" in res else ""
    return f"mean abs error <b>{res['mae']:.4f}</b>{extra}"


def skip_step(image, target, poolings: int, interpolation: str = "nearest") -> Frame:
    """The pure update of :class:`SkipExplorer`: the toy decoder fitted without the skip (``D``
    only), with it (``concat(E, D)``), and the encoder map alone for the info line.

    Parameters
    ----------
    image : array (H, W) or (H, W, 3), float in [0, 1]
    target : array (H, W)
        The gray image itself (copy it) or a 0/1 mask (mark it).
    poolings : int
        2x2 max poolings on the way down (1 to 5).
    interpolation : "nearest" or "bilinear"

    Returns
    -------
    Frame
        ``images``: ``"input"``, ``"target"``, ``"without"`` (1x1 conv on ``D``), ``"with"``
        (1x1 conv on ``concat(E, D)``) and ``"diff"`` (with - without, blue < 0 < red);
        ``colorbars`` for all five; ``data``: the three :func:`toys.skip_fit` dicts under
        ``"decoder"``, ``"encoder"``, ``"concat"`` and the difference map under ``"diff"``.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((16, 16))
    >>> f = skip_step(img, img, 2)
    >>> sorted(f.images)
    ['diff', 'input', 'target', 'with', 'without']
    """
    rows = compare_skip_inputs(image, target, poolings, interpolation)
    without, with_skip = rows["decoder"]["out"], rows["concat"]["out"]
    diff = with_skip - without
    s = rows["concat"]["sizes"]
    path = " &rarr; ".join(str(v) for v in s[:-1])
    info = (
        f"sizes {path} &rarr; 3&times;3 context &rarr; upsample &times;{2**poolings} &rarr; {s[-1]}"
        f"<br>without skip (1&times;1 conv on the 5 channels of D): {_scores(rows['decoder'])}"
        f"<br>with skip (1&times;1 conv on the 10 channels of concat(E, D)): "
        f"{_scores(rows['concat'])}"
        f"<br>for comparison, the encoder map E alone: {_scores(rows['encoder'])}"
    )
    w = PICTURE_WIDTH
    return Frame(
        images={
            "input": to_png(to_gray(image), "gray", (0.0, 1.0)),
            "target": to_png(target, "gray", (0.0, 1.0)),  # read-only: encoded once per input
            "without": to_png(without, "gray", (0.0, 1.0)),
            "with": to_png(with_skip, "gray", (0.0, 1.0)),
            "diff": to_png(diff, "RdBu_r", (-DIFF_RANGE, DIFF_RANGE)),
        },
        info=info,
        data={**rows, "diff": diff},
        widths=dict.fromkeys(("input", "target", "without", "with", "diff"), w),
        colorbars={
            **{k: ("gray", 0.0, 1.0) for k in ("input", "target", "without", "with")},
            "diff": ("RdBu_r", -DIFF_RANGE, DIFF_RANGE),
        },
    )


def explorer_input(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(image, target)`` of one entry of :data:`SKIP_EXPLORER_INPUTS` (read-only arrays)."""
    check_choice("input", name, SKIP_EXPLORER_INPUTS)
    if name == "shapes":
        return size_scene()
    img = photo(name, gray=True)
    return img, img


class SkipExplorer(Explorer):
    """The toy U-Net level without and with its skip connection, and their difference.

    Pick an input (the shapes scene, whose target is the mask of the big shapes, or a photo to
    copy), the number of poolings (1 to 3) and the upsampling rule.  The pictures show the input,
    the target, the 1x1 decoder's output without the skip (``D`` only) and with it
    (``concat(E, D)``), and ``with - without``; the info line gives the errors of both, and of
    the encoder map ``E`` alone.

    Examples
    --------
    >>> ex = SkipExplorer()
    >>> ex.frame.data["decoder"]["channels"], ex.frame.data["concat"]["channels"]
    (5, 10)
    """

    def __init__(
        self, image: str = "shapes", poolings: int = 3, interpolation: str = "nearest"
    ) -> None:
        check_choice("input", image, SKIP_EXPLORER_INPUTS)
        check_choice("interpolation", interpolation, ("nearest", "bilinear"))
        controls = {
            "image": W.Dropdown(
                options=[(label, name) for name, label in SKIP_EXPLORER_INPUTS.items()],
                value=image,
                description="input",
            ),
            "poolings": W.IntSlider(value=poolings, min=1, max=3, description="poolings"),
            "interpolation": W.ToggleButtons(
                options=["nearest", "bilinear"], value=interpolation, description="upsampling"
            ),
        }
        self.image_width = f"{PICTURE_WIDTH}px"
        self._build(controls, CAPTIONS)

    def step(self, image: str, poolings: int, interpolation: str) -> Frame:
        img, target = explorer_input(image)
        return skip_step(img, target, poolings, interpolation)

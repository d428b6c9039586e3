"""SkipExplorer: pool a photo down, upsample it back, and see what a skip connection restores.

The toy network (fixed encoder filters, max pooling, upsampling, a fitted 1x1 convolution) lives
in :mod:`course_utils.toys`; this module only shows it.
"""

from __future__ import annotations

import ipywidgets as W

from .._validate import check_choice
from ..data import SAMPLE_IMAGES, photo, to_gray
from ..toys import edge_magnitude, skip_reconstruction
from ..viz import to_png
from ._base import Explorer, Frame

__all__ = ["skip_step", "SkipExplorer"]


def skip_step(image, poolings: int, skip: bool, interpolation: str = "nearest") -> Frame:
    """The pure update of :class:`SkipExplorer`: :func:`toys.skip_reconstruction` as pictures.

    Returns
    -------
    Frame
        ``images``: ``"input"``, ``"decoder"`` (blur channel of the upsampled map),
        ``"recon"`` (the 1x1 conv output), ``"edges"`` (edge map of the reconstruction);
        ``data``: the dict of :func:`toys.skip_reconstruction` plus ``"edges"``.

    Examples
    --------
    >>> import numpy as np
    >>> f = skip_step(np.zeros((16, 16)), 2, skip=True)
    >>> sorted(f.images)
    ['decoder', 'edges', 'input', 'recon']
    """
    res = skip_reconstruction(image, poolings, skip, interpolation)
    edges = edge_magnitude(res["recon"])
    s = res["sizes"]
    path = " &rarr; ".join(str(v) for v in s[:-1])
    label = "with skip: concat(E, D)" if skip else "without skip: D only"
    info = (
        f"<b>{label}</b> &nbsp; sizes {path} &rarr; upsample &times;{2**poolings} &rarr; {s[-1]}"
        f" &nbsp; | 1&times;1 conv sees <b>{res['channels']}</b> channels"
        f"<br>mean abs error <b>{res['mae']:.4f}</b> &nbsp; PSNR <b>{res['psnr']:.1f} dB</b>"
        " (higher is better)"
    )
    return Frame(
        images={
            "input": to_png(to_gray(image), "gray", (0.0, 1.0)),
            "decoder": to_png(res["up"][:, :, 0], "gray", (0.0, 1.0)),
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

    def __init__(
        self,
        image: str = "camera",
        poolings: int = 2,
        skip: bool = False,
        interpolation: str = "nearest",
    ) -> None:
        check_choice("photo", image, SAMPLE_IMAGES)
        controls = {
            "image": W.Dropdown(options=list(SAMPLE_IMAGES), value=image, description="photo"),
            "poolings": W.IntSlider(value=poolings, min=1, max=3, description="poolings"),
            "skip": W.ToggleButtons(
                options=[("without skip", False), ("with skip", True)],
                value=skip,
                description="skip",
            ),
            "interpolation": W.ToggleButtons(
                options=["nearest", "bilinear"], value=interpolation, description="upsampling"
            ),
        }
        self._build(
            controls,
            {
                "input": "input",
                "decoder": "upsampled (decoder path)",
                "recon": "1x1 conv output",
                "edges": "its edge map",
            },
        )

    def step(self, image: str, poolings: int, skip: bool, interpolation: str) -> Frame:
        return skip_step(photo(image, gray=True), poolings, skip, interpolation)

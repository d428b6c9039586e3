"""ElasticExplorer: Ronneberger et al.'s elastic deformation on real nuclei, with its mask.

Two pictures side by side: a crop of the nuclei image with its true nuclei outlined and a grid
of lines every 16 pixels, and the same crop after :func:`course_utils.data.elastic_deform`:
image, grid and mask warped by *one* displacement field.  The sliders set the warp's strength
(``sigma``: standard deviation of the lattice displacements, in pixels), its lattice (``grid``
points per side: more points, wrinklier warp) and its random ``seed``; a checkbox adds the flip
and 90-degree rotation that training also draws.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .._memo import memo
from .._validate import check_int
from ..data import elastic_deform, load_nuclei
from ..viz import label_edges, to_png
from ._base import Explorer, Frame

__all__ = ["ElasticExplorer", "elastic_step", "nuclei_crop"]

#: top-left corner and side of the explorer's crop of the nuclei image (touching nuclei in it)
CROP = (176, 16, 128)
GRID_EVERY = 16  # pixels between the drawn grid lines
SCALE = 2  # the 128-pixel crop is shown 256 pixels wide


@memo(maxsize=4)
def nuclei_crop(corner: tuple[int, int] = CROP[:2], size: int = CROP[2]):
    """``(image, labels)``: a ``size x size`` crop of :func:`~course_utils.data.load_nuclei`.

    Examples
    --------
    >>> image, labels = nuclei_crop()
    >>> image.shape, int(labels.max() > 0)
    ((128, 128), 1)
    """
    image, labels = load_nuclei()
    r, c = corner
    return image[r : r + size, c : c + size].copy(), labels[r : r + size, c : c + size].copy()


def _picture(image: np.ndarray, labels: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Gray image (contrast stretched to its 99.5th percentile), grid lines pale, each
    nucleus's outline cyan: RGB uint8."""
    top = max(float(np.percentile(image, 99.5)), 1e-6)
    gray = np.round(np.clip(image / top, 0.0, 1.0) * 255).astype(np.uint8)
    rgb = np.repeat(gray[..., None], 3, axis=2)
    on = lines > 0.2  # a warped 1-pixel line is spread over neighbours: keep its faint parts
    rgb[on] = (rgb[on] * 0.55 + np.array([255, 170, 60]) * 0.45).astype(np.uint8)
    rgb[label_edges(labels)] = (0, 200, 255)
    return rgb


def _grid_lines(h: int, w: int) -> np.ndarray:
    """1.0 on the rows and columns every :data:`GRID_EVERY` pixels, else 0.0: (h, w) float32."""
    rows, cols = np.mgrid[0:h, 0:w]
    return ((rows % GRID_EVERY == 0) | (cols % GRID_EVERY == 0)).astype(np.float32)


@memo(maxsize=8)
def _before_png(image, labels) -> bytes:
    """The unwarped picture: the same for every slider position, so encoded once when the
    arrays are read-only (:func:`nuclei_crop`'s are)."""
    img = np.asarray(image, dtype=np.float32)
    return to_png(_picture(img, np.asarray(labels), _grid_lines(*img.shape)), scale=SCALE)


def elastic_step(
    image: np.ndarray,
    labels: np.ndarray,
    sigma: float,
    grid: int,
    seed: int,
    flip_rotate: bool = False,
) -> Frame:
    """The pure update: warp ``image``, a grid of lines and ``labels`` with one field; two PNGs.

    Parameters
    ----------
    image : array (H, W), floats
    labels : integer array (H, W)
        Instance labels (0 = background).
    sigma, grid, seed, flip_rotate
        As :func:`course_utils.data.elastic_deform` (``flip`` and ``rotate`` both follow
        ``flip_rotate``).

    Returns
    -------
    Frame
        ``images``: ``"before"``, ``"after"``; ``data``: ``"image"`` and ``"labels"`` (warped),
        ``"labels_kept"`` (every warped label is one of the input's).

    Examples
    --------
    >>> img = np.zeros((32, 32)); lab = np.zeros((32, 32), int); lab[8:20, 8:20] = 3
    >>> f = elastic_step(img, lab, sigma=4, grid=3, seed=1)
    >>> f.data["labels_kept"], sorted(np.unique(f.data["labels"]).tolist())
    (True, [0, 3])
    >>> np.array_equal(elastic_step(img, lab, sigma=0, grid=3, seed=1).data["labels"], lab)
    True
    """
    img = np.asarray(image, dtype=np.float32)
    lab = np.asarray(labels)
    if img.ndim != 2 or lab.shape != img.shape:
        raise ValueError(
            f"image must be (H, W) and labels the same shape, got {img.shape} and {lab.shape}."
        )
    h, w = img.shape
    lines = _grid_lines(h, w)
    out, warped = elastic_deform(
        np.stack([img, lines], axis=-1),  # the grid rides along as a second channel
        lab,
        sigma=sigma,
        grid=grid,
        seed=seed,
        flip=flip_rotate,
        rotate=flip_rotate,
    )
    kept = bool(np.isin(np.unique(warped), np.unique(lab)).all())
    after = _picture(out[..., 0], warped, out[..., 1])
    n_before, n_after = len(np.unique(lab[lab > 0])), len(np.unique(warped[warped > 0]))
    info = (
        f"sigma <b>{sigma:g}</b> px: each point of the {grid}x{grid} lattice moves by a random "
        f"vector whose two components have a standard deviation of {sigma:g} px (seed {seed}); "
        "the pixels between follow smoothly"
        + (", then a flip / rotation" if flip_rotate else "")
        + f". The mask moves with the same field, by nearest neighbour: labels kept "
        f"{'exactly' if kept else 'NOT'} ({n_after} nuclei in view, {n_before} before; "
        "some slide in or out at the borders)."
    )
    return Frame(
        images={"before": _before_png(image, labels), "after": to_png(after, scale=SCALE)},
        info=info,
        data={"image": out[..., 0], "labels": warped, "labels_kept": kept},
        widths={"before": w * SCALE, "after": w * SCALE},
    )


class ElasticExplorer(Explorer):
    """Slide the warp's strength, lattice and seed; see the image and its mask warped together.

    Examples
    --------
    >>> ex = ElasticExplorer(sigma=10, grid=3, seed=0)
    >>> ex.frame.data["labels_kept"]
    True
    >>> ex.set(sigma=0).data["image"].shape
    (128, 128)
    """

    def __init__(
        self, sigma: int = 10, grid: int = 3, seed: int = 0, flip_rotate: bool = False
    ) -> None:
        sigma = check_int("sigma", sigma, 0, 20)
        grid = check_int("grid", grid, 2, 8)
        seed = check_int("seed", seed, 0, 50)
        controls = {
            "sigma": W.IntSlider(value=sigma, min=0, max=20, description="sigma (px)"),
            "grid": W.IntSlider(value=grid, min=2, max=8, description="grid"),
            "seed": W.IntSlider(value=seed, min=0, max=50, description="seed"),
            "flip_rotate": W.Checkbox(value=bool(flip_rotate), description="flip + rotate"),
        }
        self._build(
            controls,
            {
                "before": "nuclei, true outlines, grid",
                "after": "elastic deformation, same field",
            },
        )

    def step(self, sigma: int, grid: int, seed: int, flip_rotate: bool) -> Frame:
        image, labels = nuclei_crop()
        return elastic_step(image, labels, sigma, grid, seed, flip_rotate)

"""Data: the sample photos the lessons use (shipped in ``datasets/``).

Nothing here downloads anything.  Sources and licences: ``datasets/README.md``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

__all__ = ["DATASETS_DIR", "SAMPLE_IMAGES", "sample_image", "to_gray"]

DATASETS_DIR = Path(__file__).resolve().parent.parent / "datasets"

#: name -> (file, description)
SAMPLE_IMAGES: dict[str, tuple[str, str]] = {
    "camera": ("images/camera.png", "photographer with a camera on a tripod (grayscale)"),
    "astronaut": ("images/astronaut.png", "astronaut Eileen Collins (colour)"),
    "cat": ("images/cat.png", "Chelsea the cat (colour)"),
    "coffee": ("images/coffee.png", "a cup of coffee (colour)"),
    "coins": ("images/coins.png", "Greek coins on a dark background (grayscale)"),
    "brick": ("images/brick.png", "a brick wall texture (grayscale)"),
}


def to_gray(img) -> np.ndarray:
    """RGB ``(H, W, 3)`` -> luminance ``(H, W)`` with ITU-R BT.601 weights; 2-D passes through.

    Examples
    --------
    >>> to_gray(np.ones((2, 2, 3))).round(6).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    a = np.asarray(img, dtype=np.float32)
    if a.ndim == 2:
        return a
    if a.ndim == 3 and a.shape[2] == 3:
        return a @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    raise ValueError(f"expected (H, W) or (H, W, 3), got shape {a.shape}.")


def sample_image(name: str = "camera", gray: bool | None = None, size: int | None = None):
    """Load one of the course's sample photos as float32 in ``[0, 1]``.

    Parameters
    ----------
    name : str
        One of ``SAMPLE_IMAGES`` (``"camera"``, ``"astronaut"``, ``"cat"``, ``"coffee"``,
        ``"coins"``, ``"brick"``).
    gray : bool, optional
        ``True`` -> ``(H, W)``, ``False`` -> ``(H, W, 3)``; ``None`` keeps the file's own mode.
    size : int, optional
        Resize to ``size x size`` (the shipped files are 256x256).

    Returns
    -------
    ndarray, float32, shape (H, W) or (H, W, 3), values in [0, 1]

    Examples
    --------
    >>> sample_image("camera").shape
    (256, 256)
    >>> sample_image("cat", size=64).shape
    (64, 64, 3)
    """
    if name not in SAMPLE_IMAGES:
        raise ValueError(f"unknown sample image {name!r}; choose one of {sorted(SAMPLE_IMAGES)}.")
    path = DATASETS_DIR / SAMPLE_IMAGES[name][0]
    if not path.is_file():
        raise FileNotFoundError(
            f"sample image {path} is missing. It ships with the course repository: run the lessons "
            "from a full clone (git clone ...; pip install -e .) rather than a copied folder."
        )
    try:
        with Image.open(path) as im:
            im.load()
            if size is not None:
                if isinstance(size, bool) or not isinstance(size, int) or size < 1:
                    raise ValueError(f"size must be a positive integer, got {size!r}.")
                im = im.resize((size, size), Image.LANCZOS)
            mode = {True: "L", False: "RGB", None: "L" if im.mode in ("L", "I", "1") else "RGB"}
            arr = np.asarray(im.convert(mode[gray]), dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError) as err:
        raise ValueError(
            f"{path} is not a readable image ({err}); restore it with `git checkout -- {path}`."
        ) from err
    return arr

"""Data: sample photos, the synthetic shapes dataset, photo composites, the Oxford-IIIT Pet loader.

Nothing here downloads anything.  Sources and licences: ``datasets/README.md``.

- :func:`make_shapes` draws a deterministic segmentation dataset: textured, noisy images with
  overlapping discs, rectangles and triangles, and their exact masks.  With ``source="photos"``
  the background and every shape are cut from *real photographs* (``datasets/textures/``), so the
  pictures are real-photo texture while the mask is still exact by construction.
- :func:`load_oxford_pets` reads the Oxford-IIIT Pet dataset from a folder you downloaded.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ._memo import memo
from ._validate import check_choice, check_int
from .ops import sigmoid

__all__ = [
    "DATASETS_DIR",
    "SAMPLE_IMAGES",
    "TEXTURES",
    "SHAPE_CLASSES",
    "PETS_URL",
    "sample_image",
    "photo",
    "to_gray",
    "disc_mask",
    "soft_disc",
    "texture",
    "make_shapes",
    "load_oxford_pets",
]

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

#: top-left corner of a 32x32 detail worth enlarging, per sample photo (something with edges;
#: the pooling and convolution explorers zoom there)
DETAIL_CORNERS: dict[str, tuple[int, int]] = {
    "camera": (80, 112),
    "astronaut": (48, 96),
    "cat": (72, 48),
    "coffee": (24, 96),
    "coins": (84, 84),
    "brick": (96, 96),
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
    raise ValueError(f"image must be (H, W) or (H, W, 3), got shape {a.shape}.")


def _open_shipped(relpath: str, what: str) -> Image.Image:
    """Open (and fully read) an image shipped in ``datasets/``, with errors that say what to do."""
    path = DATASETS_DIR / relpath
    if not path.is_file():
        raise FileNotFoundError(
            f"{what} {path} is missing. It ships with the course repository: run the lessons "
            "from a full clone (git clone ...; pip install -e .) rather than a copied folder."
        )
    try:
        with Image.open(path) as im:
            im.load()
            return im.copy()
    except (UnidentifiedImageError, OSError) as err:
        raise ValueError(
            f"{path} is not a readable image ({err}); restore it with `git checkout -- {path}`."
        ) from err


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
    return photo(name, gray, size).copy()


@memo(maxsize=64)
def photo(name: str = "camera", gray: bool | None = None, size: int | None = None) -> np.ndarray:
    """:func:`sample_image`, decoded once per ``(name, gray, size)`` and returned *read-only*.

    The explorers call this on every slider move: the file is read once, and because the array
    cannot change, pictures and features computed from it are remembered too (``viz.to_png``
    and ``toys`` recognise it).  Use :func:`sample_image` for an array you may modify.

    Examples
    --------
    >>> photo("camera") is photo("camera"), photo("camera").flags.writeable
    (True, False)
    """
    check_choice("sample image", name, SAMPLE_IMAGES)
    if size is not None:
        size = check_int("size", size)
    im = _open_shipped(SAMPLE_IMAGES[name][0], "sample image")
    if size is not None:
        im = im.resize((size, size), Image.LANCZOS)
    mode = {True: "L", False: "RGB", None: "L" if im.mode in ("L", "I", "1") else "RGB"}
    return np.asarray(im.convert(mode[gray]), dtype=np.float32) / 255.0


# --------------------------------------------------------------------------------------------
# a disc and a soft prediction of it (lesson 06: losses and metrics)
# --------------------------------------------------------------------------------------------
def _distance(size: int, cx: float, cy: float) -> np.ndarray:
    yy = (np.arange(size) - cy)[:, None]
    xx = (np.arange(size) - cx)[None, :]
    return np.sqrt(yy * yy + xx * xx)


def _check_radius(radius) -> None:
    if not radius > 0:
        raise ValueError(f"radius must be > 0 (pixels), got {radius!r}.")


def disc_mask(
    size: int = 256, radius: float = 40, shift_x: float = 0, shift_y: float = 0
) -> np.ndarray:
    """Binary mask (uint8 0/1, shape (size, size)) of a disc around the centre, shifted.

    Examples
    --------
    >>> int(disc_mask(9, 2).sum())
    13
    """
    size = check_int("size", size, 4)
    _check_radius(radius)
    c = (size - 1) / 2
    return (_distance(size, c + shift_x, c + shift_y) <= radius).astype(np.uint8)


def soft_disc(
    size: int = 256,
    radius: float = 40,
    shift_x: float = 0,
    shift_y: float = 0,
    softness: float = 3.0,
) -> np.ndarray:
    """Soft prediction ``p = sigmoid((radius - d) / softness)`` in (0, 1), shape (size, size).

    ``d`` is the distance to the (shifted) centre.  ``softness`` (pixels) sets how blurred /
    unsure the edge is: 0.5 is almost a hard 0/1 mask, 20 a wide ramp where many pixels sit
    near 0.5.

    Examples
    --------
    >>> p = soft_disc(9, 2, softness=1.0)
    >>> float(p[4, 4].round(3)), float(p[0, 0].round(3))
    (0.881, 0.025)
    """
    size = check_int("size", size, 4)
    _check_radius(radius)
    if not softness > 0:
        raise ValueError(f"softness must be > 0 pixels, got {softness!r}.")
    c = (size - 1) / 2
    return sigmoid((radius - _distance(size, c + shift_x, c + shift_y)) / softness)


# --------------------------------------------------------------------------------------------
# the synthetic shapes dataset
# --------------------------------------------------------------------------------------------
#: label -> name for ``make_shapes(..., num_classes=4)`` (with 2 classes: 0 background, 1 shape)
SHAPE_CLASSES: tuple[str, ...] = ("background", "disc", "rectangle", "triangle")

#: name -> (file, description); 192x192 crops of scikit-image's CC0 sample photos
TEXTURES: dict[str, tuple[str, str]] = {
    "brick": ("textures/brick.png", "brick wall (grayscale)"),
    "grass": ("textures/grass.png", "grass (grayscale)"),
    "gravel": ("textures/gravel.png", "gravel (grayscale)"),
    "coffee": ("textures/coffee.png", "cup of coffee on a saucer"),
    "fur": ("textures/fur.png", "Chelsea the cat's face and fur"),
    "rocket": ("textures/rocket.png", "launch towers against the sky"),
}

_SOURCES = ("synthetic", "photos")


def texture(name: str) -> np.ndarray:
    """One of the shipped photo textures as float32 RGB ``(192, 192, 3)`` in ``[0, 1]``.

    Examples
    --------
    >>> texture("brick").shape
    (192, 192, 3)
    """
    check_choice("texture", name, sorted(TEXTURES))
    return _texture_cached(name).copy()


@memo(maxsize=16)
def _texture_cached(name: str) -> np.ndarray:
    im = _open_shipped(TEXTURES[name][0], "texture")
    return np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0


def _resize(arr: np.ndarray, size: int, resample=Image.BILINEAR) -> np.ndarray:
    """Resize a float (H, W, 3) array to (size, size, 3), channel by channel (mode "F")."""
    chans = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(arr[:, :, c]), mode="F").resize(
                (size, size), resample
            )
        )
        for c in range(arr.shape[2])
    ]
    return np.stack(chans, axis=-1)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int, channels: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a (cells x cells) random grid upsampled bilinearly."""
    grid = rng.random((cells, cells, channels)).astype(np.float32)
    return _resize(grid, size)


def _shape_mask(rng: np.random.Generator, size: int, kind: int) -> np.ndarray:
    """A boolean (size, size) mask of one disc (1), rotated rectangle (2) or triangle (3)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    cy, cx = rng.uniform(0.15, 0.85, 2) * size
    if kind == 1:
        r = rng.uniform(0.09, 0.2) * size
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2
    if kind == 2:
        a, b = rng.uniform(0.07, 0.2, 2) * size
        t = rng.uniform(0, np.pi)
        u = (xx - cx) * np.cos(t) + (yy - cy) * np.sin(t)
        v = -(xx - cx) * np.sin(t) + (yy - cy) * np.cos(t)
        return (np.abs(u) <= a) & (np.abs(v) <= b)
    r = rng.uniform(0.12, 0.25) * size
    angles = rng.uniform(0, 2 * np.pi) + np.array([0.0, 2.1, 4.2]) + rng.uniform(-0.3, 0.3, 3)
    px, py = cx + r * np.cos(angles), cy + r * np.sin(angles)
    inside = np.ones((size, size), bool)
    orient = np.sign((px[1] - px[0]) * (py[2] - py[0]) - (py[1] - py[0]) * (px[2] - px[0]))
    for i in range(3):
        j = (i + 1) % 3
        cross = (px[j] - px[i]) * (yy - py[i]) - (py[j] - py[i]) * (xx - px[i])
        inside &= orient * cross >= 0
    return inside


def _photo_patch(rng: np.random.Generator, name: str, size: int) -> np.ndarray:
    """A random crop (side 96..192) of a photo texture, resized to size, flipped/rotated, jittered."""
    tex = _texture_cached(name)
    side = int(rng.integers(96, tex.shape[0] + 1))
    y0, x0 = rng.integers(0, tex.shape[0] - side + 1, 2)
    patch = _resize(tex[y0 : y0 + side, x0 : x0 + side], size)
    patch = np.rot90(patch, int(rng.integers(4)))
    if rng.random() < 0.5:
        patch = patch[:, ::-1]
    return patch * np.float32(rng.uniform(0.75, 1.25))


def _draw_image(rng, size, num_classes, max_shapes, noise, source):
    """One (image, mask) pair; every random draw comes from ``rng``."""
    n_shapes = int(rng.integers(1, max_shapes + 1))
    kinds = rng.integers(1, 4, n_shapes)
    mask = np.zeros((size, size), np.uint8)
    if source == "synthetic":
        # background: a random colour with soft colour blobs (no stripes)
        img = rng.uniform(0.2, 0.8, 3).astype(np.float32) + 0.35 * (
            _smooth_noise(rng, size, 4, 3) - 0.5
        )
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        for kind in kinds:
            m = _shape_mask(rng, size, int(kind))
            # a shape: another random colour (same range as the background) with fine stripes
            colour = rng.uniform(0.2, 0.8, 3).astype(np.float32)
            period = rng.uniform(3.0, 6.0) * size / 64
            phi = rng.uniform(0, np.pi)
            stripes = np.sin(
                2 * np.pi * (xx * np.cos(phi) + yy * np.sin(phi)) / period
                + rng.uniform(0, 2 * np.pi)
            )
            fill = colour + (rng.uniform(0.1, 0.2) * stripes)[:, :, None]
            img[m] = fill[m]
            mask[m] = 1 if num_classes == 2 else kind
    else:
        names = sorted(TEXTURES)
        bg = names[int(rng.integers(len(names)))]
        img = _photo_patch(rng, bg, size)
        others = [t for t in names if t != bg]
        for kind in kinds:
            m = _shape_mask(rng, size, int(kind))
            fill = _photo_patch(rng, others[int(rng.integers(len(others)))], size)
            img[m] = fill[m]
            mask[m] = 1 if num_classes == 2 else kind
    img = img + rng.normal(0.0, noise, img.shape).astype(np.float32)
    return np.clip(img, 0.0, 1.0).astype(np.float32), mask


def make_shapes(
    n: int,
    size: int = 64,
    seed: int = 0,
    num_classes: int = 2,
    source: str = "synthetic",
    max_shapes: int = 3,
    noise: float = 0.06,
) -> tuple[np.ndarray, np.ndarray]:
    """A deterministic segmentation dataset of overlapping, textured shapes on a textured background.

    ``source="synthetic"`` (default): the background is a random colour with soft colour blobs; each
    shape (disc, rotated rectangle, triangle) has its *own* random colour from the same range plus
    fine stripes of random direction and period.  Colour alone therefore does not separate shape
    from background, brightness thresholds fail, and an untrained net scores a low IoU: the net has
    to learn the *texture* and the outlines.  Gaussian noise is added to every pixel.

    ``source="photos"``: background and shapes are random crops (flipped, rotated, brightness
    jittered) of real photographs shipped in ``datasets/textures/``; each shape is cut from a
    different photo than the background.  The mask is exact because we pasted the pixels ourselves;
    it is *not* a human annotation of objects in a photo.

    Image ``i`` depends only on ``(seed, i)``, so ``make_shapes(10)[0][:5]`` equals
    ``make_shapes(5)[0]``.

    Parameters
    ----------
    n : int
        Number of images.
    size : int
        Height and width in pixels (>= 16).
    seed : int
        Different seeds give different, independent datasets (use one for training, another for
        validation).
    num_classes : {2, 4}
        2: 0 = background, 1 = shape.  4: 0 = background, 1 = disc, 2 = rectangle, 3 = triangle
        (see ``SHAPE_CLASSES``); where shapes overlap the one drawn last wins.
    source : {"synthetic", "photos"}
    max_shapes : int
        Each image has 1..max_shapes shapes.
    noise : float
        Standard deviation of the Gaussian pixel noise.

    Returns
    -------
    images : ndarray, float32, shape (n, size, size, 3), values in [0, 1]
    masks : ndarray, uint8, shape (n, size, size), values in 0..num_classes-1

    Examples
    --------
    >>> x, y = make_shapes(4, size=32)
    >>> x.shape, x.dtype, y.shape, y.dtype
    ((4, 32, 32, 3), dtype('float32'), (4, 32, 32), dtype('uint8'))
    >>> sorted(np.unique(y).tolist())
    [0, 1]
    """
    n = check_int("n", n)
    size = check_int("size", size, 16)
    max_shapes = check_int("max_shapes", max_shapes)
    check_int("seed", seed, 0)
    if num_classes not in (2, 4):
        raise ValueError(
            f"num_classes must be 2 (background/shape) or 4 (background/disc/rectangle/triangle), "
            f"got {num_classes!r}."
        )
    if source not in _SOURCES:
        raise ValueError(f"source must be one of {_SOURCES}, got {source!r}.")
    if not (isinstance(noise, (int, float)) and 0 <= noise <= 1):
        raise ValueError(f"noise must be a number in [0, 1], got {noise!r}.")
    images = np.empty((n, size, size, 3), np.float32)
    masks = np.empty((n, size, size), np.uint8)
    for i in range(n):
        rng = np.random.default_rng([int(seed), i])
        images[i], masks[i] = _draw_image(rng, size, num_classes, max_shapes, float(noise), source)
    return images, masks


# --------------------------------------------------------------------------------------------
# Oxford-IIIT Pet
# --------------------------------------------------------------------------------------------
PETS_URL = "https://www.robots.ox.ac.uk/~vgg/data/pets/"

#: trimap value -> class, for ``num_classes`` 2 and 3
_TRIMAP_MAPPINGS = {
    2: {1: 1, 2: 0, 3: 1},  # pet and its border -> 1 ("pet"), background -> 0
    3: {1: 1, 2: 0, 3: 2},  # background 0, pet 1, border 2
}


def _pets_missing(what: Path) -> FileNotFoundError:
    return FileNotFoundError(
        f"{what} not found. load_oxford_pets needs the Oxford-IIIT Pet dataset, which you download "
        f"yourself from {PETS_URL} (images.tar.gz and annotations.tar.gz, about 800 MB). Extract "
        "both archives into one folder so that it contains images/*.jpg and "
        "annotations/trimaps/*.png, then pass that folder as root, e.g. "
        "load_oxford_pets('~/data/oxford-iiit-pet')."
    )


def load_oxford_pets(
    root,
    size: int = 128,
    limit: int | None = None,
    num_classes: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Load the Oxford-IIIT Pet dataset (downloaded by you) as square images and label masks.

    Expected layout (as the two archives extract)::

        root/images/Abyssinian_1.jpg ...
        root/annotations/trimaps/Abyssinian_1.png ...   (trimap: 1 = pet, 2 = background, 3 = border)

    Class mapping: with ``num_classes=2`` (default) pet *and* border -> 1, background -> 0 (the
    border is the uncertain outline band, which belongs to the animal); with ``num_classes=3``
    background 0, pet 1, border 2.  Images are resized to ``size x size`` bilinearly (aspect ratio
    not kept), masks with nearest neighbour so labels stay labels.

    Pairs are matched by file stem and read in sorted order.  Unreadable files, masks with values
    other than 1, 2, 3 and images without a trimap (or trimaps without an image) are skipped with
    a single warning that counts them.

    Parameters
    ----------
    root : str or Path
    size : int
        Output height and width (>= 4).
    limit : int, optional
        Stop after this many valid pairs.
    num_classes : {2, 3}

    Returns
    -------
    images : ndarray, float32, (n, size, size, 3) in [0, 1]
    masks : ndarray, uint8, (n, size, size)

    Raises
    ------
    FileNotFoundError
        If ``root``, ``root/images`` or ``root/annotations/trimaps`` does not exist (the message
        says where to get the data and where to put it), or no valid pair was found.

    Examples
    --------
    >>> load_oxford_pets("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: /nonexistent not found. load_oxford_pets needs the Oxford-IIIT Pet dataset...
    """
    size = check_int("size", size, 4)
    if limit is not None:
        limit = check_int("limit", limit)
    if num_classes not in _TRIMAP_MAPPINGS:
        raise ValueError(
            f"num_classes must be 2 (pet vs background) or 3 (background, pet, border), "
            f"got {num_classes!r}."
        )
    root = Path(root).expanduser()
    if not root.is_dir():
        raise _pets_missing(root)
    img_dir, tri_dir = root / "images", root / "annotations" / "trimaps"
    for d in (img_dir, tri_dir):
        if not d.is_dir():
            raise _pets_missing(d)
    images = {p.stem: p for p in img_dir.glob("*.jpg") if not p.name.startswith(".")}
    trimaps = {p.stem: p for p in tri_dir.glob("*.png") if not p.name.startswith(".")}
    unpaired = sorted(set(images) ^ set(trimaps))
    lut = np.zeros(256, np.uint8)
    for value, cls in _TRIMAP_MAPPINGS[num_classes].items():
        lut[value] = cls
    out_x, out_y, corrupt = [], [], []
    for stem in sorted(set(images) & set(trimaps)):
        if limit is not None and len(out_x) >= limit:
            break
        try:
            with Image.open(images[stem]) as im:
                x = (
                    np.asarray(
                        im.convert("RGB").resize((size, size), Image.BILINEAR), dtype=np.float32
                    )
                    / 255.0
                )
            with Image.open(trimaps[stem]) as tm:
                t = np.asarray(tm.convert("L").resize((size, size), Image.NEAREST))
        except (UnidentifiedImageError, OSError, ValueError):
            corrupt.append(stem)
            continue
        if not np.isin(t, (1, 2, 3)).all():
            corrupt.append(stem)
            continue
        out_x.append(x)
        out_y.append(lut[t])
    if corrupt or unpaired:
        examples = ", ".join((corrupt + unpaired)[:3])
        warnings.warn(
            f"load_oxford_pets skipped {len(corrupt) + len(unpaired)} file(s) under {root}: "
            f"{len(corrupt)} unreadable or with trimap values other than 1/2/3, {len(unpaired)} "
            f"without a matching image/trimap (e.g. {examples}).",
            stacklevel=2,
        )
    if not out_x:
        raise FileNotFoundError(
            f"no readable image/trimap pairs under {root} (images/*.jpg with matching "
            f"annotations/trimaps/*.png). Get the dataset from {PETS_URL}."
        )
    return np.stack(out_x), np.stack(out_y).astype(np.uint8)

"""Data: sample photos, synthetic shapes, real nuclei, augmentation, and loaders for your own folders.

Nothing here downloads anything.  Sources and licences: ``datasets/README.md``.

- :func:`make_shapes` draws a deterministic segmentation dataset: textured, noisy images with
  overlapping discs, rectangles and triangles, and their exact masks.  With ``source="photos"``
  the background and every shape are cut from *real photographs* (``datasets/textures/``), so the
  pictures are real-photo texture while the mask is still exact by construction.
- :func:`load_nuclei` is a real fluorescence image of cell nuclei with its hand-annotated instance
  labels (shipped); :func:`nuclei_split` splits it by region and :func:`extract_tiles` cuts tiles.
- :func:`elastic_deform` is Ronneberger et al.'s augmentation: a smooth random warp applied to an
  image and its mask together, with flips and 90-degree rotations.
- :func:`load_folder` (and :func:`load_image`) read your own images and masks from a folder.
- :func:`load_oxford_pets` reads the Oxford-IIIT Pet dataset from a folder you downloaded.

SciPy (``scipy.ndimage``) is imported inside the functions that use it, so that importing this
module stays quick for the lessons that never need it.
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
    "split_indices",
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
    "load_nuclei",
    "nuclei_split",
    "extract_tiles",
    "elastic_deform",
    "IMAGE_EXTENSIONS",
    "MASK_EXTENSIONS",
    "load_image",
    "load_folder",
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
# real data: nuclei (lesson 10)
# --------------------------------------------------------------------------------------------
#: (image file, labels file) of the nuclei image, relative to ``datasets/``
NUCLEI_FILES = ("nuclei/image.png", "nuclei/labels.png")
NUCLEI_SHAPE = (512, 512)


def load_nuclei() -> tuple[np.ndarray, np.ndarray]:
    """A real fluorescence image of cell nuclei and its hand-annotated instance labels.

    The image is ``img2d.tif`` of the ``stardist`` package's sample data, a 512x512 image from
    the 2018 Data Science Bowl (BBBC038, Caicedo et al., 2019), with its instance mask
    ``mask2d.tif``: 125 nuclei, many of them touching.  Shipped in ``datasets/nuclei/`` as PNG
    (source and licences: ``datasets/README.md``).

    Returns
    -------
    image : ndarray, float32, shape (512, 512), values in [0, 1]
        The stored 8-bit values divided by 255 (the original pixels are 0..235).
    labels : ndarray, int32, shape (512, 512)
        0 = background, 1..125 = one id per nucleus.  The file keeps the annotators' ids (1..183,
        with gaps); here they are renumbered 1..125 in the same order.

    Raises
    ------
    FileNotFoundError
        If a file of ``datasets/nuclei/`` is missing.
    ValueError
        If a file is unreadable or not what was shipped (mode, size).

    Examples
    --------
    >>> image, labels = load_nuclei()
    >>> image.shape, image.dtype, labels.shape, int(labels.max())
    ((512, 512), dtype('float32'), (512, 512), 125)
    """
    img = _open_shipped(NUCLEI_FILES[0], "nuclei image")
    lab = _open_shipped(NUCLEI_FILES[1], "nuclei labels")
    for im, relpath, modes in (
        (img, NUCLEI_FILES[0], ("L",)),
        (lab, NUCLEI_FILES[1], ("I;16", "I;16B", "I;16L", "I")),
    ):
        if im.mode not in modes or im.size != NUCLEI_SHAPE[::-1]:
            path = DATASETS_DIR / relpath
            raise ValueError(
                f"{path} is not the shipped file (mode {im.mode}, size {im.size}; expected mode "
                f"{modes[0]}, size {NUCLEI_SHAPE}); restore it with `git checkout -- {path}`."
            )
    image = np.asarray(img, dtype=np.float32) / np.float32(255.0)
    raw = np.asarray(lab).astype(np.int64)
    ids, inverse = np.unique(raw, return_inverse=True)
    if ids[0] != 0:  # every pixel a nucleus: no background
        inverse = inverse + 1
    return image, inverse.reshape(raw.shape).astype(np.int32)


def nuclei_split(shape=NUCLEI_SHAPE, tile: int = 64, stride: int = 32) -> dict:
    """Split an image by *region* into training tiles, validation tiles and a held-out test quadrant.

    Design (for the nuclei image, and for any one large image of shape ``(H, W)``)::

        +-----------+-----------+     rows 0..H/2:          training
        |   train   |   train   |     rows H/2..H, cols 0..W/4:  validation
        +-----+-----+-----------+     rows H/2..H, cols W/4..W/2: training
        | val |train|   TEST    |     rows H/2..H, cols W/2..W:  test (bottom-right quadrant)
        +-----+-----+-----------+

    - **test**: the bottom-right quadrant, kept whole; no training or validation tile touches it,
      so the network never sees a pixel of it before it is scored.
    - **training** tiles of ``tile x tile`` pixels, one every ``stride`` pixels (overlapping when
      ``stride < tile``), lying *entirely* inside the training region.
    - **validation** tiles, not overlapping each other (stride = ``tile``), entirely inside the
      validation region, which shares no pixel with the training region.

    Splitting by region rather than by random tiles is what makes the scores honest: neighbouring
    or overlapping tiles share pixels and nuclei, so a random split of tiles leaks.  A nucleus
    cut by a region's border has its pixels on both sides; only the pixels inside a region
    belong to it.

    Parameters
    ----------
    shape : (H, W)
        Image size (default: the nuclei image's 512x512).
    tile : int
        Side of the square tiles (>= 4); the validation region ``H/2 x W/4`` must hold one.
    stride : int
        Step between neighbouring training tiles (>= 1).

    Returns
    -------
    dict
        ``"regions"``: int8 ``(H, W)`` map, 0 = training, 1 = validation, 2 = test;
        ``"train"``, ``"val"``: int ``(n, 2)`` arrays of tile corners ``(row, col)`` (use
        :func:`extract_tiles`); ``"test"``: a tuple of two slices, so ``image[split["test"]]`` is
        the test quadrant; ``"tile"``: the tile size.

    Examples
    --------
    >>> split = nuclei_split(tile=64, stride=32)
    >>> len(split["train"]), len(split["val"]), split["test"]
    (129, 8, (slice(256, 512, None), slice(256, 512, None)))
    """
    try:
        h, w = shape
    except (TypeError, ValueError):
        raise ValueError(f"shape must be (H, W), two integers, got {shape!r}.") from None
    h, w = check_int("shape (height)", h), check_int("shape (width)", w)
    tile = check_int("tile", tile, 4)
    stride = check_int("stride", stride)
    h2, w2, w4 = h // 2, w // 2, w // 4
    if tile > min(h2, w4):
        raise ValueError(
            f"tile {tile} does not fit in the validation region ({h2}x{w4} pixels, a quarter of "
            f"the image's width and half its height); use tile <= {min(h2, w4)}."
        )
    regions = np.zeros((h, w), np.int8)
    regions[h2:, :w4] = 1
    regions[h2:, w2:] = 2

    def corners(label: int, step: int) -> np.ndarray:
        inside = regions == label
        # fraction of each tile inside the region, from a summed-area table: a tile is kept when
        # all of its pixels are inside
        sat = np.pad(inside.astype(np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
        rows = np.arange(0, h - tile + 1, step)
        cols = np.arange(0, w - tile + 1, step)
        r, c = np.meshgrid(rows, cols, indexing="ij")
        count = sat[r + tile, c + tile] - sat[r, c + tile] - sat[r + tile, c] + sat[r, c]
        keep = count == tile * tile
        return np.stack([r[keep], c[keep]], axis=1)

    return {
        "regions": regions,
        "train": corners(0, stride),
        "val": corners(1, tile),
        "test": (slice(h2, h), slice(w2, w)),
        "tile": tile,
    }


def split_indices(
    n: int, seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.15
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of a seeded train / validation / test split of ``n`` items.

    The order is ``numpy.random.default_rng(seed).permutation(n)``: the same seed gives the same
    split on every machine.  Validation and test get ``round(fraction * n)`` items each, at least
    one; training gets the rest, at least one.

    Examples
    --------
    >>> train, val, test = split_indices(20, seed=0)
    >>> len(train), len(val), len(test)
    (14, 3, 3)
    >>> sorted(np.concatenate([train, val, test]).tolist()) == list(range(20))
    True
    """
    for name, f in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not (isinstance(f, (int, float)) and 0 <= f < 1):
            raise ValueError(f"{name} must be a number in [0, 1), got {f!r}.")
    n = check_int("n", n, 0)
    n_val = max(1, int(round(val_fraction * n)))
    n_test = max(1, int(round(test_fraction * n)))
    if n - n_val - n_test < 1:
        raise ValueError(
            f"need at least 3 images to split into train, validation and test, got {n}; "
            "annotate a few more (20 or more give more trustworthy scores)."
        )
    order = np.random.default_rng(check_int("seed", seed, 0)).permutation(n)
    n_train = n - n_val - n_test
    return order[:n_train], order[n_train : n_train + n_val], order[n_train + n_val :]


def extract_tiles(array, corners, tile: int) -> np.ndarray:
    """Cut ``tile x tile`` tiles at the given top-left corners: (H, W, ...) -> (n, tile, tile, ...).

    Examples
    --------
    >>> a = np.arange(16).reshape(4, 4)
    >>> extract_tiles(a, [(0, 0), (2, 2)], 2).tolist()
    [[[0, 1], [4, 5]], [[10, 11], [14, 15]]]
    """
    a = np.asarray(array)
    tile = check_int("tile", tile)
    c = np.asarray(corners, dtype=np.int64).reshape(-1, 2)
    if a.ndim < 2:
        raise ValueError(f"array must be an image (H, W) or (H, W, C), got shape {a.shape}.")
    if len(c) and (
        c.min() < 0 or (c[:, 0] + tile).max() > a.shape[0] or (c[:, 1] + tile).max() > a.shape[1]
    ):
        raise ValueError(
            f"a {tile}x{tile} tile at one of the corners leaves the {a.shape[0]}x{a.shape[1]} "
            "image; corners must satisfy 0 <= row <= H - tile and 0 <= col <= W - tile."
        )
    return (
        np.stack([a[r : r + tile, q : q + tile] for r, q in c]) if len(c) else a[:0, :tile, :tile]
    )


# --------------------------------------------------------------------------------------------
# elastic deformation (Ronneberger et al., 2015)
# --------------------------------------------------------------------------------------------
def elastic_deform(
    image,
    mask,
    sigma: float = 10.0,
    grid: int = 3,
    seed: int = 0,
    flip: bool = True,
    rotate: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Warp an image and its mask with the same smooth random deformation, then flip and rotate.

    Ronneberger et al. (2015, section 3.1): "We generate smooth deformations using random
    displacement vectors on a coarse 3 by 3 grid. The displacements are sampled from a Gaussian
    distribution with 10 pixels standard deviation. Per-pixel displacements are then computed
    using bicubic interpolation."  The defaults are those: ``grid=3``, ``sigma=10``.

    1. Draw a displacement ``(dy, dx)`` for each point of a ``grid x grid`` lattice spread over
       the image (corners included), from a Gaussian with standard deviation ``sigma`` pixels.
    2. Interpolate the lattice to every pixel with cubic splines (``scipy.ndimage``'s order-3
       spline, the paper's "bicubic interpolation"): a smooth displacement field.
    3. Output pixel ``(y, x)`` takes the input at ``(y + dy, x + dx)``: the image by linear
       interpolation, the mask by *nearest neighbour*, so the mask keeps exactly its label values.
       Outside the border the input is mirrored.
    4. With ``flip``, a left-right flip with probability 1/2; with ``rotate``, a rotation by
       0, 90, 180 or 270 degrees (0 or 180 for a non-square image, so its shape stays).

    Every random number comes from ``numpy.random.default_rng(seed)``, drawn in the same order
    whatever the flags: the same seed gives the same warp.

    Parameters
    ----------
    image : array, shape (H, W) or (H, W, C)
    mask : integer array, shape (H, W)
        Class or instance labels (any integer or bool dtype, kept).
    sigma : float
        Standard deviation of the lattice displacements in pixels (>= 0; 0 = no warp).
    grid : int
        Lattice points per side (>= 2); more points give a wrinklier warp.
    seed : int
    flip, rotate : bool

    Returns
    -------
    image : ndarray, float32, same shape as ``image``
    mask : ndarray, same shape and dtype as ``mask``; its values are a subset of the input's

    Examples
    --------
    >>> img = np.zeros((32, 32), np.float32); img[8:24, 8:24] = 1
    >>> out, m = elastic_deform(img, (img > 0).astype(np.uint8), seed=1)
    >>> out.shape, m.dtype, sorted(np.unique(m).tolist())
    ((32, 32), dtype('uint8'), [0, 1])
    """
    from scipy import ndimage

    img = np.asarray(image)
    m = np.asarray(mask)
    if img.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {img.shape}.")
    if m.shape != img.shape[:2]:
        raise ValueError(
            f"mask must be (H, W) = {img.shape[:2]}, the image's height and width; got shape "
            f"{m.shape}. For a one-hot mask pass mask.argmax(-1)."
        )
    if not (np.issubdtype(m.dtype, np.integer) or m.dtype == bool):
        raise ValueError(
            f"mask must hold integer labels, got dtype {m.dtype}; e.g. pass (mask > 0.5).astype('uint8')."
        )
    if not (isinstance(sigma, (int, float, np.number)) and np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma must be a number >= 0 (pixels), got {sigma!r}.")
    grid = check_int("grid", grid, 2)
    seed = check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    coarse = rng.normal(0.0, float(sigma), (2, grid, grid))
    k = int(rng.integers(4))
    mirror = bool(rng.random() < 0.5)

    h, w = m.shape
    out_img = img.astype(np.float32)
    out_mask = m
    if sigma > 0:
        # lattice point i sits at pixel i * (H - 1) / (grid - 1); the cubic spline through the
        # lattice is separable: field = B_rows @ lattice @ B_cols.T, with B the spline's weights
        # of each lattice point at each pixel (the same numbers as map_coordinates(order=3) on
        # the 2-D lattice, much faster)
        def basis(n: int) -> np.ndarray:
            at = [np.linspace(0, grid - 1, n)]
            return np.stack(
                [ndimage.map_coordinates(e, at, order=3, mode="mirror") for e in np.eye(grid)],
                axis=1,
            )

        rows, cols = basis(h), basis(w)
        dy, dx = (rows @ c @ cols.T for c in coarse)
        yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        coords = np.stack([yy + dy, xx + dx])
        chans = out_img[..., None] if img.ndim == 2 else out_img
        warped = [
            ndimage.map_coordinates(chans[..., i], coords, order=1, mode="mirror")
            for i in range(chans.shape[-1])
        ]
        out_img = np.stack(warped, axis=-1).astype(np.float32)
        if img.ndim == 2:
            out_img = out_img[..., 0]
        src = m.astype(np.uint8) if m.dtype == bool else m
        out_mask = ndimage.map_coordinates(src, coords, order=0, mode="mirror").astype(m.dtype)
    if rotate:
        turns = k if h == w else 2 * (k % 2)
        out_img = np.rot90(out_img, turns, axes=(0, 1))
        out_mask = np.rot90(out_mask, turns, axes=(0, 1))
    if flip and mirror:
        out_img = out_img[:, ::-1]
        out_mask = out_mask[:, ::-1]
    return np.ascontiguousarray(out_img), np.ascontiguousarray(out_mask)


# --------------------------------------------------------------------------------------------
# your own folder of images and masks
# --------------------------------------------------------------------------------------------
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
MASK_EXTENSIONS = (".png", ".tif", ".tiff")
_EIGHT_BIT_MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr")


def _files_by_stem(folder: Path, extensions: tuple[str, ...], what: str) -> dict[str, Path]:
    """stem -> path of the files in ``folder`` with one of ``extensions`` (hidden files ignored)."""
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or not p.is_file() or p.suffix.lower() not in extensions:
            continue
        if p.stem in found:
            raise ValueError(
                f"two {what} files share the name {p.stem!r}: {found[p.stem].name} and {p.name} in "
                f"{folder}. Keep one of them (files are paired with their mask by name)."
            )
        found[p.stem] = p
    return found


def _open_user_file(path: Path) -> Image.Image:
    try:
        with Image.open(path) as im:
            im.load()
            return im.copy()
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise ValueError(
            f"cannot read {path} ({err}). Open it in an image viewer; if it is damaged, export it "
            "again (PNG is safest) or remove it together with its image/mask."
        ) from err


def load_image(path) -> np.ndarray:
    """Read one image file as float32 RGB ``(h, w, 3)`` in ``[0, 1]``, the way :func:`load_folder` does.

    Normalisation (one rule for every file):

    - **8-bit** images (PNG, JPEG, 8-bit TIFF; grayscale, palette, RGB, RGBA): divided by 255;
      an alpha channel is dropped.
    - **16-bit, 32-bit and float** images (e.g. microscopy TIFFs): scaled per image to the full
      range, ``(x - min) / (max - min)`` (a constant image becomes 0).  Their useful range is
      rarely the type's whole range (a 12-bit camera fills 0..4095 of 0..65535), so dividing by
      65535 would leave them almost black.
    - Grayscale is repeated into 3 channels.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "g.png")
    >>> Image.fromarray(np.array([[0, 255]], np.uint8)).save(path)
    >>> load_image(path).tolist()
    [[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]]
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"image {path} not found; check the path.")
    im = _open_user_file(path)
    if im.mode in _EIGHT_BIT_MODES:
        return np.asarray(im.convert("RGB"), dtype=np.float32) / np.float32(255.0)
    a = np.asarray(im).astype(np.float64)
    if a.ndim == 3:  # multi-channel 16-bit/float: keep up to 3 channels
        a = a[..., :3] if a.shape[2] >= 3 else np.repeat(a[..., :1], 3, axis=2)
    if not np.isfinite(a).all():
        raise ValueError(f"{path} contains NaN or infinite values; fix or remove it.")
    lo, hi = a.min(), a.max()
    a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    return a.astype(np.float32)


def _read_mask(path: Path) -> np.ndarray:
    """A mask file as an int64 (h, w) label array (checks colour and float masks)."""
    im = _open_user_file(path)
    if im.mode == "F":
        raise ValueError(
            f"mask {path} holds floating-point values; save masks as integer labels "
            "(0 = background, 1, 2, ... or 0/255), e.g. as an 8- or 16-bit PNG."
        )
    a = np.asarray(im)
    if a.ndim == 3:  # RGB(A) or LA: accepted when it is gray stored as colour
        colour = a[..., :3] if a.shape[2] >= 3 else a[..., :1]
        if not (colour == colour[..., :1]).all():
            raise ValueError(
                f"mask {path} is a colour image with different R, G, B values; masks must be "
                "single-channel labels (0 = background, 1, 2, ...). Convert each colour to its "
                "class index and save as grayscale PNG."
            )
        a = colour[..., 0]
    return a.astype(np.int64)


def _check_size(size) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (size, size)
    try:
        h, w = size
    except (TypeError, ValueError):
        raise ValueError(
            f"size must be None (keep the files' size), an int or (height, width), got {size!r}."
        ) from None
    return check_int("size (height)", h), check_int("size (width)", w)


def _resize_float(a: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float (h, w, C) array to hw = (H, W), channel by channel."""
    return np.stack(
        [
            np.asarray(
                Image.fromarray(np.ascontiguousarray(a[:, :, c]), mode="F").resize(
                    (hw[1], hw[0]), Image.BILINEAR
                )
            )
            for c in range(a.shape[2])
        ],
        axis=-1,
    )


def _list_examples(names: list[str], n: int = 5) -> str:
    more = f" and {len(names) - n} more" if len(names) > n else ""
    return ", ".join(names[:n]) + more


def load_folder(
    images_dir,
    masks_dir,
    size=None,
    num_classes: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Load your own images and their masks from two folders, paired by file name.

    Layout::

        images_dir/cell01.png   masks_dir/cell01.png      (or .tif/.tiff)
        images_dir/cell02.jpg   masks_dir/cell02.png
        ...

    - **Pairs by stem**: ``cell01.jpg`` goes with ``cell01.png``.  Images may be PNG, JPEG or
      TIFF (``IMAGE_EXTENSIONS``), masks PNG or TIFF (``MASK_EXTENSIONS``; never JPEG, whose
      compression changes label values).  Other files and hidden files are ignored.  Pairs are
      returned sorted by stem.
    - **Images** are read with :func:`load_image`: 8-bit files divided by 255; 16-bit, 32-bit and
      float files (e.g. TIFF from a microscope) scaled per image, ``(x - min) / (max - min)``;
      grayscale repeated into 3 channels.
    - **Masks**: with ``num_classes=2`` every non-zero value is foreground (1), which covers 0/1
      masks, 0/255 masks and instance labels (0 = background, 1..n one per object).  With more
      classes the values are class indices ``0..num_classes-1``.  Gray masks saved as RGB are
      accepted; colour-coded masks are not.
    - **Size**: ``size=None`` keeps the files' size (all must then be the same); an int or
      ``(height, width)`` resizes images bilinearly and masks by nearest neighbour (so labels
      stay labels).

    Everything is checked before anything is returned; any problem raises an error that names the
    file and says what to do (nothing is skipped or loaded half-way).

    Parameters
    ----------
    images_dir, masks_dir : str or Path
    size : None, int or (int, int)
    num_classes : int
        2 (background / foreground) up to 256.

    Returns
    -------
    images : ndarray, float32, (n, h, w, 3), values in [0, 1]
    masks : ndarray, uint8, (n, h, w), values in 0..num_classes-1

    Raises
    ------
    FileNotFoundError
        A folder is missing, or holds no image / mask files.
    ValueError
        An image without a mask (or the reverse), two files with the same stem, an unreadable
        file, an image and its mask of different sizes, images of different sizes with
        ``size=None``, a colour or float mask, a class value >= ``num_classes``, a bad ``size``
        or ``num_classes``.

    Examples
    --------
    >>> import tempfile, os
    >>> root = tempfile.mkdtemp()
    >>> for sub in ("images", "masks"):
    ...     os.mkdir(os.path.join(root, sub))
    >>> img = np.zeros((6, 8), np.uint8); img[2:4, 2:6] = 200
    >>> Image.fromarray(img).save(os.path.join(root, "images", "a.png"))
    >>> Image.fromarray((img > 0).astype(np.uint8) * 255).save(os.path.join(root, "masks", "a.png"))
    >>> x, y = load_folder(os.path.join(root, "images"), os.path.join(root, "masks"))
    >>> x.shape, y.shape, y.dtype, int(y.sum())
    ((1, 6, 8, 3), (1, 6, 8), dtype('uint8'), 8)
    """
    hw = _check_size(size)
    num_classes = check_int("num_classes", num_classes, 2, 256)
    folders = []
    for what, d, exts in (
        ("images", images_dir, IMAGE_EXTENSIONS),
        ("masks", masks_dir, MASK_EXTENSIONS),
    ):
        d = Path(d).expanduser()
        if not d.is_dir():
            raise FileNotFoundError(
                f"{what} folder {d} not found. Put your {what} in a folder (e.g. PATH/{what}/) "
                f"and pass its path; masks must have the same file names as their images."
            )
        files = _files_by_stem(d, exts, what[:-1])
        if not files:
            raise FileNotFoundError(
                f"no {what[:-1]} files in {d}: expected files ending in {', '.join(exts)}"
                + (
                    " (masks must not be JPEG: its compression changes label values)"
                    if what == "masks"
                    else ""
                )
                + "."
            )
        folders.append((d, files))
    (img_dir, images), (mask_dir, masks) = folders
    lonely = sorted(set(images) - set(masks))
    if lonely:
        raise ValueError(
            f"{len(lonely)} image(s) without a mask: "
            f"{_list_examples([images[s].name for s in lonely])}. Add a mask with the same name "
            f"(e.g. {mask_dir / (lonely[0] + '.png')}) or move the image out of {img_dir}."
        )
    orphans = sorted(set(masks) - set(images))
    if orphans:
        raise ValueError(
            f"{len(orphans)} mask(s) without an image: "
            f"{_list_examples([masks[s].name for s in orphans])}. Add the image with the same "
            f"name to {img_dir} or move the mask out of {mask_dir}."
        )
    out_x, out_y, first = [], [], None
    for stem in sorted(images):
        x = load_image(images[stem])
        m = _read_mask(masks[stem])
        if m.shape != x.shape[:2]:
            raise ValueError(
                f"image {images[stem]} is {x.shape[0]}x{x.shape[1]} (height x width) but its mask "
                f"{masks[stem]} is {m.shape[0]}x{m.shape[1]}; a mask must have its image's size "
                "(export both at the same size; do not crop or resize one of them alone)."
            )
        if m.size and m.min() < 0:
            raise ValueError(f"mask {masks[stem]} has negative values; labels must be >= 0.")
        if num_classes == 2:
            m = m > 0
        elif m.max(initial=0) >= num_classes:
            found = np.unique(m)
            shown = ", ".join(str(v) for v in found[:10]) + (" ..." if len(found) > 10 else "")
            raise ValueError(
                f"mask {masks[stem]} has value {int(found[-1])} but num_classes={num_classes} "
                f"allows 0..{num_classes - 1} (values found: {shown}). Masks must hold class "
                "indices; for a 0/255 or instance mask use num_classes=2; if 255 marks pixels to "
                "ignore, set them to a class first."
            )
        m = m.astype(np.uint8)
        if hw is None:
            if first is None:
                first = (images[stem], x.shape[:2])
            elif x.shape[:2] != first[1]:
                raise ValueError(
                    f"the images differ in size: {first[0].name} is {first[1][0]}x{first[1][1]} "
                    f"but {images[stem].name} is {x.shape[0]}x{x.shape[1]} (height x width). Pass "
                    "size=(height, width) (or one int for squares) to resize them all."
                )
        else:
            if x.shape[:2] != hw:
                x = np.clip(_resize_float(x, hw), 0.0, 1.0)
                m = np.asarray(Image.fromarray(m).resize((hw[1], hw[0]), Image.NEAREST))
        out_x.append(x)
        out_y.append(m)
    return np.stack(out_x).astype(np.float32), np.stack(out_y).astype(np.uint8)


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
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Load the Oxford-IIIT Pet dataset (downloaded by you) as square images and label masks.

    Expected layout (as the two archives extract)::

        root/images/Abyssinian_1.jpg ...
        root/annotations/trimaps/Abyssinian_1.png ...   (trimap: 1 = pet, 2 = background, 3 = border)

    Class mapping: with ``num_classes=2`` (default) pet *and* border -> 1, background -> 0 (the
    border is the uncertain outline band, which belongs to the animal); with ``num_classes=3``
    background 0, pet 1, border 2.  Images are resized to ``size x size`` bilinearly (aspect ratio
    not kept), masks with nearest neighbour so labels stay labels.

    Pairs are matched by file stem and shuffled with ``seed`` before they are read, so ``limit``
    draws from every breed (the file names are sorted by breed: ``Abyssinian_1`` ...
    ``yorkshire_terrier_190``, and the first 900 of them are 5 cat breeds).  Unreadable files, masks with values
    other than 1, 2, 3 and images without a trimap (or trimaps without an image) are skipped with
    a single warning that counts them.

    Parameters
    ----------
    root : str or Path
    size : int
        Output height and width (>= 4).
    limit : int, optional
        Stop after this many valid pairs (a seeded random sample of the folder).
    num_classes : {2, 3}
    seed : int
        Order in which the pairs are read (the same seed gives the same images in the same order).

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
    seed = check_int("seed", seed, 0)
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
    stems = sorted(set(images) & set(trimaps))
    order = np.random.default_rng(seed).permutation(len(stems))
    for stem in (stems[i] for i in order):
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

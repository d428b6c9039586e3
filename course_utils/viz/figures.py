"""Static matplotlib figures for the lessons: images in a row, feature-map grids, training
curves, and lesson 01's padding diagram.

Every function returns the ``Figure`` (the lesson ends the cell with ``plt.show()``).
matplotlib's pyplot is imported when a figure is drawn, not when the module is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .. import ops
from .._validate import check_int
from .png import CONTOUR_COLORS, contour_overlay, value_range

__all__ = ["show_images", "feature_map_grid", "plot_history", "padding_diagram", "show_contours"]


def show_images(
    images: Sequence,
    titles: Sequence[str] | None = None,
    cmap: str = "gray",
    vrange="auto",
    size: float = 3.0,
):
    """A row of images with titles; returns the matplotlib ``Figure``.

    Examples
    --------
    >>> import numpy as np
    >>> fig = show_images([np.zeros((4, 4)), np.ones((4, 4))], ["a", "b"])
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    n = len(images)
    if n == 0:
        raise ValueError("show_images needs at least one image.")
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {n} images but {len(titles)} titles.")
    fig, axes = plt.subplots(1, n, figsize=(size * n, size), squeeze=False)
    for i, (ax, img) in enumerate(zip(axes[0], images, strict=True)):
        a = np.asarray(img)
        if a.ndim == 3 and a.shape[2] == 3:
            ax.imshow(np.clip(a, 0, 1) if a.dtype != np.uint8 else a)
        else:
            a = a[:, :, 0] if a.ndim == 3 else a
            lo, hi = value_range(a, vrange)
            ax.imshow(a, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[i])
        ax.axis("off")
    fig.tight_layout()
    return fig


def feature_map_grid(
    fmap,
    max_channels: int = 16,
    cols: int = 8,
    cmap: str = "viridis",
    title: str | None = None,
    size: float = 1.6,
):
    """Grid of the channels of one feature map ``(H, W, C)`` (or ``(1, H, W, C)``).

    Each channel gets its own colour range, so weak channels stay visible.

    Examples
    --------
    >>> import numpy as np
    >>> fig = feature_map_grid(np.random.default_rng(0).random((8, 8, 4)), cols=2)
    >>> len([ax for ax in fig.axes if ax.images])
    4
    """
    import matplotlib.pyplot as plt

    a = np.asarray(fmap)
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise ValueError(f"fmap must be (H, W, C) or (1, H, W, C), got shape {np.shape(fmap)}.")
    n = min(a.shape[2], max_channels)
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < n:
            ax.imshow(a[:, :, i], cmap=cmap, interpolation="nearest")
            ax.set_title(f"ch {i}", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(history: Mapping[str, Sequence[float]], keys: Sequence[str] | None = None):
    """Training curves from a Keras ``History.history``-like dict (one panel per metric).

    ``val_*`` entries are drawn in the same panel as their training metric.

    Examples
    --------
    >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    >>> len(fig.axes)
    1
    """
    import matplotlib.pyplot as plt

    base = [k for k in history if not k.startswith("val_") and k not in ("epoch", "lr")]
    keys = list(keys) if keys is not None else base
    if not keys:
        raise ValueError(f"no metrics to plot in history with keys {list(history)}.")
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3), squeeze=False)
    for ax, k in zip(axes[0], keys, strict=True):
        if k not in history:
            raise ValueError(f"{k!r} is not in the history; available: {list(history)}.")
        epochs = np.arange(1, len(history[k]) + 1)
        ax.plot(epochs, history[k], "o-", label="train")
        if f"val_{k}" in history:
            ax.plot(epochs, history[f"val_{k}"], "s--", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(k)
        ax.legend()
    fig.tight_layout()
    return fig


def show_contours(image, prediction=None, truth=None, title: str | None = None, ax=None, width=1):
    """:func:`~course_utils.viz.png.contour_overlay` drawn on an axis, with a legend for the two
    outline colours (truth cyan, prediction yellow); returns the ``Figure``.

    Examples
    --------
    >>> t = np.zeros((8, 8), int); t[2:6, 2:6] = 1
    >>> fig = show_contours(np.zeros((8, 8)), prediction=t, truth=t, title="one square")
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['truth', 'prediction']
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    ax.imshow(contour_overlay(image, prediction, truth, width=width), interpolation="nearest")
    shown = [
        (n, lab) for n, lab in (("truth", truth), ("prediction", prediction)) if lab is not None
    ]
    if shown:
        handles = [Patch(color=np.array(CONTOUR_COLORS[n]) / 255, label=n) for n, _ in shown]
        ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.8)
    if title:
        ax.set_title(title, fontsize=10)
    ax.axis("off")
    return ax.figure


def padding_diagram(n: int, k: int, stride: int, padding="same", ax=None):
    """Draw where a 1-D window of size ``k`` slides over ``n`` pixels (Dumoulin & Visin style).

    The top row is the input: blue cells ``0 .. n-1`` with the zeros that ``padding`` adds drawn
    as dashed white cells (before and after, as :func:`course_utils.ops.pad_amounts` computes
    them). Below it, one row per output position shows the window that output reads (shaded)
    and the output cell (teal) with its index. Pixels no window reads keep a plain outline.

    Parameters
    ----------
    n, k, stride : int
        Input length, kernel (window) size and stride, all >= 1.
    padding : "valid", "same" or int
        As in :func:`course_utils.ops.conv2d`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = padding_diagram(6, 3, 2, "same")
    >>> fig.axes[0].get_title()
    "n=6, k=3, stride 2, padding='same': pad (0, 1), 3 outputs"
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    n, k, stride = check_int("n", n), check_int("k", k), check_int("stride", stride)
    before, after = ops.pad_amounts(n, k, stride, padding)
    total = before + n + after
    if total < k:
        raise ValueError(
            f"the window (k={k}) is larger than the padded input ({total} pixels): "
            "use a smaller k or more padding."
        )
    n_out = ops.conv_output_size(n, k, stride, padding)
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.42 * total + 1.6, 0.42 * (n_out + 2) + 0.5))
    else:
        fig = ax.figure
    blue, teal, shade = "#9ecae1", "#41b6a6", "#fdae6b"
    for c in range(total):
        x = c - before  # input index; outside [0, n) it is a padded zero
        inside = 0 <= x < n
        ax.add_patch(
            Rectangle(
                (c, 0),
                1,
                1,
                facecolor=blue if inside else "white",
                edgecolor="0.3",
                ls="-" if inside else "--",
                lw=1,
            )
        )
        ax.text(
            c + 0.5,
            0.5,
            str(x) if inside else "0",
            ha="center",
            va="center",
            fontsize=9,
            color="black" if inside else "0.5",
        )
    for o in range(n_out):
        y = -(o + 1.3)
        start = o * stride
        ax.add_patch(Rectangle((start, y), k, 1, facecolor=shade, edgecolor="0.2", alpha=0.8))
        ax.plot([start + k / 2, start + k / 2], [y + 1, 0], color="0.6", lw=0.6, zorder=0)
        ax.add_patch(Rectangle((total + 0.6, y), 1, 1, facecolor=teal, edgecolor="0.2"))
        ax.text(total + 1.1, y + 0.5, str(o), ha="center", va="center", fontsize=9)
        ax.annotate(
            "",
            xy=(total + 0.6, y + 0.5),
            xytext=(start + k, y + 0.5),
            arrowprops=dict(arrowstyle="->", color="0.4", lw=0.8),
        )
    ax.text(-0.2, 0.5, "input", ha="right", va="center", fontsize=9)
    ax.text(total + 1.1, 1.3, "output", ha="center", va="center", fontsize=9)
    ax.set_xlim(-1.6, total + 2)
    ax.set_ylim(-(n_out + 0.6), 1.8)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(
        f"n={n}, k={k}, stride {stride}, padding={padding!r}: pad ({before}, {after}), "
        f"{n_out} outputs",
        fontsize=10,
    )
    return fig

"""The U-Net's layout as pictures, drawn from :func:`course_utils.models.describe`.

``models.describe`` owns the layout: each layer's role, inputs, window, level (2x
downsamplings from the input) and part of the "U" (encoder, bottleneck, decoder).  The pictures
here read those fields and guess nothing from names or shapes:

* :func:`unet_diagram`: the whole network as a "U" of blocks (matplotlib, lesson 08);
* :func:`u_picture`: the "where in the U" map of the layer walk (RGB, every slider move).

Neither imports Keras: a model passed to :func:`unet_diagram` is described through ``models``
(which a caller holding a model has loaded already).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from .._validate import check_int
from .png import _font

__all__ = ["unet_diagram", "u_picture"]

_ROLES = ("input", "conv", "pool", "up", "concat", "classifier", "other")
_PART_COLORS = {
    "input": "#d9d9d9",
    "encoder": "#9ecae1",
    "bottleneck": "#fdd0a2",
    "decoder": "#a1d99b",
    "classifier": "#fc9272",
}


def _layers(model_or_layers) -> tuple:
    """``models.describe(model)`` for a model; a given description is checked and kept."""
    if hasattr(model_or_layers, "layers") and hasattr(model_or_layers, "count_params"):
        from ..models import describe  # a model exists, so Keras is loaded already

        return describe(model_or_layers)
    try:
        layers = tuple(model_or_layers)
    except TypeError:
        raise ValueError(
            "unet_diagram needs a keras.Model or the layers models.describe(model) returns."
        ) from None
    if not layers:
        raise ValueError("unet_diagram needs at least one layer.")
    for ly in layers:
        if not all(hasattr(ly, a) for a in ("name", "role", "shape", "inputs", "level", "part")):
            raise ValueError(
                f"{ly!r} is not a layer description: pass models.describe(model) (LayerInfo "
                "rows with name, role, shape, inputs, level and part), or the model itself."
            )
        if ly.role not in _ROLES:
            raise ValueError(f"layer {ly.name!r}: role must be one of {_ROLES}, got {ly.role!r}.")
        if len(ly.shape) != 3:
            raise ValueError(f"layer {ly.name!r}: shape must be (H, W, C), got {ly.shape!r}.")
        if ly.part not in _PART_COLORS:
            raise ValueError(
                f"layer {ly.name!r}: part must be one of {list(_PART_COLORS)}, got {ly.part!r}."
            )
    return layers


def unet_diagram(model_or_layers, title: str | None = None, size: float = 1.3):
    """Draw a U-Net as a "U": one box per conv block, at a height set by its level.

    Consecutive convolutions with the same name prefix and output shape (``enc1_conv1``,
    ``enc1_conv2`` -> ``enc1``) form one block.  Convolution blocks (and the input and the
    classifier) are boxes showing the block name, what it does and its output shape ``H×W×C``;
    a box drawn lower has a smaller feature map (one row per level of
    :func:`course_utils.models.describe`).  Pooling and upsampling are the labelled arrows
    between the boxes, and each concatenation is the dashed skip line from the layer it copies
    (its input in ``describe``) into the decoder (the label gives the channel sum).  Encoder,
    bottleneck and decoder boxes have their own colours (``describe``'s parts; see the legend).
    The text is 10-11 pt: at the default ``size`` the seed's network is about 950 pixels wide, so
    a notebook shows it at (almost) its natural size, with the box text at body size.

    Parameters
    ----------
    model_or_layers : keras.Model or sequence of LayerInfo
        A model (e.g. ``models.unet()``) or ``models.describe(model)``.
    title : str, optional
    size : float
        Width in inches per box.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from course_utils import models
    >>> fig = unet_diagram(models.unet((16, 16, 3), base_filters=2))
    >>> sorted(t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("skip"))
    ['skip4: concat 4 + 8 = 12 channels', 'skip5: concat 2 + 4 = 6 channels']
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyBboxPatch, Patch

    blocks = _blocks(_layers(model_or_layers))
    boxes = [b for b in blocks if b["box"]]
    depth = max(b["level"] for b in blocks)
    dy = 1.45  # vertical distance between levels (data units; a box is 0.66 high)
    bw, bh = 0.86, 0.66
    fig, ax = plt.subplots(figsize=(max(size * len(boxes) + 0.3, 5.0), 1.45 * depth + 2.3))
    for b in boxes:
        x, y = b["x"], -b["level"] * dy
        ax.add_patch(
            FancyBboxPatch(
                (x - bw / 2, y - bh / 2),
                bw,
                bh,
                boxstyle="round,pad=0.02,rounding_size=0.06",
                fc=_PART_COLORS[b["part"]],
                ec="#444444",
                lw=0.9,
            )
        )
        shape = "×".join("?" if v is None else str(v) for v in b["shape"])
        ax.text(x, y + 0.19, b["prefix"], ha="center", va="center", fontsize=11, fontweight="bold")
        ax.text(x, y - 0.01, b["what"], ha="center", va="center", fontsize=10)
        ax.text(x, y - 0.2, shape, ha="center", va="center", fontsize=10)
    for a, b in zip(boxes, boxes[1:], strict=False):  # arrows between consecutive boxes
        ya, yb = -a["level"] * dy, -b["level"] * dy
        if ya == yb:
            start, end = (a["x"] + bw / 2, ya), (b["x"] - bw / 2, yb)
        else:  # pooling goes down, upsampling up: from box edge to box edge, diagonally
            d = 1 if ya > yb else -1
            start, end = (a["x"] + 0.2, ya - d * bh / 2), (b["x"] - 0.2, yb + d * bh / 2)
        ax.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#444444",
                "lw": 1.1,
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
        label = b["via"]
        if label:
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            if ya > yb:  # down: the label left of the arrow
                ax.text(mx - 0.08, my, label, ha="right", va="center", fontsize=10, color="#8c4a00")
            elif ya < yb:  # up: right of it
                ax.text(mx + 0.08, my, label, ha="left", va="center", fontsize=10, color="#2b6e2b")
            else:
                ax.text(mx, my + 0.08, label, ha="center", va="bottom", fontsize=10)
    for b in boxes:  # skip connections: a dashed line above the level, into the decoder box
        src = b.get("skip")
        if src is None:
            continue
        y = -b["level"] * dy
        yb = y + bh / 2 + 0.2
        ax.plot(
            [src["x"], src["x"], b["x"], b["x"]],
            [y + bh / 2, yb, yb, y + bh / 2 + 0.02],
            ls="--",
            color="#756bb1",
            lw=1.4,
        )
        ax.annotate(
            "",
            xy=(b["x"], y + bh / 2),
            xytext=(b["x"], yb),
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#756bb1",
                "lw": 1.4,
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
        ax.text(
            (src["x"] + b["x"]) / 2,
            yb + 0.06,
            b["skip_label"],
            ha="center",
            va="bottom",
            fontsize=10,
            color="#54278f",
        )
    ax.set_xlim(-0.55, len(boxes) - 0.45)
    ax.set_ylim(-depth * dy - 0.5, 1.05)
    ax.axis("off")
    parts = [p for p in _PART_COLORS if any(b["part"] == p for b in boxes)]
    legend = [Patch(fc=_PART_COLORS[p], ec="#444444", label=p) for p in parts]
    if any("skip" in b for b in boxes):
        legend.append(
            Line2D([], [], ls="--", color="#756bb1", lw=1.4, label="skip (copy + concat)")
        )
    ax.legend(
        handles=legend,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=len(legend),
        fontsize=10,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.2,
    )
    if title:
        ax.set_title(title, fontsize=12)
    fig.tight_layout()
    return fig


def _blocks(layers: Sequence) -> list[dict]:
    """Group described layers into blocks and lay them out for :func:`unet_diagram`.

    Each block gets ``prefix``, ``role``, ``shape``, ``level`` and ``part`` (from ``describe``),
    ``layers``, ``box`` (drawn as a box; pooling and upsampling become the labelled arrow
    ``via`` into the next box, a concatenation followed by a conv block becomes that box's skip
    line ``skip`` from the block of the input it copies), ``x`` and ``what``.
    """
    blocks: list[dict] = []
    for ly in layers:
        prefix = ly.name.split("_")[0] if ly.role == "conv" else ly.name
        last = blocks[-1] if blocks else None
        if (
            last
            and ly.role == last["role"] == "conv"
            and last["prefix"] == prefix
            and last["shape"] == ly.shape
        ):
            last["layers"].append(ly)
            continue
        blocks.append(
            {
                "prefix": prefix,
                "role": ly.role,
                "shape": ly.shape,
                "level": ly.level,
                "part": ly.part,
                "layers": [ly],
            }
        )
    block_of = {ly.name: b for b in blocks for ly in b["layers"]}
    n = len(blocks)
    for i, b in enumerate(blocks):
        if b["role"] in ("pool", "up"):  # an arrow, unless there is no box on one side of it
            before = any(blocks[j]["role"] not in ("pool", "up") for j in range(i))
            after = any(blocks[j]["role"] not in ("pool", "up") for j in range(i + 1, n))
            b["box"] = not (before and after)
        elif b["role"] == "concat":  # the skip line into the following conv block
            nxt = blocks[i + 1] if i + 1 < n else None
            b["box"] = not (nxt and nxt["role"] == "conv" and nxt["level"] == b["level"])
        else:
            b["box"] = True
    x, via, pending = 0, [], None
    for i, b in enumerate(blocks):
        ly = b["layers"][0]
        window = "×".join(str(v) for v in ly.window)
        if not b["box"]:
            if b["role"] == "pool":
                via.append(f"{'max' if 'Max' in ly.kind else 'average'} pool {window}")
            elif b["role"] == "up":
                via.append(f"upsample {ly.window[0]}×" if ly.window else "upsample")
            else:
                pending = (i, b)
            continue
        b["x"], b["via"], x, via = x, ", ".join(via), x + 1, []
        j, cat = (i, b) if b["role"] == "concat" else (pending or (None, None))
        pending = None
        if cat is not None:  # the skip source: the input that is not the block just before
            cat_layer = cat["layers"][0]
            sources = [
                name
                for name in cat_layer.inputs
                if name in block_of
                and block_of[name] is not blocks[j - 1]
                and "x" in block_of[name]
            ]
            if sources:
                src = next(ly for ly in block_of[sources[0]]["layers"] if ly.name == sources[0])
                c_src, c_all = src.shape[-1], cat_layer.shape[-1]
                b["skip"] = block_of[sources[0]]
                b["skip_label"] = (
                    f"{cat['prefix']}: concat {c_src} + {c_all - c_src} = {c_all} channels"
                )
        b["what"] = {
            "conv": f"{len(b['layers'])}× conv {window}",
            "input": "input",
            "classifier": f"{window} conv",
            "pool": "pool",
            "up": "upsample",
            "concat": "concat",
        }.get(b["role"], ly.kind)
    return blocks


def u_picture(layers, current: int, input_size: int) -> np.ndarray:
    """The "where in the U" map: a labelled RGB drawing of a U-Net's layers, about 330 px wide.

    One box per layer (each ``layers[i]`` as :func:`course_utils.models.describe` gives it:
    ``name``, ``role``, ``shape`` (h, w, C), ``inputs``, ``level``, ``part``), drawn one row
    lower per level (the row's map size, ``input_size / 2**level``, written on the left) and
    taller for more channels. The current layer is orange, concatenations green with their skip
    lines (labelled "skip"), and the encoder, bottleneck and decoder are named under the boxes
    of their parts.

    Examples
    --------
    >>> from types import SimpleNamespace as L
    >>> ly = [L(name="a", role="conv", shape=(8, 8, 2), inputs=(), level=0, part="encoder"),
    ...       L(name="p", role="pool", shape=(4, 4, 2), inputs=("a",), level=1, part="encoder"),
    ...       L(name="u", role="up", shape=(8, 8, 2), inputs=("p",), level=0, part="decoder"),
    ...       L(name="s", role="concat", shape=(8, 8, 4), inputs=("a", "u"), level=0,
    ...         part="decoder")]
    >>> u_picture(ly, 0, 8).shape[2]
    3
    """
    from PIL import ImageDraw

    if not layers:
        raise ValueError("u_picture needs at least one layer.")
    current = check_int("current", current, 0, len(layers) - 1)
    box, gap, left, top, level_h = 12, 3, 62, 30, 34  # the seed U-Net: 325 px wide
    depth = [max(0, int(ly.level)) for ly in layers]
    deepest = max(depth)
    max_c = max(ly.shape[2] for ly in layers)
    width = left + len(layers) * (box + gap) + 8
    height = top + (deepest + 1) * level_h + 24
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    font = _font(12)
    ink, grey, green = (40, 40, 40), (110, 110, 110), (60, 160, 80)

    def x_of(i: int) -> int:
        return left + i * (box + gap)

    for d in range(deepest + 1):  # the map size of each row, on the left
        side = input_size // 2**d
        draw.text(
            (4, top + d * level_h + level_h // 2),
            f"{side}×{side}",
            fill=grey,
            font=font,
            anchor="lm",
        )
    for i, (ly, d) in enumerate(zip(layers, depth, strict=True)):
        frac = 0.35 + 0.65 * np.log2(1 + ly.shape[2]) / np.log2(1 + max_c)
        h = max(4, round((level_h - 8) * frac))
        y0 = top + d * level_h + (level_h - h) // 2
        colour = (
            (230, 120, 20) if i == current else green if ly.role == "concat" else (120, 140, 180)
        )
        draw.rectangle([x_of(i), y0, x_of(i) + box - 1, y0 + h - 1], fill=colour)
    index = {ly.name: i for i, ly in enumerate(layers)}
    for i, ly in enumerate(layers):  # skip connections: a green line over the U, labelled
        if ly.role != "concat":
            continue
        for src in ly.inputs:
            j = index.get(src)
            if j is not None and j < i - 1 and depth[j] == depth[i]:
                y = top + depth[i] * level_h + 1
                xa, xb = x_of(j) + box // 2, x_of(i) + box // 2
                draw.line([(xa, y + 3), (xa, y), (xb, y), (xb, y + 3)], fill=green, width=2)
                draw.text(((xa + xb) // 2, y - 2), "skip", fill=green, font=font, anchor="md")
    y = top + (deepest + 1) * level_h + 4  # encoder, bottleneck, decoder under their boxes
    parts = [{"classifier": "decoder"}.get(ly.part, ly.part) for ly in layers]
    labels = []  # (x of the centre, label, line) ; a label that would touch the one before it
    for label in ("encoder", "bottleneck", "decoder"):  # goes one line lower
        where = [i for i, p in enumerate(parts) if p == label]
        if not where:
            continue
        xa, xb = x_of(where[0]), x_of(where[-1]) + box - 1
        draw.line([(xa, y), (xb, y)], fill=grey, width=1)
        half = font.getlength(label) / 2
        line = 0
        if labels:
            px, plabel, pline = labels[-1]
            if pline == 0 and px + font.getlength(plabel) / 2 + 6 > (xa + xb) / 2 - half:
                line = 1
        labels.append(((xa + xb) / 2, label, line))
    if any(line for _, _, line in labels):
        grown = Image.new("RGB", (width, height + 14), (255, 255, 255))
        grown.paste(img, (0, 0))
        img, draw = grown, ImageDraw.Draw(grown)
    for x, label, line in labels:
        draw.text((round(x), y + 3 + 14 * line), label, fill=ink, font=font, anchor="ma")
    return np.asarray(img)

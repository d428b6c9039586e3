"""FilterLearningExplorer: watch gradient descent rediscover a hidden 3x3 kernel on a photo.

The trajectories (every kernel and loss of :func:`course_utils.backprop.learn_kernel`) are
computed once per learning rate; a slider move only looks a state up, convolves the photo with
that kernel and encodes the pictures.
"""

from __future__ import annotations

import math

import ipywidgets as W
import numpy as np
from PIL import Image, ImageDraw

from .. import backprop, ops
from .._memo import memo
from ..data import sample_image
from ..viz import cells_rgb, to_png
from ._base import Explorer, Frame

__all__ = ["FilterLearningExplorer", "learn_step", "kernel_picture", "loss_curve_picture"]

LEARNING_RATES = (0.01, 0.03, 0.1, 0.2, 0.3, 0.4)
KERNEL_PX = 168  # a kernel picture: 3 cells of 56 px, shown at its natural size


def kernel_picture(kernel, vmax: float, cell: int = 56) -> np.ndarray:
    """A kernel as an RGB uint8 picture: one coloured cell per weight, its value written inside
    (:func:`viz.cells_rgb`), blue negative, red positive on the fixed scale ``[-vmax, vmax]``.

    Examples
    --------
    >>> kernel_picture(np.eye(3), 1.0).shape
    (168, 168, 3)
    """
    return cells_rgb(kernel, "RdBu_r", (-vmax, vmax), cell)


def _curve_geometry(loss: np.ndarray, width: int, height: int):
    top = 1e6 * loss[0] if loss[0] > 0 else 1.0
    finite = np.where(np.isfinite(loss), np.minimum(loss, top), top)
    logs = np.log10(np.maximum(finite, 1e-12))
    lo, hi = math.floor(float(logs.min()) * 2) / 2, math.ceil(float(logs.max()) * 2) / 2
    if hi - lo < 0.5:
        hi = lo + 0.5
    pad_l, pad_r, pad_t, pad_b = 34, 6, 6, 16
    xs = pad_l + np.arange(len(loss)) * (width - pad_l - pad_r) / max(len(loss) - 1, 1)
    ys = pad_t + (hi - logs) * (height - pad_t - pad_b) / (hi - lo)
    return list(zip(xs.tolist(), ys.tolist(), strict=True)), (lo, hi), (pad_l, pad_r, pad_t, pad_b)


@memo(maxsize=16)
def _curve_background(key: bytes, width: int, height: int) -> Image.Image:
    """Axes, grid and the whole curve in grey (drawn once per trajectory)."""
    loss = np.frombuffer(key)
    pts, (lo, hi), (pad_l, pad_r, pad_t, pad_b) = _curve_geometry(loss, width, height)
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for d in np.arange(lo, hi + 1e-9, 0.5 if hi - lo <= 2 else 1.0):  # grid lines at 10^d
        y = pad_t + (hi - d) * (height - pad_t - pad_b) / (hi - lo)
        draw.line([(pad_l, y), (width - pad_r, y)], fill=(225, 225, 225))
        draw.text((2, y - 6), f"1e{d:g}", fill=(90, 90, 90))
    draw.line(pts, fill=(180, 180, 180), width=1)
    draw.text((pad_l, height - 13), f"step 0..{len(loss) - 1} (loss, log scale)", fill=(90, 90, 90))
    return img


def loss_curve_picture(losses, step: int, width: int = 256, height: int = 150) -> np.ndarray:
    """The loss (log scale) against the step, drawn with Pillow: grey ahead, orange up to ``step``.

    Values that overflowed (``inf``) and losses above 1e6 times the start are drawn at the top.

    Examples
    --------
    >>> loss_curve_picture([1.0, 0.5, 0.25], 1).shape
    (150, 256, 3)
    """
    loss = np.ascontiguousarray(losses, dtype=np.float64)
    img = _curve_background(loss.tobytes(), width, height).copy()
    pts = _curve_geometry(loss, width, height)[0]
    draw = ImageDraw.Draw(img)
    draw.line(pts[: step + 1] if step > 0 else pts[:1] * 2, fill=(230, 120, 20), width=2)
    x, y = pts[step]
    draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=(230, 120, 20))
    return np.asarray(img)


@memo(maxsize=16)
def _target_png(key: bytes, shape: tuple[int, int], vmax: float) -> bytes:
    return to_png(kernel_picture(np.frombuffer(key).reshape(shape), vmax))


def learn_step(
    image: np.ndarray, run: backprop.KernelTrajectory, step: int, display: int = 200
) -> Frame:
    """The pure update: the kernel after ``step`` steps of ``run``, its output, error and loss.

    Parameters
    ----------
    image : array (H, W)
        The photo ``run`` was computed on.
    run : KernelTrajectory
        From :func:`course_utils.backprop.learn_kernel`.
    step : int
        0 .. ``len(run.losses) - 1``.
    display : int
        Screen width of the photo: the output and error maps are drawn at their true size
        relative to it (a 3x3 "valid" convolution trims one pixel on each side).

    Returns
    -------
    Frame
        ``images``: ``"kernel"``, ``"output"``, ``"error"``, ``"loss"``;
        ``data``: ``"kernel"``, ``"output"``, ``"loss"``; a colour bar under each kernel and map
        (kernels on ``+-max|target|``, output and error on ``+-4 x`` the target's RMS).

    Examples
    --------
    >>> from course_utils import backprop
    >>> img = np.random.default_rng(0).random((12, 12))
    >>> run = backprop.learn_kernel(img, np.eye(3), lr=0.1, steps=5)
    >>> f = learn_step(img, run, 5)
    >>> f.data["output"].shape, bool(f.data["loss"] < run.losses[0])
    ((10, 10), True)
    """
    last = len(run.losses) - 1
    if not 0 <= step <= last:
        raise ValueError(f"step must be in 0..{last}, got {step}.")
    k = run.kernels[step]
    out = ops.conv2d(image, k)
    target = run.target_map
    scale = 4 * float(np.sqrt(np.mean(target**2))) or 1.0  # 4 RMS: strong edges saturate
    kmax = float(np.abs(run.target_kernel).max()) or 1.0
    loss = float(run.losses[step])
    images = {
        "target": _target_png(
            np.ascontiguousarray(run.target_kernel).tobytes(), run.target_kernel.shape, kmax
        ),
        "kernel": to_png(kernel_picture(k, kmax)),
        "output": to_png(out, "RdBu_r", (-scale, scale)),
        "error": to_png(out - target, "RdBu_r", (-scale, scale)),
        "loss": to_png(loss_curve_picture(run.losses, step)),
    }
    if not math.isfinite(loss) or loss > 1e6 * run.losses[0]:
        trend = ' &mdash; <b style="color:#c00">diverged: the learning rate is too large</b>'
    elif step and loss > run.losses[0]:
        trend = ' &mdash; <b style="color:#c00">the loss grows: the learning rate is too large</b>'
    else:
        trend = ""
    info = (
        f"step <b>{step}</b> of {last}, learning rate {run.lr:g}: loss {loss:.4g} "
        f"(start {run.losses[0]:.4g}){trend}<br>largest kernel error "
        f"{np.abs(k - run.target_kernel).max():.3g}; colours: blue negative, red positive "
        f"(kernels on &plusmn;{kmax:.2f}, the target's largest weight; output and error on "
        f"one fixed scale &plusmn;{scale:.2f}, 4 &times; the target's RMS)"
    )
    out_px = round(display * out.shape[1] / image.shape[1])  # true size: the photo is `display`
    return Frame(
        images=images,
        info=info,
        data={"kernel": k, "output": out, "loss": loss},
        widths={
            "target": KERNEL_PX,
            "kernel": KERNEL_PX,
            "output": out_px,
            "error": out_px,
            "loss": 256,
        },
        colorbars={
            "target": ("RdBu_r", -kmax, kmax),
            "kernel": ("RdBu_r", -kmax, kmax),
            "output": ("RdBu_r", -scale, scale),
            "error": ("RdBu_r", -scale, scale),
        },
    )


class FilterLearningExplorer(Explorer):
    """Gradient descent learns a 3x3 kernel: slide through the steps, change the learning rate.

    The target map is ``conv2d(photo, target kernel)`` (Sobel x by default); the kernel starts
    at zero and follows ``K <- K - lr * dL/dK`` for the mean squared error.  The trajectories of
    all learning rates are computed when the explorer is created.

    Examples
    --------
    >>> ex = FilterLearningExplorer(steps=10)
    >>> ex.frame.data["output"].shape
    (254, 254)
    >>> bool(ex.set(step=10).data["loss"] < ex.runs[0.1].losses[0])
    True
    """

    image_width = "200px"

    def __init__(
        self,
        image: str = "camera",
        target=None,
        lr: float = 0.1,
        step: int = 0,
        steps: int = 60,
        learning_rates=LEARNING_RATES,
    ) -> None:
        rates = tuple(float(r) for r in learning_rates)
        if float(lr) not in rates:
            raise ValueError(f"lr must be one of the learning rates {rates}, got {lr!r}.")
        self.photo = sample_image(image, gray=True).astype(np.float64)
        tk = ops.KERNEL_PRESETS["Sobel x (vertical edges)"] if target is None else target
        self.runs = {r: backprop.learn_kernel(self.photo, tk, r, steps) for r in rates}
        controls = {
            "step": W.IntSlider(
                value=step, min=0, max=steps, description="step", continuous_update=True
            ),
            "lr": W.SelectionSlider(
                options=[(f"{r:g}", r) for r in rates],
                value=float(lr),
                description="learning rate",
                continuous_update=True,
                style={"description_width": "initial"},
            ),
        }
        self._build(
            controls,
            {
                "target": "hidden target kernel",
                "kernel": "learned kernel",
                "output": "conv2d(photo, kernel)",
                "error": "error = output - target",
                "loss": "loss curve",
            },
        )

    def step(self, step: int, lr: float) -> Frame:
        return learn_step(self.photo, self.runs[lr], step)

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
# Five pictures and their gaps fit a 900 px notebook cell: 2 x 126 + 2 x 167 + 220 + 4 x 16.
KERNEL_CELL = 42  # a kernel picture: 3 cells of 42 px, shown at its natural size
KERNEL_PX = 3 * KERNEL_CELL
PHOTO_PX = 168  # the photo's screen width: output and error maps are drawn at their true size
CURVE_SIZE = (220, 150)  # the loss curve, width x height


def kernel_picture(kernel, vmax: float, cell: int = KERNEL_CELL) -> np.ndarray:
    """A kernel as an RGB uint8 picture: one coloured cell per weight, its value written inside
    (:func:`viz.cells_rgb`), blue negative, red positive on the fixed scale ``[-vmax, vmax]``.

    Examples
    --------
    >>> kernel_picture(np.eye(3), 1.0).shape
    (126, 126, 3)
    """
    return cells_rgb(kernel, "RdBu_r", (-vmax, vmax), cell)


def _tick_label(v: float) -> str:
    """A tick label: plain decimals from 0.001 to 5000, else ``2e-5``, ``1e6``.

    Examples
    --------
    >>> [_tick_label(v) for v in (1e-5, 2e-4, 0.001, 0.5, 1.0, 200.0, 1e6)]
    ['1e-5', '2e-4', '0.001', '0.5', '1', '200', '1e6']
    """
    d = math.floor(math.log10(v) + 1e-9)
    if -3 <= d <= 3:
        return f"{v:g}"
    return f"{round(v / 10.0**d):d}e{d}"


def _nice(v: float, up: bool) -> float:
    """The nearest of ..., 0.1, 0.2, 0.5, 1, 2, 5, 10, ... at or below ``v`` (``up``: above)."""
    d = math.floor(math.log10(v))
    steps = [m * 10.0**e for e in (d - 1, d, d + 1) for m in (1, 2, 5)]
    return (
        min(x for x in steps if x >= v * (1 - 1e-9))
        if up
        else max(x for x in steps if x <= v * (1 + 1e-9))
    )


def _axis(logs: np.ndarray) -> tuple[float, float, list[float]]:
    """The loss axis: ``(lo, hi)`` in log10 and the tick values.

    A curve spanning at most 1.5 decades gets an axis from and to the nearest 1-2-5 values
    (ticks at each: 0.1, 0.2, 0.5); a longer one whole decades (every second or third one when
    there are many).
    """
    a, b = float(logs.min()), float(logs.max())
    if b - a <= 1.5:
        bottom, top = _nice(10.0**a, up=False), _nice(10.0**b, up=True)
        if top <= bottom:
            top = _nice(bottom * 1.5, up=True)
        d0, d1 = math.floor(math.log10(bottom)), math.ceil(math.log10(top))
        ticks = [
            m * 10.0**e
            for e in range(d0, d1 + 1)
            for m in (1, 2, 5)
            if bottom * (1 - 1e-9) <= m * 10.0**e <= top * (1 + 1e-9)
        ]
        return math.log10(bottom), math.log10(top), ticks
    lo, hi = math.floor(a), math.ceil(b)
    every = 1 if hi - lo <= 7 else 2 if hi - lo <= 14 else 3
    return float(lo), float(hi), [10.0**d for d in range(lo, hi + 1) if (hi - d) % every == 0]


def _curve_geometry(loss: np.ndarray, width: int, height: int):
    """Points of the curve, the axis (:func:`_axis`) and the margins."""
    top = 1e6 * loss[0] if loss[0] > 0 else 1.0
    finite = np.where(np.isfinite(loss), np.minimum(loss, top), top)
    logs = np.log10(np.maximum(finite, 1e-12))
    lo, hi, ticks = _axis(logs)
    pad_l, pad_r, pad_t, pad_b = 34, 6, 6, 16
    xs = pad_l + np.arange(len(loss)) * (width - pad_l - pad_r) / max(len(loss) - 1, 1)
    ys = pad_t + (hi - logs) * (height - pad_t - pad_b) / (hi - lo)
    return (
        list(zip(xs.tolist(), ys.tolist(), strict=True)),
        (lo, hi, ticks),
        (pad_l, pad_r, pad_t, pad_b),
    )


def curve_ticks(losses, height: int = CURVE_SIZE[1]) -> list[tuple[float, str]]:
    """The loss curve's y ticks, top first: ``(y in pixels, label)``, at 1-2-5 values
    (``0.5``, ``0.2``, ``0.1``) or at whole decades for a curve spanning many; never a
    fractional power such as ``1e-0.5``.

    Examples
    --------
    >>> [label for _, label in curve_ticks([0.3, 0.05, 0.02])]
    ['0.5', '0.2', '0.1', '0.05', '0.02']
    >>> [label for _, label in curve_ticks([1.0, 1e-3, 1e-5])]
    ['1', '0.1', '0.01', '0.001', '1e-4', '1e-5']
    """
    loss = np.ascontiguousarray(losses, dtype=np.float64)
    _, (lo, hi, ticks), (_, _, pad_t, pad_b) = _curve_geometry(loss, 2, height)
    scale = (height - pad_t - pad_b) / (hi - lo)
    return [(pad_t + (hi - math.log10(v)) * scale, _tick_label(v)) for v in reversed(ticks)]


@memo(maxsize=16)
def _curve_background(key: bytes, width: int, height: int) -> Image.Image:
    """Axes, grid and the whole curve in grey (drawn once per trajectory)."""
    loss = np.frombuffer(key)
    pts, _, (pad_l, pad_r, _, _) = _curve_geometry(loss, width, height)
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for y, label in curve_ticks(loss, height):  # grid lines at the ticks
        draw.line([(pad_l, y), (width - pad_r, y)], fill=(225, 225, 225))
        draw.text((pad_l - 3, y), label, fill=(90, 90, 90), anchor="rm")
    draw.line(pts, fill=(180, 180, 180), width=1)
    draw.text((pad_l, height - 13), f"step 0..{len(loss) - 1} (loss, log scale)", fill=(90, 90, 90))
    return img


def loss_curve_picture(
    losses, step: int, width: int = CURVE_SIZE[0], height: int = CURVE_SIZE[1]
) -> np.ndarray:
    """The loss (log scale) against the step, drawn with Pillow: grey ahead, orange up to ``step``.

    Values that overflowed (``inf``) and losses above 1e6 times the start are drawn at the top.

    Examples
    --------
    >>> loss_curve_picture([1.0, 0.5, 0.25], 1).shape
    (150, 220, 3)
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
    image: np.ndarray, run: backprop.KernelTrajectory, step: int, display: int = PHOTO_PX
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
            "loss": CURVE_SIZE[0],
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

    image_width = f"{PHOTO_PX}px"

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
            {  # one line each at the pictures' widths (a wrapped title pushes its picture down)
                "target": "target kernel",
                "kernel": "learned kernel",
                "output": "conv2d(photo, K)",
                "error": "output − target",
                "loss": "loss curve",
            },
        )

    def step(self, step: int, lr: float) -> Frame:
        return learn_step(self.photo, self.runs[lr], step)

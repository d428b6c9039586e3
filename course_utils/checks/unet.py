"""Checkers for lesson 08 (the U-Net): parameter counts of a convolution and of the whole net, and
predictions for layers the lesson did not count (Ronneberger et al.'s, a halved U-Net)."""

from __future__ import annotations

import numpy as np

from .._memo import memo
from ._base import Feedback, call_student, dict_answer, student_check

__all__ = ["check_conv_params", "check_unet_params", "check_unet_predictions", "PREDICTION_KEYS"]

_CONV_CASES = [  # (k, cin, cout); the first case tells all the usual slips apart
    (3, 384, 128),
    (3, 3, 64),
    (3, 64, 64),
    (1, 64, 2),
    (5, 1, 8),
    (2, 256, 256),
]


def _conv_params(k: int, cin: int, cout: int) -> int:
    """Weights ``k*k*cin*cout`` plus one bias per output channel."""
    return k * k * cin * cout + cout


def _as_int(got, what: str) -> tuple[int | None, Feedback | None]:
    """Accept ints and whole floats; otherwise return a feedback explaining the problem."""
    if got is None:
        return None, Feedback(False, f"{what} returned None: did you forget `return`?")
    if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
        return None, Feedback(
            False, f"{what} should return a number, got {type(got).__name__} {got!r}."
        )
    if not np.isfinite(float(got)) or float(got) != int(got):
        return None, Feedback(
            False,
            f"{what} returned {got!r}, not a whole number: parameters are counted, not "
            "measured. Use only `*` and `+` (no division).",
        )
    return int(got), None


@student_check
def check_conv_params(fn) -> Feedback:
    """Check ``fn(k, cin, cout)`` = parameters of a ``k x k`` Conv2D: ``k*k*cin*cout + cout``.

    Examples
    --------
    >>> check_conv_params(lambda k, cin, cout: k * k * cin * cout + cout).passed
    True
    >>> check_conv_params(lambda k, cin, cout: k * k * cin * cout).passed
    False
    """
    for k, cin, cout in _CONV_CASES:
        raw = call_student(fn, k, cin, cout)
        got, bad = _as_int(raw, f"for k={k}, cin={cin}, cout={cout} your function")
        if bad is not None:
            return bad
        want = _conv_params(k, cin, cout)
        if got == want:
            continue
        hints = {
            k * k * cin * cout: "You forgot the biases: every filter (output channel) has one, "
            "so add `+ cout`.",
            k * k * cin * cout + 1: "One bias per filter, not one per layer: add `cout` biases.",
            k * k * cin * cout + cin: "The biases belong to the *output* channels: add `cout`, "
            "not `cin`.",
            k * cin * cout + cout: "A k x k kernel has k*k weights per channel pair, not k.",
            k * k * cout + cout: "Each filter spans *all* input channels: multiply by `cin` too.",
            k * k * (cin + cout): "Weights multiply: k*k*cin*cout (plus cout biases), they do "
            "not add.",
        }
        hint = hints.get(
            got,
            "Count: k*k weights for each (input channel, output channel) pair, "
            "plus one bias per output channel.",
        )
        return Feedback(
            False, f"for k={k}, cin={cin}, cout={cout} you returned {got}; expected {want}. {hint}"
        )
    return Feedback(
        True,
        f"correct on all {len(_CONV_CASES)} cases, e.g. enc1_conv1 (3x3, 3 -> 64) has "
        f"{_conv_params(3, 3, 64):,} parameters and the 1x1 classifier (64 -> 2) only "
        f"{_conv_params(1, 64, 2)}.",
    )


@memo(maxsize=1)
def _layout() -> tuple:
    """``models.describe`` of a tiny ``models.unet`` with one base filter, one input channel
    and one class: its wiring, windows and, for each convolution, the multiple of ``f`` it
    outputs (the layout every count below reads; built once, Keras loads here)."""
    from ..models import describe, unet

    return describe(unet((4, 4, 1), num_classes=1, base_filters=1))


def _unet_levels(
    f: int, cin: int, classes: int, skips: bool = True, bias: bool = True, classifier_k: int = 1
) -> dict[str, int]:
    """Parameters of ``models.unet`` by block, counted on :func:`models.describe`'s layout.

    Each convolution has ``k*k*a*b`` weights (``a`` the channels it reads, ``b`` its outputs)
    plus ``b`` biases.  The variants are the usual slips the checker recognises: no skip
    channels (a decoder convolution reads the upsampled map only), no biases, a ``k x k``
    classifier.
    """
    channels: dict[str, int] = {}
    levels: dict[str, int] = {}
    layout = _layout()
    for i, ly in enumerate(layout):
        reads = [channels[n] for n in ly.inputs]
        if ly.role == "input":
            channels[ly.name] = cin
        elif ly.role == "concat":  # the encoder's copy, then the path that just came up
            path = [channels[n] for n in ly.inputs if n == layout[i - 1].name]
            channels[ly.name] = sum(reads) if skips else sum(path)
        elif ly.role in ("conv", "classifier"):
            cout = classes if ly.role == "classifier" else ly.shape[-1] * f
            k = classifier_k if ly.role == "classifier" else ly.window[0]
            block = ly.name.split("_")[0]
            count = k * k * sum(reads) * cout + (cout if bias else 0)
            levels[block] = levels.get(block, 0) + count
            channels[ly.name] = cout
        else:  # pooling and upsampling keep the channels
            channels[ly.name] = reads[0]
    return levels


_UNET_CASES = [(64, 3, 2), (8, 3, 2), (16, 1, 3), (4, 3, 1)]  # (f, in_channels, num_classes)


@student_check
def check_unet_params(fn) -> Feedback:
    """Check ``fn(f, in_channels, num_classes)`` = ``models.unet(...).count_params()``.

    The reference adds the eleven convolutions level by level; the hints recognise the usual
    slips (skip channels forgotten, classifier forgotten or taken as 3x3, biases forgotten,
    input channels taken as ``f``).

    Examples
    --------
    >>> check_unet_params(lambda f, c, k: 1883202 if (f, c, k) == (64, 3, 2) else 0).passed
    False
    """
    for f, cin, classes in _UNET_CASES:
        raw = call_student(fn, f, cin, classes)
        args = f"f={f}, in_channels={cin}, num_classes={classes}"
        got, bad = _as_int(raw, f"for {args} your function")
        if bad is not None:
            return bad
        levels = _unet_levels(f, cin, classes)
        want = sum(levels.values())
        if got == want:
            continue
        no_cls = want - levels["classifier"]
        hints = {
            sum(_unet_levels(f, cin, classes, skips=False).values()): "The first convolution "
            "of each decoder level sees the *concatenated* channels: dec4_conv1 gets 4f + 2f = "
            "6f inputs, dec5_conv1 gets 2f + f = 3f.",
            no_cls: "You left out the 1x1 classifier (f -> num_classes, with biases).",
            sum(_unet_levels(f, cin, classes, classifier_k=3).values()): "The classifier is a "
            "1x1 convolution, not 3x3.",
            sum(_unet_levels(f, cin, classes, bias=False).values()): "You forgot the biases "
            "(one per output channel of every convolution).",
            sum(_unet_levels(f, f, classes).values()): "The very first convolution sees the "
            "image's `in_channels`, not f.",
        }
        hint = hints.get(
            got,
            "Add the 11 convolutions level by level: enc1, enc2, bottleneck, "
            "dec4, dec5 (two 3x3 each) and the 1x1 classifier; pooling, "
            "upsampling and concatenation have no parameters.",
        )
        return Feedback(False, f"for {args} you returned {got:,}; expected {want:,}. {hint}")
    seed = _unet_levels(64, 3, 2)
    lines = ", ".join(f"{name} {n:,}" for name, n in seed.items())
    return Feedback(
        True,
        f"correct on all {len(_UNET_CASES)} configurations. The seed's net (f=64) by level: "
        f"{lines}; total {sum(seed.values()):,}. Halving f divides the count by about 4 "
        "(most weights are f*f products).",
    )


#: the three predictions of lesson 08's first exercise, and what each one asks
PREDICTION_KEYS = {
    "first_block_2015": "Ronneberger et al.'s first block: two 3x3 convolutions, a grey "
    "(1-channel) tile -> 64 -> 64 channels",
    "up_conv_2015": "their first 2x2 up-convolution: Conv2DTranspose(512, 2, strides=2) on the "
    "1024-channel bottom map",
    "halving_factor": "how many times fewer parameters models.unet(base_filters=32) has than the "
    "seed's base_filters=64 (a whole number)",
}


def _predictions() -> dict[str, int]:
    """The right answers, from the parameter formula (a unit test compares them with Keras)."""
    return {
        "first_block_2015": _conv_params(3, 1, 64) + _conv_params(3, 64, 64),
        "up_conv_2015": _conv_params(2, 1024, 512),
        "halving_factor": 4,
    }


def check_unet_predictions(answer) -> Feedback:
    """Check a dict of predicted parameter counts (keys in :data:`PREDICTION_KEYS`).

    Examples
    --------
    >>> check_unet_predictions({"first_block_2015": 37568, "up_conv_2015": 2097664,
    ...                         "halving_factor": 4}).passed
    True
    >>> "grey" in check_unet_predictions({"first_block_2015": 38720, "up_conv_2015": 2097664,
    ...                                   "halving_factor": 4}).message
    True
    """
    bad = dict_answer(answer, PREDICTION_KEYS)
    if bad is not None:
        return bad
    want = _predictions()
    k2 = _conv_params(3, 64, 64)
    hints = {
        "first_block_2015": {
            _conv_params(3, 3, 64) + k2: "That is the seed's enc1 (an RGB image). The paper's "
            "tiles are grey: the first convolution sees 1 input channel.",
            _conv_params(3, 1, 64): "That is only the first convolution; a block has two "
            "(the second one maps 64 -> 64).",
            9 * 1 * 64 + 9 * 64 * 64: "You forgot the biases: one per output channel of each "
            "convolution.",
            2 * _conv_params(3, 1, 64): "The second convolution reads the first one's 64 "
            "channels, not the image's 1.",
        },
        "up_conv_2015": {
            _conv_params(2, 1024, 1024): "The paper's up-convolution *halves* the channels: "
            "512 filters, not 1024.",
            _conv_params(3, 1024, 512): "Its kernel is 2x2 (stride 2), not 3x3.",
            2 * 2 * 1024 * 512: "Add the biases: one per output channel (512).",
            _conv_params(2, 512, 512): "It reads the 1024-channel map at the bottom of the U: "
            "cin = 1024.",
            _conv_params(2, 1024, 512) - 512 + 1024: "The biases belong to the 512 output "
            "channels, not the 1024 inputs.",
        },
        "halving_factor": {
            2: "Most weights are a product of two channel counts (k*k*cin*cout): halve both "
            "and the product shrinks 2 x 2 times.",
            8: "Only the channels halve (input and output of each convolution), not the 3x3 "
            "kernel: 2 x 2 times fewer weights.",
            1: "The parameters do not depend on the image size, but they do depend on the "
            "channels: k*k*cin*cout.",
        },
    }
    for key, right in want.items():
        got = answer[key]
        if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
            return Feedback(False, f"answer[{key!r}] must be a number, got {got!r}.")
        if float(got) == right:
            continue
        hint = hints[key].get(
            int(got) if float(got).is_integer() else None,
            (
                "Count with k*k*cin*cout + cout for each convolution"
                if key != "halving_factor"
                else "Write the count of one conv as k*k*cin*cout + cout and replace cin, cout by half."
            ),
        )
        return Feedback(False, f"answer[{key!r}] = {got!r} is not right. {hint}")
    return Feedback(
        True,
        f"correct: the paper's first block has {want['first_block_2015']:,} parameters (the "
        f"seed's RGB enc1: {_conv_params(3, 3, 64) + k2:,}), one of its up-convolutions alone "
        f"{want['up_conv_2015']:,}, more than the seed's whole net; and halving the filters "
        "divides the count by about 4 (the biases and the fixed input/output channels make it "
        "not exactly 4).",
    )

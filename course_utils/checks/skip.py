"""Checkers for lesson 05 (skip connections)."""

from __future__ import annotations

from ._base import Feedback, check_size_formula, student_check, student_value

__all__ = ["check_merge_channels", "check_round_trip_size", "check_concat_vs_add"]


@student_check
def check_merge_channels(fn) -> Feedback:
    """Check ``fn(f)`` returns the channels of the seed net's two merges ``(merge4, merge5)``.

    With ``f`` filters at the first level, ``merge4 = concat(conv2 (2f), up4 (4f))`` has ``6f``
    channels and ``merge5 = concat(conv1 (f), up5 (2f))`` has ``3f``.

    Examples
    --------
    >>> check_merge_channels(lambda f: (6 * f, 3 * f)).passed
    True
    """
    # f = 64 is the seed's, the pair a student may work out by hand: not a test case, so a
    # failing case never prints it
    for f in (16, 1, 32, 8):
        got = student_value(fn, f)
        try:
            c4, c5 = (int(v) for v in got)
        except (TypeError, ValueError):
            return Feedback(
                False,
                f"return a pair (merge4_channels, merge5_channels); for f={f} you returned "
                f"{got!r}.",
            )
        if (c4, c5) == (6 * f, 3 * f):
            continue
        if (c4, c5) == (3 * f, 6 * f):
            hint = "You swapped them: merge4 is the deeper merge (64x64 level for a 128 input)."
        elif (c4, c5) == (4 * f, 2 * f):
            hint = (
                "That is only the upsampled half. Concatenation ADDS the encoder's channels "
                "to it: merge4 stacks conv2 and up4."
            )
        elif (c4, c5) == (2 * f, f):
            hint = (
                "That is only the encoder (skip) half. UpSampling2D keeps the channels of the "
                "map it enlarges, and concat stacks both."
            )
        elif c4 == 2 * f + 2 * f:
            hint = (
                "up4 upsamples conv3, the bottleneck, whose channels are not conv2's; "
                "UpSampling2D has no weights and does not change the channel count."
            )
        else:
            hint = (
                "Follow the seed code: conv1 has f channels, conv2 2f, conv3 4f; "
                "up4 = UpSampling2D(conv3), up5 = UpSampling2D(conv4) with conv4 = 2f. "
                "Which two maps does each merge stack?"
            )
        return Feedback(False, f"for f={f} you returned {(c4, c5)}, which is not right. {hint}")
    p = 3 * 3 * 384 * 128 + 128
    return Feedback(
        True,
        f"correct: for the seed's f=64 the merges have 384 and 192 channels, so the conv after "
        f"merge4 has 3*3*384*128 + 128 = {p:,} parameters.",
    )


_SIZES = [(128, 2), (25, 2), (24, 2), (100, 3), (7, 1), (250, 2), (96, 5), (63, 3)]


@student_check
def check_round_trip_size(fn) -> Feedback:
    """Check ``fn(n, poolings)``: the size that comes back after ``poolings`` 2x2 max poolings and
    as many 2x upsamplings (``(n // 2**k) * 2**k``).

    Examples
    --------
    >>> check_round_trip_size(lambda n, k: (n // 2**k) * 2**k).passed
    True
    """
    bad = check_size_formula(
        fn,
        _SIZES,
        lambda n, k: (n // 2**k) * 2**k,
        names="n poolings",
        float_hint="pooling floors at every step (25 -> 12, not 12.5): use floor division `//`.",
        wrong=[
            (
                lambda n, k: n,
                "Odd sizes lose a row or column at the pooling that sees them: 25 -> 12 -> 24, "
                "not 25.",
            ),
            (
                lambda n, k: n // 2**k,
                "That is the size at the bottom; now upsample back up k times (x 2**k).",
            ),
        ],
        fallback="Each 2x2 pooling floors: n -> n // 2; each upsampling doubles.",
    )
    if bad is not None:
        return bad
    ok = [n for n in range(120, 133) if (n // 4) * 4 == n]
    return Feedback(
        True,
        f"correct: only sizes divisible by 2**poolings come back unchanged; between 120 and 132 "
        f"that is {ok} for the seed's two poolings.",
    )


#: the question: encoder E (64, 64, 128), decoder D (64, 64, 256) (one image, no batch axis)
CONCAT_ADD_EXPECTED = {"concat": (64, 64, 384), "add": None, "add_after_1x1": (64, 64, 128)}


def check_concat_vs_add(answer) -> Feedback:
    """Check a dict of predicted shapes for E (64, 64, 128) and D (64, 64, 256).

    Keys: ``"concat"`` (shape of ``concat(E, D)``), ``"add"`` (shape of ``E + D``, or ``None`` if
    it fails) and ``"add_after_1x1"`` (``E + Conv2D(128, 1)(D)``).

    Examples
    --------
    >>> check_concat_vs_add({"concat": (64, 64, 384), "add": None,
    ...                      "add_after_1x1": (64, 64, 128)}).passed
    True
    """
    if not isinstance(answer, dict):
        return Feedback(False, "answer must be a dict with keys 'concat', 'add', 'add_after_1x1'.")
    missing = [k for k in CONCAT_ADD_EXPECTED if k not in answer]
    if missing:
        return Feedback(False, f"your dict misses the key(s) {missing}.")
    todo = [k for k in CONCAT_ADD_EXPECTED if answer[k] is Ellipsis]
    if todo:
        return Feedback(
            False,
            f"not answered yet: replace the `...` of {todo} with a shape "
            "tuple (or None where the operation fails).",
        )
    for key, want in CONCAT_ADD_EXPECTED.items():
        got = answer[key]
        if got is not None:
            try:
                got = tuple(int(v) for v in got)
            except (TypeError, ValueError):
                return Feedback(
                    False, f"answer[{key!r}] must be a shape tuple or None, got {answer[key]!r}."
                )
        if got == want:
            continue
        if key == "concat":
            hint = (
                "Concatenation stacks the channels of both maps; height and width must match "
                "and stay as they are."
            )
            if got == (64, 64, 256):
                hint = "That is only D's channels: concat keeps both maps, E's and D's."
            elif got is not None and len(got) == 3 and got[:2] != (64, 64):
                hint = "Concat along the last axis (channels) leaves height and width alone."
            elif got is None:
                hint = "Concat needs equal height and width only; E and D have them."
        elif key == "add":
            hint = (
                "Element-wise addition needs identical shapes (or shapes that broadcast). "
                "Compare E's and D's channel counts: can they be added pixel by pixel?"
            )
        else:
            hint = (
                "First work out the shape of Conv2D(128, 1)(D): a 1x1 convolution keeps height "
                "and width and outputs one channel per filter. Then add E to it."
            )
            if got == (64, 64, 256):
                hint = (
                    "Conv2D(128, 1) has 128 filters: how many channels does it output? "
                    "D's 256 are its input, not its output."
                )
            elif got is None:
                hint = "After the 1x1 convolution, do the two maps still differ in shape?"
        return Feedback(False, f"answer[{key!r}] = {answer[key]!r} is not right. {hint}")
    return Feedback(
        True,
        "correct: concat keeps both maps side by side (384 channels; the next conv learns how to "
        "mix them), add merges them into one (needs equal channels, e.g. via a 1x1 conv: that is "
        "what ResNet-style and FPN skips do).",
    )

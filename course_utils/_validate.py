"""The argument checks every public function of the course needs, with one wording.

Call them in one line at the top of a public function; each returns the cleaned value or raises
``ValueError`` with a message that names the argument, says what is allowed and shows what was
passed.  This module imports nothing from the course (it is the bottom layer).
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_int", "check_padding", "check_image", "check_choice"]


def check_int(name: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` if it is not an integer in range.

    ``True``/``False`` are rejected although Python counts them as integers.

    Examples
    --------
    >>> check_int("epochs", 3)
    3
    >>> check_int("stride", 0)
    Traceback (most recent call last):
    ...
    ValueError: stride must be an integer >= 1, got 0.
    >>> check_int("count", 5, 0, 4)
    Traceback (most recent call last):
    ...
    ValueError: count must be an integer from 0 to 4, got 5.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        allowed = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise ValueError(f"{name} must be an integer {allowed}, got {value!r}.")
    return int(value)


def check_padding(padding, allow_int: bool = True):
    """Return ``"valid"``, ``"same"`` or an int ``>= 0``; raise ``ValueError`` otherwise.

    Examples
    --------
    >>> check_padding("SAME"), check_padding(2)
    ('same', 2)
    """
    allowed = '"valid", "same" or an integer >= 0' if allow_int else '"valid" or "same"'
    if isinstance(padding, str) and padding.lower() in ("valid", "same"):
        return padding.lower()
    if (
        allow_int
        and not isinstance(padding, (bool, str))
        and isinstance(padding, (int, np.integer))
    ):
        if padding >= 0:
            return int(padding)
    raise ValueError(f"padding must be {allowed}, got {padding!r}.")


def check_image(name: str, arr, ranks: tuple[int, ...] = (2, 3)) -> np.ndarray:
    """Return ``arr`` as an array of one of the allowed ranks, or raise ``ValueError``.

    Examples
    --------
    >>> check_image("x", np.zeros((4, 4))).shape
    (4, 4)
    >>> check_image("x", np.zeros(4))
    Traceback (most recent call last):
    ...
    ValueError: x must be an image of shape (H, W) or (H, W, C), got shape (4,).
    """
    a = np.asarray(arr)
    if a.ndim not in ranks:
        shapes = {2: "(H, W)", 3: "(H, W, C)", 4: "(N, H, W, C)"}
        want = " or ".join(shapes[r] for r in ranks)
        hint = (
            " For a batch, loop over the first axis or take one image, e.g. x[0]."
            if a.ndim == max(ranks) + 1
            else ""
        )
        raise ValueError(f"{name} must be an image of shape {want}, got shape {a.shape}.{hint}")
    return a


def check_choice(name: str, value, choices) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices`` (e.g. a sample photo's name).

    Examples
    --------
    >>> check_choice("photo", "dog", ["camera", "cat"])
    Traceback (most recent call last):
    ...
    ValueError: unknown photo 'dog'; choose one of ['camera', 'cat'].
    """
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {list(choices)}.")

"""Input validation shared by the modules that take counts and sizes (data, training)."""

from __future__ import annotations

import numpy as np


def check_int(name: str, value, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` if it is not an integer >= ``minimum``.

    ``True``/``False`` are rejected although Python counts them as integers.

    Examples
    --------
    >>> check_int("epochs", 3)
    3
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)

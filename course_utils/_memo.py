"""One way to remember results: :func:`memo`, a small LRU cache that also takes read-only arrays.

Explorers redo the same work on every slider move unless something remembers it: the photo
decoded from its file, its PNG, the toy encoder's features of a photo.  ``functools.lru_cache``
cannot take NumPy arrays (they are not hashable); :func:`memo` can, when they are *read-only*:
a read-only array cannot change, so its identity stands for its content.  ``data.photo`` returns
read-only arrays, and memoised functions make their array results read-only, so cached results
chain (photo -> features -> pyramid -> PNG) with no cache argument in any ``step`` signature.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

import numpy as np

__all__ = ["memo", "freeze"]


class _Uncacheable(Exception):
    pass


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _key(v):
    if isinstance(v, np.ndarray):
        root = _root(v)
        if v.flags.writeable or root.flags.writeable or root.base is not None:
            raise _Uncacheable
        return (
            "ndarray",
            id(root),
            v.__array_interface__["data"][0],
            v.shape,
            v.strides,
            v.dtype.str,
        )
    if isinstance(v, (list, dict, set)):
        raise _Uncacheable
    if isinstance(v, tuple):
        return tuple(_key(x) for x in v)
    hash(v)  # TypeError for other unhashable values: not cached
    return v


def freeze(value):
    """Make arrays in ``value`` (an array, or a tuple/list/dict of them) read-only; return it."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif isinstance(value, (tuple, list)):
        for v in value:
            freeze(v)
    elif isinstance(value, dict):
        for v in value.values():
            freeze(v)
    return value


def memo(maxsize: int = 32):
    """Decorator: remember the last ``maxsize`` results, keyed by the arguments.

    Arguments that are read-only arrays count by identity; a call with a writable array (or
    another unhashable argument) is simply computed.  Array results are made read-only.

    Examples
    --------
    >>> calls = []
    >>> @memo()
    ... def double(a):
    ...     calls.append(1)
    ...     return a * 2
    >>> x = freeze(np.arange(3))
    >>> double(x).tolist(), double(x).tolist(), len(calls)
    ([0, 2, 4], [0, 2, 4], 1)
    """

    def decorate(fn):
        cache: OrderedDict = OrderedDict()

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                key = (_key(args), _key(tuple(sorted(kwargs.items()))))
            except (_Uncacheable, TypeError):
                return fn(*args, **kwargs)
            hit = cache.get(key)
            if hit is not None:
                cache.move_to_end(key)
                return hit[1]
            result = freeze(fn(*args, **kwargs))
            cache[key] = (args, result, kwargs)  # keeps the arguments alive: ids stay unique
            if len(cache) > maxsize:
                cache.popitem(last=False)
            return result

        wrapper.cache_clear = cache.clear
        return wrapper

    return decorate

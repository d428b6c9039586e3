"""Start the next notebook's kernel while nbval runs the current one (used by ``lessons/conftest.py``).

nbval runs each notebook in a fresh kernel, one after the other, and every lesson's first cell
imports Keras and TensorFlow: about 5 s of single-threaded work per notebook, half a minute over
the course.  :class:`KernelPrewarmer` starts notebook *i + 1*'s kernel, and runs the imports of the
lessons' first cells in it silently, while notebook *i* runs (mostly one core's NumPy work on a
two-core machine).  Every notebook still gets its own fresh kernel, every cell is still executed
and compared; only the imports happen before the first cell instead of during it.

Turn it off with ``COURSE_NBVAL_PREWARM=0`` (e.g. to time the plain sequence).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["WARM_CODE", "KernelPrewarmer", "prewarm_enabled"]

#: what the lessons' first cells import (course_utils first: it quiets TensorFlow's start-up)
WARM_CODE = "import course_utils, course_utils.widgets, numpy, matplotlib.pyplot, keras"


def prewarm_enabled(environ: dict[str, str] | None = None) -> bool:
    """False when ``COURSE_NBVAL_PREWARM`` is ``0``, ``false``, ``no`` or ``off``.

    Examples
    --------
    >>> prewarm_enabled({}), prewarm_enabled({"COURSE_NBVAL_PREWARM": "0"})
    (True, False)
    """
    value = (os.environ if environ is None else environ).get("COURSE_NBVAL_PREWARM", "1")
    return value.strip().lower() not in {"0", "false", "no", "off"}


class _Pending:
    """One kernel being started and warmed in a background thread."""

    def __init__(self, key: tuple, start: Callable[..., Any], warm_code: str, timeout: float):
        self.key, self.kernel, self.error = key, None, None
        self._thread = threading.Thread(
            target=self._run, args=(start, warm_code, timeout), daemon=True, name="nbval-prewarm"
        )
        self._thread.start()

    def _run(self, start: Callable[..., Any], warm_code: str, timeout: float) -> None:
        try:
            kernel_name, cwd, startup_timeout = self.key
            self.kernel = start(kernel_name, cwd=cwd, startup_timeout=startup_timeout)
            msg_id = self.kernel.kc.execute(
                warm_code, silent=True, store_history=False, allow_stdin=False
            )
            self.kernel.await_reply(msg_id, timeout=timeout)
            self.kernel.await_idle(msg_id, timeout=timeout)  # its iopub drained: a clean hand-over
        except (
            Exception
        ) as exc:  # the notebook then gets a cold kernel and reports any error itself
            self.error = exc

    def take(self) -> Any:
        """The warmed kernel, or None (after stopping it) when starting or warming failed."""
        self._thread.join()
        if self.error is None:
            return self.kernel
        self.discard()
        return None

    def discard(self) -> None:
        self._thread.join()
        if self.kernel is not None and self.kernel.is_alive():
            self.kernel.stop()
        self.kernel = None


class KernelPrewarmer:
    """A drop-in for nbval's ``RunningKernel`` that hands out kernels started one notebook ahead.

    Parameters
    ----------
    start : callable
        ``start(kernel_name, cwd=..., startup_timeout=...)`` -> a running kernel (nbval's
        ``RunningKernel``): it needs ``kc.execute``, ``await_reply``, ``await_idle``, ``is_alive``
        and ``stop``.
    warm_code : str
        Run silently (no output, no history) in each kernel before it is handed over.
    timeout : float
        Seconds the warm-up may take before the kernel is dropped for a cold one.

    Call :meth:`plan` with the notebooks' ``(kernel_name, cwd)`` in run order, :meth:`set_current`
    with the index of the notebook whose kernel is about to be asked for, use :meth:`running_kernel`
    in place of ``RunningKernel``, and :meth:`close` at the end.

    Examples
    --------
    >>> class Fake:
    ...     def __init__(self, name, cwd=None, startup_timeout=60): self.cwd = cwd
    ...     kc = type("KC", (), {"execute": lambda self, *a, **k: "m"})()
    ...     def await_reply(self, *a, **k): pass
    ...     await_idle = await_reply
    ...     def is_alive(self): return True
    ...     def stop(self): pass
    >>> warm = KernelPrewarmer(Fake, "import math")
    >>> warm.plan([("py", "a"), ("py", "b")], startup_timeout=5)
    >>> warm.set_current(0); warm.running_kernel("py", cwd="a", startup_timeout=5).cwd
    'a'
    >>> warm.set_current(1); warm.running_kernel("py", cwd="b", startup_timeout=5).cwd, warm.hits
    ('b', 1)
    >>> warm.close()
    """

    def __init__(self, start: Callable[..., Any], warm_code: str = WARM_CODE, timeout: float = 300):
        self._start, self._warm_code, self._timeout = start, warm_code, timeout
        self._plan: list[tuple] = []
        self._current: int | None = None
        self._pending: _Pending | None = None
        self.hits = 0  #: kernels handed out warm

    def plan(self, notebooks: Sequence[tuple[str, str]], startup_timeout: float = 60) -> None:
        """The notebooks' ``(kernel_name, cwd)`` in the order they will run."""
        self._plan = [(name, cwd, startup_timeout) for name, cwd in notebooks]

    def set_current(self, index: int | None) -> None:
        """The notebook (index into :meth:`plan`) whose kernel is asked for next."""
        self._current = index

    def running_kernel(self, kernel_name: str, cwd: str | None = None, startup_timeout=60) -> Any:
        """Like ``RunningKernel(kernel_name, cwd, startup_timeout)``; warm when it was prepared."""
        key = (kernel_name, cwd, startup_timeout)
        kernel = None
        if self._pending is not None:
            pending, self._pending = self._pending, None
            if pending.key == key:
                kernel = pending.take()
            else:
                pending.discard()
        if kernel is None:
            kernel = self._start(kernel_name, cwd=cwd, startup_timeout=startup_timeout)
        else:
            self.hits += 1
        nxt = None if self._current is None else self._current + 1
        if nxt is not None and nxt < len(self._plan):
            self._pending = _Pending(self._plan[nxt], self._start, self._warm_code, self._timeout)
        return kernel

    def close(self) -> None:
        """Stop a kernel that was prepared but never asked for."""
        if self._pending is not None:
            self._pending.discard()
            self._pending = None

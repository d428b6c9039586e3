"""The course's environment variables, and :func:`start_keras`, which lessons call to start Keras.

* :data:`COURSE_ENV` / :func:`course_env` are the one list of environment variables the course
  runs under.  ``import course_utils`` puts them into ``os.environ`` as defaults
  (``os.environ.setdefault``: a value the user set wins), before anything imports TensorFlow,
  which reads them once, when it starts.  The lessons' ``conftest.py``,
  ``tools/execute_lessons.py`` and the browser harness give them to the kernels they start.
* :func:`simulated_cpu_devices`, :func:`xla_cpu_threads`, :data:`THREADS_PER_SIMULATED_DEVICE`:
  what JAX's simulated CPU devices need for data-parallel training (see ``docs/training.md``).
* :func:`start_keras` imports Keras and starts its backend.  TensorFlow (2.21) writes a few INFO
  lines straight to file descriptor 2 while it is imported (its logging is not set up yet, so
  ``TF_CPP_MIN_LOG_LEVEL`` cannot hold them back): in a notebook they would land in the first
  cell as red stderr text.  :func:`start_keras` holds back exactly those lines and passes on
  anything else written there (warnings, errors).

Nothing here changes how other packages import or behave: a plain ``import keras`` works
everywhere, it only shows TensorFlow's start-up lines.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import tempfile

__all__ = [
    "COURSE_ENV",
    "THREADS_PER_SIMULATED_DEVICE",
    "course_env",
    "apply_env",
    "simulated_cpu_devices",
    "xla_cpu_threads",
    "start_keras",
    "start_up_noise",
]

#: variables TensorFlow and Keras read when they start; ``import course_utils`` sets them as defaults
COURSE_ENV: dict[str, str] = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TensorFlow's C++ INFO/WARNING/ERROR logs off once it runs
    "KERAS_BACKEND": "tensorflow",
}
#: for processes that start notebook kernels: also a fixed hash seed (read when an interpreter
#: starts, so only child processes see it): set iteration order, and so outputs, are reproducible
KERNEL_ENV: dict[str, str] = {**COURSE_ENV, "PYTHONHASHSEED": "0"}


#: threads per simulated CPU device that XLA's CPU thread pool needs for data-parallel training:
#: each device's step runs on a pool thread and waits in the all-reduce until every device's step
#: has joined it; with a pool as small as the device count (XLA's size on 2 cores with 2 devices)
#: the all-reduce deadlocked and XLA ended the process after 40 s (3 runs of 3; 1 of 2 with 3
#: threads), with 4 threads all 8 runs trained (2 cores, quick profile).
THREADS_PER_SIMULATED_DEVICE = 2


def simulated_cpu_devices(environ=None) -> int:
    """The number of CPU devices ``XLA_FLAGS`` asks JAX to simulate (1 when it asks for none).

    Examples
    --------
    >>> simulated_cpu_devices({"XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    2
    >>> simulated_cpu_devices({})
    1
    """
    flags = (os.environ if environ is None else environ).get("XLA_FLAGS", "")
    found = re.findall(r"--xla_force_host_platform_device_count=(\d+)", flags)
    return int(found[-1]) if found else 1


def xla_cpu_threads(environ=None) -> int:
    """The threads XLA gives its CPU thread pools: ``PJRT_NPROC`` (or ``NPROC``) when set, else
    the CPUs this process may run on.  XLA reads it once, when JAX starts.

    Examples
    --------
    >>> xla_cpu_threads({"PJRT_NPROC": "4"})
    4
    >>> xla_cpu_threads({}) == len(os.sched_getaffinity(0))
    True
    """
    environ = os.environ if environ is None else environ
    for name in ("PJRT_NPROC", "NPROC"):
        if environ.get(name, "").strip().isdigit():
            return int(environ[name])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def course_env(kernels: bool = False, **overrides: str) -> dict[str, str]:
    """The environment variables the course runs under (``kernels=True``: for kernel parents).

    Examples
    --------
    >>> course_env()["TF_CPP_MIN_LOG_LEVEL"]
    '3'
    >>> course_env(kernels=True, KERAS_BACKEND="jax")["KERAS_BACKEND"]
    'jax'
    """
    return {**(KERNEL_ENV if kernels else COURSE_ENV), **overrides}


def apply_env(kernels: bool = False, **overrides: str) -> None:
    """Put :func:`course_env` into ``os.environ`` as defaults (values already set win)."""
    for key, value in course_env(kernels, **overrides).items():
        os.environ.setdefault(key, value)


#: what TensorFlow prints on fd 2 while it starts, before its logging is set up: absl's notice
#: and INFO lines (``I0000 00:00:1712345678.123456  4242 cudart_stub.cc:31] ...``)
_START_UP_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|I\d{4} \d\d:\d\d:[\d.]+ +\d+ [\w.]+:\d+\] .*)$"
)


def start_up_noise(line: str) -> bool:
    """True for a line TensorFlow writes to fd 2 at start-up that :func:`start_keras` holds back.

    Examples
    --------
    >>> start_up_noise("I0000 00:00:1712345678.123456    4242 cudart_stub.cc:31] Could not find")
    True
    >>> start_up_noise("I1206 21:36:35.446467    7432 port.cc:153] oneDNN custom operations are on.")
    True
    >>> start_up_noise("E0000 00:00:1712345678.123456    4242 cuda_dnn.cc:8] Unable to register")
    False
    """
    return bool(_START_UP_LINE.match(line.rstrip("\r\n")))


@contextlib.contextmanager
def _start_up_lines_held_back():
    """Capture what is written to file descriptor 2 in the block; then write out, through
    ``sys.stderr``, every line but TensorFlow's start-up notices (:func:`start_up_noise`)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters): nothing to hold
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace")
            kept = [line for line in text.splitlines(keepends=True) if not start_up_noise(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def start_keras():
    """Import Keras, start its backend, and return the ``keras`` module.

    Lessons call it in their first cell, before ``import keras`` (or anything that imports it)::

        import course_utils
        course_utils.start_keras()
        import keras

    It is ``import keras`` plus one tiny operation that makes the backend start now, with the INFO
    lines TensorFlow prints on file descriptor 2 while it starts held back (see
    :func:`start_up_noise`: a notebook would show them as red text).  Anything else written there,
    a warning or an error, is passed on to ``sys.stderr``.  On the JAX or PyTorch backend an
    installed TensorFlow is imported here too (Keras would import it on first use, e.g. in
    ``keras.utils.set_random_seed``).  Once Keras is started it returns at once.

    Returns
    -------
    module
        ``keras``.

    Examples
    --------
    >>> keras = start_keras()
    >>> keras.backend.backend() in ("tensorflow", "jax", "torch", "numpy")
    True
    """
    if "keras" in sys.modules:  # started already: nothing to hold back
        import keras

        return keras
    apply_env()
    with _start_up_lines_held_back():
        import keras

        keras.ops.convert_to_numpy(keras.ops.zeros((1,)))  # the backend starts here, held back
        if keras.backend.backend() != "tensorflow" and importlib.util.find_spec("tensorflow"):
            # On JAX or PyTorch, Keras imports an installed TensorFlow when it first needs it
            # (``keras.utils.set_random_seed`` seeds it too): here, with its lines held back.
            import tensorflow  # noqa: F401
    return keras

"""Process-level set-up: import Keras without TensorFlow's C-level log noise."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys


@contextlib.contextmanager
def _stderr_fd_silenced():
    """Send file descriptor 2 to /dev/null for the duration of the block.

    TensorFlow writes absl/CUDA-probing lines (``I0000 ... cudart_stub.cc``) straight to the
    process's stderr file descriptor while it is imported, before any Python logging is set up
    and regardless of ``TF_CPP_MIN_LOG_LEVEL``.  Inside Jupyter those lines would be captured into
    the notebook.  Python exceptions are unaffected (they propagate, they are not written).
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd (e.g. some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_import_keras() -> None:
    """Import ``keras`` (and its backend) once, with the start-up noise silenced.

    If Keras is not installed this does nothing: ``course_utils.doctor()`` reports it.
    """
    if "keras" in sys.modules:
        return
    with _stderr_fd_silenced():
        try:
            keras = importlib.import_module("keras")
        except ImportError:
            return
        # Touch the backend so TensorFlow's own lazy start-up also happens here.
        with contextlib.suppress(Exception):
            keras.ops.convert_to_numpy(keras.ops.zeros((1,)))
        # On the JAX or PyTorch backend Keras still imports an installed TensorFlow later (e.g.
        # ``keras.utils.set_random_seed`` seeds it too): do that here, where it is silenced.
        if keras.backend.backend() != "tensorflow" and importlib.util.find_spec("tensorflow"):
            with contextlib.suppress(Exception):
                importlib.import_module("tensorflow")
        import logging

        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        with contextlib.suppress(Exception):
            import absl.logging

            absl.logging.set_verbosity(absl.logging.ERROR)

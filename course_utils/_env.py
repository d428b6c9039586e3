"""Process-level set-up: the course's environment variables, and Keras imported without noise.

* :data:`COURSE_ENV` / :func:`course_env` are the one list of environment variables the course
  runs under (lessons' conftest, ``tools/execute_lessons.py``, the browser harness).
* :func:`quiet_import_keras` imports Keras (and TensorFlow) once with the start-up noise that
  TensorFlow writes straight to file descriptor 2 silenced (and, on the TensorFlow backend,
  without TFLite's optional import of JAX: :func:`_jax_hidden`).
* :func:`install` (run by ``import course_utils``, cheap: no Keras) sets the variables and arranges
  that the *first* ``import keras`` or ``import tensorflow`` anywhere in the process, e.g. a
  lesson's own ``import keras``, goes through :func:`quiet_import_keras`.  So importing the NumPy
  parts of the course stays fast, and Keras is started silently when it is first needed.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import os
import sys

__all__ = ["COURSE_ENV", "course_env", "quiet_import_keras", "install", "keras"]

#: variables TensorFlow and Keras read when they are first imported; set as defaults
COURSE_ENV: dict[str, str] = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TensorFlow's C++ INFO/WARNING/ERROR logs off
    "KERAS_BACKEND": "tensorflow",
}
#: for processes that start notebook kernels: also fix hashing and hide deprecation warnings
KERNEL_ENV: dict[str, str] = {
    **COURSE_ENV,
    "PYTHONHASHSEED": "0",  # read when an interpreter starts: only child processes see it
    "PYTHONWARNINGS": "ignore::DeprecationWarning",
}


def course_env(kernels: bool = False, **overrides: str) -> dict[str, str]:
    """The environment variables the course runs under (``kernels=True``: for kernel parents).

    Examples
    --------
    >>> course_env()["TF_CPP_MIN_LOG_LEVEL"]
    '3'
    """
    return {**(KERNEL_ENV if kernels else COURSE_ENV), **overrides}


def apply_env(kernels: bool = False, force: bool = False, **overrides: str) -> None:
    """Put :func:`course_env` into ``os.environ`` (as defaults unless ``force``)."""
    for key, value in course_env(kernels, **overrides).items():
        if force:
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)


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


@contextlib.contextmanager
def _jax_hidden():
    """On the TensorFlow backend, hide JAX (when installed, not yet imported) for the block.

    ``import tensorflow`` runs TFLite's ``from jax import jit`` whenever JAX is installed: 0.7 s
    of every Keras start, for converting JAX functions to TFLite, which the course never does.
    Inside the block ``import jax`` raises ImportError (TFLite then goes without); after it,
    JAX imports as usual.  On the JAX backend, Keras imports JAX itself: nothing is hidden.
    """
    hide = "jax" not in sys.modules and os.environ.get("KERAS_BACKEND") == "tensorflow"
    if hide:
        sys.modules["jax"] = None  # the import system's mark for "this module cannot import"
    try:
        yield
    finally:
        if hide and sys.modules.get("jax", False) is None:
            del sys.modules["jax"]


_starting = False


def _start_backend(keras_mod) -> None:
    """Make TensorFlow's lazy start-up happen now (call with fd 2 silenced)."""
    # Touch the backend so TensorFlow's own lazy start-up (device probing) happens here.
    with contextlib.suppress(Exception):
        keras_mod.ops.convert_to_numpy(keras_mod.ops.zeros((1,)))
    # On the JAX or PyTorch backend Keras still imports an installed TensorFlow later (e.g.
    # ``keras.utils.set_random_seed`` seeds it too): do that here, silenced.
    with contextlib.suppress(Exception):
        if keras_mod.backend.backend() != "tensorflow" and importlib.util.find_spec("tensorflow"):
            importlib.import_module("tensorflow")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with contextlib.suppress(Exception):
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)


def quiet_import_keras():
    """Import ``keras`` (and its backend) once, with the start-up noise silenced; return it.

    Returns None if Keras is not installed: ``course_utils.doctor()`` reports it.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    apply_env()
    with _stderr_fd_silenced(), _jax_hidden():
        try:
            keras_mod = importlib.import_module("keras")
        except ImportError:
            return None
        _start_backend(keras_mod)
    return keras_mod


def keras():
    """The ``keras`` module, started quietly on first use."""
    return quiet_import_keras()


class _QuietLoader(importlib.abc.Loader):
    """Runs the real loader of ``keras`` / ``tensorflow`` with fd 2 silenced."""

    def __init__(self, loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        module.__loader__ = module.__spec__.loader = self.loader  # hand back the real loader
        with _stderr_fd_silenced(), _jax_hidden():
            self.loader.exec_module(module)
            if module.__name__ == "keras":
                _start_backend(module)


class _QuietKerasFinder(importlib.abc.MetaPathFinder):
    """Sends the first ``import keras`` / ``import tensorflow`` of the process through
    :class:`_QuietLoader`; removes itself once Keras has started."""

    def find_spec(self, fullname, path=None, target=None):
        global _starting
        if fullname not in ("keras", "tensorflow") or _starting:
            return None
        if fullname == "keras":
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self)
        _starting = True
        try:
            spec = importlib.util.find_spec(fullname)  # what the other finders say
        finally:
            _starting = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _QuietLoader(spec.loader)
        return spec


def install() -> None:
    """Set the course's environment defaults; Keras will start quietly when first imported."""
    apply_env()
    if "keras" not in sys.modules and not any(
        isinstance(f, _QuietKerasFinder) for f in sys.meta_path
    ):
        sys.meta_path.insert(0, _QuietKerasFinder())

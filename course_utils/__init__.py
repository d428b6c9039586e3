"""Shared helpers for the "U-Net from scratch" course.

Importing this package (every lesson does it first) is quick and imports no Keras: it puts the
course's environment defaults into ``os.environ`` (``TF_CPP_MIN_LOG_LEVEL=3``,
``KERAS_BACKEND=tensorflow``, each only where it is not set yet), which TensorFlow reads when it
starts.  Lessons then call :func:`start_keras` before ``import keras``: it starts Keras without
the INFO lines TensorFlow prints while it starts (they would show as red text in the first cell).
The package has one module per concern:

========== ===================================================================
``ops``     NumPy reference implementations of every operation (float64-exact)
``backprop``the backward pass of every operation, numeric and autodiff gradient checks
``metrics`` pixel accuracy, IoU, Dice (NumPy and Keras versions)
``data``    sample photos, the synthetic shapes dataset, the Oxford-IIIT Pet loader
``models``  the seed note's U-Net, its layer description and a feature-map extractor
``toys``    the small fixed-weight NumPy networks that lessons take apart
``training``training profiles, checkpoints, resume
``viz``     static figures and fast array -> PNG encoding
``widgets`` the interactive explorers
``checks``  exercise checkers with specific feedback
========== ===================================================================

``ops``, ``data``, ``viz`` and ``toys`` import without Keras or TensorFlow.
"""

from __future__ import annotations

from . import _env
from ._env import start_keras

__version__ = "0.1.0"

_env.apply_env()  # environment defaults (os.environ.setdefault), before anything imports TensorFlow


def doctor() -> bool:
    """Print an environment report; return True when everything the course needs works."""
    from .diagnostics import doctor as _doctor

    return _doctor()


__all__ = ["doctor", "start_keras", "__version__"]

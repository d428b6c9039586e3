"""Shared helpers for the "U-Net from scratch" course.

Importing this package first (every lesson does) quiets TensorFlow's C-level start-up
logging and makes runs reproducible, *before* TensorFlow is imported.  Then it exposes
one module per concern:

========== ===================================================================
``ops``     NumPy reference implementations of every operation (float64-exact)
``backprop``the backward pass of every operation, numeric and autodiff gradient checks
``metrics`` pixel accuracy, IoU, Dice (NumPy and Keras versions)
``data``    sample photos, the synthetic shapes dataset, the Oxford-IIIT Pet loader
``models``  the seed note's U-Net and a feature-map extractor
``training``training profiles, checkpoints, resume
``viz``     static figures and fast array -> PNG encoding
``widgets`` the interactive explorers
``checks``  exercise checkers with specific feedback
========== ===================================================================
"""

from __future__ import annotations

import os

# Must run before TensorFlow is first imported anywhere in the process.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++ INFO/WARNING/ERROR logs off
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from ._env import quiet_import_keras  # noqa: E402

__version__ = "0.1.0"

quiet_import_keras()


def doctor() -> bool:
    """Print an environment report; return True when everything the course needs works."""
    from .diagnostics import doctor as _doctor

    return _doctor()


__all__ = ["doctor", "__version__"]

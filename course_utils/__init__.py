"""Shared helpers for the "U-Net from scratch" course.

Importing this package (every lesson does it first) is quick: it sets the environment variables
TensorFlow reads and arranges that Keras, when something first imports it, starts without
TensorFlow's C-level start-up noise.  Then it exposes one module per concern:

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

__version__ = "0.1.0"

_env.install()


def doctor() -> bool:
    """Print an environment report; return True when everything the course needs works."""
    from .diagnostics import doctor as _doctor

    return _doctor()


__all__ = ["doctor", "__version__"]

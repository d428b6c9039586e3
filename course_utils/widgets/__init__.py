"""Interactive explorers (ipywidgets): controls plus a short pure ``step`` that calls the domain
modules (``ops``, ``data``, ``metrics``, ``models``, ``toys``) and returns PNGs via ``viz``.

Display one by making it the last expression of a cell, e.g. ``KernelExplorer()``.
"""

from . import features, kernel, learn, loss, pooling, relu, skip, transpose, unet
from ._base import Explorer, Frame
from .features import *  # noqa: F403
from .kernel import *  # noqa: F403
from .learn import *  # noqa: F403
from .loss import *  # noqa: F403
from .pooling import *  # noqa: F403
from .relu import *  # noqa: F403
from .skip import *  # noqa: F403
from .transpose import *  # noqa: F403
from .unet import *  # noqa: F403

__all__ = ["Explorer", "Frame"] + [
    name
    for mod in (kernel, relu, pooling, transpose, skip, loss, learn, unet, features)
    for name in mod.__all__
]

"""Pictures, split by job:

* :mod:`course_utils.viz.png`: fast array -> picture -> PNG for the explorers (colour rules,
  values written in cells, outlines, colour bars, PNG encoding; NumPy and Pillow only);
* :mod:`course_utils.viz.figures`: static matplotlib figures for the lessons;
* :mod:`course_utils.viz.unet`: the U-Net's layout as a diagram and as the walk's "U" map, both
  read from :func:`course_utils.models.describe`.

Every name is also here, so ``from course_utils import viz; viz.to_png(...)`` keeps working.
Nothing here imports Keras.  Lesson 04's two figures live beside its toy in
:mod:`course_utils.toys`; ``viz.plot_scatter_steps`` and ``viz.plot_checkerboard`` still find
them there (looked up on first use, so importing ``viz`` does not import the toys).
"""

from __future__ import annotations

import importlib

from . import figures, png, unet
from .figures import *  # noqa: F403
from .png import *  # noqa: F403
from .unet import *  # noqa: F403

#: names that live elsewhere but lessons import from viz
_ELSEWHERE = {"plot_scatter_steps": "course_utils.toys", "plot_checkerboard": "course_utils.toys"}

__all__ = [*png.__all__, *figures.__all__, *unet.__all__, *_ELSEWHERE]


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

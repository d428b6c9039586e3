"""Interactive explorers (ipywidgets).  Each one keeps a pure ``step`` separate from the wiring.

Display one by making it the last expression of a cell, e.g. ``KernelExplorer()``.
"""

from ._base import Explorer, Frame
from .kernel import KERNEL_PRESETS, KernelExplorer, kernel_step

__all__ = ["Explorer", "Frame", "KernelExplorer", "KERNEL_PRESETS", "kernel_step"]

"""Interactive explorers (ipywidgets): controls plus a short pure ``step`` that calls the domain
modules (``ops``, ``data``, ``metrics``, ``models``, ``toys``) and returns PNGs via ``viz``.

Display one by making it the last expression of a cell, e.g. ``KernelExplorer()``.
``LivePlot`` (``live``) is the other notebook view: a Keras callback that redraws the training
curves after every epoch.

Each explorer's module is imported when a name from it is first asked for (PEP 562, as
scikit-image's packages do), so ``from course_utils.widgets import KernelExplorer`` starts
without Keras; only the U-Net explorers (``UNetWalkExplorer``, ``FeatureMapExplorer``) import
it, through :mod:`course_utils.models`.
"""

from __future__ import annotations

import importlib

from ._base import Explorer, Frame

#: every public name of the package -> the module that defines it (``tests/test_packaging.py``
#: checks this against each module's ``__all__``)
_HOMES = {
    **dict.fromkeys(["KernelExplorer", "kernel_step", "detail_corner"], "kernel"),
    **dict.fromkeys(["ReluExplorer", "relu_step", "map_histogram"], "relu"),
    **dict.fromkeys(["PoolingExplorer", "pooling_step", "draw_window_grid"], "pooling"),
    **dict.fromkeys(
        [
            "SCATTER_KERNELS",
            "ScatterExplorer",
            "scatter_step",
            "CheckerboardExplorer",
            "checkerboard_step",
        ],
        "transpose",
    ),
    **dict.fromkeys(["skip_step", "SkipExplorer", "SKIP_EXPLORER_INPUTS"], "skip"),
    **dict.fromkeys(["mask_metrics_step", "MaskMetricsExplorer"], "loss"),
    **dict.fromkeys(
        ["FilterLearningExplorer", "learn_step", "kernel_picture", "loss_curve_picture"], "learn"
    ),
    **dict.fromkeys(
        ["UNetWalkExplorer", "walk_layers", "u_picture", "walk_step", "ORDERS"], "unet"
    ),
    **dict.fromkeys(["FeatureMapExplorer", "feature_step"], "features"),
    **dict.fromkeys(["ElasticExplorer", "elastic_step", "nuclei_crop"], "elastic"),
    "LivePlot": "live",  # not an explorer: a Keras callback that redraws training curves
}
_MODULES = tuple(dict.fromkeys(_HOMES.values()))

__all__ = ["Explorer", "Frame", *_HOMES]


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
        globals()[name] = value  # the next lookup is a plain attribute
        return value
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES, *_MODULES})

"""The lessons' explorer widgets work in a real JupyterLab (headless Chromium).

To add an explorer, add a row to ``CASES``: notebook, which explorer in it (0 = first), the
label of a slider to move, what the info line must say for a slider value, a dropdown option to
pick.  A row whose notebook is missing fails (it is never skipped silently).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from .lab import LESSONS, REPO, CheckFailed, ExplorerCase, check_explorer, report_latency

pytestmark = pytest.mark.browser


def _conv_same(stride: float, n: int = 256) -> str:
    """KernelExplorer's info for a 256x256 photo with padding "same": ceil(n / s)."""
    m = -(-n // int(stride))
    return f"output {m}\u00d7{m}"


def _pool_2x2(stride: float, n: int = 256) -> str:
    """PoolingExplorer's info for a 256x256 photo and a 2x2 window: floor((n - 2) / s) + 1."""
    m = (n - 2) // int(stride) + 1
    return f"output {m}\u00d7{m}"


# One row per explorer: notebook, explorer index in the page, slider label, then options.
CASES = [
    ExplorerCase("01_convolution.ipynb", 0, "stride", name="KernelExplorer", info=_conv_same,
                 dropdown=("kernel", "box blur 3x3"), screenshot="docs/kernel_explorer.png"),
    ExplorerCase("02_relu.ipynb", 0, "bias", name="ReluExplorer",
                 dropdown=("kernel", "box blur 3x3")),
    ExplorerCase("03_pooling.ipynb", 0, "stride", name="PoolingExplorer", info=_pool_2x2,
                 dropdown=("photo", "coins")),
    ExplorerCase("04_transposed_conv.ipynb", 0, "pixels stamped", name="ScatterExplorer",
                 dropdown=("kernel", "tent 3x3")),
    ExplorerCase("04_transposed_conv.ipynb", 1, "stride", name="CheckerboardExplorer",
                 dropdown=("photo", "coins")),
    ExplorerCase("05_skip_connections.ipynb", 0, "poolings", name="SkipExplorer",
                 dropdown=("input", "photo: coins (copy it)")),
    ExplorerCase("06_loss_and_metrics.ipynb", 0, "shift x", name="MaskMetricsExplorer"),
    ExplorerCase("07_backpropagation.ipynb", 0, "step", name="FilterLearningExplorer",
                 info=lambda v: f"step {int(v)} of 60"),
    ExplorerCase("08_unet.ipynb", 0, "layer", name="UNetWalkExplorer", image=1,
                 info=lambda v: f"layer {int(v)} of 0..16", dropdown=("photo", "coins")),
]
NOTEBOOKS = list(dict.fromkeys(c.notebook for c in CASES))  # in order, each once


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda nb: Path(nb).stem)
def test_explorers(notebook: str, page, lab_server, artefacts_on_failure, tmp_path, request):
    """Run the notebook once in JupyterLab, then check each of its explorers in CASES.

    Screenshots are taken into the test's temporary folder; with ``--refresh-docs`` they are
    also copied over the tracked pictures in ``docs/`` (once every explorer of the notebook passed).
    """
    if not (LESSONS / notebook).is_file():
        pytest.fail(f"lessons/{notebook} not found (listed in CASES)", pytrace=False)
    shots = []
    for i, case in enumerate(c for c in CASES if c.notebook == notebook):
        shot = tmp_path / f"explorer{case.index}.png" if case.screenshot else None
        with artefacts_on_failure():
            report = check_explorer(page, lab_server, case, run=i == 0, screenshot_to=shot)
        report_latency(
            f"{case.name} slider-to-image latency: median {report.median_ms:.0f} ms over "
            f"{len(report.latencies_ms)} moves (picture loaded: median "
            f"{report.median_load_ms:.0f} ms) [{case.id}, slider {case.slider!r}; all: "
            f"{', '.join(f'{x:.0f}' for x in report.latencies_ms)} ms]")
        if shot is not None:
            shots.append((shot, REPO / case.screenshot))
    if request.config.getoption("--refresh-docs"):
        for shot, target in shots:
            shutil.copyfile(shot, target)


# ---- the harness itself must catch a broken explorer ----------------------------------------
_BREAK = """\
import course_utils
import course_utils.widgets.kernel as _kernel_module
_real_step = _kernel_module.kernel_step

def _broken_step(image, kernel, stride, padding, *args, **kwargs):
    if {condition}:
        raise RuntimeError("kernel_step deliberately broken for the harness self-test")
    return _real_step(image, kernel, stride, padding, *args, **kwargs)

_kernel_module.kernel_step = _broken_step"""


def _write_broken(server, name: str, condition: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)"),
        nbformat.v4.new_code_cell(_BREAK.format(condition=condition)),
        nbformat.v4.new_code_cell("from course_utils.widgets import KernelExplorer\n"
                                  "KernelExplorer()"),
    ]
    nbformat.write(nb, server.root / name)
    return name


@pytest.mark.parametrize(
    ("broken", "condition", "expected"),
    [
        pytest.param("on-display", "True",
                     r"cell 2: error output: RuntimeError: kernel_step deliberately broken",
                     id="on-display"),
        pytest.param("on-slider-move", "stride != 1",
                     r"timed out after 4 s waiting for the picture to change after ArrowRight "
                     r"on slider 'stride' \(from 1\); JupyterLab's log console shows: RuntimeError: "
                     r"kernel_step deliberately broken", id="on-slider-move"),
    ],
)
def test_harness_detects_broken_explorer(broken, condition, expected, page, lab_server,
                                         artefacts_on_failure):
    name = _write_broken(lab_server, f"_broken_{broken}.ipynb", condition)
    case = ExplorerCase(name, 0, "stride", name="KernelExplorer", info=_conv_same,
                        dropdown=("kernel", "box blur 3x3"), change_timeout_s=4.0)
    with artefacts_on_failure():
        with pytest.raises(CheckFailed, match=expected) as info:
            check_explorer(page, lab_server, case)
        # the kernel ran in this environment (the kernelspec resolved to the venv's python)
        first_output = page.locator(".jp-Notebook .jp-Cell").first.locator(
            ".jp-OutputArea-output").inner_text().strip()
        assert first_output == sys.prefix, (first_output, sys.prefix)
    print(f"\nharness reported ({info.value.__class__.__name__}): {info.value}")
    assert Path(lab_server.root / name).is_file()


# ---- lesson 09's explorer, without the lesson's minute of training ---------------------------
_FEATURES = """\
import course_utils
import keras
from course_utils import data, models
from course_utils.widgets import FeatureMapExplorer

x, y = data.make_shapes(4, size=32, seed=0)
keras.utils.set_random_seed(0)
untrained = models.unet((32, 32, 3), base_filters=4)
keras.utils.set_random_seed(1)  # stands in for the trained net: other weights, same layers
trained = models.unet((32, 32, 3), base_filters=4)
FeatureMapExplorer(trained, untrained, x, masks=y, layer="enc1_conv2", channel=0, image=0)"""


def test_feature_map_explorer(page, lab_server, artefacts_on_failure):
    """Lesson 09's FeatureMapExplorer, on two small untrained nets (lesson 09 itself trains for
    a minute, too long for this suite; its explorer is the same class)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(_FEATURES)]
    nbformat.write(nb, lab_server.root / "_features.ipynb")
    case = ExplorerCase("_features.ipynb", 0, "channel", name="FeatureMapExplorer",
                        dropdown=("layer", "dec5_conv2"))
    with artefacts_on_failure():
        report = check_explorer(page, lab_server, case)
    report_latency(f"{case.name} slider-to-image latency: median {report.median_ms:.0f} ms over "
                   f"{len(report.latencies_ms)} moves [{case.id}, slider {case.slider!r}]")

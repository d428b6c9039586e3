"""The lessons' explorer widgets work in a real JupyterLab (headless Chromium).

To add an explorer, add a row to ``CASES``: notebook, which explorer in it (0 = first), the
label of a slider to move, what the info line must say for a slider value, a dropdown option to
pick.  A row whose notebook is missing fails (it is never skipped silently).

State that matches the code: ``state={label: shown value}`` lists what each control must show
right after Run All, written from the lesson's code (the call that creates the explorer): a
slider's readout as the page prints it ("2", "+0.00", "0.50"; a minus sign is written "-"), the
selected label of a dropdown or toggle buttons, "true"/"false" for a checkbox.  When a lesson changes how it creates an explorer,
change its row.  ``picture`` (optional) gives the PNG the checked picture must show then, computed
here with the explorer's pure step; ``linked`` (optional) what its linked view must show on hover
and click, computed here with ``course_utils.ops``.
"""

from __future__ import annotations

import functools
import shutil
import sys
import threading
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils import ops
from course_utils.data import photo

from .lab import (
    HOVER_PAUSE_S,
    HOVER_TARGET_MS,
    LESSONS,
    REPO,
    SLIDER_TARGET_MS,
    CheckFailed,
    ExplorerCase,
    LinkedProbe,
    check_explorer,
    finish_run,
    report_latency,
    run_notebooks,
)

pytestmark = pytest.mark.browser


def _conv_same(stride: float, n: int = 256) -> str:
    """KernelExplorer's info for a 256x256 photo with padding "same": ceil(n / s)."""
    m = -(-n // int(stride))
    return f"output {m}\u00d7{m}"


def _pool_2x2(stride: float, n: int = 256) -> str:
    """PoolingExplorer's info for a 256x256 photo and a 2x2 window: floor((n - 2) / s) + 1."""
    m = (n - 2) // int(stride) + 1
    return f"output {m}\u00d7{m}"


def _f32(a) -> np.ndarray:
    """What the linked view sends to the browser: float32 values (as float64)."""
    return np.asarray(a, np.float32).astype(np.float64)


def _reached(out_of_one_hot: np.ndarray) -> int:
    return int(np.count_nonzero(out_of_one_hot))


_SOBEL_X = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
_PIXELS = [(int(r), int(c)) for r, c in np.random.default_rng(0).integers(0, 16, (8, 2))]


# ---- lesson 01: KernelExplorer(image="camera", preset="Sobel x (vertical edges)") -----------
@functools.cache
def _kernel_picture() -> bytes:
    from course_utils.widgets.kernel import detail_corner, kernel_step

    img = photo("camera", gray=True)
    return kernel_step(
        img, _SOBEL_X, 1, "same", "per map", detail=detail_corner("camera", img.shape)
    ).images["output"]


@functools.cache
def _kernel_linked() -> LinkedProbe:
    """The 16x16 detail convolved with Sobel x, stride 1, "same" (1 zero on every side)."""
    from course_utils.widgets.kernel import detail_corner

    img = photo("camera", gray=True)
    y0, x0 = detail_corner("camera", img.shape)
    x = _f32(img[y0 : y0 + 16, x0 : x0 + 16])
    one = np.zeros((16, 16))
    one[4, 9] = 1.0
    return LinkedProbe(
        out=ops.conv2d(x, _SOBEL_X, 1, "same"),
        window=lambda r, c: (r - 1, c - 1, r + 2, c + 2),
        pixels=[(5, 7), (0, 0), (15, 15), *_PIXELS],
        click=(4, 9),
        field=_reached(ops.conv2d(one, np.ones((3, 3)), 1, "same")),
        offset=(1, 1),
    )


# ---- lesson 03: PoolingExplorer(image="camera", pool_size=2, stride=2, mode="max") ----------
@functools.cache
def _pooling_picture() -> bytes:
    from course_utils.data import DETAIL_CORNERS
    from course_utils.widgets.pooling import pooling_step

    return pooling_step(photo("camera", gray=True), 2, 2, "max", DETAIL_CORNERS["camera"]).images[
        "output"
    ]


@functools.cache
def _pooling_linked() -> LinkedProbe:
    """The 32x32 detail (lesson 03's yellow box), max-pooled 2x2, stride 2 -> 16x16."""
    from course_utils.data import DETAIL_CORNERS

    y0, x0 = DETAIL_CORNERS["camera"]
    x = _f32(photo("camera", gray=True)[y0 : y0 + 32, x0 : x0 + 32])
    return LinkedProbe(
        out=ops.max_pool2d(x, 2, 2),
        window=lambda r, c: (2 * r, 2 * c, 2 * r + 2, 2 * c + 2),
        pixels=[(6, 9), (0, 15), *_PIXELS],
        click=(13, 20),
        field=1,
    )


# ---- lesson 04: ScatterExplorer(size=4, kernel="ones 3x3", stride=2, count=6) ---------------
_SCATTER_X = np.random.default_rng(4).integers(1, 5, (4, 4)).astype(np.float64)


@functools.cache
def _scatter_picture() -> bytes:
    from course_utils.widgets.transpose import scatter_step

    return scatter_step(_SCATTER_X, np.ones((3, 3)), 2, 6).images["output"]


def _transpose_window(n: int, k: int, s: int):
    """Bounding box of the input pixels whose stamps cover output (r, c) (s * i + a == r)."""

    def axis(r):
        return [i for i in range(n) if 0 <= r - s * i < k]

    def window(r, c):
        rows, cols = axis(r), axis(c)
        if not rows or not cols:
            return (0, 0, 0, 0)
        return (min(rows), min(cols), max(rows) + 1, max(cols) + 1)

    return window


@functools.cache
def _scatter_linked() -> LinkedProbe:
    """The first 6 stamps (row by row) of a 4x4 input, ones 3x3, stride 2 -> the 9x9 output so far."""
    stamped = np.where((np.arange(16) < 6).reshape(4, 4), _SCATTER_X, 0.0)
    one = np.zeros((4, 4))
    one[1, 1] = 1.0
    return LinkedProbe(
        out=ops.conv2d_transpose(stamped, np.ones((3, 3)), 2, "valid"),
        window=_transpose_window(4, 3, 2),
        pixels=[(2, 2), (0, 4), (8, 8), (4, 3), (1, 6), (6, 1), (3, 3), (5, 5)],
        click=(1, 1),
        field=_reached(ops.conv2d_transpose(one, np.ones((3, 3)), 2, "valid")),
    )


@functools.cache
def _checkerboard_picture() -> bytes:
    from course_utils.widgets.transpose import checkerboard_step

    return checkerboard_step(3, 2, "camera").images["photo"]


# One row per explorer: notebook, explorer index in the page, slider label, then options.
CASES = [
    ExplorerCase(
        "01_convolution.ipynb",
        0,
        "stride",
        name="KernelExplorer",
        info=_conv_same,
        dropdown=("kernel", "box blur 3x3"),
        screenshot="docs/kernel_explorer",
        state={
            "photo": "camera",
            "kernel": "Sobel x (vertical edges)",
            "stride": "1",
            "padding": "same",
            "colour scale": "per map",
        },
        picture=_kernel_picture,
        linked=_kernel_linked,
    ),
    ExplorerCase(
        "02_relu.ipynb",
        0,
        "bias",
        name="ReluExplorer",
        dropdown=("kernel", "box blur 3x3"),
        state={"photo": "camera", "kernel": "Sobel x (vertical edges)", "bias": "+0.00"},
    ),
    ExplorerCase(
        "03_pooling.ipynb",
        0,
        "stride",
        name="PoolingExplorer",
        info=_pool_2x2,
        dropdown=("photo", "coins"),
        screenshot="docs/pooling_explorer",
        state={"photo": "camera", "pool size": "2", "stride": "2", "pooling": "max"},
        picture=_pooling_picture,
        linked=_pooling_linked,
    ),
    ExplorerCase(
        "04_transposed_conv.ipynb",
        0,
        "pixels stamped",
        name="ScatterExplorer",
        dropdown=("kernel", "tent 3x3"),
        screenshot="docs/scatter_explorer",
        state={"input size": "4", "kernel": "ones 3x3", "stride": "2", "pixels stamped": "6"},
        picture=_scatter_picture,
        linked=_scatter_linked,
    ),
    ExplorerCase(
        "04_transposed_conv.ipynb",
        1,
        "stride",
        name="CheckerboardExplorer",
        dropdown=("photo", "coins"),
        state={"kernel size": "3", "stride": "2", "photo": "camera"},
        picture=_checkerboard_picture,
    ),
    ExplorerCase(
        "05_skip_connections.ipynb",
        0,
        "poolings",
        name="SkipExplorer",
        dropdown=("input", "photo: coins (copy it)"),
        state={"input": "shapes: mark the big ones", "poolings": "3", "upsampling": "nearest"},
    ),
    ExplorerCase(
        "06_loss_and_metrics.ipynb",
        0,
        "shift x",
        name="MaskMetricsExplorer",
        state={
            "object radius": "40",
            "shift x": "12",
            "shift y": "0",
            "blur (px)": "3.0",
            "threshold": "0.50",
        },
    ),
    ExplorerCase(
        "07_backpropagation.ipynb",
        0,
        "step",
        name="FilterLearningExplorer",
        info=lambda v: f"step {int(v)} of 60",
        state={"step": "20", "learning rate": "0.1"},
    ),
    ExplorerCase(
        "08_unet.ipynb",
        0,
        "layer",
        name="UNetWalkExplorer",
        image=1,
        info=lambda v: f"layer {int(v)} of 0..16",
        dropdown=("photo", "coins"),
        state={"photo": "cat", "layer": "9", "channel": "0"},
    ),
]
NOTEBOOKS = list(dict.fromkeys(c.notebook for c in CASES))  # in order, each once


def _report(case: ExplorerCase, report) -> None:
    # the verdict is on the picture loaded (ready to paint), not on its src being set
    med = report.median_load_ms
    line = (
        f"{case.name} slider-to-picture: median {med:.0f} ms to the picture loaded over "
        f"{len(report.load_latencies_ms)} moves (target {SLIDER_TARGET_MS:.0f} ms: "
        f"{'met' if med <= SLIDER_TARGET_MS else 'MISSED'}; src set: median "
        f"{report.median_ms:.0f} ms; {sum(report.cached)} of {len(report.cached)} from "
        f"frames sent ahead; the kernel's own frame: median {report.median_kernel_ms:.0f} ms) "
        f"[{case.id}, slider {case.slider!r}; all: "
        f"{', '.join(f'{x:.0f}' for x in report.load_latencies_ms)} ms]"
    )
    if report.hover_ms:
        hov = report.median_hover_ms
        line += (
            f"\n{case.name} hover-to-highlight: median {hov:.2f} ms over "
            f"{len(report.hover_ms)} hovers {HOVER_PAUSE_S * 1000:.0f} ms apart "
            f"(target {HOVER_TARGET_MS:.0f} ms: "
            f"{'met' if hov <= HOVER_TARGET_MS else 'MISSED'}; max "
            f"{max(report.hover_ms):.2f} ms); " + "; ".join(report.linked_lines)
        )
    report_latency(line)


def _notebooks_of(items) -> list[str]:
    """The notebooks the selected tests of this module need, in the order they run."""
    out = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.name.startswith("test_feature_map_explorer"):
            out.append("_features.ipynb")
        elif "notebook" in params or "name" in params:
            out.append(params.get("notebook") or params["name"])
    return [nb for nb in dict.fromkeys(out) if (LESSONS / nb).is_file() or nb.startswith("_")]


@pytest.fixture(scope="module")
def runs(browser_context, lab_server, request):
    """Every notebook of this module, each a tab of one JupyterLab page, all started at once.

    The kernels get falling CPU priorities in the order the tests below check the notebooks
    (:func:`run_notebooks`): each test waits for its own notebook's run (:func:`_ran`), and
    checks its explorers while the later runs go on at a lower priority.
    """
    for name, condition in _BROKEN.items():
        _write_broken(lab_server, name, condition)
    _write_features(lab_server)
    # the expected pictures and linked values (cached), computed here while the browser works
    expected = threading.Thread(target=_expected_values, daemon=True)
    expected.start()
    page = browser_context.new_page()
    page.console_lines = []
    page.on("console", lambda m: page.console_lines.append(f"[{m.type}] {m.text}"))
    page.on("pageerror", lambda e: page.console_lines.append(f"[pageerror] {e}"))
    page.set_default_timeout(30_000)
    started = run_notebooks(page, lab_server, _notebooks_of(request.session.items))
    page.set_default_timeout(15_000)
    expected.join()
    yield started
    ended = [r for r in started.values() if r.finished and r.seconds]
    nice = [r.nice for r in started.values()]
    how = (
        f"kernels at niceness {nice[0]}..{nice[-1]} in the order checked"
        if None not in nice
        else "no kernel priorities: every run ended before the first check"
    )
    if ended:
        report_latency(
            f"Run All Cells of {len(started)} notebooks at once (one JupyterLab page; {how}): "
            f"ended after {', '.join(f'{r.seconds:.0f}' for r in ended)} s"
        )
    page.close()
    lab_server.kill_kernels()


def _expected_values() -> None:
    """Fill the caches of every case's ``picture`` and ``linked`` (errors surface in the tests)."""
    for case in CASES:
        for make in (case.picture, case.linked):
            if make is not None:
                try:
                    make()
                except Exception:  # noqa: BLE001, S110 - the test calls it again and reports it
                    pass


def _ran(runs, notebook: str, server):
    """The notebook's run, over (:func:`finish_run`); its tab is brought to the front."""
    run = finish_run(runs[notebook], server)
    run.activate()
    return run


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda nb: Path(nb).stem)
def test_explorers(notebook: str, runs, lab_server, artefacts_on_failure, tmp_path, request):
    """The notebook ran once in JupyterLab (:func:`runs`); check each of its explorers in CASES.

    With ``--refresh-docs`` screenshots of the explorers that have a ``screenshot`` prefix
    (after Run All, and hovering the linked view) are copied over the tracked pictures in
    ``docs/`` once every explorer of the notebook passed.
    """
    if not (LESSONS / notebook).is_file():
        pytest.fail(f"lessons/{notebook} not found (listed in CASES)", pytrace=False)
    run = _ran(runs, notebook, lab_server)
    refresh = request.config.getoption("--refresh-docs")
    shots = []
    with artefacts_on_failure(run.page):
        if run.error is not None:
            raise run.error
    for case in (c for c in CASES if c.notebook == notebook):
        folder = tmp_path if (refresh and case.screenshot) else None
        with artefacts_on_failure(run.page):
            report = check_explorer(run, lab_server, case, screenshot_to=folder)
        _report(case, report)
        if folder is not None:
            shots.append((folder / f"explorer{case.index}.png", REPO / f"{case.screenshot}.png"))
            hover = folder / f"explorer{case.index}_hover.png"
            if hover.is_file():
                shots.append((hover, REPO / f"{case.screenshot}_hover.png"))
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
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)"),
        nbformat.v4.new_code_cell(_BREAK.format(condition=condition)),
        nbformat.v4.new_code_cell(
            "from course_utils.widgets import KernelExplorer\nKernelExplorer()"
        ),
    ]
    nbformat.write(nb, server.root / name)
    return name


_BROKEN = {"_broken_on-display.ipynb": "True", "_broken_on-slider-move.ipynb": "stride != 1"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "_broken_on-display.ipynb",
            r"cell 2: error output: RuntimeError: kernel_step deliberately broken",
            id="on-display",
        ),
        pytest.param(
            "_broken_on-slider-move.ipynb",
            r"timed out after 1 s waiting for the picture to change after ArrowRight "
            r"on slider 'stride' \(from 1\); JupyterLab's log console shows: RuntimeError: "
            r"kernel_step deliberately broken",
            id="on-slider-move",
        ),
    ],
)
def test_harness_detects_broken_explorer(name, expected, runs, lab_server, artefacts_on_failure):
    run = _ran(runs, name, lab_server)
    case = ExplorerCase(
        name,
        0,
        "stride",
        name="KernelExplorer",
        info=_conv_same,
        dropdown=("kernel", "box blur 3x3"),
        change_timeout_s=1.0,
    )
    with artefacts_on_failure(run.page):
        with pytest.raises(CheckFailed, match=expected) as info:
            if run.error is not None:
                raise run.error
            check_explorer(run, lab_server, case)
        # the kernel ran in this environment (the kernelspec resolved to the venv's python)
        first_output = (
            run.root.locator("css:light=.jp-Notebook .jp-Cell")
            .first.locator("css:light=.jp-OutputArea-output")
            .text_content()
            .strip()
        )
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


def _write_features(server) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(_FEATURES)]
    nbformat.write(nb, server.root / "_features.ipynb")


def test_feature_map_explorer(runs, lab_server, artefacts_on_failure):
    """Lesson 09's FeatureMapExplorer, on two small untrained nets (lesson 09 itself trains for
    a minute, too long for this suite; its explorer is the same class)."""
    run = _ran(runs, "_features.ipynb", lab_server)
    case = ExplorerCase(
        "_features.ipynb",
        0,
        "channel",
        name="FeatureMapExplorer",
        dropdown=("layer", "dec5_conv2"),
        state={"layer": "enc1_conv2", "channel": "0", "image": "0"},
    )
    with artefacts_on_failure(run.page):
        if run.error is not None:
            raise run.error
        report = check_explorer(run, lab_server, case)
    _report(case, report)

"""The lessons' explorers work in a real JupyterLab (headless Chromium); see README.md here.

Each notebook of ``CASES`` runs once (Run All Cells) and each of its explorers is checked: the
state its code asked for, the picture that state gives, its linked view against
``course_utils.ops``, slider and dropdown changes, and the latencies (printed against their
targets).  To add an explorer, add a row to ``CASES``; when a lesson changes how it creates an
explorer, change its row's ``state`` (and ``picture``/``linked`` if they depend on it).
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils import ops
from course_utils.data import DETAIL_CORNERS, photo

from .lab import (
    LESSONS,
    REPO,
    CheckFailed,
    ExplorerCase,
    LinkedProbe,
    check_explorer,
    report,
    report_latencies,
)

pytestmark = pytest.mark.browser

_SOBEL_X = ops.KERNEL_PRESETS["Sobel x (vertical edges)"]
_PIXELS = [(int(r), int(c)) for r, c in np.random.default_rng(0).integers(0, 16, (8, 2))]
_SCATTER_X = np.random.default_rng(4).integers(1, 5, (4, 4)).astype(np.float64)


def _f32(a) -> np.ndarray:
    """What a linked view sends to the browser: float32 values."""
    return np.asarray(a, np.float32).astype(np.float64)


def _field(op, shape: tuple[int, int], at: tuple[int, int]) -> int:
    """How many output pixels change when input pixel ``at`` of a map of ``shape`` does (ops)."""
    one = np.zeros(shape)
    one[at] = 1.0
    return int(np.count_nonzero(op(one)))


# ---- lesson 01: KernelExplorer(image="camera", preset="Sobel x (vertical edges)") -------------
@functools.cache
def _kernel_picture() -> bytes:
    from course_utils.widgets.kernel import detail_corner, kernel_step

    img = photo("camera", gray=True)
    corner = detail_corner("camera", img.shape)
    return kernel_step(img, _SOBEL_X, 1, "same", "per map", detail=corner).images["output"]


def _kernel_linked() -> LinkedProbe:
    """The photo convolved with Sobel x, stride 1, "same"; the view shows the 16x16 detail's part.

    Its border: the detail's output[2, 0], whose window reads the column left of the detail.
    """
    from course_utils.widgets.kernel import DETAIL, detail_corner

    img = photo("camera", gray=True)
    y0, x0 = detail_corner("camera", img.shape)
    real = float(ops.conv2d(img, _SOBEL_X, 1, "same")[y0 + 2, x0])  # the lesson's feature map
    alone = ops.conv2d(img[y0 : y0 + DETAIL, x0 : x0 + DETAIL], _SOBEL_X, 1, "same")[2, 0]
    # the view sends float32 pixels: the sum may differ by their rounding, sum|K| * max|x| * 2^-24
    tol = float(np.abs(_SOBEL_X).sum() * np.abs(img).max()) * 2.0**-24 + 1e-9
    assert abs(real - alone) > 100 * tol, "this border pixel does not tell the two apart"
    return LinkedProbe(
        out=ops.conv2d(_f32(img), _SOBEL_X, 1, "same"),
        shape=(16, 16),
        window=lambda r, c: (r - 1, c - 1, r + 2, c + 2),
        pixels=[(y0 + r, x0 + c) for r, c in [(5, 7), (0, 0), (15, 15), *_PIXELS]],
        click=(y0 + 4, x0 + 9),
        field=_field(lambda x: ops.conv2d(x, np.ones((3, 3)), 1, "same"), img.shape, (4, 9)),
        border=(y0 + 2, x0),
        real=real,
        detached=float(alone),
        tol=tol,
    )


# ---- lesson 03: PoolingExplorer(image="camera", pool_size=2, stride=2, mode="max") ------------
@functools.cache
def _pooling_picture() -> bytes:
    from course_utils.widgets.pooling import pooling_step

    img = photo("camera", gray=True)
    return pooling_step(img, 2, 2, "max", DETAIL_CORNERS["camera"]).images["output"]


def _pooling_linked() -> LinkedProbe:
    """The photo max-pooled 2x2, stride 2; the view shows the 32x32 detail's part (16x16)."""
    y0, x0 = DETAIL_CORNERS["camera"]
    r0, c0 = -(-y0 // 2), -(-x0 // 2)  # the first windows inside the detail
    return LinkedProbe(
        out=ops.max_pool2d(_f32(photo("camera", gray=True)), 2, 2),
        shape=(16, 16),
        window=lambda r, c: (2 * r, 2 * c, 2 * r + 2, 2 * c + 2),
        pixels=[(r0 + r, c0 + c) for r, c in [(6, 9), (0, 15), *_PIXELS]],
        click=(y0 + 13, x0 + 20),
        field=1,
    )


def _pooling_never_read(stride: float) -> tuple[int, int]:
    """A pixel of the detail no 2x2 window reads at ``stride`` (ops: changing it changes nothing)."""
    y0, x0 = DETAIL_CORNERS["camera"]
    shape = photo("camera", gray=True).shape
    pool = functools.partial(ops.max_pool2d, pool_size=2, stride=int(stride))
    return next((y0 + r, x0 + 5) for r in range(32) if _field(pool, shape, (y0 + r, x0 + 5)) == 0)


# ---- lesson 04: ScatterExplorer(size=4, kernel="ones 3x3", stride=2, count=6) -----------------
@functools.cache
def _scatter_picture() -> bytes:
    from course_utils.widgets.transpose import scatter_step

    return scatter_step(_SCATTER_X, np.ones((3, 3)), 2, 6).images["output"]


def _sources(r: int, c: int) -> tuple[int, int, int, int]:
    """Bounding box of the input pixels i (4 per axis) whose 3x3 stamps at 2 * i cover (r, c)."""
    rows, cols = ([i for i in range(4) if 0 <= v - 2 * i < 3] for v in (r, c))
    return (min(rows), min(cols), max(rows) + 1, max(cols) + 1) if rows and cols else (0,) * 4


def _scatter_linked() -> LinkedProbe:
    """The first 6 stamps (row by row) of the 4x4 input, ones 3x3, stride 2: the 9x9 output so far."""
    stamped = np.where((np.arange(16) < 6).reshape(4, 4), _SCATTER_X, 0.0)
    return LinkedProbe(
        out=ops.conv2d_transpose(stamped, np.ones((3, 3)), 2, "valid"),
        shape=(9, 9),
        window=_sources,
        pixels=[(2, 2), (0, 4), (8, 8), (4, 3), (1, 6), (6, 1), (3, 3), (5, 5)],
        click=(1, 1),
        field=_field(
            lambda x: ops.conv2d_transpose(x, np.ones((3, 3)), 2, "valid"), (4, 4), (1, 1)
        ),
    )


@functools.cache
def _checkerboard_picture() -> bytes:
    from course_utils.widgets.transpose import checkerboard_step

    return checkerboard_step(3, 2, "camera").images["photo"]


def _output_side(n: int, window: int, stride: float, same: bool) -> str:
    m = -(-n // int(stride)) if same else (n - window) // int(stride) + 1
    return f"output {m}\u00d7{m}"


# One row per explorer; ``state`` is what the lesson's code asks for (see lab.ExplorerCase).
CASES = [
    ExplorerCase(
        "01_convolution.ipynb", 0, "stride", "KernelExplorer",
        state={"photo": "camera", "kernel": "Sobel x (vertical edges)", "stride": "1",
               "padding": "same", "colour scale": "per map"},
        picture=_kernel_picture,
        linked=_kernel_linked,
        info=lambda s: _output_side(256, 3, s, same=True),
        dropdown=("kernel", "box blur 3x3"),
        screenshot="docs/kernel_explorer",
    ),
    ExplorerCase(
        "02_relu.ipynb", 0, "bias", "ReluExplorer",
        state={"photo": "camera", "kernel": "Sobel x (vertical edges)", "bias": "+0.00"},
        dropdown=("kernel", "box blur 3x3"),
    ),
    ExplorerCase(
        "03_pooling.ipynb", 0, "stride", "PoolingExplorer",
        state={"photo": "camera", "pool size": "2", "stride": "2", "pooling": "max"},
        picture=_pooling_picture,
        linked=_pooling_linked,
        info=lambda s: _output_side(256, 2, s, same=False),
        dropdown=("photo", "coins"),
        never_read=_pooling_never_read,
        screenshot="docs/pooling_explorer",
    ),
    ExplorerCase(
        "04_transposed_conv.ipynb", 0, "pixels stamped", "ScatterExplorer",
        state={"input size": "4", "kernel": "ones 3x3", "stride": "2", "pixels stamped": "6"},
        picture=_scatter_picture,
        linked=_scatter_linked,
        dropdown=("kernel", "tent 3x3"),
        screenshot="docs/scatter_explorer",
    ),
    ExplorerCase(
        "04_transposed_conv.ipynb", 1, "stride", "CheckerboardExplorer",
        state={"kernel size": "3", "stride": "2", "photo": "camera"},
        picture=_checkerboard_picture,
        dropdown=("photo", "coins"),
    ),
    ExplorerCase(
        "05_skip_connections.ipynb", 0, "poolings", "SkipExplorer",
        state={"input": "shapes: mark the big ones", "poolings": "3", "upsampling": "nearest"},
        dropdown=("input", "photo: coins (copy it)"),
    ),
    ExplorerCase(
        "06_loss_and_metrics.ipynb", 0, "shift x", "MaskMetricsExplorer",
        state={"object radius": "40", "shift x": "12", "shift y": "0", "blur (px)": "3.0",
               "threshold": "0.50"},
    ),
    ExplorerCase(
        "07_backpropagation.ipynb", 0, "step", "FilterLearningExplorer",
        state={"step": "20", "learning rate": "0.1"},
        info=lambda v: f"step {int(v)} of 60",
    ),
    ExplorerCase(
        "08_unet.ipynb", 0, "layer", "UNetWalkExplorer",
        state={"photo": "cat", "layer": "9", "channel": "0"},
        image=1,
        info=lambda v: f"layer {int(v)} of 0..16",
        dropdown=("photo", "coins"),
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    "notebook", list(dict.fromkeys(c.notebook for c in CASES)), ids=lambda nb: Path(nb).stem
)
def test_explorers(notebook, lab, tmp_path, request):
    """Run All Cells in ``notebook``, then check each of its explorers in ``CASES``.

    With ``--refresh-docs``, the screenshots of explorers with a ``screenshot`` prefix replace
    the pictures in ``docs/`` once every explorer of the notebook passed.
    """
    if not (LESSONS / notebook).is_file():
        pytest.fail(f"lessons/{notebook} not found (listed in CASES)", pytrace=False)
    refresh = request.config.getoption("--refresh-docs")
    shots = []
    with lab.notebook(notebook) as run:
        report(f"{notebook}: Run All Cells took {run.seconds:.1f} s")
        for case in (c for c in CASES if c.notebook == notebook):
            folder = tmp_path if refresh and case.screenshot else None
            report_latencies(case, check_explorer(lab, run, case, folder))
            if folder is not None:
                for suffix in ("", "_hover"):
                    shot = folder / f"explorer{case.index}{suffix}.png"
                    shots.append((shot, REPO / f"{case.screenshot}{suffix}.png"))
    for shot, target in shots:
        shutil.copyfile(shot, target)


# ---- the Chinese edition: a lesson runs, reads Chinese, and its → link opens the next one ----
_OPENED_JS = r"""
(path) => {
  // the DOM id of the open notebook panel showing `path`, once its kernel is ready
  const w = [...window.jupyterapp.shell.widgets('main')].find(w => w.context?.path === path);
  return w && w.sessionContext?.session?.kernel ? w.id : null;
}
"""


def test_chinese_lesson(lab):
    """lessons/zh/01_convolution.ipynb in JupyterLab as a student opens it: Run All Cells runs
    every cell once without error, the markdown shows the Chinese text, the explorer passes the
    same checks as the English lesson's, and the → link opens the Chinese lesson 02."""
    name = "zh/01_convolution.ipynb"
    case = dataclasses.replace(CASES[0], notebook=name, screenshot=None)
    with lab.notebook(name) as run:
        report(f"{name}: Run All Cells took {run.seconds:.1f} s")
        page = lab.page
        title = page.locator(f"{run.selector} .jp-RenderedMarkdown h1").first.text_content()
        assert title.startswith("01 · 卷积"), f"the first heading reads {title!r}"
        rendered = page.locator(f"{run.selector} .jp-RenderedMarkdown").all_text_contents()
        text = "".join(rendered)
        assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) > 1000, "little Chinese rendered"
        report_latencies(case, check_explorer(lab, run, case))

        nav = page.locator(f"{run.selector} .jp-RenderedMarkdown a", has_text="02 · 激活函数")
        nav.first.click()
        panel = page.wait_for_function(_OPENED_JS, arg="zh/02_relu.ipynb", timeout=60_000)
        lab.close(panel.json_value())


# ---- lesson 09's explorer, without the lesson's minute of training ------------------------------
_FEATURES = """\
import keras
from course_utils import data, models
from course_utils.widgets import FeatureMapExplorer

x, y = data.make_shapes(4, size=32, seed=0)
keras.utils.set_random_seed(0)
untrained = models.unet((32, 32, 3), base_filters=4)
keras.utils.set_random_seed(1)  # stands in for the trained net: other weights, same layers
trained = models.unet((32, 32, 3), base_filters=4)
FeatureMapExplorer(trained, untrained, x, masks=y, layer="enc1_conv2", channel=0, image=0)"""


def _write_notebook(lab, name: str, *cells: str) -> str:
    """Write a notebook of code ``cells`` into the server's folder; its name."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, lab.server.root / name)
    return name


def test_feature_map_explorer(lab, tmp_path):
    """Lesson 09's FeatureMapExplorer, on two small untrained nets (the lesson itself trains for
    a minute first; its explorer is the same class).  Its kernel is this environment's python."""
    name = _write_notebook(lab, "_features.ipynb", "import sys\nprint(sys.prefix)", _FEATURES)
    case = ExplorerCase(
        name, 0, "channel", "FeatureMapExplorer",
        state={"layer": "enc1_conv2", "channel": "0", "image": "0"},
        dropdown=("layer", "dec5_conv2"),
    )  # fmt: skip
    with lab.notebook(name) as run:
        first = lab.page.locator(f"{run.selector} .jp-Cell .jp-OutputArea-output").first
        assert first.text_content().strip() == sys.prefix, "the kernel is not this environment's"
        report_latencies(case, check_explorer(lab, run, case))


# ---- lesson 10's explorer, created by the lesson's own cell, without its training -----------
@functools.cache
def _elastic_picture() -> bytes:
    from course_utils.widgets.elastic import elastic_step, nuclei_crop

    return elastic_step(*nuclei_crop(), 10, 3, 0, False).images["after"]


def _lesson_cell(notebook: str, needle: str) -> str:
    """The source of the first code cell of ``lessons/notebook`` that contains ``needle``."""
    cells = nbformat.read(LESSONS / notebook, as_version=4).cells
    found = [c.source for c in cells if c.cell_type == "code" and needle in c.source]
    if not found:
        pytest.fail(f"lessons/{notebook} has no code cell with {needle!r}", pytrace=False)
    return found[0]


def test_elastic_explorer(lab, tmp_path):
    """Lesson 10's ElasticExplorer, made by the lesson's own explorer cell (the lesson trains
    three U-Nets before it, minutes on 2 cores; the explorer uses none of it)."""
    if not (LESSONS / "10_real_data.ipynb").is_file():
        pytest.fail("lessons/10_real_data.ipynb not found", pytrace=False)
    cell = _lesson_cell("10_real_data.ipynb", "ElasticExplorer(")
    imports = "from course_utils.widgets import ElasticExplorer"
    name = _write_notebook(lab, "_elastic.ipynb", imports, cell)
    case = ExplorerCase(
        name, 0, "sigma (px)", "ElasticExplorer",
        state={"sigma (px)": "10", "grid": "3", "seed": "0", "flip + rotate": "false"},
        picture=_elastic_picture,
        info=lambda v: f"sigma {v:g} px",
    )  # fmt: skip
    with lab.notebook(name) as run:
        report(f"10_real_data.ipynb's explorer cell: Run All Cells took {run.seconds:.1f} s")
        report_latencies(case, check_explorer(lab, run, case))


# ---- the harness itself must catch a broken explorer ------------------------------------------
_BREAK = """\
import course_utils.widgets.kernel as kernel_module
real_step = kernel_module.kernel_step

def broken_step(image, kernel, stride, *args, **kwargs):
    if {condition}:
        raise RuntimeError("kernel_step deliberately broken for the harness self-test")
    return real_step(image, kernel, stride, *args, **kwargs)

kernel_module.kernel_step = broken_step"""


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param(
            "True",
            r"cell 1: error output RuntimeError: kernel_step deliberately broken",
            id="on-display",
        ),
        pytest.param(
            "stride != 1",
            r"timed out after 1 s waiting for the picture to change after ArrowRight on slider "
            r"'stride' \(from 1\); JupyterLab's log console shows: RuntimeError: kernel_step "
            r"deliberately broken",
            id="on-slider-move",
        ),
    ],
)
def test_harness_detects_broken_explorer(condition, expected, lab, tmp_path):
    cells = [
        _BREAK.format(condition=condition),
        "from course_utils.widgets import KernelExplorer\nKernelExplorer()",
    ]
    name = _write_notebook(lab, f"_broken_{len(condition)}.ipynb", *cells)
    case = ExplorerCase(name, 0, "stride", "KernelExplorer", change_timeout_s=1.0)
    with pytest.raises(CheckFailed, match=expected) as info:
        with lab.notebook(name) as run:
            check_explorer(lab, run, case)
    print(f"\nthe harness reported: {info.value}")


def test_harness_detects_too_wide_explorer(lab, tmp_path):
    """An explorer wider than the notebook's cell (a 2,000 px line added to it) fails the width
    check, with the widths in the message (ipywidgets' boxes clip it: the output area itself
    does not scroll, the line reaches past the cell)."""
    cell = (
        "import ipywidgets as W\n"
        "from course_utils.widgets import KernelExplorer\n"
        "explorer = KernelExplorer()\n"
        "explorer.widget.children += (W.HTML('<div style=\"width: 2000px\">too wide</div>'),)\n"
        "explorer"
    )
    name = _write_notebook(lab, "_too_wide.ipynb", cell)
    case = ExplorerCase(name, 0, "stride", "KernelExplorer")
    expected = (
        r"after Run All the KernelExplorer does not fit the notebook's width \(1400x900 window, "
        r"file browser open \(\d+ px\)\): .*(scrolls sideways|past the cell's right edge)"
    )
    with pytest.raises(CheckFailed, match=expected) as info:
        with lab.notebook(name) as run:
            check_explorer(lab, run, case)
    print(f"\nthe harness reported: {info.value}")

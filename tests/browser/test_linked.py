"""LinkedView in a real JupyterLab: hover shows the right window and sum, click the projective field.

The test writes a small notebook (``CELLS`` below) into the server's temporary folder (it is
generated here, not committed, so nbval never collects it), runs it with Run All Cells, then
with Playwright's mouse:

1. hovers an output pixel of each view (conv, max-pool, transposed conv): the outlined input
   window (``data-window``) is the one ``linked_math`` computes and the sum shown equals the
   value ``course_utils.ops`` computes, to 4 decimals;
2. clicks an input pixel: the number of highlighted output pixels equals the number of output
   pixels that change when only that input pixel changes (computed with ``ops``);
3. hovers 21 pixels of a 256x256 view: the median time from the mouse event to the drawn
   highlight (measured in the page with ``performance.now()``) is at most 16 ms (one frame);
4. re-runs the last cell: the Python side's ``hover`` traitlet holds what the page showed.

Screenshots of each view before and after a hover go to ``docs/`` when ``COURSE_UPDATE_DOCS=1``,
else to the test's temporary folder.
"""

from __future__ import annotations

import json
import os
import statistics

import nbformat
import numpy as np
import pytest

from course_utils import ops

from .lab import REPO, CheckFailed, _wait, open_and_run, report_latency

pytestmark = pytest.mark.browser

NOTEBOOK = "linked_views_check.ipynb"
MAX_HOVER_MS = 16.0  # one frame at 60 Hz

CELLS = [
    "import json\nimport numpy as np\nfrom course_utils.widgets.linked import LinkedView",
    # conv: an 8x8 ramp with a bright square, a vertical-edge kernel, stride 2, "same", a bias
    "yy, xx = np.mgrid[0:8, 0:8]\n"
    "x_conv = (xx / 7.0 + (abs(yy - 4) + abs(xx - 3) < 3)).round(3)\n"
    "k_conv = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]) / 4\n"
    "conv_view = LinkedView(x_conv, 'conv', kernel=k_conv, stride=2, padding='same', bias=0.1)\n"
    "conv_view",
    # max-pool: 8x8 seeded values, 2x2 windows
    "x_pool = np.random.default_rng(3).integers(0, 10, (8, 8)) / 10\n"
    "pool_view = LinkedView(x_pool, 'maxpool', pool_size=2, stride=2)\n"
    "pool_view",
    # transposed conv: 3x3 input, 3x3 tent kernel, stride 2 -> 7x7
    "x_tr = np.array([[1.0, 0.5, 0.0], [0.0, 2.0, -1.0], [0.5, 0.0, 1.0]])\n"
    "k_tr = np.outer([0.5, 1.0, 0.5], [0.5, 1.0, 0.5])\n"
    "tr_view = LinkedView(x_tr, 'transpose', kernel=k_tr, stride=2)\n"
    "tr_view",
    # timing: a 256x256 input, 3x3 kernel, "same" -> a 256x256 output
    "yy, xx = np.mgrid[0:256, 0:256] / 255\n"
    "x_big = (np.sin(12 * xx) * np.cos(9 * yy)).round(4)\n"
    "big_view = LinkedView(x_big, 'conv', kernel=np.full((3, 3), 1 / 9), padding='same')\n"
    "big_view",
    "views = {'conv': conv_view, 'maxpool': pool_view, 'transpose': tr_view, 'big': big_view}\n"
    "print(json.dumps({name: v.hover for name, v in views.items()}))",
]
ORDER = ["conv", "maxpool", "transpose", "big"]  # the views in page order
# (output pixel to hover, input pixel to click) per view
PROBES = {"conv": ((3, 1), (2, 5)), "maxpool": ((2, 3), (5, 2)), "transpose": ((3, 2), (1, 1))}


def _build_views() -> dict:
    """Run the notebook's set-up cells here too: the same views, built in this process."""
    ns: dict = {}
    for src in CELLS[:-1]:
        exec(src, ns)  # noqa: S102 - our own constant code, the notebook's cells
    return {"conv": ns["conv_view"], "maxpool": ns["pool_view"], "transpose": ns["tr_view"],
            "big": ns["big_view"], "inputs": ns}


def _ops_value(name: str, ns: dict, r: int, c: int) -> float:
    """The output pixel as ``ops`` computes it (independent of LinkedView and linked_math)."""
    if name == "conv":
        return float(ops.conv2d(ns["x_conv"], ns["k_conv"], 2, "same")[r, c] + 0.1)
    if name == "maxpool":
        return float(ops.max_pool2d(ns["x_pool"], 2, 2)[r, c])
    return float(ops.conv2d_transpose(ns["x_tr"], ns["k_tr"], 2, "valid")[r, c])


def _reached_count(name: str, ns: dict, i: int, j: int) -> int:
    """How many output pixels change when only input pixel (i, j) changes (with ``ops``)."""
    x = {"conv": ns["x_conv"], "maxpool": ns["x_pool"], "transpose": ns["x_tr"]}[name]
    one = np.zeros_like(x)
    one[i, j] = 1.0
    if name == "conv":
        out = ops.conv2d(one, np.ones((3, 3)), 2, "same")
    elif name == "maxpool":
        out = ops.max_pool2d(one, 2, 2)
    else:
        out = ops.conv2d_transpose(one, np.ones((3, 3)), 2, "valid")
    return int(np.count_nonzero(out))


def _cell_centre(canvas, cell: float, r: int, c: int) -> tuple[float, float]:
    box = canvas.bounding_box()
    return box["x"] + (c + 0.5) * cell, box["y"] + (r + 0.5) * cell


def _hover(page, root, view_index: int, r: int, c: int) -> dict:
    """Move the mouse over output pixel (r, c); return the root's data attributes once drawn.

    The attributes are cleared first, so the answer is the page's response to this move.
    """
    cell = float(root.get_attribute("data-cell"))
    canvas = root.locator(".linked-output canvas.linked-base")
    root.evaluate("el => { delete el.dataset.hoverOut; delete el.dataset.frameMs; }")
    page.mouse.move(*_cell_centre(canvas, cell, r, c))
    _wait(page, "(i) => { const d = document.querySelectorAll('.course-linked')[i].dataset;"
                " return d.hoverOut !== undefined && d.frameMs !== undefined; }",
          view_index, timeout_s=5, what=f"view {view_index} to highlight output pixel ({r}, {c})")
    data = root.evaluate("el => ({...el.dataset})")
    data["out"] = tuple(int(v) for v in data["hoverOut"].split(","))
    # mouse events carry whole CSS pixels: with cells under 2 px the neighbour may be hit
    tolerance = 0 if cell >= 4 else 1
    if max(abs(data["out"][0] - r), abs(data["out"][1] - c)) > tolerance:
        raise CheckFailed(f"view {view_index}: the mouse over output pixel ({r}, {c}) "
                          f"(cell {cell:.2f} px) highlighted {data['out']}")
    return data


def _screenshot_dir(tmp_path):
    if os.environ.get("COURSE_UPDATE_DOCS") == "1":
        return REPO / "docs"
    return tmp_path


def test_linked_views(page, lab_server, artefacts_on_failure, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, lab_server.root / NOTEBOOK)
    views = _build_views()
    ns = views["inputs"]
    shots = _screenshot_dir(tmp_path)
    with artefacts_on_failure():
        open_and_run(page, lab_server, NOTEBOOK)
        _wait(page, "() => document.querySelectorAll('.course-linked canvas.linked-base')"
                    ".length >= 8", timeout_s=30, what="the four LinkedViews to draw")
        roots = page.locator(".jp-OutputArea-output .course-linked")
        assert roots.count() == len(ORDER), f"{roots.count()} LinkedViews in the page"
        shown = {}
        for k, name in enumerate(ORDER[:3]):
            root = roots.nth(k)
            root.scroll_into_view_if_needed()
            assert root.get_attribute("data-op") == views[name].op
            page.mouse.move(0, 0)
            root.screenshot(path=str(shots / f"linked_{name}_before.png"), animations="disabled")
            (r, c), (i, j) = PROBES[name]
            # 1. hover: the window and the sum
            data = _hover(page, root, k, r, c)
            want = views[name].explain(r, c)
            window = tuple(int(v) for v in data["window"].split(","))
            if window != want.window:
                raise CheckFailed(f"{name}: hovering output ({r}, {c}) outlined input window "
                                  f"{window}, expected {want.window}")
            value = _ops_value(name, ns, r, c)
            if round(float(data["sum"]), 4) != round(value, 4):
                raise CheckFailed(f"{name}: output ({r}, {c}) shows sum {data['sum']}, "
                                  f"ops computes {value:.6f}")
            text = root.locator(".linked-sum-value").inner_text()
            assert text == f"{value:.4f}" or (text == "0.0000" and abs(value) < 5e-5), (
                f"{name}: the arithmetic panel says {text!r}, ops computes {value:.4f}")
            if name == "transpose":
                sources = {tuple(int(v) for v in p.split(",")) for p in data["sources"].split(";")}
                assert sources == {(t.i, t.j) for t in want.terms}
            shown[name] = ([r, c], float(data["sum"]))
            root.screenshot(path=str(shots / f"linked_{name}_hover.png"), animations="disabled")
            # 2. click an input pixel: its projective field
            canvas = root.locator(".linked-input canvas.linked-base")
            top, left = (views[name].pads[0], views[name].pads[2])
            page.mouse.click(*_cell_centre(canvas, float(root.get_attribute("data-cell")),
                                           i + top, j + left))
            _wait(page, "([k, want]) => document.querySelectorAll('.course-linked')[k]"
                        ".dataset.fieldIn === want", [k, f"{i},{j}"], timeout_s=5,
                  what=f"{name}: the projective field of input ({i}, {j})")
            count = int(root.get_attribute("data-field-count"))
            expected = _reached_count(name, ns, i, j)
            if count != expected:
                raise CheckFailed(f"{name}: clicking input ({i}, {j}) highlighted {count} output "
                                  f"pixels; {expected} change when that pixel changes")
            print(f"\n{name}: hover output ({r}, {c}) -> window {window}, sum {float(data['sum']):.4f}"
                  f" (ops {value:.4f}); input ({i}, {j}) reaches {count} output pixels")

        # 3. hover-to-highlight time on a 256x256 map
        k = ORDER.index("big")
        root = roots.nth(k)
        root.scroll_into_view_if_needed()
        rng = np.random.default_rng(0)
        pixels = [(int(r), int(c)) for r, c in rng.integers(8, 248, (21, 2))]
        hover_ms, frame_ms = [], []
        for r, c in pixels:
            data = _hover(page, root, k, r, c)
            hover_ms.append(float(data["hoverMs"]))
            frame_ms.append(float(data["frameMs"]))
            got = data["out"]
            want = float(ops.conv2d(ns["x_big"], np.full((3, 3), 1 / 9), 1, "same")[got])
            assert round(float(data["sum"]), 4) == round(want, 4), (got, data["sum"], want)
        shown["big"] = (list(got), float(data["sum"]))
        med, med_frame = statistics.median(hover_ms), statistics.median(frame_ms)
        report_latency(
            f"LinkedView hover-to-highlight (256x256 conv, 3x3): median {med:.2f} ms over "
            f"{len(hover_ms)} hovers (max {max(hover_ms):.2f} ms); to the next animation frame: "
            f"median {med_frame:.1f} ms")
        if med > MAX_HOVER_MS:
            raise CheckFailed(f"median hover-to-highlight {med:.2f} ms exceeds {MAX_HOVER_MS} ms "
                              f"(all: {', '.join(f'{x:.1f}' for x in hover_ms)})")

        # 4. the hover traitlet reached Python: run the last cell again and read its output
        n = page.locator(".jp-Notebook .jp-CodeCell").count()
        last = page.locator(".jp-Notebook .jp-CodeCell").nth(n - 1)  # Shift+Enter adds a cell
        last.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        _wait(page, "(n) => { const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')"
                    "[n - 1]; const t = cell.querySelector('.jp-OutputArea')?.innerText || '';"
                    " return t.includes('\"big\": {\"out\"'); }",
              n, timeout_s=20, what="the last cell to print the hover traitlets")
        out = last.locator(".jp-OutputArea-output").last.inner_text().strip()
        synced = json.loads(out)
        for name, (where, value) in shown.items():
            got = synced[name]
            assert got["out"] == where and round(got["sum"], 4) == round(value, 4), (
                f"{name}: Python's hover traitlet is {got}, the page showed {where}, {value}")
            assert got["ms"] >= 0

"""Harness for the browser tests: a throwaway JupyterLab server, a page in it, explorer checks.

``conftest.py`` builds the fixtures from :class:`LabServer` and :class:`Lab`;
``test_widgets.py`` runs each notebook with :meth:`Lab.notebook` and checks its explorers with
:func:`check_explorer`.  A failed check raises :class:`CheckFailed` with a message that says what
was expected and what the page showed.  See ``README.md`` in this folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from notebook_hygiene import notebook_problems

from course_utils._env import course_env

REPO = Path(__file__).resolve().parents[2]
LESSONS = REPO / "lessons"

#: the targets every measurement is printed against
SLIDER_TARGET_MS = 50.0  # key press on a slider -> the new picture loaded (median)
HOVER_TARGET_MS = 16.0  # mouse over an output pixel -> its window drawn (one frame at 60 Hz)
#: what the tests assert: generous ceilings that catch a broken update path, not a busy machine
SLIDER_CEILING_MS = 8 * SLIDER_TARGET_MS
HOVER_CEILING_MS = 6 * HOVER_TARGET_MS
#: a student's pause between two key presses, and before each hover
MOVE_PAUSE_S = 0.2
HOVER_PAUSE_S = 0.08
#: the browser window the page runs in (issue 24: "at 1400x900 with the file browser open")
WINDOW = {"width": 1400, "height": 900}

#: one line per measurement; conftest.py prints them at the end of the run
REPORT: list[str] = []

CHROMIUM_MISSING = (
    "Chromium not found: install it with `sudo apt-get install chromium` "
    "(or .ci/install_system.sh), or deselect browser tests with -m 'not browser'"
)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]

#: JupyterLab user settings written into the server's own settings dir
LAB_SETTINGS = {
    # the "news" toast covers part of the page
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # every cell in the DOM (the browser skips laying out those out of view); the notebook's
    # kernelspec starts without a "Select Kernel" dialog
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "contentVisibility",
        "autoStartDefaultKernel": True,
    },
}


class CheckFailed(AssertionError):
    """A browser check failed; the message is meant for humans."""


def report(line: str) -> None:
    """Print a measurement now (seen with -s) and keep it for the end-of-run summary."""
    print("\n" + line)
    REPORT.append(line)


def find_chromium() -> str | None:
    """``$CHROMIUM_PATH``, else Debian's ``/usr/bin/chromium``, else ``chromium`` on PATH."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def exception_lines(text: str) -> list[str]:
    """The lines of a log that name an exception ("ValueError: ...")."""
    return [ln.strip() for ln in text.splitlines() if re.match(r"\s*\w+(Error|Exception)\b.*:", ln)]


# ---- the server ---------------------------------------------------------------------------------
class LabServer:
    """``jupyter lab`` (this environment's) on 127.0.0.1, serving a copy of ``lessons/``.

    Every Jupyter config, data, runtime, settings and workspace dir lives under ``base``, so
    neither the user's Jupyter set-up nor the committed notebooks are touched.  The copies
    lose their saved outputs: the browser then does not lay out old pictures for nothing.
    """

    def __init__(self, base: Path) -> None:
        self.base = Path(base)
        self.root = self.base / "notebooks"
        self.log_path = self.base / "jupyterlab.log"
        self.token = secrets.token_hex(24)
        shutil.copytree(LESSONS, self.root, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        for path in self.root.rglob("*.ipynb"):  # the lessons and the Chinese edition (zh/)
            nb = json.loads(path.read_text(encoding="utf-8"))
            for cell in nb["cells"]:
                if cell["cell_type"] == "code":
                    cell["outputs"], cell["execution_count"] = [], None
            nb["metadata"].pop("widgets", None)
            path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
        self.env = {
            **os.environ,
            **course_env(kernels=True, COURSE_RUNS_DIR=str(self.base / "runs")),
        }
        self.env.pop("JUPYTER_PATH", None)  # no kernelspecs or extensions from elsewhere
        for var, sub in [
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_DATA_DIR", "data"),
            ("JUPYTERLAB_SETTINGS_DIR", "settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
            ("IPYTHONDIR", "ipython"),
        ]:
            (self.base / sub).mkdir()
            self.env[var] = str(self.base / sub)
        # the kernels' sockets: a short path (a Unix socket's path has at most 107 bytes)
        self.runtime_dir = tempfile.mkdtemp(prefix="course-lab-")
        self.env["JUPYTER_RUNTIME_DIR"] = self.runtime_dir
        for rel, value in LAB_SETTINGS.items():
            path = self.base / "settings" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        self.proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 60) -> None:
        """Start the server and wait until it answers (failing at once, with its log, if it exits)."""
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port=0",  # a free port, chosen by the system
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.terminals_enabled=False",
            "--KernelManager.autorestart=False",  # a kernel that dies stays dead: a test sees it
            "--KernelManager.transport=ipc",  # Unix sockets: no race for free TCP ports
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, for Lab's own commands
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        with open(self.log_path, "wb") as log:
            # its own process group, so that stop() signals the server and nothing else
            self.proc = subprocess.Popen(
                cmd, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        info = Path(self.runtime_dir) / f"jpserver-{self.proc.pid}.json"  # its URL, once it runs
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.proc.returncode} during start-up:\n"
                    f"{self.log_tail()}"
                )
            try:
                self.url = json.loads(info.read_text())["url"].rstrip("/")
                if self.api("status").get("started"):
                    return
            except (OSError, ValueError, KeyError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"jupyter lab did not answer within {timeout_s:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def api(self, path: str) -> dict:
        with urllib.request.urlopen(f"{self.url}/api/{path}?token={self.token}", timeout=5) as r:
            return json.loads(r.read())

    def log_tail(self, n: int = 30) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def stop(self) -> None:
        """Stop the server as Ctrl+C would (SIGTERM); it shuts its kernels down itself."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group of start_new_session
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)


# ---- the page: JupyterLab, one notebook at a time ----------------------------------------------
_PANEL = "[...window.jupyterapp.shell.widgets('main')].find(w => w.id === ID)"

_RUN_ALL_JS = r"""
async ([path, timeoutMs]) => {
  // open the notebook, wait for its kernel, then Run All Cells (JupyterLab's command, as the
  // Run menu calls it); the command's promise settles when the last cell has run
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  if (!panel.sessionContext.session?.kernel) return {id: panel.id, error: 'it has no kernel'};
  const timeout = new Promise(r => setTimeout(() => r('timeout'), timeoutMs));
  const ran = app.commands.execute('notebook:run-all-cells', {widgetId: panel.id});
  const answer = await Promise.race([ran.then(() => 'done', e => String(e)), timeout]);
  if (answer === 'timeout') return {id: panel.id, error: `still running after ${timeoutMs / 1000} s`};
  if (answer !== 'done') return {id: panel.id, error: `Run All Cells failed: ${answer}`};
  return {id: panel.id, nb: panel.context.model.toJSON()};
}
"""

_SIDEBAR_OPEN_JS = r"""
() => {
  // the file browser's width when it is open in the left sidebar, else 0
  const fb = document.getElementById('filebrowser');
  return !window.jupyterapp.shell.leftCollapsed && fb && fb.offsetWidth > 0 ? fb.offsetWidth : 0;
}
"""

_CLOSE_JS = f"""
async (ID) => {{
  // the server shuts the kernel down (frees its memory), then the tab closes without saving
  const panel = {_PANEL};
  await panel.sessionContext.shutdown();
  panel.context.model.dirty = false;
  panel.dispose();
}}
"""


@dataclass
class NotebookRun:
    """A notebook open in the page, after Run All Cells: its panel's DOM id and run time."""

    notebook: str
    panel_id: str
    seconds: float

    @property
    def selector(self) -> str:
        return f"#{self.panel_id}"


class Lab:
    """One headless-Chromium page with JupyterLab loaded, reused by the tests of a module."""

    def __init__(self, page, server: LabServer) -> None:
        self.page, self.server = page, server
        self.console: list[str] = []
        self.failure_png: bytes | None = None  # a screenshot taken when a check failed
        page.on("console", lambda m: self.console.append(f"[{m.type}] {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"[pageerror] {e}"))
        page.set_default_timeout(15_000)
        page.goto(f"{server.url}/lab?reset&token={server.token}")
        page.wait_for_function("() => window.jupyterapp?.shell", timeout=60_000)
        page.evaluate("() => window.jupyterapp.restored.then(() => true)")
        # the file browser open in the left sidebar, as a student has it: the notebook is narrower
        page.evaluate("() => window.jupyterapp.commands.execute('filebrowser:activate')")
        wait(page, _SIDEBAR_OPEN_JS, timeout_s=10, what="JupyterLab's file browser to open")
        self.sidebar_px = page.evaluate(_SIDEBAR_OPEN_JS)
        report(
            f"page {WINDOW['width']}x{WINDOW['height']}, JupyterLab's file browser open "
            f"({self.sidebar_px} px wide)"
        )

    @contextlib.contextmanager
    def notebook(self, name: str, timeout_s: float = 180):
        """Open notebook ``name`` (the server's copy), Run All Cells, wait for the end, and
        yield its :class:`NotebookRun`; afterwards shut its kernel down and close it.

        Raises :class:`CheckFailed` listing every problem of the run: cells not run once in
        order 1..n, errors, text on stderr (``notebook_hygiene``: the rule for saved lessons).
        """
        t0 = time.monotonic()
        got = self.page.evaluate(_RUN_ALL_JS, [name, timeout_s * 1000])
        try:
            problems = [got["error"]] if "error" in got else notebook_problems(got["nb"])
            if problems:
                raise CheckFailed(f"{name}: after Run All Cells:\n  - " + "\n  - ".join(problems))
            yield NotebookRun(name, got["id"], time.monotonic() - t0)
        except BaseException:
            self.failure_png = self.page.screenshot()  # the notebook as the check left it
            raise
        finally:
            self.close(got["id"])

    def close(self, panel_id: str) -> None:
        """Shut down the kernel of the notebook panel ``panel_id`` and close it without saving."""
        self.page.evaluate(_CLOSE_JS, panel_id)

    def log_console_errors(self) -> list[str]:
        """Exception lines in JupyterLab's Log Console (where errors of widget callbacks go)."""
        try:
            self.page.evaluate("() => window.jupyterapp.commands.execute('logconsole:open')")
            panel = self.page.locator(".jp-LogConsolePanel")
            panel.wait_for(state="visible", timeout=5000)
            time.sleep(0.5)
            return exception_lines(panel.inner_text())
        except Exception:  # noqa: BLE001 - only used to enrich a failure message
            return []


def wait(page, js: str, arg=None, *, timeout_s: float, what: str) -> None:
    """Wait until the page script ``js`` returns a true value; else CheckFailed naming ``what``."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(js, arg=arg, timeout=timeout_s * 1000, polling=16)
    except PlaywrightTimeout:
        raise CheckFailed(f"timed out after {timeout_s:g} s waiting for {what}") from None


# ---- the explorers under test ------------------------------------------------------------------
@dataclass(frozen=True)
class LinkedProbe:
    """What an explorer's linked view (``.course-linked``) must show, computed with ``ops``.

    Coordinates are the full maps' (a view of a detail shows a part of them).

    out : the full output map as ``course_utils.ops`` computes it
    shape : the size of the output part the view draws
    window : (row, col) -> the input window ``(r0, c0, r1, c1)`` hovering that output pixel
        must outline (for a transposed convolution: the bounding box of its sources)
    pixels : output pixels to hover (all timed; the first is in the "hover" screenshot)
    click : an input pixel to click; ``field``: how many output pixels it must light up
    border : an output pixel at the border of the detail the view shows, whose window reads
        pixels outside the detail: hovering it must show ``real`` (the whole map's value, within
        ``tol``), not ``detached`` (what the detail convolved alone, zeros around it, gives)
    """

    out: object
    shape: tuple[int, int]
    window: Callable[[int, int], tuple[int, int, int, int]]
    pixels: list[tuple[int, int]]
    click: tuple[int, int]
    field: int
    border: tuple[int, int] | None = None
    real: float = 0.0
    detached: float = 0.0
    tol: float = 0.0


@dataclass(frozen=True)
class ExplorerCase:
    """One explorer in one notebook, what it must show after Run All, and how to poke it.

    notebook, index : the notebook (in ``lessons/``) and which of its explorers (0 = first)
    slider : label of a slider whose key presses must change picture ``image`` (-1 = last)
    name : the explorer's class, for messages
    state : control label -> the value the page must show right after Run All, as the page
        writes it (a slider's readout "2" or "+0.00", a dropdown's or toggle button's label,
        "true"/"false" for a checkbox), written from the lesson's code
    picture : () -> the PNG bytes picture ``image`` must show right after Run All (computed
        with the explorer's pure step)
    linked : () -> :class:`LinkedProbe` for the explorer's linked view
    info : slider value -> text the info line must contain after the first move
    dropdown : (label, option) of a dropdown whose change must change the picture
    never_read : slider value -> an input pixel no window reads at that value (``ops``): after
        the first slider move, clicking it in the linked view must say "never-read"
    screenshot : path prefix in the repo for ``--refresh-docs`` (``PREFIX.png``, ``PREFIX_hover.png``)
    change_timeout_s : how long to wait for the picture to change after a control change
    moves : slider key presses timed for the latency median
    """

    notebook: str
    index: int
    slider: str
    name: str
    state: dict[str, str] | None = None
    picture: Callable[[], bytes] | None = None
    linked: Callable[[], LinkedProbe] | None = None
    info: Callable[[float], str] | None = None
    dropdown: tuple[str, str] | None = None
    never_read: Callable[[float], tuple[int, int]] | None = None
    image: int = -1
    screenshot: str | None = None
    change_timeout_s: float = 10.0
    moves: int = 10

    @property
    def id(self) -> str:
        return f"{Path(self.notebook).stem}[{self.index}]"


@dataclass
class Measured:
    slider_ms: list[float] = field(default_factory=list)
    hover_ms: list[float] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


_CONTROLS_JS = r"""
(root, label) => {
  // the value shown by every ipywidgets control in the explorer labelled `label`
  const norm = (t) => (t ?? '').replace(/\s+/g, ' ').replace(/\u2212/g, '-').trim();
  const out = [];
  for (const box of root.querySelectorAll('.widget-slider, .widget-dropdown,'
                                           + ' .widget-toggle-buttons, .widget-checkbox')) {
    const name = box.matches('.widget-checkbox')
      ? norm(box.querySelector('.widget-label-basic span')?.textContent)
      : norm(box.querySelector(':scope > label.widget-label')?.textContent);
    if (name !== label) continue;
    if (box.matches('.widget-slider')) out.push(norm(box.querySelector('.widget-readout')?.textContent));
    else if (box.matches('.widget-dropdown')) {
      const s = box.querySelector('select');
      out.push(s.selectedIndex >= 0 ? norm(s.options[s.selectedIndex].textContent) : '');
    } else if (box.matches('.widget-toggle-buttons')) {
      out.push([...box.querySelectorAll('button.mod-active')].map(b => norm(b.textContent)).join());
    } else out.push(String(box.querySelector('input').checked));
  }
  return out;
}
"""

_DIGEST_JS = r"""
async (img) => {
  // SHA-256 of the bytes behind the picture's URL
  const buf = await (await fetch(img.src)).arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-256', buf);
  return {src: img.src, sha: [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('')};
}
"""

_PICTURES_LOADED_JS = r"""
(root) => {
  const imgs = [...root.querySelectorAll('img.course-explorer-image')];
  return imgs.length > 0 && imgs.every(i => i.src && i.complete && i.naturalWidth > 0);
}
"""

_CHANGED_JS = "([img, old]) => img.src !== old && img.complete && img.naturalWidth > 0"

_TIME_SLIDER_JS = r"""
([handle, img]) => {
  // per key press on the slider: keydown -> the new picture has loaded (ready to paint); a
  // second picture after a move (the kernel's frame differing from one sent ahead) is counted
  const lat = window.courseLatency = {t0: null, ms: [], extra: 0};
  handle.addEventListener('keydown', () => { lat.t0 = performance.now(); }, true);
  img.addEventListener('load', () => {
    if (lat.t0 === null) { lat.extra += 1; return; }
    lat.ms.push(performance.now() - lat.t0);
    lat.t0 = null;
  });
}
"""

_WIDTHS_JS = r"""
(root) => {
  // how wide the explorer is against the notebook cell that holds it (CSS px)
  const area = root.closest('.jp-OutputArea-output'), cell = root.closest('.jp-Cell');
  const box = (e) => e.getBoundingClientRect();
  let widest = root;  // the element reaching furthest right (a picture cut off by a box too)
  for (const e of root.querySelectorAll('*')) if (box(e).right > box(widest).right) widest = e;
  // what the student sees: how far right the pictures and controls reach
  const seen = [...root.querySelectorAll('img, canvas, svg, input, select, button')];
  return {
    scroll: area.scrollWidth, client: area.clientWidth, right: box(root).right,
    cell: box(cell).right, reach: box(widest).right,
    used: Math.max(0, ...seen.map(e => box(e).right)) - box(area).left,
    widest: widest.tagName.toLowerCase() + (widest.className ? '.' + String(widest.className)
      .trim().split(/\s+/).join('.') : ''),
  };
}
"""

_HOVER_ANSWER_JS = r"""
(el) => new Promise(resolve => {
  // the linked view's answer to the mouse move: its data attributes, once it drew the highlight
  const answered = () => el.dataset.hoverOut !== undefined && el.dataset.frameMs !== undefined;
  if (answered()) return resolve({...el.dataset});
  const seen = new MutationObserver(() => {
    if (answered()) { seen.disconnect(); resolve({...el.dataset}); }
  });
  seen.observe(el, {attributes: true});
  setTimeout(() => { seen.disconnect(); resolve(null); }, 5000);
})
"""


def digest(img) -> dict:
    """SHA-256 and URL of the picture an ``<img>`` locator shows."""
    return img.evaluate(_DIGEST_JS)


def check_fits(lab: Lab, root, case: ExplorerCase, when: str) -> str:
    """The explorer fits its notebook cell: its output area does not scroll sideways, and
    neither the explorer nor anything in it reaches past the cell's right edge.  Returns a
    line for the report (the explorer's width)."""
    w = root.evaluate(_WIDTHS_JS)
    where = f"{WINDOW['width']}x{WINDOW['height']} window, file browser open ({lab.sidebar_px} px)"
    wrong = []
    if w["scroll"] > w["client"]:
        wrong.append(
            f"its output area scrolls sideways: {w['scroll']} px of content in {w['client']} px"
        )
    if w["right"] > w["cell"] + 0.5:
        wrong.append(f"its right edge is at {w['right']:.0f} px, the cell's at {w['cell']:.0f} px")
    if w["reach"] > w["cell"] + 0.5:
        wrong.append(
            f"{w['widest']} in it reaches {w['reach']:.0f} px, past the cell's right edge at "
            f"{w['cell']:.0f} px"
        )
    if wrong:
        raise CheckFailed(
            f"{case.id}: {when} the {case.name} does not fit the notebook's width ({where}): "
            + "; ".join(wrong)
        )
    return (
        f"fits {when}: pictures and controls within {w['used']:.0f} px of the "
        f"{w['client']} px output area"
    )


def check_explorer(lab: Lab, run: NotebookRun, case: ExplorerCase, shots: Path | None = None):
    """Check explorer ``case`` of a notebook that ran; returns the :class:`Measured` latencies.

    1. it renders with an empty error area, its controls show ``case.state`` and its picture
       is ``case.picture()``: what the lesson's code asked for; it fits the notebook's width
       (:func:`check_fits`, again after the slider moves);
    2. its linked view (:func:`check_linked`) agrees with ``ops`` on hover and click;
    3. a slider key press and a dropdown change each change the picture's bytes (and the info
       line says ``case.info``);
    4. ``case.moves`` key presses are timed: key press -> new picture loaded.

    ``shots``: a folder for docs screenshots (``explorer{index}.png``, ``..._hover.png``).
    """
    page = lab.page
    notebook = page.locator(run.selector)
    try:
        wait(
            page,
            f"(nb) => nb.querySelectorAll('.jp-OutputArea-output .course-explorer').length"
            f" > {case.index}",
            notebook.element_handle(),
            timeout_s=30,
            what=f"explorer #{case.index} to render in {case.notebook}",
        )
    except CheckFailed as err:
        if "Error displaying widget" in notebook.inner_text():
            raise CheckFailed(f"{err}; the page shows 'Error displaying widget'") from None
        raise
    root = notebook.locator(".jp-OutputArea-output .course-explorer").nth(case.index)
    root.scroll_into_view_if_needed()
    wait(
        page,
        _PICTURES_LOADED_JS,
        root.element_handle(),
        timeout_s=30,
        what=f"{case.id}: the explorer's pictures to load",
    )
    error_area = root.locator(".course-explorer-error")
    if error_area.text_content().strip():
        raise CheckFailed(
            f"{case.id}: after Run All the error area shows {error_area.text_content().strip()!r}"
        )

    wrong = []
    for label, want in (case.state or {}).items():
        got = root.evaluate(_CONTROLS_JS, label)
        if got != [want]:
            wrong.append(f"{label!r} shows {got}, the code asked for {want!r}")
    if wrong:
        raise CheckFailed(
            f"{case.id}: after Run All the {case.name} does not show the state "
            "its code asked for:\n  - " + "\n  - ".join(wrong)
        )
    img = root.locator("img.course-explorer-image").nth(case.image)
    if case.picture is not None:
        want = hashlib.sha256(case.picture()).hexdigest()
        if digest(img)["sha"] != want:
            raise CheckFailed(
                f"{case.id}: after Run All picture {case.image} is not the one the "
                "code's state gives (its PNG differs from the explorer's step)"
            )
    fits = check_fits(lab, root, case, "after Run All")
    if shots is not None:
        page.set_viewport_size({"width": WINDOW["width"], "height": 2600})  # the whole explorer
        root.scroll_into_view_if_needed()
        page.mouse.move(0, 0)
        root.screenshot(path=str(shots / f"explorer{case.index}.png"), animations="disabled")

    measured = Measured(lines=[fits])
    if case.linked is not None:
        hover_shot = None if shots is None else shots / f"explorer{case.index}_hover.png"
        check_linked(page, root, case, measured, hover_shot)
    if shots is not None:
        page.set_viewport_size(WINDOW)
        root.scroll_into_view_if_needed()

    slider = root.locator(
        f'.widget-slider:has(label:text-is("{case.slider}")) .noUi-handle[role="slider"]'
    )
    if slider.count() != 1:
        raise CheckFailed(f"{case.id}: {slider.count()} sliders labelled {case.slider!r}")

    def changed(action: Callable[[], None], what: str) -> None:
        before = digest(img)
        action()
        try:
            wait(
                page,
                _CHANGED_JS,
                [img.element_handle(), before["src"]],
                timeout_s=case.change_timeout_s,
                what=f"the picture to change after {what}",
            )
        except CheckFailed as err:
            shown = error_area.text_content().strip()
            logged = lab.log_console_errors()
            raise CheckFailed(
                f"{case.id}: {err}"
                + (f"; the explorer's error area shows {shown!r}" if shown else "")
                + (f"; JupyterLab's log console shows: {' | '.join(logged[-3:])}" if logged else "")
            ) from None
        if digest(img)["sha"] == before["sha"]:
            raise CheckFailed(f"{case.id}: after {what} the picture has a new URL, same bytes")
        if error_area.text_content().strip():
            raise CheckFailed(
                f"{case.id}: after {what} the error area shows "
                f"{error_area.text_content().strip()!r}"
            )

    def value() -> float:  # aria-valuetext is exact, aria-valuenow rounded
        return float(
            slider.get_attribute("aria-valuetext") or slider.get_attribute("aria-valuenow")
        )

    start, top = value(), float(slider.get_attribute("aria-valuemax"))
    key, back = ("ArrowRight", "ArrowLeft") if start < top else ("ArrowLeft", "ArrowRight")
    slider.focus()
    changed(lambda: slider.press(key), f"{key} on slider {case.slider!r} (from {start:g})")
    if value() == start:
        raise CheckFailed(f"{case.id}: {key} did not move slider {case.slider!r}")
    if case.info is not None:
        want = case.info(value())
        info = root.locator(".course-panels-info")
        if want not in info.text_content():
            raise CheckFailed(
                f"{case.id}: after moving {case.slider!r} to {value():g} the info "
                f"line should contain {want!r}; it says {info.text_content()!r}"
            )
    if case.never_read is not None:
        check_never_read(page, root, case, value(), measured)
    if case.dropdown is not None:
        label, option = case.dropdown
        select = root.locator(f'.widget-dropdown:has(label:text-is("{label}")) select')
        changed(lambda: select.select_option(value=option), f"choosing {option!r} in {label!r}")

    # latency: the same back-and-forth moves for every explorer, a student's pause between them
    page.evaluate(_TIME_SLIDER_JS, [slider.element_handle(), img.element_handle()])
    for i, k in enumerate([back, key] * (case.moves // 2)):
        time.sleep(MOVE_PAUSE_S)
        slider.press(k)
        wait(
            page,
            f"() => window.courseLatency.ms.length > {i}",
            timeout_s=10,
            what=f"{case.id}: the picture after timed move {i + 1} ({k})",
        )
    time.sleep(MOVE_PAUSE_S)
    timed = page.evaluate("() => window.courseLatency")
    if timed["extra"]:
        raise CheckFailed(
            f"{case.id}: the picture changed {timed['extra']} more time(s) after a move had "
            "shown its picture: a frame sent ahead differed from the kernel's"
        )
    measured.slider_ms = timed["ms"]
    measured.lines.append(check_fits(lab, root, case, "after the slider moves"))
    return measured


def _linked_view(page, root, what: str, caption_end: str = ""):
    """The explorer's linked view once drawn (its output caption ending ``caption_end``)."""
    view = root.locator(".course-linked")
    wait(
        page,
        "([el, end]) => el.querySelector('.linked-output canvas.linked-base') !== null"
        " && (el.querySelector('.linked-op .linked-caption')?.textContent ?? '').endsWith(end)",
        [view.element_handle(), caption_end],
        timeout_s=10,
        what=f"{what} to draw" + (f" with {caption_end!r}" if caption_end else ""),
    )
    view.scroll_into_view_if_needed()
    return view


def _click_input(page, view, i: int, j: int, what: str) -> None:
    """Click input pixel (i, j) (full-map coordinates) and wait for the view's answer."""
    cell = float(view.get_attribute("data-cell"))  # CSS px per map pixel
    i0, j0 = (int(v) for v in view.get_attribute("data-in-origin").split(","))
    box = view.locator(".linked-input canvas.linked-base").bounding_box()
    page.mouse.click(box["x"] + (j - j0 + 0.5) * cell, box["y"] + (i - i0 + 0.5) * cell)
    wait(
        page,
        "([el, want]) => el.dataset.fieldIn === want",
        [view.element_handle(), f"{i},{j}"],
        timeout_s=5,
        what=f"{what}: the projective field of input ({i}, {j})",
    )


def check_linked(page, root, case: ExplorerCase, measured: Measured, shot: Path | None) -> None:
    """Hover and click the explorer's linked view; compare with ``case.linked()`` (from ops).

    Every hovered output pixel must outline the expected input window and carry the value ops
    computes (within float32 rounding; the arithmetic panel's 4 decimals too, for the first
    pixel); the probe's ``border`` pixel must carry the whole map's value; once the mouse leaves
    the output map, the hover is gone; clicking ``probe.click`` must light up ``probe.field``
    output pixels.  The hover-to-highlight times (measured in the page by the view itself) go
    into ``measured.hover_ms``.
    """
    probe = case.linked()
    what = f"{case.id} linked view"
    view = _linked_view(page, root, what)
    caption = view.locator(".linked-output .linked-caption").text_content()  # "feature map 16×16"
    shape = tuple(int(v) for v in caption.split()[-1].split("\u00d7"))
    if shape != probe.shape:
        raise CheckFailed(f"{what}: the output is drawn {shape}, expected {probe.shape}")
    cell = float(view.get_attribute("data-cell"))  # CSS px per map pixel
    r0, c0 = (int(v) for v in view.get_attribute("data-out-origin").split(","))  # top-left cell
    canvas = view.locator(".linked-output canvas.linked-base")

    def hover(r: int, c: int) -> tuple[float, dict]:
        """Move the mouse over output (r, c); check the pixel and window; (value shown, data)."""
        time.sleep(HOVER_PAUSE_S)
        view.evaluate("(el) => { delete el.dataset.hoverOut; delete el.dataset.frameMs; }")
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + (c - c0 + 0.5) * cell, box["y"] + (r - r0 + 0.5) * cell)
        data = view.evaluate(_HOVER_ANSWER_JS)
        if data is None:
            raise CheckFailed(f"{what}: no highlight 5 s after the mouse moved over ({r}, {c})")
        out = tuple(int(v) for v in data["hoverOut"].split(","))
        window = tuple(int(v) for v in data["window"].split(","))
        if out != (r, c):
            raise CheckFailed(f"{what}: the mouse over output ({r}, {c}) highlighted {out}")
        if window != tuple(probe.window(r, c)):
            raise CheckFailed(
                f"{what}: hovering output ({r}, {c}) outlined input window {window}, "
                f"ops gives {tuple(probe.window(r, c))}"
            )
        measured.hover_ms.append(float(data["hoverMs"]))
        return float(data["sum"]), data

    for k, (r, c) in enumerate(probe.pixels):
        shown, data = hover(r, c)
        value = float(probe.out[r, c])
        if not math.isclose(shown, value, rel_tol=1e-6, abs_tol=1e-6):
            raise CheckFailed(f"{what}: output ({r}, {c}) shows {shown!r}, ops computes {value!r}")
        if k == 0:
            panel = view.locator(".linked-sum-value").text_content().strip()
            if not (panel == f"{value:.4f}" or (panel == "0.0000" and abs(value) < 5e-5)):
                raise CheckFailed(
                    f"{what}: the arithmetic panel says {panel!r} for output "
                    f"({r}, {c}), ops computes {value:.4f}"
                )
            measured.lines.append(f"hover ({r}, {c}) -> window {data['window']}, value {value:.4f}")
            if shot is not None:
                root.screenshot(path=str(shot), animations="disabled")
    if probe.border is not None:
        (r, c), (dr, dc) = probe.border, (probe.border[0] - r0, probe.border[1] - c0)
        shown, _ = hover(r, c)
        if abs(shown - probe.real) > probe.tol:
            raise CheckFailed(
                f"{what}: output ({r}, {c}), the detail's output[{dr}, {dc}] at its border, "
                f"shows {shown!r}; the real feature map has {probe.real!r} there (ops on the "
                f"whole photo; {probe.detached:.4f} is the detail convolved alone, zeros around it)"
            )
        measured.lines.append(
            f"border ({r}, {c}) = detail[{dr}, {dc}] -> {shown:.4f}, the real map's "
            f"{probe.real:.4f} (the detail alone: {probe.detached:.4f})"
        )
    page.mouse.move(0, 0)  # off the output map: the hover goes
    try:
        wait(
            page,
            "(el) => el.dataset.hoverOut === undefined",
            view.element_handle(),
            timeout_s=2,
            what="the hover to go",
        )
    except CheckFailed:
        raise CheckFailed(
            f"{what}: the mouse left the output map, its hover (data-hover-out "
            f"{view.get_attribute('data-hover-out')}) stays"
        ) from None
    i, j = probe.click
    _click_input(page, view, i, j, what)
    count = int(view.get_attribute("data-field-count"))
    if count != probe.field:
        raise CheckFailed(
            f"{what}: clicking input ({i}, {j}) lit up {count} output pixels; "
            f"{probe.field} change when it changes (ops)"
        )
    measured.lines.append(f"click ({i}, {j}) -> {count} output pixels")
    page.mouse.move(0, 0)


def check_never_read(page, root, case: ExplorerCase, value: float, measured: Measured) -> None:
    """After the slider moved to ``value``: clicking an input pixel no window reads (from
    ``case.never_read``, computed with ops) must say so ("never-read", no output lit up)."""
    what = f"{case.id} linked view at {case.slider} {value:g}"
    view = _linked_view(page, root, what, f"{case.slider} {value:g}")
    i, j = case.never_read(value)
    _click_input(page, view, i, j, what)
    note, count = view.get_attribute("data-field-note"), view.get_attribute("data-field-count")
    text = view.locator(".linked-arith").text_content()
    if note != "never-read" or count != "0" or "never read" not in text:
        raise CheckFailed(
            f"{what}: clicking input ({i}, {j}), which no window reads (ops), gave "
            f"data-field-note {note!r} and {count} output pixels; the panel says {text!r}"
        )
    measured.lines.append(f"{case.slider} {value:g}: click ({i}, {j}) -> never read")
    page.mouse.move(0, 0)


def report_latencies(case: ExplorerCase, m: Measured) -> None:
    """Print the measurements against their targets; fail only past the generous ceilings."""
    med = statistics.median(m.slider_ms)
    report(
        f"{case.name}: slider -> picture median {med:.0f} ms (target {SLIDER_TARGET_MS:.0f}: "
        f"{'met' if med <= SLIDER_TARGET_MS else 'MISSED'}) over {len(m.slider_ms)} moves of "
        f"{case.slider!r} [{', '.join(f'{x:.0f}' for x in m.slider_ms)}]"
    )
    if m.hover_ms:
        hov = statistics.median(m.hover_ms)
        report(
            f"{case.name}: hover -> highlight median {hov:.1f} ms (target {HOVER_TARGET_MS:.0f}: "
            f"{'met' if hov <= HOVER_TARGET_MS else 'MISSED'}), max {max(m.hover_ms):.1f} ms "
            f"over {len(m.hover_ms)} hovers"
        )
        if hov > HOVER_CEILING_MS:
            raise CheckFailed(
                f"{case.id}: median hover -> highlight {hov:.1f} ms is over "
                f"{HOVER_CEILING_MS:.0f} ms: something is broken"
            )
    for line in m.lines:
        report(f"{case.name}: {line}")
    if med > SLIDER_CEILING_MS:
        raise CheckFailed(
            f"{case.id}: median slider -> picture {med:.0f} ms is over "
            f"{SLIDER_CEILING_MS:.0f} ms: something is broken"
        )

"""Harness for the browser tests: a throwaway JupyterLab server and checks of explorer widgets.

Nothing here is collected as a test; ``conftest.py`` builds fixtures from it and
``test_widgets.py`` uses :func:`check_explorer`.  Every check raises :class:`CheckFailed`
(an ``AssertionError``) with a one-paragraph message that says what was expected and what the
page showed, so a failure reads without a Playwright call log.

Every locator is written ``css:light=...``: Playwright's default CSS engine also searches inside
shadow roots, and to find them it visits every element of the page on each query.  With all the
lessons open in one page that was seconds of the browser's CPU per run; nothing checked here
lives in a shadow root.  Text inside notebooks is read as ``textContent``: with JupyterLab's
default windowing the browser does not lay out cells out of view, and ``innerText`` of those
is empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from course_utils._env import course_env
from course_utils._hygiene import notebook_problems

REPO = Path(__file__).resolve().parents[2]
LESSONS = REPO / "lessons"

#: one line per explorer checked in this session; printed at the end of the run (conftest.py)
LATENCY_REPORT: list[str] = []


def report_latency(line: str) -> None:
    """Print a latency line now (with -s) and keep it for the end-of-run summary."""
    print("\n" + line)
    LATENCY_REPORT.append(line)


CHROMIUM_MISSING = (
    "Chromium not found: install it with `sudo apt-get install chromium`, "
    "or deselect browser tests with -m 'not browser'"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]

# JupyterLab user settings written into the isolated settings dir.
LAB_SETTINGS = {
    # the "news" toast covers part of the page
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # JupyterLab's default windowing (every cell in the DOM, the browser skips laying out cells
    # out of view), written down so a change of default shows here; the notebook's own
    # kernelspec starts without a "Select Kernel" dialog
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "contentVisibility",
        "autoStartDefaultKernel": True,
    },
}


class CheckFailed(AssertionError):
    """A browser check failed; the message is meant for humans."""


def find_chromium() -> str | None:
    """Path of a Chromium executable, or None.

    ``$CHROMIUM_PATH`` when set (None if it is not executable), else Debian's
    ``/usr/bin/chromium``, else ``chromium`` / ``chromium-browser`` on PATH.
    """
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------
def _exception_lines(text: str) -> list[str]:
    """The lines of a log that name an exception ("ValueError: ...")."""
    return [ln.strip() for ln in text.splitlines() if re.match(r"\s*\w+(Error|Exception)\b.*:", ln)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _strip_outputs(path: Path) -> None:
    """Drop a notebook copy's saved outputs: the tests clear and re-run them anyway, and the
    browser then does not lay out every saved picture and widget once for nothing."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    nb.get("metadata", {}).pop("widgets", None)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


class LabServer:
    """``jupyter lab`` on 127.0.0.1 serving a temporary copy of ``lessons/``.

    All Jupyter config, data, settings and workspace dirs live under ``base`` (the runtime dir,
    where the kernels' sockets are, in a short temporary dir of its own), so neither the
    user's Jupyter setup nor the committed notebooks are touched.
    """

    def __init__(self, base: Path, lessons: Path = LESSONS) -> None:
        self.base = Path(base)
        self.root = self.base / "notebooks"
        self.token = secrets.token_hex(24)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.base / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None
        shutil.copytree(
            lessons,
            self.root,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "runs"),
        )
        for path in self.root.glob("*.ipynb"):
            _strip_outputs(path)
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("JUPYTER_PATH", None)  # no extra kernelspec/extension dirs from outside
        dirs = {
            "JUPYTER_CONFIG_DIR": "config",
            "JUPYTER_DATA_DIR": "data",
            "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
            "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
            "IPYTHONDIR": "ipython",
        }
        for var, sub in dirs.items():
            (self.base / sub).mkdir(parents=True, exist_ok=True)
            env[var] = str(self.base / sub)
        # the kernels' IPC sockets live here: a short path (a Unix socket's path has at most
        # 107 bytes; "kernel-<uuid>-ipc-5" is 49 of them)
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="course-lab-"))
        env["JUPYTER_RUNTIME_DIR"] = str(self.runtime_dir)
        for rel, value in LAB_SETTINGS.items():
            path = self.base / "lab-settings" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        env.update(course_env(kernels=True, COURSE_RUNS_DIR=str(self.base / "runs")))
        return env

    def start(self, timeout: float = 60.0) -> None:
        """Start the server; wait for /api/status (failing fast, with its log, if it exits)."""
        self.launch()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait for the server :meth:`launch` started to answer /api/status."""
        try:
            self._wait_ready(timeout)
        except RuntimeError:
            if "is not available" not in self.log_tail(5):
                raise
            self.port = _free_port()  # another process took the free port meanwhile: retry
            self.url = f"http://127.0.0.1:{self.port}"
            self.launch()
            self._wait_ready(timeout)

    def launch(self) -> None:
        """Start the server process and return at once (:meth:`wait_ready` waits for it)."""
        self.launched_at = time.monotonic()
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.terminals_enabled=False",
            # a kernel that dies stays dead (a test sees it), and kill_kernels() is final
            "--KernelManager.autorestart=False",
            # kernels talk to the server over Unix sockets, not TCP ports: with TCP, 11 kernels
            # starting at once picked a port that another connection had taken meanwhile, and
            # the kernel died ("Address already in use"); the page then waited 60 s for it
            "--KernelManager.transport=ipc",
            # window.jupyterapp: the harness starts Run All in every notebook at once through
            # JupyterLab's own command (see run_notebooks)
            "--LabApp.expose_app_in_browser=True",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.proc.returncode} during start-up; "
                    f"log ({self.log_path}):\n{self.log_tail()}"
                )
            try:
                if self.api("status").get("started"):
                    return
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"jupyter lab did not answer /api/status within {timeout:.0f} s;"
                    f" log ({self.log_path}):\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def api(self, path: str, method: str = "GET") -> dict | list:
        sep = "&" if "?" in path else "?"
        req = urllib.request.Request(f"{self.url}/api/{path}{sep}token={self.token}", method=method)
        with urllib.request.urlopen(req, timeout=5) as resp:
            body = resp.read()
        return json.loads(body) if body else {}

    def put_workspace(self, name: str, notebooks: list[str]) -> None:
        """Save a JupyterLab workspace whose main area has ``notebooks`` open as tabs."""
        ids = [f"notebook:{nb}" for nb in notebooks]
        data = {
            "layout-restorer:data": {
                "main": {
                    "dock": {"type": "tab-area", "currentIndex": 0, "widgets": ids},
                    "current": ids[0],
                },
                # the file browser open on the left, as when a student opens a notebook
                "left": {
                    "collapsed": False,
                    "visible": True,
                    "current": "filebrowser",
                    "widgets": ["filebrowser", "running-sessions"],
                },
            },
            **{
                i: {"data": {"path": nb, "factory": "Notebook"}}
                for i, nb in zip(ids, notebooks, strict=True)
            },
        }
        body = json.dumps({"data": data, "metadata": {"id": name}}).encode()
        req = urllib.request.Request(
            f"{self.url}/lab/api/workspaces/{name}?token={self.token}",
            data=body,
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10):
            pass

    def workspace_url(self, name: str) -> str:
        return f"{self.url}/lab/workspaces/{name}?token={self.token}"

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def log_errors(self, since: int = 0) -> list[str]:
        """Exception lines the server and its kernels logged after byte offset ``since``."""
        try:
            text = self.log_path.read_bytes()[since:].decode(errors="replace")
        except OSError:
            return []
        return _exception_lines(text)

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def stop(self) -> None:
        """Kill the kernels, then stop exactly this process group."""
        if self.proc is None or self.proc.poll() is not None:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
            return
        self.kill_kernels()
        pgid = self.proc.pid  # start_new_session=True: the group id is the server's pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def kernel_state(self, notebook: str) -> str:
        """The execution state of ``notebook``'s kernel ("idle", "busy", "starting", ...)."""
        for sess in self.api("sessions"):
            if sess.get("path") == notebook:
                return (sess.get("kernel") or {}).get("execution_state", "no kernel")
        return "no session"

    def _kernel_processes(self) -> dict[str, int] | None:
        """Kernel id -> process id of each kernel this server started (its child processes
        whose command line names a connection file ``kernel-<id>.json``); None where ``/proc``
        does not list the server's children."""
        if self.proc is None:
            return None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            pids = [int(p) for p in children.read_text().split()]
        except (OSError, ValueError):
            return None
        out = {}
        for pid in pids:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            found = re.search(r"kernel-([0-9a-f-]+)\.json", cmdline)
            if found:
                out[found.group(1)] = pid
        return out

    def kernel_pids(self) -> dict[str, int]:
        """Notebook path -> process id of its kernel; ``{}`` where ``/proc`` does not say."""
        procs = self._kernel_processes() or {}
        return {
            s["path"]: procs[s["kernel"]["id"]]
            for s in self.api("sessions")
            if (s.get("kernel") or {}).get("id") in procs
        }

    def order_kernels(self, notebooks: list[str], first: int = 5, step: int = 2) -> dict[str, int]:
        """Give the kernels of ``notebooks`` falling CPU priorities, so that on a busy machine
        their runs end roughly in this order instead of all together; return the niceness
        given to each (``{}`` where ``/proc`` does not say which process a kernel is).

        The ``i``-th notebook's kernel gets niceness ``min(19, first + step * i)``: the kernel
        of the notebook being checked runs ahead of the runs still going, and the browser
        (niceness 0, ``first`` steps above the first kernel) ahead of them all, so the timed
        checks see a responsive page while the later notebooks run.  jupyter_client starts
        each kernel as a session of its own; with Linux's autogroup scheduling the CPU is
        shared between sessions and a process's niceness counts only inside its session, so
        the session's niceness is set (``/proc/PID/autogroup``), and every thread's (for
        systems without autogroup).  Raising a niceness needs no privileges; a refusal
        leaves that kernel as it was.
        """
        given = {}
        pids = self.kernel_pids()
        for i, notebook in enumerate(notebooks):
            if notebook not in pids:
                continue
            nice = min(19, first + step * i)
            pid = pids[notebook]
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/autogroup").write_text(str(nice))
            for task in Path(f"/proc/{pid}/task").glob("[0-9]*"):
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, int(task.name), nice)
            given[notebook] = nice
        return given

    @contextlib.contextmanager
    def kernels_paused(self, but: str):
        """Stop (SIGSTOP) the kernel of every notebook but ``but`` for the block, then let
        them go on (SIGCONT): a timed check then has the page to itself, with no output of
        another notebook's run arriving meanwhile.  Does nothing where ``/proc`` does not
        say which process a kernel is."""
        pids = [pid for notebook, pid in self.kernel_pids().items() if notebook != but]
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGCONT)

    def shutdown_kernels(self) -> None:
        """Shut down every kernel of this server, all at once (frees memory and CPU)."""
        from concurrent.futures import ThreadPoolExecutor

        def delete(kernel_id: str) -> None:
            try:
                self.api(f"kernels/{kernel_id}", method="DELETE")
            except (OSError, ValueError):
                pass

        try:
            ids = [kernel["id"] for kernel in self.api("kernels")]
        except (OSError, ValueError):
            return
        with ThreadPoolExecutor(max(1, len(ids))) as pool:
            list(pool.map(delete, ids))

    def kill_kernels(self) -> None:
        """SIGKILL every kernel process of this server (its child processes).

        Instant, where :meth:`shutdown_kernels` waits for each kernel to exit (seconds of CPU
        with Keras loaded, for nothing: the notebooks are throwaway copies).  The server runs
        with ``autorestart`` off, so nothing starts them again.  Falls back to
        :meth:`shutdown_kernels` where ``/proc`` does not list the children.
        """
        if self.proc is None:
            return
        procs = self._kernel_processes()
        if procs is None:
            self.shutdown_kernels()
            return
        for pid in procs.values():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def python_kernel_argv(self) -> list[str]:
        """``argv`` of the ``python3`` kernelspec the server would launch."""
        specs = self.api("kernelspecs")
        return specs["kernelspecs"]["python3"]["spec"]["argv"]


# ---------------------------------------------------------------------------------------------
# The explorers under test
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkedProbe:
    """What an explorer's linked view (``.course-linked``) must show, computed with ``ops``.

    out : the output map as ``course_utils.ops`` computes it (the view's output, independently)
    window : (row, col) -> the input window ``(r0, c0, r1, c1)`` hovering that output pixel
        must outline (``linked_math``; for a transposed convolution the sources' bounding box)
    pixels : output pixels to hover; the first one is shown in the "hover" screenshot, all
        of them are timed (hover-to-highlight)
    click : an input pixel to click, and ``field``: how many output pixels it must light up
        (its projective field; count them with ``ops`` on a one-hot input)
    offset : (top, left) padding cells drawn around the input (conv with padding)
    """

    out: object
    window: Callable[[int, int], tuple[int, int, int, int]]
    pixels: list[tuple[int, int]]
    click: tuple[int, int]
    field: int
    offset: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class ExplorerCase:
    """One explorer widget in one lesson, and how to poke it.

    notebook : file name in ``lessons/``
    index : which ``.course-explorer`` of the notebook (0 = first in the page)
    slider : label of a slider whose keyboard moves must change ``image``
    name : the explorer's class name, for messages
    image : index of the picture (``img.course-explorer-image`` inside the explorer) that must
        change; -1 = the last one (the result)
    info : slider value (float) -> text the info line must then contain (None: not checked)
    dropdown : (label, option value) of a dropdown whose change must change ``image`` (None: skip)
    screenshot : path prefix relative to the repo for pictures of the explorer: ``PREFIX.png``
        right after Run All, ``PREFIX_hover.png`` while hovering its linked view (None: none)
    max_latency_ms : bound on the median latency from key press to the new picture loaded
    change_timeout_s : how long to wait for the picture to change after a control change
    state : control label -> the value the page must show right after Run All, as the page
        writes it: a slider's readout ("2", "+0.00", a selection slider's label), a dropdown's
        or toggle button's selected label, a checkbox's "true"/"false".  Write the values the
        lesson's code asks for (the call that creates the explorer, or its last ``set``); a
        label missing here is not checked.  None: no state check.
    picture : () -> the PNG bytes picture ``image`` must show right after Run All (computed
        with the explorer's pure step in this process), or None: not checked
    linked : () -> :class:`LinkedProbe` for the explorer's linked view (hover, click), or None
    moves : slider moves for the latency median
    """

    notebook: str
    index: int
    slider: str
    name: str = "explorer"
    image: int = -1
    info: Callable[[float], str] | None = None
    dropdown: tuple[str, str] | None = None
    screenshot: str | None = None
    max_latency_ms: float = 150.0
    change_timeout_s: float = 10.0
    state: dict[str, str] | None = None
    picture: Callable[[], bytes] | None = None
    linked: Callable[[], LinkedProbe] | None = None
    moves: int = 6

    @property
    def id(self) -> str:
        return f"{Path(self.notebook).stem}[{self.index}]"


#: the acceptance targets, printed next to every measurement
SLIDER_TARGET_MS = 50.0
HOVER_TARGET_MS = 16.0  # one frame at 60 Hz


@dataclass
class ExplorerReport:
    latencies_ms: list[float]
    load_latencies_ms: list[float]
    cells: int
    #: per move: the picture came from the frames the kernel sent ahead (no round trip)
    cached: list[bool] = field(default_factory=list)
    #: per move: keydown -> the kernel's own frame for the new state arrived
    kernel_ms: list[float] = field(default_factory=list)
    hover_ms: list[float] = field(default_factory=list)
    linked_lines: list[str] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def median_load_ms(self) -> float:
        return statistics.median(self.load_latencies_ms)

    @property
    def median_kernel_ms(self) -> float:
        return statistics.median(self.kernel_ms)

    @property
    def median_hover_ms(self) -> float | None:
        return statistics.median(self.hover_ms) if self.hover_ms else None


#: the pause before each hover of a linked view, as a reader looks at the numbers.  Chrome
#: delivers mouse moves with the next frame while frames are being drawn: hovers sent back to
#: back each wait up to a frame (0-17 ms) for that, on top of the work the hover does
HOVER_PAUSE_S = 0.08

#: how often a wait in the timed checks asks the page (ms): a cheap test, asked often, so each of
#: the many short waits there ends soon after its answer (the measured times are in-page clocks)
FAST_POLL_MS = 16


def _wait(page, js: str, arg=None, *, timeout_s: float, what: str, poll_ms: int = 100):
    """``page.wait_for_function`` with a readable timeout message; ``js`` runs every
    ``poll_ms`` (the default suits tests that look at a whole notebook)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(js, arg=arg, timeout=timeout_s * 1000, polling=poll_ms)
    except PlaywrightTimeout:
        raise CheckFailed(f"timed out after {timeout_s:.0f} s waiting for {what}") from None


def _click_menu(page, menu: str, item: str, tries: int = 10) -> None:
    """Click menu bar ``menu``, then its item labelled ``item`` once it is enabled."""
    entry = page.locator(
        f'css:light=.lm-Menu-content .lm-Menu-item:has(.lm-Menu-itemLabel:text-is("{item}"))'
    )
    for _ in range(tries):
        page.locator(f'css:light=#jp-menu-panel .lm-MenuBar-itemLabel:text-is("{menu}")').click()
        entry.wait_for(state="visible", timeout=5000)
        if "lm-mod-disabled" not in (entry.get_attribute("class") or ""):
            entry.click()
            return
        page.keyboard.press("Escape")
        time.sleep(0.5)
    raise CheckFailed(f"menu item {menu} -> {item} stayed disabled")


#: JupyterLab's main-area widgets by id (``window.jupyterapp``: the server runs with
#: ``expose_app_in_browser``); the page scripts below use it as ``PANELS``
_PANELS_JS = "new Map([...window.jupyterapp.shell.widgets('main')].map(w => [w.id, w]))"


def _with_panels(js: str) -> str:
    """A page script with ``PANELS`` bound to :data:`_PANELS_JS`."""
    return js.replace("PANELS", _PANELS_JS)


_RUN_STATE_JS = _with_panels(
    r"""
(ids) => {
  // per notebook panel, from JupyterLab's models (a notebook out of view has them too):
  // 'done' (kernel idle, every code cell with code has run), 'error' (kernel idle, a cell
  // raised: Run All stops there), false (still running), or why the command failed
  const panels = PANELS;
  const out = {};
  for (const id of ids) {
    const failed = window.__courseRunErrors?.[id];
    if (failed) { out[id] = `Run All Cells failed in JupyterLab: ${failed}`; continue; }
    const panel = panels.get(id);
    const cells = [...panel.content.model.cells].filter(c => c.type === 'code');
    if (panel.sessionContext.session?.kernel?.status !== 'idle'
        || cells.some(c => c.executionState === 'running')) { out[id] = false; continue; }
    if (cells.every(c => c.executionCount !== null || !c.sharedModel.getSource().trim())) {
      out[id] = 'done';
    } else {
      out[id] = cells.some(c => c.outputs.toJSON().some(o => o.output_type === 'error'))
        ? 'error' : false;
    }
  }
  return out;
}
"""
)

_PROBLEMS_JS = r"""
(root) => {
  const out = [];
  root.querySelectorAll('.jp-Notebook .jp-Cell').forEach((cell, i) => {
    // JupyterLab renders error outputs (tracebacks) with the stderr MIME type
    const outs = cell.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"],'
                                       + '[data-mime-type="application/vnd.jupyter.error"]');
    for (const el of outs) {
      const t = el.textContent.trim();
      const lines = t.split('\n').filter(l => l.trim());
      if (el.closest('.jp-OutputArea-error') || /Traceback/.test(t))
        out.push(`cell ${i}: error output: ${lines[lines.length - 1] || '(empty)'}`);
      else if (t) out.push(`cell ${i}: stderr output: ${t.slice(0, 200)}`);
    }
    const text = cell.querySelector('.jp-Cell-outputWrapper')?.textContent || '';
    if (/Traceback \(most recent call last\)/.test(text) && !out.length)
      out.push(`cell ${i}: output shows a Traceback`);
    if (text.includes('Error displaying widget')) out.push(`cell ${i}: "Error displaying widget"`);
    if (text.includes('Loading widget...')) out.push(`cell ${i}: "Loading widget..." left`);
  });
  return out;
}
"""


_HASH_JS = r"""
async (img) => {
  for (let attempt = 0; attempt < 5; attempt++) {
    const src = img.src;
    try {
      const buf = await (await fetch(src)).arrayBuffer();
      if (src !== img.src) continue;  // changed while fetching: read the new one
      const digest = await crypto.subtle.digest('SHA-256', buf);
      return {src, bytes: buf.byteLength,
              sha: [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('')};
    } catch (e) { await new Promise(r => setTimeout(r, 50)); }
  }
  return null;
}
"""

_IMAGES_READY_JS = r"""
(root) => {
  const imgs = [...root.querySelectorAll('img.course-explorer-image')];
  return imgs.length > 0 && imgs.every(i => /^(blob|data):/.test(i.src) && i.complete
                                         && i.naturalWidth > 0);
}
"""

_LATENCY_SETUP_JS = r"""
([handle, img]) => {
  // per move: keydown -> the picture's src changes (src), -> it has loaded (load), whether it
  // came from the frames the kernel sent ahead (cached), -> the kernel's own frame for the new
  // state has arrived (kernel); extra counts src changes after a move's first (there must be
  // none: a frame from the cache is the kernel's frame)
  const box = img.closest('.course-panels-box');
  const lat = window.__courseLatency = {
    t0: null, move: null, src: [], load: [], cached: [], kernel: [], extra: 0, pending: null,
  };
  handle.addEventListener('keydown', () => {
    lat.t0 = lat.move = performance.now();
  }, true);
  new MutationObserver(() => {
    if (lat.t0 === null) { lat.extra += 1; return; }
    const t0 = lat.t0;
    lat.t0 = null;
    lat.src.push(performance.now() - t0);
    lat.cached.push(box.dataset.key !== box.dataset.kernelKey);
    lat.pending = t0;
  }).observe(img, {attributes: true, attributeFilter: ['src']});
  new MutationObserver(() => {
    if (lat.move === null || box.dataset.kernelKey !== box.dataset.key) return;
    lat.kernel.push(performance.now() - lat.move);
    lat.move = null;
  }).observe(box, {attributes: true, attributeFilter: ['data-kernel-key']});
  img.addEventListener('load', () => {
    if (lat.pending === null) return;
    lat.load.push(performance.now() - lat.pending);
    lat.pending = null;
  });
}
"""


def log_console_errors(page) -> list[str]:
    """Exception lines in JupyterLab's Log Console (where widget callback errors go)."""
    try:
        _click_menu(page, "View", "Show Log Console", tries=2)
        panel = page.locator("css:light=.jp-LogConsolePanel")
        panel.wait_for(state="visible", timeout=5000)
        time.sleep(0.5)
        text = panel.inner_text()
    except Exception:  # noqa: BLE001 - only used to enrich a failure message
        return []
    return _exception_lines(text)


def image_digest(img) -> dict:
    """SHA-256 of the bytes behind an ``<img>``'s (data: or blob:) URL, fetched in the page."""
    got = img.evaluate(_HASH_JS)
    if not got:
        raise CheckFailed("could not fetch the picture's URL in the page")
    return got


_IN_FRONT_JS = "(id) => !document.getElementById(id).classList.contains('lm-mod-hidden')"


@dataclass
class NotebookRun:
    """One notebook in its own tab of the shared JupyterLab page (see :func:`run_notebooks`).

    ``panel_id`` is the DOM id of its notebook panel; every check looks inside :attr:`root`.
    ``nice``: the niceness its kernel was given (:meth:`LabServer.order_kernels`), if any.
    After :func:`finish_run`: ``finished``, and ``cells`` (how many), or ``error`` (what went
    wrong), and ``seconds`` from opening the page (``opened_at``) to the end of this run.
    """

    notebook: str
    page: object
    panel_id: str
    opened_at: float = 0.0
    cells: int = 0
    error: CheckFailed | None = None
    seconds: float = 0.0
    finished: bool = False
    nice: int | None = None

    @property
    def root(self):
        return self.page.locator(f"css:light=#{self.panel_id}")

    @property
    def tab(self):
        return self.page.locator(
            f'css:light=.lm-DockPanel .lm-TabBar-tab[data-id="{self.panel_id}"]'
        )

    def activate(self) -> None:
        """Bring this notebook's tab to the front (hover and keys act on it)."""
        if self.page.evaluate(_IN_FRONT_JS, self.panel_id):
            return
        self.tab.click()
        _wait(
            self.page,
            _IN_FRONT_JS,
            self.panel_id,
            timeout_s=10,
            what=f"the tab of {self.notebook} to come to the front",
            poll_ms=FAST_POLL_MS,
        )


_START_ALL_JS = _with_panels(
    r"""
async ([ids, timeoutMs]) => {
  // "Run All Cells" (JupyterLab's command, as the Run menu calls it) in each notebook panel,
  // without bringing it to the front, as soon as its session has a kernel (JupyterLab queues
  // the cells until the kernel answers; with no kernel yet it would skip them)
  const app = window.jupyterapp;
  const panels = PANELS;
  const timeout = new Promise(r => setTimeout(() => r('timeout'), timeoutMs));
  const out = {};
  await Promise.all(ids.map(async id => {
    const panel = panels.get(id);
    if (!panel?.sessionContext) { out[id] = 'is not a notebook panel'; return; }
    if (await Promise.race([panel.sessionContext.ready.then(() => 'ready'), timeout]) !== 'ready'
        || !panel.sessionContext.session?.kernel) {
      out[id] = `has no kernel after ${timeoutMs / 1000} s`;
      return;
    }
    // not awaited: the command's promise settles when the last cell has run
    app.commands.execute('notebook:run-all-cells', {widgetId: id, activate: false})
      .catch(e => { window.__courseRunErrors = {...window.__courseRunErrors, [id]: String(e)}; });
    out[id] = 'started';
  }));
  return out;
}
"""
)

#: the notebooks of ``ids`` with no code cell queued or run yet (from their models)
_NOT_STARTED_JS = _with_panels(
    r"""
(ids) => {
  const panels = PANELS;
  return ids.filter(id => ![...panels.get(id).content.model.cells].some(
    c => c.type === 'code' && (c.executionState === 'running' || c.executionCount !== null)));
}
"""
)


def start_runs(page, runs: list[NotebookRun], *, timeout_s: float = 60) -> None:
    """Click "Run All Cells" in every notebook of ``runs`` at once (no waiting for the runs:
    :func:`finish_run` does).  A notebook that could not start gets ``error``.

    This runs JupyterLab's own command (what the Run menu does), so that all start within a
    second instead of one after another through menus on a page that is busy drawing.
    """
    _wait(
        page,
        "() => !!window.jupyterapp?.shell",
        timeout_s=timeout_s,
        what="JupyterLab to start (window.jupyterapp)",
    )
    by_id = {run.panel_id: run for run in runs}
    ids = list(by_id)
    answer = page.evaluate(_START_ALL_JS, [ids, timeout_s * 1000])
    for pid, said in answer.items():
        if said != "started":
            by_id[pid].error = CheckFailed(f"{by_id[pid].notebook}: Run All Cells: {said}")
    started = [pid for pid in ids if by_id[pid].error is None]
    try:
        _wait(
            page,
            f"(ids) => ({_NOT_STARTED_JS})(ids).length === 0",
            started,
            timeout_s=30,
            what="Run All Cells to start",
        )
    except CheckFailed:
        for pid in page.evaluate(_NOT_STARTED_JS, started):
            by_id[pid].error = CheckFailed(
                f"{by_id[pid].notebook}: no cell queued 30 s after Run All Cells"
            )


_SAVE_JS = _with_panels(
    r"""
async (id) => {
  // save the notebook (what Ctrl+S does) and wait for the server's answer
  try { await PANELS.get(id).context.save(); return 'saved'; }
  catch (e) { return String(e); }
}
"""
)


def finish_run(run: NotebookRun, server: LabServer, *, timeout_s: float = 180) -> NotebookRun:
    """Wait until the run :func:`start_runs` began in ``run``'s notebook is over; save the
    notebook (in the server's temporary copy) and read it back through the contents API.
    Does nothing for a run already finished (or one that could not start).

    Sets ``cells`` (how many), or ``error``: a CheckFailed listing every problem: error
    outputs, tracebacks, stderr, widget errors in the page; cells not run once in order 1..n;
    a run still going after ``timeout_s``.
    """
    if run.finished or run.error is not None:
        run.finished = True
        return run
    page, pid = run.page, run.panel_id
    state, steady = None, 0
    deadline = time.monotonic() + timeout_s
    # the same answer 3 polls in a row: no idle gap between two cells
    while steady < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
        answer = page.evaluate(_RUN_STATE_JS, [pid])[pid]
        steady = steady + 1 if answer and answer == state else int(bool(answer))
        state = answer
    run.finished = True
    run.seconds = time.monotonic() - run.opened_at
    if steady < 3:  # say what the kernel was doing (a kernel can die starting)
        run.error = CheckFailed(
            f"{run.notebook}: Run All Cells did not finish within {timeout_s:.0f} s "
            f"(kernel idle, every code cell run); its kernel is "
            f"{server.kernel_state(run.notebook)!r}"
            + "".join(f"\n  server log: {line}" for line in server.log_errors()[-3:])
        )
        return run
    problems = run.root.evaluate(_PROBLEMS_JS)
    settle = time.monotonic() + 15  # widgets still drawing right after the kernel went idle
    while problems and all("Loading widget" in p for p in problems) and time.monotonic() < settle:
        time.sleep(0.3)
        problems = run.root.evaluate(_PROBLEMS_JS)
    if state == "error" and not problems:
        problems = ["a cell raised an error (run stopped)"]
    elif state not in ("done", "error"):
        problems.append(str(state))
    if problems:
        run.error = _problems(run, problems)
        return run
    saved = page.evaluate(_SAVE_JS, pid)
    if saved != "saved":
        run.error = CheckFailed(f"{run.notebook}: saving failed: {saved}")
        return run
    nb = server.api(f"contents/{run.notebook}?content=1&type=notebook")["content"]
    problems = notebook_problems(nb)
    if problems:
        run.error = _problems(run, problems)
    run.cells = len(nb["cells"])
    return run


def _problems(run: NotebookRun, problems: list[str]) -> CheckFailed:
    return CheckFailed(
        f"{run.notebook}: after Run All Cells the notebook shows problems:\n  - "
        + "\n  - ".join(problems)
    )


def run_notebooks(page, server: LabServer, notebooks: list[str]) -> dict[str, NotebookRun]:
    """Open every notebook as a tab of one JupyterLab page and start Run All Cells in all of
    them; :func:`finish_run` then waits for one run.

    One JupyterLab start-up in the browser (about 6 s of CPU each) instead of one per notebook;
    every run starts as soon as its kernel is there (:func:`start_runs`), in tabs out of view
    (the browser lays a notebook out when its tab first comes to the front, for the checks).
    The kernels (importing Keras, computing) share both cores with priorities falling in the
    order of ``notebooks`` (:meth:`LabServer.order_kernels`): the first runs end first and
    their checks go on while the later ones run, at a lower priority than the checks.  Where
    the priorities cannot be set, every run is finished here, before any check.  A notebook's
    failure is kept in its :class:`NotebookRun` (its test reports it); it does not stop the
    others.
    """
    t0 = time.monotonic()
    server.put_workspace("all", notebooks)
    page.goto(server.workspace_url("all"))
    want = len(notebooks)
    _wait(
        page,
        f"() => document.querySelectorAll('.lm-DockPanel .lm-TabBar-tab').length >= {want}",
        timeout_s=60,
        what=f"JupyterLab to open the {want} notebooks as tabs",
    )
    tabs = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('.lm-DockPanel .lm-TabBar-tab')]"
        ".map(t => [t.querySelector('.lm-TabBar-tabLabel').textContent.trim(), t.dataset.id]))"
    )
    runs = {}
    for nb in notebooks:
        if nb not in tabs:
            raise CheckFailed(f"JupyterLab opened tabs {sorted(tabs)}, not {nb}")
        runs[nb] = NotebookRun(nb, page, tabs[nb], opened_at=t0)
    start_runs(page, list(runs.values()))
    given = server.order_kernels(notebooks)
    for nb, run in runs.items():
        run.nice = given.get(nb)
    if len(given) < len(notebooks):
        # no priorities (no /proc, or a kernel not found): every run ends before the first
        # check, so that the timed checks do not share the machine with runs going at full speed
        for run in runs.values():
            finish_run(run, server)
    return runs


_CONTROL_JS = r"""
([root, label]) => {
  // every ipywidgets control in the explorer whose label is `label`, and the value it shows
  const out = [];
  // ipywidgets writes &nbsp; in labels, and U+2212 for a minus in float readouts
  const norm = (t) => (t ?? '').replace(/\s+/g, ' ').replace(/\u2212/g, '-').trim();
  const boxes = root.querySelectorAll('.widget-slider, .widget-dropdown, .widget-toggle-buttons,'
    + ' .widget-checkbox, .widget-text, .widget-radio, .widget-select');
  for (const box of boxes) {
    const name = box.matches('.widget-checkbox')
      ? norm(box.querySelector('.widget-label-basic span')?.textContent)
      : norm(box.querySelector(':scope > label.widget-label')?.textContent);
    if (name !== label) continue;
    if (box.matches('.widget-slider')) {
      out.push(norm(box.querySelector('.widget-readout')?.textContent ?? '(no readout)'));
    } else if (box.matches('.widget-dropdown, .widget-select')) {
      const s = box.querySelector('select');
      out.push(s && s.selectedIndex >= 0 ? norm(s.options[s.selectedIndex].textContent) : '');
    } else if (box.matches('.widget-toggle-buttons')) {
      out.push([...box.querySelectorAll('button.mod-active')].map(b => norm(b.textContent))
        .join(','));
    } else if (box.matches('.widget-checkbox')) {
      out.push(String(box.querySelector('input').checked));
    } else if (box.matches('.widget-radio')) {
      out.push([...box.querySelectorAll('input:checked')].map(i => i.value).join(','));
    } else {
      out.push(box.querySelector('input, textarea')?.value ?? '');
    }
  }
  return out;
}
"""


def shown_controls(root, labels) -> dict[str, list[str]]:
    """Label -> the values shown by the explorer's controls with that label (one per control)."""
    return {
        label: root.evaluate(f"(el) => ({_CONTROL_JS})([el, {json.dumps(label)}])")
        for label in labels
    }


def check_state(root, case: ExplorerCase) -> None:
    """The controls show ``case.state`` (what the lesson's code asked for), right after Run All."""
    if not case.state:
        return
    shown = shown_controls(root, case.state)
    wrong = []
    for label, want in case.state.items():
        got = shown[label]
        if len(got) != 1:
            wrong.append(f"{label!r}: {len(got)} controls with this label (expected 1)")
        elif got[0] != want:
            wrong.append(f"{label!r} shows {got[0]!r}, the code asked for {want!r}")
    if wrong:
        raise CheckFailed(
            f"{case.id}: after Run All the {case.name} does not show the state its "
            "code asked for:\n  - " + "\n  - ".join(wrong)
        )


def _cell_centre(box: dict, cell: float, r: int, c: int) -> tuple[float, float]:
    """Page coordinates of grid cell (r, c) of a canvas at ``box`` drawn ``cell`` px per cell."""
    return box["x"] + (c + 0.5) * cell, box["y"] + (r + 0.5) * cell


_HOVER_PREPARE_JS = r"""
(el) => {
  // clear the answer of the last move; where the output canvas is now (cells out of view that
  // the browser lays out late can move it), on screen
  delete el.dataset.hoverOut; delete el.dataset.frameMs;
  const cv = el.querySelector('.linked-output canvas.linked-base');
  let r = cv.getBoundingClientRect();
  if (r.top < 0 || r.bottom > innerHeight) {
    cv.scrollIntoView({block: 'center'});
    r = cv.getBoundingClientRect();
  }
  return {x: r.x, y: r.y, width: r.width, height: r.height};
}
"""


_HOVER_ANSWER_JS = r"""
(el) => new Promise(resolve => {
  // the view's answer to the mouse move: its data attributes once it has drawn the highlight
  const answer = () => el.dataset.hoverOut !== undefined && el.dataset.frameMs !== undefined;
  if (answer()) return resolve({...el.dataset});
  const seen = new MutationObserver(() => {
    if (answer()) { seen.disconnect(); resolve({...el.dataset}); }
  });
  seen.observe(el, {attributes: true});
  setTimeout(() => { seen.disconnect(); resolve(null); }, 5000);
})
"""


def hover_output(page, view, r: int, c: int, what: str, cell: float) -> dict:
    """Move the mouse over output pixel (r, c) of a LinkedView (an element handle); its root's
    data attributes.

    ``cell`` is the view's pixels per cell.  The attributes are cleared first, so the answer
    is the page's response to this move.
    """
    box = view.evaluate(_HOVER_PREPARE_JS)
    page.mouse.move(*_cell_centre(box, cell, r, c))
    data = view.evaluate(_HOVER_ANSWER_JS)
    if data is None:
        raise CheckFailed(
            f"timed out after 5 s waiting for {what} to highlight output pixel ({r}, {c})"
        )
    data["out"] = tuple(int(v) for v in data["hoverOut"].split(","))
    if data["out"] != (r, c):
        raise CheckFailed(
            f"{what}: the mouse over output pixel ({r}, {c}) (cell {cell:.2f} px) "
            f"highlighted {data['out']}"
        )
    return data


def check_linked(
    page,
    root,
    case: ExplorerCase,
    report: ExplorerReport,
    screenshot_to: Path | None,
    quiet: contextlib.AbstractContextManager | None = None,
) -> None:
    """Hover and click the explorer's linked view; compare with ``case.linked()`` (from ops).

    Every hovered output pixel must outline the expected input window and show the value
    ``ops`` computes (4 decimals, in the data attribute and in the arithmetic panel for the
    first pixel); clicking ``probe.click`` must light up ``probe.field`` output pixels.
    Hover-to-highlight times (mouse event to drawn outline, measured in the page; one hover
    every :data:`HOVER_PAUSE_S`, inside the context manager ``quiet``) go into
    ``report.hover_ms``.
    """
    probe = case.linked()
    view = root.locator("css:light=.course-linked")
    if view.count() != 1:
        raise CheckFailed(f"{case.id}: found {view.count()} linked views in the explorer")
    what = f"{case.id} linked view"
    _wait(
        page,
        "(el) => el.querySelector('.linked-output canvas.linked-base') !== null",
        view.element_handle(),
        timeout_s=10,
        what=f"{what} to draw",
        poll_ms=FAST_POLL_MS,
    )
    view.scroll_into_view_if_needed()
    caption = (
        view.locator("css:light=.linked-output .linked-caption").text_content().strip()
    )  # "output 8×8"
    shape = tuple(int(v) for v in caption.split()[-1].split("\u00d7"))
    if shape != probe.out.shape:
        raise CheckFailed(f"{what}: the output is drawn as {shape}, ops computes {probe.out.shape}")
    cell = float(view.get_attribute("data-cell"))
    handle = view.element_handle()
    hovers, panel = [], ""
    with quiet or contextlib.nullcontext():  # the hovers first (timed), their answers after
        for r, c in probe.pixels:
            time.sleep(HOVER_PAUSE_S)
            hovers.append(hover_output(page, handle, r, c, what, cell))
            if len(hovers) == 1:  # what the arithmetic panel says for the first pixel
                panel = view.locator("css:light=.linked-sum-value").text_content().strip()
                if screenshot_to is not None:
                    root.screenshot(path=str(screenshot_to), animations="disabled")
    for k, ((r, c), data) in enumerate(zip(probe.pixels, hovers, strict=True)):
        report.hover_ms.append(float(data["hoverMs"]))
        window = tuple(int(v) for v in data["window"].split(","))
        want_window, value = probe.window(r, c), float(probe.out[r, c])
        if window != tuple(want_window):
            raise CheckFailed(
                f"{what}: hovering output ({r}, {c}) outlined input window "
                f"{window}, expected {tuple(want_window)}"
            )
        if round(float(data["sum"]), 4) != round(value, 4):
            raise CheckFailed(
                f"{what}: output ({r}, {c}) shows {data['sum']}, ops computes {value:.6f}"
            )
        if k == 0:
            if not (panel == f"{value:.4f}" or (panel == "0.0000" and abs(value) < 5e-5)):
                raise CheckFailed(
                    f"{what}: the arithmetic panel says {panel!r} for output "
                    f"({r}, {c}), ops computes {value:.4f}"
                )
            report.linked_lines.append(
                f"hover output ({r}, {c}) -> window {window}, "
                f"value {float(data['sum']):.4f} (ops {value:.4f})"
            )
    i, j = probe.click
    canvas = view.locator("css:light=.linked-input canvas.linked-base")
    page.mouse.click(
        *_cell_centre(canvas.bounding_box(), cell, i + probe.offset[0], j + probe.offset[1])
    )
    _wait(
        page,
        "([el, want]) => el.dataset.fieldIn === want",
        [view.element_handle(), f"{i},{j}"],
        timeout_s=5,
        what=f"{what}: the projective field of input ({i}, {j})",
        poll_ms=FAST_POLL_MS,
    )
    count = int(view.get_attribute("data-field-count"))
    if count != probe.field:
        raise CheckFailed(
            f"{what}: clicking input ({i}, {j}) lit up {count} output pixels; "
            f"{probe.field} change when that pixel changes (ops)"
        )
    report.linked_lines.append(f"click input ({i}, {j}) -> {count} output pixels")
    page.mouse.move(0, 0)


def _error_text(root) -> str:
    """What the explorer's error area shows ("" when all is well)."""
    return root.locator("css:light=.course-explorer-error").text_content().strip()


def check_explorer(
    run: NotebookRun,
    server: LabServer,
    case: ExplorerCase,
    *,
    screenshot_to: Path | None = None,
) -> ExplorerReport:
    """Check in JupyterLab that an explorer of a notebook that ran (:func:`run_notebooks`)
    responds like it should.

    1. the explorer renders, its error area is empty, its controls show ``case.state`` and its
       picture is ``case.picture()`` (what the code asked for);
    2. its linked view (``case.linked``): hover windows and values, a click's projective field,
       hover-to-highlight times;
    3. a keyboard move of the slider changes the picture's bytes (and the info line);
    4. a different dropdown option changes the picture's bytes;
    5. median latency keypress -> new picture ``src`` over ``case.moves`` moves <=
       ``case.max_latency_ms``.

    ``screenshot_to``: a folder; ``explorer{index}.png`` (after Run All) and
    ``explorer{index}_hover.png`` (hovering the linked view) are written there.
    """
    log_start = server.log_size()
    page = run.page
    run.activate()
    explorers = run.root.locator("css:light=.jp-OutputArea-output .course-explorer")
    _wait(
        page,
        f"(root) => root.querySelectorAll('.jp-OutputArea-output .course-explorer')"
        f".length > {case.index}",
        run.root.element_handle(),
        timeout_s=30,
        what=f"explorer #{case.index} (.course-explorer) to render in {case.notebook}",
        poll_ms=FAST_POLL_MS,
    )
    root = explorers.nth(case.index)
    root.scroll_into_view_if_needed()
    _wait(
        page,
        _IMAGES_READY_JS,
        root.element_handle(),
        timeout_s=30,
        what="the explorer's pictures to load",
        poll_ms=FAST_POLL_MS,
    )
    error = _error_text(root)
    if error:
        raise CheckFailed(
            f"{case.id}: the explorer's error area shows {error!r} right after Run All Cells"
        )
    check_state(root, case)
    img = root.locator("css:light=img.course-explorer-image").nth(case.image)
    if case.picture is not None:
        import hashlib

        want = hashlib.sha256(case.picture()).hexdigest()
        got = image_digest(img)["sha"]
        if got != want:
            raise CheckFailed(
                f"{case.id}: after Run All picture {case.image} is not the one the "
                f"code's state gives (sha256 {got[:12]}..., expected "
                f"{want[:12]}...)"
            )
    report = ExplorerReport([], [], run.cells)
    viewport = page.viewport_size
    if screenshot_to is not None:  # tall enough that the whole explorer is on the screen
        page.set_viewport_size({"width": viewport["width"], "height": 2600})
        root.scroll_into_view_if_needed()
        page.mouse.move(0, 0)
        root.screenshot(
            path=str(screenshot_to / f"explorer{case.index}.png"), animations="disabled"
        )
    if case.linked is not None:
        check_linked(
            page,
            root,
            case,
            report,
            None if screenshot_to is None else screenshot_to / f"explorer{case.index}_hover.png",
            # the hovers are timed with the other notebooks' runs (if any) stopped
            quiet=server.kernels_paused(but=run.notebook),
        )
    if screenshot_to is not None:
        page.set_viewport_size(viewport)
        root.scroll_into_view_if_needed()
    slider = root.locator(
        f'css:light=.widget-slider:has(label:text-is("{case.slider}")) .noUi-handle[role="slider"]'
    )
    if slider.count() != 1:
        raise CheckFailed(
            f"{case.id}: found {slider.count()} sliders labelled "
            f"{case.slider!r} in the explorer (expected 1)"
        )

    def value() -> float:  # aria-valuenow is rounded to 0.1; aria-valuetext is exact
        text = slider.get_attribute("aria-valuetext") or slider.get_attribute("aria-valuenow")
        return float(text)

    def move(key: str, what: str) -> dict:
        before = image_digest(img)
        slider.focus()
        slider.press(key)
        _changed(before, what)
        return before

    def _changed(before: dict, what: str) -> dict:
        try:
            _wait(
                page,
                "([img, old]) => img.src !== old && img.complete && img.naturalWidth > 0",
                [img.element_handle(), before["src"]],
                timeout_s=case.change_timeout_s,
                what=f"the picture to change after {what}",
                poll_ms=FAST_POLL_MS,
            )
        except CheckFailed as err:
            shown = _error_text(root)
            logged = log_console_errors(page) + server.log_errors(log_start)
            extra = (f"; the explorer's error area shows {shown!r}" if shown else "") + (
                f"; JupyterLab's log console shows: {' | '.join(logged[-3:])}" if logged else ""
            )
            raise CheckFailed(f"{case.id}: {err}{extra}") from None
        after = image_digest(img)
        if after["sha"] == before["sha"]:
            raise CheckFailed(
                f"{case.id}: after {what} the picture got a new URL but the same "
                f"bytes (sha256 {after['sha'][:12]}...)"
            )
        shown = _error_text(root)
        if shown:
            raise CheckFailed(f"{case.id}: after {what} the explorer's error area shows {shown!r}")
        return after

    start = value()
    lo, hi = (float(slider.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax"))
    first, back = ("ArrowRight", "ArrowLeft") if start < hi else ("ArrowLeft", "ArrowRight")
    move(first, f"{first} on slider {case.slider!r} (from {start:g})")
    moved = value()
    if abs(moved - start) < 1e-6:
        raise CheckFailed(
            f"{case.id}: {first} did not move slider {case.slider!r} "
            f"(still {start:g}, range {lo:g}..{hi:g})"
        )
    if case.info is not None:
        want = case.info(moved)
        try:
            root.get_by_text(want, exact=False).first.wait_for(timeout=5000)
        except Exception:
            raise CheckFailed(
                f"{case.id}: after moving {case.slider!r} to {moved:g} the info "
                f"line should contain {want!r}; the explorer shows:\n"
                f"{root.inner_text()[-600:]}"
            ) from None

    if case.dropdown is not None:
        label, option = case.dropdown
        select = root.locator(f'css:light=.widget-dropdown:has(label:text-is("{label}")) select')
        if select.count() != 1:
            raise CheckFailed(f"{case.id}: found {select.count()} dropdowns labelled {label!r}")
        if select.evaluate("s => s.value") == option:
            raise CheckFailed(
                f"{case.id}: dropdown {label!r} already shows {option!r}; "
                "pick another option in the case table"
            )
        before = image_digest(img)
        select.select_option(value=option)
        _changed(before, f"choosing {option!r} in dropdown {label!r}")

    # latency: keydown on the handle -> the picture's src attribute changes (in-page clocks)
    page.evaluate(_LATENCY_SETUP_JS, [slider.element_handle(), img.element_handle()])
    keys = [back, first] * (case.moves // 2)
    for i, key in enumerate(keys):
        slider.press(key)
        _wait(  # the picture shown and loaded, and the kernel's own frame arrived
            page,
            f"() => window.__courseLatency.src.length > {i}"
            f" && window.__courseLatency.pending === null"
            f" && window.__courseLatency.kernel.length > {i}",
            timeout_s=10,
            what=f"the picture to change after latency move {i + 1} ({key})",
            poll_ms=FAST_POLL_MS,
        )
    lat = page.evaluate("() => window.__courseLatency")
    report.latencies_ms, report.load_latencies_ms = lat["src"], lat["load"]
    report.cached, report.kernel_ms = lat["cached"], lat["kernel"]
    if lat["extra"]:
        raise CheckFailed(
            f"{case.id}: the picture changed {lat['extra']} more time(s) when the kernel's "
            "frame arrived after a move: a frame the browser held differed from the kernel's"
        )

    if report.median_load_ms > case.max_latency_ms:
        raise CheckFailed(
            f"{case.id}: median slider-to-loaded-picture latency {report.median_load_ms:.0f} ms "
            f"over {len(report.load_latencies_ms)} moves exceeds "
            f"{case.max_latency_ms:.0f} ms (all: "
            f"{', '.join(f'{x:.0f}' for x in report.load_latencies_ms)} ms)"
        )
    hover = report.median_hover_ms
    if hover is not None and hover > HOVER_TARGET_MS:
        raise CheckFailed(
            f"{case.id}: median hover-to-highlight {hover:.2f} ms exceeds "
            f"{HOVER_TARGET_MS:.0f} ms (all: "
            f"{', '.join(f'{x:.1f}' for x in report.hover_ms)} ms)"
        )
    return report

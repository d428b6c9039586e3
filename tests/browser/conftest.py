"""Fixtures for the browser tests: Chromium, one JupyterLab server per session, failure artefacts.

Run them with ``pytest tests/browser -m browser``.  Without Chromium they are skipped with one
line (``CI=true``: they fail instead, so CI never turns green by skipping).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
import traceback
from pathlib import Path

import pytest

from .lab import CHROMIUM_ARGS, CHROMIUM_MISSING, LabServer, find_chromium

_T0 = time.monotonic()  # this file is imported at collection: the suite's start


def _missing(message: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        _missing(CHROMIUM_MISSING)
    return path


@pytest.fixture(scope="session")
def _lab_process(tmp_path_factory) -> LabServer:
    """The JupyterLab server's process, launched (``browser_context`` asks for it first, so the
    browser starts while the server does)."""
    server = LabServer(tmp_path_factory.mktemp("jupyterlab"))
    server.launch()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def lab_server(_lab_process) -> LabServer:
    """A JupyterLab server (this venv's) serving a temporary copy of lessons/."""
    server = _lab_process
    try:
        server.wait_ready()
    except RuntimeError as err:  # start-up failed: its log tail is in the message
        pytest.fail(str(err), pytrace=False)
    argv = server.python_kernel_argv()
    # jupyter_client replaces a bare "python" by the server's own interpreter (this venv's)
    if not (argv[0] in {"python", "python3"} or argv[0].startswith(sys.prefix)):
        server.stop()
        pytest.fail(
            f"kernelspec python3 would run {argv[0]!r}, not this environment's "
            f"python ({sys.executable})",
            pytrace=False,
        )
    if "course_utils: TCP_NODELAY" not in server.log_tail(400):
        server.stop()
        pytest.fail(
            "the server extension course_utils.jupyter_server did not load (it sends widget "
            "updates without Nagle's delay): reinstall with pip install -e .",
            pytrace=False,
        )
    print(
        f"\nJupyterLab up in {time.monotonic() - server.launched_at:.1f} s at {server.url} (log {server.log_path})"
    )
    return server


@pytest.fixture(scope="session")
def browser_context(chromium_path, tmp_path_factory, _lab_process):
    """A headless Chromium with a fresh profile, shared by the session's tests."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing(
            "playwright not installed: pip install 'course_utils[test]', "
            "or deselect browser tests with -m 'not browser'"
        )
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        yield context
        context.close()


@pytest.fixture
def artefacts_on_failure(lab_server, tmp_path):
    """``with artefacts_on_failure(page):`` a failure inside saves a screenshot of ``page`` and
    its console log, and names them (and the server log) in the failure message."""

    @contextlib.contextmanager
    def guard(page):
        try:
            yield
            return
        except Exception as caught:  # noqa: BLE001 - reported below as a readable failure
            err = caught
        shot = tmp_path / "failure.png"
        console = tmp_path / "console.log"
        try:
            page.screenshot(path=str(shot), full_page=False)
        except Exception as shot_err:  # noqa: BLE001
            shot = f"(no screenshot: {shot_err})"
        console.write_text("\n".join(getattr(page, "console_lines", [])) + "\n")
        if isinstance(err, AssertionError):
            msg = str(err).strip()
        else:  # a bug in a check, not a finding: say where it happened
            where = traceback.extract_tb(err.__traceback__)[-3:]
            msg = f"{type(err).__name__}: {(str(err).strip() or '(no message)').splitlines()[0]}"
            msg += "".join(f"\n  at {Path(f.filename).name}:{f.lineno} {f.line}" for f in where)
        raise pytest.fail.Exception(
            f"{msg}\n  screenshot: {shot}\n  browser console log: {console}"
            f"\n  JupyterLab log: {lab_server.log_path}",
            pytrace=False,
        ) from None

    return guard


#: wall-clock span of the browser tests: the first one's set-up starts, the last one's teardown ends
_SPAN = [math.inf, -math.inf]


def pytest_runtest_logreport(report):
    if "tests/browser/" in report.nodeid.replace("\\", "/"):
        _SPAN[0], _SPAN[1] = min(_SPAN[0], report.start), max(_SPAN[1], report.stop)


def pytest_terminal_summary(terminalreporter):
    """Show the measured slider-to-image latencies even when output capture hid the prints."""
    from .lab import LATENCY_REPORT

    if LATENCY_REPORT:
        terminalreporter.section("browser: slider-to-picture and hover-to-highlight latency")
        for line in LATENCY_REPORT:
            terminalreporter.write_line(line)
        terminalreporter.write_line(
            f"browser tests: {_SPAN[1] - _SPAN[0]:.0f} s from the first one's set-up to the "
            f"last one's teardown (budget 120 s); this pytest run: "
            f"{time.monotonic() - _T0:.0f} s since collection"
        )

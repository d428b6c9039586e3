"""Fixtures for the browser tests: one JupyterLab server and one Chromium page per test module.

Run them with ``pytest tests/browser -m browser``.  Without Chromium (or Playwright) they are
skipped with one line; with ``CI=true`` they fail instead, so CI never turns green by skipping.
"""

from __future__ import annotations

import os
import sys

import pytest

from .lab import (
    CHROMIUM_ARGS,
    CHROMIUM_MISSING,
    REPORT,
    WINDOW,
    CheckFailed,
    Lab,
    LabServer,
    find_chromium,
)


def _missing(message: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's path, once Playwright is there too (checked before any server starts)."""
    path = find_chromium()
    if path is None:
        _missing(CHROMIUM_MISSING)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("playwright not installed: pip install -e '.[test]'")
    return path


@pytest.fixture(scope="module")
def lab_server(chromium, tmp_path_factory) -> LabServer:
    """This environment's JupyterLab, serving a temporary copy of ``lessons/``."""
    server = LabServer(tmp_path_factory.mktemp("jupyterlab"))
    try:
        server.start()
    except RuntimeError as err:  # its log tail is in the message
        pytest.fail(str(err), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def lab(chromium, lab_server, tmp_path_factory) -> Lab:
    """A headless Chromium page (1400x900) with JupyterLab loaded and its file browser open,
    shared by the module's tests."""
    from playwright.sync_api import sync_playwright

    argv = lab_server.api("kernelspecs")["kernelspecs"]["python3"]["spec"]["argv"]
    # jupyter_client replaces a bare "python" by the server's interpreter (this venv's)
    if argv[0] not in {"python", "python3"} and not argv[0].startswith(sys.prefix):
        pytest.fail(f"kernelspec python3 runs {argv[0]!r}, not {sys.executable}", pytrace=False)
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=WINDOW,
        )
        yield Lab(browser.pages[0], lab_server)
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser check reads as its message, with a screenshot and the logs named."""
    rep = yield
    lab = getattr(item, "funcargs", {}).get("lab")
    if rep.failed and call.when == "call" and lab is not None:
        folder = item.funcargs["tmp_path"] if "tmp_path" in item.funcargs else None
        where = []
        if folder is not None:
            try:
                png, lab.failure_png = lab.failure_png or lab.page.screenshot(), None
                (folder / "failure.png").write_bytes(png)
                where.append(f"screenshot: {folder / 'failure.png'}")
            except Exception as err:  # noqa: BLE001 - the failure itself is what matters
                where.append(f"(no screenshot: {err})")
            (folder / "console.log").write_text("\n".join(lab.console) + "\n")
            where.append(f"browser console: {folder / 'console.log'}")
        where.append(f"JupyterLab log: {lab.server.log_path}")
        if isinstance(call.excinfo.value, CheckFailed):
            rep.longrepr = str(call.excinfo.value)
        rep.longrepr = f"{rep.longrepr}\n  " + "\n  ".join(where)
    return rep


def pytest_terminal_summary(terminalreporter):
    """The measured latencies, even when output capture hid the prints."""
    if REPORT:
        terminalreporter.section("browser: latencies against their targets")
        for line in REPORT:
            terminalreporter.write_line(line)

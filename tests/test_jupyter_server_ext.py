"""The server extension that turns off Nagle's algorithm on JupyterLab's kernel websockets."""

import json
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_config_path

from course_utils import jupyter_server as ext


def test_open_sets_nodelay_then_opens():
    calls = []

    async def open_(self, kernel_id):
        calls.append(("open", kernel_id))
        return "opened"

    class Handler:
        def set_nodelay(self, value):
            calls.append(("nodelay", value))

    wrapped = ext.nodelay_open(open_)
    # drive the coroutine by hand: other tests (Playwright) may leave an event loop running
    coro = wrapped(Handler(), "k1")
    with pytest.raises(StopIteration) as done:
        coro.send(None)
    assert done.value.value == "opened"
    assert calls == [("nodelay", True), ("open", "k1")]


def test_installed_and_enabled():
    """`pip install -e .` put the config that enables the extension where Jupyter reads it."""
    enabled = []
    for folder in jupyter_config_path():
        for f in sorted(Path(folder, "jupyter_server_config.d").glob("*.json")):
            exts = json.loads(f.read_text()).get("ServerApp", {}).get("jpserver_extensions", {})
            if exts.get("course_utils.jupyter_server"):
                enabled.append(f)
    assert enabled, "course_utils.jupyter_server is not enabled: reinstall with pip install -e ."
    points = ext._jupyter_server_extension_points()
    assert points == [{"module": "course_utils.jupyter_server"}]


def test_load_patches_the_kernel_websocket_once():
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    class App:
        class log:
            lines: list = []

            @classmethod
            def info(cls, msg):
                cls.lines.append(msg)

    original = KernelWebsocketHandler.open
    try:
        ext._load_jupyter_server_extension(App)
        patched = KernelWebsocketHandler.open
        ext._load_jupyter_server_extension(App)  # a second load does not wrap twice
        assert KernelWebsocketHandler.open is patched and patched is not original
        assert "TCP_NODELAY" in App.log.lines[-1]
    finally:
        KernelWebsocketHandler.open = original

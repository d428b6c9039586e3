"""A Jupyter server extension that sends widget updates to the browser without waiting.

Tornado's websockets keep Nagle's algorithm on: a small message (the kernel's "busy", the
slider's echo) may wait for the browser's TCP acknowledgement of the previous one, which Linux
delays by up to 40 ms.  Explorers send several small messages per slider move, so about half the
moves took 40 ms longer (measured on this course's 2-core test machine: slider-to-picture
medians fell from 46-50 ms to 38-47 ms with this extension).  Setting ``TCP_NODELAY`` on
JupyterLab's kernel websockets is the fix tornado's documentation gives for this.

``pip install -e .`` enables it (``etc/jupyter/jupyter_server_config.d/course_utils.json``);
``jupyter server extension list`` shows it.  It changes nothing but the socket flag.
"""

from __future__ import annotations

__all__ = ["nodelay_open"]

_PATCHED = "_course_utils_nodelay"


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "course_utils.jupyter_server"}]


def nodelay_open(open_):
    """Wrap a websocket handler's ``open`` so the connection sends small messages at once."""

    async def open(self, *args, **kwargs):
        self.set_nodelay(True)
        return await open_(self, *args, **kwargs)

    setattr(open, _PATCHED, True)
    return open


def _load_jupyter_server_extension(serverapp) -> None:
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    if not getattr(KernelWebsocketHandler.open, _PATCHED, False):
        KernelWebsocketHandler.open = nodelay_open(KernelWebsocketHandler.open)
    serverapp.log.info("course_utils: TCP_NODELAY on kernel websockets (widget updates at once)")

"""One widget for all the pictures of an explorer: a slider move is one message, not one per picture.

With one ``ipywidgets.Image`` per picture, every update sends a message per picture, and the
browser handles them one after another: on a 2-core laptop the last picture of a five-picture
explorer landed 20-30 ms after the first.  :class:`Panels` (an anywidget) carries every picture,
its caption, its width and its colour bar in one synced state, and an update sends only the
pictures whose bytes changed, in one message; the front-end (``static/panels.js``) swaps them.
"""

from __future__ import annotations

import pathlib

import anywidget
import traitlets as t

__all__ = ["Panels"]

_STATIC = pathlib.Path(__file__).parent / "static"
MAX_PICTURES = 8


class Panels(anywidget.AnyWidget):
    """A row of captioned pictures (PNG bytes) with optional colour bars under them.

    Parameters
    ----------
    captions : dict
        Picture name -> caption, in display order.
    width : int
        Default displayed width of each picture in CSS pixels.

    Examples
    --------
    >>> p = Panels({"input": "input", "output": "feature map"}, width=256)
    >>> p.show({"output": b"png-bytes"}, widths={"output": 64})
    >>> p.picture("output"), p.widths
    (b'png-bytes', [256, 64])
    """

    _esm = _STATIC / "panels.js"
    _css = _STATIC / "panels.css"

    names = t.List(t.Unicode()).tag(sync=True)
    captions = t.List(t.Unicode()).tag(sync=True)
    widths = t.List(t.Int()).tag(sync=True)  # CSS px per picture
    # One trait per picture and per colour bar (PNG bytes, b"" = none): an update sends only
    # the pictures whose bytes changed (traitlets notifies changed values only).
    locals().update({f"p{i}": t.Bytes(b"").tag(sync=True) for i in range(MAX_PICTURES)})
    locals().update({f"c{i}": t.Bytes(b"").tag(sync=True) for i in range(MAX_PICTURES)})

    def __init__(self, captions: dict[str, str], width: int = 256, **kwargs) -> None:
        if not 1 <= len(captions) <= MAX_PICTURES:
            raise ValueError(
                f"Panels shows 1 to {MAX_PICTURES} pictures, got {len(captions)}: "
                "captions={'name': 'caption', ...}."
            )
        super().__init__(**kwargs)
        self._default = int(width)
        with self.hold_sync():
            self.names = list(captions)
            self.captions = list(captions.values())
            self.widths = [self._default] * len(captions)

    def show(
        self,
        pictures: dict[str, bytes],
        widths: dict[str, int | None] | None = None,
        colorbars: dict[str, bytes] | None = None,
    ) -> None:
        """Replace pictures (by name), their widths and colour bars, in one message.

        A picture not named keeps its bytes; a width of ``None`` means the default; a picture
        without an entry in ``colorbars`` shows no bar.
        """
        unknown = set(pictures) - set(self.names)
        if unknown:
            raise ValueError(f"unknown picture(s) {sorted(unknown)}; have {self.names}.")
        widths, colorbars = widths or {}, colorbars or {}
        w = list(self.widths)
        with self.hold_sync():
            for i, name in enumerate(self.names):
                if name in pictures:
                    setattr(self, f"p{i}", bytes(pictures[name]))
                    setattr(self, f"c{i}", bytes(colorbars.get(name, b"")))
                    w[i] = int(widths.get(name) or self._default)
            self.widths = w

    @property
    def pictures(self) -> list[bytes]:
        """The PNG bytes of every picture, in display order."""
        return [getattr(self, f"p{i}") for i in range(len(self.names))]

    def picture(self, name: str) -> bytes:
        """The PNG bytes shown for ``name``."""
        return getattr(self, f"p{self.names.index(name)}")

    def colorbar(self, name: str) -> bytes:
        """The PNG bytes of the colour bar under ``name`` (``b""`` when none is shown)."""
        return getattr(self, f"c{self.names.index(name)}")

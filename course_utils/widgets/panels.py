"""One widget for all the pictures of an explorer: a slider move is one message, not one per picture.

With one ``ipywidgets.Image`` per picture, every update sends a message per picture, and the
browser handles them one after another: on a 2-core laptop the last picture of a five-picture
explorer landed 20-30 ms after the first.  :class:`Panels` (an anywidget) carries every picture,
its caption, its width, its colour bar and the info line in one synced state, and an update
sends only the pictures whose bytes changed, in one message; the front-end
(``static/panels.js``) swaps them.

**Frames ahead of the slider.**  Even one message is a round trip through the server and the
kernel: in the browser tests on 2 cores a key press on a slider showed its new picture after a
median 30-37 ms without frames ahead, 10-11 ms with them (``tests/browser/README.md``).  So every frame carries a *key*: the JSON
list of its control values (a selection widget's ``index``, any other control's ``value``).
The front-end keeps the frames it has received, keyed, and listens to the control widgets
itself: when a slider lands on a key it holds, it shows that frame at once, and the kernel's
own frame, which follows, changes nothing.  The explorer sends ahead the frames one step either
side of each slider (:meth:`Panels.send_frames`) once a view has asked for them (a ``ready``
message), so a student stepping through a slider waits for no round trip.  A frame is only
ever shown for its exact key, and ``step`` is a pure function of the keyed values, so a frame
from the cache is the frame the kernel computes.
"""

from __future__ import annotations

import json
import pathlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

import anywidget
import ipywidgets as W
import traitlets as t
from ipywidgets.widgets.widget_selection import _Selection

__all__ = ["Panels", "control_key"]

_STATIC = pathlib.Path(__file__).parent / "static"
MAX_PICTURES = 8
#: frames the browser keeps per view (``CACHE_SIZE`` in ``static/panels.js``)
BROWSER_CACHE = 128
#: keys the kernel remembers having sent; fewer than the browser keeps, so none is evicted there
SENT_KEYS = 96


def _key_value(widget: W.Widget, value=None):
    """What the browser sees of one control: a selection's index, any other control's value."""
    value = widget.value if value is None else value
    if isinstance(widget, _Selection):
        return list(widget._options_values).index(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JavaScript writes 3.0 as 3
    return value


def control_key(widgets: Sequence[W.Widget], values: Sequence | None = None) -> str:
    """The key of a frame: its control values as the browser writes them (``JSON.stringify``).

    Parameters
    ----------
    widgets : sequence of ipywidgets controls
        The controls whose values decide the pictures, in a fixed order.
    values : sequence, optional
        Values to key instead of the widgets' current ones (one per widget).

    Examples
    --------
    >>> import ipywidgets as W
    >>> ws = [W.IntSlider(value=2), W.Dropdown(options=["a", "b"], value="b"), W.FloatText(3.0)]
    >>> control_key(ws)
    '[2,1,3]'
    >>> control_key(ws, [3, "a", 0.5])
    '[3,0,0.5]'
    """
    values = [None] * len(widgets) if values is None else list(values)
    if len(values) != len(widgets):
        raise ValueError(f"control_key needs one value per widget, got {len(values)}.")
    parts = [_key_value(w, v) for w, v in zip(widgets, values, strict=True)]
    return json.dumps(parts, separators=(",", ":"), ensure_ascii=False)


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
    info = t.Unicode("").tag(sync=True)  # HTML under the pictures
    #: :func:`control_key` of the frame shown ("" = none): the browser caches the frame under it
    key = t.Unicode("").tag(sync=True)
    #: the widgets whose values make the key, in key order (the browser listens to them)
    controls = t.List(t.Instance(W.Widget)).tag(sync=True, **W.widget_serialization)
    # One trait per picture (p0, p1, ...) and per colour bar (c0, c1, ...), PNG bytes, b"" =
    # none: an update sends only the pictures whose bytes changed (traitlets syncs changed
    # values only).  MAX_PICTURES of each.
    p0 = t.Bytes(b"").tag(sync=True)
    p1 = t.Bytes(b"").tag(sync=True)
    p2 = t.Bytes(b"").tag(sync=True)
    p3 = t.Bytes(b"").tag(sync=True)
    p4 = t.Bytes(b"").tag(sync=True)
    p5 = t.Bytes(b"").tag(sync=True)
    p6 = t.Bytes(b"").tag(sync=True)
    p7 = t.Bytes(b"").tag(sync=True)
    c0 = t.Bytes(b"").tag(sync=True)
    c1 = t.Bytes(b"").tag(sync=True)
    c2 = t.Bytes(b"").tag(sync=True)
    c3 = t.Bytes(b"").tag(sync=True)
    c4 = t.Bytes(b"").tag(sync=True)
    c5 = t.Bytes(b"").tag(sync=True)
    c6 = t.Bytes(b"").tag(sync=True)
    c7 = t.Bytes(b"").tag(sync=True)

    def __init__(self, captions: dict[str, str], width: int = 256, **kwargs) -> None:
        if not 1 <= len(captions) <= MAX_PICTURES:
            raise ValueError(
                f"Panels shows 1 to {MAX_PICTURES} pictures, got {len(captions)}: "
                "captions={'name': 'caption', ...}."
            )
        super().__init__(**kwargs)
        self._default = int(width)
        #: keys of the frames sent to the browser since a view last said ``ready``, oldest
        #: first; ``None`` while no view has (no browser: nothing is sent ahead)
        self.sent: OrderedDict[str, None] | None = None
        self._ready: list[Callable[[], None]] = []
        self.on_msg(self._on_custom)
        with self.hold_sync():
            self.names = list(captions)
            self.captions = list(captions.values())
            self.widths = [self._default] * len(captions)

    def show(
        self,
        pictures: dict[str, bytes],
        widths: dict[str, int | None] | None = None,
        colorbars: dict[str, bytes] | None = None,
        *,
        info: str | None = None,
        key: str = "",
    ) -> None:
        """Replace pictures (by name), their widths, colour bars and the info line, in one message.

        A picture not named keeps its bytes; a width of ``None`` means the default; a picture
        without an entry in ``colorbars`` shows no bar; ``info=None`` keeps the info line.
        ``key`` (see :func:`control_key`) lets the browser keep this frame for when its
        controls come back to these values; give it only with every picture.
        """
        unknown = set(pictures) - set(self.names)
        if unknown:
            raise ValueError(f"unknown picture(s) {sorted(unknown)}; have {self.names}.")
        if key:
            self._require_every_picture(pictures)
        widths, colorbars = widths or {}, colorbars or {}
        w = list(self.widths)
        with self.hold_sync():
            for i, name in enumerate(self.names):
                if name in pictures:
                    setattr(self, f"p{i}", bytes(pictures[name]))
                    setattr(self, f"c{i}", bytes(colorbars.get(name, b"")))
                    w[i] = self._width(widths, name)
            self.widths = w
            if info is not None:
                self.info = info
            self.key = key
        self._mark_sent(key)

    def send_frames(
        self,
        frames: Iterable[
            tuple[str, dict[str, bytes], dict[str, int | None], dict[str, bytes], str]
        ],
    ) -> int:
        """Send frames ahead to the browser's cache, in one message; returns how many were sent.

        Each frame is ``(key, pictures, widths, colorbars, info)`` as for :meth:`show`, with
        every picture.  Nothing is sent before a view has said ``ready``, nor a key already
        sent since.  A picture equal to the one shown travels as a reference to it, not again.
        """
        if self.sent is None:
            return 0
        shown = self.pictures
        shown_bars = [self.colorbar(name) for name in self.names]
        head, buffers = [], []
        for key, pictures, widths, colorbars, info in frames:
            if not key or key in self.sent:
                continue
            self._require_every_picture(pictures)
            same = []
            for i, name in enumerate(self.names):
                png, bar = bytes(pictures[name]), bytes(colorbars.get(name, b""))
                same.append([png == shown[i], bar == shown_bars[i]])
                buffers += [b"" if same[-1][0] else png, b"" if same[-1][1] else bar]
            w = [self._width(widths, name) for name in self.names]
            head.append({"key": key, "widths": w, "info": info, "same": same})
            self._mark_sent(key)
        if head:
            self.send({"kind": "frames", "frames": head}, buffers=buffers)
        return len(head)

    def _require_every_picture(self, pictures: dict[str, bytes]) -> None:
        if set(pictures) != set(self.names):
            raise ValueError(
                f"a keyed frame needs every picture {self.names}, got {list(pictures)}."
            )

    def _width(self, widths: dict[str, int | None], name: str) -> int:
        return int(widths.get(name) or self._default)

    def on_ready(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when a view in the browser asks for frames (after it renders)."""
        self._ready.append(callback)

    def _on_custom(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("kind") == "ready":
            self.sent = OrderedDict()  # a new view starts with an empty cache
            self._mark_sent(self.key)  # it holds the frame shown
            for callback in self._ready:
                callback()

    def _mark_sent(self, key: str) -> None:
        if self.sent is None or not key:
            return
        self.sent[key] = None
        self.sent.move_to_end(key)
        while len(self.sent) > SENT_KEYS:
            self.sent.popitem(last=False)

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

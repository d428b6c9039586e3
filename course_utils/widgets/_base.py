"""The pattern every explorer follows.

An explorer has *controls* (ipywidgets), its pictures (one :class:`~.panels.Panels` widget) and an
info line.
On every control change it calls its pure :meth:`Explorer.step` with the current control values;
``step`` returns a :class:`Frame` (PNG bytes per picture + info HTML) and touches no widget, so it
can be unit-tested and benchmarked without a browser.  The wiring then sends all the bytes to the
browser in one message: no matplotlib redraw per slider move.  Once the browser shows the
explorer, it also sends the frames one slider step either side ahead (see
:mod:`~course_utils.widgets.panels`), so the next step shows without a round trip.

A failing step (e.g. a kernel larger than the image with "valid" padding) does not vanish into the
kernel log: the message is shown in red inside the explorer and the pictures keep their last state.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import ipywidgets as W
import numpy as np

from ..viz import colorbar_png, side_by_side_png
from .panels import Panels, control_key

__all__ = ["Explorer", "Frame", "float_slider"]


@dataclass
class Frame:
    """What one update shows: ``images`` maps picture name -> PNG bytes; ``info`` is HTML."""

    images: dict[str, bytes]
    info: str = ""
    data: dict = field(default_factory=dict)  # arrays/numbers behind the pictures, for tests
    #: picture name -> displayed width in CSS pixels; give maps their true relative sizes
    #: (a stride-4 output a quarter as wide as its input).  Missing: ``Explorer.image_width``.
    widths: dict[str, int] = field(default_factory=dict)
    #: picture name -> (cmap, vmin, vmax): a colour bar with the value range under the picture
    colorbars: dict[str, tuple[str, float, float]] = field(default_factory=dict)


def float_slider(
    description: str, lo: float, hi: float, step: float, value: float, fmt: str = ".2f"
) -> W.SelectionSlider:
    """A slider over the exact grid ``lo, lo + step, ..., hi`` (values rounded to ``fmt``).

    Why not ``ipywidgets.FloatSlider``: the browser recomputes a float slider's value with its
    own arithmetic (``-0.3`` comes back as ``-0.29999...``) and sends it to the kernel; during
    *Run All* such an echo of an old value can arrive after a later ``set``, and the explorer
    then shows a state the code never asked for.  A selection slider sends an index, which is
    exact.

    Examples
    --------
    >>> s = float_slider("bias", -0.5, 0.5, 0.25, 0.0)
    >>> [label for label, _ in s.options]
    ['-0.50', '-0.25', '0.00', '0.25', '0.50']
    >>> s.value
    0.0
    """
    n = int(round((hi - lo) / step))
    decimals = int(fmt[1:-1]) if fmt.startswith(".") and fmt.endswith("f") else 6
    grid = [round(lo + i * step, decimals) + 0.0 for i in range(n + 1)]
    options = [(format(v, fmt), v) for v in grid]
    return W.SelectionSlider(
        options=options,
        value=_nearest(grid, value),
        description=description,
        continuous_update=True,
    )


def _nearest(grid, value):
    """The grid value closest to ``value`` (a slider can only show values on its grid)."""
    return grid[int(np.argmin([abs(g - value) for g in grid]))]


class Explorer:
    """Base class: subclasses define ``controls``, ``panels`` and ``step(**values)``.

    Subclasses call ``self._build(controls, panels)`` at the end of ``__init__``.
    ``controls`` maps a parameter name of ``step`` to an ipywidgets control; ``panels`` maps a
    picture name to its caption.
    """

    image_width = "256px"

    def _build(
        self, controls: dict, panels: dict[str, str], keyed: Sequence[W.Widget] = ()
    ) -> None:
        """Lay out the explorer and show its first frame.

        ``keyed``: widgets outside ``controls`` whose values also decide the pictures (they join
        the key under which the browser keeps a frame, e.g. editable kernel weights).
        """
        self.controls = controls
        self._keyed = [*controls.values(), *keyed]
        # every picture, caption, colour bar and the info line in one widget: one message
        self.panels = Panels(
            panels, width=int(self.image_width.removesuffix("px")), controls=self._keyed
        )
        self.panels.on_ready(self._send_ahead)
        for ctrl in controls.values():  # labels in full ("pixels stamped", not "pixels sta...")
            if hasattr(ctrl, "style") and hasattr(ctrl.style, "description_width"):
                ctrl.style.description_width = "initial"
        self.error = W.HTML()
        self.error.add_class("course-explorer-error")
        self.widget = W.VBox(
            [
                W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap")),
                self.panels,
                self.error,
            ]
        )
        self.widget.add_class("course-explorer")
        self.frame: Frame | None = None
        for ctrl in controls.values():
            ctrl.observe(self._on_change, names="value")
        self.refresh()

    # ---- pure part --------------------------------------------------------------------------
    def step(self, **values) -> Frame:  # pragma: no cover - abstract
        raise NotImplementedError

    def values(self) -> dict:
        """Current control values, as keyword arguments for :meth:`step`."""
        return {name: ctrl.value for name, ctrl in self.controls.items()}

    @property
    def info(self) -> str:
        """The info line shown under the pictures (HTML)."""
        return self.panels.info

    def key(self, values: dict | None = None) -> str:
        """The key under which the browser keeps the frame of ``values`` (default: current)."""
        values = self.values() if values is None else {**self.values(), **values}
        extra = [w.value for w in self._keyed[len(self.controls) :]]
        return control_key(self._keyed, [values[name] for name in self.controls] + extra)

    # ---- wiring ----------------------------------------------------------------------------
    def _on_change(self, change=None) -> None:
        owner = change["owner"] if change else None
        moved = [name for name, ctrl in self.controls.items() if ctrl is owner]
        # a slider moved: the next frames along it; anything else: along every slider
        self._update(moved if moved and _steps(owner) else None)

    def _update(self, ahead: Iterable[str] | None = None) -> Frame | None:
        """Refresh, then send the browser the frames next along the sliders ``ahead``."""
        frame = self.refresh()
        if frame is not None:
            self._send_ahead(ahead)
        return frame

    def refresh(self) -> Frame | None:
        """Recompute from the current controls and update the pictures."""
        try:
            frame = self.step(**self.values())
        except (ValueError, ZeroDivisionError) as err:  # bad combination chosen by the student
            self.error.value = f'<span style="color:#c00">&#9888; {html.escape(str(err))}</span>'
            return None
        self.error.value = ""
        widths, bars = self._layout(frame)
        # first: the pictures are the point
        self.panels.show(frame.images, widths, bars, info=frame.info, key=self.key())
        self.frame = frame
        return frame

    def _layout(self, frame: Frame) -> tuple[dict[str, int], dict[str, bytes]]:
        """Display widths and colour bars (PNG) of a frame's pictures."""
        widths = {name: self._width(frame, name) for name in frame.images}
        bars = {
            name: colorbar_png(cmap, float(lo), float(hi), widths[name])
            for name, (cmap, lo, hi) in frame.colorbars.items()
            if name in widths
        }
        return widths, bars

    def frames_ahead(self, names: Iterable[str] | None = None) -> list[dict]:
        """Control values one step either side of the current ones along each slider in ``names``.

        ``None``: every slider.  Used to send the browser the frames a student reaches next.
        """
        names = list(self.controls) if names is None else list(names)
        now, out = self.values(), []
        for name in names:
            out += [{**now, name: v} for v in _steps(self.controls[name])]
        return out

    def _send_ahead(self, names: Iterable[str] | None = None) -> int:
        """Compute and send the frames next to the current state (only once a view is ready)."""
        sent = self.panels.sent
        if sent is None:
            return 0
        frames = []
        for values in self.frames_ahead(names):
            key = self.key(values)
            if key in sent:
                continue
            try:
                frame = self.step(**values)
            except (ValueError, ZeroDivisionError):  # shown as an error when the student gets there
                continue
            widths, bars = self._layout(frame)
            frames.append((key, frame.images, widths, bars, frame.info))
        return self.panels.send_frames(frames)

    def set(self, **values) -> Frame | None:
        """Change controls as a student would (triggers the same update as a slider move)."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; have {sorted(self.controls)}.")
        with self.widget.hold_trait_notifications():
            for name, value in values.items():
                ctrl = self.controls[name]
                if isinstance(ctrl, W.SelectionSlider) and isinstance(value, (int, float)):
                    value = _nearest([v for _, v in ctrl.options], value)
                ctrl.unobserve(self._on_change, names="value")
                try:
                    ctrl.value = value
                finally:
                    ctrl.observe(self._on_change, names="value")
        return self._update()

    def _width(self, frame: Frame, name: str) -> int:
        return int(frame.widths.get(name) or int(self.image_width.removesuffix("px")))

    def static_png(self) -> bytes | None:
        """The pictures of the current state in one PNG (with their colour bars), or None.

        A saved notebook keeps it next to the widget, so readers without a running kernel
        (GitHub, nbviewer) see what the explorer showed.
        """
        if self.frame is None:
            return None
        widths, bars = self._layout(self.frame)
        columns = []
        for name, png in self.frame.images.items():
            column = [(png, widths[name])]
            if name in bars:
                column.append((bars[name], widths[name]))
            columns.append(column)
        return side_by_side_png(columns)

    # ---- display -----------------------------------------------------------------------------
    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.values().items() if _short(v))
        return f"{type(self).__name__}({args})"

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):  # (data, metadata)
            data, meta = bundle
        else:
            data, meta = bundle, {}
        data = dict(data or {})
        data["text/plain"] = repr(self)
        static = self.static_png()
        if static is not None:
            data["image/png"] = base64.b64encode(static).decode("ascii")
        return data, meta


def _short(v) -> bool:
    return isinstance(v, (int, float, str, bool)) and len(repr(v)) < 40


def _steps(ctrl) -> list:
    """The values one step either side of a slider's current one ([] for other controls)."""
    if isinstance(ctrl, W.SelectionSlider):
        values, i = list(ctrl._options_values), ctrl.index
        return [values[j] for j in (i - 1, i + 1) if 0 <= j < len(values)]
    if isinstance(ctrl, (W.IntSlider, W.FloatSlider)):
        return [
            v for v in (ctrl.value - ctrl.step, ctrl.value + ctrl.step) if ctrl.min <= v <= ctrl.max
        ]
    return []

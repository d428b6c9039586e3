"""The pattern every explorer follows.

An explorer has *controls* (ipywidgets), one ``ipywidgets.Image`` per picture and an info line.
On every control change it calls its pure :meth:`Explorer.step` with the current control values;
``step`` returns a :class:`Frame` (PNG bytes per picture + info HTML) and touches no widget, so it
can be unit-tested and benchmarked without a browser.  The wiring then copies the bytes into the
``Image`` widgets: no matplotlib redraw per slider move.

A failing step (e.g. a kernel larger than the image with "valid" padding) does not vanish into the
kernel log: the message is shown in red inside the explorer and the pictures keep their last state.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import ipywidgets as W

__all__ = ["Explorer", "Frame"]

# Small maps (a 3x3 kernel, an 8x8 input) are enlarged by the browser: keep their pixels crisp.
_STYLE = W.HTML(
    "<style>.course-explorer-image { image-rendering: pixelated; }</style>",
    layout=W.Layout(display="none"),
)


@dataclass
class Frame:
    """What one update shows: ``images`` maps picture name -> PNG bytes; ``info`` is HTML."""

    images: dict[str, bytes]
    info: str = ""
    data: dict = field(default_factory=dict)  # arrays/numbers behind the pictures, for tests


class Explorer:
    """Base class: subclasses define ``controls``, ``panels`` and ``step(**values)``.

    Subclasses call ``self._build(controls, panels)`` at the end of ``__init__``.
    ``controls`` maps a parameter name of ``step`` to an ipywidgets control; ``panels`` maps a
    picture name to its caption.
    """

    image_width = "256px"

    def _build(self, controls: dict, panels: dict[str, str]) -> None:
        self.controls = controls
        self.images = {
            name: W.Image(
                format="png",
                layout=W.Layout(width=self.image_width, height="auto"),
            )
            for name in panels
        }
        for img in self.images.values():
            img.add_class("course-explorer-image")
        self.info = W.HTML()
        self.error = W.HTML()
        self.error.add_class("course-explorer-error")
        columns = [
            W.VBox([W.HTML(f"<b>{html.escape(caption)}</b>"), self.images[name]])
            for name, caption in panels.items()
        ]
        self.widget = W.VBox(
            [_STYLE, W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap")),
             W.HBox(columns), self.info, self.error]
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

    # ---- wiring ----------------------------------------------------------------------------
    def _on_change(self, _change=None) -> None:
        self.refresh()

    def refresh(self) -> Frame | None:
        """Recompute from the current controls and update the pictures."""
        try:
            frame = self.step(**self.values())
        except (ValueError, ZeroDivisionError) as err:  # bad combination chosen by the student
            self.error.value = (
                f'<span style="color:#c00">&#9888; {html.escape(str(err))}</span>'
            )
            return None
        self.error.value = ""
        for name, png in frame.images.items():
            self.images[name].value = png
        self.info.value = frame.info
        self.frame = frame
        return frame

    def set(self, **values) -> Frame | None:
        """Change controls as a student would (triggers the same update as a slider move)."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; have {sorted(self.controls)}.")
        with self.widget.hold_trait_notifications():
            for name, value in values.items():
                self.controls[name].unobserve(self._on_change, names="value")
                try:
                    self.controls[name].value = value
                finally:
                    self.controls[name].observe(self._on_change, names="value")
        return self.refresh()

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
        return data, meta


def _short(v) -> bool:
    return isinstance(v, (int, float, str, bool)) and len(repr(v)) < 40

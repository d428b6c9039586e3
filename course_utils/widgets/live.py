"""LivePlot: the loss and IoU curves of a running ``fit``, redrawn in place after every epoch."""

from __future__ import annotations

import keras

__all__ = ["LivePlot"]


class LivePlot(keras.callbacks.Callback):
    """Loss and IoU curves redrawn after every epoch, in place, in a notebook.

    A Keras callback: pass it to ``model.fit(..., callbacks=[LivePlot()])`` (or
    ``training.train(..., live_plot=True)``).  One figure (``viz.plot_history``), shown with an
    IPython display handle that each epoch updates; outside IPython it draws nothing.

    Parameters
    ----------
    keys : sequence of str
        The logged metrics to draw (each with its ``val_`` twin when there is one).

    Attributes
    ----------
    history : dict
        Every log value it has seen, name -> list (one entry per epoch).

    Examples
    --------
    >>> cb = LivePlot()
    >>> cb.on_epoch_end(0, {"loss": 0.5, "mean_iou": 0.4})  # outside a notebook: records only
    >>> cb.history
    {'loss': [0.5], 'mean_iou': [0.4]}
    """

    def __init__(self, keys=("loss", "mean_iou")):
        super().__init__()
        self.keys = tuple(keys)
        self.history: dict[str, list[float]] = {}
        self._handle = None

    def on_epoch_end(self, epoch, logs=None):
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(float(v))
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:  # pragma: no cover - no IPython: nothing to draw into
            return
        if get_ipython() is None:
            return
        import matplotlib.pyplot as plt

        from ..viz import plot_history

        fig = plot_history(self.history, keys=[k for k in self.keys if k in self.history])
        fig.suptitle(f"after epoch {epoch + 1}", x=0.01, ha="left", fontsize=9)
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)

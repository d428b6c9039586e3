"""One module per explorer.  Each defines ``cases() -> list[Case]`` (see ``Case``).

A case times the explorer's update step (compute + PNG encode, what runs on a slider move) at
256x256 against the naive pattern a tutorial would write: ``interact`` recomputing the operation
with Python loops and drawing a fresh matplotlib figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Case:
    name: str  # e.g. "KernelExplorer (256x256, 5x5 kernel)"
    fast: Callable[[], object]  # one update of the explorer's pure step
    naive: Callable[[], object]  # one update of the naive pattern
    target_ms: float = 20.0  # the fast step's median must stay at or under this


def naive_figure_png(*arrays, cmap: str = "gray") -> bytes:
    """The naive redraw: a fresh matplotlib figure of the arrays, rendered to PNG bytes."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(arrays), figsize=(4 * len(arrays), 4), squeeze=False)
    for ax, a in zip(axes[0], arrays, strict=True):
        ax.imshow(a, cmap=cmap)
        ax.set_title(f"{a.shape}")
        ax.axis("off")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()

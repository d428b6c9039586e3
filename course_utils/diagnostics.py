"""Environment report: ``python -m course_utils doctor`` or ``course_utils.doctor()``."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import sys

__all__ = ["doctor", "collect", "start_command"]

_PACKAGES = [
    ("keras", "pip install 'keras>=3.3'"),
    ("tensorflow", "pip install tensorflow (or set KERAS_BACKEND=jax / torch with that installed)"),
    ("numpy", "pip install numpy"),
    ("matplotlib", "pip install matplotlib"),
    ("PIL", "pip install pillow"),
    ("ipywidgets", "pip install 'ipywidgets>=8.1'"),
    ("anywidget", "pip install 'anywidget>=0.9,<0.12'"),
    ("jupyterlab", "pip install jupyterlab"),
]


def _version(mod: str) -> str | None:
    if mod == "jupyterlab":  # runs the server, never imported by a kernel: its metadata is enough
        try:
            return importlib.metadata.version(mod)
        except importlib.metadata.PackageNotFoundError:
            return None
    try:
        m = importlib.import_module(mod)
    except Exception:  # noqa: BLE001 - any import failure means "not usable"
        return None
    return getattr(m, "__version__", "installed")


def collect() -> dict:
    """Gather the facts the report prints (a dict, for tests and scripts)."""
    from ._env import start_keras

    try:
        start_keras()  # without TensorFlow's start-up lines; a failure is reported just below
    except Exception:  # noqa: BLE001, S110 - "keras does not import" says what to do
        pass
    info: dict = {
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "packages": {},
        "problems": [],
    }
    backend_pkg = None
    try:
        import keras

        info["backend"] = keras.backend.backend()
        backend_pkg = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(
            info["backend"]
        )
    except Exception as err:  # noqa: BLE001
        info["backend"] = None
        info["problems"].append(f"keras does not import ({err}): pip install -e .")
    for mod, fix in _PACKAGES:
        if mod == "tensorflow" and backend_pkg not in (None, "tensorflow"):
            continue
        v = _version(mod)
        info["packages"][mod] = v
        if v is None:
            info["problems"].append(f"{mod} is missing: {fix}")
    if backend_pkg and backend_pkg != "tensorflow":
        info["packages"][backend_pkg] = _version(backend_pkg)
    py = sys.version_info
    if py < (3, 11):
        info["problems"].append(f"Python {info['python']} is too old: the course needs 3.11+.")
    info["gpus"] = _gpus(info.get("backend"))
    info["precision"] = _precision()
    info["widgets_ok"] = _widgets_ok()
    if not info["widgets_ok"]:
        info["problems"].append("ipywidgets cannot build a slider: pip install 'ipywidgets>=8.1'")
    return info


def _gpus(backend: str | None) -> list[str]:
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            return [d.name for d in tf.config.list_physical_devices("GPU")]
        if backend == "jax":
            import jax

            return [str(d) for d in jax.devices() if d.platform == "gpu"]
        if backend == "torch":
            import torch

            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001 - a GPU probe must never crash the report
        return []
    return []


def _precision() -> str | None:
    """The precision ``training.train`` would use here (``None`` if training cannot import)."""
    try:
        from .training import choose_precision

        return choose_precision()
    except Exception:  # noqa: BLE001 - the report must never crash
        return None


def _widgets_ok() -> bool:
    try:
        import ipywidgets as W

        s = W.IntSlider(value=1, min=0, max=2)
        s.value = 2
        return s.value == 2
    except Exception:  # noqa: BLE001
        return False


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (lesson 00 calls :func:`doctor` there), False in a terminal."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def start_command() -> str:
    """The command that opens the course, with the path of lesson 00 as seen from here."""
    from pathlib import Path

    lesson = Path(__file__).resolve().parents[1] / "lessons" / "00_start_here.ipynb"
    try:
        shown = os.path.relpath(lesson) if lesson.is_file() else "lessons/00_start_here.ipynb"
    except ValueError:  # another drive on Windows
        shown = str(lesson)
    return f"jupyter lab {shown}"


def doctor(terminal: bool | None = None) -> bool:
    """Print a readable report; return True if the course can run here.

    ``terminal``: end with the command that opens the course (default: when not run inside a
    notebook, e.g. ``python -m course_utils doctor``).
    """
    if terminal is None:
        terminal = not _in_notebook()
    info = collect()
    lines = ["U-Net from scratch: environment check", ""]
    lines.append(
        f"  Python        {info['python']} on {info['platform']}, {info['cpus']} CPU cores"
    )
    lines.append(
        f"  Keras backend {info['backend']}  (change with KERAS_BACKEND=jax|torch|tensorflow)"
    )
    for mod, v in info["packages"].items():
        name = "pillow" if mod == "PIL" else mod
        lines.append(f"  {name:<13} {v or 'MISSING'}")
    if info["gpus"]:
        lines.append(
            f"  GPU           {', '.join(info['gpus'])}: lesson 09 can train the full profile"
        )
    else:
        lines.append(
            "  GPU           none seen: lesson 09 trains the quick CPU profile (under a minute "
            "on 2 CPU cores; docs/performance.md)"
        )
    why = {
        "float32": "no GPU: full float32",
        "mixed_bfloat16": "GPU with compute capability >= 8.0: bfloat16 compute, float32 weights",
        "mixed_float16": "GPU: float16 compute with loss scaling, float32 weights",
    }
    if info.get("precision"):
        lines.append(
            f"  precision     {info['precision']}  (training: {why.get(info['precision'], '')})"
        )
    lines.append(f"  widgets       {'ok' if info['widgets_ok'] else 'NOT WORKING'}")
    lines.append("")
    if info["problems"]:
        lines.append("Problems found, and what to do:")
        lines += [f"  - {p}" for p in info["problems"]]
        if terminal:
            lines += ["", f"Then start the course with:  {start_command()}"]
    elif terminal:
        lines.append(f"All good. Start the course with:  {start_command()}")
    else:
        lines.append("All good: open lessons/01_convolution.ipynb next.")
    print("\n".join(lines))
    return not info["problems"]

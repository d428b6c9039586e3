"""nbval configuration for the lessons (used by plain `pytest --nbval lessons/`).

- TensorFlow's C-level logging is silenced before any kernel starts (the kernels inherit this
  environment), and `course_utils` silences what is printed while TensorFlow is imported.
- stderr is not compared: it carries only warnings whose text depends on versions and timing.
- image/svg+xml is not compared (matplotlib embeds ids); PNGs are never compared by nbval.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Forced, not defaulted: figures must render inline in the kernels whatever the caller set.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
# Lessons write checkpoints and logs under here, never next to the committed notebooks.
os.environ.setdefault("COURSE_RUNS_DIR", os.path.join(os.path.dirname(__file__), "runs"))


def pytest_collectstart(collector):
    path = getattr(collector, "path", None)
    skip = getattr(collector, "skip_compare", None)
    if path is not None and path.suffix == ".ipynb" and skip is not None:
        collector.skip_compare = (*tuple(skip), "stderr", "image/svg+xml")

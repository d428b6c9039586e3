"""nbval configuration for the lessons (used by plain `pytest --nbval lessons/`).

- The kernels nbval starts inherit this process's environment: the course's variables
  (`course_utils._env.course_env`: TensorFlow's C++ logging level, the Keras backend, a fixed
  hash seed), an inline matplotlib backend, and a runs folder outside the committed notebooks.
- stderr is not compared: it carries only warnings whose text depends on versions and timing.
- image/svg+xml is not compared (matplotlib embeds ids); PNGs are never compared by nbval.
"""

import os

from course_utils._env import apply_env

apply_env(kernels=True)  # the course's variables (TF logging, backend, hash seed for kernels)
# Forced, not defaulted: figures must render inline in the kernels whatever the caller set.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
# Lessons write checkpoints and logs under here, never next to the committed notebooks.
os.environ.setdefault("COURSE_RUNS_DIR", os.path.join(os.path.dirname(__file__), "runs"))


def pytest_collectstart(collector):
    path = getattr(collector, "path", None)
    skip = getattr(collector, "skip_compare", None)
    if path is not None and path.suffix == ".ipynb" and skip is not None:
        collector.skip_compare = (*tuple(skip), "stderr", "image/svg+xml")


# The Chinese edition (lessons/zh/) is not collected: its code cells and saved outputs are the
# English lessons' byte for byte (tools/translate.py --check and tests/test_translation.py assert
# it), so nbval would run the same code for the same outputs a second time.  Its notebooks run in
# JupyterLab in the browser suite (tests/browser).  Named files are still collected, so nbval runs
# them all the same with `pytest --nbval lessons/zh/*.ipynb` (docs/translating.md).
collect_ignore = ["zh"]

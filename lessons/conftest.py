"""nbval configuration for the lessons (used by plain `pytest --nbval lessons/`).

- TensorFlow's C-level logging is silenced before any kernel starts (the kernels inherit this
  environment), and `course_utils` silences what is printed while TensorFlow is imported.
- stderr is not compared: it carries only warnings whose text depends on versions and timing.
- image/svg+xml is not compared (matplotlib embeds ids); PNGs are never compared by nbval.
- Each notebook still runs in its own fresh kernel, but the next one is started (and its imports
  run) while the current notebook runs: see course_utils._nbval_prewarm (COURSE_NBVAL_PREWARM=0: off).
"""

import os

import pytest

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


# ---- kernels started one notebook ahead (course_utils._nbval_prewarm explains why and how) ----
_PREWARM = None
_NOTEBOOK_INDEX: dict[int, int] = {}


def _nbval_kernel_name(nbfile) -> str:
    """The kernel nbval's IPyNbFile.setup will ask for (same rule as nbval 0.11)."""
    from nbval.kernel import CURRENT_ENV_KERNEL_NAME

    option = nbfile.config.option
    if option.nbval_current_env:
        return CURRENT_ENV_KERNEL_NAME
    if option.nbval_kernel_name:
        return option.nbval_kernel_name
    return nbfile.nb.metadata.get("kernelspec", {}).get("name", "python")


def pytest_collection_modifyitems(session, config, items):
    global _PREWARM
    from course_utils._nbval_prewarm import KernelPrewarmer, prewarm_enabled

    try:
        from nbval import plugin as nbval_plugin
    except ImportError:  # nbval not installed: nothing to warm
        return
    files = []
    for item in items:
        parent = item.parent
        if isinstance(parent, nbval_plugin.IPyNbFile) and id(parent) not in _NOTEBOOK_INDEX:
            _NOTEBOOK_INDEX[id(parent)] = len(files)
            files.append(parent)
    if len(files) < 2 or not prewarm_enabled():
        return
    _PREWARM = KernelPrewarmer(nbval_plugin.RunningKernel)
    _PREWARM.plan(
        [(_nbval_kernel_name(f), str(f.fspath.dirname)) for f in files],
        startup_timeout=config.option.nbval_kernel_startup_timeout,
    )
    nbval_plugin.RunningKernel = _PREWARM.running_kernel


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if _PREWARM is not None:
        _PREWARM.set_current(_NOTEBOOK_INDEX.get(id(item.parent)))


def pytest_sessionfinish(session, exitstatus):
    if _PREWARM is not None:
        _PREWARM.close()
        print(
            f"\nnbval: {_PREWARM.hits} notebook kernels started ahead (COURSE_NBVAL_PREWARM=0: off)"
        )

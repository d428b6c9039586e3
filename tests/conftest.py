"""Unit-test configuration: quiet TensorFlow before anything imports it."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

# In this process only (not via MPLBACKEND: the notebook kernels that nbval starts from the same
# pytest run inherit the environment and must keep the inline backend, or figures vanish).
matplotlib.use("Agg")

import course_utils  # noqa: E402,F401  (imports Keras with the start-up noise silenced)

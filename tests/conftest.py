"""Unit-test configuration: quiet TensorFlow before anything imports it."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

import course_utils  # noqa: E402,F401  (imports Keras with the start-up noise silenced)

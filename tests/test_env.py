"""``course_utils._env``: how Keras starts in a fresh process (so each test runs its own)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from course_utils._env import course_env


def _fresh(code: str, **env: str) -> str:
    """Run ``code`` in a new interpreter with the course's environment; its stdout."""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **course_env(), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_tensorflow_backend_starts_without_importing_jax():
    """TFLite would import an installed JAX (0.7 s); on the TensorFlow backend it goes without,
    and JAX still imports and works afterwards."""
    pytest.importorskip("jax", reason="jax is in the [test] extra: pip install -e .[test]")
    out = _fresh(
        "import sys, course_utils, keras\n"
        "print(keras.backend.backend(), 'jax' in sys.modules,"
        " sys.modules['tensorflow.lite.python.util']._jit)\n"
        "import jax\n"
        "print(float(jax.numpy.arange(4.0).sum()))\n",
        KERAS_BACKEND="tensorflow",
    )
    assert out.split() == ["tensorflow", "False", "None", "6.0"]


def test_jax_backend_is_not_hidden():
    pytest.importorskip("jax", reason="jax is in the [test] extra: pip install -e .[test]")
    out = _fresh(
        "import sys, course_utils, keras\n"
        "print(keras.backend.backend(), 'jax' in sys.modules,"
        " float(keras.ops.sum(keras.ops.ones(3))))\n",
        KERAS_BACKEND="jax",
    )
    assert out.split() == ["jax", "True", "3.0"]


def test_jax_imported_before_keras_is_left_alone():
    pytest.importorskip("jax", reason="jax is in the [test] extra: pip install -e .[test]")
    out = _fresh(
        "import sys, jax, course_utils, keras\n"
        "print(sys.modules['tensorflow.lite.python.util']._jit is jax.jit)\n",
        KERAS_BACKEND="tensorflow",
    )
    assert out.split() == ["True"]

"""``course_utils._env``: the environment defaults and :func:`start_keras` (fresh processes:
each test starts its own interpreter, since Keras and TensorFlow start once per process)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from course_utils._env import _start_up_lines_held_back, start_up_noise


def _fresh(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter; ``env`` on top of this one's (``None``: unset)."""
    environ = {**os.environ, **env}
    for key in [k for k, v in environ.items() if v is None]:
        del environ[key]
    proc = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def test_import_sets_defaults_imports_no_keras_and_keeps_the_users_values():
    code = (
        "import os, sys, course_utils\n"
        "print('keras' in sys.modules, 'tensorflow' in sys.modules,"
        " os.environ['TF_CPP_MIN_LOG_LEVEL'], os.environ['KERAS_BACKEND'])\n"
    )
    out = _fresh(code, TF_CPP_MIN_LOG_LEVEL=None, KERAS_BACKEND=None).stdout
    assert out.split() == ["False", "False", "3", "tensorflow"]
    out = _fresh(code, TF_CPP_MIN_LOG_LEVEL="1", KERAS_BACKEND="jax").stdout
    assert out.split() == ["False", "False", "1", "jax"]


def test_tensorflow_prints_start_up_lines_that_start_keras_holds_back():
    """Why the helper exists: a plain ``import keras`` writes TensorFlow's INFO lines to fd 2
    even with TF_CPP_MIN_LOG_LEVEL=3 (if this fails, TensorFlow stopped: the helper can go)."""
    plain = _fresh("import keras; print(keras.backend.backend())", TF_CPP_MIN_LOG_LEVEL="3")
    noise = [line for line in plain.stderr.splitlines() if start_up_noise(line)]
    assert noise, plain.stderr
    quiet = _fresh(
        "import course_utils\n"
        "keras = course_utils.start_keras()\n"
        "import keras as again\n"
        "print(keras is again, keras.backend.backend())\n"
    )
    assert quiet.stdout.split() == ["True", "tensorflow"]
    assert quiet.stderr == ""


def test_on_jax_tensorflow_starts_held_back_too_and_jax_is_the_backend():
    """On JAX, ``keras.utils.set_random_seed`` imports TensorFlow; start_keras has done it."""
    pytest.importorskip("jax", reason="jax is in the [test] extra: pip install -e .[test]")
    proc = _fresh(
        "import course_utils\n"
        "course_utils.start_keras()\n"
        "import keras\n"
        "keras.utils.set_random_seed(0)\n"
        "print(keras.backend.backend(), float(keras.ops.sum(keras.ops.ones(3))))\n",
        KERAS_BACKEND="jax",
    )
    assert proc.stdout.split() == ["jax", "3.0"]
    assert proc.stderr == ""


def test_start_keras_leaves_the_import_system_as_it_finds_it():
    """No import hooks, no forged ``sys.modules`` entries: the same as a plain ``import keras``.

    A hook that stays in place shows in the loaders of the modules it handles, a hidden package
    as a ``None`` entry; a hook that removes itself is caught in the source by the next test."""
    pytest.importorskip("jax", reason="jax is in the [test] extra: pip install -e .[test]")
    probe = (
        "import sys\n"
        "{start}\n"
        "import keras, tensorflow, jax\n"
        "print([type(m.__spec__.loader).__qualname__ for m in (keras, tensorflow, jax)])\n"
        "print(sorted(k for k, v in sys.modules.items() if v is None))\n"
    )
    plain = _fresh(probe.format(start="import keras")).stdout.splitlines()
    helped = _fresh(
        probe.format(start="import course_utils; course_utils.start_keras()")
    ).stdout.splitlines()
    assert helped == plain and helped[0].count("SourceFileLoader") == 3, helped


def test_held_back_lines_are_only_the_start_up_notices(capfd):
    """Warnings and errors written to fd 2 while Keras starts reach stderr; INFO notices do not."""
    with _start_up_lines_held_back():
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are ")
        os.write(2, b"written to STDERR\n")
        os.write(2, b"I0000 00:00:1712345678.1  4242 cudart_stub.cc:31] Could not find cuda\n")
        os.write(2, b"E0000 00:00:1712345678.2  4242 cuda_dnn.cc:8] Unable to register cuDNN\n")
        os.write(2, b"Segmentation fault in a plugin\n")
    err = capfd.readouterr().err
    assert err == (
        "E0000 00:00:1712345678.2  4242 cuda_dnn.cc:8] Unable to register cuDNN\n"
        "Segmentation fault in a plugin\n"
    )


def test_held_back_lines_then_the_error_when_the_import_fails(capfd):
    with pytest.raises(ImportError, match="broken"):
        with _start_up_lines_held_back():
            os.write(2, b"E0000 00:00:1.0  1 loader.cc:1] cannot load libfoo.so\n")
            raise ImportError("broken")
    assert "cannot load libfoo.so" in capfd.readouterr().err


def test_the_package_source_installs_no_import_hooks():
    """No module of ``course_utils`` touches the import system's finder list or builds finders."""
    import ast
    from pathlib import Path

    import course_utils

    found = []
    for path in Path(course_utils.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("meta_path", "path_hooks"):
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.Import | ast.ImportFrom):
                module = getattr(node, "module", None) or ""
                names = [module] + [f"{module}.{a.name}" if module else a.name for a in node.names]
                if any(n.startswith("importlib.abc") for n in names):
                    found.append(f"{path.name}:{node.lineno} imports importlib.abc")
    assert not found, found

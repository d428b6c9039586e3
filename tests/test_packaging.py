"""The install story stays consistent: pyproject vs environment.yml, README vs .ci/run, doctor."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def norm(req: str) -> tuple[str, str]:
    req = req.strip().strip('"')
    m = re.match(r"([A-Za-z0-9_.\-\[\]]+)\s*(.*)", req)
    name = re.sub(r"\[.*\]", "", m.group(1)).lower().replace("_", "-")
    return name, m.group(2).replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + meta["optional-dependencies"]["test"]
    return dict(norm(r) for r in reqs)


def environment_requirements() -> dict[str, str]:
    out = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        m = re.match(r"\s+- ([A-Za-z][^:#]*)$", line)
        if m and not m.group(1).startswith(("python", "pip", "-e")):
            name, spec = norm(m.group(1))
            out[name] = spec
    return out


def test_environment_yml_matches_pyproject():
    assert pyproject_requirements() == environment_requirements()


def test_every_dependency_has_a_tested_upper_bound():
    for name, spec in pyproject_requirements().items():
        assert "<" in spec and ">=" in spec, f"{name} needs a range with an upper bound: {spec!r}"


def readme_command(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    m = re.search(rf"<!-- ci:{marker} -->\s*```bash\n(.+?)\n```", text, re.S)
    assert m, f"README.md lacks the command block after <!-- ci:{marker} -->"
    return m.group(1).strip()


def test_readme_commands_are_the_two_quick_start_commands():
    install, test = readme_command("install"), readme_command("test")
    assert install.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e .")
    assert install.endswith("jupyter lab lessons/00_start_here.ipynb")
    assert 'pip install -e ".[test]"' in test and "pytest --nbval tests/ lessons/" in test
    assert "--nbval-lax" not in test


def test_ci_runs_the_readme_commands_not_a_copy():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "readme_command install" in ci and "readme_command test" in ci
    assert "pip install" not in ci.replace("PIP_", ""), ".ci/run must not carry its own install"
    # One extra run is allowed, and required (issue 24): the lessons once more on JAX, errors only.
    jax_run = "KERAS_BACKEND=jax pytest --nbval-lax lessons/"
    runs = [line for line in ci.splitlines() if "pytest --" in line]
    assert len(runs) == 1 and jax_run in runs[0], ".ci/run: only the JAX lessons run of its own"
    assert not re.search(r"^\s*pytest", ci, re.M), ".ci/run must not carry its own test command"


def test_doctor_cli_prints_report_and_exits_zero():
    res = subprocess.run(
        [sys.executable, "-m", "course_utils", "doctor"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    for word in ("Python", "Keras backend", "tensorflow", "ipywidgets", "GPU", "All good"):
        assert word in res.stdout
    assert "I0000" not in res.stderr  # TensorFlow's C-level start-up lines are silenced
    last = res.stdout.strip().splitlines()[-1]  # from a terminal it ends with how to start
    assert last.endswith("jupyter lab lessons/00_start_here.ipynb"), last


def test_doctor_reports_missing_package_with_a_fix(monkeypatch, capsys):
    from course_utils import diagnostics as doctor

    real = doctor._version
    monkeypatch.setattr(doctor, "_version", lambda m: None if m == "ipywidgets" else real(m))
    assert doctor.doctor() is False
    out = capsys.readouterr().out
    assert "ipywidgets" in out and "MISSING" in out and "pip install 'ipywidgets>=8.1'" in out


def test_cli_without_command_shows_help():
    res = subprocess.run(
        [sys.executable, "-m", "course_utils"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert res.returncode == 2 and "doctor" in res.stdout


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["doctor", "--help"]])
def test_cli_help_imports_no_keras(argv):
    """``python -X importtime -m course_utils --help``: Keras, TensorFlow and JAX stay unloaded
    until a command that needs them runs (``train`` imports ``training`` when it trains)."""
    res = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "course_utils", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    imported = [
        line.rsplit("|", 1)[-1].strip()
        for line in res.stderr.splitlines()
        if line.startswith("import time:")
    ]
    assert "course_utils.__main__" in imported or "course_utils._env" in imported
    heavy = [m for m in imported if m.split(".")[0] in ("keras", "tensorflow", "jax")]
    assert heavy == [], heavy
    assert "course_utils.training" not in imported


def test_widgets_import_their_explorer_only():
    """``from course_utils.widgets import KernelExplorer`` starts without Keras (PEP 562); the
    U-Net explorers bring Keras in when they are asked for."""
    code = (
        "import sys\n"
        "from course_utils.widgets import KernelExplorer, SkipExplorer, FilterLearningExplorer\n"
        "print('keras' in sys.modules, 'tensorflow' in sys.modules)\n"
        "from course_utils.widgets import UNetWalkExplorer\n"
        "print('keras' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False", "True"]


def test_every_widget_name_has_one_home():
    import importlib

    import course_utils.widgets as widgets

    for name in widgets._MODULES:
        module = importlib.import_module(f"course_utils.widgets.{name}")
        homed = {n for n, home in widgets._HOMES.items() if home == name}
        assert homed == set(module.__all__), name
        for attr in module.__all__:
            assert getattr(widgets, attr) is getattr(module, attr)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        widgets.Nope  # noqa: B018

"""``doctor``: anywidget in the report; from a terminal it ends with the command that opens lesson 00."""

from pathlib import Path

from course_utils import diagnostics

ROOT = Path(__file__).resolve().parents[1]


def test_in_a_notebook_it_points_to_lesson_01(capsys, monkeypatch):
    monkeypatch.setattr(
        diagnostics,
        "collect",
        lambda: {
            "python": "3.11",
            "platform": "x",
            "cpus": 2,
            "backend": "tensorflow",
            "packages": {"anywidget": "0.11"},
            "problems": [],
            "gpus": [],
            "widgets_ok": True,
        },
    )
    assert diagnostics.doctor(terminal=False)
    out = capsys.readouterr().out
    assert "01_convolution" in out and "jupyter lab" not in out
    assert diagnostics.doctor(terminal=True)
    assert "jupyter lab" in capsys.readouterr().out.splitlines()[-1]


def test_problems_then_the_start_command(capsys, monkeypatch):
    monkeypatch.setattr(diagnostics, "_version", lambda m: None if m == "anywidget" else "1.0")
    assert diagnostics.doctor(terminal=True) is False
    out = capsys.readouterr().out
    assert "anywidget is missing: pip install 'anywidget" in out
    assert out.strip().splitlines()[-1].startswith("Then start the course with:  jupyter lab")
    assert not diagnostics._in_notebook()  # pytest is no kernel

"""The committed lessons are as the course requires: executed in order from a clean kernel, no
error or stderr output, the lesson rhythm's headings, and exercise solutions collapsed."""

import re
from pathlib import Path

import nbformat
import pytest

from course_utils._hygiene import notebook_problems

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
NOTEBOOKS = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_all_ten_lessons_are_there():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(10)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_clean_and_in_order(path):
    nb = nbformat.read(path, as_version=4)
    assert notebook_problems(nb) == []  # the rule tools/execute_lessons.py applies


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_headings_carry_the_chinese_term(path):
    nb = nbformat.read(path, as_version=4)
    headings = [line for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if re.match(r"#{1,3} ", line)]
    assert headings, "no headings"
    missing = [h for h in headings if not CJK.search(h)]
    assert missing == [], f"headings without their Chinese term: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=lambda p: p.stem)
def test_exercise_solutions_are_collapsed(path):
    nb = nbformat.read(path, as_version=4)
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 2, "every lesson has at least 2 exercises with worked solutions"
    for c in solutions:
        assert c.source.startswith("# Solution"), c.source[:60]
        hidden = c.metadata.get("jupyter", {})
        assert hidden.get("source_hidden") and hidden.get("outputs_hidden"), c.source[:60]

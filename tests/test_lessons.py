"""The committed lessons are as the course requires: executed in order from a clean kernel, no
error or stderr output, the lesson rhythm's headings, and exercise solutions collapsed."""

import re
from pathlib import Path

import nbformat
import pytest
from notebook_hygiene import notebook_problems

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
NOTEBOOKS = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
CJK = re.compile(r"[\u4e00-\u9fff]")


LAST = 10  # the number of the course's last lesson


def test_all_eleven_lessons_are_there():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(LAST + 1)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_clean_and_in_order(path):
    nb = nbformat.read(path, as_version=4)
    assert notebook_problems(nb) == []  # the rule tools/execute_lessons.py applies


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_headings_carry_the_chinese_term(path):
    nb = nbformat.read(path, as_version=4)
    headings = [
        line
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if re.match(r"#{1,3} ", line)
    ]
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


# Lessons another helper still has to bring in line (issue 12): strict, so the mark must go once fixed.
_NOT_YET: dict[str, str] = {}  # lesson stem -> why it may not pass the checks below yet


def _not_yet(paths):
    return [
        pytest.param(p, marks=pytest.mark.xfail(reason=_NOT_YET[p.stem], strict=True))
        if p.stem in _NOT_YET
        else p
        for p in paths
    ]


@pytest.mark.parametrize("path", _not_yet(NOTEBOOKS), ids=lambda p: p.stem)
def test_solution_cells_show_nothing(path):
    """After Run All a collapsed solution's output would be visible: solutions end in `assert`."""
    nb = nbformat.read(path, as_version=4)
    shown = [
        c.source.splitlines()[-1]
        for c in nb.cells
        if "solution" in c.metadata.get("tags", []) and c.get("outputs")
    ]
    assert shown == [], f"solution cells with outputs (end them with `assert check_...`): {shown}"


NAV = re.compile(
    r"^(?:← \[(\d\d) · ([^\]]+)\]\((\S+?)\))?(?: · )?(?:\[(\d\d) · ([^\]]+)\]\((\S+?)\) →)?$"
)


def _title(number: str):
    """The "Title 中文" of lesson ``number`` from its first heading, or None if it is not here."""
    found = sorted(LESSONS.glob(f"{number}_*.ipynb"))
    if not found:
        return None, None
    first = nbformat.read(found[0], as_version=4).cells[0].source.splitlines()[0]
    return re.sub(rf"^# {number} · ", "", first), found[0].name


@pytest.mark.parametrize("path", _not_yet(NOTEBOOKS), ids=lambda p: p.stem)
def test_navigation_line_at_top_and_end(path):
    """First and last cell end with the same `← [NN · Previous](..) · [NN · Next](..) →` line."""
    nb = nbformat.read(path, as_version=4)
    top = nb.cells[0].source.rstrip().splitlines()[-1]
    end = nb.cells[-1].source.rstrip().splitlines()[-1]
    assert top == end, (top, end)
    m = NAV.match(top)
    assert m and top, f"not a navigation line: {top!r}"
    n = int(path.name[:2])
    links = {"previous": m.group(1, 2, 3), "next": m.group(4, 5, 6)}
    for kind, number in (("previous", n - 1), ("next", n + 1)):
        got = links[kind]
        if not 0 <= number <= LAST:
            assert got == (None, None, None), f"lesson {n:02d} has no {kind} lesson"
            continue
        assert got[0] == f"{number:02d}", (kind, got)
        title, name = _title(got[0])
        if name is not None:  # a lesson still being written elsewhere is checked once it is here
            assert (got[1], got[2]) == (title, name), (kind, got, title, name)

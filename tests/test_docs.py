"""The written pages stay what they promise: a short front page, links that resolve, no orphan pictures."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [
    ROOT / "README.md",
    ROOT / "README.zh.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted(ROOT.glob("*/README.md")),
]
PAGES += sorted((ROOT / "tests").glob("*/README.md"))
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _links(page: Path) -> list[Path]:
    return [
        (page.parent / target).resolve()
        for target in LINK.findall(page.read_text(encoding="utf-8"))
        if not re.match(r"[a-z]+:", target)  # http:, https:, mailto:
    ]


def test_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; move details to docs/"


def test_pages_named_by_the_readme_exist():
    for name in ("docs/performance.md", "docs/training.md", "tests/browser/README.md"):
        assert (ROOT / name).is_file(), name


def test_relative_links_resolve():
    broken = [f"{p.relative_to(ROOT)} -> {t}" for p in PAGES for t in _links(p) if not t.exists()]
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_every_picture_in_docs_is_shown_by_a_page():
    shown = {t for p in PAGES for t in _links(p)}
    orphans = [p.name for p in sorted((ROOT / "docs").glob("*.png")) if p.resolve() not in shown]
    assert not orphans, f"pictures in docs/ that no page shows: {orphans}"


def _commands(page: Path) -> list[str]:
    return re.findall(r"```bash\n(python3 -m venv .+?)\n```", page.read_text(encoding="utf-8"))


def test_chinese_front_page():
    """README.md links README.zh.md, which gives the same two commands (the install command opens
    the Chinese lesson 00) and the lesson table with a link to every Chinese lesson."""
    readme, zh = ROOT / "README.md", ROOT / "README.zh.md"
    assert "(README.zh.md)" in readme.read_text(encoding="utf-8")
    install, test = _commands(readme)
    assert _commands(zh) == [install.replace("lessons/00_", "lessons/zh/00_"), test]
    lessons = sorted(p.name for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
    table = re.findall(r"^\| (\d\d) \| \[.+?\]\(lessons/zh/(.+?)\) \|", zh.read_text("utf-8"), re.M)
    assert [name for _, name in table] == lessons
    assert [n for n, _ in table] == [name[:2] for name in lessons]

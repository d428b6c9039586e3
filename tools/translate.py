"""The Chinese edition (中文版) from one source: gettext catalogues -> ``lessons/zh/``.

    python tools/translate.py            # build lessons/zh/*.ipynb from lessons/*.ipynb + catalogues
    python tools/translate.py --check    # change nothing; exit 1 naming every stale or missing cell
    python tools/translate.py --update   # bring the catalogues in step with the English lessons
    python tools/translate.py 03         # any mode, for some lessons only (by number)

The English notebooks in ``lessons/`` are the only source of code and outputs.  The Chinese prose
lives in ``translations/zh/NN_name.po``, one standard gettext catalogue per lesson (edit it with
any PO editor: Poedit, Lokalize, or a text editor).  One entry per markdown cell:

* ``msgctxt`` is the cell's id (``nbformat`` cell ids are stable across edits and re-execution),
* ``msgid`` is the English cell, exactly as it stands in the notebook,
* ``msgstr`` is its Chinese.

A build copies each English notebook and replaces every markdown cell by its ``msgstr``; code
cells, outputs and metadata stay byte for byte.  A translation counts only while its ``msgid``
equals the English cell: edit the English and the entry is stale until a translator has looked.

After an English edit, a translator runs ``--update``: the entry gets the new ``msgid``, keeps its
old Chinese, is marked ``#, fuzzy`` and shows the old English as ``#| msgid``, so the change is a
diff to read.  Fix the Chinese, delete the ``fuzzy`` flag, run the build, and ``--check`` passes.
A cell that is new gets an empty entry; a deleted cell's entry becomes obsolete (``#~``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat
import polib

ROOT = Path(__file__).resolve().parents[1]
LANG = "zh"
HEADER = {
    "Project-Id-Version": "U-Net from scratch",
    "Language": "zh_CN",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
}


@dataclass(frozen=True)
class Paths:
    """Where the English lessons, the catalogues and the built Chinese lessons live."""

    lessons: Path = ROOT / "lessons"
    catalogues: Path = ROOT / "translations" / LANG
    out: Path = ROOT / "lessons" / LANG

    only: tuple[str, ...] = ()  # lesson numbers ("03") or names; empty: all lessons

    def english(self) -> list[Path]:
        found = sorted(self.lessons.glob("[0-9][0-9]_*.ipynb"))
        if self.only:
            found = [p for p in found if any(p.stem.startswith(o) for o in self.only)]
        return found

    def catalogue(self, lesson: Path) -> Path:
        return self.catalogues / f"{lesson.stem}.po"

    def built(self, lesson: Path) -> Path:
        return self.out / lesson.name


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _text(nb) -> str:
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"  # as nbformat.write puts it on disk


def _markdown(nb):
    """``(index, cell)`` for every markdown cell with text."""
    return [
        (i, c) for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.strip()
    ]


def _label(lesson: Path, i: int, cell) -> str:
    first = cell.source.strip().splitlines()[0]
    return f"{lesson.name} cell {i} (id {cell.id}): {first[:70]!r}"


def _load(po_path: Path) -> polib.POFile:
    if po_path.exists():
        return polib.pofile(str(po_path), wrapwidth=78)
    po = polib.POFile(wrapwidth=78)
    po.metadata = dict(HEADER)
    return po


def _current(po: polib.POFile) -> dict[str, polib.POEntry]:
    return {e.msgctxt: e for e in po if not e.obsolete}


def _stale(e: polib.POEntry | None, cell) -> str | None:
    """Why ``e`` is not a current translation of ``cell``; ``None`` when it is."""
    if e is None:
        return "has no entry; run --update, then translate it"
    if e.msgid != cell.source:
        return "changed in English; run --update, then revise"
    if "fuzzy" in e.flags:
        return "is marked fuzzy: revise it, then drop the flag"
    if not e.msgstr.strip():
        return "is not translated yet"
    return None


def build(lesson: Path, po: polib.POFile):
    """``(notebook, problems)``: ``lesson`` with each current translation in place of its cell,
    and every markdown cell without one, named (such a cell keeps its English)."""
    nb = _read(lesson)
    entries, problems = _current(po), []
    for i, cell in _markdown(nb):
        e = entries.pop(cell.id, None)
        why = _stale(e, cell)
        if why is None:
            cell.source = e.msgstr
        else:
            problems.append(f"{_label(lesson, i, cell)} {why}")
    for ctx in sorted(entries):  # left over: entries of cells that are gone
        problems.append(
            f"{lesson.name}: catalogue entry {ctx!r} names no markdown cell; run --update"
        )
    return nb, problems


def update_catalogue(lesson: Path, po: polib.POFile) -> dict[str, int]:
    """Bring ``po`` in step with ``lesson``; counts of entries added, changed (fuzzy), obsoleted."""
    nb = _read(lesson)
    old = _current(po)
    already_obsolete = [e for e in po if e.obsolete]
    counts = {"added": 0, "fuzzy": 0, "obsolete": 0}
    entries = []
    for i, cell in _markdown(nb):
        ref = [(f"lessons/{lesson.name}", str(i))]
        e = old.pop(cell.id, None)
        if e is None:
            e = polib.POEntry(msgctxt=cell.id, msgid=cell.source, msgstr="")
            counts["added"] += 1
        elif e.msgid != cell.source:
            if e.msgstr:
                e.previous_msgid = e.msgid
                if "fuzzy" not in e.flags:
                    e.flags.append("fuzzy")
            e.msgid = cell.source
            counts["fuzzy"] += 1
        e.occurrences = ref
        entries.append(e)
    for e in old.values():
        e.obsolete = True
        counts["obsolete"] += 1
        entries.append(e)
    po[:] = entries + already_obsolete
    return counts


def check(paths: Paths) -> list[str]:
    """Everything that keeps the Chinese edition from being current; empty when it is."""
    out = []
    english = paths.english()
    if not english:
        return [f"no lessons found in {paths.lessons}"]
    for lesson in english:
        po_path = paths.catalogue(lesson)
        if not po_path.exists():
            out.append(f"{lesson.name}: no catalogue {po_path.name}; run --update")
            continue
        nb, problems = build(lesson, _load(po_path))
        out += problems
        built = paths.built(lesson)
        if not built.exists():
            out.append(f"{built.name}: missing from {paths.out}; run the build")
        elif built.read_text(encoding="utf-8") != _text(nb):
            out.append(
                f"{built.name}: differs from a fresh build (English code, outputs or catalogue "
                "changed since, or edited by hand); run the build"
            )
    names = {p.name for p in english}
    for extra in sorted(paths.out.glob("*.ipynb")) if not paths.only else []:
        if extra.name not in names:
            out.append(f"{extra.name}: in {paths.out} but no English lesson of that name")
    return out


def main(argv: list[str] | None = None, paths: Paths | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="verify only; exit 1 naming problems")
    mode.add_argument("--update", action="store_true", help="sync catalogues with the English")
    mode.add_argument("--stats", action="store_true", help="entries per catalogue")
    ap.add_argument("lessons", nargs="*", help="lesson numbers to act on (default: all), e.g. 03")
    args = ap.parse_args(argv)
    paths = paths or Paths()
    if args.lessons:
        paths = replace(paths, only=tuple(args.lessons))
        if not paths.english():
            ap.error(f"no lesson in {paths.lessons} starts with {' or '.join(args.lessons)}")

    if args.check:
        problems = check(paths)
        for p in problems:
            print(p)
        n = len(paths.english())
        print(
            f"{len(problems)} problem(s) in the Chinese edition"
            if problems
            else f"Chinese edition current: {n} lessons"
        )
        return 1 if problems else 0

    for lesson in paths.english():
        po_path = paths.catalogue(lesson)
        po = _load(po_path)
        if args.stats:
            done = sum(1 for e in _current(po).values() if e.msgstr and "fuzzy" not in e.flags)
            print(f"{po_path.name}: {len(_current(po))} entries, {done} translated")
        elif args.update:
            counts = update_catalogue(lesson, po)
            po_path.parent.mkdir(parents=True, exist_ok=True)
            po.save(str(po_path))
            print(f"{po_path.name}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        else:
            nb, missing = build(lesson, po)
            paths.out.mkdir(parents=True, exist_ok=True)
            paths.built(lesson).write_text(_text(nb), encoding="utf-8")
            note = f" ({len(missing)} cell(s) kept in English, see --check)" if missing else ""
            print(f"wrote {paths.built(lesson).relative_to(paths.lessons.parent)}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

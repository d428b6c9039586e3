"""The Chinese edition (``lessons/zh/``) is the English lessons with translated prose, kept in step.

``tools/translate.py`` builds it from ``lessons/*.ipynb`` and ``translations/zh/*.po``; these tests
hold it to that: the check mode passes, a stale translation is caught (and the translator's update
cycle works), code and outputs are the English ones, the prose is Chinese, lesson 00's glossary
terms are used, and every link, formula and code span of a cell survives its translation.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import polib
import pytest
import translate  # tools/translate.py (tools/ is on pytest's pythonpath)
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
LESSONS, ZH = translate.Paths().lessons, translate.Paths().out
ENGLISH = translate.Paths().english()
PAIRS = [pytest.param(p, ZH / p.name, id=p.stem) for p in ENGLISH]

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
WIDE = re.compile(
    r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
)  # with full-width punctuation
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+?\$", re.S)
CODE = re.compile(r"```.*?```|`[^`]+`", re.S)
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")

#: variants of glossary terms that other books use; the course uses lesson 00's terms only
VARIANTS = {
    "步幅": "步长 (stride)",
    "汇聚": "池化 (pooling)",
    "滤波器": "卷积核 (filter)",
    "过滤器": "卷积核 (filter)",
    "特征映射": "特征图 (feature map)",
    "感受域": "感受野 (receptive field)",
    "跳连": "跳跃连接 (skip connection)",
    "跳跃链接": "跳跃连接 (skip connection)",
    "掩膜": "掩码 (mask)",
    "学习速率": "学习率 (learning rate)",
    "独热码": "独热编码 (one-hot encoding)",
    "批量": "批次 (batch)",
    "串联": "拼接 (concatenation)",
    "迭代轮数": "轮次 (epoch)",
    "时期": "轮次 (epoch)",
    "源笔记": "原文笔记 (the seed note)",
    "原始笔记": "原文笔记 (the seed note)",
}
#: glossary names that both editions write in Latin letters (the glossary gives the Chinese once)
KEPT_IN_LATIN = {"ReLU", "softmax", "logits"}


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _prose(text: str) -> str:
    """Markdown without code, formulas, link targets, HTML tags and URLs: what a student reads."""
    text = CODE.sub(" ", text)
    text = MATH.sub(" ", text)
    text = LINK_TARGET.sub("]", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"https?://\S+", " ", text)


def _spans(kind: re.Pattern, text: str) -> set[str]:
    return {re.sub(r"\s+", " ", m) for m in kind.findall(text)}


def _pairs(en: Path, zh: Path):
    a, b = _read(en), _read(zh)
    return a, b, list(zip(a.cells, b.cells, strict=True))


# ---------------------------------------------------------------------------------------------
# the build is current, and the check catches what it must
# ---------------------------------------------------------------------------------------------
def test_edition_has_every_lesson():
    assert len(ENGLISH) == 11
    assert sorted(p.name for p in ZH.glob("*.ipynb")) == [p.name for p in ENGLISH]
    assert sorted(p.stem for p in (ROOT / "translations" / "zh").glob("*.po")) == [
        p.stem for p in ENGLISH
    ]


def test_check_mode_passes():
    """What CI runs: every markdown cell has a current translation and lessons/zh is a fresh build."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "translate.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Chinese edition current: 11 lessons" in run.stdout


@pytest.fixture
def sandbox(tmp_path):
    """A copy of lesson 03, its catalogue and its Chinese build, and Paths that point at them."""
    paths = translate.Paths(
        lessons=tmp_path / "lessons",
        catalogues=tmp_path / "translations" / "zh",
        out=tmp_path / "lessons" / "zh",
    )
    for d in (paths.lessons, paths.catalogues, paths.out):
        d.mkdir(parents=True, exist_ok=True)
    en = LESSONS / "03_pooling.ipynb"
    shutil.copy(en, paths.lessons / en.name)
    shutil.copy(ROOT / "translations" / "zh" / "03_pooling.po", paths.catalogues)
    shutil.copy(ZH / en.name, paths.out / en.name)
    assert translate.check(paths) == []
    return paths, paths.lessons / en.name


def _edit_cell(path: Path, index: int, new_source: str) -> str:
    nb = _read(path)
    nb.cells[index].source = new_source
    nbformat.write(nb, path)
    return nb.cells[index].id


def _first_markdown(path: Path, after: int = 1) -> int:
    nb = _read(path)
    return next(i for i, c in enumerate(nb.cells) if i >= after and c.cell_type == "markdown")


def test_english_edit_without_translation_fails_check_naming_the_cell(sandbox, capsys):
    paths, en = sandbox
    i = _first_markdown(en)
    old = _read(en).cells[i].source
    cell_id = _edit_cell(en, i, old + "\n\nA sentence added in English.")
    problems = translate.check(paths)
    assert any(f"cell {i} (id {cell_id})" in p and "changed in English" in p for p in problems)
    assert translate.main(["--check"], paths) == 1
    assert f"cell {i} (id {cell_id})" in capsys.readouterr().out


def test_translator_update_cycle(sandbox):
    """--update keeps the old Chinese as fuzzy with the old English beside it; revise, build, pass."""
    paths, en = sandbox
    i = _first_markdown(en)
    old = _read(en).cells[i].source
    cell_id = _edit_cell(en, i, old + "\n\nA sentence added in English.")
    assert translate.main(["--update"], paths) == 0
    po = polib.pofile(str(paths.catalogues / "03_pooling.po"))
    entry = next(e for e in po if e.msgctxt == cell_id)
    assert "fuzzy" in entry.flags and entry.previous_msgid == old and entry.msgstr
    problems = translate.check(paths)
    assert any(f"id {cell_id}" in p and "fuzzy" in p for p in problems), problems

    entry.msgstr += "\n\n用中文补上的一句话。"
    entry.flags.remove("fuzzy")
    entry.previous_msgid = None
    po.save()
    assert any("differs from a fresh build" in p for p in translate.check(paths))
    assert translate.main([], paths) == 0
    assert translate.check(paths) == []
    built = _read(paths.out / en.name)
    assert built.cells[i].source.endswith("用中文补上的一句话。")


def test_new_cell_and_hand_edit_and_new_outputs_are_caught(sandbox):
    paths, en = sandbox
    zh = paths.out / en.name
    text = zh.read_text(encoding="utf-8")
    zh.write_text(text.replace("池化", "池化！", 1), encoding="utf-8")
    assert any("differs from a fresh build" in p for p in translate.check(paths))
    zh.write_text(text, encoding="utf-8")

    assert translate.check(paths) == []
    nb = _read(en)
    code = next(c for c in nb.cells if c.cell_type == "code" and c.outputs)
    code.outputs = []  # as if re-executed with other output: the build must follow
    nbformat.write(nb, en)
    assert [p for p in translate.check(paths) if "differs from a fresh build" in p]
    assert translate.main(["03"], paths) == 0 and translate.check(paths) == []

    nb.cells.insert(1, nbformat.v4.new_markdown_cell("A new English cell."))
    nbformat.write(nb, en)
    problems = translate.check(paths)
    assert any("has no entry" in p and "A new English cell" in p for p in problems), problems
    assert translate.main(["--update"], paths) == 0
    po = polib.pofile(str(paths.catalogues / "03_pooling.po"))
    assert sum(1 for e in po if not e.msgstr) == 1


# ---------------------------------------------------------------------------------------------
# what the Chinese lessons contain
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("en, zh", PAIRS)
def test_code_cells_and_outputs_are_the_english_ones(en, zh):
    a, b, cells = _pairs(en, zh)
    assert a.metadata == b.metadata
    for x, y in cells:
        assert (x.cell_type, x.id, x.metadata) == (y.cell_type, y.id, y.metadata)
        if x.cell_type == "code":
            assert x == y, f"{zh.name}: code cell {x.id} differs from the English"


@pytest.mark.parametrize("en, zh", PAIRS)
def test_every_markdown_cell_is_chinese_prose(en, zh):
    _, _, cells = _pairs(en, zh)
    for i, (x, y) in enumerate(cells):
        if y.cell_type != "markdown" or not y.source.strip():
            continue
        prose = _prose(y.source)
        cjk, words = len(CJK.findall(prose)), len(LATIN_WORD.findall(prose))
        assert y.source != x.source, f"{zh.name} cell {i} is the English cell"
        assert cjk >= 2 * words, (
            f"{zh.name} cell {i}: {cjk} Chinese characters, {words} Latin words"
        )
        english_run = re.search(r"(?:\b[A-Za-z]+\b[ ,]+){7}[A-Za-z]+", prose)
        assert not english_run, f"{zh.name} cell {i} keeps English prose: {english_run.group()!r}"


def _glossary() -> list[tuple[str, str]]:
    """(English term, Chinese term) from lesson 00's glossary table, lists split into pairs."""
    nb = _read(LESSONS / "00_start_here.ipynb")
    cell = next(c.source for c in nb.cells if c.source.startswith("## 5. Glossary"))
    pairs = []
    for row in re.findall(r"^\| (?!English|---)(.+?) \| (.+?) \|", cell, re.M):
        en, zh = (re.sub(r"\s*[(（].*?[)）]", "", s).strip() for s in row)
        for sep in (" / ", ", "):
            if sep in en:
                ens, zhs = en.split(sep), zh.split(sep)
                zhs = zhs if len(zhs) == len(ens) else zhs[:1] * len(ens)
                pairs += zip(ens, zhs, strict=True)
                break
        else:
            pairs.append((en, zh))
    return pairs


def test_glossary_is_read_whole():
    terms = dict(_glossary())
    assert len(terms) >= 40
    assert (
        terms["stride"] == "步长" and terms["decoder"] == "解码器" and terms["filter"] == "卷积核"
    )
    assert terms["max pooling"] == "最大池化" and terms["test set"] == "测试集"


def test_chinese_glossary_keeps_the_terms():
    a, b, cells = _pairs(LESSONS / "00_start_here.ipynb", ZH / "00_start_here.ipynb")
    (x, y) = next((x, y) for x, y in cells if x.source.startswith("## 5. Glossary"))
    columns = re.compile(r"^(\| .+? \| .+? \|)", re.M)
    assert columns.findall(x.source)[2:] == columns.findall(y.source)[2:]


@pytest.mark.parametrize("en, zh", PAIRS)
def test_glossary_terms_are_used(en, zh):
    """Where the English prose uses a glossary term, the Chinese uses lesson 00's Chinese term."""
    english = _prose("\n".join(c.source for c in _read(en).cells if c.cell_type == "markdown"))
    chinese = _prose("\n".join(c.source for c in _read(zh).cells if c.cell_type == "markdown"))
    chinese = re.sub(r"\s+", "", chinese)
    missing = []
    for term, zh_term in _glossary():
        if term in KEPT_IN_LATIN:
            continue
        if re.search(rf"\b{re.escape(term)}(?:s|es)?\b", english, re.I):
            if re.sub(r"\s+", "", zh_term) not in chinese:
                missing.append(f"{term} -> {zh_term}")
    assert not missing, f"{zh.name} never uses: {missing}"
    variants = [f"{v} (use {VARIANTS[v]})" for v in VARIANTS if v in chinese]
    assert not variants, f"{zh.name} uses variants: {variants}"


def _zh_target(target: str) -> str:
    """Where an English lesson's link must point from lessons/zh/."""
    if target == "zh/00_start_here.ipynb":
        return "../00_start_here.ipynb"  # lesson 00 of each edition names the other
    if re.match(r"[a-z]+:", target) or target.startswith("#"):
        return target
    return target if not target.startswith("../") else "../" + target


@pytest.mark.parametrize("en, zh", PAIRS)
def test_links_formulas_and_code_survive(en, zh):
    """Each cell keeps its links (re-pointed for lessons/zh/), formulas and code spans."""
    _, _, cells = _pairs(en, zh)
    for i, (x, y) in enumerate(cells):
        if x.cell_type != "markdown":
            continue
        want = Counter(_zh_target(t) for t in LINK_TARGET.findall(x.source))
        assert Counter(LINK_TARGET.findall(y.source)) == want, f"{zh.name} cell {i}: links"
        for kind in (MATH, CODE):  # the same spans (a line break inside one is a space)
            assert _spans(kind, y.source) == _spans(kind, x.source), f"{zh.name} cell {i}"
        for t in LINK_TARGET.findall(y.source):
            if not re.match(r"[a-z]+:", t):
                assert (zh.parent / t.split("#")[0]).exists(), f"{zh.name} cell {i}: {t}"


NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?(?![\w-])")
MILLION = re.compile(r"(\d+(?:\.\d+)?) (?:million|M)\b")


@pytest.mark.parametrize("en, zh", PAIRS)
def test_numbers_survive(en, zh):
    """Every number of a cell's English prose stands in its Chinese prose ("2-D" and "2-class"
    become 二维 and 两类, so numbers joined to a word by a hyphen are not counted; "1.9 million"
    or "1.9 M" is written 190 万)."""
    _, _, cells = _pairs(en, zh)
    for i, (x, y) in enumerate(cells):
        if x.cell_type != "markdown":
            continue
        english = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", _prose(x.source))  # 99.5th: 99.5
        chinese = _prose(y.source)
        for m in MILLION.finditer(english):
            assert f"{float(m.group(1)) * 100:g} 万" in chinese, f"{zh.name} cell {i}: {m.group()}"
        want = set(NUMBER.findall(MILLION.sub(" ", english)))
        missing = want - set(NUMBER.findall(chinese))
        assert not missing, f"{zh.name} cell {i}: numbers missing from the Chinese: {missing}"


def test_each_edition_names_the_other():
    english = "\n".join(c.source for c in _read(LESSONS / "00_start_here.ipynb").cells[:1])
    chinese = "\n".join(c.source for c in _read(ZH / "00_start_here.ipynb").cells[:1])
    assert "(zh/00_start_here.ipynb)" in english and "中文" in english
    assert "(../00_start_here.ipynb)" in chinese and "English" in chinese


@pytest.mark.parametrize("en", ENGLISH, ids=lambda p: p.stem)
def test_english_headings_use_the_glossary(en):
    """The English lessons' Chinese terms (in headings and text) use lesson 00's terms too."""
    text = "\n".join(c.source for c in _read(en).cells if c.cell_type == "markdown")
    variants = [f"{v} (use {VARIANTS[v]})" for v in VARIANTS if v in text]
    assert not variants, f"{en.name} uses variants: {variants}"


def _inline_children(source: str):
    """The inline tokens of a markdown cell, with code spans and formulas blanked out."""
    md = MarkdownIt("commonmark").enable("table")
    for token in md.parse(MATH.sub("x", source)):
        if token.type == "inline":
            yield token.children or []


def _stars(source: str) -> int:
    """Asterisks a reader would see: emphasis that did not render (CommonMark, as JupyterLab)."""
    return sum(
        c.content.count("*") for kids in _inline_children(source) for c in kids if c.type == "text"
    )


@pytest.mark.parametrize("en, zh", PAIRS)
def test_markdown_renders_as_in_english(en, zh):
    """Bold and italics render: CommonMark does not close ``**`` after full-width punctuation that
    a Chinese character follows (``**交并比（IoU）**和`` shows its stars), so the stars a reader
    sees are the English cell's.  No line break inside a Chinese paragraph: the browser shows it
    as a space between two characters."""
    _, _, cells = _pairs(en, zh)
    for i, (x, y) in enumerate(cells):
        if x.cell_type != "markdown":
            continue
        assert _stars(y.source) == _stars(x.source), f"{zh.name} cell {i}: unrendered * emphasis"
        for kids in _inline_children(y.source):
            for a, b, c in zip(kids, kids[1:], kids[2:], strict=False):
                if b.type == "softbreak" and a.content and c.content:
                    joined = a.content[-1] + c.content[0]
                    wide = all(WIDE.fullmatch(ch) for ch in joined)
                    assert not wide, (
                        f"{zh.name} cell {i}: a line break in {joined!r} (join the lines)"
                    )

"""`duban report`: the .docx read back, official formatting, LibreOffice rendering, edge cases."""
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn

from duban.annex import LAGGING, tidy
from duban.cli import cli
from duban.evidence import attach
from duban.master import save_master
from duban.model import Master
from duban.report import (build_report, find_soffice, indicator_phrase, key_sentence,
                          render_page_png, report_facts, write_report)
from duban.store import open_store
from report_helpers import PERIOD, filled_master

needs_lo = pytest.mark.skipif(not find_soffice() or not shutil.which("pdftotext"),
                              reason="LibreOffice and poppler-utils are needed")
TITLE = "关于2022年区政府工作报告重点任务1-6月推进情况的报告"


@pytest.fixture
def filled(tmp_path):
    """(model, master path) of the bundled notice with a judged 1-6月."""
    return filled_master(tmp_path)


def _status_counts(m: Master) -> Counter:
    return Counter(t.entry(PERIOD).effective_status for t in m.tasks)


def _texts(d) -> list[str]:
    return [p.text for p in d.paragraphs]


def _by_style(d, name: str) -> list[str]:
    return [p.text for p in d.paragraphs if p.style.name == name]


def _make(m: Master, tmp_path: Path, name="报告.docx", **kw) -> docx.Document:
    out = tmp_path / name
    write_report(m, out, PERIOD, date=date(2022, 7, 8), **kw)
    return docx.Document(str(out))


def _set_all(m: Master, status: str) -> None:
    for t in m.tasks:
        t.entry(PERIOD).override = status


# ---------------------------------------------------------------------------
# content
# ---------------------------------------------------------------------------

def test_report_reads_back_with_the_masters_counts(filled, tmp_path):
    m, path = filled
    out = tmp_path / "out" / "报告.docx"
    r = CliRunner().invoke(cli, ["report", str(path), "-o", str(out), "--date", "2022-07-08"])
    assert r.exit_code == 0, r.output
    assert "已生成报告" in r.output and "已刷新主表“统计”表" in r.output
    d = docx.Document(str(out))
    texts = _texts(d)
    assert texts[:3] == ["区政府督查办", TITLE, "区政府："]
    assert _by_style(d, "Title") == [TITLE]
    assert _by_style(d, "Heading 1") == ["一、10项经济社会发展预期目标情况", "二、131项重点工作任务进展情况",
                                         "三、存在的问题及下步工作建议"]

    # opening: what was tracked and how many units returned (from 报送记录)
    opening = texts[3]
    assert "10项经济社会发展预期目标和131项重点工作任务1-6月推进情况" in opening
    assert "本期向51个责任单位收集进展情况，已收到45个单位报送的材料（报送率88.2%）" in opening
    from duban.dashboard import returns_for

    outstanding = returns_for(m, PERIOD).outstanding
    assert len(outstanding) == 6 and f"{'、'.join(outstanding)}尚未报送。" in opening

    # 一: the indicator classes with the master's counts, numbered without gaps
    ind = Counter(i.entry(PERIOD).effective_status for i in m.indicators)
    para = next(t for t in texts if t.startswith("1-6月，①"))
    assert f"①{ind['符合预期']}项指标符合预期，分别是：" in para
    assert f"②{ind['不达预期']}项指标不达预期，分别是：" in para
    assert f"③{ind['符合时间节点要求']}项指标符合时间节点要求，分别是：" in para
    assert "④" not in para and para.endswith("（详见附件1）。")
    assert "②2项指标不达预期，分别是：地区生产总值增长3.2%，社会消费品零售总额增长2.1%；" in para
    assert "空气质量优良天数152天" in para and "年度目标" not in para

    # 二: the counts sentence equals the master's effective statuses
    c = _status_counts(m)
    assert c[LAGGING] > 0 and c["已完成"] > 0 and c["未报送"] > 0
    assert (f"131项重点工作任务中，{c['已完成']}项任务已完成，{c['正常推进']}项任务正常推进（详见附件3），"
            f"{c[LAGGING]}项任务推进较为滞后（详见附件2）。") in texts
    assert c["需人工研判"] == 0  # settled by staff before the report
    assert any(t.startswith(f"另有{c['未报送']}项任务因责任单位未报送进展情况，暂无法研判，分别是：") for t in texts)
    assert _by_style(d, "Heading 2") == ["（一）总体情况", f"（二）推进较为滞后的{c[LAGGING]}项任务",
                                         "（一）存在的问题", "（二）下步工作建议"]

    # every lagging task listed once, numbered, with its lead units
    lagging = [t for t in sorted(m.tasks, key=lambda t: t.id) if t.entry(PERIOD).effective_status == LAGGING]
    items = [x for x in texts if re.match(r"\d+．", x) and "（责任单位：" in x]
    assert len(items) == len(lagging)
    for n, (t, item) in enumerate(zip(lagging, items), start=1):
        assert item.startswith(f"{n}．")
        assert item.endswith(f"（责任单位：{'、'.join(t.lead)}）")
        assert not re.search(r"[①-⑩]|[一二三四五]是|第\d+名", item), item

    # the annex list and the signature
    assert "附件：1．2022年区政府工作报告经济社会发展预期目标1-6月推进情况表" in texts
    assert "2．2022年区政府工作报告1-6月推进较为滞后的重点工作任务情况表" in texts
    assert _by_style(d, "落款") == ["区政府督查办", "2022年7月8日"]
    assert _by_style(d, "附件标记") == ["附件1", "附件2", "附件3"]

    # three annex tables, header + one row per item, numbered from 1
    t1, t2, t3 = d.tables
    assert len(t1.rows) == 1 + 10 and len(t2.rows) == 1 + c[LAGGING] and len(t3.rows) == 1 + 131 - c[LAGGING]
    assert [cell.text for cell in t2.rows[0].cells] == ["序号", "工作类别", "工作任务", "责任单位", "配合单位", "任务进展情况"]
    assert [cell.text for cell in t1.rows[0].cells] == ["序号", "预期目标", "责任单位", "进展情况"]
    for table in (t1, t2, t3):
        assert [row.cells[0].text for row in table.rows[1:]] == [str(i) for i in range(1, len(table.rows))]
    # units one per line: a task with several lead units has one paragraph per unit
    first = lagging[0]
    row = t2.rows[1].cells
    assert row[1].text == first.category and row[2].text == tidy(first.task)
    assert [p.text for p in row[3].paragraphs] == first.lead
    assert [p.text for p in row[4].paragraphs] == (first.coop or [""])
    multi = next(i for i, t in enumerate(sorted([t for t in m.tasks if t not in lagging], key=lambda t: t.id))
                 if len(t.coop) >= 3)
    assert len(t3.rows[1 + multi].cells[4].paragraphs) >= 3


def test_override_changes_the_report(filled, tmp_path):
    m, _ = filled
    before = _make(m, tmp_path, "前.docx")
    c = _status_counts(m)
    on_track = next(t for t in m.tasks if t.entry(PERIOD).effective_status == "正常推进")
    lagging = next(t for t in m.tasks if t.entry(PERIOD).effective_status == LAGGING)
    assert not any(tidy(on_track.task) in x for x in _texts(before))
    on_track.entry(PERIOD).override = LAGGING
    lagging.entry(PERIOD).override = "正常推进"
    after = _make(m, tmp_path, "后.docx")
    texts = _texts(after)
    assert any(tidy(on_track.task).rstrip("。") in x and "（责任单位：" in x for x in texts)
    assert not any(tidy(lagging.task).rstrip("。") in x and "（责任单位：" in x for x in texts)
    assert f"{c['正常推进']}项任务正常推进（详见附件3）" in "".join(texts)  # one in, one out
    # the engine's own status is unchanged: the report followed the override
    assert on_track.entry(PERIOD).status == "正常推进"
    ids_in_annex2 = [r.cells[2].text for r in after.tables[1].rows[1:]]
    assert any(tidy(on_track.task) in x for x in ids_in_annex2)
    assert not any(tidy(lagging.task) in x for x in ids_in_annex2)


# ---------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------

def _east_asia(style) -> str:
    rfonts = style.element.rPr.find(qn("w:rFonts"))
    return rfonts.get(qn("w:eastAsia"))


def test_official_formatting(filled, tmp_path):
    m, _ = filled
    d = _make(m, tmp_path)
    first, annexes = d.sections[0], d.sections[-1]
    cm = lambda length: round(length / 360000, 2)  # noqa: E731  EMU → cm
    assert (cm(first.page_width), cm(first.page_height)) == (21.0, 29.7)
    assert (cm(first.top_margin), cm(first.bottom_margin), cm(first.left_margin), cm(first.right_margin)) == (
        3.7, 3.5, 2.8, 2.6)
    assert cm(annexes.page_width) == 29.7 and cm(annexes.top_margin) == 3.7  # annex tables on landscape pages

    styles = d.styles
    assert _east_asia(styles["Title"]) == "方正小标宋简体" and styles["Title"].font.size.pt == 22
    assert _east_asia(styles["Body Text"]) == "仿宋_GB2312" and styles["Body Text"].font.size.pt == 16
    assert _east_asia(styles["Heading 1"]) == "黑体" and _east_asia(styles["Heading 2"]) == "楷体_GB2312"
    body = styles["Body Text"].paragraph_format
    assert body.line_spacing.pt == 28 and body.line_spacing_rule == 4  # WD_LINE_SPACING.EXACTLY
    assert styles["表格正文"].font.size.pt <= 12 and _east_asia(styles["表格正文"]) == "仿宋_GB2312"
    # the text takes its look from the styles: no run of the body carries its own font
    assert all(r.font.name is None and r.font.size is None for p in d.paragraphs for r in p.runs)

    # page numbers "— PAGE —" right on odd pages and left on even pages
    assert d.settings.odd_and_even_pages_header_footer
    for footer in (first.footer, first.even_page_footer):
        xml = footer._element.xml
        assert "PAGE" in xml and "— " in xml and " —" in xml

    # tables: borders (Table Grid), header row repeated, rows not split, fixed widths
    grid = styles["Table Grid"].element.xml
    assert all(f"<w:{side} w:val=\"single\"" in grid for side in ("top", "bottom", "insideH", "insideV"))
    for table in d.tables:
        trs = table._tbl.findall(qn("w:tr"))
        assert trs[0].find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
        assert all(tr.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None for tr in trs)
        assert table.style.name == "Table Grid"

    # font fallbacks declared for machines without the GB2312 fonts
    font_table = next(p for p in d.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml").blob.decode()
    assert re.search(r'w:name="方正小标宋简体">\s*<w:altName w:val="宋体"/>', font_table)
    assert re.search(r'w:name="仿宋_GB2312">\s*<w:altName w:val="仿宋"/>', font_table)


def test_staff_template_restyles_the_report(filled, tmp_path):
    m, _ = filled
    from duban.report import template_path

    tpl = docx.Document(str(template_path()))
    tpl.styles["Body Text"].font.size = docx.shared.Pt(15)
    tpl.sections[0].left_margin = docx.shared.Cm(3.0)
    custom = tmp_path / "我的模板.docx"
    tpl.save(str(custom))
    d = _make(m, tmp_path, template=custom)
    assert d.styles["Body Text"].font.size.pt == 15
    assert round(d.sections[0].left_margin / 360000, 2) == 3.0
    assert TITLE in _texts(d)
    assert "这是报告模板" not in "".join(_texts(d))  # the template's sample text is cleared

    # a plain Word document as template: the missing styles are supplied
    plain = tmp_path / "空白.docx"
    docx.Document().save(str(plain))
    d = _make(m, tmp_path, "空白模板报告.docx", template=plain)
    assert _by_style(d, "附件标记") == ["附件1", "附件2", "附件3"]
    assert _east_asia(d.styles["表格正文"]) == "仿宋_GB2312"


def test_template_is_rebuilt_by_its_script(tmp_path):
    """templates/make_report_template.py builds a template with every style the report uses."""
    from duban.templates.make_report_template import STYLE_NAMES, build_template

    path = build_template(tmp_path / "t.docx")
    d = docx.Document(str(path))
    names = {s.name for s in d.styles}
    assert set(STYLE_NAMES) <= names
    assert _east_asia(d.styles["Heading 2"]) == "楷体_GB2312"


# ---------------------------------------------------------------------------
# LibreOffice
# ---------------------------------------------------------------------------

def _pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", out)


@needs_lo
def test_pdf_with_libreoffice_has_title_and_lagging_list(filled, tmp_path):
    m, path = filled
    long_task = next(t for t in m.tasks if t.entry(PERIOD).effective_status == LAGGING)
    long_task.entry(PERIOD).progress = "截至6月底，完成投资3.2亿元。" + "项目推进中遇到征地拆迁困难，正在协调。" * 300 + "尾部标记XYZ。"
    with open_store(path) as s:
        save_master(s, m)
    out = tmp_path / "报告.docx"
    r = CliRunner().invoke(cli, ["report", str(path), "-o", str(out), "--pdf"])
    assert r.exit_code == 0, r.output
    pdf = tmp_path / "报告.pdf"
    assert pdf.exists() and f"已转换 PDF：{pdf}" in r.output
    text = _pdf_text(pdf)
    assert TITLE in text
    assert "推进较为滞后的" in text and "附件3" in text
    lagging = [t for t in m.tasks if t.entry(PERIOD).effective_status == LAGGING]
    for t in lagging:
        assert re.sub(r"\s+", "", tidy(t.task))[:15] in text, t.id
    # a progress text longer than a page breaks across pages instead of being cut off
    assert "尾部标记XYZ" in text
    assert "—1—" in text  # the page number field was rendered
    # none of the official fonts is installed here: LibreOffice substituted the CJK font there is
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "WenQuanYi" in fonts or "wqy" in fonts.lower(), fonts
    png = render_page_png(pdf, tmp_path / "第1页.png")
    assert png and png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pdf_without_libreoffice_says_so(filled, tmp_path):
    _, path = filled
    out = tmp_path / "报告.docx"
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))  # the venv only: no soffice on PATH
    proc = subprocess.run([str(Path(sys.executable).parent / "duban"), "report", str(path), "-o", str(out), "--pdf"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert out.exists() and not out.with_suffix(".pdf").exists()
    assert "未生成 PDF：未找到 LibreOffice（soffice）" in proc.stdout
    assert proc.stdout.count("未生成 PDF") == 1  # said once, not "未生成 PDF：…，未生成 PDF。"


# ---------------------------------------------------------------------------
# edge cases
# ---------------------------------------------------------------------------

def test_no_lagging_task(filled, tmp_path):
    m, _ = filled
    _set_all(m, "正常推进")
    d = _make(m, tmp_path)
    texts = _texts(d)
    assert "131项重点工作任务中，131项任务正常推进（详见附件2），暂无推进较为滞后的任务。" in texts
    assert _by_style(d, "Heading 2") == []
    assert _by_style(d, "附件标记") == ["附件1", "附件2"]
    assert "2．2022年区政府工作报告1-6月正常推进重点工作任务情况表" in texts
    assert len(d.tables) == 2 and len(d.tables[1].rows) == 132
    # a purely on-track annex needs no status mark in the progress cells
    assert not d.tables[1].rows[1].cells[4].text.startswith("【")


def test_every_task_lagging(filled, tmp_path):
    m, _ = filled
    _set_all(m, LAGGING)
    d = _make(m, tmp_path)
    texts = _texts(d)
    assert "131项重点工作任务中，131项任务推进较为滞后（详见附件2）。" in texts
    items = [t for t in texts if re.match(r"\d+．", t) and "（责任单位：" in t]
    assert len(items) == 131 and items[-1].startswith("131．")
    assert len(d.tables) == 2 and len(d.tables[1].rows) == 132
    assert _by_style(d, "附件标记") == ["附件1", "附件2"]


def test_returns_from_the_log(filled, tmp_path):
    m, _ = filled
    m.log = []
    opening = _texts(_make(m, tmp_path, "无.docx"))[3]
    assert "本期向51个责任单位收集了进展情况。经逐项梳理研判" in opening and "报送记录" not in opening
    from duban.dashboard import recipients
    from duban.model import LogRow

    m.log = [LogRow(PERIOD, u, "f.xlsx", "0" * 64, "2022-07-05 10:00:00", "采用") for u in recipients(m)]
    m.log.append(LogRow("1-3月", "区科技局", "f.xlsx", "0" * 64, "2022-04-05 10:00:00", "采用"))
    opening = _texts(_make(m, tmp_path, "全.docx"))[3]
    assert "本期向51个责任单位收集进展情况，51个单位均已报送。" in opening
    m.log = m.log[:10]  # many outstanding: the first eight named, then the count
    opening = _texts(_make(m, tmp_path, "少.docx"))[3]
    assert "已收到10个单位报送的材料（报送率19.6%）" in opening and "等41个单位尚未报送。" in opening
    assert opening.count("、") == 7


def test_period_not_judged_yet(filled, tmp_path):
    m, _ = filled
    m.add_period("1-9月")
    facts = report_facts(m, "1-9月")
    assert facts.unjudged == 141
    d = build_report(m, "1-9月", facts=facts)
    texts = [p.text for p in d.paragraphs]
    assert "1-9月，10项指标尚未研判，分别是：地区生产总值增长5.5%左右" in "".join(texts)
    assert "131项重点工作任务中，131项任务尚未研判，已列入附件2，并在“任务进展情况”栏注明。" in texts


def test_very_long_progress_text(filled, tmp_path):
    m, _ = filled
    t = next(t for t in m.tasks if t.entry(PERIOD).effective_status == LAGGING)
    long = "完成投资3亿元，" + "项目推进中遇到征地拆迁困难，正在加紧协调，" * 400 + "下一步加快建设。"
    t.entry(PERIOD).progress = long
    d = _make(m, tmp_path)
    lead = tidy(t.task).split("，")[0]  # only the lagging part of the task is named
    item = next(x for x in _texts(d) if lead in x)
    assert len(item) < len(tidy(t.task)) + 120  # a tight paragraph: a few clauses, none repeated
    assert item.count("征地拆迁困难") == 1
    row = next(r for r in d.tables[1].rows if tidy(t.task) in r.cells[2].text)
    assert row.cells[5].text == tidy(long)  # the annex keeps the whole text
    assert row._tr.find(qn("w:trPr")).find(qn("w:cantSplit")) is None  # too tall to keep on one page


def test_indicator_without_a_number(filled):
    m, _ = filled
    ind = m.indicators[9]  # 节能减排降碳完成年度目标任务
    assert indicator_phrase(ind, PERIOD) == "节能减排降碳工作按计划推进"
    ind.entry(PERIOD).progress = "各项工作有序推进"
    assert indicator_phrase(ind, PERIOD) == "节能减排降碳各项工作有序推进"
    ind.entry(PERIOD).progress = ""
    ind.entry(PERIOD).override = "符合时间节点要求"
    assert indicator_phrase(ind, PERIOD) == "节能减排降碳完成年度目标任务"
    gdp = m.indicators[0]
    gdp.entry(PERIOD).progress = ""
    gdp.entry(PERIOD).amount = "4.1%"
    attach(m, PERIOD)  # the engine's evidence for the text as it is now (as the report does)
    assert indicator_phrase(gdp, PERIOD, master=m) == "地区生产总值增长4.1%"
    gdp.entry(PERIOD).amount = "-0.8%"
    attach(m, PERIOD)
    assert indicator_phrase(gdp, PERIOD, master=m) == "地区生产总值下降0.8%"
    text = " ".join(x for x in _texts(build_report(m, PERIOD)))
    assert "节能减排降碳完成年度目标任务" in text


def test_key_sentence_prefers_a_figure_over_a_date(filled):
    m, _ = filled
    t = m.tasks[0]
    t.entry(PERIOD).progress = "截至6月底，各项工作有序推进。已引进研发机构3家,高新技术企业5家。下一步加大力度。"
    assert key_sentence(t, PERIOD) == "已引进研发机构3家，高新技术企业5家。"
    t.entry(PERIOD).progress = "区科技局：正在筹建实验室\n区发展改革委：已完成立项"
    assert key_sentence(t, PERIOD) == "正在筹建实验室。"
    t.entry(PERIOD).progress = ""
    t.entry(PERIOD).reason = "未报送进展情况"
    assert key_sentence(t, PERIOD) == "未报送进展情况。"


def test_cli_errors(filled, tmp_path):
    _, path = filled
    runner = CliRunner()
    r = runner.invoke(cli, ["report", str(path), "-o", str(tmp_path / "报告.pdf")])
    assert r.exit_code == 1 and "报告文件名应以 .docx 结尾" in r.output
    r = runner.invoke(cli, ["report", str(path), "--period", "1-9月", "-o", str(tmp_path / "r.docx")])
    assert r.exit_code == 1 and "主表中没有期次“1-9月”" in r.output
    r = runner.invoke(cli, ["report", str(path), "-o", str(tmp_path / "r.docx"), "--date", "七月"])
    assert r.exit_code == 1 and "成文日期" in r.output
    assert not (tmp_path / "r.docx").exists()


def test_report_while_master_is_open(filled, tmp_path):
    m, path = filled
    owner = path.with_name("~$" + path.name)  # what Excel leaves beside an open workbook
    owner.write_text("x")
    before = path.read_bytes()
    r = CliRunner().invoke(cli, ["report", str(path), "-o", str(tmp_path / "r.docx"), "--xlsx", str(tmp_path / "a.xlsx")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "r.docx").exists() and (tmp_path / "a.xlsx").exists()
    assert "主表正在使用中，未刷新“统计”表" in r.output
    assert path.read_bytes() == before


def test_demo_writes_the_report(tmp_path):
    from duban.demo import run_demo

    lines = []
    ctx = run_demo(tmp_path / "演示", echo=lines.append)
    made = dict(ctx["made"])
    assert made["报告"].exists() and made["报告附件"].exists()
    d = docx.Document(str(made["报告"]))
    assert d.paragraphs[1].text == TITLE
    text = "".join(p.text for p in d.paragraphs)
    assert "尚未研判" not in text  # the demo judged the period before reporting
    assert "项任务推进较为滞后（详见附件2）" in text and len(d.tables) == 3
    if find_soffice():
        assert made["报告 PDF"].exists()
        if shutil.which("pdftoppm"):
            assert made["报告第1页"].read_bytes()[:4] == b"\x89PNG"


@needs_lo
def test_demo_report_rendered_by_libreoffice(tmp_path):
    """The demo plays the staff, then its report goes through LibreOffice: pages and text layer."""
    from duban.demo import run_demo

    lines = []
    ctx = run_demo(tmp_path / "演示", echo=lines.append)
    made = dict(ctx["made"])
    settled = [x for x in lines if "演示人工研判：" in x and "人工研判为“" in x]
    assert settled and "  设置“报告日期”为 2022-07-15（期次截止后 15 天）。" in lines
    d = docx.Document(str(made["报告"]))
    texts = [p.text for p in d.paragraphs]
    counts = next(t for t in texts if t.startswith("131项重点工作任务中，"))
    assert "2022年7月15日" in texts
    everything = "".join(texts) + "".join(c.text for t in d.tables for r in t.rows for c in r.cells)
    assert "需人工研判" not in everything and "草稿" not in everything and "尚未研判" not in everything

    pdf = made["报告 PDF"]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    layer = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    per_page = [re.sub(r"\s+", "", x) for x in layer.split("\f")][:pages]
    assert len(per_page) == pages
    assert TITLE in per_page[0] and "一、10项经济社会发展预期目标情况" in per_page[0]
    assert re.sub(r"\s+", "", counts) in "".join(per_page[:3])  # the counts sentence, in the text layer
    signed = next(n for n, x in enumerate(per_page) if "2022年7月15日" in x)
    lagging = len([t for t in texts if re.match(r"\d+．", t) and "（责任单位：" in t])
    assert lagging >= 10 and signed + 1 <= 2 + lagging // 4  # one tight paragraph per item: ~5 items a page
    starts = [next(n for n, x in enumerate(per_page) if x.startswith(f"附件{k}") and f"附件{k}" not in x[3:12])
              for k in (1, 2, 3)]
    assert signed < starts[0] < starts[1] < starts[2] < pages
    assert f"—{pages}—" in per_page[-1]  # page numbers run to the end
    png = made["报告第1页"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_key_sentence_names_the_unit_whose_text_made_the_task_lag(filled):
    m, _ = filled
    t = m.task_by_id()[43]
    e = t.entry(PERIOD)
    e.progress = ("【区住房城乡建委】截至6月底，已完成公共停车位2750个，道路综合整治71公里。\n"
                  "【区城管局】前期手续办理中，用地指标尚未落实，进度滞后于计划。")
    e.status, e.reason = "推进较为滞后", "进展显示“进度滞后”"
    assert key_sentence(t, PERIOD) == "区城管局：前期手续办理中，用地指标尚未落实，进度滞后于计划。"
    e.reason = "新增5000个公共停车位：已完成公共停车位2750个，完成55%"  # no quoted evidence
    assert key_sentence(t, PERIOD) == "截至6月底，已完成公共停车位2750个，道路综合整治71公里。"

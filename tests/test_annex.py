"""The annex tables as an Excel workbook: content, print layout, LibreOffice opens it."""
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from duban.annex import LAGGING, Labelled, annex_tables, tidy, write_annex_xlsx
from duban.cli import cli
from duban.report import convert_to_pdf, find_soffice
from report_helpers import PERIOD, filled_master

needs_lo = pytest.mark.skipif(not find_soffice() or not shutil.which("pdftotext"),
                              reason="LibreOffice and poppler-utils are needed")


@pytest.fixture
def filled(tmp_path):
    return filled_master(tmp_path)


def _lagging(m):
    return [t for t in sorted(m.tasks, key=lambda t: t.id) if t.entry(PERIOD).effective_status == LAGGING]


def test_annex_workbook_content_and_print_setup(filled, tmp_path):
    m, path = filled
    out = tmp_path / "附件.xlsx"
    r = CliRunner().invoke(cli, ["report", str(path), "-o", str(tmp_path / "报告.docx"), "--xlsx", str(out)])
    assert r.exit_code == 0, r.output
    assert f"已生成附件表格：{out}" in r.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["附件1", "附件2", "附件3"]
    lagging = _lagging(m)
    expected_rows = {"附件1": 10, "附件2": len(lagging), "附件3": 131 - len(lagging)}
    for name, ws in zip(wb.sheetnames, wb.worksheets):
        assert ws["A1"].value == name
        assert "2022年区政府工作报告" in ws["A2"].value and "A2" in str(ws.merged_cells)
        assert ws.max_row == 3 + expected_rows[name]
        assert [c.value for c in ws[4]][0] == "1" and ws.cell(ws.max_row, 1).value == str(expected_rows[name])
        # printing: A4 landscape, one page wide, the header row repeated, borders and wrapping
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
        assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default and may be left out
        assert ws.print_title_rows == "$3:$3"
        cell = ws.cell(4, 2)
        assert cell.border.left.style == "thin" and cell.alignment.wrap_text
        assert max(ws.column_dimensions[c].width for c in "BCD") > 20
        assert ws.row_dimensions[4].height and ws.row_dimensions[4].height >= 18
    ws = wb["附件2"]
    assert [c.value for c in ws[3]] == ["序号", "工作类别", "工作任务", "责任单位", "配合单位", "任务进展情况"]
    first = lagging[0]
    assert ws["B4"].value == first.category and ws["C4"].value == tidy(first.task)
    assert ws["D4"].value.split("\n") == first.lead  # units one per line
    assert ws["F4"].value == tidy(first.entry(PERIOD).progress)
    multi = [r for r in wb["附件3"].iter_rows(min_row=4, values_only=True) if r[4] and r[4].count("\n") >= 2]
    assert multi
    assert [c.value for c in wb["附件1"][3]] == ["序号", "预期目标", "责任单位", "进展情况"]
    assert wb["附件1"]["D4"].value.startswith("【不达预期】上半年地区生产总值同比增长3.2%")
    # a status label is rich text in 黑体 (read from the XML: openpyxl flattens it)
    with zipfile.ZipFile(out) as z:
        shared = z.read("xl/sharedStrings.xml").decode()
    assert re.search(r'<rFont val="黑体"/>(?:(?!</r>).)*?<t[^>]*>【', shared)


def test_annex_tables_follow_the_override_and_close_up(filled, tmp_path):
    m, _ = filled
    for t in m.tasks:
        t.entry(PERIOD).override = "正常推进"
    tables = annex_tables(m, PERIOD)
    assert [(t.label, t.key, len(t.rows)) for t in tables] == [("附件1", "indicators", 10), ("附件2", "others", 131)]
    m.tasks[4].entry(PERIOD).override = LAGGING
    tables = annex_tables(m, PERIOD)
    assert [(t.label, len(t.rows)) for t in tables] == [("附件1", 10), ("附件2", 1), ("附件3", 130)]
    assert tables[1].rows[0][1:3] == [m.tasks[4].category, tidy(m.tasks[4].task)]
    out = write_annex_xlsx(tables, tmp_path / "a.xlsx")
    assert openpyxl.load_workbook(out).sheetnames == ["附件1", "附件2", "附件3"]


def test_unreported_and_manual_tasks_are_marked(filled):
    m, _ = filled
    tables = {t.key: t for t in annex_tables(m, PERIOD)}
    others = tables["others"]
    assert "及其他" in others.title
    marks = {row[5].label for row in others.rows if isinstance(row[5], Labelled)}
    assert marks == {"【已完成】", "【正常推进】"}
    unreported = [row for row in others.rows if not isinstance(row[5], Labelled)]
    assert unreported and all(row[5] == "未报送" for row in unreported)  # once, plainly
    # a draft made before staff settled a task shows its open status
    m.tasks[0].entry(PERIOD).override = ""
    m.tasks[0].entry(PERIOD).status = "需人工研判"
    row = next(r for r in {t.key: t for t in annex_tables(m, PERIOD)}["others"].rows if r[2] == tidy(m.tasks[0].task))
    assert row[5].label == "【需人工研判】"


def test_very_long_text_in_the_workbook(filled, tmp_path):
    m, _ = filled
    t = _lagging(m)[0]
    t.entry(PERIOD).progress = "征地拆迁协调难度大，" * 800
    out = write_annex_xlsx(annex_tables(m, PERIOD), tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(out)["附件2"]
    assert ws["F4"].value == tidy(t.entry(PERIOD).progress)
    assert 408 <= ws.row_dimensions[4].height <= 409  # Excel's maximum row height


def test_tidy_punctuation():
    assert tidy("落地,引进机数科技等8家;孵化(含)") == "落地，引进机数科技等8家；孵化（含）"
    assert tidy("增长3.5, 4.0") == "增长3.5, 4.0"  # between numbers: left alone
    assert tidy("见 http://x.cn/a,b") == "见 http://x.cn/a,b"


@needs_lo
def test_libreoffice_opens_the_annex_workbook(filled, tmp_path):
    m, _ = filled
    out = write_annex_xlsx(annex_tables(m, PERIOD), tmp_path / "附件.xlsx")
    pdf = convert_to_pdf(out)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout)
    assert "2022年区政府工作报告1-6月推进较为滞后的重点工作任务情况表" in text
    assert re.sub(r"\s+", "", tidy(_lagging(m)[0].task))[:12] in text
    assert "—1—" in text  # the page footer

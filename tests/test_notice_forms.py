""".docx and .xlsx notices, made here from the bundled text, give the same model."""
import docx
import openpyxl
import pytest

from duban.demo import sample_notice
from duban.errors import NoticeError
from duban.notice import read_notice


@pytest.fixture(scope="module")
def text_notice():
    return read_notice(sample_notice())


def _model(n):
    return ([(i.id, i.target, i.units) for i in n.indicators],
            [(t.id, t.category, t.task, t.lead, t.coop) for t in n.tasks])


def _make_docx(n, path):
    doc = docx.Document()
    doc.add_paragraph("重庆市沙坪坝区人民政府办公室关于印发2022年区政府工作报告目标任务的通知")
    doc.add_paragraph("附件1")
    t1 = doc.add_table(rows=1, cols=3)
    for c, h in zip(t1.rows[0].cells, ["序号", "2022年预期目标", "责任单位"]):
        c.text = h
    for i in n.indicators:
        r = t1.add_row().cells
        r[0].text, r[1].text, r[2].text = str(i.id), i.target, "".join(i.units)
    doc.add_paragraph("附件2")
    t2 = doc.add_table(rows=1, cols=5)
    hdr = t2.rows[0].cells
    hdr[0].text = "序号"
    merged = hdr[1].merge(hdr[2])
    merged.text = "工作任务"
    hdr[3].text, hdr[4].text = "牵头单位", "配合单位"
    start, prev = None, None
    for t in n.tasks:
        row = t2.add_row()
        c = row.cells
        c[0].text = str(t.id)
        c[2].text = t.task
        c[3].text = "".join(t.lead)
        c[4].text = "".join(t.coop)
        if t.category != prev:
            c[1].text = t.category
            start, prev = row, t.category
        else:
            # vertically merged category cell, as Word tables show it
            start.cells[1].merge(c[1])
            start.cells[1].text = t.category
    doc.save(path)


def test_docx_gives_same_model(tmp_path, text_notice):
    p = tmp_path / "通知.docx"
    _make_docx(text_notice, p)
    assert _model(read_notice(p)) == _model(text_notice)


def _make_xlsx(n, path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "附件2"
    ws.append(["2022年区政府工作报告重点工作任务分解表"])
    ws.append(["序号", "工作任务", None, "牵头单位", "配合单位"])
    ws.merge_cells("B2:C2")
    first = {}
    for t in n.tasks:
        ws.append([t.id, t.category if t.category not in first else None, t.task, "".join(t.lead), "".join(t.coop)])
        first.setdefault(t.category, ws.max_row)
    # merge each category's cells vertically
    rows = {}
    for r in range(3, ws.max_row + 1):
        tid = ws.cell(r, 1).value
        cat = n.tasks[tid - 1].category
        rows.setdefault(cat, []).append(r)
    for cat, rs in rows.items():
        if len(rs) > 1:
            ws.merge_cells(start_row=rs[0], start_column=2, end_row=rs[-1], end_column=2)
    ws2 = wb.create_sheet("附件1")
    ws2.append(["序号", "预期目标", "责任单位"])
    for i in n.indicators:
        ws2.append([i.id, i.target, "".join(i.units)])
    wb.save(path)


def test_xlsx_gives_same_model(tmp_path, text_notice):
    p = tmp_path / "通知.xlsx"
    _make_xlsx(text_notice, p)
    ind, tasks = _model(read_notice(p))
    assert tasks == _model(text_notice)[1]
    assert sorted(ind) == sorted(_model(text_notice)[0])


def test_columns_found_by_header_not_position(tmp_path):
    """Another government's layout: 编号, 重点工作, a single 责任单位 column, 责任领导, 完成时限."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["完成时限", "编号", "责任领导", "重点工作", "责任单位"])
    ws.append(["2022年6月底", 1, "张三", "新建12个社区食堂", "区民政局区商务委（区招商中心）各镇街"])
    ws.append(["2022年12月底", 2, "李四", "完成5所学校改造", "区教委"])
    p = tmp_path / "other.xlsx"
    wb.save(p)
    n = read_notice(p)
    t1, t2 = n.tasks
    assert t1.lead == ["区民政局"] and t1.coop == ["区商务委（区招商中心）", "各镇街"]
    assert (t1.leader, t1.deadline) == ("张三", "2022年6月底")
    assert t2.lead == ["区教委"] and t2.coop == []


def test_xlsx_row_with_missing_task(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "工作任务", "牵头单位", "配合单位"])
    ws.append([1, "新建3个社区体育公园", "区体育局", "各有关镇街"])
    ws.append([2, None, "区教委", None])
    p = tmp_path / "missing.xlsx"
    wb.save(p)
    with pytest.raises(NoticeError, match=r"第3行：序号 2 的工作任务为空"):
        read_notice(p)


def test_not_a_real_docx(tmp_path):
    p = tmp_path / "假.docx"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(NoticeError, match="不是有效的 Word 文档"):
        read_notice(p)

"""The master workbook: layout, round trip, staff edits surviving, re-import, locking."""
import json

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from duban.demo import sample_notice
from duban.errors import MasterError, MasterLocked
from duban.importer import init_master
from duban.master import S_TASKS, S_UNITS, load_master, save_master
from duban.store import open_store


@pytest.fixture
def master_path(tmp_path):
    p = tmp_path / "主表.xlsx"
    init_master(sample_notice(), p)
    return p


def test_sheets_and_layout(master_path):
    wb = openpyxl.load_workbook(master_path)
    assert wb.sheetnames == ["说明", "预期目标", "重点任务", "单位", "报送记录", "设置"]
    ws = wb[S_TASKS]
    assert [c.value for c in ws[2]][:8] == ["序号", "工作类别", "工作任务", "牵头单位", "配合单位", "责任领导", "完成时限", "导入提示"]
    assert ws.freeze_panes == "D3"
    assert ws.print_title_rows == "$1:$2"
    assert ws.page_setup.orientation == "landscape"
    assert ws["D12"].value == "区科技局"  # task 10
    assert ws["D13"].value == "区委组织部（区人才办）\n区人力社保局"  # task 11: one per line


def test_round_trip_gives_same_model(master_path):
    with open_store(master_path, write=False) as s:
        m = load_master(s)
    n_json = m.to_json()
    m.add_period("1-6月")
    m.tasks[0].entry("1-6月").progress = "=HYPERLINK(\"http://x\")已引进研发机构5家"
    m.tasks[0].entry("1-6月").override = "正常推进"
    m.indicators[0].entry("1-6月").amount = "5.1%"
    with open_store(master_path) as s:
        save_master(s, m)
    with open_store(master_path, write=False) as s:
        m2 = load_master(s)
    assert m2.to_json() == m.to_json()
    assert [t["lead"] for t in n_json["tasks"]] == [t.lead for t in m2.tasks]
    # unit text never becomes a live formula
    wb = openpyxl.load_workbook(master_path)
    assert all(c.data_type != "f" for row in wb[S_TASKS].iter_rows() for c in row)


def test_staff_edits_survive(master_path):
    wb = openpyxl.load_workbook(master_path)
    ws = wb[S_TASKS]
    ws.cell(2, 30, "我的备注列")
    ws.cell(5, 30, "请周一前核实")
    ws["C5"].comment = Comment("重点关注", "督查办")
    ws["C6"].fill = PatternFill("solid", fgColor="FFFF00")
    ws.column_dimensions["C"].width = 77
    wb.save(master_path)

    with open_store(master_path) as s:
        m = load_master(s)
        m.add_period("1-3月")
        m.tasks[2].entry("1-3月").progress = "已完成规划方案"
        save_master(s, m)

    wb = openpyxl.load_workbook(master_path)
    ws = wb[S_TASKS]
    assert ws.cell(2, 30).value == "我的备注列" and ws.cell(5, 30).value == "请周一前核实"
    assert ws["C5"].comment.text == "重点关注"
    assert ws["C6"].fill.fgColor.rgb.endswith("FFFF00")
    assert ws.column_dimensions["C"].width == 77
    headers = [c.value for c in ws[2]]
    # the new block was placed after the staff column, not over it
    assert headers.index("1-3月进展情况") > 30 - 1
    assert ws.cell(5, headers.index("1-3月进展情况") + 1).value == "已完成规划方案"


def test_export_shape(master_path):
    with open_store(master_path, write=False) as s:
        data = load_master(s).to_json()
    json.dumps(data, ensure_ascii=False)
    assert set(data) >= {"year", "periods", "indicators", "tasks", "units"}
    t = data["tasks"][0]
    assert set(t) >= {"id", "category", "task", "lead", "coop", "flags", "periods"}
    assert set(data["units"][0]) >= {"name", "kind", "aliases", "members", "email"}


def test_units_sheet_merges_visible(master_path):
    with open_store(master_path, write=False) as s:
        m = load_master(s)
    idx = m.unit_index()
    assert idx["区商务委（区招商中心）"].name == "区商务委"
    assert idx["工投公司"].name == "区工投公司"
    assert "自动合并" in idx["工投公司"].note
    assert idx["各镇街"].kind == "群体" and idx["各镇街"].members == []
    assert idx["覃家岗街道"].kind == "镇街"


def test_reimport_uses_staff_corrections_and_keeps_progress(master_path):
    wb = openpyxl.load_workbook(master_path)
    ws = wb[S_UNITS]
    hdr = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "区文化旅游委":
            row[hdr.index("邮箱")].value = "wly@example.gov.cn"
    # staff decide that 工投公司 is not 区工投公司 after all: they split the merge
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "区工投公司":
            row[hdr.index("别名")].value = None
            row[hdr.index("备注")].value = None
    ws.append(["工投公司", "国有企业"])
    wb.save(master_path)
    with open_store(master_path) as s:
        m = load_master(s)
        m.add_period("1-6月")
        m.tasks[0].entry("1-6月").progress = "已引进研发机构5家"
        save_master(s, m)

    res = init_master(sample_notice(), master_path)
    assert res.reimport
    with open_store(master_path, write=False) as s:
        m = load_master(s)
    assert m.tasks[0].entry("1-6月").progress == "已引进研发机构5家"
    assert m.unit_index()["区文化旅游委"].email == "wly@example.gov.cn"
    # their correction wins: no automatic merge again
    assert m.canonical("工投公司") == "工投公司"
    assert m.canonical("区工投公司") == "区工投公司"


def test_not_a_master(tmp_path):
    p = tmp_path / "x.xlsx"
    openpyxl.Workbook().save(p)
    with pytest.raises(MasterError, match="这不是 duban 主表"):
        with open_store(p, write=False) as s:
            load_master(s)


def test_corrupt_master(tmp_path):
    p = tmp_path / "坏.xlsx"
    p.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(MasterError, match="已损坏"):
        with open_store(p, write=False) as s:
            load_master(s)


def test_open_in_excel_refuses_without_loss(master_path):
    before = master_path.read_bytes()
    (master_path.parent / ("~$" + master_path.name)).write_bytes(b"owner")
    with pytest.raises(MasterLocked, match="正在 Excel"):
        with open_store(master_path) as s:
            save_master(s, load_master(s))
    assert master_path.read_bytes() == before


def test_failed_write_leaves_master_untouched(master_path):
    before = master_path.read_bytes()
    with pytest.raises(RuntimeError):
        with open_store(master_path) as s:
            m = load_master(s)
            m.tasks[0].task = "改掉"
            save_master(s, m)
            raise RuntimeError("boom in the middle")
    assert master_path.read_bytes() == before
    assert not list(master_path.parent.glob(".*.duban.lock"))


def test_backup_kept(master_path):
    with open_store(master_path) as s:
        m = load_master(s)
        m.add_period("1-3月")
        save_master(s, m)
    backups = list((master_path.parent / ".duban备份").glob("*.xlsx"))
    assert len(backups) == 1


def test_new_period_block_is_sized_for_reading(master_path):
    from openpyxl.utils import get_column_letter

    with open_store(master_path) as s:
        m = load_master(s)
        m.add_period("1-6月")
        save_master(s, m)
    ws = openpyxl.load_workbook(master_path)[S_TASKS]
    headers = [c.value for c in ws[2]]
    width = lambda title: ws.column_dimensions[get_column_letter(headers.index(title) + 1)].width
    assert width("1-6月进展情况") == 45 and width("1-6月研判理由") == 32 and width("1-6月人工研判") == 12

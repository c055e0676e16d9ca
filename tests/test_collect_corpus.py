"""A corpus of bad and odd returns, made by code: every outcome and message asserted, nothing lost.

A baseline master has every unit's first return consolidated. Each case copies it,
collects the case's inputs and checks (1) the result and message of every file,
(2) that no consolidated value changed except those the case is meant to change,
(3) that the master holds no formula. Cases marked ``cli`` (the hostile-input findings
of issue 13) run through `duban collect` itself: exit code 0, no traceback, every
reason printed in the summary and written to 报送记录.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
from click.testing import CliRunner

from duban.cli import cli
from duban.collect import ACCEPTED, PENDING, REFUSED, SKIPPED, SUPERSEDED, TRUNCATED_MARK, collect
from duban.master import load_master
from duban.returns import EXCEL_CELL_LIMIT
from duban.store import open_store
from duban.vba import build_vba_project, document_module

from returns_factory import (PERIOD, T0, bomb_zip, deep_multipart, default_values, eml, eml_raw_name, eml_rfc2231_name,
                             encrypted_ooxml, encrypted_zip, forwarded, gbk_zip, master_with_period, nested_rfc822, outlook_msg,
                             plain_zip, replace_in_xlsx, resigned, return_book, to_bytes, with_entity_bomb, write_file,
                             write_return, xlsx_with_member)

T1 = T0 + timedelta(days=1)
BASE_UNITS = ["区科技局", "区教委", "中梁镇", "凤凰镇", "区财政局"]


def load(path: Path):
    with open_store(path, write=False) as s:
        return load_master(s)


def snapshot(m) -> dict:
    out = {}
    for kind, items in (("t", m.tasks), ("i", m.indicators)):
        for it in items:
            e = it.entry(PERIOD)
            out[(kind, it.id)] = {k: getattr(e, k) for k in ("progress", "amount", "problems", "self_eval", "coop", "source")}
    return out


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    d = tmp_path_factory.mktemp("baseline")
    path = master_with_period(d / "主表.xlsx")
    m = load(path)
    for u in BASE_UNITS:
        write_return(d / "in" / f"{u}.xlsx", m, u, when=T0)
    r = collect(path, [d / "in"])
    assert r.counts[ACCEPTED] == len(BASE_UNITS), r.summary_lines()
    m = load(path)
    return path, m, snapshot(m), d / "in"


# ---------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------

def book(m, unit, **kw) -> bytes:
    return to_bytes(return_book(m, unit, **kw))


def v2(m, unit, **kw) -> bytes:
    return book(m, unit, version=2, **kw)


def on_tasks(fn: Callable) -> Callable:
    """A mutate callback acting on the task sheet."""
    return lambda wb: fn(wb["重点任务"])


def col(ws, title: str) -> int:
    return [c.value for c in ws[1]].index(title) + 1


def insert_blank_rows(ws):
    ws.insert_rows(2, 2)
    ws.append([])
    ws.append([])


def delete_second_row(ws):
    ws.delete_rows(3)


def reorder(ws):
    a = [c.value for c in ws[2]]
    b = [c.value for c in ws[3]]
    for i, v in enumerate(b, 1):
        ws.cell(2, i).value = v
    for i, v in enumerate(a, 1):
        ws.cell(3, i).value = v


def extra_column(ws):
    ws.insert_cols(2)
    ws.cell(1, 2).value = "单位自加备注"
    ws.cell(2, 2).value = "这一列不是填报列"


def merged_id(ws):
    ws.insert_rows(3)
    ws.cell(3, col(ws, "本期进展情况")).value = "续写的第二段"
    ws.merge_cells(start_row=2, start_column=1, end_row=3, end_column=1)


def merged_other(ws):
    ws.merge_cells(start_row=2, start_column=2, end_row=3, end_column=2)
    ws.merge_cells(start_row=1, start_column=4, end_row=1, end_column=5)  # 牵头单位+配合单位 header


def wide(ws):
    ws.column_dimensions["H"].width = 120
    ws.row_dimensions[2].height = 200


def title_rows(ws):
    ws.insert_rows(1, 2)
    ws["A1"] = "区科技局2022年1-6月进展反馈表"


def text_outside(ws):
    c = col(ws, "本期进展情况")
    for r in (2, 3, 4):
        for k in ("本期进展情况", "完成量", "存在问题及下步打算", "自评"):
            ws.cell(r, col(ws, k)).value = None
    ws.cell(2, ws.max_column + 1).value = "写到表外的进展"
    del c


def edit_task_text(ws):
    for r in (2, 3, 4):
        v = ws.cell(r, col(ws, "工作任务")).value
        if v:
            ws.cell(r, col(ws, "工作任务")).value = v + "（单位改写）"
            ws.cell(r, col(ws, "工作任务")).data_type = "s"  # task 5 starts with "="


def edit_first_task_text(ws):
    ws.cell(2, col(ws, "工作任务")).value = "单位自己改写的任务"


def set_id(value):
    def f(ws):
        ws.cell(2, 1).value = value
    return f


def duplicate_row(different: bool):
    def f(ws):
        vals = [c.value for c in ws[2]]
        if different:
            vals[col(ws, "本期进展情况") - 1] = "另一种说法"
        ws.append(vals)
    return f


def row_without_id(ws):
    ws.cell(ws.max_row + 1, col(ws, "本期进展情况")).value = "没有序号的一行"


def drop_readme(wb):
    del wb["填报说明"]


def rename_header(ws):
    ws.cell(1, col(ws, "本期进展情况")).value = "进展"


def rebuild_as_sheet1(wb):
    ws = wb["重点任务"]
    ws.title = "Sheet1"
    ws["A1"] = "编号"


def number_and_date(ws):
    ws.cell(2, col(ws, "本期进展情况")).value = 12.5
    ws.cell(2, col(ws, "完成量")).value = datetime(2022, 6, 30)


def rename_sheet(title):
    def f(wb):
        wb["重点任务"].title = title
    return f


def blank_all(ws):
    for r in range(2, ws.max_row + 1):
        for k in ("本期进展情况", "完成量", "存在问题及下步打算", "自评"):
            ws.cell(r, col(ws, k)).value = None


def macro_xlsm(m) -> bytes:
    vba = build_vba_project([document_module("ThisWorkbook", "Private Sub Workbook_Open()\r\nShell \"calc\"\r\nEnd Sub")])
    return xlsx_with_member(v2(m, "区科技局"), "xl/vbaProject.bin", vba)


def xlsx_bomb(m) -> bytes:
    import io
    import zipfile

    data = v2(m, "区科技局")
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info, src.read(info))
        info = zipfile.ZipInfo("xl/media/image1.png", date_time=(2022, 7, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w") as f:
            for _ in range(20):
                f.write(b"\0" * (1 << 20))
    return buf.getvalue()


# ---------------------------------------------------------------------------
# the corpus
# ---------------------------------------------------------------------------

@dataclass
class Case:
    id: str
    build: Callable  # (master model, inbox folder) -> None
    expect: list  # [(result, text in the reason), …] in file order
    changed: dict = field(default_factory=dict)  # {("t", id): {field: value, None (rewritten) or a check}} allowed changes
    supersedes: int = 0  # baseline log rows that become 被新版本替代
    cli: bool = False  # run through `duban collect` (exit code, no traceback, the reason printed)


def f(name, data_fn, when=T1):
    """A build step writing one file: data_fn(m) -> bytes."""
    return lambda m, d: write_file(d / name, data_fn(m), when)


def files(*steps):
    def run(m, d):
        for s in steps:
            s(m, d)
    return run


V2 = lambda unit, i: default_values(unit, i, 2)  # noqa: E731
SCIENCE_V2 = {("t", 1): {**V2("区科技局", 1), "source": None}, ("t", 2): {**V2("区科技局", 2), "source": None},
              ("t", 5): {"coop": None, "source": None}}


def only(changes: dict, *keys) -> dict:
    return {k: v for k, v in changes.items() if k in keys}


CASES = [
    # -- broken or foreign files ---------------------------------------------------------
    Case("empty_file", f("区科技局.xlsx", lambda m: b""), [(REFUSED, "空文件")]),
    Case("text_as_xlsx", f("区科技局.xlsx", lambda m: "这是一段文字".encode()), [(REFUSED, "不是 Excel 工作簿")]),
    Case("html_as_xls", f("区科技局.xls", lambda m: b"<html><table><tr><td>1</td></tr></table></html>"),
         [(REFUSED, "网页或文本文件")]),
    Case("zip_not_workbook", f("区科技局.xlsx", lambda m: plain_zip([("a.txt", b"hello")])),
         [(REFUSED, "缺少 xl/workbook.xml")]),
    Case("truncated", f("区科技局.xlsx", lambda m: v2(m, "区科技局")[:3000]), [(REFUSED, "文件损坏")]),
    Case("truncated_tail", f("区科技局.xlsx", lambda m: v2(m, "区科技局")[:-30]), [(REFUSED, "文件损坏")]),
    Case("garbage_ole", f("区科技局.xls", lambda m: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100),
         [(REFUSED, "文件损坏")]),
    Case("encrypted_xlsx", f("区科技局.xlsx", lambda m: encrypted_ooxml()), [(REFUSED, "设置了打开密码")]),
    Case("word_ole", f("区科技局.doc", lambda m: b"x"), [(REFUSED, "不支持的文件类型")]),
    Case("pdf", f("区科技局.pdf", lambda m: b"%PDF-1.4"), [(REFUSED, "不支持的文件类型")]),
    Case("xlsx_bomb", f("区科技局.xlsx", xlsx_bomb), [(REFUSED, "疑似压缩炸弹")]),
    Case("zip_bomb_bundle", f("反馈.zip", lambda m: bomb_zip(size=20 * 1024 * 1024)), [(REFUSED, "疑似压缩炸弹")]),
    Case("corrupt_zip_bundle", f("反馈.zip", lambda m: plain_zip([("区科技局.xlsx", v2(m, "区科技局"))])[:-40]),
         [(REFUSED, "不是完整的 zip 压缩包")]),
    Case("encrypted_zip_bundle", f("反馈.zip", lambda m: encrypted_zip([("区科技局.xlsx", v2(m, "区科技局"))])),
         [(REFUSED, "加了密码的压缩包")]),
    Case("zip_without_workbook", f("反馈.zip", lambda m: plain_zip([("说明.docx", b"x")])), [(REFUSED, "压缩包中没有反馈表")]),
    Case("xml_entity_bomb", f("区科技局.xlsx", lambda m: with_entity_bomb(v2(m, "区科技局", tasks={1: "MARK"}), "MARK")),
         [(REFUSED, "含有实体定义")]),
    Case("macro_xlsm", f("区科技局.xlsm", macro_xlsm), [(ACCEPTED, "含有宏（未运行）")], SCIENCE_V2, 1),
    # -- identity and signature ---------------------------------------------------------
    Case("wrong_period", f("区科技局.xlsx", lambda m: v2(m, "区科技局", period="7-9月")), [(REFUSED, "期次不符")]),
    Case("wrong_year", f("区科技局.xlsx", lambda m: _wrong_year(m)), [(REFUSED, "年度不符")]),
    Case("tampered_unit", f("区教委.xlsx", lambda m: v2(m, "区科技局", meta_edit={"单位": "区教委"})),
         [(REFUSED, "签名不符")]),
    Case("tampered_ids", f("区科技局.xlsx", lambda m: v2(m, "区科技局", meta_edit={"任务序号": "1,2,3,4,5"})),
         [(REFUSED, "签名不符")]),
    Case("tampered_period", f("区科技局.xlsx", lambda m: v2(m, "区科技局", period="7-9月", meta_edit={"期次": PERIOD})),
         [(REFUSED, "签名不符")]),
    Case("other_master_secret", f("区科技局.xlsx", lambda m: v2(m, "区科技局", secret="another-master")),
         [(REFUSED, "不是本主表生成的反馈表")]),
    Case("unsigned_meta", f("区科技局.xlsx", lambda m: v2(m, "区科技局", meta="unsigned")), [(REFUSED, "签名不符")]),
    Case("unknown_unit_signed", f("区不存在局.xlsx", lambda m: v2(m, "区不存在局")), [(REFUSED, "主表“单位”表中没有这个单位")]),
    Case("copy_of_other_units_file", f("区教委.xlsx", lambda m: v2(m, "区科技局")),
         [(REFUSED, "疑似复制了其他单位的反馈表")]),
    # an unsigned copy never replaces the unit's signed, adopted return: it waits for staff (待确认)
    Case("no_meta_name_in_file", f("区科技局-反馈.xlsx", lambda m: v2(m, "区科技局", meta="none")),
         [(PENDING, "按文件名识别为“区科技局”")]),
    Case("no_meta_alias_in_file", f("区科学技术局.xlsx", lambda m: v2(m, "区科技局", meta="none")),
         [(PENDING, "识别为“区科技局”")]),
    Case("no_meta_name_in_sheet", f("反馈表.xlsx", lambda m: v2(m, "区科技局", meta="none", mutate=rename_sheet("区科技局"))),
         [(PENDING, "按工作表名识别")]),
    Case("no_meta_no_name", f("反馈表.xlsx", lambda m: v2(m, "区科技局", meta="none", mutate=drop_readme)), [(REFUSED, "无法识别是哪个单位")]),
    Case("no_meta_wrong_period_name", f("区科技局7-9月.xlsx", lambda m: v2(m, "区科技局", meta="none")),
         [(REFUSED, "文件名写的期次是“7-9月”")]),
    Case("no_meta_not_assigned", f("区教委.xlsx", lambda m: v2(m, "区科技局", meta="none")),
         [(REFUSED, "不是“区教委”负责的")]),
    # -- rows ------------------------------------------------------------------------------
    Case("inserted_blank_rows", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(insert_blank_rows))),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("deleted_row", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(delete_second_row))),
         [(ACCEPTED, "采用任务 2 项")], only(SCIENCE_V2, ("t", 1), ("t", 5)), 1),
    Case("reordered_rows", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(reorder))),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("extra_column", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(extra_column))),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("merged_id_cells", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(merged_id))),
         [(ACCEPTED, "采用任务 3 项")],
         {**SCIENCE_V2, ("t", 1): {**V2("区科技局", 1), "progress": V2("区科技局", 1)["progress"] + "\n续写的第二段",
                                   "source": None}}, 1),
    Case("merged_other_cells", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(merged_other))),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("changed_widths", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(wide))),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("title_rows_above_header", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(title_rows))),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("text_in_adjacent_column", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(text_outside))),
         [(REFUSED, "该列没有表头，未采用")]),
    Case("edited_task_text", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(edit_first_task_text))),
         [(ACCEPTED, "任务内容被修改")], only(SCIENCE_V2, ("t", 2), ("t", 5)), 1),
    Case("all_task_texts_edited", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(edit_task_text))),
         [(REFUSED, "没有可以采用的内容（各行均有问题")]),
    Case("tampered_row_id_not_assigned", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(set_id(4)))),
         [(ACCEPTED, "序号不属于本单位")], only(SCIENCE_V2, ("t", 2), ("t", 5)), 1),
    Case("unknown_row_id", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(set_id(99)))),
         [(ACCEPTED, "主表中没有序号为99的任务")], only(SCIENCE_V2, ("t", 2), ("t", 5)), 1),
    Case("bad_row_id", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(set_id("一")))),
         [(ACCEPTED, "序号“一”无法识别")], only(SCIENCE_V2, ("t", 2), ("t", 5)), 1),
    Case("duplicated_rows_different_text", f("区科技局.xlsx",
                                             lambda m: v2(m, "区科技局", mutate=on_tasks(duplicate_row(True)))),
         [(ACCEPTED, "序号都是1且内容不同")], only(SCIENCE_V2, ("t", 2), ("t", 5)), 1),
    Case("duplicated_rows_same_text", f("区科技局.xlsx",
                                        lambda m: v2(m, "区科技局", mutate=on_tasks(duplicate_row(False)))),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("row_without_id", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(row_without_id))),
         [(ACCEPTED, "有内容但没有序号")], SCIENCE_V2, 1),
    Case("renamed_progress_header", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(rename_header))),
         [(REFUSED, "没有“本期进展情况”列")]),
    Case("no_task_sheet", f("区科技局.xlsx", lambda m: v2(m, "区科技局", meta="none", mutate=rebuild_as_sheet1)),
         [(REFUSED, "找不到“重点任务”工作表")]),
    Case("all_blank", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(blank_all))),
         [(REFUSED, "列都是空的")]),
    Case("number_and_date_cells", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(number_and_date))),
         [(ACCEPTED, "采用任务 3 项")],
         {**SCIENCE_V2, ("t", 1): {**V2("区科技局", 1), "progress": "12.5", "amount": "2022-06-30", "source": None}}, 1),
    # -- untrusted text --------------------------------------------------------------------
    Case("formula_like_text", f("区科技局.xlsx", lambda m: v2(m, "区科技局", tasks={1: "=cmd|' /C calc'!A0", 2: "@SUM(1)"})),
         [(ACCEPTED, "不会作为公式计算")],
         {("t", 1): {"progress": "=cmd|' /C calc'!A0", "source": None}, ("t", 2): {"progress": "@SUM(1)", "source": None}}, 1),
    Case("control_characters", f("区科技局.xlsx", lambda m: v2(m, "区科技局", tasks={1: "进展_x0007_正常_x001B_推进"})),
         [(ACCEPTED, "删除了控制字符")], {("t", 1): {"progress": "进展正常推进", "source": None}}, 1),
    Case("text_too_long", f("区科技局.xlsx", lambda m: replace_in_xlsx(v2(m, "区科技局", tasks={1: "LONGTEXT"}), "LONGTEXT", "长" * 40000)),
         [(ACCEPTED, "超过 Excel 单元格上限 32767")],
         {("t", 1): {"progress": "长" * EXCEL_CELL_LIMIT, "source": None}}, 1),
    # -- resubmission and duplicates ----------------------------------------------------------
    Case("same_file_again", lambda m, d: shutil.copy(BASELINE_IN[0] / "区科技局.xlsx", d / "再发一次.xlsx"),
         [(SKIPPED, "报送记录中已有完全相同的文件")]),
    Case("same_file_twice_in_batch", files(f("a区科技局.xlsx", lambda m: v2(m, "区科技局")),
                                           f("b区科技局.xlsx", lambda m: v2(m, "区科技局"))),
         [(ACCEPTED, "采用任务 3 项"), (SKIPPED, "完全相同")], SCIENCE_V2, 1),
    Case("older_version_later", f("区科技局.xlsx", lambda m: v2(m, "区科技局"), when=T0 - timedelta(days=2)),
         [(SUPERSEDED, "报送记录中已采用的较新版本")]),
    Case("partial_resubmission", f("区科技局.xlsx", lambda m: v2(m, "区科技局", tasks={1: "只更新任务1"})),
         [(ACCEPTED, "采用任务 1 项")], {("t", 1): {"progress": "只更新任务1", "source": None}}, 1),
    Case("multi_lead_resubmission", f("凤凰镇.xlsx", lambda m: v2(m, "凤凰镇", tasks={3: "凤凰镇新进展"}, indicators={})),
         [(ACCEPTED, "采用任务 1 项")],
         {("t", 3): {"progress": "【中梁镇】" + default_values("中梁镇", 3, 1)["progress"] + "\n【凤凰镇】凤凰镇新进展",
                     "source": None}}, 1),
    Case("coop_resubmission", f("区财政局.xlsx", lambda m: v2(m, "区财政局", tasks={1: "财政局新的配合进展"})),
         [(ACCEPTED, "采用任务 1 项")], {("t", 1): {"coop": "【区财政局】财政局新的配合进展", "source": None}}, 1),
    Case("two_versions_in_batch", files(f("区科技局v2.xlsx", lambda m: v2(m, "区科技局", tasks={1: "二版"})),
                                        f("区科技局v3.xlsx", lambda m: book(m, "区科技局", tasks={1: "三版"}),
                                          when=T1 + timedelta(hours=1))),
         [(SUPERSEDED, "有更新的版本（区科技局v3.xlsx）"), (ACCEPTED, "采用任务 1 项")],
         {("t", 1): {"progress": "三版", "source": None}}, 1),
    # -- containers and names ------------------------------------------------------------------
    Case("eml_with_attachment", f("回复.eml", lambda m: eml([("区科技局.xlsx", v2(m, "区科技局"))], when=T1)),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("eml_without_attachment", f("回复.eml", lambda m: eml([], subject="报送：见正文")),
         [(REFUSED, "没有 .xlsx/.xlsm 附件")]),
    Case("eml_only_a_picture", f("回复.eml", lambda m: eml([("截图.png", b"\x89PNG")])), [(REFUSED, "没有 .xlsx/.xlsm 附件")]),
    Case("eml_chinese_attachment_name", f("回复.eml", lambda m: eml([("2022年1-6月区科技局进展反馈表（终稿）.xlsx",
                                                                     v2(m, "区科技局"))], when=T1)),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("eml_two_units", f("回复.eml", lambda m: eml([("区科技局.xlsx", v2(m, "区科技局", tasks={1: "科技"})),
                                                      ("区教委.xlsx", v2(m, "区教委", tasks={5: "教委"}, indicators={}))],
                                                     when=T1)),
         [(ACCEPTED, "采用任务 1 项"), (ACCEPTED, "采用任务 1 项")],
         {("t", 1): {"progress": "科技", "source": None}, ("t", 5): {"progress": "教委", "source": None}}, 2),
    Case("eml_with_zip", f("回复.eml", lambda m: eml([("反馈.zip", gbk_zip([("区科技局反馈.xlsx", v2(m, "区科技局"))]))],
                                                    when=T1)),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("outlook_msg_with_attachment", f("回复.msg", lambda m: outlook_msg([("区科技局.xlsx", v2(m, "区科技局"))], when=T1)),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("outlook_msg_without_attachment", f("回复.msg", lambda m: outlook_msg([], subject="见正文")),
         [(REFUSED, "（主题“见正文”）没有 .xlsx/.xlsm 附件")]),
    Case("outlook_msg_corrupt", f("回复.msg", lambda m: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
         [(REFUSED, "无法作为 Outlook 邮件读取")]),
    Case("gbk_zip", f("打包.zip", lambda m: gbk_zip([("2022年1-6月/区科技局进展反馈表.xlsx", v2(m, "区科技局")),
                                                   ("说明.txt", "请查收".encode("gbk"))])),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("zip_nested_folders_and_junk", f("打包.zip", lambda m: plain_zip([
        ("a/b/c/区科技局.xlsx", v2(m, "区科技局")), ("__MACOSX/a/b/c/._区科技局.xlsx", b"junk"),
        ("a/~$区科技局.xlsx", b"owner"), ("a/Thumbs.db", b"x")])),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("nested_folder", f("一级/二级/三级/区科技局.xlsx", lambda m: v2(m, "区科技局")),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("long_chinese_name", f("关于报送" + "沙坪坝区" * 12 + "区科技局进展情况的函.xlsx", lambda m: v2(m, "区科技局")),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
    Case("excel_owner_file_ignored", f("~$区科技局.xlsx", lambda m: b"owner file"), []),
    Case("bad_and_good_together", files(f("a坏.xlsx", lambda m: b"PK\x03\x04broken"),
                                        f("b区科技局.xlsx", lambda m: v2(m, "区科技局"))),
         [(REFUSED, "文件损坏"), (ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1),
]


def far_cell(ws):
    ws["XFD1048576"] = "远处的一个字"


def xls_far_cell(m, d):
    """An old .xls (LibreOffice's BIFF8) with one value in IV65536: 16.7 million cells for the reader."""
    import shutil as sh
    import subprocess
    import tempfile

    if not sh.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(dir=d.parent) as tmp:
        src = Path(tmp) / "区科技局.xlsx"
        wb = return_book(m, "区科技局", version=2)
        wb["重点任务"]["IV65536"] = "远处"
        wb.save(src)
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/lo", "--headless", "--convert-to", "xls",
                        "--outdir", tmp, str(src)], capture_output=True, timeout=300)
        out = Path(tmp) / "区科技局.xls"
        assert out.exists(), "soffice did not convert"
        write_file(d / "区科技局.xls", out.read_bytes(), T1)


def b64(text: str, charset: str) -> bytes:
    import base64

    return base64.b64encode(text.encode("gb18030" if charset == "gb2312" else charset))


def both_towns_long(m, d):
    """Task 3 (leads 中梁镇, 凤凰镇): each town writes 30,000 characters; together they exceed one cell."""
    write_file(d / "中梁镇.xlsx", v2(m, "中梁镇", tasks={3: "中" * 30000}), T1)
    write_file(d / "凤凰镇.xlsx", v2(m, "凤凰镇", tasks={3: "凤" * 30000}, indicators={}), T1 + timedelta(minutes=5))


def _both_towns_kept(cell: str) -> bool:
    from duban.store import utf16_len

    zl, fh = cell.split("\n【凤凰镇】")
    return (utf16_len(cell) <= EXCEL_CELL_LIMIT and zl.startswith("【中梁镇】中中中") and zl.endswith(TRUNCATED_MARK)
            and fh.startswith("凤凤凤") and fh.endswith(TRUNCATED_MARK) and abs(zl.count("中") - fh.count("凤")) < 5)


RARE = "\U00020000"  # 𠀀, CJK Extension B: two UTF-16 units in Excel's count

# Issue 13: what a hostile-input run of about 200 cases found. Each was reproduced first.
CASES += [
    # -- crashes that sank the whole batch ----------------------------------------------------
    Case("huge_id_range_unsigned", f("区科技局.xlsx", lambda m: v2(m, "区科技局", meta_edit={"任务序号": "1-1500000000"})),
         [(REFUSED, "签名不符")], cli=True),
    Case("huge_id_range_signed", f("区科技局.xlsx", lambda m: resigned(m, "区科技局", {"任务序号": "1-1500000000"}, version=2)),
         [(REFUSED, "序号超过 100000 个")], cli=True),
    Case("id_list_garbage_signed", f("区科技局.xlsx", lambda m: resigned(m, "区科技局", {"任务序号": "1,②,x-3"}, version=2)),
         [(REFUSED, "元数据无法识别")], cli=True),
    Case("circled_id", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(set_id("⑴")))),
         [(ACCEPTED, "序号“⑴”无法识别")], only(SCIENCE_V2, ("t", 2), ("t", 5)), 1, cli=True),
    Case("superscript_id", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(set_id("¹")))),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1, cli=True),  # NFKC: "¹" is "1"
    Case("fullwidth_id", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(set_id("１")))),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1, cli=True),
    Case("arabic_indic_id", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(set_id("١")))),
         [(ACCEPTED, "序号“١”无法识别")], only(SCIENCE_V2, ("t", 2), ("t", 5)), 1, cli=True),
    Case("five_thousand_digit_id", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(set_id("9" * 5000)))),
         [(ACCEPTED, "无法识别，该行未采用")], only(SCIENCE_V2, ("t", 2), ("t", 5)), 1, cli=True),
    Case("uffff_ufffe_in_cell", f("区科技局.xlsx", lambda m: replace_in_xlsx(replace_in_xlsx(
        v2(m, "区科技局", tasks={1: "进展MARK1正常MARK2推进"}), "MARK1", "\uffff"), "MARK2", "\ufffe")),
         [(ACCEPTED, "XML 不允许的字符（U+FFFE、U+FFFF）")], {("t", 1): {"progress": "进展正常推进", "source": None}}, 1, cli=True),
    Case("raw_c0_in_cell", f("区科技局.xlsx", lambda m: replace_in_xlsx(v2(m, "区科技局", tasks={1: "甲MARK乙"}), "MARK", "\x01\x1f")),
         [(ACCEPTED, "已删除")], {("t", 1): {"progress": "甲乙", "source": None}}, 1, cli=True),
    Case("far_cell_allocation_bomb", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=on_tasks(far_cell))),
         [(REFUSED, "范围达 1,048,576 行 × 16,384 列")], cli=True),
    Case("xls_far_cell_allocation", xls_far_cell, [(REFUSED, "范围达 65,536 行 × 256 列")], cli=True),
    Case("nested_rfc822_20_levels", f("转发.eml", lambda m: nested_rfc822(v2(m, "区科技局"), "区科技局.xlsx", 20)),
         [(REFUSED, "邮件结构嵌套超过 20 层")], cli=True),
    Case("nested_rfc822_5_levels", f("转发.eml", lambda m: nested_rfc822(v2(m, "区科技局"), "区科技局.xlsx", 5)),
         [(REFUSED, "嵌套超过 3 层")], cli=True),
    Case("multipart_30_levels", f("深.eml", lambda m: deep_multipart(30, ("keji.xlsx", v2(m, "区科技局")))),
         [(REFUSED, "邮件结构嵌套超过 20 层")], cli=True),
    Case("multipart_3000_levels", f("深.eml", lambda m: deep_multipart(3000)), [(REFUSED, "无法作为邮件读取")], cli=True),
    # -- text silently changed or lost --------------------------------------------------------
    Case("literal_ooxml_escape", f("区科技局.xlsx", lambda m: v2(m, "区科技局", tasks={1: "_x005F_x0041_ 与 _x005F_x000D_ 照原样"})),
         [(ACCEPTED, "采用任务 1 项")], {("t", 1): {"progress": "_x0041_ 与 _x000D_ 照原样", "source": None}}, 1, cli=True),
    Case("co_lead_cell_over_limit", both_towns_long,
         [(ACCEPTED, "采用任务 1 项"), (ACCEPTED, "已按比例截断")],
         {("t", 3): {"progress": _both_towns_kept, "source": None}}, 2, cli=True),
    Case("rare_cjk_counts_twice", f("区科技局.xlsx", lambda m: v2(m, "区科技局", tasks={1: RARE * 20000})),
         [(ACCEPTED, "有 40000 个字符")], {("t", 1): {"progress": RARE * (EXCEL_CELL_LIMIT // 2), "source": None}}, 1, cli=True),
    # -- valid returns that were refused ------------------------------------------------------
    Case("forwarded_three_times", f("转发.eml", lambda m: forwarded(v2(m, "区科技局"), "区科技局.xlsx", 3, when=T1)),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1, cli=True),
    Case("forwarded_six_times", f("转发.eml", lambda m: forwarded(v2(m, "区科技局"), "区科技局.xlsx", 6, when=T1)),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1, cli=True),
    Case("zip_with_a_deeper_copy_first", f("打包.zip", lambda m: plain_zip([
        ("1/a.zip", plain_zip([("b.zip", plain_zip([("c.zip", plain_zip([("区科技局.xlsx", v2(m, "区科技局"))]))]))])),
        ("2/区科技局.xlsx", v2(m, "区科技局"))])),
         [(ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1, cli=True),
    Case("forwarded_with_a_deep_other_file", f("转发.eml", lambda m: eml(
        [("区科技局.xlsx", v2(m, "区科技局")), ("深.eml", nested_rfc822(v2(m, "区教委"), "区教委.xlsx", 4))], when=T1)),
         [(ACCEPTED, "采用任务 3 项"), (REFUSED, "嵌套超过 3 层")], SCIENCE_V2, 1, cli=True),
    Case("renamed_task_sheet", f("区科技局.xlsx", lambda m: v2(m, "区科技局", mutate=rename_sheet("重点任务（区科技局）"))),
         [(ACCEPTED, "被改名为“重点任务（区科技局）”")], SCIENCE_V2, 1, cli=True),
    Case("raw_gbk_attachment_name", f("回复.eml", lambda m: eml_raw_name("区科技局.xlsx".encode("gbk"), v2(m, "区教委"), when=T1)),
         [(REFUSED, "疑似复制了其他单位的反馈表")], cli=True),  # the GBK name is read: 区科技局, not mojibake
    Case("raw_gbk_name_unsigned", f("回复.eml", lambda m: eml_raw_name("区科技局进展.xlsx".encode("gbk"),
                                                                      v2(m, "区科技局", meta="none"), when=T1)),
         [(PENDING, "按文件名识别为“区科技局”")], cli=True),
    Case("rfc2047_gb2312_holding_gbk", f("回复.eml", lambda m: eml_raw_name(
        b"=?gb2312?B?" + b64("区科技局镕.xlsx", "gb2312") + b"?=", v2(m, "区科技局", meta="none"), when=T1)),
         [(PENDING, "区科技局镕.xlsx")], cli=True),
    Case("rfc2231_gb2312_name", f("回复.eml", lambda m: eml_rfc2231_name("区科技局镕.xlsx", "gb2312",
                                                                        v2(m, "区科技局", meta="none"), when=T1)),
         [(PENDING, "区科技局镕.xlsx")], cli=True),
    # -- an unsigned copy never replaces a signed, adopted return -----------------------------
    Case("unsigned_copy_of_signed_unit", f("区科技局.xlsx", lambda m: v2(m, "区科技局", meta="none", tasks={1: "冒名的进展"})),
         [(PENDING, "为防冒名顶替，本文件未采用")], cli=True),
    Case("unsigned_and_signed_in_one_batch", files(
        f("a区科技局.xlsx", lambda m: v2(m, "区科技局", meta="none", tasks={1: "冒名的进展"}), when=T1 + timedelta(hours=1)),
        f("b区科技局.xlsx", lambda m: v2(m, "区科技局"))),
         [(PENDING, "待工作人员确认"), (ACCEPTED, "采用任务 3 项")], SCIENCE_V2, 1, cli=True),
]

BASELINE_IN: list[Path] = []


def _wrong_year(m) -> bytes:
    from duban import feedback_format as ff

    wb = return_book(m, "区科技局", version=2)
    meta = {ws.cell(r, 1).value: ws.cell(r, 2).value for ws in [wb[ff.META_SHEET]] for r in range(1, 9)}
    meta["年度"] = "2021"
    meta["签名"] = ff.sign(meta, m.settings["secret"])
    ws = wb[ff.META_SHEET]
    for r in range(1, 9):
        ws.cell(r, 2).value = meta[ws.cell(r, 1).value]
    return to_bytes(wb)


def test_corpus_is_large_enough():
    assert len(CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus(case: Case, baseline, tmp_path):
    base_path, base_model, base_snap, base_in = baseline
    BASELINE_IN[:] = [base_in]
    master = tmp_path / "主表.xlsx"
    shutil.copy(base_path, master)
    inbox = tmp_path / "收件"
    inbox.mkdir()
    case.build(base_model, inbox)
    base_log = load(base_path).log
    if case.cli:
        r = CliRunner().invoke(cli, ["collect", str(master), str(inbox)])
        assert r.exit_code == 0 and r.exception is None, (r.output, r.exception)
        assert "Traceback" not in r.output
        rows = load(master).log[len(base_log):]
        got = [(row.result, row.reason) for row in rows]
        names = [(row.file.split(" › ")[-1], row.file.split(" › ")[0]) for row in rows]
        printed = r.output
    else:
        result = collect(master, [inbox])
        got = [(o.result, o.reason) for o in result.outcomes]
        names = [(o.ret.input.name, o.ret.input.origin.split(" › ")[0].split("/")[-1]) for o in result.outcomes]
        printed = "\n".join(result.summary_lines())
    assert len(got) == len(case.expect), got
    for (res, reason), (want, text), (name, outer) in zip(got, case.expect, names):
        assert res == want, (name, reason)
        assert text in reason, (name, reason)
        assert text in printed, (name, printed)
        if res == REFUSED:  # the message says which file
            assert name in reason or outer in reason
    m = load(master)
    snap = snapshot(m)
    for key, before in base_snap.items():
        allowed = case.changed.get(key, {})
        for fld, value in before.items():
            if fld in allowed:
                if callable(allowed[fld]):
                    assert allowed[fld](snap[key][fld]), (key, fld, snap[key][fld][:200])
                elif allowed[fld] is not None:
                    assert snap[key][fld] == allowed[fld], (key, fld)
                else:
                    assert snap[key][fld] != value or not value, (key, fld)  # it was rewritten
            else:
                assert snap[key][fld] == value, (key, fld, "changed although it should not")
    # the baseline log rows are untouched unless superseded by this case
    assert [(r.sha256, r.unit) for r in m.log[:len(base_log)]] == [(r.sha256, r.unit) for r in base_log]
    superseded = sum(1 for a, b in zip(m.log, base_log) if a.result != b.result)
    assert superseded == (case.supersedes if any(w == ACCEPTED for w, _ in case.expect) else 0)
    new_rows = m.log[len(base_log):]
    assert len(new_rows) == sum(1 for w, _ in case.expect if w != SKIPPED)
    wb = openpyxl.load_workbook(master)
    assert not [c for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]

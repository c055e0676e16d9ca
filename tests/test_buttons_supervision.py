"""The 生成督办单 and 考核汇总 buttons, run headless on a real .xlsm master (the xlwings layer
is thin: the same entry points with a path), keeping the macros and buttons."""
from __future__ import annotations

import openpyxl
from report_helpers import fill_period
from test_buttons import assert_macros_kept, built, master  # noqa: F401

import duban.xl.buttons as buttons
from duban.master import load_master, save_master
from duban.notices import S_LEDGER
from duban.score import S_SCORE
from duban.store import open_store


def test_notices_and_score_buttons(master):  # noqa: F811
    with open_store(master) as store:
        m = load_master(store)
        fill_period(m)
        save_master(store, m)
    result = buttons.notices(str(master))
    assert not result.failed and result.title == "生成督办单"
    out = master.parent / "督办单" / "1-6月"
    assert result.outputs == [out]
    docs = sorted(out.glob("*.docx"))
    assert docs and (out / "2022年1-6月督办单汇总.xlsx").is_file()
    assert result.lines[0].startswith("1-6月督办单：共 ")
    wb = openpyxl.load_workbook(master, keep_vba=True)
    assert wb[S_LEDGER].max_row >= 2
    assert_macros_kept(master)
    again = buttons.notices(str(master))
    assert "本次新编号 0 份" in again.lines[0]

    result = buttons.score(str(master))
    assert not result.failed and result.title == "考核汇总"
    assert result.outputs[0].name == "2022年度督办考核汇总.xlsx" and result.outputs[0].is_file()
    assert openpyxl.load_workbook(master)[S_SCORE].cell(3, 1).value == "排名"
    assert_macros_kept(master)

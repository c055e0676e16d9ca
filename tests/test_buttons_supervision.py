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

    from duban.notices import load_ledger, save_ledger

    with open_store(master) as store:  # the notices' reply deadline has passed
        ledger = load_ledger(store)
        for n in ledger:
            n.reply_by = "2022-07-20"
        save_ledger(store, ledger)
    remind = buttons.remind(str(master))  # 催报 also lists the notices past their reply deadline
    assert any(line.startswith("超过回复期限仍未回复的督办单") for line in remind.lines)
    assert remind.saved_master
    assert_macros_kept(master)

    result = buttons.score(str(master))
    assert not result.failed and result.title == "考核汇总"
    assert result.outputs[0].name == "2022年度督办考核汇总.xlsx" and result.outputs[0].is_file()
    assert openpyxl.load_workbook(master)[S_SCORE].cell(3, 1).value == "排名"
    assert_macros_kept(master)


def test_notices_and_score_through_the_excel_store(tmp_path):
    """The Excel side (BufferedStore = XlwingsStore without xlwings): same ledger, nothing before commit."""
    from datetime import date

    from test_notices import build

    from duban.master import new_master_store
    from duban.notices import run_notices
    from duban.score import run_score
    from duban.store import MemoryStore
    from duban.xl.store import BufferedStore, MemoryBackend

    mem = MemoryStore()
    new_master_store(mem, build())
    backend = MemoryBackend({k: [list(r) for r in v] for k, v in mem.sheets.items()})
    store = BufferedStore(backend)
    result = run_notices(store, "1-6月", tmp_path / "督办单", today=date(2022, 7, 10))
    run_score(store, today=date(2022, 12, 31))
    assert S_LEDGER not in backend.sheets  # nothing reaches Excel before commit
    store.commit()
    ledger = backend.sheets[S_LEDGER]
    assert ledger[0][:3] == ["序号", "督办单编号", "颜色"]
    assert [row[1] for row in ledger[1:]] == [n.number for n in result.notices]
    assert backend.sheets[S_SCORE][2][0] == "排名"

"""The annual scorecard (`duban score`) against a table computed by hand, with every
deduction traced to its 报送记录 / 督办台账 row; the 考核 sheet, the workbook, the CLI."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from test_notices import P1, P2, build

from duban.cli import cli
from duban.master import load_master, new_master_store, save_master
from duban.model import LogRow
from duban.notices import Notice, load_ledger, save_ledger
from duban.report import convert_to_pdf, find_soffice
from duban.score import S_SCORE, run_score, score
from duban.store import open_store

TODAY = date(2022, 12, 31)

LOG = [  # sheet row = index + 2
    LogRow(P1, "区科技局", "a.xlsx", "1" * 64, "2022-07-05 10:00:00", "采用"),
    LogRow(P1, "区教委", "b.xlsx", "2" * 64, "2022-07-09 09:00:00", "采用"),  # late (deadline 7月7日)
    LogRow(P1, "区住房城乡建委", "c.xlsx", "3" * 64, "2022-07-03 09:00:00", "退回", reason="不是本期反馈表"),
    LogRow(P1, "区民政局", "d1.xlsx", "4" * 64, "2022-07-06 09:00:00", "被新版本替代"),  # on time: the first
    LogRow(P1, "区民政局", "d2.xlsx", "5" * 64, "2022-07-10 09:00:00", "采用"),
    LogRow(P1, "区财政局", "e.xlsx", "6" * 64, "2022-07-07 18:00:00", "采用"),  # on the deadline day
    LogRow(P2, "区科技局", "f.xlsx", "7" * 64, "2022-10-12 09:00:00", "采用"),  # late (deadline 10月8日)
    LogRow(P2, "区教委", "g.xlsx", "8" * 64, "2022-10-01 09:00:00", "采用"),
    LogRow(P2, "区民政局", "h.xlsx", "9" * 64, "2022-10-08 09:00:00", "采用"),
]


def notice(seq, colour, unit, task, period, reply_by, reply="", replied=""):
    return Notice(seq, f"督办〔2022〕第{seq}号", colour, unit, task, f"任务{task}", period, "推进较为滞后",
                  "2022-07-10", reply_by, reply=reply, replied=replied)


LEDGER = [  # sheet row = seq + 1
    notice(1, "黄", "区科技局", 1, P1, "2022-07-20", "已整改", "2022-07-18"),
    notice(2, "蓝", "区教委", 2, P1, "2022-07-20"),  # never answered
    notice(3, "红", "区住房城乡建委", 3, P1, "2022-07-20", "已整改", "2022-07-25"),  # answered late
    notice(4, "黄", "区财政局", 6, P1, "2022-07-20"),
    notice(5, "红", "区财政局", 6, P2, "2022-10-22"),
    notice(6, "黄", "区民政局", 6, P1, "2022-07-20", "加快推进", "2022-07-19"),
]

# Hand-computed: base 100, 迟报 0.5, 漏报 1, 蓝 0, 黄 1, 红 2, 逾期回复 1.
EXPECTED = [
    # rank, unit, points, 1-6月, 1-9月, deductions (item, period, points, source)
    (1, "区民政局", 99.0, "按时", "按时", [("黄色督办", P1, 1.0, "督办台账第7行（督办〔2022〕第6号）")]),
    (2, "区教委", 98.5, "迟报", "按时", [("迟报", P1, 0.5, "报送记录第3行"),
                                      ("督办逾期回复", P1, 1.0, "督办台账第3行（督办〔2022〕第2号）")]),
    (2, "区科技局", 98.5, "按时", "迟报", [("迟报", P2, 0.5, "报送记录第8行"),
                                       ("黄色督办", P1, 1.0, "督办台账第2行（督办〔2022〕第1号）")]),
    (4, "区住房城乡建委", 95.0, "漏报", "漏报", [
        ("漏报", P1, 1.0, "报送记录中没有区住房城乡建委1-6月的“采用”记录"),
        ("漏报", P2, 1.0, "报送记录中没有区住房城乡建委1-9月的“采用”记录"),
        ("红色督办", P1, 2.0, "督办台账第4行（督办〔2022〕第3号）"),
        ("督办逾期回复", P1, 1.0, "督办台账第4行（督办〔2022〕第3号）")]),
    (5, "区财政局", 94.0, "按时", "漏报", [
        ("漏报", P2, 1.0, "报送记录中没有区财政局1-9月的“采用”记录"),
        ("黄色督办", P1, 1.0, "督办台账第5行（督办〔2022〕第4号）"),
        ("督办逾期回复", P1, 1.0, "督办台账第5行（督办〔2022〕第4号）"),
        ("红色督办", P2, 2.0, "督办台账第6行（督办〔2022〕第5号）"),
        ("督办逾期回复", P2, 1.0, "督办台账第6行（督办〔2022〕第5号）")]),
]


@pytest.fixture
def master(tmp_path) -> Path:
    path = tmp_path / "主表.xlsx"
    m = build()
    m.log = list(LOG)
    for t in m.tasks:
        t.entry(P2).status = {1: "已完成", 3: "推进较为滞后"}.get(t.id, "正常推进")
    with open_store(path, create=True) as store:
        new_master_store(store, m)
        save_ledger(store, [Notice(**{k: getattr(n, k) for k in n.__dataclass_fields__}) for n in LEDGER])
    return path


def test_score_formula_against_the_hand_computed_table(master):
    with open_store(master, write=False) as store:
        result = score(load_master(store), load_ledger(store), today=TODAY)
    got = [(u.rank, u.unit, u.points, u.returns[P1], u.returns[P2],
            [(d.item, d.period, d.points, d.source) for d in u.deductions if d.points]) for u in result.units]
    assert got == EXPECTED
    by = {u.unit: u for u in result.units}
    assert by["区教委"].notices["蓝"] == 1 and by["区财政局"].notices == {"黄": 1, "红": 1}
    assert by["区财政局"].overdue_replies == 2
    # tasks led and final verdicts: 区科技局 leads 1 (已完成 in 1-9月) and 4 (正常推进)
    assert by["区科技局"].tasks_led == 2 and by["区科技局"].verdicts == {"已完成": 1, "正常推进": 1}
    assert by["区住房城乡建委"].verdicts == {"推进较为滞后": 1}
    assert result.formula() == "得分 = 基础分100 − 迟报×0.5 − 漏报×1 − 黄色督办×1 − 红色督办×2 − 逾期回复×1（系数在“设置”表中修改）"


def test_weights_come_from_the_settings(master):
    with open_store(master) as store:
        m = load_master(store)
        m.settings.update(score_base=60, score_red=5, score_blue=0.25)
        save_master(store, m, parts=("settings",))
    with open_store(master, write=False) as store:
        result = score(load_master(store), load_ledger(store), today=TODAY)
    by = {u.unit: u for u in result.units}
    assert by["区住房城乡建委"].points == 60 - 1 - 1 - 5 - 1
    assert by["区教委"].points == 60 - 0.5 - 0.25 - 1


def test_a_period_not_yet_due_is_not_missing(master):
    with open_store(master, write=False) as store:
        result = score(load_master(store), load_ledger(store), today=date(2022, 10, 5))
    by = {u.unit: u for u in result.units}
    assert by["区财政局"].returns[P2] == "未到期"
    assert not [d for d in by["区财政局"].deductions if d.item == "漏报"]


def test_score_sheet_and_workbook(master, tmp_path):
    out = tmp_path / "考核汇总.xlsx"
    with open_store(master) as store:
        run_score(store, xlsx=out, today=TODAY)
    ws = openpyxl.load_workbook(master)[S_SCORE]
    assert ws.cell(3, 1).value == "排名" and ws.cell(3, 4).value == "得分"
    assert [(ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 4).value) for r in range(4, 9)] == [
        (rank, unit, points) for rank, unit, points, *_ in EXPECTED]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    detail = next(i for i, row in enumerate(values) if row[0] == "单位" and row[4] == "依据")
    assert values[detail + 1][:5] == ["区民政局", "黄色督办", P1, 1, "督办台账第7行（督办〔2022〕第6号）"]
    assert sum(1 for row in values[detail + 1:] if row[0]) == sum(len(e[5]) for e in EXPECTED)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["考核汇总", "扣分明细"]
    assert [wb["考核汇总"].cell(r, 2).value for r in range(4, 9)] == [e[1] for e in EXPECTED]
    if find_soffice():
        for f in (out, master):
            assert convert_to_pdf(f, tmp_path / "pdf").stat().st_size > 0


def test_cli_score(master, tmp_path):
    r = CliRunner().invoke(cli, ["score", str(master), "--year", "2022", "--date", "2022-12-31",
                                 "--xlsx", str(tmp_path / "k.xlsx")])
    assert r.exit_code == 0, r.output
    assert "1. 区民政局 99 分" in r.output and "5. 区财政局 94 分" in r.output
    r = CliRunner().invoke(cli, ["score", str(master), "--year", "2023"])
    assert r.exit_code == 1 and "主表是2022年度的" in r.output
    r = CliRunner().invoke(cli, ["score", str(master), "--xlsx", str(tmp_path / "k.csv")])
    assert r.exit_code == 1 and "应以 .xlsx 结尾" in r.output

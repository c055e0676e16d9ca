"""The multi-period view: status and light per period and the notice history in the 统计
sheet and in `export --json`, and 连续滞后 in the report of the second lagging period."""
from __future__ import annotations

import json

import docx
import openpyxl
from click.testing import CliRunner
from test_notices import ISSUE, ISSUE2, P1, P2, edit, master, notices_run, second_period  # noqa: F401

from duban.cli import cli
from duban.history import consecutive_lagging
from duban.master import load_master
from duban.store import open_store


def two_periods(path, tmp_path):
    notices_run(path, P1, tmp_path / "o1", ISSUE)
    edit(path, lambda m: second_period(m, {1: "推进较为滞后", 7: "推进较为滞后"}))
    notices_run(path, P2, tmp_path / "o2", ISSUE2)


def test_export_json_has_each_period_and_the_notice_history(master, tmp_path):  # noqa: F811
    two_periods(master, tmp_path)
    r = CliRunner().invoke(cli, ["export", str(master)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    t1 = next(t for t in data["tasks"] if t["id"] == 1)
    assert {k: (v["effective_status"], v["light"]) for k, v in t1["periods"].items()} == {
        P1: ("推进较为滞后", "黄"), P2: ("推进较为滞后", "黄")}
    assert [(h["number"], h["colour"], h["period"], h["status"]) for h in t1["notices"]] == [
        ("督办〔2022〕第1号", "黄", P1, "已升级"), (t1["notices"][1]["number"], "红", P2, "待回复")]
    assert len(data["notices"]) == len({n["number"] for n in data["notices"]}) >= 7
    assert data["notices"][0]["number"] == "督办〔2022〕第1号"


def test_dashboard_shows_every_period_and_the_notices(master, tmp_path):  # noqa: F811
    two_periods(master, tmp_path)
    r = CliRunner().invoke(cli, ["report", str(master), "--period", P2, "-o", str(tmp_path / "报告.docx")])
    assert r.exit_code == 0, r.output
    rows = [tuple(row) for row in openpyxl.load_workbook(master)["统计"].iter_rows(values_only=True)]
    at = next(i for i, row in enumerate(rows) if row[0] and "各期进展与督办记录" in str(row[0]))
    assert list(rows[at + 1][:8]) == ["工作任务", "牵头单位", "1-6月状态", "1-6月进度灯", "1-9月状态", "1-9月进度灯",
                                      "连续滞后", "督办记录"]
    task1 = rows[at + 2]
    assert task1[0].startswith("1．引进研发机构8家") and task1[2:7] == ("推进较为滞后", "黄", "推进较为滞后", "黄",
                                                                     "1-6月、1-9月")
    assert task1[7].startswith("督办〔2022〕第1号 黄 1-6月 区科技局 已升级；")


def test_report_lists_consecutive_lagging(master, tmp_path):  # noqa: F811
    two_periods(master, tmp_path)
    with open_store(master, write=False) as store:
        m = load_master(store)
    assert [t.id for t in consecutive_lagging(m, P2)] == [1]
    assert consecutive_lagging(m, P1) == []
    out = tmp_path / "报告.docx"
    r = CliRunner().invoke(cli, ["report", str(master), "--period", P2, "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = [p.text for p in docx.Document(str(out)).paragraphs]
    i = text.index("（三）连续滞后的1项任务")
    assert text[i + 1] == "以下1项任务1-6月、1-9月连续两期推进较为滞后，需重点督办："
    assert text[i + 2].startswith("1．引进研发机构8家（责任单位：区科技局；已发督办单督办〔2022〕第1号（黄色）、督办〔2022〕第")
    # the first period's report has no such part
    r = CliRunner().invoke(cli, ["report", str(master), "--period", P1, "-o", str(tmp_path / "r1.docx")])
    assert not any("连续滞后" in p.text for p in docx.Document(str(tmp_path / "r1.docx")).paragraphs)


def test_export_csv_has_the_ledger(master, tmp_path):  # noqa: F811
    import pandas as pd

    two_periods(master, tmp_path)
    r = CliRunner().invoke(cli, ["export", str(master), "--csv", str(tmp_path / "csv")])
    assert r.exit_code == 0, r.output
    ledger = pd.read_csv(tmp_path / "csv" / "督办台账.csv", encoding="utf-8-sig")
    assert list(ledger.columns[:3]) == ["序号", "督办单编号", "颜色"] and ledger.loc[0, "督办单编号"] == "督办〔2022〕第1号"
    tasks = pd.read_csv(tmp_path / "csv" / "重点任务.csv", encoding="utf-8-sig")
    assert len(tasks) == 2 * 7

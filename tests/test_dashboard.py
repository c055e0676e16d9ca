"""The 统计 sheet: counts, returns, change since the previous period, native charts; rebuilt each time."""
import re
import shutil
import subprocess
import zipfile
from collections import Counter

import openpyxl
import pytest
from click.testing import CliRunner

from duban.annex import LAGGING
from duban.cli import cli
from duban.dashboard import dashboard_data, refresh_dashboard, returns_for
from duban.master import S_STATS, S_TASKS, load_master, save_master
from duban.report import convert_to_pdf, find_soffice
from duban.store import MemoryStore, open_store
from report_helpers import PERIOD, filled_master

needs_lo = pytest.mark.skipif(not find_soffice() or not shutil.which("pdftotext"),
                              reason="LibreOffice and poppler-utils are needed")


@pytest.fixture
def filled(tmp_path):
    return filled_master(tmp_path)


def _refresh(path, period=PERIOD):
    with open_store(path) as store:
        m = load_master(store)
        data = refresh_dashboard(store, m, period)
    return m, data


def _table(ws, header: str) -> dict:
    """The two-column (or wider) table whose header cell in column A is ``header``: first col → rest."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == header)
    out = {}
    for r in rows[start + 1:]:
        if r[0] in (None, ""):
            break
        rest = list(r[1:])
        while rest and rest[-1] is None:
            rest.pop()
        out[r[0]] = rest
    return out


def _charts(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/chart")]


def test_counts_returns_and_charts(filled):
    m, path = filled
    _refresh(path)
    ws = openpyxl.load_workbook(path)[S_STATS]
    assert ws["A1"].value == "2022年区政府工作报告目标任务督办统计（1-6月）"

    tasks = Counter(t.entry(PERIOD).effective_status for t in m.tasks)
    overall = _table(ws, "重点任务状态")
    assert {k: v[0] for k, v in overall.items() if k != "合计"} == dict(tasks)
    assert overall["合计"][0] == 131
    inds = _table(ws, "预期目标状态")
    assert {k: v[0] for k, v in inds.items() if k != "合计"} == dict(Counter(
        i.entry(PERIOD).effective_status for i in m.indicators))

    # by category: one row per category, the status columns add up
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "工作类别")
    statuses = [h for h in header[2:] if h]
    cats = _table(ws, "工作类别")
    assert len(cats) == len({t.category for t in m.tasks})
    assert sum(v[0] for v in cats.values()) == 131
    for cat, v in cats.items():
        assert v[0] == sum(v[1:1 + len(statuses)])
        assert v[0] == sum(1 for t in m.tasks if t.category == cat)
    lagging_col = 1 + statuses.index(LAGGING)
    assert sum(v[lagging_col] for v in cats.values()) == tasks[LAGGING]

    # by lead unit: the units with lagging tasks first
    leads = _table(ws, "牵头单位")
    lag = [v[lagging_col] for v in leads.values()]
    assert lag == sorted(lag, reverse=True) and lag[0] >= 1
    assert leads["区科技局"][0] == sum(1 for t in m.tasks if "区科技局" in {m.canonical(u) for u in t.lead})

    # returns from 报送记录: recipients vs units with a 采用 row
    ret = _table(ws, "项目")
    assert ret["应报送单位（牵头单位及指标责任单位）"][0] == 51
    assert ret["已报送单位（报送记录中有“采用”）"][0] == 45
    assert ret["报送率"][0] == "88.2%"
    outstanding = list(_table(ws, "未报送单位"))
    assert outstanding == returns_for(m, PERIOD).outstanding and len(outstanding) == 6

    # native charts: a pie of the statuses and a stacked bar chart by category, on this sheet
    charts = _charts(path)
    assert len(charts) == 2
    assert any(re.search(r"<(c:)?pieChart>", c) for c in charts)
    bar = next(c for c in charts if re.search(r"<(c:)?barChart>", c))
    assert re.search(r'<(c:)?grouping val="stacked"/>', bar) and 'barDir val="bar"' in bar
    assert all("'统计'!" in c for c in charts)  # their data lives on the 统计 sheet
    assert "五、与上期" not in [r[0] for r in ws.iter_rows(values_only=True)]  # no previous period


def test_rebuilt_from_scratch_and_other_sheets_untouched(filled):
    m, path = filled
    _refresh(path)
    with open_store(path) as store:
        store.write(S_STATS, 900, 1, [["手工写的"]])
        before = store.read(S_TASKS)
    for t in m.tasks:  # fewer statuses than before: the tables shrink
        t.entry(PERIOD).override = "正常推进"
    with open_store(path) as store:
        save_master(store, m, parts=("tasks",))
    with open_store(path, write=False) as store:
        before = {name: store.read(name) for name in store.sheet_names() if name != S_STATS}
    with open_store(path) as store:
        refresh_dashboard(store, load_master(store), PERIOD)
    with open_store(path) as store:
        refresh_dashboard(store, load_master(store), PERIOD)
    with open_store(path, write=False) as store:
        assert {name: store.read(name) for name in store.sheet_names() if name != S_STATS} == before
    ws = openpyxl.load_workbook(path)[S_STATS]
    values = [v for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert "手工写的" not in values
    assert _table(ws, "重点任务状态") == {"正常推进": [131], "合计": [131]}
    assert len(_charts(path)) == 2  # the old charts went with the old data
    assert openpyxl.load_workbook(path).sheetnames.count(S_STATS) == 1


def test_change_since_previous_period(filled):
    m, path = filled
    m.add_period("1-3月")
    m.periods.sort(key=lambda p: p.end)
    assert [p.label for p in m.periods] == ["1-3月", "1-6月"]
    now = {t.id: t.entry(PERIOD).effective_status for t in m.tasks}
    newly_lagging = [i for i, s in now.items() if s == LAGGING][:2]
    newly_done = [i for i, s in now.items() if s == "已完成"][:1]
    recovered = [i for i, s in now.items() if s == "正常推进"][:3]
    for t in m.tasks:
        before = now[t.id]
        if t.id in newly_lagging or t.id in newly_done:
            before = "正常推进"
        elif t.id in recovered:
            before = LAGGING
        t.entry("1-3月").override = before
    data = dashboard_data(m, PERIOD)
    assert data.change.previous == "1-3月"
    assert [t.id for t in data.change.newly_lagging] == newly_lagging
    assert [t.id for t in data.change.newly_done] == newly_done
    assert [t.id for t in data.change.recovered] == recovered
    with open_store(path) as store:
        save_master(store, m)
        refresh_dashboard(store, m, PERIOD)
    ws = openpyxl.load_workbook(path)[S_STATS]
    assert "五、与上期（1-3月）相比" in [r[0] for r in ws.iter_rows(values_only=True)]
    change = _table(ws, "变化")
    assert (change["新增推进较为滞后"][0], change["新增已完成"][0], change["由滞后转为不滞后"][0]) == (2, 1, 3)
    listing = _table(ws, "变化")  # the first table; the listing below names the tasks
    rows = [r for r in ws.iter_rows(values_only=True) if r[0] == "新增推进较为滞后" and r[1] in newly_lagging]
    assert len(rows) == 2 and listing


def test_status_and_report_refresh_the_dashboard(filled, tmp_path):
    _, path = filled
    assert S_STATS not in openpyxl.load_workbook(path).sheetnames
    r = CliRunner().invoke(cli, ["status", str(path)])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(path)
    assert wb[S_STATS]["A1"].value.endswith("（1-6月）")
    r = CliRunner().invoke(cli, ["report", str(path), "-o", str(tmp_path / "r.docx")])
    assert r.exit_code == 0, r.output
    assert len(_charts(path)) == 2


def test_memory_store_gets_the_tables_without_charts(filled):
    m, path = filled
    with open_store(path, write=False) as store:
        mem = MemoryStore({name: store.read(name) for name in store.sheet_names()})
    tasks_before = [list(r) for r in mem.sheets[S_TASKS]]
    refresh_dashboard(mem, m, PERIOD)
    first = [list(r) for r in mem.sheets[S_STATS]]
    assert first[0] == ["2022年区政府工作报告目标任务督办统计（1-6月）"]
    assert first[3][0] == "一、总体情况"
    refresh_dashboard(mem, m, PERIOD)  # rebuilt, not appended
    assert mem.sheets[S_STATS][2:] == first[2:]
    assert mem.sheets[S_TASKS] == tasks_before


@needs_lo
def test_libreoffice_opens_the_master_with_its_dashboard(filled, tmp_path):
    _, path = filled
    _refresh(path)
    wb = openpyxl.load_workbook(path)
    pdf = convert_to_pdf(path, tmp_path / "pdf")
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout)
    assert "重点任务状态" in text and "二、报送情况" in text
    assert wb.sheetnames[-1] == S_STATS

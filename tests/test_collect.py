"""duban collect: consolidation rules, provenance, resubmission, idempotence, safety of the master."""
from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from duban import feedback_format as ff
from duban.cli import cli
from duban.collect import ACCEPTED, REFUSED, SKIPPED, SUPERSEDED, collect, consolidate, parse_labelled
from duban.errors import MasterLocked
from duban.intake import Input
from duban.master import S_LOG, load_master
from duban.returns import parse_return
from duban.store import open_store

from returns_factory import PERIOD, T0, eml, master_with_period, return_book, to_bytes, write_file, write_return


def load(path: Path):
    with open_store(path, write=False) as s:
        return load_master(s)


def entry(m, task_id: int):
    return m.task_by_id()[task_id].entry(PERIOD)


@pytest.fixture
def master(tmp_path):
    return master_with_period(tmp_path / "主表.xlsx")


def test_happy_path_values_provenance_log_archive(master, tmp_path):
    m = load(master)
    inbox = tmp_path / "收件"
    write_return(inbox / "区科技局.xlsx", m, "区科技局")
    write_return(inbox / "区教委.xlsx", m, "区教委", when=T0 + timedelta(hours=1))
    result = collect(master, [inbox])
    assert [o.result for o in result.outcomes] == [ACCEPTED, ACCEPTED]
    m = load(master)
    e1 = entry(m, 1)
    assert e1.progress == "区科技局任务1第1版进展：已完成60%"  # a single lead: no label
    assert e1.amount == "10个" and e1.problems == "区科技局问题1" and e1.self_eval == "正常推进"
    assert e1.source.startswith("【区科技局】区科技局.xlsx（2022-07-01 10:00:00，")
    # task 2's lead is written with an alias (区科学技术局) in the notice
    assert entry(m, 2).progress == "区科技局任务2第1版进展：已完成60%"
    # the indicator of 区教委
    ind = m.indicator_by_id()[1].entry(PERIOD)
    assert ind.progress == "区教委任务1第1版进展：已完成60%" and ind.amount == "10个"
    # 区科技局 cooperates on task 5: its text goes to the coop field, labelled
    e5 = entry(m, 5)
    assert e5.progress == "区教委任务5第1版进展：已完成60%"
    assert e5.coop.startswith("【区科技局】区科技局任务5第1版进展") and "完成量：50个" in e5.coop
    log = [r for r in m.log if r.period == PERIOD]
    assert sorted((r.unit, r.result, r.signature) for r in log) == [("区教委", ACCEPTED, "已验证"), ("区科技局", ACCEPTED, "已验证")]
    row = next(r for r in log if r.unit == "区科技局")
    assert row.received == "2022-07-01 10:00:00" and len(row.sha256) == 64 and row.file == "区科技局.xlsx"
    archived = tmp_path / row.archive
    assert archived.read_bytes() == (inbox / "区科技局.xlsx").read_bytes()
    assert archived.name.startswith("区科技局_20220701-100000_") and archived.parent.name == PERIOD
    assert result.outstanding == ["中梁镇", "凤凰镇"]


def test_multi_lead_cell_in_notice_order_and_resubmission(master, tmp_path):
    m = load(master)
    inbox = tmp_path / "in"
    # task 3 is led by 各镇街 = 中梁镇, 凤凰镇 (in that order); 凤凰镇 answers first
    write_return(inbox / "a.xlsx", m, "凤凰镇", tasks={3: "凤凰镇改厕300户"}, indicators={2: "增长7.1%"})
    collect(master, [inbox])
    assert entry(load(master), 3).progress == "【凤凰镇】凤凰镇改厕300户"
    write_return(inbox / "b.xlsx", m, "中梁镇", tasks={3: "中梁镇改厕200户\n第二行"}, when=T0 + timedelta(hours=2))
    collect(master, [inbox])
    e3 = entry(load(master), 3)
    assert e3.progress == "【中梁镇】中梁镇改厕200户\n第二行\n【凤凰镇】凤凰镇改厕300户"
    # 中梁镇 resubmits: only its part changes, 凤凰镇's stays, source names both files
    write_return(inbox / "c.xlsx", m, "中梁镇", tasks={3: "中梁镇改厕260户"}, when=T0 + timedelta(hours=5))
    r = collect(master, [inbox])
    assert [o.result for o in r.outcomes] == [SKIPPED, SKIPPED, ACCEPTED]
    m2 = load(master)
    e3 = entry(m2, 3)
    assert e3.progress == "【中梁镇】中梁镇改厕260户\n【凤凰镇】凤凰镇改厕300户"
    assert "【中梁镇】c.xlsx" in e3.source and "【凤凰镇】a.xlsx" in e3.source
    results = {(r.file, r.result) for r in m2.log}
    assert ("b.xlsx", SUPERSEDED) in results and ("c.xlsx", ACCEPTED) in results and ("a.xlsx", ACCEPTED) in results


def test_blank_cell_in_resubmission_keeps_earlier_text_and_older_file_only_fills(master, tmp_path):
    m = load(master)
    d = tmp_path / "in"
    write_return(d / "v1.xlsx", m, "区科技局", tasks={1: {"progress": "一版1", "amount": "3家"}, 2: "一版2"})
    write_return(d / "v2.xlsx", m, "区科技局", tasks={1: {"progress": "二版1"}, 2: ""}, when=T0 + timedelta(days=1))
    r = collect(master, [d])
    assert {o.file: o.result for o in r.outcomes} == {"v1.xlsx": SUPERSEDED, "v2.xlsx": ACCEPTED}
    m2 = load(master)
    assert entry(m2, 1).progress == "二版1" and entry(m2, 1).amount == "3家"
    assert entry(m2, 2).progress == "一版2"
    # an older version arriving later changes nothing that is already filled
    write_return(tmp_path / "old" / "v0.xlsx", m, "区科技局", tasks={1: "零版1", 2: "零版2"}, when=T0 - timedelta(days=3))
    r = collect(master, [tmp_path / "old"])
    assert r.outcomes[0].result == SUPERSEDED and "更新的版本" in r.outcomes[0].reason
    m3 = load(master)
    assert entry(m3, 1).progress == "二版1" and entry(m3, 2).progress == "一版2"
    assert [x.result for x in m3.log] == [SUPERSEDED, ACCEPTED, SUPERSEDED]


def test_newer_resubmission_marks_logged_row_superseded(master, tmp_path):
    m = load(master)
    write_return(tmp_path / "a" / "v1.xlsx", m, "区教委")
    collect(master, [tmp_path / "a"])
    write_return(tmp_path / "b" / "v2.xlsx", m, "区教委", version=2, when=T0 + timedelta(hours=1))
    r = collect(master, [tmp_path / "b"])
    assert r.superseded_log == 1
    m2 = load(master)
    assert [(x.file, x.result) for x in m2.log] == [("v1.xlsx", SUPERSEDED), ("v2.xlsx", ACCEPTED)]
    assert "被新版本替代：v2.xlsx" in m2.log[0].reason
    assert entry(m2, 5).progress == "区教委任务5第2版进展：已完成60%"
    # the log sheet itself holds the rewritten row
    ws = openpyxl.load_workbook(master)[S_LOG]
    assert [c.value for c in ws["F"]][1:3] == [SUPERSEDED, ACCEPTED]


def test_rerun_is_idempotent(master, tmp_path):
    m = load(master)
    d = tmp_path / "in"
    write_return(d / "区科技局.xlsx", m, "区科技局")
    write_file(d / "邮件.eml", eml([("区教委.xlsx", to_bytes(return_book(m, "区教委")))]))
    write_file(d / "坏.xlsx", b"not a workbook")
    first = collect(master, [d])
    assert first.counts[ACCEPTED] == 2 and first.counts[REFUSED] == 1
    before = master.read_bytes()
    log_rows = len(load(master).log)
    again = collect(master, [d, d / "区科技局.xlsx"])
    assert [o.result for o in again.outcomes] == [SKIPPED] * 4
    assert all("跳过" in o.reason for o in again.outcomes)
    assert not again.saved and master.read_bytes() == before
    assert len(load(master).log) == log_rows
    assert "主表没有变化" in "\n".join(again.summary_lines())


def test_master_open_in_excel_is_refused_without_loss(master, tmp_path):
    m = load(master)
    write_return(tmp_path / "in" / "x.xlsx", m, "区科技局")
    before = master.read_bytes()
    owner = master.with_name("~$" + master.name)
    owner.write_bytes(b"owner")
    with pytest.raises(MasterLocked, match="正在 Excel/WPS/LibreOffice 中打开"):
        collect(master, [tmp_path / "in"])
    assert master.read_bytes() == before and not (tmp_path / "归档").exists()
    r = CliRunner().invoke(cli, ["collect", str(master), str(tmp_path / "in")])
    assert r.exit_code == 1 and "主表未被修改" in r.output
    owner.unlink()
    assert collect(master, [tmp_path / "in"]).counts[ACCEPTED] == 1


def test_master_locked_by_another_run(master, tmp_path):
    lock = master.with_name(f".{master.name}.duban.lock")
    lock.write_text(f"{os.getpid()}\n")
    before = master.read_bytes()
    with pytest.raises(MasterLocked, match="另一个 duban 进程"):
        collect(master, [tmp_path])
    assert master.read_bytes() == before


def test_backup_of_previous_version_is_kept(master, tmp_path):
    m = load(master)
    before = master.read_bytes()
    write_return(tmp_path / "in" / "x.xlsx", m, "区科技局")
    collect(master, [tmp_path / "in"])
    backups = list((tmp_path / ".duban备份").iterdir())
    assert len(backups) == 1 and backups[0].read_bytes() == before


def test_untrusted_text_never_becomes_a_formula(master, tmp_path):
    m = load(master)
    evil = {1: {"progress": "=HYPERLINK(\"http://x\",\"点我\")", "amount": "+1+1", "problems": "@SUM(A1)",
                "self_eval": "-2+3"}, 2: "=1+1"}
    write_return(tmp_path / "in" / "x.xlsx", m, "区科技局", tasks=evil)
    r = collect(master, [tmp_path / "in"])
    assert r.outcomes[0].result == ACCEPTED
    assert "疑似公式的内容按文本保存" in r.outcomes[0].reason
    wb = openpyxl.load_workbook(master)
    formulas = [(ws.title, c.coordinate) for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    m2 = load(master)
    assert entry(m2, 1).progress == "=HYPERLINK(\"http://x\",\"点我\")" and entry(m2, 1).amount == "+1+1"
    # the task whose own text starts with "=" (task 5 of the notice) is matched, not flagged as edited
    write_return(tmp_path / "in2" / "y.xlsx", m, "区教委")
    r = collect(master, [tmp_path / "in2"])
    assert r.outcomes[0].result == ACCEPTED and "任务内容被修改" not in r.outcomes[0].reason


def test_consolidate_is_pure(master):
    """The core works on a Master object and parsed returns, without any file."""
    m = load(master)
    data = to_bytes(return_book(m, "区科技局"))
    ret = parse_return(Input("区科技局.xlsx", "内存/区科技局.xlsx", data, T0), secret=m.settings["secret"],
                       unit_names=["区科技局"])
    result = consolidate(m, [ret], PERIOD)
    assert result.outcomes[0].result == ACCEPTED and result.changed > 0
    assert entry(m, 1).progress.startswith("区科技局任务1")
    assert m.log[-1].archive.startswith("归档/1-6月/区科技局_20220701-100000_")
    again = consolidate(m, [ret], PERIOD)
    assert again.outcomes[0].result == SKIPPED and again.changed == 0


def test_labelled_cells_only_split_on_known_units():
    pre, segs = parse_labelled("说明\n【区科技局】甲\n【亮点】乙\n【区教委】丙", {"区科技局", "区教委"})
    assert pre == "说明" and segs == {"区科技局": "甲\n【亮点】乙", "区教委": "丙"}
    assert parse_labelled("【亮点】乙", {"区科技局"}, single="区科技局") == ("", {"区科技局": "【亮点】乙"})


def test_cli_collect_summary_and_outstanding(master, tmp_path):
    m = load(master)
    d = tmp_path / "in"
    write_return(d / "区科技局.xlsx", m, "区科技局")
    write_return(d / "旧.xlsx", m, "区教委", period="1-3月")
    r = CliRunner().invoke(cli, ["collect", str(master), str(d)])
    assert r.exit_code == 0, r.output
    assert "1-6月反馈汇总：共 2 个文件 —— 采用 1，被新版本替代 0，退回 1" in r.output
    assert "期次不符" in r.output and "--period 1-3月" in r.output
    assert "尚未报送的牵头单位 3 个" in r.output and "区教委、中梁镇、凤凰镇" in r.output
    r = CliRunner().invoke(cli, ["collect", "--help"])
    assert "示例" in r.output


def test_real_sheets_output_and_simulated_returns(tmp_path):
    """The workbooks of duban sheets, filled by duban.simulate, consolidate completely."""
    from duban.sheets import run_sheets
    from duban.simulate import simulate_returns

    from conftest import build_small_master
    from duban.master import new_master_store

    path = tmp_path / "主表.xlsx"
    with open_store(path, create=True) as store:
        new_master_store(store, build_small_master())
    with open_store(path) as store:
        run_sheets(store, PERIOD, tmp_path / "反馈表")
    m = load(path)
    sim = simulate_returns(m, PERIOD, tmp_path / "inbox", silent=1, broken=0, resubmit=1, emails=1, seed=7)
    r = collect(path, [tmp_path / "inbox"])
    assert r.counts[REFUSED] == 0 and r.counts[SUPERSEDED] == 1
    assert sorted(o.unit for o in r.by_result(ACCEPTED)) == sorted(sim.returned)
    assert r.outstanding == sim.silent
    m2 = load(path)
    filled = [t.id for t in m2.tasks if t.entry(PERIOD).progress]
    assert filled and all(t.entry(PERIOD).source for t in m2.tasks if t.entry(PERIOD).progress)
    # every accepted workbook's progress cell is in the master
    for f in sim.files:
        if f.suffix != ".xlsx" or "初稿" in f.name:
            continue
        ws = openpyxl.load_workbook(f)[ff.TASK_SHEET]
        head = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2, values_only=True):
            text = row[head.index(ff.PROGRESS_HEADER)]
            tid = int(row[0])
            if text:
                assert text in m2.task_by_id()[tid].entry(PERIOD).progress + m2.task_by_id()[tid].entry(PERIOD).coop


def test_archive_keeps_email_and_every_version(master, tmp_path):
    m = load(master)
    d = tmp_path / "in"
    write_file(d / "回复.eml", eml([("区科技局.xlsx", to_bytes(return_book(m, "区科技局")))]))
    write_return(d / "v2.xlsx", m, "区科技局", version=2, when=T0 + timedelta(days=1))
    collect(master, [d])
    files = sorted(p.name for p in (tmp_path / "归档" / PERIOD).rglob("*") if p.is_file())
    assert len(files) == 3 and any(f.endswith(".eml") for f in files)
    shutil.rmtree(tmp_path / "归档")
    assert collect(master, [d]).counts[SKIPPED] == 2  # the log, not the archive, decides


def test_received_time_is_the_email_date(master, tmp_path):
    from returns_factory import outlook_msg

    m = load(master)
    d = tmp_path / "in"
    sent = T0 + timedelta(days=3, hours=5, minutes=7)
    write_file(d / "a.eml", eml([("区科技局.xlsx", to_bytes(return_book(m, "区科技局")))], when=sent), when=T0)
    write_file(d / "b.msg", outlook_msg([("区教委.xlsx", to_bytes(return_book(m, "区教委")))], when=sent), when=T0)
    collect(master, [d])
    got = {r.unit: (r.received, r.file) for r in load(master).log}
    assert got["区科技局"] == ("2022-07-04 15:07:00", "a.eml › 区科技局.xlsx")
    assert got["区教委"] == ("2022-07-04 15:07:00", "b.msg › 区教委.xlsx")


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_old_xls_return_is_read(master, tmp_path):
    import subprocess

    m = load(master)
    src = write_return(tmp_path / "src" / "区科技局.xlsx", m, "区科技局", tasks={1: "旧格式报来的进展"})
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless", "--convert-to", "xls",
                    "--outdir", str(tmp_path / "in"), str(src)], check=True, capture_output=True, timeout=180)
    assert (tmp_path / "in" / "区科技局.xls").read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    r = collect(master, [tmp_path / "in"])
    assert r.outcomes[0].result == ACCEPTED, r.outcomes[0].reason
    assert "旧版 .xls 文件" in r.outcomes[0].reason
    assert entry(load(master), 1).progress == "旧格式报来的进展"


def test_collect_into_any_store(tmp_path):
    """The store-level body runs on the in-memory store too (as it will on the workbook open in Excel)."""
    from datetime import date

    from conftest import build_small_master
    from duban.collect import collect_into_store
    from duban.master import new_master_store
    from duban.model import Period
    from duban.store import MemoryStore

    m = build_small_master()
    m.periods = [Period(PERIOD, date(2022, 6, 30))]
    store = MemoryStore()
    new_master_store(store, m)
    write_return(tmp_path / "in" / "区科技局.xlsx", m, "区科技局")
    r = collect_into_store(store, tmp_path, [tmp_path / "in"])
    assert r.saved and r.counts[ACCEPTED] == 1
    assert entry(load_master(store), 1).progress.startswith("区科技局任务1")
    assert (tmp_path / r.outcomes[0].archive).exists()
    again = collect_into_store(store, tmp_path, [tmp_path / "in"])
    assert not again.saved and again.counts[SKIPPED] == 1


def test_missing_path_is_reported_and_the_batch_goes_on(master, tmp_path):
    m = load(master)
    write_return(tmp_path / "in" / "区科技局.xlsx", m, "区科技局")
    r = collect(master, [tmp_path / "没有这个文件夹", tmp_path / "in"])
    assert [o.result for o in r.outcomes] == [REFUSED, ACCEPTED]
    assert "找不到文件" in r.outcomes[0].reason and "没有这个文件夹 不存在" in r.outcomes[0].reason


def test_many_row_problems_keep_the_log_cell_readable(master, tmp_path):
    from duban.collect import LOG_REASON_LIMIT

    m = load(master)

    def many_unknown_rows(wb):
        ws = wb[ff.TASK_SHEET]
        for i in range(1000, 1300):
            ws.append([i, "", "某任务", "", "", "牵头", "进展"])

    write_return(tmp_path / "in" / "区科技局.xlsx", m, "区科技局", mutate=many_unknown_rows)
    r = collect(master, [tmp_path / "in"])
    assert r.outcomes[0].result == ACCEPTED and r.outcomes[0].reason.count("序号不存在") == 300
    row = load(master).log[-1]
    assert LOG_REASON_LIMIT < len(row.reason) < LOG_REASON_LIMIT + 60 and "共 300 处问题" in row.reason


def test_parallel_read_ahead_gives_the_serial_result(tmp_path, monkeypatch, caplog):
    """At city scale returns are parsed in a worker while openpyxl loads the master: same outcome."""
    import duban.collect as collect_mod
    from conftest import build_small_master
    from duban.master import new_master_store
    from duban.sheets import run_sheets
    from duban.simulate import simulate_returns

    base = tmp_path / "base.xlsx"
    with open_store(base, create=True) as store:
        new_master_store(store, build_small_master())
    with open_store(base) as store:
        run_sheets(store, PERIOD, tmp_path / "反馈表")
    simulate_returns(load(base), PERIOD, tmp_path / "inbox", silent=1, broken=1, resubmit=1, emails=1, seed=3)
    results = {}
    for mode, threshold in (("serial", 10**9), ("parallel", 1)):
        d = tmp_path / mode
        d.mkdir()
        shutil.copy(base, d / "主表.xlsx")
        monkeypatch.setattr(collect_mod, "PARALLEL_READ_MIN", threshold)
        r = collect(d / "主表.xlsx", [tmp_path / "inbox"])
        results[mode] = (dict(r.counts), load(d / "主表.xlsx").to_json())
    assert results["parallel"] == results["serial"]
    assert not [r for r in caplog.records if "in this process" in r.getMessage()]  # the worker really ran
    assert results["serial"][0][ACCEPTED] > 0 and results["serial"][0][REFUSED] == 1

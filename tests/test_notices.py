"""Supervision notices (督办单): the colour rules one by one, numbering across re-runs and
periods, replies and 销号, escalation of an unanswered notice, the documents (exact text,
LibreOffice opening every file) and the CLI. Masters with two periods are built here."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from duban.cli import cli
from duban.master import load_master, new_master_store, save_master
from duban.model import Master, Period, Task, Unit
from duban.notices import (CLOSED, ESCALATED, PENDING, REPLIED, S_LEDGER, escalate_overdue, file_replies,
                           load_ledger, notice_filename, notice_lines, run_notices, save_ledger, summary_filename)
from duban.report import convert_to_pdf, find_soffice
from duban.store import open_store

P1, P2 = "1-6月", "1-9月"
ISSUE = date(2022, 7, 10)
ISSUE2 = date(2022, 10, 12)

needs_lo = pytest.mark.skipif(not find_soffice(), reason="LibreOffice (soffice) not installed")


def build() -> Master:
    units = [Unit("区科技局", "区级部门", email="keji@example.gov.cn"), Unit("区教委", "区级部门"),
             Unit("区住房城乡建委", "区级部门"), Unit("区财政局", "区级部门"), Unit("区民政局", "区级部门")]
    tasks = [
        Task(1, "科技创新", "引进研发机构8家", lead=["区科技局"]),
        Task(2, "教育", "新建中小学3所", lead=["区教委"], deadline="2022年7月20日"),
        Task(3, "城市建设", "完成老旧小区改造20个", lead=["区住房城乡建委"], deadline="5月底前"),
        Task(4, "科技创新", "建设科技成果转化中心", lead=["区科技局"]),
        Task(5, "教育", "完成教师培训1000人次", lead=["区教委"]),
        Task(6, "民生", "新建社区食堂30个", lead=["区民政局", "区财政局"], deadline="年底前"),
        Task(7, "财政", "盘活存量资金", lead=["区财政局"], deadline="年底前"),
    ]
    m = Master(year=2022, units=units, tasks=tasks)
    m.periods = [Period(P1, date(2022, 6, 30), date(2022, 7, 7)), Period(P2, date(2022, 9, 30), date(2022, 10, 8))]
    m.settings.update(secret="s", current_period=P1, office="区政府督查办", contact="张三",
                      contact_phone="023-65000000")
    verdicts = {1: "推进较为滞后", 2: "正常推进", 3: "正常推进", 4: "推进较为滞后", 5: "已完成",
                6: "推进较为滞后", 7: "正常推进"}
    lights = {"推进较为滞后": "黄", "正常推进": "绿", "已完成": "绿"}
    for t in tasks:
        e = t.entry(P1)
        e.status = verdicts[t.id]
        e.light = lights[e.status]  # as `duban status` stores them (the engine re-run keeps a stored light)
        e.progress = {1: "截至6月底，已引进研发机构1家，其余正在洽谈。", 6: "【区民政局】建成社区食堂5个\n【区财政局】配套资金尚未落实，进度滞后"}.get(
            t.id, "按计划推进。")
        e.reason = "完成12.5%，低于时序进度" if t.id == 1 else ""
    tasks[3].entry(P1).override = "正常推进"  # the staff override wins over the engine's 滞后
    return m


@pytest.fixture
def master(tmp_path) -> Path:
    path = tmp_path / "主表.xlsx"
    with open_store(path, create=True) as store:
        new_master_store(store, build())
    return path


def notices_run(path: Path, label: str, out: Path, today: date):
    with open_store(path) as store:
        return run_notices(store, label, out, today=today)


def ledger(path: Path):
    with open_store(path, write=False) as store:
        return load_ledger(store)


def edit(path: Path, fn) -> None:
    with open_store(path) as store:
        m = load_master(store)
        fn(m)
        save_master(store, m, parts=("settings", "tasks"))


def colours(result) -> dict[tuple[int, str], str]:
    return {(n.task_id, n.unit): n.colour for n in result.notices}


# ---------------------------------------------------------------------------
# colour rules
# ---------------------------------------------------------------------------

def test_colour_rules_of_a_first_period(master, tmp_path):
    r = notices_run(master, P1, tmp_path / "out", ISSUE)
    assert colours(r) == {
        (1, "区科技局"): "黄",  # 推进较为滞后 for the first time
        (2, "区教委"): "蓝",  # 完成时限 2022-07-20 within 30 days of 6月30日, not done
        (3, "区住房城乡建委"): "红",  # 5月底前 has passed at the period's end
        (6, "区民政局"): "黄", (6, "区财政局"): "黄",  # one notice per lead unit
    }
    # task 4: engine 滞后, override 正常推进 → none; task 5 done; task 7 due at year end → none
    by_task = {n.task_id: n for n in r.notices}
    assert by_task[3].cause == "已超过完成时限（5月底前），任务尚未完成"
    assert by_task[2].cause == "完成时限（2022年7月20日）临近，任务尚未完成"
    assert [n.number for n in r.notices] == [f"督办〔2022〕第{k}号" for k in range(1, 6)]
    assert all(n.status == PENDING and n.reply_by == "2022-07-20" for n in r.notices)


def test_blue_window_comes_from_the_settings(master, tmp_path):
    edit(master, lambda m: m.settings.update(notice_blue_days=10))
    r = notices_run(master, P1, tmp_path / "out", ISSUE)
    assert (2, "区教委") not in colours(r)


def test_override_lagging_makes_a_yellow_notice(master, tmp_path):
    def lag7(m):
        m.task_by_id()[7].entry(P1).override = "推进较为滞后"
    edit(master, lag7)
    r = notices_run(master, P1, tmp_path / "out", ISSUE)
    assert colours(r)[(7, "区财政局")] == "黄"


def test_override_done_removes_even_the_overdue_red(master, tmp_path):
    edit(master, lambda m: setattr(m.task_by_id()[3].entry(P1), "override", "已完成"))
    r = notices_run(master, P1, tmp_path / "out", ISSUE)
    assert 3 not in {n.task_id for n in r.notices}


def test_several_leads_only_the_unit_whose_part_lags(master, tmp_path):
    def split(m):
        m.task_by_id()[6].entry(P1).progress = "【区民政局】建成社区食堂5个，选址困难，进度滞后\n【区财政局】配套资金已全部拨付到位"
    edit(master, split)
    out = tmp_path / "out"
    r = notices_run(master, P1, out, ISSUE)
    assert [n.unit for n in r.notices if n.task_id == 6] == ["区民政局"]
    lines = docx_lines(out / notice_filename(2022, P1, "区民政局"))
    progress = lines[lines.index("进展情况") + 1:lines.index("督办要求")]
    assert progress[-1] == "区民政局报送：“建成社区食堂5个，选址困难，进度滞后”", progress
    assert not (out / notice_filename(2022, P1, "区财政局")).exists()


def test_each_lead_units_notice_quotes_its_own_part(master, tmp_path):
    out = tmp_path / "out"
    notices_run(master, P1, out, ISSUE)
    for unit, own, other in (("区财政局", "进度滞后", "建成社区食堂5个"),
                             ("区民政局", "建成社区食堂5个", "配套资金尚未落实")):
        lines = docx_lines(out / notice_filename(2022, P1, unit))
        progress = "".join(lines[lines.index("进展情况") + 1:lines.index("督办要求")])
        assert own in progress and other not in progress, (unit, progress)


def test_an_unjudged_period_is_pointed_out(master, tmp_path):
    def unjudge(m):
        for t in m.tasks:
            t.entry(P1).status = t.entry(P1).light = ""
            t.entry(P1).override = ""
    edit(master, unjudge)
    r = notices_run(master, P1, tmp_path / "out", ISSUE)
    assert colours(r) == {(2, "区教委"): "蓝", (3, "区住房城乡建委"): "红"}  # the deadlines still count
    assert r.unjudged == 7 and "请先运行 duban status 再生成督办单" in r.summary_lines()[-1]


def test_a_yellow_light_on_a_task_judged_on_track_says_so(master, tmp_path):
    edit(master, lambda m: setattr(m.task_by_id()[7].entry(P1), "light", "黄"))
    r = notices_run(master, P1, tmp_path / "out", ISSUE)
    n = next(n for n in r.notices if n.task_id == 7)
    assert (n.colour, n.cause) == ("黄", "进度低于序时进度（进度灯为黄灯）")


def test_red_light_makes_a_red_notice(master, tmp_path):
    edit(master, lambda m: setattr(m.task_by_id()[1].entry(P1), "light", "红"))
    r = notices_run(master, P1, tmp_path / "out", ISSUE)
    n = next(n for n in r.notices if n.task_id == 1)
    assert (n.colour, n.cause) == ("红", "推进严重滞后（进度灯为红灯）")
    edit(master, lambda m: (setattr(m.task_by_id()[7].entry(P1), "light", "红")))
    r = notices_run(master, P1, tmp_path / "out", ISSUE)
    n7 = next(n for n in r.notices if n.task_id == 7)  # the engine said 正常推进, its light says red
    assert (n7.colour, n7.cause) == ("红", "进度明显低于序时进度（进度灯为红灯）")


def second_period(m: Master, statuses: dict[int, str]) -> None:
    for t in m.tasks:
        e = t.entry(P2)
        e.status = statuses.get(t.id, "正常推进")
        e.light = "黄" if e.status == "推进较为滞后" else "绿"
        e.progress = "继续推进。"
    m.settings["current_period"] = P2


def test_red_when_lagging_again_in_the_next_period(master, tmp_path):
    notices_run(master, P1, tmp_path / "o1", ISSUE)
    edit(master, lambda m: second_period(m, {1: "推进较为滞后", 7: "推进较为滞后"}))
    r = notices_run(master, P2, tmp_path / "o2", ISSUE2)
    c = colours(r)
    assert c[(1, "区科技局")] == "红"
    assert c[(7, "区财政局")] == "黄"  # lagging for the first time
    n1 = next(n for n in r.notices if n.task_id == 1)
    assert n1.cause == "1-6月已发黄色督办单（督办〔2022〕第1号），本期仍推进较为滞后"
    old = {n.number: n for n in ledger(master)}["督办〔2022〕第1号"]
    assert old.status == ESCALATED and "升级为" + n1.number in old.note


def reply(path: Path, label: str, replies) -> list:
    with open_store(path) as store:
        m = load_master(store)
        rows = load_ledger(store)
        changed = file_replies(m, rows, label, replies)
        save_ledger(store, rows)
    return changed


def test_red_again_asks_for_an_interview(master, tmp_path):
    notices_run(master, P1, tmp_path / "o1", ISSUE)  # task 3: red (overdue)
    edit(master, lambda m: second_period(m, {3: "推进较为滞后"}))
    out = tmp_path / "o2"
    r = notices_run(master, P2, out, ISSUE2)
    n3 = next(n for n in r.notices if n.task_id == 3)
    assert n3.colour == "红"
    assert n3.cause == "已超过完成时限（5月底前），任务尚未完成"  # overdue comes first
    edit(master, lambda m: setattr(m.task_by_id()[3], "deadline", "年底前"))
    r = notices_run(master, P2, out, ISSUE2)
    n3 = next(n for n in r.notices if n.task_id == 3)
    assert n3.cause == "1-6月已发红色督办单（督办〔2022〕第3号），本期仍推进较为滞后"
    assert "  连续红色督办、建议提请约谈主要负责人的单位 1 个：区住房城乡建委" in r.summary_lines()
    lines = docx_lines(out / notice_filename(2022, P2, "区住房城乡建委"))
    assert lines[lines.index("督办要求") + 1].endswith("该项任务已连续发出红色督办单，将提请区政府约谈单位主要负责人。")


def test_repeat_red_can_be_switched_off(master, tmp_path):
    notices_run(master, P1, tmp_path / "o1", ISSUE)
    reply(master, P2, [("区科技局", 1, "正在洽谈。", "2022-07-15")])  # answered in time: no red for that

    def p2(m):
        second_period(m, {1: "推进较为滞后"})
        m.settings["notice_repeat_red"] = "否"
    edit(master, p2)
    r = notices_run(master, P2, tmp_path / "o2", ISSUE2)
    assert colours(r)[(1, "区科技局")] == "黄"


# ---------------------------------------------------------------------------
# numbering, files
# ---------------------------------------------------------------------------

def test_rerun_keeps_numbers_and_the_next_period_continues(master, tmp_path):
    first = notices_run(master, P1, tmp_path / "out", ISSUE)
    again = notices_run(master, P1, tmp_path / "out", date(2022, 7, 12))
    assert [n.number for n in again.notices] == [n.number for n in first.notices]
    assert not again.new and len(again.kept) == 5
    assert [n.issued for n in again.notices] == ["2022-07-10"] * 5  # the notice keeps its date
    rows = ledger(master)
    assert len(rows) == 5 and len({n.number for n in rows}) == 5
    edit(master, lambda m: second_period(m, {7: "推进较为滞后"}))
    r2 = notices_run(master, P2, tmp_path / "o2", ISSUE2)
    k = len(r2.new)  # the five unanswered notices turn red, plus task 7 lagging for the first time
    assert k == 6 and [n.number for n in r2.new] == [f"督办〔2022〕第{i}号" for i in range(6, 6 + k)]
    seven = next(n for n in r2.new if n.task_id == 7)
    # a task judged again in between keeps its number (and no notice is lost)
    def back_on_track(m):
        e = m.task_by_id()[7].entry(P2)
        e.status, e.light = "正常推进", "绿"
    edit(master, back_on_track)
    r3 = notices_run(master, P2, tmp_path / "o2", ISSUE2)
    assert [n.number for n in r3.stale] == [seven.number]
    assert len({n.number for n in ledger(master)}) == len(ledger(master)) == 5 + k


def test_number_format_from_the_settings(master, tmp_path):
    edit(master, lambda m: m.settings.update(notice_number="沙督〔{year}〕{n}号"))
    r = notices_run(master, P1, tmp_path / "out", ISSUE)
    assert r.notices[0].number == "沙督〔2022〕1号"


def test_one_docx_per_unit_with_notices_and_a_summary(master, tmp_path):
    out = tmp_path / "out"
    r = notices_run(master, P1, out, ISSUE)
    names = sorted(p.name for p in out.iterdir())
    units = ["区住房城乡建委", "区教委", "区民政局", "区科技局", "区财政局"]
    assert names == sorted([notice_filename(2022, P1, u) for u in units] + [summary_filename(2022, P1)])
    assert len(r.files) == 5  # 区财政局 has one notice (task 6); nobody else without one gets a file
    wb = openpyxl.load_workbook(out / summary_filename(2022, P1))
    ws = wb["督办单汇总"]
    assert [c.value for c in ws[2]][:4] == ["督办单编号", "颜色", "单位", "任务序号"]
    assert [ws.cell(r, 1).value for r in range(3, 8)] == [f"督办〔2022〕第{k}号" for k in range(1, 6)]


def test_ledger_sheet_in_the_master(master, tmp_path):
    notices_run(master, P1, tmp_path / "out", ISSUE)
    ws = openpyxl.load_workbook(master)[S_LEDGER]
    head = [c.value for c in ws[1]]
    assert head[:13] == ["序号", "督办单编号", "颜色", "单位", "任务序号", "工作任务", "期次", "督办事由", "签发日期",
                         "回复期限", "回复内容", "回复日期", "状态"]
    assert [ws.cell(2, c).value for c in (2, 3, 4, 5, 7, 13)] == ["督办〔2022〕第1号", "黄", "区科技局", 1, P1, "待回复"]


def test_staff_columns_in_the_ledger_survive(master, tmp_path):
    notices_run(master, P1, tmp_path / "out", ISSUE)
    wb = openpyxl.load_workbook(master)
    ws = wb[S_LEDGER]
    ws.cell(1, 20, "约谈安排")
    ws.cell(3, 20, "8月约谈")
    wb.save(master)
    notices_run(master, P1, tmp_path / "out", ISSUE)
    ws = openpyxl.load_workbook(master)[S_LEDGER]
    assert ws.cell(3, 20).value == "8月约谈" and ws.cell(3, 2).value == "督办〔2022〕第2号"


# ---------------------------------------------------------------------------
# replies, 销号, escalation
# ---------------------------------------------------------------------------

def test_replies_and_closing(master, tmp_path):
    notices_run(master, P1, tmp_path / "o1", ISSUE)
    changed = reply(master, P2, [("区科技局", 1, "已召开专题会，落实3家机构签约。", "2022-07-18"),
                                 ("区民政局", 6, "加快选址，9月底前建成10个。", "2022-07-25")])
    assert [n.status for n in changed] == [REPLIED, REPLIED]
    # 1-9月: task 1 on track (replied → 销号), task 6 on track for 区民政局 (replied) but 区财政局 never replied,
    # task 3 done (销号 without a reply), task 2 still on track without a reply (stays open)
    edit(master, lambda m: second_period(m, {3: "已完成"}))
    r = notices_run(master, P2, tmp_path / "o2", ISSUE2)
    by = {(n.task_id, n.unit): n for n in ledger(master)}
    assert by[(1, "区科技局")].status == CLOSED and by[(1, "区科技局")].closed_in == P2
    assert by[(3, "区住房城乡建委")].status == CLOSED
    assert by[(6, "区民政局")].status == CLOSED
    assert by[(6, "区财政局")].status != CLOSED
    assert by[(2, "区教委")].status != CLOSED
    assert {n.number for n in r.closed} == {by[(1, "区科技局")].number, by[(3, "区住房城乡建委")].number,
                                            by[(6, "区民政局")].number}


def test_unanswered_notice_is_escalated_by_remind_and_turns_red(master, tmp_path):
    notices_run(master, P1, tmp_path / "o1", ISSUE)
    with open_store(master) as store:
        before = escalate_overdue(store, date(2022, 7, 20))  # on the deadline day: not overdue yet
    assert before.overdue == []
    with open_store(master) as store:
        res = escalate_overdue(store, date(2022, 7, 21))
    assert {n.task_id for n in res.overdue} == {1, 2, 3, 6}
    assert all(n.status == ESCALATED for n in ledger(master))
    # the next period: task 6 now on track per the engine, but its notices went unanswered → red
    edit(master, lambda m: second_period(m, {}))
    r = notices_run(master, P2, tmp_path / "o2", ISSUE2)
    n6 = next(n for n in r.notices if (n.task_id, n.unit) == (6, "区民政局"))
    assert n6.colour == "红" and n6.cause == "1-6月督办单（督办〔2022〕第5号）逾期未回复整改情况"
    assert next(n for n in r.notices if n.task_id == 2).cause == "已超过完成时限（2022年7月20日），任务尚未完成"


def test_remind_lists_overdue_notices_from_the_cli(master, tmp_path):
    notices_run(master, P1, tmp_path / "o1", ISSUE)
    r = CliRunner().invoke(cli, ["remind", str(master), "--period", P1, "--outbox", str(tmp_path / "box"),
                                 "--date", "2022-07-25"])
    assert r.exit_code == 0, r.output
    assert "超过回复期限仍未回复的督办单 5 份（2022-07-25）" in r.output
    assert "督办〔2022〕第1号 黄色 区科技局 任务1（回复期限 2022-07-20），本次升级督办" in r.output


def fill_return(path: Path, values: dict[int, dict[str, str]]) -> None:
    """Fill a generated feedback workbook as a unit would (by column title), and save it."""
    wb = openpyxl.load_workbook(path)
    ws = wb["重点任务"]
    head = {c.value: c.column for c in ws[1]}
    for r in range(2, ws.max_row + 1):
        rid = ws.cell(r, head["序号"]).value
        for title, text in values.get(rid, {}).items():
            ws.cell(r, head[title], text)
    wb.save(path)


def test_next_feedback_workbook_marks_supervised_tasks_and_collect_files_the_reply(master, tmp_path):
    notices_run(master, P1, tmp_path / "o1", ISSUE)
    sheets = tmp_path / "反馈表"
    r = CliRunner().invoke(cli, ["sheets", str(master), "--period", P2, "-o", str(sheets)])
    assert r.exit_code == 0, r.output
    from duban.sheets import feedback_filename

    book = sheets / feedback_filename(2022, P2, "区科技局")
    ws = openpyxl.load_workbook(book)["重点任务"]
    head = [c.value for c in ws[1]]
    assert head[-2:] == ["督办单", "督办整改情况"]
    rows = {ws.cell(r, 1).value: [c.value for c in ws[r]] for r in range(2, ws.max_row + 1)}
    assert rows[1][-2] == "督办〔2022〕第1号（黄色）：推进较为滞后"
    assert rows[4][-2] is None  # task 4 is under no notice
    assert ws.cell(2, len(head)).protection.locked is False
    readme = [c.value for c in openpyxl.load_workbook(book)["填报说明"]["A"] if c.value]
    assert any("本单位有 1 项任务正在督办" in x for x in readme)
    # a unit without notices gets the usual workbook
    plain = openpyxl.load_workbook(sheets / feedback_filename(2022, P2, "区教委"))["重点任务"]
    assert "督办整改情况" in [c.value for c in plain[1]]  # 区教委 has the blue notice of task 2
    fill_return(book, {1: {"本期进展情况": "已引进研发机构5家。", "督办整改情况": "已召开专题会，落实3家机构签约。"},
                       4: {"本期进展情况": "按计划推进。"}})
    r = CliRunner().invoke(cli, ["collect", str(master), str(book), "--period", P2])
    assert r.exit_code == 0, r.output
    assert "督办整改情况 1 条已记入“督办台账”：督办〔2022〕第1号（区科技局）" in r.output
    n1 = {n.number: n for n in ledger(master)}["督办〔2022〕第1号"]
    assert (n1.reply, n1.status) == ("已召开专题会，落实3家机构签约。", REPLIED)
    # the same file again changes nothing
    r = CliRunner().invoke(cli, ["collect", str(master), str(book), "--period", P2])
    assert "督办整改情况" not in r.output
    if find_soffice():  # the workbook with the two extra columns opens in a spreadsheet application
        assert convert_to_pdf(sheets / feedback_filename(2022, P2, "区教委"), tmp_path / "pdf").stat().st_size > 0


# ---------------------------------------------------------------------------
# the document
# ---------------------------------------------------------------------------

def docx_lines(path: Path) -> list[str]:
    """Every paragraph of the body in order, a table's cells row by row."""
    import docx

    doc = docx.Document(str(path))
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    out = []
    for child in doc.element.body:
        if child.tag == ns + "p":
            out.append("".join(t.text or "" for t in child.iter(ns + "t")))
        elif child.tag == ns + "tbl":
            for p in child.iter(ns + "p"):
                out.append("".join(t.text or "" for t in p.iter(ns + "t")))
    return [x for x in out if x]


EXPECTED = [
    "区政府督查办",
    "黄色督办单",
    "督办〔2022〕第1号",
    "区科技局：",
    "根据2022年区政府工作报告目标任务1-6月推进情况跟踪督办结果，现将下列事项交你单位办理，请认真研究落实，并按时反馈。",
    "督办事项",
    "任务1：引进研发机构8家。",
    "滞后目标：引进研发机构8家。",
    "督办事由：推进较为滞后。",
    "进展情况",
    "引进研发机构8家：引进研发机构1家，完成12.5%，低于序时进度49.6%约37个百分点（单位报送：“截至6月底，已引进研发机构1家”）。",
    "督办要求",
    "该项任务推进较为滞后，请认真分析原因，制定针对性整改措施，加快推进进度，确保按时序进度完成目标任务。",
    "办理时限",
    "请于2022年7月20日前书面反馈整改落实情况。",
    "反馈方式",
    "请在下期进展反馈表“督办整改情况”栏填写整改落实情况，随反馈表一并报送督查办。联系人：张三，电话 023-65000000。",
    "区政府督查办",
    "2022年7月10日",
]


def test_exact_text_of_one_notice(tmp_path):
    """The document from a notice whose evidence is fixed here (the engine's wording may change)."""
    from duban.notices import Notice, build_unit_docx, progress_lines

    m = build()
    t = m.task_by_id()[1]
    t.entry(P1).evidence = [{
        "target": "引进研发机构8家", "kind": "count", "object": "研发机构", "goal": 8.0, "measure": "家",
        "actual": 1.0, "actual_text": "引进研发机构1家", "share": 0.125, "expected": 0.496, "gap": 37.1,
        "stage": None, "state": "behind", "quote": "截至6月底，已引进研发机构1家", "unit": None,
        "principal": True, "line": None}]
    n = Notice(1, "督办〔2022〕第1号", "黄", "区科技局", 1, t.task, P1, "推进较为滞后", "2022-07-10", "2022-07-20")
    n.targets, n.progress = progress_lines(t, t.entry(P1), "区科技局", lagging_only=True)
    path = tmp_path / "督办单.docx"
    build_unit_docx(m, [n]).save(str(path))
    assert docx_lines(path) == EXPECTED
    assert notice_lines(m, n) == EXPECTED


def test_the_issued_notice_reads_as_its_lines_and_quotes_the_unit(master, tmp_path):
    out = tmp_path / "out"
    r = notices_run(master, P1, out, ISSUE)
    lines = docx_lines(out / notice_filename(2022, P1, "区科技局"))
    with open_store(master, write=False) as store:
        m = load_master(store)
    first = next(n for n in r.notices if n.unit == "区科技局")
    assert lines == notice_lines(m, first)
    assert lines[:5] == EXPECTED[:5]
    progress = lines[lines.index("进展情况") + 1:lines.index("督办要求")]
    assert any("截至6月底，已引进研发机构1家" in x for x in progress), progress
    assert lines[-2:] == EXPECTED[-2:]


def test_red_notice_names_the_cause_in_its_requirement(master, tmp_path):
    out = tmp_path / "out"
    notices_run(master, P1, out, ISSUE)
    lines = docx_lines(out / notice_filename(2022, P1, "区住房城乡建委"))
    assert lines[1] == "红色督办单"
    assert lines[lines.index("督办要求") + 1].startswith("该项任务已超过完成时限（5月底前），任务尚未完成。请单位主要负责同志")


def test_several_notices_of_a_unit_are_one_per_page(tmp_path):
    path = tmp_path / "主表.xlsx"
    m = build()
    m.task_by_id()[7].entry(P1).status = "推进较为滞后"
    with open_store(path, create=True) as store:
        new_master_store(store, m)
    out = tmp_path / "out"
    notices_run(path, P1, out, ISSUE)
    import docx

    doc = docx.Document(str(out / notice_filename(2022, P1, "区财政局")))
    heads = [p for p in doc.paragraphs if p.text == "区政府督查办" and p.style.name == "发文机关"]
    assert len(heads) == 2 and heads[1].paragraph_format.page_break_before


@needs_lo
def test_libreoffice_opens_every_generated_file(master, tmp_path):
    out = tmp_path / "out"
    r = notices_run(master, P1, out, ISSUE)
    pdfs = tmp_path / "pdf"
    for f in r.files + [r.summary, master]:
        assert convert_to_pdf(f, pdfs).stat().st_size > 0, f


# ---------------------------------------------------------------------------
# mail
# ---------------------------------------------------------------------------

@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller
    from test_mail import Recorder, _free_port

    handler = Recorder()
    ctl = Controller(handler, hostname="127.0.0.1", port=_free_port())
    ctl.start()
    handler.port = ctl.port
    yield handler
    ctl.stop()


def test_mail_notices_sends_each_unit_its_docx_once(master, smtp, tmp_path):
    import email
    from email import policy

    def configure(m):
        m.settings.update(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="无", smtp_user="",
                          contact_email="duchaban@example.gov.cn")
        for u in m.units:
            if u.name == "区民政局":
                u.email = "minzheng@example.gov.cn"
    with open_store(master) as store:
        m = load_master(store)
        configure(m)
        save_master(store, m, parts=("settings", "units"))
    out = tmp_path / "督办单"
    notices_run(master, P1, out, ISSUE)
    args = ["mail", str(master), "--period", P1, "--outbox", str(tmp_path / "box"), "--notices", str(out), "--send"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert "1-6月督办单邮件：已生成 5 封" in r.output and "已发送 2 封" in r.output
    got = smtp.by_rcpt()
    assert set(got) == {"keji@example.gov.cn", "minzheng@example.gov.cn"}
    msg = got["keji@example.gov.cn"]
    assert "督办单" in msg["Subject"] and "区科技局" in msg["Subject"]
    (att,) = list(msg.iter_attachments())
    assert att.get_filename() == notice_filename(2022, P1, "区科技局")
    assert att.get_content_type() == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert att.get_content() == (out / notice_filename(2022, P1, "区科技局")).read_bytes()
    body = msg.get_body(("plain",)).get_content()
    assert "督办单1份（黄色1份，编号督办〔2022〕第1号）" in body
    # never twice
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert "已发送 0 封" in r.output and len(smtp.messages) == 2
    eml = email.message_from_bytes((tmp_path / "box" / (Path(notice_filename(2022, P1, "区教委")).stem + ".eml"))
                                   .read_bytes(), policy=policy.default)
    assert eml["X-Unsent"] == "1"


def test_mail_notices_without_the_folder_is_a_clear_error(master, tmp_path):
    r = CliRunner().invoke(cli, ["mail", str(master), "--period", P1, "--outbox", str(tmp_path / "box"),
                                 "--notices", str(tmp_path / "无")])
    assert r.exit_code == 1 and "找不到督办单目录" in r.output


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------

def test_cli_notices(master, tmp_path):
    out = tmp_path / "督办单"
    bad = tmp_path / "坏.xlsx"
    shutil.copy(master, bad)
    r = CliRunner().invoke(cli, ["notices", str(master), "--period", P1, "-o", str(out), "--date", "2022-07-10"])
    assert r.exit_code == 0, r.output
    assert "1-6月督办单：共 5 份（红色 1、黄色 3、蓝色 1），涉及 5 个单位" in r.output
    r = CliRunner().invoke(cli, ["notices", str(master), "--period", "1-7月", "-o", str(out)])
    assert r.exit_code == 1 and "1-7月" in r.output
    edit(bad, lambda m: m.settings.update(notice_number="督办{x}"))
    r = CliRunner().invoke(cli, ["notices", str(bad), "-o", str(out)])
    assert r.exit_code == 1 and "督办单编号格式" in r.output


def test_status_closes_a_notice_whose_task_is_now_done(master, tmp_path):
    """`duban status` for the next period closes (销号) the notices of tasks now 已完成, as staff see at once."""
    notices_run(master, P1, tmp_path / "o1", ISSUE)

    def settle(m):
        second_period(m, {})
        m.task_by_id()[3].entry(P2).override = "已完成"  # staff confirm the task is done

    edit(master, settle)
    r = CliRunner().invoke(cli, ["status", str(master), "--period", P2])
    assert r.exit_code == 0, r.output
    assert "督办单销号 1 件" in r.output
    by = {(n.task_id, n.unit): n for n in ledger(master)}
    assert by[(3, "区住房城乡建委")].status == CLOSED and by[(3, "区住房城乡建委")].closed_in == P2
    assert by[(2, "区教委")].status != CLOSED  # still open: on track but no reply

"""The report in the office's voice: each sentence form on a small master judged by the real
engine (`duban status`, then `duban report`), the refusal while items are open, --draft,
the 生成报告 button's question, 报告日期/主送 from 设置."""
from __future__ import annotations

from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from duban import actions
from duban.cli import cli
from duban.master import S_STATS, load_master, new_master_store, save_master
from duban.model import Indicator, Master, Task, Unit
from duban.store import open_store

PERIOD = "1-6月"


def make_master(path: Path, tasks=(), indicators=()) -> Path:
    """tasks: (task text, progress, lead units[, coop units]); indicators: (target, progress, units)."""
    names = sorted({u for t in tasks for u in [*t[2], *(t[3] if len(t) > 3 else [])]}
                   | {u for i in indicators for u in i[2]})
    m = Master(year=2022, units=[Unit(u, "区级部门", email=f"u{n}@example.gov.cn") for n, u in enumerate(names)])
    m.tasks = [Task(n, "民生保障", t[0], lead=list(t[2]), coop=list(t[3]) if len(t) > 3 else [])
               for n, t in enumerate(tasks, start=1)]
    m.indicators = [Indicator(n, i[0], units=list(i[2])) for n, i in enumerate(indicators, start=1)]
    m.settings.update(secret="test-secret", office="区政府督查办")
    m.add_period(PERIOD)
    m.settings["current_period"] = PERIOD
    for t, spec in zip(m.tasks, tasks):
        t.entry(PERIOD).progress = spec[1]
    for i, spec in zip(m.indicators, indicators):
        i.entry(PERIOD).progress = spec[1]
    with open_store(path, create=True) as store:
        new_master_store(store, m)
    return path


def status(path: Path) -> None:
    r = CliRunner().invoke(cli, ["status", str(path)])
    assert r.exit_code == 0, r.output


def report(path: Path, *extra: str, out: str = "报告.docx"):
    target = path.parent / out
    r = CliRunner().invoke(cli, ["report", str(path), "-o", str(target), *extra])
    return r, target


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


def all_text(path: Path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
    for s in d.sections:
        for h in (s.header, s.even_page_header, s.footer):
            parts += [p.text for p in h.paragraphs]
    return "\n".join(parts)


def judged_report(tmp_path, tasks=(), indicators=()) -> list[str]:
    path = make_master(tmp_path / "主表.xlsx", tasks, indicators)
    status(path)
    r, out = report(path, "--date", "2022-07-15")
    assert r.exit_code == 0, r.output
    return paragraphs(out)


def lagging_paragraphs(texts: list[str]) -> list[str]:
    return [t for t in texts if "（责任单位：" in t]


# ---------------------------------------------------------------------------
# section 一: indicators with their figures
# ---------------------------------------------------------------------------

def test_indicators_met_missed_and_on_course_with_their_figures(tmp_path):
    texts = judged_report(tmp_path, tasks=[("新建12个托育机构", "截至6月底，已建成托育机构12个，均已投入使用。", ["区卫生健康委"])], indicators=[
        ("地区生产总值增长5.5%左右", "1-6月，地区生产总值同比增长5.8%（主城区第3名）", ["区发展改革委"]),
        ("固定资产投资增长6%左右", "1-6月，固定资产投资同比下降3.1%", ["区发展改革委"]),
        ("社会消费品零售总额增长8%左右", "1-6月，社会消费品零售总额同比增长2.1%（全市第20名）", ["区商务委"]),
        ("空气质量完成年度目标任务", "①空气质量优良天数150天，符合时序进度", ["区生态环境局"]),
    ])
    assert ("1-6月，①1项指标符合预期，即地区生产总值增长5.8%；②2项指标不达预期，分别是：固定资产投资下降3.1%，"
            "社会消费品零售总额增长2.1%；③1项指标符合时间节点要求，即空气质量优良天数150天（详见附件1）。") in texts
    assert not any("增长-" in t or "名）" in t for t in texts)


def test_empty_indicator_class_left_out_numbering_continuous(tmp_path):
    texts = judged_report(tmp_path, tasks=[("新建12个托育机构", "截至6月底，已建成托育机构12个，均已投入使用。", ["区卫生健康委"])], indicators=[
        ("区级税收增长6%左右", "1-6月，区级税收同比增长6.4%", ["区税务局"]),
        ("一般公共预算收入增长5%左右", "一般公共预算收入同比增长5.0%", ["区财政局"]),
        ("节能减排降碳完成年度目标任务", "节能减排降碳工作按计划推进，重点用能单位监测全覆盖", ["区发展改革委"]),
    ])
    assert ("1-6月，①2项指标符合预期，分别是：区级税收增长6.4%，一般公共预算收入增长5.0%；"
            "②1项指标符合时间节点要求，即节能减排降碳工作按计划推进（详见附件1）。") in texts


# ---------------------------------------------------------------------------
# section 二: one tight paragraph per lagging task
# ---------------------------------------------------------------------------

def test_lagging_count_target(tmp_path):
    texts = judged_report(tmp_path, tasks=[
        ("新建12个社区食堂", "1-6月，建成2个社区食堂。①已完成选址5处（全市第5名）。", ["区民政局"], ["区财政局"]),
    ])
    assert lagging_paragraphs(texts) == ["1．新建12个社区食堂。1-6月，建成2个，与全年目标有较大差距。（责任单位：区民政局）"]


def test_deliverable_not_started(tmp_path):
    texts = judged_report(tmp_path, tasks=[
        ("加快建设歌乐山隧道", "一是仍在办理前期手续，未进场施工。二是下一步将加快推进。", ["区交通局"]),
    ])
    assert lagging_paragraphs(texts) == [
        "1．加快建设歌乐山隧道。目前仍在办理前期手续，未进场施工，进度较为滞后。（责任单位：区交通局）"]


def test_growth_target_and_negative_growth(tmp_path):
    texts = judged_report(tmp_path, tasks=[
        ("规模以上工业增加值增长8%", "1-6月，规模以上工业增加值同比增长1.5%（主城区第7名）", ["区经济信息委"]),
        ("社会消费品零售总额增长8%", "1-6月，社会消费品零售总额同比下降2.4%。", ["区商务委"]),
    ])
    assert lagging_paragraphs(texts) == [
        "1．规模以上工业增加值增长8%。1-6月，同比增长仅为1.5%。（责任单位：区经济信息委）",
        "2．社会消费品零售总额增长8%。1-6月，同比下降2.4%。（责任单位：区商务委）",
    ]


def test_multi_target_task_where_one_target_lags(tmp_path):
    texts = judged_report(tmp_path, tasks=[
        ("新建30个社区食堂、5个社区体育公园", "截至6月底，建成社区食堂20个，建成社区体育公园1个。", ["区民政局", "区体育局"]),
    ])
    # the lagging target only, not the whole task; the target on course is not mentioned
    assert lagging_paragraphs(texts) == [
        "1．新建5个社区体育公园。1-6月，建成社区体育公园1个，与全年目标有较大差距。（责任单位：区民政局、区体育局）"]


def test_lagging_unit_named_when_several_report(tmp_path):
    texts = judged_report(tmp_path, tasks=[
        ("新增5000个公共停车位", "【区住房城乡建委】截至6月底，已完成公共停车位2750个。\n"
                              "【区城管局】前期手续办理中，用地指标尚未落实，进度滞后于计划。",
         ["区住房城乡建委", "区城管局"]),
    ])
    assert lagging_paragraphs(texts) == [
        "1．新增5000个公共停车位。目前，区城管局仍在办理前期手续，用地指标尚未落实，进度较为滞后。"
        "（责任单位：区住房城乡建委、区城管局）"]


def test_counts_sentence_names_few_completed_tasks(tmp_path):
    texts = judged_report(tmp_path, tasks=[
        ("新建12个托育机构", "截至6月底，已建成托育机构12个，均已投入使用。", ["区卫生健康委"]),
        ("完成农村改厕800户", "截至6月底，完成农村改厕500户，完成年度目标的62.5%。", ["区农业农村委"]),
        ("新建12个社区食堂", "1-6月，建成2个社区食堂。", ["区民政局"]),
    ])
    assert ("3项重点工作任务中，1项任务已完成，1项任务正常推进（详见附件2），1项任务推进较为滞后（详见附件1）。"
            "已完成的任务是：新建12个托育机构。") in texts
    assert "（一）总体情况" in texts and "（二）推进较为滞后的1项任务" in texts


def test_override_lagging_without_engine_evidence_uses_the_units_words(tmp_path):
    path = make_master(tmp_path / "主表.xlsx", tasks=[
        ("轨道7号线、15号线加快建设", "①轨道7号线、15号线正在加快建设（主城区第2名）。", ["区交通局"])])
    status(path)
    with open_store(path) as s:
        m = load_master(s)
        assert m.tasks[0].entry(PERIOD).status == "正常推进"
        m.tasks[0].entry(PERIOD).override = "推进较为滞后"
        save_master(s, m, parts=("tasks",), periods=[PERIOD])
    r, out = report(path)
    assert r.exit_code == 0, r.output
    assert lagging_paragraphs(paragraphs(out)) == [
        "1．轨道7号线、15号线加快建设。目前轨道7号线、15号线正在加快建设，进度较为滞后。（责任单位：区交通局）"]


# ---------------------------------------------------------------------------
# nothing internal in the official text
# ---------------------------------------------------------------------------

OPEN_TASKS = [
    ("新建12个社区食堂", "1-6月，建成2个社区食堂。", ["区民政局"]),
    ("完善招商引资体制机制，确保全年正式签约1000亿元", "详见附件", ["区商务委"]),  # 需人工研判
    ("新增550个婴幼儿托位", "", ["区卫生健康委"]),  # 未报送
]


def test_report_refuses_while_items_are_open(tmp_path):
    path = make_master(tmp_path / "主表.xlsx", tasks=OPEN_TASKS,
                       indicators=[("地区生产总值增长5.5%左右", "", ["区发展改革委"])])
    status(path)
    before = path.read_bytes()
    r, out = report(path, "--xlsx", str(tmp_path / "附件.xlsx"))
    assert r.exit_code == 1
    assert "还有3项任务或指标未确定状态，未生成正式报告（没有写入任何文件）" in r.output
    assert "预期目标1：地区生产总值增长5.5%左右（责任单位：区发展改革委）——未报送，尚未在“人工研判”列确认" in r.output
    assert "重点任务2：完善招商引资体制机制，确保全年正式签约1000亿元（责任单位：区商务委）——需人工研判：" in r.output
    assert "重点任务3：新增550个婴幼儿托位（责任单位：区卫生健康委）——未报送，尚未在“人工研判”列确认" in r.output
    assert "重点任务1" not in r.output and "--draft" in r.output
    assert not out.exists() and not (tmp_path / "附件.xlsx").exists()
    assert path.read_bytes() == before  # 统计 not refreshed either


def test_draft_is_marked_and_lists_the_open_items_last(tmp_path):
    path = make_master(tmp_path / "主表.xlsx", tasks=OPEN_TASKS)
    status(path)
    r, out = report(path, "--draft", "--xlsx", str(tmp_path / "附件草稿.xlsx"), out="草稿.docx")
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(tmp_path / "附件草稿.xlsx").worksheets[0]
    assert ws["A2"].value.endswith("（草稿）") and "草稿" in ws.oddHeader.center.text
    assert "注意：这是草稿" in r.output and "有 2 项待人工研判" in r.output
    d = docx.Document(str(out))
    texts = [p.text for p in d.paragraphs]
    assert texts[1] == "关于2022年区政府工作报告重点任务1-6月推进情况的报告（草稿）"
    for s in d.sections:
        assert "草稿：尚有2项待人工研判，未定稿，不得作为正式报告报送" in s.header.paragraphs[0].text
        assert "PowerPlusWaterMarkObject" in s.header._element.xml  # the diagonal watermark
    last = texts[texts.index("草稿附页：待人工研判事项"):]
    assert len(last) == 4 and last[2].startswith("1．重点任务2：完善招商引资体制机制")
    assert last[3] == "2．重点任务3：新增550个婴幼儿托位（责任单位：区卫生健康委）——未报送，尚未在“人工研判”列确认"
    assert d.paragraphs[len(texts) - 4].paragraph_format.page_break_before or len(d.sections) > 2


def test_settled_report_has_nothing_internal(tmp_path):
    path = make_master(tmp_path / "主表.xlsx", tasks=OPEN_TASKS)
    status(path)
    with open_store(path) as s:
        m = load_master(s)
        m.tasks[1].entry(PERIOD).override = "正常推进"
        m.tasks[2].entry(PERIOD).override = "未报送"  # staff confirm it was not reported
        save_master(s, m, parts=("tasks",), periods=[PERIOD])
    r, out = report(path, "--xlsx", str(tmp_path / "附件.xlsx"))
    assert r.exit_code == 0, r.output
    text = all_text(out)
    for word in ("需人工研判", "草稿", "尚未研判", "（未报送进展情况）", "时序进度", "研判理由"):
        assert word not in text, word
    texts = paragraphs(out)
    assert "另有1项任务因责任单位未报送进展情况，暂无法研判，分别是：新增550个婴幼儿托位（区卫生健康委）。" in texts
    annex3 = docx.Document(str(out)).tables[-1]
    row = next(r for r in annex3.rows if r.cells[2].text == "新增550个婴幼儿托位")
    assert row.cells[5].text == "未报送"
    ws = openpyxl.load_workbook(tmp_path / "附件.xlsx")["附件2"]
    assert any(r[5] == "未报送" and r[2] == "新增550个婴幼儿托位" for r in ws.iter_rows(min_row=4, values_only=True))


def test_report_date_and_recipient_from_settings(tmp_path):
    path = make_master(tmp_path / "主表.xlsx", tasks=[("新建12个托育机构", "截至6月底，已建成托育机构12个，均已投入使用。", ["区卫生健康委"])])
    status(path)
    with open_store(path) as s:
        m = load_master(s)
        m.settings.update(report_date="2022-07-15", report_to="区人民政府", office="区政府督查室")
        save_master(s, m, parts=("settings",))
    with open_store(path, write=False) as s:
        assert load_master(s).settings["report_date"] == "2022-07-15"
    r, out = report(path)
    assert r.exit_code == 0, r.output
    texts = paragraphs(out)
    assert texts[:3] == ["区政府督查室", "关于2022年区政府工作报告重点任务1-6月推进情况的报告", "区人民政府："]
    assert "2022年7月15日" in texts
    r, out = report(path, "--date", "2022-07-20", out="另.docx")  # the command line wins
    assert "2022年7月20日" in paragraphs(out)
    with open_store(path) as s:
        m = load_master(s)
        m.settings["report_date"] = "七月中旬"
        save_master(s, m, parts=("settings",))
    r, _ = report(path, out="坏.docx")
    assert r.exit_code == 1 and "报告日期" in r.output


# ---------------------------------------------------------------------------
# the 生成报告 button (duban.actions, plain Python)
# ---------------------------------------------------------------------------

def test_button_asks_before_writing_a_draft(tmp_path):
    path = make_master(tmp_path / "主表.xlsx", tasks=OPEN_TASKS)
    status(path)
    before = path.read_bytes()
    asked = []

    def no(question):
        asked.append(question)
        return False

    with pytest.raises(actions.ActionError, match="还有2项任务或指标未确定状态，未生成报告"):
        actions.run_on_file("report", path, confirm=no)
    assert len(asked) == 1 and "是否先生成草稿？" in asked[0] and "重点任务3：新增550个婴幼儿托位" in asked[0]
    assert path.read_bytes() == before and not (tmp_path / "报告").exists()

    result = actions.run_on_file("report", path, confirm=lambda q: True)
    names = [p.name for p in result.outputs]
    assert names == ["2022年1-6月推进情况报告（草稿）.docx", "2022年1-6月附件（草稿）.xlsx"]
    assert "草稿附页：待人工研判事项" in paragraphs(result.outputs[0])

    with open_store(path) as s:  # settled: the official report, no question asked
        m = load_master(s)
        m.tasks[1].entry(PERIOD).override = "正常推进"
        m.tasks[2].entry(PERIOD).override = "未报送"
        save_master(s, m, parts=("tasks",), periods=[PERIOD])
    asked.clear()
    result = actions.run_on_file("report", path, confirm=no)
    assert not asked and [p.name for p in result.outputs] == ["2022年1-6月推进情况报告.docx", "2022年1-6月附件.xlsx"]


# ---------------------------------------------------------------------------
# the same figures in the annexes and the 统计 sheet
# ---------------------------------------------------------------------------

def test_annexes_and_dashboard_use_the_texts_figures(tmp_path):
    path = make_master(tmp_path / "主表.xlsx", tasks=[
        ("新建12个社区食堂", "1-6月，建成2个社区食堂。", ["区民政局", "区商务委"], ["区财政局", "区体育局"]),
        ("新建12个托育机构", "截至6月底，已建成托育机构12个，均已投入使用。", ["区卫生健康委"]),
    ], indicators=[
        ("固定资产投资增长6%左右", "1-6月，固定资产投资同比下降3.1%", ["区发展改革委"]),
        ("空气质量完成年度目标任务", "空气质量优良天数150天，符合时序进度", ["区生态环境局"]),
    ])
    status(path)
    r, out = report(path, "--xlsx", str(tmp_path / "附件.xlsx"))
    assert r.exit_code == 0, r.output
    d = docx.Document(str(out))
    t1, t2, t3 = d.tables
    assert [c.text for c in t1.rows[0].cells] == ["序号", "预期目标", "责任单位", "进展情况"]
    head = ["序号", "工作类别", "工作任务", "责任单位", "配合单位", "任务进展情况"]
    assert [c.text for c in t2.rows[0].cells] == head and [c.text for c in t3.rows[0].cells] == head
    assert [c.text for c in t2.rows[1].cells[:3]] == ["1", "民生保障", "新建12个社区食堂"]
    assert [p.text for p in t2.rows[1].cells[3].paragraphs] == ["区民政局", "区商务委"]
    assert [p.text for p in t2.rows[1].cells[4].paragraphs] == ["区财政局", "区体育局"]
    assert t3.rows[1].cells[0].text == "1"  # each annex numbered from 1
    wb = openpyxl.load_workbook(tmp_path / "附件.xlsx")
    assert [c.value for c in wb["附件2"][3]] == head
    assert wb["附件2"]["D4"].value == "区民政局\n区商务委"
    text = "".join(paragraphs(out))
    assert "①1项指标不达预期，即固定资产投资下降3.1%；②1项指标符合时间节点要求，即空气质量优良天数150天" in text
    assert "2项重点工作任务中，1项任务已完成（详见附件3），1项任务推进较为滞后（详见附件2）。" in text
    ws = openpyxl.load_workbook(path)[S_STATS]
    rows = [tuple(c for c in r if c is not None) for r in ws.iter_rows(values_only=True)]
    assert ("已完成", 1) in rows and ("推进较为滞后", 1) in rows
    assert ("不达预期", 1) in rows and ("符合时间节点要求", 1) in rows
    figures = {r[1]: r[3] for r in rows if len(r) == 4 and r[0] in ("1", "2", 1, 2)}
    assert figures == {"固定资产投资增长6%左右": "固定资产投资下降3.1%", "空气质量完成年度目标任务": "空气质量优良天数150天"}


# ---------------------------------------------------------------------------
# the sentence builders on evidence shaped as the engine contract gives it
# ---------------------------------------------------------------------------

def ev(**kw) -> dict:
    from duban.evidence import blank

    return blank(principal=True, **kw)


def test_wording_from_contract_evidence():
    from duban.wording import clean_quote, indicator_phrase, lagging_paragraph

    # one of two deliverables lags: only it is named
    both = [ev(target="加快建设歌乐山隧道", kind="deliverable", stage="前期", state="not_started",
               quote="歌乐山隧道仍在办理前期手续"),
            ev(target="推进轨道交通18号线", kind="deliverable", stage="施工", state="on_track")]
    assert lagging_paragraph(1, "加快建设歌乐山隧道，推进轨道交通18号线", ["区交通局"], both, "1-6月", "",
                             "①歌乐山隧道仍在办理前期手续；②轨道交通18号线主体施工中。") == \
        "1．加快建设歌乐山隧道。目前仍在办理前期手续，未进场施工，进度较为滞后。（责任单位：区交通局）"
    # a count target past its deadline
    overdue = [ev(target="完成10个老旧小区改造", kind="count", object="老旧小区", actual=4.0, actual_text="完成改造4个",
                  expected=1.0, state="behind")]
    assert lagging_paragraph(2, "6月底前完成10个老旧小区改造", ["区住房城乡建委"], overdue, "1-6月") == \
        "2．6月底前完成10个老旧小区改造。1-6月，完成改造4个，未按期完成目标任务。（责任单位：区住房城乡建委）"
    # two count targets lag: one sentence, each figure with what it counts
    two = [ev(target="新建30个社区食堂", kind="count", object="社区食堂", actual=8.0, actual_text="建成8个", state="behind"),
           ev(target="新建5个社区体育公园", kind="count", object="社区体育公园", actual=1.0, actual_text="1个",
              state="behind")]
    assert lagging_paragraph(3, "新建30个社区食堂、5个社区体育公园", ["区民政局"], two, "1-6月") == \
        "3．新建30个社区食堂、5个社区体育公园。1-6月，建成8个社区食堂、完成1个社区体育公园，与全年目标有较大差距。（责任单位：区民政局）"
    # a ceiling exceeded is not "仅为"
    ceiling = [ev(target="单位GDP能耗增长控制在3%以内", kind="growth", goal=3.0, actual=5.2, actual_text="同比增长5.2%",
                  state="behind")]
    assert lagging_paragraph(4, "单位GDP能耗增长控制在3%以内", ["区发展改革委"], ceiling, "1-6月") == \
        "4．单位GDP能耗增长控制在3%以内。1-6月，同比增长5.2%，超过控制目标。（责任单位：区发展改革委）"
    # indicators: the name once, decline as 下降, the figure as written
    assert indicator_phrase(ev(target="地区生产总值", kind="growth", actual=4.0, actual_text="同比增长4.0%"), "") == \
        "地区生产总值增长4.0%"
    assert indicator_phrase(ev(target="固定资产投资", kind="growth", actual=-3.1), "") == "固定资产投资下降3.1%"
    assert indicator_phrase(ev(target="城镇调查失业率", kind="level", actual=4.8, actual_text="失业率为4.8%"), "") == \
        "城镇调查失业率为4.8%"
    assert indicator_phrase(ev(target="空气质量", kind="qualitative", quote="1-6月，空气质量优良天数150天（全市第2名）"),
                            "") == "空气质量优良天数150天"
    # the unit's words cleaned
    assert clean_quote("截至6月底，①已完成选址5处；二是正在装修（排名全市第5位），，") == "已完成选址5处；正在装修"


def test_section_three_counts_the_units_own_obstacles(tmp_path):
    """存在的问题 counts what the lagging units wrote (用地, 疫情) and proposes the office's measures."""
    texts = judged_report(tmp_path, tasks=[
        ("新建12个社区食堂", "1-6月，建成2个社区食堂，其余选址用地尚未落实。", ["区民政局"]),
        ("建成陈家桥滨河公园", "受疫情影响，项目进度滞后，前期手续仍在办理中。", ["区住房城乡建委"]),
        ("新建12个托育机构", "截至6月底，已建成托育机构12个，均已投入使用。", ["区卫生健康委"]),
    ])
    i = texts.index("二、存在的问题及下步工作建议")  # no indicators here: tasks are section 一
    assert texts[i + 1] == "（一）存在的问题"
    assert texts[i + 2] == "一是部分任务推进较为滞后。2项任务推进较为滞后，其中2项前期手续、用地等要素尚未落实，1项受疫情等外部因素影响。"
    assert texts[i + 3] == "（二）下步工作建议"
    assert texts[i + 4].startswith("一是对推进较为滞后的2项任务，由区政府督查办下发督办单")
    assert "未进场施工" not in "".join(texts)  # nothing the units did not write

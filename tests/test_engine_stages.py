"""The status engine stage by stage (targets → evidence → assessment → verdict), its
agreement with the labelled corpus, and properties that must hold for any text."""
from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pytest

from duban.judge import DONE, LAGGING, MANUAL, NORMAL, EVIDENCE_KEYS, get_rules, judge_indicator, judge_task
from duban.judge.evidence import read_progress
from duban.judge.targets import task_targets

R = get_rules()
Q1, H1, Q3, YE = date(2022, 3, 31), date(2022, 6, 30), date(2022, 9, 30), date(2022, 12, 31)
ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------
# Stage 1: task → targets
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("task, expected", [
    ("新建30个社区食堂", [("count", 30.0, "社区食堂")]),
    ("农村改厕1220", [("count", 1220.0, "农村改厕")]),  # measure word lost in the notice
    ("新建5005G基站,拓展智慧政务", [("count", 500.0, "5G基站"), ("process", None, None)]),
    ("实现数字经济增加值增长7%", [("growth", 7.0, None)]),
    ("民间投资占比60%以上", [("level", 60.0, None)]),
    ("实现燃气报警装置加装全覆盖", [("level", 100.0, None)]),
    ("建成西部区块链研究院", [("deliverable", None, "西部区块链研究院")]),
    ("加快建设树人和平小学等4所中小学", [("process", None, None)]),
    ("推动万普隆能源科技上市", [("process", None, None)]),
    ("一窗综办、一网通办达90%以上", [("level", 90.0, "一窗综办"), ("level", 90.0, "一网通办")]),
])
def test_targets(task, expected):
    got = [(t.kind, t.goal, t.object if e[2] else None) for t, e in zip(task_targets(task, R), expected)]
    assert got == expected and len(task_targets(task, R)) == len(expected)


def test_process_parts_are_minor_beside_quantified_ones():
    ts = task_targets("建设大学生就业创业孵化中心,精准帮扶重点群体就业创业,新增城镇就业3万人", R)
    assert [(t.kind, t.principal) for t in ts][-1] == ("count", True)
    assert all(not t.principal for t in ts if t.kind == "process")


def test_deliverable_items():
    (t,) = task_targets("建成江山公园、两溪花谷、江野风情岸线", R)
    assert t.items == ("江山公园", "两溪花谷", "江野风情岸线")


# ---------------------------------------------------------------------------
# Stage 2: progress → evidence (modality of every number, stages, delays)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("text, number, modality", [
    ("已完成改厕156户", 156, "done"),
    ("9个涉农镇街共有改厕需求1386户", 1386, "scope"),
    ("纳入2022年改造计划1220户", 1220, "scope"),
    ("在建11.6公里", 11.6, "underway"),
    ("首批120户已开工改造", 120, "underway"),
    ("全区累计建成充电桩4630个", 4630, "cumulative"),  # this year's or the stock: alignment decides by size
    ("截至3月底，全区充电桩保有量4630个", 4630, "stock"),
    ("全区市场主体总量达15.8万户", 158000, "stock"),
    ("①新建2个标准化派出所：井口派出所已投用", 2, "echo"),
    ("发现问题厕所126户，2019年以来改造的3860户", 3860, "other_year"),
    ("其中3月份培训1020人次", 1020, "period_only"),
    ("累计完成总工程量的82%", 82, "multi_year"),
    ("剩余18处尚未施工", 18, "not_started"),
    ("已完成10个智慧社区示范点的选址和建设方案审核", 10, "prep"),
    ("计划秋季开学前新增学位1890个", 1890, "planned"),
])
def test_reading_modality(text, number, modality):
    prog = read_progress(text, R, 2022)
    got = {r.q.value: r.modality for r in prog.readings}
    assert got.get(float(number)) == modality, got


@pytest.mark.parametrize("text, stage", [
    ("西部区块链研究院已完成选址", "前期"),
    ("主体结构已全部封顶，正在进行幕墙安装", "施工"),
    ("井口社区体育公园主体完工，正在安装健身器材", "施工"),  # 主体完工 is not 建成
    ("清水溪工程已完工并通过竣工验收", "投用"),
    ("预计2023年6月竣工", None),  # a plan is no stage
])
def test_stage_ladder(text, stage):
    prog = read_progress(text, R, 2022)
    best = max((m.stage for m in prog.stages), key=["前期", "施工", "完工", "投用"].index, default=None)
    assert best == stage


@pytest.mark.parametrize("text, declared", [
    ("受疫情影响，主体施工较计划推迟约1个月", True),
    ("进度滞后于全市平均水平", True),
    ("剩余5.4公里调整至2023年枯水期实施，顺延至明年", True),
    ("未出现进度滞后情况", False),
    ("对进度滞后的3个镇街开展专项督导", False),
])
def test_self_declared_delay(text, declared):
    assert bool(read_progress(text, R, 2022).delays) is declared


# ---------------------------------------------------------------------------
# Stages 3–4: assessment and verdict, with the evidence and the light
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("task, progress, period_end, status, light, words", [
    ("新建30个社区食堂", "1-9月，建成社区食堂8个", Q3, LAGGING, "红", ["建成社区食堂8个", "26.7%", "约48个百分点"]),
    ("新建30个社区食堂", "1-9月，建成社区食堂20个", Q3, NORMAL, "绿", ["66.7%"]),
    ("新建30个社区食堂", "1-9月，建成社区食堂17个", Q3, LAGGING, "黄", ["约18个百分点"]),
    ("建成山城步道30公里", "1-3月，建成山城步道4.2公里，在建11.6公里", Q1, NORMAL, "黄", ["4.2公里"]),
    ("新建城市绿道20公里", "1-9月，新建城市绿道8.6公里；9.8公里正在施工", Q3, MANUAL, "红", ["能否按期完成"]),
    ("建成西部区块链研究院", "已完成选址，场地装修方案已完成设计", Q1, NORMAL, "绿", ["选址"]),
    ("建成西部区块链研究院", "已完成选址，场地装修方案已完成设计", Q3, LAGGING, "黄", ["前期"]),
    ("建成区档案馆新馆", "主体结构已封顶，累计完成总工程量的68%，预计2023年6月竣工", YE, LAGGING, "黄", ["晚于目标时限"]),
    ("实现数字经济增加值增长7%", "一季度，全区数字经济增加值同比下降2.3%", Q1, LAGGING, "黄", ["同比下降2.3%"]),
    ("新建城市书房10个", "新建城市书房10个。", Q1, MANUAL, "", ["照抄"]),
    ("新建充电桩1200个", "截至3月底，全区累计建成充电桩4630个", Q1, MANUAL, "", ["累计"]),
    ("新增城镇就业3万人", "全年新增城镇就业3.12万人", YE, DONE, "绿", ["3.12万人"]),
    ("农村改厕1220", "全年完成农村改厕1150户", YE, MANUAL, "黄", ["接近但未达到"]),
    ("城镇调查失业率控制在5.5%以内", "一季度，全区城镇登记失业率2.9%", Q1, MANUAL, "", ["口径"]),
    ("工程建设项目审批时间压缩至60个工作日以内", "平均审批用时72个工作日，较去年同期压缩18个工作日", Q3, LAGGING, "黄",
     ["超出目标12个工作日"]),
    ("企业开办时间压缩至1个工作日以内", "平均开办时间0.8个工作日", Q1, DONE, "绿", ["0.8个工作日"]),
])
def test_verdicts(task, progress, period_end, status, light, words):
    j = judge_task(task, progress, period_end, 2022)
    assert (j.status, j.light) == (status, light), j.reason
    assert all(w in j.reason for w in words), j.reason


def test_evidence_records_are_complete_and_structured():
    j = judge_task("新建30个社区食堂", "1-9月，建成社区食堂8个", Q3, 2022)
    (e,) = j.evidence
    assert set(e) == set(EVIDENCE_KEYS)
    assert (e["kind"], e["goal"], e["actual"], e["state"], e["principal"]) == ("count", 30.0, 8.0, "behind", True)
    assert e["share"] == pytest.approx(0.2667, abs=1e-3) and e["gap"] == pytest.approx(48.3, abs=0.2)
    assert e["quote"] == "建成社区食堂8个"
    assert e["line"].startswith("新建30个社区食堂：建成社区食堂8个，完成26.7%，低于序时进度75%")


def test_several_units_name_the_lagging_one():
    text = "【区民政局】1-9月，建成社区食堂25个\n【区商务委】受疫情影响，社区食堂招商进度滞后"
    j = judge_task("新建30个社区食堂", text, Q3, 2022)
    assert j.status == LAGGING and "【区商务委】" in j.reason


def test_same_as_previous_period_is_noted():
    text = "1-9月，建成社区食堂20个"
    j = judge_task("新建30个社区食堂", text, Q3, 2022, previous="1-6月，建成社区食堂20个。")
    assert "与上期进展基本相同" in j.reason and j.details["same_as_previous"]


def test_indicator_keeps_the_actual_figure():
    j = judge_indicator("固定资产投资增长6%左右", "1-6月，固定资产投资同比增长9%（主城区第3名）", period_end=H1)
    (e,) = j.evidence
    assert (e["kind"], e["goal"], e["actual"], e["actual_text"]) == ("growth", 6.0, 9.0, "增长9%")
    j = judge_indicator("进出口总额增长5%以上", "1-6月进出口总额同比下降3.1%", period_end=H1)
    assert j.evidence[0]["actual_text"] == "下降3.1%" and "增长-" not in j.reason


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("done", [0, 1, 5, 11, 29])
@pytest.mark.parametrize("period_end", [Q1, H1, Q3, YE])
def test_never_done_while_a_quantified_target_is_below_its_number(done, period_end):
    for text in (f"已建成社区食堂{done}个", f"新建30个社区食堂：已建成{done}个，其余在建",
                 f"①新建30个社区食堂：已完成选址30个，建成{done}个"):
        assert judge_task("新建30个社区食堂", text, period_end, 2022).status != DONE, text


@pytest.mark.parametrize("task", ["新建30个社区食堂", "新建12个社区食堂、3个社区体育公园", "新增5000个公共停车位"])
@pytest.mark.parametrize("period_end", [Q1, Q3, YE])
def test_a_restated_target_never_counts_as_done(task, period_end):
    for text in (task, f"1-9月，{task}。", f"①{task}：正在推进"):
        assert judge_task(task, text, period_end, 2022).status != DONE, text


# ---------------------------------------------------------------------------
# The labelled corpus (tests/data/judge_cases.jsonl): a floor a little below today's agreement
# ---------------------------------------------------------------------------
def test_corpus_agreement_floor():
    spec = importlib.util.spec_from_file_location("judge_accuracy", ROOT / "benchmarks" / "judge_accuracy.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    s = bench.summary(bench.run(bench.load_cases()))
    assert s["cases"] == 224
    assert s["agreement"] >= 0.91, s
    assert s["lagging_called_done"] == [], s
    assert len(s["normal_called_done"]) <= 2, s


@pytest.mark.parametrize("corpus, n, floor", [("EXTRA", 60, 0.92), ("COUNTY", 50, 0.92), ("MONTHS", 40, 0.92),
                                              ("INDICATORS", 30, 0.92), ("CITY", 50, 0.88), ("ROUND5", 40, 0.9)])
def test_blind_corpora_agreement_floor(corpus, n, floor):
    """Cases written by sessions that never saw the engine (2023–2025, monthly periods, indicators)."""
    spec = importlib.util.spec_from_file_location("judge_accuracy", ROOT / "benchmarks" / "judge_accuracy.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    s = bench.summary(bench.run(bench.load_cases(getattr(bench, corpus))))
    assert s["cases"] == n
    assert s["agreement"] >= floor, s
    assert s["lagging_called_done"] == [] and len(s["false_done"]) <= 1, s


def test_lights_follow_the_verdict_on_every_corpus():
    """A task judged 正常推进 is never red, 已完成 is always green, 未报送 has no light."""
    spec = importlib.util.spec_from_file_location("judge_accuracy", ROOT / "benchmarks" / "judge_accuracy.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for corpus in (bench.CORPUS, bench.EXTRA, bench.COUNTY, bench.MONTHS, bench.CITY, bench.ROUND5):
        for r in bench.run(bench.load_cases(corpus)):
            assert not (r["got"] == NORMAL and r["light"] == "红"), r["id"]
            assert r["got"] != DONE or r["light"] == "绿", r["id"]
            assert r["light"] in ("绿", "黄", "红", ""), r["id"]

"""judge_master: judging in worker processes gives exactly the serial result (not timed)."""
import random
from datetime import date

import pytest

from duban import status
from duban.model import Indicator, Master, Period, Task
from duban.status import judge_master, judge_tasks

PERIOD = "1-6月"

TASKS = [
    "新建12个社区食堂",
    "新建3个社区体育公园、30个社区健身点",
    "引育10名领军人才、200名高层次人才",
    "新增5000个公共停车位，完成125公里道路综合整治",
    "确保全年正式签约1000亿元以上，开工率达70%以上",
    "技术交易合同登记额增长15%",
    "农村改厕1220",
    "建成陈家桥滨河公园",
    "推动科学城隧道等重点项目建设",
    "引进3支创投基金",
    "新增市场主体2万户",
    "打造5条精品游线路，旅游产业增加值增长5%",
]
# realistic district answers: numbered parts, 截至…, 累计, 本月, 同比, ratios, titles, slogans, dates
PARTS = [
    "截至6月底，累计建成社区食堂{a}个，完成年度目标的{p}%",
    "本月新建{b}个，累计建成{a}个",
    "社区健身点已建成{c}个，社区体育公园已全部建成",
    "引进高层次人才{c}名，引育领军人才{b}名",
    "完成道路综合整治{a}公里，新增公共停车位{d}个",
    "累计正式签约项目{a}个、签约金额{c}亿元，开工率{p}%",
    "技术交易合同登记额同比增长{b}.{a}%",
    "已完成农村改厕{d}户",
    "项目完成总工程量的{p}%，形象进度符合计划",
    "项目尚未开工，正在办理用地手续",
    "召开专题推进会{b}次，协调解决用地、资金等问题{a}项",
    "印发《关于加快推进重点项目建设的实施方案》，建立“一企一策”服务机制，走访企业{d}家",
    "于{b}月{a}日召开工作调度会，明确责任单位{b}个",
    "旅游产业增加值同比下降{b}.{a}%",
    "已引进创投基金{b}支，总规模{c}亿元",
    "新增市场主体{a}.{b}万户",
    "暂无进展",
    "见附件",
]
MARKERS = [("①", "②", "③", "④"), ("一是", "二是", "三是", "四是"), ("（一）", "（二）", "（三）", "（四）")]


def _progress(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.05:
        return ""
    markers = rng.choice(MARKERS)
    n = rng.randint(1, 4)
    parts = []
    for i in range(n):
        clause = rng.choice(PARTS).format(a=rng.randint(1, 40), b=rng.randint(1, 9), c=rng.randint(10, 300),
                                          d=rng.randint(100, 6000), p=rng.randint(5, 110))
        parts.append((markers[i] if n > 1 else "") + clause + "。")
    return "".join(parts)


def _master(n_tasks: int, seed: int = 7) -> Master:
    rng = random.Random(seed)
    m = Master(year=2022)
    m.periods = [Period(PERIOD, date(2022, 6, 30))]
    for i in range(1, n_tasks + 1):
        text = rng.choice(TASKS).replace("12", str(rng.randint(5, 40)))
        t = Task(id=i, category="重点任务", task=text, deadline=rng.choice(["", "6月底前", "12月底前", "三季度"]))
        e = t.entry(PERIOD)
        e.progress = _progress(rng)
        if rng.random() < 0.1:
            e.amount = str(rng.randint(1, 30))
        if rng.random() < 0.1:
            e.override = rng.choice(["已完成", "推进较为滞后"])
        m.tasks.append(t)
    m.indicators.append(Indicator(id=1, target="地区生产总值增长5.5%左右"))
    m.indicators[0].entry(PERIOD).progress = "1-6月，全区地区生产总值同比增长4.2%"
    return m


def _statuses(m: Master) -> list[tuple[str, str]]:
    return [(t.entry(PERIOD).status, t.entry(PERIOD).reason) for t in m.tasks + m.indicators]


def test_parallel_judgement_equals_serial():
    serial, parallel = _master(300), _master(300)
    rs = judge_master(serial, PERIOD, workers=1)
    seen = []
    rp = judge_master(parallel, PERIOD, lambda done, total: seen.append((done, total)), workers=2)
    assert _statuses(parallel) == _statuses(serial)
    assert len({s for s, _ in _statuses(serial)}) >= 4  # the sample exercises several statuses
    assert (rp.tasks, rp.indicators, rp.overridden, rp.changed) == (rs.tasks, rs.indicators, rs.overridden, rs.changed)
    assert seen and seen[-1] == (301, 301)


def test_parallel_judge_tasks_keeps_order_and_rules():
    m = _master(120, seed=11)
    items = [status._task_input(t, PERIOD) for t in m.tasks]
    for rules in ({}, {"lag_points": 1}):
        serial = judge_tasks(items, date(2022, 6, 30), 2022, rules, workers=1)
        assert judge_tasks(items, date(2022, 6, 30), 2022, rules, workers=2) == serial
    strict = judge_tasks(items, date(2022, 6, 30), 2022, {"lag_points": 1}, workers=2)
    assert strict != judge_tasks(items, date(2022, 6, 30), 2022, {}, workers=2)


def test_falls_back_to_one_process(monkeypatch):
    class NoProcesses:
        def __init__(self, *a, **k):
            raise OSError("no processes here")

    expected = _master(60)
    judge_master(expected, PERIOD, workers=1)
    monkeypatch.setattr(status, "ProcessPoolExecutor", NoProcesses)
    m = _master(60)
    judge_master(m, PERIOD, workers=2)
    assert _statuses(m) == _statuses(expected)


def test_small_masters_stay_in_one_process(monkeypatch):
    pools = []
    monkeypatch.setattr(status, "ProcessPoolExecutor", lambda *a, **k: pools.append(a) or 1 / 0)
    m = _master(50)
    judge_master(m, PERIOD)
    assert all(t.entry(PERIOD).status for t in m.tasks)
    assert pools == []  # below PARALLEL_FROM no pool is even tried


@pytest.mark.parametrize("n", [0, 1])
def test_tiny_inputs(n):
    m = _master(n)
    judge_master(m, PERIOD, workers=2)
    assert len(_statuses(m)) == n + 1

"""Realistic progress texts for benchmarks: what district units actually write back.

A unit's 进展情况 is typically 200–400 Chinese characters with 10–15 numbers:
numbered parts (①②③ / 一是二是 / （一）（二）), 截至6月底, 累计, 本月, 同比增长,
completion ratios (完成年度目标的45%), money (亿元/万元), dates, document titles
in 《》 and slogans in “”.  ``dense_progress(task_text, rng)`` writes such a text
for a task, answering the task's own quantified targets (so the matcher has real
work to do); ``short_progress`` is the one-clause kind ("已建成8个").

The task's targets are read with a small regex of its own, not with
duban.quantities: the benchmark input does not depend on the code it times, and
making it warms none of the parser's caches.

Used by ``benchmarks/bench.py`` and for profiling the status engine; not part of
the package.
"""
from __future__ import annotations

import random
import re
from typing import NamedTuple

__all__ = ["dense_progress", "short_progress", "task_pairs"]

_MARKERS = (
    ("①", "②", "③", "④", "⑤"),
    ("一是", "二是", "三是", "四是", "五是"),
    ("（一）", "（二）", "（三）", "（四）", "（五）"),
    ("1.", "2.", "3.", "4.", "5."),
)
_AS_OF = ("截至6月底，", "截至6月30日，", "1-6月，", "今年以来，", "上半年，", "截至目前，", "")
_SUBJECTS = ("项目", "工程", "社区食堂", "公共停车位", "产业基地", "龙头企业", "高新技术企业", "市场主体",
             "山城步道", "老旧小区", "农村改厕", "城市更新项目", "招商引资项目", "重点企业", "养老服务中心")
_UNITS = ("个", "家", "项", "户", "处", "公里", "平方米", "亩", "人", "名", "套")

# Filler clauses around the answer itself: each has 1-3 numbers, dates, titles or slogans.
_FILLERS = (
    "召开专题推进会{a}次，协调解决用地、资金等问题{b}项",
    "区领导带队现场督导{a}次，印发《关于加快推进重点项目建设的实施方案》",
    "累计完成投资{m}亿元，占年度计划的{p}%",
    "完成投资{m}.{a}亿元，同比增长{g}.{b}%",
    "本月新增{a}个，累计达到{c}个",
    "出动执法人员{c}人次，检查企业{d}家，整改问题{b}个",
    "于{mo}月{day}日召开工作调度会，明确责任单位{a}个",
    "建立“一企一策”服务机制，走访企业{d}家，收集诉求{c}条，已办结{b}条",
    "项目总投资{m}亿元，完成总工程量的{p}%，形象进度符合计划",
    "开展培训{a}场次，参训人员{d}人次",
    "争取上级资金{m}{b}0万元，到位率{p}%",
    "第二季度新开工项目{a}个，较上年同期增加{b}个",
    "预计三季度完成主体工程，年底前投入使用",
    "完成征地拆迁{c}亩，拆除房屋{d}平方米",
    "受疫情影响，部分工序延后约{b}周，已制定赶工计划",
    "新增就业岗位{d}个，带动{c}名群众增收",
    "营业收入同比下降{b}.{a}%，降幅较一季度收窄{a}个百分点",
    "签约项目{a}个、协议金额{m}亿元，其中{b}个已开工",
)


class _Target(NamedTuple):
    verb: str
    value: float
    unit: str
    subject: str
    kind: str  # "count" or "growth"


_VERBS = ("新建", "建成", "建设", "引进", "引育", "培育", "打造", "完成", "新增", "实施", "创建", "开行", "改造", "孵化", "整治")
_TARGET_RE = re.compile(
    r"(" + "|".join(_VERBS) + r")?(\d+(?:\.\d+)?)(万|亿)?"
    r"(个|家|户|名|条|支|所|座|套|处|项|辆|班|人|公里|平方米|亩|元|%)?"
    r"([\u4e00-\u9fff]{0,8})")
_GROWTH_RE = re.compile(r"([\u4e00-\u9fff]{2,10}?)(?:增长|提高)(\d+(?:\.\d+)?)%")


def _targets(task_text: str) -> list[_Target]:
    """Rough quantified targets of a task: "新建12个社区食堂", "旅游产业增加值增长5%"."""
    out = [_Target("", float(m.group(2)), "%", m.group(1), "growth") for m in _GROWTH_RE.finditer(task_text)]
    for m in _TARGET_RE.finditer(task_text):
        verb, num, mult, unit, noun = m.groups()
        if unit == "%" or not (verb or unit):
            continue
        value = float(num) * {"万": 1e4, "亿": 1e8}.get(mult or "", 1)
        out.append(_Target(verb or "", value, (mult or "") + (unit or ""), noun, "count"))
    return out


def _n(rng: random.Random, lo: int, hi: int) -> int:
    return rng.randint(lo, hi)


def _filler(rng: random.Random) -> str:
    return rng.choice(_FILLERS).format(
        a=_n(rng, 1, 9), b=_n(rng, 1, 20), c=_n(rng, 20, 400), d=_n(rng, 100, 9000),
        m=_n(rng, 1, 80), p=_n(rng, 10, 95), g=_n(rng, 1, 30), mo=_n(rng, 1, 6), day=_n(rng, 1, 28))


def _answer(target, rng: random.Random) -> str:
    """One clause reporting a task target at some share of it."""
    share = rng.choice((0.1, 0.3, 0.45, 0.6, 0.8, 1.0, 1.1))
    subj = target.subject or rng.choice(_SUBJECTS)
    if target.kind == "growth":
        return f"{subj}同比增长{round(target.value * rng.uniform(0.5, 1.3), 1)}%"
    unit = target.unit
    scale = {"万": 1e4, "亿": 1e8}.get(unit[:1], 1)
    v = max(1, round(target.value / scale * share))
    verb = target.verb or "完成"
    form = rng.randrange(4)
    if form == 0:
        return f"累计{verb}{subj}{v}{unit}"
    if form == 1:
        return f"{subj}已{verb}{v}{unit}，完成年度目标的{round(share * 100)}%"
    if form == 2:
        return f"本月{verb}{max(1, v // 5)}{unit}，累计{verb}{v}{unit}{subj}"
    return f"{verb}{subj}{v}{unit}，占全年任务的{round(share * 100)}%"


def dense_progress(task_text: str, rng: random.Random) -> str:
    """A 200–400 character progress text with 10–15 numbers, in numbered parts."""
    targets = _targets(task_text)
    markers = rng.choice(_MARKERS)
    n_parts = rng.randint(3, 4)
    parts = []
    answered = [_answer(t, rng) for t in targets if rng.random() < 0.85]
    for i in range(n_parts):
        clauses = []
        if i < len(answered):
            clauses.append(answered[i])
        while len(clauses) < 2:
            clauses.append(_filler(rng))
        rng.shuffle(clauses)
        parts.append(markers[i] + "，".join(clauses) + "。")
    for extra in answered[n_parts:]:
        parts[-1] += extra + "。"
    head = rng.choice(_AS_OF) + rng.choice(("我单位高度重视，成立工作专班，", "牵头单位会同配合单位，", "")) \
        + rng.choice(("各项工作有序推进。", "按照时间节点加快推进。", "总体进展顺利。"))
    text = head + "".join(parts)
    if len(text) < 200:
        text += "下一步，" + _filler(rng) + "，" + _filler(rng) + "，确保年底前全面完成目标任务。"
    return text[:420]


def short_progress(task_text: str, rng: random.Random) -> str:
    """A one- or two-clause progress text ("截至6月30日，已建成8个")."""
    targets = _targets(task_text)
    if targets and rng.random() < 0.8:
        return rng.choice(_AS_OF) + "，".join(_answer(t, rng) for t in targets[:2])
    return rng.choice(("正在加快推进，已完成前期手续办理", "已完成", "项目尚未开工，正在办理用地手续",
                       "已完成年度目标的{}%".format(_n(rng, 10, 90)), "暂无进展", "见附件"))


def _vary(text: str, rng: random.Random) -> str:
    """The same task with other numbers, so tasks are (mostly) distinct strings."""
    return re.sub(r"\d+", lambda m: str(max(1, int(m.group()) + rng.randint(-9, 30))), text)


def task_pairs(n: int, dense: bool = True, seed: int = 2022) -> list[tuple[str, str, str]]:
    """n (task, progress, deadline) triples: the bundled 2022 notice's tasks, numbers varied."""
    from duban.demo import sample_notice
    from duban.notice import read_notice

    rng = random.Random(seed)
    pool = [t.task for t in read_notice(sample_notice()).tasks]
    make = dense_progress if dense else short_progress
    out = []
    for i in range(n):
        task = _vary(rng.choice(pool), rng)
        if rng.random() < 0.3:
            task += "；" + _vary(rng.choice(pool), rng)
        out.append((task, make(task, rng), rng.choice(("", "6月底前", "12月底前", "全年"))))
    return out

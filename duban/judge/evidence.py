"""Stage 2 — progress text → evidence.

The report is split into clauses (①②, 一是/二是, 。；，：) and every number in it is read
with its *modality*: is it something done this year, something under way, a plan, a scope
or list (摸排, 涉及, 清单, 计划…), a stock or cumulative total, another year's or another
ranking's figure, a restated target heading, a multi-year share of total works?  Each clause
also gets the stage of work it reports (前期 → 施工 → 完工 → 投用), the unit's own words
of delay, statements of not having started, and planned dates.

Nothing here knows the task: the alignment stage ties readings to targets.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from ..quantities import Quantity, parse_progress
from .rules import Rules

STAGES = ("前期", "施工", "完工", "投用")
STAGE_RANK = {s: i for i, s in enumerate(STAGES)}

_UNIT_LABEL_RE = re.compile(r"【([^】\n]{2,40})】")
_SENT_SPLIT_RE = re.compile(r"[。；;！!？?\n]|(?=[①②③④⑤⑥⑦⑧⑨⑩])|(?=(?:[一二三四五六七八九十]是))")
_SUB_SPLIT_RE = re.compile(r"[，,：:]")
_MARKER_RE = re.compile(r"^\s*(?:[①②③④⑤⑥⑦⑧⑨⑩]|[一二三四五六七八九十]{1,3}是|[（(][一二三四五六七八九十\d]{1,3}[）)]"
                        r"|[一二三四五六七八九十]{1,3}[、．]|\d{1,2}[、．](?!\d))\s*")
_PERIOD_PREFIX_RE = re.compile(
    r"^\s*(?:(?:20\d\d年)?(?:1|一)?\s*[-—－~～至到]\s*\d{1,2}\s*月(?:份)?|截至\s*(?:20\d\d年)?\d{1,2}月(?:底|末|\d{1,2}日)?|"
    r"(?:20\d\d年)?(?:全年|一季度|二季度|三季度|四季度|上半年|前三季度)|今年以来|20\d\d年(?:以来)?|\d{1,2}月(?:份)?)\s*[，,：:]?\s*")
_OTHER_YEAR_RE = re.compile(r"(20\d\d)\s*年")
_RANK_BEFORE_RE = re.compile(r"第\s*$|前\s*$")
_MONTH_ONLY_RE = re.compile(r"(?:其中|当月|仅)?\s*(?<![-—－~～至到\d])(?:\d{1,2}|[一二三四五六七八九十]{1,2})\s*月(?:份)?[^，,；;。]{0,8}$|"
                            r"(?:其中|当)?\s*(?<![前])[二三四]季度[^，,；;。]{0,6}$|当月|本月|当季")
_THIS_QUARTER_RE = re.compile(r"本季度|本季")
_TARGET_LINE_RE = re.compile(r"^\s*(?:[①②③④⑤⑥⑦⑧⑨⑩]\s*)?(?:年度|全年)?(?:目标任务|任务目标|目标|任务)\s*[：:]")
_ENDS_WITH_HEADING = re.compile(r"[：:]\s*$")
_PLAN_DATE_RE = re.compile(
    r"(计划|预计|力争|争取|拟|将于|将在|确保|顺延至|调整至|推迟至|延期至|延至|待)[^，,；;。]{0,14}?"
    r"(20\d\d\s*年|明年|下一年|下半年|年内|年底前?|年末|(?:\d{1,2}|十[一二]|[一二三四五六七八九十])\s*月)"
    r"[^，,；;。]{0,16}?(竣工|完工|建成|投用|投入使用|完成|实施|开工|启动|动工|交付|验收|上线|投运|开通|通车|开业)")
_CN_MONTHS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11,
              "十二": 12}
_DONE_QUALIFIED_RE = re.compile(r"(?:主体|结构|土建|基础|接近|即将|基本|部分)$|(?:主体|结构|土建|路基|基础)[^，,；;。]{0,4}$")
_STAGE_BLOCK_BEFORE_RE = re.compile(r"(?:计划|预计|力争|争取|确保|将|拟|待|未|尚未|暂未|即将|能否|可望|有望|准备|完成后|全部)\s*[^，,；;。]{0,4}$")
_PLAN_ANYWHERE_RE = re.compile(r"计划|预计|力争|争取|确保|拟|将于|将在|待|有望|可望|能否|如期")
_STAGE_AFTER_BLOCK_RE = re.compile(r"^\s*(?:后|前|时|的标志)")


@dataclass(frozen=True, slots=True)
class Clause:
    """One sub-clause of the report (between ，；。：) with its sentence and origin."""

    text: str
    start: int
    end: int
    sentence: str
    sent_start: int
    part: int = 0  # 1-based index of the numbered part (①, 一是 …), 0 if none
    unit: str | None = None  # reporting unit when the text is labelled 【单位】
    heading: bool = False  # followed by "：" — a heading, often restating the target


@dataclass(frozen=True, slots=True)
class Reading:
    """A number of the report read in context."""

    q: Quantity
    modality: str  # done underway not_started planned scope prep stock other_year period_only multi_year echo neutral
    clause: Clause
    remainder: bool = False  # "其余/剩余/另有 …"

    @property
    def phrase(self) -> str:
        """The figure as written; without the tail of a date the parser took along ("截至9月底城市…")."""
        p = self.q.phrase or self.q.text
        return p[1:] if p[:1] in "底末" and len(p) > 2 else p


@dataclass(frozen=True, slots=True)
class StageMark:
    stage: str
    word: str
    clause: Clause


@dataclass
class Progress:
    """Everything read from one progress text."""

    text: str
    core: str  # the text without period prefixes and markers (for echo checks)
    clauses: list[Clause] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    stages: list[StageMark] = field(default_factory=list)
    not_started: list[tuple[str, Clause]] = field(default_factory=list)
    delays: list[tuple[str, Clause]] = field(default_factory=list)
    plans: list[tuple[date | None, str, str, Clause]] = field(default_factory=list)  # (date, action, text, clause)
    units: list[str] = field(default_factory=list)


def strip_marker(s: str) -> str:
    """A clause without its list marker (①, 一是, （一）, 1、)."""
    return _MARKER_RE.sub("", s.strip())


def core_text(text: str) -> str:
    """The report without period prefix ("1-9月，", "截至3月底，") and list markers."""
    t = text.strip()
    for _ in range(3):
        t2 = strip_marker(_PERIOD_PREFIX_RE.sub("", t, count=1))
        if t2 == t:
            break
        t = t2
    return t


def _segments(text: str) -> list[tuple[str | None, int, int]]:
    """(unit, start, end) of the text labelled per unit (【区民政局】…), or the whole text."""
    marks = list(_UNIT_LABEL_RE.finditer(text))
    if not marks:
        return [(None, 0, len(text))]
    segs = []
    if marks[0].start() > 0 and text[: marks[0].start()].strip():
        segs.append((None, 0, marks[0].start()))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        segs.append((m.group(1).strip(), m.end(), end))
    return segs


def split_clauses(text: str) -> list[Clause]:
    out: list[Clause] = []
    part = 0
    for unit, a, b in _segments(text):
        pos = a
        seg = text[a:b]
        bounds = [m.start() for m in _SENT_SPLIT_RE.finditer(seg)] + [len(seg)]
        prev = 0
        for bnd in bounds:
            if bnd <= prev and bnd != len(seg):
                continue
            sent = seg[prev:bnd]
            s_start = pos + prev
            stripped = sent.lstrip("。；;！!？?\n ")
            s_start += len(sent) - len(stripped)
            sent = stripped
            prev = bnd
            if not sent.strip():
                continue
            if _MARKER_RE.match(sent):
                part += 1
            sub_prev = 0
            pieces = [m.end() for m in _SUB_SPLIT_RE.finditer(sent)]
            for end in pieces + [len(sent)]:
                piece = sent[sub_prev:end]
                heading = bool(_ENDS_WITH_HEADING.search(piece))
                t = piece.rstrip("，,：: ")
                if t.strip():
                    out.append(Clause(t, s_start + sub_prev, s_start + sub_prev + len(t), sent, s_start, part, unit,
                                      heading))
                sub_prev = end
    return out


def _clause_of(clauses: list[Clause], pos: int) -> Clause | None:
    lo, hi = 0, len(clauses)
    while lo < hi:  # clauses are in text order: bisect on their starts
        mid = (lo + hi) // 2
        if clauses[mid].start <= pos:
            lo = mid + 1
        else:
            hi = mid
    for c in clauses[max(0, lo - 2):lo + 1]:
        if c.start <= pos < c.end + 1:
            return c
    return None


def _prev_clause(clauses: list[Clause], c: Clause, index: dict[int, int] | None = None) -> Clause | None:
    i = index[c.start] if index is not None else clauses.index(c)
    if i > 0 and clauses[i - 1].sent_start == c.sent_start:
        return clauses[i - 1]
    return None


def preparatory_after(after: str, R: Rules) -> bool:
    """The words after a number name a preparatory step as what was done with it
    ("10个示范点的选址和方案审核", "绿道已全部完成方案设计", "3个项目尚在前期")."""
    seg = after.rsplit("完成", 1)[1] if "完成" in after else after  # what was completed, if anything
    return bool(R.stage_prep_re.search(seg) or R.scope_re.search(seg) or re.search(r"尚在前期|前期阶段", seg)) and not (
        R.stage_done_re.search(seg) or R.stage_inuse_re.search(seg))


def _modality(q: Quantity, c: Clause, prev: Clause | None, R: Rules, year: int | None,
              late_period: bool = True, late_year: bool = True) -> tuple[str, bool]:
    a = q.span[0] - c.start
    b = q.span[1] - c.start
    before = c.text[:max(0, a)]
    after = c.text[b:]
    remainder = bool(R.remainder_re.search(before))
    if c.heading or _TARGET_LINE_RE.match(c.sentence):
        return "echo", remainder  # a heading, or a line restating the target ("目标：新建…5个")
    if not late_year and q.kind in ("count", "amount") and re.search(r"全年(?!目标|任务|计划)", before):
        return "planned", remainder  # "全年完成…800套" in a mid-year report is the plan
    if re.match(r"^[^，,；;。（(]{0,14}(?:项目|工程|小区|社区|村|市场|学校|站点|点位)中", after):
        return "scope", remainder  # "两所小学改扩建项目中，…": the number names the group
    if before.endswith("每") or re.search(r"每\S{0,3}$", before) and "每" in before[-4:]:
        return "other_year", remainder  # a per-capita ratio (每千人口…)
    if _RANK_BEFORE_RE.search(before) or "排名" in before or "位居" in before:
        return "other_year", remainder
    for m in _OTHER_YEAR_RE.finditer(before):
        if year and int(m.group(1)) != year:
            return "other_year", remainder
    if R.other_year_re.search(before) and q.kind in ("count", "amount"):
        return "other_year", remainder
    period_only = q.period_only or bool(_MONTH_ONLY_RE.search(before)) or bool(_THIS_QUARTER_RE.search(before) and late_period)
    if period_only and not late_period and _THIS_QUARTER_RE.search(before) and not _MONTH_ONLY_RE.search(before):
        period_only = False  # in a first-quarter report 本季度 is the whole period
    if period_only:
        return "period_only", remainder
    if R.multi_year_re.search(before) or R.multi_year_re.search(after[:6]):
        return "multi_year", remainder
    if R.not_started_re.search(before) or R.not_started_re.search(after):
        return "not_started", remainder
    if re.search(r"需求|清单|涉及|纳入|范围|对象|名单|计划改造|计划实施", before):
        return "scope", remainder
    sent_before = c.sentence[:max(0, q.span[0] - c.sent_start)]
    if R.stock_re.search(before) or re.search(r"全区[^，,；;。]{0,12}达到?\s*$", before):
        return "stock", remainder
    if re.search(r"(?:已达|达到)\s*$", before) and not re.search(r"新增|新建|完成|建成|引进|开工|培育|发放|实现", before):
        return "stock", remainder  # "实际处理量已达18.6万吨/日": a level reached, not this year's addition
    if re.match(r"^\s*(?:（[^）]*）)?\s*(?:任务|目标)", after) or re.search(r"分解到|分解下达", after):
        return "scope", remainder  # "将8000套（间）任务分解到各区县": the task itself
    if "全区" in before and "累计" in before:
        return "cumulative", remainder  # this year's total or the district's stock: the size decides
    if re.search(r"共有|现有|拥有|保有", sent_before) and not re.search(r"新建|新增|20\d\d年", before):
        return "stock", remainder
    if R.scope_re.search(before):
        return "scope", remainder
    if R.plan_re.search(before):
        return "planned", remainder
    if R.underway_re.search(before):
        return "underway", remainder
    rest = c.sentence[max(0, q.span[1] - c.sent_start):]
    if re.search(r"落实|安排|排定", after) and re.search(r"计划|拟|将于|将在", rest):
        return "planned", remainder  # "0.9万亩已落实地块和苗木，计划11月集中实施"
    if prev is not None and (R.underway_re.search(prev.text) and re.search(r"涉及|共计", before)):
        return "underway", remainder
    preps = [m.end() for m in R.stage_prep_re.finditer(before)]
    dones = [m.end() for m in R.stage_done_re.finditer(before)] + [m.end() for m in R.stage_inuse_re.finditer(before)]
    if preps and (not dones or max(preps) > max(dones)):
        return "prep", remainder  # "完成整治方案设计48条": the last step named is preparatory
    if preparatory_after(after, R):
        # "已完成10个示范点的选址和方案审核", "3个项目尚在前期": the number names what is being prepared
        return "prep", remainder
    if R.underway_re.search(after) and not R.stage_done_re.search(after):
        return "underway", remainder
    if q.verb or R.stage_done_re.search(before + after) or R.stage_inuse_re.search(before + after) or "完成" in before:
        return "done", remainder
    return "neutral", remainder


_PASSED_CHECK_RE = re.compile(r"通过[\u4e00-\u9fff]{0,6}验收|验收合格(?!线|标准|分)|验收通过")


def _stage_marks(c: Clause, R: Rules) -> list[StageMark]:
    marks = []
    for m in _PASSED_CHECK_RE.finditer(c.text):  # "通过环保验收": a check passed, the thing is in use
        if not _PLAN_ANYWHERE_RE.search(c.text[:m.start()]) and not re.search(r"[未待]\s*$", c.text[:m.start()]):
            marks.append(StageMark("投用", m.group(0), c))
    for stage, rx in (("投用", R.stage_inuse_re), ("完工", R.stage_done_re), ("施工", R.stage_build_re),
                      ("前期", R.stage_prep_re)):
        for m in rx.finditer(c.text):
            before = c.text[:m.start()]
            after = c.text[m.end():]
            st = stage
            if m.group(0).startswith("建成") and (before.endswith("创") or after.startswith("果")):
                continue  # 创建成果 is not 建成
            if m.group(0) == "挂牌" and after.startswith("督办"):
                continue  # 挂牌督办 is supervision, not an opening
            if stage in ("投用", "完工"):
                if _STAGE_BLOCK_BEFORE_RE.search(before) and not re.search(r"已\s*全部\s*$|全部已\s*$", before):
                    continue
                if _PLAN_ANYWHERE_RE.search(before):
                    continue
                if _STAGE_AFTER_BLOCK_RE.match(after):
                    continue
                if _DONE_QUALIFIED_RE.search(before):
                    st = "施工"
            elif stage == "施工":
                if re.search(r"(?:计划|预计|拟|将|未|尚未|暂未|待)\s*[^，,；;。]{0,4}$", before) or _PLAN_ANYWHERE_RE.search(before):
                    continue
                if re.match(r"^\s*(?:工程)?(?:总承包)?(?:图|招标|许可|单位|方案|窗口|设计|计划|队伍|总承包)", after):
                    continue  # 施工图, 装修方案: documents of the preparatory stage
            elif stage == "前期":
                if re.match(r"^\s*(?:后|中)", after) and m.group(0) in ("设计", "方案"):
                    pass
            marks.append(StageMark(st, m.group(0), c))
    return marks


def _delay_words(c: Clause, R: Rules) -> list[str]:
    out = []
    for m in R.delay_re.finditer(c.text):
        before = c.text[:m.start()]
        if R.delay_negated_re.search(before):
            continue
        if re.search(r"对[^，,；;。]{0,8}$", before) and re.match(r"^[^，,；;。]{0,4}的", c.text[m.end():]):
            continue  # "对进度滞后的镇街开展督导": about others, not a declaration
        out.append(m.group(0))
    return out


def _plan_date(when: str, year: int | None) -> date | None:
    w = when.replace(" ", "")
    y = year or date.today().year
    m = re.match(r"(20\d\d)年", w)
    if m:
        yy = int(m.group(1))
        return date(yy, 12, 31) if yy != y else date(y, 12, 31)
    if w in ("明年", "下一年"):
        return date(y + 1, 12, 31)
    if w in ("下半年", "年内", "年底", "年底前", "年末"):
        return date(y, 12, 31)
    m = re.match(r"(\d{1,2}|十[一二]|[一二三四五六七八九十])月", w)
    if m:
        mo = int(m.group(1)) if m.group(1).isdigit() else _CN_MONTHS.get(m.group(1), 12)
        mo = min(max(mo, 1), 12)
        return date(y, mo, calendar.monthrange(y, mo)[1])
    return None


def read_progress(text: str, R: Rules, year: int | None = None, period_end: date | None = None) -> Progress:
    """Read a progress text into clauses, readings, stages, delays and plans.

    ``period_end`` tells whether "本季度" is the whole period (a first-quarter report) or a part."""
    late_period = period_end is None or period_end.month > 3
    late_year = period_end is None or period_end.month == 12 or (year is not None and period_end.year > year)
    prog = Progress(text=text, core=core_text(text))
    prog.clauses = split_clauses(text)
    prog.units = [u for u, _, _ in _segments(text) if u]
    index = {c.start: i for i, c in enumerate(prog.clauses)}
    for q in parse_progress(text):
        c = _clause_of(prog.clauses, q.span[0])
        if c is None:
            continue
        modality, remainder = _modality(q, c, _prev_clause(prog.clauses, c, index), R, year, late_period, late_year)
        if modality in ("done", "neutral") and c.text.lstrip().startswith("其中") and prog.readings:
            last = prog.readings[-1]
            if last.clause.sent_start == c.sent_start and last.modality in ("stock", "cumulative", "scope", "prep", "underway") \
                    and not re.search(r"新建|新增|今年|本年|已完成|完成|建成|完工|投用|%d年" % (year or 0), c.text):
                modality = last.modality  # "累计建成4630个，其中公共充电桩2860个": a part of the same stock
        if remainder and modality in ("done", "neutral") and R.underway_re.search(c.sentence) \
                and not re.search(r"未|暂缓|停", c.sentence):
            modality = "underway"  # "另11个均已完成装修主体，正在进行设备安装"
        prog.readings.append(Reading(q, modality, c, remainder))
    for c in prog.clauses:
        prog.stages.extend(_stage_marks(c, R))
        for m in R.not_started_re.finditer(c.text):
            prog.not_started.append((m.group(0), c))
        for w in _delay_words(c, R):
            prog.delays.append((w, c))
    for m in _PLAN_DATE_RE.finditer(text):
        c = _clause_of(prog.clauses, m.start(2))
        if c is None:
            continue
        prog.plans.append((_plan_date(m.group(2), year), m.group(3), m.group(0), c))
    return prog

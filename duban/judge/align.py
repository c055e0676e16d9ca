"""Stage 3 — tie evidence to each target and assess it against 序时.

Per target the result is an :class:`Assessment`: a state (met / on_track / behind /
not_started / manual / unknown), the completion share and the gap to 序时 in percentage
points, the stage of a deliverable, the quoted clause and an officer-ready line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..quantities import _SYN, _fmt, subject_overlap
from .evidence import STAGE_RANK, Progress, Reading, StageMark, preparatory_after, strip_marker
from .rules import Rules
from .targets import TargetSpec
from .timing import pct, rshare, share_pct

# measure conversions to the target's measure: (reported, target) -> factor
_CONVERT = {("米", "公里"): 0.001, ("千米", "公里"): 1.0, ("公里", "米"): 1000.0, ("公顷", "平方公里"): 0.01,
            ("平方公里", "公顷"): 100.0, ("亩", "公顷"): 1 / 15, ("公顷", "亩"): 15.0, ("平方米", "平方公里"): 1e-6,
            ("平方公里", "平方米"): 1e6, ("公顷", "平方米"): 1e4, ("万人", "人"): 1.0}
_COUNT_LIKE = frozenset(["个", "家", "户", "栋", "幢", "套", "所", "处", "座", "条", "项", "名", "人", "位", "部", "台",
                         "辆", "场", "班", "列", "件", "村", "间", "张", "株", "宗", "批", "支", "段", "棵"])
_OTHER_OBJECT_UNITS = frozenset(["元", "美元", "人次", "场次", "次", "万元", "亿元"])


@dataclass
class Assessment:
    target: TargetSpec
    state: str  # met on_track behind not_started manual unknown
    share: float | None = None
    expected: float | None = None
    gap: float | None = None  # percentage points behind 序时 (count) or below goal (growth/level)
    actual: float | None = None
    actual_text: str | None = None
    stage: str | None = None
    quote: str | None = None
    unit: str | None = None
    line: str = ""
    question: str = ""  # for manual/unknown: what a person must answer
    mitigated: bool = False  # on track only thanks to work under way

    def record(self) -> dict:
        from .model import evidence_record

        t = self.target
        return evidence_record(
            target=t.text, kind=t.kind, object=t.object or None, goal=t.goal, measure=t.measure,
            actual=None if self.actual is None else round(self.actual, 4), actual_text=self.actual_text,
            share=None if self.share is None else round(self.share, 4),
            expected=None if self.expected is None else round(self.expected, 4),
            gap=None if self.gap is None else round(self.gap, 1), stage=self.stage,
            state=self.state, quote=self.quote, unit=self.unit, principal=t.principal, line=self.line)


def _multi_year_share(prog: Progress, key: str, single: bool) -> Reading | None:
    """A share of the total works ("完成总工程量的60%") for this target."""
    best = None
    for r in prog.readings:
        if r.modality != "multi_year" or r.q.kind not in ("completion_ratio", "percent"):
            continue
        if not single and key and key not in r.clause.sentence and subject_overlap(key, r.clause.sentence) < 0.5:
            continue
        if best is None:
            best = r
    return best


def points(x: float) -> str:
    return _fmt(round(x)) if abs(x) >= 10 else _fmt(round(x, 1))


def _factor(reported: str | None, wanted: str | None) -> float | None:
    """Factor converting a reported measure to the target's; None when incompatible."""
    if wanted is None:
        if reported in _OTHER_OBJECT_UNITS:
            return None
        return 1.0
    if reported == wanted:
        return 1.0
    if reported is None:
        return 1.0
    if reported in _SYN.get(wanted, ()):
        return 1.0
    f = _CONVERT.get((reported, wanted))
    if f is not None:
        return f
    if wanted in _COUNT_LIKE and reported in _COUNT_LIKE and (wanted in ("个", "项") or reported in ("个", "项")):
        return 1.0
    return None


def _key(t: TargetSpec) -> str:
    return t.object or t.text


def _overlap(t: TargetSpec, r: Reading) -> float:
    key = _key(t)
    if not key:
        return 0.0
    q = r.q
    near = (q.subject or "") + (q.verb or "")
    head = 0.7 if (q.subject and len(q.subject) >= 2 and key.endswith(q.subject)) else 0.0  # 全民健身设施“点位”
    return max(head, subject_overlap(key, near), 0.8 * subject_overlap(key, r.clause.text),
               0.6 * subject_overlap(key, r.clause.sentence))


def _quote(r: Reading | StageMark | None) -> str | None:
    if r is None:
        return None
    return strip_marker(r.clause.text)


# ---------------------------------------------------------------------------
# count / amount
# ---------------------------------------------------------------------------
_PENDING_RE = re.compile(r"(?:评估|评审|验收|审定|公示|考核|认定|命名|督导)[^，,；;。]{0,8}(?:结果)?[^，,；;。]{0,4}(?:尚未公布|待公布|尚未出|待审定|待认定|尚未下达|待下达)|"
                         r"等待[^，,；;。]{0,14}(?:结果|审定|认定|命名|验收|评审|评估)|待[^，,；;。]{0,8}(?:组织)?(?:验收|评审|评估|认定)|"
                         r"申请认定|(?:结果|认定)[^，,；;。]{0,4}(?:尚未|暂未|未)(?:公布|下达|出台)")
_THIS_YEAR_RE = re.compile(r"本年|今年|年内|当年|本年度")
_FLOW_VERBS = re.compile(r"新建|新增|新改建|引进|引育|培育|孵化|招引|新开|开通|发放|培训|举办|拆除|改造|整治|治理|加装|"
                         r"完成|建成|实施|签约|开行|化解|打造|创建|提供|接入|吸纳|新签")


def _count_candidates(t: TargetSpec, prog: Progress, R: Rules, n_count_targets: int) -> list[tuple[float, Reading, float]]:
    out = []
    for r in prog.readings:
        q = r.q
        if q.kind not in ("count", "amount"):  # completion ratios are read by _ratio_reading
            continue
        f = _factor(q.unit, t.measure)
        if f is None:
            continue
        ov = _overlap(t, r)
        before = r.clause.text[:max(0, q.span[0] - r.clause.start)]
        own_verb = bool(t.verb and len(t.verb) >= 2 and (t.verb in (q.verb or "") or t.verb in before[-6:]))
        if t.measure is None and q.unit is not None and ov < R.min_subject_overlap and not own_verb:
            continue
        same_measure = q.unit == t.measure or q.unit in _SYN.get(t.measure or "", ()) or (q.unit, t.measure) in _CONVERT
        if t.goal and not same_measure and not 0.02 <= q.value * f / t.goal <= 5:
            continue  # "惠及居民1.26万户" is not "改造老旧小区45个"
        measured = q.kind == "amount" and (q.unit, t.measure) in _CONVERT and ov > 0  # 62公顷 for …1500亩
        if (q.verb in ("竣工", "建成", "完工", "完成", "投用") and n_count_targets == 1 and q.unit == t.measure
                and subject_overlap(_key(t), r.clause.sentence) >= R.min_subject_overlap):
            measured = True  # "已竣工并通过两级验收126户" in a sentence about 危房改造
        if q.subject and ov < R.min_subject_overlap and not (r.remainder and n_count_targets == 1) \
                and not (own_verb and n_count_targets == 1) and not measured:
            # a named quantity of something else (资金, 人次, 培训 …); "另11个…" refers to the target itself
            if n_count_targets > 1 or subject_overlap(_key(t), r.clause.sentence) < 0.5:
                continue
        if not q.subject and ov < R.min_subject_overlap and n_count_targets > 1:
            continue
        out.append((ov, r, f))
    return out


def _ratio_reading(t: TargetSpec, prog: Progress, R: Rules, n_count_targets: int) -> Reading | None:
    best = None
    for r in prog.readings:
        if r.q.kind != "completion_ratio" or r.modality in ("multi_year", "other_year", "planned", "scope"):
            continue
        if re.search(r"投资|资金", r.clause.text) and not re.search(r"投资|资金", _key(t)):
            continue
        if n_count_targets > 1 and _overlap(t, r) < R.min_subject_overlap:
            continue
        if best is None or _overlap(t, r) > _overlap(t, best):
            best = r
    return best


def _own_words(r: Reading, t: TargetSpec, R: Rules) -> bool:
    """A 'preparatory' or 'scope' reading whose only such words belong to the target's own name
    ("盘活闲置低效工业用地81.3公顷" for 闲置低效工业用地盘活: 用地 is the object, not a step)."""
    if r.modality not in ("prep", "scope") or not t.object:
        return False
    before = r.clause.text[:max(0, r.q.span[0] - r.clause.start)]
    words = [m.group(0) for m in R.stage_prep_re.finditer(before)] + [m.group(0) for m in R.scope_re.finditer(before)]
    return bool(words) and all(w in t.object for w in words)


def _prep_after(r: Reading, t: TargetSpec, R: Rules) -> bool:
    """"已完成全区110所中小学校园安全隐患排查" for 排查整治: the clause names a preparatory
    or partial step after the number, not the target's own completion."""
    after = r.clause.text[max(0, r.q.span[1] - r.clause.start):]
    if "完成" in after and preparatory_after(after, R):
        return True  # what was completed is a preparatory step ("已全部完成方案设计")
    m = R.stage_prep_re.search(after) or R.scope_re.search(after)
    if not m:
        return False
    tail = (t.object or "")[-2:]
    return not (tail and tail in after)


def assess_count(t: TargetSpec, prog: Progress, expected: float | None, R: Rules, n_count_targets: int,
                 year_end: bool, limit=None, siblings: tuple = ()) -> Assessment:
    a = Assessment(t, "unknown", expected=expected)
    cands = _count_candidates(t, prog, R, n_count_targets)
    flow = bool(_FLOW_VERBS.search(t.verb or "")) or not t.verb
    starts = "开工" in (t.verb or "")  # 新开工保障性住房1.2万套: a start is what is counted
    done = [(ov, r, f) for ov, r, f in cands if (r.modality in ("done", "neutral") or _own_words(r, t, R)
                                                  or (starts and r.modality == "underway" and "开工" in r.clause.text))
            and not r.remainder and not _prep_after(r, t, R)]
    if not flow:  # a level of stock (高新技术企业达到350家): the stock is the measure
        done += [(ov, r, f) for ov, r, f in cands if r.modality == "stock"]
    # "全区累计完成国土绿化216公顷": this year's total unless far beyond the annual goal
    done += [(ov, r, f) for ov, r, f in cands if r.modality == "cumulative" and t.goal
             and r.q.value * f <= 1.5 * t.goal]
    underway = [(ov, r, f) for ov, r, f in cands if r.modality == "underway" and not starts]
    goal = t.goal or 0.0
    best = None
    if done:
        # the best-named figure; among equals the larger (year-to-date beats a part of it)
        tv = t.verb or ""

        def rank(x):
            ov, r, f = x
            before = r.clause.text[:max(0, r.q.span[0] - r.clause.start)]
            verb_match = bool(tv and (tv in (r.q.verb or "") or tv in before))
            this_year = bool(_THIS_YEAR_RE.search(before))
            multi = "累计" in before and bool(R.multi_year_re.search(r.clause.sentence) or "占总投资" in r.clause.sentence)
            part_of = bool(re.search(r"（[^）]*$", before))  # "12460套（其中保障性租赁住房9860套…）": the total first
            return (this_year, not multi, not part_of, round(ov, 1), verb_match, r.modality == "done", r.q.value * f)

        best = max(done, key=rank)
        cum = [x for x in done if "累计" in x[1].clause.text[:max(0, x[1].q.span[0] - x[1].clause.start)]
               and x[0] >= R.min_subject_overlap]
        bigger = [x for x in done if x[0] >= R.min_subject_overlap and x not in cum]
        if cum and bigger and min(c[1].q.value * c[2] for c in cum) * 1.2 < max(b[1].q.value * b[2] for b in bigger):
            c, b = cum[0][1], max(bigger, key=lambda x: x[1].q.value * x[2])[1]
            a.state = "manual"
            a.quote = _quote(b)
            a.line = f"{t.text}：进展先报“{b.phrase}”，又报“{c.phrase}”，两组数据不一致"
            a.question = f"“{t.text}”：进展中“{b.phrase}”与“{c.phrase}”不一致，以哪个为准？"
            return a
    if best is not None:
        ov, r, f = best
        value = r.q.value * f
        parts = [(o, x, g) for o, x, g in done if x.clause is r.clause and x.q.unit == r.q.unit
                 and (o > 0 or (x.q.verb and x.q.verb == r.q.verb))
                 and not any(_overlap(sib, x) > o for sib in siblings)]
        if len(parts) >= 2 and "、" in r.clause.text and not re.search(r"其中|合计|共计|累计|总计|共", r.clause.text) \
                and (max(o for o, _, _ in parts) >= R.min_subject_overlap
                     or (t.verb and all(x.q.verb == t.verb for _, x, _ in parts))):
            value = sum(x.q.value * g for _, x, g in parts)
            a.actual_text = "、".join(x.phrase for _, x, _ in parts) + f"，合计{_fmt(round(value, 4))}{t.measure or r.q.unit or ''}"
            a.actual, a.quote, a.unit = value, _quote(r), r.clause.unit
            a.share = value / goal if goal else None
            best = None
    if best is not None:
        ov, r, f = best
        value = r.q.value * f
        a.actual, a.actual_text, a.quote, a.unit = value, r.phrase, _quote(r), r.clause.unit
        a.share = value / goal if goal else None
    else:
        rr = _ratio_reading(t, prog, R, n_count_targets)
        if rr is not None:
            a.share = rr.q.value / 100.0
            a.actual = a.share * goal if goal else None
            a.actual_text, a.quote, a.unit = rr.phrase, _quote(rr), rr.clause.unit
    done_value = a.actual or 0.0
    under_value = 0.0
    for _, r, f in underway:
        before = r.clause.text[:max(0, r.q.span[0] - r.clause.start)]
        v = r.q.value * f
        if re.search(r"开工", before + r.clause.text[r.q.span[1] - r.clause.start:][:6]) and not re.search(r"在建|正在", before):
            v = max(0.0, v - done_value)  # "开工32条，完工18条": the started include the finished
        under_value += v
    # planned work already arranged within the time limit ("0.9万亩已落实地块和苗木，计划11月集中实施")
    arranged = [(r, f) for _, r, f in cands if r.modality == "planned" and re.search(r"落实|安排|排定", r.clause.sentence)]
    under_value += sum(r.q.value * f for r, f in arranged)
    own_units = {r.clause.unit for _, r, _ in done} if done else set()
    remainder_under = any(
        re.search(r"(?:其余|剩余)[^，,；;。]{0,12}(?:正在|在建|施工|安装|推进|落实)", c.text)
        and not re.search(r"未|暂缓|停|将|计划|下一步|拟|方案|设计|招标|手续", c.text)
        and (not own_units or c.unit in own_units)
        and (n_count_targets == 1 or subject_overlap(_key(t), c.sentence) >= 0.3 or (own_units and c.unit in own_units - {None}))
        for c in prog.clauses)
    label = t.text
    if a.share is None:
        for c in prog.clauses:
            m_all = re.search(r"(?:已|均已)?全部(?:建成|完成|完工|投用|建设完成)|均已(?:建成|完成|完工|投用)", c.text)
            if m_all and R.plan_re.search(c.text[:m_all.start()]):
                continue  # "计划秋季开学前全部投用" is a plan
            if m_all and (
                    n_count_targets == 1 or subject_overlap(_key(t), c.sentence) >= 0.5):
                a.state, a.share, a.gap = "met", 1.0, 0.0
                a.quote = strip_marker(c.text)
                a.actual_text = a.quote
                a.line = f"{label}：{a.quote}"
                return a
        my = _multi_year_share(prog, _key(t), n_count_targets == 1)
        if my is not None:
            a.share = my.q.value / 100.0
            a.actual_text, a.quote, a.unit = my.phrase, _quote(my), my.clause.unit
    if a.share is None:
        kinds = {("stock" if r.modality == "cumulative" else r.modality) for _, r, _ in cands}
        building = [m for m in prog.stages if m.stage == "施工"
                    and (n_count_targets == 1 or subject_overlap(_key(t), m.clause.sentence) >= 0.3)]
        if building and not underway and expected is not None and rshare(expected) <= R.prep_ok_share and not year_end:
            a.state = "on_track"
            a.stage = "施工"
            a.quote = strip_marker(building[0].clause.text)
            a.line = f"{label}：{a.quote}，正在施工，尚未形成完成量"
        elif underway and expected is not None and expected >= 0.6 and not year_end and re.search(r"建成|新建|完成|改造|建设", t.verb or ""):
            a.state = "behind"
            a.quote = _quote(underway[0][1])
            a.actual_text = underway[0][1].phrase
            a.line = f"{label}：{a.quote}，序时进度已达{share_pct(expected)}，尚无完成量"
        elif underway:
            a.state = "unknown"
            a.actual_text = underway[0][1].phrase
            a.quote = _quote(underway[0][1])
            a.line = f"{label}：{a.quote}，未报告已完成数量"
            a.question = f"“{label}”只报了在建或已开工的数量，已完成多少？"
        elif "stock" in kinds:
            r = next(r for _, r, _ in cands if r.modality in ("stock", "cumulative"))
            a.quote = _quote(r)
            a.line = f"{label}：进展只报了累计或存量数（{r.phrase}），未报告今年新增数量"
            a.question = f"“{r.phrase}”是累计存量，今年“{label}”实际完成多少？"
        elif kinds & {"prep"} and expected is not None and rshare(expected) >= R.prep_ok_share and not any(
                m.stage != "前期" for m in prog.stages):
            r = next(r for _, r, _ in cands if r.modality == "prep")
            a.state = "behind"
            a.quote = _quote(r)
            a.stage = "前期"
            a.line = f"{label}：{a.quote}，序时进度已达{share_pct(expected)}，仍处于前期环节，未见完成量"
        elif kinds & {"scope", "planned", "prep"}:
            r = next(r for _, r, _ in cands if r.modality in ("scope", "planned", "prep"))
            a.quote = _quote(r)
            a.line = f"{label}：进展所报“{r.phrase}”是范围、清单或计划数，不是完成量"
            a.question = f"“{label}”今年实际完成多少？（“{r.phrase}”是范围或计划数）"
        else:
            others = [r for r in prog.readings if r.q.kind in ("count", "amount") and r.modality not in ("echo",)]
            if others:
                got = "、".join(r.phrase for r in others[:3])
                a.line = f"{label}：进展所报数量（{got}）与目标不对应"
                a.question = f"进展所报数量（{got}）与目标“{label}”不对应，实际完成多少？"
            else:
                a.line = f"{label}：任务有量化目标，进展未报告完成数量"
                a.question = f"任务有量化目标，进展未报告“{label}”的完成数量，实际完成多少？"
        return a
    share = a.share
    got = f"{label}：{a.actual_text}" + ("" if a.actual_text and a.actual_text.endswith("%") else f"，完成{pct(share)}")
    tol = R.task_about_tolerance if t.qualifier == "about" else 0.0
    if t.qualifier == "at_most":
        a.state = "met" if share <= 1.0 else "behind"
        a.line = got + ("，未超出控制目标" if share <= 1.0 else "，已超出控制目标")
        return a
    if share >= 1.0 - tol - 1e-9:
        a.state = "met"
        a.gap = 0.0
        a.line = got + ("，已完成目标" if share < 1.0 + 1e-9 else "，超额完成目标")
        return a
    if expected is None:
        a.state = "on_track"
        a.line = got + "（未提供报送期，未对照序时进度）"
        return a
    gap = (expected - share) * 100.0
    a.gap = max(gap, 0.0)
    if year_end:
        if share >= R.near_miss_share:
            a.state = "manual"
            a.line = got + "，接近但未达到目标"
            a.question = f"“{label}”完成{pct(share)}，接近但未达到目标，是否认定未完成？"
        else:
            a.state = "behind"
            a.line = got + "，未完成目标" + (f"（完成时限已到，差{points((1 - share) * 100)}个百分点）")
        return a
    sp = share_pct(expected)
    if gap <= R.lag_points:
        a.state = "on_track"
        a.line = got + (f"，达到序时进度{sp}" if gap <= 0 else f"，略低于序时进度{sp}（差{points(gap)}个百分点）")
        return a
    potential = 1.0 if remainder_under else share + (under_value / goal if goal else 0.0)
    behind_line = got + f"，低于序时进度{sp}约{points(gap)}个百分点"
    if under_value or remainder_under:
        behind_line += "；" + ("其余正在实施" if remainder_under else f"另有在建{_fmt(round(under_value, 2))}{t.measure or ''}")
    dated = any(d is not None and limit is not None and d <= limit and action in ("投用", "投入使用", "完工", "竣工", "建成", "完成", "交付")
                for d, action, _, _ in prog.plans)
    if potential >= expected - 1e-9:
        if gap > R.red_points and expected > R.prep_ok_share and not dated:
            a.state = "manual"
            a.line = behind_line + "，在建量按期完成方可追上序时"
            a.question = f"“{label}”落后序时{points(gap)}个百分点，要靠在建量追上，能否按期完成？"
        else:
            a.state = "on_track"
            a.mitigated = True
            a.line = behind_line + "，在建量可补上差距"
        return a
    if expected <= R.early_share and share > 0 and gap <= R.lag_points + 10:
        a.state = "on_track"
        a.line = behind_line + "（起步阶段）"
        return a
    a.state = "behind"
    a.line = behind_line
    return a


# ---------------------------------------------------------------------------
# growth / level
# ---------------------------------------------------------------------------
def _rate_readings(t: TargetSpec, prog: Progress, kinds: tuple[str, ...], R: Rules, n_same: int) -> list[Reading]:
    out = []
    noun = re.search(r"[\u4e00-\u9fff]{1,2}率$", t.object or "")
    for r in prog.readings:
        if r.q.kind not in kinds or r.modality in ("planned", "echo"):
            continue
        if r.q.kind == "percent" and r.modality in ("prep", "scope"):
            continue  # "设计阶段绿色建筑占比100%" is not the built share
        ov = _overlap(t, r)
        if noun and n_same == 1 and noun.group(0) in r.clause.text[:max(0, r.q.span[0] - r.clause.start)]:
            out.append(r)  # the target's own rate (参保率96.2%)
            continue
        if n_same > 1 and ov < R.min_subject_overlap:
            continue
        if r.q.subject and ov < R.min_subject_overlap and subject_overlap(_key(t), r.clause.sentence) < 0.5:
            continue
        out.append(r)
    out.sort(key=lambda r: -_overlap(t, r))
    return out


def growth_text(value: float) -> str:
    return f"下降{_fmt(abs(value))}%" if value < 0 else f"增长{_fmt(value)}%"


def assess_growth(t: TargetSpec, prog: Progress, expected: float | None, R: Rules, n_same: int,
                  year_end: bool) -> Assessment:
    a = Assessment(t, "unknown", expected=expected)
    rs = [r for r in _rate_readings(t, prog, ("growth",), R, n_same)
          if not re.search(r"较[^，,；;。]{0,6}(?:回落|提高|下降|上升)", r.clause.text[:max(0, r.q.span[0] - r.clause.start)])]
    # prefer 同比 figures of the year to date; drop a month's or a quarter's figure when a cumulative one exists
    if not rs:
        a.line = f"{t.text}：进展未报告增速"
        a.question = f"进展未报告“{t.text}”的实际增速，是多少？"
        return a
    r = rs[0]
    v = r.q.value
    a.actual, a.quote, a.unit = v, _quote(r), r.clause.unit
    a.actual_text = ("同比" if "同比" in r.clause.text else "") + growth_text(v)
    goal = t.goal or 0.0
    gap = goal - v
    a.gap = gap
    shown = f"{t.text}：{a.actual_text}"
    if t.qualifier == "at_most":
        ok = v <= goal
        a.state = ("met" if year_end else "on_track") if ok else "behind"
        a.line = shown + ("，未超过目标上限" if ok else f"，超过目标上限{_fmt(round(v - goal, 2))}个百分点")
        return a
    tol = R.indicator_about_tolerance if t.qualifier == "about" else 0.0
    if v >= goal - tol - 1e-9:
        a.state = "met" if year_end else "on_track"
        a.line = shown + ("，达到目标" if v >= goal else "，接近目标")
        return a
    if goal > 0 > v:
        a.state = "behind"
        a.line = shown + f"，为负增长，低于目标{_fmt(round(gap, 2))}个百分点"
        return a
    if gap > R.growth_lag_points:
        a.state = "behind"
        a.line = shown + f"，低于目标{_fmt(round(gap, 2))}个百分点"
        return a
    if year_end:
        a.state = "manual"
        a.line = shown + f"，低于目标{_fmt(round(gap, 2))}个百分点"
        a.question = f"“{t.text}”全年{a.actual_text}，略低于目标，是否认定未完成？"
        return a
    a.state = "on_track"
    a.line = shown + f"，低于目标{_fmt(round(gap, 2))}个百分点，差距不大"
    return a


_TIME_UNITS = {"工作日": "个?工作日", "自然日": "个?自然日", "天": "天|日", "日": "天|日", "小时": "小时", "分钟": "分钟"}


def assess_time_limit(t: TargetSpec, prog: Progress, expected: float | None, R: Rules) -> Assessment:
    """压缩至60个工作日以内: the reported duration, not a reduction or last year's figure."""
    a = Assessment(t, "unknown", expected=expected)
    rx = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%s)" % _TIME_UNITS.get(t.measure or "", re.escape(t.measure or "")))
    for c in prog.clauses:
        for m in rx.finditer(c.text):
            before = c.text[:m.start()]
            if R.other_year_re.search(before) or re.search(r"压缩|缩短|减少|提速|节约|节省|以内|超过", before[-6:]):
                continue
            v = float(m.group(1))
            a.actual, a.actual_text, a.quote, a.unit = v, m.group(0), strip_marker(c.text), c.unit
            ok = v <= (t.goal or 0) + 1e-9
            a.gap = max(v - (t.goal or 0), 0.0)
            a.state = "met" if ok else "behind"
            a.line = f"{t.text}：{strip_marker(c.text)}，" + (
                "已达到目标" if ok else f"超出目标{_fmt(round(v - (t.goal or 0), 2))}{'个' if t.measure == '工作日' else ''}{t.measure}")
            return a
    a.line = f"{t.text}：进展未报告实际用时"
    a.question = f"进展未报告“{t.text}”的实际用时，是多少？"
    return a


def _other_measure(a: Assessment, r: Reading) -> Assessment:
    """The rate reported is not the target's (城镇登记失业率 for 城镇调查失业率): a person decides."""
    t = a.target
    a.quote = _quote(r)
    a.actual_text = r.phrase
    a.line = f"{t.text}：进展所报“{r.phrase}”与目标口径不一致"
    a.question = f"进展报告的是“{strip_marker(r.clause.text)}”，与目标“{t.text}”口径不同，能否对照？"
    a.state = "manual"
    return a


def assess_level(t: TargetSpec, prog: Progress, expected: float | None, R: Rules, n_same: int,
                 year_end: bool) -> Assessment:
    if t.verb == "压缩至" and t.measure and t.measure != "%":
        return assess_time_limit(t, prog, expected, R)
    a = Assessment(t, "unknown", expected=expected)
    rs = [r for r in _rate_readings(t, prog, ("percent",), R, n_same) if r.modality != "other_year"]
    if t.measure not in (None, "%") and not rs:
        rs = []
    if t.accumulating and not rs:
        rs = [r for r in prog.readings if r.q.kind == "percent" and re.search(r"率", r.clause.text)
              and r.modality not in ("planned", "echo", "other_year")]
    noun = re.search(r"[\u4e00-\u9fff]{1,2}率$", t.object or "")
    rs_all = list(rs)
    if noun and rs:
        # the reported rate must be the target's rate (城镇调查失业率 is not 城镇登记失业率)
        n = noun.group(0)
        qual = (t.object or "")[:noun.start()][-2:]
        same, other = [], []
        for r in rs:
            i = r.clause.text.find(n)
            if i < 0:
                continue
            before = r.clause.text[:i]
            (same if (not before or before[-2:] == qual or qual in before or not re.search(r"[\u4e00-\u9fff]{2}$", before)
                      or subject_overlap(qual, before[-4:]) > 0) else other).append(r)
        if same:
            rs = same
        elif other:
            return _other_measure(a, other[0])
    elif t.object and rs and not t.accumulating:
        key = re.sub(r"^(?:全区|全市|城市|城乡)", "", t.object)
        exact = [r for r in rs if key and key[-4:] in r.clause.text]
        if exact:
            rs = exact
        elif len(key) >= 4 and all(subject_overlap(key, (r.q.subject or "") + r.clause.text) < 0.75 for r in rs):
            return _other_measure(a, rs[0])
    if not rs:
        a.line = f"{t.text}：进展未报告目标所列的比例或水平"
        a.question = f"进展未报告“{t.text}”的实际水平，是多少？"
        return a
    r = rs[0]
    v = r.q.value
    goal = t.goal if t.goal is not None else 100.0
    a.actual, a.actual_text, a.quote, a.unit = v, r.phrase, _quote(r), r.clause.unit
    shown = f"{t.text}：{r.phrase}"
    rivals = [o for o in rs_all if o is not r and o.q.value < goal and o.clause.sent_start == r.clause.sent_start
              and (_overlap(t, o) >= _overlap(t, r) - 0.15 or (noun and noun.group(0) in o.clause.text))]
    if t.qualifier != "at_most" and v >= goal - 1e-9 and rivals:
        o = rivals[0]
        a.line = f"{t.text}：{r.phrase}，但{strip_marker(o.clause.text)}"
        if year_end:
            a.state = "manual"
            a.question = f"“{t.text}”：{strip_marker(r.clause.text)}，{strip_marker(o.clause.text)}，按哪个口径认定？"
        else:
            a.state = "on_track"
        return a
    if t.qualifier == "at_most":
        ok = v <= goal + 1e-9
        a.gap = max(v - goal, 0.0)
        a.state = ("met" if year_end else "on_track") if ok else "behind"
        a.line = shown + ("，在控制目标以内" if ok else f"，超出控制目标{_fmt(round(v - goal, 2))}个百分点")
        return a
    if v >= goal - 1e-9:
        a.gap = 0.0
        annual = bool(re.search(r"年均|全年|稳定在|保持|控制在|比例|浓度|优良", t.text))
        a.state = "on_track" if (annual and not year_end) else "met"
        a.line = shown + ("，达到目标（须全年保持）" if a.state == "on_track" else "，达到目标")
        return a
    if t.accumulating and expected is not None and not year_end:
        share = v / goal if goal else 0.0
        a.share = share
        gap = (expected - share) * 100.0
        a.gap = max(gap, 0.0)
        sp = share_pct(expected)
        if gap <= R.lag_points:
            a.state = "on_track"
            a.line = shown + f"，按序时进度{sp}推进"
        else:
            a.state = "behind"
            a.line = shown + f"，低于序时进度{sp}约{points(gap)}个百分点"
        return a
    gap = goal - v
    a.gap = gap
    if year_end:
        a.state = "behind" if gap > R.indicator_about_tolerance * 2 else "manual"
        a.line = shown + f"，低于目标{_fmt(round(gap, 2))}个百分点"
        if a.state == "manual":
            a.question = f"“{t.text}”全年{r.phrase}，略低于目标，是否认定未完成？"
        return a
    if gap <= R.level_lag_points:
        a.state = "on_track"
        a.line = shown + f"，低于目标{_fmt(round(gap, 2))}个百分点，差距不大"
    else:
        a.state = "behind"
        a.line = shown + f"，低于目标{_fmt(round(gap, 2))}个百分点，差距较大"
    return a


# ---------------------------------------------------------------------------
# deliverable / process
# ---------------------------------------------------------------------------
def _marks_for(key: str, prog: Progress, single: bool) -> list[StageMark]:
    if single or not key:
        return list(prog.stages)
    out = [m for m in prog.stages if key in m.clause.sentence]
    return out or [m for m in prog.stages if subject_overlap(key, m.clause.sentence) >= 0.6]


def _best_stage(marks: list[StageMark]) -> StageMark | None:
    if not marks:
        return None
    return max(marks, key=lambda m: (STAGE_RANK[m.stage], -m.clause.start))


def assess_deliverable(t: TargetSpec, prog: Progress, expected: float | None, R: Rules, single: bool,
                       deadline_date, year_end: bool) -> Assessment:
    items = t.items or (t.object,)
    subs = []
    keys = list(items)
    if len(items) > 1:
        longest_other = max(len(i) for i in items[:-1])
        if len(items[-1]) > longest_other + 2:
            keys[-1] = items[-1][:longest_other]  # 清水溪、凤凰溪“清水绿岸”工程 → 凤凰溪
    milestone = re.search(r"封顶|开工|主体|贯通|完成.{0,4}(?:设计|招标|征收)", t.object or "")
    for item, key in zip(items, keys):
        marks = _marks_for(key, prog, single and len(items) == 1)
        if not marks and len(items) == 1:
            marks = [m for m in prog.stages if re.search(r"项目|工程", m.clause.sentence)]  # "项目尚未开工"
        sentences = {m.clause.sentence for m in marks} if (len(items) > 1 or not single) else None
        best = _best_stage(marks)
        late_plan = None
        for d, action, text, c in prog.plans:
            if sentences is not None and c.sentence not in sentences and key not in c.sentence:
                continue
            if milestone and action in ("投用", "投入使用", "交付", "建成", "竣工", "完工", "验收"):
                continue  # "计划2028年投用" says nothing about this year's 主体结构封顶
            limit = deadline_date
            if d is not None and limit is not None and d > limit and action not in ("验收",):
                late_plan = text
            elif d is not None and action in ("开工", "启动", "动工") and limit is not None and d.month >= 10 \
                    and d.year == limit.year:
                late_plan = text
        ns = [(w, c) for w, c in prog.not_started if sentences is None or c.sentence in sentences or key in c.sentence
              or (len(items) == 1 and re.search(r"项目|工程", c.sentence))]
        subs.append((item, best, late_plan, ns, marks))
    states = []
    lines = []
    quotes = []
    stage_min = None
    # a deliverable that is itself a document or a survey (城市设计, 城市体检, 土壤普查): its
    # "preparatory" words are the work itself
    doc_like = bool(R.stage_prep_re.search(t.object or "") or re.search(r"体检|普查|调查|评估|规划|编制", t.object or ""))
    doc_target = bool(re.search(r"^(?:制定|编制|出台|印发|发布|公布)", t.verb or "") or
                      re.search(r"(?:清单|方案|规划|办法|制度|意见|机制|细则|指南|立法|条例|规定)$", t.object or ""))
    for item, best, late_plan, ns, marks in subs:
        stage = best.stage if best else None
        if doc_target and stage in (None, "前期"):
            c = next((c for c in prog.clauses if (item[:4] in c.sentence or single)
                      and re.search(r"印发|出台|公布|发布|推出|形成|审议通过|通过审议|制定|表决通过|审查批准|颁布|施行", c.text)
                      and not R.plan_re.search(c.text)), None)
            if c is not None and re.search(r"立法|条例|规定", t.object or ""):
                # a law is made when it is passed and promulgated, not when a draft is discussed
                c = next((x for x in prog.clauses if re.search(r"表决通过|审查批准|公布|颁布|施行", x.text)
                          and not R.plan_re.search(x.text)), None)
            if c is not None:
                best = StageMark("完工", "印发", c)
                stage = "完工"
        if doc_like and stage == "前期":
            stage = "施工"
        q = _quote(best) if best else None
        pending = next((c for c in prog.clauses if _PENDING_RE.search(c.text)
                        and (len(subs) == 1 or item[:4] in c.sentence)), None)
        later = next((text for d, action, text, c in prog.plans
                      if action in ("完工", "竣工", "建成", "投用", "投入使用", "交付") and (len(subs) == 1 or item[:4] in c.sentence)), None)
        recognised = any(re.search(r"命名|授予|获评|认定为|入选|通过[^，,；;。]{0,10}认定|成功创建|获批", c.text)
                         and not R.plan_re.search(c.text) for c in prog.clauses)
        if re.search(r"创建|争创", t.verb or "") and not recognised and pending is not None:
            st = "manual"
            q = strip_marker(pending.text)
        elif stage in ("完工", "投用") and later:
            st = "manual"
            q = f"{q}，但又称“{later}”"
        elif pending is not None and stage not in ("完工", "投用"):
            st = "manual"
            q = strip_marker(pending.text)
        elif stage in ("完工", "投用") and any(
                re.search(r"(?:其余|剩余|尚有|还有)[^，,；;。]{0,16}(?:仍在|正在|尚未|未完成|未整改|因)", c.text)
                and (len(subs) == 1 or item[:4] in c.sentence) for c in prog.clauses):
            st = "behind" if year_end else "on_track"  # "其余18处因涉及…仍在整改"
            stage = "施工"
        elif stage in ("完工", "投用"):
            st = "met"
        elif late_plan:
            st = "behind"
            q = late_plan
        elif year_end:
            open_work = any((len(subs) == 1 or item[:4] in c.sentence) and re.search(r"尚未完成|未完成|正在|仍在|推进中", c.text)
                            for c in prog.clauses)
            st = "behind" if (stage or ns or open_work) else "unknown"
        elif ns and stage in (None, "前期"):
            st = "not_started" if (expected is not None and rshare(expected) >= R.prep_ok_share) else "on_track"
            q = q or strip_marker(ns[0][1].text)
        elif stage == "施工":
            st = "on_track"
        elif stage == "前期":
            st = "behind" if (expected is not None and rshare(expected) >= R.prep_ok_share) else "on_track"
        else:
            st = "unknown"
        my = _multi_year_share(prog, key, single and len(items) == 1)
        if my is not None and st in ("on_track", "unknown") and expected is not None:
            # a share of total works: to be built this year it must keep up with 序时
            x = my.q.value / 100.0
            q = _quote(my)
            stage = stage or "施工"
            if x >= 1.0:
                st = "met"
            elif (expected - x) * 100 > R.lag_points:
                st = "behind"
            else:
                st = "on_track"
        states.append(st)
        if stage is not None and (stage_min is None or STAGE_RANK[stage] < STAGE_RANK[stage_min]):
            stage_min = stage
        name = item if len(subs) > 1 else t.text
        if q:
            quotes.append(q)
        stage_word = {"前期": "尚在前期阶段", "施工": "正在推进" if doc_like else "正在施工", "完工": "已建成",
                      "投用": "已建成投用"}.get(stage, "")
        if st == "met":
            lines.append(f"{name}：{q}")
        elif st == "behind":
            if year_end and not late_plan:
                lines.append(f"{name}：{q or '进展未说明'}，{'完成时限已到' if deadline_date else '年末'}仍未建成")
            elif late_plan:
                lines.append(f"{name}：{q}，晚于目标时限")
            elif stage == "施工":
                lines.append(f"{name}：{q}，低于序时进度{share_pct(expected)}")
            else:
                still = {"尚在前期阶段": "仍处于前期阶段", "正在推进": "仍在推进"}.get(stage_word, "仍未开工")
                lines.append(f"{name}：{q}，序时进度已达{share_pct(expected)}，{still}")
        elif st == "not_started":
            lines.append(f"{name}：{q}，序时进度已达{share_pct(expected)}，仍未开工")
        elif st == "on_track":
            lines.append(f"{name}：{q}" + (f"（{stage_word}）" if stage_word and stage_word not in (q or "") else ""))
        elif st == "manual":
            lines.append(f"{name}：{q}")
        else:
            lines.append(f"{name}：进展未说明所处阶段")
    a = Assessment(t, "unknown", expected=expected, stage=stage_min, quote="；".join(quotes) or None)
    if any(s == "manual" for s in states):
        a.state = "manual"
        a.line = "；".join(lines)
        a.question = "；".join(f"“{ln}”，以哪个为准？" if "但又称" in ln else f"{ln}：结果取决于外部评审，请核实" for ln in lines
                               if "但又称" in ln or _PENDING_RE.search(ln)) or f"“{t.text}”需人工核实"
        return a
    if all(s == "met" for s in states):
        a.state = "met"
    elif any(s in ("behind", "not_started") for s in states):
        n_bad = sum(s in ("behind", "not_started") for s in states)
        n_ok = sum(s in ("met", "on_track") for s in states)
        late = any(sub[2] for sub in subs)
        if n_bad * 2 <= len(states) and n_ok and not year_end and not late \
                and all(sub[1] is None or sub[1].stage == "前期" for sub, s in zip(subs, states) if s in ("behind", "not_started")) \
                and len(states) >= 3:
            a.state = "on_track"  # a minor sub-item in procedures does not make the whole lag
        else:
            a.state = "not_started" if all(s == "not_started" for s in states) else "behind"
    elif any(s in ("met", "on_track") for s in states):
        a.state = "on_track" if not year_end else "behind"
    else:
        a.state = "unknown"
        a.question = f"进展未说明“{t.text}”的建设阶段（前期、施工、建成、投用），进展如何？"
    a.line = "；".join(lines)
    return a


_ACTIVITY_RE = re.compile(r"已|正在|在建|完成|开展|实施|推进|建成|开工|施工|印发|出台|组建|成立|签订|提交|上线|举办|召开|落实|新增|新建|引进|"
                          r"办理|交办|审定|评审|编制|制定|启动|形成|累计|覆盖|接入|入选|获评|通过")


def assess_process(t: TargetSpec, prog: Progress, expected: float | None, R: Rules, single: bool) -> Assessment:
    a = Assessment(t, "unknown", expected=expected)
    key = t.object or t.text
    overlap = {}

    def near(c) -> float:  # overlap with the clause's sentence, computed once per sentence
        if c.sent_start not in overlap:
            overlap[c.sent_start] = subject_overlap(key, c.sentence)
        return overlap[c.sent_start]

    clauses = [c for c in prog.clauses if _ACTIVITY_RE.search(c.text)]
    if not single:
        clauses = [c for c in clauses if near(c) >= 0.3] or [
            c for c in prog.clauses if near(c) >= 0.3 and subject_overlap(key, c.text) >= 0.5]
    best = _best_stage([m for m in prog.stages if single or near(m.clause) >= 0.3])
    ns = [(w, c) for w, c in prog.not_started if single or near(c) >= 0.3]
    if ns and (best is None or best.stage == "前期") and expected is not None and rshare(expected) >= R.prep_ok_share:
        w, c = ns[0]
        a.state = "not_started"
        a.quote = strip_marker(c.text)
        a.unit = c.unit
        a.line = f"{t.text}：序时进度已达{share_pct(expected)}，仍“{w}”"
        return a
    if re.search(r"下降", t.text) and not re.search(r"增长|提高|提升", t.text):
        # a result target of decline (事故起数、死亡人数“双下降”): the year-on-year figures decide
        ups = [c for c in prog.clauses if re.search(r"同比[^，,；;。]*?(?:上升|增长|增加)|(?:上升|增加)\s*\d", c.text)]
        downs = [c for c in prog.clauses if re.search(r"同比[^，,；;。]*?(?:下降|减少)", c.text)]
        if ups or downs:
            c = (ups or downs)[0]
            a.quote, a.unit = strip_marker(c.text), c.unit
            a.state = "behind" if ups else ("met" if expected is not None and expected >= R.year_end_share else "on_track")
            a.line = f"{t.text}：{a.quote}" + ("，未实现下降" if ups else "")
            return a
    building = bool(re.search(r"建设|建|改造|迁建", (t.verb or "") + (t.object or "")[:4]))
    if building and best is not None and best.stage == "前期" and expected is not None \
            and rshare(expected) >= R.prep_ok_share and not any(m.stage != "前期" for m in prog.stages):
        a.state, a.stage, a.quote, a.unit = "not_started", "前期", strip_marker(best.clause.text), best.clause.unit
        a.line = f"{t.text}：{a.quote}，序时进度已达{share_pct(expected)}，仍未开工"
        return a
    result = re.search(r"上市|落地|挂牌|投用|建成|揭牌|开业", t.object or "")
    if result and best is not None and best.stage in ("完工", "投用") and result.group(0) in best.clause.sentence:
        # 推动X上市 and X 已上市: the process reached its result
        a.state, a.stage, a.quote, a.unit = "met", best.stage, strip_marker(best.clause.text), best.clause.unit
        a.line = f"{t.text}：{a.quote}"
        return a
    if clauses or best:
        c = best.clause if best else clauses[0]
        a.state = "on_track"
        a.stage = best.stage if best else None
        a.quote = strip_marker(c.text)
        a.unit = c.unit
        a.line = f"{t.text}：{a.quote}"
        return a
    a.line = f"{t.text}：进展未说明实际工作"
    a.question = f"“{t.text}”做了哪些实际工作？"
    return a

"""Economic indicators (预期目标): the actual figure against the target.

Statuses 符合预期 / 不达预期 / 符合时间节点要求 (qualitative targets) / 未报送 / 需人工研判.
The actual figure travels in the evidence for the report ("固定资产投资增长9%").
"""
from __future__ import annotations

import re
from datetime import date
from typing import Mapping

from ..quantities import _fmt, match, parse_number, parse_progress, parse_quantities, parse_targets, subject_overlap
from .align import growth_text
from .evidence import strip_marker
from .model import IND_MET, IND_MISSED, IND_ON_COURSE, MANUAL, NOT_REPORTED, Judgement, evidence_record
from .rules import Rules, get_rules
from .timing import elapsed_share, pct as _pct, share_pct as _share_pct

_CLAUSE_SPLIT_RE = re.compile(r"[，,；;。！!？?\n]")
_RANK_RE = re.compile(r"[（(][^）)]*(?:第\s*\d+|排名|位居|前列)[^）)]*[）)]")


def _clause_at(text: str, pos: int) -> str:
    a = pos
    while a > 0 and not _CLAUSE_SPLIT_RE.match(text[a - 1]):
        a -= 1
    b = pos
    while b < len(text) and not _CLAUSE_SPLIT_RE.match(text[b]):
        b += 1
    return text[a:b].strip()


def _strip_marker(s: str) -> str:
    return strip_marker(s)


def _actual_from_string(actual: str, kind: str) -> float | None:
    v = parse_number(actual)
    if v is not None:
        return v
    qs = parse_quantities(str(actual))
    for q in qs:
        if q.kind == kind:
            return q.value
    return qs[0].value if qs else None


_KIND = {"growth": "growth", "points": "growth", "percent": "level"}
_FIGURE_RE = re.compile(r"(?:同比)?(?:增长|下降|增加|减少|回落|达到?|为)?\s*[-－]?\d+(?:\.\d+)?\s*(?:%|％|个百分点)")
_NAME_TAIL_RE = re.compile(r"(?:同比)?(?:增长|下降|达到?|控制在|突破|实现|完成|保持|提高|降低)[^，,；;。]*$")


_GROWTH_RE = re.compile(r"(增长|下降|上升|回落)\s*(-?\d+(?:\.\d+)?)\s*[%％]")
_SHARE_OF_TASK_RE = re.compile(r"(?:完成|达到)[^，,；;。]{0,16}?(?:年度)?(?:任务|目标)的\s*((?:\d+(?:\.\d+)?\s*[%％][、和及]?\s*)+)")


def _qualitative_figures(target: str, p: str, period_end, year, R: Rules):
    """Figures that decide a qualitative indicator, or None to fall back on the words.

    * "与经济增长同步": the income growth against the economy's growth (a point apart is in step);
    * "…下降完成市下达任务": a rise is off course;
    * "完成市下达年度任务的92%、88%": shares of the annual task against 序时.
    """
    if not p:
        return None
    if "同步" in target:
        figures = [(m.group(1), float(m.group(2)), m.start()) for m in _GROWTH_RE.finditer(p)]
        econ = next((f for f in figures if re.search(r"(?:地区生产总值|经济|GDP)[^，,；;。]{0,6}$", p[:f[2]])), None)
        own = next((f for f in figures if f is not econ), None)
        if econ and own:
            v_own = -own[1] if own[0] in ("下降", "回落") else own[1]
            v_econ = -econ[1] if econ[0] in ("下降", "回落") else econ[1]
            gap = round(v_econ - v_own, 2)
            quote = _RANK_RE.sub("", _strip_marker(_clause_at(p, own[2])))
            if gap <= 1.0:
                return IND_ON_COURSE, f"增长{_fmt(v_own)}%，经济增长{_fmt(v_econ)}%，基本同步", quote
            return IND_MISSED, f"增长{_fmt(v_own)}%，低于经济增长{_fmt(v_econ)}%达{_fmt(gap)}个百分点，未同步", quote
    if "下降" in target:
        up = re.search(r"(?:同比|较上年)[^，,；;。]{0,6}?(?:上升|增长|增加)\s*\d+(?:\.\d+)?\s*[%％]|不降反升", p)
        if up:
            return IND_MISSED, f"进展显示“{_clause_at(p, up.start())}”，未实现下降", _clause_at(p, up.start())
    m = _SHARE_OF_TASK_RE.search(p)
    share = elapsed_share(period_end, year) if period_end is not None else None
    if m and share is not None:
        values = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", m.group(1))]
        low = min(values)
        quote = _RANK_RE.sub("", _strip_marker(_clause_at(p, m.start())))
        if low / 100.0 >= share - R.lag_points / 100.0:
            return IND_ON_COURSE, f"完成年度任务的{'、'.join(_fmt(v) + '%' for v in values)}，时序进度{_share_pct(share)}", quote
        return IND_MISSED, f"完成年度任务的{_fmt(low)}%，低于时序进度{_share_pct(share)}", quote
    return None


def _indicator_name(target: str, subject: str | None) -> str:
    """"固定资产投资增长6%左右" → "固定资产投资"; "空气质量完成年度目标任务" → "空气质量"."""
    name = _NAME_TAIL_RE.sub("", target).strip() or (subject or "").strip() or target
    return re.sub(r"^(?:实现|确保|力争)", "", name)


def _quote_of(progress: str, shown: str) -> str | None:
    """The clause of the progress text holding the figure, rankings in brackets removed."""
    i = progress.find(shown)
    if i < 0:
        return None
    return _RANK_RE.sub("", _strip_marker(_clause_at(progress, i))) or None


def judge_indicator(
    target: str,
    progress: str | None,
    actual: str | float | None = None,
    period_end: date | None = None,
    rules: Mapping | Rules | None = None,
    *,
    year: int | None = None,
) -> Judgement:
    """Judge one economic indicator against its target, with the actual figure as evidence.

    Statuses: 符合预期, 不达预期, 符合时间节点要求 (qualitative targets), 未报送,
    需人工研判.  The actual value is ``actual`` when given (a number or text such as
    "4.2", "-19%", "同比下降3.1%"), else the figure parsed from ``progress`` that
    matches the target (growth ↔ growth).
    """
    j = _judge(target, progress, actual, period_end, rules, year=year)
    name = str(target or "").strip()
    d = j.details
    kind = _KIND.get(d.get("kind"), "count") if d.get("kind") else "qualitative"
    value = d.get("actual")
    goal = d.get("target_value")
    gap = round(goal - value, 2) if (goal is not None and value is not None and kind != "count") else None
    if j.status == NOT_REPORTED:
        return j
    shown = (d.get("shown") or "").strip()
    written = _FIGURE_RE.search(shown) if shown else None
    if kind == "growth" and value is not None:
        # the figure as the unit wrote it ("同比增长5.0%"), a decline always as 下降
        actual_text = written.group(0) if (written and "-" not in written.group(0) and "－" not in written.group(0)) \
            else growth_text(value)
    elif kind == "level" and value is not None:
        actual_text = written.group(0) if written else f"{_fmt(value)}%"
    else:
        actual_text = shown or None
    subject = _indicator_name(name, d.get("subject"))
    line = f"{subject}{actual_text}" if (actual_text and kind == "growth") else (
        f"{subject}：{actual_text}" if actual_text else (d.get("quote") or j.reason))
    if d.get("quote") is None and shown and progress:
        d["quote"] = _quote_of(str(progress), shown)
    ev = evidence_record(target=subject, kind=kind, object=subject, goal=goal, actual=value, actual_text=actual_text,
                         measure="%" if kind in ("growth", "level") else d.get("unit"), gap=gap,
                         expected=d.get("expected_share"),
                         state={IND_MET: "met", IND_ON_COURSE: "on_track", IND_MISSED: "behind"}.get(j.status, "unknown"),
                         quote=d.get("quote"), principal=True, line=line)
    light = {IND_MET: "绿", IND_ON_COURSE: "绿"}.get(j.status, "")
    if j.status == IND_MISSED:
        light = "红" if (gap is not None and gap > 3) else "黄"
    return Judgement(j.status, j.reason, d, light, (ev,))


def _judge(
    target: str,
    progress: str | None,
    actual: str | float | None = None,
    period_end: date | None = None,
    rules: Mapping | Rules | None = None,
    *,
    year: int | None = None,
) -> Judgement:
    """Judge one economic indicator against its target.

    Statuses: 符合预期, 不达预期, 符合时间节点要求 (qualitative targets),
    未报送, 需人工研判.  The actual value is ``actual`` when given (a number
    or text such as "4.2", "-19%", "同比下降3.1%"), else the figure parsed
    from ``progress`` that matches the target (growth ↔ growth).
    """
    R = get_rules(rules)
    p = "" if progress is None else str(progress).strip()
    a_str = "" if actual is None else str(actual).strip()
    blank_p = not p or p.lower() in R.placeholders
    blank_a = not a_str or a_str.lower() in R.placeholders
    if blank_p and blank_a:
        return Judgement(NOT_REPORTED, "未报送指标完成情况", {})

    target = "" if target is None else str(target)
    ts = [t for t in parse_targets(target)]
    details: dict = {}
    if not ts:
        # qualitative target (空气质量完成年度目标任务): first what the figures say, then the words
        read = _qualitative_figures(target, p, period_end, year, R)
        if read is not None:
            status, why, quote = read
            details["quote"] = quote
            return Judgement(status, f"{target.strip()}：{why}", details)
        off = R.indicator_off_course_re.search(p)
        if off:
            details["quote"] = _RANK_RE.sub("", _strip_marker(_clause_at(p, off.start())))
            return Judgement(IND_MISSED, f"{target.strip()}：进展显示“{_clause_at(p, off.start())}”", details)
        on = R.indicator_on_course_re.search(p)
        if on:
            details["quote"] = _RANK_RE.sub("", _strip_marker(_clause_at(p, on.start())))
            return Judgement(IND_ON_COURSE, f"{target.strip()}：进展显示“{_clause_at(p, on.start())}”", details)
        return Judgement(MANUAL, "定性目标，进展未说明是否达到时间节点要求，需人工研判", details)

    t = ts[0]
    details["target_value"] = t.value
    details["kind"] = t.kind
    details["subject"] = t.subject
    details["unit"] = t.unit
    value = None
    shown = ""
    if not blank_a:
        if isinstance(actual, (int, float)) and not isinstance(actual, bool):
            value = float(actual)
        else:
            value = _actual_from_string(a_str, t.kind)
        shown = a_str
    if value is not None and not blank_p and t.kind in ("growth", "points", "percent"):
        mt = match([t], parse_progress(p), min_overlap=R.min_subject_overlap)[0]
        q = mt.quantity
        if q is not None and q.kind == t.kind and q.subject and subject_overlap(t.subject or target, q.subject) >= 0.6 \
                and abs(q.value - value) > 0.5:
            tol = R.indicator_about_tolerance if t.qualifier == "about" else 0.0
            def ok(v):
                return v <= t.value if t.qualifier == "at_most" else v >= t.value - tol - 1e-9
            if ok(q.value) != ok(value):
                details["actual"] = value
                return Judgement(MANUAL, f"{target}：实际值栏填写{a_str}，进展中为“{q.display}”，两者不一致，请核实", details)
            value, shown = q.value, q.display  # same verdict either way: the text's full-scope figure
    if value is None and not blank_p:
        mt = match([t], parse_progress(p), min_overlap=R.min_subject_overlap)[0]
        if mt.quantity is not None and mt.quantity.kind != "completion_ratio":
            value = mt.quantity.value
            shown = mt.quantity.display
    if value is None:
        attach = R.attachment_words_re.search(p)
        why = "进展内容见附件" if attach else "进展中未找到可与目标比较的数值"
        return Judgement(MANUAL, f"{target}：{why}，需人工研判", details)
    details["actual"] = value
    details["shown"] = shown

    label = target.strip()
    if t.kind in ("growth", "points", "percent"):
        unit = "个百分点" if t.kind == "points" else "%"
        actual_txt = (f"实际{growth_text(value)}" if t.kind == "growth" else f"实际{_fmt(value)}{unit}")
        if t.qualifier == "at_most":
            ok = value <= t.value
            why = "未超过目标上限" if ok else f"超过目标上限{_fmt(round(value - t.value, 2))}个百分点"
        elif t.qualifier == "about":
            ok = value >= t.value - R.indicator_about_tolerance - 1e-9
            if value >= t.value:
                why = "达到目标"
            elif ok:
                why = f"低于目标{_fmt(round(t.value - value, 2))}个百分点，在“左右”容差{_fmt(R.indicator_about_tolerance)}个百分点以内"
            else:
                why = f"低于目标{_fmt(round(t.value - value, 2))}个百分点，超出“左右”容差{_fmt(R.indicator_about_tolerance)}个百分点"
        else:
            ok = value >= t.value - 1e-9
            why = "达到目标" if ok else f"低于目标{_fmt(round(t.value - value, 2))}个百分点"
        return Judgement(IND_MET if ok else IND_MISSED, f"{label}：{actual_txt}，{why}", details)

    # amount / count targets (产值突破2000亿元): compare with the time share
    share = elapsed_share(period_end, year)
    expected = t.value * share if (share is not None and share < 1.0) else t.value
    details["expected"] = expected
    details["expected_share"] = share
    disp = shown or _fmt(value)
    if t.qualifier == "at_most":
        ok = value <= expected
    else:
        ok = value >= expected - 1e-9
    if share is not None and share < 1.0:
        why = f"完成目标的{_pct(value / t.value)}，时序进度{_share_pct(share)}" if t.value else ""
    else:
        why = f"完成目标的{_pct(value / t.value)}" if t.value else ""
    return Judgement(IND_MET if ok else IND_MISSED, f"{label}：{disp}，{why}", details)



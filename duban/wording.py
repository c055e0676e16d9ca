"""The report's sentences in the office's own voice, built from the engine's evidence.

Pure functions, no I/O. Inputs are the evidence dicts of :mod:`duban.evidence`
(one per target: kind, actual, actual_text, state, stage, quote, unit …) and the
master's texts; outputs are finished Chinese sentences:

* :func:`indicator_phrase` — "固定资产投资增长9%", "社会消费品零售总额下降3.1%",
  "空气质量优良天数150天": the indicator and its actual figure (or its evidence);
* :func:`lagging_paragraph` — one tight paragraph per lagging task: the part of the
  task that lags, the decisive figure and the gap ("1-6月，建成2个，与全年目标有较大
  差距" / "目前仍在办理前期手续，未进场施工，进度较为滞后" / "1-6月，同比增长仅为1.5%"),
  then "（责任单位：…）";
* :func:`clean_quote` and :func:`regular` — a unit's words with their markers
  (①②, 一是, （一）), bracketed rankings and leading dates removed, punctuation regular.
"""
from __future__ import annotations

import re

from .annex import tidy
from .judge import BEHIND_STATES as LAGGING_STATES

# ---------------------------------------------------------------------------
# cleaning
# ---------------------------------------------------------------------------

_CN = "一二三四五六七八九十"
_MARKER_RE = re.compile(
    rf"(?:^|(?<=[，,；;。：:！!？?\n]))\s*(?:[①-⑳]|[{_CN}]{{1,3}}是|[（(][{_CN}\d]{{1,3}}[）)]"
    rf"|[{_CN}]{{1,3}}[、．]|\d{{1,2}}[、．](?!\d)|\d{{1,2}}\.(?!\d))\s*")
_CIRCLED_RE = re.compile(r"[①-⑳]")
_RANK_WORDS = rf"(?:第\s*[\d{_CN}]+\s*(?:名|位)?|排名|排位|位列|位居|居全[区市省国])"
_RANK_RE = re.compile(rf"[（(][^（）()]{{0,24}}?{_RANK_WORDS}[^（）()]{{0,24}}?[）)]")
_RANK_CLAUSE_RE = re.compile(rf"[，,]\s*(?:排名|位列|位居|居)[^，,；;。]{{0,16}}第[\d{_CN}]+[名位]?(?=$|[，,；;。])")
_LEAD_TIME_RE = re.compile(
    r"^\s*(?:截至|截止|截止到|截至到)?\s*(?:20\d\d年)?\s*"
    r"(?:\d{1,2}\s*[-—~～至到]\s*\d{1,2}\s*月份?|\d{1,2}月(?:底|末|份|中旬|上旬|下旬|\d{1,2}日)?|上半年|前三季度"
    r"|第?[一二三四]季度|今年以来|年初以来|目前|当前|本期)\s*(?:以来)?\s*[，,：:]?\s*")
_UNIT_LABEL_RE = re.compile(r"【[^】]{1,30}】")
_CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”]"
_SPACE_RE = re.compile(rf"(?<={_CJK})\s+|\s+(?={_CJK})")


def regular(text: str) -> str:
    """Full-width punctuation, no doubled or clashing marks, no spaces inside Chinese text."""
    t = tidy(text or "")
    t = _SPACE_RE.sub("", t)
    t = re.sub(r"([，、；：])\1+", r"\1", t)
    t = re.sub(r"[，、；：]+(?=[。！？])", "", t)
    t = re.sub(r"[，、；：]+(?=[）])", "", t)
    t = re.sub(r"。{2,}", "。", t)
    t = re.sub(r"[，、]+(?=；)", "", t)
    t = re.sub(r"；，", "；", t)
    t = re.sub(r"。[，；、：]+", "。", t)
    t = re.sub(r"……[。，；]", "……", t)
    t = re.sub(r"^[，、；：。\s]+", "", t)
    return t


def strip_markers(text: str) -> str:
    """"①已完成选址；一是正在装修" → "已完成选址；正在装修"."""
    t = _MARKER_RE.sub("", text or "")
    return _CIRCLED_RE.sub("", t)


def strip_rankings(text: str) -> str:
    """"同比增长9%（主城区第3名）" → "同比增长9%"."""
    t = _RANK_RE.sub("", text or "")
    return _RANK_CLAUSE_RE.sub("", t)


def clean_quote(text: str | None, *, keep_time: bool = False) -> str:
    """A clause of a unit's report as the office would quote it (no markers, rankings,
    unit labels, leading date; no trailing punctuation)."""
    t = tidy(text or "")
    t = _UNIT_LABEL_RE.sub("", t)
    t = strip_rankings(strip_markers(t))
    if not keep_time:
        for _ in range(2):  # "截至6月底，1-6月，…"
            t = _LEAD_TIME_RE.sub("", t, count=1)
    t = regular(t)
    return t.strip(" ，,。；;：:、")


def fmt(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.2f}".rstrip("0").rstrip(".")


_NUM_RE = re.compile(r"\d+(?:\.\d+)?")


def number_as_written(value: float, text: str | None) -> str:
    """|value| as the unit wrote it ("4.0" stays "4.0"), else formatted (dates are not figures)."""
    for m in _NUM_RE.finditer(_DATE_RE.sub(" ", text or "")):
        try:
            if abs(float(m.group(0)) - abs(value)) < 1e-9:
                return m.group(0)
        except ValueError:
            pass
    return fmt(abs(value))


_DIGIT_RE = re.compile(r"\d")
_DATE_RE = re.compile(r"\d{1,4}年(?:\d{1,2}月)?|\d{1,2}[-—~～至到]\d{1,2}月|\d{1,2}月(?:\d{1,2}日)?(?:底|末|份|初|中旬|上旬|下旬)?|\d{1,2}日")


_NAME_NUM_RE = re.compile(r"\d+号(?:线|楼|地块)?|\d+[A-Z]级|[A-Z]\d+")


def has_figure(text: str) -> bool:
    """True when the text holds a number that is not part of a date or a name
    ("截至6月底", "轨道7号线", "5A级景区" have none)."""
    return bool(_DIGIT_RE.search(_NAME_NUM_RE.sub("", _DATE_RE.sub("", text or ""))))


# ---------------------------------------------------------------------------
# section 一: indicators
# ---------------------------------------------------------------------------

def _name_with(name: str, phrase: str, link: str = "") -> str:
    """Join an indicator's name and a phrase of its figure without saying the name twice:
    ("城镇调查失业率", "失业率为4.8%") → "城镇调查失业率为4.8%"."""
    if not name or name in phrase:
        return phrase
    lead = re.match(r"[^\d]*", phrase).group(0)
    for k in range(len(lead), 1, -1):
        if name.endswith(lead[:k]):
            return name + phrase[k:]
    if len(name) >= 2 and name[:2] in phrase[:len(lead)]:
        return phrase
    if phrase[:1].isdigit():
        return f"{name}{link}{phrase}"
    return name + phrase


def indicator_phrase(ev: dict | None, name: str, fallback: str = "") -> str:
    """The indicator and its actual figure: "指标名 + 增长/下降 + 实际值", or its evidence."""
    ev = ev or {}
    name = (ev.get("target") or name or "").strip()
    kind, actual = ev.get("kind"), ev.get("actual")
    measure = ev.get("measure") or ""
    if kind == "growth" and actual is not None:
        word = "下降" if actual < 0 else "增长"
        unit = "个百分点" if measure == "个百分点" else "%"
        written = f"{ev.get('quote') or ''} {ev.get('actual_text') or ''}"  # the unit's own "4.0" over "4"
        return f"{name}{word}{number_as_written(actual, written)}{unit}"
    if kind in ("level", "count") and (ev.get("actual_text") or actual is not None):
        shown = clean_quote(ev.get("actual_text"))
        if shown:
            return _name_with(name, shown, "为" if kind == "level" else "")
        return f"{name}{'为' if kind == 'level' else '完成'}{fmt(actual)}{measure}"
    quote = clean_quote(ev.get("quote"))
    if quote:
        return _name_with(name, quote)
    if fallback:
        return _name_with(name, clean_quote(fallback))
    return name


# ---------------------------------------------------------------------------
# section 二: lagging tasks
# ---------------------------------------------------------------------------

_STARTS_WITH_VERB_RE = re.compile(r"^(?:已|累计|共|新|建|完成|实现|引进|培育|开工|改造|招|签约|落地|达到|达|推动|打造|新增"
                                  r"|整治|开展|举办|建设|启动|投用|投入|入驻|安置|发放|种植|修复|治理|提升)")
_LAGGED_WORDS_RE = re.compile(r"滞后|缓慢|未达|差距|落后|停滞")
_PRELIM_RE = re.compile(r"手续|前期|立项|选址|方案|设计|招标|规划")
_NOT_STARTED_RE = re.compile(r"未开工|未动工|未进场")


def _count_phrase(ev: dict, with_object: bool) -> str:
    shown = clean_quote(ev.get("actual_text"))
    obj = (ev.get("object") or "").strip()
    if not shown:
        actual = ev.get("actual")
        shown = f"完成{fmt(actual)}{ev.get('measure') or ''}" if actual is not None else ""
    elif not _STARTS_WITH_VERB_RE.match(shown):
        shown = "完成" + shown
    if shown and with_object and obj and obj not in shown:
        shown += obj
    return shown


def _growth_phrase(ev: dict, with_object: bool) -> str:
    actual = ev.get("actual")
    if actual is None:
        return clean_quote(ev.get("quote"))
    said = f"{ev.get('actual_text') or ''}{ev.get('quote') or ''}"
    yoy = "同比" if "同比" in said else ""
    num = number_as_written(actual, f"{ev.get('quote') or ''} {ev.get('actual_text') or ''}")
    obj = (ev.get("object") or "").strip() if with_object else ""
    goal = ev.get("goal")
    if actual < 0:
        return f"{obj}{yoy}下降{num}%"
    if isinstance(goal, (int, float)) and actual > goal:  # a ceiling ("控制在3%以内") exceeded
        return f"{obj}{yoy}增长{num}%，超过控制目标"
    return f"{obj}{yoy}增长仅为{num}%"


_PLAN_RE = re.compile(r"^(?:下一步|下步|力争|计划|预计|将|拟|争取|确保)|无重大困难|正常开展|有序推进|按计划推进"
                      r"|按时间节点推进|正常推进|进展顺利")
_OBSTACLE_RE = re.compile(r"未|尚未|没有|困难|问题|制约|影响|不足|短缺|矛盾|受阻|延迟|延期|停工|缓慢|滞后|难度")
_STAGE_RE = re.compile(r"手续|前期|未开工|未动工|未进场|未启动")
_SPLIT_RE = re.compile(r"[，,；;]")


def sentence_of(quote: str | None, progress: str) -> str:
    """The whole sentence of ``progress`` that holds ``quote`` (the quote itself when not found)."""
    q = tidy(quote or "").strip()
    if not q or not progress:
        return q
    pos = progress.find(q)
    if pos < 0:
        return q
    a, b = pos, pos + len(q)
    while a > 0 and progress[a - 1] not in "。；;！!？?\n":
        a -= 1
    while b < len(progress) and progress[b] not in "。；;！!？?\n":
        b += 1
    return progress[a:b].strip()


def _clauses(text: str) -> list[str]:
    return [c for c in (clean_quote(x) for x in _SPLIT_RE.split(clean_quote(text))) if c]


def _stage_phrase(ev: dict, sentence: str, task_text: str) -> str:
    """"仍在办理前期手续，未进场施工，进度较为滞后" — with the unit's own obstacle when it names one."""
    clauses = _clauses(sentence)
    prelim = ev.get("stage") == "前期" or any(_PRELIM_RE.search(c) for c in clauses)
    # "未进场施工" only when the unit says so: never inferred from the kind of task
    said_not_on_site = any(re.search(r"(?:未|尚未|暂未|没有)[^，,；;]{0,4}(?:开工|施工|进场|动工)", c) for c in clauses)
    if prelim:
        phrase = "仍在办理前期手续" if any("手续" in c for c in clauses) or not clauses else "仍处于前期阶段"
        if said_not_on_site or ev.get("state") == "not_started":
            phrase += "，未进场施工"
    elif ev.get("state") == "not_started" or any(_NOT_STARTED_RE.search(c) for c in clauses):
        phrase = "尚未开工建设"
    else:
        return _process_phrase(clauses)
    # the unit's own obstacle ("用地指标尚未落实", "受疫情影响"), nothing else of the sentence
    extra = list(dict.fromkeys(c for c in clauses if _OBSTACLE_RE.search(c) and not (
        _PLAN_RE.search(c) or _STAGE_RE.search(c) or _LAGGED_WORDS_RE.search(c) or _PRELIM_RE.search(c))))
    return "，".join([phrase] + extra[:2] + ["进度较为滞后"])


def _process_phrase(clauses: list[str]) -> str:
    """The unit's own sentence (plans left out), saying it lags."""
    kept = list(dict.fromkeys(c for c in clauses if not _PLAN_RE.search(c)))[:4]
    if not kept:
        return "进度较为滞后"
    if not any(_LAGGED_WORDS_RE.search(c) for c in kept):
        kept.append("进度较为滞后")
    return "，".join(kept)


def _lead_text(task_text: str, lagging: list[dict], evidence: list[dict]) -> str:
    """The part of the task that lags: its lagging targets, or the whole task (when every
    target lags and the task is short, or the lag is not a target's)."""
    whole = clean_quote(task_text, keep_time=True)
    if len(whole) <= 60 and all(e in lagging for e in evidence if e.get("principal") is not False):
        return whole
    parts = []
    for ev in lagging:
        t = clean_quote(ev.get("target"), keep_time=True)
        if not t or len(t) < 4 or t == whole or ev.get("kind") in ("process", "qualitative"):
            return whole
        if ev.get("kind") == "deliverable" and t not in whole:  # a deliverable is named by the task's own words
            return whole
        if t not in parts:
            parts.append(t)
    return "、".join(parts) if parts else whole


def lagging_paragraph(n: int, task_text: str, units: list[str], evidence: list[dict], label: str,
                      fallback: str = "", progress: str = "") -> str:
    """One lagging task in one paragraph: "1．{lagging part}。{figure，gap}。（责任单位：…）".

    ``evidence`` is the task's evidence list; the lagging targets (state behind or
    not_started, principal ones first) give the figures. Without any (a staff override
    made the task lag) ``fallback`` — the task's key progress sentence — follows the
    whole task text. ``progress`` (the stored text) widens an evidence quote to its sentence.
    """
    lagging = [e for e in evidence if e.get("state") in LAGGING_STATES]
    if not lagging:  # the task lags by its status, no target says so: its stage or its words
        lagging = [e for e in evidence if e.get("kind") in ("deliverable", "process") and (e.get("stage") or e.get("quote"))]
    principal = [e for e in lagging if e.get("principal") is not False]
    lagging = principal or lagging
    unit_names = "、".join(tidy(u) for u in units) or "未明确"
    several_units = len(units) > 1
    if not lagging:
        clauses = _clauses(fallback)
        if any(_STAGE_RE.search(c) for c in clauses):
            body = "目前" + _stage_phrase({}, fallback, task_text)
        elif clauses:
            phrase = _process_phrase(clauses)
            body = (f"{label}，" if has_figure(phrase) else "目前") + phrase
        else:
            body = "进度较为滞后"
        whole = re.sub(r"。(?=.)", "，", clean_quote(task_text, keep_time=True))
        return regular(f"{n}．{whole}。{body}。（责任单位：{unit_names}）")

    lead = re.sub(r"。(?=.)", "，", _lead_text(task_text, lagging, evidence))  # one sentence: no inner full stop
    counts = [e for e in lagging if e.get("kind") == "count" and e.get("state") == "behind"
              and (e.get("actual") is not None or e.get("actual_text"))]
    growths = [e for e in lagging if e.get("kind") == "growth" and e.get("state") == "behind"]
    levels = [e for e in lagging if e.get("kind") == "level" and e.get("state") == "behind"]
    rest = [e for e in lagging if e not in counts and e not in growths and e not in levels]
    pieces: list[str] = []

    def who(ev) -> str:
        return tidy(ev.get("unit") or "") if several_units and ev.get("unit") else ""

    if counts:
        shown = [who(e) + _count_phrase(e, len(counts) > 1) for e in counts]
        overdue = any((e.get("expected") or 0) >= 1 - 1e-9 for e in counts)
        gap = "未按期完成目标任务" if overdue else "与全年目标有较大差距"
        pieces.append(f"{label}，{'、'.join(s for s in shown if s)}，{gap}")
    if growths:
        shown = [who(e) + _growth_phrase(e, len(growths) > 1) for e in growths]
        pieces.append(f"{label}，{'，'.join(s for s in shown if s)}")
    for e in levels:
        shown = clean_quote(e.get("actual_text") or e.get("quote"))
        gap = e.get("gap")
        tail = f"低于目标{fmt(gap)}个百分点" if isinstance(gap, (int, float)) and gap > 0 else "未达到目标要求"
        pieces.append(f"{label}，{who(e)}{shown}，{tail}" if shown else f"{label}，{who(e)}{tail}")
    for e in rest:
        sentence = sentence_of(e.get("quote"), progress) if e.get("quote") else (fallback or "")
        if e.get("kind") in ("growth", "level") and e.get("actual") is None and not has_figure(sentence):
            what = "增速" if e.get("kind") == "growth" else "实际水平"
            pieces.append(f"{label}未报告{what}，{who(e)}单位自述{_process_phrase(_clauses(sentence))}")
            continue
        if (e.get("kind") == "deliverable" or e.get("state") == "not_started" or e.get("stage")
                or _STAGE_RE.search(sentence)):
            phrase = _stage_phrase(e, sentence, task_text)
            overdue = (e.get("expected") or 0) >= 1 - 1e-9 and e.get("state") != "not_started"
            if overdue and "按期" not in phrase:
                phrase += "，未按期完成"
        else:
            phrase = _process_phrase(_clauses(sentence))
        if has_figure(phrase):
            head = f"{label}，"
        elif any(p.startswith("目前") for p in pieces):
            head = ""  # said once
        else:
            head = "目前，" if who(e) else "目前"
        piece = f"{head}{who(e)}{phrase}"
        if piece not in pieces:
            pieces.append(piece)
    if not pieces:
        pieces.append(clean_quote(fallback, keep_time=True) or "进度较为滞后")
    return regular(f"{n}．{lead}。{'；'.join(pieces)}。（责任单位：{unit_names}）")


def done_names(items: list[tuple[str, list[dict]]], limit: int = 40) -> list[str]:
    """Short names of completed tasks: their met targets, or the task's first clause."""
    out = []
    for task_text, evidence in items:
        met = [clean_quote(e.get("target"), keep_time=True) for e in evidence
               if e.get("state") == "met" and e.get("kind") not in ("process", "qualitative", "deliverable")
               and e.get("target")]
        name = "、".join(dict.fromkeys(m for m in met if m))
        if not name:
            name = clean_quote(re.split(r"[，,；;。]", tidy(task_text))[0], keep_time=True)
        if len(name) > limit:
            name = name[:limit].rstrip("，、；") + "等"
        out.append(name)
    return out

"""Status engine: judge work-report tasks and economic indicators.

Pure Python, no workbook I/O.  Thresholds and word lists come from
``duban/data/judge_rules.json`` (read once and cached); every public
function takes ``rules``: a dict whose keys override the defaults (values
of the workbook's 设置 sheet, English key names or the Chinese aliases
listed in the JSON), or a :class:`Rules` object from :func:`get_rules`.

Public API
----------
``judge_task(task_text, progress, period_end, year, *, deadline=None, rules=None) -> Judgement``
``judge_indicator(target, progress, actual=None, period_end=None, rules=None, *, year=None) -> Judgement``
``effective_status(engine_status, override) -> str``
``elapsed_share(period_end, year=None, deadline=None) -> float | None``
``get_rules(override=None) -> Rules``
"""
from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Mapping

from .quantities import (
    RULES_PATH,
    Match,
    _fmt,
    match,
    parse_number,
    parse_progress,
    parse_quantities,
    parse_targets,
    subject_overlap,
)

__all__ = [
    "Judgement",
    "Rules",
    "get_rules",
    "judge_task",
    "judge_indicator",
    "effective_status",
    "elapsed_share",
    "parse_deadline",
    "DONE",
    "NORMAL",
    "LAGGING",
    "NOT_REPORTED",
    "MANUAL",
    "IND_MET",
    "IND_MISSED",
    "IND_ON_COURSE",
    "TASK_STATUSES",
    "INDICATOR_STATUSES",
]

# Task statuses
DONE = "已完成"
NORMAL = "正常推进"
LAGGING = "推进较为滞后"
NOT_REPORTED = "未报送"
MANUAL = "需人工研判"
TASK_STATUSES = (DONE, NORMAL, LAGGING, NOT_REPORTED, MANUAL)

# Indicator statuses
IND_MET = "符合预期"
IND_MISSED = "不达预期"
IND_ON_COURSE = "符合时间节点要求"
INDICATOR_STATUSES = (IND_MET, IND_MISSED, IND_ON_COURSE, NOT_REPORTED, MANUAL)


@dataclass(frozen=True, slots=True)
class Judgement:
    """Result of a judgement: ``status`` and ``reason`` are Chinese, user-facing;
    ``details`` is a JSON-serialisable dict for auditing (share, targets …)."""

    status: str
    reason: str
    details: dict = field(default_factory=dict)
    light: str = ""  # 绿 / 黄 / 红, '' when there is nothing to measure (未报送, 需人工研判)
    evidence: tuple = ()  # one dict per target, keys as EVIDENCE_KEYS


EVIDENCE_KEYS = ("target", "kind", "object", "goal", "measure", "actual", "actual_text", "share", "expected",
                 "gap", "stage", "state", "quote", "unit", "principal", "line")


def evidence_record(**values) -> dict:
    """An evidence dict with every key of EVIDENCE_KEYS present (None when unknown)."""
    rec = {k: None for k in EVIDENCE_KEYS}
    rec.update(values)
    return rec


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------
_SHARE_KEYS = frozenset(["lag_ratio", "not_started_share", "min_subject_overlap", "year_end_share",
                         "task_about_tolerance"])
_LIST_SPLIT_RE = re.compile(r"[、,，;；|\n]+")
_REGEX_LISTS = frozenset(["not_started_patterns", "indicator_on_course", "indicator_off_course"])


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)


def _alt_re(patterns) -> str:
    return "|".join(f"(?:{p})" for p in sorted(set(patterns), key=len, reverse=True) if p)


def _never() -> re.Pattern:
    return re.compile(r"(?!x)x")


class Rules:
    """Merged settings + word lists with precompiled regexes."""

    def __init__(self, settings: dict, words: dict):
        self.settings = dict(settings)
        self.words = {k: list(v) for k, v in words.items()}
        s, w = self.settings, self.words
        self.lag_ratio = float(s["lag_ratio"])
        self.not_started_share = float(s["not_started_share"])
        self.growth_lag_points = float(s["growth_lag_points"])
        self.indicator_about_tolerance = float(s["indicator_about_tolerance"])
        self.task_about_tolerance = float(s["task_about_tolerance"])
        self.min_progress_chars = int(float(s["min_progress_chars"]))
        self.min_subject_overlap = float(s["min_subject_overlap"])
        self.year_end_share = float(s["year_end_share"])

        def c(words, regex=False):
            if not words:
                return _never()
            return re.compile(_alt_re(words) if regex else _alt(words))

        self.done_re = c(w["done_words"])
        self.done_before_re = re.compile(f"(?:{_alt(w['done_blockers_before'])})$") if w["done_blockers_before"] else _never()
        self.done_after_re = re.compile(
            r"^\s*(?:[\d零〇一二两三四五六七八九十百千]|" + (_alt(w["done_blockers_after"]) or "(?!x)x") + ")"
        )
        self.no_progress_re = c(w["no_progress_words"])
        self.not_started_re = c(w["not_started_patterns"], regex=True)
        self.not_started_block_re = re.compile(f"(?:{_alt(w['not_started_blockers'])})[^，,；;。]{{0,6}}$") \
            if w["not_started_blockers"] else _never()
        self.cues_re = c(w["progress_cues"])
        self.attach_re = c(w["attachment_words"])
        self.placeholders = frozenset(x.strip().lower() for x in w["not_reported_placeholders"])
        self.no_progress_exact = frozenset(x.strip() for x in w["no_progress_exact"])
        self.on_course_re = c(w["indicator_on_course"], regex=True)
        self.off_course_re = c(w["indicator_off_course"], regex=True)


@lru_cache(maxsize=1)
def _defaults() -> tuple[dict, dict, dict]:
    with open(RULES_PATH, encoding="utf-8") as fh:
        data = json.load(fh)
    aliases = {k: v for k, v in data.get("aliases", {}).items() if not k.startswith("_")}
    return data["settings"], data["words"], aliases


def _to_float(key: str, v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        x = float(v)
        pct = False
    else:
        t = str(v).strip()
        if not t:
            return None
        pct = t.endswith(("%", "％"))
        m = re.search(r"-?\d+(?:\.\d+)?", t)
        if not m:
            x = parse_number(t)
            if x is None:
                return None
        else:
            x = float(m.group(0))
    if key in _SHARE_KEYS and (pct or x > 1.0):
        x /= 100.0
    return x


def _normalise_override(override: Mapping) -> tuple[dict, dict]:
    settings, words, aliases = _defaults()
    s_over, w_over = {}, {}
    flat: dict = {}
    for k, v in override.items():
        if k in ("settings", "words") and isinstance(v, Mapping):
            flat.update(v)
        else:
            flat[k] = v
    for k, v in flat.items():
        key = str(k).strip()
        key = aliases.get(key, key)
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        if key in settings:
            x = _to_float(key, v)
            if x is not None:
                s_over[key] = x
        elif key in words:
            if isinstance(v, str):
                items = [x.strip() for x in _LIST_SPLIT_RE.split(v) if x.strip()]
            else:
                items = [str(x).strip() for x in v if str(x).strip()]
            w_over[key] = items
    return s_over, w_over


@lru_cache(maxsize=256)
def _rules_from_key(key: str) -> Rules:
    settings, words, _ = _defaults()
    s_over, w_over = json.loads(key)
    return Rules({**settings, **s_over}, {**words, **w_over})


def get_rules(override: Mapping | Rules | None = None) -> Rules:
    """Rules with ``override`` applied (cached; cheap to call per task).

    ``override`` keys: any key of ``settings`` or ``words`` in
    judge_rules.json, or a Chinese alias from its ``aliases`` section.
    Numeric values may be strings ("0.6", "60%"); word lists may be lists or
    strings separated by 、,，;；| or new lines.  Blank values are ignored.
    """
    if isinstance(override, Rules):
        return override
    if not override:
        return _rules_from_key("[{}, {}]")
    s_over, w_over = _normalise_override(override)
    return _rules_from_key(json.dumps([s_over, w_over], sort_keys=True, ensure_ascii=False))


# ---------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------
def _as_date(d) -> date | None:
    if d is None:
        return None
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    t = str(d).strip()
    m = re.match(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", t)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    return None


_CN_MONTH = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
             "十一": 11, "十二": 12}


def parse_deadline(text: str | None, year: int) -> date | None:
    """Deadline text -> date in ``year``: "6月底前", "2022年9月30日", "三季度",
    "上半年", "年底", "2022-10-31".  ``None`` for "长期"/"持续推进"/unknown."""
    if not text:
        return None
    if isinstance(text, str) and isinstance(year, int):
        return _parse_deadline_cached(text, year)  # a master repeats a handful of deadlines
    return _parse_deadline(text, year)


@lru_cache(maxsize=4096)
def _parse_deadline_cached(text: str, year: int) -> date | None:
    return _parse_deadline(text, year)


def _parse_deadline(text, year: int) -> date | None:
    t = str(text).strip()
    d = _as_date(t)
    if d:
        return d
    m = re.search(r"(?:(\d{4})\s*年)?\s*(\d{1,2}|十[一二]|[一二三四五六七八九十])\s*月(?:\s*(\d{1,2})\s*[日号])?", t)
    if m:
        y = int(m.group(1)) if m.group(1) else year
        mo = int(m.group(2)) if m.group(2).isdigit() else _CN_MONTH[m.group(2)]
        if not 1 <= mo <= 12:
            return None
        day = int(m.group(3)) if m.group(3) else calendar.monthrange(y, mo)[1]
        try:
            return date(y, mo, day)
        except ValueError:
            return None
    q = re.search(r"([一二三四1-4])\s*季度", t)
    if q:
        n = "一二三四".find(q.group(1)) + 1 if not q.group(1).isdigit() else int(q.group(1))
        mo = n * 3
        return date(year, mo, calendar.monthrange(year, mo)[1])
    if "上半年" in t or "年中" in t:
        return date(year, 6, 30)
    if re.search(r"年底|年末|全年|下半年|12月", t):
        return date(year, 12, 31)
    return None


def elapsed_share(period_end, year: int | None = None, deadline: str | None = None) -> float | None:
    """Share of the year (or of the time to ``deadline``) elapsed at ``period_end``.

    ``None`` when ``period_end`` is unknown.  A period after ``year`` gives
    1.0, before it 0.0.
    """
    pe = _as_date(period_end)
    if pe is None:
        return None
    y = year or pe.year
    if pe.year > y:
        return 1.0
    if pe.year < y:
        return 0.0
    start = date(y, 1, 1)
    dl = parse_deadline(deadline, y) if deadline else None
    if dl is not None and dl.year == y:
        total = (dl - start).days + 1
        return min(1.0, ((pe - start).days + 1) / total)
    days = 366 if calendar.isleap(y) else 365
    return min(1.0, pe.timetuple().tm_yday / days)


def _pct(x: float) -> str:
    return f"{_fmt(round(x * 100, 1))}%"


def _share_pct(share: float) -> str:
    """Time share shown and compared in whole percents (6月30日 -> 50%)."""
    return f"{round(share * 100)}%"


def _share_round(share: float | None) -> float | None:
    return None if share is None else round(share * 100) / 100.0


# ---------------------------------------------------------------------------
# Text cues
# ---------------------------------------------------------------------------
_NOT_MEANINGFUL_RE = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")
_CLAUSE_SPLIT_RE = re.compile(r"[，,；;。！!？?\n]")
_NEGATED_END_RE = re.compile(r"[未没]$")
_SHARE_OF_RE = re.compile(r"的\s*\d+(?:\.\d+)?\s*[%％]")
_DIGIT_RE = re.compile(r"\d")


def _meaningful_len(s: str) -> int:
    """Number of CJK characters, letters and digits in ``s``."""
    return len(_NOT_MEANINGFUL_RE.sub("", s))


def _clause_at(text: str, pos: int) -> str:
    a = pos
    while a > 0 and not _CLAUSE_SPLIT_RE.match(text[a - 1]):
        a -= 1
    b = pos
    while b < len(text) and not _CLAUSE_SPLIT_RE.match(text[b]):
        b += 1
    return text[a:b].strip()


def _done_clauses(progress: str, R: Rules) -> list[str]:
    """Clauses that state completion, negation-aware."""
    out = []
    for m in R.done_re.finditer(progress):
        a, b = m.span()
        cs = a
        while cs > 0 and not _CLAUSE_SPLIT_RE.match(progress[cs - 1]):
            cs -= 1
        ce = b
        while ce < len(progress) and not _CLAUSE_SPLIT_RE.match(progress[ce]):
            ce += 1
        before = progress[max(cs, a - 8):a]
        after = progress[b:ce]
        if R.done_before_re.search(before) or _NEGATED_END_RE.search(before):
            continue
        if R.done_after_re.match(after):
            continue
        if _SHARE_OF_RE.search(after):
            continue
        out.append(progress[cs:ce])
    return out


def _not_started(progress: str, R: Rules) -> str | None:
    for m in R.not_started_re.finditer(progress):
        before = progress[max(0, m.start() - 12):m.start()]
        if R.not_started_block_re.search(before):
            continue
        return m.group(0)
    return None


# ---------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------
def _eval_match(mt: Match, share: float | None, R: Rules, year_end: bool) -> tuple[str, str, dict]:
    """-> (state, reason piece, detail) with state in met/ok/lag/none."""
    t, q = mt.target, mt.quantity
    label = t.label or t.text
    d: dict = {"target": label, "value": t.value, "unit": t.unit, "kind": t.kind}
    if q is None:
        d["state"] = "none"
        return "none", f"{label}：进展中未找到对应数量", d
    d.update({"reported": q.text, "reported_value": q.value, "ratio": mt.ratio, "gap": mt.gap})
    if t.kind in ("growth", "points"):
        actual = q.value
        tol = R.indicator_about_tolerance if t.qualifier == "about" else 0.0
        if t.qualifier == "at_most":
            ok = actual <= t.value
            state = ("met" if year_end else "ok") if ok else "lag"
            piece = f"{label}：{q.display}" + ("" if ok else f"，超出目标{_fmt(round(actual - t.value, 2))}个百分点")
        elif (t.value > 0 and actual < 0) or actual < t.value - R.growth_lag_points:
            state = "lag"
            gap = round(t.value - actual, 2)
            extra = "，为负增长" if actual < 0 < t.value else ""
            piece = f"{label}：{q.display}，低于目标{_fmt(gap)}个百分点{extra}"
        elif actual >= t.value - tol:
            state = "met" if year_end else "ok"
            piece = f"{label}：{q.display}，达到目标"
        else:
            state = "ok"
            piece = f"{label}：{q.display}，低于目标{_fmt(round(t.value - actual, 2))}个百分点，差距在{_fmt(R.growth_lag_points)}个百分点以内"
        d["state"] = state
        return state, piece, d

    ratio = mt.ratio
    if ratio is None:
        d["state"] = "none"
        return "none", f"{label}：{q.display}，无法计算完成比例", d
    if t.qualifier == "at_most" and q.kind != "completion_ratio":
        ok = q.value <= t.value
        state = ("met" if year_end else "ok") if ok else "lag"
        piece = f"{label}：{q.display}" + ("，未超出控制目标" if ok else "，已超出控制目标")
        d["state"] = state
        return state, piece, d
    need = 1.0 - (R.task_about_tolerance if t.qualifier == "about" else 0.0)
    shown = f"{label}：{q.display}"
    if q.kind != "completion_ratio":
        shown += f"，完成{_pct(ratio)}"
    if ratio >= need - 1e-9:
        state = "met"
        piece = shown
    elif share is not None and ratio < R.lag_ratio * share:
        state = "lag"
        piece = f"{shown}，低于时序进度{_share_pct(share)}"
    else:
        state = "ok"
        piece = shown + (f"，时序进度{_share_pct(share)}" if share is not None else "")
    d["state"] = state
    return state, piece, d


_V1_STATE = {"met": "met", "ok": "on_track", "lag": "behind", "none": "unknown"}
_V1_KIND = {"growth": "growth", "points": "growth", "ratio": "level"}


def _v1_with_evidence(j: Judgement) -> Judgement:
    """Contract shim for the first-generation engine: evidence and light from its details."""
    share = j.details.get("share")
    ev = []
    for d in j.details.get("targets", []):
        kind = _V1_KIND.get(d.get("kind"), "count")
        ratio = d.get("ratio")
        gap = None
        if kind == "count" and ratio is not None and share is not None:
            gap = round((share - ratio) * 100, 1)
        elif kind == "growth" and d.get("reported_value") is not None and d.get("value") is not None:
            gap = round(d["value"] - d["reported_value"], 2)
        ev.append(evidence_record(
            target=d.get("target"), kind=kind, goal=d.get("value"), measure=d.get("unit"),
            actual=d.get("reported_value"), actual_text=d.get("reported"),
            share=ratio if kind == "count" else None, expected=share, gap=gap,
            state=_V1_STATE.get(d.get("state"), "unknown"), principal=True, line=None))
    if j.status in (NOT_REPORTED, MANUAL):
        light = ""
    elif j.status == DONE:
        light = "绿"
    else:
        gaps = [e["gap"] for e in ev if e["gap"] is not None and e["kind"] == "count"]
        worst = max(gaps, default=None)
        if worst is not None and worst > 30:
            light = "红"
        elif (worst is not None and worst >= 10) or j.status == LAGGING:
            light = "黄"
        else:
            light = "绿"
    return Judgement(j.status, j.reason, j.details, light, tuple(ev))


def judge_task(*args, **kwargs) -> Judgement:
    """Judge one work-report task (see :func:`_judge_task_v1`); with light and evidence."""
    return _v1_with_evidence(_judge_task_v1(*args, **kwargs))


def _judge_task_v1(
    task_text: str,
    progress: str | None,
    period_end: date | None,
    year: int | None,
    *,
    deadline: str | None = None,
    rules: Mapping | Rules | None = None,
) -> Judgement:
    """Judge one work-report task.

    Returns a :class:`Judgement` whose status is one of 已完成, 正常推进,
    推进较为滞后, 未报送, 需人工研判.  ``period_end`` is the end of the
    reporting period (its day of the year gives the time share, 时序进度);
    ``year`` the task year (periods after it count as the year's end);
    ``deadline`` an optional completion deadline ("6月底前") that replaces
    the year end for the time share.
    """
    R = get_rules(rules)
    task_text = "" if task_text is None else str(task_text)
    p = "" if progress is None else str(progress).strip()
    if not p or p.lower() in R.placeholders:
        return Judgement(NOT_REPORTED, "未报送进展情况", {})

    share = elapsed_share(period_end, year, deadline)
    y = year or (_as_date(period_end).year if _as_date(period_end) else None)
    dl = parse_deadline(deadline, y) if (deadline and y) else None
    pe = _as_date(period_end)
    deadline_passed = bool(dl and pe and pe > dl)
    year_end = share is not None and share >= R.year_end_share
    details: dict = {"share": share, "deadline": dl.isoformat() if dl else None}

    stripped = p.strip(" 。.，,；;！!")
    if stripped in R.no_progress_exact:
        return Judgement(LAGGING, f"进展填报为“{stripped}”，视为无进展", details)
    n_chars = _meaningful_len(p)
    attach = R.attach_re.search(p)
    if attach and n_chars - _meaningful_len(attach.group(0)) < R.min_progress_chars + 4:
        return Judgement(MANUAL, f"进展内容为“{stripped}”，需查阅附件后人工研判", details)
    done_clauses = _done_clauses(p, R)
    no_prog = R.no_progress_re.search(p)
    not_started = _not_started(p, R)
    cue = R.cues_re.search(p)
    if (n_chars < R.min_progress_chars and not _DIGIT_RE.search(p)
            and not (done_clauses or no_prog or not_started or cue)):
        return Judgement(MANUAL, f"进展内容过短（“{stripped or p}”），无法判断", details)

    targets = parse_targets(task_text)
    quantities = parse_progress(p)
    matches = match(targets, quantities, min_overlap=R.min_subject_overlap)

    lag_pieces: list[str] = []
    ok_pieces: list[str] = []
    met_pieces: list[str] = []
    none_pieces: list[str] = []
    tdetails = []
    states = []
    for mt in matches:
        state, piece, d = _eval_match(mt, share, R, year_end)
        if state == "none" and done_clauses:
            # a clause says this target is done ("社区体育公园已全部建成")
            key = mt.target.subject or mt.target.verb
            best = max(done_clauses, key=lambda c: subject_overlap(key, c))
            if len(matches) == 1 or subject_overlap(key, best) >= R.min_subject_overlap:
                state = "ok" if (mt.target.kind in ("growth", "points") and not year_end) else "met"
                piece = f"{mt.target.label}：{_strip_marker(best)}"
                d["state"] = state
        states.append(state)
        tdetails.append(d)
        {"lag": lag_pieces, "ok": ok_pieces, "met": met_pieces, "none": none_pieces}[state].append(piece)
    details["targets"] = tdetails

    # ---- lagging evidence
    if no_prog:
        lag_pieces.append(f"进展显示“{no_prog.group(0)}”")
    if not_started and not done_clauses:
        if share is not None and _share_round(share) >= R.not_started_share:
            lag_pieces.append(f"时序进度已达{_share_pct(share)}，仍“{not_started}”")
    if deadline_passed and not (states and all(s == "met" for s in states)) and not (not states and done_clauses):
        lag_pieces.append(f"已超过完成时限（{deadline}），尚未完成")
    if lag_pieces:
        return Judgement(LAGGING, "；".join(lag_pieces), details)

    share_note = "" if share is not None else "（未提供报送期，未对照时序进度）"
    if targets:
        if all(s == "met" for s in states):
            return Judgement(DONE, "；".join(met_pieces), details)
        if any(s in ("met", "ok") for s in states):
            pieces = met_pieces + ok_pieces + none_pieces
            return Judgement(NORMAL, "；".join(pieces) + share_note, details)
        # quantified targets, nothing matched
        if quantities and cue:
            return Judgement(NORMAL, "进展未报告与目标对应的数量，文字显示正常推进" + share_note, details)
        if cue:
            return Judgement(NORMAL, "进展未报告目标数量，文字显示正常推进" + share_note, details)
        if quantities:
            got = "、".join(q.text for q in quantities[:3])
            return Judgement(MANUAL, f"任务有量化目标，进展所报数量（{got}）与目标不对应，需人工研判", details)
        return Judgement(MANUAL, "任务有量化目标，进展未报告数量且无明确进度表述，需人工研判", details)

    # qualitative task
    if done_clauses:
        return Judgement(DONE, f"进展显示“{_strip_marker(done_clauses[0])}”", details)
    ratios = [q for q in quantities if q.kind == "completion_ratio"]
    if ratios:
        # no numeric target, but a share of the whole work is reported: implicit target 100%
        q = max(ratios, key=lambda x: x.value)
        r = q.value / 100.0
        details["completion_ratio"] = r
        if r >= 1.0:
            return Judgement(DONE, f"进展显示“{q.display}”", details)
        if share is not None and r < R.lag_ratio * share:
            return Judgement(LAGGING, f"{q.display}，低于时序进度{_share_pct(share)}", details)
        return Judgement(NORMAL, q.display + (f"，时序进度{_share_pct(share)}" if share is not None else share_note),
                         details)
    if not_started:
        if share is None:
            return Judgement(NORMAL, f"进展显示“{not_started}”，未提供报送期，暂按正常推进", details)
        return Judgement(NORMAL, f"进展显示“{not_started}”，时序进度{_share_pct(share)}，尚处前期阶段", details)
    if cue:
        return Judgement(NORMAL, f"定性任务，进展显示“{_strip_marker(_clause_at(p, cue.start()))}”", details)
    return Judgement(NORMAL, "定性任务，进展显示工作正常开展", details)


_MARKER_RE = re.compile(r"^\s*(?:[①②③④⑤⑥⑦⑧⑨⑩]|[一二三四五六七八九十]{1,3}是|[（(][一二三四五六七八九十\d]{1,3}[）)]"
                        r"|[一二三四五六七八九十]{1,3}[、．]|\d{1,2}[、．.](?!\d))\s*")


def _strip_marker(s: str) -> str:
    return _MARKER_RE.sub("", s.strip())


# ---------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------
def _actual_from_string(actual: str, kind: str) -> float | None:
    v = parse_number(actual)
    if v is not None:
        return v
    qs = parse_quantities(str(actual))
    for q in qs:
        if q.kind == kind:
            return q.value
    return qs[0].value if qs else None


def judge_indicator(*args, **kwargs) -> Judgement:
    """Judge one economic indicator (see :func:`_judge_indicator_v1`); with light and evidence."""
    j = _judge_indicator_v1(*args, **kwargs)
    target = str(args[0] if args else kwargs.get("target") or "").strip()
    d = j.details
    kind = {"growth": "growth", "points": "growth", "percent": "level"}.get(d.get("kind"), "count" if d else "qualitative")
    actual = d.get("actual")
    goal = d.get("target_value")
    gap = round(goal - actual, 2) if (goal is not None and actual is not None and kind != "count") else None
    ev = (evidence_record(target=target, kind=kind, goal=goal, actual=actual,
                          measure="%" if kind in ("growth", "level") else None, gap=gap,
                          state={IND_MET: "met", IND_ON_COURSE: "on_track", IND_MISSED: "behind"}.get(j.status, "unknown"),
                          principal=True),) if j.status not in (NOT_REPORTED,) else ()
    light = {IND_MET: "绿", IND_ON_COURSE: "绿"}.get(j.status, "")
    if j.status == IND_MISSED:
        light = "红" if (gap is not None and gap > 3) else "黄"
    return Judgement(j.status, j.reason, j.details, light, ev)


def _judge_indicator_v1(
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
        # qualitative target (空气质量完成年度目标任务)
        off = R.off_course_re.search(p)
        if off:
            return Judgement(IND_MISSED, f"{target.strip()}：进展显示“{_clause_at(p, off.start())}”", details)
        on = R.on_course_re.search(p)
        if on:
            return Judgement(IND_ON_COURSE, f"{target.strip()}：进展显示“{_clause_at(p, on.start())}”", details)
        return Judgement(MANUAL, "定性目标，进展未说明是否达到时间节点要求，需人工研判", details)

    t = ts[0]
    details["target_value"] = t.value
    details["kind"] = t.kind
    value = None
    shown = ""
    if not blank_a:
        if isinstance(actual, (int, float)) and not isinstance(actual, bool):
            value = float(actual)
        else:
            value = _actual_from_string(a_str, t.kind)
        shown = a_str
    if value is None and not blank_p:
        mt = match([t], parse_progress(p), min_overlap=R.min_subject_overlap)[0]
        if mt.quantity is not None and mt.quantity.kind != "completion_ratio":
            value = mt.quantity.value
            shown = mt.quantity.display
    if value is None:
        attach = R.attach_re.search(p)
        why = "进展内容见附件" if attach else "进展中未找到可与目标比较的数值"
        return Judgement(MANUAL, f"{target}：{why}，需人工研判", details)
    details["actual"] = value

    label = target.strip()
    if t.kind in ("growth", "points", "percent"):
        unit = "个百分点" if t.kind == "points" else "%"
        actual_txt = (f"实际增长{_fmt(value)}%" if t.kind == "growth" else f"实际{_fmt(value)}{unit}")
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


def effective_status(engine_status: str, override: str | None) -> str:
    """The status to show: the manual override when non-blank, else the engine's."""
    if override is not None:
        o = str(override).strip()
        if o and o.lower() not in ("nan", "none"):
            return o
    return engine_status

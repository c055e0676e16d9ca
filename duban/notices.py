"""`duban notices`: graded supervision notices (督办单) from the period's verdicts, and their ledger.

The supervision loop after the report: 交办 → 跟踪 → 督办 → 反馈 → 办结销号.

* :func:`decide` (pure) gives every lagging or deadline-critical task a notice colour per
  lead unit, by the rules below (thresholds in 设置);
* :func:`issue` numbers the notices in the 督办台账 (a re-run of the same period keeps
  each notice's number: one notice per period, task and unit);
* :func:`build_unit_docx` lays out one unit's notices as an official-style Word document
  (same template and styles as the report), :func:`write_summary_xlsx` lists them all;
* :func:`review` closes (销号) and escalates (升级) notices as later periods come in;
  :func:`file_replies` takes the units' 督办整改情况 from their next returns.

Colour rules (first that applies; the staff override 人工研判 wins: 已完成/正常推进 → no notice):

* 红 — the 完成时限 has passed at the period's end and the task is not done; or the engine's
  light is 红; or the unit's last notice for the task went unanswered past its reply deadline;
  or the task lags again after a 黄/红 notice of the previous period (设置 连续滞后升级红色);
* 黄 — light 黄, or 推进较为滞后 (engine or override), for the first time;
* 蓝 — not done, and the 完成时限 falls within 设置 蓝色督办提前天数 (default 30) after the
  period's end.

A notice is 已销号 once its task is 已完成, or 正常推进 with a reply on file, in a later
period; 已升级 when a later red notice replaces it or its reply is overdue; else
待回复 / 已回复.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from . import settings as st
from .errors import DubanError
from .judge import BEHIND_STATES
from .judge.timing import pct as _pct
from .model import Master, Period, PeriodEntry, Task, clean_text
from .store import XLSXWRITER_OPTIONS, SheetStyle, Store, atomic_output, strip_illegal

S_LEDGER = "督办台账"

BLUE, YELLOW, RED = "蓝", "黄", "红"
COLOURS = (BLUE, YELLOW, RED)
COLOUR_NAMES = {BLUE: "蓝色", YELLOW: "黄色", RED: "红色"}
COLOUR_RGB = {BLUE: "0070C0", YELLOW: "BF8F00", RED: "FF0000"}
COLOUR_FILL = {BLUE: "#DDEBF7", YELLOW: "#FFF2CC", RED: "#F8CBAD"}

PENDING, REPLIED, CLOSED, ESCALATED = "待回复", "已回复", "已销号", "已升级"
NOTICE_STATUSES = (PENDING, REPLIED, CLOSED, ESCALATED)

DONE, NORMAL, LAGGING = "已完成", "正常推进", "推进较为滞后"

LEDGER_COLS = [
    ("seq", "序号"), ("number", "督办单编号"), ("colour", "颜色"), ("unit", "单位"), ("task_id", "任务序号"),
    ("task", "工作任务"), ("period", "期次"), ("cause", "督办事由"), ("issued", "签发日期"),
    ("reply_by", "回复期限"), ("reply", "回复内容"), ("replied", "回复日期"), ("status", "状态"),
    ("closed_in", "销号期次"), ("note", "备注"),
]
LEDGER_WIDTHS = {1: 6, 2: 20, 3: 6, 4: 18, 5: 8, 6: 40, 7: 8, 8: 30, 9: 12, 10: 12, 11: 40, 12: 12, 13: 8,
                 14: 8, 15: 24}

# 督办要求 by colour (the office's standard wording).
REQUIREMENTS = {
    BLUE: "该项任务完成时限临近，请对照完成时限倒排工期、压茬推进，确保按期保质完成。",
    YELLOW: "该项任务推进较为滞后，请认真分析原因，制定针对性整改措施，加快推进进度，确保按时序进度完成目标任务。",
    RED: ("请单位主要负责同志高度重视、亲自研究，制定专项整改方案，明确责任人和完成时限，限期整改到位。"
          "整改不力的，将提请区政府约谈单位主要负责人，并在年度目标考核中扣分。"),
}


INTERVIEW = "该项任务已连续发出红色督办单，将提请区政府约谈单位主要负责人。"


def is_repeat_red(n: "Notice") -> bool:
    """A red notice after a red one for the same task: the unit's head is to be interviewed (约谈)."""
    return n.colour == RED and "已发红色督办单" in n.cause


class NoticeError(DubanError):
    "Supervision notices cannot be made"


# ---------------------------------------------------------------------------
# the ledger
# ---------------------------------------------------------------------------

@dataclass
class Notice:
    """One row of 督办台账: one notice to one unit about one task in one period."""

    seq: int
    number: str
    colour: str
    unit: str
    task_id: int
    task: str
    period: str
    cause: str
    issued: str  # ISO date
    reply_by: str  # ISO date
    reply: str = ""
    replied: str = ""  # ISO date
    status: str = PENDING
    closed_in: str = ""
    note: str = ""
    row: int = 0  # 1-based row in 督办台账 (0: not written yet)
    # in memory only: what the document shows
    targets: list[str] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.period, self.task_id, self.unit)

    @property
    def open(self) -> bool:
        return self.status != CLOSED

    def overdue(self, today: date) -> bool:
        """No reply by the reply deadline (still none after it, or one that came late)."""
        by = _date(self.reply_by)
        if by is None:
            return False
        if self.reply.strip():
            got = _date(self.replied)
            return got is not None and got > by
        return today > by

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k, _ in LEDGER_COLS}


def _date(text: str) -> date | None:
    try:
        return st.parse_date(text, "日期") if text else None
    except DubanError:
        return None


def load_ledger(store: Store) -> list[Notice]:
    """The 督办台账 rows (empty when the sheet does not exist yet)."""
    from .master import find_header, header_map

    if S_LEDGER not in store.sheet_names():
        return []
    rows = store.read(S_LEDGER)
    h = find_header(rows, "督办单编号")
    if h < 0:
        return []
    hm = header_map(rows[h])
    out = []
    for r, row in enumerate(rows[h + 1:], start=h + 2):
        rec = {k: clean_text(row[hm[t]]) if t in hm and hm[t] < len(row) else "" for k, t in LEDGER_COLS}
        if not rec["number"]:
            continue
        try:
            seq = int(float(rec["seq"])) if rec["seq"] else _seq_from_number(rec["number"])
            task_id = int(float(rec["task_id"]))
        except ValueError:
            continue  # a staff note row: not ours
        rec.update(seq=seq, task_id=task_id)
        if rec["status"] not in NOTICE_STATUSES:
            rec["status"] = PENDING
        for k in ("issued", "reply_by", "replied"):
            rec[k] = _iso(rec[k])
        out.append(Notice(**rec, row=r))
    return out


def _iso(text: str) -> str:
    d = _date(text.split(" ")[0]) if text else None
    return d.isoformat() if d else text


def _seq_from_number(number: str) -> int:
    nums = re.findall(r"\d+", number)
    return int(nums[-1]) if nums else 0


def save_ledger(store: Store, ledger: list[Notice]) -> None:
    """Write the ledger: a row per notice, found by 序号; staff columns and notes are kept."""
    from .master import _layout_columns, _id_rows, write_rows

    store.ensure_sheet(S_LEDGER, SheetStyle(widths=LEDGER_WIDTHS, freeze="C2"))
    cols = _layout_columns(store, S_LEDGER, [t for _, t in LEDGER_COLS])
    rowmap = _id_rows(store, S_LEDGER, [n.seq for n in ledger], cols["序号"])
    text = {cols[t] for k, t in LEDGER_COLS if k not in ("seq", "task_id")}
    records = {}
    for n in ledger:
        records[rowmap[n.seq]] = {cols[t]: getattr(n, k) for k, t in LEDGER_COLS}
        n.row = rowmap[n.seq]
    if records:
        write_rows(store, S_LEDGER, records, text)


# ---------------------------------------------------------------------------
# the engine's light and evidence
# ---------------------------------------------------------------------------

def light_of(entry: PeriodEntry) -> str:
    """The override-aware light: 绿/黄/红 or ''."""
    override = entry.override.strip()
    light = entry.light or ""
    if override == LAGGING and light in ("绿", ""):
        return YELLOW
    if override in (DONE, NORMAL):
        return "绿"
    return light


def evidence_of(entry: PeriodEntry) -> list[dict]:
    return list(entry.evidence)




def _lagging_evidence(entry: PeriodEntry) -> list[dict]:
    ev = evidence_of(entry)
    principal = [d for d in ev if d.get("principal", True) is not False] or ev
    return [d for d in principal if d.get("state") in BEHIND_STATES]


def unit_segments(progress: str, units: list[str]) -> dict[str, str]:
    """The 【单位】-labelled parts of a combined progress cell (as collect writes it), by unit."""
    from .collect import parse_labelled

    if "【" not in progress:
        return {}
    return parse_labelled(progress, set(units))[1]


def progress_lines(task: Task, entry: PeriodEntry, unit: str, lagging_only: bool,
                   segment: str | None = None, own=None) -> tuple[list[str], list[str]]:
    """(lagging targets, 进展情况 lines) for one unit's notice, from the engine's evidence.

    Each line is the engine's sentence for a target plus the unit's own words it rests on
    (the quote); without usable evidence, the engine's reason. The unit's key sentence is
    added when no line quotes the unit. ``segment``/``own``: the unit's own part of a
    progress cell several lead units filled, and the engine's judgement of that part —
    so a unit's notice never quotes another unit's text.
    """
    from .report import key_sentence

    ev = evidence_of(entry)
    reason = entry.reason
    if segment is not None:
        mine = [d for d in ev if d.get("unit") == unit]
        if not mine and own is not None:
            mine, reason = list(own.evidence), own.reason
        ev = mine
    principal = [d for d in ev if d.get("principal", True) is not False] or ev
    chosen = [d for d in principal if d.get("state") in BEHIND_STATES] if lagging_only else []
    chosen = chosen or principal
    targets = [clean_text(d.get("target")) for d in chosen if d.get("state") in BEHIND_STATES and d.get("target")]
    lines, quoted = [], False
    for d in chosen:
        line = clean_text(d.get("line")) or evidence_line(d)
        quote = clean_text(d.get("quote"))
        if quote and line and quote not in line:
            who = d.get("unit") or "单位"
            line = f"{line}（{who}报送：“{quote.rstrip('。')}”）"
            quoted = True
        if line:
            lines.append(line.rstrip("。") + "。")
    if not (segment if segment is not None else entry.progress).strip():
        return targets, lines + ["本期未报送进展情况。"]
    if not lines and reason.strip():
        lines.append(reason.strip().rstrip("。") + "。")
    if not quoted:
        label = next((k for k, v in task.periods.items() if v is entry), "")
        if segment is not None:
            part = Task(task.id, task.category, task.task, periods={label: PeriodEntry(progress=segment, reason=reason)})
            lines.append(f"{unit}报送：“{key_sentence(part, label).rstrip('。')}”")
        else:
            lines.append(f"单位报送：“{key_sentence(task, label).rstrip('。')}”")
    return targets, lines




def evidence_line(d: dict) -> str:
    """A sentence for a target when the engine gave none: what was achieved against the goal and 序时."""
    target = clean_text(d.get("target"))
    if not target:
        return ""
    kind, actual, text = d.get("kind"), d.get("actual"), clean_text(d.get("actual_text"))
    gap, expected, share = d.get("gap"), d.get("expected"), d.get("share")
    if kind == "count" and actual is not None and share is not None:
        done = text or f"完成{actual:g}{d.get('measure') or ''}"
        out = f"{target}：{done}，完成{_pct(share)}"
        if gap is not None and gap > 0 and expected is not None:
            out += f"，低于序时进度{_pct(expected)}约{gap:.0f}个百分点"
        return out
    if kind == "growth" and actual is not None:
        out = f"{target}：实际{'增长' if actual >= 0 else '下降'}{abs(actual):g}%"
        return out + (f"，低于目标{gap:g}个百分点" if gap is not None and gap > 0 else "")
    if kind == "deliverable" and d.get("stage"):
        return f"{target}：目前处于{d['stage']}阶段"
    if text:
        return f"{target}：{text}"
    return ""


# ---------------------------------------------------------------------------
# deciding
# ---------------------------------------------------------------------------

@dataclass
class Decision:
    task: Task
    unit: str
    colour: str
    cause: str
    targets: list[str] = field(default_factory=list)
    progress: list[str] = field(default_factory=list)


def lead_units(master: Master) -> dict[int, list[str]]:
    """Task id → its lead units as `duban sheets` addresses them (canonical, groups expanded)."""
    from .sheets import plan_recipients

    out: dict[int, list[str]] = {}
    for r in plan_recipients(master, with_coop=False).recipients:
        for t in r.lead:
            out.setdefault(t.id, []).append(r.name)
    return out


def _period_index(master: Master) -> dict[str, int]:
    return {p.label: i for i, p in enumerate(master.periods)}


def last_notice(ledger: list[Notice], task_id: int, unit: str, before: str, order: dict[str, int]) -> Notice | None:
    """The unit's latest notice for the task issued in a period before ``before``."""
    limit = order.get(before, len(order))
    older = [n for n in ledger if n.task_id == task_id and n.unit == unit and order.get(n.period, -1) < limit
             and n.period in order]
    return max(older, key=lambda n: (order[n.period], n.seq)) if older else None


def decide(master: Master, label: str | None, ledger: list[Notice], *, today: date | None = None) -> list[Decision]:
    """The notices the period calls for (pure): colour, cause and evidence per task and lead unit."""
    from .judge import get_rules, judge_task, parse_deadline
    from .status import rules_from_settings

    period = master.period(label)
    rules = get_rules(rules_from_settings(master.settings))
    s = master.settings
    blue_days = int(s.get("notice_blue_days") if s.get("notice_blue_days") not in (None, "") else 30)
    repeat_red = st.truthy(s.get("notice_repeat_red", "是"))
    today = today or date.today()
    order = _period_index(master)
    prev = master.previous_period(period.label)
    units_of = lead_units(master)
    end = period.end
    out: list[Decision] = []
    for t in sorted(master.tasks, key=lambda t: t.id):
        e = t.periods.get(period.label) or PeriodEntry()
        override = e.override.strip()
        status = e.effective_status
        if override in (DONE, NORMAL) or status == DONE:
            continue  # the staff override wins; a done task needs no notice
        light = light_of(e)
        deadline = parse_deadline(t.deadline, master.year) if t.deadline else None
        lagging = light in (YELLOW, RED) or status == LAGGING
        units = units_of.get(t.id, [])
        behind_units = {d.get("unit") for d in _lagging_evidence(e) if d.get("unit")}
        segments = unit_segments(e.progress, units) if len(units) > 1 else {}
        if len(segments) < 2:
            segments = {}
        own = {u: judge_task(t.task, text, end, master.year, deadline=t.deadline or None, rules=rules)
               for u, text in segments.items()}
        if lagging and segments:
            # several lead units reported separately: besides the units the engine's evidence names,
            # the units whose own part lags; a unit that did not report its part stays behind
            for unit in units:
                j = own.get(unit)
                if j is None or j.status == LAGGING or getattr(j, "light", "") in (YELLOW, RED) or override == LAGGING:
                    behind_units.add(unit)
            if not behind_units:
                behind_units = set(units)  # the whole lags though no part does: everyone is asked
        for unit in units:
            last = last_notice(ledger, t.id, unit, period.label, order)
            colour = cause = ""
            if deadline and end and deadline <= end:
                colour, cause = RED, f"已超过完成时限（{t.deadline}），任务尚未完成"
            elif light == RED and (not behind_units or unit in behind_units):
                colour, cause = RED, ("推进严重滞后（进度灯为红灯）" if status == LAGGING
                                      else "进度明显低于序时进度（进度灯为红灯）")
            elif lagging and (not behind_units or unit in behind_units):
                again = (last is not None and prev is not None and last.period == prev.label
                         and last.colour in (YELLOW, RED))
                if again and repeat_red:
                    colour, cause = RED, f"{last.period}已发{COLOUR_NAMES[last.colour]}督办单（{last.number}），本期仍推进较为滞后"
                elif last is not None and last.overdue(today):
                    colour, cause = RED, f"{last.period}督办单（{last.number}）逾期未回复整改情况"
                else:
                    colour, cause = YELLOW, "推进较为滞后" if status == LAGGING else "进度低于序时进度（进度灯为黄灯）"
            elif last is not None and last.overdue(today) and last.open:
                colour, cause = RED, f"{last.period}督办单（{last.number}）逾期未回复整改情况"
            elif deadline and end and end < deadline <= end + timedelta(days=blue_days):
                colour, cause = BLUE, f"完成时限（{t.deadline}）临近，任务尚未完成"
            if not colour:
                continue
            targets, lines = progress_lines(t, e, unit, lagging_only=colour != BLUE,
                                            segment=segments.get(unit, "") if segments else None, own=own.get(unit))
            out.append(Decision(t, unit, colour, cause, targets, lines))
    return out


# ---------------------------------------------------------------------------
# numbering and reviewing
# ---------------------------------------------------------------------------

def number_text(master: Master, n: int) -> str:
    fmt = str(master.settings.get("notice_number") or st.BY_KEY["notice_number"].default)
    try:
        return fmt.format(year=master.year, n=n)
    except (KeyError, IndexError, ValueError):
        raise NoticeError(f"设置表中“督办单编号格式”的值“{fmt}”写法有误：只能用 {{year}}（年度）和 {{n}}（顺序号），"
                          "如“督办〔{year}〕第{n}号”") from None


@dataclass
class IssueResult:
    period: Period
    notices: list[Notice]  # the period's notices after this run, by number
    new: list[Notice] = field(default_factory=list)
    kept: list[Notice] = field(default_factory=list)  # issued by an earlier run of the same period
    stale: list[Notice] = field(default_factory=list)  # issued earlier, no longer called for
    closed: list[Notice] = field(default_factory=list)  # 销号 by this run
    escalated: list[Notice] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    summary: Path | None = None
    unjudged: int = 0  # tasks of the period without any status (duban status not run)

    def summary_lines(self) -> list[str]:
        label = self.period.label
        by = {c: sum(1 for n in self.notices if n.colour == c) for c in COLOURS}
        units = sorted({n.unit for n in self.notices})
        lines = [f"{label}督办单：共 {len(self.notices)} 份（红色 {by[RED]}、黄色 {by[YELLOW]}、蓝色 {by[BLUE]}），"
                 f"涉及 {len(units)} 个单位；本次新编号 {len(self.new)} 份，沿用原编号 {len(self.kept)} 份。"]
        for n in self.notices:
            lines.append(f"  {n.number} {COLOUR_NAMES[n.colour]} {n.unit} 任务{n.task_id}：{n.cause}")
        interview = sorted({n.unit for n in self.notices if is_repeat_red(n)})
        if interview:
            lines.append(f"  连续红色督办、建议提请约谈主要负责人的单位 {len(interview)} 个：" + "、".join(interview))
        if self.stale:
            lines.append(f"  以下 {len(self.stale)} 份督办单是此前为本期签发的，按现在的研判已不需要督办，台账中保留原编号"
                         "（确需撤销的，在“督办台账”备注中注明）：" + "、".join(n.number for n in self.stale))
        for what, items in (("本次销号", self.closed), ("升级督办", self.escalated)):
            if items:
                lines.append(f"  {what} {len(items)} 份：" + "、".join(f"{n.number}（{n.unit}）" for n in items[:8])
                             + (f"等 {len(items)} 份" if len(items) > 8 else ""))
        if self.files:
            lines.append(f"  已生成督办单 {len(self.files)} 份（每单位一份 .docx），保存在 {self.files[0].parent}")
        if self.summary:
            lines.append(f"  汇总表：{self.summary}")
        if not self.notices:
            lines.append("  本期没有需要督办的任务，没有生成督办单。")
        if self.unjudged:
            lines.append(f"注意：有 {self.unjudged} 项任务本期尚未研判（系统研判为空），只按完成时限判断了是否督办。"
                         "请先运行 duban status 再生成督办单。")
        return lines


def review(master: Master, ledger: list[Notice], today: date | None = None) -> tuple[list[Notice], list[Notice]]:
    """Close (销号) and escalate (升级) notices from the later periods' verdicts; returns (closed, escalated).

    销号: the task is 已完成, or 正常推进 with a reply on file, in a period after the notice's.
    升级: still open, no reply and past its reply deadline (the next notice for it is red).
    """
    today = today or date.today()
    order = _period_index(master)
    tasks = master.task_by_id()
    closed, escalated = [], []
    for n in ledger:
        if n.status == CLOSED:
            continue
        t = tasks.get(n.task_id)
        if t is None or n.period not in order:
            continue
        for p in master.periods[order[n.period] + 1:]:
            e = t.periods.get(p.label)
            status = e.effective_status if e else ""
            if status == DONE or (status == NORMAL and n.reply.strip()):
                n.status, n.closed_in = CLOSED, p.label
                closed.append(n)
                break
        else:
            if n.status == PENDING and not n.reply.strip() and n.overdue(today):
                n.status = ESCALATED
                n.note = _add_note(n.note, f"{today.isoformat()} 逾期未回复，升级督办")
                escalated.append(n)
    return closed, escalated


def _add_note(note: str, text: str) -> str:
    return text if not note else (note if text in note else f"{note}；{text}")


def issue(master: Master, ledger: list[Notice], label: str | None, *, today: date | None = None) -> IssueResult:
    """Decide and number the period's notices in ``ledger`` (in memory)."""
    today = today or date.today()
    period = master.period(label)
    closed, escalated = review(master, ledger, today)
    decisions = decide(master, period.label, ledger, today=today)
    existing = {n.key: n for n in ledger}
    reply_days = int(master.settings.get("notice_reply_days") or st.BY_KEY["notice_reply_days"].default)
    seq = max((n.seq for n in ledger), default=0)
    result = IssueResult(period, [], closed=closed, escalated=escalated)
    wanted = set()
    order = _period_index(master)
    for d in decisions:
        key = (period.label, d.task.id, d.unit)
        wanted.add(key)
        n = existing.get(key)
        if n is None:
            seq += 1
            n = Notice(seq, number_text(master, seq), d.colour, d.unit, d.task.id, d.task.task, period.label,
                       d.cause, today.isoformat(), (today + timedelta(days=reply_days)).isoformat())
            ledger.append(n)
            existing[key] = n
            result.new.append(n)
        else:
            if n.status == PENDING and not n.reply:
                n.colour, n.cause = d.colour, d.cause  # re-judged since: the same number, today's colour
            result.kept.append(n)
        n.targets, n.progress = d.targets, d.progress
        if n.colour == RED:  # a red notice supersedes the unit's older open ones for the task
            for old in ledger:
                if (old.task_id, old.unit) == (n.task_id, n.unit) and old.open and old is not n \
                        and order.get(old.period, 99) < order[period.label]:
                    old.status = ESCALATED
                    old.note = _add_note(old.note, f"升级为{n.number}")
                    if old not in result.escalated:
                        result.escalated.append(old)
    tasks = master.task_by_id()
    for n in ledger:
        if n.period == period.label and n.key not in wanted:
            result.stale.append(n)
            t = tasks.get(n.task_id)
            if t is not None and not n.progress:
                e = t.periods.get(period.label) or PeriodEntry()
                n.targets, n.progress = progress_lines(t, e, n.unit, lagging_only=n.colour != BLUE)
    result.notices = sorted((n for n in ledger if n.period == period.label), key=lambda n: n.seq)
    result.unjudged = sum(1 for t in master.tasks if not (t.periods.get(period.label) or PeriodEntry()).effective_status)
    return result


# ---------------------------------------------------------------------------
# the documents
# ---------------------------------------------------------------------------

def cn_date(iso: str) -> str:
    d = _date(iso)
    return f"{d.year}年{d.month}月{d.day}日" if d else iso


def notice_filename(year: int, period: str, unit: str) -> str:
    from .sheets import safe_part

    return f"{year}年{safe_part(period, 20)}_{safe_part(unit, 48)}_督办单.docx"


def feedback_text(master: Master) -> str:
    s = master.settings
    text = str(s.get("notice_feedback") or st.BY_KEY["notice_feedback"].default).strip()
    contact = "，".join(x for x in (
        str(s.get("contact") or "").strip(),
        f"电话 {s['contact_phone']}" if s.get("contact_phone") else "",
        f"邮箱 {s['contact_email']}" if s.get("contact_email") else "",
    ) if x)
    if contact:
        text = text.rstrip("。") + f"。联系人：{contact}。"
    return text


def office_of(master: Master) -> str:
    return (str(master.settings.get("office") or "")).strip() or "区政府督查办"


def notice_fields(master: Master, n: Notice) -> list[tuple[str, str]]:
    """The form of one 督办单: (label, text) rows in order."""
    item = f"任务{n.task_id}：{n.task.rstrip('。；; ')}。"
    if n.targets:
        item += "\n滞后目标：" + "；".join(n.targets) + "。"
    item += f"\n督办事由：{n.cause}。"
    requirement = REQUIREMENTS[n.colour]
    if n.colour == RED:
        requirement = f"该项任务{n.cause}。" + requirement
        if is_repeat_red(n):
            requirement += INTERVIEW
    return [
        ("督办事项", item),
        ("进展情况", "\n".join(n.progress) if n.progress else "（见本期进展反馈表）"),
        ("督办要求", requirement),
        ("办理时限", f"请于{cn_date(n.reply_by)}前书面反馈整改落实情况。"),
        ("反馈方式", feedback_text(master)),
    ]


def notice_lines(master: Master, n: Notice) -> list[str]:
    """The text of one 督办单 as it reads in the document, paragraph by paragraph (cells row by row)."""
    lines = [office_of(master), f"{COLOUR_NAMES[n.colour]}督办单", n.number, f"{n.unit}：",
             opening_sentence(master, n)]
    for label, text in notice_fields(master, n):
        lines.append(label)
        lines.extend(text.split("\n"))
    lines += [office_of(master), cn_date(n.issued)]
    return lines


def opening_sentence(master: Master, n: Notice) -> str:
    return (f"根据{master.year}年区政府工作报告目标任务{n.period}推进情况跟踪督办结果，现将下列事项交你单位办理，"
            "请认真研究落实，并按时反馈。")


def build_unit_docx(master: Master, notices: list[Notice], template: Path | None = None):
    """One unit's notices, one per page, as a python-docx Document."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.shared import Pt, RGBColor

    from .report import _open_template, _section_width_twips, _signature

    doc = _open_template(template)
    style_ids = {s.name: s.style_id for s in doc.styles}
    width = _section_width_twips(doc.sections[0])
    office = office_of(master)

    def add(text: str, style: str):
        p = doc.add_paragraph(strip_illegal(text))
        p._p.style = style_ids[style]
        return p

    for k, n in enumerate(notices):
        head = add(office, "发文机关")
        if k:
            head.paragraph_format.page_break_before = True
        title = add(f"{COLOUR_NAMES[n.colour]}督办单", "Title")
        for run in title.runs:
            run.font.color.rgb = RGBColor.from_string(COLOUR_RGB[n.colour])
        num = add(n.number, "主送机关")
        num.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add(f"{n.unit}：", "主送机关")
        add(opening_sentence(master, n), "Body Text")
        doc.element.body.sectPr.addprevious(parse_xml(_form_xml(doc, notice_fields(master, n), width)))
        _signature(doc, office, cn_date(n.issued))
        doc.paragraphs[-2].paragraph_format.space_before = Pt(14)  # one page per notice
    props = doc.core_properties
    props.title = f"督办单（{notices[0].unit}）" if notices else "督办单"
    props.author = office
    props.comments = "由 duban 生成"
    return doc


def _form_xml(doc, fields: list[tuple[str, str]], width_twips: int) -> str:
    """The form of a notice: a two-column table, labels in 黑体, text in the table body style."""
    from .report import _run

    styles = doc.styles
    tbl_style = styles["Table Grid"].style_id
    head_style = styles["表格表头"].style_id
    body_style = styles["表格正文"].style_id
    w1 = int(width_twips * 0.18)
    w2 = width_twips - w1

    def paras(text: str, style: str, center: bool) -> str:
        jc = '<w:jc w:val="center"/>' if center else ""
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/>{jc}<w:spacing w:before="60" w:after="60"/></w:pPr>'
        return "".join(f"<w:p>{ppr}{_run(x)}</w:p>" for x in (text.split("\n") or [""]))

    rows = []
    for label, text in fields:
        rows.append(
            "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
            f'<w:tc><w:tcPr><w:tcW w:w="{w1}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
            f"{paras(label, head_style, True)}</w:tc>"
            f'<w:tc><w:tcPr><w:tcW w:w="{w2}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
            f"{paras(text, body_style, False)}</w:tc></w:tr>")
    return (f'<w:tbl xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f'<w:tblPr><w:tblStyle w:val="{tbl_style}"/><w:tblW w:w="{width_twips}" w:type="dxa"/>'
            f'<w:jc w:val="center"/><w:tblLayout w:type="fixed"/></w:tblPr>'
            f'<w:tblGrid><w:gridCol w:w="{w1}"/><w:gridCol w:w="{w2}"/></w:tblGrid>' + "".join(rows) + "</w:tbl>")


SUMMARY_HEADERS = ["督办单编号", "颜色", "单位", "任务序号", "工作任务", "督办事由", "进展情况", "签发日期", "回复期限", "状态"]
SUMMARY_WIDTHS = [20, 6, 18, 8, 40, 30, 50, 12, 12, 8]


def write_summary_xlsx(master: Master, notices: list[Notice], path: Path, title: str) -> Path:
    """All notices of a run in one printable table (XlsxWriter; unit text stays text)."""
    import xlsxwriter

    from .annex import estimate_lines, print_a4_landscape

    path = Path(path)
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(tmp, XLSXWRITER_OPTIONS)
        wb.set_properties({"title": title, "author": office_of(master), "comments": "由 duban 生成"})
        base = {"font_name": "仿宋_GB2312", "font_size": 11, "text_wrap": True, "valign": "vcenter", "border": 1}
        f_title = wb.add_format({"font_name": "方正小标宋简体", "font_size": 18, "align": "center", "valign": "vcenter"})
        f_head = wb.add_format({**base, "font_name": "黑体", "align": "center", "bg_color": "#DDEBF7"})
        f_body = wb.add_format(base)
        f_center = wb.add_format({**base, "align": "center"})
        f_colour = {c: wb.add_format({**base, "align": "center", "bg_color": COLOUR_FILL[c]}) for c in COLOURS}
        ws = wb.add_worksheet("督办单汇总")
        for c, w in enumerate(SUMMARY_WIDTHS):
            ws.set_column(c, c, w)
        ws.merge_range(0, 0, 0, len(SUMMARY_HEADERS) - 1, title, f_title)
        ws.set_row(0, 36)
        ws.write_row(1, 0, SUMMARY_HEADERS, f_head)
        for r, n in enumerate(notices, start=2):
            values = [n.number, COLOUR_NAMES[n.colour], n.unit, n.task_id, n.task, n.cause, "\n".join(n.progress),
                      cn_date(n.issued), cn_date(n.reply_by), n.status]
            height = 1
            for c, v in enumerate(values):
                fmt = f_colour[n.colour] if c == 1 else f_center if c in (3, 7, 8, 9) else f_body
                if isinstance(v, int):
                    ws.write_number(r, c, v, fmt)
                else:
                    ws.write_string(r, c, strip_illegal(str(v))[:32767], fmt)
                    height = max(height, estimate_lines(str(v), SUMMARY_WIDTHS[c]))
            ws.set_row(r, min(409, height * 14.5 + 4))
        if not notices:
            ws.write_string(2, 0, "本期没有督办单。")
        ws.freeze_panes(2, 0)
        print_a4_landscape(ws, 1)
        wb.close()
    return path


def summary_filename(year: int, period: str) -> str:
    from .sheets import safe_part

    return f"{year}年{safe_part(period, 20)}督办单汇总.xlsx"


# ---------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------

def run_notices(store: Store, label: str | None, out_dir: Path, *, today: date | None = None,
                template: Path | None = None) -> IssueResult:
    """`duban notices`: decide and number the period's notices, write them, update 督办台账 (caller commits)."""
    from .master import load_master

    master = load_master(store)
    period = master.period(label)
    from .status import attach_evidence

    attach_evidence(master, period.label)
    ledger = master.notices
    result = issue(master, ledger, period.label, today=today)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        by_unit: dict[str, list[Notice]] = {}
        for n in result.notices:
            by_unit.setdefault(n.unit, []).append(n)
        for unit, items in by_unit.items():
            path = out_dir / notice_filename(master.year, period.label, unit)
            doc = build_unit_docx(master, items, template)
            _save_docx(doc, path)
            result.files.append(path)
        result.summary = write_summary_xlsx(
            master, result.notices, out_dir / summary_filename(master.year, period.label),
            f"{master.year}年{period.label}督办单汇总")
    except PermissionError as exc:
        raise NoticeError(f"无法写入 {Path(exc.filename or out_dir).name}：文件被占用（可能在 Word/Excel 中打开），"
                          "请关闭后重试。督办台账未改动。") from exc
    save_ledger(store, ledger)
    return result


def _save_docx(doc, path: Path) -> None:
    with atomic_output(path, ".docx") as tmp:
        doc.save(tmp)


# ---------------------------------------------------------------------------
# replies and reminders
# ---------------------------------------------------------------------------

def supervised_tasks(master: Master, unit: str, label: str) -> dict[int, Notice]:
    """Task id → the unit's latest not-closed notice from a period before ``label`` (master.notices)."""
    order = _period_index(master)
    limit = order.get(label, len(order))
    out: dict[int, Notice] = {}
    for n in sorted(master.notices, key=lambda n: (order.get(n.period, -1), n.seq)):
        if n.unit == unit and n.open and n.period in order and order[n.period] < limit:
            out[n.task_id] = n
    return out


def notice_mark(n: Notice) -> str:
    """What the feedback workbook's 督办单 column shows: "督办〔2022〕第1号（黄色）：推进较为滞后"."""
    return f"{n.number}（{COLOUR_NAMES.get(n.colour, n.colour)}）：{n.cause}"


def file_replies(master: Master, ledger: list[Notice], label: str, replies: list[tuple[str, int, str, str]]) -> list[Notice]:
    """File (unit, task id, text, date) replies into the unit's open notices; returns those changed."""
    order = _period_index(master)
    changed = []
    for unit, task_id, text, when in replies:
        text = text.strip()
        if not text:
            continue
        for n in ledger:
            if (n.unit, n.task_id) == (unit, task_id) and n.open and order.get(n.period, 99) < order.get(label, -1):
                if n.reply.strip() == text:
                    continue
                n.reply, n.replied = text, when
                if n.status != CLOSED:
                    n.status = REPLIED
                changed.append(n)
    return changed


def file_return_replies(store: Store, master: Master, result) -> list[Notice]:
    """`duban collect`: the 督办整改情况 of the valid returns into 督办台账 (latest return last, so it wins)."""
    from .feedback_format import RECTIFY_KEY

    if not master.notices:
        return []
    replies = []
    outcomes = [o for o in result.outcomes if o.result in ("采用", "被新版本替代") and o.unit]
    outcomes.sort(key=lambda o: o.ret.input.received.isoformat() if o.ret.input.received else "")
    for o in outcomes:
        got = o.ret.input.received
        when = got.date().isoformat() if got else date.today().isoformat()
        for task_id, row in sorted(o.ret.tasks.items()):
            text = row.values.get(RECTIFY_KEY, "")
            if text:
                replies.append((o.unit, task_id, text, when))
    changed = file_replies(master, master.notices, result.period, replies)
    if changed:
        save_ledger(store, master.notices)
    return list({id(n): n for n in changed}.values())


@dataclass
class OverdueResult:
    overdue: list[Notice]
    escalated: list[Notice]
    today: date
    closed: list[Notice] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        lines = []
        if self.closed:
            lines.append(f"督办单销号 {len(self.closed)} 份（任务已完成，或已回复且正常推进）："
                         + "、".join(f"{n.number}（{n.unit}）" for n in self.closed[:8])
                         + (f"等 {len(self.closed)} 份" if len(self.closed) > 8 else ""))
        if not self.overdue:
            return lines + ["督办单：没有超过回复期限仍未回复的。"]
        lines.append(f"超过回复期限仍未回复的督办单 {len(self.overdue)} 份（{self.today.isoformat()}）：")
        for n in self.overdue:
            mark = "，本次升级督办" if n in self.escalated else ""
            lines.append(f"  {n.number} {COLOUR_NAMES.get(n.colour, n.colour)} {n.unit} 任务{n.task_id}"
                         f"（回复期限 {n.reply_by}）{mark}")
        lines.append("  下期督办时这些任务一律发红色督办单。")
        return lines


def escalate_overdue(store: Store, today: date | None = None) -> OverdueResult:
    """`duban remind`: list notices past their reply deadline without a reply and mark them 已升级."""
    from .master import load_master

    today = today or date.today()
    master = load_master(store)
    ledger = master.notices
    if not ledger:
        return OverdueResult([], [], today)
    closed, escalated = review(master, ledger, today)
    overdue = [n for n in ledger if n.open and not n.reply.strip() and n.overdue(today)]
    if closed or escalated:
        save_ledger(store, ledger)
    return OverdueResult(overdue, escalated, today, closed)


def overdue_on_file(master_path: Path, today: date | None = None) -> OverdueResult:
    """:func:`escalate_overdue` on the master file; when it is open elsewhere, list without marking."""
    from .errors import MasterLocked
    from .store import open_store

    try:
        with open_store(master_path) as store:
            return escalate_overdue(store, today)
    except MasterLocked:
        with open_store(master_path, write=False) as store:
            ledger = load_ledger(store)
        today = today or date.today()
        return OverdueResult([n for n in ledger if n.open and not n.reply.strip() and n.overdue(today)], [], today)


def ledger_json(ledger: list[Notice]) -> list[dict]:
    return [n.to_json() for n in sorted(ledger, key=lambda n: n.seq)]


# ---------------------------------------------------------------------------
# mailing the notices
# ---------------------------------------------------------------------------

NOTICE_MAIL = "督办单"  # the send log's 类型 of a notice mail: once per period and unit
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
MAIL_TEMPLATE = "mail_notices.txt"


def run_notice_mail(master: Master, ledger: list[Notice], label: str | None, notices_dir: Path, outbox: Path, *,
                    send: bool = False, log_path: Path | None = None, template: Path | None = None,
                    today: date | None = None, environ=os.environ, progress=None):
    """`duban mail --notices DIR`: one mail per unit with its 督办单 .docx, through the send log (never twice)."""
    from importlib import resources

    from .mail import (MailError, MailResult, MailTemplate, SendLog, SmtpConfig, _send_all, as_bytes, build_message,
                       load_template, split_addresses, template_values, _ADDR)
    from .sheets import Recipient

    period = master.period(label)
    today = today or date.today()
    if template is not None:
        tpl = load_template(NOTICE_MAIL, template)
    else:
        tpl = MailTemplate.parse(resources.files("duban.templates").joinpath(MAIL_TEMPLATE).read_text("utf-8"),
                                 MAIL_TEMPLATE)
    notices_dir = Path(notices_dir)
    if not notices_dir.is_dir():
        raise MailError(f"找不到督办单目录 {notices_dir}：请先运行 duban notices 主表 --period {period.label} -o 目录")
    mine = [n for n in sorted(ledger, key=lambda n: n.seq) if n.period == period.label]
    by_unit: dict[str, list[Notice]] = {}
    for n in mine:
        by_unit.setdefault(n.unit, []).append(n)
    cfg = SmtpConfig.from_settings(master.settings, environ) if send else None
    if send and log_path is None:
        raise MailError("发送邮件需要发送记录文件的位置（log_path）")
    s = master.settings
    sender = cfg.sender if cfg else str(s.get("mail_from") or s.get("contact_email") or "").strip()
    reply_to = str(s.get("contact_email") or "").strip()
    outbox = Path(outbox)
    outbox.mkdir(parents=True, exist_ok=True)
    result = MailResult(NOTICE_MAIL, period, outbox, send, log_path=log_path)
    index = master.unit_index()
    messages = []
    for unit, items in by_unit.items():
        path = notices_dir / notice_filename(master.year, period.label, unit)
        if not path.is_file():
            result.failed.append((unit, f"督办单缺失：{notices_dir} 中没有 {path.name}（先运行 duban notices）"))
            continue
        r = Recipient(unit, index.get(unit))
        addrs = split_addresses(r.email)
        bad = [a for a in addrs if not _ADDR.match(a)]
        if bad:
            result.bad_email.append((unit, "、".join(bad)))
            addrs = [a for a in addrs if a not in bad]
        if not addrs and not bad:
            result.no_email.append(unit)
        values = template_values(master, period, r, path.name, today)
        counts = "、".join(f"{COLOUR_NAMES[c]}{k}份" for c in COLOURS
                          if (k := sum(1 for n in items if n.colour == c)))
        values["items"] = f"督办单{len(items)}份（{counts}，编号{'、'.join(n.number for n in items)}）"
        subject, body = tpl.render(values)
        msg = build_message(subject=subject, body=body, to=addrs, sender=sender, sender_name=office_of(master),
                            reply_to=reply_to, attachment=path.read_bytes(), file_name=path.name, mime=DOCX_TYPE)
        eml = outbox / (path.stem + ".eml")
        eml.write_bytes(as_bytes(msg, draft=True))
        result.written.append(eml)
        result.units.append(unit)
        messages.append((r, addrs, msg, path.name))
    if send:
        _send_all(messages, cfg, SendLog(log_path), period.label, NOTICE_MAIL, today, result, progress)
    return result

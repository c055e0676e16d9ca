"""`duban collect`: consolidate the units' returns into the master.

Two layers:

* :func:`consolidate` — pure: a :class:`~duban.model.Master` and a list of parsed
  :class:`~duban.returns.Return` in, the master's period block and 报送记录 updated
  in memory, a :class:`CollectResult` out. No file I/O; the xlwings button, the CLI,
  the tests and the benchmark all share it.
* :func:`collect` — the file-level wrapper: lock the master (refuse when Excel has it
  open), read every input once (:mod:`duban.intake`, :mod:`duban.returns`), consolidate,
  copy every input into ``归档/<期次>/``, and write the master once, atomically.

Rules: the latest return of a unit for a period wins (email date, else file time,
else the order given) and a blank cell never erases earlier text; a task with several
lead units gets one cell per field combining each lead's text, labelled 【单位】, in
the notice's order of leads; cooperating units go to the ``coop`` field, labelled;
``source`` records which file each unit's values came from. A file whose SHA256 is
already in 报送记录 for the period is skipped, so running collect twice changes nothing.
An unsigned return never replaces a unit's signed, adopted one: it is logged 待确认 until
staff adopt it (``accept_unsigned``, or 确认采用 written in 报送记录). A combined cell is
kept within Excel's limit by shortening every unit's part alike, visibly, never by
dropping one. Whatever goes wrong with one file refuses that file only.
"""
from __future__ import annotations

import functools
import logging

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

from . import feedback_format as ff
from .intake import Input, Problem, discover
from .model import Indicator, LogRow, Master, Task, normalize_parens
from .returns import Return, find_unit_name, norm_task_text, parse_return
from .store import EXCEL_CELL_LIMIT, clip_utf16, utf16_len

ACCEPTED = "采用"
SUPERSEDED = "被新版本替代"
REFUSED = "退回"
PENDING = "待确认"  # an unsigned return of a unit whose signed return is adopted: not applied
CONFIRMED = "确认采用"  # staff write this over 待确认 in 报送记录 to adopt the file at the next collect
SKIPPED = "跳过"  # not a log result: a file already logged
UNKNOWN_UNIT = "（未识别单位）"
ARCHIVE_DIR = "归档"
TIME_FMT = "%Y-%m-%d %H:%M:%S"
LABEL_RE = re.compile(r"^【([^【】\n]{1,60})】")
PERIOD_IN_NAME_RE = re.compile(r"(\d{1,2}-\d{1,2}月|全年|上半年|第?[一二三四1-4]季度)")

Progress = Callable[[int, int], None]


log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------

@dataclass
class Outcome:
    """What became of one input: the 报送记录 row it produced (or why it was skipped)."""

    ret: Return
    unit: str
    result: str  # 采用 / 被新版本替代 / 退回 / 待确认 / 跳过
    reason: str
    tasks: int = 0  # rows taken into the master
    indicators: int = 0
    log: LogRow | None = None
    archive: str = ""  # path relative to the master's folder

    @property
    def file(self) -> str:
        return short_origin(self.ret.input.origin)

    @property
    def problems(self) -> list[Problem]:
        return self.ret.all_problems


@dataclass
class CollectResult:
    period: str
    outcomes: list[Outcome] = field(default_factory=list)
    outstanding: list[str] = field(default_factory=list)  # lead units without a 采用 return
    changed: int = 0  # master cells changed
    superseded_log: int = 0  # earlier 报送记录 rows now superseded
    master: Path | None = None
    saved: bool = False
    model: Master | None = None  # the consolidated master (for a caller that goes on, e.g. status)
    notes: list[str] = field(default_factory=list)  # e.g. a stale lock taken over
    relogged: int = 0  # 待确认 rows of 报送记录 rewritten as the file's new outcome
    replies: list = field(default_factory=list)  # notices whose 督办整改情况 this run filed (duban.notices)

    def by_result(self, result: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.result == result]

    @property
    def counts(self) -> Counter:
        return Counter(o.result for o in self.outcomes)

    def summary_lines(self) -> list[str]:
        c = self.counts
        lines = [f"{self.period}反馈汇总：共 {len(self.outcomes)} 个文件 —— 采用 {c[ACCEPTED]}，"
                 f"被新版本替代 {c[SUPERSEDED]}，退回 {c[REFUSED]}，"
                 + (f"待确认 {c[PENDING]}，" if c[PENDING] else "") + f"已处理过跳过 {c[SKIPPED]}。"]
        rows = [(o.result, o.unit or UNKNOWN_UNIT, o.file, o.reason) for o in self.outcomes]
        if rows:
            lines.append("")
            lines.extend(format_table(("结果", "单位", "文件", "说明"), rows))
        lines.append("")
        lines.extend(self.notes)
        if c[PENDING]:
            lines.append(f"有 {c[PENDING]} 个无签名文件所属单位已有签名的报送，未采用（待确认）；核实后可用 "
                         "duban collect 主表 --accept-unsigned 文件 采用，或在“报送记录”中把“待确认”改为“确认采用”后再次汇总。")
        if self.changed or self.superseded_log or any(o.log for o in self.outcomes):
            lines.append(f"主表“{self.period}”各列更新了 {self.changed} 个单元格；报送记录新增 "
                         f"{sum(1 for o in self.outcomes if o.log) - self.relogged} 行。"
                         + (f"（另有 {self.superseded_log} 条旧记录改为“被新版本替代”）" if self.superseded_log else "")
                         + (f"（{self.relogged} 条“待确认”记录改为本次结果）" if self.relogged else ""))
        else:
            lines.append("主表没有变化。")
        if self.replies:
            shown = "、".join(f"{n.number}（{n.unit}）" for n in self.replies[:8])
            lines.append(f"督办整改情况 {len(self.replies)} 条已记入“督办台账”：{shown}"
                         + (f"等 {len(self.replies)} 份督办单" if len(self.replies) > 8 else ""))
        if self.outstanding:
            lines.append(f"尚未报送的牵头单位 {len(self.outstanding)} 个（可用 duban remind 催报）：")
            lines.append("  " + "、".join(self.outstanding))
        else:
            lines.append("所有牵头单位均已报送。")
        return lines


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]], widths=(12, 18, 36, 0)) -> list[str]:
    """A plain-text table that lines up in a terminal (CJK characters count double)."""
    def cut(text: str, width: int) -> str:
        text = text.replace("\n", " ")
        if not width:
            return text
        out, w = "", 0
        for ch in text:
            cw = 2 if ord(ch) > 0x2E7F else 1
            if w + cw > width:
                return out[:-1] + "…" + " " * (width - w)
            out += ch
            w += cw
        return out + " " * (width - w)

    lines = ["  " + "  ".join(cut(h, w) for h, w in zip(header, widths)).rstrip()]
    lines.append("  " + "-" * (sum(widths) + 2 * (len(widths) - 1) + 10))
    for row in rows:
        lines.append("  " + "  ".join(cut(v, w) for v, w in zip(row, widths)).rstrip())
    return lines


@functools.lru_cache(maxsize=8192)
def short_origin(origin: str) -> str:
    """The origin without the folders of the first path: 'a.eml › 区科技局.xlsx'."""
    head, sep, rest = origin.partition(" › ")
    return PurePosixPath(head.replace("\\", "/")).name + sep + rest


# ---------------------------------------------------------------------------
# labelled cells: one segment per unit
# ---------------------------------------------------------------------------

def parse_labelled(text: str, known: set[str], single: str | None = None) -> tuple[str, dict[str, str]]:
    """A combined cell → (text before any label, {unit: its text}).

    Only labels naming a known unit start a segment, so a unit's own “【亮点】” is text.
    ``single``: the cell of a single-lead field, whose unlabelled text is that unit's.
    """
    if not text:
        return "", {}
    if "【" not in text:  # no label at all: the common case, answered without splitting lines
        return ("", {single: text}) if single else (text, {})
    m = LABEL_RE.match(text)
    if single and not (m and m.group(1) in known):
        return "", {single: text}
    pre: list[str] = []
    segs: dict[str, list[str]] = {}
    current: list[str] = pre
    for line in text.split("\n"):
        m = LABEL_RE.match(line)
        if m and m.group(1) in known:
            current = segs.setdefault(m.group(1), [])
            rest = line[m.end():]
            current.append(rest)
        else:
            current.append(line)
    return "\n".join(pre).strip("\n"), {u: "\n".join(v).strip("\n") for u, v in segs.items()}


def render_labelled(pre: str, segs: dict[str, str], order: list[str], single: str | None = None) -> str:
    """Segments back to one cell, in ``order`` (the notice's order), then any others."""
    segs = {u: t for u, t in segs.items() if t}
    if single and not pre and set(segs) <= {single}:
        return segs.get(single, "")
    parts = [pre] if pre else []
    for u in order + [u for u in segs if u not in order]:
        if u in segs:
            parts.append(f"【{u}】{segs[u]}")
            segs = {k: v for k, v in segs.items() if k != u}
    return "\n".join(parts)


TRUNCATED_MARK = "（…已截断，全文见归档）"
KEEP_WHOLE = 200  # a unit's part this short (UTF-16 units) is never shortened


def fit_labelled(pre: str, segs: dict[str, str], order: list[str], single: str | None = None,
                 limit: int = EXCEL_CELL_LIMIT) -> tuple[str, list[str]]:
    """:func:`render_labelled`, kept within Excel's cell limit (UTF-16 units) without losing a unit.

    When the combined cell would be too long, every unit's part (but the short ones,
    kept whole) is shortened by the same proportion and ends with :data:`TRUNCATED_MARK`;
    returns (cell, units shortened).
    """
    text = render_labelled(pre, segs, order, single)
    if utf16_len(text) <= limit:
        return text, []
    bodies = {u: t for u, t in segs.items() if t}
    size = {u: utf16_len(t) for u, t in bodies.items()}
    frame = utf16_len(text) - sum(size.values())  # labels, line breaks, text outside any label
    if frame >= limit // 2 and utf16_len(pre) > limit // 4:  # text outside any label is itself too long
        return fit_labelled(clip_utf16(pre, limit // 4) + TRUNCATED_MARK, segs, order, single, limit)
    large = [u for u in bodies if size[u] > KEEP_WHOLE] or list(bodies)
    whole = sum(size[u] for u in bodies if u not in large)
    budget = max(limit - frame - whole - utf16_len(TRUNCATED_MARK) * len(large), 0)
    ratio = budget / sum(size[u] for u in large)
    short = dict(segs)
    for u in large:
        short[u] = clip_utf16(bodies[u], int(size[u] * ratio)) + TRUNCATED_MARK
    return clip_utf16(render_labelled(pre, short, order, single), limit), large


# ---------------------------------------------------------------------------
# who answers for what
# ---------------------------------------------------------------------------

class Directory:
    """Unit names of the master, canonicalised; groups expanded to their members.

    Names the tasks use verbatim but the 单位 sheet lacks stay themselves (that is how
    `duban sheets` addresses them too).
    """

    def __init__(self, master: Master):
        self.index = master.unit_index()
        self.units = {u.name: u for u in master.units}
        self.names: dict[str, str] = {}
        for item in list(master.tasks) + list(master.indicators):
            for n in (item.lead + item.coop) if isinstance(item, Task) else item.units:
                self.names.setdefault(normalize_parens(n), n)
        for name, u in self.index.items():
            self.names[normalize_parens(name)] = u.name
            self.names[name] = u.name
        self.known = set(self.units) | set(self.names) | set(self.names.values())

    def canonical(self, name: str) -> str:
        name = name.strip()
        return self.names.get(name) or self.names.get(normalize_parens(name), "")

    def expand(self, names: list[str], _seen: tuple[str, ...] = ()) -> list[str]:
        """Canonical names, a group replaced by its members (recursively); empty groups stay."""
        out: list[str] = []
        for n in names:
            c = self.canonical(n) or normalize_parens(n)
            u = self.units.get(c)
            if u is not None and u.is_group and u.members and c not in _seen:
                subs = self.expand(u.members, _seen + (c,))
            else:
                subs = [c]
            out.extend(x for x in subs if x not in out)
        return out

    def unit_in_name(self, text: str) -> str:
        return find_unit_name(text, self.names)


def lead_recipients(master: Master) -> list[str]:
    """The units `duban sheets` sends a workbook to as lead or responsible unit."""
    from .sheets import plan_recipients

    return [r.name for r in plan_recipients(master, with_coop=False).recipients]


def outstanding_units(master: Master, period: str) -> list[str]:
    """Lead units without a 采用 row in 报送记录 for ``period`` (the input of `duban remind`)."""
    done = {r.unit for r in master.log if r.period == period and r.result == ACCEPTED}
    return [u for u in lead_recipients(master) if u not in done]


# ---------------------------------------------------------------------------
# the pure consolidation
# ---------------------------------------------------------------------------

def received_text(dt: datetime | None) -> str:
    return dt.strftime(TIME_FMT) if dt else ""


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), TIME_FMT)
    except (ValueError, AttributeError):
        return None


def archive_name(period: str, unit: str, inp: Input) -> str:
    """归档/<期次>/<单位>_<时间>_<hash8><ext>, relative to the master's folder."""
    stamp = inp.received.strftime("%Y%m%d-%H%M%S") if inp.received else "无时间"
    safe_unit = re.sub(r'[\\/:*?"<>|\s]', "_", unit or "未识别单位")[:40]
    suffix = inp.suffix if inp.suffix in (".xlsx", ".xlsm", ".xls", ".eml", ".msg", ".zip") else ".bin"
    return f"{ARCHIVE_DIR}/{_safe_period(period)}/{safe_unit}_{stamp}_{inp.sha256[:12]}{suffix}"


def _safe_period(period: str) -> str:
    return re.sub(r'[\\/:*?"<>|]', "_", period)


def _sort_key(ret: Return) -> tuple:
    return (ret.input.received or datetime.min, ret.input.order)


def consolidate(master: Master, returns: Iterable[Return], period: str | None = None,
                accept_unsigned: Iterable[str] = ()) -> CollectResult:
    """Apply the returns to ``master`` for the period (in memory) and log every file.

    An unsigned return of a unit whose signed return is adopted is not applied but
    logged 待确认, unless its SHA256 is in ``accept_unsigned`` (staff adopted it).
    """
    label = master.period(period).label
    accept = set(accept_unsigned)
    relog: dict[str, LogRow] = {}  # a 待确认 row now adopted: rewritten in place
    d = Directory(master)
    result = CollectResult(label)
    tasks = master.task_by_id()
    inds = master.indicator_by_id()
    logged = {(r.sha256, r.period): r for r in master.log}
    seen: dict[str, Outcome] = {}
    valid: dict[str, list[tuple[Return, list, list]]] = {}
    pending: list[Outcome] = []
    returns = list(returns)

    for ret in returns:
        inp = ret.input
        prev = logged.get((inp.sha256, label))
        if prev is not None and prev.result in (PENDING, CONFIRMED) and inp.sha256 in accept and inp.sha256 not in seen:
            relog[inp.sha256] = prev
        elif prev is not None:
            result.outcomes.append(Outcome(ret, prev.unit, SKIPPED, f"报送记录中已有完全相同的文件（{prev.file}，"
                                           f"{prev.received}，结果：{prev.result}），跳过"))
            continue
        if inp.sha256 in seen:
            first = seen[inp.sha256]
            result.outcomes.append(Outcome(ret, first.unit, SKIPPED, f"与本批的 {first.file} 完全相同，跳过"))
            continue
        try:
            unit = _identify(ret, master, label, d)
            rows_t, rows_i = ([], []) if ret.refused else _check_rows(ret, unit, tasks, inds, d)
        except Exception as exc:  # this file only; the batch goes on
            unit, rows_t, rows_i = "", [], []
            ret.problems.append(Problem("read_error", f"{inp.origin} 核对时出错（{type(exc).__name__}），已退回，"
                                                      "其他文件照常汇总；请把该文件交技术人员检查"))
        if not ret.refused and not rows_t and not rows_i:
            ret.problems.append(Problem("empty_return", f"{inp.origin} 中没有可以采用的内容"
                                        + ("（各行均有问题，见上）" if any(p.code in ROW_CODES for p in ret.problems) else
                                           f"（“{ff.PROGRESS_HEADER}”等列都是空的）")
                                        + "，请单位填写后重新报送"))
        if not unit and ret.refused:  # for the log only: whose file it seems to be
            unit = d.unit_in_name(PurePosixPath(inp.name).stem)
        out = Outcome(ret, unit, REFUSED if ret.refused else ACCEPTED, "")
        seen[inp.sha256] = out
        result.outcomes.append(out)
        pending.append(out)
        if not ret.refused:
            valid.setdefault(unit, []).append((ret, rows_t, rows_i))

    before = _snapshot(master, label)
    outcome_of = {id(o.ret): o for o in result.outcomes}
    adopted: dict[str, list[LogRow]] = {}
    for r in master.log:
        if r.period == label and r.result == ACCEPTED:
            adopted.setdefault(r.unit, []).append(r)
    signed = {r.unit for rows in adopted.values() for r in rows if r.signature == "已验证"}
    for unit, items in valid.items():
        if unit in signed or any(r.signature == "已验证" for r, _, _ in items):
            keep = []
            for item in items:
                ret = item[0]
                if ret.signature == "无签名" and ret.input.sha256 not in accept:
                    out = outcome_of[id(ret)]
                    out.result = PENDING
                    out.reason = (f"没有签名，而“{unit}”本期已有签名的报送被采用：为防冒名顶替，本文件未采用，待工作人员确认；"
                                  f"核实确为该单位所报后，运行 duban collect 主表 --accept-unsigned "
                                  f"\"{ret.input.origin.partition(' › ')[0]}\"，"
                                  f"或在“报送记录”中把本行的“{PENDING}”改为“{CONFIRMED}”后再次汇总")
                else:
                    keep.append(item)
            valid[unit] = keep
    for unit, items in valid.items():
        if items:
            _apply_unit_guarded(label, unit, items, result, d, outcome_of, adopted.get(unit, []))
    result.changed = _count_changes(before, _snapshot(master, label))

    for out in pending:
        ret = out.ret
        if out.result == REFUSED:
            out.reason = "；".join(p.text() for p in ret.all_problems if p.fatal) or "无法读取"
            warn = [p.text() for p in ret.all_problems if not p.fatal]
            if warn:
                out.reason += "（另：" + "；".join(warn) + "）"
        else:
            parts = [f"采用任务 {out.tasks} 项、指标 {out.indicators} 项" if out.result == ACCEPTED else out.reason]
            if ret.signature == "无签名" and ret.input.sha256 in accept and out.result != PENDING:
                parts.insert(0, "工作人员确认采用（无签名）")
            parts += [p.text() for p in ret.all_problems]
            out.reason = "；".join(x for x in parts if x)
        out.archive = archive_name(label, out.unit, ret.input) if ret.input.data else ""
        row = LogRow(period=label, unit=out.unit or UNKNOWN_UNIT, file=out.file, sha256=ret.input.sha256,
                     received=received_text(ret.input.received), result=out.result,
                     reason=clip_reason(out.reason, len(ret.all_problems)), signature=ret.signature,
                     archive=out.archive)
        old = relog.get(ret.input.sha256)
        if old is not None:  # the 待确认 row of this file becomes its new outcome
            row.file, row.received = old.file, old.received or row.received
            row.archive = old.archive or row.archive
            old.__dict__.update(row.__dict__)
            out.log = old
            result.relogged += 1
        else:
            out.log = row
            master.log.append(row)
    result.outstanding = outstanding_units(master, label)
    return result


LOG_REASON_LIMIT = 4000  # a 报送记录 cell stays readable (and far below Excel's 32,767)


def clip_reason(reason: str, problems: int) -> str:
    if len(reason) <= LOG_REASON_LIMIT:
        return reason
    return reason[:LOG_REASON_LIMIT] + f"……（共 {problems} 处问题，其余见汇总时的命令行摘要）"


ROW_CODES = {"unknown_id", "not_assigned", "task_edited", "duplicate_row", "bad_id", "row_without_id", "text_outside"}


def _identify(ret: Return, master: Master, label: str, d: Directory) -> str:
    """Check unit, year and period; returns the canonical unit ('' when unknown)."""
    inp = ret.input
    if ret.refused:
        return d.canonical(ret.unit) if ret.unit else ""
    unit = d.canonical(ret.unit) if ret.unit else ""
    if ret.has_meta:
        if not unit:
            ret.problems.append(Problem("unknown_unit", f"{inp.origin} 的元数据写明单位“{ret.unit}”，但主表“单位”表中没有这个单位；"
                                                        "请核对单位名称（可在“单位”表添加别名）"))
            return ""
        if ret.year and ret.year != str(master.year):
            ret.problems.append(Problem("wrong_year", f"{inp.origin} 是 {ret.year} 年的反馈表，主表是 {master.year} 年；"
                                                      "请使用本年度下发的反馈表"))
        if ret.period != label:
            ret.problems.append(Problem("wrong_period", f"{inp.origin} 是“{ret.period}”期次的反馈表，本次汇总的是“{label}”；"
                                                        f"请单位使用“{label}”的反馈表重新填报，或用 --period {ret.period} 汇总该期次"))
        named = d.unit_in_name(PurePosixPath(inp.name).stem)
        if named and named != unit:
            ret.problems.append(Problem("other_unit_copy", f"{inp.origin} 的文件名是“{named}”，表内元数据却属于“{unit}”："
                                                           f"疑似复制了其他单位的反馈表，未采用；请“{named}”使用本单位的反馈表重新填报"))
    else:
        if ret.unit and not unit:
            unit = ""
        from .periods import same_period

        m = PERIOD_IN_NAME_RE.search(inp.name)
        if m and not same_period(m.group(1), label) and not ret.refused:  # 上半年 is 1-6月
            ret.problems.append(Problem("wrong_period", f"{inp.origin} 没有元数据，文件名写的期次是“{m.group(1)}”，"
                                                        f"本次汇总的是“{label}”；请核对"))
    return unit


def _roles(unit: str, leads: list[str], coops: list[str], row_role: str) -> str:
    if unit in leads:
        return ff.ROLE_LEAD
    if unit in coops:
        return ff.ROLE_COOP
    return ff.ROLE_COOP if row_role == ff.ROLE_COOP else ff.ROLE_LEAD


def _check_rows(ret: Return, unit: str, tasks: dict[int, Task], inds: dict[int, Indicator], d: Directory):
    """Rows that may be applied: known, assigned to the unit, task text untouched, not blank."""
    where = ret.input.origin
    ok_t, ok_i = [], []
    for kind, rows, items, signed, sheet in (
            ("任务", ret.tasks, tasks, ret.task_ids, ff.TASK_SHEET),
            ("指标", ret.indicators, inds, ret.indicator_ids, ff.INDICATOR_SHEET)):
        for rid, row in sorted(rows.items()):
            item = items.get(rid)
            at = f"{where} 的“{sheet}”工作表第{row.row}行（序号{rid}）"
            if item is None:
                if row.values:
                    ret.problems.append(Problem("unknown_id", f"{at}：主表中没有序号为{rid}的{kind}，该行未采用；请不要修改序号"))
                continue
            if isinstance(item, Task):
                leads, coops = d.expand(item.lead), d.expand(item.coop)
                original = item.task
            else:
                leads, coops = d.expand(item.units), []
                original = item.target
            assigned = (rid in signed) if signed is not None and ret.has_meta else (unit in leads or unit in coops)
            if not assigned:
                if row.values:
                    ret.problems.append(Problem("not_assigned", f"{at}：该{kind}不是“{unit}”负责的，该行未采用"))
                continue
            if row.text and norm_task_text(row.text) != norm_task_text(original):
                ret.problems.append(Problem("task_edited", f"{at}：{kind}内容被修改过（与主表不一致），该行未采用；"
                                                           f"请不要修改{kind}原文，进展请写在“{ff.PROGRESS_HEADER}”列"))
                continue
            if not row.values:
                continue
            role = _roles(unit, leads, coops, row.role)
            if not ret.has_meta and row.role in (ff.ROLE_LEAD, ff.ROLE_COOP) and row.role != role:
                ret.problems.append(Problem("not_assigned", f"{at}：“本单位职责”写的是“{row.role}”，但“{unit}”在主表中是该{kind}的"
                                                            f"{role}单位，疑似复制了其他单位的反馈表，该行未采用"))
                continue
            (ok_t if kind == "任务" else ok_i).append((item, row, role, leads, coops))
    return ok_t, ok_i


def _adopted_key(rows: list[LogRow]) -> tuple:
    best = (datetime.min, -1)
    for r in rows:
        best = max(best, (_parse_time(r.received) or datetime.min, -1))
    return best


def _apply_unit_guarded(label: str, unit: str, items, result: CollectResult, d: Directory,
                        outcome_of: dict, old_rows: list[LogRow]) -> None:
    """:func:`_apply_unit`, all or nothing: on an unexpected error this unit's returns are refused, the master as before."""
    from copy import copy

    entries = {}
    for _, rows_t, rows_i in items:
        for item, *_ in rows_t + rows_i:
            entries[id(item)] = (item, copy(item.periods.get(label)))
    olds = [(r, copy(r)) for r in old_rows]
    superseded = result.superseded_log
    try:
        _apply_unit(label, unit, items, result, d, outcome_of, old_rows)
    except Exception as exc:
        for item, e in entries.values():
            if e is None:
                item.periods.pop(label, None)
            else:
                item.periods[label] = e
        for r, saved in olds:
            r.__dict__.update(saved.__dict__)
        result.superseded_log = superseded
        for ret, _, _ in items:
            ret.problems.append(Problem("read_error", f"{ret.input.origin} 合并进主表时出错（{type(exc).__name__}），"
                                                      f"“{unit}”本次的文件均未采用，主表中该单位原有内容不变；请把文件交技术人员检查"))
            outcome_of[id(ret)].result = REFUSED


def _apply_unit(label: str, unit: str, items, result: CollectResult, d: Directory,
                outcome_of: dict, old_rows: list[LogRow]) -> None:
    """Apply one unit's valid returns oldest first; a return older than the adopted one only fills blanks."""
    items = sorted(items, key=lambda x: _sort_key(x[0]))
    adopted_key = _adopted_key(old_rows)
    newest = items[-1][0]
    newest_key = _sort_key(newest)
    newest_wins = newest_key > adopted_key
    for ret, rows_t, rows_i in items:
        key = _sort_key(ret)
        fill_only = key < adopted_key
        n_t = sum(_apply_row(item, row, role, leads, coops, unit, label, ret, fill_only, d) for item, row, role, leads, coops in rows_t)
        n_i = sum(_apply_row(item, row, role, leads, coops, unit, label, ret, fill_only, d) for item, row, role, leads, coops in rows_i)
        if not fill_only:
            adopted_key = key
        out = outcome_of[id(ret)]
        out.tasks, out.indicators = n_t, n_i
        if ret is newest and newest_wins:
            out.result = ACCEPTED
        else:
            out.result = SUPERSEDED
            later = newest if newest_wins else None
            by = short_origin(later.input.origin) if later is not None and later is not ret else "报送记录中已采用的较新版本"
            out.reason = (f"同一单位有更新的版本（{by}）；本文件中新版本留空的内容仍保留" if (n_t or n_i) else
                          f"同一单位有更新的版本（{by}）")
    if newest_wins:
        for r in old_rows:
            r.result = SUPERSEDED
            r.reason = (r.reason + "；" if r.reason else "") + f"被新版本替代：{short_origin(newest.input.origin)}"
            result.superseded_log += 1


def _apply_row(item, row, role: str, leads: list[str], coops: list[str], unit: str, label: str,
               ret: Return, fill_only: bool, d: Directory) -> bool:
    """Merge one row into the item's entry; True when it changed or confirmed something."""
    e = item.entry(label)
    known = d.known
    if unit not in known:
        known.add(unit)
    touched: list[str] = []
    replaced_all = True
    if role == ff.ROLE_LEAD:
        single = leads[0] if len(leads) == 1 else None
        keys = ff.INPUT_TASK_KEYS if isinstance(item, Task) else ff.INPUT_INDICATOR_KEYS
        for key in keys:
            pre, segs = parse_labelled(getattr(e, key), known, single)
            new = row.values.get(key, "")
            old = segs.get(unit, "")
            if not new:
                if old:
                    replaced_all = False
                continue
            if fill_only and old:
                continue
            segs[unit] = new
            touched.append(key)
            cell, cut = fit_labelled(pre, segs, leads, single)
            setattr(e, key, cell)
            _report_cut(ret, item, key, cut)
    else:
        pre, segs = parse_labelled(e.coop, known)
        new = coop_text(row.values)
        old = segs.get(unit, "")
        if new and not (fill_only and old):
            segs[unit] = new
            touched.append("coop")
            e.coop, cut = fit_labelled(pre, segs, coops)
            _report_cut(ret, item, "coop", cut)
    if not touched:
        return False
    pre, srcs = parse_labelled(e.source, known)
    here = source_text(ret)
    old_src = srcs.get(unit, "")
    if fill_only or not replaced_all:
        files = [x for x in old_src.split("；") if x] if old_src else []
        if here not in files:
            files = ([here] + files) if not fill_only else (files + [here])
        srcs[unit] = "；".join(files)
    else:
        srcs[unit] = here
    e.source, _ = fit_labelled(pre, srcs, leads + [c for c in coops if c not in leads])
    return True


FIELD_TITLES = {"progress": "进展情况", "amount": "完成量/实际值", "problems": "存在问题及下步打算",
                "self_eval": "单位自评", "coop": "配合单位进展"}


def _report_cut(ret: Return, item, key: str, cut: list[str]) -> None:
    if not cut:
        return
    kind = "任务" if isinstance(item, Task) else "指标"
    ret.problems.append(Problem("truncated_merge", f"{kind}{item.id}的“{FIELD_TITLES.get(key, key)}”合并各单位的内容后超过 "
                                f"Excel 单元格上限 {EXCEL_CELL_LIMIT} 字（生僻字算两个），{'、'.join(cut)}的内容已按比例截断，"
                                f"末尾标有“{TRUNCATED_MARK}”；全文见归档文件"))


def coop_text(values: dict[str, str]) -> str:
    parts = [values.get("progress", "")]
    if values.get("amount"):
        parts.append(f"完成量：{values['amount']}")
    if values.get("problems"):
        parts.append(f"存在问题及下步打算：{values['problems']}")
    if values.get("self_eval"):
        parts.append(f"自评：{values['self_eval']}")
    return "\n".join(p for p in parts if p)


def source_text(ret: Return) -> str:
    inp = ret.input
    return _source_text(inp.origin, inp.received, inp.sha256)


@functools.lru_cache(maxsize=8192)
def _source_text(origin: str, received, sha256: str) -> str:
    when = received_text(received) or "无时间"
    return f"{short_origin(origin)}（{when}，{sha256[:8]}）"


def _snapshot(master: Master, label: str) -> dict:
    out = {}
    for kind, items in (("t", master.tasks), ("i", master.indicators)):
        for it in items:
            e = it.periods.get(label)
            if e is not None:
                out[(kind, it.id)] = (e.progress, e.amount, e.problems, e.self_eval, e.coop, e.source)
    return out


def _count_changes(a: dict, b: dict) -> int:
    n = 0
    empty = ("",) * 6
    for k in set(a) | set(b):
        x, y = a.get(k, empty), b.get(k, empty)
        n += sum(1 for p, q in zip(x, y) if p != q)
    return n


# ---------------------------------------------------------------------------
# the file-level wrapper
# ---------------------------------------------------------------------------

def read_returns(inputs: list[Input], master: Master, progress: Progress | None = None) -> list[Return]:
    """Parse every input once (python-calamine); never raises for bad content."""
    secret = str(master.settings.get("secret") or "")
    names = Directory(master).names
    out = []
    for n, inp in enumerate(inputs, 1):
        out.append(parse_return(inp, secret=secret, unit_names=names))
        if progress and (n % 10 == 0 or n == len(inputs)):
            progress(n, len(inputs))
    return out


# From this many inputs on, the returns are parsed in a worker process while openpyxl
# loads the master (the two slowest parts of a city-scale collect); below it a worker
# costs more than it saves.
PARALLEL_READ_MIN = 200


def _read_ahead(master_path: Path, inputs: list[Input]) -> list[Return]:
    """Worker: parse the returns against the master as python-calamine reads it (same model)."""
    from .master import load_master
    from .store import CalamineStore

    return read_returns(inputs, load_master(CalamineStore(master_path)))


def collect(master_path: Path, paths: Iterable[Path], period: str | None = None,
            progress: Progress | None = None, *, archive: bool = True,
            accept_unsigned: Iterable[Path] = ()) -> CollectResult:
    """Collect the returns under ``paths`` into the master file (locked, atomic, archived).

    ``accept_unsigned``: files staff adopt although unsigned (see :data:`PENDING`).
    """
    from concurrent.futures import ProcessPoolExecutor

    from .store import FileStore, master_lock

    master_path = Path(master_path)
    with master_lock(master_path) as lock:  # refuses at once when Excel has the master open
        inputs = discover([Path(p) for p in paths])
        accepted = discover([Path(p) for p in accept_unsigned])
        accept = {i.sha256 for i in accepted}
        inputs += accepted  # a broken one is refused and logged like any other
        for i, inp in enumerate(inputs):
            inp.order = i
        pool = ahead = None
        if len(inputs) >= PARALLEL_READ_MIN:
            try:
                pool = ProcessPoolExecutor(max_workers=1)
                ahead = pool.submit(_read_ahead, master_path, inputs)
            except Exception as exc:  # no worker processes here: read in this process
                log.warning("reading returns in this process: %s", exc)
        try:
            store = FileStore(master_path)
            returns = None
            if ahead is not None:
                try:
                    returns = ahead.result()
                    if progress:
                        progress(len(inputs), len(inputs))
                except Exception as exc:
                    log.warning("worker failed, reading returns in this process: %s", exc)
            result = collect_into_store(store, master_path.parent, paths, period, progress,
                                        archive=archive, inputs=inputs, returns=returns, accept_unsigned=accept)
            store.commit()
            result.notes[:0] = lock.notes
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    result.master = master_path
    return result


def collect_into_store(store, folder: Path, paths: Iterable[Path], period: str | None = None,
                       progress: Progress | None = None, *, archive: bool = True,
                       inputs: list[Input] | None = None, returns: list[Return] | None = None,
                       accept_unsigned: Iterable[str] = ()) -> CollectResult:
    """The body of :func:`collect` on any :class:`~duban.store.Store` (a file, or the workbook open in Excel).

    ``folder`` is where the master lives (the archive goes to ``folder/归档/<期次>/``).
    ``inputs``/``returns``: already discovered/parsed (by :func:`collect`), else done here.
    The store is written once, and only when something changed; the caller commits it.
    """
    from .master import load_master, save_master

    master = load_master(store)
    label = master.period(period).label
    if returns is None:
        if inputs is None:
            inputs = discover([Path(p) for p in paths])
        returns = read_returns(inputs, master, progress)
    accept = set(accept_unsigned)
    confirmed, notes = confirmed_inputs(master, label, Path(folder))
    if confirmed:
        accept |= {i.sha256 for i in confirmed}
        returns = list(returns) + read_returns(confirmed, master)
    result = consolidate(master, returns, label, accept)
    result.notes.extend(notes)
    result.model = master
    from .notices import file_return_replies

    result.replies = file_return_replies(store, master, result)
    new_logs = [o for o in result.outcomes if o.log is not None]
    if archive and new_logs:
        write_archive(Path(folder), result)
    if new_logs or result.changed:
        save_master(store, master, parts=("indicators", "tasks", "log"), periods=[label])
        result.saved = True
    return result


def confirmed_inputs(master: Master, label: str, folder: Path) -> tuple[list[Input], list[str]]:
    """The archived files of 报送记录 rows staff changed from 待确认 to 确认采用 (to adopt now)."""
    out: list[Input] = []
    notes: list[str] = []
    for r in master.log:
        if r.period != label or r.result.strip() != CONFIRMED:
            continue
        path = folder / r.archive if r.archive else None
        try:
            data = path.read_bytes() if path else b""
        except OSError:
            data = b""
        if not data or hashlib.sha256(data).hexdigest() != r.sha256:
            notes.append(f"报送记录中“{r.unit}”的 {r.file} 标为“{CONFIRMED}”，但归档文件 {r.archive or '（无）'} "
                         "找不到或已被改动，未能采用；请用 duban collect 主表 --accept-unsigned 文件 采用原文件")
            continue
        out.append(Input(PurePosixPath(r.file.split(" › ")[-1]).name, r.file, data, _parse_time(r.received),
                         "报送记录", order=10**6 + len(out)))
    return out, notes


def write_archive(base: Path, result: CollectResult) -> None:
    """Copy every logged input (and the email/zip it came in) into 归档/<期次>/.

    A filesystem fault (disk full, read-only, no permission) stops the run with a
    Chinese error naming the path, before the master is written; no partial file stays.
    """
    from .errors import MasterError
    from .store import fs_error

    def put(target: Path, data: bytes) -> None:
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(".~" + target.name)
        try:
            tmp.write_bytes(data)
            tmp.replace(target)
        finally:
            if tmp.exists():
                tmp.unlink(missing_ok=True)

    containers: dict[str, tuple[str, bytes]] = {}
    try:
        folder = base / ARCHIVE_DIR / _safe_period(result.period)
        for left in (list(folder.glob(".~*")) + list(folder.glob("*/.~*"))) if folder.is_dir() else []:
            left.unlink(missing_ok=True)  # a copy a killed run left half-written (we hold the master's lock)
        for o in result.outcomes:
            if o.log is None:
                continue
            inp = o.ret.input
            if not o.archive:  # nothing to keep (an empty or missing file)
                continue
            put(base / o.archive, inp.data)
            if inp.container and inp.container_data is not None:
                containers.setdefault(inp.container, (o.archive, inp.container_data))
        for origin, (_, data) in containers.items():
            sha = hashlib.sha256(data).hexdigest()
            name = PurePosixPath(origin.partition(" › ")[0].replace("\\", "/")).name
            stem, suffix = PurePosixPath(name).stem[:60], PurePosixPath(name).suffix.lower()
            put(base / ARCHIVE_DIR / _safe_period(result.period) / "原始邮件和压缩包" / f"{stem}_{sha[:12]}{suffix}", data)
    except OSError as exc:
        err = fs_error(exc, base / ARCHIVE_DIR, "复制到归档文件夹")
        raise MasterError(f"{err}（归档在写入主表之前进行，本次汇总未写入主表，请处理后重新汇总）") from exc


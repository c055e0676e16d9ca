"""`duban sheets`: one feedback workbook per recipient unit for a period.

The plan (who gets which tasks and indicators) is pure data made from the
:class:`~duban.model.Master`; every workbook is first described as a picklable
:class:`FeedbackBook` and then written by :func:`write_book` with XlsxWriter.

Why XlsxWriter: the workbooks are write-only, and XlsxWriter writes them several
times faster than openpyxl while supporting everything needed here (sheet
protection with unlocked input cells, data validation with input messages, a
"veryHidden" sheet, print setup). ``benchmarks/bench.py --compare`` measures both.

Layout of a workbook is fixed by :mod:`duban.feedback_format` (the contract with
``duban collect``): the header row is row 1 of the task and indicator sheets, the
metadata sheet holds key/value rows in columns A/B, signed with the master's secret.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Iterable

from . import feedback_format as ff
from . import settings as st
from .errors import DubanError
from .model import SELF_EVAL_CHOICES, Indicator, Master, Period, Task, Unit
from .store import FONT_NAME, XLSXWRITER_OPTIONS, atomic_output
from .textfit import row_height

Progress = Callable[[int, int], None]


class SheetsError(DubanError):
    "Feedback workbooks cannot be generated"


# ---------------------------------------------------------------------------
# who receives what
# ---------------------------------------------------------------------------

@dataclass
class Recipient:
    """A canonical unit and what it reports on in its workbook."""

    name: str
    unit: Unit | None  # None: the name is used in the master but missing from the 单位 sheet
    lead: list[Task] = field(default_factory=list)
    coop: list[Task] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)

    @property
    def email(self) -> str:
        return self.unit.email.strip() if self.unit else ""

    @property
    def workload(self) -> str:
        """What the workbook asks of the unit, e.g. "牵头任务 4 项，预期目标 1 项"."""
        parts = [f"{what} {len(items)} 项" for what, items in
                 (("牵头任务", self.lead), ("配合任务", self.coop), ("预期目标", self.indicators)) if items]
        return "，".join(parts) or "无"


@dataclass
class RecipientPlan:
    recipients: list[Recipient]
    empty_groups: dict[str, list[str]]  # group name → where it is used ("任务3牵头", …)
    unknown: list[str]  # names used in the master that the 单位 sheet does not list
    idle: list[str]  # units of the 单位 sheet with nothing to report
    coop_only: list[str]  # units that only cooperate (no workbook unless with_coop)

    def by_name(self) -> dict[str, Recipient]:
        return {r.name: r for r in self.recipients}


class _Resolver:
    """Names as written in the master → canonical recipient names (groups expanded)."""

    def __init__(self, master: Master):
        self.index = master.unit_index()
        self.empty_groups: dict[str, list[str]] = {}
        self.unknown: list[str] = []

    def resolve(self, name: str, where: str, *, report: bool = True, _seen: tuple[str, ...] = ()) -> list[str]:
        """Canonical names for ``name``; ``report`` False: a lookup only, nothing is recorded."""
        unit = self.index.get(name)
        if unit is None:
            if report and name not in self.unknown:
                self.unknown.append(name)
            return [name]
        if not unit.is_group:
            return [unit.name]
        if unit.name in _seen:  # a group that contains itself through its members
            return []
        if not unit.members:
            if report:
                self.empty_groups.setdefault(unit.name, []).append(where)
            return []
        out: list[str] = []
        for member in unit.members:
            for n in self.resolve(member, where, report=report, _seen=_seen + (unit.name,)):
                if n not in out:
                    out.append(n)
        return out


def plan_recipients(master: Master, with_coop: bool = False) -> RecipientPlan:
    """Every unit that leads a task or answers for an indicator (and cooperates, if asked)."""
    res = _Resolver(master)
    found: dict[str, Recipient] = {}
    coop_names: set[str] = set()

    def rec(name: str) -> Recipient:
        if name not in found:
            found[name] = Recipient(name, res.index.get(name))
        return found[name]

    for ind in master.indicators:
        for name in ind.units:
            for n in res.resolve(name, f"预期目标{ind.id}"):
                r = rec(n)
                if not r.indicators or r.indicators[-1] is not ind:
                    r.indicators.append(ind)
    for task in master.tasks:
        leads: list[str] = []
        for name in task.lead:
            for n in res.resolve(name, f"任务{task.id}牵头"):
                if n not in leads:
                    leads.append(n)
        for n in leads:
            rec(n).lead.append(task)
        for name in task.coop:
            for n in res.resolve(name, f"任务{task.id}配合", report=with_coop):
                if n in leads:
                    continue
                coop_names.add(n)
                if with_coop:
                    r = rec(n)
                    if not r.coop or r.coop[-1] is not task:
                        r.coop.append(task)
    # Units of the 单位 sheet first, in its order; then unknown names as first seen.
    order = {u.name: i for i, u in enumerate(master.units)}
    recipients = sorted(found.values(), key=lambda r: order.get(r.name, len(order)))
    plain = [u.name for u in master.units if not u.is_group]
    coop_only = [n for n in plain if n not in found and n in coop_names]
    idle = [n for n in plain if n not in found and n not in coop_names]
    return RecipientPlan(recipients, res.empty_groups, res.unknown, idle, coop_only)


# ---------------------------------------------------------------------------
# dates, names
# ---------------------------------------------------------------------------

def period_deadline(master: Master, period: Period) -> date | None:
    """The units' return deadline: the period's own, else period end + deadline_days."""
    if period.deadline:
        return period.deadline
    if period.end:
        days = int(master.settings.get("deadline_days") or st.BY_KEY["deadline_days"].default)
        return period.end + timedelta(days=days)
    return None


def cn_date(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "（未定）"


_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME_CHARS = 100  # one path part; leaves room for a deep folder under Windows' 260-character limit


def safe_part(text: str, limit: int = 40) -> str:
    """Text usable inside a file name on Windows, macOS and Linux."""
    text = _FORBIDDEN.sub("_", text).strip().strip(".")
    text = re.sub(r"\s+", " ", text)
    if len(text) > limit:
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]
        text = text[: limit - 7].rstrip(" .") + "~" + digest
    if text.upper() in _RESERVED:
        text = "_" + text
    return text or "_"


def feedback_filename(year: int, period: str, unit: str) -> str:
    """``{year}年{period}_{unit}_进展反馈表.xlsx``, made safe for Windows."""
    name = f"{year}年{safe_part(period, 20)}_{safe_part(unit, 48)}_进展反馈表.xlsx"
    return name[:MAX_NAME_CHARS]


# ---------------------------------------------------------------------------
# the workbook as data
# ---------------------------------------------------------------------------

# Column widths (characters) by column key; they add up to about one A4 landscape page.
WIDTHS = {
    "id": 5, "category": 10, "task": 32, "lead": 12, "coop": 13, "role": 6,
    "previous": 26, "progress": 34, "amount": 12, "problems": 24, "self_eval": 11,
    "target": 30, "units": 13, "notice": 16, "rectify": 26,
}


@dataclass
class FeedbackBook:
    """Everything :func:`write_book` needs for one unit; picklable for worker processes."""

    path: Path
    unit: str
    title: str
    readme: list[tuple[str, str]]  # (kind, text); kind: title / head / text / blank
    task_columns: list[tuple[str, str]]
    task_rows: list[list[str]]
    indicator_columns: list[tuple[str, str]] | None
    indicator_rows: list[list[str]]
    meta: dict[str, str]
    password: str = ""
    text_limit: int = 2000
    period_end: str = ""
    author: str = ""


def _list(items: list[str]) -> str:
    return "\n".join(items)


def build_book(master: Master, period: Period, recipient: Recipient, out_dir: Path,
               *, deadline: date | None = None, generated: str | None = None) -> FeedbackBook:
    """Describe one unit's workbook (no I/O)."""
    secret = str(master.settings.get("secret") or "")
    if not secret:
        raise SheetsError("设置表中“签名密钥”为空，无法给反馈表签名：请运行 duban sheets 重新生成（会自动补上密钥），"
                          "或在设置表填入一串随机字母数字。")
    prev = master.previous_period(period.label)
    deadline = deadline or period_deadline(master, period)
    s = master.settings
    limit = int(s.get("text_limit") or st.BY_KEY["text_limit"].default)

    task_cols = [c for c in ff.TASK_COLUMNS if prev or c[1] != "previous"]
    from .notices import notice_mark, supervised_tasks

    supervised = supervised_tasks(master, recipient.name, period.label)
    supervised = {t.id: supervised[t.id] for t in recipient.lead if t.id in supervised}
    if supervised:
        task_cols += ff.NOTICE_COLUMNS
    rows = []
    for role, tasks in ((ff.ROLE_LEAD, recipient.lead), (ff.ROLE_COOP, recipient.coop)):
        for t in tasks:
            values = {
                "id": str(t.id), "category": t.category, "task": t.task,
                "lead": _list(t.lead), "coop": _list(t.coop), "role": role,
                "previous": (t.periods[prev.label].progress if prev and prev.label in t.periods else ""),
                "notice": notice_mark(supervised[t.id]) if role == ff.ROLE_LEAD and t.id in supervised else "",
            }
            rows.append([values.get(k, "") for _, k in task_cols])
    ind_cols = None
    ind_rows: list[list[str]] = []
    if recipient.indicators:
        ind_cols = [c for c in ff.INDICATOR_COLUMNS if prev or c[1] != "previous"]
        for ind in recipient.indicators:
            previous = ""
            if prev and prev.label in ind.periods:
                e = ind.periods[prev.label]
                previous = e.progress + (f"\n实际值：{e.amount}" if e.amount else "")
            values = {"id": str(ind.id), "target": ind.target, "units": _list(ind.units), "previous": previous}
            ind_rows.append([values.get(k, "") for _, k in ind_cols])

    meta = {
        "格式": ff.FORMAT_VERSION,
        "年度": str(master.year),
        "期次": period.label,
        "单位": recipient.name,
        "任务序号": ff.ids_text([t.id for t in recipient.lead + recipient.coop]),
        "指标序号": ff.ids_text([i.id for i in recipient.indicators]),
        "生成时间": generated or datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
    }
    meta["签名"] = ff.sign(meta, secret)
    title = f"{master.year}年{period.label}区政府工作报告目标任务进展反馈表"
    return FeedbackBook(
        path=Path(out_dir) / feedback_filename(master.year, period.label, recipient.name),
        unit=recipient.name,
        title=title,
        readme=readme_lines(master, period, recipient, deadline, limit, bool(prev), len(supervised)),
        task_columns=task_cols,
        task_rows=rows,
        indicator_columns=ind_cols,
        indicator_rows=ind_rows,
        meta=meta,
        password=str(s.get("sheet_password") or ""),
        text_limit=limit,
        period_end=cn_date(period.end),
        author=str(s.get("office") or ""),
    )


def readme_lines(master: Master, period: Period, r: Recipient, deadline: date | None,
                 limit: int, has_previous: bool, supervised: int = 0) -> list[tuple[str, str]]:
    s = master.settings
    contact = "，".join(x for x in (
        str(s.get("contact") or ""),
        f"电话 {s['contact_phone']}" if s.get("contact_phone") else "",
        f"邮箱 {s['contact_email']}" if s.get("contact_email") else "",
    ) if x)
    office = str(s.get("office") or "区政府督查办")
    where = f"“{ff.TASK_SHEET}”" + (f"“{ff.INDICATOR_SHEET}”" if r.indicators else "")
    lines = [
        ("title", f"{master.year}年{period.label}区政府工作报告目标任务进展反馈表"),
        ("blank", ""),
        ("text", f"填报单位：{r.name}"),
        ("text", f"报送期次：{period.label}（进展截至 {cn_date(period.end)}）"),
        ("text", f"报送截止：请于 {cn_date(deadline)} 前报送"),
        ("text", f"本表内容：{r.workload}"),
        ("text", f"联系人：{office} {contact}".rstrip()),
        ("blank", ""),
        ("head", "怎样填写"),
        ("text", f"1. 在{where}工作表的黄色单元格中填写，其他单元格已锁定。"),
        ("text", f"2. 本期进展情况：写截至 {cn_date(period.end)} 的累计进展；有数量目标的写明已完成的数量"
                 "（如“已建成社区健身点8个”），并在“完成量”中写数字和单位。"),
        ("text", "3. 存在问题及下步打算：写明困难、原因和下一步措施；没有可写“无”。"),
        ("text", "4. 自评：点单元格右侧的下拉箭头，选择“已完成”“正常推进”或“推进较为滞后”。"),
        ("text", f"5. 每个单元格最多 {limit} 字；单元格内换行按 Alt+Enter；文字显示不全时，双击行号下边线即可自动调整行高。"),
    ]
    n = 6
    if r.coop:
        lines.append(("text", f"{n}. 本单位职责为“配合”的任务：只写本单位承担部分的进展，牵头单位负责汇总全面情况。"))
        n += 1
    if has_previous:
        lines.append(("text", f"{n}. “上期进展情况”是上一期报送的内容，仅供参考，无需修改。"))
        n += 1
    if supervised:
        lines.append(("text", f"{n}. 本单位有 {supervised} 项任务正在督办（见“督办单”列的编号和督办事由）：请在这些任务的"
                              "“督办整改情况”栏填写整改落实情况，作为对督办单的书面回复。"))
        n += 1
    if len(r.lead) + len(r.coop) == 0:
        lines.append(("text", f"{n}. 本单位本期没有重点任务需要反馈，只需填写“{ff.INDICATOR_SHEET}”工作表。"))
    lines += [
        ("blank", ""),
        ("head", "请不要改动"),
        ("text", "· 不要增删行、列或工作表，不要修改序号、工作任务等已填好的内容，不要改工作表名称。"),
        ("text", "· 请保存为原来的 .xlsx 格式，不要另存为 .xls、.et 或 PDF，也不要复制到新文件中填写。"),
        ("text", "· 本文件带有校验信息，系统据此自动汇总；改动表格结构会导致无法汇总而被退回。"),
        ("blank", ""),
        ("head", "报送方式"),
        ("text", (f"填好后将本文件作为邮件附件发送至 {s['contact_email']}。" if s.get("contact_email")
                  else "填好后将本文件按督查办通知的方式报送。") + "如需修改，重新发送整个文件即可，以最后收到的为准。"),
    ]
    return lines


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text(value) -> str:
    return _ILLEGAL.sub("", "" if value is None else str(value))


README_WIDTH = 76  # fits A4 portrait at 100 %


def _header_text(text: str) -> str:
    return text.replace("&", "&&")


def write_book(book: FeedbackBook) -> Path:
    """Write the workbook atomically (temporary file, then replace). Returns its path."""
    import xlsxwriter

    path = Path(book.path)
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(tmp, {**XLSXWRITER_OPTIONS, "in_memory": True})
        _fill_workbook(wb, book)
        wb.close()
    return path


def _formats(wb) -> dict:
    base = {"font_name": FONT_NAME, "font_size": 11, "valign": "top", "text_wrap": True}
    border = {"border": 1, "border_color": "#808080"}
    return {
        "title": wb.add_format({"font_name": "黑体", "font_size": 16, "bold": True}),
        "head": wb.add_format({"font_name": "黑体", "font_size": 12, "bold": True}),
        "text": wb.add_format({"font_name": FONT_NAME, "font_size": 11, "text_wrap": True, "valign": "top"}),
        "header": wb.add_format({**base, **border, "font_name": "黑体", "bold": True, "bg_color": "#DDEBF7",
                                 "align": "center", "valign": "vcenter"}),
        "cell": wb.add_format({**base, **border}),
        "center": wb.add_format({**base, **border, "align": "center"}),
        "previous": wb.add_format({**base, **border, "font_color": "#595959", "bg_color": "#F2F2F2"}),
        "input": wb.add_format({**base, **border, "locked": False, "bg_color": "#FFF2CC"}),
    }


def _protect(ws, password: str) -> None:
    ws.protect(password, {
        "format_rows": True, "format_columns": True,
        "select_locked_cells": True, "select_unlocked_cells": True,
    })


def _print_setup(ws, title: str, unit: str) -> None:
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.6)
    ws.set_header(f"&C&B{_header_text(title)}（{_header_text(unit)}）", {"margin": 0.3})
    ws.set_footer("&C第 &P 页，共 &N 页", {"margin": 0.3})
    ws.center_horizontally()


def _fill_workbook(wb, book: FeedbackBook) -> None:
    f = _formats(wb)
    wb.set_properties({"title": f"{book.title}（{book.unit}）", "author": book.author,
                       "company": book.author, "comments": "由 duban 生成"})

    ws = wb.add_worksheet(ff.README_SHEET)
    ws.set_column(0, 0, README_WIDTH)
    ws.hide_gridlines(2)
    for r, (kind, text) in enumerate(book.readme):
        if kind != "blank":
            ws.write_string(r, 0, _text(text), f[kind])
            if kind == "text":
                ws.set_row(r, row_height([(text, README_WIDTH)], line=16))
    ws.set_row(0, 30)
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(left=0.6, right=0.6, top=0.75, bottom=0.75)
    ws.fit_to_pages(1, 0)
    _protect(ws, book.password)
    ws.activate()

    task_inputs = ff.INPUT_TASK_KEYS + ((ff.RECTIFY_KEY,) if any(k == ff.RECTIFY_KEY for _, k in book.task_columns)
                                        else ())
    _data_sheet(wb, f, book, ff.TASK_SHEET, book.task_columns, book.task_rows, task_inputs)
    if book.indicator_columns:
        _data_sheet(wb, f, book, ff.INDICATOR_SHEET, book.indicator_columns, book.indicator_rows,
                    ff.INPUT_INDICATOR_KEYS)

    meta = wb.add_worksheet(ff.META_SHEET)
    meta.set_column(0, 0, 12)
    meta.set_column(1, 1, 60)
    for r, key in enumerate(ff.META_KEYS):
        meta.write_string(r, 0, key)
        meta.write_string(r, 1, _text(book.meta.get(key, "")))
    _protect(meta, book.password)
    meta.very_hidden()


def _data_sheet(wb, f, book: FeedbackBook, name: str, columns, rows, input_keys) -> None:
    ws = wb.add_worksheet(name)
    keys = [k for _, k in columns]
    for c, (title, key) in enumerate(columns):
        ws.set_column(c, c, WIDTHS.get(key, 14))
        ws.write_string(0, c, title, f["header"])
    ws.set_row(0, 32)
    fmt_of = []
    for key in keys:
        if key in input_keys:
            fmt_of.append(f["input"])
        elif key in ("id", "role"):
            fmt_of.append(f["center"])
        elif key == "previous":
            fmt_of.append(f["previous"])
        else:
            fmt_of.append(f["cell"])
    widths = [WIDTHS.get(k, 14) for k in keys]
    for r, values in enumerate(rows, start=1):
        ws.set_row(r, row_height(zip(values, widths), min_lines=3))
        for c, value in enumerate(values):
            fmt = fmt_of[c]
            if keys[c] == ff.RECTIFY_KEY and not values[keys.index("notice")]:
                fmt = f["cell"]  # a task under no notice: nothing to reply
            if keys[c] == "id":
                ws.write_number(r, c, int(value), fmt)
            elif value:
                ws.write_string(r, c, _text(value), fmt)
            else:  # empty, styled (the input cells must exist to be unlocked)
                ws.write_blank(r, c, None, fmt)
    last = len(rows)
    if last:
        limit = book.text_limit
        for c, key in enumerate(keys):
            if key not in input_keys:
                continue
            if key == "self_eval":
                ws.data_validation(1, c, last, c, {
                    "validate": "list", "source": list(SELF_EVAL_CHOICES),
                    "input_title": "自评",
                    "input_message": "点右侧箭头，从“已完成”“正常推进”“推进较为滞后”中选择一项。",
                    "error_title": "自评只能从列表选择",
                    "error_message": "请从下拉列表中选择：已完成、正常推进、推进较为滞后。",
                })
            else:
                title = dict((k, t) for t, k in columns)[key]
                ws.data_validation(1, c, last, c, {
                    "validate": "length", "criteria": "<=", "value": limit,
                    "input_title": title[:32],
                    "input_message": (f"最多 {limit} 字。" + (f"写截至{book.period_end}的累计进展，有数量目标的写明数量。"
                                                               if key == "progress" else ""))[:255],
                    "error_title": "字数超过上限",
                    "error_message": f"这一格最多 {limit} 字，请精简后再填写。",
                })
    ws.freeze_panes(1, 3)
    _print_setup(ws, book.title, book.unit)
    _protect(ws, book.password)


# ---------------------------------------------------------------------------
# many workbooks
# ---------------------------------------------------------------------------

PARALLEL_FROM = 150  # below this many workbooks one process is fast enough (no start-up cost)


def _write_one(book: FeedbackBook) -> tuple[str, str]:
    try:
        return str(write_book(book)), ""
    except PermissionError:
        return "", f"文件 {Path(book.path).name} 被占用（可能在 Excel 中打开），请关闭后重新生成"
    except OSError as exc:
        return "", f"无法写入 {Path(book.path).name}：{exc.strerror or exc}"


def write_books(books: list[FeedbackBook], *, workers: int | None = None,
                progress: Progress | None = None) -> list[tuple[str, str]]:
    """Write every book; returns (path, error) per book in order. ``workers`` None = automatic."""
    total = len(books)
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if total >= PARALLEL_FROM else 1
    results: list[tuple[str, str]] = []

    def collect(it: Iterable) -> None:
        for res in it:
            results.append(res)
            done = len(results)
            if progress and (done == total or done % 10 == 0):
                progress(done, total)

    if workers > 1:
        try:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                collect(pool.map(_write_one, books, chunksize=max(1, total // (workers * 8))))
        except (OSError, BrokenProcessPool):
            pass  # no worker processes here (an embedded interpreter, say): finish in this one
    collect(map(_write_one, books[len(results):]))
    return results


@dataclass
class SheetsResult:
    period: Period
    deadline: date | None
    out_dir: Path
    plan: RecipientPlan
    files: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (unit, reason)
    new_period: bool = False
    new_secret: bool = False
    with_coop: bool = False

    def summary_lines(self, max_units: int = 200) -> list[str]:
        p = self.plan
        lines = [
            f"{'新建期次' if self.new_period else '期次'}“{self.period.label}”（截至 {cn_date(self.period.end)}，"
            f"报送截止 {cn_date(self.deadline)}）：",
            f"  已生成反馈表 {len(self.files)} 份，单位 {len(p.recipients)} 个，输出目录：{self.out_dir}",
        ]
        if self.new_secret:
            lines.append("  设置表的“签名密钥”原为空，已自动生成并写入主表。")
        if p.recipients:
            counts = [len(r.lead) + len(r.coop) for r in p.recipients]
            lines.append(f"  每单位任务数：最多 {max(counts)} 项，最少 {min(counts)} 项，"
                         f"平均 {sum(counts) / len(counts):.1f} 项")
        for r in p.recipients[:max_units]:
            bits = [f"牵头 {len(r.lead)} 项"]
            if self.with_coop:
                bits.append(f"配合 {len(r.coop)} 项")
            if r.indicators:
                bits.append(f"预期目标 {len(r.indicators)} 项")
            lines.append(f"    {r.name}：{'，'.join(bits)}")
        if len(p.recipients) > max_units:
            lines.append(f"    ……其余 {len(p.recipients) - max_units} 个单位从略")
        if p.empty_groups:
            lines.append(f"  没有成员单位的群体 {len(p.empty_groups)} 个（其任务未发给任何单位；请在主表“单位”表的"
                         "“成员单位”列填写成员后重新生成）：")
            for g, where in p.empty_groups.items():
                shown = "、".join(where[:6]) + ("等" if len(where) > 6 else "")
                lines.append(f"    {g}（{shown}）")
        if p.unknown:
            lines.append(f"  不在“单位”表中的名称 {len(p.unknown)} 个（已照写的名称生成反馈表，但没有邮箱；"
                         "请在“单位”表补上或把它写成已有单位的别名）：" + "、".join(p.unknown))
        if p.coop_only:
            lines.append(f"  只承担配合任务、本次未发反馈表的单位 {len(p.coop_only)} 个（需要时加 --with-coop 或把设置"
                         "“配合单位也发反馈表”改为“是”）：" + "、".join(p.coop_only))
        if p.idle:
            lines.append(f"  本期没有需要报送内容的单位 {len(p.idle)} 个：" + "、".join(p.idle))
        if self.failed:
            lines.append(f"  生成失败 {len(self.failed)} 份：")
            lines.extend(f"    {u}：{why}" for u, why in self.failed)
        return lines


def generate_sheets(master: Master, label: str, out_dir: Path, *, with_coop: bool | None = None,
                    workers: int | None = None, progress: Progress | None = None) -> SheetsResult:
    """Write the workbooks of an existing period into ``out_dir`` (the master is not changed)."""
    period = master.period(label)
    if with_coop is None:
        with_coop = st.truthy(master.settings.get("with_coop", "否"))
    plan = plan_recipients(master, with_coop=with_coop)
    deadline = period_deadline(master, period)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SheetsError(f"无法创建输出目录 {out_dir}：{exc.strerror or exc}") from exc
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    books = [build_book(master, period, r, out_dir, deadline=deadline, generated=stamp) for r in plan.recipients]
    _dedupe_paths(books)
    result = SheetsResult(period, deadline, out_dir, plan, with_coop=with_coop)
    for book, (path, error) in zip(books, write_books(books, workers=workers, progress=progress)):
        if error:
            result.failed.append((book.unit, error))
        else:
            result.files.append(Path(path))
    return result


def _dedupe_paths(books: list[FeedbackBook]) -> None:
    """Two unit names that become the same file name get a short distinguishing suffix."""
    seen: set[str] = set()
    for b in books:
        key = b.path.name.lower()
        if key in seen:
            digest = hashlib.sha1(b.unit.encode("utf-8")).hexdigest()[:6]
            b.path = b.path.with_name(f"{b.path.stem}_{digest}{b.path.suffix}")
            key = b.path.name.lower()
        seen.add(key)


def run_sheets(store, label: str, out_dir: Path, *, with_coop: bool | None = None,
               workers: int | None = None, progress: Progress | None = None) -> SheetsResult:
    """`duban sheets`: make ``label`` the current period (creating its columns) and write the workbooks.

    The master is changed only in 设置 (current period, period table, a missing secret)
    and by the new period's column block; the caller commits the store.
    """
    from .master import load_master, save_master

    label = (label or "").strip()
    if not label:
        raise SheetsError("请用 --period 指定期次，例如 --period 1-6月")
    master = load_master(store)
    count = len(master.periods)
    period = master.add_period(label)  # any accepted spelling → the canonical label; typos refused
    new_period = len(master.periods) > count
    label = period.label
    if period.deadline is None:
        period.deadline = period_deadline(master, period)
    master.settings["current_period"] = label
    new_secret = not master.settings.get("secret")
    if new_secret:
        master.settings["secret"] = secrets.token_hex(16)
    result = generate_sheets(master, label, out_dir, with_coop=with_coop, workers=workers, progress=progress)
    result.new_period, result.new_secret = new_period, new_secret
    parts = ("settings", "indicators", "tasks") if new_period else ("settings",)
    save_master(store, master, parts=parts, periods=[label])
    return result

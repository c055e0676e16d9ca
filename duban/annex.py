"""The report's annex tables: what they hold (pure, from a Master) and the Excel workbook.

The same :class:`AnnexTable` objects feed the Word report (duban.report) and the
annex workbook written here, so the two can never disagree. Which annexes exist:

* 附件1 — every indicator with its effective status and progress;
* 附件2 — tasks whose effective status is 推进较为滞后;
* 附件3 — every other task: 已完成 and 正常推进, plus 未报送 (the progress cell
  says 未报送, once) and, in a draft, 需人工研判 (or an unusual manual status),
  marked in the progress cell so nobody reads them as on track.

Columns: 附件1 序号 | 预期目标 | 责任单位 | 进展情况; 附件2 and 附件3 序号 | 工作类别 |
工作任务 | 责任单位 | 配合单位 | 任务进展情况, units one per line, numbered from 1.

An empty annex is left out and the following ones close up (附件2 becomes the
on-track table when nothing lags), as an official document would do.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Union

from .model import Indicator, Master, Task
from .store import XLSXWRITER_OPTIONS

LAGGING = "推进较为滞后"
DONE = "已完成"
ON_TRACK = "正常推进"
NOT_REPORTED = "未报送"
MANUAL = "需人工研判"
UNJUDGED = "尚未研判"  # shown for an entry with no status at all (duban status not run)

IND_MET = "符合预期"
IND_MISSED = "不达预期"
IND_ON_TIME = "符合时间节点要求"


class Labelled(NamedTuple):
    """A cell whose first part is emphasised: "【label】text"."""

    label: str
    text: str


Cell = Union[str, list[str], Labelled]


@dataclass
class AnnexTable:
    key: str  # "indicators" | "lagging" | "others"
    number: int  # 附件 number after empty annexes were dropped
    title: str
    headers: list[str]
    widths: list[float]  # relative column widths (sum 1.0)
    rows: list[list[Cell]] = field(default_factory=list)
    center_cols: frozenset[int] = frozenset({0})

    @property
    def label(self) -> str:
        return f"附件{self.number}"


# ---------------------------------------------------------------------------
# classification (shared with the report text and the dashboard)
# ---------------------------------------------------------------------------

def status_of(item: Task | Indicator, period: str) -> str:
    """The effective status of an item for a period (override over engine), or 尚未研判."""
    entry = item.periods.get(period)
    status = entry.effective_status.strip() if entry else ""
    return status or UNJUDGED


def group_by_status(items, period: str, order) -> dict[str, list]:
    """status → items, keys in ``order`` first, then any other status in first-seen order."""
    groups: dict[str, list] = {s: [] for s in order}
    for item in items:
        groups.setdefault(status_of(item, period), []).append(item)
    return {k: v for k, v in groups.items() if v}


# ---------------------------------------------------------------------------
# text tidying
# ---------------------------------------------------------------------------

_CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’]"
_HALF_PUNCT = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_PUNCT_RE = re.compile(rf"(?<={_CJK})\s*([,;:?!])\s*|\s*([,;:?!])\s*(?={_CJK})")


def tidy(text: str) -> str:
    """Full-width punctuation next to Chinese text, as the notice's web copy lost it.

    "落地,引进" → "落地，引进"; "3.5, 4" and URLs are left alone.
    """
    if not text:
        return ""
    text = _PUNCT_RE.sub(lambda m: _HALF_PUNCT[m.group(1) or m.group(2)], text)
    return text.replace("(", "（").replace(")", "）").strip()


def lines(text: str) -> list[str]:
    """Non-empty lines of a multi-line cell, tidied."""
    return [tidy(x) for x in (text or "").splitlines() if x.strip()]


# ---------------------------------------------------------------------------
# the tables
# ---------------------------------------------------------------------------

IND_HEADERS = ["序号", "预期目标", "责任单位", "进展情况"]
IND_WIDTHS = [0.06, 0.26, 0.14, 0.54]
TASK_HEADERS = ["序号", "工作类别", "工作任务", "责任单位", "配合单位", "任务进展情况"]
TASK_WIDTHS = [0.05, 0.09, 0.27, 0.12, 0.13, 0.34]
TASK_CENTER = frozenset({0, 1})  # 序号 and 工作类别 centred


def _indicator_progress(ind: Indicator, period: str) -> Cell:
    e = ind.periods.get(period)
    status = status_of(ind, period)
    text = tidy(e.progress) if e else ""
    if e and e.amount and e.amount not in (e.progress or ""):
        text = f"{text}\n实际值：{tidy(e.amount)}" if text else f"实际值：{tidy(e.amount)}"
    if status == NOT_REPORTED:
        return text or NOT_REPORTED  # said once, plainly
    return Labelled(f"【{status}】", text)


def _task_progress(t: Task, period: str, mark: bool) -> Cell:
    e = t.periods.get(period)
    text = tidy(e.progress) if e else ""
    if e and e.amount and e.amount not in (e.progress or ""):
        text = f"{text}\n完成量：{tidy(e.amount)}" if text else f"完成量：{tidy(e.amount)}"
    status = status_of(t, period)
    if status == NOT_REPORTED:
        return text or NOT_REPORTED  # said once, plainly
    if mark:
        return Labelled(f"【{status}】", text)
    return text


def _task_rows(tasks: list[Task], period: str, mark) -> list[list[Cell]]:
    return [
        [str(n), tidy(t.category), tidy(t.task), [tidy(u) for u in t.lead], [tidy(u) for u in t.coop],
         _task_progress(t, period, mark(t))]
        for n, t in enumerate(tasks, start=1)
    ]


def others_title_part(statuses: list[str]) -> str:
    """The annex-3 title's description of what it holds, from the statuses present."""
    main = [s for s in (DONE, ON_TRACK) if s in statuses]
    rest = [s for s in statuses if s not in (DONE, ON_TRACK)]
    head = "、".join(main) if main else ""
    if head and rest:
        return f"{head}及其他"
    if head:
        return head
    return "其他"


def annex_tables(master: Master, period: str) -> list[AnnexTable]:
    """The period's annex tables, numbered, empty ones left out."""
    year = master.year
    tables: list[AnnexTable] = []
    if master.indicators:
        rows = [[str(n), tidy(i.target), [tidy(u) for u in i.units], _indicator_progress(i, period)]
                for n, i in enumerate(sorted(master.indicators, key=lambda i: i.id), start=1)]
        tables.append(AnnexTable("indicators", 0, f"{year}年区政府工作报告经济社会发展预期目标{period}推进情况表",
                                 IND_HEADERS, IND_WIDTHS, rows))
    tasks = sorted(master.tasks, key=lambda t: t.id)
    lagging = [t for t in tasks if status_of(t, period) == LAGGING]
    others = [t for t in tasks if status_of(t, period) != LAGGING]
    if lagging:
        tables.append(AnnexTable("lagging", 0, f"{year}年区政府工作报告{period}推进较为滞后的重点工作任务情况表",
                                 TASK_HEADERS, TASK_WIDTHS, _task_rows(lagging, period, lambda t: False),
                                 TASK_CENTER))
    if others:
        present = list(dict.fromkeys(status_of(t, period) for t in others))
        # Mark statuses in the progress cell as soon as the table holds more than one.
        mark_all = len(present) > 1
        tables.append(AnnexTable(
            "others", 0, f"{year}年区政府工作报告{period}{others_title_part(present)}重点工作任务情况表",
            TASK_HEADERS, TASK_WIDTHS, _task_rows(others, period, lambda t: mark_all), TASK_CENTER))
    for n, t in enumerate(tables, start=1):
        t.number = n
    return tables


def cell_text(cell: Cell) -> str:
    """Plain text of a cell, units one per line."""
    if isinstance(cell, Labelled):
        return cell.label + cell.text
    if isinstance(cell, list):
        return "\n".join(cell)
    return cell


# ---------------------------------------------------------------------------
# the Excel workbook
# ---------------------------------------------------------------------------

XLSX_TOTAL_WIDTH = 128  # character units across an A4 landscape page at 100 %
BODY_PT = 11
LINE_PT = 14.5  # row height per line of 11 pt text


def _text_width(text: str) -> float:
    """Width of text in Excel character units (a CJK character counts about two)."""
    narrow = len(text.encode("ascii", "ignore"))
    return 2.0 * (len(text) - narrow) + 1.05 * narrow


def estimate_lines(text: str, width: float) -> int:
    usable = max(width - 1.5, 2.0)
    return sum(max(1, math.ceil(_text_width(line) / usable)) for line in (text.split("\n") or [""]))


def print_a4_landscape(ws, header_row: int) -> None:
    """A table sheet as the office prints it: A4 landscape, one page wide, header row repeated, page number."""
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.repeat_rows(header_row)
    ws.fit_to_pages(1, 0)
    ws.set_footer("&C— &P —")


def write_annex_xlsx(tables: list[AnnexTable], path: Path, *, office: str = "", draft: bool = False) -> Path:
    """One sheet per annex (附件1, 附件2, …), formatted for printing like the official tables.

    ``draft``: every sheet's title and printed header say 草稿."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), XLSXWRITER_OPTIONS)
    wb.set_properties({"title": "重点任务推进情况附件", "author": office or "duban", "comments": "由 duban 生成"})
    base = {"font_name": "仿宋_GB2312", "font_size": BODY_PT, "text_wrap": True, "valign": "vcenter",
            "border": 1}
    f_label = wb.add_format({"font_name": "黑体", "font_size": 14})
    f_title = wb.add_format({"font_name": "方正小标宋简体", "font_size": 18, "align": "center",
                             "valign": "vcenter", "text_wrap": True})
    f_head = wb.add_format({**base, "font_name": "黑体", "font_size": 12, "align": "center"})
    f_body = wb.add_format({**base, "align": "left"})
    f_center = wb.add_format({**base, "align": "center"})
    f_bold = wb.add_format({"font_name": "黑体", "font_size": BODY_PT})
    f_plain = wb.add_format({"font_name": "仿宋_GB2312", "font_size": BODY_PT})
    if not tables:
        ws = wb.add_worksheet("附件")
        ws.write(0, 0, "本期没有可列入附件的指标或任务。")
    for table in tables:
        ws = wb.add_worksheet(table.label)
        ncol = len(table.headers)
        widths = [max(5.0, w * XLSX_TOTAL_WIDTH) for w in table.widths]
        for c, w in enumerate(widths):
            ws.set_column(c, c, w)
        ws.write(0, 0, table.label, f_label)
        ws.set_row(0, 22)
        ws.merge_range(1, 0, 1, ncol - 1, table.title + ("（草稿）" if draft else ""), f_title)
        ws.set_row(1, 40 if _text_width(table.title) * 1.6 < sum(widths) else 64)
        ws.write_row(2, 0, table.headers, f_head)
        ws.set_row(2, 22)
        for r, row in enumerate(table.rows, start=3):
            height = 1
            for c, cell in enumerate(row):
                fmt = f_center if c in table.center_cols else f_body
                if isinstance(cell, Labelled) and cell.label and cell.text:
                    ws.write_rich_string(r, c, f_bold, cell.label, f_plain, cell.text, fmt)
                else:
                    ws.write_string(r, c, cell_text(cell), fmt)
                height = max(height, estimate_lines(cell_text(cell), widths[c]))
            ws.set_row(r, min(409, height * LINE_PT + 4))
        ws.freeze_panes(3, 0)
        print_a4_landscape(ws, 2)
        ws.set_margins(left=0.7, right=0.7, top=0.8, bottom=0.8)
        ws.center_horizontally()
        if draft:
            ws.set_header("&C&\"黑体,Bold\"&K C00000草稿：未定稿，不得作为正式报告报送")
        ws.print_area(0, 0, max(2, len(table.rows) + 2), ncol - 1)
    wb.close()
    return path

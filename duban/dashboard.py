"""The 统计 sheet of the master: a derived dashboard, rebuilt from scratch on every refresh.

:func:`dashboard_data` is pure (a Master in, numbers and lists out); :func:`refresh_dashboard`
writes them through the :class:`~duban.store.Store` interface, and :func:`_native_extras`
— the only place that touches openpyxl — adds column widths, fonts and the native
charts when the store is a file on disk. ``duban status`` and ``duban report`` call
:func:`refresh_dashboard`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from .annex import DONE, LAGGING, UNJUDGED, status_of
from .master import S_STATS
from .model import INDICATOR_STATUSES, TASK_STATUSES, Master, Task
from .store import SheetStyle, Store

TASK_ORDER = TASK_STATUSES + (UNJUDGED,)
IND_ORDER = INDICATOR_STATUSES + (UNJUDGED,)
ADOPTED = "采用"
STATUS_COLOURS = {"已完成": "548235", "正常推进": "4472C4", "推进较为滞后": "C00000", "未报送": "A5A5A5",
                  "需人工研判": "ED7D31", UNJUDGED: "D9D9D9"}


# ---------------------------------------------------------------------------
# returns: who should report and who did
# ---------------------------------------------------------------------------

def recipients(master: Master) -> list[str]:
    """Units expected to report: the lead units of the tasks and the indicators' units,
    canonical, groups expanded to their members — exactly whom `duban sheets` writes to."""
    from .sheets import plan_recipients

    return [r.name for r in plan_recipients(master, with_coop=False).recipients]


@dataclass
class Returns:
    recipients: list[str]
    returned: list[str]  # recipients with an adopted return, in recipients' order
    extra: list[str] = field(default_factory=list)  # adopted returns from units not among the recipients
    logged: int = 0  # log rows of the period (any result)

    @property
    def outstanding(self) -> list[str]:
        done = set(self.returned)
        return [u for u in self.recipients if u not in done]

    @property
    def rate(self) -> float | None:
        return len(self.returned) / len(self.recipients) if self.recipients else None


def returns_for(master: Master, period: str) -> Returns:
    """Who returned the period's feedback, from 报送记录 (rows with result 采用)."""
    rec = recipients(master)
    rows = [r for r in master.log if r.period.strip() == period]
    adopted = {master.canonical(r.unit.strip()) for r in rows if r.result.strip() == ADOPTED and r.unit.strip()}
    known = set(rec)
    return Returns(rec, [u for u in rec if u in adopted], sorted(adopted - known), len(rows))


def percent(x: float | None) -> str:
    if x is None:
        return "—"
    text = f"{x * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


# ---------------------------------------------------------------------------
# the numbers
# ---------------------------------------------------------------------------

@dataclass
class Change:
    previous: str
    newly_lagging: list[Task]
    newly_done: list[Task]
    recovered: list[Task]  # lagging before, not now


@dataclass
class DashboardData:
    year: int
    period: str
    tasks: Counter
    indicators: Counter
    task_statuses: list[str]  # column order for the tables
    by_category: list[tuple[str, Counter]]
    by_lead: list[tuple[str, Counter]]
    returns: Returns
    change: Change | None
    indicator_figures: list[list] = field(default_factory=list)  # [序号, 预期目标, 状态, the report's phrase]


def _ordered_statuses(counters, order) -> list[str]:
    seen = [s for s in order if any(c.get(s) for c in counters)]
    extra = sorted({s for c in counters for s in c if s not in order})
    return seen + extra


def dashboard_data(master: Master, period: str | None = None) -> DashboardData:
    label = master.period(period).label
    tasks = Counter(status_of(t, label) for t in master.tasks)
    inds = Counter(status_of(i, label) for i in master.indicators)
    cats: dict[str, Counter] = {}
    leads: dict[str, Counter] = {}
    for t in master.tasks:
        s = status_of(t, label)
        cats.setdefault(t.category or "（未分类）", Counter())[s] += 1
        for name in dict.fromkeys(master.canonical(u) for u in t.lead):
            leads.setdefault(name, Counter())[s] += 1
    statuses = _ordered_statuses([tasks], TASK_ORDER)
    if not statuses:
        statuses = [s for s in TASK_STATUSES if s != "需人工研判"]
    by_lead = sorted(leads.items(), key=lambda kv: (-kv[1].get(LAGGING, 0), -sum(kv[1].values()), kv[0]))
    change = None
    prev = master.previous_period(label)
    if prev:
        now_lag, now_done, back = [], [], []
        for t in master.tasks:
            before, after = status_of(t, prev.label), status_of(t, label)
            if after == LAGGING and before != LAGGING:
                now_lag.append(t)
            if after == DONE and before != DONE:
                now_done.append(t)
            if before == LAGGING and after not in (LAGGING, UNJUDGED):
                back.append(t)
        change = Change(prev.label, now_lag, now_done, back)
    return DashboardData(master.year, label, tasks, inds, statuses, list(cats.items()), by_lead,
                         returns_for(master, label), change, indicator_figures(master, label))


def indicator_figures(master: Master, label: str) -> list[list]:
    """Each indicator with the phrase the report's section 一 gives it ("固定资产投资增长9%")."""
    from .evidence import evidence_of
    from .report import indicator_phrase

    out = []
    for i in sorted(master.indicators, key=lambda i: i.id):
        status = status_of(i, label)
        shown = indicator_phrase(i, label, evidence_of(master, i, label)) \
            if status in INDICATOR_STATUSES[:3] else "—"
        out.append([i.id, i.target, status, shown])
    return out


# ---------------------------------------------------------------------------
# writing the sheet
# ---------------------------------------------------------------------------

@dataclass
class Layout:
    """Where the tables landed (1-based rows/cols), for the charts."""

    status_rows: tuple[int, int] = (0, 0)  # overall task status table: first/last data row
    cat_header: int = 0
    cat_rows: tuple[int, int] = (0, 0)
    cat_cols: int = 0  # number of status columns in the category table
    widths: dict[int, float] = field(default_factory=dict)
    title_rows: list[int] = field(default_factory=list)
    section_rows: list[int] = field(default_factory=list)


def _table(store: Store, row: int, header: list, body: list[list], layout: Layout,
           text_cols: set[int] = frozenset({0})) -> int:
    """Write a header + body at ``row``; return the next free row after a blank line."""
    store.write(S_STATS, row, 1, [header], wrap=False)
    store.style_header(S_STATS, row, 1, len(header))
    if body:
        store.write(S_STATS, row + 1, 1, body, text_cols=set(text_cols))
    return row + 1 + len(body) + 1


def refresh_dashboard(store: Store, master: Master, period: str | None = None) -> DashboardData:
    """Rebuild the 统计 sheet for ``period`` (default: the current one). Other sheets are untouched."""
    data = dashboard_data(master, period)
    if S_STATS in store.sheet_names():
        store.clear_rows(S_STATS, 1)
    else:
        store.ensure_sheet(S_STATS, SheetStyle(landscape=True))
    layout = Layout()
    write = lambda r, values: store.write(S_STATS, r, 1, values, wrap=False)  # noqa: E731
    write(1, [[f"{data.year}年区政府工作报告目标任务督办统计（{data.period}）"]])
    write(2, [[f"由 duban 生成于 {datetime.now():%Y-%m-%d %H:%M}；本表每次研判或生成报告时整表重建，请勿在此填写。"
               "状态一律采用“人工研判”优先的结果。"]])
    layout.title_rows = [1]
    row = 4

    # 1. overall
    write(row, [["一、总体情况"]])
    layout.section_rows.append(row)
    row += 1
    statuses = [s for s in data.task_statuses]
    body = [[s, data.tasks.get(s, 0)] for s in statuses]
    layout.status_rows = (row + 1, row + len(body))
    row = _table(store, row, ["重点任务状态", "项数"], body + [["合计", sum(data.tasks.values())]], layout)
    ind_statuses = _ordered_statuses([data.indicators], IND_ORDER)
    row = _table(store, row, ["预期目标状态", "项数"],
                 [[s, data.indicators.get(s, 0)] for s in ind_statuses]
                 + [["合计", sum(data.indicators.values())]], layout)

    if data.indicator_figures:
        row = _table(store, row, ["序号", "预期目标", "状态", "报告中的实际值"], data.indicator_figures, layout,
                     text_cols={1, 2, 3})

    # 2. returns
    write(row, [["二、报送情况"]])
    layout.section_rows.append(row)
    row += 1
    rt = data.returns
    index = master.unit_index()
    body = [
        ["应报送单位（牵头单位及指标责任单位）", len(rt.recipients)],
        ["已报送单位（报送记录中有“采用”）", len(rt.returned)],
        ["报送率", percent(rt.rate)],
        ["未报送单位数", len(rt.outstanding)],
    ]
    row = _table(store, row, ["项目", "数值"], body, layout)
    if rt.outstanding:
        row = _table(store, row, ["未报送单位", "单位类别"],
                     [[u, getattr(index.get(u), "kind", "")] for u in rt.outstanding], layout)
    if rt.extra:
        row = _table(store, row, ["名单外报送单位（报送记录中有，但不是牵头或指标责任单位）", ""],
                     [[u, ""] for u in rt.extra], layout)

    # 3. by category
    write(row, [["三、按工作类别"]])
    layout.section_rows.append(row)
    row += 1
    header = ["工作类别", "任务数"] + statuses
    body = [[cat, sum(c.values())] + [c.get(s, 0) for s in statuses] for cat, c in data.by_category]
    layout.cat_header = row
    layout.cat_rows = (row + 1, row + len(body))
    layout.cat_cols = len(statuses)
    row = _table(store, row, header, body, layout)

    # 4. by lead unit
    write(row, [["四、按牵头单位（滞后任务多的在前）"]])
    layout.section_rows.append(row)
    row += 1
    body = [[unit, sum(c.values())] + [c.get(s, 0) for s in statuses] for unit, c in data.by_lead]
    row = _table(store, row, ["牵头单位", "牵头任务数"] + statuses, body, layout)

    # 5. change since the previous period
    if data.change:
        ch = data.change
        write(row, [[f"五、与上期（{ch.previous}）相比"]])
        layout.section_rows.append(row)
        row += 1
        row = _table(store, row, ["变化", "项数"], [
            ["新增推进较为滞后", len(ch.newly_lagging)],
            ["新增已完成", len(ch.newly_done)],
            ["由滞后转为不滞后", len(ch.recovered)],
        ], layout)
        listing = ([["新增推进较为滞后", t.id, t.task, "、".join(t.lead)] for t in ch.newly_lagging]
                   + [["新增已完成", t.id, t.task, "、".join(t.lead)] for t in ch.newly_done]
                   + [["由滞后转为不滞后", t.id, t.task, "、".join(t.lead)] for t in ch.recovered])
        if listing:
            row = _table(store, row, ["变化", "序号", "工作任务", "牵头单位"], listing, layout)
    # 6. every task across the periods, with its notices
    if len(master.periods) > 1 or master.notices:
        from .history import history_table

        write(row, [[f"{'六' if data.change else '五'}、各期进展与督办记录"]])
        layout.section_rows.append(row)
        row += 1
        header, body = history_table(master)
        row = _table(store, row, header, body, layout)
    layout.widths = {1: 34, 2: 12}
    for c in range(3, 3 + len(statuses)):
        layout.widths[c] = 12
    if data.change:
        layout.widths[3] = max(layout.widths.get(3, 12), 60)
        layout.widths[4] = max(layout.widths.get(4, 12), 20)
    _native_extras(store, data, layout)
    return data


def _native_extras(store: Store, data: DashboardData, layout: Layout) -> None:
    """openpyxl only: widths, title fonts and the native charts (none for other stores)."""
    wb = getattr(store, "workbook", None)
    if wb is None or S_STATS not in getattr(wb, "sheetnames", []):
        return
    from openpyxl.chart import BarChart, PieChart, Reference
    from openpyxl.chart.label import DataLabelList
    from openpyxl.chart.marker import DataPoint
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb[S_STATS]
    ws._charts = []  # derived sheet: the previous run's charts go with its data
    for col, width in layout.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for r in layout.title_rows:
        ws.cell(r, 1).font = Font(name="黑体", size=16, bold=True)
    ws.cell(2, 1).font = Font(name="仿宋", size=10, color="666666")
    for r in layout.section_rows:
        ws.cell(r, 1).font = Font(name="黑体", size=13, bold=True)
    ws.freeze_panes = "A4"
    anchor_col = get_column_letter(3 + layout.cat_cols + 1)

    first, last = layout.status_rows
    if last >= first and sum(data.tasks.values()):
        pie = PieChart()
        pie.title = f"重点任务状态（{data.period}）"
        pie.add_data(Reference(ws, min_col=2, min_row=first - 1, max_row=last), titles_from_data=True)
        pie.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        pie.dataLabels = DataLabelList()
        pie.dataLabels.showPercent = True
        for flag in ("showVal", "showCatName", "showSerName", "showLegendKey"):
            setattr(pie.dataLabels, flag, False)
        for k, status in enumerate(data.task_statuses):
            pt = DataPoint(idx=k)
            pt.graphicalProperties.solidFill = STATUS_COLOURS.get(status, "A5A5A5")
            pie.series[0].dPt.append(pt)
        pie.height, pie.width = 8, 12
        ws.add_chart(pie, f"{anchor_col}4")

    first, last = layout.cat_rows
    if last >= first and layout.cat_cols:
        bar = BarChart()
        bar.type = "bar"  # horizontal: long Chinese category names stay readable
        bar.grouping = "stacked"
        bar.overlap = 100
        bar.title = f"按工作类别的任务状态（{data.period}）"
        bar.y_axis.title = "项数"
        bar.add_data(Reference(ws, min_col=3, max_col=2 + layout.cat_cols, min_row=layout.cat_header, max_row=last),
                     titles_from_data=True)
        bar.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        bar.x_axis.scaling.orientation = "maxMin"  # same order as the table
        for status, series in zip(data.task_statuses, bar.series):
            series.graphicalProperties.solidFill = STATUS_COLOURS.get(status, "A5A5A5")
            series.graphicalProperties.line.noFill = True
        bar.height = max(8, 0.6 * (last - first + 1) + 3)
        bar.width = 18
        bar.legend.position = "b"
        ws.add_chart(bar, f"{anchor_col}22")

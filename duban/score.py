"""`duban score`: the supervision part of the annual 目标考核, one row per unit, ranked.

For every unit that reports (lead units and indicator units, as `duban sheets` addresses
them) and every period of the year:

* returns — 按时 / 迟报 / 漏报 from 报送记录 (the unit's first accepted-or-superseded file of
  the period against the period's 报送截止日期; 漏报 once that date has passed with no 采用);
* tasks led and their final verdicts (the last judged period, the override winning);
* notices by colour, and notices whose reply was overdue, from 督办台账.

Points = 考核基础分 − 迟报扣分×迟报 − 漏报扣分×漏报 − 蓝/黄/红色督办扣分×督办单数
− 督办逾期回复扣分×逾期回复 (设置; defaults 100, 0.5, 1, 0/1/2, 1). Every deduction is a row
of its own that names the 报送记录 or 督办台账 row it comes from.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from . import settings as st
from .errors import DubanError
from .model import Master
from .notices import BLUE, COLOUR_NAMES, COLOURS, RED, YELLOW, Notice, lead_units
from .store import XLSXWRITER_OPTIONS, SheetStyle, Store, atomic_output

S_SCORE = "考核"

ON_TIME, LATE, MISSING, NOT_DUE = "按时", "迟报", "漏报", "未到期"
COUNTED = ("采用", "被新版本替代")  # a file that was a valid return when it came
VERDICTS = ("已完成", "正常推进", "推进较为滞后")

WEIGHT_KEYS = {"late": "score_late", "missing": "score_missing", BLUE: "score_blue", YELLOW: "score_yellow",
               RED: "score_red", "overdue": "score_overdue_reply"}


class ScoreError(DubanError):
    "The scorecard cannot be made"


@dataclass
class Deduction:
    unit: str
    item: str  # 迟报 / 漏报 / 黄色督办 / 红色督办 / 蓝色督办 / 督办逾期回复
    period: str
    points: float
    source: str  # "报送记录第5行" / "督办台账第3行（督办〔2022〕第1号）" / why there is no row
    detail: str = ""


@dataclass
class UnitScore:
    unit: str
    kind: str
    returns: dict[str, str] = field(default_factory=dict)  # period → 按时/迟报/漏报/未到期
    tasks_led: int = 0
    verdicts: Counter = field(default_factory=Counter)
    notices: Counter = field(default_factory=Counter)  # colour → count
    overdue_replies: int = 0
    deductions: list[Deduction] = field(default_factory=list)
    points: float = 0.0
    rank: int = 0

    def count(self, what: str) -> int:
        return sum(1 for v in self.returns.values() if v == what)

    @property
    def deducted(self) -> float:
        return round(sum(d.points for d in self.deductions), 4)


@dataclass
class ScoreResult:
    year: int
    weights: dict[str, float]
    base: float
    units: list[UnitScore]  # ranked
    periods: list[str]
    today: date
    xlsx: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def deductions(self) -> list[Deduction]:
        return [d for u in self.units for d in u.deductions]

    def formula(self) -> str:
        w = self.weights
        parts = [f"迟报×{_n(w['late'])}", f"漏报×{_n(w['missing'])}"]
        parts += [f"{COLOUR_NAMES[c]}督办×{_n(w[c])}" for c in COLOURS if w[c]]
        parts.append(f"逾期回复×{_n(w['overdue'])}")
        return f"得分 = 基础分{_n(self.base)} − " + " − ".join(parts) + "（系数在“设置”表中修改）"

    def summary_lines(self, top: int = 10) -> list[str]:
        lines = [f"{self.year}年度督办考核：{len(self.units)} 个单位，期次 {'、'.join(self.periods) or '（无）'}",
                 "  " + self.formula()]
        lines.extend(unit_line(u) for u in self.units[:top])
        if len(self.units) > top:
            lines.append(f"  ……其余 {len(self.units) - top} 个单位见主表“{S_SCORE}”表")
        if self.xlsx:
            lines.append(f"已生成考核汇总表：{self.xlsx}")
        lines.extend(self.notes)
        return lines


def unit_line(u: UnitScore) -> str:
    return (f"  {u.rank:>3}. {u.unit} {_n(u.points)} 分（扣 {_n(u.deducted)} 分：迟报{u.count(LATE)} 漏报{u.count(MISSING)} "
            f"红{u.notices[RED]} 黄{u.notices[YELLOW]} 蓝{u.notices[BLUE]} 逾期回复{u.overdue_replies}）")


def _n(x: float) -> str:
    return f"{x:g}"


def weights_of(master: Master) -> tuple[float, dict[str, float]]:
    s = master.settings

    def get(key: str) -> float:
        v = s.get(key)
        return float(st.BY_KEY[key].default if v in (None, "") else v)

    return get("score_base"), {k: get(key) for k, key in WEIGHT_KEYS.items()}


def _received(text: str) -> date | None:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            pass
    return None


def score(master: Master, ledger: list[Notice], *, year: int | None = None, today: date | None = None) -> ScoreResult:
    """The ranked scorecard (pure)."""
    from .dashboard import recipients
    from .sheets import period_deadline

    if year is not None and int(year) != master.year:
        raise ScoreError(f"主表是{master.year}年度的，不能做{year}年度的考核：请打开{year}年度的主表")
    today = today or date.today()
    base, w = weights_of(master)
    index = master.unit_index()
    units = recipients(master)
    scores = {u: UnitScore(u, getattr(index.get(u), "kind", "")) for u in units}

    # returns, from 报送记录 (row k of master.log is sheet row k + 2)
    for p in master.periods:
        deadline = period_deadline(master, p)
        first: dict[str, tuple[date | None, int]] = {}
        for k, row in enumerate(master.log):
            if row.period.strip() != p.label or row.result.strip() not in COUNTED:
                continue
            unit = master.canonical(row.unit.strip())
            got = _received(row.received)
            if unit not in first or (got and (first[unit][0] is None or got < first[unit][0])):
                first[unit] = (got, k + 2)
        for u, sc in scores.items():
            if u in first:
                got, r = first[u]
                if deadline and got and got > deadline:
                    sc.returns[p.label] = LATE
                    sc.deductions.append(Deduction(u, LATE, p.label, w["late"], f"报送记录第{r}行",
                                                   f"{got.isoformat()}报送，报送截止{deadline.isoformat()}"))
                else:
                    sc.returns[p.label] = ON_TIME
            elif deadline is None or deadline < today:
                sc.returns[p.label] = MISSING
                sc.deductions.append(Deduction(u, MISSING, p.label, w["missing"],
                                               f"报送记录中没有{u}{p.label}的“采用”记录",
                                               f"报送截止{deadline.isoformat()}" if deadline else ""))
            else:
                sc.returns[p.label] = NOT_DUE

    # tasks led and their final verdicts
    labels = [p.label for p in master.periods]
    for task_id, leads in lead_units(master).items():
        t = master.task_by_id()[task_id]
        final = next((t.periods[lb].effective_status for lb in reversed(labels)
                      if lb in t.periods and t.periods[lb].effective_status), "")
        for u in leads:
            if u in scores:
                scores[u].tasks_led += 1
                scores[u].verdicts[final if final in VERDICTS else "其他"] += 1

    # notices and replies, from 督办台账
    for n in sorted(ledger, key=lambda n: n.seq):
        sc = scores.get(n.unit)
        if sc is None:
            sc = scores[n.unit] = UnitScore(n.unit, getattr(index.get(n.unit), "kind", ""))
        sc.notices[n.colour] += 1
        where = f"督办台账第{n.row}行（{n.number}）" if n.row else f"督办台账（{n.number}）"
        if w.get(n.colour):
            sc.deductions.append(Deduction(n.unit, f"{COLOUR_NAMES[n.colour]}督办", n.period, w[n.colour], where,
                                           f"任务{n.task_id}：{n.cause}"))
        if n.overdue(today):
            sc.overdue_replies += 1
            how = f"{n.replied}才回复" if n.reply.strip() else "未回复"
            sc.deductions.append(Deduction(n.unit, "督办逾期回复", n.period, w["overdue"], where,
                                           f"回复期限{n.reply_by}，{how}"))

    for sc in scores.values():
        sc.points = round(base - sc.deducted, 4)
    ranked = sorted(scores.values(), key=lambda s: (-s.points, s.unit))
    for i, sc in enumerate(ranked):
        sc.rank = ranked[i - 1].rank if i and sc.points == ranked[i - 1].points else i + 1
    return ScoreResult(master.year, w, base, ranked, labels, today)


# ---------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------

def summary_header(result: ScoreResult) -> list[str]:
    return (["排名", "单位", "单位类别", "得分", "扣分合计"] + [f"{p}报送" for p in result.periods]
            + ["按时报送", "迟报", "漏报", "牵头任务", *VERDICTS, "其他", "蓝色督办", "黄色督办", "红色督办", "逾期回复"])


def summary_rows(result: ScoreResult) -> list[list]:
    rows = []
    for u in result.units:
        rows.append([u.rank, u.unit, u.kind, u.points, u.deducted] + [u.returns.get(p, "") for p in result.periods]
                    + [u.count(ON_TIME), u.count(LATE), u.count(MISSING), u.tasks_led]
                    + [u.verdicts.get(v, 0) for v in VERDICTS] + [u.verdicts.get("其他", 0)]
                    + [u.notices[BLUE], u.notices[YELLOW], u.notices[RED], u.overdue_replies])
    return rows


DETAIL_HEADER = ["单位", "扣分项", "期次", "扣分", "依据", "说明"]


def detail_rows(result: ScoreResult) -> list[list]:
    return [[d.unit, d.item, d.period, d.points, d.source, d.detail] for d in result.deductions if d.points]


def write_score_sheet(store: Store, result: ScoreResult) -> None:
    """Rebuild the master's 考核 sheet: the ranking, then every deduction with its source row."""
    if S_SCORE in store.sheet_names():
        store.clear_rows(S_SCORE, 1)
    else:
        store.ensure_sheet(S_SCORE, SheetStyle(widths={1: 6, 2: 22, 3: 10, 4: 8, 5: 8, 6: 30}, freeze="C4"))
    store.write(S_SCORE, 1, 1, [[f"{result.year}年度区政府工作报告目标任务督办考核汇总"]], wrap=False)
    store.write(S_SCORE, 2, 1, [[f"由 duban 生成于 {datetime.now():%Y-%m-%d %H:%M}（以 {result.today.isoformat()} 计）；"
                                 f"{result.formula()}。本表每次运行“考核汇总”时整表重建，请勿在此填写。"]], wrap=False)
    header = summary_header(result)
    store.write(S_SCORE, 3, 1, [header], wrap=False)
    store.style_header(S_SCORE, 3, 1, len(header))
    body = summary_rows(result)
    if body:
        store.write(S_SCORE, 4, 1, body, text_cols={1, 2})
    row = 4 + len(body) + 1
    store.write(S_SCORE, row, 1, [["扣分明细（每一项扣分对应“报送记录”或“督办台账”中的一行）"]], wrap=False)
    row += 1
    store.write(S_SCORE, row, 1, [DETAIL_HEADER], wrap=False)
    store.style_header(S_SCORE, row, 1, len(DETAIL_HEADER))
    details = detail_rows(result)
    if details:
        store.write(S_SCORE, row + 1, 1, details, text_cols={0, 1, 2, 4, 5})


def write_score_xlsx(result: ScoreResult, path: Path, *, office: str = "") -> Path:
    """The scorecard as its own workbook: 考核汇总 (ranked) and 扣分明细."""
    import xlsxwriter

    from .annex import estimate_lines, print_a4_landscape

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ScoreError(f"考核汇总表文件名应以 .xlsx 结尾：{path.name}")
    with atomic_output(path) as tmp:
        wb = xlsxwriter.Workbook(tmp, XLSXWRITER_OPTIONS)
        wb.set_properties({"title": f"{result.year}年度督办考核汇总", "author": office or "duban",
                           "comments": "由 duban 生成"})
        base = {"font_name": "仿宋_GB2312", "font_size": 11, "text_wrap": True, "valign": "vcenter", "border": 1}
        f_title = wb.add_format({"font_name": "方正小标宋简体", "font_size": 18, "align": "center"})
        f_note = wb.add_format({"font_name": "仿宋_GB2312", "font_size": 10, "font_color": "#595959"})
        f_head = wb.add_format({**base, "font_name": "黑体", "align": "center", "bg_color": "#DDEBF7"})
        f_body = wb.add_format(base)
        f_num = wb.add_format({**base, "align": "center"})
        for name, header, rows, widths in (
                ("考核汇总", summary_header(result), summary_rows(result), {1: 22, 2: 10}),
                ("扣分明细", DETAIL_HEADER, detail_rows(result), {0: 22, 4: 34, 5: 40})):
            ws = wb.add_worksheet(name)
            for c in range(len(header)):
                ws.set_column(c, c, widths.get(c, 9))
            ws.merge_range(0, 0, 0, len(header) - 1, f"{result.year}年度督办考核{name}", f_title)
            ws.set_row(0, 30)
            ws.write_string(1, 0, result.formula(), f_note)
            ws.write_row(2, 0, header, f_head)
            ws.set_row(2, 30)
            for r, values in enumerate(rows, start=3):
                height = 1
                for c, v in enumerate(values):
                    if isinstance(v, (int, float)):
                        ws.write_number(r, c, v, f_num)
                    else:
                        ws.write_string(r, c, str(v), f_body)
                        height = max(height, estimate_lines(str(v), widths.get(c, 9)))
                ws.set_row(r, min(409, height * 14.5 + 4))
            ws.freeze_panes(3, 2 if name == "考核汇总" else 1)
            print_a4_landscape(ws, 2)
        wb.close()
    return path


def run_score(store: Store, *, year: int | None = None, xlsx: Path | None = None, today: date | None = None,
              write_sheet: bool = True) -> ScoreResult:
    """`duban score` over a store: compute, rebuild the 考核 sheet (unless read-only), write ``xlsx``."""
    from .master import load_master

    master = load_master(store)
    result = score(master, master.notices, year=year, today=today)
    if write_sheet:
        write_score_sheet(store, result)
        result.notes.append(f"已刷新主表“{S_SCORE}”表。")
    if xlsx is not None:
        office = str(master.settings.get("office") or "")
        result.xlsx = write_score_xlsx(result, Path(xlsx), office=office)
    return result


def score_on_file(master_path: Path, *, year: int | None = None, xlsx: Path | None = None,
                  today: date | None = None) -> ScoreResult:
    """`duban score` on the master file; when it is open elsewhere the 考核 sheet is left as it was."""
    from .errors import MasterLocked
    from .store import open_store

    try:
        with open_store(master_path) as store:
            return run_score(store, year=year, xlsx=xlsx, today=today)
    except MasterLocked as exc:
        with open_store(master_path, write=False) as store:
            result = run_score(store, year=year, xlsx=xlsx, today=today, write_sheet=False)
        result.notes.append(f"主表正在使用中，未刷新“{S_SCORE}”表（{exc}）")
        return result

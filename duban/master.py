"""The master workbook's layout: model ⇄ sheets, through a :class:`~duban.store.Store`.

Columns are found by their header text, rows by the id in 序号, so a column or row a
staff member adds, a width, a colour or a comment survives every duban write.
"""
from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date, datetime
from typing import Any

from . import settings as st
from .errors import MasterError
from .model import (Indicator, LogRow, Master, Period, PeriodEntry, Task, Unit, clean_text)
from .store import SheetStyle, Store
from .textfit import wrap_text

S_README = "说明"
S_INDICATORS = "预期目标"
S_TASKS = "重点任务"
S_UNITS = "单位"
S_LOG = "报送记录"
S_SETTINGS = "设置"
S_STATS = "统计"

README_WIDTH = 76  # characters of 说明 that fit A4 portrait at 100 %
HEADER_ROW = 2  # row 1 holds the merged title on the two decomposition sheets

INDICATOR_BASE = [("id", "序号"), ("target", "预期目标"), ("units", "责任单位"), ("flags", "导入提示")]
TASK_BASE = [
    ("id", "序号"), ("category", "工作类别"), ("task", "工作任务"), ("lead", "牵头单位"),
    ("coop", "配合单位"), ("leader", "责任领导"), ("deadline", "完成时限"), ("flags", "导入提示"),
]
# One block of columns per period; header = period label + suffix, e.g. "1-6月进展情况".
TASK_BLOCK = [
    ("progress", "进展情况"), ("amount", "完成量"), ("problems", "存在问题及下步打算"),
    ("self_eval", "单位自评"), ("coop", "配合单位进展"), ("status", "系统研判"),
    ("light", "进度灯"), ("reason", "研判理由"), ("override", "人工研判"), ("note", "备注"), ("source", "数据来源"),
]
INDICATOR_BLOCK = [
    ("progress", "进展情况"), ("amount", "实际值"), ("problems", "存在问题及下步打算"),
    ("status", "系统研判"), ("light", "进度灯"), ("reason", "研判理由"), ("override", "人工研判"),
    ("note", "备注"), ("source", "数据来源"),
]
# Widths of a period block's columns when duban adds them (characters).
BLOCK_WIDTHS = {"progress": 45, "problems": 28, "coop": 28, "reason": 32, "source": 24, "note": 16, "amount": 12, "light": 8}

UNIT_COLS = [
    ("name", "单位名称"), ("kind", "类别"), ("aliases", "别名"), ("members", "成员单位"),
    ("contact", "联系人"), ("email", "邮箱"), ("phone", "电话"), ("note", "备注"),
]
LOG_COLS = [
    ("period", "期次"), ("unit", "单位"), ("file", "文件名"), ("sha256", "SHA256"),
    ("received", "收到时间"), ("result", "结果"), ("reason", "原因"), ("signature", "签名"),
    ("archive", "归档文件"),
]
PERIOD_COLS = ["期次", "期次截止日期", "报送截止日期"]
PERIOD_COL0 = 5  # the period table sits in columns E:G of 设置

LIST_SEP = "\n"  # units one per line in a cell, as official tables show them


def split_list(value: Any) -> list[str]:
    """Names one per line (or separated by 、；;，,); a separator inside （…） belongs to the name."""
    text = clean_text(value)
    if not text:
        return []
    out, buf, depth = [], [], 0
    for ch in text + "\n":
        depth += (ch in "（(") - (ch in "）)" and depth > 0)
        if depth == 0 and ch in "、；;，,\n":
            out.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    return [p for p in out if p]


def join_list(items: list[str]) -> str:
    return LIST_SEP.join(items)


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------

def find_header(rows: list[list[Any]], first: str = "序号", within: int = 6) -> int:
    """0-based index of the header row: the first row whose cells include ``first``."""
    for i, row in enumerate(rows[:within]):
        if any(clean_text(v) == first for v in row):
            return i
    return -1


def header_map(row: list[Any]) -> dict[str, int]:
    """Header text → 0-based column index (first occurrence wins)."""
    out: dict[str, int] = {}
    for i, v in enumerate(row):
        t = clean_text(v)
        if t and t not in out:
            out[t] = i
    return out


def _cell(row: list[Any], idx: int | None) -> Any:
    if idx is None or idx >= len(row):
        return None
    return row[idx]


def _int_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and float(value).is_integer():
        return int(value)
    t = unicodedata.normalize("NFKC", clean_text(value))
    # isdigit() would let "①" or "²" through to int(), which raises
    return int(t) if re.fullmatch(r"[0-9]{1,9}", t) else None


def load_master(store: Store) -> Master:
    names = store.sheet_names()
    missing = [s for s in (S_INDICATORS, S_TASKS, S_UNITS, S_SETTINGS) if s not in names]
    if missing:
        raise MasterError(
            f"这不是 duban 主表：缺少工作表 {'、'.join(missing)}。请用 duban init 从通知生成主表。"
        )
    values, periods = _read_settings(store.read(S_SETTINGS))
    year = values.get("year") or 2022
    master = Master(year=int(year), settings=values, periods=periods)
    labels = [p.label for p in periods]
    master.indicators = _read_items(store.read(S_INDICATORS), INDICATOR_BASE, INDICATOR_BLOCK, labels, S_INDICATORS)
    master.tasks = _read_items(store.read(S_TASKS), TASK_BASE, TASK_BLOCK, labels, S_TASKS)
    master.units = _read_units(store.read(S_UNITS))
    master.log = _read_log(store.read(S_LOG)) if S_LOG in names else []
    from .notices import S_LEDGER, load_ledger

    master.notices = load_ledger(store) if S_LEDGER in names else []
    return master


def _read_settings(rows: list[list[Any]]) -> tuple[dict, list[Period]]:
    values = st.defaults()
    periods: list[Period] = []
    for r, row in enumerate(rows):
        label = clean_text(_cell(row, 0))
        setting = st.BY_LABEL.get(label)
        if setting:
            values[setting.key] = st.coerce(setting, _cell(row, 1))
        if r == 0:
            continue
        plabel = clean_text(_cell(row, PERIOD_COL0 - 1))
        if plabel:
            end = st.parse_date(_cell(row, PERIOD_COL0), f"设置表第{r + 1}行期次“{plabel}”的截止日期")
            deadline = st.parse_date(_cell(row, PERIOD_COL0 + 1), f"设置表第{r + 1}行期次“{plabel}”的报送截止日期")
            periods.append(Period(plabel, end, deadline))
    return values, periods


def _split_block_header(text: str, labels: list[str], block: list[tuple[str, str]]) -> tuple[str, str] | None:
    for label in sorted(labels, key=len, reverse=True):
        if text.startswith(label):
            rest = text[len(label):]
            for key, suffix in block:
                if rest == suffix:
                    return label, key
    return None


def _read_items(rows, base, block, labels, sheet):
    h = find_header(rows)
    if h < 0:
        raise MasterError(f"主表“{sheet}”工作表找不到表头（含“序号”的行）")
    hm = header_map(rows[h])
    col = {key: hm.get(title) for key, title in base}
    block_cols: list[tuple[int, str, str]] = []
    for text, idx in hm.items():
        hit = _split_block_header(text, labels, block)
        if hit:
            block_cols.append((idx, hit[0], hit[1]))
    items = []
    for r, row in enumerate(rows[h + 1:], start=h + 2):
        item_id = _int_id(_cell(row, col["id"]))
        if item_id is None:
            if any(clean_text(v) for v in row[: len(base)]):
                # a staff note row or a broken id: not ours, leave it alone
                pass
            continue
        if sheet == S_TASKS:
            item: Task | Indicator = Task(
                id=item_id,
                category=clean_text(_cell(row, col["category"])),
                task=clean_text(_cell(row, col["task"])),
                lead=split_list(_cell(row, col["lead"])),
                coop=split_list(_cell(row, col["coop"])),
                flags=[f for f in clean_text(_cell(row, col["flags"])).split("\n") if f],
                leader=clean_text(_cell(row, col["leader"])),
                deadline=clean_text(_cell(row, col["deadline"])),
            )
        else:
            item = Indicator(
                id=item_id,
                target=clean_text(_cell(row, col["target"])),
                units=split_list(_cell(row, col["units"])),
                flags=[f for f in clean_text(_cell(row, col["flags"])).split("\n") if f],
            )
        for idx, label, key in block_cols:
            value = clean_text(_cell(row, idx))
            if value:
                setattr(item.entry(label), key, value)
        items.append(item)
    return items


def _read_table(rows: list[list[Any]], cols: list[tuple[str, str]], first: str) -> list[dict]:
    h = find_header(rows, first)
    if h < 0:
        return []
    hm = header_map(rows[h])
    out = []
    for row in rows[h + 1:]:
        rec = {key: clean_text(_cell(row, hm.get(title))) for key, title in cols}
        if any(rec.values()):
            out.append(rec)
    return out


def _read_units(rows) -> list[Unit]:
    units = []
    for rec in _read_table(rows, UNIT_COLS, "单位名称"):
        if not rec["name"]:
            continue
        units.append(Unit(
            name=rec["name"], kind=rec["kind"] or "其他",
            aliases=split_list(rec["aliases"]), members=split_list(rec["members"]),
            contact=rec["contact"], email=rec["email"], phone=rec["phone"], note=rec["note"],
        ))
    return units


def _read_log(rows) -> list[LogRow]:
    return [LogRow(**rec) for rec in _read_table(rows, LOG_COLS, "期次")]


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------

TASK_WIDTHS = {1: 6, 2: 14, 3: 48, 4: 18, 5: 22, 6: 10, 7: 10, 8: 20}
INDICATOR_WIDTHS = {1: 6, 2: 36, 3: 18, 4: 16}


def new_master_store(store: Store, master: Master) -> None:
    """Create every sheet of a fresh master and write the model into it."""
    if not master.settings.get("secret"):
        master.settings["secret"] = secrets.token_hex(16)
    year = master.year
    store.ensure_sheet(S_README, SheetStyle(widths={1: README_WIDTH + 2}, landscape=False))
    # lines cut to the width of A4 portrait: unwrapped text spilling past column A is cut off in print
    lines = [part for line in readme_lines(year) for part in wrap_text(line, README_WIDTH, indent="      ")]
    store.write(S_README, 1, 1, [[line] for line in lines], wrap=False)
    store.ensure_sheet(S_INDICATORS, SheetStyle(
        widths=INDICATOR_WIDTHS, header_row=HEADER_ROW, freeze="C3", fit_width=False, title_cols="A:C",
        title=f"{year}年区政府工作报告经济社会发展预期目标任务分解及推进情况"))
    store.ensure_sheet(S_TASKS, SheetStyle(
        widths=TASK_WIDTHS, header_row=HEADER_ROW, freeze="D3", fit_width=False, title_cols="A:C",
        title=f"{year}年区政府工作报告重点工作任务分解及推进情况"))
    store.ensure_sheet(S_UNITS, SheetStyle(widths={1: 30, 2: 10, 3: 30, 4: 30, 5: 10, 6: 26, 7: 14, 8: 40}, freeze="B2"))
    store.ensure_sheet(S_LOG, SheetStyle(widths={1: 8, 2: 22, 3: 40, 4: 18, 5: 18, 6: 12, 7: 50, 8: 10, 9: 40}, freeze="A2"))
    store.ensure_sheet(S_SETTINGS, SheetStyle(widths={1: 22, 2: 24, 3: 70, 4: 3, 5: 10, 6: 14, 7: 14}, landscape=False))
    save_master(store, master)


def readme_lines(year: int) -> list[str]:
    return [
        f"{year}年区政府工作报告目标任务督办主表（duban 生成）",
        "",
        "本工作簿是督查办跟踪区政府工作报告目标任务的“主表”。各工作表：",
        "  预期目标：经济社会发展预期目标分解，每个期次一组列（进展情况、实际值、系统研判、研判理由、人工研判……）。",
        "  重点任务：重点工作任务分解（牵头单位、配合单位一行一个），每个期次一组列。",
        "  单位：单位名录。可修改类别、别名、群体的成员单位，填写联系人、邮箱、电话；重新导入时采用这里的修改。",
        "  报送记录：每收到一个反馈文件记一行（单位、文件名、SHA256、收到时间、采用/被新版本替代/退回、原因）。",
        "  设置：年度、当前期次、报送期限、研判阈值、邮件服务器等。期次表在 E:G 列。",
        "",
        "工作流程（按钮或命令行均可）：",
        "  1. 生成反馈表：duban sheets 主表.xlsx --period 1-6月 -o 反馈表目录",
        "  2. 生成邮件/发送：duban mail 主表.xlsx --period 1-6月 --outbox 发件箱 [--send]",
        "  3. 汇总反馈：duban collect 主表.xlsx 收件目录",
        "  4. 研判状态：duban status 主表.xlsx",
        "  5. 生成报告：duban report 主表.xlsx -o 报告.docx --xlsx 附件.xlsx",
        "  6. 催报：duban remind 主表.xlsx --period 1-6月",
        "  7. 督办单：duban notices 主表.xlsx --period 1-6月 -o 督办单目录（红黄蓝三色，记入“督办台账”工作表）",
        "  8. 年度考核：duban score 主表.xlsx --xlsx 考核汇总.xlsx（写入“考核”工作表）",
        "",
        "注意：",
        "  · “人工研判”列填写后优先于系统研判，报告一律采用人工研判结果。",
        "  · 可以增加自己的列、批注、颜色、调整列宽，duban 写入时会保留；请勿修改“序号”和 duban 生成的列标题。",
        "  · 每次写入前，上一版本自动备份到主表所在文件夹的“.duban备份”子文件夹。",
    ]


def _layout_columns(store: Store, sheet: str, wanted: list[str],
                    widths: dict[str, float] | None = None) -> dict[str, int]:
    """1-based column of every wanted header; missing headers are appended after the last one.

    ``widths`` (by header) sizes a column when duban creates it; a width staff set later is kept.
    """
    rows = store.read(sheet)
    h = find_header(rows)
    header_row = h + 1 if h >= 0 else HEADER_ROW if sheet in (S_TASKS, S_INDICATORS) else 1
    existing = header_map(rows[h]) if h >= 0 else {}
    cols = {t: i + 1 for t, i in existing.items()}
    last = max((i + 1 for i, v in enumerate(rows[h]) if clean_text(v)), default=0) if h >= 0 else 0
    new = []
    for title in wanted:
        if title not in cols:
            last += 1
            cols[title] = last
            new.append((last, title))
    for c, title in new:
        store.write(sheet, header_row, c, [[title]], wrap=False)
        store.style_header(sheet, header_row, c, c, (widths or {}).get(title))
    return cols


def _id_rows(store: Store, sheet: str, ids: list[int], id_col: int) -> dict[int, int]:
    """1-based row of every id; ids not yet present get rows appended at the bottom."""
    rows = store.read(sheet)
    h = find_header(rows)
    found: dict[int, int] = {}
    last = h + 1 if h >= 0 else 0
    for r, row in enumerate(rows[h + 1:], start=h + 2):
        if any(v not in (None, "") for v in row):
            last = r
        i = _int_id(_cell(row, id_col - 1))
        if i is not None and i not in found:
            found[i] = r
    for i in ids:
        if i not in found:
            last += 1
            found[i] = last
    return found


def write_columns(store: Store, sheet: str, id_col: int, records: dict[int, dict[int, Any]],
                  text_cols: set[int] = frozenset()) -> None:
    """Write {id: {column: value}} in rectangles of consecutive rows and columns."""
    if not records:
        return
    rowmap = _id_rows(store, sheet, list(records), id_col)
    write_rows(store, sheet, {rowmap[i]: rec for i, rec in records.items()}, text_cols)


def write_rows(store: Store, sheet: str, row_of: dict[int, dict[int, Any]],
               text_cols: set[int] = frozenset()) -> None:
    """Write {row: {column: value}} in rectangles of consecutive rows and columns."""
    col_runs = _runs(sorted({c for rec in row_of.values() for c in rec}))
    for row_run in _runs(sorted(row_of)):
        for col_run in col_runs:
            block = [[row_of[r].get(c, "") for c in col_run] for r in row_run]
            tc = {k for k, c in enumerate(col_run) if c in text_cols}
            store.write(sheet, row_run[0], col_run[0], block, text_cols=tc)


def _runs(nums: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for n in nums:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs


def save_master(store: Store, master: Master, *, parts: tuple[str, ...] = ("settings", "indicators", "tasks", "units", "log"),
                periods: list[str] | None = None) -> None:
    """Write the model back. ``periods`` limits which period blocks are written (default all)."""
    labels = periods if periods is not None else [p.label for p in master.periods]
    if "settings" in parts:
        _write_settings(store, master)
    if "indicators" in parts:
        _write_items(store, S_INDICATORS, master.indicators, INDICATOR_BASE, INDICATOR_BLOCK, labels)
    if "tasks" in parts:
        _write_items(store, S_TASKS, master.tasks, TASK_BASE, TASK_BLOCK, labels)
    if "units" in parts:
        _write_units(store, master.units)
    if "log" in parts:
        _write_log(store, master.log)


def _base_value(item, key: str) -> Any:
    v = getattr(item, key)
    if isinstance(v, list):
        return join_list(v)
    return v


def _write_items(store, sheet, items, base, block, labels):
    wanted = [t for _, t in base] + [label + suffix for label in labels for _, suffix in block]
    widths = {label + suffix: BLOCK_WIDTHS.get(key, 12) for label in labels for key, suffix in block}
    cols = _layout_columns(store, sheet, wanted, widths)
    text_cols = {cols[label + suffix] for label in labels for _, suffix in block}
    text_cols |= {cols[t] for k, t in base if k != "id"}
    records = {}
    for item in items:
        rec = {cols[t]: _base_value(item, k) for k, t in base}
        for label in labels:
            entry = item.periods.get(label) or PeriodEntry()
            for key, suffix in block:
                rec[cols[label + suffix]] = getattr(entry, key)
        records[item.id] = rec
    write_columns(store, sheet, cols["序号"], records, text_cols)


def _write_units(store, units: list[Unit]):
    cols = _layout_columns(store, S_UNITS, [t for _, t in UNIT_COLS])
    rows = store.read(S_UNITS)
    h = find_header(rows, "单位名称")
    existing = {}
    last = h + 1
    for r, row in enumerate(rows[h + 1:], start=h + 2):
        name = clean_text(_cell(row, cols["单位名称"] - 1))
        if name:
            existing.setdefault(name, r)
            last = r
    row_of: dict[int, dict[int, Any]] = {}
    for u in units:
        r = existing.get(u.name)
        if r is None:
            last += 1
            r = existing[u.name] = last
        values = {"name": u.name, "kind": u.kind, "aliases": join_list(u.aliases),
                  "members": join_list(u.members), "contact": u.contact, "email": u.email,
                  "phone": u.phone, "note": u.note}
        row_of[r] = {cols[title]: values[key] for key, title in UNIT_COLS}
    write_rows(store, S_UNITS, row_of, {cols[title] for _, title in UNIT_COLS})


def _write_settings(store, master: Master):
    rows = store.read(S_SETTINGS)
    at = {clean_text(_cell(row, 0)): r + 1 for r, row in enumerate(rows) if clean_text(_cell(row, 0))}
    if not rows:
        store.write(S_SETTINGS, 1, 1, [["项目", "值", "说明"]], wrap=False)
        store.style_header(S_SETTINGS, 1, 1, 3)
        at = {"项目": 1}
    master.settings["year"] = master.year
    last = max(at.values())
    for s in st.SETTINGS:
        r = at.get(s.label)
        if r is None:
            last += 1
            r = last
            store.write(S_SETTINGS, r, 1, [[s.label, None, s.help]], text_cols={0, 2})
        value = master.settings.get(s.key, s.default)
        store.write(S_SETTINGS, r, 2, [[value]], text_cols={0} if s.type is str else set())
    store.write(S_SETTINGS, 1, PERIOD_COL0, [PERIOD_COLS], wrap=False)
    store.style_header(S_SETTINGS, 1, PERIOD_COL0, PERIOD_COL0 + 2)
    block = [[p.label, _date(p.end), _date(p.deadline)] for p in master.periods]
    if block:
        store.write(S_SETTINGS, 2, PERIOD_COL0, block, text_cols={0})


def _date(d: date | None) -> str:
    return d.isoformat() if d else ""


def _write_log(store, log: list[LogRow]):
    if S_LOG not in store.sheet_names():
        store.ensure_sheet(S_LOG, SheetStyle(freeze="A2"))
    rows = store.read(S_LOG)
    if find_header(rows, "期次") < 0:
        store.write(S_LOG, 1, 1, [[t for _, t in LOG_COLS]], wrap=False)
        store.style_header(S_LOG, 1, 1, len(LOG_COLS))
    old = _read_table(rows, LOG_COLS, "期次")
    existing = len(old)
    if existing <= len(log):
        # Rows already there are rewritten from the first one that changed (collect marks
        # an earlier 采用 as 被新版本替代); the rest are appended.
        first = next((i for i, rec in enumerate(old)
                      if any(clean_text(getattr(log[i], k)) != rec[k] for k, _ in LOG_COLS)), existing)
        new = log[first:]
        start = 2 + first
    else:
        new, start = log, 2
    if not new:
        return
    block = [[getattr(rec, k) for k, _ in LOG_COLS] for rec in new]
    store.write(S_LOG, start, 1, block, text_cols=set(range(len(LOG_COLS))))


def now_text() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")

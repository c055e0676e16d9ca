"""Reading a published notice (text, .docx or .xlsx) into indicators and tasks.

Columns are found by their headers, never by position. The unit cells are split by
:mod:`duban.units`. Every judgement call becomes a flag on the task (shown in the
master's 导入提示 column and in the import summary).
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import NoticeError
from .model import Indicator, Task, Unit, clean_text, normalize_parens
from .units import Splitter, build_directory, separated

ID_HEADERS = ("序号", "编号")
TASK_HEADERS = ("工作任务", "重点工作", "任务内容", "目标任务", "重点任务", "具体任务")
CATEGORY_HEADERS = ("工作类别", "类别", "工作类别名称", "重点领域")
TARGET_HEADERS = ("预期目标", "目标", "指标", "主要指标")
LEAD_HEADERS = ("牵头单位", "主要责任单位", "牵头责任单位")
COOP_HEADERS = ("配合单位", "协同配合单位", "协办单位", "配合责任单位")
RESP_HEADERS = ("责任单位",)
LEADER_HEADERS = ("责任领导", "分管领导", "牵头领导", "责任区领导")
DEADLINE_HEADERS = ("完成时限", "时间节点", "完成时间", "时限要求")

# Words that open a task sentence, never a unit name.
TASK_VERBS = (
    "建", "推", "打造", "加快", "加强", "引进", "引育", "新建", "新增", "完成", "实施", "开展", "深化", "提升",
    "提高", "全面", "积极", "持续", "强化", "落实", "培育", "创建", "启动", "实现", "支持", "办好", "大力",
    "高", "常态", "坚持", "严守", "不折不扣", "依法", "自觉", "认真", "聚焦", "树立", "规范", "美化", "整体",
    "串联", "栽种", "农", "增设", "落户", "梳理", "巩固", "防范", "破除", "禁止", "严格", "确保", "拆除",
    "改造", "扎实", "筑牢", "激发", "优化", "夯实", "壮大", "重构", "联动", "做", "促进", "健全", "构建",
)


def _match_header(text: str, names: tuple[str, ...]) -> bool:
    t = re.sub(r"\s+", "", text)
    t = re.sub(r"^\d{4}年", "", t)
    return any(t == n or t.endswith(n) for n in names)


@dataclass
class Notice:
    indicators: list[Indicator] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    title: str = ""
    year: int | None = None
    problems: list[str] = field(default_factory=list)  # flags, for the summary
    alias_hints: dict[str, str] = field(default_factory=dict)  # odd name → its unit

    def unit_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for i in self.indicators:
            for u in i.units:
                seen.setdefault(u)
        for t in self.tasks:
            for u in t.lead + t.coop:
                seen.setdefault(u)
        return list(seen)


# ---------------------------------------------------------------------------
# raw tables from each input form
# ---------------------------------------------------------------------------

@dataclass
class RawTable:
    """Header cells and rows of cells (strings); ``where`` names the place for messages."""

    header: list[str]
    rows: list[list[str]]
    where: str
    row_where: list[str] = field(default_factory=list)


def read_notice(path: Path, *, directory: list[Unit] | None = None, single_column_lead_first: bool = True) -> Notice:
    path = Path(path)
    if not path.exists():
        raise NoticeError(f"找不到通知文件：{path}")
    if path.stat().st_size == 0:
        raise NoticeError(f"通知文件 {path.name} 是空文件")
    suffix = path.suffix.lower()
    if suffix == ".docx":
        text_title, tables = _docx_tables(path)
        kind = "docx"
    elif suffix in (".xlsx", ".xlsm"):
        text_title, tables = _xlsx_tables(path)
        kind = "xlsx"
    else:
        text = _read_text(path)
        return _parse_text(text, path.name, directory, single_column_lead_first)
    return _from_tables(tables, path.name, text_title, directory, single_column_lead_first, kind)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:4096] or data[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF"):
        raise NoticeError(
            f"{path.name} 不是文本文件（像是二进制/压缩文件）。请提供网页文字另存的 .txt，或 .docx / .xlsx 格式的通知")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise NoticeError(f"{path.name} 的文字编码无法识别（既不是 UTF-8 也不是 GBK）")


def _docx_tables(path: Path) -> tuple[str, list[RawTable]]:
    import docx

    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError) as exc:
        raise NoticeError(f"{path.name} 不是有效的 Word 文档（{type(exc).__name__}）") from exc
    title = next((p.text.strip() for p in doc.paragraphs if p.text.strip()), "")
    tables = []
    for ti, table in enumerate(doc.tables, start=1):
        grid = []
        for row in table.rows:
            cells, prev = [], None
            for cell in row.cells:
                # a horizontally merged cell comes back once per grid column
                text = "" if cell._tc is prev else cell.text
                prev = cell._tc
                cells.append(text)
            grid.append(cells)
        if grid:
            tables.append(RawTable(grid[0], grid[1:], f"第{ti}个表格",
                                   [f"第{ti}个表格第{r}行" for r in range(2, len(grid) + 1)]))
    return title, tables


def _xlsx_tables(path: Path) -> tuple[str, list[RawTable]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:
        raise NoticeError(f"{path.name} 不是有效的 Excel 工作簿（{type(exc).__name__}）") from exc
    tables: list[RawTable] = []
    title = ""
    for ws in wb.worksheets:
        values = [[clean_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        # fill merged ranges: vertically merged category cells repeat; horizontally merged
        # header cells are left empty after their first column.
        for rng in ws.merged_cells.ranges:
            v = values[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(values) else ""
            for r in range(rng.min_row, rng.max_row + 1):
                if r - 1 < len(values) and rng.max_col == rng.min_col:
                    values[r - 1][rng.min_col - 1] = v
        start = None
        for r, row in enumerate(values):
            if not title:
                title = next((c for c in row if c), "")
            if any(c in ID_HEADERS for c in row):
                if start is not None:
                    tables.append(_cut_xlsx(values, start, r, ws.title))
                start = r
        if start is not None:
            tables.append(_cut_xlsx(values, start, len(values), ws.title))
    return title, tables


def _cut_xlsx(values, start, end, sheet) -> RawTable:
    header = values[start]
    rows, where = [], []
    for r in range(start + 1, end):
        if any(values[r]):
            rows.append(values[r])
            where.append(f"工作表“{sheet}”第{r + 1}行")
    return RawTable(header, rows, f"工作表“{sheet}”第{start + 1}行起的表格", where)


# ---------------------------------------------------------------------------
# structured tables (.docx / .xlsx)
# ---------------------------------------------------------------------------

def _find_col(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, h in enumerate(header):
        if h and _match_header(h, names):
            return i
    return None


def _from_tables(tables, name, title, directory, lead_first, kind) -> Notice:
    notice = Notice(title=title, year=_year_of(title))
    splitter = _splitter(directory)
    ind_rows, task_rows = [], []
    for table in tables:
        header = [clean_text(h) for h in table.header]
        id_col = _find_col(header, ID_HEADERS)
        if id_col is None:
            continue
        task_col = _find_col(header, TASK_HEADERS)
        lead_col = _find_col(header, LEAD_HEADERS)
        resp_col = _find_col(header, RESP_HEADERS)
        if task_col is not None and (lead_col is not None or resp_col is not None):
            task_rows.append((table, header, id_col, task_col, lead_col, resp_col))
        elif _find_col(header, TARGET_HEADERS) is not None and resp_col is not None:
            ind_rows.append((table, header, id_col))
    if not task_rows and not ind_rows:
        raise NoticeError(
            f"{name} 中没有找到任务分解表：需要一张表头含“序号”“工作任务（或重点工作/任务内容）”“牵头单位（或责任单位）”的表格")
    for table, header, id_col in ind_rows:
        tcol = _find_col(header, TARGET_HEADERS)
        ucol = _find_col(header, RESP_HEADERS)
        for r, row in enumerate(table.rows):
            iid = _row_id(row, id_col, table, r, name)
            if iid is None:
                continue
            target = clean_text(_get(row, tcol))
            if not target:
                raise NoticeError(f"{name} {table.row_where[r]}：序号 {iid} 的预期目标为空")
            notice.indicators.append(Indicator(iid, normalize_parens(target), units=[_get(row, ucol)]))
    category = ""
    for table, header, id_col, task_col, lead_col, resp_col in task_rows:
        cat_col = _find_col(header, CATEGORY_HEADERS)
        if cat_col is None and task_col + 1 < len(header) and header[task_col + 1] in ("", header[task_col]):
            # "工作任务" spans two columns: category then task
            cat_col, task_col = task_col, task_col + 1
        coop_col = _find_col(header, COOP_HEADERS)
        leader_col = _find_col(header, LEADER_HEADERS)
        deadline_col = _find_col(header, DEADLINE_HEADERS)
        for r, row in enumerate(table.rows):
            tid = _row_id(row, id_col, table, r, name)
            if tid is None:
                continue
            if cat_col is not None and clean_text(_get(row, cat_col)):
                category = clean_text(_get(row, cat_col))
            text = clean_text(_get(row, task_col))
            if not text:
                raise NoticeError(f"{name} {table.row_where[r]}：序号 {tid} 的工作任务为空")
            task = Task(tid, normalize_parens(category), normalize_parens(text.replace("\n", "")))
            task.leader = clean_text(_get(row, leader_col))
            task.deadline = clean_text(_get(row, deadline_col))
            if lead_col is not None:
                task.lead = [_get(row, lead_col)]
                task.coop = [_get(row, coop_col)] if coop_col is not None else []
            else:
                task.lead = [_get(row, resp_col)]
                task.flags.append("__single_column__")
            notice.tasks.append(task)
    _split_all(notice, splitter, lead_first)
    _check(notice, name)
    return notice


def _get(row, col):
    if col is None or col >= len(row):
        return ""
    return clean_text(row[col])


def _row_id(row, id_col, table, r, name):
    raw = _get(row, id_col)
    if not raw:
        if any(clean_text(c) for c in row):
            raise NoticeError(f"{name} {table.row_where[r]}：缺少序号（该行有内容但序号为空）")
        return None
    if not raw.isdigit():
        raise NoticeError(f"{name} {table.row_where[r]}：序号“{raw}”不是数字")
    return int(raw)


def _year_of(text: str) -> int | None:
    m = re.search(r"(20\d\d)年", text or "")
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------
# the text form
# ---------------------------------------------------------------------------

EMPTY = object()


def _cells(text: str) -> list[object]:
    """Non-empty lines, with EMPTY where a run of blank lines marks an empty cell."""
    out: list[object] = []
    blanks = 0
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip().replace("\u3000", "").strip()
        if not line:
            blanks += 1
            continue
        if out and blanks >= 2:
            out.extend([EMPTY] * (blanks - 1))
        out.append(line)
        blanks = 0
    return out


def _parse_text(text: str, name: str, directory, lead_first) -> Notice:
    cells = _cells(text)
    if not any(isinstance(c, str) for c in cells):
        raise NoticeError(f"{name} 中没有文字内容")
    title = next((c for c in cells if isinstance(c, str)), "")
    notice = Notice(title=title, year=_year_of(title))
    splitter = _splitter(directory)
    # locate tables: a "序号" cell followed by header cells
    starts = [i for i, c in enumerate(cells) if c in ID_HEADERS]
    if not starts:
        raise NoticeError(f"{name} 中没有找到表格：需要表头“序号”，其后是“预期目标/工作任务”“牵头单位/责任单位”等列")
    found_any = False
    for n, s in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(cells)
        header = []
        i = s + 1
        while i < end and isinstance(cells[i], str) and not cells[i].isdigit() and len(header) < 8:
            header.append(cells[i])
            i += 1
        body = cells[i:end]
        # stop at the next 附件 heading
        for k, c in enumerate(body):
            if isinstance(c, str) and re.fullmatch(r"附件\s*\d*", c):
                body = body[:k]
                break
        if any(_match_header(h, TASK_HEADERS) for h in header):
            _text_tasks(notice, header, body, name, splitter)
            found_any = True
        elif any(_match_header(h, TARGET_HEADERS) for h in header) and any(_match_header(h, RESP_HEADERS) for h in header):
            _text_indicators(notice, header, body, name)
            found_any = True
    if not found_any:
        raise NoticeError(f"{name} 中没有找到任务分解表：表头需含“工作任务（或重点工作/任务内容）”或“预期目标”及“责任单位”")
    _split_all(notice, splitter, lead_first)
    _check(notice, name)
    return notice


def _rows_by_id(body: list[object], name: str, what: str) -> list[tuple[int, list[object]]]:
    rows: list[tuple[int, list[object]]] = []
    expect = 1
    for c in body:
        if isinstance(c, str) and c == str(expect):
            rows.append((expect, []))
            expect += 1
        elif rows:
            rows[-1][1].append(c)
        elif isinstance(c, str):
            raise NoticeError(f"{name} {what}表头之后应从序号 1 开始，却遇到“{c[:20]}”")
    return rows


def _text_indicators(notice: Notice, header: list[str], body, name: str) -> None:
    for iid, cells in _rows_by_id(body, name, "预期目标表"):
        texts = [c for c in cells if isinstance(c, str)]
        if len(texts) < 2:
            raise NoticeError(f"{name} 预期目标表第 {iid} 行不完整：应有“预期目标”和“责任单位”两格，只找到 {len(texts)} 格（表格可能被截断）")
        notice.indicators.append(Indicator(iid, normalize_parens(texts[0]), units=["".join(texts[1:])]))


def _text_tasks(notice: Notice, header: list[str], body, name: str, sp: Splitter) -> None:
    has_coop = any(_match_header(h, COOP_HEADERS) for h in header)
    lead_hdr = any(_match_header(h, LEAD_HEADERS) for h in header)
    category = ""
    rows = _rows_by_id(body, name, "重点任务表")
    if not rows:
        raise NoticeError(f"{name} 重点任务表没有任何任务行")
    for tid, cells in rows:
        cells = [c for c in cells]
        lines = _merge_continuations([c for c in cells if isinstance(c, str)])
        empty_coop = EMPTY in cells  # the text marks an empty cell by an extra blank line
        if not lines:
            raise NoticeError(f"{name} 重点任务表第 {tid} 行是空的（表格可能被截断）")
        k = _unit_region(lines, sp)
        text_lines, unit_lines = lines[:k], lines[k:]
        flags = []
        if len(text_lines) >= 2 and _looks_like_category(text_lines[0]):
            category = text_lines[0]
            task_text = "".join(text_lines[1:])
            if len(text_lines) > 2:
                flags.append("工作任务文字跨多行，已合并为一段")
        else:
            task_text = "".join(text_lines)
            if len(text_lines) > 1:
                flags.append("工作任务文字跨多行，已合并为一段；如首行是工作类别请人工更正")
        if not unit_lines:
            raise NoticeError(f"{name} 重点任务表第 {tid} 行缺少牵头单位（表格可能被截断，或该格为空）")
        task = Task(tid, normalize_parens(category), normalize_parens(task_text))
        if not lead_hdr:
            task.lead = ["".join(unit_lines)]
            task.flags.append("__single_column__")
        elif len(unit_lines) == 1:
            task.lead = [unit_lines[0]]
            if has_coop and not empty_coop:
                flags.append("只找到一格单位：已作为牵头单位，配合单位为空，请核对")
        elif len(unit_lines) == 2 or not has_coop:
            task.lead = [unit_lines[0]]
            task.coop = ["".join(unit_lines[1:])] if has_coop else []
        else:
            task.lead = [unit_lines[0]]
            task.coop = ["".join(unit_lines[1:])]
            flags.append(
                "牵头单位与配合单位的分界无法从文本确定（单位跨多行）：已按第一行“"
                + normalize_parens(unit_lines[0]) + "”为牵头单位，请核对")
        task.flags.extend(flags)
        notice.tasks.append(task)


UNIT_STARTS = ("区", "各", "市", "重庆", "沙坪坝")


def _merge_continuations(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and normalize_parens(line).startswith("（"):
            out[-1] += line
        else:
            out.append(line)
    return out


def _looks_like_category(line: str) -> bool:
    return len(line) <= 16 and not re.search(r"[，,。；;、：:“”\d]", line)


def _unit_like(line: str, sp: Splitter) -> bool:
    if re.search(r"[。：:“”%]", line):
        return False
    if line.startswith(TASK_VERBS) and not line.startswith(("区", "各")):
        return False
    items = [c for c, _ in separated(normalize_parens(line))]
    if len(items) > 1:
        # "区人力社保局、区文化旅游委": a list of units only when every item is one
        # (task text lists things with 、，； too: "建设学校、医院")
        return all(item and (item in sp.known or item.startswith(UNIT_STARTS)) and sp.split(item).unknown == 0
                   for item in items)
    return sp.split(line).unknown == 0


def _unit_region(lines: list[str], sp: Splitter) -> int:
    """Index of the first unit line: units fill the row's end, the task comes before."""
    k = len(lines)
    while k > 1:
        line = lines[k - 1]
        if _unit_like(line, sp):
            k -= 1
        elif k < len(lines) and _unit_like(line + lines[k], sp) and not re.search(r"[，,。；;]", line):
            # a unit name broken over two lines (生活垃圾分类工作 / 领导小组成员单位)
            lines[k - 1:k + 1] = [line + lines[k]]
            k -= 1
        else:
            break
    return k


# ---------------------------------------------------------------------------
# splitting units
# ---------------------------------------------------------------------------

def _splitter(directory: list[Unit] | None) -> Splitter:
    return Splitter.from_units(directory or [])


def _split_all(notice: Notice, sp: Splitter, lead_first: bool) -> None:
    cells = [u for i in notice.indicators for u in i.units] + [u for t in notice.tasks for u in t.lead + t.coop]
    # learn: names that read cleanly anywhere are known everywhere
    for cell in cells:
        res = sp.split(cell)
        if res.confident and all(sp.is_plain(n) for n in res.names):
            for n in res.names:
                sp.add(n)
    for ind in notice.indicators:
        res = sp.split("".join(ind.units))
        notice.alias_hints.update(res.aliases)
        ind.units = res.names
        ind.flags.extend(res.flags)
    for t in notice.tasks:
        single = "__single_column__" in t.flags
        if single:
            t.flags.remove("__single_column__")
        lead = sp.split("".join(t.lead))
        coop = sp.split("".join(t.coop))
        notice.alias_hints.update(lead.aliases)
        notice.alias_hints.update(coop.aliases)
        t.lead, t.coop = lead.names, coop.names
        t.flags.extend(lead.flags + coop.flags)
        if single and lead_first and len(t.lead) > 1:
            t.lead, t.coop = t.lead[:1], t.lead[1:]


def _check(notice: Notice, name: str) -> None:
    if not notice.tasks and not notice.indicators:
        raise NoticeError(f"{name} 中没有读到任何任务或指标")
    for items, what in ((notice.indicators, "预期目标"), (notice.tasks, "重点任务")):
        ids = [i.id for i in items]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise NoticeError(f"{name} {what}表中序号重复：{dup}")
    for t in notice.tasks:
        for f in t.flags:
            notice.problems.append(f"任务{t.id}：{f}")
    for i in notice.indicators:
        for f in i.flags:
            notice.problems.append(f"指标{i.id}：{f}")


def directory_for(notice: Notice, existing: list[Unit] | None = None) -> list[Unit]:
    return build_directory(notice.unit_names(), existing, notice.alias_hints)

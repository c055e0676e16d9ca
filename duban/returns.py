"""One returned feedback workbook → a :class:`Return` (what the unit wrote, by 序号).

The layout is the contract in :mod:`duban.feedback_format`. Workbooks are read with
python-calamine (Rust: fast, never runs macros, never expands XML entities); before
that, the bytes are checked: empty, truncated, encrypted (OLE ``EncryptedPackage``),
a zip bomb inside the .xlsx, macros present. Rows are found by 序号 and columns by
their header text, so inserted or deleted blank rows, reordered rows, extra columns,
merged cells and widths do not matter; text outside the known columns is never
guessed into them.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from . import feedback_format as ff
from .intake import Input, Problem, check_zip, read_member
from .model import clean_text, normalize_parens
from .store import EXCEL_CELL_LIMIT, XML_ILLEGAL_RE, clip_utf16, utf16_len

MAX_WORKBOOK_UNCOMPRESSED = 100 * 1024 * 1024
DEFLATE_MAX_RATIO = 1032  # the most one deflated byte can expand to
HEADER_SCAN_ROWS = 12
FORMULA_START = ("=", "+", "-", "@")
# What XML 1.0 forbids (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF), and DEL.
CONTROL_RE = re.compile(XML_ILLEGAL_RE.pattern[:-1] + "\x7f]")
ID_RE = re.compile(r"[0-9]{1,9}")  # ASCII digits only (after NFKC), at most 9 of them
MAX_IDS = 100_000  # ids one metadata list may name (a city-scale master has ~10,000 tasks)
MAX_SHEET_CELLS = 5_000_000  # rows × columns a returned sheet may span (10,000 tasks × 12 ≈ 120,000)
MAX_SHEETS = 50
MAX_RETURN_TEXT = 10_000_000  # characters one return may bring into the master (all its cells together)
SPACE_RE = re.compile(r"\s+")

TASK_TITLES = {title: key for title, key in ff.TASK_COLUMNS + ff.NOTICE_COLUMNS}
INDICATOR_TITLES = {title: key for title, key in ff.INDICATOR_COLUMNS}


@dataclass
class Row:
    """One filled row of a return."""

    id: int
    row: int  # 1-based row in the sheet
    text: str  # the 工作任务 / 预期目标 cell as returned ('' when the column is absent)
    values: dict[str, str]  # progress / amount / problems / self_eval → text
    role: str = ""


@dataclass
class Return:
    input: Input
    unit: str = ""  # as written (canonicalised by collect)
    unit_how: str = ""  # 元数据 / 文件名 / 工作表
    period: str = ""
    year: str = ""
    signature: str = ""  # 已验证 / 无签名 / 不匹配
    meta: dict = field(default_factory=dict)
    task_ids: list[int] | None = None  # what the signed metadata says this unit was sent
    indicator_ids: list[int] | None = None
    tasks: dict[int, Row] = field(default_factory=dict)
    indicators: dict[int, Row] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    has_meta: bool = False

    @property
    def refused(self) -> bool:
        return any(p.fatal for p in self.problems) or self.input.refused

    @property
    def all_problems(self) -> list[Problem]:
        return self.input.problems + self.problems

    def add(self, code: str, message: str) -> None:
        self.problems.append(Problem(code, message))


# ---------------------------------------------------------------------------
# cell text
# ---------------------------------------------------------------------------

def cell_text(value: Any) -> str:
    """A cell as the text duban stores ('' for empty)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


def sanitize(text: str, where: str, ret: Return) -> str:
    """Make untrusted text safe to store: no control characters, Excel's length limit.

    Text that looks like a formula is kept as text (the store forces text cells) and
    reported, so staff know why a cell starts with '='.
    """
    if CONTROL_RE.search(text):
        found = sorted({f"U+{ord(ch):04X}" for ch in CONTROL_RE.findall(text)})
        text = CONTROL_RE.sub("", text)
        ret.add("control_chars", f"{where} 含有不可见的控制字符或 XML 不允许的字符（{'、'.join(found[:5])}"
                                 f"{'等' if len(found) > 5 else ''}），已删除")
    size = utf16_len(text)
    if size > EXCEL_CELL_LIMIT:
        ret.add("too_long", f"{where} 有 {size} 个字符（按 Excel 的计法，生僻字算两个），超过 Excel 单元格上限 "
                            f"{EXCEL_CELL_LIMIT}，已截断（全文见归档）；请单位精简后重新报送")
        text = clip_utf16(text, EXCEL_CELL_LIMIT)
    if text.startswith(FORMULA_START) and not re.match(r"^[-+]?\d", text):
        ret.add("formula_text", f"{where} 以“{text[0]}”开头（{_clip(text)}），已按文本保存，不会作为公式计算")
    return text


def _clip(text: str, n: int = 20) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[:n] + "…"


def norm_task_text(text: str) -> str:
    """Task text for comparison: parentheses unified, whitespace and end punctuation ignored."""
    return SPACE_RE.sub("", normalize_parens(text)).rstrip("。；;，,")


def norm_header(value: Any) -> str:
    return SPACE_RE.sub("", clean_text(value))


def int_id(value: Any) -> int | None:
    """A 序号: a positive whole number, or text of ASCII digits after NFKC ("１２" → 12); else None.

    ``str.isdigit`` is not enough: "①", "⑴" and "²" are digits to it and ``int()`` refuses them.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return int(value) if float(value).is_integer() and 0 < value < 10**9 else None
        except (OverflowError, ValueError):
            return None
    t = unicodedata.normalize("NFKC", clean_text(value)).strip()
    if t.endswith(".0"):
        t = t[:-2]
    return int(t) if ID_RE.fullmatch(t) and int(t) > 0 else None


# ---------------------------------------------------------------------------
# the file
# ---------------------------------------------------------------------------

def check_bytes(inp: Input) -> tuple[Problem | None, list[Problem], str]:
    """Refusal (or None), warnings, and the format ('xlsx' / 'xls') of a workbook's bytes."""
    data, where = inp.data, inp.origin
    if not data:
        return Problem("empty_file", f"{where} 是空文件（0 字节），请让单位重新发送"), [], ""
    head = data[:8]
    warnings: list[Problem] = []
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _check_ole(data, where)
    if head[:2] != b"PK":
        hint = "（看起来是网页或文本文件，可能是把表格另存成了其他格式）" if data.lstrip()[:1] in (b"<", b"{") else ""
        return Problem("not_workbook", f"{where} 不是 Excel 工作簿{hint}；请用 Excel 打开后另存为 .xlsx 再发送"), [], ""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return Problem("corrupt", f"{where} 已损坏或不完整（可能传输中断），请让单位重新发送"), [], ""
    with zf:
        bomb = check_zip(zf, where, member_limit=MAX_WORKBOOK_UNCOMPRESSED, total_limit=MAX_WORKBOOK_UNCOMPRESSED)
        if bomb:
            return bomb, [], ""
        names = {i.filename for i in zf.infolist()}
        if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
            return Problem("not_workbook", f"{where} 是压缩文件但不是 Excel 工作簿（缺少 xl/workbook.xml），"
                                           "请提供 .xlsx 反馈表"), [], ""
        # Deflate expands at most ~1032:1, so a small file cannot hold a bomb whatever its
        # headers claim. Otherwise expand every member with a cap: a lying header cannot
        # blow up the reader, and a damaged member (bad CRC) is caught here.
        infos = zf.infolist()
        small = len(data) * DEFLATE_MAX_RATIO <= MAX_WORKBOOK_UNCOMPRESSED and all(
            i.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for i in infos)
        budget = MAX_WORKBOOK_UNCOMPRESSED
        for info in ([] if small else infos):
            try:
                budget -= len(read_member(zf, info, budget))
            except OverflowError:
                return Problem("zip_bomb", f"{where} 解压后超过 {MAX_WORKBOOK_UNCOMPRESSED // 1024 // 1024} MB，"
                                           "疑似压缩炸弹，未读取"), [], ""
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
                return Problem("corrupt", f"{where} 已损坏（{info.filename} 无法解压），请让单位重新发送"), [], ""
        too_big = _oversized_sheet(zf, infos)
        if too_big:
            return Problem("too_large", f"{where} 的工作表{too_big}，超过 {MAX_SHEET_CELLS:,} 个单元格的上限，未读取"
                                        "（通常是远处的某个单元格误填了内容）；请单位删除多余内容后重新发送"), [], ""
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            warnings.append(Problem("macro", f"{where} 含有宏代码；duban 只读取单元格的值，宏没有运行。"
                                             "请提醒单位使用下发的 .xlsx 反馈表"))
    return None, warnings, "xlsx"


_CELL_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)\b([^>]*?)(/?)>")
_R_ATTR_RE = re.compile(rb'\br\s*=\s*["\']([A-Za-z]{0,3})([0-9]{1,9})["\']')


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def sheet_extent(xml: bytes) -> tuple[int, int]:
    """(rows, columns) a worksheet's cells span, found the way a reader places them.

    python-calamine allocates the whole rectangle from A1 to the farthest cell, so one
    value in XFD1048576 of a 5 KB file would ask for hundreds of gigabytes and abort the
    process: the extent is measured from the XML before calamine sees it.
    """
    max_r = max_c = 0
    row = col = 0
    for m in _CELL_TAG_RE.finditer(xml):
        kind, attrs = m.group(1), m.group(2)
        ref = _R_ATTR_RE.search(attrs)
        if kind == b"row":
            row = int(ref.group(2)) if ref and not ref.group(1) else row + 1
            col = 0
            continue
        r = row
        if ref and ref.group(1):
            col, r = _col_number(ref.group(1)), int(ref.group(2))
        else:
            col += 1
        if m.group(3) != b"/":  # an empty <c …/> (or <row …/>) holds no value: a style only
            max_c, max_r = max(max_c, col), max(max_r, r)
    return max_r, max_c


def _oversized_sheet(zf: zipfile.ZipFile, infos) -> str:
    """'' or a description of the first worksheet spanning more than MAX_SHEET_CELLS cells."""
    sheets = [i for i in infos if i.filename.lower().startswith("xl/worksheets/") and i.filename.lower().endswith(".xml")]
    if len(sheets) > MAX_SHEETS:
        return f"有 {len(sheets)} 张（上限 {MAX_SHEETS} 张）"
    for info in sheets:
        try:
            rows, cols = sheet_extent(read_member(zf, info, MAX_WORKBOOK_UNCOMPRESSED))
        except Exception:
            continue  # a broken member is the reader's to report
        if rows * max(cols, 1) > MAX_SHEET_CELLS:
            return f"（{info.filename.rsplit('/', 1)[-1]}）范围达 {rows:,} 行 × {cols:,} 列"
    return ""


def _check_ole(data: bytes, where: str) -> tuple[Problem | None, list[Problem], str]:
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:
        return Problem("corrupt", f"{where} 已损坏或不完整，请让单位重新发送"), [], ""
    with ole:
        if ole.exists("EncryptedPackage") or ole.exists("EncryptionInfo"):
            return Problem("encrypted", f"{where} 设置了打开密码（已加密），无法读取；"
                                        "请单位取消密码（文件→信息→保护工作簿→用密码进行加密→清空）后重新发送"), [], ""
        stream = "Workbook" if ole.exists("Workbook") else "Book" if ole.exists("Book") else ""
        if not stream:
            return Problem("not_workbook", f"{where} 不是 Excel 工作簿（可能是 Word 或其他 Office 文件），"
                                           "请提供 .xlsx 反馈表"), [], ""
        try:
            book = ole.openstream(stream).read()
        except Exception:
            return Problem("corrupt", f"{where} 已损坏，请让单位重新发送"), [], ""
    head = book[:4096]
    rows, cols = biff_extent(book)
    if rows * max(cols, 1) > MAX_SHEET_CELLS:
        return Problem("too_large", f"{where} 的工作表范围达 {rows:,} 行 × {cols:,} 列，超过 {MAX_SHEET_CELLS:,} 个单元格的上限，"
                                    "未读取（通常是远处的某个单元格误填了内容）；请单位删除多余内容后另存为 .xlsx 重新发送"), [], ""
    if _xls_filepass(head):
        return Problem("encrypted", f"{where} 设置了打开密码（已加密），无法读取；请单位取消密码后另存为 .xlsx 重新发送"), [], ""
    warn = [Problem("old_xls", f"{where} 是旧版 .xls 格式，已读取；请提醒单位使用下发的 .xlsx 反馈表")]
    if ole_has_macros(data):
        warn.append(Problem("macro", f"{where} 含有宏代码；duban 只读取单元格的值，宏没有运行"))
    return None, warn, "xls"


def ole_has_macros(data: bytes) -> bool:
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return any(e and e[0] in ("_VBA_PROJECT_CUR", "Macros") for e in ole.listdir(storages=True))
    except Exception:
        return False


# BIFF8 records holding a cell value: row (2 bytes) and column (2 bytes) first.
_BIFF_CELLS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x00D6}
_BIFF_MULRK = 0x00BD


def biff_extent(book: bytes) -> tuple[int, int]:
    """(rows, columns) the largest sheet of a BIFF8 workbook stream spans (see :func:`sheet_extent`)."""
    import struct

    pos, end = 0, len(book)
    best = (0, 0)
    best_r = best_c = 0
    while pos + 4 <= end:
        rid, size = struct.unpack_from("<HH", book, pos)
        data_at = pos + 4
        pos = data_at + size
        if rid == 0x0809:  # BOF: the next sheet's substream
            if best_r * best_c > best[0] * best[1]:
                best = (best_r, best_c)
            best_r = best_c = 0
        if size < 4 or pos > end:
            continue
        if rid in _BIFF_CELLS:
            r, c = struct.unpack_from("<HH", book, data_at)
        elif rid == _BIFF_MULRK and size >= 6:
            r = struct.unpack_from("<H", book, data_at)[0]
            c = struct.unpack_from("<H", book, pos - 2)[0]
        else:
            continue
        best_r, best_c = max(best_r, r + 1), max(best_c, c + 1)
    return max(best, (best_r, best_c), key=lambda x: x[0] * x[1])


def _xls_filepass(head: bytes) -> bool:
    """BIFF8: a FILEPASS record (0x002F) right after BOF in the globals means encryption."""
    pos = 0
    for _ in range(64):
        if pos + 4 > len(head):
            return False
        rid, size = int.from_bytes(head[pos:pos + 2], "little"), int.from_bytes(head[pos + 2:pos + 4], "little")
        if rid == 0x002F:
            return True
        if rid == 0x0A and pos:  # EOF of the globals substream
            return False
        pos += 4 + size
    return False


def read_sheets(data: bytes) -> tuple[list[str], list[str], dict[str, tuple[list[list[Any]], list]]]:
    """(all sheet names, visible names, {name: (rows, merged ranges)}) via python-calamine."""
    import python_calamine as pc

    wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    names = list(wb.sheet_names)
    visible = [m.name for m in wb.sheets_metadata if str(m.visible).endswith("Visible") and "Hidden" not in str(m.visible)]
    wanted = [n for n in names if n in (ff.TASK_SHEET, ff.INDICATOR_SHEET, ff.META_SHEET)]
    if ff.TASK_SHEET not in wanted:  # renamed or rebuilt: look at every sheet for a 序号 table
        wanted = []
    sheets = {}
    for n in (wanted or names[:MAX_SHEETS]):
        sh = wb.get_sheet_by_name(n)
        rows = sh.to_python(skip_empty_area=False)
        try:
            merged = list(sh.merged_cell_ranges or [])
        except Exception:
            merged = []
        sheets[n] = (rows, merged)
    if not wanted:  # a rebuilt workbook: look at every sheet for a 序号 table
        return names, visible, sheets
    return names, visible, sheets


def parse_return(inp: Input, *, secret: str, unit_names: list[str] | None = None) -> Return:
    """Read one workbook input. Never raises: whatever goes wrong is a problem of this input only."""
    try:
        return _parse_return(inp, secret=secret, unit_names=unit_names)
    except (Exception, RecursionError) as exc:  # MemoryError, a reader's bug …: this file only
        ret = Return(inp)
        ret.add("read_error", f"{inp.origin} 读取时出错（{type(exc).__name__}：{_clip(str(exc), 60)}），已退回，"
                              "其他文件照常汇总；请让单位用 Excel 重新保存后发送")
        return ret


def _parse_return(inp: Input, *, secret: str, unit_names: list[str] | None = None) -> Return:
    ret = Return(inp)
    if inp.refused:
        return ret
    refusal, warnings, fmt = check_bytes(inp)
    ret.problems.extend(warnings)
    if refusal:
        ret.problems.append(refusal)
        return ret
    try:
        names, visible, sheets = read_sheets(inp.data)
    except Exception as exc:
        text = str(exc)
        if "password" in text.lower() or "encrypt" in text.lower():
            ret.add("encrypted", f"{inp.origin} 设置了密码（已加密），无法读取；请单位取消密码后重新发送")
        elif "entity" in text.lower() or "doctype" in text.lower():
            ret.add("corrupt", f"{inp.origin} 的表格 XML 含有实体定义（Excel 从不这样写，可能是恶意构造的文件），"
                               "未展开、未读取；请让单位用 Excel 重新保存后发送")
        else:
            ret.add("corrupt", f"{inp.origin} 无法读取（{_clip(text, 60)}），文件可能已损坏，请让单位重新发送")
        return ret
    _read_meta(ret, sheets, secret)
    task_sheet = _pick_sheet(sheets, ff.TASK_SHEET, ff.ID_HEADER, ff.PROGRESS_HEADER)
    ind_sheet = ff.INDICATOR_SHEET if ff.INDICATOR_SHEET in sheets and _header_index(sheets[ff.INDICATOR_SHEET][0]) >= 0 else None
    if ind_sheet is None and ff.INDICATOR_SHEET not in sheets:
        ind_sheet = next((n for n in sheets if n != task_sheet and _looks_like(sheets[n][0]) == "indicator"), None)
    for found, wanted in ((task_sheet, ff.TASK_SHEET), (ind_sheet, ff.INDICATOR_SHEET)):
        if found and found != wanted and ret.has_meta:
            ret.add("renamed_sheet", f"{inp.origin} 的“{wanted}”工作表被改名为“{found}”，已按表头读取；"
                                     "请提醒单位不要修改工作表名称")
    if task_sheet is None and ind_sheet is None:
        ret.add("no_task_sheet", f"{inp.origin} 中找不到“{ff.TASK_SHEET}”工作表（或带“{ff.ID_HEADER}”“{ff.PROGRESS_HEADER}”表头的表格）；"
                                 "请使用下发的反馈表填写")
        return ret
    if task_sheet:
        rows, merged = sheets[task_sheet]
        ret.tasks = _read_rows(ret, task_sheet, rows, merged, TASK_TITLES, ff.INPUT_TASK_KEYS + (ff.RECTIFY_KEY,),
                               "task")
    if ind_sheet and not ret.refused:
        rows, merged = sheets[ind_sheet]
        ret.indicators = _read_rows(ret, ind_sheet, rows, merged, INDICATOR_TITLES, ff.INPUT_INDICATOR_KEYS, "target")
    total = sum(len(v) for rows in (ret.tasks, ret.indicators) for row in rows.values() for v in row.values.values())
    if total > MAX_RETURN_TEXT:
        ret.add("too_large", f"{inp.origin} 填写的文字共 {total:,} 字，超过每份反馈 {MAX_RETURN_TEXT:,} 字的上限，未采用；"
                             "请单位精简后重新报送")
    if not ret.has_meta:
        _identify_without_meta(ret, names, sheets, unit_names or [])
    return ret


def _read_meta(ret: Return, sheets, secret: str) -> None:
    if ff.META_SHEET not in sheets:
        return
    rows, _ = sheets[ff.META_SHEET]
    meta = {}
    for row in rows:
        if row and clean_text(row[0]) in ff.META_KEYS:
            meta[clean_text(row[0])] = cell_text(row[1]) if len(row) > 1 else ""
    if not meta.get("单位") and not meta.get("签名"):
        return  # an empty leftover sheet: treat as no metadata
    ret.has_meta = True
    ret.meta = meta
    ret.unit, ret.unit_how = meta.get("单位", ""), "元数据"
    ret.period, ret.year = meta.get("期次", ""), meta.get("年度", "")
    where = f"{ret.input.origin} 的隐藏工作表“{ff.META_SHEET}”"
    # The signature first: it covers the id lists as text, so nothing unsigned is expanded.
    if not verify_meta(meta, secret):
        ret.signature = "不匹配"
        ret.add("bad_signature", f"{where} 的签名与主表不符：文件被改动过，或不是本主表生成的反馈表；"
                                 "请使用本期下发的反馈表重新填报")
        return
    ret.signature = "已验证"
    try:
        ret.task_ids = _ids(meta.get("任务序号", ""))
        ret.indicator_ids = _ids(meta.get("指标序号", ""))
    except ValueError as exc:
        ret.add("bad_metadata", f"{where} 中的序号列表无法识别（{exc}），文件可能被改动；请使用下发的反馈表重新填报")


def verify_meta(meta: dict, secret: str) -> bool:
    return ff.verify(meta, secret)


def _ids(text: str, limit: int = MAX_IDS) -> list[int]:
    """"1,2,5-7" → [1, 2, 5, 6, 7]; ValueError when malformed or naming more than ``limit`` ids.

    Sizes are checked before anything is expanded: "1-1500000000" is refused, not listed.
    """
    text = text.replace("，", ",").strip()
    if not text:
        return []
    spans: list[tuple[int, int]] = []
    total = 0
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        a, _, b = part.partition("-")
        if not re.fullmatch(r"[0-9]{1,15}", a.strip()) or (b and not re.fullmatch(r"[0-9]{1,15}", b.strip())):
            raise ValueError(f"“{_clip(part)}”不是序号")
        lo, hi = int(a), int(b) if b else int(a)
        if hi < lo:
            raise ValueError(f"“{_clip(part)}”的范围颠倒")
        total += hi - lo + 1
        if total > limit:
            raise ValueError(f"序号超过 {limit} 个")
        spans.append((lo, hi))
    return [i for lo, hi in spans for i in range(lo, hi + 1)]


def _header_index(rows: list[list[Any]]) -> int:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if any(norm_header(v) == ff.ID_HEADER for v in row):
            return i
    return -1


def _pick_sheet(sheets, preferred: str, *headers: str) -> str | None:
    """The task sheet: by name, else the first sheet with both headers (renamed or rebuilt) that is no indicator table."""
    candidates = [preferred] + [n for n in sheets if n not in (preferred, ff.META_SHEET, ff.INDICATOR_SHEET)]
    for n in candidates:
        if n not in sheets:
            continue
        rows = sheets[n][0]
        h = _header_index(rows)
        if h >= 0 and (n == preferred or (all(any(norm_header(v) == t for v in rows[h]) for t in headers)
                                          and _looks_like(rows) != "indicator")):
            return n
    return None


def _looks_like(rows) -> str:
    """'task' / 'indicator' / '' by the header row: an indicator table has 预期目标 and no 工作任务."""
    h = _header_index(rows)
    if h < 0:
        return ""
    heads = {norm_header(v) for v in rows[h]}
    if ff.PROGRESS_HEADER not in heads:
        return ""
    if "工作任务" in heads:
        return "task"
    return "indicator" if "预期目标" in heads else ""


def _read_rows(ret: Return, sheet: str, rows, merged, titles: dict[str, str], input_keys, text_key: str) -> dict[int, Row]:
    where_sheet = f"{ret.input.origin} 的“{sheet}”工作表"
    h = _header_index(rows)
    if h < 0:
        ret.add("missing_column", f"{where_sheet} 找不到“{ff.ID_HEADER}”表头，请使用下发的反馈表填写")
        return {}
    cols: dict[str, int] = {}
    for c, v in enumerate(rows[h]):
        key = titles.get(norm_header(v))
        if key and key not in cols:
            cols[key] = c
    if "progress" not in cols:
        ret.add("missing_column", f"{where_sheet} 第{h + 1}行表头中没有“{ff.PROGRESS_HEADER}”列；"
                                  "请不要修改表头，使用下发的反馈表重新填写")
        return {}
    known_cols = set(cols.values()) | {c for c, v in enumerate(rows[h]) if norm_header(v)}
    id_col = cols["id"]
    # Merged 序号 cells: the id of the top-left cell covers the rows below it.
    id_merge: dict[int, int] = {}
    for (r0, c0), (r1, c1) in merged:
        if c0 <= id_col <= c1 and r1 > r0:
            for r in range(r0 + 1, r1 + 1):
                id_merge[r] = r0
    out: dict[int, Row] = {}
    bad: set[int] = set()
    for r in range(h + 1, len(rows)):
        row = rows[r]
        srow = r + 1
        raw_id = row[id_col] if id_col < len(row) else None
        if r in id_merge:
            raw_id = rows[id_merge[r]][id_col]
        values = {}
        for key in input_keys:
            c = cols.get(key)
            if c is not None and c < len(row):
                t = cell_text(row[c])
                if t:
                    values[key] = sanitize(t, f"{where_sheet}第{srow}行“{_title(titles, key)}”", ret)
        outside = [(c, cell_text(v)) for c, v in enumerate(row) if c not in known_cols and cell_text(v)]
        item_id = int_id(raw_id)
        if item_id is None:
            if cell_text(raw_id):
                if values:
                    ret.add("bad_id", f"{where_sheet}第{srow}行的序号“{_clip(cell_text(raw_id))}”无法识别，该行未采用；"
                                      "请不要修改序号列")
            elif values:
                ret.add("row_without_id", f"{where_sheet}第{srow}行填写了内容但没有序号，未采用；"
                                          "请把内容填到对应序号所在行")
            continue
        if outside and not values:
            c, t = outside[0]
            ret.add("text_outside", f"{where_sheet}第{srow}行（序号{item_id}）的文字写在了{_col_letter(c)}列"
                                    f"（“{_clip(t)}”），该列没有表头，未采用；请填在“{ff.PROGRESS_HEADER}”列")
        text = cell_text(row[cols[text_key]]) if text_key in cols and cols[text_key] < len(row) else ""
        role = cell_text(row[cols["role"]]) if "role" in cols and cols["role"] < len(row) else ""
        if r in id_merge and item_id in out:  # continuation of a merged 序号
            prev = out[item_id]
            for k, v in values.items():
                prev.values[k] = (prev.values[k] + "\n" + v) if prev.values.get(k) else v
            continue
        if item_id in out:
            if item_id in bad:
                continue
            prev = out[item_id]
            if values and prev.values and values != prev.values:
                ret.add("duplicate_row", f"{where_sheet}第{prev.row}行和第{srow}行的序号都是{item_id}且内容不同，"
                                         f"无法判断以哪行为准，序号{item_id}未采用；请删除多余的行后重新报送")
                bad.add(item_id)
            elif values and not prev.values:
                out[item_id] = Row(item_id, srow, text, values, role)
            continue
        out[item_id] = Row(item_id, srow, text, values, role)
    for i in bad:
        out.pop(i, None)
    return out


def _title(titles: dict[str, str], key: str) -> str:
    for t, k in titles.items():
        if k == key:
            return t
    return key


def _col_letter(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


def _identify_without_meta(ret: Return, names: list[str], sheets, unit_names: list[str]) -> None:
    """No metadata (a rebuilt file): the unit from the file name, else from the sheets' text."""
    ret.signature = "无签名"
    found = find_unit_name(ret.input.name, unit_names)
    how = "文件名"
    if not found:
        for n in names:
            found = find_unit_name(n, unit_names)
            if found:
                how = "工作表名"
                break
    if not found:
        # Title lines only: those above the 序号 header (the 牵头单位/配合单位 columns
        # name other units and say nothing about whose file this is).
        for n, (rows, _) in sheets.items():
            h = _header_index(rows)
            for row in rows[: h if h >= 0 else 3]:
                for v in row:
                    t = cell_text(v)
                    if t and len(t) < 80:
                        found = find_unit_name(t, unit_names)
                        if found:
                            how = "表格标题"
                            break
                if found:
                    break
            if found:
                break
    ret.unit, ret.unit_how = found, how
    if found:
        ret.add("no_metadata", f"{ret.input.origin} 没有 duban 隐藏元数据（可能是复制粘贴重建的表格），"
                               f"按{how}识别为“{found}”、按“{ff.ID_HEADER}”列对应任务；请核对")
    else:
        ret.add("unknown_unit", f"{ret.input.origin} 没有 duban 隐藏元数据，文件名和表格中也找不到单位名称，无法识别是哪个单位的反馈；"
                                "请把文件改名为“单位名称.xlsx”后重新汇总，或让单位使用下发的反馈表")


def find_unit_name(text: str, names) -> str:
    """The unit named in ``text`` (longest match wins); '' when none, or when two units are named.

    ``names``: unit names and aliases, or a mapping of them to the canonical name.
    """
    if not isinstance(names, dict):
        names = {n: n for n in names}
    text = normalize_parens(text)
    hits = sorted((n for n in names if n and len(n) >= 2 and n in text), key=len, reverse=True)
    kept: list[str] = []
    for h in hits:
        if not any(h in k for k in kept):
            kept.append(h)
    canon = {names[h] for h in kept}
    return canon.pop() if len(canon) == 1 else ""

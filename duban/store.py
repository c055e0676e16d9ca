"""Storage of the master behind a narrow interface.

The core reads whole sheets as lists of rows and writes rectangular blocks in bulk.
:class:`FileStore` works on a closed .xlsx/.xlsm with openpyxl; the xlwings layer
(``duban.xl.store``) implements the same interface over a workbook open in Excel.
Nothing else in the core touches openpyxl for the master.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Protocol

from .errors import MasterError, MasterLocked


@dataclass
class SheetStyle:
    """How a duban-created sheet looks (applied only when the sheet is new)."""

    widths: dict[int, float] = field(default_factory=dict)  # 1-based column → width
    header_row: int = 1
    freeze: str | None = None  # e.g. "D3"
    landscape: bool = True
    title: str | None = None  # merged title in row 1 (header_row must then be 2)
    hidden: bool = False
    fit_width: bool = True  # False: print across pages, repeating ``title_cols`` on each
    title_cols: str | None = None  # e.g. "A:C"


class Store(Protocol):
    """What the core needs from wherever the master lives."""

    def sheet_names(self) -> list[str]: ...

    def read(self, sheet: str) -> list[list[Any]]:
        """All values of the sheet's used range from A1, one list per row."""

    def write(self, sheet: str, row: int, col: int, values: list[list[Any]], *,
              text_cols: set[int] | None = None, wrap: bool = True) -> None:
        """Write a rectangular block whose top-left cell is (row, col), 1-based.

        Columns in ``text_cols`` (offsets into ``values``' rows) are forced to text:
        a value starting with '=' stays a string, never becomes a formula.
        """

    def ensure_sheet(self, sheet: str, style: SheetStyle | None = None) -> bool:
        """Create the sheet if missing (styled); True when it was created."""

    def style_header(self, sheet: str, row: int, first_col: int, last_col: int,
                     width: float | None = None) -> None:
        """Give header cells the table look (bold, fill, border, wrap); ``width`` also sizes their columns."""

    def clear_rows(self, sheet: str, first_row: int) -> None:
        """Delete the values of every row from first_row down (used for derived sheets)."""

    def commit(self) -> None:
        """Make every write durable, all or nothing."""


# ----------------------------------------------------------------------------
# openpyxl implementation
# ----------------------------------------------------------------------------

FONT_NAME = "仿宋"  # Chinese official-table font; Excel/LibreOffice fall back when absent


def excel_lock_file(path: Path) -> Path:
    """The owner file Excel/WPS/LibreOffice create beside an open workbook."""
    return path.with_name("~$" + path.name)


def lo_lock_file(path: Path) -> Path:
    return path.with_name(".~lock." + path.name + "#")


class FileStore:
    """A master on disk, edited with openpyxl and saved atomically.

    Use :func:`open_store` (a context manager) rather than this class directly:
    it takes the lock, and commits or discards.
    """

    def __init__(self, path: Path, *, create: bool = False):
        import openpyxl

        self.path = Path(path)
        self.keep_vba = self.path.suffix.lower() == ".xlsm"
        if create:
            self.wb = openpyxl.Workbook()
            self.wb.remove(self.wb.active)
        else:
            if not self.path.exists():
                raise MasterError(f"找不到主表文件：{self.path}")
            try:
                self.wb = _load_raw_strings(self.path, self.keep_vba)
            except OSError as exc:
                raise fs_error(exc, self.path, "读取主表") from exc
            except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException …
                raise MasterError(f"无法打开主表 {self.path.name}：文件已损坏或不是 Excel 工作簿（{type(exc).__name__}）") from exc
        self.dirty = False
        self._styles: dict | None = None
        self._read_cache: dict[str, list[list[Any]]] = {}
        self._touched: dict[str, set[int]] = {}  # rows written, whose heights commit() estimates

    # -- reading ---------------------------------------------------------
    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def read(self, sheet: str) -> list[list[Any]]:
        """The sheet's values; cached until the sheet is written (treat the rows as read-only)."""
        if sheet not in self.wb.sheetnames:
            return []
        rows = self._read_cache.get(sheet)
        if rows is None:
            # Strings are held as the XML has them (see _load_raw_strings); decode the
            # OOXML escapes once here, so "_x005F_x0041_" reads as the "_x0041_" it is.
            rows = self._read_cache[sheet] = [
                [decode_xstring(v) if isinstance(v, str) and "_x" in v else v for v in r]
                for r in self.wb[sheet].iter_rows(values_only=True)]
        return list(rows)

    # -- writing ---------------------------------------------------------
    def _cell_styles(self):
        if self._styles is None:
            from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

            thin = Side(style="thin", color="808080")
            self._styles = {
                "border": Border(left=thin, right=thin, top=thin, bottom=thin),
                "wrap": Alignment(wrap_text=True, vertical="center"),
                "header_font": Font(name="黑体", bold=True, size=11),
                "body_font": Font(name=FONT_NAME, size=11),
                "header_fill": PatternFill("solid", fgColor="DDEBF7"),
                "center": Alignment(horizontal="center", vertical="center", wrap_text=True),
                "title_font": Font(name="黑体", bold=True, size=16),
            }
        return self._styles

    def ensure_sheet(self, sheet: str, style: SheetStyle | None = None) -> bool:
        if sheet in self.wb.sheetnames:
            return False
        ws = self.wb.create_sheet(sheet)
        style = style or SheetStyle()
        for col, width in style.widths.items():
            from openpyxl.utils import get_column_letter

            ws.column_dimensions[get_column_letter(col)].width = width
        if style.freeze:
            ws.freeze_panes = style.freeze
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if style.landscape else "portrait"
        if style.fit_width:
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
        if style.title_cols:
            ws.print_title_cols = style.title_cols
        ws.print_title_rows = f"{style.header_row}:{style.header_row}" if not style.title else f"1:{style.header_row}"
        ws.print_options.horizontalCentered = True
        if style.title:
            from openpyxl.utils import column_index_from_string

            from .textfit import DEFAULT_WIDTH, text_lines

            s = self._cell_styles()
            ws.cell(1, 1, style.title).font = s["title_font"]
            ws.cell(1, 1).alignment = s["center"]
            # A sheet printed across pages repeats its title columns on each: the title is
            # merged over those, so that it is whole on every page instead of running off the first.
            last = (column_index_from_string(style.title_cols.split(":")[-1]) if style.title_cols
                    else max(style.widths) if style.widths else 8)
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
            width = sum(style.widths.get(c, DEFAULT_WIDTH) for c in range(1, last + 1))
            ws.row_dimensions[1].height = text_lines(style.title, width * 11 / 16) * 22 + 10
        if style.hidden:
            ws.sheet_state = "hidden"
        self.dirty = True
        return True

    def style_header(self, sheet: str, row: int, first_col: int, last_col: int,
                     width: float | None = None) -> None:
        from openpyxl.utils import get_column_letter

        ws = self.wb[sheet]
        s = self._cell_styles()
        if width:
            for c in range(first_col, last_col + 1):
                ws.column_dimensions[get_column_letter(c)].width = width
        for c in range(first_col, last_col + 1):
            cell = ws.cell(row, c)
            cell.font = s["header_font"]
            cell.fill = s["header_fill"]
            cell.border = s["border"]
            cell.alignment = s["center"]
        self.dirty = True

    def _body_style(self):
        """The StyleArray of a body cell (border, wrap, font), registered once per workbook.

        Assigning a copy of it to ``cell._style`` costs nothing, where setting
        ``cell.border``/``alignment``/``font`` hashes the style objects every time
        (seconds on a 10,000-task master).
        """
        if getattr(self, "_body", None) is None:
            from openpyxl.styles.cell_style import StyleArray

            s = self._cell_styles()
            body = StyleArray()
            body.borderId = self.wb._borders.add(s["border"])
            body.alignmentId = self.wb._alignments.add(s["wrap"])
            body.fontId = self.wb._fonts.add(s["body_font"])
            self._body = body
        return self._body

    def write(self, sheet: str, row: int, col: int, values: list[list[Any]], *,
              text_cols: set[int] | None = None, wrap: bool = True) -> None:
        from copy import copy

        # text_cols needs nothing here: set_cell stores every str as a string
        ws = self.wb[sheet]
        self._read_cache.pop(sheet, None)
        self._touched.setdefault(sheet, set()).update(range(row, row + len(values)))
        body = self._body_style()
        border_id = body.borderId
        for r_off, row_values in enumerate(values):
            for c_off, value in enumerate(row_values):
                cell = ws.cell(row + r_off, col + c_off)
                set_cell(cell, value)
                if wrap and not (cell.has_style and cell._style.borderId == border_id):
                    # Only style cells duban has not styled before, so a colour or
                    # alignment a staff member gave a cell survives our rewrite.
                    cell._style = copy(body)
        self.dirty = True

    def clear_rows(self, sheet: str, first_row: int) -> None:
        ws = self.wb[sheet]
        self._read_cache.pop(sheet, None)
        if ws.max_row >= first_row:
            ws.delete_rows(first_row, ws.max_row - first_row + 1)
        self.dirty = True

    def remove_sheet(self, sheet: str) -> None:
        if sheet in self.wb.sheetnames:
            self.wb.remove(self.wb[sheet])
            self._read_cache.pop(sheet, None)
            self.dirty = True

    @property
    def workbook(self):
        """The openpyxl workbook, for steps that draw charts on derived sheets."""
        self._read_cache.clear()  # the caller may change anything
        return self.wb

    def fit_rows(self) -> None:
        """Give every row duban wrote a height that shows its wrapped text (see :mod:`duban.textfit`).

        LibreOffice and WPS do not fit row heights when they open the file, so without
        this a wrapped task text overlaps the rows below. Rows duban did not write keep
        their height; a merged title keeps the height it was given.
        """
        from openpyxl.utils import column_index_from_string

        from .textfit import DEFAULT_WIDTH, WIDE, height_for_lines, text_lines

        for sheet, rows in self._touched.items():
            if sheet not in self.wb.sheetnames or not rows:
                continue
            ws = self.wb[sheet]
            default = ws.sheet_format.defaultColWidth or DEFAULT_WIDTH
            widths: dict[int, float] = {}
            for key, cd in ws.column_dimensions.items():
                lo = cd.min or column_index_from_string(key)
                for c in range(lo, (cd.max or lo) + 1):
                    widths[c] = 0.0 if cd.hidden else (cd.width or default)
            anchors = {(rng.min_row, rng.min_col) for rng in ws.merged_cells.ranges}
            wraps = {i: bool(a.wrap_text) for i, a in enumerate(self.wb._alignments)}
            lines: dict[int, int] = {}  # row → lines of its tallest wrapped cell
            for (r, c), cell in ws._cells.items():
                if r not in rows or (r, c) in anchors:
                    continue
                value, width, style = cell._value, widths.get(c, default), cell._style
                if value is None or value == "" or not width or style is None or not wraps.get(style.alignmentId):
                    continue
                text = value if isinstance(value, str) else str(value)
                n = 1 if len(text) * WIDE <= width - 1 and "\n" not in text else text_lines(text, width)
                if n > lines.get(r, 0):
                    lines[r] = n
            for r, n in lines.items():
                ws.row_dimensions[r].height = height_for_lines(n)
            self._fit_title(ws, default)
        self._touched.clear()

    @staticmethod
    def _fit_title(ws, default: float) -> None:
        """A title merged wider than the columns each printed page repeats is narrowed to them.

        (Masters made before titles were merged that way ran off the first page.)
        """
        from openpyxl.utils import column_index_from_string, get_column_letter

        from .textfit import text_lines

        cols = (ws.print_title_cols or "").replace("$", "")
        if ":" not in cols:
            return
        last = column_index_from_string(cols.split(":")[1])
        for rng in list(ws.merged_cells.ranges):
            if rng.min_row == rng.max_row == 1 and rng.min_col == 1 and rng.max_col > last:
                title = ws.cell(1, 1).value
                ws.unmerge_cells(str(rng))
                ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
                width = sum(ws.column_dimensions[get_column_letter(c)].width or default for c in range(1, last + 1))
                if isinstance(title, str):
                    ws.row_dimensions[1].height = text_lines(title, width * 11 / 16) * 22 + 10

    def commit(self) -> None:
        if not self.dirty and self.path.exists():
            return
        self.fit_rows()
        if self.wb.sheetnames and all(self.wb[n].sheet_state != "visible" for n in self.wb.sheetnames):
            self.wb[self.wb.sheetnames[0]].sheet_state = "visible"
        atomic_save(self.wb, self.path)
        self.dirty = False


def set_cell(cell, value) -> None:
    """Put a value in an openpyxl cell; text that must stay text never turns into a formula."""
    from openpyxl.cell.cell import TYPE_STRING

    if isinstance(value, str):
        # Every string is stored as a string: "=…" never becomes a formula, "#N/A" never an
        # error value. (Set directly: openpyxl's setter would re-check and re-infer the type.)
        cell._value = encode_xstring(clip_utf16(strip_illegal(value), EXCEL_CELL_LIMIT))
        cell.data_type = TYPE_STRING
        return
    cell.value = value


EXCEL_CELL_LIMIT = 32_767  # Excel's limit for a cell's text, in UTF-16 code units

# What XML 1.0 cannot hold: C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def strip_illegal(text: str) -> str:
    """Remove every character that cannot be stored in .xlsx XML (saving would fail)."""
    return XML_ILLEGAL_RE.sub("", text)


def utf16_len(text: str) -> int:
    """Length as Excel counts it: characters beyond the BMP (e.g. U+20000…) count two."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def clip_utf16(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 units, never inside a character."""
    if len(text) <= limit // 2 or utf16_len(text) <= limit:
        return text
    n = 0
    for i, ch in enumerate(text):
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > limit:
            return text[:i]
    return text


# OOXML (ST_Xstring) writes a character as _xHHHH_, and a literal "_xHHHH_" as
# "_x005F_xHHHH_". openpyxl neither escapes on writing nor decodes inline strings, so
# duban does both itself: what a unit typed comes back exactly as typed.
_XESC_RE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")  # every "_" that starts an escape (they may overlap)
_XDEC_RE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def encode_xstring(text: str) -> str:
    return _XESC_RE.sub("_x005F_", text) if "_x" in text else text


def decode_xstring(text: str) -> str:
    return strip_illegal(_XDEC_RE.sub(lambda m: chr(int(m.group(1), 16)), text))


def _load_raw_strings(path: Path, keep_vba: bool):
    """openpyxl.load_workbook, but shared strings kept exactly as the XML has them.

    openpyxl's own reader removes "x005F_" from shared strings only (and decodes
    nothing else), so the same text would read differently from a shared and from an
    inline string; keeping both raw lets :meth:`FileStore.read` decode them alike.
    """
    from openpyxl.cell.text import Text
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    class RawStringReader(ExcelReader):
        def read_strings(self):
            from openpyxl.reader.excel import SHARED_STRINGS

            ct = self.package.find(SHARED_STRINGS)
            if ct is None:
                return
            tag = "{%s}si" % SHEET_MAIN_NS
            strings = []
            with self.archive.open(ct.PartName[1:]) as src:
                for _, node in iterparse(src):
                    if node.tag == tag:
                        strings.append(Text.from_tree(node).content)
                        node.clear()
            self.shared_strings = strings

    reader = RawStringReader(path, keep_vba=keep_vba)
    reader.read()
    return reader.wb


BACKUP_DIR = ".duban备份"
SAVES = 0  # masters saved by this process (a Ctrl-C message says whether the master changed)


def default_mode(path) -> None:
    """Give a file made by mkstemp (0600) the mode of a normally created one (0666 less the umask).

    Colleagues open the outputs on a shared folder; a private file would lock them out.
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


# XlsxWriter would turn "=…" into a live formula and "http…" into a link: text from units stays text
XLSXWRITER_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


@contextmanager
def atomic_output(path: Path, suffix: str | None = None) -> Iterator[str]:
    """Write an output file atomically: yields a temporary path beside ``path``; on success it
    gets the user's normal file mode and replaces ``path``; on any failure it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~duban-", suffix=suffix or path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        default_mode(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def fs_error(exc: OSError, path: Path, doing: str) -> MasterError:
    """A filesystem fault as a Chinese error naming the path (the caller says the master is untouched)."""
    where = Path(getattr(exc, "filename", None) or path)
    code = exc.errno
    if code == errno.ENOSPC or code == getattr(errno, "EDQUOT", -1):
        why = "磁盘空间不足，请清理磁盘后重试"
    elif code == errno.EROFS:
        why = "所在磁盘或文件夹是只读的（如光盘、只读共享、写保护的 U 盘），请把主表复制到可写的位置"
    elif isinstance(exc, PermissionError) and os.name == "nt":  # a file open in Excel, or a read-only one
        return MasterLocked(f"{doing}失败：{where} 被占用（可能在 Excel 中打开）或没有写入权限，"
                            "请关闭文件、检查权限后重试。主表未被修改。")
    elif isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM):
        why = "没有写入权限（文件或文件夹被设为只读、受保护，或属于其他用户），请检查权限后重试"
    elif code == errno.ENOENT:
        why = "文件或文件夹不存在"
    else:
        why = exc.strerror or type(exc).__name__
    return MasterError(f"{doing}失败：{where}：{why}。主表未被修改。")


TEMP_PREFIX = ".~duban-"


def temp_names(path: Path) -> tuple[str, Path]:
    """(prefix of the temporary master copy, folder of openpyxl's scratch files), beside ``path``."""
    return f"{TEMP_PREFIX}{path.name}-", path.parent / f"{TEMP_PREFIX}{path.name}.tmp"


def remove_leftovers(path: Path) -> list[str]:
    """Temporary files a killed run left beside the master (call while holding its lock)."""
    prefix, scratch = temp_names(Path(path))
    gone = []
    try:
        for p in Path(path).parent.glob(glob_escape(prefix) + "*"):
            if p.is_file():
                p.unlink(missing_ok=True)
                gone.append(p.name)
        if scratch.is_dir():
            shutil.rmtree(scratch, ignore_errors=True)
            gone.append(scratch.name)
    except OSError:
        pass
    return gone


def glob_escape(text: str) -> str:
    import glob

    return glob.escape(text)


@contextmanager
def _scratch_beside(folder: Path) -> Iterator[None]:
    """openpyxl writes each sheet to a scratch file in the temp folder first: put those beside the master."""
    old = tempfile.tempdir
    folder.mkdir(exist_ok=True)
    tempfile.tempdir = str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = old
        shutil.rmtree(folder, ignore_errors=True)


def atomic_save(wb, path: Path, *, keep_backups: int = 5) -> None:
    """Save to a temporary file beside ``path``, keep the old version as a backup, then replace.

    Every filesystem fault (no space, read-only, no permission) becomes a Chinese
    :class:`MasterError` naming the path; the master is then untouched and no
    temporary file is left behind.
    """
    path = Path(path)
    prefix, scratch = temp_names(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=path.suffix, dir=path.parent)
        os.close(fd)
        with _scratch_beside(scratch):
            from .xlsm import save_workbook  # openpyxl save + package fix-ups (VML ids, orphans, code names)

            save_workbook(wb, tmp)
        # mkstemp makes the file private (0600); give it the mode a normal save would
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            default_mode(tmp)
        if path.exists():
            bdir = path.parent / BACKUP_DIR
            bdir.mkdir(exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            backup = bdir / f"{path.stem}.{stamp}.{os.getpid()}{path.suffix}"
            try:
                shutil.copy2(path, backup)
            except BaseException:
                backup.unlink(missing_ok=True)
                raise
            olds = sorted(bdir.glob(f"{glob_escape(path.stem)}.*{path.suffix}"))
            for old in olds[:-keep_backups]:
                old.unlink(missing_ok=True)
        global SAVES
        SAVES += 1  # before the replace: an interrupt right here must not be reported as "unchanged"
        os.replace(tmp, path)
    except OSError as exc:
        raise fs_error(exc, path, f"保存主表 {path.name}") from exc
    except Exception as exc:
        if type(exc).__name__ != "SerialisationError":  # lxml's own I/O errors, e.g. "IO_ENOSPC"
            raise
        code = next((getattr(errno, n) for n in ("ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM")
                     if n in str(exc) and hasattr(errno, n)), errno.EIO)
        raise fs_error(OSError(code, os.strerror(code), str(path)), path, f"保存主表 {path.name}") from exc
    finally:
        if tmp and os.path.exists(tmp):
            try:
                os.unlink(tmp)
            except OSError:
                pass


@dataclass
class Lock:
    """The lock held on a master; ``notes`` says when a leftover lock or files were cleaned up."""

    path: Path
    notes: list[str] = field(default_factory=list)


LOCK_EMPTY_GRACE = 30.0  # seconds: an empty lock younger than this may be a run still writing it
LOCK_FOREIGN_MAX_AGE = 12 * 3600.0  # a lock of another computer older than this is abandoned


def lock_file(path: Path) -> Path:
    return path.with_name(f".{path.name}.duban.lock")


@contextmanager
def master_lock(path: Path, *, wait: float = 0.0) -> Iterator[Lock]:
    """An exclusive lock file beside the master so two duban runs cannot interleave.

    The lock records pid, host and time. A lock whose process is gone, an empty or
    unreadable lock, and a very old lock of another computer are taken over (and the
    takeover is reported in ``Lock.notes``); temporary files of a killed run are removed.
    """
    path = Path(path)
    for owner in (excel_lock_file(path), lo_lock_file(path)):
        if owner.exists():
            raise MasterLocked(
                f"主表 {path.name} 正在 Excel/WPS/LibreOffice 中打开（发现 {owner.name}）。"
                "请关闭主表后再运行命令行，或在主表中点击按钮运行。主表未被修改。"
            )
    lock = lock_file(path)
    held = Lock(lock)
    deadline = time.monotonic() + wait
    while True:
        try:
            got = try_lock(lock, held.notes)
        except OSError as exc:
            raise fs_error(exc, lock, f"建立锁文件 {lock.name}") from exc
        if got:
            break
        if time.monotonic() >= deadline:
            raise MasterLocked(
                f"另一个 duban 进程正在修改主表 {path.name}（锁文件 {lock.name}：{describe_lock(lock)}）。"
                "请等它结束后再试。主表未被修改。"
            ) from None
        time.sleep(0.2)
    try:
        gone = remove_leftovers(path)
        if gone:
            held.notes.append(f"已清理上次中断的运行留下的临时文件：{'、'.join(gone)}")
        yield held
    finally:
        try:
            lock.unlink(missing_ok=True)
        except OSError:
            pass


def lock_text() -> str:
    return f"{os.getpid()}\n{socket.gethostname()}\n{time.strftime('%Y-%m-%d %H:%M:%S')}\n"


def read_lock(lock: Path) -> tuple[int, str, str] | None:
    """(pid, host, time) recorded in a lock; None when it is empty or unreadable."""
    try:
        lines = lock.read_text(encoding="utf-8", errors="replace").splitlines()
        pid = int(lines[0].strip())
    except (OSError, ValueError, IndexError):
        return None
    return pid, (lines[1].strip() if len(lines) > 1 else ""), (lines[2].strip() if len(lines) > 2 else "")


def describe_lock(lock: Path) -> str:
    info = read_lock(lock)
    if info is None:
        return "内容为空或无法读取"
    pid, host, when = info
    return f"进程 {pid}" + (f"，计算机 {host}" if host else "") + (f"，{when} 建立" if when else "")


def try_lock(lock: Path, notes: list[str] | None = None) -> bool:
    """Create ``lock`` exclusively with our pid, host and time (taking over a stale one); False while another process holds it.

    OSError other than "exists" (no permission, read-only folder, disk full) propagates
    to the caller, and never leaves an empty lock behind.
    """
    for attempt in (1, 2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            why = _stale(lock) if attempt == 1 else ""
            if why and _take_over(lock):
                if notes is not None:
                    notes.append(f"发现遗留的锁文件 {lock.name}（{why}），已接管")
                continue
            return False
        try:
            data = lock_text().encode()
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(lock))
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            lock.unlink(missing_ok=True)
            raise
        os.close(fd)
        return True
    return False


def _stale(lock: Path) -> str:
    """Why ``lock`` is stale ('' while its owner may still be working)."""
    try:
        age = time.time() - lock.stat().st_mtime
    except OSError:
        return ""
    info = read_lock(lock)
    if info is None:
        # A run may be between creating and writing it; after the grace period it never will.
        return "内容为空或无法读取" if age > LOCK_EMPTY_GRACE else ""
    pid, host, _ = info
    if age > LOCK_FOREIGN_MAX_AGE:  # no duban command runs for hours (and a pid may be reused)
        return (f"计算机 {host} 上的" if host else "") + f"进程 {pid} 在 {int(age // 3600)} 小时前建立"
    if host and host != socket.gethostname():
        return ""
    if pid <= 0:
        return "进程号无效"
    return "" if _pid_alive(pid) else f"进程 {pid} 已不存在"


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this computer (True when unsure)."""
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl+C there
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _take_over(lock: Path) -> bool:
    """Remove a stale lock safely: move it aside, and put it back if it changed meanwhile."""
    try:
        before = lock.read_bytes()
    except OSError:
        before = None
    aside = lock.with_name(f"{lock.name}.{os.getpid()}.{time.monotonic_ns()}")
    try:
        os.rename(lock, aside)
    except FileNotFoundError:
        return True  # its owner just removed it
    except OSError:
        return False
    try:
        now = aside.read_bytes()
    except OSError:
        now = None
    if before is not None and now != before:
        # Another run took the stale lock over between our read and the rename: give it back.
        try:
            os.link(aside, lock)
        except OSError:
            pass
        aside.unlink(missing_ok=True)
        return False
    aside.unlink(missing_ok=True)
    return True


@contextmanager
def open_store(path: Path, *, write: bool = True, create: bool = False) -> Iterator[FileStore | CalamineStore]:
    """Open the master file; on success commit (when writing), on error leave it untouched.

    ``write=False`` gives a :class:`CalamineStore`: reading the whole master takes a tenth
    of openpyxl's time, and works while Excel holds the file open.
    """
    path = Path(path)
    if not write:
        yield CalamineStore(path)
        return
    with master_lock(path):
        store = FileStore(path, create=create)
        yield store
        store.commit()


# ----------------------------------------------------------------------------
# read-only implementation over python-calamine
# ----------------------------------------------------------------------------

class CalamineStore:
    """A master read with python-calamine (Rust): the read half of the Store contract only.

    ~10x faster than openpyxl on a city-scale master; for commands that only read it
    (export, report, mail) and for reading ahead while openpyxl loads it for writing.
    """

    def __init__(self, path: Path):
        import python_calamine as pc

        self.path = Path(path)
        if not self.path.exists():
            raise MasterError(f"找不到主表文件：{self.path}")
        try:
            self._wb = pc.CalamineWorkbook.from_path(str(self.path))
        except Exception as exc:  # CalamineError, zip errors …
            raise MasterError(f"无法打开主表 {self.path.name}：文件已损坏或不是 Excel 工作簿（{type(exc).__name__}）") from exc
        self._cache: dict[str, list[list[Any]]] = {}

    def sheet_names(self) -> list[str]:
        return list(self._wb.sheet_names)

    def read(self, sheet: str) -> list[list[Any]]:
        if sheet not in self._wb.sheet_names:
            return []
        if sheet not in self._cache:
            rows = self._wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
            self._cache[sheet] = [[None if v == "" else v for v in row] for row in rows]
        return list(self._cache[sheet])

    def _read_only(self, *args, **kwargs):
        raise MasterError("内部错误：只读方式打开的主表不能写入")

    write = ensure_sheet = style_header = clear_rows = _read_only

    def commit(self) -> None:
        pass


# ----------------------------------------------------------------------------
# in-memory implementation: the reference for the Store contract
# ----------------------------------------------------------------------------

class MemoryStore:
    """A workbook as lists of rows in memory; commit copies into ``committed``.

    It documents the contract by being the smallest thing that fulfils it, and lets
    the core run (tests, benchmarks, a future web front end) without any file.
    """

    def __init__(self, sheets: dict[str, list[list[Any]]] | None = None):
        self.sheets: dict[str, list[list[Any]]] = {k: [list(r) for r in v] for k, v in (sheets or {}).items()}
        self.committed: dict[str, list[list[Any]]] = {}
        self.styled_headers: set[tuple[str, int, int]] = set()

    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def read(self, sheet: str) -> list[list[Any]]:
        rows = self.sheets.get(sheet, [])
        width = max((len(r) for r in rows), default=0)
        return [list(r) + [None] * (width - len(r)) for r in rows]

    def write(self, sheet: str, row: int, col: int, values: list[list[Any]], *,
              text_cols: set[int] | None = None, wrap: bool = True) -> None:
        rows = self.sheets[sheet]
        for r_off, vals in enumerate(values):
            r = row - 1 + r_off
            while len(rows) <= r:
                rows.append([])
            target = rows[r]
            for c_off, v in enumerate(vals):
                c = col - 1 + c_off
                while len(target) <= c:
                    target.append(None)
                target[c] = strip_illegal(v) if isinstance(v, str) else v

    def ensure_sheet(self, sheet: str, style: SheetStyle | None = None) -> bool:
        if sheet in self.sheets:
            return False
        self.sheets[sheet] = []
        if style and style.title:
            self.sheets[sheet].append([style.title])
        return True

    def style_header(self, sheet: str, row: int, first_col: int, last_col: int,
                     width: float | None = None) -> None:
        for c in range(first_col, last_col + 1):
            self.styled_headers.add((sheet, row, c))

    def clear_rows(self, sheet: str, first_row: int) -> None:
        del self.sheets[sheet][first_row - 1:]

    def commit(self) -> None:
        self.committed = {k: [list(r) for r in v] for k, v in self.sheets.items()}

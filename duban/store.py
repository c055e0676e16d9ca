"""Storage of the master behind a narrow interface.

The core reads whole sheets as lists of rows and writes rectangular blocks in bulk.
:class:`FileStore` works on a closed .xlsx/.xlsm with openpyxl; the xlwings layer
(``duban.xl.store``) implements the same interface over a workbook open in Excel.
Nothing else in the core touches openpyxl for the master.
"""
from __future__ import annotations

import os
import shutil
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
                self.wb = openpyxl.load_workbook(self.path, keep_vba=self.keep_vba)
            except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException …
                raise MasterError(f"无法打开主表 {self.path.name}：文件已损坏或不是 Excel 工作簿（{type(exc).__name__}）") from exc
        self.dirty = False
        self._styles: dict | None = None
        self._read_cache: dict[str, list[list[Any]]] = {}

    # -- reading ---------------------------------------------------------
    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def read(self, sheet: str) -> list[list[Any]]:
        """The sheet's values; cached until the sheet is written (treat the rows as read-only)."""
        if sheet not in self.wb.sheetnames:
            return []
        rows = self._read_cache.get(sheet)
        if rows is None:
            rows = self._read_cache[sheet] = [list(r) for r in self.wb[sheet].iter_rows(values_only=True)]
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
            s = self._cell_styles()
            ws.cell(1, 1, style.title).font = s["title_font"]
            ws.cell(1, 1).alignment = s["center"]
            last = max(style.widths) if style.widths else 8
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
            ws.row_dimensions[1].height = 32
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

    def commit(self) -> None:
        if not self.dirty and self.path.exists():
            return
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
        cell._value = strip_illegal(value)[:32767]
        cell.data_type = TYPE_STRING
        return
    cell.value = value


def strip_illegal(text: str) -> str:
    """Remove control characters that cannot be stored in .xlsx XML."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


BACKUP_DIR = ".duban备份"


def atomic_save(wb, path: Path, *, keep_backups: int = 5) -> None:
    """Save to a temporary file beside ``path``, keep the old version as a backup, then replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~duban-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        from .xlsm import save_workbook  # openpyxl save + package fix-ups (VML ids, orphans, code names)

        save_workbook(wb, tmp)
        # mkstemp makes the file private (0600); give it the mode a normal save would
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        if path.exists():
            bdir = path.parent / BACKUP_DIR
            bdir.mkdir(exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            backup = bdir / f"{path.stem}.{stamp}.{os.getpid()}{path.suffix}"
            shutil.copy2(path, backup)
            olds = sorted(bdir.glob(f"{path.stem}.*{path.suffix}"))
            for old in olds[:-keep_backups]:
                old.unlink(missing_ok=True)
        os.replace(tmp, path)
    except PermissionError as exc:
        raise MasterLocked(f"无法写入主表 {path.name}：文件被占用（可能在 Excel 中打开），请关闭后重试。主表未被修改。") from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def master_lock(path: Path, *, wait: float = 0.0) -> Iterator[None]:
    """An exclusive lock file beside the master so two duban runs cannot interleave."""
    path = Path(path)
    for owner in (excel_lock_file(path), lo_lock_file(path)):
        if owner.exists():
            raise MasterLocked(
                f"主表 {path.name} 正在 Excel/WPS/LibreOffice 中打开（发现 {owner.name}）。"
                "请关闭主表后再运行命令行，或在主表中点击按钮运行。主表未被修改。"
            )
    lock = path.with_name(f".{path.name}.duban.lock")
    deadline = time.monotonic() + wait
    while not try_lock(lock):
        if time.monotonic() >= deadline:
            raise MasterLocked(
                f"另一个 duban 进程正在修改主表 {path.name}（锁文件 {lock.name}）。请等它结束后再试。"
            ) from None
        time.sleep(0.2)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def try_lock(lock: Path) -> bool:
    """Create ``lock`` exclusively with our pid (replacing a stale one); False while another process holds it.

    OSError other than "exists" (no permission, read-only folder) propagates to the caller.
    """
    for attempt in (1, 2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if attempt == 1 and _stale(lock):
                lock.unlink(missing_ok=True)
                continue
            return False
        os.write(fd, f"{os.getpid()}\n".encode())
        os.close(fd)
        return True
    return False


def _stale(lock: Path) -> bool:
    """A lock whose process is gone (same machine) is stale."""
    try:
        pid = int(lock.read_text().strip() or 0)
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


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

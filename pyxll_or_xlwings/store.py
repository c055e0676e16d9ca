"""The Store protocol over a workbook open in Excel.

Split in two so that nearly all of it runs (and is tested) without Excel:

* :class:`BufferedStore` -- the Store itself: reads each sheet ONCE per run
  from a backend and serves every later read from that cache; buffers every
  write, and only :meth:`~BufferedStore.commit` touches the backend, writing
  the cells that really changed as few rectangles as possible. A run that
  fails leaves the workbook exactly as it was.
* a *sheet backend* -- a handful of primitive calls (get_values, set_values,
  add_sheet, style_header, clear_rows). :class:`XlwingsBackend` maps them to
  xlwings (a few lines, the only code here that needs Excel);
  :class:`MemoryBackend` keeps sheets in memory (the Store contract tests run
  BufferedStore over it).

Why commit does not save the book: writing through COM already empties
Excel's undo list, so the file on disk is the only way back. The user sees the
result, then saves (Ctrl+S) -- or closes without saving and nothing happened.
"""
from __future__ import annotations

from typing import Any, Protocol

from duban.store import SheetStyle, strip_illegal

Block = list[list[Any]]


class SheetBackend(Protocol):
    def sheet_names(self) -> list[str]: ...

    def get_values(self, sheet: str) -> Block:
        """The sheet's values from A1 (rows may be ragged)."""

    def set_values(self, sheet: str, row: int, col: int, block: Block, *, text: bool) -> None:
        """One rectangular write; ``text``: format the block as text ("@") first."""

    def add_sheet(self, sheet: str, style: SheetStyle | None) -> None: ...

    def style_header(self, sheet: str, row: int, first_col: int, last_col: int,
                     width: float | None = None) -> None: ...

    def clear_rows(self, sheet: str, first_row: int) -> None: ...


def _same(a: Any, b: Any) -> bool:
    """Would writing ``a`` over ``b`` change nothing a user can see?"""
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def _cell(rows: Block, r: int, c: int) -> Any:
    if r - 1 < len(rows) and c - 1 < len(rows[r - 1]):
        return rows[r - 1][c - 1]
    return None


def rectangles(cells: dict[tuple[int, int], bool]) -> list[tuple[int, int, int, int, bool]]:
    """Cover the cells {(row, col): text} with rectangles (r0, c0, r1, c1, text) of
    uniform text flag: runs of columns per row, merged down over rows with the
    same run."""
    runs: list[tuple[int, int, int, bool]] = []  # (row, c0, c1, text)
    for (r, c) in sorted(cells):
        text = cells[(r, c)]
        if runs and runs[-1][0] == r and runs[-1][2] == c - 1 and runs[-1][3] == text:
            runs[-1] = (r, runs[-1][1], c, text)
        else:
            runs.append((r, c, c, text))
    rects: list[list] = []
    open_by_cols: dict[tuple[int, int, bool], list] = {}
    for r, c0, c1, text in runs:  # rows ascending
        key = (c0, c1, text)
        rect = open_by_cols.get(key)
        if rect is not None and rect[2] == r - 1:
            rect[2] = r
        else:
            rect = [r, c0, r, c1, text]
            rects.append(rect)
            open_by_cols[key] = rect
    return [(a, b, c, d, e) for a, b, c, d, e in rects]


class BufferedStore:
    """A Store whose reads come from one backend read per sheet and whose writes
    reach the backend only at :meth:`commit`."""

    def __init__(self, backend: SheetBackend):
        self.backend = backend
        self._names = list(backend.sheet_names())
        self._orig: dict[str, Block] = {}
        self._rows: dict[str, Block] = {}
        self._dirty: dict[str, dict[tuple[int, int], bool]] = {}
        self._new: dict[str, SheetStyle | None] = {}
        self._cleared: dict[str, int] = {}
        self._headers: list[tuple[str, int, int, int, float | None]] = []
        self.backend_reads = 0
        self.backend_writes = 0  # set_values calls of the last commit

    # -- reading ---------------------------------------------------------
    def sheet_names(self) -> list[str]:
        return list(self._names)

    def _load(self, sheet: str) -> Block:
        rows = self._rows.get(sheet)
        if rows is None:
            raw = [] if sheet in self._new else self.backend.get_values(sheet)
            if sheet not in self._new:
                self.backend_reads += 1
            rows = [list(r) for r in raw]
            while rows and all(v in (None, "") for v in rows[-1]):
                rows.pop()
            self._orig[sheet] = [list(r) for r in rows]
            self._rows[sheet] = rows
        return rows

    def read(self, sheet: str) -> Block:
        if sheet not in self._names:
            return []
        rows = self._load(sheet)
        width = max((len(r) for r in rows), default=0)
        return [list(r) + [None] * (width - len(r)) for r in rows]

    # -- writing (buffered) ------------------------------------------------
    def write(self, sheet: str, row: int, col: int, values: Block, *,
              text_cols: set[int] | None = None, wrap: bool = True) -> None:
        if sheet not in self._names:
            raise KeyError(sheet)
        rows = self._load(sheet)
        dirty = self._dirty.setdefault(sheet, {})
        text_cols = text_cols or set()
        for r_off, vals in enumerate(values):
            r = row + r_off
            while len(rows) < r:
                rows.append([])
            target = rows[r - 1]
            for c_off, v in enumerate(vals):
                c = col + c_off
                while len(target) < c:
                    target.append(None)
                if isinstance(v, str):
                    v = strip_illegal(v)
                target[c - 1] = v
                # a string starting with "=" must never become a formula
                dirty[(r, c)] = c_off in text_cols or (isinstance(v, str) and v.startswith("="))

    def ensure_sheet(self, sheet: str, style: SheetStyle | None = None) -> bool:
        if sheet in self._names:
            return False
        self._names.append(sheet)
        self._new[sheet] = style
        rows = [[style.title]] if style and style.title else []
        self._rows[sheet] = rows  # the backend writes the title with its merge and font
        self._orig[sheet] = [list(r) for r in rows]
        return True

    def style_header(self, sheet: str, row: int, first_col: int, last_col: int,
                     width: float | None = None) -> None:
        self._headers.append((sheet, row, first_col, last_col, width))

    def clear_rows(self, sheet: str, first_row: int) -> None:
        rows = self._load(sheet)
        del rows[first_row - 1:]
        self._cleared[sheet] = min(first_row, self._cleared.get(sheet, first_row))
        dirty = self._dirty.get(sheet, {})
        for key in [k for k in dirty if k[0] >= first_row]:
            del dirty[key]

    # -- commit ------------------------------------------------------------
    def pending(self) -> dict[str, list[tuple[int, int, int, int, bool]]]:
        """The rectangles commit would write, per sheet (cells that changed)."""
        out = {}
        for sheet, cells in self._dirty.items():
            rows, orig = self._rows[sheet], self._orig[sheet]
            cleared = self._cleared.get(sheet)
            changed = {}
            for (r, c), text in cells.items():
                new = _cell(rows, r, c)
                old = None if cleared is not None and r >= cleared else _cell(orig, r, c)
                if not _same(new, old):
                    changed[(r, c)] = text
            if changed:
                out[sheet] = rectangles(changed)
        return out

    def commit(self) -> None:
        plan = self.pending()
        self.backend_writes = 0
        for sheet, style in self._new.items():
            self.backend.add_sheet(sheet, style)
        for sheet, first in self._cleared.items():
            self.backend.clear_rows(sheet, first)
        for sheet, rects in plan.items():
            rows = self._rows[sheet]
            for r0, c0, r1, c1, text in rects:
                block = [[_cell(rows, r, c) for c in range(c0, c1 + 1)] for r in range(r0, r1 + 1)]
                self.backend.set_values(sheet, r0, c0, block, text=text)
                self.backend_writes += 1
        for header in self._headers:
            self.backend.style_header(*header)
        self._orig = {k: [list(r) for r in v] for k, v in self._rows.items()}
        self._dirty, self._new, self._cleared, self._headers = {}, {}, {}, []


class MemoryBackend:
    """Sheets in memory, with the formats a real backend would be asked for."""

    def __init__(self, sheets: dict[str, Block] | None = None):
        self.sheets: dict[str, Block] = {k: [list(r) for r in v] for k, v in (sheets or {}).items()}
        self.text_cells: set[tuple[str, int, int]] = set()
        self.styles: dict[str, SheetStyle | None] = {}
        self.headers: set[tuple[str, int, int]] = set()
        self.calls: list[tuple] = []

    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def get_values(self, sheet: str) -> Block:
        self.calls.append(("get_values", sheet))
        return [list(r) for r in self.sheets[sheet]]

    def set_values(self, sheet: str, row: int, col: int, block: Block, *, text: bool) -> None:
        self.calls.append(("set_values", sheet, row, col, len(block), len(block[0]) if block else 0, text))
        rows = self.sheets[sheet]
        for r_off, vals in enumerate(block):
            while len(rows) < row + r_off:
                rows.append([])
            target = rows[row + r_off - 1]
            for c_off, v in enumerate(vals):
                while len(target) < col + c_off:
                    target.append(None)
                target[col + c_off - 1] = v
                cell = (sheet, row + r_off, col + c_off)
                if text:
                    self.text_cells.add(cell)

    def add_sheet(self, sheet: str, style: SheetStyle | None) -> None:
        self.calls.append(("add_sheet", sheet))
        self.sheets[sheet] = [[style.title]] if style and style.title else []
        self.styles[sheet] = style

    def style_header(self, sheet: str, row: int, first_col: int, last_col: int,
                     width: float | None = None) -> None:
        self.calls.append(("style_header", sheet, row, first_col, last_col))
        self.headers.update((sheet, row, c) for c in range(first_col, last_col + 1))

    def clear_rows(self, sheet: str, first_row: int) -> None:
        self.calls.append(("clear_rows", sheet, first_row))
        del self.sheets[sheet][first_row - 1:]


# ---------------------------------------------------------------------------
# xlwings: the only part that needs Excel (not run by the tests)
# ---------------------------------------------------------------------------

HEADER_FILL = (221, 235, 247)  # DDEBF7, as FileStore


class XlwingsBackend:
    """The sheet backend over an open ``xw.Book``."""

    def __init__(self, book):
        self.book = book

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def get_values(self, sheet: str) -> Block:
        rng = self.book.sheets[sheet].used_range
        values = rng.options(ndim=2).value  # one COM call for the whole sheet
        pad = [None] * (rng.column - 1)
        return [[] for _ in range(rng.row - 1)] + [pad + list(r) for r in values]

    def set_values(self, sheet: str, row: int, col: int, block: Block, *, text: bool) -> None:
        rng = self.book.sheets[sheet].range((row, col)).resize(len(block), len(block[0]))
        if text:
            rng.number_format = "@"
        rng.value = block

    def add_sheet(self, sheet: str, style: SheetStyle | None) -> None:
        style = style or SheetStyle()
        sh = self.book.sheets.add(sheet, after=self.book.sheets[len(self.book.sheets) - 1])
        for col, width in style.widths.items():
            sh.range((1, col)).column_width = width
        if style.title:
            last = max(style.widths) if style.widths else 8
            sh.range((1, 1), (1, last)).merge()
            sh.range((1, 1)).value = style.title
            sh.range((1, 1)).font.bold = True
            sh.range((1, 1)).font.size = 16
        try:  # Windows COM only; cosmetic
            ps = sh.api.PageSetup
            ps.Orientation = 2 if style.landscape else 1
            ps.Zoom = False
            ps.FitToPagesWide, ps.FitToPagesTall = 1, False
            ps.PrintTitleRows = f"$1:${style.header_row}"
        except Exception:
            pass
        if style.hidden:
            sh.visible = False

    def style_header(self, sheet: str, row: int, first_col: int, last_col: int,
                     width: float | None = None) -> None:
        rng = self.book.sheets[sheet].range((row, first_col), (row, last_col))
        rng.font.bold = True
        rng.color = HEADER_FILL
        rng.wrap_text = True
        if width:
            rng.column_width = width

    def clear_rows(self, sheet: str, first_row: int) -> None:
        sh = self.book.sheets[sheet]
        last = sh.used_range.last_cell.row
        if last >= first_row:
            sh.range(f"{first_row}:{last}").clear_contents()


class XlwingsStore(BufferedStore):
    """The master open in Excel: ``XlwingsStore(xw.Book.caller())``."""

    def __init__(self, book):
        super().__init__(XlwingsBackend(book))
        self.book = book

    def commit(self) -> None:
        app = self.book.app
        screen = app.screen_updating
        app.screen_updating = False
        try:
            super().commit()
        finally:
            app.screen_updating = screen

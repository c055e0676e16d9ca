"""Build the macro-enabled master workbook (.xlsm) on any OS, without Excel.

Route (see tests/test_xlsm.py for the proof of each step):

1. :func:`duban.vba.build_vba_project` writes ``vbaProject.bin`` from VBA
   text: the xlwings standalone module (read from the installed xlwings
   package), ``macros/duban.bas`` and one document module per sheet plus
   ``ThisWorkbook``.
2. XlsxWriter creates a fresh .xlsm skeleton: the sheets in their final
   order (sheet code names ``Sheet1``..``SheetN`` matching the document
   modules), the VBA project, and FORM-CONTROL buttons on the 说明 sheet
   (legacy VML shapes whose ``FmlaMacro`` names the VBA sub).
3. When an existing workbook is upgraded, openpyxl loads the skeleton with
   ``keep_vba=True`` -- which keeps ``xl/vbaProject.bin`` and the VML of the
   buttons -- and every sheet's cells, styles, merges, widths, freeze panes,
   print settings ... are copied in from the source, then saved.

Later writes by openpyxl must also use ``load_workbook(path, keep_vba=True)``
(and save to a .xlsm name); otherwise the macros and buttons are dropped.
Sheets created later by openpyxl carry no VBA code name; Excel assigns one.
Keep cell comments off the button sheet: openpyxl merges comment shapes into
the buttons' VML drawing and numbers them from the same shape id range.
"""

from __future__ import annotations

import io
import re
from copy import copy
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, Union

import openpyxl
import xlsxwriter
from openpyxl.cell.cell import MergedCell
from openpyxl.worksheet.dimensions import ColumnDimension, RowDimension

from .vba import (
    VBAModule,
    build_vba_project,
    document_module,
    read_module_file,
    xlwings_module,
)

__all__ = [
    "INSTRUCTIONS_SHEET",
    "XLWINGS_CONF_SHEET",
    "DEFAULT_BUTTONS",
    "DEFAULT_XLWINGS_CONF",
    "duban_bas_path",
    "default_modules",
    "build_xlsm",
    "upgrade_to_xlsm",
    "write_xlwings_conf",
    "read_xlwings_conf",
    "vba_subs",
]

INSTRUCTIONS_SHEET = "说明"
XLWINGS_CONF_SHEET = "xlwings.conf"

# (caption, VBA sub, top-left cell)
DEFAULT_BUTTONS: list[tuple[str, str, str]] = [
    ("生成反馈表", "DubanSheets", "B3"),
    ("生成邮件", "DubanMail", "B5"),
    ("汇总反馈", "DubanCollect", "B7"),
    ("研判状态", "DubanStatus", "B9"),
    ("生成报告", "DubanReport", "B11"),
    ("催报", "DubanRemind", "B13"),
]

DEFAULT_XLWINGS_CONF: dict[str, Any] = {
    "UDF Modules": "duban.xl.udfs",
    "Show Console": False,
}

ButtonSpec = Union[tuple[str, str, str], tuple[str, str, str, Mapping[str, Any]]]
ModuleSpec = Union[VBAModule, str, Path]

_BUTTON_SIZE = {"width": 160, "height": 30}


# --------------------------------------------------------------------------
# VBA modules
# --------------------------------------------------------------------------


def duban_bas_path() -> Path:
    """``macros/duban.bas`` in a checkout, or ``duban/macros/duban.bas`` once
    installed (pyproject maps the ``macros`` folder to ``duban.macros``)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "macros" / "duban.bas", here / "macros" / "duban.bas"):
        if candidate.is_file():
            return candidate
    try:
        from importlib.resources import files

        res = files("duban.macros") / "duban.bas"
        if res.is_file():
            return Path(str(res))
    except (ModuleNotFoundError, TypeError):
        pass
    raise FileNotFoundError("duban.bas not found next to the duban package")


def default_modules() -> list[VBAModule]:
    """The xlwings standalone module plus the duban button module."""
    return [xlwings_module(), read_module_file(duban_bas_path())]


def _as_module(spec: ModuleSpec) -> VBAModule:
    if isinstance(spec, VBAModule):
        return spec
    return read_module_file(spec)


_SUB_RE = re.compile(r"^\s*(?:Public\s+)?Sub\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.IGNORECASE | re.MULTILINE)


def vba_subs(modules: Iterable[VBAModule]) -> set[str]:
    """Names of the public Subs of ``modules`` (what a button may call)."""
    names: set[str] = set()
    for m in modules:
        names.update(_SUB_RE.findall(m.code))
    return names


# --------------------------------------------------------------------------
# xlwings.conf sheet
# --------------------------------------------------------------------------


def write_xlwings_conf(workbook: Any, settings: Mapping[str, Any], sheet_name: str = XLWINGS_CONF_SHEET):
    """Write xlwings settings to a sheet named exactly ``xlwings.conf``:
    keys in column A from A1 down, values in column B, no blank row
    (xlwings reads A1 down to the first empty cell).

    ``workbook`` is an openpyxl ``Workbook`` (an existing sheet of that name
    is cleared and reused) or an XlsxWriter ``Workbook`` (a sheet is added).
    Booleans are written as Excel booleans (what xlwings' own template
    holds), ``None`` values as empty cells.  Returns the worksheet.
    """
    items = [(str(k), v) for k, v in settings.items()]
    for key, _ in items:
        if not key.strip():
            raise ValueError("empty xlwings.conf key")
    if isinstance(workbook, xlsxwriter.Workbook):
        ws = workbook.get_worksheet_by_name(sheet_name) or workbook.add_worksheet(sheet_name)
        ws.set_column(0, 0, 24)
        ws.set_column(1, 1, 60)
        for row, (key, value) in enumerate(items):
            ws.write_string(row, 0, key)
            if isinstance(value, bool):
                ws.write_boolean(row, 1, value)
            elif value is not None:
                ws.write(row, 1, value)
        return ws
    if sheet_name in workbook.sheetnames:
        ws = workbook[sheet_name]
        ws.delete_rows(1, ws.max_row)
    else:
        ws = workbook.create_sheet(sheet_name)
    for row, (key, value) in enumerate(items, start=1):
        ws.cell(row=row, column=1, value=key)
        ws.cell(row=row, column=2, value=value)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 60
    return ws


def read_xlwings_conf(ws) -> dict[str, Any]:
    """Read an xlwings.conf sheet (openpyxl worksheet) the way xlwings does:
    from A1 down to the first empty key."""
    out: dict[str, Any] = {}
    row = 1
    while True:
        key = ws.cell(row=row, column=1).value
        if key is None or str(key) == "":
            return out
        out[str(key)] = ws.cell(row=row, column=2).value
        row += 1


# --------------------------------------------------------------------------
# Copying sheets with openpyxl
# --------------------------------------------------------------------------


def _copy_style(src, dst) -> None:
    if src.has_style:
        dst.font = copy(src.font)
        dst.border = copy(src.border)
        dst.fill = copy(src.fill)
        dst.number_format = src.number_format
        dst.protection = copy(src.protection)
        dst.alignment = copy(src.alignment)


def _copy_sheet(src, dst) -> None:
    """Copy contents and layout of openpyxl worksheet ``src`` into ``dst``
    (which may live in another workbook).  The sheet code name of ``dst``
    is kept: it ties the sheet to its VBA document module."""
    for rng in src.merged_cells.ranges:
        dst.merge_cells(str(rng))
    for (row, col), cell in sorted(src._cells.items()):
        if isinstance(cell, MergedCell):
            target = dst._cells.get((row, col)) or dst.cell(row=row, column=col)
            _copy_style(cell, target)
            continue
        target = dst.cell(row=row, column=col)
        target.value = cell.value
        _copy_style(cell, target)
        if cell.hyperlink is not None:
            target.hyperlink = copy(cell.hyperlink)
        if cell.comment is not None:
            target.comment = copy(cell.comment)

    for key, cd in src.column_dimensions.items():
        nd = ColumnDimension(
            dst, index=key, width=cd.width, bestFit=cd.bestFit, hidden=cd.hidden,
            outlineLevel=cd.outlineLevel, collapsed=cd.collapsed,
            min=cd.min, max=cd.max, customWidth=cd.customWidth,
        )
        _copy_style(cd, nd)
        dst.column_dimensions[key] = nd
    for idx, rd in src.row_dimensions.items():
        nd = RowDimension(
            dst, index=idx, ht=rd.ht, hidden=rd.hidden, outlineLevel=rd.outlineLevel,
            collapsed=rd.collapsed, thickBot=rd.thickBot, thickTop=rd.thickTop,
        )
        _copy_style(rd, nd)
        dst.row_dimensions[idx] = nd
    fmt = src.sheet_format
    dst.sheet_format.defaultColWidth = fmt.defaultColWidth
    dst.sheet_format.defaultRowHeight = fmt.defaultRowHeight
    dst.sheet_format.baseColWidth = fmt.baseColWidth

    # views
    dst.freeze_panes = src.freeze_panes
    sv, dv = src.sheet_view, dst.sheet_view
    for attr in ("showGridLines", "showRowColHeaders", "showZeros", "rightToLeft",
                 "zoomScale", "zoomScaleNormal", "view"):
        setattr(dv, attr, getattr(sv, attr))
    dst.sheet_state = src.sheet_state

    # sheet properties other than the code name
    sp, dp = src.sheet_properties, dst.sheet_properties
    dp.tabColor = copy(sp.tabColor)
    dp.pageSetUpPr = copy(sp.pageSetUpPr)
    dp.outlinePr = copy(sp.outlinePr)

    # printing
    for attr in ("orientation", "paperSize", "scale", "fitToHeight", "fitToWidth",
                 "firstPageNumber", "useFirstPageNumber", "pageOrder", "blackAndWhite",
                 "draft", "cellComments", "errors", "horizontalDpi", "verticalDpi", "copies"):
        setattr(dst.page_setup, attr, getattr(src.page_setup, attr))
    dst.print_options = copy(src.print_options)
    dst.page_margins = copy(src.page_margins)
    dst.HeaderFooter = copy(src.HeaderFooter)
    if src.print_title_rows:
        dst.print_title_rows = src.print_title_rows
    if src.print_title_cols:
        dst.print_title_cols = src.print_title_cols
    if src.print_area:
        dst.print_area = src.print_area
    dst.row_breaks = copy(src.row_breaks)
    dst.col_breaks = copy(src.col_breaks)

    # data tools
    dst.auto_filter = copy(src.auto_filter)
    for validation in src.data_validations.dataValidation:
        dst.add_data_validation(copy(validation))
    for cf in src.conditional_formatting:
        for rule in cf.rules:
            dst.conditional_formatting.add(str(cf.sqref), copy(rule))
    dst.protection = copy(src.protection)
    for table in src.tables.values():
        dst.add_table(copy(table))


# --------------------------------------------------------------------------
# Building the workbook
# --------------------------------------------------------------------------


def _normalise_buttons(buttons: Sequence[ButtonSpec]) -> list[tuple[str, str, str, dict]]:
    out = []
    for spec in buttons:
        if len(spec) == 3:
            caption, macro, cell = spec  # type: ignore[misc]
            options: dict = {}
        elif len(spec) == 4:
            caption, macro, cell, options = spec  # type: ignore[misc]
            options = dict(options)
        else:
            raise ValueError("button spec must be (caption, macro, cell[, options]): %r" % (spec,))
        out.append((str(caption), str(macro), str(cell), options))
    return out


def _load_source(source: Any):
    if source is None:
        return None
    if isinstance(source, openpyxl.Workbook):
        return source
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(path)
    return openpyxl.load_workbook(path, keep_vba=False, keep_links=True, rich_text=True)


def build_xlsm(
    source: Any,
    out_path: str | Path,
    buttons: Sequence[ButtonSpec] = DEFAULT_BUTTONS,
    modules: Sequence[ModuleSpec] | None = None,
    *,
    sheet_name: str = INSTRUCTIONS_SHEET,
    xlwings_conf: Mapping[str, Any] | None = None,
    instructions: Sequence[str] | None = None,
) -> Path:
    """Write a macro-enabled workbook to ``out_path`` and return its path.

    ``source``: ``None`` (a fresh workbook), a path to an .xlsx/.xlsm, or an
    openpyxl ``Workbook``; all its sheets are carried over in order.
    ``buttons``: ``(caption, macro_name, cell)`` or ``(caption, macro_name,
    cell, xlsxwriter_button_options)``; they go on sheet ``sheet_name``
    (created first if the source has none) and every macro must be a Sub of
    ``modules``.  ``modules``: VBA modules or .bas paths; default
    :func:`default_modules`.  Document modules (``ThisWorkbook``, one per
    sheet) are added automatically.  ``xlwings_conf``: settings for the
    ``xlwings.conf`` sheet (merged over the source's own sheet if any);
    ``None`` leaves the source's sheet as it is and adds none.
    ``instructions``: lines written from A1 down on a newly created
    instructions sheet.
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".xlsm":
        raise ValueError("a macro-enabled workbook must be saved as .xlsm: %s" % out_path)
    src_wb = _load_source(source)
    mods = [_as_module(m) for m in (modules if modules is not None else default_modules())]
    specs = _normalise_buttons(buttons)
    known = {s.lower() for s in vba_subs(mods)}
    missing = [macro for _, macro, _, _ in specs if macro.lower() not in known]
    if missing:
        raise ValueError("buttons call macros that no module defines: %s" % missing)

    # final sheet order
    names = list(src_wb.sheetnames) if src_wb is not None else []
    new_instructions = sheet_name not in names
    if new_instructions:
        names.insert(0, sheet_name)
    conf = None
    if xlwings_conf is not None:
        conf = {}
        if src_wb is not None and XLWINGS_CONF_SHEET in src_wb.sheetnames:
            conf.update(read_xlwings_conf(src_wb[XLWINGS_CONF_SHEET]))
        conf.update(xlwings_conf)
        if XLWINGS_CONF_SHEET not in names:
            names.append(XLWINGS_CONF_SHEET)

    # VBA project: code modules + ThisWorkbook + one document module a sheet
    codenames = {name: "Sheet%d" % (i + 1) for i, name in enumerate(names)}
    given = {m.name.lower() for m in mods}
    doc_mods = [document_module(n) for n in ["ThisWorkbook", *codenames.values()]
                if n.lower() not in given]
    project = build_vba_project([*doc_mods, *mods])

    # XlsxWriter skeleton
    buf = io.BytesIO()
    xw = xlsxwriter.Workbook(buf, {"in_memory": True})
    xw.set_vba_name("ThisWorkbook")
    for name in names:
        ws = xw.add_worksheet(name)
        ws.set_vba_name(codenames[name])
        if name == sheet_name:
            if new_instructions:
                ws.set_column(0, 0, 4)
                ws.set_column(1, 1, 24)
                for row, line in enumerate(instructions or ()):
                    ws.write_string(row, 0, line)
            for caption, macro, cell, options in specs:
                opts = {**_BUTTON_SIZE, **options, "macro": macro, "caption": caption}
                ws.insert_button(cell, opts)
    if conf is not None and src_wb is None:
        write_xlwings_conf(xw, conf)
    xw.add_vba_project(io.BytesIO(project), is_stream=True)
    xw.close()

    if src_wb is None:
        out_path.write_bytes(buf.getvalue())
        return out_path

    buf.seek(0)
    wb = openpyxl.load_workbook(buf, keep_vba=True)
    for name in src_wb.sheetnames:
        _copy_sheet(src_wb[name], wb[name])
    if conf is not None:
        write_xlwings_conf(wb, conf)
    for key, defined in src_wb.defined_names.items():
        wb.defined_names[key] = copy(defined)
    wb.calculation = copy(src_wb.calculation)
    wb.active = names.index(sheet_name) if new_instructions else src_wb.index(src_wb.active)
    wb.save(out_path)
    return out_path


def upgrade_to_xlsm(
    src_xlsx: str | Path,
    out_xlsm: str | Path | None = None,
    buttons: Sequence[ButtonSpec] = DEFAULT_BUTTONS,
    modules: Sequence[ModuleSpec] | None = None,
    **kwargs: Any,
) -> Path:
    """Turn an existing .xlsx master workbook into a .xlsm with the VBA
    project and the buttons, keeping every sheet (values, styles, merged
    ranges, widths, freeze panes, print settings, staff-added columns).
    ``out_xlsm`` defaults to the source path with the .xlsm suffix; the
    source file is never modified."""
    src = Path(src_xlsx)
    out = Path(out_xlsm) if out_xlsm is not None else src.with_suffix(".xlsm")
    if out.resolve() == src.resolve():
        raise ValueError("output would overwrite the source workbook: %s" % src)
    return build_xlsm(src, out, buttons, modules, **kwargs)

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
Every save goes through :func:`save_workbook` (``duban.store.atomic_save``
does), which fixes what openpyxl leaves behind: a sheet created later gets
a code name and a document module (:func:`ensure_document_modules`), and
:func:`tidy_package` makes the package consistent -- comment shapes that
openpyxl merges into the buttons' VML drawing get their own shape ids under
one shapelayout, and the parts of a file Excel saved that openpyxl copies
without their relationships (``xl/ctrlProps``) are removed.
"""

from __future__ import annotations

import io
import re
import zipfile
from copy import copy
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, Union

import openpyxl
import xlsxwriter
from openpyxl.cell.cell import MergedCell
from openpyxl.worksheet.dimensions import ColumnDimension, RowDimension

from .vba import (
    VBAModule,
    VBAProjectError,
    add_document_modules,
    build_vba_project,
    document_module,
    read_module_file,
    read_project,
    xlwings_dictionary_module,
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
    "ensure_document_modules",
    "save_workbook",
    "tidy_package",
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
    ("生成督办单", "DubanNotices", "B15"),
    ("考核汇总", "DubanScore", "B17"),
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
    """The xlwings standalone module, its ``Dictionary`` class module (which
    ``xlwings.bas`` uses on macOS; both read from the installed xlwings
    package) and the duban button module."""
    return [xlwings_module(), xlwings_dictionary_module(), read_module_file(duban_bas_path())]


def _as_module(spec: ModuleSpec) -> VBAModule:
    if isinstance(spec, VBAModule):
        return spec
    return read_module_file(spec)


_SUB_RE = re.compile(r"^\s*(?:Public\s+)?Sub\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.IGNORECASE | re.MULTILINE)


def vba_subs(modules: Iterable[VBAModule]) -> set[str]:
    """Names of the public Subs of ``modules`` (what a button may call)."""
    names: set[str] = set()
    for m in modules:
        if m.kind == "standard":  # a button cannot call into a class or sheet module by name
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
        tidy_package(out_path)
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
    save_workbook(wb, out_path)
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


# --------------------------------------------------------------------------
# Saving with openpyxl: document modules, package consistency, one VML owner
# --------------------------------------------------------------------------

VBA_PART = "xl/vbaProject.bin"


def ensure_document_modules(wb) -> list[str]:
    """Give every worksheet of an openpyxl workbook loaded with
    ``keep_vba=True`` a code name with a document module in its VBA project.

    openpyxl creates new sheets (统计, a new period's sheet ...) without a
    ``codeName``; Excel would then add the sheet's module itself and ask
    "save changes?" on a file the user did not touch.  The project in
    ``wb.vba_archive`` gets the missing modules (:func:`add_document_modules`:
    nothing else in it changes).  Returns the code names added.  A project
    that cannot be read or extended safely is left as it is.
    """
    archive = getattr(wb, "vba_archive", None)
    if archive is None or VBA_PART not in archive.namelist():
        return []
    data = archive.read(VBA_PART)
    try:
        info = read_project(data, sources=False)
    except (VBAProjectError, ValueError, OSError, KeyError):
        return []
    modules = {m.name.lower(): m for m in info.modules}
    taken = set(modules)
    claimed: set[str] = set()
    added: list[tuple[Any, Any, str]] = []
    for ws in wb.worksheets:
        code = ws.sheet_properties.codeName
        low = (code or "").lower()
        if low in modules and modules[low].kind == "document" and low not in claimed and low != "thisworkbook":
            claimed.add(low)
            continue
        if code and _MODULE_NAME_RE.match(code) and low not in taken:
            new = code
        else:
            n = 1
            while "sheet%d" % n in taken:
                n += 1
            new = "Sheet%d" % n
        taken.add(new.lower())
        claimed.add(new.lower())
        added.append((ws, code, new))
    if not added:
        return []
    try:
        new_data = add_document_modules(data, [new for _, _, new in added])
    except (VBAProjectError, ValueError):
        return []
    for ws, _, new in added:
        ws.sheet_properties.codeName = new
    if wb.code_name is None and "thisworkbook" in modules:
        wb.code_name = "ThisWorkbook"
    import warnings

    with warnings.catch_warnings():  # the archive is append-only: the last entry wins
        warnings.simplefilter("ignore")
        archive.writestr(VBA_PART, new_data)
    return [new for _, _, new in added]


def save_workbook(wb, path: str | Path) -> None:
    """``wb.save(path)`` for an openpyxl workbook, plus what openpyxl leaves
    undone: missing sheet document modules (before), :func:`tidy_package`
    (after).  Anything else with a ``save`` method is just saved."""
    if isinstance(wb, openpyxl.Workbook):
        if getattr(wb, "vba_archive", None) is not None:
            ensure_document_modules(wb)
        wb.save(path)
        tidy_package(path)
    else:
        wb.save(path)


_MODULE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")

_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_VML_NS = "urn:schemas-microsoft-com:vml"
_O_NS = "urn:schemas-microsoft-com:office:office"
_X_NS = "urn:schemas-microsoft-com:office:excel"
_RELS_CT = "application/vnd.openxmlformats-package.relationships+xml"

# the content type a part must have, by the type of the relationship that
# targets it (only types with one right answer)
_CT_BY_REL = {
    "vmlDrawing": "application/vnd.openxmlformats-officedocument.vmlDrawing",
    "ctrlProp": "application/vnd.ms-excel.controlproperties+xml",
    "comments": "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml",
    "printerSettings": "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings",
    "vbaProject": "application/vnd.ms-office.vbaProject",
    "calcChain": "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml",
    "sharedStrings": "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
    "customXmlProps": "application/vnd.openxmlformats-officedocument.customXmlProperties+xml",
    "worksheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    "drawing": "application/vnd.openxmlformats-officedocument.drawing+xml",
    "chart": "application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
    "styles": "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
    "theme": "application/vnd.openxmlformats-officedocument.theme+xml",
}
_CT_BY_EXT = {
    "png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "gif": "image/gif",
    "emf": "image/x-emf", "wmf": "image/x-wmf", "xml": "application/xml",
    "vml": "application/vnd.openxmlformats-officedocument.vmlDrawing", "rels": _RELS_CT,
}


def _rels_path(part: str) -> str:
    if not part:
        return "_rels/.rels"
    folder, _, name = part.rpartition("/")
    return (folder + "/" if folder else "") + "_rels/" + name + ".rels"


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    folder = source.rpartition("/")[0]
    stack: list[str] = []
    for piece in (folder.split("/") if folder else []) + target.split("/"):
        if piece == "..":
            if stack:
                stack.pop()
        elif piece and piece != ".":
            stack.append(piece)
    return "/".join(stack)


def _vml_spid_planned(count: int, first_block: int) -> tuple[list[int], list[int]]:
    blocks = (count + 1024) // 1024
    return ([first_block + i for i in range(blocks)],
            [first_block * 1024 + 1 + i for i in range(count)])


_VML_PREFIX = {_VML_NS: "v", _O_NS: "o", _X_NS: "x"}
_SHAPE_TAGS = {"shape", "rect", "roundrect", "oval", "line", "polyline", "curve", "arc", "image", "group"}


def _vml_serialize(root) -> bytes:
    """VML in the form Excel and XlsxWriter write: prefixes v/o/x declared
    once on the <xml> root."""
    from xml.sax.saxutils import escape, quoteattr

    prefixes = dict(_VML_PREFIX)

    def name(tag: str) -> str:
        if tag.startswith("{"):
            ns, local = tag[1:].split("}", 1)
            if ns not in prefixes:
                prefixes[ns] = "ns%d" % len(prefixes)
            return "%s:%s" % (prefixes[ns], local)
        return tag

    def write(el, out: list[str]) -> None:
        attrs = "".join(" %s=%s" % (name(k), quoteattr(v)) for k, v in el.attrib.items())
        tag = name(el.tag)
        if len(el) == 0 and not el.text:
            out.append("<%s%s/>" % (tag, attrs))
        else:
            out.append("<%s%s>" % (tag, attrs))
            if el.text:
                out.append(escape(el.text))
            for child in el:
                write(child, out)
            out.append("</%s>" % tag)
        if el.tail:
            out.append(escape(el.tail))

    body: list[str] = []
    if root.text:
        body.append(escape(root.text))
    for child in root:
        write(child, body)
    decls = "".join(' xmlns:%s="%s"' % (p, ns) for ns, p in prefixes.items())
    return ("<xml%s>" % decls + "".join(body) + "</xml>").encode("utf-8")


def _tidy_vml(data: bytes, first_block: int) -> tuple[bytes | None, int, str | None]:
    """One VML part: a single <o:shapelayout> whose idmap names this part's
    id blocks, each shapetype once, shape ids ``_x0000_s<block*1024+k>``
    unique.  Returns (new bytes or None when already so, blocks used,
    problem or None)."""
    from xml.etree import ElementTree as ET

    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        try:  # Excel writes HTML-style <br> inside text boxes
            root = ET.fromstring(re.sub(rb"<br\s*>", b"<br/>", data))
        except ET.ParseError as exc:
            return None, 1, "VML 无法解析：%s" % exc
    changed = False
    layouts = [el for el in root if el.tag == "{%s}shapelayout" % _O_NS]
    for extra in layouts[1:]:
        root.remove(extra)
        changed = True
    seen_types: set[str] = set()
    for el in list(root):
        if el.tag == "{%s}shapetype" % _VML_NS:
            key = el.get("id") or ""
            if key in seen_types:
                root.remove(el)
                changed = True
            seen_types.add(key)
    shapes = [el for el in root.iter()
              if el.tag.startswith("{%s}" % _VML_NS) and el.tag.split("}", 1)[1] in _SHAPE_TAGS]
    blocks, ids = _vml_spid_planned(len(shapes), first_block)
    spid_attr = "{%s}spid" % _O_NS
    for el, num in zip(shapes, ids):
        want = "_x0000_s%d" % num
        if el.get(spid_attr) is not None or not (el.get("id") or "_x0000_s").startswith("_x0000_s"):
            if el.get(spid_attr) != want:
                el.set(spid_attr, want)
                changed = True
        elif el.get("id") != want:
            el.set("id", want)
            changed = True
    data_attr = ",".join(str(b) for b in blocks)
    if layouts:
        layout = layouts[0]
    else:
        layout = ET.Element("{%s}shapelayout" % _O_NS, {"{%s}ext" % _VML_NS: "edit"})
        root.insert(0, layout)
        changed = True
    idmap = layout.find("{%s}idmap" % _O_NS)
    if idmap is None:
        idmap = ET.SubElement(layout, "{%s}idmap" % _O_NS, {"{%s}ext" % _VML_NS: "edit"})
    if idmap.get("data") != data_attr:
        idmap.set("data", data_attr)
        changed = True
    if list(root).index(layout) != 0:
        root.remove(layout)
        root.insert(0, layout)
        changed = True
    return (_vml_serialize(root) if changed else None), len(blocks), None


def tidy_package(path: str | Path) -> list[str]:
    """Make a saved .xlsx/.xlsm package consistent, whatever openpyxl did.

    * every part is reachable by relationships from the package root; a part
      that is not (openpyxl copies ``xl/ctrlProps/*`` of a file Excel saved
      but drops the ``<controls>`` and relationships that used them; the same
      for ``customUI``, signatures …) is removed with its content type;
    * every relationship to a missing part is removed (unless the source
      part uses its id, which is reported);
    * every part has a content type (an Override when the relationship type
      fixes it), and no Override names a missing part;
    * every VML drawing has one ``<o:shapelayout>``, each shapetype once and
      unique shape ids in its own id blocks -- buttons and cell comments
      share the 说明 sheet's VML without clashing (openpyxl numbers comment
      shapes from ``_x0000_s1026`` and appends a second shapelayout).

    Unchanged members are copied without recompression; nothing is written
    when all is already so.  Returns what was changed, for the tests.
    """
    from xml.etree import ElementTree as ET

    path = Path(path)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        present = set(names)
        lower = {n.lower(): n for n in names}
        if "[Content_Types].xml" not in present:
            return []
        ct_root = ET.fromstring(zf.read("[Content_Types].xml"))

        # relationship graph from the package root
        rels_of: dict[str, Any] = {}
        reachable: set[str] = set()
        rel_types: dict[str, set[str]] = {}
        vml_parts: list[str] = []
        queue = [""]
        changes: list[str] = []
        problems: list[str] = []
        rewrites: dict[str, bytes] = {}
        while queue:
            source = queue.pop(0)
            rp = _rels_path(source)
            if rp not in present:
                continue
            root = ET.fromstring(zf.read(rp))
            rels_of[rp] = root
            dirty = False
            for rel in list(root):
                if rel.get("TargetMode") == "External":
                    continue
                target = _resolve(source, rel.get("Target", ""))
                kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
                if target not in present and target.lower() in lower:
                    target = lower[target.lower()]
                if target not in present:
                    rid = rel.get("Id") or ""
                    used = source and rid and re.search(
                        rb"""[:\s]id\s*=\s*["']%s["']""" % re.escape(rid.encode()), zf.read(source))
                    if used:
                        problems.append("%s 的关系 %s 指向不存在的 %s" % (source, rid, target))
                        continue
                    root.remove(rel)
                    dirty = True
                    changes.append("removed relationship %s -> %s" % (source or "/", target))
                    continue
                rel_types.setdefault(target, set()).add(kind)
                if target not in reachable:
                    reachable.add(target)
                    queue.append(target)
                    if kind == "vmlDrawing":
                        vml_parts.append(target)
            if dirty:
                rewrites[rp] = ET.tostring(root, encoding="utf-8", xml_declaration=True,
                                           default_namespace=_REL_NS)

        keep = {"[Content_Types].xml"} | reachable | {rp for rp in rels_of}
        remove = {n for n in names if n not in keep and not n.endswith("/")}
        for n in sorted(remove):
            changes.append("removed orphan part %s" % n)

        # content types
        defaults = {el.get("Extension", "").lower(): el for el in ct_root
                    if el.tag == "{%s}Default" % _CT_NS}
        overrides = {el.get("PartName", "").lstrip("/"): el for el in ct_root
                     if el.tag == "{%s}Override" % _CT_NS}
        ct_dirty = False
        for part, el in list(overrides.items()):
            if part not in keep or part in remove:
                ct_root.remove(el)
                del overrides[part]
                ct_dirty = True
                changes.append("removed content type of missing part %s" % part)
        for part in sorted(keep - {"[Content_Types].xml"}):
            if part in remove:
                continue
            ext = part.rpartition(".")[2].lower() if "." in part.rpartition("/")[2] else ""
            expected = None
            for kind in rel_types.get(part, ()):
                expected = expected or _CT_BY_REL.get(kind)
            current = overrides[part].get("ContentType") if part in overrides else (
                defaults[ext].get("ContentType") if ext in defaults else None)
            if current is not None and (expected is None or current == expected):
                continue
            if expected is None and part.endswith(".rels"):
                expected = _RELS_CT
            if expected is None:
                expected = _CT_BY_EXT.get(ext)
            if expected is None:
                problems.append("%s 没有内容类型" % part)
                continue
            if part in overrides:
                overrides[part].set("ContentType", expected)
            else:
                el = ET.SubElement(ct_root, "{%s}Override" % _CT_NS,
                                   {"PartName": "/" + part, "ContentType": expected})
                overrides[part] = el
            ct_dirty = True
            changes.append("content type of %s: %s" % (part, expected))
        if ct_dirty:
            rewrites["[Content_Types].xml"] = ET.tostring(ct_root, encoding="utf-8", xml_declaration=True,
                                                          default_namespace=_CT_NS)

        # VML drawings: one owner of the shape ids
        block = 1
        for part in vml_parts:
            new, used, problem = _tidy_vml(zf.read(part), block)
            block += used
            if problem:
                problems.append("%s：%s" % (part, problem))
            elif new is not None:
                rewrites[part] = new
                changes.append("renumbered the shapes of %s" % part)

    if rewrites or remove:
        _rewrite_zip(path, rewrites, remove)
    return changes + ["problem: " + p for p in problems]


def _dos_time(date_time: tuple) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    if y < 1980:
        y, mo, d, h, mi, s = 1980, 1, 1, 0, 0, 0
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _rewrite_zip(path: Path, replace: Mapping[str, bytes], remove: set[str]) -> None:
    """Rewrite the zip at ``path`` with ``replace`` (name -> new bytes; new
    names appended) and without ``remove``.  Other members are copied as
    they are (no recompression), which keeps a write of a large master
    cheap; a Zip64 archive falls back to a full rewrite."""
    import os
    import struct
    import zlib

    replace = dict(replace)
    tmp = path.with_name(path.name + ".tidy~")
    try:
        with zipfile.ZipFile(path) as src:
            infos = src.infolist()
            if len(infos) > 65000 or any(i.file_size >= 0xFFFFFFFF or i.compress_size >= 0xFFFFFFFF
                                         or i.header_offset >= 0xFFFFFFFF for i in infos):
                with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
                    for info in infos:
                        if info.filename in remove:
                            continue
                        data = replace.pop(info.filename, None)
                        dst.writestr(info, data if data is not None else src.read(info))
                    for name, data in replace.items():
                        dst.writestr(name, data)
                os.replace(tmp, path)
                return
            central = bytearray()
            count = 0
            with open(path, "rb") as raw, open(tmp, "wb") as out:
                def emit(name: str, flags: int, method: int, date_time: tuple, crc: int,
                         csize: int, usize: int, payload: bytes, external: int) -> None:
                    nonlocal count
                    try:
                        bname = name.encode("ascii")
                        flags &= ~0x800
                    except UnicodeEncodeError:
                        bname = name.encode("utf-8")
                        flags |= 0x800
                    flags &= ~0x08  # sizes are in the local header: no data descriptor
                    t, d = _dos_time(date_time)
                    offset = out.tell()
                    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, t, d,
                                          crc, csize, usize, len(bname), 0))
                    out.write(bname)
                    out.write(payload)
                    central.extend(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method,
                                               t, d, crc, csize, usize, len(bname), 0, 0, 0, 0,
                                               external, offset))
                    central.extend(bname)
                    count += 1

                def emit_new(name: str, data: bytes, date_time: tuple, external: int) -> None:
                    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
                    payload = comp.compress(data) + comp.flush()
                    emit(name, 0, zipfile.ZIP_DEFLATED, date_time, zlib.crc32(data) & 0xFFFFFFFF,
                         len(payload), len(data), payload, external)

                for info in infos:
                    name = info.filename
                    if name in remove:
                        continue
                    if name in replace:
                        emit_new(name, replace.pop(name), info.date_time, info.external_attr)
                        continue
                    raw.seek(info.header_offset)
                    header = raw.read(30)
                    if header[:4] != b"PK\x03\x04":
                        raise zipfile.BadZipFile("bad local header for %s" % name)
                    name_len, extra_len = struct.unpack("<HH", header[26:30])
                    raw.seek(info.header_offset + 30 + name_len + extra_len)
                    payload = raw.read(info.compress_size)
                    emit(name, info.flag_bits, info.compress_type, info.date_time, info.CRC,
                         info.compress_size, info.file_size, payload, info.external_attr)
                import time

                for name, data in replace.items():
                    emit_new(name, data, time.localtime()[:6], 0o600 << 16)
                cd_offset = out.tell()
                out.write(central)
                out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count,
                                      len(central), cd_offset, 0))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()

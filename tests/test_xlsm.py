"""The macro-enabled master workbook: built with XlsxWriter + our VBA
project, kept by openpyxl keep_vba round trips, read back by olevba and
imported by LibreOffice -- real components, no mocks."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from oletools.olevba import VBA_Parser

from duban.vba import read_module_file, xlwings_bas_path, xlwings_module
from duban.xlsm import (
    DEFAULT_BUTTONS,
    DEFAULT_XLWINGS_CONF,
    XLWINGS_CONF_SHEET,
    build_xlsm,
    default_modules,
    duban_bas_path,
    read_xlwings_conf,
    upgrade_to_xlsm,
    write_xlwings_conf,
)

REPO = Path(__file__).resolve().parents[1]
MACROS = {macro for _, macro, _ in DEFAULT_BUTTONS}
CONF = {
    "Interpreter_Win": r"C:\duban\python\pythonw.exe",
    "PYTHONPATH": r"C:\duban\app",
    **DEFAULT_XLWINGS_CONF,
}


# --------------------------------------------------------------------------
# helpers reading the package directly
# --------------------------------------------------------------------------


def _norm(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def olevba_modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        assert parser.detect_vba_macros()
        out = {}
        for _, stream_path, _, code in parser.extract_macros():
            if isinstance(code, bytes):
                code = code.decode("cp1252")
            out[stream_path.split("/")[-1]] = code
        return out
    finally:
        parser.close()


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    folder, name = part.rsplit("/", 1)
    rels_name = "%s/_rels/%s.rels" % (folder, name)
    if rels_name not in zf.namelist():
        return {}
    root = ET.fromstring(zf.read(rels_name))
    out = {}
    for rel in root:
        target = rel.get("Target")
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            parts = folder.split("/") + target.split("/")
            stack: list[str] = []
            for p in parts:
                if p == "..":
                    stack.pop()
                elif p and p != ".":
                    stack.append(p)
            resolved = "/".join(stack)
        out[rel.get("Id")] = (rel.get("Type").rsplit("/", 1)[-1], resolved)
    return out


NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = _rels(zf, "xl/workbook.xml")
    return {
        s.get("name"): rels[s.get("{%s}id" % NS["r"])][1]
        for s in wb.find("m:sheets", NS)
    }


def buttons_in(path: Path, sheet: str) -> list[tuple[str, str]]:
    """(caption, macro) of the form-control buttons on ``sheet``: the VML
    drawing reached through the sheet's <legacyDrawing> relationship."""
    with zipfile.ZipFile(path) as zf:
        part = sheet_parts(zf)[sheet]
        root = ET.fromstring(zf.read(part))
        legacy = root.find("m:legacyDrawing", NS)
        if legacy is None:
            return []
        kind, vml_part = _rels(zf, part)[legacy.get("{%s}id" % NS["r"])]
        assert kind == "vmlDrawing"
        vml = zf.read(vml_part).decode("utf-8")
        ctypes = zf.read("[Content_Types].xml").decode("utf-8")
        assert 'Extension="vml"' in ctypes or vml_part in ctypes
    out = []
    for shape in re.findall(r"<v:shape\b.*?</v:shape>", vml, re.S):
        if 'ObjectType="Button"' not in shape:
            continue
        caption = re.sub(r"<[^>]+>", "", re.search(r"<v:textbox.*?</v:textbox>", shape, re.S).group(0))
        macro = re.search(r"<x:FmlaMacro>\[0\]!([^<]+)</x:FmlaMacro>", shape).group(1)
        out.append((caption.strip(), macro))
    return out


def vba_bin(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/vbaProject.bin")


def content_type_of_workbook(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        root = ET.fromstring(zf.read("[Content_Types].xml"))
    for el in root:
        if el.get("PartName") == "/xl/workbook.xml":
            return el.get("ContentType")
    raise AssertionError("no workbook override")


def codenames(path: Path) -> tuple[str, dict[str, str]]:
    with zipfile.ZipFile(path) as zf:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        book = wb.find("m:workbookPr", NS).get("codeName")
        sheets = {}
        for name, part in sheet_parts(zf).items():
            pr = ET.fromstring(zf.read(part)).find("m:sheetPr", NS)
            sheets[name] = pr.get("codeName") if pr is not None else None
    return book, sheets


def check_project(path: Path, added_later: tuple[str, ...] = ()) -> None:
    """olevba reads every module back identical to its source, and every
    workbook/sheet code name has its document module (sheets created later
    by openpyxl, ``added_later``, carry no code name: Excel assigns one)."""
    found = olevba_modules(path)
    for mod in default_modules():
        assert _norm(found[mod.name]) == _norm(mod.source), mod.name
    assert _norm(found["xlwings"]) == _norm(xlwings_bas_path().read_text("ascii"))
    assert _norm(found["duban"]) == _norm(duban_bas_path().read_text("ascii"))
    book, sheets = codenames(path)
    assert book == "ThisWorkbook"
    for sheet, code in sheets.items():
        if sheet in added_later and code is None:
            continue
        assert code in found, (sheet, code)
        assert 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in found[code]
    assert 'Attribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"' in found["ThisWorkbook"]


# --------------------------------------------------------------------------
# fresh workbook
# --------------------------------------------------------------------------


@pytest.fixture
def fresh(tmp_path) -> Path:
    return build_xlsm(None, tmp_path / "督办.xlsm", xlwings_conf=CONF, instructions=["督办工作簿", "点击按钮"])


def test_fresh_workbook(fresh):
    assert content_type_of_workbook(fresh) == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    check_project(fresh)
    assert set(buttons_in(fresh, "说明")) == {(c, m) for c, m, _ in DEFAULT_BUTTONS}
    wb = openpyxl.load_workbook(fresh, keep_vba=True)
    assert wb.sheetnames == ["说明", XLWINGS_CONF_SHEET]
    assert wb["说明"]["A1"].value == "督办工作簿"
    assert read_xlwings_conf(wb[XLWINGS_CONF_SHEET]) == CONF


def test_buttons_must_name_existing_subs(tmp_path):
    with pytest.raises(ValueError, match="NoSuchSub"):
        build_xlsm(None, tmp_path / "x.xlsm", buttons=[("?", "NoSuchSub", "B2")])
    with pytest.raises(ValueError):
        build_xlsm(None, tmp_path / "x.xlsx")


def test_custom_buttons_and_modules(tmp_path):
    bas = tmp_path / "extra.bas"
    bas.write_bytes(b'Attribute VB_Name = "Extra"\r\nSub Hello()\r\n    MsgBox "hi"\r\nEnd Sub\r\n')
    out = build_xlsm(
        None, tmp_path / "c.xlsm",
        buttons=[("Hi", "Hello", "C3", {"width": 200}), ("Sheets", "DubanSheets", "C6")],
        modules=[xlwings_module(), read_module_file(duban_bas_path()), bas],
    )
    assert buttons_in(out, "说明") == [("Hi", "Hello"), ("Sheets", "DubanSheets")]
    found = olevba_modules(out)
    assert "Sub Hello()" in found["Extra"]


# --------------------------------------------------------------------------
# openpyxl keep_vba round trip
# --------------------------------------------------------------------------


def test_openpyxl_keep_vba_round_trip_keeps_project_and_buttons(fresh, tmp_path):
    original_bin = vba_bin(fresh)
    out = tmp_path / "round.xlsm"
    wb = openpyxl.load_workbook(fresh, keep_vba=True)
    wb["说明"]["D20"] = "写入的数据"
    ws = wb.create_sheet("数据")
    ws.append(["a", 1])
    wb.save(out)
    # twice, as a real workbook is saved over and over
    wb = openpyxl.load_workbook(out, keep_vba=True)
    wb["数据"]["B2"] = 2
    wb.save(out)

    assert vba_bin(out) == original_bin
    assert content_type_of_workbook(out) == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    check_project(out, added_later=("数据",))
    assert set(buttons_in(out, "说明")) == {(c, m) for c, m, _ in DEFAULT_BUTTONS}
    with zipfile.ZipFile(out) as zf:
        rels = _rels(zf, "xl/workbook.xml")
        assert ("vbaProject", "xl/vbaProject.bin") in rels.values()
    wb = openpyxl.load_workbook(out)
    assert wb["说明"]["D20"].value == "写入的数据"
    assert wb["数据"]["B2"].value == 2


def test_saving_without_keep_vba_loses_the_macros(fresh, tmp_path):
    # documents why every writer must pass keep_vba=True
    out = tmp_path / "lost.xlsx"
    openpyxl.load_workbook(fresh).save(out)
    with zipfile.ZipFile(out) as zf:
        assert "xl/vbaProject.bin" not in zf.namelist()


# --------------------------------------------------------------------------
# upgrade an existing .xlsx
# --------------------------------------------------------------------------


def make_source(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "目标任务"
    header = ["序号", "目标任务", "责任单位", "完成时限", "办理状态", "科室备注"]  # last: staff column
    ws.append(header)
    for i in range(1, 41):
        ws.append([i, "任务%02d：推进重点项目建设" % i, "单位%d" % (i % 7), "2025-%02d-30" % (i % 12 + 1),
                   ["未启动", "推进中", "已完成"][i % 3], ("已电话督促" if i % 4 == 0 else None)])
    bold = Font(name="宋体", bold=True, size=12, color="FF0000")
    fill = PatternFill("solid", fgColor="DDEBF7")
    thin = Side(style="thin")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    ws["D2"].number_format = "yyyy-mm-dd"
    ws.merge_cells("A43:C43")
    ws["A43"] = "合计"
    ws["D43"] = "=COUNTA(B2:B41)"
    ws.merge_cells("E43:F44")
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 48
    ws.column_dimensions["F"].width = 30  # widened by staff
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "C2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.auto_filter.ref = "A1:F41"

    ws2 = wb.create_sheet("进展反馈")
    ws2.append(["任务", "反馈", "日期"])
    ws2.append(["任务01", "已开工", 45658])
    ws2["C2"].number_format = "yyyy/m/d"
    ws2.merge_cells("A5:C5")
    ws2["A5"] = "说明：每周五前反馈"
    ws2.column_dimensions["B"].width = 60
    ws2.freeze_panes = "A2"

    ws3 = wb.create_sheet("说明")
    ws3["A1"] = "原有说明文字"
    ws3["A2"] = "第二行"

    wb.save(path)
    return path


def _snapshot(ws) -> dict:
    return {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value is not None}


def test_upgrade_keeps_everything(tmp_path):
    src = make_source(tmp_path / "督办台账.xlsx")
    before = src.read_bytes()
    out = upgrade_to_xlsm(src, xlwings_conf=CONF)
    assert out == tmp_path / "督办台账.xlsm"
    assert src.read_bytes() == before  # the source is not touched

    check_project(out)
    assert set(buttons_in(out, "说明")) == {(c, m) for c, m, _ in DEFAULT_BUTTONS}
    assert content_type_of_workbook(out) == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

    old = openpyxl.load_workbook(src)
    new = openpyxl.load_workbook(out, keep_vba=True)
    # sheets in the same order, the instructions sheet reused, conf appended
    assert new.sheetnames == old.sheetnames + [XLWINGS_CONF_SHEET]
    for name in old.sheetnames:
        a, b = old[name], new[name]
        assert _snapshot(a) == _snapshot(b), name
        assert {str(r) for r in a.merged_cells.ranges} == {str(r) for r in b.merged_cells.ranges}, name
        assert a.freeze_panes == b.freeze_panes, name
        for key, dim in a.column_dimensions.items():
            assert b.column_dimensions[key].width == dim.width, (name, key)
        for idx, dim in a.row_dimensions.items():
            assert b.row_dimensions[idx].height == dim.height, (name, idx)

    a, b = old["目标任务"], new["目标任务"]
    assert [c.value for c in b[1]] == ["序号", "目标任务", "责任单位", "完成时限", "办理状态", "科室备注"]
    assert [b.cell(row=r, column=6).value for r in range(2, 42)] == \
        [a.cell(row=r, column=6).value for r in range(2, 42)]
    assert b["A1"].font.bold and b["A1"].font.color.rgb == "00FF0000" and b["A1"].font.name == "宋体"
    assert b["B1"].fill.fgColor.rgb == a["B1"].fill.fgColor.rgb
    assert b["C1"].border.left.style == "thin"
    assert b["D1"].alignment.wrap_text
    assert b["D2"].number_format == "yyyy-mm-dd"
    assert b["D43"].value == "=COUNTA(B2:B41)"
    assert b.print_title_rows == "$1:$1"
    assert b.page_setup.orientation == "landscape"
    assert b.sheet_properties.pageSetUpPr.fitToPage
    assert b.auto_filter.ref == "A1:F41"
    assert new["进展反馈"]["C2"].number_format == "yyyy/m/d"
    assert read_xlwings_conf(new[XLWINGS_CONF_SHEET]) == CONF


def test_upgrade_without_instructions_sheet_and_conf_merge(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "台账"
    wb.active["A1"] = "x"
    staff_conf = wb.create_sheet(XLWINGS_CONF_SHEET)
    staff_conf["A1"], staff_conf["B1"] = "Interpreter_Win", r"D:\local\pythonw.exe"
    staff_conf["A2"], staff_conf["B2"] = "Conda Env", "duban"
    src = tmp_path / "a.xlsx"
    wb.save(src)
    out = upgrade_to_xlsm(src, tmp_path / "b.xlsm", xlwings_conf={"Show Console": True})
    new = openpyxl.load_workbook(out, keep_vba=True)
    assert new.sheetnames == ["说明", "台账", XLWINGS_CONF_SHEET]
    assert new.active.title == "说明"
    assert read_xlwings_conf(new[XLWINGS_CONF_SHEET]) == {
        "Interpreter_Win": r"D:\local\pythonw.exe", "Conda Env": "duban", "Show Console": True}
    check_project(out)
    with pytest.raises(ValueError):
        upgrade_to_xlsm(out, out)


def test_write_xlwings_conf_layout():
    wb = openpyxl.Workbook()
    write_xlwings_conf(wb, {"UDF Modules": "duban.xl.udfs", "Show Console": False, "PYTHONPATH": r"C:\x"})
    ws = wb[XLWINGS_CONF_SHEET]
    assert [ws.cell(row=r, column=1).value for r in range(1, 5)] == ["UDF Modules", "Show Console", "PYTHONPATH", None]
    assert ws["B2"].value is False
    # rewriting replaces, never leaves stale rows behind
    write_xlwings_conf(wb, {"Show Console": True})
    assert read_xlwings_conf(ws) == {"Show Console": True}
    assert ws.max_row == 1 or ws["A2"].value is None


def test_udf_module_of_default_conf_exists():
    import importlib.util

    assert importlib.util.find_spec(DEFAULT_XLWINGS_CONF["UDF Modules"]) is not None


# --------------------------------------------------------------------------
# LibreOffice
# --------------------------------------------------------------------------

soffice = shutil.which("soffice") or shutil.which("libreoffice")
needs_lo = pytest.mark.skipif(soffice is None, reason="LibreOffice (soffice) is not on PATH")


def to_ods(xlsm: Path, outdir: Path, tmp_path: Path) -> Path:
    profile = tmp_path / ("lo_%s" % uuid.uuid4().hex)
    subprocess.run(
        [soffice, "--headless", "--norestore", "-env:UserInstallation=%s" % profile.as_uri(),
         "--convert-to", "ods", "--outdir", str(outdir), str(xlsm)],
        check=False, capture_output=True, timeout=240,
    )
    ods = outdir / (xlsm.stem + ".ods")
    assert ods.is_file(), "LibreOffice did not convert %s" % xlsm  # soffice exits 0 on failure
    return ods


def basic_modules(ods: Path) -> dict[str, str]:
    """Basic/<library>/<module>.xml of the .ods -> module text."""
    out = {}
    with zipfile.ZipFile(ods) as zf:
        for name in zf.namelist():
            m = re.fullmatch(r"Basic/([^/]+)/([^/]+)\.xml", name)
            if not m or m.group(2) in ("script-lb", "dialog-lb"):
                continue
            root = ET.fromstring(zf.read(name))
            out[m.group(2)] = root.text or ""
    return out


def _code_lines(text: str) -> list[str]:
    return [l for l in _norm(text).split("\n") if not l.startswith("Attribute ")]


def _rstrip_lines(lines: list[str]) -> list[str]:
    lines = list(lines)
    while lines and lines[-1] == "":
        lines.pop()
    return lines


@needs_lo
@pytest.mark.parametrize("variant", ["fresh", "upgraded", "round-trip"])
def test_libreoffice_imports_modules_and_buttons(variant, tmp_path, fresh):
    if variant == "fresh":
        xlsm = fresh
    elif variant == "upgraded":
        xlsm = upgrade_to_xlsm(make_source(tmp_path / "src.xlsx"), tmp_path / "upgraded.xlsm")
    else:
        xlsm = tmp_path / "round.xlsm"
        wb = openpyxl.load_workbook(fresh, keep_vba=True)
        wb["说明"]["C30"] = 1
        wb.save(xlsm)
    outdir = tmp_path / "ods"
    outdir.mkdir()
    ods = to_ods(xlsm, outdir, tmp_path)
    found = basic_modules(ods)
    for mod in default_modules():
        assert mod.name in found, sorted(found)
        lo_lines = _norm(found[mod.name]).split("\n")
        # LibreOffice prepends "Rem Attribute VBA_ModuleType=..." and
        # "Option VBASupport 1" (and "Option ClassModule" to a class module:
        # xlwings' Dictionary arrives as a class); the rest is the module source
        if mod.kind == "class":
            assert lo_lines[0] == "Rem Attribute VBA_ModuleType=VBAClassModule"
            assert lo_lines[1:3] == ["Option VBASupport 1", "Option ClassModule"]
            del lo_lines[2]
        else:
            assert lo_lines[0].startswith("Rem Attribute VBA_ModuleType=VBAModule")
        assert lo_lines[1] == "Option VBASupport 1"
        assert _rstrip_lines(lo_lines[2:]) == _rstrip_lines(_code_lines(mod.source))
    assert "ThisWorkbook" in found
    # the form-control buttons arrive bound to the macros of module "duban"
    with zipfile.ZipFile(ods) as zf:
        content = zf.read("content.xml").decode("utf-8")
    bound = set(re.findall(r"vnd\.sun\.star\.script:VBAProject\.duban\.(\w+)\?", content))
    assert bound == MACROS
    labels = set(re.findall(r'form:label="([^"]*)"', content))
    assert {c for c, _, _ in DEFAULT_BUTTONS} <= labels
    if variant == "upgraded":
        assert "推进重点项目建设" in content and "科室备注" in content

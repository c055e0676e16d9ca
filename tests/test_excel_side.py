"""The master's package against what real Excel does, without Excel.

* A master that Excel saved (``excel_saved.excel_resave``: <controls>,
  ctrlProps, shared strings, calc chain, printer settings, custom XML, a
  comment in the buttons' VML) is run through every command that writes the
  master, and ``xl upgrade``: afterwards every part has its content type,
  every relationship target exists, nothing is orphaned, the VML has one
  shapelayout and unique shape ids, every button still names its macro, the
  comment is still there, every sheet has a code name with a document module.
* The same for a duban-built master where staff added cell comments (openpyxl
  numbers comment shapes from _x0000_s1026, which a button already uses).
* After each step openxml-audit finds no error but its one known false
  positive (see excel_saved.KNOWN_FALSE_POSITIVES).
"""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from excel_saved import (
    KNOWN_FALSE_POSITIVES,
    audit,
    audit_errors,
    buttons,
    comment_texts,
    excel_resave,
    legacy_comment_text,
    package_problems,
    vml_shape_ids,
)
from openpyxl.comments import Comment
from test_buttons import PERIOD, built, set_current  # noqa: F401  (fixture: a .xlsm master from the notice)
from test_xl_setup import windows_plan

from duban import actions
from duban.demo import sample_notice
from duban.importer import init_master
from duban.master import S_STATS, load_master
from duban.store import open_store
from duban.vba import read_project
from duban.xlsetup import read_conf, run_setup, upgrade_master, vba_modules
from duban.xlsm import DEFAULT_BUTTONS, ensure_document_modules, save_workbook, tidy_package

EXPECTED_BUTTONS = [(c, m) for c, m, _ in DEFAULT_BUTTONS]
COMMENT = "请先核对单位名录再生成反馈表（张科长）"


def settle_as_staff(master: Path) -> None:
    """Staff settle the items the engine left open (人工研判), as the report requires."""
    from duban.demo import settle_open_items
    from duban.master import save_master

    with open_store(master) as s:
        m = load_master(s)
        settle_open_items(m, PERIOD)
        save_master(s, m, parts=("indicators", "tasks"), periods=[PERIOD])


def every_writing_command(master: Path):
    """Run each command that writes the master, in a working order; yield its name after it."""
    from duban.simulate import simulate_returns

    set_current(master)
    yield "settings"
    actions.run_on_file("sheets", master)
    yield "sheets"
    with open_store(master, write=False) as s:
        m = load_master(s)
    simulate_returns(m, PERIOD, master.parent / "收件箱", silent=2, broken=0, resubmit=0, emails=1)
    actions.run_on_file("collect", master)
    yield "collect"
    actions.run_on_file("status", master)
    yield "status"
    settle_as_staff(master)
    actions.run_on_file("report", master)
    yield "report"
    run_setup(master, plan=windows_plan())
    yield "xl setup"
    upgrade_master(master)
    yield "xl upgrade"
    init_master(sample_notice(), master)
    yield "init (re-import)"


def check_master(path: Path, step: str, *, comments: dict[str, str]) -> None:
    problems = package_problems(path)
    assert not problems, (step, problems)
    assert buttons(path) == EXPECTED_BUTTONS, step
    assert comment_texts(path) == comments, step
    errors = audit_errors(path)
    assert not errors, (step, errors)


@pytest.fixture(params=["threaded", "note"])
def excel_master(request, built, tmp_path) -> Path:
    """A master Excel saved; its comment on 说明 a Microsoft 365 threaded comment or a plain note."""
    return excel_resave(built, tmp_path / "督办主表.xlsm", comment=COMMENT, threaded=request.param == "threaded")


def excel_comment(path: Path) -> dict[str, str]:
    """What openpyxl (and Excel before 365) reads as the comment of D2."""
    with zipfile.ZipFile(path) as zf:
        threaded = "xl/threadedComments/threadedComment1.xml" in zf.namelist()
    return {"D2": legacy_comment_text(COMMENT) if threaded else COMMENT}


def test_the_excel_saved_fixture_has_what_excel_writes(excel_master):
    assert package_problems(excel_master) == []
    assert buttons(excel_master) == EXPECTED_BUTTONS
    with zipfile.ZipFile(excel_master) as zf:
        names = set(zf.namelist())
        sheet = zf.read("xl/worksheets/sheet1.xml").decode("utf-8")
        vml = zf.read("xl/drawings/vmlDrawing1.vml").decode("utf-8")
        ct = zf.read("[Content_Types].xml").decode("utf-8")
    assert {"xl/sharedStrings.xml", "xl/calcChain.xml", "xl/printerSettings/printerSettings1.bin",
            "customXml/item1.xml", "customXml/itemProps1.xml", "xl/comments1.xml"} <= names
    assert {f"xl/ctrlProps/ctrlProp{i}.xml" for i in range(1, 7)} <= names
    assert sheet.index("<legacyDrawing") < sheet.index("<controls>")
    assert sheet.count("<control ") == len(DEFAULT_BUTTONS) and 'macro="[0]!DubanSheets"' in sheet
    assert vml.count("<o:shapelayout") == 1 and 'id="Button_x0020_1" o:spid="_x0000_s1025"' in vml
    assert len(set(vml_shape_ids(vml))) == len(DEFAULT_BUTTONS) + 1  # the buttons and the comment, one id each
    assert ct.count("application/vnd.ms-excel.controlproperties+xml") == len(DEFAULT_BUTTONS)
    assert audit_errors(excel_master) == []
    assert comment_texts(excel_master) == excel_comment(excel_master)


def test_a_plain_openpyxl_save_of_it_is_what_the_issue_describes(excel_master, tmp_path):
    """Why duban's writes go through save_workbook: openpyxl alone leaves the
    ctrlProps parts orphaned and gives the comment the id of a button."""
    wb = openpyxl.load_workbook(excel_master, keep_vba=True)
    wb["设置"]["A30"] = "x"
    wb.save(tmp_path / "plain.xlsm")
    problems = package_problems(tmp_path / "plain.xlsm")
    assert sum(p.startswith("orphan part: xl/ctrlProps/") for p in problems) == len(DEFAULT_BUTTONS)
    assert "duplicate VML shape ids: ['_x0000_s1026']" in problems

    save_workbook(openpyxl.load_workbook(excel_master, keep_vba=True), tmp_path / "duban.xlsm")
    assert package_problems(tmp_path / "duban.xlsm") == []
    with zipfile.ZipFile(tmp_path / "duban.xlsm") as zf:
        assert not [n for n in zf.namelist() if n.startswith("xl/ctrlProps/")]
    # a second tidy has nothing left to do
    assert tidy_package(tmp_path / "duban.xlsm") == []


def test_excel_saved_master_through_every_writing_command(excel_master):
    kept_modules = vba_modules(excel_master)
    comments = excel_comment(excel_master)  # a threaded comment lives on as its legacy note
    for step in every_writing_command(excel_master):
        check_master(excel_master, step, comments=comments)
    wb = openpyxl.load_workbook(excel_master, keep_vba=True)
    assert S_STATS in wb.sheetnames
    found = vba_modules(excel_master)
    for name in ("xlwings", "Dictionary", "duban", "xlwings_udfs", "ThisWorkbook"):
        assert name in found
    assert set(kept_modules) <= set(found)
    assert read_conf(excel_master)["Interpreter_Win"].endswith("pythonw.exe")


def test_comments_on_the_button_sheet_through_every_writing_command(built, tmp_path):
    master = tmp_path / built.name
    shutil.copy2(built, master)
    # staff add comments (here with openpyxl, which is how they reach the buttons' VML)
    wb = openpyxl.load_workbook(master, keep_vba=True)
    wb["说明"]["D2"].comment = Comment(COMMENT, "张科长")
    wb["说明"]["A1"].comment = Comment("第二条批注", "李")
    wb["重点任务"]["B3"].comment = Comment("这项任务请重点关注", "张科长")
    wb.save(master)
    assert "duplicate VML shape ids: ['_x0000_s1026', '_x0000_s1027']" in package_problems(master)
    for step in every_writing_command(master):
        check_master(master, step, comments={"D2": COMMENT, "A1": "第二条批注"})
        with zipfile.ZipFile(master) as zf:
            vmls = [n for n in zf.namelist() if n.endswith(".vml")]
            assert len(vmls) == 2, (step, vmls)  # 说明's (buttons + comments) and 重点任务's
    wb = openpyxl.load_workbook(master, keep_vba=True)
    assert wb["重点任务"]["B3"].comment.text == "这项任务请重点关注"


# --------------------------------------------------------------------------
# sheets duban adds later
# --------------------------------------------------------------------------


def test_a_sheet_added_by_a_command_gets_a_code_name_and_a_document_module(built, tmp_path):
    master = tmp_path / built.name
    shutil.copy2(built, master)
    set_current(master)
    actions.run_on_file("sheets", master)
    actions.run_on_file("status", master)  # creates 统计
    wb = openpyxl.load_workbook(master, keep_vba=True)
    assert S_STATS in wb.sheetnames
    code = wb[S_STATS].sheet_properties.codeName
    codes = [ws.sheet_properties.codeName for ws in wb.worksheets]
    assert code and len(set(codes)) == len(codes)
    found = vba_modules(master)
    assert 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in found[code]
    assert package_problems(master) == []


def test_ensure_document_modules_on_openpyxl_sheets(built, tmp_path):
    wb = openpyxl.load_workbook(built, keep_vba=True)
    wb.create_sheet("新表")
    copy = wb.copy_worksheet(wb["单位"])  # same code name as 单位: must get its own
    added = ensure_document_modules(wb)
    assert len(added) == 2
    assert wb["新表"].sheet_properties.codeName in added and copy.sheet_properties.codeName in added
    save_workbook(wb, tmp_path / "x.xlsm")
    info = read_project(zipfile.ZipFile(tmp_path / "x.xlsm").read("xl/vbaProject.bin"))
    assert {a.lower() for a in added} <= info.module_names()
    assert package_problems(tmp_path / "x.xlsm") == []
    # nothing to add the second time
    wb = openpyxl.load_workbook(tmp_path / "x.xlsm", keep_vba=True)
    assert ensure_document_modules(wb) == []


# --------------------------------------------------------------------------
# openxml-audit over every kind of generated package
# --------------------------------------------------------------------------


def test_the_known_false_positive_is_real_and_the_only_error_of_openpyxl_files(tmp_path):
    """openpyxl writes <font> children out of the SDK's sequence; the audit
    flags exactly that (so the allowance is needed), and it is listed with why."""
    path = tmp_path / "m.xlsx"
    init_master(sample_notice(), path)
    errors, known, warnings = audit(path)
    assert errors == []
    assert known and all(e.part_uri == "/xl/styles.xml" for e in known)
    assert all(why for _, _, why in KNOWN_FALSE_POSITIVES)
    assert {getattr(w, "id", None) for w in warnings} <= {"Excel_InlineStrCells"}


def test_every_generated_package_passes_openxml_audit(built, tmp_path):
    pytest.importorskip("docx")
    master = tmp_path / built.name
    shutil.copy2(built, master)
    assert audit_errors(master) == []
    set_current(master)
    actions.run_on_file("sheets", master)
    feedback = sorted((tmp_path / "反馈表" / PERIOD).glob("*.xlsx"))
    assert feedback
    for path in feedback[:3]:
        errors, known, _ = audit(path)
        assert errors == [] and known == [], path.name  # XlsxWriter: not even the font order
    actions.run_on_file("status", master)
    settle_as_staff(master)
    result = actions.run_on_file("report", master)
    docx, annex = result.outputs
    assert docx.suffix == ".docx" and annex.suffix == ".xlsx"
    assert audit_errors(docx) == []
    assert audit_errors(annex) == []
    assert audit_errors(master) == []
    # the .xlsx master too
    plain = tmp_path / "plain" / "主表.xlsx"
    plain.parent.mkdir()
    init_master(sample_notice(), plain)
    assert audit_errors(plain) == []
    assert package_problems(plain) == []


soffice = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(soffice is None, reason="LibreOffice (soffice) is not on PATH")
def test_libreoffice_reads_the_excel_saved_master_and_its_duban_rewrite(excel_master, tmp_path):
    import re

    from test_xlsm import to_ods

    outdir = tmp_path / "ods"
    outdir.mkdir()
    set_current(excel_master)  # a duban write of the Excel-saved file
    ods = to_ods(excel_master, outdir, tmp_path)
    with zipfile.ZipFile(ods) as zf:
        content = zf.read("content.xml").decode("utf-8")
        basic = [n for n in zf.namelist() if n.startswith("Basic/VBAProject/")]
    bound = set(re.findall(r"vnd\.sun\.star\.script:VBAProject\.duban\.(\w+)\?", content))
    assert bound == {m for _, m in EXPECTED_BUTTONS}
    assert "Basic/VBAProject/Dictionary.xml" in basic


# --------------------------------------------------------------------------
# tidy_package details
# --------------------------------------------------------------------------


def test_rewrite_copies_unchanged_members_without_recompressing(tmp_path):
    from duban.xlsm import _rewrite_zip

    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("stored.txt", b"s" * 1000, compress_type=zipfile.ZIP_STORED)
        zf.writestr("deflated.xml", b"<x>" + b"d" * 5000 + b"</x>", compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("说明/中文.xml", "中文".encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("gone.bin", b"x")

    def raw(p: Path, name: str) -> bytes:
        with zipfile.ZipFile(p) as zf:
            info = zf.getinfo(name)
        data = p.read_bytes()
        n, e = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little"), \
            int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
        start = info.header_offset + 30 + n + e
        return data[start:start + info.compress_size]

    before = raw(path, "deflated.xml")
    _rewrite_zip(path, {"stored.txt": b"new", "added.xml": b"<a/>"}, {"gone.bin"})
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == ["stored.txt", "deflated.xml", "说明/中文.xml", "added.xml"]
        assert zf.read("stored.txt") == b"new" and zf.read("added.xml") == b"<a/>"
        assert zf.read("说明/中文.xml").decode("utf-8") == "中文"
    assert raw(path, "deflated.xml") == before


def test_many_comments_on_the_button_sheet_get_more_id_blocks(built, tmp_path):
    wb = openpyxl.load_workbook(built, keep_vba=True)
    for row in range(1, 1101):
        wb["说明"].cell(row=row, column=8).comment = Comment(f"批注{row}", "张")
    save_workbook(wb, tmp_path / "m.xlsm")
    assert package_problems(tmp_path / "m.xlsm") == []
    with zipfile.ZipFile(tmp_path / "m.xlsm") as zf:
        vml = zf.read("xl/drawings/vmlDrawing1.vml").decode("utf-8")
    assert '<o:idmap v:ext="edit" data="1,2"/>' in vml
    ids = vml_shape_ids(vml)
    n = 1100 + len(DEFAULT_BUTTONS)
    assert len(ids) == n and ids[0] == "_x0000_s1025" and ids[-1] == "_x0000_s%d" % (1024 + n)
    assert buttons(tmp_path / "m.xlsm") == EXPECTED_BUTTONS

"""The master's buttons, run headless: every entry point of duban.xl.buttons is
called with a path on a real .xlsm master built from the bundled notice, its
effects are checked in the files, and the VBA project and the buttons are
still there afterwards (olevba, the VML of the 说明 sheet)."""
from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from test_xlsm import _norm, buttons_in, content_type_of_workbook

import duban.xl.buttons as buttons
from duban import actions
from duban.cli import XL_BUTTONS, cli
from duban.demo import sample_notice
from duban.importer import init_master
from duban.master import S_LOG, S_STATS, load_master, save_master
from duban.store import BACKUP_DIR, open_store
from duban.xlsetup import master_modules, vba_modules
from duban.xlsm import DEFAULT_BUTTONS, duban_bas_path

PERIOD = "1-6月"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("built") / "督办主表.xlsm"
    init_master(sample_notice(), path)
    return path


@pytest.fixture
def master(built, tmp_path) -> Path:
    path = tmp_path / built.name
    shutil.copy2(built, path)
    return path


def set_current(path: Path, label: str = PERIOD) -> None:
    with open_store(path) as s:
        m = load_master(s)
        m.settings["current_period"] = label
        save_master(s, m, parts=("settings",))


def export(path: Path) -> dict:
    r = CliRunner().invoke(cli, ["export", str(path)])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def assert_macros_kept(path: Path) -> None:
    """Every standard module as built, every sheet's document module, the buttons."""
    assert content_type_of_workbook(path) == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    found = vba_modules(path)
    for mod in master_modules():
        assert _norm(found[mod.name]) == _norm(mod.source), mod.name
    assert "ThisWorkbook" in found
    assert buttons_in(path, "说明") == [(c, m) for c, m, _ in DEFAULT_BUTTONS]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------
# the built master
# --------------------------------------------------------------------------


def test_init_xlsm_builds_a_macro_master(built):
    assert_macros_kept(built)
    data = export(built)
    assert len(data["tasks"]) > 100 and len(data["indicators"]) >= 8
    wb = openpyxl.load_workbook(built, keep_vba=True)
    assert wb.sheetnames[0] == "说明" and wb.sheetnames[-1] == "xlwings.conf"
    assert wb["xlwings.conf"]["A1"].value == "UDF Modules" and wb["xlwings.conf"]["B1"].value == "duban.xl.udfs"
    # no temporary file left beside
    assert sorted(p.name for p in built.parent.iterdir() if not p.name.startswith(".duban")) == [built.name]


def test_button_captions_are_the_actions_captions():
    by_macro = {a.macro: a for a in actions.ACTIONS.values()}
    for caption, macro, _ in DEFAULT_BUTTONS:
        assert by_macro[macro].caption == caption
    assert {a.name for a in actions.ACTIONS.values()} | {"upgrade"} == set(XL_BUTTONS)


def test_every_runpython_names_an_existing_entry_point():
    text = duban_bas_path().read_text("ascii")
    calls = re.findall(r'RunPython\s+"import\s+([\w.]+)\s+as\s+(\w+);\s*(\w+)\.(\w+)\(\)"', text)
    subs = re.findall(r"^Sub\s+(\w+)\(\)", text, re.M)
    assert len(calls) == len(subs) == 9
    for module_name, alias, used, func in calls:
        assert alias == used
        module = importlib.import_module(module_name)
        fn = getattr(module, func)
        params = list(inspect.signature(fn).parameters.values())
        # callable with no argument (RunPython) and with a path (tests, duban xl run)
        assert len(params) == 1 and params[0].default is None, func
        assert func in XL_BUTTONS


# --------------------------------------------------------------------------
# each entry point with a path
# --------------------------------------------------------------------------


def test_buttons_need_the_current_period(master):
    before = sha(master)
    with pytest.raises(actions.ActionError, match="当前期次"):
        buttons.sheets(str(master))
    with pytest.raises(actions.ActionError, match="当前期次"):
        buttons.status(str(master))
    assert sha(master) == before


def test_sheets_status_and_writes_keep_the_macros(master):
    set_current(master)
    result = buttons.sheets(str(master))
    out = master.parent / "反馈表" / PERIOD
    files = sorted(out.glob("*.xlsx"))
    assert len(files) > 50 and result.outputs == [out]
    assert any("已生成反馈表" in line for line in result.lines)
    data = export(master)
    assert [p["label"] for p in data["periods"]] == [PERIOD]
    assert_macros_kept(master)

    with open_store(master) as s:
        m = load_master(s)
        tasks = m.task_by_id()
        tasks[68].entry(PERIOD).progress = "完成农村改厕800户"
        tasks[63].entry(PERIOD).progress = "轨道7号线、15号线正在加快建设"
        tasks[63].entry(PERIOD).override = "推进较为滞后"
        save_master(s, m)
    result = buttons.status(str(master))
    assert "研判完成" in result.lines[0]
    tasks = {t["id"]: t for t in export(master)["tasks"]}
    assert tasks[68]["periods"][PERIOD]["status"] in ("已完成", "正常推进")
    assert "800" in tasks[68]["periods"][PERIOD]["reason"]
    assert tasks[1]["periods"][PERIOD]["status"] == "未报送"
    assert tasks[63]["periods"][PERIOD]["effective_status"] == "推进较为滞后"
    assert all(t["periods"][PERIOD]["status"] for t in tasks.values())
    assert_macros_kept(master)
    assert list((master.parent / BACKUP_DIR).glob("*.xlsm"))
    log = (master.parent / "督办日志.txt").read_text("utf-8-sig")
    assert "生成反馈表" in log and "研判状态" in log


def test_collect_creates_the_inbox_then_consolidates(master):
    from duban.simulate import simulate_returns

    set_current(master)
    buttons.sheets(str(master))
    inbox = master.parent / "收件箱"
    before = sha(master)
    result = buttons.collect(str(master))
    assert inbox.is_dir() and "新建“收件箱”" in result.lines[0]
    assert sha(master) == before

    with open_store(master, write=False) as s:
        m = load_master(s)
    sim = simulate_returns(m, PERIOD, inbox, silent=2, broken=1, resubmit=1, emails=1)
    result = buttons.collect(str(master))
    assert "反馈汇总" in result.lines[0]
    with open_store(master, write=False) as s:
        m = load_master(s)
    accepted = {r.unit for r in m.log if r.period == PERIOD and r.result == "采用"}
    assert accepted and not accepted & set(sim.silent)
    assert sum(1 for t in m.tasks if t.entry(PERIOD).progress) > 50
    assert (master.parent / "归档").is_dir()
    assert_macros_kept(master)
    # idempotent: the same inbox again changes nothing in the sheets
    rows = export(master)
    buttons.collect(str(master))
    assert export(master) == rows


def test_report_writes_docx_annexes_and_the_dashboard(master):
    pytest.importorskip("docx")
    set_current(master)
    buttons.sheets(str(master))
    buttons.status(str(master))
    before = sha(master)
    with pytest.raises(actions.ActionError, match="未确定状态，未生成报告"):  # nothing reported yet: no official report
        buttons.report(str(master))
    assert sha(master) == before and not (master.parent / "报告").exists()
    with open_store(master) as s:  # staff confirm in 人工研判 that nothing was reported
        m = load_master(s)
        for item in [*m.tasks, *m.indicators]:
            item.entry(PERIOD).override = "未报送"
        save_master(s, m, parts=("tasks", "indicators"), periods=[PERIOD])
    result = buttons.report(str(master))
    folder = master.parent / "报告"
    docx = folder / f"2022年{PERIOD}推进情况报告.docx"
    annex = folder / f"2022年{PERIOD}附件.xlsx"
    assert result.outputs == [docx, annex] and docx.is_file() and annex.is_file()
    import docx as python_docx

    text = "\n".join(p.text for p in python_docx.Document(str(docx)).paragraphs)
    assert f"2022年区政府工作报告重点任务{PERIOD}推进情况" in text
    wb = openpyxl.load_workbook(master, keep_vba=True)
    assert S_STATS in wb.sheetnames
    assert_macros_kept(master)


@pytest.mark.parametrize("name", ["mail", "remind"])
def test_mail_and_remind_write_the_outbox_and_leave_the_master(master, name):
    pytest.importorskip("duban.mail")
    set_current(master)
    buttons.sheets(str(master))
    before = sha(master)
    result = getattr(buttons, name)(str(master))
    outbox = master.parent / "发件箱" / PERIOD
    emls = sorted(outbox.glob("*.eml"))
    assert len(emls) > 50 and result.outputs == [outbox]
    assert ("催报" in emls[0].name) == (name == "remind")
    assert sha(master) == before  # mail never changes the master
    assert not list(master.parent.glob("*_发送记录.csv"))  # nothing sent without being asked


def test_upgrade_refreshes_the_macros_in_place_and_keeps_the_data(tmp_path):
    from duban.vba import read_module_file, xlwings_module
    from duban.xlsetup import read_conf
    from duban.xlsm import upgrade_to_xlsm

    # a master made by an older duban: one button, no UDF module, a PC's interpreter
    src = tmp_path / "旧.xlsx"
    init_master(sample_notice(), src)
    old_bas = tmp_path / "old.bas"
    old_bas.write_bytes(b'Attribute VB_Name = "duban"\r\nSub DubanSheets()\r\n'
                        b'    RunPython "import duban.xl.buttons as b; b.sheets()"\r\nEnd Sub\r\n')
    master = upgrade_to_xlsm(src, tmp_path / "主表.xlsm", buttons=[("旧按钮", "DubanSheets", "B3")],
                             modules=[xlwings_module(), read_module_file(old_bas)],
                             xlwings_conf={"Interpreter_Win": r"C:\py\pythonw.exe"})
    assert "xlwings_udfs" not in vba_modules(master)
    wb = openpyxl.load_workbook(master, keep_vba=True)
    wb["说明"]["A40"] = "科室自己的说明"
    wb.save(master)
    data = export(master)

    result = buttons.upgrade(str(master))
    assert result.outputs == [master]
    assert_macros_kept(master)
    assert export(master) == data
    assert openpyxl.load_workbook(master)["说明"]["A40"].value == "科室自己的说明"
    assert read_conf(master) == {"Interpreter_Win": r"C:\py\pythonw.exe", "UDF Modules": "duban.xl.udfs",
                                 "Show Console": False}
    assert list((tmp_path / BACKUP_DIR).glob("主表.*.xlsm"))


def test_upgrade_of_an_xlsx_master(tmp_path):
    src = tmp_path / "主表.xlsx"
    init_master(sample_notice(), src)
    before = sha(src)
    result = buttons.upgrade(str(src))
    out = tmp_path / "主表.xlsm"
    assert result.outputs == [out] and sha(src) == before
    assert_macros_kept(out)
    assert export(out) == export(src)
    with pytest.raises(Exception, match="已存在"):
        buttons.upgrade(str(src))


# --------------------------------------------------------------------------
# duban xl run / upgrade (the CLI over the same entry points)
# --------------------------------------------------------------------------


def test_cli_xl_run_status_and_errors(master):
    r = CliRunner().invoke(cli, ["xl", "run", "status", str(master)])
    assert r.exit_code == 1 and "当前期次" in r.output
    set_current(master)
    r = CliRunner().invoke(cli, ["xl", "run", "sheets", str(master)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["xl", "run", "status", str(master)])
    assert r.exit_code == 0 and "研判完成" in r.output
    r = CliRunner().invoke(cli, ["xl", "run", "nosuch", str(master)])
    assert r.exit_code == 2
    assert_macros_kept(master)


def test_cli_xl_run_refuses_a_master_open_in_excel(master):
    set_current(master)
    owner = master.with_name("~$" + master.name)
    owner.write_bytes(b"x")
    before = sha(master)
    r = CliRunner().invoke(cli, ["xl", "run", "status", str(master)])
    assert r.exit_code == 1 and "正在 Excel" in r.output
    assert sha(master) == before


def test_cli_xl_upgrade(tmp_path):
    src = tmp_path / "主表.xlsx"
    init_master(sample_notice(), src)
    r = CliRunner().invoke(cli, ["xl", "upgrade", str(src), "-o", str(tmp_path / "宏主表.xlsm")])
    assert r.exit_code == 0, r.output
    assert_macros_kept(tmp_path / "宏主表.xlsm")
    r = CliRunner().invoke(cli, ["xl", "upgrade", str(src), "-o", str(tmp_path / "x.xlsx")])
    assert r.exit_code == 1 and ".xlsm" in r.output
    not_master = tmp_path / "别的.xlsx"
    openpyxl.Workbook().save(not_master)
    r = CliRunner().invoke(cli, ["xl", "upgrade", str(not_master)])
    assert r.exit_code == 1 and "不是 duban 主表" in r.output
    assert not (tmp_path / "别的.xlsm").exists()


def test_message_is_cut_for_a_message_box():
    res = actions.ActionResult("x", [f"第{i}行" + "很长的内容" * 20 for i in range(100)])
    msg = res.message()
    assert len(msg) < 1000 and "督办日志" in msg
    assert actions.ActionResult("x", ["一行"]).message() == "一行"


# --------------------------------------------------------------------------
# LibreOffice opens the master after duban wrote to it
# --------------------------------------------------------------------------


def test_libreoffice_opens_the_written_master_with_macros_and_buttons(master, tmp_path):
    from test_xlsm import basic_modules, needs_lo, to_ods

    if needs_lo.args[0]:
        pytest.skip("LibreOffice (soffice) is not on PATH")
    set_current(master)
    buttons.sheets(str(master))
    buttons.status(str(master))
    outdir = tmp_path / "ods"
    outdir.mkdir()
    ods = to_ods(master, outdir, tmp_path)
    found = basic_modules(ods)
    for name in ("xlwings", "duban", "xlwings_udfs"):
        assert name in found, sorted(found)
    assert "Function DUBAN_STATUS(task, progress, Optional period_end)" in found["xlwings_udfs"]
    with zipfile.ZipFile(ods) as zf:
        content = zf.read("content.xml").decode("utf-8")
    bound = re.findall(r"vnd\.sun\.star\.script:VBAProject\.duban\.(\w+)\?", content)
    assert sorted(bound) == sorted(m for _, m, _ in DEFAULT_BUTTONS)
    assert "研判理由" in content and "轨道" in content  # the data came along

"""`duban sheets`: recipients, workbook contents, protection, signature, LibreOffice opens them."""
import shutil
import subprocess
import uuid

import openpyxl
import pytest
from click.testing import CliRunner

from duban import feedback_format as ff
from duban.cli import cli
from duban.master import load_master
from duban.sheets import feedback_filename, generate_sheets, plan_recipients, row_height
from duban.store import open_store

from conftest import build_small_master


def _run_sheets(master, out, *extra):
    r = CliRunner().invoke(cli, ["sheets", str(master), "--period", "1-6月", "-o", str(out), *extra])
    assert r.exit_code == 0, r.output
    return r.output


def _book(out, unit):
    return openpyxl.load_workbook(out / feedback_filename(2022, "1-6月", unit))


def _rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _meta(wb):
    return {r[0]: r[1] for r in wb[ff.META_SHEET].iter_rows(values_only=True)}


# -- who receives what ------------------------------------------------------

def test_plan_expands_groups_maps_aliases_and_reports_empty_groups():
    m = build_small_master()
    plan = plan_recipients(m)
    by = plan.by_name()
    assert list(by) == ["区科技局", "区教委", "中梁镇", "凤凰镇"]
    assert [t.id for t in by["区科技局"].lead] == [1, 2]  # "区科学技术局" is an alias
    assert [t.id for t in by["中梁镇"].lead] == [3]  # through the group 各镇街
    assert [i.id for i in by["凤凰镇"].indicators] == [2]
    assert all(not r.coop for r in plan.recipients)
    assert plan.empty_groups == {"空领导小组成员单位": ["任务4牵头"]}
    assert plan.coop_only == ["区财政局"] and plan.idle == [] and plan.unknown == []


def test_plan_with_coop_lists_cooperating_tasks_after_lead_ones():
    m = build_small_master()
    m.tasks[4].lead.append("新成立的区数据局")  # not in the 单位 sheet
    plan = plan_recipients(m, with_coop=True)
    by = plan.by_name()
    assert [t.id for t in by["区财政局"].coop] == [1, 3]
    assert [t.id for t in by["区科技局"].coop] == [5]
    assert [t.id for t in by["中梁镇"].coop] == [2]
    assert plan.unknown == ["新成立的区数据局"] and "新成立的区数据局" in by
    assert plan.coop_only == []


def test_file_names_are_safe_on_windows():
    name = feedback_filename(2022, "1-6月", 'a/b:c*?"<>|单位' + "很长" * 60)
    assert not set('/\\:*?"<>|') & set(name)
    assert name.startswith("2022年1-6月_a_b_c") and name.endswith("_进展反馈表.xlsx")
    assert len(name) <= 100
    assert feedback_filename(2022, "1-6月", "CON").startswith("2022年1-6月__CON")
    # two long names that differ only at the end stay different
    assert feedback_filename(2022, "1-6月", "长" * 80 + "甲") != feedback_filename(2022, "1-6月", "长" * 80 + "乙")


def test_row_height_grows_with_text():
    assert row_height([("短", 30)]) < row_height([("很长的进展" * 40, 30)]) <= 409
    assert row_height([("", 30)], min_lines=3) == row_height([("一行", 30)], min_lines=3)


# -- the workbooks ----------------------------------------------------------------

def test_cli_creates_period_and_writes_one_workbook_per_unit(small_master, tmp_path):
    out = tmp_path / "反馈表"
    output = _run_sheets(small_master, out)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(feedback_filename(2022, "1-6月", u) for u in ("区科技局", "区教委", "中梁镇", "凤凰镇"))
    assert "新建期次“1-6月”" in output and "报送截止 2022年7月7日" in output
    assert "已生成反馈表 4 份，单位 4 个" in output
    assert "空领导小组成员单位（任务4牵头）" in output
    assert "区财政局" in output and "--with-coop" in output
    with open_store(small_master, write=False) as s:
        m = load_master(s)
    assert m.settings["current_period"] == "1-6月"
    p = m.period("1-6月")
    assert str(p.end) == "2022-06-30" and str(p.deadline) == "2022-07-07"
    header = _rows(openpyxl.load_workbook(small_master)["重点任务"])[1]
    assert "1-6月进展情况" in header
    # a second run keeps one period and one block of columns
    output = _run_sheets(small_master, out, "--with-coop")
    assert "新建期次" not in output and "已生成反馈表 5 份" in output
    header2 = _rows(openpyxl.load_workbook(small_master)["重点任务"])[1]
    assert header2.count("1-6月进展情况") == 1


def test_workbook_follows_the_contract_and_is_signed(small_master, tmp_path):
    out = tmp_path / "反馈表"
    _run_sheets(small_master, out, "--with-coop")
    wb = _book(out, "区科技局")
    assert wb.sheetnames == [ff.README_SHEET, ff.TASK_SHEET, ff.META_SHEET]
    rows = _rows(wb[ff.TASK_SHEET])
    titles = [t for t, k in ff.TASK_COLUMNS if k != "previous"]  # no previous period yet
    assert rows[0] == titles
    col = {t: i for i, t in enumerate(titles)}
    assert [r[col[ff.ID_HEADER]] for r in rows[1:]] == [1, 2, 5]
    assert [r[col["本单位职责"]] for r in rows[1:]] == ["牵头", "牵头", "配合"]
    assert rows[2][col["牵头单位"]] == "区科学技术局" and rows[2][col["配合单位"]] == "各镇街"
    # text that looks like a formula stays text
    ws = wb[ff.TASK_SHEET]
    cell = ws.cell(4, col["工作任务"] + 1)
    assert cell.value == "=SUM(A1:A3) 新建中小学3所" and cell.data_type == "s"

    meta = _meta(wb)
    assert list(meta) == list(ff.META_KEYS)
    assert meta["格式"] == ff.FORMAT_VERSION and meta["单位"] == "区科技局" and meta["期次"] == "1-6月"
    assert meta["年度"] == "2022" and meta["任务序号"] == "1,2,5" and meta["指标序号"] == ""
    assert ff.verify(meta, "test-secret")
    assert not ff.verify({**meta, "任务序号": "1,2"}, "test-secret")
    assert wb[ff.META_SHEET].sheet_state == "veryHidden"

    readme = "\n".join(str(r[0]) for r in _rows(wb[ff.README_SHEET]) if r[0])
    for text in ("填报单位：区科技局", "1-6月", "2022年7月7日", "张三", "023-65000000",
                 "duchaban@example.gov.cn", "牵头任务 2 项，配合任务 1 项", "请不要改动"):
        assert text in readme

    wb2 = _book(out, "区教委")
    assert wb2.sheetnames == [ff.README_SHEET, ff.TASK_SHEET, ff.INDICATOR_SHEET, ff.META_SHEET]
    irows = _rows(wb2[ff.INDICATOR_SHEET])
    assert irows[0] == [t for t, k in ff.INDICATOR_COLUMNS if k != "previous"]
    assert irows[1][:3] == [1, "义务教育巩固率99%以上", "区教委"]
    assert _meta(wb2)["指标序号"] == "1"


def test_protection_validation_and_print_setup(small_master, tmp_path):
    with open_store(small_master) as s:
        m = load_master(s)
        m.settings["sheet_password"] = "mima"
        m.settings["text_limit"] = 300
        from duban.master import save_master
        save_master(s, m, parts=("settings",))
    out = tmp_path / "反馈表"
    _run_sheets(small_master, out)
    ws = _book(out, "区科技局")[ff.TASK_SHEET]
    assert ws.protection.sheet and ws.protection.password  # hashed password present
    titles = [c.value for c in ws[1]]
    inputs = {titles.index(t) + 1 for t, k in ff.TASK_COLUMNS if k in ff.INPUT_TASK_KEYS}
    for c in range(1, len(titles) + 1):
        assert ws.cell(2, c).protection.locked is (c not in inputs), titles[c - 1]
    assert ws.cell(1, 1).protection.locked
    dvs = {(dv.type, str(dv.sqref)): dv for dv in ws.data_validations.dataValidation}
    letter = {t: openpyxl.utils.get_column_letter(i + 1) for i, t in enumerate(titles)}
    dv = dvs[("list", f"{letter['自评']}2:{letter['自评']}3")]
    assert dv.formula1 == '"已完成,正常推进,推进较为滞后"' and dv.showInputMessage
    dv = dvs[("textLength", f"{letter['本期进展情况']}2:{letter['本期进展情况']}3")]
    assert dv.operator == "lessThanOrEqual" and dv.formula1 == "300" and "最多 300 字" in dv.prompt
    assert dv.showErrorMessage and "300" in dv.error
    assert ws.freeze_panes == "D2"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$1:$1"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert all(ws.cell(2, c).alignment.wrap_text for c in range(1, len(titles) + 1))
    assert ws.row_dimensions[2].height >= 45  # room to write


def test_previous_period_is_a_read_only_reference(small_master_two_periods, tmp_path):
    out = tmp_path / "反馈表"
    _run_sheets(small_master_two_periods, out)
    wb = _book(out, "区科技局")
    rows = _rows(wb[ff.TASK_SHEET])
    assert rows[0] == [t for t, _ in ff.TASK_COLUMNS]
    prev = rows[0].index("上期进展情况")
    assert rows[1][prev] == "已引进研发机构3家" and rows[2][prev] is None
    assert wb[ff.TASK_SHEET].cell(2, prev + 1).protection.locked
    irows = _rows(_book(out, "区教委")[ff.INDICATOR_SHEET])
    assert irows[1][irows[0].index("上期进展情况")] == "巩固率99.2%\n实际值：99.2%"
    # the period already existed with no deadline: period end + deadline_days
    with open_store(small_master_two_periods, write=False) as s:
        assert str(load_master(s).period("1-6月").deadline) == "2022-07-07"


def test_parallel_writing_gives_the_same_workbooks(tmp_path):
    m = build_small_master()
    m.add_period("1-6月")
    one = generate_sheets(m, "1-6月", tmp_path / "one", with_coop=True, workers=1)
    two = generate_sheets(m, "1-6月", tmp_path / "two", with_coop=True, workers=2)
    assert [p.name for p in one.files] == [p.name for p in two.files] and len(one.files) == 5
    for a, b in zip(one.files, two.files):
        assert _rows(openpyxl.load_workbook(a)[ff.TASK_SHEET]) == _rows(openpyxl.load_workbook(b)[ff.TASK_SHEET])


def test_unwritable_workbook_is_reported_and_the_rest_written(small_master, tmp_path):
    out = tmp_path / "反馈表"
    out.mkdir()
    blocker = out / feedback_filename(2022, "1-6月", "区教委")
    blocker.mkdir()  # a folder where the file should go: os.replace fails
    (blocker / "x").write_text("x")
    r = CliRunner().invoke(cli, ["sheets", str(small_master), "--period", "1-6月", "-o", str(out)])
    assert r.exit_code == 1
    assert "生成失败 1 份" in r.output and "区教委" in r.output
    assert (out / feedback_filename(2022, "1-6月", "区科技局")).is_file()


def test_missing_period_option_and_bad_period(small_master, tmp_path):
    r = CliRunner().invoke(cli, ["sheets", str(small_master), "--period", "明年", "-o", str(tmp_path / "o")])
    assert r.exit_code == 1 and "无法识别期次“明年”" in r.output


# -- a real spreadsheet application opens every kind of workbook --------------------

@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftotext"),
                    reason="needs LibreOffice and poppler-utils")
def test_libreoffice_opens_every_kind_of_workbook(small_master_two_periods, tmp_path):
    from duban.model import Indicator, Unit
    from duban.master import save_master

    with open_store(small_master_two_periods) as s:  # a unit that answers for an indicator only
        m = load_master(s)
        m.units.append(Unit("区统计局", "区级部门"))
        m.indicators.append(Indicator(3, "城镇调查失业率控制在5.5%以内", units=["区统计局"]))
        save_master(s, m, parts=("indicators", "units"))
    out = tmp_path / "反馈表"
    _run_sheets(small_master_two_periods, out, "--with-coop")
    kinds = {
        "区统计局": ["城镇调查失业率控制在5.5%以内", "本单位本期没有重点任务需要反馈"],  # indicators only
        "区科技局": ["引进研发机构8家", "已引进研发机构3家"],  # lead + coop tasks, previous period
        "区教委": ["新建中小学3所", "义务教育巩固率99%以上"],  # tasks + indicators
        "凤凰镇": ["完成农村改厕800户", "农村居民人均可支配收入增长7%"],  # via a group, indicator
        "区财政局": ["孵化科技型企业200家"],  # cooperating only
    }
    files = [out / feedback_filename(2022, "1-6月", u) for u in kinds]
    pdf_dir = tmp_path / "pdf"
    profile = f"file:///tmp/lo_sheets_{uuid.uuid4().hex}"
    try:
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(pdf_dir), *map(str, files)],
                       check=True, capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile.removeprefix("file://"), ignore_errors=True)
    for unit, texts in kinds.items():
        pdf = pdf_dir / (feedback_filename(2022, "1-6月", unit)[:-5] + ".pdf")
        assert pdf.is_file(), f"LibreOffice could not open the workbook of {unit}"
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        flat = "".join(text.split())
        assert f"填报单位：{unit}" in flat
        assert "本期进展情况" in flat and "存在问题及下步打算" in flat
        for t in texts:
            assert "".join(t.split()) in flat, (unit, t)
        assert ff.FORMAT_VERSION not in text  # the metadata sheet is hidden

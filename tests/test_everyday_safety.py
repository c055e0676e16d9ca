"""Everyday mistakes (issue 12): a typo, a path mix-up or a layout never quietly damages the master.

Each test reproduces one numbered problem through the real CLI: the exit code, the
message, and the master's bytes (or its ``export --json``) unchanged where nothing
should change.
"""
import json
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from duban.cli import cli
from duban.demo import sample_notice
from duban.periods import PeriodFormatError, normalize_period


@pytest.fixture
def runner():
    return CliRunner()


def run(runner, *args):
    return runner.invoke(cli, [str(a) for a in args])


def export(runner, master) -> dict:
    r = run(runner, "export", master, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


@pytest.fixture
def master_1_6(runner, small_master, tmp_path):
    """The small master with period 1-6月 started by `duban sheets`."""
    r = run(runner, "sheets", small_master, "--period", "1-6月", "-o", tmp_path / "反馈表")
    assert r.exit_code == 0, r.output
    return small_master


# -- 1. period typos ------------------------------------------------------------------

@pytest.mark.parametrize("typo", ["6月", "上半月", "第二季度", "二季度", "3-6月", "1-13月", "明年", "下半年"])
def test_period_typo_is_refused_and_master_untouched(runner, master_1_6, tmp_path, typo):
    before = master_1_6.read_bytes()
    out = tmp_path / "新反馈表"
    r = run(runner, "sheets", master_1_6, "--period", typo, "-o", out)
    assert r.exit_code == 1, r.output
    assert f"期次“{typo}”" in r.output and "1-6月" in r.output and "全年" in r.output
    assert "--end" not in r.output
    assert master_1_6.read_bytes() == before
    assert not out.exists()
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    for cmd in (["status"], ["collect", inbox], ["report", "-o", tmp_path / "r.docx"],
                ["remind", "--outbox", tmp_path / "催报"], ["mail", "--outbox", tmp_path / "发件箱"]):
        r = run(runner, cmd[0], master_1_6, *cmd[1:], "--period", typo)
        assert r.exit_code == 1, (cmd, r.output)
        assert f"期次“{typo}”" in r.output and "请写成" in r.output, (cmd, r.output)
        assert "duban sheets" not in r.output, (cmd, r.output)  # no advice to start the typo as a period
    assert master_1_6.read_bytes() == before
    assert not (tmp_path / "r.docx").exists()


@pytest.mark.parametrize("spelling", ["1—6月", "1－6月", "1～6月", "1至6月", "１-６月", "一至六月", "上半年",
                                      "1月-6月", "2022年1-6月", " 1-6月 "])
def test_period_spellings_name_the_same_period(runner, master_1_6, tmp_path, spelling):
    r = run(runner, "sheets", master_1_6, "--period", spelling, "-o", tmp_path / "again")
    assert r.exit_code == 0, r.output
    assert spelling.strip() == "1-6月" or f"期次“{spelling.strip()}”按“1-6月”处理。" in r.output
    data = export(runner, master_1_6)
    assert [p["label"] for p in data["periods"]] == ["1-6月"]
    assert data["current_period"] == "1-6月"
    headers = [c.value for c in openpyxl.load_workbook(master_1_6)["重点任务"][2]]
    assert headers.count("1-6月进展情况") == 1 and not any(h and "—" in str(h) for h in headers)
    r = run(runner, "status", master_1_6, "--period", spelling)
    assert r.exit_code == 0, r.output


def test_new_period_is_stored_canonically(runner, small_master, tmp_path):
    r = run(runner, "sheets", small_master, "--period", "前三季度", "-o", tmp_path / "o")
    assert r.exit_code == 0, r.output
    r = run(runner, "sheets", small_master, "--period", "一季度", "-o", tmp_path / "o2")
    assert r.exit_code == 0, r.output
    data = export(runner, small_master)
    assert [(p["label"], p["end"]) for p in data["periods"]] == [("1-9月", "2022-09-30"), ("1-3月", "2022-03-31")]


def test_period_with_the_end_date_of_an_existing_one_is_refused(runner, small_master, tmp_path):
    assert run(runner, "sheets", small_master, "--period", "全年", "-o", tmp_path / "o").exit_code == 0
    before = small_master.read_bytes()
    r = run(runner, "sheets", small_master, "--period", "1-12月", "-o", tmp_path / "o2")
    assert r.exit_code == 1
    assert "已有期次“全年”" in r.output and "--period 全年" in r.output
    assert small_master.read_bytes() == before


def test_period_parser_table():
    assert normalize_period("第一季度") == "1-3月"
    assert normalize_period("前三季度") == "1-9月"
    assert normalize_period("年度") == normalize_period("全年") == "全年"
    assert normalize_period("1至十二月") == "1-12月"
    assert normalize_period("截至6月底") == normalize_period("1-6月份") == "1-6月"
    with pytest.raises(PeriodFormatError, match="到6月底请写“1-6月”"):
        normalize_period("6月")
    with pytest.raises(PeriodFormatError, match="到第二季度末请写“1-6月”"):
        normalize_period("第二季度")


def test_button_current_period_typo_is_refused(runner, master_1_6, tmp_path):
    """The buttons read 当前期次 from 设置: the same parser refuses a typo there."""
    wb = openpyxl.load_workbook(master_1_6)
    ws = wb["设置"]
    for row in ws.iter_rows():
        if row[0].value == "当前期次":
            row[1].value = "6月"
    wb.save(master_1_6)
    before = master_1_6.read_bytes()
    r = run(runner, "xl", "run", "sheets", master_1_6)
    assert r.exit_code == 1 and "期次“6月”" in r.output and "1-6月" in r.output
    assert master_1_6.read_bytes() == before
    assert not (tmp_path / "反馈表" / "6月").exists()


# -- 2. no output over an input ---------------------------------------------------------

def test_report_xlsx_equal_to_master_is_refused(runner, master_1_6, tmp_path):
    before = master_1_6.read_bytes()
    r = run(runner, "report", master_1_6, "-o", tmp_path / "r.docx", "--xlsx", master_1_6)
    assert r.exit_code == 1
    assert "附件表格" in r.output and "主表" in r.output and "覆盖" in r.output
    assert master_1_6.read_bytes() == before
    assert not (tmp_path / "r.docx").exists()


def test_report_over_its_template_is_refused(runner, master_1_6, tmp_path):
    from importlib import resources

    template = tmp_path / "模板.docx"
    template.write_bytes(resources.files("duban.templates").joinpath("report_template.docx").read_bytes())
    before = template.read_bytes()
    r = run(runner, "report", master_1_6, "-o", template, "--template", template)
    assert r.exit_code == 1 and "报告模板" in r.output
    assert template.read_bytes() == before


def test_outputs_inside_backup_folder_are_refused(runner, master_1_6, tmp_path):
    backups = tmp_path / ".duban备份"
    assert backups.is_dir()  # the sheets run made one
    listing = sorted(p.name for p in backups.iterdir())
    for args in (["report", master_1_6, "-o", backups / "r.docx"],
                 ["sheets", master_1_6, "--period", "1-6月", "-o", backups / "反馈表"],
                 ["export", master_1_6, "--csv", backups / "导出"],
                 ["mail", master_1_6, "--outbox", backups / "发件箱"],
                 ["xl", "upgrade", master_1_6, "-o", backups / "主表.xlsm"],
                 ["init", sample_notice(), "-o", backups / "新主表.xlsx"]):
        r = run(runner, *args)
        assert r.exit_code == 1 and "备份文件夹" in r.output, (args, r.output)
    assert sorted(p.name for p in backups.iterdir()) == listing


def test_init_over_the_notice_is_refused(runner, tmp_path):
    r = run(runner, "init", sample_notice(), "-o", tmp_path / "主表.xlsx")
    assert r.exit_code == 0
    notice = tmp_path / "通知.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["序号", "工作任务", "牵头单位"])
    wb.active.append([1, "新建学校", "区教委"])
    wb.save(notice)
    before = notice.read_bytes()
    r = run(runner, "init", notice, "-o", notice)
    assert r.exit_code == 1 and "通知" in r.output and "覆盖" in r.output
    assert notice.read_bytes() == before


def test_collect_the_master_itself_is_refused(runner, master_1_6):
    before = master_1_6.read_bytes()
    r = run(runner, "collect", master_1_6, master_1_6)
    assert r.exit_code == 1 and "主表本身" in r.output
    # the office folder: the master, its backups and the blank workbooks sent out are no returns
    r = run(runner, "collect", master_1_6, master_1_6.parent)
    assert r.exit_code == 1 and "主表本身" in r.output and "收件箱" in r.output
    assert master_1_6.read_bytes() == before


# -- 3. demo -o into a folder with work in it ---------------------------------------------

def test_demo_refuses_a_folder_with_a_master(runner, master_1_6, tmp_path):
    office = tmp_path
    (office / "2022年督办主表.xlsx").write_bytes(master_1_6.read_bytes())
    (office / "收件箱").mkdir()
    (office / "收件箱" / "区教委.xlsx").write_bytes(b"a return")
    before = {p: p.read_bytes() for p in office.rglob("*") if p.is_file()}
    r = run(runner, "demo", "-o", office)
    assert r.exit_code == 1
    assert "不是 duban 演示建立的文件夹" in r.output and "什么都没有改动" in r.output
    assert {p: p.read_bytes() for p in office.rglob("*") if p.is_file()} == before


def test_demo_reruns_in_its_own_folder_but_keeps_foreign_files(runner, tmp_path):
    out = tmp_path / "演示"
    assert run(runner, "demo", "-o", out).exit_code == 0
    assert (out / ".duban演示").is_file()
    r = run(runner, "demo", "-o", out)  # its own folder, untouched: runs again
    assert r.exit_code == 0, r.output
    assert "演示完成" in r.output
    # staff put a real file there: the demo stops, deleting nothing
    mine = out / "收件箱" / "真实反馈.xlsx"
    mine.write_bytes(b"real work")
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    r = run(runner, "demo", "-o", out)
    assert r.exit_code == 1 and "收件箱/真实反馈.xlsx" in r.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files
    # a demo file changed since (a collect run on the demo master, say) is not deleted either
    mine.unlink()
    master = out / "2022年督办主表.xlsx"
    master.write_bytes(master.read_bytes() + b"")
    wb = openpyxl.load_workbook(master)
    wb["设置"]["C40"] = "改动"
    wb.save(master)
    changed = master.read_bytes()
    r = run(runner, "demo", "-o", out)
    assert r.exit_code == 1 and "2022年督办主表.xlsx" in r.output
    assert master.read_bytes() == changed


# -- 4. collect with a path that does not exist ---------------------------------------

def test_collect_missing_path_fails_before_touching_master(runner, master_1_6, tmp_path):
    before = master_1_6.read_bytes()
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    r = run(runner, "collect", master_1_6, inbox, tmp_path / "不存在", tmp_path / "也不存在.xlsx")
    assert r.exit_code == 1
    assert "不存在" in r.output and "也不存在.xlsx" in r.output and "主表未修改" in r.output
    assert "未报送" not in r.output
    assert master_1_6.read_bytes() == before
    assert not (tmp_path / "归档").exists()


# -- 5. a single 责任单位 column: whole names whatever the separator ----------------------

SINGLE_COLUMN_ROWS = [
    # (cell as the notice writes it, lead, coop)
    ("区人力社保局、区文化旅游委", ["区人力社保局"], ["区文化旅游委"]),
    ("区文化旅游委、区人力社保局、区教委", ["区文化旅游委"], ["区人力社保局", "区教委"]),
    ("区人力社保局\n区文化旅游委\n区教委", ["区人力社保局"], ["区文化旅游委", "区教委"]),
    ("区人力社保局区文化旅游委区教委", ["区人力社保局"], ["区文化旅游委", "区教委"]),
    ("区商务委(区招商中心)、区经济信息委（区国资委）", ["区商务委（区招商中心）"], ["区经济信息委（区国资委）"]),
    ("区发展改革委，区财政局；区民政局/区卫生健康委 区医保局", ["区发展改革委"],
     ["区财政局", "区民政局", "区卫生健康委", "区医保局"]),
    ("区住房城乡建委、区城市管理局、各镇街", ["区住房城乡建委"], ["区城市管理局", "各镇街"]),
    ("区生态环境局、区生活垃圾分类工作\n领导小组成员单位", ["区生态环境局"], ["区生活垃圾分类工作领导小组成员单位"]),
]


def _single_column_xlsx(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2022年区政府工作报告重点工作任务分解表"])
    ws.append(["序号", "重点工作", "责任单位", "完成时限"])
    for n, (cell, _, _) in enumerate(SINGLE_COLUMN_ROWS, start=1):
        ws.append([n, f"完成第{n}项重点工作", cell, "2022年12月底"])
    wb.save(path)


def _single_column_docx(path):
    import docx

    doc = docx.Document()
    doc.add_paragraph("2022年区政府工作报告重点工作任务分解表")
    table = doc.add_table(rows=1, cols=3)
    for c, h in zip(table.rows[0].cells, ["序号", "重点工作", "责任单位"]):
        c.text = h
    for n, (cell, _, _) in enumerate(SINGLE_COLUMN_ROWS, start=1):
        row = table.add_row().cells
        row[0].text, row[1].text = str(n), f"完成第{n}项重点工作"
        lines = cell.split("\n")  # a line break in a Word cell is a new paragraph
        row[2].text = lines[0]
        for line in lines[1:]:
            row[2].add_paragraph(line)
    doc.save(path)


def _single_column_txt(path):
    lines = ["2022年区政府工作报告重点工作任务分解表", "", "序号", "重点工作", "责任单位"]
    for n, (cell, _, _) in enumerate(SINGLE_COLUMN_ROWS, start=1):
        lines += [str(n), f"完成第{n}项重点工作"] + cell.split("\n")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("make,suffix", [(_single_column_xlsx, ".xlsx"), (_single_column_docx, ".docx"),
                                         (_single_column_txt, ".txt")])
def test_single_unit_column_gives_whole_names(runner, tmp_path, make, suffix):
    notice = tmp_path / f"通知{suffix}"
    make(notice)
    master = tmp_path / "主表.xlsx"
    r = run(runner, "init", notice, "-o", master)
    assert r.exit_code == 0, r.output
    tasks = export(runner, master)["tasks"]
    assert len(tasks) == len(SINGLE_COLUMN_ROWS)
    for t, (cell, lead, coop) in zip(tasks, SINGLE_COLUMN_ROWS):
        assert (t["lead"], t["coop"]) == (lead, coop), cell
        assert t["flags"] == [], (cell, t["flags"])
    names = {u["name"] for u in export(runner, master)["units"]}
    assert not any(n.endswith(("社", "旅")) or n.startswith(("保局", "游委")) for n in names), names


def test_unit_a_splitter_cannot_make_whole_is_kept_verbatim_and_flagged(runner, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "重点工作", "责任单位"])
    ws.append([1, "建设智慧园区", "区教委、重庆大学城管委会科学城建设指挥部"])
    notice = tmp_path / "通知.xlsx"
    wb.save(notice)
    master = tmp_path / "主表.xlsx"
    r = run(runner, "init", notice, "-o", master)
    assert r.exit_code == 0, r.output
    assert "需人工核对" in r.output and "已原样保留" in r.output
    t = export(runner, master)["tasks"][0]
    assert t["lead"] == ["区教委"]
    assert t["coop"] == ["重庆大学城管委会科学城建设指挥部"]  # whole, as written
    assert any("原样保留" in f for f in t["flags"])


# -- 6. the master reads well in LibreOffice (and so WPS): no overlapping or cut-off text ---

def _pdf_words(pdf):
    """[(page width, page height, [(x0, y0, x1, y1, text)])] from poppler's pdftotext -bbox."""
    import html
    import re
    import subprocess

    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in out.split("<page ")[1:]:
        w, h = (float(x) for x in re.search(r'width="([\d.]+)" height="([\d.]+)"', page).groups())
        words = [(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)]
        pages.append((w, h, words))
    return pages


def _overlapping(words):
    """Pairs of words drawn over each other (a wrapped text running into the row below)."""
    words = sorted(words, key=lambda w: w[1])
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            if b[1] >= a[3]:
                break
            dx = min(a[2], b[2]) - max(a[0], b[0])
            dy = min(a[3], b[3]) - max(a[1], b[1])
            if dx > 1 and dy > 0.3 * min(a[3] - a[1], b[3] - b[1]):
                yield a[4], b[4]


@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftotext"),
                    reason="needs LibreOffice and poppler-utils")
def test_master_prints_in_libreoffice_without_overlap_or_cut_text(runner, tmp_path):
    import re
    import subprocess
    import uuid
    from collections import Counter

    out = tmp_path / "演示"
    assert run(runner, "demo", "-o", out).exit_code == 0  # a master with a period of real-looking returns
    master = out / "2022年督办主表.xlsx"
    wb = openpyxl.load_workbook(master)
    tasks = wb["重点任务"]
    assert all(tasks.row_dimensions[r].height for r in range(3, tasks.max_row + 1))
    assert [r.coord for r in tasks.merged_cells.ranges] == ["A1:C1"]  # the title sits over the columns every page repeats
    profile = f"file:///tmp/lo_master_{uuid.uuid4().hex}"
    try:
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(tmp_path), str(master)], capture_output=True, timeout=300)
    finally:
        shutil.rmtree(profile.removeprefix("file://"), ignore_errors=True)
    pdf = tmp_path / "2022年督办主表.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 0, "LibreOffice could not print the master"
    pages = _pdf_words(pdf)
    for n, (width, height, words) in enumerate(pages, start=1):
        assert not list(_overlapping(words))[:3], f"page {n}: text drawn over other text"
        if any("督办统计" in w[4] for w in words):
            continue  # 统计 (dashboard.py): its category chart is taller than a page, a layout of its own
        assert all(0 <= w[0] and w[2] <= width + 0.5 and w[3] <= height + 0.5 for w in words), f"page {n}: off the page"
    # every Chinese character of every visible sheet is printed (titles repeat, so at least as often)
    cjk = re.compile("[\u4e00-\u9fff]")
    wanted = Counter(ch for ws in wb.worksheets if ws.sheet_state == "visible"
                     for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)
                     for ch in cjk.findall(v))
    printed = Counter(cjk.findall("".join(w[4] for _, _, words in pages for w in words)))
    short = {ch: n - printed[ch] for ch, n in wanted.items() if printed[ch] < n}
    assert not short, f"characters cut off in print: {sorted(short.items(), key=lambda x: -x[1])[:10]}"
    first = "".join(w[4] for w in pages[0][2])
    assert "本工作簿是督查办跟踪区政府工作报告目标任务的“主表”" in first  # 说明 is whole on its page


# -- 7. smaller: messages that say what happened ------------------------------------------

def test_reminder_to_a_refused_unit_states_the_reason(runner, master_1_6, tmp_path):
    from email import policy
    from email.parser import BytesParser

    from duban import feedback_format as ff
    from duban.sheets import feedback_filename

    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    book = tmp_path / "反馈表" / feedback_filename(2022, "1-6月", "区教委")
    wb = openpyxl.load_workbook(book)
    meta = wb[ff.META_SHEET]
    for row in meta.iter_rows():
        if row[0].value == "任务序号":
            row[1].value = "1,2,3,5"  # edited by hand: the signature no longer matches
    wb.save(inbox / book.name)
    r = run(runner, "collect", master_1_6, inbox)
    assert r.exit_code == 0, r.output
    assert "退回" in r.output
    r = run(runner, "remind", master_1_6, "--outbox", tmp_path / "催报")
    assert r.exit_code == 0, r.output
    assert "报送被退回的单位 1 个" in r.output and "区教委" in r.output
    emls = {p.name: p for p in (tmp_path / "催报").iterdir()}
    mine = next(p for n, p in emls.items() if "区教委" in n)
    body = BytesParser(policy=policy.default).parsebytes(mine.read_bytes()).get_body(("plain",)).get_content()
    assert "未能采用，原因是：" in body and book.name in body and "尚未收到" not in body
    other = next(p for n, p in emls.items() if "区科技局" in n)
    body = BytesParser(policy=policy.default).parsebytes(other.read_bytes()).get_body(("plain",)).get_content()
    assert "尚未收到贵单位的反馈表" in body


@pytest.mark.parametrize("args,message", [
    (["report"], "错误：缺少参数 MASTER。"),
    (["sheets", "主表.xlsx", "--period"], "错误：选项 --period 后面要给一个值。"),
    (["bogus"], "错误：没有命令“bogus”。"),
    (["report", "主表.xlsx", "-o", "r.docx", "--bogus"], "错误：没有选项 --bogus。"),
    (["init", "不存在的通知.txt", "-o", "主表.xlsx"], "“不存在的通知.txt”不存在"),
    (["xl", "run", "nothing", "主表.xlsm"], "“nothing”不是可选的值之一"),
])
def test_usage_errors_are_chinese(runner, tmp_path, args, message):
    with runner.isolated_filesystem(temp_dir=tmp_path):
        r = runner.invoke(cli, args)
    assert r.exit_code == 2
    assert message in r.output
    assert "查看用法和示例" in r.output
    assert "Usage:" not in r.output and "Error:" not in r.output and "No such" not in r.output


def test_python_dash_m_duban(tmp_path):
    import subprocess
    import sys

    master = tmp_path / "主表.xlsx"
    proc = subprocess.run([sys.executable, "-m", "duban", "init", str(sample_notice()), "-o", str(master)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "已生成主表" in proc.stdout and master.is_file()


def test_ctrl_c_is_chinese_with_exit_130_and_master_untouched(master_1_6, tmp_path):
    """A real SIGINT while collect reads the returns: exit 130, "已中断，主表未修改", same bytes."""
    import os
    import signal
    import subprocess
    import sys
    import time

    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    books = sorted((tmp_path / "反馈表").glob("*.xlsx"))
    from duban.collect import PARALLEL_READ_MIN

    assert 30 * len(books) < PARALLEL_READ_MIN  # read in this process, one progress line per file
    for n in range(30):  # enough files that reading them takes a while (under collect.PARALLEL_READ_MIN)
        for b in books:
            (inbox / f"{n:02d}_{b.name}").write_bytes(b.read_bytes())
    before = master_1_6.read_bytes()
    proc = subprocess.Popen([sys.executable, "-m", "duban", "collect", str(master_1_6), str(inbox)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = b""
    deadline = time.monotonic() + 120
    while "读取反馈表".encode() not in seen and time.monotonic() < deadline:
        chunk = os.read(proc.stderr.fileno(), 64)
        if not chunk:
            break
        seen += chunk
    assert "读取反馈表".encode() in seen, seen.decode(errors="replace")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    err = (seen + err).decode()
    assert proc.returncode == 130, (proc.returncode, err)
    assert "已中断，主表未修改。" in err and "Aborted" not in err and "Traceback" not in err
    assert master_1_6.read_bytes() == before
    assert not list(tmp_path.glob(".主表.xlsx.duban.lock"))  # the lock is released


def test_collect_summary_says_a_log_row_was_written(runner, master_1_6, tmp_path):
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    (inbox / "区教委.xlsx").write_bytes(b"not a workbook at all")
    r = run(runner, "collect", master_1_6, inbox)
    assert r.exit_code == 0, r.output
    assert "退回" in r.output
    assert "主表没有变化" not in r.output and "报送记录新增 1 行" in r.output
    r = run(runner, "collect", master_1_6, inbox)  # the same file again: skipped, nothing written
    assert "主表没有变化" in r.output


def test_files_are_created_with_the_users_umask(runner, small_master, tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = tmp_path / "反馈表"
        assert run(runner, "sheets", small_master, "--period", "1-6月", "-o", out).exit_code == 0
        assert run(runner, "report", small_master, "-o", tmp_path / "报告.docx", "--xlsx",
                   tmp_path / "附件.xlsx", "--draft").exit_code == 0
        assert run(runner, "mail", small_master, "--outbox", tmp_path / "发件箱").exit_code == 0
        made = [small_master, tmp_path / "报告.docx", tmp_path / "附件.xlsx",
                *out.glob("*.xlsx"), *(tmp_path / "发件箱").glob("*.eml")]
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in made}
        assert set(modes.values()) == {0o644}, modes
    finally:
        os.umask(old)


def _confirm_all_not_reported(master, period="1-6月"):
    """Staff confirm every item as 未报送 in the 人工研判 column (no return came in)."""
    wb = openpyxl.load_workbook(master)
    for name in ("重点任务", "预期目标"):
        ws = wb[name]
        header = [c.value for c in ws[2]]
        col = header.index(f"{period}人工研判") + 1
        for r in range(3, ws.max_row + 1):
            if ws.cell(r, 1).value is not None:
                ws.cell(r, col).value = "未报送"
    wb.save(master)


def test_one_place_for_each_output(runner, small_master, tmp_path):
    """CLI defaults, buttons and the demo put each output in the same documented place."""
    from duban.actions import feedback_dir, outbox_dir, report_paths

    folder = small_master.parent
    assert run(runner, "sheets", small_master, "--period", "上半年").exit_code == 0
    assert sorted(feedback_dir(folder, "1-6月").glob("*.xlsx"))
    assert run(runner, "mail", small_master).exit_code == 0
    assert run(runner, "remind", small_master).exit_code == 0
    emls = [p.name for p in outbox_dir(folder, "1-6月").glob("*.eml")]
    assert any("_催报_" in n for n in emls) and any("_催报_" not in n for n in emls)
    assert run(runner, "status", small_master).exit_code == 0
    _confirm_all_not_reported(small_master)  # as staff do before the report
    r = run(runner, "report", small_master)
    assert r.exit_code == 0, r.output
    docx, xlsx = report_paths(folder, 2022, "1-6月")
    assert docx.is_file() and xlsx.is_file() and str(docx) in r.output
    r = run(runner, "xl", "run", "report", small_master)  # the button writes the very same files
    assert r.exit_code == 0 and str(docx) in r.output
    demo = tmp_path / "演示"
    assert run(runner, "demo", "-o", demo).exit_code == 0
    assert sorted(feedback_dir(demo, "1-6月").glob("*.xlsx")) and sorted(outbox_dir(demo, "1-6月").glob("*_催报_*.eml"))
    assert report_paths(demo, 2022, "1-6月")[0].is_file()


def test_an_older_masters_title_is_narrowed_to_the_repeated_columns(runner, master_1_6, tmp_path):
    """Masters made before this fix had the title merged over A:H (it ran off the first page)."""
    wb = openpyxl.load_workbook(master_1_6)
    ws = wb["重点任务"]
    ws.unmerge_cells("A1:C1")
    ws.merge_cells("A1:H1")
    for r in range(3, ws.max_row + 1):
        ws.row_dimensions[r].height = None  # and had no row heights
    wb.save(master_1_6)
    before = export(runner, master_1_6)
    assert run(runner, "status", master_1_6).exit_code == 0
    ws = openpyxl.load_workbook(master_1_6)["重点任务"]
    assert [r.coord for r in ws.merged_cells.ranges] == ["A1:C1"]
    assert ws["A1"].value.endswith("重点工作任务分解及推进情况")
    assert all(ws.row_dimensions[r].height for r in range(3, ws.max_row + 1))
    after = export(runner, master_1_6)
    assert [t["task"] for t in after["tasks"]] == [t["task"] for t in before["tasks"]]


def test_help_is_chinese_too(runner):
    for args in (["--help"], ["report", "--help"], ["xl", "--help"], ["xl", "run", "--help"]):
        r = runner.invoke(cli, args)
        assert r.exit_code == 0, args
        assert r.output.startswith("用法：duban") and "选项：" in r.output and "显示本说明" in r.output, args
        assert "Usage:" not in r.output and "Options:" not in r.output and "Show this message" not in r.output, args


def test_xl_run_report_writes_a_draft_only_when_asked(runner, small_master):
    """`xl run report --send` must not answer the draft question: only --draft does."""
    from duban.actions import report_paths

    folder = small_master.parent
    assert run(runner, "sheets", small_master, "--period", "1-6月").exit_code == 0
    assert run(runner, "status", small_master).exit_code == 0  # every task still 未报送: items are open
    r = run(runner, "xl", "run", "report", small_master, "--send")
    assert r.exit_code == 1 and "未生成报告" in r.output, r.output
    assert not any(p.exists() for p in report_paths(folder, 2022, "1-6月", draft=True))
    r = run(runner, "xl", "run", "report", small_master, "--draft")
    assert r.exit_code == 0, r.output
    assert all(p.is_file() for p in report_paths(folder, 2022, "1-6月", draft=True))

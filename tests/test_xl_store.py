"""BufferedStore -- XlwingsStore without its few xlwings calls -- beyond the
Store contract: one backend read per sheet, nothing written before commit, only
changed cells written, in few rectangles, text blocks formatted as text."""
from __future__ import annotations

import pytest

from duban.demo import sample_notice
from duban.importer import init_master
from duban.master import S_SETTINGS, S_TASKS, load_master, save_master
from duban.status import run_status
from duban.store import FileStore, MemoryStore, SheetStyle
from duban.xl.store import BufferedStore, MemoryBackend, rectangles

PERIOD = "1-6月"


@pytest.fixture(scope="module")
def master_sheets(tmp_path_factory) -> dict:
    """The sheets of a real master with a period and some progress, as values."""
    path = tmp_path_factory.mktemp("m") / "主表.xlsx"
    init_master(sample_notice(), path)
    fs = FileStore(path)
    m = load_master(fs)
    m.add_period(PERIOD)
    m.settings["current_period"] = PERIOD
    m.task_by_id()[68].entry(PERIOD).progress = "完成农村改厕800户"
    m.task_by_id()[5].entry(PERIOD).override = "推进较为滞后"
    save_master(fs, m)
    return {name: fs.read(name) for name in fs.sheet_names()}


def calls(backend, kind):
    return [c for c in backend.calls if c[0] == kind]


def test_rectangles():
    cells = {(2, 3): False, (2, 4): False, (3, 3): False, (3, 4): False, (3, 5): True, (5, 3): False}
    assert rectangles(cells) == [(2, 3, 3, 4, False), (3, 5, 3, 5, True), (5, 3, 5, 3, False)]
    assert rectangles({}) == []


def test_nothing_reaches_the_backend_before_commit():
    backend = MemoryBackend({"甲": [["a", 1]]})
    store = BufferedStore(backend)
    store.write("甲", 1, 1, [["b"]])
    store.ensure_sheet("乙", SheetStyle(title="标题"))
    store.write("乙", 3, 1, [["x"]])
    store.style_header("乙", 2, 1, 2)
    store.clear_rows("甲", 5)
    assert store.read("甲")[0] == ["b", 1] and store.read("乙")[2] == ["x"]
    assert backend.sheets == {"甲": [["a", 1]]}
    assert [c[0] for c in backend.calls] == ["get_values"]
    # a run that fails here is simply never committed: the workbook is as it was
    store.commit()
    assert backend.sheets["甲"][0] == ["b", 1] and backend.sheets["乙"] == [["标题"], [], ["x"]]
    assert ("乙", 2, 1) in backend.headers and backend.styles["乙"].title == "标题"


def test_status_run_reads_each_sheet_once_and_writes_few_rectangles(master_sheets):
    backend = MemoryBackend(master_sheets)
    store = BufferedStore(backend)
    result = run_status(store, PERIOD)
    assert result.tasks
    reads = [c[1] for c in calls(backend, "get_values")]
    assert sorted(reads) == sorted(set(reads))  # one read per sheet per run
    store.commit()
    writes = [w for w in calls(backend, "set_values") if w[1] in ("预期目标", S_TASKS)]
    # only the status, light and reason columns changed: a few rectangles for each sheet
    # (the light stays blank for unreported tasks, so its column breaks into runs)
    assert {w[1] for w in writes} == {"预期目标", S_TASKS}
    assert all(w[5] <= 3 for w in writes) and len(writes) <= 12
    assert len(calls(backend, "set_values")) < 60  # the rest: the 统计 sheet's small tables

    # the same outcome as the file store
    ref = MemoryStore(master_sheets)
    run_status(ref, PERIOD)
    assert load_master(MemoryStore(backend.sheets)).to_json() == load_master(ref).to_json()

    # a second run changes nothing, so writes nothing
    backend.calls.clear()
    again = BufferedStore(backend)
    run_status(again, PERIOD)
    again.commit()
    assert not [w for w in calls(backend, "set_values") if w[1] in ("预期目标", S_TASKS)]


def test_unchanged_values_are_not_rewritten_and_text_is_formatted_as_text():
    backend = MemoryBackend({"甲": [["序号", "值"], [1, 2.0], [2, "旧"]]})
    store = BufferedStore(backend)
    store.write("甲", 2, 1, [[1, 2], [2, "新"]])  # 2 == 2.0: unchanged
    store.write("甲", 5, 1, [["=1+1", "=SUM(A1)"]], text_cols={1})
    store.commit()
    assert calls(backend, "set_values") == [
        ("set_values", "甲", 3, 2, 1, 1, False),
        ("set_values", "甲", 5, 1, 1, 2, True),
    ]
    assert {("甲", 5, 1), ("甲", 5, 2)} <= backend.text_cells
    assert backend.sheets["甲"][4] == ["=1+1", "=SUM(A1)"]


def test_cleared_rows_are_cleared_then_rewritten():
    backend = MemoryBackend({"统计": [["旧标题"], ["a", 1], ["b", 2], ["c", 3]]})
    store = BufferedStore(backend)
    store.clear_rows("统计", 1)
    store.write("统计", 1, 1, [["新标题"], ["a", 1]])  # same as before but the rows were cleared
    store.commit()
    assert backend.sheets["统计"] == [["新标题"], ["a", 1]]
    assert calls(backend, "clear_rows") == [("clear_rows", "统计", 1)]


def test_settings_sheet_values_survive(master_sheets):
    backend = MemoryBackend(master_sheets)
    store = BufferedStore(backend)
    m = load_master(store)
    m.settings["office"] = "区政府督查室"
    save_master(store, m, parts=("settings",))
    store.commit()
    assert len(calls(backend, "set_values")) == 1
    assert load_master(MemoryStore(backend.sheets)).settings["office"] == "区政府督查室"
    assert backend.sheets[S_SETTINGS] != master_sheets[S_SETTINGS]

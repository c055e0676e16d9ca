"""`duban status` over a master: every item judged, the override kept and winning."""
import json

import pytest
from click.testing import CliRunner

from duban.cli import cli
from duban.demo import sample_notice
from duban.importer import init_master
from duban.master import load_master, save_master
from duban.store import open_store


@pytest.fixture
def master(tmp_path):
    p = tmp_path / "主表.xlsx"
    init_master(sample_notice(), p)
    with open_store(p) as s:
        m = load_master(s)
        m.add_period("1-6月")
        m.settings["current_period"] = "1-6月"
        tasks = m.task_by_id()
        tasks[98].entry("1-6月").progress = "已建成社区体育公园1个，社区健身点8个"
        tasks[68].entry("1-6月").progress = "完成农村改厕800户"
        tasks[63].entry("1-6月").progress = "轨道7号线、15号线正在加快建设"
        tasks[63].entry("1-6月").override = "推进较为滞后"
        m.indicators[0].entry("1-6月").progress = "上半年地区生产总值同比增长3.2%"
        m.indicators[8].entry("1-6月").progress = "空气质量优良天数152天，符合时序进度"
        save_master(s, m)
    return p


def _export(path):
    r = CliRunner().invoke(cli, ["export", str(path)])
    return json.loads(r.output)


def test_status_fills_every_item_and_override_wins(master):
    r = CliRunner().invoke(cli, ["status", str(master)])
    assert r.exit_code == 0, r.output
    assert "1-6月研判完成" in r.output
    data = _export(master)
    tasks = {t["id"]: t["periods"]["1-6月"] for t in data["tasks"]}
    assert all(t["status"] and t["reason"] for t in tasks.values())
    assert all(i["periods"]["1-6月"]["status"] for i in data["indicators"])
    assert tasks[98]["status"] == "推进较为滞后" and "30个社区健身点" in tasks[98]["reason"]
    assert tasks[68]["status"] == "正常推进"
    assert tasks[1]["status"] == "未报送"
    # the engine's own view stays visible next to the override, which wins
    assert tasks[63]["status"] == "正常推进"
    assert tasks[63]["override"] == "推进较为滞后"
    assert tasks[63]["effective_status"] == "推进较为滞后"
    inds = data["indicators"]
    assert inds[0]["periods"]["1-6月"]["status"] == "不达预期"
    assert inds[8]["periods"]["1-6月"]["status"] == "符合时间节点要求"
    assert "人工研判改变了 1 项" in r.output


def test_status_is_repeatable(master):
    CliRunner().invoke(cli, ["status", str(master)])
    first = _export(master)
    r = CliRunner().invoke(cli, ["status", str(master)])
    assert "本次系统研判有变化的 0 项" in r.output
    assert _export(master) == first


def test_setting_in_master_changes_the_judgement(master):
    with open_store(master) as s:
        m = load_master(s)
        m.settings["lag_points"] = 40  # more lenient: 26.7% (23 points behind 50%) is no longer lagging
        save_master(s, m, parts=("settings",))
    CliRunner().invoke(cli, ["status", str(master)])
    tasks = {t["id"]: t["periods"]["1-6月"] for t in _export(master)["tasks"]}
    assert tasks[98]["status"] != "推进较为滞后"


def test_unknown_period(master):
    r = CliRunner().invoke(cli, ["status", str(master), "--period", "1-9月"])
    assert r.exit_code == 1 and "主表中没有期次“1-9月”" in r.output


def test_status_on_the_demos_consolidated_master(tmp_path):
    """The demo's path: notice → sheets → simulated returns → collect → status."""
    from duban.collect import collect
    from duban.sheets import run_sheets
    from duban.simulate import simulate_returns

    path = tmp_path / "主表.xlsx"
    init_master(sample_notice(), path)
    with open_store(path) as s:
        run_sheets(s, "1-6月", tmp_path / "反馈表")
    with open_store(path, write=False) as s:
        m = load_master(s)
    sim = simulate_returns(m, "1-6月", tmp_path / "收件箱", seed=11)
    collect(path, [tmp_path / "收件箱"])
    r = CliRunner().invoke(cli, ["status", str(path)])
    assert r.exit_code == 0, r.output
    data = _export(path)
    entries = [t["periods"]["1-6月"] for t in data["tasks"]]
    # every task judged with a reason; silent units' tasks are 未报送, the rest are judged from their text
    assert all(e["status"] and e["reason"] for e in entries)
    reported = [e for e in entries if e["progress"]]
    assert reported and all(e["status"] != "未报送" for e in reported)
    assert all(e["status"] == "未报送" for e in entries if not e["progress"])
    statuses = {e["status"] for e in reported}
    assert {"正常推进", "推进较为滞后", "已完成"} <= statuses  # the simulation mixes all three
    silent_leads = set(sim.silent)
    silent_tasks = [t for t in data["tasks"] if set(t["lead"]) <= silent_leads | {"工投公司"} and not t["periods"]["1-6月"]["progress"]]
    assert all(t["periods"]["1-6月"]["status"] == "未报送" for t in silent_tasks)
    assert all(i["periods"]["1-6月"]["status"] for i in data["indicators"])

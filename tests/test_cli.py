"""The command line, in-process: init, export, errors, help texts."""
import json

import pytest
from click.testing import CliRunner

from duban.cli import cli
from duban.demo import sample_notice


@pytest.fixture
def runner():
    return CliRunner()


def test_init_and_export(runner, tmp_path):
    master = tmp_path / "主表.xlsx"
    r = runner.invoke(cli, ["init", str(sample_notice()), "-o", str(master)])
    assert r.exit_code == 0, r.output
    assert "预期目标：10 项" in r.output and "重点任务：131 项" in r.output
    assert "任务10：牵头单位与配合单位的分界无法从文本确定" in r.output
    r = runner.invoke(cli, ["export", str(master), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["year"] == 2022
    assert len(data["indicators"]) == 10 and len(data["tasks"]) == 131
    t1 = data["tasks"][0]
    assert t1["lead"] == ["区科技局"]
    assert t1["coop"] == ["区发展改革委", "区商务委（区招商中心）", "区属国有重点企业"]


def test_init_bad_notice_writes_nothing(runner, tmp_path):
    bad = tmp_path / "空.txt"
    bad.write_text("", encoding="utf-8")
    master = tmp_path / "主表.xlsx"
    r = runner.invoke(cli, ["init", str(bad), "-o", str(master)])
    assert r.exit_code == 1
    assert "错误：通知文件 空.txt 是空文件" in r.output
    assert not master.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_init_wrong_suffix(runner, tmp_path):
    r = runner.invoke(cli, ["init", str(sample_notice()), "-o", str(tmp_path / "主表.csv")])
    assert r.exit_code == 1 and "应以 .xlsx 或 .xlsm 结尾" in r.output


def test_export_missing_master(runner, tmp_path):
    r = runner.invoke(cli, ["export", str(tmp_path / "无.xlsx")])
    assert r.exit_code == 1 and "找不到主表文件" in r.output


def test_every_command_is_documented(runner):
    for name, cmd in cli.commands.items():
        assert cmd.help and "示例" in cmd.help, name
        r = runner.invoke(cli, [name, "--help"])
        assert r.exit_code == 0 and "示例" in r.output, name


def test_demo_runs(runner, tmp_path):
    out = tmp_path / "演示"
    r = runner.invoke(cli, ["demo", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "2022年督办主表.xlsx").exists()
    assert "演示完成" in r.output


def test_export_csv(runner, tmp_path):
    import pandas as pd

    master = tmp_path / "主表.xlsx"
    runner.invoke(cli, ["init", str(sample_notice()), "-o", str(master)])
    r = runner.invoke(cli, ["export", str(master), "--csv", str(tmp_path / "导出")])
    assert r.exit_code == 0, r.output
    tasks = pd.read_csv(tmp_path / "导出" / "重点任务.csv", encoding="utf-8-sig")
    assert len(tasks) == 131
    assert tasks.loc[0, "牵头单位"] == "区科技局"
    assert tasks.loc[0, "配合单位"] == "区发展改革委、区商务委（区招商中心）、区属国有重点企业"
    assert len(pd.read_csv(tmp_path / "导出" / "预期目标.csv", encoding="utf-8-sig")) == 10

"""`duban demo` runs two periods so that the supervision loop is visible: notices in both,
replies filed, 销号, escalation to red, 连续滞后 in the second report, the scorecard, and
one 督办单 rendered to PNG."""
from __future__ import annotations

import shutil

import docx
import openpyxl
import pytest

from duban.demo import run_demo
from duban.master import load_master
from duban.notices import CLOSED, ESCALATED, RED
from duban.report import find_soffice
from duban.score import S_SCORE
from duban.store import open_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    lines: list[str] = []
    ctx = run_demo(tmp_path_factory.mktemp("demo") / "演示", echo=lines.append)
    return ctx, lines


def test_demo_shows_the_whole_supervision_loop(demo):
    ctx, lines = demo
    with open_store(ctx["master"], write=False) as store:
        m = load_master(store)
    periods = {n.period for n in m.notices}
    assert periods == {"1-6月", "1-9月"}
    first = [n for n in m.notices if n.period == "1-6月"]
    assert any(n.reply for n in first), "replies filed from the 1-9月 returns"
    assert any(n.status == CLOSED and n.closed_in == "1-9月" for n in first), "销号"
    assert any(n.status == ESCALATED for n in first), "escalation"
    reds = [n for n in m.notices if n.period == "1-9月" and n.colour == RED]
    assert reds and any("本期仍推进较为滞后" in n.cause or "逾期未回复" in n.cause for n in reds)
    assert len({n.number for n in m.notices}) == len(m.notices)
    made = dict(ctx["made"])
    assert made["督办单汇总"].is_file() and made["1-9月督办单汇总"].is_file()
    assert any(p.suffix == ".eml" for p in made["督办单邮件"].iterdir())
    report = docx.Document(str(made["1-9月报告"]))
    assert any(p.text.startswith("（三）连续滞后的") for p in report.paragraphs)
    ws = openpyxl.load_workbook(ctx["master"])[S_SCORE]
    assert ws.cell(3, 1).value == "排名" and made["考核汇总"].is_file()
    assert any("年度督办考核" in x for x in lines)
    if find_soffice() and shutil.which("pdftoppm"):
        assert made["督办单示例图"].read_bytes()[:4] == b"\x89PNG"

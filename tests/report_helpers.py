"""Masters for the report, annex and dashboard tests, made by code from the bundled notice.

``filled_master`` gives every task and indicator a plausible 1-6月 progress text
(numbers scaled from the task's own targets), judges them with the real engine,
settles the open items as staff would (``settle``: 未报送 confirmed, 需人工研判 decided in
人工研判) and adds a 报送记录 where most units returned.
"""
from __future__ import annotations

import re
from pathlib import Path

from duban.dashboard import recipients
from duban.demo import sample_notice
from duban.importer import init_master
from duban.model import LogRow, Master
from duban.status import judge_master

PERIOD = "1-6月"
_NUM = re.compile(r"\d+(?:\.\d+)?")


def _scaled(clause: str, frac: float) -> str:
    def repl(m):
        v = float(m.group(0)) * frac
        return str(int(v)) if v >= 10 or v.is_integer() else f"{v:.1f}"
    return _NUM.sub(repl, clause)


def progress_for(task_text: str, task_id: int) -> str:
    """A unit's plausible progress text for a task."""
    clauses = [c for c in re.split(r"[,，；;。]", task_text) if c.strip()]
    numbered = [c for c in clauses if _NUM.search(c)]
    if task_id % 9 == 0 and numbered:  # well behind
        return f"截至6月底，{_scaled(numbered[0], 0.2)}。部分项目受疫情影响，前期手续仍在办理中。"
    if task_id % 17 == 0:
        return "已全面完成年度目标任务，相关工作转入常态化运行。"
    if numbered:
        return (f"截至6月底，{_scaled(numbered[0], 0.6)}，完成年度目标的60%。"
                f"下一步将加快推进{clauses[-1].strip()[:20]}。")
    return f"{clauses[0].strip()[:24]}工作有序推进，已制定实施方案，正在按计划组织实施。"


INDICATOR_PROGRESS = {
    1: ("上半年地区生产总值同比增长3.2%", ""),
    2: ("固定资产投资同比增长7.1%", ""),
    3: ("规模以上工业增加值同比增长8.5%", ""),
    4: ("社会消费品零售总额同比增长2.1%", ""),
    5: ("进出口总额同比增长12.3%", ""),
    6: ("一般公共预算收入同比增长5.2%", ""),
    7: ("区级税收同比增长6.4%", ""),
    8: ("全体居民人均可支配收入同比增长5.6%", ""),
    9: ("空气质量优良天数152天，符合时序进度", ""),
    10: ("节能减排降碳工作按计划推进，重点用能单位监测全覆盖", ""),
}


def settle(master: Master, label: str = PERIOD) -> list:
    """What staff do before the report: confirm 未报送 and decide every 需人工研判 in 人工研判."""
    from duban.report import open_items

    items = open_items(master, label)
    by_id = {("重点任务", t.id): t for t in master.tasks} | {("预期目标", i.id): i for i in master.indicators}
    for x in items:
        e = by_id[(x.kind, x.id)].entry(label)
        e.override = "未报送" if x.status == "未报送" else ("正常推进" if x.kind == "重点任务" else "符合时间节点要求")
    return items


def fill_period(master: Master, label: str = PERIOD, *, returned_share: float = 0.9,
                settled: bool = True) -> Master:
    master.add_period(label)
    master.settings["current_period"] = label
    for t in master.tasks:
        if t.id % 23 == 0:
            continue  # not reported
        t.entry(label).progress = progress_for(t.task, t.id)
    for i in master.indicators:
        progress, amount = INDICATOR_PROGRESS.get(i.id, ("", ""))
        i.entry(label).progress = progress
        i.entry(label).amount = amount
    judge_master(master, label)
    if settled:
        settle(master, label)
    units = recipients(master)
    keep = int(len(units) * returned_share)
    for n, u in enumerate(units[:keep]):
        master.log.append(LogRow(label, u, f"{u}_{label}.xlsx", f"{n:064x}", "2022-07-05 10:00:00", "采用",
                                 signature="已验证"))
    if units[keep:]:
        u = units[keep]
        master.log.append(LogRow(label, u, f"{u}_旧.xlsx", "f" * 64, "2022-07-04 09:00:00", "退回",
                                 reason="不是本期反馈表"))
    return master


def filled_master(tmp_path: Path, **kw) -> tuple[Master, Path]:
    """A new master file from the bundled notice with a judged 1-6月; returns (model, path)."""
    from duban.master import save_master
    from duban.store import open_store

    path = Path(tmp_path) / "主表.xlsx"
    result = init_master(sample_notice(), path)
    master = fill_period(result.master, **kw)
    with open_store(path) as store:
        save_master(store, master)
    return master, path

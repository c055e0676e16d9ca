"""The multi-period view: each task's status and light per period and its notice history.

Pure functions over a :class:`~duban.model.Master` (its ``notices`` are the 督办台账 rows);
the 统计 sheet (duban.dashboard), ``export --json`` (Master.to_json) and the report's
连续滞后 list (duban.report) use them.
"""
from __future__ import annotations

from .model import Master, Task

LAGGING = "推进较为滞后"


def notice_history(master: Master, task_id: int) -> list[dict]:
    """The task's notices in order: number, colour, unit, period, status."""
    return [{"number": n.number, "colour": n.colour, "unit": n.unit, "period": n.period, "status": n.status,
             "cause": n.cause, "reply": n.reply, "closed_in": n.closed_in}
            for n in sorted(master.notices, key=lambda n: n.seq) if n.task_id == task_id]


def history_text(master: Master, task_id: int) -> str:
    """"督办〔2022〕第1号 黄 1-6月 已销号；…" for a cell."""
    return "；".join(f"{h['number']} {h['colour']} {h['period']} {h['unit']} {h['status']}"
                    for h in notice_history(master, task_id))


def consecutive_lagging(master: Master, label: str) -> list[Task]:
    """Tasks 推进较为滞后 (the override winning) in ``label`` and in the period before it."""
    prev = master.previous_period(label)
    if prev is None:
        return []
    out = []
    for t in sorted(master.tasks, key=lambda t: t.id):
        now, before = t.periods.get(label), t.periods.get(prev.label)
        if now and before and now.effective_status == LAGGING and before.effective_status == LAGGING:
            out.append(t)
    return out


def history_table(master: Master) -> tuple[list[str], list[list]]:
    """Header and rows of the 统计 sheet's multi-period table: one row per task."""
    labels = [p.label for p in master.periods]
    header = ["工作任务", "牵头单位"] + [f"{lb}{what}" for lb in labels for what in ("状态", "进度灯")] \
        + ["连续滞后", "督办记录"]
    lagging_pairs = {}
    for a, b in zip(labels, labels[1:]):
        for t in consecutive_lagging(master, b):
            lagging_pairs.setdefault(t.id, []).append(f"{a}、{b}")
    rows = []
    for t in sorted(master.tasks, key=lambda t: t.id):
        row = [f"{t.id}．{t.task[:60]}", "、".join(t.lead)]
        for lb in labels:
            e = t.periods.get(lb)
            row += [e.effective_status if e else "", e.light if e else ""]
        row += ["；".join(lagging_pairs.get(t.id, [])), history_text(master, t.id)]
        rows.append(row)
    return header, rows

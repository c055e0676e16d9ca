"""`duban status`: the engine's judgement of every task and indicator for a period.

The engine (duban.judge) proposes a status and a reason; the 人工研判 column is
never touched here and always wins downstream (PeriodEntry.effective_status).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from . import judge
from .master import load_master, save_master
from .model import Master, Period
from .settings import JUDGE_KEYS
from .store import Store


@dataclass
class StatusResult:
    period: Period
    tasks: Counter = field(default_factory=Counter)  # effective status → count
    indicators: Counter = field(default_factory=Counter)
    overridden: int = 0  # entries where the override differs from the engine
    changed: int = 0  # engine proposals that changed since the last run

    def summary_lines(self) -> list[str]:
        lines = [f"{self.period.label}研判完成（截至 {self.period.end}）："]
        lines.append("  重点任务：" + "，".join(f"{k} {v} 项" for k, v in _ordered(self.tasks, judge.TASK_STATUSES)))
        lines.append("  预期目标：" + "，".join(f"{k} {v} 项" for k, v in _ordered(self.indicators, judge.INDICATOR_STATUSES)))
        lines.append(f"  人工研判改变了 {self.overridden} 项的结论（报告一律采用人工研判）；本次系统研判有变化的 {self.changed} 项。")
        return lines


def _ordered(counter: Counter, order) -> list[tuple[str, int]]:
    keys = [k for k in order if counter.get(k)] + sorted(k for k in counter if k not in order)
    return [(k, counter[k]) for k in keys]


def rules_from_settings(settings: dict) -> dict:
    return {k: settings[k] for k in JUDGE_KEYS if settings.get(k) not in (None, "")}


def judge_master(master: Master, label: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> StatusResult:
    """Fill status and reason of every task and indicator of the period (pure, no I/O)."""
    period = master.period(label)
    rules = judge.get_rules(rules_from_settings(master.settings))
    result = StatusResult(period)
    total = len(master.tasks) + len(master.indicators)
    done = 0

    def tick():
        nonlocal done
        done += 1
        if progress and (done % 50 == 0 or done == total):
            progress(done, total)

    for t in master.tasks:
        e = t.entry(period.label)
        text = e.progress
        if e.amount:
            text = f"{text}\n完成量：{e.amount}" if text else f"完成量：{e.amount}"
        j = judge.judge_task(t.task, text, period.end, master.year, deadline=t.deadline or None, rules=rules)
        result.changed += (e.status, e.reason) != (j.status, j.reason)
        e.status, e.reason = j.status, j.reason
        result.tasks[e.effective_status] += 1
        result.overridden += bool(e.override.strip()) and e.override.strip() != e.status
        tick()
    for i in master.indicators:
        e = i.entry(period.label)
        j = judge.judge_indicator(i.target, e.progress, e.amount or None, period.end, rules, year=master.year)
        result.changed += (e.status, e.reason) != (j.status, j.reason)
        e.status, e.reason = j.status, j.reason
        result.indicators[e.effective_status] += 1
        result.overridden += bool(e.override.strip()) and e.override.strip() != e.status
        tick()
    return result


def run_status(store: Store, label: str | None = None, progress=None) -> StatusResult:
    """Judge and write back the period's status columns (and refresh the 统计 sheet)."""
    master = load_master(store)
    result = judge_master(master, label, progress)
    save_master(store, master, parts=("indicators", "tasks"), periods=[result.period.label])
    try:
        from .dashboard import refresh_dashboard
    except ImportError:  # the dashboard arrives with the report step
        refresh_dashboard = None
    if refresh_dashboard:
        refresh_dashboard(store, master, result.period.label)
    return result

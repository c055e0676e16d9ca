"""`duban status`: the engine's judgement of every task and indicator for a period.

The engine (duban.judge) proposes a status and a reason; the 人工研判 column is
never touched here and always wins downstream (PeriodEntry.effective_status).
"""
from __future__ import annotations

import gc
import logging
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from typing import Callable, Iterator

from . import judge
from .master import load_master, save_master
from .model import Indicator, Master, Period
from .settings import JUDGE_KEYS
from .store import Store


@dataclass
class StatusResult:
    period: Period
    tasks: Counter = field(default_factory=Counter)  # effective status → count
    indicators: Counter = field(default_factory=Counter)
    lights: Counter = field(default_factory=Counter)  # task light → count
    overridden: int = 0  # entries where the override differs from the engine
    changed: int = 0  # engine proposals that changed since the last run
    closed_notices: list = field(default_factory=list)  # 督办单 numbers closed (销号) by this period's verdicts

    def summary_lines(self) -> list[str]:
        lines = [f"{self.period.label}研判完成（截至 {self.period.end}）："]
        lines.append("  重点任务：" + "，".join(f"{k} {v} 项" for k, v in _ordered(self.tasks, judge.TASK_STATUSES)))
        lines.append("  预期目标：" + "，".join(f"{k} {v} 项" for k, v in _ordered(self.indicators, judge.INDICATOR_STATUSES)))
        if self.lights:
            lines.append("  进度灯（重点任务）：" + "，".join(f"{k}灯 {self.lights[k]} 项" for k in ("绿", "黄", "红") if self.lights.get(k)))
        lines.append(f"  人工研判改变了 {self.overridden} 项的结论（报告一律采用人工研判）；本次系统研判有变化的 {self.changed} 项。")
        if self.closed_notices:
            lines.append(f"  督办单销号 {len(self.closed_notices)} 件：" + "、".join(self.closed_notices[:10])
                         + ("……" if len(self.closed_notices) > 10 else "") + "（已在“督办台账”中标记）。")
        return lines


def _ordered(counter: Counter, order) -> list[tuple[str, int]]:
    keys = [k for k in order if counter.get(k)] + sorted(k for k in counter if k not in order)
    return [(k, counter[k]) for k in keys]


def rules_from_settings(settings: dict) -> dict:
    return {k: settings[k] for k in JUDGE_KEYS if settings.get(k) not in (None, "")}


log = logging.getLogger(__name__)

PARALLEL_FROM = 2000  # tasks; below this one process is fast enough (no start-up cost)
_CHUNKS_PER_WORKER = 4

# What one task's judgement needs and gives, as plain picklable values.
TaskInput = tuple  # (task text, progress text, deadline, previous period's progress text or None)
TaskOutput = tuple[str, str, str, tuple]  # (status, reason, light, evidence)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while judging: the engine makes no reference cycles,
    and full collections over a loaded master cost ~15% of the run."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _task_input(task, label: str, previous_label: str | None = None) -> TaskInput:
    e = task.entry(label)
    text = e.progress
    if e.amount:
        text = f"{text}\n完成量：{e.amount}" if text else f"完成量：{e.amount}"
    prev = task.periods.get(previous_label).progress if previous_label and previous_label in task.periods else None
    return task.task, text, task.deadline or None, prev or None


def _previous_label(master: Master, label: str) -> str | None:
    labels = [p.label for p in master.periods]
    i = labels.index(label) if label in labels else -1
    return labels[i - 1] if i > 0 else None


def _judge_chunk(items: list[TaskInput], period_end: date | None, year: int | None, rules: dict) -> list[TaskOutput]:
    """Judge a chunk of tasks (worker process side: pure inputs, pure outputs)."""
    r = judge.get_rules(rules)
    out = []
    with _gc_paused():
        for task, text, deadline, *prev in items:
            j = judge.judge_task(task, text, period_end, year, deadline=deadline, rules=r, previous=prev[0] if prev else None)
            out.append((j.status, j.reason, j.light, j.evidence))
    return out


def _judge_parallel(items: list[TaskInput], period_end: date | None, year: int | None, rules: dict,
                    workers: int, on_chunk: Callable[[int], None]) -> list[TaskOutput]:
    n_chunks = min(len(items), workers * _CHUNKS_PER_WORKER)
    size = -(-len(items) // n_chunks)
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    out: list[TaskOutput] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for res in pool.map(_judge_chunk, chunks, repeat(period_end), repeat(year), repeat(rules)):
            out.extend(res)
            on_chunk(len(out))
    if len(out) != len(items):
        raise RuntimeError(f"parallel judging returned {len(out)} results for {len(items)} tasks")
    return out


def judge_tasks(items: list[TaskInput], period_end: date | None, year: int | None, rules: dict | None = None, *,
                workers: int | None = None, progress: Callable[[int], None] | None = None) -> list[TaskOutput]:
    """(status, reason, light, evidence) of each (task text, progress text, deadline), in order.

    ``workers`` None = automatic: one process below PARALLEL_FROM tasks, else up to
    8 processes over chunks of tasks.  The results do not depend on ``workers``; if
    the processes cannot be used (no fork/spawn, broken pool …) the tasks are judged
    in this process.  ``progress(done)`` is called now and then.
    """
    rules = dict(rules or {})
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(items) >= PARALLEL_FROM else 1
    workers = min(workers, len(items))
    if workers > 1:
        try:
            return _judge_parallel(items, period_end, year, rules, workers, progress or (lambda n: None))
        except Exception as exc:  # processes unavailable or broken: judge here instead
            log.warning("多进程研判失败（%s: %s），改为单进程研判", type(exc).__name__, exc)
    r = judge.get_rules(rules)
    out = []
    with _gc_paused():
        for i, (task, text, deadline, *prev) in enumerate(items, start=1):
            j = judge.judge_task(task, text, period_end, year, deadline=deadline, rules=r,
                                 previous=prev[0] if prev else None)
            out.append((j.status, j.reason, j.light, j.evidence))
            if progress and i % 50 == 0:
                progress(i)
    if progress and len(items) % 50:
        progress(len(items))
    return out


def _judge_period(master: Master, period: Period, *, workers: int | None = None,
                  progress: Callable[[int], None] | None = None, tick: Callable[[], None] | None = None):
    """The engine over one period: ([(task, TaskOutput)], [(indicator, Judgement)]); no entry is changed."""
    rules_override = rules_from_settings(master.settings)
    prev = _previous_label(master, period.label)
    items = [_task_input(t, period.label, prev) for t in master.tasks]
    judged = judge_tasks(items, period.end, master.year, rules_override, workers=workers, progress=progress)
    rules = judge.get_rules(rules_override)
    indicators = []
    for i in master.indicators:
        e = i.entry(period.label)
        indicators.append((i, judge.judge_indicator(i.target, e.progress, e.amount or None, period.end, rules,
                                                    year=master.year)))
        if tick:
            tick()
    return list(zip(master.tasks, judged)), indicators


def judge_master(master: Master, label: str | None = None,
                 progress: Callable[[int, int], None] | None = None, *,
                 workers: int | None = None) -> StatusResult:
    """Fill status and reason of every task and indicator of the period (pure, no I/O).

    ``workers``: processes for the tasks (None = automatic, see :func:`judge_tasks`);
    the result is the same for any value.
    """
    period = master.period(label)
    result = StatusResult(period)
    total = len(master.tasks) + len(master.indicators)
    done = len(master.tasks)

    def tick():
        nonlocal done
        done += 1
        if progress and (done % 50 == 0 or done == total):
            progress(done, total)

    def tasks_done(n: int) -> None:
        if progress:
            progress(n, total)

    tasks, indicators = _judge_period(master, period, workers=workers, progress=tasks_done, tick=tick)
    for t, (status, reason, light, evidence) in tasks:
        e = t.entry(period.label)
        result.changed += (e.status, e.reason) != (status, reason)
        e.status, e.reason, e.light, e.evidence = status, reason, light, list(evidence)
        result.tasks[e.effective_status] += 1
        if light:
            result.lights[light] += 1
        result.overridden += bool(e.override.strip()) and e.override.strip() != e.status
    for i, j in indicators:
        e = i.entry(period.label)
        result.changed += (e.status, e.reason) != (j.status, j.reason)
        e.status, e.reason, e.light, e.evidence = j.status, j.reason, j.light, list(j.evidence)
        result.indicators[e.effective_status] += 1
        result.overridden += bool(e.override.strip()) and e.override.strip() != e.status
    return result


def attach_evidence(master: Master, label: str | None = None) -> None:
    """Fill ``evidence`` (and an empty ``light``) of every task and indicator of the period
    by re-running the engine on the stored progress texts.  Never changes status, reason
    or override: what staff and the last ``duban status`` wrote stays as it is."""
    period = master.period(label)
    tasks, indicators = _judge_period(master, period)
    for item, light, evidence in ([(t, out[2], out[3]) for t, out in tasks]
                                  + [(i, j.light, j.evidence) for i, j in indicators]):
        e = item.entry(period.label)
        e.evidence = list(evidence)
        if not e.light and e.status:
            e.light = light


def item_evidence(master: Master, item, label: str) -> list[dict]:
    """The engine's evidence of one task or indicator for the period; when the period was
    not attached (:func:`attach_evidence`), this item alone is judged now."""
    e = item.entry(label)
    if not e.evidence and ((e.progress or "").strip() or (e.amount or "").strip()):
        period = master.period(label)
        rules = judge.get_rules(rules_from_settings(master.settings))
        if isinstance(item, Indicator):
            j = judge.judge_indicator(item.target, e.progress, e.amount or None, period.end, rules, year=master.year)
        else:
            task, text, deadline, prev = _task_input(item, label, _previous_label(master, label))
            j = judge.judge_task(task, text, period.end, master.year, deadline=deadline, rules=rules, previous=prev)
        e.evidence = list(j.evidence)
        if not e.light and e.status:
            e.light = j.light
    return e.evidence


def run_status(store: Store, label: str | None = None, progress=None) -> StatusResult:
    """Judge and write back the period's status columns (and refresh the 统计 sheet)."""
    master = load_master(store)
    result = judge_master(master, label, progress)
    save_master(store, master, parts=("indicators", "tasks"), periods=[result.period.label])
    # 销号: a notice whose task is now 已完成, or 正常推进 with a reply, is closed by the new verdicts.
    # (Escalation of unanswered notices depends on the day and stays with remind and notices.)
    from .notices import load_ledger, review, save_ledger

    ledger = load_ledger(store)
    if ledger:
        closed, _ = review(master, ledger, today=date.min)
        if closed:
            save_ledger(store, ledger)
            result.closed_notices = [n.number for n in closed]
    try:
        from .dashboard import refresh_dashboard
    except ImportError:  # the dashboard arrives with the report step
        refresh_dashboard = None
    if refresh_dashboard:
        refresh_dashboard(store, master, result.period.label)
    return result

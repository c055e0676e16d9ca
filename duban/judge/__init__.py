"""Status engine: judge work-report tasks and economic indicators from evidence.

Pure Python, no workbook I/O.  One module per stage, each testable on its own:

* :mod:`.targets`   task text → targets (count, growth, level, deliverable, process)
* :mod:`.evidence`  progress text → clauses and readings (modality, stage, delay, plans)
* :mod:`.align`     evidence tied to each target and assessed against 序时
* :mod:`.verdict`   one status, a light (绿/黄/红) and reasons with the quoted evidence
* :mod:`.indicator` economic indicators
* :mod:`.rules`, :mod:`.timing`, :mod:`.model` thresholds and words, 序时, result types

Thresholds and word lists come from ``duban/data/judge_rules.json``; every public
function takes ``rules``: a dict whose keys override the defaults (values of the
workbook's 设置 sheet, English key names or the Chinese aliases listed in the JSON),
or a :class:`Rules` object from :func:`get_rules`.

Public API
----------
``judge_task(task_text, progress, period_end, year, *, deadline=None, rules=None, previous=None) -> Judgement``
``judge_indicator(target, progress, actual=None, period_end=None, rules=None, *, year=None) -> Judgement``
``effective_status(engine_status, override) -> str``
``elapsed_share(period_end, year=None, deadline=None) -> float | None``
``get_rules(override=None) -> Rules``
"""
from __future__ import annotations

from .indicator import judge_indicator
from .model import (BEHIND_STATES, DONE, EVIDENCE_KEYS, IND_MET, IND_MISSED, IND_ON_COURSE, INDICATOR_STATUSES, LAGGING, MANUAL,
                    NORMAL, NOT_REPORTED, TASK_STATUSES, Judgement, effective_status, evidence_record)
from .rules import Rules, get_rules
from .timing import elapsed_share, parse_deadline
from .verdict import judge_task

__all__ = [
    "Judgement", "Rules", "get_rules", "judge_task", "judge_indicator", "effective_status", "elapsed_share",
    "parse_deadline", "evidence_record", "EVIDENCE_KEYS", "BEHIND_STATES", "DONE", "NORMAL", "LAGGING", "NOT_REPORTED", "MANUAL",
    "IND_MET", "IND_MISSED", "IND_ON_COURSE", "TASK_STATUSES", "INDICATOR_STATUSES",
]

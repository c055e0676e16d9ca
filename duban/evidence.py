"""The engine's per-target evidence, as the report and the other readers consume it.

The status engine's contract (``PeriodEntry.evidence``: one dict per target, keys
``target kind object goal measure actual actual_text share expected gap stage state
quote unit principal line``) is what the report's sentences are built from.
:func:`evidence_of` returns that list for a task or an indicator of a period, as the
engine gave it (``duban.status.attach_evidence`` fills a whole period at once; an item
left without evidence is judged on its own).
"""
from __future__ import annotations

import re

from .judge import EVIDENCE_KEYS as KEYS, evidence_record as blank
from .model import Indicator, Master, Task
from .status import attach_evidence as attach
from .status import item_evidence

__all__ = ["KEYS", "blank", "attach", "evidence_of", "indicator_name"]

_VERBS_RE = re.compile("增长|下降|完成|达到|控制|不低于|不超过|突破|保持|提高|降低|实现|年均|新增|稳定|确保|低于|高于")


def indicator_name(target: str) -> str:
    """"地区生产总值增长5.5%左右" → "地区生产总值" (the text before its verb)."""
    t = (target or "").strip()
    m = _VERBS_RE.search(t)
    return t[:m.start()].strip() if m and m.start() > 0 else t


def evidence_of(master: Master, item: Task | Indicator, period: str) -> list[dict]:
    """The evidence dicts of ``item`` for ``period`` (copies: readers may fill them in)."""
    if period not in item.periods:
        return []
    stored = [blank(**d) for d in item_evidence(master, item, period)]
    if isinstance(item, Indicator):
        for ev in stored:  # the contract names an indicator by its name ("固定资产投资")
            if (ev["target"] or "").strip() in ("", item.target.strip()):
                ev["target"] = indicator_name(item.target)
    return stored
